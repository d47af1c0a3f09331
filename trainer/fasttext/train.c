/* train.c - fastText's supervised model in synchronous sparse mini-batches
 * (see train.h and docs/text-training.md). */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fasttext/train.h"
#include "fasttext/rows.h"
#include "math/fmath.h"
#include "math/fp.h"
#include "math/rng.h"

/* Random streams of their own (rng.h's enum holds the small numbers). */
#define STREAM_ORDER 0x4654000000000001u  /* the order of the lines, per epoch */
#define STREAM_DRAW 0x4654000000000002u   /* a line's target and negatives */
#define STREAM_INIT 0x4654000100000000u   /* + block: the input rows */

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
		return dm_fail(err, "out of memory for %zu training rows", need);
	*v = p;
	*cap = c;
	return 0;
}

int dm_ft_corpus_add(dm_ft_corpus *c, const int32_t *ids, size_t nids,
		     const int32_t *labels, size_t nlabels, int64_t tokens, dm_error *err)
{
	size_t lcap = c->cap;
	if (!nids || !nlabels) {
		c->skipped++;
		return 0;
	}
	if (c->n + 2 > c->cap) {
		size_t k = c->cap;
		if (grow((void **)&c->start, &k, c->n + 2, sizeof *c->start, err))
			return -1;
		k = lcap;
		if (grow((void **)&c->lstart, &k, c->n + 2, sizeof *c->lstart, err))
			return -1;
		k = lcap;
		if (grow((void **)&c->tokens, &k, c->n + 2, sizeof *c->tokens, err))
			return -1;
		c->cap = k;
	}
	if (grow((void **)&c->ids, &c->ids_cap, c->nids + nids, sizeof *c->ids, err) ||
	    grow((void **)&c->labels, &c->labels_cap, c->nlabels + nlabels, sizeof *c->labels, err))
		return -1;
	if (!c->n)
		c->start[0] = c->lstart[0] = 0;
	memcpy(c->ids + c->nids, ids, nids * sizeof *ids);
	memcpy(c->labels + c->nlabels, labels, nlabels * sizeof *labels);
	c->nids += nids;
	c->nlabels += nlabels;
	c->tokens[c->n] = tokens > UINT32_MAX ? UINT32_MAX : (uint32_t)tokens;
	c->ntokens += c->tokens[c->n];
	c->n++;
	c->start[c->n] = c->nids;
	c->lstart[c->n] = c->nlabels;
	return 0;
}

void dm_ft_corpus_free(dm_ft_corpus *c)
{
	free(c->start);
	free(c->lstart);
	free(c->tokens);
	free(c->ids);
	free(c->labels);
	memset(c, 0, sizeof *c);
}

void dm_ft_train_defaults(dm_ft_train_cfg *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->dim = 100;
	cfg->epoch = 5;
	cfg->neg = 5;
	cfg->loss = DM_FT_LOSS_SOFTMAX;
	cfg->lr = 0.1f;
	cfg->batch = DM_FT_DEFAULT_BATCH;
}

int dm_ft_loss_parse(const char *s)
{
	static const struct { const char *name; int loss; } names[] = {
		{"softmax", DM_FT_LOSS_SOFTMAX}, {"ns", DM_FT_LOSS_NS},
		{"hs", DM_FT_LOSS_HS}, {"ova", DM_FT_LOSS_OVA}};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(s, names[i].name))
			return names[i].loss;
	return -1;
}

/* ---- what a run needs besides the weights ---- */

typedef struct tree {
	/* hs: for label i, path[pstart[i] .. pstart[i+1]) are the inner
	 * nodes (output rows) from the leaf up, code the side taken */
	int32_t *path;
	uint8_t *code;
	size_t *pstart;
} tree;

typedef struct plan {
	const dm_text_dict *d;
	const dm_ft_corpus *c;
	dm_ft_train_cfg cfg;
	int32_t osz;
	tree t;
	uint64_t *negcum;   /* ns: cumulative 1024 sqrt(count) of the labels */
	size_t *order;      /* this epoch's order of the lines */
	dm_rng order_rng, draw_rng;
	/* training's place: the epoch, the next line in order, tokens done */
	int32_t epoch;
	size_t next;
	uint64_t done;
} plan;

/* fastText's Huffman tree (HierarchicalSoftmaxLoss::buildTree): labels
 * come sorted by falling count; leaves from the end, inner nodes in the
 * order they are made; the second child is the "binary" (code 1) one. */
static int build_tree(plan *p, dm_error *err)
{
	const int32_t osz = p->osz, nodes = 2 * osz - 1;
	int64_t *count = dm_calloc((size_t)nodes, sizeof *count, err);
	int32_t *parent = dm_malloc((size_t)nodes * sizeof *parent, err);
	uint8_t *bin = dm_calloc((size_t)nodes, 1, err);
	int32_t i, leaf = osz - 1, node = osz;
	size_t total = 0;
	int rc = -1;
	if (!count || !parent || !bin)
		goto out;
	for (i = 0; i < nodes; i++) {
		parent[i] = -1;
		count[i] = i < osz ? p->d->e[p->d->nwords + i].count : (int64_t)1e15;
	}
	for (i = osz; i < nodes; i++) {
		int32_t mini[2];
		for (int s = 0; s < 2; s++)
			mini[s] = leaf >= 0 && (node >= i || count[leaf] < count[node]) ? leaf-- : node++;
		count[i] = count[mini[0]] + count[mini[1]];
		parent[mini[0]] = parent[mini[1]] = i;
		bin[mini[1]] = 1;
	}
	for (i = 0; i < osz; i++)
		for (int32_t j = i; parent[j] != -1; j = parent[j])
			total++;
	p->t.pstart = dm_malloc(((size_t)osz + 1) * sizeof *p->t.pstart, err);
	p->t.path = dm_malloc((total + 1) * sizeof *p->t.path, err);
	p->t.code = dm_malloc(total + 1, err);
	if (!p->t.pstart || !p->t.path || !p->t.code)
		goto out;
	total = 0;
	for (i = 0; i < osz; i++) {
		p->t.pstart[i] = total;
		for (int32_t j = i; parent[j] != -1; j = parent[j]) {
			p->t.path[total] = parent[j] - osz;
			p->t.code[total++] = bin[j];
		}
	}
	p->t.pstart[osz] = total;
	rc = 0;
out:
	free(count);
	free(parent);
	free(bin);
	return rc;
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

/* ns: labels drawn with probability proportional to sqrt(count), as from
 * fastText's negative table (which it shuffles; here a draw by bisection
 * over integer weights, the same on every architecture, where x87's double
 * rounding could move a floating-point boundary). */
static int build_negatives(plan *p, dm_error *err)
{
	uint64_t z = 0;
	if (!(p->negcum = dm_malloc((size_t)p->osz * sizeof *p->negcum, err)))
		return -1;
	for (int32_t i = 0; i < p->osz; i++) {
		uint64_t c = (uint64_t)p->d->e[p->d->nwords + i].count;
		z += isqrt((c < ((uint64_t)1 << 43) ? c : ((uint64_t)1 << 43) - 1) << 20);
		p->negcum[i] = z;
	}
	return 0;
}

static int32_t draw_negative(plan *p)
{
	uint64_t u = dm_rng_below(&p->draw_rng, p->negcum[p->osz - 1]);
	size_t lo = 0, hi = (size_t)p->osz - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->negcum[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (int32_t)lo;
}

static void plan_free(plan *p)
{
	free(p->t.path);
	free(p->t.code);
	free(p->t.pstart);
	free(p->negcum);
	free(p->order);
}

static int plan_init(plan *p, const dm_text_dict *d, const dm_ft_corpus *c,
		     const dm_ft_train_cfg *cfg, dm_error *err)
{
	memset(p, 0, sizeof *p);
	p->d = d, p->c = c, p->cfg = *cfg;
	p->osz = d->nlabels;
	if (cfg->dim < 1 || cfg->epoch < 1 || cfg->batch < 1 || cfg->neg < 0 ||
	    !(cfg->lr > 0.0f) || !isfinite(cfg->lr))
		return dm_fail(err, "Dim %d, Epochs %d, Batch-Size %d, Neg %d, Learning-Rate %g: expected "
			       "Dim, Epochs and Batch-Size of at least 1, Neg of at least 0 and a "
			       "positive Learning-Rate", (int)cfg->dim, (int)cfg->epoch,
			       (int)cfg->batch, (int)cfg->neg, (double)cfg->lr);
	if (cfg->loss < DM_FT_LOSS_HS || cfg->loss > DM_FT_LOSS_OVA)
		return dm_fail(err, "loss %d, expected softmax, ns, hs or ova", (int)cfg->loss);
	if (p->osz < 1)
		return dm_fail(err, "no label in the training data, expected at least one");
	if (!c->n)
		return dm_fail(err, "no training line with a label and a word (%" PRIu64
			       " lines without)", c->skipped);
	if (!(p->order = dm_malloc(c->n * sizeof *p->order, err)))
		return -1;
	dm_rng_seed(&p->order_rng, cfg->seed, STREAM_ORDER);
	dm_rng_seed(&p->draw_rng, cfg->seed, STREAM_DRAW);
	if (cfg->loss == DM_FT_LOSS_HS && build_tree(p, err))
		return -1;
	if (cfg->loss == DM_FT_LOSS_NS && build_negatives(p, err))
		return -1;
	return 0;
}

/* Each epoch: a Fisher-Yates shuffle of the lines from the seed. */
static void shuffle(plan *p)
{
	size_t n = p->c->n;
	for (size_t i = 0; i < n; i++)
		p->order[i] = i;
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)dm_rng_below(&p->order_rng, i), t = p->order[i - 1];
		p->order[i - 1] = p->order[j];
		p->order[j] = t;
	}
}

/* A line's target (one of its labels, uniformly, as fastText) and, for
 * ns, its negatives (neg labels, never the target).  Drawn serially, in
 * the order of the lines, so that the draws do not depend on threads. */
static int32_t draw(plan *p, size_t line, int32_t *neg)
{
	const dm_ft_corpus *c = p->c;
	size_t nl = c->lstart[line + 1] - c->lstart[line];
	int32_t target = c->labels[c->lstart[line] +
				   (nl > 1 ? (size_t)dm_rng_below(&p->draw_rng, nl) : 0)];
	if (p->cfg.loss == DM_FT_LOSS_NS && p->osz > 1)
		for (int32_t k = 0; k < p->cfg.neg; k++)
			do
				neg[k] = draw_negative(p);
			while (neg[k] == target);
	return target;
}

static uint64_t outputs_of(const plan *p, int32_t target)
{
	switch (p->cfg.loss) {
	case DM_FT_LOSS_NS:
		return 1 + (p->osz > 1 ? (uint64_t)p->cfg.neg : 0);
	case DM_FT_LOSS_HS:
		return p->t.pstart[target + 1] - p->t.pstart[target];
	default:
		return (uint64_t)p->osz;
	}
}

static uint64_t flops_of(const plan *p, size_t line, int32_t target)
{
	uint64_t dim = (uint64_t)p->cfg.dim, rows = p->c->start[line + 1] - p->c->start[line];
	return dim * (2 * rows + 2) + 6 * dim * outputs_of(p, target);
}

int dm_ft_train_estimate(const dm_text_dict *d, const dm_ft_corpus *c,
			 const dm_ft_train_cfg *cfg, uint64_t *flops, dm_error *err)
{
	plan p;
	int32_t *neg = dm_malloc(((size_t)cfg->neg + 1) * sizeof *neg, err);
	uint64_t f = 0;
	int rc = -1;
	if (!neg)
		return -1;
	if (plan_init(&p, d, c, cfg, err))
		goto out;
	for (int32_t e = 0; e < cfg->epoch; e++) {
		shuffle(&p);
		for (size_t i = 0; i < c->n; i++)
			f += flops_of(&p, p.order[i], draw(&p, p.order[i], neg));
	}
	*flops = f;
	rc = 0;
out:
	plan_free(&p);
	free(neg);
	return rc;
}

/* ---- training ---- */


/* One line of a batch: what phase 1 computes, phase 2 applies. */
typedef struct slot {
	size_t line;
	int32_t target;
	int32_t nout;
	float *hidden, *grad;   /* dim each */
	int32_t *rows;          /* nout output rows (NULL: all, in order) */
	float *alpha;           /* their coefficients */
} slot;

/* The lines of one batch, drawn before it runs. */
typedef struct batch {
	slot *s;
	int32_t *negs;         /* per slot, neg + 1 of them */
	size_t ns;             /* lines */
	uint64_t work;         /* their FLOPs */
	float lr;
} batch;

typedef struct run {
	plan *p;
	dm_ft_weights *w;
	batch *bt;             /* two: the one that runs, the next (rows.h) */
	size_t size;           /* Batch-Size */
	float lr0, total;      /* Learning-Rate, tokens x epochs */
	dm_ft_batch b;
} run;

/* The next batch's lines and draws, serially (no weight read): the lines
 * of one epoch in its shuffled order, a batch never across two epochs. */
static void draw_batch(run *r, batch *b)
{
	plan *p = r->p;
	const dm_ft_corpus *c = p->c;
	const size_t nneg = (size_t)p->cfg.neg + 1;
	b->ns = 0;
	b->work = 0;
	if (p->next == c->n) {
		if (++p->epoch >= p->cfg.epoch)
			return;
		shuffle(p);
		p->next = 0;
	}
	/* fastText's linear decay, from the tokens done before the batch */
	b->lr = f_mul(r->lr0, f_sub(1.0f, f_div((float)p->done, r->total)));
	b->ns = c->n - p->next < r->size ? c->n - p->next : r->size;
	for (size_t i = 0; i < b->ns; i++) {
		slot *s = &b->s[i];
		s->line = p->order[p->next + i];
		s->target = draw(p, s->line, b->negs + i * nneg);
		b->work += flops_of(p, s->line, s->target);
		p->done += c->tokens[s->line];
	}
	p->next += b->ns;
}

static size_t draw_next(void *arg, int slot, uint64_t *flops)
{
	run *r = arg;
	batch *b = &r->bt[slot];
	draw_batch(r, b);
	*flops = b->work;
	return b->ns;
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

/* binary logistic on one output row: fastText's BinaryLogisticLoss */
static void logistic(run *r, slot *s, int32_t row, int label)
{
	const int32_t dim = r->w->dim;
	const float *wo = r->w->output + (size_t)row * (size_t)dim;
	float score = dm_sigmoidf(dot(wo, s->hidden, dim));
	float alpha = f_mul(cur(r)->lr, f_sub((float)label, score));
	axpy(s->grad, alpha, wo, dim);
	s->rows[s->nout] = row;
	s->alpha[s->nout++] = alpha;
}

static void forward(run *r, slot *s, const int32_t *negs)
{
	const dm_ft_corpus *c = r->p->c;
	const int32_t dim = r->w->dim, osz = r->p->osz;
	const size_t b = c->start[s->line], e = c->start[s->line + 1];
	float scale = (float)(1.0 / (double)(e - b));
	memset(s->hidden, 0, (size_t)dim * sizeof *s->hidden);
	memset(s->grad, 0, (size_t)dim * sizeof *s->grad);
	for (size_t i = b; i < e; i++)
		axpy(s->hidden, 1.0f, r->w->input + (size_t)c->ids[i] * (size_t)dim, dim);
	for (int32_t j = 0; j < dim; j++)
		s->hidden[j] *= scale;
	s->nout = 0;
	switch (r->p->cfg.loss) {
	case DM_FT_LOSS_SOFTMAX: {
		float max, z = 0.0f;
		for (int32_t i = 0; i < osz; i++)
			s->alpha[i] = dot(r->w->output + (size_t)i * (size_t)dim, s->hidden, dim);
		max = s->alpha[0];
		for (int32_t i = 1; i < osz; i++)
			max = s->alpha[i] > max ? s->alpha[i] : max;
		for (int32_t i = 0; i < osz; i++)
			z += s->alpha[i] = dm_expf(s->alpha[i] - max);
		for (int32_t i = 0; i < osz; i++) {
			float a = f_mul(cur(r)->lr, f_sub(i == s->target ? 1.0f : 0.0f, f_div(s->alpha[i], z)));
			axpy(s->grad, a, r->w->output + (size_t)i * (size_t)dim, dim);
			s->rows[i] = i;
			s->alpha[i] = a;
		}
		s->nout = osz;
		break;
	}
	case DM_FT_LOSS_NS:
		logistic(r, s, s->target, 1);
		if (osz > 1)
			for (int32_t k = 0; k < r->p->cfg.neg; k++)
				logistic(r, s, negs[k], 0);
		break;
	case DM_FT_LOSS_HS: {
		const tree *t = &r->p->t;
		for (size_t k = t->pstart[s->target]; k < t->pstart[s->target + 1]; k++)
			logistic(r, s, t->path[k], t->code[k]);
		break;
	}
	case DM_FT_LOSS_OVA: {
		const int32_t *lab = c->labels + c->lstart[s->line];
		size_t nl = c->lstart[s->line + 1] - c->lstart[s->line];
		for (int32_t i = 0; i < osz; i++) {
			int label = 0;
			for (size_t k = 0; k < nl; k++)
				label |= lab[k] == i;
			logistic(r, s, i, label);
		}
		break;
	}
	}
	for (int32_t j = 0; j < dim; j++)
		s->grad[j] *= scale;
}

static void phase1(void *arg, size_t begin, size_t end, int worker)
{
	run *r = arg;
	(void)worker;
	for (size_t i = begin; i < end; i++)
		forward(r, &cur(r)->s[i], cur(r)->negs + i * (size_t)(r->p->cfg.neg + 1));
}

/* Part k of parts owns the output rows [osz*k/parts, osz*(k+1)/parts) and
 * the input rows with dm_ft_row_part(row) == k; it applies, for each line of the
 * batch in order, that line's updates to its rows. */
static void phase2(void *arg, size_t begin, size_t end, int worker)
{
	run *r = arg;
	const dm_ft_corpus *c = r->p->c;
	const int32_t dim = r->w->dim, osz = r->p->osz;
	(void)worker;
	for (size_t k = begin; k < end; k++) {
		int32_t o0 = (int32_t)((int64_t)osz * (int64_t)k / r->b.parts);
		int32_t o1 = (int32_t)((int64_t)osz * (int64_t)(k + 1) / r->b.parts);
		for (size_t i = 0; i < cur(r)->ns; i++) {
			const slot *s = &cur(r)->s[i];
			for (int32_t q = 0; q < s->nout; q++)
				if (s->rows[q] >= o0 && s->rows[q] < o1)
					axpy(r->w->output + (size_t)s->rows[q] * (size_t)dim, s->alpha[q],
					     s->hidden, dim);
			for (size_t q = c->start[s->line]; q < c->start[s->line + 1]; q++)
				if (dm_ft_row_part(c->ids[q], r->b.parts) == k)
					axpy(r->w->input + (size_t)c->ids[q] * (size_t)dim, 1.0f, s->grad, dim);
		}
	}
}

void dm_ft_weights_free(dm_ft_weights *w)
{
	free(w->input);
	free(w->output);
	memset(w, 0, sizeof *w);
}

int dm_ft_train(const dm_text_dict *d, const dm_ft_corpus *c, const dm_ft_train_cfg *cfg,
		dm_pool *pool, dm_ft_weights *w, dm_error *err)
{
	plan p;
	run r = {0};
	batch batches[2] = {{0}};
	const size_t dim = (size_t)(cfg->dim > 0 ? cfg->dim : 1), size = (size_t)cfg->batch;
	const size_t nneg = (size_t)(cfg->neg > 0 ? cfg->neg : 0) + 1;
	size_t maxout;
	float *bufs = NULL;
	int32_t *rowbuf = NULL, *negs = NULL;
	slot *slots = NULL;
	/* waking the threads costs tens of microseconds, far more on a loaded
	 * machine: a small batch is done on this thread */
	const uint64_t min_parallel = cfg->parallel_flops ? cfg->parallel_flops : DM_FT_PARALLEL_FLOPS;
	int rc = -1;
	double t0 = 0.0, c0 = 0.0;
	memset(w, 0, sizeof *w);
	if (plan_init(&p, d, c, cfg, err))
		goto out;
	w->dim = cfg->dim;
	w->nlabels = p.osz;
	w->rows = (int64_t)d->nwords + (int64_t)d->cfg.bucket;
	/* the serial allocations and the parallel initialisation */
	t0 = dm_ft_seconds(CLOCK_MONOTONIC);
	if (!(w->input = dm_ft_rows_init(pool, w->rows, cfg->dim, cfg->seed, STREAM_INIT, err)))
		goto out;
	w->times.init_seconds = dm_ft_seconds(CLOCK_MONOTONIC) - t0;
	c0 = dm_ft_seconds(CLOCK_PROCESS_CPUTIME_ID);
	w->output = dm_calloc((size_t)p.osz * dim, sizeof *w->output, err);
	maxout = (size_t)p.osz + nneg;
	/* two batches: the one that runs and the one drawn meanwhile */
	slots = dm_calloc(2 * size, sizeof *slots, err);
	negs = dm_malloc(2 * size * nneg * sizeof *negs, err);
	bufs = dm_alloc_floats(2 * size * (2 * dim + maxout), err);
	rowbuf = dm_malloc(2 * size * maxout * sizeof *rowbuf, err);
	if (!w->input || !w->output || !slots || !negs || !bufs || !rowbuf)
		goto out;
	for (size_t i = 0; i < 2 * size; i++) {
		float *b = bufs + i * (2 * dim + maxout);
		slots[i].hidden = b;
		slots[i].grad = b + dim;
		slots[i].alpha = b + 2 * dim;
		slots[i].rows = rowbuf + i * maxout;
	}
	for (int k = 0; k < 2; k++) {
		batches[k].s = slots + (size_t)k * size;
		batches[k].negs = negs + (size_t)k * size * nneg;
	}
	p.epoch = -1;
	p.next = c->n;
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
	dm_ft_batch_loop(pool, min_parallel, &r.b, &w->examples, &w->flops);
	w->times.train_seconds = dm_ft_seconds(CLOCK_MONOTONIC) - t0 - w->times.init_seconds;
	w->times.train_cpu_seconds = dm_ft_seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
	for (size_t i = 0; i < (size_t)p.osz * dim; i++)
		if (!isfinite(w->output[i])) {
			dm_fail(err, "training diverged (a weight is not finite): expected a lower "
				"Learning-Rate than %g", (double)cfg->lr);
			goto out;
		}
	rc = 0;
out:
	dm_ft_batch_free(&r.b);
	plan_free(&p);
	free(slots);
	free(negs);
	free(bufs);
	free(rowbuf);
	if (rc)
		dm_ft_weights_free(w);
	return rc;
}

/* ---- the model as fastText's .bin ---- */

int dm_ft_model_view(const dm_text_dict *d, const dm_ft_train_cfg *cfg,
		     const dm_ft_weights *w, dm_ft_model *m, dm_error *err)
{
	memset(m, 0, sizeof *m);
	m->version = DM_FT_VERSION;
	m->args = (dm_ft_args){.dim = cfg->dim, .ws = 5, .epoch = cfg->epoch,
			       .min_count = (int32_t)d->cfg.min_count, .neg = cfg->neg,
			       .word_ngrams = d->cfg.word_ngrams, .loss = cfg->loss,
			       .model = DM_FT_MODEL_SUPERVISED, .bucket = (int32_t)d->cfg.bucket,
			       .minn = d->cfg.minn, .maxn = d->cfg.maxn, .lr_update_rate = 100,
			       .t = 1e-4};
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
	m->output = (dm_ft_matrix){w->nlabels, w->dim, w->output};
	return 0;
}

void dm_ft_model_view_free(dm_ft_model *m)
{
	free(m->entries);
	memset(m, 0, sizeof *m);
}
