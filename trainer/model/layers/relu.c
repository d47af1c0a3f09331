/* relu.c - y = max(x, 0), elementwise over any shape. */
#include <stdio.h>

#include "../layer.h"

/* forward:  Y[B,n] = max(X[B,n], 0)
 * backward: dX[B,n] = dY[B,n] where Y > 0, else 0
 * Elements [begin, end): each is its own, so the threads may split them. */
static void elements_run(void *arg, size_t begin, size_t end, int worker)
{
	const dm_layer_ctx *c = arg;
	size_t i;
	const float *x = c->x, *dy = c->dy;
	float *y = c->y, *dx = c->dx;
	(void)worker;
	if (!c->dy) {
		for (i = begin; i < end; i++)
			y[i] = x[i] > 0 ? x[i] : 0.0f;
		return;
	}
	for (i = begin; i < end; i++) {
		/* dy read whatever y is: a conditional load stops GCC from
		 * vectorizing (a select, the same bits) */
		float g = dy[i];
		dx[i] = y[i] > 0 ? g : 0.0f;
	}
}

static void run(const dm_layer_ctx *c, int action)
{
	size_t n = c->B * c->l->out;
	dm_layer_ctx job = *c;
	c->e->flop += n;
	if (action == DM_LAYER_FORWARD)
		job.dy = NULL;
	dm_pool_run(c->e->pool, n, 4096, elements_run, &job);
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
