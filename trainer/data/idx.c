/* idx.c - the IDX format of MNIST and Fashion-MNIST.
 *
 * Magic 0x0000TTDD big-endian (TT the type, DD the number of dimensions),
 * DD big-endian 32-bit sizes, then the values, big-endian, row-major.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int type_size(int type)
{
	switch (type) {
	case 0x08: case 0x09: return 1;
	case 0x0B: return 2;
	case 0x0C: case 0x0D: return 4;
	case 0x0E: return 8;
	default: return 0;
	}
}

static const char *type_name(int type)
{
	switch (type) {
	case 0x08: return "u8";
	case 0x09: return "s8";
	case 0x0B: return "i16";
	case 0x0C: return "i32";
	case 0x0D: return "f32";
	case 0x0E: return "f64";
	default: return "?";
	}
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const unsigned char *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

int dm_idx_header_read(dm_stream *s, dm_idx_header *h, dm_error *err)
{
	const char *path = dm_stream_path(s);
	unsigned char b[4];
	uint64_t count, rest = 1;
	int size;
	memset(h, 0, sizeof *h);
	if (dm_stream_read_exact(s, b, 4, "IDX magic number", err) < 0)
		return -1;
	h->type = b[2];
	h->ndims = b[3];
	size = type_size(h->type);
	if (b[0] || b[1] || !size || !h->ndims)
		return dm_fail(err, "%s: not an IDX file (magic 0x%08" PRIx32
			       "; expected 0x0000TTDD with type TT one of 08 09 0B "
			       "0C 0D 0E and DD dimensions)", path, be32(b));
	for (int i = 0; i < h->ndims; i++) {
		if (dm_stream_read_exact(s, b, 4, "IDX header", err) < 0)
			return -1;
		h->dims[i] = be32(b);
	}
	/* rest = product of the sizes after the first; each is below 2^32,
	 * so checking before each step keeps the products in range */
	for (int i = 1; i < h->ndims; i++) {
		if (h->dims[i] && rest > UINT64_MAX / 8 / h->dims[i])
			return dm_fail(err, "%s: IDX dimensions too large", path);
		rest *= h->dims[i];
	}
	if (h->dims[0] && rest > UINT64_MAX / 8 / h->dims[0])
		return dm_fail(err, "%s: IDX dimensions too large", path);
	count = rest * h->dims[0];
	h->head = 4 + 4 * (uint64_t)h->ndims;
	h->body = count * (uint64_t)size;
	if (rest > SIZE_MAX || count > SIZE_MAX / sizeof(float) ||
	    h->body > SIZE_MAX)
		return dm_fail(err, "%s: IDX data of %" PRIu64 " values is too "
			       "large for this machine", path, count);
	h->n = h->dims[0];
	h->dim = (size_t)rest;
	return 0;
}

int dm_idx_features_check(const dm_stream *s, const dm_idx_header *h,
			  dm_error *err)
{
	if (h->n == 0)
		return dm_fail(err, "%s: no samples (the first IDX dimension "
			       "is 0)", dm_stream_path(s));
	if (h->dim == 0)
		return dm_fail(err, "%s: samples of 0 values (an IDX dimension "
			       "is 0)", dm_stream_path(s));
	return 0;
}

int dm_idx_labels_check(const dm_stream *s, const dm_idx_header *h, size_t n,
			int integer_labels, dm_error *err)
{
	const char *path = dm_stream_path(s);
	if (h->ndims != 1)
		return dm_fail(err, "%s: labels must be 1-D, the IDX header has "
			       "%d dimensions", path, h->ndims);
	if (integer_labels && (h->type == 0x0D || h->type == 0x0E))
		return dm_fail(err, "%s: class labels of type %s; expected an "
			       "integer type (u8, s8, i16, i32)", path,
			       type_name(h->type));
	if (h->n != n)
		return dm_fail(err, "%s: %zu labels, but the features have %zu "
			       "samples", path, h->n, n);
	return 0;
}

/* The whole body, grown as it arrives: a header that declares far more
 * than the file holds fails at the end of the file, not in malloc. */
static unsigned char *read_body(dm_stream *s, const dm_idx_header *h,
				dm_error *err)
{
	size_t want = (size_t)h->body, cap = want < (1u << 20) ? want : 1u << 20;
	size_t got = 0;
	unsigned char *buf = dm_malloc(cap, err), *p;
	while (buf && got < want) {
		ptrdiff_t k;
		if (got == cap) {
			cap = cap > want / 2 ? want : cap * 2;
			p = realloc(buf, cap);
			if (!p) {
				dm_fail(err, "%s: out of memory (%zu bytes)",
					dm_stream_path(s), cap);
				break;
			}
			buf = p;
		}
		k = dm_stream_read(s, buf + got, cap - got, err);
		if (k < 0)
			break;
		if (k == 0) {
			dm_fail(err, "%s: expected %" PRIu64 " bytes (a %" PRIu64
				"-byte header, then %zu x %zu values of type %s), "
				"file ends after %" PRIu64, dm_stream_path(s),
				h->head + h->body, h->head, h->n, h->dim,
				type_name(h->type), h->head + got);
			break;
		}
		got += (size_t)k;
	}
	if (buf && got == want) {
		unsigned char extra;
		ptrdiff_t k = dm_stream_read(s, &extra, 1, err);
		if (k == 0)
			return buf;
		if (k > 0)
			dm_fail(err, "%s: trailing data after the %" PRIu64
				" bytes the IDX header declares", dm_stream_path(s),
				h->head + h->body);
	}
	free(buf);
	return NULL;
}

static double value_at(const unsigned char *p, int type, size_t i)
{
	union { uint32_t u; float f; } u32;
	union { uint64_t u; double f; } u64;
	uint32_t u;
	/* two's complement by arithmetic, not by implementation-defined casts */
	switch (type) {
	case 0x08: return p[i];
	case 0x09: return p[i] < 0x80 ? p[i] : p[i] - 256.0;
	case 0x0B:
		u = (uint32_t)p[2 * i] << 8 | p[2 * i + 1];
		return u < 0x8000 ? u : u - 65536.0;
	case 0x0C:
		u = be32(p + 4 * i);
		return u < 0x80000000u ? u : u - 4294967296.0;
	case 0x0D: u32.u = be32(p + 4 * i); return u32.f;
	default: u64.u = be64(p + 8 * i); return u64.f;
	}
}

dm_shape dm_idx_sample_shape(const dm_idx_header *h)
{
	dm_shape s = dm_shape_1(h->dim);
	if (h->ndims == 3)
		s = (dm_shape){3, {1, h->dims[1], h->dims[2], 0}};
	else if (h->ndims == 4)
		s = (dm_shape){3, {h->dims[1], h->dims[2], h->dims[3], 0}};
	return s;
}

int dm_idx_features(dm_stream *s, const dm_idx_header *h, dm_dataset *d,
		    dm_error *err)
{
	size_t count = h->n * h->dim;
	unsigned char *raw = read_body(s, h, err);
	float *x;
	if (!raw)
		return -1;
	x = dm_alloc_floats(count, err);
	if (!x) {
		free(raw);
		return dm_error_prefix(err, "%s", dm_stream_path(s));
	}
	for (size_t i = 0; i < count; i++) {
		double w = value_at(raw, h->type, i);
		x[i] = (float)w;
		/* f64 beyond the float range becomes infinite, or 0, here too
		 * (the rule of base/number.h) */
		if (!isfinite(x[i]) || (w != 0 && x[i] == 0)) {
			dm_fail(err, "%s: sample %zu: feature %zu is %s",
				dm_stream_path(s), i / h->dim + 1, i % h->dim + 1,
				isnan(x[i]) ? "NaN" :
				"infinite or beyond the float range");
			free(raw);
			free(x);
			return -1;
		}
	}
	free(raw);
	d->x = x;
	d->n = h->n;
	d->dim = h->dim;
	d->shape = dm_idx_sample_shape(h);
	d->bytes_valued = h->type == 0x08;
	return 0;
}

int dm_idx_labels(dm_stream *s, const dm_idx_header *h, size_t n,
		  int integer_labels, float **y, dm_error *err)
{
	unsigned char *raw = read_body(s, h, err);
	float *v;
	if (!raw)
		return -1;
	v = dm_alloc_floats(n, err);
	for (size_t i = 0; v && i < n; i++) {
		double l = value_at(raw, h->type, i);
		const char *why = dm_label_problem(l, integer_labels);
		char shown[32];
		v[i] = (float)l;
		if (!why && (!isfinite(v[i]) || (l != 0 && v[i] == 0)))
			why = "is beyond the float range";
		if (why) {
			/* an integer as the integer it is (i32 2147483647) */
			if (l == floor(l) && fabs(l) < 9007199254740992.0)
				snprintf(shown, sizeof shown, "%.0f", l);
			else
				snprintf(shown, sizeof shown, "%.9g", l);
			dm_fail(err, "%s: sample %zu: label %s %s",
				dm_stream_path(s), i + 1, shown, why);
			free(v);
			v = NULL;
		}
	}
	free(raw);
	*y = v;
	return v ? 0 : -1;
}
