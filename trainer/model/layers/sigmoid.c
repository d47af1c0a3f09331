/* sigmoid.c - y = 1 / (1 + exp(-x)), elementwise over any shape. */
#include <stdio.h>

#include "../../math/fmath.h"
#include "../../math/fp.h"
#include "../layer.h"

/* forward:  Y[B,n] = sigmoid(X[B,n])
 * backward: dX[B,n] = dY Y (1 - Y) */
static void run(const dm_layer_ctx *c, int action)
{
	size_t i, n = c->B * c->l->out;
	const float *x = c->x, *dy = c->dy;
	float *y = c->y, *dx = c->dx;
	c->e->flop += n;
	if (action == DM_LAYER_FORWARD) {
		for (i = 0; i < n; i++)
			y[i] = dm_sigmoidf(x[i]);
		return;
	}
	for (i = 0; i < n; i++)
		dx[i] = f_mul(dy[i], f_mul(y[i], f_sub(1.0f, y[i])));
}

static int torch(const dm_layer *l, char *buf, size_t size)
{
	(void)l;
	return snprintf(buf, size, "nn.Sigmoid()");
}

static int onnx(const dm_layer *l, dm_onnx_node *out, dm_error *err)
{
	(void)l, (void)err;
	out[0] = (dm_onnx_node){"Sigmoid", {0}, 0, {{0}}, 0};
	return 1;
}

const dm_layer_op dm_layer_sigmoid = {
	.name = "sigmoid",
	.usage = "sigmoid",
	.flags = DM_LAYER_ACTIVATION,
	.run = run,
	.flop = dm_layer_flop_elementwise,
	.torch = torch,
	.onnx = onnx,
};
