/* optim.c - parameter updates, split over threads by parameter (each
 * parameter's update is independent, so threads cannot change bits). */
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

static void step_range(void *arg, size_t begin, size_t end, int worker)
{
	const step_job *j = arg;
	const dm_optim_cfg *c = &j->o->cfg;
	float *p = j->p, *g = j->g;
	size_t i, n = j->o->n;
	(void)worker;
	if (c->kind == DM_OPT_SGD) {
		float *buf = j->o->state;
		int first = j->o->step == 1;
		for (i = begin; i < end; i++) {
			float gi = g[i];
			if (c->weight_decay != 0)
				gi = f_add(gi, f_mul(c->weight_decay, p[i]));
			if (c->momentum != 0) {
				buf[i] = first ? gi : f_add(f_mul(c->momentum, buf[i]), gi);
				gi = buf[i];
			}
			p[i] = f_sub(p[i], f_mul(j->lr, gi));
		}
		return;
	}
	{
		float *m = j->o->state, *v = j->o->state + n;
		float one_b1 = f_sub(1.0f, c->beta1), one_b2 = f_sub(1.0f, c->beta2);
		for (i = begin; i < end; i++) {
			float gi = g[i], denom;
			if (c->kind == DM_OPT_ADAMW)
				p[i] = f_mul(p[i], j->decay);
			else if (c->weight_decay != 0)
				gi = f_add(gi, f_mul(c->weight_decay, p[i]));
			m[i] = f_add(f_mul(c->beta1, m[i]), f_mul(one_b1, gi));
			v[i] = f_add(f_mul(c->beta2, v[i]), f_mul(f_mul(one_b2, gi), gi));
			denom = f_add(f_div(dm_sqrtf(v[i]), j->bc2_sqrt), c->eps);
			p[i] = f_sub(p[i], f_mul(j->step_size, f_div(m[i], denom)));
		}
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
