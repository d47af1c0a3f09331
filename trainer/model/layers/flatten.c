/* flatten.c - C x H x W read as a plain width, PyTorch's nn.Flatten.
 *
 * Recipe: "flatten".  The network puts one before a dense layer that
 * follows a conv or pooling layer when the recipe does not (net.c), so
 * that the layers' places, and the tensors' names, are those of a
 * torch.nn.Sequential.  NCHW rows are already flat: it copies. */
#include <string.h>

#include <stdio.h>

#include "../layer.h"

static int infer(const dm_layer_spec *s, const dm_shape *in, dm_shape *out, dm_error *err)
{
	dm_checked ck = {0};
	(void)s, (void)err;
	*out = dm_shape_1((size_t)dm_shape_count(in, &ck));
	return 0;
}

/* forward:  Y[B, C*H*W] = X[B, C, H, W]
 * backward: dX[B, C, H, W] = dY[B, C*H*W] */
static void run(const dm_layer_ctx *c, int action)
{
	size_t n = c->B * c->l->out;
	if (action == DM_LAYER_FORWARD)
		memcpy(c->y, c->x, n * sizeof *c->y);
	else
		memcpy(c->dx, c->dy, n * sizeof *c->dx);
}

/* copies only */
static uint64_t flop(const dm_layer *l, uint64_t B, dm_layer_pass pass, dm_checked *ck)
{
	(void)l, (void)B, (void)pass, (void)ck;
	return 0;
}

static int torch(const dm_layer *l, char *buf, size_t size)
{
	(void)l;
	return snprintf(buf, size, "nn.Flatten()");
}

static int onnx(const dm_layer *l, dm_onnx_node *out, dm_error *err)
{
	(void)l, (void)err;
	out[0] = (dm_onnx_node){"Flatten", {0}, 0, {{"axis", DM_ONNX_INT, 1, {0}, 0, 0}}, 1};
	return 1;
}

const dm_layer_op dm_layer_flatten = {
	.name = "flatten",
	.usage = "flatten",
	.flags = DM_LAYER_FLAT,
	.infer = infer,
	.run = run,
	.flop = flop,
	.torch = torch,
	.onnx = onnx,
};
