/* vec.c - word vectors out: the .bin's view, fastText's getWordVector and
 * its .vec (vectors.h). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fasttext/vectors.h"
#include "math/fmath.h"
#include "math/fp.h"
#include "output/atomic.h"

int dm_ftv_model_view(const dm_text_dict *d, const dm_ftv_cfg *cfg, const dm_ftv_weights *w,
		      dm_ft_model *m, dm_error *err)
{
	memset(m, 0, sizeof *m);
	m->version = DM_FT_VERSION;
	m->args = (dm_ft_args){.dim = cfg->dim, .ws = cfg->ws, .epoch = cfg->epoch,
			       .min_count = (int32_t)d->cfg.min_count, .neg = cfg->neg,
			       .word_ngrams = d->cfg.word_ngrams, .loss = DM_FT_LOSS_NS,
			       .model = cfg->model, .bucket = (int32_t)d->cfg.bucket,
			       .minn = d->cfg.minn, .maxn = d->cfg.maxn, .lr_update_rate = 100,
			       .t = cfg->t};
	m->size = (int32_t)d->size;
	m->nwords = d->nwords;
	m->nlabels = d->nlabels;
	m->ntokens = d->ntokens;
	m->pruneidx_size = -1;
	if (!(m->entries = dm_calloc(d->size ? d->size : 1, sizeof *m->entries, err)))
		return -1;
	for (size_t i = 0; i < d->size; i++) {
		m->entries[i].word = (char *)d->e[i].word;
		m->entries[i].len = d->e[i].len;
		m->entries[i].count = d->e[i].count;
		m->entries[i].type = d->e[i].type == DM_TEXT_LABEL ? DM_FT_ENTRY_LABEL : DM_FT_ENTRY_WORD;
	}
	m->input = (dm_ft_matrix){w->rows, w->dim, w->input};
	m->output = (dm_ft_matrix){w->nwords, w->dim, w->output};
	return 0;
}

int dm_ftv_word_vector(const dm_text_dict *d, const float *input, int32_t dim, const char *w,
		       size_t len, float *out, dm_text_ids *scratch, dm_error *err)
{
	int32_t id = dm_text_dict_find(d, w, len, dm_text_hash(w, len));
	const int32_t *rows;
	size_t n;
	if (id >= 0 && id < d->nwords) {
		rows = dm_text_dict_word_rows(d, id, &n);
	} else {
		/* fastText's getSubwords of an unknown word (or a label): its
		 * n-grams alone; "</s>" has none */
		scratch->n = 0;
		if (!dm_text_is_eos(w, len) &&
		    dm_text_subwords(w, len, d->cfg.minn, d->cfg.maxn, d->cfg.bucket, d->nwords,
				     scratch, err))
			return -1;
		if (id >= 0 && dm_text_ids_push(scratch, id, err))
			return -1;
		rows = scratch->v;
		n = scratch->n;
		/* fastText puts a label's own id first */
		if (id >= 0) {
			memmove(scratch->v + 1, scratch->v, (n - 1) * sizeof *scratch->v);
			scratch->v[0] = id;
		}
	}
	memset(out, 0, (size_t)dim * sizeof *out);
	for (size_t q = 0; q < n; q++) {
		const float *row = input + (size_t)rows[q] * (size_t)dim;
		for (int32_t j = 0; j < dim; j++)
			out[j] = f_add(out[j], row[j]);
	}
	if (n) {
		/* fastText's vec.mul(1.0 / ngrams.size()) */
		float a = (float)(1.0 / (double)n);
		for (int32_t j = 0; j < dim; j++)
			out[j] = f_mul(out[j], a);
	}
	return 0;
}

int dm_ftv_print_row(FILE *f, const char *w, size_t len, const float *v, int32_t dim)
{
	if (fwrite(w, 1, len, f) != len || fputc(' ', f) == EOF)
		return -1;
	for (int32_t j = 0; j < dim; j++)
		if (fprintf(f, "%.5g ", (double)v[j]) < 0)
			return -1;
	return fputc('\n', f) == EOF ? -1 : 0;
}

/* The rows of words [begin, end) into a buffer of their own. */
typedef struct vec_part {
	char *buf;
	size_t n;
	int failed;
	dm_error err;
} vec_part;

typedef struct vec_arg {
	const dm_text_dict *d;
	const float *input;
	int32_t dim;
	size_t per;             /* words a part */
	const char *path;
	vec_part *parts;
} vec_arg;

#define VEC_PARTS 64

static void vec_rows(void *arg, size_t begin, size_t end, int worker)
{
	vec_arg *a = arg;
	(void)worker;
	for (size_t k = begin; k < end; k++) {
		vec_part *pt = &a->parts[k];
		size_t w0 = k * a->per, w1 = w0 + a->per;
		FILE *f = open_memstream(&pt->buf, &pt->n);
		float *v = dm_alloc_floats((size_t)a->dim, &pt->err);
		dm_text_ids scratch = {0};
		if (w1 > (size_t)a->d->nwords)
			w1 = (size_t)a->d->nwords;
		pt->failed = !f || !v;
		if (!f)
			dm_fail(&pt->err, "%s: out of memory", a->path);
		for (size_t i = w0; i < w1 && !pt->failed; i++)
			if (dm_ftv_word_vector(a->d, a->input, a->dim, a->d->e[i].word, a->d->e[i].len,
					       v, &scratch, &pt->err))
				pt->failed = 1;
			else if (dm_ftv_print_row(f, a->d->e[i].word, a->d->e[i].len, v, a->dim)) {
				dm_fail(&pt->err, "%s: out of memory", a->path);
				pt->failed = 1;
			}
		if (f && fclose(f) && !pt->failed) {
			dm_fail(&pt->err, "%s: out of memory", a->path);
			pt->failed = 1;
		}
		free(v);
		dm_text_ids_free(&scratch);
	}
}

int dm_ftv_vec_text_pool(dm_pool *pool, const dm_text_dict *d, const float *input, int32_t dim,
			 const char *path, char **out, size_t *len, dm_error *err)
{
	vec_part *parts = dm_calloc(VEC_PARTS, sizeof *parts, err);
	vec_arg a = {d, input, dim, ((size_t)d->nwords + VEC_PARTS - 1) / VEC_PARTS, path, parts};
	char head[64], *buf = NULL;
	size_t n;
	int rc = -1, h;
	if (!parts)
		return -1;
	/* the parts formatted in parallel, joined in order: the same bytes */
	dm_pool_run_dynamic(pool, VEC_PARTS, vec_rows, &a);
	h = snprintf(head, sizeof head, "%d %d\n", (int)d->nwords, (int)dim);
	n = (size_t)h;
	for (size_t k = 0; k < VEC_PARTS; k++) {
		if (parts[k].failed) {
			*err = parts[k].err;
			goto out;
		}
		n += parts[k].n;
	}
	if (!(buf = dm_malloc(n + 1, err)))
		goto out;
	memcpy(buf, head, (size_t)h);
	n = (size_t)h;
	for (size_t k = 0; k < VEC_PARTS; k++) {
		if (parts[k].n)
			memcpy(buf + n, parts[k].buf, parts[k].n);
		n += parts[k].n;
	}
	buf[n] = '\0';
	*out = buf, *len = n;
	rc = 0;
out:
	for (size_t k = 0; k < VEC_PARTS; k++)
		free(parts[k].buf);
	free(parts);
	return rc;
}

int dm_ftv_vec_text(const dm_text_dict *d, const float *input, int32_t dim, const char *path,
		    char **out, size_t *len, dm_error *err)
{
	return dm_ftv_vec_text_pool(NULL, d, input, dim, path, out, len, err);
}

int dm_ftv_write_vec_pool(dm_pool *pool, dm_atomic *a, const dm_text_dict *d, const float *input,
			  int32_t dim, const char *path, dm_error *err)
{
	char *buf;
	size_t n;
	int rc;
	if (dm_ftv_vec_text_pool(pool, d, input, dim, path, &buf, &n, err))
		return -1;
	rc = dm_atomic_write(a, path, buf, n, err);
	free(buf);
	return rc;
}

int dm_ftv_write_vec(dm_atomic *a, const dm_text_dict *d, const float *input, int32_t dim,
		     const char *path, dm_error *err)
{
	return dm_ftv_write_vec_pool(NULL, a, d, input, dim, path, err);
}

int dm_ftv_dict_from_model(const dm_ft_model *m, dm_text_dict *d, dm_error *err)
{
	const dm_ft_args *a = &m->args;
	dm_text_dict_cfg cfg = {.label_prefix = DM_TEXT_LABEL_PREFIX, .min_count = 1,
				.minn = a->minn, .maxn = a->maxn, .word_ngrams = 1,
				.bucket = (uint32_t)(a->bucket > 0 ? a->bucket : 0)};
	dm_text_entry *e;
	int rc;
	memset(d, 0, sizeof *d);
	/* fastText compares n with minn and maxn as size_t: other values give
	 * no character n-gram */
	if (cfg.maxn <= 0 || cfg.minn < 0 || cfg.minn > cfg.maxn || !cfg.bucket)
		cfg.minn = cfg.maxn = 0;
	if (m->input.n != a->dim || m->input.m != (int64_t)m->nwords + a->bucket)
		return dm_fail(err, "input matrix %" PRId64 " x %" PRId64 ", expected nwords + "
			       "bucket = %" PRId64 " rows of dim %d", m->input.m, m->input.n,
			       (int64_t)m->nwords + a->bucket, (int)a->dim);
	if (!(e = dm_calloc((size_t)m->size + 1, sizeof *e, err)))
		return -1;
	for (int32_t i = 0; i < m->size; i++) {
		e[i].word = m->entries[i].word;
		e[i].len = (uint32_t)m->entries[i].len;
		e[i].count = m->entries[i].count;
		e[i].type = m->entries[i].type == DM_FT_ENTRY_LABEL ? DM_TEXT_LABEL : DM_TEXT_WORD;
	}
	rc = dm_text_dict_init(d, &cfg, err) ||
	     dm_text_dict_adopt(d, e, (size_t)m->size, m->ntokens, err) ? -1 : 0;
	free(e);
	return rc;
}

/* fastText's precomputeWordVectors: each word's vector divided by its
 * norm (a zero vector stays zero). */
static int word_matrix(const dm_text_dict *d, const float *input, int32_t dim, float **out,
		       dm_error *err)
{
	float *m = dm_alloc_floats((size_t)d->nwords * (size_t)dim, err);
	dm_text_ids scratch = {0};
	if (!m)
		return -1;
	for (int32_t i = 0; i < d->nwords; i++) {
		float *v = m + (size_t)i * (size_t)dim, norm = 0.0f;
		if (dm_ftv_word_vector(d, input, dim, d->e[i].word, d->e[i].len, v, &scratch, err)) {
			free(m);
			dm_text_ids_free(&scratch);
			return -1;
		}
		for (int32_t j = 0; j < dim; j++)
			norm = f_add(norm, f_mul(v[j], v[j]));
		norm = dm_sqrtf(norm);
		if (norm > 0.0f)
			for (int32_t j = 0; j < dim; j++)
				v[j] = f_div(v[j], norm);
	}
	dm_text_ids_free(&scratch);
	*out = m;
	return 0;
}

int dm_ftv_nearest(const dm_text_dict *d, const float *input, int32_t dim, const char *w,
		   size_t len, int32_t k, dm_ftv_neighbour *out, size_t *count, dm_error *err)
{
	float *m = NULL, *q = dm_alloc_floats((size_t)dim, err), qn = 0.0f;
	dm_text_ids scratch = {0};
	size_t n = 0;
	int rc = -1;
	if (!q || word_matrix(d, input, dim, &m, err) ||
	    dm_ftv_word_vector(d, input, dim, w, len, q, &scratch, err))
		goto out;
	for (int32_t j = 0; j < dim; j++)
		qn = f_add(qn, f_mul(q[j], q[j]));
	qn = dm_sqrtf(qn);
	for (int32_t i = 0; i < d->nwords; i++) {
		float s = 0.0f;
		size_t p;
		if (d->e[i].len == len && !memcmp(d->e[i].word, w, len))
			continue; /* fastText's nn leaves the query out */
		for (int32_t j = 0; j < dim; j++)
			s = f_add(s, f_mul(m[(size_t)i * (size_t)dim + (size_t)j], q[j]));
		s = qn > 0.0f ? f_div(s, qn) : 0.0f;
		/* insertion into the k best, first come first on ties */
		for (p = n; p > 0 && out[p - 1].sim < s; p--)
			if (p < (size_t)k)
				out[p] = out[p - 1];
		if (p < (size_t)k) {
			out[p] = (dm_ftv_neighbour){i, s};
			if (n < (size_t)k)
				n++;
		}
	}
	*count = n;
	rc = 0;
out:
	free(m);
	free(q);
	dm_text_ids_free(&scratch);
	return rc;
}
