/* relu.c - y = max(x, 0), elementwise over any shape. */
#include <stdio.h>

#include "../layer.h"

/* forward:  Y[B,n] = max(X[B,n], 0)
 * backward: dX[B,n] = dY[B,n] where Y > 0, else 0 */
static void run(const dm_layer_ctx *c, int action)
{
	size_t i, n = c->B * c->l->out;
	const float *x = c->x, *dy = c->dy;
	float *y = c->y, *dx = c->dx;
	c->e->flop += n;
	if (action == DM_LAYER_FORWARD) {
		for (i = 0; i < n; i++)
			y[i] = x[i] > 0 ? x[i] : 0.0f;
		return;
	}
	for (i = 0; i < n; i++) {
		/* dy read whatever y is: a conditional load stops GCC from
		 * vectorizing (a select, the same bits) */
		float g = dy[i];
		dx[i] = y[i] > 0 ? g : 0.0f;
	}
}

static int torch(const dm_layer *l, char *buf, size_t size)
{
	(void)l;
	return snprintf(buf, size, "nn.ReLU()");
}

static int onnx(const dm_layer *l, dm_onnx_node *out, dm_error *err)
{
	(void)l, (void)err;
	out[0] = (dm_onnx_node){"Relu", {0}, 0, {{0}}, 0};
	return 1;
}

const dm_layer_op dm_layer_relu = {
	.name = "relu",
	.usage = "relu",
	.flags = DM_LAYER_ACTIVATION,
	.run = run,
	.flop = dm_layer_flop_elementwise,
	.torch = torch,
	.onnx = onnx,
};
