/* ftbin.c - fastText 0.9.2's .bin: see ftbin.h for the layout.  Written
 * from the format as fastText's saveModel/loadModel lay it out (args,
 * dictionary, two dense matrices), not from its code. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "base/text.h"
#include "fasttext/ftbin.h"
#include "output/atomic.h"

static int host_is_le(void)
{
	const uint16_t one = 1;
	unsigned char b;
	memcpy(&b, &one, 1);
	return b == 1;
}

/* ---- reading ---- */

/* Bytes come either from a FILE or from memory; off counts them and left
 * is what the file still holds, so that every count can be checked
 * before anything is allocated for it. */
typedef struct src {
	FILE *f;
	const unsigned char *p;
	uint64_t off, left;
	const char *where;
	const char *section;
} src;

static int truncated(src *s, uint64_t need, const char *what, dm_error *err)
{
	return dm_fail(err, "%s: truncated in the %s at byte %" PRIu64 ": expected %" PRIu64
		       " bytes (%s), found %" PRIu64,
		       s->where, s->section, s->off, need, what, s->left);
}

static int take(src *s, void *dst, uint64_t n, const char *what, dm_error *err)
{
	if (n > s->left)
		return truncated(s, n, what, err);
	if (s->f) {
		if (n && fread(dst, 1, (size_t)n, s->f) != n)
			return dm_fail(err, "%s: read error in the %s at byte %" PRIu64
				       " (the file changed while it was read?)",
				       s->where, s->section, s->off);
	} else if (n) {
		memcpy(dst, s->p + s->off, (size_t)n);
	}
	s->off += n;
	s->left -= n;
	return 0;
}

static int take_u32(src *s, uint32_t *v, const char *what, dm_error *err)
{
	unsigned char b[4];
	if (take(s, b, 4, what, err))
		return -1;
	*v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return 0;
}

static int take_i32(src *s, int32_t *v, const char *what, dm_error *err)
{
	uint32_t u;
	if (take_u32(s, &u, what, err))
		return -1;
	memcpy(v, &u, 4); /* two's complement on every Debian architecture */
	return 0;
}

static int take_u64(src *s, uint64_t *v, const char *what, dm_error *err)
{
	uint32_t lo, hi;
	if (take_u32(s, &lo, what, err) || take_u32(s, &hi, what, err))
		return -1;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

static int take_i64(src *s, int64_t *v, const char *what, dm_error *err)
{
	uint64_t u;
	if (take_u64(s, &u, what, err))
		return -1;
	memcpy(v, &u, 8);
	return 0;
}

static int take_flag(src *s, int *v, const char *what, dm_error *err)
{
	unsigned char b;
	uint64_t at = s->off;
	if (take(s, &b, 1, what, err))
		return -1;
	if (b > 1)
		return dm_fail(err, "%s: byte %" PRIu64 " (%s): %u, expected 0 or 1 (a C++ bool)",
			       s->where, at, what, b);
	*v = b;
	return 0;
}

static void swap32(unsigned char *p, uint64_t count)
{
	uint64_t i;
	for (i = 0; i < count; i++, p += 4) {
		unsigned char a = p[0], b = p[1];
		p[0] = p[3], p[1] = p[2], p[2] = b, p[3] = a;
	}
}

static int take_matrix(src *s, dm_ft_matrix *mx, const char *name, dm_error *err)
{
	uint64_t at = s->off, count;
	s->section = name;
	if (take_i64(s, &mx->m, "its row count m, int64", err) ||
	    take_i64(s, &mx->n, "its column count n, int64", err))
		return -1;
	if (mx->m < 0 || mx->n < 0)
		return dm_fail(err, "%s: the %s at byte %" PRIu64 ": shape %" PRId64 " x %" PRId64
			       ", expected counts of 0 or more",
			       s->where, name, at, mx->m, mx->n);
	if (mx->n && (uint64_t)mx->m > s->left / 4 / (uint64_t)mx->n)
		return dm_fail(err, "%s: the %s at byte %" PRIu64 ": shape %" PRId64 " x %" PRId64
			       " needs %s bytes of float32, but only %" PRIu64 " are left",
			       s->where, name, at, mx->m, mx->n,
			       (uint64_t)mx->m > UINT64_MAX / 4 / (uint64_t)mx->n ? "more than 2^64"
										   : "more", s->left);
	count = (uint64_t)mx->m * (uint64_t)mx->n;
	if (count > SIZE_MAX / 4)
		return dm_fail(err, "%s: the %s at byte %" PRIu64 ": %" PRIu64
			       " floats do not fit in this machine's memory",
			       s->where, name, at, count);
	mx->data = dm_alloc_floats(count ? (size_t)count : 1, err);
	if (!mx->data)
		return dm_error_prefix(err, "%s: the %s", s->where, name);
	if (take(s, mx->data, count * 4, "its float32 values", err))
		return -1;
	if (!host_is_le())
		swap32((unsigned char *)mx->data, count);
	return 0;
}

static int take_word(src *s, dm_ft_entry *e, dm_error *err)
{
	size_t cap = 16, len = 0;
	char *w = malloc(cap);
	if (!w)
		return dm_fail(err, "%s: out of memory reading the dictionary", s->where);
	for (;;) {
		int c;
		if (!s->left) {
			free(w);
			return truncated(s, 1, "a word's bytes up to its NUL", err);
		}
		if (s->f) {
			if ((c = getc(s->f)) == EOF) {
				free(w);
				return dm_fail(err, "%s: read error in the %s at byte %" PRIu64,
					       s->where, s->section, s->off);
			}
		} else {
			c = s->p[s->off];
		}
		s->off++, s->left--;
		if (len + 1 >= cap) {
			char *g = realloc(w, cap *= 2);
			if (!g) {
				free(w);
				return dm_fail(err, "%s: out of memory reading the dictionary", s->where);
			}
			w = g;
		}
		w[len] = (char)c;
		if (!c)
			break;
		len++;
	}
	e->word = w;
	e->len = len;
	return 0;
}

static int bad_enum(src *s, uint64_t at, const char *what, int32_t v, const char *expected,
		    dm_error *err)
{
	return dm_fail(err, "%s: the args at byte %" PRIu64 ": %s %" PRId32 ", expected %s",
		       s->where, at, what, v, expected);
}

static int read_args(src *s, dm_ft_model *m, dm_error *err)
{
	dm_ft_args *a = &m->args;
	int32_t *ints[] = {&a->dim,  &a->ws,	 &a->epoch, &a->min_count, &a->neg,  &a->word_ngrams,
			   &a->loss, &a->model, &a->bucket, &a->minn,	   &a->maxn, &a->lr_update_rate};
	static const char *names[] = {"dim",   "ws",	 "epoch",  "minCount", "neg",  "wordNgrams",
				      "loss",  "model",	 "bucket", "minn",     "maxn", "lrUpdateRate"};
	uint64_t start = s->off, bits;
	size_t i;
	char what[64];
	s->section = "args";
	for (i = 0; i < sizeof ints / sizeof ints[0]; i++) {
		snprintf(what, sizeof what, "%s, int32", names[i]);
		if (take_i32(s, ints[i], what, err))
			return -1;
	}
	if (take_u64(s, &bits, "t, float64", err))
		return -1;
	memcpy(&a->t, &bits, 8);
	if (a->loss < DM_FT_LOSS_HS || a->loss > DM_FT_LOSS_OVA)
		return bad_enum(s, start + 24, "loss", a->loss, "1 (hs), 2 (ns), 3 (softmax) or 4 (ova)", err);
	if (a->model < DM_FT_MODEL_CBOW || a->model > DM_FT_MODEL_SUPERVISED)
		return bad_enum(s, start + 28, "model", a->model,
				"1 (cbow), 2 (skipgram) or 3 (supervised)", err);
	/* fastText 0.9.2 reading a version 11 file: old supervised models
	 * had no character n-grams */
	if (m->version == 11 && a->model == DM_FT_MODEL_SUPERVISED)
		a->maxn = 0;
	return 0;
}

static int read_dict(src *s, dm_ft_model *m, dm_error *err)
{
	uint64_t at = s->off;
	int32_t i, nw = 0, nl = 0;
	char section[64];
	s->section = "dictionary";
	if (take_i32(s, &m->size, "size, int32", err) || take_i32(s, &m->nwords, "nwords, int32", err) ||
	    take_i32(s, &m->nlabels, "nlabels, int32", err) ||
	    take_i64(s, &m->ntokens, "ntokens, int64", err) ||
	    take_i64(s, &m->pruneidx_size, "pruneidx_size, int64", err))
		return -1;
	if (m->size < 0 || m->nwords < 0 || m->nlabels < 0 ||
	    (int64_t)m->nwords + m->nlabels != m->size)
		return dm_fail(err, "%s: the dictionary at byte %" PRIu64 ": size %" PRId32
			       ", nwords %" PRId32 ", nlabels %" PRId32
			       ", expected counts of 0 or more with nwords + nlabels = size",
			       s->where, at, m->size, m->nwords, m->nlabels);
	/* an entry takes at least 10 bytes: a NUL, count, type */
	if ((uint64_t)m->size > s->left / 10)
		return dm_fail(err, "%s: the dictionary at byte %" PRIu64 ": %" PRId32
			       " entries need at least %" PRIu64 " bytes, but only %" PRIu64
			       " are left",
			       s->where, at, m->size, (uint64_t)m->size * 10, s->left);
	m->entries = dm_calloc(m->size ? (size_t)m->size : 1, sizeof *m->entries, err);
	if (!m->entries)
		return dm_error_prefix(err, "%s: the dictionary", s->where);
	for (i = 0; i < m->size; i++) {
		dm_ft_entry *e = &m->entries[i];
		uint64_t eat = s->off;
		unsigned char type;
		snprintf(section, sizeof section, "dictionary's entry %" PRId32, i);
		s->section = section;
		if (take_word(s, e, err) || take_i64(s, &e->count, "its count, int64", err) ||
		    take(s, &type, 1, "its type, int8", err))
			return -1;
		if (type > DM_FT_ENTRY_LABEL)
			return dm_fail(err, "%s: the dictionary's entry %" PRId32 " at byte %" PRIu64
				       ": type %u, expected 0 (word) or 1 (label)",
				       s->where, i, eat, type);
		e->type = (int8_t)type;
		if (type == DM_FT_ENTRY_WORD && nl > 0) {
			char shown[160];
			return dm_fail(err, "%s: the dictionary's entry %" PRId32 " at byte %" PRIu64
				       " ('%s'): a word after a label, expected the words first",
				       s->where, i, eat, dm_printable(e->word, shown, sizeof shown));
		}
		*(type == DM_FT_ENTRY_WORD ? &nw : &nl) += 1;
	}
	if (nw != m->nwords)
		return dm_fail(err, "%s: the dictionary at byte %" PRIu64 ": nwords %" PRId32
			       " but %" PRId32 " entries are words",
			       s->where, at, m->nwords, nw);
	s->section = "dictionary";
	if (m->pruneidx_size > 0) {
		int64_t k;
		if ((uint64_t)m->pruneidx_size > s->left / 8)
			return dm_fail(err, "%s: the dictionary at byte %" PRIu64 ": pruneidx_size %" PRId64
				       " needs %s bytes, but only %" PRIu64 " are left",
				       s->where, s->off, m->pruneidx_size, "more", s->left);
		m->pruneidx = dm_calloc((size_t)m->pruneidx_size, sizeof *m->pruneidx, err);
		if (!m->pruneidx)
			return dm_error_prefix(err, "%s: the dictionary", s->where);
		for (k = 0; k < m->pruneidx_size; k++)
			if (take_i32(s, &m->pruneidx[k][0], "a pruneidx key, int32", err) ||
			    take_i32(s, &m->pruneidx[k][1], "a pruneidx value, int32", err))
				return -1;
	}
	return 0;
}

static int read_model(src *s, dm_ft_model *m, dm_error *err)
{
	uint32_t magic;
	int flag;
	uint64_t at;
	memset(m, 0, sizeof *m);
	s->section = "header";
	if (take_u32(s, &magic, "the magic number, int32", err))
		return -1;
	if (magic != DM_FT_MAGIC)
		return dm_fail(err, "%s: byte 0: magic number %" PRIu32
			       ", expected %d (a fastText .bin)",
			       s->where, magic, DM_FT_MAGIC);
	if (take_i32(s, &m->version, "the version, int32", err))
		return -1;
	if (m->version != 11 && m->version != DM_FT_VERSION)
		return dm_fail(err, "%s: byte 4: version %" PRId32
			       ", expected 12 (fastText 0.9.2) or 11",
			       s->where, m->version);
	if (read_args(s, m, err) || read_dict(s, m, err))
		return -1;
	s->section = "input matrix";
	at = s->off;
	if (take_flag(s, &flag, "quant_input", err))
		return -1;
	if (flag)
		return dm_fail(err, "%s: byte %" PRIu64 ": a quantised model (.ftz, quant_input "
			       "set), expected an unquantised .bin: quantised models are not "
			       "supported", s->where, at);
	if (m->pruneidx_size >= 0)
		return dm_fail(err, "%s: the dictionary: pruneidx_size %" PRId64
			       " in an unquantised model, expected -1 (fastText refuses it too)",
			       s->where, m->pruneidx_size);
	if (take_matrix(s, &m->input, "input matrix", err))
		return -1;
	s->section = "output matrix";
	at = s->off;
	if (take_flag(s, &flag, "qout", err))
		return -1;
	if (flag)
		return dm_fail(err, "%s: byte %" PRIu64 ": qout set (a quantised output matrix), "
			       "expected 0", s->where, at);
	if (take_matrix(s, &m->output, "output matrix", err))
		return -1;
	if (s->left)
		return dm_fail(err, "%s: %" PRIu64 " bytes after the output matrix at byte %" PRIu64
			       ", expected the end of the file", s->where, s->left, s->off);
	return 0;
}

int dm_ft_is_bin(const void *buf, size_t n)
{
	const unsigned char *b = buf;
	return n >= 4 && ((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
			  (uint32_t)b[3] << 24) == DM_FT_MAGIC;
}

int dm_ft_read_stream(FILE *f, uint64_t size, const char *where, dm_ft_model *m, dm_error *err)
{
	src s = {f, NULL, 0, size, where, "header"};
	if (read_model(&s, m, err)) {
		dm_ft_free(m);
		return -1;
	}
	return 0;
}

int dm_ft_read_mem(const void *buf, size_t n, const char *where, dm_ft_model *m, dm_error *err)
{
	src s = {NULL, buf, 0, n, where, "header"};
	if (read_model(&s, m, err)) {
		dm_ft_free(m);
		return -1;
	}
	return 0;
}

int dm_ft_read(const char *path, dm_ft_model *m, dm_error *err)
{
	uint64_t size;
	FILE *f;
	int fd = dm_open_sized(path, &size, err), rc;
	memset(m, 0, sizeof *m);
	if (fd < 0)
		return -1;
	if (!(f = fdopen(fd, "rb"))) {
		close(fd);
		return dm_fail(err, "%s: fdopen failed", path);
	}
	rc = dm_ft_read_stream(f, size, path, m, err);
	fclose(f);
	return rc;
}

/* ---- writing ---- */

int dm_ft_check(const dm_ft_model *m, const char *where, dm_error *err)
{
	int32_t i;
	if (m->size < 0 || m->nwords < 0 || m->nlabels < 0 ||
	    (int64_t)m->nwords + m->nlabels != m->size)
		return dm_fail(err, "%s: size %" PRId32 ", nwords %" PRId32 ", nlabels %" PRId32
			       ": expected nwords + nlabels = size",
			       where, m->size, m->nwords, m->nlabels);
	if (m->size && !m->entries)
		return dm_fail(err, "%s: %" PRId32 " entries but none given", where, m->size);
	for (i = 0; i < m->size; i++) {
		const dm_ft_entry *e = &m->entries[i];
		int want = i < m->nwords ? DM_FT_ENTRY_WORD : DM_FT_ENTRY_LABEL;
		if (!e->word || strlen(e->word) != e->len)
			return dm_fail(err, "%s: entry %" PRId32 ": its word is missing or holds a NUL",
				       where, i);
		if (e->type != want)
			return dm_fail(err, "%s: entry %" PRId32 " ('%s'): type %d, expected %d "
				       "(the nwords words first, then the labels)",
				       where, i, e->word, e->type, want);
	}
	if (m->pruneidx_size > 0 && !m->pruneidx)
		return dm_fail(err, "%s: pruneidx_size %" PRId64 " but no pairs", where,
			       m->pruneidx_size);
	if (m->input.m < 0 || m->input.n < 0 || m->output.m < 0 || m->output.n < 0 ||
	    (m->input.m && m->input.n && !m->input.data) ||
	    (m->output.m && m->output.n && !m->output.data))
		return dm_fail(err, "%s: a matrix with a negative shape or no data", where);
	return 0;
}

uint64_t dm_ft_size(const dm_ft_model *m)
{
	uint64_t n = 8 + 12 * 4 + 8 + 3 * 4 + 2 * 8;
	int32_t i;
	for (i = 0; i < m->size; i++)
		n += m->entries[i].len + 1 + 8 + 1;
	if (m->pruneidx_size > 0)
		n += (uint64_t)m->pruneidx_size * 8;
	n += 1 + 16 + (uint64_t)(m->input.m * m->input.n) * 4;
	n += 1 + 16 + (uint64_t)(m->output.m * m->output.n) * 4;
	return n;
}

/* Bytes go into a buffer; matrices, large, are pieces of their own. */
typedef struct dst {
	unsigned char *p;
	size_t n, cap;
	int oom;
} dst;

static void put(dst *d, const void *b, size_t n)
{
	if (d->oom)
		return;
	if (d->n + n > d->cap) {
		size_t cap = d->cap ? d->cap : 4096;
		unsigned char *g;
		while (cap < d->n + n)
			cap *= 2;
		if (!(g = realloc(d->p, cap))) {
			d->oom = 1;
			return;
		}
		d->p = g, d->cap = cap;
	}
	memcpy(d->p + d->n, b, n);
	d->n += n;
}

static void put_u32(dst *d, uint32_t v)
{
	unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
			      (unsigned char)(v >> 24)};
	put(d, b, 4);
}

static void put_i32(dst *d, int32_t v)
{
	uint32_t u;
	memcpy(&u, &v, 4);
	put_u32(d, u);
}

static void put_u64(dst *d, uint64_t v)
{
	put_u32(d, (uint32_t)v);
	put_u32(d, (uint32_t)(v >> 32));
}

static void put_i64(dst *d, int64_t v)
{
	uint64_t u;
	memcpy(&u, &v, 8);
	put_u64(d, u);
}

/* Everything before the input matrix's floats (head), and what comes
 * between them and the output matrix's floats (mid). */
static int encode(const dm_ft_model *m, dst *head, dst *mid, dm_error *err)
{
	const dm_ft_args *a = &m->args;
	const int32_t ints[] = {a->dim,	 a->ws,	   a->epoch,  a->min_count, a->neg,  a->word_ngrams,
				a->loss, a->model, a->bucket, a->minn,	    a->maxn, a->lr_update_rate};
	uint64_t bits;
	size_t i;
	int32_t e;
	put_u32(head, DM_FT_MAGIC);
	put_i32(head, DM_FT_VERSION);
	for (i = 0; i < sizeof ints / sizeof ints[0]; i++)
		put_i32(head, ints[i]);
	memcpy(&bits, &a->t, 8);
	put_u64(head, bits);
	put_i32(head, m->size);
	put_i32(head, m->nwords);
	put_i32(head, m->nlabels);
	put_i64(head, m->ntokens);
	put_i64(head, m->pruneidx_size);
	for (e = 0; e < m->size; e++) {
		unsigned char type = (unsigned char)m->entries[e].type;
		put(head, m->entries[e].word, m->entries[e].len + 1);
		put_i64(head, m->entries[e].count);
		put(head, &type, 1);
	}
	for (i = 0; m->pruneidx_size > 0 && i < (uint64_t)m->pruneidx_size; i++) {
		put_i32(head, m->pruneidx[i][0]);
		put_i32(head, m->pruneidx[i][1]);
	}
	put(head, "", 1); /* quant_input: false */
	put_i64(head, m->input.m);
	put_i64(head, m->input.n);
	put(mid, "", 1); /* qout: false */
	put_i64(mid, m->output.m);
	put_i64(mid, m->output.n);
	if (head->oom || mid->oom)
		return dm_fail(err, "out of memory encoding a fastText model");
	return 0;
}

/* The floats of x little-endian: x itself on a little-endian host, else a
 * swapped copy in *copy. */
static const void *le_floats(const dm_ft_matrix *x, void **copy, dm_error *err)
{
	size_t n = (size_t)(x->m * x->n) * 4;
	*copy = NULL;
	if (host_is_le() || !n)
		return x->data;
	if (!(*copy = dm_malloc(n, err)))
		return NULL;
	memcpy(*copy, x->data, n);
	swap32(*copy, (uint64_t)(x->m * x->n));
	return *copy;
}

/* The four pieces of the file: head, input floats, mid, output floats. */
static int pieces(const dm_ft_model *m, const char *where, dst *head, dst *mid, dm_piece p[4],
		  void *copies[2], dm_error *err)
{
	copies[0] = copies[1] = NULL;
	if (dm_ft_check(m, where, err) || encode(m, head, mid, err))
		return -1;
	p[0].data = head->p, p[0].n = head->n;
	p[1].data = le_floats(&m->input, &copies[0], err);
	p[1].n = (size_t)(m->input.m * m->input.n) * 4;
	p[2].data = mid->p, p[2].n = mid->n;
	p[3].data = le_floats(&m->output, &copies[1], err);
	p[3].n = (size_t)(m->output.m * m->output.n) * 4;
	if ((p[1].n && !p[1].data) || (p[3].n && !p[3].data))
		return -1;
	return 0;
}

static void pieces_free(dst *head, dst *mid, void *copies[2])
{
	free(head->p);
	free(mid->p);
	free(copies[0]);
	free(copies[1]);
}

int dm_ft_write_stream(const dm_ft_model *m, FILE *f, const char *where, dm_error *err)
{
	dst head = {0}, mid = {0};
	dm_piece p[4];
	void *copies[2];
	int i, rc = -1;
	if (pieces(m, where, &head, &mid, p, copies, err))
		goto out;
	for (i = 0; i < 4; i++)
		if (p[i].n && fwrite(p[i].data, 1, p[i].n, f) != p[i].n) {
			dm_fail(err, "%s: write failed", where);
			goto out;
		}
	rc = 0;
out:
	pieces_free(&head, &mid, copies);
	return rc;
}

int dm_ft_write_mem(const dm_ft_model *m, unsigned char **buf, size_t *n, dm_error *err)
{
	dst head = {0}, mid = {0};
	dm_piece p[4];
	void *copies[2];
	size_t total = 0;
	int i, rc = -1;
	*buf = NULL, *n = 0;
	if (pieces(m, "fastText model", &head, &mid, p, copies, err))
		goto out;
	for (i = 0; i < 4; i++)
		total += p[i].n;
	if (!(*buf = dm_malloc(total ? total : 1, err)))
		goto out;
	for (i = 0; i < 4; i++) {
		if (p[i].n)
			memcpy(*buf + *n, p[i].data, p[i].n);
		*n += p[i].n;
	}
	rc = 0;
out:
	pieces_free(&head, &mid, copies);
	return rc;
}

int dm_ft_write(dm_atomic *a, const dm_ft_model *m, const char *path, dm_error *err)
{
	dst head = {0}, mid = {0};
	dm_piece p[4];
	void *copies[2];
	int rc = -1;
	if (!pieces(m, path, &head, &mid, p, copies, err))
		rc = dm_atomic_writev(a, path, p, 4, err);
	pieces_free(&head, &mid, copies);
	return rc;
}

const char *dm_ft_model_name(int32_t model)
{
	static const char *names[] = {"cbow", "skipgram", "supervised"};
	return model >= 1 && model <= 3 ? names[model - 1] : "?";
}

const char *dm_ft_loss_name(int32_t loss)
{
	static const char *names[] = {"hs", "ns", "softmax", "ova"};
	return loss >= 1 && loss <= 4 ? names[loss - 1] : "?";
}

void dm_ft_free(dm_ft_model *m)
{
	int32_t i;
	if (m->entries)
		for (i = 0; i < m->size; i++)
			free(m->entries[i].word);
	free(m->entries);
	free(m->pruneidx);
	free(m->input.data);
	free(m->output.data);
	memset(m, 0, sizeof *m);
}
