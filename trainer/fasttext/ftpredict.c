/* ftpredict.c - fastText 0.9.2's prediction: see ftpredict.h.  Every float
 * operation follows fastText's types (float sums, the double divisions
 * and logarithms where its C++ promotes to double), so that the
 * probabilities are the same numbers, not merely close ones. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fasttext/ftpredict.h"

static const char EOS[] = "</s>";
static const char LABEL_PREFIX[] = "__label__"; /* -label is not saved in the .bin */

uint32_t dm_ft_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;
	for (i = 0; i < n; i++) {
		h ^= (uint32_t)(int32_t)(signed char)s[i]; /* fastText's int8_t cast */
		h *= 16777619u;
	}
	return h;
}

/* The slot of word w (hash h) in the table: its own, or the empty one where
 * it would go. */
static int32_t find_slot(const dm_ft_predictor *p, const char *w, size_t len, uint32_t h)
{
	int32_t id = (int32_t)(h % (uint32_t)p->table_size);
	while (p->word2int[id] != -1) {
		const dm_ft_entry *e = &p->m->entries[p->word2int[id]];
		if (e->len == len && !memcmp(e->word, w, len))
			break;
		id = (id + 1) % p->table_size;
	}
	return id;
}

static int grow(void **v, size_t *cap, size_t need, size_t elem, dm_error *err)
{
	size_t c = *cap ? *cap : 64;
	void *g;
	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	if (!(g = realloc(*v, c * elem)))
		return dm_fail(err, "out of memory (a line of %zu ids)", need);
	*v = g, *cap = c;
	return 0;
}

static int push_id(dm_ft_predictor *p, int32_t id, dm_error *err)
{
	if (grow((void **)&p->ids, &p->cap_ids, p->nids + 1, sizeof *p->ids, err))
		return -1;
	p->ids[p->nids++] = id;
	return 0;
}

/* fastText's computeSubwords on "<word>": each character n-gram (UTF-8
 * characters, n from minn to maxn, not the lone "<" or ">") as a bucket
 * row.  minn and maxn compare as size_t, as in fastText's loop. */
static int subwords(dm_ft_predictor *p, const char *word, size_t len, dm_error *err)
{
	const dm_ft_args *a = &p->m->args;
	size_t minn = (size_t)(int64_t)a->minn, maxn = (size_t)(int64_t)a->maxn, i, j, n;
	for (i = 0; i < len; i++) {
		if (((unsigned char)word[i] & 0xC0) == 0x80)
			continue;
		for (j = i, n = 1; j < len && n <= maxn; n++) {
			j++;
			while (j < len && ((unsigned char)word[j] & 0xC0) == 0x80)
				j++;
			if (n >= minn && !(n == 1 && (i == 0 || j == len))) {
				uint32_t h = dm_ft_hash(word + i, j - i) % (uint32_t)a->bucket;
				if (push_id(p, p->m->nwords + (int32_t)h, err))
					return -1;
			}
		}
	}
	return 0;
}

/* The ids of one word token (fastText's addSubwords). */
static int add_word(dm_ft_predictor *p, const char *tok, size_t len, int32_t wid, dm_error *err)
{
	int is_eos = len == 4 && !memcmp(tok, EOS, 4);
	char *bw;
	int rc;
	if (wid >= 0 && p->m->args.maxn <= 0)
		return push_id(p, wid, err);
	if (wid >= 0) {
		if (push_id(p, wid, err))
			return -1;
		if (is_eos)
			return 0;
	} else if (is_eos) {
		return 0;
	}
	if (!(bw = malloc(len + 3)))
		return dm_fail(err, "out of memory (a token of %zu bytes)", len);
	bw[0] = '<';
	memcpy(bw + 1, tok, len);
	bw[len + 1] = '>';
	rc = subwords(p, bw, len + 2, err);
	free(bw);
	return rc;
}

static int is_space(int c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f' || c == 0;
}

/* fastText's readWord: the next token, "</s>" for a newline. */
static int read_token(dm_ft_predictor *p, const char *text, size_t n, size_t *pos, size_t *len,
		      dm_error *err)
{
	size_t start;
	while (*pos < n && is_space((unsigned char)text[*pos])) {
		if (text[(*pos)++] == '\n') {
			memcpy(p->token, EOS, 5);
			*len = 4;
			return 1;
		}
	}
	if (*pos == n)
		return 0;
	start = *pos;
	while (*pos < n && !is_space((unsigned char)text[*pos]))
		(*pos)++;
	*len = *pos - start;
	if (grow((void **)&p->token, &p->cap_token, *len + 1, 1, err))
		return -1;
	memcpy(p->token, text + start, *len);
	p->token[*len] = 0;
	return 1;
}

int dm_ft_next_line(dm_ft_predictor *p, const char *text, size_t n, size_t *pos, dm_error *err)
{
	const dm_ft_model *m = p->m;
	size_t len, i;
	int rc;
	if (*pos >= n)
		return 0;
	p->nids = p->nlabels = p->nhashes = 0;
	while ((rc = read_token(p, text, n, pos, &len, err)) == 1) {
		uint32_t h = dm_ft_hash(p->token, len);
		int32_t wid = p->word2int[find_slot(p, p->token, len, h)];
		int label = wid >= 0 ? m->entries[wid].type == DM_FT_ENTRY_LABEL
				     : len >= sizeof LABEL_PREFIX - 1 &&
					       !memcmp(p->token, LABEL_PREFIX, sizeof LABEL_PREFIX - 1);
		if (!label) {
			if (add_word(p, p->token, len, wid, err) ||
			    grow((void **)&p->hashes, &p->cap_hashes, p->nhashes + 1, sizeof *p->hashes, err))
				return -1;
			p->hashes[p->nhashes++] = (int32_t)h;
		} else if (wid >= 0) {
			if (grow((void **)&p->labels, &p->cap_labels, p->nlabels + 1, sizeof *p->labels, err))
				return -1;
			p->labels[p->nlabels++] = wid - m->nwords;
		}
		if (len == 4 && !memcmp(p->token, EOS, 4))
			break;
	}
	if (rc < 0)
		return -1;
	/* word n-grams: fastText keeps the hashes as int32 and widens them,
	 * sign and all, to uint64 */
	for (i = 0; m->args.word_ngrams > 1 && i < p->nhashes; i++) {
		uint64_t h = (uint64_t)(int64_t)p->hashes[i];
		size_t j;
		for (j = i + 1; j < p->nhashes && j < i + (size_t)m->args.word_ngrams; j++) {
			h = h * 116049371u + (uint64_t)(int64_t)p->hashes[j];
			if (push_id(p, m->nwords + (int32_t)(h % (uint64_t)m->args.bucket), err))
				return -1;
		}
	}
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
	 * nodes in the order they are made */
	for (i = osz; i < nodes; i++) {
		int32_t mini[2], s;
		for (s = 0; s < 2; s++)
			mini[s] = leaf >= 0 && count[leaf] < count[node] ? leaf-- : node++;
		p->left[i] = mini[0];
		p->right[i] = mini[1];
		/* wrapping, not undefined, on hostile counts */
		count[i] = (int64_t)((uint64_t)count[mini[0]] + (uint64_t)count[mini[1]]);
	}
	free(count);
	return 0;
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
	p->table_size = (int32_t)ceil(m->size / 0.7);
	p->word2int = dm_malloc((size_t)p->table_size * sizeof *p->word2int, err);
	p->hidden = dm_alloc_floats((size_t)a->dim, err);
	p->output = dm_alloc_floats((size_t)m->nlabels, err);
	p->token = dm_malloc(p->cap_token = 64, err);
	p->heap = dm_calloc((size_t)m->nlabels + 1, sizeof *p->heap, err);
	if (!p->word2int || !p->hidden || !p->output || !p->token || !p->heap)
		goto fail;
	for (i = 0; i < p->table_size; i++)
		p->word2int[i] = -1;
	for (i = 0; i < m->size; i++) {
		const dm_ft_entry *e = &m->entries[i];
		p->word2int[find_slot(p, e->word, e->len, dm_ft_hash(e->word, e->len))] = i;
	}
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
	free(p->word2int);
	free(p->left);
	free(p->right);
	free(p->hidden);
	free(p->output);
	free(p->ids);
	free(p->labels);
	free(p->hashes);
	free(p->token);
	free(p->heap);
	free(p->stack);
	free(p->stack_score);
	memset(p, 0, sizeof *p);
}
