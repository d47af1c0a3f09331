/* tanh.c - y = tanh(x), elementwise over any shape. */
#include <stdio.h>

#include "../../math/fmath.h"
#include "../../math/fp.h"
#include "../layer.h"

/* forward:  Y[B,n] = tanh(X[B,n])
 * backward: dX[B,n] = dY (1 - Y^2) */
static void run(const dm_layer_ctx *c, int action)
{
	size_t i, n = c->B * c->l->out;
	const float *x = c->x, *dy = c->dy;
	float *y = c->y, *dx = c->dx;
	c->e->flop += n;
	if (action == DM_LAYER_FORWARD) {
		for (i = 0; i < n; i++)
			y[i] = dm_tanhf(x[i]);
		return;
	}
	for (i = 0; i < n; i++)
		dx[i] = f_mul(dy[i], f_sub(1.0f, f_mul(y[i], y[i])));
}

static int torch(const dm_layer *l, char *buf, size_t size)
{
	(void)l;
	return snprintf(buf, size, "nn.Tanh()");
}

static int onnx(const dm_layer *l, dm_onnx_node *out, dm_error *err)
{
	(void)l, (void)err;
	out[0] = (dm_onnx_node){"Tanh", {0}, 0, {{0}}, 0};
	return 1;
}

const dm_layer_op dm_layer_tanh = {
	.name = "tanh",
	.usage = "tanh",
	.flags = DM_LAYER_ACTIVATION,
	.run = run,
	.flop = dm_layer_flop_elementwise,
	.torch = torch,
	.onnx = onnx,
};
