/* avgpool.c - 2-d average pooling, PyTorch's nn.AvgPool2d(K, S).
 *
 * Recipe: "avgpool K [stride S]": a K x K window, stride S (default K), no
 * padding; C x H x W gives C x ((H - K) / S + 1) x ((W - K) / S + 1).  The
 * sum of a window in row-major order, divided by K*K. */
#include <stdio.h>

#include "../../math/fp.h"
#include "../layer.h"
#include "spatial.h"

/* forward:  Y[B, C, OH, OW] = the sum of X[B, C, H, W] over each window / K*K
 * backward: dX[B, C, H, W] = 0, plus dY[b, c, oh, ow] / K*K on each place
 *           of its window, in the order of dY */
static void run(const dm_layer_ctx *c, int action)
{
	spatial_pool g = spatial_pool_of(c->l);
	size_t plane, oh, ow, kh, kw, planes = c->B * g.C, in = g.H * g.W, out = g.OH * g.OW;
	float area = (float)(g.K * g.K);
	c->e->flop += (uint64_t)planes * out * (g.K * g.K + 1);
	if (action == DM_LAYER_FORWARD) {
		for (plane = 0; plane < planes; plane++)
			for (oh = 0; oh < g.OH; oh++)
				for (ow = 0; ow < g.OW; ow++) {
					const float *x = c->x + plane * in + oh * g.S * g.W + ow * g.S;
					float sum = 0.0f;
					for (kh = 0; kh < g.K; kh++)
						for (kw = 0; kw < g.K; kw++)
							sum = f_add(sum, x[kh * g.W + kw]);
					c->y[plane * out + oh * g.OW + ow] = f_div(sum, area);
				}
		return;
	}
	for (plane = 0; plane < planes * in; plane++)
		c->dx[plane] = 0.0f;
	for (plane = 0; plane < planes; plane++)
		for (oh = 0; oh < g.OH; oh++)
			for (ow = 0; ow < g.OW; ow++) {
				float *dx = c->dx + plane * in + oh * g.S * g.W + ow * g.S;
				float share = f_div(c->dy[plane * out + oh * g.OW + ow], area);
				for (kh = 0; kh < g.K; kh++)
					for (kw = 0; kw < g.K; kw++)
						dx[kh * g.W + kw] = f_add(dx[kh * g.W + kw], share);
			}
}

/* K*K additions (from 0) and one division an output, forward and backward */
static uint64_t flop(const dm_layer *l, uint64_t B, dm_layer_pass pass, dm_checked *ck)
{
	(void)pass;
	return spatial_pool_flop(l, B, l->spec.kernel * l->spec.kernel + 1, ck);
}

static int torch(const dm_layer *l, char *buf, size_t size)
{
	return snprintf(buf, size, "nn.AvgPool2d(%zu, stride=%zu)", l->spec.kernel, l->spec.stride);
}

static int onnx(const dm_layer *l, dm_onnx_node *out, dm_error *err)
{
	return spatial_pool_onnx(l, "AveragePool", out, err);
}

const dm_layer_op dm_layer_avgpool = {
	.name = "avgpool",
	.usage = "avgpool K [stride S]",
	.flags = DM_LAYER_SPATIAL,
	.parse = spatial_pool_parse,
	.format = spatial_pool_format,
	.infer = spatial_pool_infer,
	.run = run,
	.flop = flop,
	.torch = torch,
	.onnx = onnx,
};
