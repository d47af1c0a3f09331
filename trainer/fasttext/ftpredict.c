/* ftpredict.c - fastText 0.9.2's prediction: see ftpredict.h.  Every float
 * operation follows fastText's types (float sums, the double divisions
 * and logarithms where its C++ promotes to double), so that the
 * probabilities are the same numbers, not merely close ones. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fasttext/ftpredict.h"

static const char LABEL_PREFIX[] = "__label__"; /* -label is not saved in the .bin */

static ptrdiff_t read_text(void *ctx, void *buf, size_t n, dm_error *err)
{
	struct dm_ft_text_src *s = ctx;
	size_t k = s->n - s->off < n ? s->n - s->off : n;
	(void)err;
	memcpy(buf, s->text + s->off, k);
	s->off += k;
	return (ptrdiff_t)k;
}

/* Where the tokenizer is in the text: what it was given less what it has
 * not yet used. */
static size_t text_pos(const dm_ft_predictor *p)
{
	return p->src.off - (p->tok->len - p->tok->pos);
}

int dm_ft_next_line(dm_ft_predictor *p, const char *text, size_t n, size_t *pos, dm_error *err)
{
	if (*pos >= n)
		return 0;
	if (p->src.text != text || p->src.n != n || text_pos(p) != *pos) {
		p->src.text = text, p->src.n = n, p->src.off = *pos;
		dm_text_tokenizer_init(p->tok, read_text, &p->src, "text");
	}
	if (dm_text_read_line(p->tok, &p->line, err) < 0 ||
	    dm_text_dict_line_ids(&p->dict, &p->line, &p->words, &p->label_ids, err) < 0)
		return -1;
	p->ids = p->words.v, p->nids = p->words.n;
	p->labels = p->label_ids.v, p->nlabels = p->label_ids.n;
	*pos = text_pos(p);
	return 1;
}

/* ---- the k best, as libstdc++'s heap algorithms order them, with
 * fastText's comparison (a before b when a.logp > b.logp) */

static int before(const dm_ft_prediction *a, const dm_ft_prediction *b)
{
	return a->logp > b->logp;
}

static void sift_up(dm_ft_prediction *h, size_t hole, size_t top, dm_ft_prediction v)
{
	while (hole > top) {
		size_t parent = (hole - 1) / 2;
		if (!before(&h[parent], &v))
			break;
		h[hole] = h[parent];
		hole = parent;
	}
	h[hole] = v;
}

static void adjust(dm_ft_prediction *h, size_t len, dm_ft_prediction v)
{
	size_t hole = 0, child = 0;
	while (len > 2 && child < (len - 1) / 2) {
		child = 2 * (child + 1);
		if (before(&h[child], &h[child - 1]))
			child--;
		h[hole] = h[child];
		hole = child;
	}
	if ((len & 1) == 0 && child == (len - 2) / 2) {
		child = 2 * (child + 1);
		h[hole] = h[child - 1];
		hole = child - 1;
	}
	sift_up(h, hole, 0, v);
}

/* pop_heap on h[0..len): the top goes to h[len-1] */
static void pop_heap(dm_ft_prediction *h, size_t len)
{
	dm_ft_prediction v;
	if (len < 2)
		return;
	v = h[len - 1];
	h[len - 1] = h[0];
	adjust(h, len - 1, v);
}

static void heap_add(dm_ft_prediction *h, size_t *len, size_t k, float logp, int32_t label)
{
	dm_ft_prediction v = {logp, label};
	h[*len] = v;
	sift_up(h, *len, 0, v);
	if (++*len > k) {
		pop_heap(h, *len);
		--*len;
	}
}

static float std_log(float x)
{
	return (float)log((double)x + 1e-5);
}

static float sigmoid(const dm_ft_predictor *p, float x)
{
	if (x < -8.0f)
		return 0.0f;
	if (x > 8.0f)
		return 1.0f;
	return p->sigmoid[(int64_t)((x + 8.0f) * 512.0f / 8.0f / 2.0f)];
}

static float dot_row(const dm_ft_matrix *w, int64_t row, const float *v)
{
	const float *r = w->data + row * w->n;
	float d = 0.0f;
	int64_t j;
	for (j = 0; j < w->n; j++)
		d += r[j] * v[j];
	return d;
}

/* fastText's dfs down the tree: best-first by the order of visits, which
 * an explicit stack keeps (left child before right) without recursion. */
static int hs_search(dm_ft_predictor *p, size_t k, float threshold, size_t *len, dm_error *err)
{
	const int32_t osz = p->m->nlabels;
	const float floor = std_log(threshold);
	size_t top = 0;
	p->stack[top] = 2 * osz - 2;
	p->stack_score[top++].logp = 0.0f;
	while (top) {
		int32_t node = p->stack[--top];
		float score = p->stack_score[top].logp, f;
		if (score < floor)
			continue;
		if (*len == k && score < p->heap[0].logp)
			continue;
		if (p->left[node] == -1 && p->right[node] == -1) {
			heap_add(p->heap, len, k, score, node);
			continue;
		}
		f = dot_row(&p->m->output, node - osz, p->hidden);
		if (isnan(f))
			return dm_fail(err, "fastText model: NaN in the output layer");
		f = (float)(1.0 / (double)(1.0f + expf(-f)));
		p->stack[top] = p->right[node];
		p->stack_score[top++].logp = score + std_log(f);
		p->stack[top] = p->left[node];
		p->stack_score[top++].logp = score + std_log((float)(1.0 - (double)f));
	}
	return 0;
}

int dm_ft_predict_line(dm_ft_predictor *p, int32_t k, float threshold, dm_ft_prediction *out,
		       size_t *count, dm_error *err)
{
	const dm_ft_model *m = p->m;
	const int64_t dim = m->input.n, osz = m->nlabels;
	float scale;
	size_t i, len = 0;
	int64_t j;
	*count = 0;
	if (k <= 0)
		return dm_fail(err, "k is %d, expected 1 or more", (int)k);
	if (!p->nids)
		return 0;
	memset(p->hidden, 0, (size_t)dim * sizeof *p->hidden);
	for (i = 0; i < p->nids; i++) {
		const float *row = m->input.data + (int64_t)p->ids[i] * dim;
		for (j = 0; j < dim; j++)
			p->hidden[j] += row[j];
	}
	scale = (float)(1.0 / (double)p->nids);
	for (j = 0; j < dim; j++)
		p->hidden[j] *= scale;
	if (m->args.loss == DM_FT_LOSS_HS) {
		if (hs_search(p, (size_t)k, threshold, &len, err))
			return -1;
	} else {
		for (j = 0; j < osz; j++) {
			p->output[j] = dot_row(&m->output, j, p->hidden);
			if (isnan(p->output[j]))
				return dm_fail(err, "fastText model: NaN in the output layer");
		}
		if (m->args.loss == DM_FT_LOSS_SOFTMAX) {
			float max = p->output[0], z = 0.0f;
			for (j = 0; j < osz; j++)
				max = p->output[j] > max ? p->output[j] : max;
			for (j = 0; j < osz; j++) {
				p->output[j] = (float)exp((double)(p->output[j] - max));
				z += p->output[j];
			}
			for (j = 0; j < osz; j++)
				p->output[j] /= z;
		} else {
			for (j = 0; j < osz; j++)
				p->output[j] = sigmoid(p, p->output[j]);
		}
		for (j = 0; j < osz; j++) {
			float lp;
			if (p->output[j] < threshold)
				continue;
			lp = std_log(p->output[j]);
			if (len == (size_t)k && lp < p->heap[0].logp)
				continue;
			heap_add(p->heap, &len, (size_t)k, lp, (int32_t)j);
		}
	}
	/* sort_heap: best first */
	for (i = len; i > 1; i--)
		pop_heap(p->heap, i);
	memcpy(out, p->heap, len * sizeof *out);
	*count = len;
	return 0;
}

int dm_ft_test_text(dm_ft_predictor *p, const char *text, size_t n, int32_t k, float threshold,
		    dm_ft_test *t, dm_error *err)
{
	dm_ft_prediction *pred = dm_calloc((size_t)k, sizeof *pred, err);
	size_t pos = 0, count, i, j;
	int rc;
	memset(t, 0, sizeof *t);
	if (!pred)
		return -1;
	while ((rc = dm_ft_next_line(p, text, n, &pos, err)) == 1) {
		if (!p->nlabels || !p->nids)
			continue;
		if (dm_ft_predict_line(p, k, threshold, pred, &count, err)) {
			rc = -1;
			break;
		}
		t->examples++;
		t->gold += (int64_t)p->nlabels;
		t->predicted += (int64_t)count;
		for (i = 0; i < count; i++)
			for (j = 0; j < p->nlabels; j++)
				if (p->labels[j] == pred[i].label) {
					t->predicted_gold++;
					break;
				}
	}
	free(pred);
	return rc < 0 ? -1 : 0;
}

/* ---- setup ---- */

static int build_tree(dm_ft_predictor *p, dm_error *err)
{
	const dm_ft_model *m = p->m;
	const int32_t osz = m->nlabels, nodes = 2 * osz - 1;
	int64_t *count = dm_calloc((size_t)nodes, sizeof *count, err);
	int32_t i, leaf = osz - 1, node = osz;
	p->left = dm_malloc((size_t)nodes * sizeof *p->left, err);
	p->right = dm_malloc((size_t)nodes * sizeof *p->right, err);
	p->stack = dm_malloc((size_t)(nodes + 1) * sizeof *p->stack, err);
	p->stack_score = dm_calloc((size_t)(nodes + 1), sizeof *p->stack_score, err);
	if (!count || !p->left || !p->right || !p->stack || !p->stack_score) {
		free(count);
		return -1;
	}
	for (i = 0; i < nodes; i++) {
		p->left[i] = p->right[i] = -1;
		count[i] = i < osz ? m->entries[m->nwords + i].count : (int64_t)1e15;
	}
	/* Huffman over counts sorted falling: leaves from the end, inner
	 * nodes in the order they are made.  fastText compares with the 1e15
	 * of a node not made yet; a count of 1e15 or more (a hostile file)
	 * would take that node, or run past the array: a leaf, then. */
	for (i = osz; i < nodes; i++) {
		int32_t mini[2], s;
		for (s = 0; s < 2; s++)
			mini[s] = leaf >= 0 && (node >= i || count[leaf] < count[node]) ? leaf-- : node++;
		p->left[i] = mini[0];
		p->right[i] = mini[1];
		/* wrapping, not undefined, on hostile counts */
		count[i] = (int64_t)((uint64_t)count[mini[0]] + (uint64_t)count[mini[1]]);
	}
	free(count);
	return 0;
}

/* The .bin's entries as a trainer/text dictionary, with the args that
 * give fastText's rows: fastText compares n with minn and maxn as size_t,
 * so minn < 0 or minn > maxn gives no character n-gram, as maxn 0 does;
 * wordNgrams below 1 is 1. */
static int load_dict(dm_ft_predictor *p, dm_error *err)
{
	const dm_ft_model *m = p->m;
	const dm_ft_args *a = &m->args;
	dm_text_dict_cfg cfg = {.label_prefix = LABEL_PREFIX, .min_count = 1,
				.minn = a->minn, .maxn = a->maxn,
				.word_ngrams = a->word_ngrams > 1 ? a->word_ngrams : 1,
				.bucket = (uint32_t)a->bucket};
	dm_text_entry *e;
	int32_t i;
	int rc;
	if (cfg.maxn <= 0 || cfg.minn < 0 || cfg.minn > cfg.maxn)
		cfg.minn = cfg.maxn = 0;
	if (!(e = dm_calloc((size_t)m->size, sizeof *e, err)))
		return -1;
	for (i = 0; i < m->size; i++) {
		const dm_ft_entry *f = &m->entries[i];
		if (f->len > UINT32_MAX) {
			free(e);
			return dm_fail(err, "entry %d: a word of %zu bytes, expected at most %" PRIu32,
				       (int)i, f->len, UINT32_MAX);
		}
		e[i].word = f->word;
		e[i].len = (uint32_t)f->len;
		e[i].count = f->count;
		e[i].type = f->type == DM_FT_ENTRY_LABEL ? DM_TEXT_LABEL : DM_TEXT_WORD;
	}
	rc = dm_text_dict_init(&p->dict, &cfg, err) ||
	     dm_text_dict_adopt(&p->dict, e, (size_t)m->size, m->ntokens, err) ? -1 : 0;
	free(e);
	return rc;
}

int dm_ft_predictor_init(dm_ft_predictor *p, const dm_ft_model *m, const char *where,
			 dm_error *err)
{
	const dm_ft_args *a = &m->args;
	int32_t i;
	memset(p, 0, sizeof *p);
	p->m = m;
	if (a->model != DM_FT_MODEL_SUPERVISED)
		return dm_fail(err, "%s: a %s model, expected a supervised one (fastText predicts "
			       "only with those)", where, dm_ft_model_name(a->model));
	if (m->nlabels < 1 || m->size < 1)
		return dm_fail(err, "%s: %d labels in a dictionary of %d, expected at least one label",
			       where, (int)m->nlabels, (int)m->size);
	if (a->dim < 1 || m->input.n != a->dim || m->output.n != a->dim)
		return dm_fail(err, "%s: dim %d, input %" PRId64 " x %" PRId64 ", output %" PRId64
			       " x %" PRId64 ": expected both matrices with dim columns",
			       where, (int)a->dim, m->input.m, m->input.n, m->output.m, m->output.n);
	if (a->bucket < 0 || m->input.m != (int64_t)m->nwords + a->bucket)
		return dm_fail(err, "%s: input matrix of %" PRId64 " rows, expected nwords + bucket = %"
			       PRId64, where, m->input.m, (int64_t)m->nwords + a->bucket);
	if (m->output.m != m->nlabels)
		return dm_fail(err, "%s: output matrix of %" PRId64 " rows, expected nlabels = %d",
			       where, m->output.m, (int)m->nlabels);
	if (!a->bucket && (a->word_ngrams > 1 || a->maxn != 0))
		return dm_fail(err, "%s: bucket 0 with wordNgrams %d and maxn %d, expected buckets for "
			       "the n-grams (fastText would divide by zero)",
			       where, (int)a->word_ngrams, (int)a->maxn);
	if ((int64_t)m->nwords + a->bucket > INT32_MAX || ceil(m->size / 0.7) > INT32_MAX)
		return dm_fail(err, "%s: %d entries and %d buckets: more rows than fastText's "
			       "int32 ids can hold", where, (int)m->size, (int)a->bucket);
	if (a->maxn < 0 && a->minn >= 0)
		return dm_fail(err, "%s: maxn %d with minn %d, expected maxn >= 0 (fastText would "
			       "take every character n-gram of an unknown word)",
			       where, (int)a->maxn, (int)a->minn);
	if (load_dict(p, err))
		goto fail;
	p->hidden = dm_alloc_floats((size_t)a->dim, err);
	p->output = dm_alloc_floats((size_t)m->nlabels, err);
	p->tok = dm_malloc(sizeof *p->tok, err);
	p->heap = dm_calloc((size_t)m->nlabels + 1, sizeof *p->heap, err);
	if (!p->hidden || !p->output || !p->tok || !p->heap)
		goto fail;
	dm_text_tokenizer_init(p->tok, read_text, &p->src, "text");
	for (i = 0; i <= 512; i++) {
		float x = (float)(i * 16) / 512.0f - 8.0f;
		p->sigmoid[i] = (float)(1.0 / (1.0 + (double)expf(-x)));
	}
	if (a->loss == DM_FT_LOSS_HS && build_tree(p, err))
		goto fail;
	return 0;
fail:
	dm_error_prefix(err, "%s", where);
	dm_ft_predictor_free(p);
	return -1;
}

void dm_ft_predictor_free(dm_ft_predictor *p)
{
	dm_text_dict_free(&p->dict);
	free(p->left);
	free(p->right);
	free(p->hidden);
	free(p->output);
	dm_text_ids_free(&p->words);
	dm_text_ids_free(&p->label_ids);
	dm_text_line_free(&p->line);
	free(p->tok);
	free(p->heap);
	free(p->stack);
	free(p->stack_score);
	memset(p, 0, sizeof *p);
}
