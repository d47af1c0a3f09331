/* maxpool.c - 2-d max pooling, PyTorch's nn.MaxPool2d(K, S).
 *
 * Recipe: "maxpool K [stride S]": a K x K window, stride S (default K), no
 * padding; C x H x W gives C x ((H - K) / S + 1) x ((W - K) / S + 1).  The
 * maximum of a window is its first largest value in row-major order (a
 * NaN if there is one, as in PyTorch); backward finds it again from the
 * input, so there is no workspace. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../math/fp.h"
#include "../layer.h"
#include "spatial.h"

/* The windows of one output row: for ow in [0, n), the place in the plane
 * x[H, W] of the maximum of the window at (oh, ow0 + ow) into at[ow], its
 * value into v[ow].  The taps are visited in row-major order and a tap
 * replaces the best so far when it is larger, or a NaN where the best is
 * not: the same place as the plain loop, without a branch on the data
 * (the maxima of ReLU outputs are a coin toss for the branch predictor). */
#define ROW_CHUNK 64
static inline __attribute__((always_inline)) void
row_argmax_ks(const spatial_pool *g, size_t K, size_t S, const float *x, size_t oh,
	      size_t ow0, size_t n, unsigned *at, float *v)
{
	size_t kh, kw, ow;
	for (ow = 0; ow < n; ow++) {
		unsigned start = (unsigned)(oh * S * g->W + (ow0 + ow) * S), best = start;
		float bv = x[best];
		for (kh = 0; kh < K; kh++)
			for (kw = kh ? 0 : 1; kw < K; kw++) {
				unsigned here = start + (unsigned)(kh * g->W + kw);
				float xv = x[here];
				/* comparisons as 0/1 and an integer select: no
				 * branch for the data to mispredict */
				unsigned take = (unsigned)((xv > bv) | ((xv != xv) & (bv == bv)));
				uint32_t xb, bb, mask = 0u - take;
				memcpy(&xb, &xv, sizeof xb), memcpy(&bb, &bv, sizeof bb);
				best ^= (best ^ here) & mask;
				bb ^= (bb ^ xb) & mask; /* bv = take ? xv : bv, bit for bit */
				memcpy(&bv, &bb, sizeof bv);
			}
		at[ow] = best, v[ow] = bv;
	}
}

/* the common 2x2 window of stride 2 with constants, fully unrolled */
static void row_argmax(const spatial_pool *g, const float *x, size_t oh, size_t ow0,
		       size_t n, unsigned *at, float *v)
{
	if (g->K == 2 && g->S == 2)
		row_argmax_ks(g, 2, 2, x, oh, ow0, n, at, v);
	else
		row_argmax_ks(g, g->K, g->S, x, oh, ow0, n, at, v);
}

typedef struct pool_job {
	const dm_layer_ctx *c;
	spatial_pool g;
	int action;
} pool_job;

/* Planes [begin, end): each thread its own planes, each in the order of a
 * single thread, so the thread count changes no bit. */
static void planes_run(void *arg, size_t begin, size_t end, int worker)
{
	const pool_job *j = arg;
	const dm_layer_ctx *c = j->c;
	const spatial_pool *g = &j->g;
	size_t plane, oh, ow0, ow, in = g->H * g->W, out = g->OH * g->OW;
	unsigned at[ROW_CHUNK];
	float v[ROW_CHUNK];
	(void)worker;
	for (plane = begin; plane < end; plane++) {
		const float *x = c->x + plane * in;
		if (j->action == DM_LAYER_BACKWARD) {
			float *dx = c->dx + plane * in;
			for (ow = 0; ow < in; ow++)
				dx[ow] = 0.0f;
		}
		for (oh = 0; oh < g->OH; oh++)
			for (ow0 = 0; ow0 < g->OW; ow0 += ROW_CHUNK) {
				size_t n = g->OW - ow0 < ROW_CHUNK ? g->OW - ow0 : ROW_CHUNK;
				size_t o = plane * out + oh * g->OW + ow0;
				row_argmax(g, x, oh, ow0, n, at, v);
				if (j->action == DM_LAYER_FORWARD) {
					for (ow = 0; ow < n; ow++)
						c->y[o + ow] = v[ow];
				} else {
					float *dx = c->dx + plane * in;
					for (ow = 0; ow < n; ow++)
						dx[at[ow]] = f_add(dx[at[ow]], c->dy[o + ow]);
				}
			}
	}
}

/* forward:  Y[B, C, OH, OW] = the maximum of X[B, C, H, W] over each window
 * backward: dX[B, C, H, W] = 0, plus dY[b, c, oh, ow] at the place of each
 *           window's maximum, in the order of dY */
static void run(const dm_layer_ctx *c, int action)
{
	pool_job j = {c, spatial_pool_of(c->l), action};
	size_t planes = c->B * j.g.C;
	c->e->flop += (uint64_t)planes * j.g.OH * j.g.OW *
		      (j.g.K * j.g.K - 1 + (action == DM_LAYER_BACKWARD));
	dm_pool_run(c->e->pool, planes, 1, planes_run, &j);
}

/* K*K - 1 comparisons an output; backward compares again and adds one */
static uint64_t flop(const dm_layer *l, uint64_t B, dm_layer_pass pass, dm_checked *ck)
{
	size_t K = l->spec.kernel;
	return spatial_pool_flop(l, B, K * K - 1 + (pass == DM_PASS_BACKWARD ||
						     pass == DM_PASS_BACKWARD_NO_DX), ck);
}

static int torch(const dm_layer *l, char *buf, size_t size)
{
	return snprintf(buf, size, "nn.MaxPool2d(%zu, stride=%zu)", l->spec.kernel, l->spec.stride);
}

static int onnx(const dm_layer *l, dm_onnx_node *out, dm_error *err)
{
	return spatial_pool_onnx(l, "MaxPool", out, err);
}

const dm_layer_op dm_layer_maxpool = {
	.name = "maxpool",
	.usage = "maxpool K [stride S]",
	.flags = DM_LAYER_SPATIAL,
	.parse = spatial_pool_parse,
	.format = spatial_pool_format,
	.infer = spatial_pool_infer,
	.run = run,
	.flop = flop,
	.torch = torch,
	.onnx = onnx,
};
