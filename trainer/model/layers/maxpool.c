/* maxpool.c - 2-d max pooling, PyTorch's nn.MaxPool2d(K, S).
 *
 * Recipe: "maxpool K [stride S]": a K x K window, stride S (default K), no
 * padding; C x H x W gives C x ((H - K) / S + 1) x ((W - K) / S + 1).  The
 * maximum of a window is its first largest value in row-major order (a
 * NaN if there is one, as in PyTorch); backward finds it again from the
 * input, so there is no workspace. */
#include <math.h>

#include <stdio.h>

#include "../../math/fp.h"
#include "../layer.h"
#include "spatial.h"

/* the place in the plane x[H, W] of the maximum of the window at (oh, ow) */
static size_t argmax(const spatial_pool *g, const float *x, size_t oh, size_t ow)
{
	size_t kh, kw, best = oh * g->S * g->W + ow * g->S;
	for (kh = 0; kh < g->K; kh++)
		for (kw = 0; kw < g->K; kw++) {
			size_t at = (oh * g->S + kh) * g->W + ow * g->S + kw;
			if (x[at] > x[best] || (isnan(x[at]) && !isnan(x[best])))
				best = at;
		}
	return best;
}

/* forward:  Y[B, C, OH, OW] = the maximum of X[B, C, H, W] over each window
 * backward: dX[B, C, H, W] = 0, plus dY[b, c, oh, ow] at the place of each
 *           window's maximum, in the order of dY */
static void run(const dm_layer_ctx *c, int action)
{
	spatial_pool g = spatial_pool_of(c->l);
	size_t plane, oh, ow, planes = c->B * g.C, in = g.H * g.W, out = g.OH * g.OW;
	c->e->flop += (uint64_t)planes * out * (g.K * g.K - 1 + (action == DM_LAYER_BACKWARD));
	if (action == DM_LAYER_FORWARD) {
		for (plane = 0; plane < planes; plane++)
			for (oh = 0; oh < g.OH; oh++)
				for (ow = 0; ow < g.OW; ow++)
					c->y[plane * out + oh * g.OW + ow] =
						c->x[plane * in + argmax(&g, c->x + plane * in, oh, ow)];
		return;
	}
	for (plane = 0; plane < planes * in; plane++)
		c->dx[plane] = 0.0f;
	for (plane = 0; plane < planes; plane++)
		for (oh = 0; oh < g.OH; oh++)
			for (ow = 0; ow < g.OW; ow++) {
				float *d = c->dx + plane * in + argmax(&g, c->x + plane * in, oh, ow);
				*d = f_add(*d, c->dy[plane * out + oh * g.OW + ow]);
			}
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

/* ONNX's MaxPool needs [N, C, H, W]: the graph's input has the sample's
 * shape, so an HxW sample read as 1xHxW here cannot be expressed */
static int spatial_onnx(const dm_layer *l, dm_error *err)
{
	if (l->in_shape.ndim != 3)
		return dm_fail(err, "ONNX's MaxPool needs a C x H x W input, but this one is %zux%zu; "
			       "give the samples three dimensions (Input-Shape: 1x%zux%zu)",
			       l->in_shape.d[0], l->in_shape.d[1], l->in_shape.d[0], l->in_shape.d[1]);
	return 0;
}

static int onnx(const dm_layer *l, dm_onnx_node *out, dm_error *err)
{
	int64_t k = (int64_t)l->spec.kernel, s = (int64_t)l->spec.stride;
	if (spatial_onnx(l, err))
		return -1;
	out[0] = (dm_onnx_node){"MaxPool", {0}, 0,
				{{"kernel_shape", DM_ONNX_INTS, 0, {k, k}, 2, 0},
				 {"strides", DM_ONNX_INTS, 0, {s, s}, 2, 0}}, 2};
	return 1;
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
