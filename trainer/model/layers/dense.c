/* dense.c - a fully connected layer, PyTorch's nn.Linear; "linear" too.
 *
 * Recipe: "dense N [relu|tanh|sigmoid]".  Any input shape is read as its
 * flat count (flatten is implicit).  Tensors: weight W [out, in], bias
 * b [out], adjacent in params. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../math/fmath.h"
#include "../../math/fp.h"
#include "../layer.h"

static int parse(dm_layer_spec *s, char **args, int nargs, dm_error *err)
{
	char *end;
	unsigned long long v;
	if (nargs < 1 || !isdigit((unsigned char)args[0][0]))
		goto bad;
	v = strtoull(args[0], &end, 10);
	if (*end || v == 0 || v > 1000000)
		goto bad;
	s->units = (size_t)v;
	return 1;
bad:
	return dm_fail(err, "expected a number of units from 1 to 1000000 after 'dense'");
}

static int format(const dm_layer_spec *s, char *buf, size_t size)
{
	return snprintf(buf, size, "dense %zu", s->units);
}

static int infer(const dm_layer_spec *s, const dm_shape *in, dm_shape *out, dm_error *err)
{
	(void)in, (void)err;
	*out = dm_shape_1(s->units);
	return 0;
}

static const char *tensor(const dm_layer *l, size_t k, dm_shape *shape)
{
	if (k == 0) {
		shape->ndim = 2, shape->d[0] = l->out, shape->d[1] = l->in;
		return "weight";
	}
	*shape = dm_shape_1(l->out);
	return "bias";
}

/* PyTorch's nn.Linear default: W then b uniform in +-1/sqrt(in). */
static void init(const dm_layer *l, float *p, dm_rng *rng)
{
	float bound = f_div(1.0f, dm_sqrtf((float)l->in));
	size_t k;
	for (k = 0; k < l->nparams; k++) {
		float u = f_sub(f_mul(2.0f, dm_rng_uniform(rng)), 1.0f);
		p[k] = f_mul(u, bound);
	}
}

/* forward:  Y[B,out] = X[B,in] W[out,in]^T + b[out]
 * backward: dW[out,in] = dY[B,out]^T X[B,in], db[out] = sum_b dY[b,:],
 *           dX[B,in] = dY[B,out] W[out,in] unless dx is NULL */
static void run(const dm_layer_ctx *c, int action)
{
	const dm_layer *l = c->l;
	const float *W = c->params, *b = c->params + l->out * l->in, *x = c->x;
	size_t i, j, B = c->B, in = l->in, out = l->out;
	dm_engine *e = c->e;
	if (action == DM_LAYER_FORWARD) {
		float *y = c->y;
		dm_gemm(e, 0, 1, B, out, in, x, in, W, in, y, out);
		for (i = 0; i < B; i++)
			for (j = 0; j < out; j++)
				y[i * out + j] = f_add(y[i * out + j], b[j]);
		e->flop += (uint64_t)B * out;
		return;
	}
	{
		const float *dy = c->dy;
		float *dW = c->grads, *db = c->grads + out * in;
		dm_gemm(e, 1, 0, out, in, B, dy, out, x, in, dW, in);
		for (j = 0; j < out; j++)
			db[j] = 0.0f;
		for (i = 0; i < B; i++) /* b ascending for every j: a fixed order */
			for (j = 0; j < out; j++)
				db[j] = f_add(db[j], dy[i * out + j]);
		e->flop += (uint64_t)B * out;
		if (c->dx)
			dm_gemm(e, 0, 0, B, in, out, dy, out, W, in, c->dx, in);
	}
}

/* a GEMM is 2MNK, the bias one per output; backward has two GEMMs, or one
 * without dx */
static uint64_t flop(const dm_layer *l, uint64_t B, dm_layer_pass pass, dm_checked *ck)
{
	uint64_t gemms = pass == DM_PASS_BACKWARD ? 4 : 2;
	return dm_ck_add(ck, dm_ck_mul3(ck, dm_ck_mul(ck, B, gemms), l->in, l->out),
			 dm_ck_mul(ck, B, l->out));
}

static int torch(const dm_layer *l, char *buf, size_t size)
{
	return snprintf(buf, size, "nn.Linear(%zu, %zu)", l->in, l->out);
}

/* Gemm with W transposed, after a Flatten when its input has a shape */
static int onnx(const dm_layer *l, dm_onnx_node *out, dm_error *err)
{
	int n = 0;
	(void)err;
	if (l->in_shape.ndim > 1)
		out[n++] = (dm_onnx_node){"Flatten", {0}, 0, {{"axis", DM_ONNX_INT, 1, {0}, 0, 0}}, 1};
	out[n++] = (dm_onnx_node){"Gemm", {"weight", "bias"}, 2,
				  {{"transB", DM_ONNX_INT, 1, {0}, 0, 0}}, 1};
	return n;
}

const dm_layer_op dm_layer_dense = {
	.name = "dense",
	.alias = "linear",
	.usage = "dense N [relu|tanh|sigmoid]",
	.flags = DM_LAYER_FUSES | DM_LAYER_OUTPUT | DM_LAYER_FLAT,
	.parse = parse,
	.format = format,
	.infer = infer,
	.ntensors = 2,
	.tensor = tensor,
	.init = init,
	.run = run,
	.flop = flop,
	.torch = torch,
	.onnx = onnx,
};
