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
 * evaluation normalises with the running statistics.  Each channel is
 * one thread's, its sums in the lane order described at LANES. */
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

/* The channel sums: value s of a sample goes into lane s mod LANES, each
 * lane from +0.  The lanes first sum the full blocks of LANES values, in
 * the order b, s; then the last, partial block of each sample (S mod
 * LANES values), in the order b; then the LANES lanes are added pairwise
 * (lane l + lane l + w, for w = LANES/2, ..., 1).  A fixed order, the same
 * on any thread count, CPU and architecture, whose lanes add as vectors
 * instead of one chain of dependent adds.  With S < LANES (BatchNorm1d on
 * a width: S = 1) everything is in lane 0: the plain serial sum over b. */
#define LANES 16

/* How backward masks dY for a fused ReLU (masked_dy) */
enum { MASK_NONE, MASK_RELU_Y, MASK_FROM_X };

static float lanes_fold(float *acc)
{
	size_t w, l;
	for (w = LANES / 2; w; w /= 2)
		for (l = 0; l < w; l++)
			acc[l] = f_add(acc[l], acc[l + w]);
	return acc[0];
}

#if defined(__SSE2__) && !defined(DM_PLAIN_LANES) /* -DDM_PLAIN_LANES: plain C, to compare */
#include <emmintrin.h>
/* x86-64: the 16 lanes as four SSE2 registers (GCC's vectoriser kept them
 * in memory, a store-to-load chain).  The same operations, lane by lane,
 * as the plain C below: the same bits. */
#define SSE_LANES 1

/* p[0, full) into the lanes a[4] (its (v - mu)^2 if sq) */
static inline __attribute__((always_inline)) void
lanes_add_sse(const float *p, size_t full, float mu, int sq, __m128 *a)
{
	__m128 m = _mm_set1_ps(mu), a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
	size_t s;
	for (s = 0; s < full; s += LANES) {
		__m128 v0 = _mm_loadu_ps(p + s), v1 = _mm_loadu_ps(p + s + 4);
		__m128 v2 = _mm_loadu_ps(p + s + 8), v3 = _mm_loadu_ps(p + s + 12);
		if (sq) {
			v0 = _mm_sub_ps(v0, m), v1 = _mm_sub_ps(v1, m);
			v2 = _mm_sub_ps(v2, m), v3 = _mm_sub_ps(v3, m);
			v0 = _mm_mul_ps(v0, v0), v1 = _mm_mul_ps(v1, v1);
			v2 = _mm_mul_ps(v2, v2), v3 = _mm_mul_ps(v3, v3);
		}
		a0 = _mm_add_ps(a0, v0), a1 = _mm_add_ps(a1, v1);
		a2 = _mm_add_ps(a2, v2), a3 = _mm_add_ps(a3, v3);
	}
	a[0] = a0, a[1] = a1, a[2] = a2, a[3] = a3;
}

/* dY (masked as MASK_... says: an and with the compare, relu.c's select
 * bit for bit) and dY xhat of p[0, full) into db[4], dg[4] */
static inline __attribute__((always_inline)) void
grad_lanes_sse(const float *x, const float *dy, const float *ry, int masked, size_t full,
	       float mu, float is, float sc, float sh, __m128 *db, __m128 *dg)
{
	__m128 m = _mm_set1_ps(mu), k = _mm_set1_ps(is), z = _mm_setzero_ps();
	__m128 scv = _mm_set1_ps(sc), shv = _mm_set1_ps(sh);
	__m128 b0 = db[0], b1 = db[1], b2 = db[2], b3 = db[3];
	__m128 g0 = dg[0], g1 = dg[1], g2 = dg[2], g3 = dg[3];
	size_t s;
	for (s = 0; s < full; s += LANES) {
#define GRAD_LANE(i, bi, gi)                                                              \
	{                                                                                 \
		__m128 d = _mm_loadu_ps(dy + s + 4 * i), xv = _mm_loadu_ps(x + s + 4 * i); \
		__m128 xh = _mm_mul_ps(_mm_sub_ps(xv, m), k);                              \
		if (masked == MASK_RELU_Y)                                                 \
			d = _mm_and_ps(_mm_cmpgt_ps(_mm_loadu_ps(ry + s + 4 * i), z), d);  \
		else if (masked == MASK_FROM_X)                                            \
			d = _mm_and_ps(_mm_cmpgt_ps(_mm_add_ps(_mm_mul_ps(xv, scv), shv), z), d); \
		bi = _mm_add_ps(bi, d);                                                   \
		gi = _mm_add_ps(gi, _mm_mul_ps(d, xh));                                   \
	}
		GRAD_LANE(0, b0, g0)
		GRAD_LANE(1, b1, g1)
		GRAD_LANE(2, b2, g2)
		GRAD_LANE(3, b3, g3)
#undef GRAD_LANE
	}
	db[0] = b0, db[1] = b1, db[2] = b2, db[3] = b3;
	dg[0] = g0, dg[1] = g1, dg[2] = g2, dg[3] = g3;
}

static void lanes_store(const __m128 *a, float *acc)
{
	size_t i;
	for (i = 0; i < LANES / 4; i++)
		_mm_storeu_ps(acc + 4 * i, a[i]);
}
#endif

/* (v - mu)^2 if sq, else v */
static inline __attribute__((always_inline)) float term(float v, float mu, int sq)
{
	float d = f_sub(v, mu);
	return sq ? f_mul(d, d) : v;
}

/* the sum of x[b, ch, s] over b, s (of (x - mu)^2 if sq), as above */
static inline __attribute__((always_inline)) float
channel_sum_sq(const float *x, size_t B, geom g, size_t ch, float mu, int sq)
{
	float acc[LANES] = {0};
	size_t b, s = 0, l, full = g.S - g.S % LANES;
#ifdef SSE_LANES
	__m128 a[LANES / 4] = {_mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps(),
			       _mm_setzero_ps()};
	for (b = 0; b < B; b++)
		lanes_add_sse(x + (b * g.C + ch) * g.S, full, mu, sq, a);
	lanes_store(a, acc);
#else
	for (b = 0; b < B; b++) {
		const float *p = x + (b * g.C + ch) * g.S;
		for (s = 0; s < full; s += LANES)
			for (l = 0; l < LANES; l++)
				acc[l] = f_add(acc[l], term(p[s + l], mu, sq));
	}
#endif
	for (b = 0; b < B; b++) /* the partial blocks, after the full ones */
		for (l = 0; full + l < g.S; l++)
			acc[l] = f_add(acc[l], term(x[(b * g.C + ch) * g.S + full + l], mu, sq));
	(void)s;
	return lanes_fold(acc);
}

/* the mean and 1/sqrt(biased var + eps) of channel ch of x [B, C, S] */
static void batch_stats(const float *x, size_t B, geom g, size_t ch, float *mean, float *var,
			float *invstd)
{
	float m = (float)(B * g.S);
	*mean = f_div(channel_sum_sq(x, B, g, ch, 0.0f, 0), m);
	*var = f_div(channel_sum_sq(x, B, g, ch, *mean, 1), m);
	*invstd = f_div(1.0f, dm_sqrtf(f_add(*var, EPS)));
}

/* masked: a fused ReLU; dY is then relu.c's backward of its dY: dY where
 * its output is > 0, else 0.  MASK_RELU_Y reads that output (relu_y);
 * MASK_FROM_X computes it again from x with the training forward pass's
 * scale and shift and the same two roundings, which is the same float
 * and saves reading a whole activation from memory. */
static inline __attribute__((always_inline)) float
masked_dy(const float *x, const float *dy, const float *ry, size_t i, int masked, float sc,
	  float sh)
{
	float d = dy[i]; /* read whatever the mask: a select, not a branch */
	if (masked == MASK_RELU_Y)
		return !(ry[i] > 0) ? 0.0f : d;
	if (masked == MASK_FROM_X)
		return !(f_add(f_mul(x[i], sc), sh) > 0) ? 0.0f : d;
	return d;
}

/* dbeta[ch] = the sum of dY, dgamma[ch] that of dY xhat, over b, s in
 * channel_sum_sq's lanes and order */
static inline __attribute__((always_inline)) void
grad_sums(const dm_layer_ctx *c, const float *relu_y, int masked, geom g, size_t ch, float mu,
	  float is, float sc, float sh)
{
	float db[LANES] = {0}, dg[LANES] = {0};
	size_t b, s = 0, l, full = g.S - g.S % LANES;
	const float *ry0 = masked == MASK_RELU_Y ? relu_y : c->dy; /* never offset NULL */
#ifdef SSE_LANES
	__m128 vb[LANES / 4], vg[LANES / 4];
	for (l = 0; l < LANES / 4; l++)
		vb[l] = _mm_setzero_ps(), vg[l] = _mm_setzero_ps();
	for (b = 0; b < c->B; b++) {
		size_t at = (b * g.C + ch) * g.S;
		grad_lanes_sse(c->x + at, c->dy + at, ry0 + at, masked, full, mu, is, sc, sh, vb,
			       vg);
	}
	lanes_store(vb, db), lanes_store(vg, dg);
#else
	for (b = 0; b < c->B; b++) {
		size_t at = (b * g.C + ch) * g.S;
		const float *x = c->x + at, *dy = c->dy + at, *ry = ry0 + at;
		for (s = 0; s < full; s += LANES)
			for (l = 0; l < LANES; l++) {
				float xhat = f_mul(f_sub(x[s + l], mu), is);
				float d = masked_dy(x, dy, ry, s + l, masked, sc, sh);
				db[l] = f_add(db[l], d);
				dg[l] = f_add(dg[l], f_mul(d, xhat));
			}
	}
#endif
	for (b = 0; b < c->B; b++) { /* the partial blocks, after the full ones */
		size_t at = (b * g.C + ch) * g.S + full;
		const float *x = c->x + at, *dy = c->dy + at, *ry = ry0 + at;
		for (l = 0; full + l < g.S; l++) {
			float xhat = f_mul(f_sub(x[l], mu), is);
			float d = masked_dy(x, dy, ry, l, masked, sc, sh);
			db[l] = f_add(db[l], d);
			dg[l] = f_add(dg[l], f_mul(d, xhat));
		}
	}
	(void)s;
	c->grads[g.C + ch] = lanes_fold(db);
	c->grads[ch] = lanes_fold(dg);
}

/* dX of channel ch: gamma invstd (dY - dbeta/m - xhat dgamma/m) */
static inline __attribute__((always_inline)) void
channel_dx(const dm_layer_ctx *c, const float *relu_y, int masked, geom g, size_t ch, float mu,
	   float is, float sc, float sh)
{
	size_t b, s, m = c->B * g.S;
	float k = f_mul(c->params[ch], is);
	float a = f_div(c->grads[g.C + ch], (float)m), q = f_div(c->grads[ch], (float)m);
	for (b = 0; b < c->B; b++) {
		size_t at = (b * g.C + ch) * g.S;
		const float *x = c->x + at, *dy = c->dy + at;
		const float *ry = (masked == MASK_RELU_Y ? relu_y : c->dy) + at;
		float *dx = c->dx + at;
		for (s = 0; s < g.S; s++) {
			float xhat = f_mul(f_sub(x[s], mu), is);
			float d = masked_dy(x, dy, ry, s, masked, sc, sh);
			dx[s] = f_mul(k, f_sub(f_sub(d, a), f_mul(xhat, q)));
		}
	}
}

/* Y = X scale + shift: scale = gamma invstd, shift = beta - mean scale */
static void scale_shift(float gamma, float beta, float mean, float invstd, float *scale,
			float *shift)
{
	*scale = f_mul(gamma, invstd);
	*shift = f_sub(beta, f_mul(mean, *scale));
}

typedef struct bn_job {
	const dm_layer_ctx *c;
	geom g;
	int action;
} bn_job;

/* forward:  Y[B, C, S] = (X - mean[c]) / sqrt(var[c] + eps) * gamma[c] + beta[c],
 *           computed as X * scale[c] + shift[c]; mean, var the batch's
 *           (training, then running stats updated) or the running ones;
 *           with a fused ReLU, max(Y, 0) into its output instead
 * backward: xhat = (X - mean) * invstd, dbeta[c] = sum dY, dgamma[c] =
 *           sum dY xhat, dX = gamma invstd (dY - dbeta/m - xhat dgamma/m);
 *           with a fused ReLU, dY is its dY masked by its output > 0
 * Channels [begin, end): each channel is one thread's, so the thread
 * count changes no bit. */
static void channels_run(void *arg, size_t begin, size_t end, int worker)
{
	const bn_job *j = arg;
	const dm_layer_ctx *c = j->c;
	geom g = j->g;
	size_t ch, b, s, B = c->B, m = B * g.S;
	const float *gamma = c->params, *beta = c->params + g.C;
	float *rmean = c->state, *rvar = c->state + g.C;
	(void)worker;
	for (ch = begin; ch < end; ch++) {
		float mean, var, invstd;
		if (j->action == DM_LAYER_FORWARD) {
			float scale, shift;
			if (c->training) {
				float unbiased;
				batch_stats(c->x, B, g, ch, &mean, &var, &invstd);
				c->work[ch] = mean, c->work[g.C + ch] = invstd; /* for backward */
				unbiased = f_div(f_mul(var, (float)m), (float)(m - 1));
				rmean[ch] = f_add(f_mul(KEEP, rmean[ch]), f_mul(MOMENTUM, mean));
				rvar[ch] = f_add(f_mul(KEEP, rvar[ch]), f_mul(MOMENTUM, unbiased));
			} else {
				mean = rmean[ch];
				invstd = f_div(1.0f, dm_sqrtf(f_add(rvar[ch], EPS)));
			}
			scale_shift(gamma[ch], beta[ch], mean, invstd, &scale, &shift);
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
			continue;
		}
		if (c->work[2 * g.C] != 0.0f) { /* kept by the training forward pass */
			float scale, shift;
			mean = c->work[ch], invstd = c->work[g.C + ch];
			scale_shift(gamma[ch], beta[ch], mean, invstd, &scale, &shift);
			if (c->relu) { /* its output as forward computed it */
				grad_sums(c, NULL, MASK_FROM_X, g, ch, mean, invstd, scale, shift);
				if (c->dx)
					channel_dx(c, NULL, MASK_FROM_X, g, ch, mean, invstd, scale,
						   shift);
				continue;
			}
		} else {
			batch_stats(c->x, B, g, ch, &mean, &var, &invstd);
		}
		if (c->relu) {
			grad_sums(c, c->relu, MASK_RELU_Y, g, ch, mean, invstd, 0, 0);
			if (c->dx)
				channel_dx(c, c->relu, MASK_RELU_Y, g, ch, mean, invstd, 0, 0);
		} else {
			grad_sums(c, NULL, MASK_NONE, g, ch, mean, invstd, 0, 0);
			if (c->dx)
				channel_dx(c, NULL, MASK_NONE, g, ch, mean, invstd, 0, 0);
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
	dm_pool_run(c->e->pool, j.g.C, 1, channels_run, &j);
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
