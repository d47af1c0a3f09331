/* batchnorm.c - batch normalisation, PyTorch's nn.BatchNorm1d / 2d.
 *
 * Recipe: "batchnorm".  Per channel c of the input: C x H x W (BatchNorm2d,
 * over B*H*W values), C x L (BatchNorm1d on [B, C, L]) or a plain width C
 * (BatchNorm1d, over B values).  eps 1e-5, momentum 0.1, as PyTorch's
 * defaults.  Tensors: weight (gamma, 1) and bias (beta, 0) [C], learned;
 * state: running_mean (0) and running_var (1) [C] and num_batches_tracked
 * [] (a float here: exact up to 2^24 batches; PyTorch's is int64 and
 * load_state_dict converts it).
 *
 * Training normalises with the batch's mean and biased variance and moves
 * the running statistics towards the batch's mean and unbiased variance;
 * evaluation normalises with the running statistics.  Sums run over b then
 * h, w in that order, for every channel, each channel on one thread. */
#include <stdio.h>

#include "../../math/fmath.h"
#include "../../math/fp.h"
#include "../layer.h"

#define EPS 1e-5f
#define MOMENTUM 0.1f
#define KEEP 0.9f /* 1 - MOMENTUM, rounded to float */

typedef struct geom {
	size_t C, S; /* channels, values of a channel in one sample */
} geom;

static geom geom_of(const dm_layer *l)
{
	const dm_shape *s = &l->in_shape;
	geom g = {s->d[0], 1};
	size_t d;
	for (d = 1; d < s->ndim; d++)
		g.S *= s->d[d];
	return g;
}

static const char *tensor(const dm_layer *l, size_t k, dm_shape *shape)
{
	*shape = dm_shape_1(geom_of(l).C);
	return k == 0 ? "weight" : "bias";
}

static void init(const dm_layer *l, float *p, dm_rng *rng)
{
	size_t k, C = geom_of(l).C;
	(void)rng;
	for (k = 0; k < C; k++)
		p[k] = 1.0f, p[C + k] = 0.0f;
}

static const char *state(const dm_layer *l, size_t k, dm_shape *shape)
{
	static const char *const names[] = {"running_mean", "running_var", "num_batches_tracked"};
	if (k == 2)
		shape->ndim = 0;
	else
		*shape = dm_shape_1(geom_of(l).C);
	return names[k];
}

static void init_state(const dm_layer *l, float *s)
{
	size_t k, C = geom_of(l).C;
	for (k = 0; k < C; k++)
		s[k] = 0.0f, s[C + k] = 1.0f;
	s[2 * C] = 0.0f;
}

static size_t min_rows(const dm_layer *l)
{
	return geom_of(l).S > 1 ? 1 : 2;
}

/* FLOP of one channel of m = B*S values, the same rules in run() */
#define STATS_FLOP(m) (4 * (m) + 5) /* sum, /m, (x-mean)^2 summed, /m, +eps, sqrt, 1/ */
static uint64_t channel_flop(uint64_t m, dm_layer_pass pass, dm_checked *ck)
{
	uint64_t m4 = dm_ck_mul(ck, 4, m), m2 = dm_ck_mul(ck, 2, m);
	switch (pass) {
	case DM_PASS_EVAL: /* +eps, sqrt, 1/, scale, shift (2); y = x*scale + shift */
		return dm_ck_add(ck, m2, 6);
	case DM_PASS_TRAIN: /* stats, scale, shift (2), y, running mean (3) and
			     * var (5); num_batches_tracked's one is the layer's */
		return dm_ck_add(ck, dm_ck_add(ck, m4, m2), 5 + 3 + 3 + 5);
	case DM_PASS_BACKWARD: /* stats, xhat (2) and the sums (3) an element,
				* 3 a channel, dx 6 an element */
		return dm_ck_add(ck, dm_ck_mul(ck, 15, m), 5 + 3);
	default:
		return dm_ck_add(ck, dm_ck_mul(ck, 9, m), 5);
	}
}

/* Channels are worked on GROUP at a time: the sums of a channel run in
 * their one order (b, then s), and the GROUP sums, independent, overlap
 * instead of each waiting for its previous add.  The groups are split
 * between the pool's threads: a channel is one thread's, so neither the
 * grouping nor the thread count changes a bit. */
#define GROUP 8

/* out[r] = the sum over b, s of x[b, c0 + r, s] (minus sub[r], squared,
 * if sub), from +0 in the order b, s; r in [0, n), n <= GROUP */
static inline __attribute__((always_inline)) void
sums_n(const float *x, size_t B, geom g, size_t c0, size_t n, const float *sub, float *out)
{
	float acc[GROUP] = {0};
	size_t b, s, r;
	for (b = 0; b < B; b++) {
		const float *p = x + (b * g.C + c0) * g.S;
		for (s = 0; s < g.S; s++)
			for (r = 0; r < n; r++) {
				float v = p[r * g.S + s];
				if (sub) {
					float d = f_sub(v, sub[r]);
					v = f_mul(d, d);
				}
				acc[r] = f_add(acc[r], v);
			}
	}
	for (r = 0; r < n; r++)
		out[r] = acc[r];
}

static void sums(const float *x, size_t B, geom g, size_t c0, size_t n, const float *sub,
		 float *out)
{
	if (n == GROUP && sub)
		sums_n(x, B, g, c0, GROUP, sub, out);
	else if (n == GROUP)
		sums_n(x, B, g, c0, GROUP, NULL, out);
	else
		sums_n(x, B, g, c0, n, sub, out);
}

/* the mean and 1/sqrt(biased var + eps) of channels c0 + r of x [B, C, S],
 * r in [0, n) */
static void batch_stats(const float *x, size_t B, geom g, size_t c0, size_t n, float *mean,
			float *var, float *invstd)
{
	size_t r;
	float m = (float)(B * g.S);
	sums(x, B, g, c0, n, NULL, mean);
	for (r = 0; r < n; r++)
		mean[r] = f_div(mean[r], m);
	sums(x, B, g, c0, n, mean, var);
	for (r = 0; r < n; r++) {
		var[r] = f_div(var[r], m);
		invstd[r] = f_div(1.0f, dm_sqrtf(f_add(var[r], EPS)));
	}
}

/* dbeta[c0 + r] = the sum of dY, dgamma[c0 + r] that of dY xhat, over
 * b, s in that order, r in [0, n), n <= GROUP */
static inline __attribute__((always_inline)) void
grad_sums_n(const dm_layer_ctx *c, geom g, size_t c0, size_t n, const float *mean,
	    const float *invstd)
{
	float db[GROUP] = {0}, dg[GROUP] = {0};
	float *dgamma = c->grads, *dbeta = c->grads + g.C;
	size_t b, s, r;
	for (b = 0; b < c->B; b++) {
		size_t at = (b * g.C + c0) * g.S;
		const float *x = c->x + at, *dy = c->dy + at;
		for (s = 0; s < g.S; s++)
			for (r = 0; r < n; r++) {
				float xhat = f_mul(f_sub(x[r * g.S + s], mean[r]), invstd[r]);
				db[r] = f_add(db[r], dy[r * g.S + s]);
				dg[r] = f_add(dg[r], f_mul(dy[r * g.S + s], xhat));
			}
	}
	for (r = 0; r < n; r++)
		dbeta[c0 + r] = db[r], dgamma[c0 + r] = dg[r];
}

typedef struct bn_job {
	const dm_layer_ctx *c;
	geom g;
	int action;
} bn_job;

/* forward:  Y[B, C, S] = (X - mean[c]) / sqrt(var[c] + eps) * gamma[c] + beta[c],
 *           computed as X * scale[c] + shift[c]; mean, var the batch's
 *           (training, then running stats updated) or the running ones
 * backward: xhat = (X - mean) * invstd, dbeta[c] = sum dY, dgamma[c] =
 *           sum dY xhat, dX = gamma invstd (dY - dbeta/m - xhat dgamma/m)
 * Channels [begin, end), GROUP at a time. */
static void channels_run(void *arg, size_t begin, size_t end, int worker)
{
	const bn_job *j = arg;
	const dm_layer_ctx *c = j->c;
	geom g = j->g;
	size_t c0, ch, r, b, s, B = c->B, m = B * g.S;
	const float *gamma = c->params, *beta = c->params + g.C;
	float *rmean = c->state, *rvar = c->state + g.C;
	(void)worker;
	for (c0 = begin; c0 < end; c0 += GROUP) {
		size_t n = end - c0 < GROUP ? end - c0 : GROUP;
		float mean[GROUP], var[GROUP], invstd[GROUP];
		if (j->action == DM_LAYER_FORWARD) {
			if (c->training) {
				batch_stats(c->x, B, g, c0, n, mean, var, invstd);
				for (r = 0; r < n; r++) /* for backward */
					c->work[c0 + r] = mean[r], c->work[g.C + c0 + r] = invstd[r];
			}
			for (r = 0; r < n; r++) {
				float scale, shift;
				ch = c0 + r;
				if (c->training) {
					float unbiased = f_div(f_mul(var[r], (float)m), (float)(m - 1));
					rmean[ch] = f_add(f_mul(KEEP, rmean[ch]),
							  f_mul(MOMENTUM, mean[r]));
					rvar[ch] = f_add(f_mul(KEEP, rvar[ch]),
							 f_mul(MOMENTUM, unbiased));
				} else {
					mean[r] = rmean[ch];
					invstd[r] = f_div(1.0f, dm_sqrtf(f_add(rvar[ch], EPS)));
				}
				scale = f_mul(gamma[ch], invstd[r]);
				shift = f_sub(beta[ch], f_mul(mean[r], scale));
				for (b = 0; b < B; b++) {
					size_t at = (b * g.C + ch) * g.S;
					const float *x = c->x + at;
					float *y = (c->relu ? c->relu : c->y) + at;
					if (c->relu) /* a fused ReLU: relu.c's expression */
						for (s = 0; s < g.S; s++) {
							float v = f_add(f_mul(x[s], scale), shift);
							y[s] = v > 0 ? v : 0.0f;
						}
					else
						for (s = 0; s < g.S; s++)
							y[s] = f_add(f_mul(x[s], scale), shift);
				}
			}
			continue;
		}
		if (c->work[2 * g.C] != 0.0f) /* kept by the training forward pass */
			for (r = 0; r < n; r++)
				mean[r] = c->work[c0 + r], invstd[r] = c->work[g.C + c0 + r];
		else
			batch_stats(c->x, B, g, c0, n, mean, var, invstd);
		if (n == GROUP)
			grad_sums_n(c, g, c0, GROUP, mean, invstd);
		else
			grad_sums_n(c, g, c0, n, mean, invstd);
		if (!c->dx)
			continue;
		for (r = 0; r < n; r++) {
			float *dgamma = c->grads, *dbeta = c->grads + g.C, k, a, q;
			ch = c0 + r;
			k = f_mul(gamma[ch], invstd[r]);
			a = f_div(dbeta[ch], (float)m);
			q = f_div(dgamma[ch], (float)m);
			for (b = 0; b < B; b++) {
				size_t at = (b * g.C + ch) * g.S;
				const float *x = c->x + at, *dy = c->dy + at;
				float *dx = c->dx + at, mu = mean[r], is = invstd[r];
				for (s = 0; s < g.S; s++) {
					float xhat = f_mul(f_sub(x[s], mu), is);
					dx[s] = f_mul(k, f_sub(f_sub(dy[s], a), f_mul(xhat, q)));
				}
			}
		}
	}
}

static void run(const dm_layer_ctx *c, int action)
{
	bn_job j = {c, geom_of(c->l), action};
	size_t m = c->B * j.g.S;
	dm_checked ck = {0};
	dm_layer_pass pass = action == DM_LAYER_FORWARD
				     ? (c->training ? DM_PASS_TRAIN : DM_PASS_EVAL)
				     : (c->dx ? DM_PASS_BACKWARD : DM_PASS_BACKWARD_NO_DX);
	c->e->flop += j.g.C * channel_flop(m, pass, &ck) + (pass == DM_PASS_TRAIN);
	if (action == DM_LAYER_FORWARD) /* whether work holds the batch's statistics */
		c->work[2 * j.g.C] = c->training ? 1.0f : 0.0f;
	dm_pool_run(c->e->pool, j.g.C, GROUP, channels_run, &j);
	if (action == DM_LAYER_FORWARD && c->training)
		c->state[2 * j.g.C] = f_add(c->state[2 * j.g.C], 1.0f);
}

/* The training forward pass keeps each channel's mean and 1/sqrt(var +
 * eps) for backward (the same floats backward would compute again from
 * the same input), and a flag that says they are there: 2C + 1 floats,
 * asked per sample as workspaces are (a batch has at least one). */
static size_t work(const dm_layer *l)
{
	return 2 * geom_of(l).C + 1;
}

static uint64_t flop(const dm_layer *l, uint64_t B, dm_layer_pass pass, dm_checked *ck)
{
	geom g = geom_of(l);
	return dm_ck_add(ck, dm_ck_mul(ck, g.C, channel_flop(dm_ck_mul(ck, B, g.S), pass, ck)),
			 pass == DM_PASS_TRAIN);
}

/* BatchNorm2d after a C x H x W shape, BatchNorm1d after C x L or a width */
static int torch(const dm_layer *l, char *buf, size_t size)
{
	return snprintf(buf, size, "nn.BatchNorm%dd(%zu)", l->in_shape.ndim == 3 ? 2 : 1,
			geom_of(l).C);
}

/* inference mode: the running statistics; [N, C, ...] as here */
static int onnx(const dm_layer *l, dm_onnx_node *out, dm_error *err)
{
	(void)l, (void)err;
	out[0] = (dm_onnx_node){"BatchNormalization",
				{"weight", "bias", "running_mean", "running_var"}, 4,
				{{"epsilon", DM_ONNX_FLOAT, 0, {0}, 0, EPS}}, 1};
	return 1;
}

const dm_layer_op dm_layer_batchnorm = {
	.name = "batchnorm",
	.usage = "batchnorm",
	.ntensors = 2,
	.tensor = tensor,
	.init = init,
	.nstates = 3,
	.state = state,
	.init_state = init_state,
	.min_rows = min_rows,
	.run = run,
	.flop = flop,
	.work = work,
	.torch = torch,
	.onnx = onnx,
};
