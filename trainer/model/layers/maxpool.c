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

#if defined(__SSE2__)
#include <emmintrin.h>
/* The 2x2 windows of stride 2, four at a time (x86-64's SSE2): the same
 * comparisons as row_argmax_ks on four windows side by side, and the
 * selects as bit masks; max and select are exact, so the bits are those of
 * the scalar code. */
#define VEC_2X2 1

/* the running best (value bv, tap at) of four windows, tap k of value xv */
static inline void take4(__m128 xv, __m128i k, __m128 *bv, __m128i *at)
{
	__m128 t = _mm_or_ps(_mm_cmpgt_ps(xv, *bv),
			     _mm_and_ps(_mm_cmpunord_ps(xv, xv), _mm_cmpord_ps(*bv, *bv)));
	__m128i ti = _mm_castps_si128(t);
	*bv = _mm_or_ps(_mm_and_ps(t, xv), _mm_andnot_ps(t, *bv));
	*at = _mm_or_si128(_mm_and_si128(ti, k), _mm_andnot_si128(ti, *at));
}

/* windows ow in [ow, ow + 4) of rows r0, r1: their maxima and taps 0..3
 * (0, 1 in r0, 2, 3 in r1) */
static inline void argmax4(const float *r0, const float *r1, size_t ow, __m128 *bv,
			   __m128i *at)
{
	__m128 u0 = _mm_loadu_ps(r0 + 2 * ow), u1 = _mm_loadu_ps(r0 + 2 * ow + 4);
	__m128 l0 = _mm_loadu_ps(r1 + 2 * ow), l1 = _mm_loadu_ps(r1 + 2 * ow + 4);
	*bv = _mm_shuffle_ps(u0, u1, _MM_SHUFFLE(2, 0, 2, 0));
	*at = _mm_setzero_si128();
	take4(_mm_shuffle_ps(u0, u1, _MM_SHUFFLE(3, 1, 3, 1)), _mm_set1_epi32(1), bv, at);
	take4(_mm_shuffle_ps(l0, l1, _MM_SHUFFLE(2, 0, 2, 0)), _mm_set1_epi32(2), bv, at);
	take4(_mm_shuffle_ps(l0, l1, _MM_SHUFFLE(3, 1, 3, 1)), _mm_set1_epi32(3), bv, at);
}

/* Output row oh of a plane, its n >= 4 windows: forward y[ow] = the
 * maxima; backward the rows 2oh, 2oh + 1 of dx [0, 2n) get +0 plus dy at
 * each window's maximum and 0 elsewhere, as the scalar code's zeroing then
 * adding (the windows do not overlap: each dx is written by one).
 * Returns n. */
static size_t row_2x2(const spatial_pool *g, const float *x, size_t oh, size_t n,
		      const float *dy, float *y, float *dx)
{
	const float *r0 = x + 2 * oh * g->W, *r1 = r0 + g->W;
	size_t ow;
	for (ow = 0; ow < n; ow += 4) {
		__m128 bv, d;
		__m128i at;
		if (ow + 4 > n) /* the last four windows again: the same values */
			ow = n - 4;
		argmax4(r0, r1, ow, &bv, &at);
		if (!dx) {
			_mm_storeu_ps(y + ow, bv);
			continue;
		}
		d = _mm_add_ps(_mm_setzero_ps(), _mm_loadu_ps(dy + ow));
		{
			__m128 w0 = _mm_and_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(at, _mm_set1_epi32(0))), d);
			__m128 w1 = _mm_and_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(at, _mm_set1_epi32(1))), d);
			__m128 w2 = _mm_and_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(at, _mm_set1_epi32(2))), d);
			__m128 w3 = _mm_and_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(at, _mm_set1_epi32(3))), d);
			float *d0 = dx + 2 * oh * g->W + 2 * ow, *d1 = d0 + g->W;
			_mm_storeu_ps(d0, _mm_unpacklo_ps(w0, w1));
			_mm_storeu_ps(d0 + 4, _mm_unpackhi_ps(w0, w1));
			_mm_storeu_ps(d1, _mm_unpacklo_ps(w2, w3));
			_mm_storeu_ps(d1 + 4, _mm_unpackhi_ps(w2, w3));
		}
	}
	return ow;
}
#endif

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
		float *dx = j->action == DM_LAYER_BACKWARD ? c->dx + plane * in : NULL;
		size_t done = 0;
#ifdef VEC_2X2
		if (g->K == 2 && g->S == 2 && g->OW >= 4) {
			/* the vector rows write dx's covered columns; the rest
			 * is zeroed here, as the scalar code zeroes it all */
			if (dx) {
				size_t h, w;
				for (h = 0; h < g->H; h++)
					for (w = h < 2 * g->OH ? 2 * g->OW : 0; w < g->W; w++)
						dx[h * g->W + w] = 0.0f;
			}
			for (oh = 0; oh < g->OH; oh++) {
				size_t o = plane * out + oh * g->OW;
				done = dx ? row_2x2(g, x, oh, g->OW, c->dy + o, NULL, dx)
					  : row_2x2(g, x, oh, g->OW, NULL, c->y + o, NULL);
			}
		} else
#endif
		if (dx)
			for (ow = 0; ow < in; ow++)
				dx[ow] = 0.0f;
		for (oh = 0; oh < g->OH; oh++)
			for (ow0 = done; ow0 < g->OW; ow0 += ROW_CHUNK) {
				size_t n = g->OW - ow0 < ROW_CHUNK ? g->OW - ow0 : ROW_CHUNK;
				size_t o = plane * out + oh * g->OW + ow0;
				row_argmax(g, x, oh, ow0, n, at, v);
				if (!dx) {
					for (ow = 0; ow < n; ow++)
						c->y[o + ow] = v[ow];
				} else {
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
