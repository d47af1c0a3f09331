/* safetensors.c - write and read F32 weights in the safetensors format.
 *
 * The writer's output is a function of its input alone: a compact header
 * in a fixed key order, padded with spaces to a multiple of 8, then the
 * tensors' little-endian bytes in the order given.  The reader trusts
 * nothing in the file: every length, offset and shape is checked before
 * it is used, and every error names the file and the tensor.
 */
#include "safetensors.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/file.h"
#include "../base/text.h"
#include "atomic.h"
#include "json.h"

/* The reference implementation's limit on the header, which a hostile file
 * could otherwise make us allocate and parse for a long time. */
#define HEADER_MAX 100000000u
#define META_KEY "__metadata__"

static int host_is_little_endian(void)
{
	const union {
		uint32_t u;
		unsigned char c[4];
	} probe = {1};
	return probe.c[0] == 1;
}

/* Little-endian bytes of v, on any host. */
static void store_f32le(unsigned char out[4], float v)
{
	uint32_t bits;
	memcpy(&bits, &v, 4);
	out[0] = (unsigned char)bits;
	out[1] = (unsigned char)(bits >> 8);
	out[2] = (unsigned char)(bits >> 16);
	out[3] = (unsigned char)(bits >> 24);
}

static float load_f32le(const unsigned char in[4])
{
	uint32_t bits = (uint32_t)in[0] | (uint32_t)in[1] << 8 |
			(uint32_t)in[2] << 16 | (uint32_t)in[3] << 24;
	float v;
	memcpy(&v, &bits, 4);
	return v;
}

/* A tensor or key name as it may appear in a one-line message: see
 * dm_printable; a long name is cut after 80 bytes. */
static const char *shown(const char *s, char out[96])
{
	return dm_printable(s, out, 84);
}

/* Product of shape[0..ndim) times 4 bytes, or -1 if it overflows 64 bits. */
static int shape_bytes(const uint64_t *shape, size_t ndim, uint64_t *count,
		       uint64_t *bytes)
{
	uint64_t c = 1;
	size_t i;
	for (i = 0; i < ndim; i++) {
		if (shape[i] != 0 && c > UINT64_MAX / shape[i])
			return -1;
		c *= shape[i];
	}
	if (c > UINT64_MAX / 4)
		return -1;
	*count = c;
	*bytes = c * 4;
	return 0;
}

/* ==== writer ==== */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Is any name in names[0..n) there twice?  Returns it, or NULL. */
static const char *find_duplicate(const char **names, size_t n)
{
	size_t i;
	qsort(names, n, sizeof *names, cmp_names);
	for (i = 1; i < n; i++)
		if (strcmp(names[i - 1], names[i]) == 0)
			return names[i];
	return NULL;
}

static int check_name(const char *path, const char *what, const char *name,
		      dm_error *err)
{
	char b[96];
	if (!name || !*name)
		return dm_fail(err, "%s: %s name is empty", path, what);
	if (!dm_json_utf8_valid(name))
		return dm_fail(err, "%s: %s '%s': the name is not valid UTF-8",
			       path, what, shown(name, b));
	return 0;
}

/* Check what the caller gave, and compute each tensor's byte size. */
static int check_tensors(const char *path, const dm_tensor *t, size_t nt,
			 uint64_t *bytes, dm_error *err)
{
	uint64_t shape[DM_MAX_DIMS], count, total = 0;
	char b[96];
	size_t i, d;
	for (i = 0; i < nt; i++) {
		if (check_name(path, "tensor", t[i].name, err))
			return -1;
		if (strcmp(t[i].name, META_KEY) == 0)
			return dm_fail(err, "%s: tensor '%s': the name is reserved for "
				       "the metadata", path, META_KEY);
		if (t[i].ndim > DM_MAX_DIMS)
			return dm_fail(err, "%s: tensor '%s': %zu dimensions, expected "
				       "at most %d", path, shown(t[i].name, b), t[i].ndim,
				       DM_MAX_DIMS);
		for (d = 0; d < t[i].ndim; d++)
			shape[d] = t[i].shape[d];
		if (shape_bytes(shape, t[i].ndim, &count, &bytes[i]) ||
		    bytes[i] > SIZE_MAX || total > UINT64_MAX - bytes[i])
			return dm_fail(err, "%s: tensor '%s': the shape's size "
				       "overflows", path, shown(t[i].name, b));
		if (count > 0 && !t[i].data)
			return dm_fail(err, "%s: tensor '%s': no data", path,
				       shown(t[i].name, b));
		total += bytes[i];
	}
	return 0;
}

static int check_meta(const char *path, const dm_meta *meta, size_t nmeta,
		      dm_error *err)
{
	char b[96];
	size_t i;
	for (i = 0; i < nmeta; i++) {
		if (check_name(path, "metadata key", meta[i].key, err))
			return -1;
		if (!meta[i].value || !dm_json_utf8_valid(meta[i].value))
			return dm_fail(err, "%s: metadata '%s': expected a UTF-8 string "
				       "value", path, shown(meta[i].key, b));
	}
	return 0;
}

/* Names must be unique, among tensors and among metadata keys. */
static int check_unique(const char *path, const dm_tensor *t, size_t nt,
			const dm_meta *meta, size_t nmeta, dm_error *err)
{
	const char **names = dm_calloc(nt > nmeta ? nt : nmeta, sizeof *names, err);
	const char *dup;
	char b[96];
	size_t i;
	if (!names)
		return -1;
	for (i = 0; i < nt; i++)
		names[i] = t[i].name;
	if ((dup = find_duplicate(names, nt)) != NULL) {
		dm_fail(err, "%s: tensor '%s' is given twice", path, shown(dup, b));
		free(names);
		return -1;
	}
	for (i = 0; i < nmeta; i++)
		names[i] = meta[i].key;
	if ((dup = find_duplicate(names, nmeta)) != NULL) {
		dm_fail(err, "%s: metadata key '%s' is given twice", path, shown(dup, b));
		free(names);
		return -1;
	}
	free(names);
	return 0;
}

/* The header JSON: metadata first, then the tensors in the order given,
 * packed one after the other. */
static void header_json(dm_json_writer *w, const dm_tensor *t, size_t nt,
			const uint64_t *bytes, const dm_meta *meta, size_t nmeta)
{
	uint64_t offset = 0;
	size_t i, d;
	dm_json_init(w, 0);
	dm_json_begin_object(w);
	if (nmeta > 0) {
		dm_json_key(w, META_KEY);
		dm_json_begin_object(w);
		for (i = 0; i < nmeta; i++) {
			dm_json_key(w, meta[i].key);
			dm_json_string(w, meta[i].value);
		}
		dm_json_end_object(w);
	}
	for (i = 0; i < nt; i++) {
		dm_json_key(w, t[i].name);
		dm_json_begin_object(w);
		dm_json_key(w, "dtype");
		dm_json_string(w, "F32");
		dm_json_key(w, "shape");
		dm_json_begin_array(w);
		for (d = 0; d < t[i].ndim; d++)
			dm_json_uint(w, t[i].shape[d]);
		dm_json_end_array(w);
		dm_json_key(w, "data_offsets");
		dm_json_begin_array(w);
		dm_json_uint(w, offset);
		dm_json_uint(w, offset + bytes[i]);
		dm_json_end_array(w);
		dm_json_end_object(w);
		offset += bytes[i];
	}
	dm_json_end_object(w);
}

/* All tensors as little-endian bytes in one buffer (big-endian hosts). */
static unsigned char *swapped_data(const dm_tensor *t, size_t nt,
				   const uint64_t *bytes, dm_error *err)
{
	uint64_t total = 0;
	unsigned char *buf, *p;
	size_t i, k;
	for (i = 0; i < nt; i++)
		total += bytes[i];
	if (total > SIZE_MAX) {
		dm_fail(err, "out of memory (%" PRIu64 " bytes of tensors)", total);
		return NULL;
	}
	if (!(buf = dm_malloc((size_t)total, err)))
		return NULL;
	for (p = buf, i = 0; i < nt; i++)
		for (k = 0; k < bytes[i] / 4; k++, p += 4)
			store_f32le(p, t[i].data[k]);
	return buf;
}

static int write_file(dm_atomic *a, const char *path, const char *header, size_t hlen,
		      const dm_tensor *t, size_t nt, const uint64_t *bytes,
		      dm_error *err)
{
	static const char spaces[] = "        "; /* [9]: gcc 16 wants room for the NUL */
	size_t pad = (8 - hlen % 8) % 8, np = 0, i;
	unsigned char len8[8], *swapped = NULL;
	uint64_t n = (uint64_t)hlen + pad;
	dm_piece *pieces = dm_calloc(nt + 4, sizeof *pieces, err);
	int rc;
	if (!pieces)
		return -1;
	for (i = 0; i < 8; i++)
		len8[i] = (unsigned char)(n >> (8 * i));
	pieces[np++] = (dm_piece){len8, 8};
	pieces[np++] = (dm_piece){header, hlen};
	pieces[np++] = (dm_piece){spaces, pad};
	if (host_is_little_endian()) {
		for (i = 0; i < nt; i++)
			pieces[np++] = (dm_piece){t[i].data, (size_t)bytes[i]};
	} else {
		uint64_t total = 0;
		if (!(swapped = swapped_data(t, nt, bytes, err))) {
			free(pieces);
			return dm_error_prefix(err, "%s", path);
		}
		for (i = 0; i < nt; i++)
			total += bytes[i];
		pieces[np++] = (dm_piece){swapped, (size_t)total};
	}
	rc = dm_atomic_writev(a, path, pieces, np, err);
	free(swapped);
	free(pieces);
	return rc;
}

int dm_safetensors_write(dm_atomic *a, const char *path, const dm_tensor *tensors,
			 size_t ntensors, const dm_meta *meta, size_t nmeta,
			 dm_error *err)
{
	dm_json_writer w;
	uint64_t *bytes;
	const char *header;
	size_t hlen;
	int rc = -1;
	if (!(bytes = dm_calloc(ntensors, sizeof *bytes, err)))
		return -1;
	if (check_tensors(path, tensors, ntensors, bytes, err) ||
	    check_meta(path, meta, nmeta, err) ||
	    check_unique(path, tensors, ntensors, meta, nmeta, err)) {
		free(bytes);
		return -1;
	}
	header_json(&w, tensors, ntensors, bytes, meta, nmeta);
	if (!(header = dm_json_finish(&w, &hlen, err)))
		dm_error_prefix(err, "%s", path);
	else if (hlen > HEADER_MAX)
		dm_fail(err, "%s: header of %zu bytes, expected at most %u", path,
			hlen, HEADER_MAX);
	else
		rc = write_file(a, path, header, hlen, tensors, ntensors, bytes, err);
	dm_json_free(&w);
	free(bytes);
	return rc;
}

/* ==== reader ==== */

/* Read exactly n bytes at offset from fd, or from mem[0..mem_size) when
 * mem is set; 0, or -1 with errno (0 for end of file). */
static int read_at(int fd, const unsigned char *mem, uint64_t mem_size, void *buf, size_t n,
		   uint64_t offset)
{
	char *p = buf;
	if (mem) {
		if (offset > mem_size || n > mem_size - offset) {
			errno = 0;
			return -1;
		}
		memcpy(buf, mem + offset, n);
		return 0;
	}
	while (n > 0) {
		ssize_t r = pread(fd, p, n < 0x40000000 ? n : 0x40000000,
				  (off_t)offset);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = 0;
			return -1;
		}
		p += r;
		n -= (size_t)r;
		offset += (uint64_t)r;
	}
	return 0;
}

static int read_error(const char *path, const char *what, dm_error *err)
{
	if (errno == 0)
		return dm_fail(err, "%s: %s: unexpected end of file (did it change "
			       "while being read?)", path, what);
	return dm_fail(err, "%s: %s: %s", path, what, strerror(errno));
}

/* Where each tensor's bytes are, relative to the start of the data. */
typedef struct range {
	uint64_t begin, end;
	size_t index;
} range;

typedef struct reader {
	const char *path;
	int fd;
	const unsigned char *mem;   /* the file in memory instead of fd, or NULL */
	uint64_t mem_size;
	uint64_t data_start, data_size;
	range *ranges;     /* one per tensor */
	dm_safetensors *out;
	dm_error *err;
} reader;

/* A JSON number that is a non-negative integer, into *out. */
static int json_u64(const dm_json *v, uint64_t *out)
{
	if (!v || v->type != DM_JSON_NUMBER || !v->is_integer || v->number < 0)
		return -1;
	*out = v->integer;
	return 0;
}

static int read_meta(reader *r, const dm_json *m)
{
	char b[96];
	size_t i;
	if (m->type != DM_JSON_OBJECT)
		return dm_fail(r->err, "%s: %s: expected an object of strings",
			       r->path, META_KEY);
	if (!(r->out->meta = dm_calloc(m->len, sizeof *r->out->meta, r->err)))
		return dm_error_prefix(r->err, "%s", r->path);
	for (i = 0; i < m->len; i++) {
		dm_meta *d = &r->out->meta[i];
		if (m->items[i].type != DM_JSON_STRING)
			return dm_fail(r->err, "%s: %s '%s': expected a string value",
				       r->path, META_KEY, shown(m->keys[i], b));
		r->out->nmeta++;   /* counted first, so that a failure frees it */
		if (!(d->key = dm_strdup(m->keys[i], r->err)) ||
		    !(d->value = dm_strdup(m->items[i].string, r->err)))
			return dm_error_prefix(r->err, "%s", r->path);
	}
	return 0;
}

static int read_dtype(reader *r, const char *name, const dm_json *info)
{
	const dm_json *dtype = dm_json_get(info, "dtype");
	char b[96], d[96];
	if (!dtype || dtype->type != DM_JSON_STRING)
		return dm_fail(r->err, "%s: tensor '%s': expected a \"dtype\" string",
			       r->path, shown(name, b));
	if (strcmp(dtype->string, "F32") != 0)
		return dm_fail(r->err, "%s: tensor '%s': dtype %s, expected F32",
			       r->path, shown(name, b), shown(dtype->string, d));
	return 0;
}

static int read_shape(reader *r, const char *name, const dm_json *info,
		      dm_tensor *t, uint64_t *bytes)
{
	const dm_json *shape = dm_json_get(info, "shape");
	uint64_t dims[DM_MAX_DIMS], count;
	char b[96];
	size_t i;
	if (!shape || shape->type != DM_JSON_ARRAY)
		return dm_fail(r->err, "%s: tensor '%s': expected a \"shape\" array",
			       r->path, shown(name, b));
	if (shape->len > DM_MAX_DIMS)
		return dm_fail(r->err, "%s: tensor '%s': shape has %zu dimensions, "
			       "expected at most %d", r->path, shown(name, b),
			       shape->len, DM_MAX_DIMS);
	for (i = 0; i < shape->len; i++)
		if (json_u64(&shape->items[i], &dims[i]))
			return dm_fail(r->err, "%s: tensor '%s': shape[%zu]: expected "
				       "a non-negative integer", r->path,
				       shown(name, b), i);
	if (shape_bytes(dims, shape->len, &count, bytes) || count > SIZE_MAX)
		return dm_fail(r->err, "%s: tensor '%s': the shape's element count "
			       "overflows", r->path, shown(name, b));
	t->ndim = shape->len;
	for (i = 0; i < shape->len; i++)
		t->shape[i] = (size_t)dims[i];
	t->count = (size_t)count;
	return 0;
}

static int read_offsets(reader *r, const char *name, const dm_json *info,
			uint64_t bytes, range *rg)
{
	const dm_json *off = dm_json_get(info, "data_offsets");
	char b[96];
	if (!off || off->type != DM_JSON_ARRAY || off->len != 2 ||
	    json_u64(&off->items[0], &rg->begin) || json_u64(&off->items[1], &rg->end))
		return dm_fail(r->err, "%s: tensor '%s': expected \"data_offsets\" "
			       "[begin, end] of non-negative integers", r->path,
			       shown(name, b));
	if (rg->begin > rg->end)
		return dm_fail(r->err, "%s: tensor '%s': data_offsets [%" PRIu64 ", %"
			       PRIu64 "] end before they begin", r->path,
			       shown(name, b), rg->begin, rg->end);
	if (rg->end > r->data_size)
		return dm_fail(r->err, "%s: tensor '%s': data_offsets [%" PRIu64 ", %"
			       PRIu64 "] run past the end of the data (%" PRIu64
			       " bytes)", r->path, shown(name, b), rg->begin, rg->end,
			       r->data_size);
	if (rg->end - rg->begin != bytes)
		return dm_fail(r->err, "%s: tensor '%s': the shape needs %" PRIu64
			       " bytes, data_offsets [%" PRIu64 ", %" PRIu64 "] hold %"
			       PRIu64, r->path, shown(name, b), bytes, rg->begin,
			       rg->end, rg->end - rg->begin);
	return 0;
}

static int read_info(reader *r, const char *name, const dm_json *info,
		     size_t index)
{
	dm_tensor *t = &r->out->tensors[index];
	uint64_t bytes = 0;   /* set by read_shape; GCC cannot tell */
	char b[96];
	if (!*name)
		return dm_fail(r->err, "%s: tensor '': expected a non-empty name", r->path);
	if (info->type != DM_JSON_OBJECT)
		return dm_fail(r->err, "%s: tensor '%s': expected an object", r->path,
			       shown(name, b));
	if (!(t->name = dm_strdup(name, r->err)))
		return dm_error_prefix(r->err, "%s", r->path);
	if (read_dtype(r, name, info) || read_shape(r, name, info, t, &bytes) ||
	    read_offsets(r, name, info, bytes, &r->ranges[index]))
		return -1;
	r->ranges[index].index = index;
	return 0;
}

static int cmp_ranges(const void *a, const void *b)
{
	const range *x = a, *y = b;
	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* The ranges must tile [0, data_size) exactly: no overlap, no hole. */
static int check_layout(reader *r)
{
	size_t n = r->out->ntensors, i;
	range *s = dm_calloc(n, sizeof *s, r->err);
	const dm_tensor *t = r->out->tensors;
	uint64_t at = 0;
	char b1[96], b2[96];
	int rc = 0;
	if (!s)
		return dm_error_prefix(r->err, "%s", r->path);
	memcpy(s, r->ranges, n * sizeof *s);
	qsort(s, n, sizeof *s, cmp_ranges);
	for (i = 0; i < n && rc == 0; i++) {
		if (s[i].begin < at)
			rc = dm_fail(r->err, "%s: tensors '%s' and '%s' overlap (bytes "
				     "[%" PRIu64 ", %" PRIu64 ") of the data)", r->path,
				     shown(t[s[i - 1].index].name, b1),
				     shown(t[s[i].index].name, b2), s[i].begin, at);
		else if (s[i].begin > at)
			rc = dm_fail(r->err, "%s: tensor '%s': bytes [%" PRIu64 ", %"
				     PRIu64 ") of the data before it belong to no tensor",
				     r->path, shown(t[s[i].index].name, b1), at, s[i].begin);
		at = s[i].end;
	}
	if (rc == 0 && at != r->data_size)
		rc = dm_fail(r->err, "%s: bytes [%" PRIu64 ", %" PRIu64 ") at the end "
			     "of the data belong to no tensor%s%s%s", r->path, at,
			     r->data_size, n ? " (after tensor '" : "",
			     n ? shown(t[s[n - 1].index].name, b1) : "", n ? "')" : "");
	free(s);
	return rc;
}

static int read_tensor_data(reader *r, size_t index)
{
	dm_tensor *t = &r->out->tensors[index];
	unsigned char *raw;
	char b[96], what[128];
	size_t k;
	if (!(t->data = dm_alloc_floats(t->count, r->err)))
		return dm_error_prefix(r->err, "%s: tensor '%s'", r->path,
				       shown(t->name, b));
	raw = (unsigned char *)t->data;
	if (read_at(r->fd, r->mem, r->mem_size, raw, t->count * 4, r->data_start + r->ranges[index].begin)) {
		snprintf(what, sizeof what, "tensor '%s'", shown(t->name, b));
		return read_error(r->path, what, r->err);
	}
	/* in place: each float is decoded from the 4 bytes it occupies */
	for (k = 0; k < t->count; k++)
		t->data[k] = load_f32le(raw + 4 * k);
	return 0;
}

static int read_tensors(reader *r, const dm_json *root)
{
	size_t i, n = 0;
	for (i = 0; i < root->len; i++)
		n += strcmp(root->keys[i], META_KEY) != 0;
	r->out->tensors = dm_calloc(n, sizeof *r->out->tensors, r->err);
	r->ranges = dm_calloc(n, sizeof *r->ranges, r->err);
	if (!r->out->tensors || !r->ranges)
		return dm_error_prefix(r->err, "%s", r->path);
	for (i = 0; i < root->len; i++) {
		if (strcmp(root->keys[i], META_KEY) == 0) {
			if (read_meta(r, &root->items[i]))
				return -1;
		} else if (read_info(r, root->keys[i], &root->items[i],
				     r->out->ntensors++)) {
			return -1;
		}
	}
	if (check_layout(r))
		return -1;
	for (i = 0; i < n; i++)
		if (read_tensor_data(r, i))
			return -1;
	return 0;
}

/* The 8-byte length and the header JSON. */
static dm_json *read_header(reader *r, uint64_t file_size)
{
	unsigned char len8[8];
	uint64_t hlen = 0;
	char *text;
	dm_json *root;
	int i;
	if (file_size < 8)
		return dm_fail(r->err, "%s: truncated: %" PRIu64 " bytes, expected at "
			       "least 8 (the header length)", r->path, file_size), NULL;
	if (read_at(r->fd, r->mem, r->mem_size, len8, 8, 0))
		return read_error(r->path, "header length", r->err), NULL;
	for (i = 7; i >= 0; i--)
		hlen = hlen << 8 | len8[i];
	if (hlen > HEADER_MAX)
		return dm_fail(r->err, "%s: header length %" PRIu64 ", expected at most "
			       "%u", r->path, hlen, HEADER_MAX), NULL;
	if (hlen > file_size - 8)
		return dm_fail(r->err, "%s: header length %" PRIu64 " runs past the "
			       "end of the file (%" PRIu64 " bytes)", r->path, hlen,
			       file_size), NULL;
	if (!(text = dm_malloc((size_t)hlen, r->err)))
		return dm_error_prefix(r->err, "%s", r->path), NULL;
	if (read_at(r->fd, r->mem, r->mem_size, text, (size_t)hlen, 8)) {
		read_error(r->path, "header", r->err);
		free(text);
		return NULL;
	}
	root = dm_json_parse(text, (size_t)hlen, r->err);
	free(text);
	if (!root)
		return dm_error_prefix(r->err, "%s: header", r->path), NULL;
	if (root->type != DM_JSON_OBJECT) {
		dm_json_delete(root);
		return dm_fail(r->err, "%s: header: expected a JSON object", r->path),
		       NULL;
	}
	r->data_start = 8 + hlen;
	r->data_size = file_size - 8 - hlen;
	return root;
}

int dm_safetensors_read(const char *path, dm_safetensors *out, dm_error *err)
{
	reader r = {path, -1, NULL, 0, 0, 0, NULL, out, err};
	uint64_t size = 0;
	dm_json *root = NULL;
	int rc = -1;
	memset(out, 0, sizeof *out);
	if ((r.fd = dm_open_sized(path, &size, err)) < 0)
		return -1;
	if ((root = read_header(&r, size)) != NULL)
		rc = read_tensors(&r, root);
	close(r.fd);
	dm_json_delete(root);
	free(r.ranges);
	if (rc)
		dm_safetensors_free(out);
	return rc;
}

int dm_safetensors_parse(const char *name, const void *data, size_t size, dm_safetensors *out,
			 dm_error *err)
{
	reader r = {name, -1, data, size, 0, 0, NULL, out, err};
	dm_json *root;
	int rc = -1;
	memset(out, 0, sizeof *out);
	if ((root = read_header(&r, size)) != NULL)
		rc = read_tensors(&r, root);
	dm_json_delete(root);
	free(r.ranges);
	if (rc)
		dm_safetensors_free(out);
	return rc;
}

const dm_tensor *dm_safetensors_find(const dm_safetensors *st, const char *name)
{
	size_t i;
	for (i = 0; i < st->ntensors; i++)
		if (strcmp(st->tensors[i].name, name) == 0)
			return &st->tensors[i];
	return NULL;
}

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);
	return n >= t && !strcmp(s + n - t, tail);
}

int dm_tensor_is_constant(const char *name)
{
	return !strcmp(name, "input.shift") || !strcmp(name, "input.scale") ||
	       ends_with(name, ".running_mean") || ends_with(name, ".running_var") ||
	       ends_with(name, ".num_batches_tracked");
}

void dm_safetensors_count(const dm_safetensors *st, size_t *parameters,
			  size_t *constants)
{
	size_t i;
	*parameters = *constants = 0;
	for (i = 0; i < st->ntensors; i++)
		*(dm_tensor_is_constant(st->tensors[i].name) ? constants : parameters) +=
			st->tensors[i].count;
}

const char *dm_safetensors_meta(const dm_safetensors *st, const char *key)
{
	size_t i;
	for (i = 0; i < st->nmeta; i++)
		if (strcmp(st->meta[i].key, key) == 0)
			return st->meta[i].value;
	return NULL;
}

void dm_safetensors_free(dm_safetensors *st)
{
	size_t i;
	if (!st)
		return;
	for (i = 0; i < st->ntensors; i++) {
		free(st->tensors[i].name);
		free(st->tensors[i].data);
	}
	for (i = 0; i < st->nmeta; i++) {
		free(st->meta[i].key);
		free(st->meta[i].value);
	}
	free(st->tensors);
	free(st->meta);
	memset(st, 0, sizeof *st);
}
