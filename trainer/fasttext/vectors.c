/* vectors.c - fastText's skipgram and cbow in synchronous sparse
 * mini-batches (vectors.h, docs/text-vectors.md). */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fasttext/vectors.h"
#include "fasttext/rows.h"
#include "math/fmath.h"
#include "math/fp.h"
#include "math/rng.h"

/* Random streams of their own ("FV"); rng.h's enum holds small numbers. */
#define STREAM_KEEP 0x4656000000000001u   /* sub-sampling, a draw per word read */
#define STREAM_WINDOW 0x4656000000000002u /* a window per centre */
#define STREAM_NEG 0x4656000000000003u    /* a place in the negative table per centre */
#define STREAM_TABLE 0x4656000000000004u  /* the table's shuffle */
#define STREAM_INIT 0x4656000100000000u   /* + block: the input rows */
/* fastText's NEGATIVE_TABLE_SIZE; a small vocabulary gets a table of
 * TABLE_PER_WORD places a word instead (the same distribution to 1/1000
 * of a word's share, and no 40 MB shuffle for a tiny corpus) */
#define TABLE_SIZE 10000000u
#define TABLE_PER_WORD 1000u

/* ---- corpus ---- */

static int grow(void **v, size_t *cap, size_t need, size_t size, dm_error *err)
{
	size_t c = *cap ? *cap : 64;
	void *p;
	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	if (!(p = realloc(*v, c * size)))
		return dm_fail(err, "out of memory for %zu words of training text", need);
	*v = p;
	*cap = c;
	return 0;
}

static int end_chunk(dm_ftv_corpus *c, uint32_t tokens, dm_error *err)
{
	if (!tokens)
		return 0;
	if (c->n + 2 > c->cap) {
		size_t k = c->cap;
		if (grow((void **)&c->start, &k, c->n + 2, sizeof *c->start, err))
			return -1;
		k = c->cap;
		if (grow((void **)&c->tokens, &k, c->n + 2, sizeof *c->tokens, err))
			return -1;
		c->cap = k;
	}
	c->tokens[c->n] = tokens;
	c->ntokens += tokens;
	c->start[++c->n] = c->nids;
	return 0;
}

/* fastText's getLine for skipgram/cbow, without its random discard (made
 * per epoch in training): known tokens count, words are kept, a chunk ends
 * at "</s>" or after DM_FTV_MAX_LINE + 1 tokens. */
int dm_ftv_corpus_add_line(dm_ftv_corpus *c, const dm_text_dict *d, const dm_text_line *l,
			   dm_error *err)
{
	uint32_t ntok = 0;
	if (!c->start && grow((void **)&c->start, &c->cap, 2, sizeof *c->start, err))
		return -1;
	if (!c->tokens) {
		size_t k = 0;
		if (grow((void **)&c->tokens, &k, c->cap, sizeof *c->tokens, err))
			return -1;
	}
	if (!c->n)
		c->start[0] = c->nids;
	for (size_t i = 0; i < l->n; i++) {
		const char *w = dm_text_token(l, i);
		int32_t id = dm_text_dict_find(d, w, l->len[i], dm_text_hash(w, l->len[i]));
		if (id < 0)
			continue;
		ntok++;
		if (id < d->nwords) {
			if (grow((void **)&c->ids, &c->ids_cap, c->nids + 1, sizeof *c->ids, err))
				return -1;
			c->ids[c->nids++] = id;
		}
		if (ntok > DM_FTV_MAX_LINE || dm_text_is_eos(w, l->len[i])) {
			if (end_chunk(c, ntok, err))
				return -1;
			ntok = 0;
		}
	}
	return end_chunk(c, ntok, err);
}

void dm_ftv_corpus_free(dm_ftv_corpus *c)
{
	free(c->start);
	free(c->tokens);
	free(c->ids);
	memset(c, 0, sizeof *c);
}

void dm_ftv_defaults(dm_ftv_cfg *cfg, int32_t model)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->model = model;
	cfg->dim = 100;
	cfg->ws = 5;
	cfg->epoch = 5;
	cfg->neg = 5;
	cfg->lr = 0.05f;
	cfg->t = 1e-4;
	cfg->batch = DM_FTV_DEFAULT_BATCH;
}

void dm_ftv_dict_defaults(dm_text_dict_cfg *dc)
{
	memset(dc, 0, sizeof *dc);
	dc->label_prefix = DM_TEXT_LABEL_PREFIX;
	dc->min_count = 5;
	dc->min_count_label = 0;
	dc->minn = 3;
	dc->maxn = 6;
	dc->word_ngrams = 1;
	dc->bucket = 2000000;
}

/* ---- the serial draws: which centres, with which contexts ---- */

typedef struct item {
	int32_t centre, nctx;
	int32_t *ctx;           /* 2 ws */
	uint32_t negpos;        /* where its negatives start in the table */
	/* phase 1 */
	float *hidden, *grad;   /* dim each */
	int32_t nout;
	int32_t *rows;          /* output rows */
	float *alpha;           /* their coefficients */
} item;

typedef struct plan {
	const dm_text_dict *d;
	const dm_ftv_corpus *c;
	dm_ftv_cfg cfg;
	float *pkeep;           /* nwords: fastText's pdiscard */
	int32_t *table;         /* the negative table, shuffled */
	uint32_t table_size;
	dm_rng keep_rng, win_rng, neg_rng;
	int32_t epoch;
	size_t chunk, pos, nkept;
	int in_chunk;
	int32_t *kept;          /* the current chunk's words after sub-sampling */
	uint64_t done;          /* tokens of the chunks finished */
} plan;

static void plan_free(plan *p)
{
	free(p->pkeep);
	free(p->table);
	free(p->kept);
}

/* floor(sqrt(x)), in integers */
static uint64_t isqrt(uint64_t x)
{
	uint64_t r = 0, bit = (uint64_t)1 << 62;
	while (bit > x)
		bit >>= 2;
	for (; bit; bit >>= 2)
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
	return r;
}

/* fastText's initTableNegatives: word i fills ceil(sqrt(count_i) * SIZE /
 * z) places, then the table is shuffled.  The weights are integers
 * (1024 sqrt(count), an integer square root), so that no floating-point
 * rounding moves an entry between architectures. */
static int build_table(plan *p, dm_error *err)
{
	const int32_t nw = p->d->nwords;
	uint64_t *wt = dm_malloc((size_t)nw * sizeof *wt, err), z = 0, total = 0;
	const uint64_t size = (uint64_t)nw * TABLE_PER_WORD < TABLE_SIZE
			      ? (uint64_t)nw * TABLE_PER_WORD : TABLE_SIZE;
	dm_rng rng;
	if (!wt)
		return -1;
	for (int32_t i = 0; i < nw; i++) {
		uint64_t c = (uint64_t)p->d->e[i].count;
		wt[i] = isqrt((c < ((uint64_t)1 << 43) ? c : ((uint64_t)1 << 43) - 1) << 20);
		z += wt[i];
	}
	for (int32_t i = 0; i < nw; i++)
		total += (wt[i] * size + z - 1) / z;
	if (!(p->table = dm_malloc(total * sizeof *p->table, err))) {
		free(wt);
		return -1;
	}
	p->table_size = (uint32_t)total;
	total = 0;
	for (int32_t i = 0; i < nw; i++)
		for (uint64_t k = (wt[i] * size + z - 1) / z; k; k--)
			p->table[total++] = i;
	free(wt);
	dm_rng_seed(&rng, p->cfg.seed, STREAM_TABLE);
	for (uint32_t i = p->table_size; i > 1; i--) {
		uint32_t j = (uint32_t)dm_rng_below(&rng, i);
		int32_t t = p->table[i - 1];
		p->table[i - 1] = p->table[j];
		p->table[j] = t;
	}
	return 0;
}

/* The estimate needs no table: the negatives' places come from a stream
 * of their own, so the other draws are the same without them. */
static int plan_init(plan *p, const dm_text_dict *d, const dm_ftv_corpus *c,
		     const dm_ftv_cfg *cfg, int need_table, dm_error *err)
{
	size_t longest = 0;
	memset(p, 0, sizeof *p);
	p->d = d, p->c = c, p->cfg = *cfg;
	if (cfg->model != DM_FT_MODEL_SKIPGRAM && cfg->model != DM_FT_MODEL_CBOW)
		return dm_fail(err, "model %d: expected skipgram or cbow", (int)cfg->model);
	if (cfg->dim < 1 || cfg->epoch < 1 || cfg->batch < 1 || cfg->neg < 0 || cfg->ws < 1 ||
	    !(cfg->lr > 0.0f) || !isfinite(cfg->lr) || !(cfg->t > 0.0) || !isfinite(cfg->t))
		return dm_fail(err, "Dim %d, Epochs %d, Batch-Size %d, Neg %d, Context-Window %d, "
			       "Learning-Rate %g, Sampling-Threshold %g: expected Dim, Epochs, "
			       "Batch-Size and Context-Window of at least 1, Neg of at least 0, a "
			       "positive Learning-Rate and Sampling-Threshold",
			       (int)cfg->dim, (int)cfg->epoch, (int)cfg->batch, (int)cfg->neg,
			       (int)cfg->ws, (double)cfg->lr, cfg->t);
	if (d->nwords < 2)
		return dm_fail(err, "%d word(s) in the dictionary, expected at least 2 for negative "
			       "sampling (a lower Min-Count?)", (int)d->nwords);
	if (!c->n)
		return dm_fail(err, "no training text: expected at least one line with a word");
	for (size_t i = 0; i < c->n; i++)
		if (c->start[i + 1] - c->start[i] > longest)
			longest = c->start[i + 1] - c->start[i];
	p->pkeep = dm_malloc((size_t)d->nwords * sizeof *p->pkeep, err);
	p->kept = dm_malloc((longest ? longest : 1) * sizeof *p->kept, err);
	if (!p->pkeep || !p->kept)
		return -1;
	/* fastText's initTableDiscard: sqrt(t / f) + t / f, f = count / ntokens;
	 * each operation rounded to float (fp.h) */
	for (int32_t i = 0; i < d->nwords; i++) {
		float f = f_div((float)d->e[i].count, (float)d->ntokens);
		float r = f_div((float)cfg->t, f);
		p->pkeep[i] = f_add(dm_sqrtf(r), r);
	}
	if (need_table && build_table(p, err))
		return -1;
	dm_rng_seed(&p->keep_rng, cfg->seed, STREAM_KEEP);
	dm_rng_seed(&p->win_rng, cfg->seed, STREAM_WINDOW);
	dm_rng_seed(&p->neg_rng, cfg->seed, STREAM_NEG);
	return 0;
}

/* The next centre in corpus order, epoch after epoch: a chunk's words are
 * sub-sampled when it starts (a draw per word, fastText's discard), each
 * kept word gets its window 1..ws and the place of its negatives.  0 at
 * the end of the last epoch. */
static int next_item(plan *p, item *it)
{
	const dm_ftv_corpus *c = p->c;
	for (;;) {
		if (!p->in_chunk) {
			if (p->chunk == c->n) {
				if (++p->epoch >= p->cfg.epoch)
					return 0;
				p->chunk = 0;
			}
			p->nkept = 0;
			for (size_t i = c->start[p->chunk]; i < c->start[p->chunk + 1]; i++)
				if (!(dm_rng_uniform(&p->keep_rng) > p->pkeep[c->ids[i]]))
					p->kept[p->nkept++] = c->ids[i];
			p->pos = 0;
			p->in_chunk = 1;
		}
		if (p->pos == p->nkept) {
			p->done += c->tokens[p->chunk++];
			p->in_chunk = 0;
			continue;
		}
		{
			size_t w = p->pos++;
			int32_t b = 1 + (int32_t)dm_rng_below(&p->win_rng, (uint64_t)p->cfg.ws);
			it->centre = p->kept[w];
			it->nctx = 0;
			for (int32_t k = -b; k <= b; k++)
				if (k && (k > 0 || (size_t)-k <= w) && w + (size_t)(ptrdiff_t)k < p->nkept)
					it->ctx[it->nctx++] = p->kept[w + (size_t)(ptrdiff_t)k];
			if (p->table)
				it->negpos = (uint32_t)dm_rng_below(&p->neg_rng, p->table_size);
			return 1;
		}
	}
}

static uint64_t item_rows(const plan *p, const item *it)
{
	size_t n, total = 0;
	if (p->cfg.model == DM_FT_MODEL_SKIPGRAM) {
		dm_text_dict_word_rows(p->d, it->centre, &n);
		return n;
	}
	for (int32_t j = 0; j < it->nctx; j++) {
		dm_text_dict_word_rows(p->d, it->ctx[j], &n);
		total += n;
	}
	return total;
}

static uint64_t item_flops(const plan *p, const item *it)
{
	uint64_t dim = (uint64_t)p->cfg.dim, outs;
	if (!it->nctx)
		return 0;
	outs = (uint64_t)(1 + p->cfg.neg) *
	       (p->cfg.model == DM_FT_MODEL_SKIPGRAM ? (uint64_t)it->nctx : 1);
	return dim * (2 * item_rows(p, it) + 1) + 6 * dim * outs;
}

int dm_ftv_estimate(const dm_text_dict *d, const dm_ftv_corpus *c, const dm_ftv_cfg *cfg,
		    uint64_t *flops, uint64_t *centres, dm_error *err)
{
	plan p;
	item it = {0};
	uint64_t f = 0, n = 0;
	int rc = -1;
	if (!(it.ctx = dm_malloc(2 * (size_t)(cfg->ws > 0 ? cfg->ws : 1) * sizeof *it.ctx, err)))
		return -1;
	if (plan_init(&p, d, c, cfg, 0, err))
		goto out;
	while (next_item(&p, &it))
		if (it.nctx) {
			f += item_flops(&p, &it);
			n++;
		}
	*flops = f;
	if (centres)
		*centres = n;
	rc = 0;
out:
	plan_free(&p);
	free(it.ctx);
	return rc;
}

/* ---- training ---- */


/* The centres of one batch, drawn before it runs. */
typedef struct batch {
	item *it;
	size_t n;       /* centres */
	uint64_t work;  /* their FLOPs */
	float lr;
} batch;

typedef struct run {
	plan *p;
	dm_ftv_weights *w;
	batch *bt;          /* two: the one that runs, the next (rows.h) */
	size_t size;        /* Batch-Size */
	float lr0, total;   /* Learning-Rate, tokens x epochs */
	dm_ft_batch b;
} run;

/* The next batch's centres, serially, in corpus order (no weight read). */
static void draw_batch(run *r, batch *b)
{
	plan *p = r->p;
	/* fastText's linear decay, from the tokens done before the batch */
	b->lr = f_mul(r->lr0, f_sub(1.0f, f_div((float)p->done, r->total)));
	b->n = 0;
	b->work = 0;
	while (b->n < r->size && next_item(p, &b->it[b->n]))
		if (b->it[b->n].nctx) {
			b->work += item_flops(p, &b->it[b->n]);
			b->n++;
		}
}

static size_t draw_next(void *arg, int slot, uint64_t *flops)
{
	run *r = arg;
	batch *b = &r->bt[slot];
	draw_batch(r, b);
	*flops = b->work;
	return b->n;
}

/* The batch that runs. */
static const batch *cur(const run *r)
{
	return &r->bt[r->b.slot];
}

static float dot(const float *a, const float *b, int32_t n)
{
	float d = 0.0f;
	for (int32_t j = 0; j < n; j++)
		d = f_add(d, f_mul(a[j], b[j]));
	return d;
}

static void axpy(float *y, float a, const float *x, int32_t n)
{
	for (int32_t j = 0; j < n; j++)
		y[j] = f_add(y[j], f_mul(a, x[j]));
}

static void add(float *y, const float *x, int32_t n)
{
	for (int32_t j = 0; j < n; j++)
		y[j] = f_add(y[j], x[j]);
}

/* fastText's binaryLogistic, its update of the output row deferred */
static void logistic(run *r, item *it, int32_t row, int label)
{
	const int32_t dim = r->w->dim;
	const float *wo = r->w->output + (size_t)row * (size_t)dim;
	float score = dm_sigmoidf(dot(wo, it->hidden, dim));
	float alpha = f_mul(cur(r)->lr, f_sub((float)label, score));
	axpy(it->grad, alpha, wo, dim);
	it->rows[it->nout] = row;
	it->alpha[it->nout++] = alpha;
}

/* fastText's NegativeSamplingLoss on one target: the target, then neg
 * words from the table, read on from *pos, never the target itself. */
static void ns(run *r, item *it, int32_t target, uint32_t *pos)
{
	const plan *p = r->p;
	logistic(r, it, target, 1);
	for (int32_t k = 0; k < p->cfg.neg; k++) {
		int32_t n;
		do {
			n = p->table[*pos];
			*pos = *pos + 1 == p->table_size ? 0 : *pos + 1;
		} while (n == target);
		logistic(r, it, n, 0);
	}
}

static void hidden_of(run *r, item *it, const int32_t *rows, size_t nr)
{
	const int32_t dim = r->w->dim;
	for (size_t q = 0; q < nr; q++)
		add(it->hidden, r->w->input + (size_t)rows[q] * (size_t)dim, dim);
}

static void forward(run *r, item *it)
{
	const int32_t dim = r->w->dim;
	const dm_text_dict *d = r->p->d;
	uint32_t pos = it->negpos;
	size_t nr, total = 0;
	const int32_t *rows;
	float scale;
	it->nout = 0;
	if (!it->nctx)
		return;
	memset(it->hidden, 0, (size_t)dim * sizeof *it->hidden);
	memset(it->grad, 0, (size_t)dim * sizeof *it->grad);
	if (r->p->cfg.model == DM_FT_MODEL_SKIPGRAM) {
		rows = dm_text_dict_word_rows(d, it->centre, &nr);
		hidden_of(r, it, rows, nr);
		total = nr;
	} else {
		for (int32_t j = 0; j < it->nctx; j++) {
			rows = dm_text_dict_word_rows(d, it->ctx[j], &nr);
			hidden_of(r, it, rows, nr);
			total += nr;
		}
	}
	/* fastText's hidden.mul(1.0 / input.size()) */
	scale = (float)(1.0 / (double)total);
	for (int32_t j = 0; j < dim; j++)
		it->hidden[j] = f_mul(it->hidden[j], scale);
	if (r->p->cfg.model == DM_FT_MODEL_SKIPGRAM)
		for (int32_t j = 0; j < it->nctx; j++)
			ns(r, it, it->ctx[j], &pos);
	else
		ns(r, it, it->centre, &pos);
}

static void phase1(void *arg, size_t begin, size_t end, int worker)
{
	run *r = arg;
	(void)worker;
	for (size_t i = begin; i < end; i++)
		forward(r, &cur(r)->it[i]);
}

/* Part k's updates of one centre, to the rows it owns. */
static void part_updates(run *r, const item *it, size_t k)
{
	const int32_t dim = r->w->dim;
	const int skipgram = r->p->cfg.model == DM_FT_MODEL_SKIPGRAM;
	size_t nr;
	if (!it->nout)
		return;
	for (int32_t q = 0; q < it->nout; q++)
		if (dm_ft_row_part(it->rows[q], r->b.parts) == k)
			axpy(r->w->output + (size_t)it->rows[q] * (size_t)dim, it->alpha[q], it->hidden,
			     dim);
	for (int32_t j = 0; j < (skipgram ? 1 : it->nctx); j++) {
		const int32_t *rows = dm_text_dict_word_rows(r->p->d, skipgram ? it->centre : it->ctx[j],
							     &nr);
		for (size_t q = 0; q < nr; q++)
			if (dm_ft_row_part(rows[q], r->b.parts) == k)
				add(r->w->input + (size_t)rows[q] * (size_t)dim, it->grad, dim);
	}
}

/* Part k owns the input and output rows with dm_ft_row_part(row) == k and
 * applies, centre after centre in the batch's order, their updates to them. */
static void phase2(void *arg, size_t begin, size_t end, int worker)
{
	run *r = arg;
	const batch *b = cur(r);
	(void)worker;
	for (size_t k = begin; k < end; k++)
		for (size_t i = 0; i < b->n; i++)
			part_updates(r, &b->it[i], k);
}

void dm_ftv_weights_free(dm_ftv_weights *w)
{
	free(w->input);
	free(w->output);
	memset(w, 0, sizeof *w);
}

int dm_ftv_train(const dm_text_dict *d, const dm_ftv_corpus *c, const dm_ftv_cfg *cfg,
		 dm_pool *pool, dm_ftv_weights *w, dm_error *err)
{
	plan p;
	run r = {0};
	batch batches[2] = {{0}};
	const size_t dim = (size_t)(cfg->dim > 0 ? cfg->dim : 1), size = (size_t)cfg->batch;
	const size_t ws2 = 2 * (size_t)(cfg->ws > 0 ? cfg->ws : 1);
	const size_t maxout = ws2 * ((size_t)(cfg->neg > 0 ? cfg->neg : 0) + 1);
	float *bufs = NULL;
	int32_t *ibuf = NULL;
	item *items = NULL;
	const uint64_t min_parallel = cfg->parallel_flops ? cfg->parallel_flops : DM_FTV_PARALLEL_FLOPS;
	int rc = -1;
	double t0 = 0.0, c0 = 0.0;
	memset(w, 0, sizeof *w);
	if (plan_init(&p, d, c, cfg, 1, err))
		goto out;
	w->dim = cfg->dim;
	w->nwords = d->nwords;
	w->rows = (int64_t)d->nwords + (int64_t)d->cfg.bucket;
	/* the serial allocations and the parallel initialisation */
	t0 = dm_ft_seconds(CLOCK_MONOTONIC);
	if (!(w->input = dm_ft_rows_init(pool, w->rows, cfg->dim, cfg->seed, STREAM_INIT, err)))
		goto out;
	w->times.init_seconds = dm_ft_seconds(CLOCK_MONOTONIC) - t0;
	c0 = dm_ft_seconds(CLOCK_PROCESS_CPUTIME_ID);
	w->output = dm_calloc((size_t)d->nwords * dim, sizeof *w->output, err);
	/* two batches: the one that runs and the one drawn meanwhile */
	items = dm_calloc(2 * size, sizeof *items, err);
	bufs = dm_alloc_floats(2 * size * (2 * dim + maxout), err);
	ibuf = dm_malloc(2 * size * (ws2 + maxout) * sizeof *ibuf, err);
	if (!w->input || !w->output || !items || !bufs || !ibuf)
		goto out;
	for (size_t i = 0; i < 2 * size; i++) {
		float *b = bufs + i * (2 * dim + maxout);
		items[i].hidden = b;
		items[i].grad = b + dim;
		items[i].alpha = b + 2 * dim;
		items[i].ctx = ibuf + i * (ws2 + maxout);
		items[i].rows = items[i].ctx + ws2;
	}
	batches[0].it = items;
	batches[1].it = items + size;
	r.p = &p;
	r.w = w;
	r.size = size;
	r.lr0 = cfg->lr;
	/* in float: x87's double arithmetic rounds twice */
	r.total = (float)c->ntokens * (float)cfg->epoch;
	r.bt = batches;
	r.b = (dm_ft_batch){.phase1 = phase1, .phase2 = phase2, .draw = draw_next, .arg = &r};
	if (dm_ft_batch_init(&r.b, pool, err))
		goto out;
	dm_ft_batch_loop(pool, min_parallel, &r.b, &w->centres, &w->flops);
	w->times.train_seconds = dm_ft_seconds(CLOCK_MONOTONIC) - t0 - w->times.init_seconds;
	w->times.train_cpu_seconds = dm_ft_seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
	for (size_t i = 0; i < (size_t)d->nwords * dim; i++)
		if (!isfinite(w->output[i])) {
			dm_fail(err, "training diverged (a weight is not finite): expected a lower "
				"Learning-Rate than %g", (double)cfg->lr);
			goto out;
		}
	rc = 0;
out:
	dm_ft_batch_free(&r.b);
	plan_free(&p);
	free(items);
	free(bufs);
	free(ibuf);
	if (rc)
		dm_ftv_weights_free(w);
	return rc;
}
