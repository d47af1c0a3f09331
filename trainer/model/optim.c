/* optim.c - parameter updates, split over threads by parameter (each
 * parameter's update is independent, so threads cannot change bits). */
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../base/sanitizer.h"
#include "../math/fmath.h"
#include "../math/fp.h"

int dm_opt_parse(const char *s, dm_opt_kind *out)
{
	if (!strcmp(s, "sgd"))
		*out = DM_OPT_SGD;
	else if (!strcmp(s, "adam"))
		*out = DM_OPT_ADAM;
	else if (!strcmp(s, "adamw"))
		*out = DM_OPT_ADAMW;
	else
		return -1;
	return 0;
}

const char *dm_opt_name(dm_opt_kind k)
{
	return k == DM_OPT_SGD ? "sgd" : k == DM_OPT_ADAM ? "adam" : "adamw";
}

void dm_optim_defaults(dm_opt_kind kind, dm_optim_cfg *c)
{
	memset(c, 0, sizeof *c);
	c->kind = kind;
	c->lr = kind == DM_OPT_SGD ? 0.01f : 0.001f;
	c->momentum = 0.0f;
	c->beta1 = 0.9f;
	c->beta2 = 0.999f;
	c->eps = 1e-8f;
	c->weight_decay = kind == DM_OPT_ADAMW ? 0.01f : 0.0f;
}

int dm_optim_init(dm_optim *o, const dm_optim_cfg *cfg, size_t n, dm_error *err)
{
	memset(o, 0, sizeof *o);
	o->cfg = *cfg;
	o->n = n;
	o->b1_pow = o->b2_pow = 1.0f;
	o->state = dm_alloc_floats(cfg->kind == DM_OPT_SGD ? n : 2 * n, err);
	return o->state ? 0 : -1;
}

void dm_optim_free(dm_optim *o)
{
	free(o->state);
	o->state = NULL;
}

#define NORM_CHUNK 4096

typedef struct norm_job {
	const float *g;
	size_t n;
	float *partial; /* one sum of squares per chunk */
} norm_job;

static void norm_chunks(void *arg, size_t begin, size_t end, int worker)
{
	norm_job *j = arg;
	size_t c, i;
	(void)worker;
	for (c = begin; c < end; c++) {
		size_t lo = c * NORM_CHUNK, hi = lo + NORM_CHUNK < j->n ? lo + NORM_CHUNK : j->n;
		float s = 0.0f;
		for (i = lo; i < hi; i++)
			s = f_add(s, f_mul(j->g[i], j->g[i]));
		j->partial[c] = s;
	}
}

float dm_grad_norm(dm_engine *e, const float *g, size_t n)
{
	size_t chunks = (n + NORM_CHUNK - 1) / NORM_CHUNK, c;
	float stack[256], *partial = chunks <= 256 ? stack : malloc(chunks * sizeof *partial);
	norm_job j = {g, n, partial};
	float total = 0.0f;
	if (!partial)
		return INFINITY; /* out of memory: clip everything to zero rather than crash */
	dm_pool_run(e->pool, chunks, 1, norm_chunks, &j);
	for (c = 0; c < chunks; c++)
		total = f_add(total, partial[c]);
	if (partial != stack)
		free(partial);
	e->flop += 2 * (uint64_t)n;
	return dm_sqrtf(total);
}

typedef struct step_job {
	const dm_optim *o;
	float *p, *g, lr;
	float step_size, bc2_sqrt; /* adam: lr / (1 - b1^t), sqrt(1 - b2^t) */
	float decay;               /* adamw: 1 - lr wd */
} step_job;

/* The update of one parameter, inlined into loops whose flags are
 * constants there, so that each loop has no branch and vectorizes. */
/* Adam's constants for one step, as values: loads through a pointer could
 * alias the parameters in the compiler's eyes and stop vectorization. */
typedef struct adam_k {
	float beta1, beta2, one_b1, one_b2, eps, wd, decay, step_size, bc2_sqrt;
} adam_k;

static inline void adam_one(float *p, float *m, float *v, float g, adam_k k, int decoupled,
			    int l2)
{
	float denom;
	if (decoupled)
		*p = f_mul(*p, k.decay);
	if (l2)
		g = f_add(g, f_mul(k.wd, *p));
	*m = f_add(f_mul(k.beta1, *m), f_mul(k.one_b1, g));
	*v = f_add(f_mul(k.beta2, *v), f_mul(f_mul(k.one_b2, g), g));
	denom = f_add(f_div(dm_sqrtf(*v), k.bc2_sqrt), k.eps);
	*p = f_sub(*p, f_mul(k.step_size, f_div(*m, denom)));
}

static inline void sgd_one(float *p, float *buf, float g, float wd, float mu, float lr,
			   int first, int momentum, int l2)
{
	if (l2)
		g = f_add(g, f_mul(wd, *p));
	if (momentum) {
		*buf = first ? g : f_add(f_mul(mu, *buf), g);
		g = *buf;
	}
	*p = f_sub(*p, f_mul(lr, g));
}

/* x86-64's baseline has 4-lane SSE: an AVX2 clone (chosen at load time)
 * does the same IEEE operations 8 lanes at a time (no FMA: -ffp-contract=off
 * and no "fma" target), so the bits are the same.  Not under TSan: the
 * clone's resolver runs during relocation, before TSan's runtime, and its
 * instrumentation crashes the program at load. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(DM_TSAN)
__attribute__((target_clones("avx2", "default")))
#endif
static void step_range(void *arg, size_t begin, size_t end, int worker)
{
	const step_job *j = arg;
	const dm_optim_cfg *c = &j->o->cfg;
	float *restrict p = j->p;
	const float *restrict g = j->g;
	size_t i, n = j->o->n;
	(void)worker;
	if (c->kind == DM_OPT_SGD) {
		float *restrict buf = j->o->state;
		int first = j->o->step == 1, mom = c->momentum != 0, l2 = c->weight_decay != 0;
		float lr = j->lr, wd = c->weight_decay, mu = c->momentum;
#define SGD_LOOP(F, M, L) for (i = begin; i < end; i++) sgd_one(&p[i], &buf[i], g[i], wd, mu, lr, F, M, L)
		if (!mom && !l2)
			SGD_LOOP(0, 0, 0);
		else if (!mom)
			SGD_LOOP(0, 0, 1);
		else if (first && l2)
			SGD_LOOP(1, 1, 1);
		else if (first)
			SGD_LOOP(1, 1, 0);
		else if (l2)
			SGD_LOOP(0, 1, 1);
		else
			SGD_LOOP(0, 1, 0);
#undef SGD_LOOP
		return;
	}
	{
		float *restrict m = j->o->state, *restrict v = j->o->state + n;
		adam_k k = {c->beta1, c->beta2, f_sub(1.0f, c->beta1), f_sub(1.0f, c->beta2), c->eps,
			    c->weight_decay, j->decay, j->step_size, j->bc2_sqrt};
#define ADAM_LOOP(D, L) for (i = begin; i < end; i++) adam_one(&p[i], &m[i], &v[i], g[i], k, D, L)
		if (c->kind == DM_OPT_ADAMW)
			ADAM_LOOP(1, 0);
		else if (c->weight_decay != 0)
			ADAM_LOOP(0, 1);
		else
			ADAM_LOOP(0, 0);
#undef ADAM_LOOP
	}
}

void dm_optim_step(dm_optim *o, dm_engine *e, float *params, float *grads,
		   float lr)
{
	step_job j;
	size_t i;
	if (o->cfg.clip_norm > 0) {
		float norm = dm_grad_norm(e, grads, o->n);
		if (norm > o->cfg.clip_norm) {
			float scale = f_div(o->cfg.clip_norm, f_add(norm, 1e-6f));
			for (i = 0; i < o->n; i++)
				grads[i] = f_mul(grads[i], scale);
			e->flop += o->n;
		}
	}
	o->step++;
	o->b1_pow = f_mul(o->b1_pow, o->cfg.beta1);
	o->b2_pow = f_mul(o->b2_pow, o->cfg.beta2);
	j.o = o, j.p = params, j.g = grads, j.lr = lr;
	j.step_size = f_div(lr, f_sub(1.0f, o->b1_pow));
	j.bc2_sqrt = dm_sqrtf(f_sub(1.0f, o->b2_pow));
	j.decay = f_sub(1.0f, f_mul(lr, o->cfg.weight_decay));
	dm_pool_run(e->pool, o->n, 1024, step_range, &j);
	e->flop += dm_optim_flop_per_param(&o->cfg) * o->n;
}

uint64_t dm_optim_flop_per_param(const dm_optim_cfg *c)
{
	if (c->kind == DM_OPT_SGD)
		return 2 + (c->weight_decay != 0 ? 2 : 0) + (c->momentum != 0 ? 2 : 0);
	return 12 + (c->weight_decay != 0 ? 2 : 0);
}
