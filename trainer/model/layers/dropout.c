/* dropout.c - inverted dropout, elementwise over any shape.
 *
 * Recipe: "dropout P", P in [0, 1).  Training keeps a unit with
 * probability 1 - P and scales it by 1 / (1 - P), drawing one number a
 * unit, in order, from the dropout stream; evaluation is the identity.
 * Workspace: the scale of each unit, [B, n]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../math/fp.h"
#include "../layer.h"

static int parse(dm_layer_spec *s, char **args, int nargs, dm_error *err)
{
	char *end;
	double p;
	if (nargs != 1)
		return dm_fail(err, "expected 'dropout P' with P in [0, 1)");
	p = strtod(args[0], &end);
	if (*end || end == args[0] || !(p >= 0 && p < 1))
		return dm_fail(err, "dropout probability must be a number in [0, 1)");
	s->rate = (float)p;
	return 1;
}

static int format(const dm_layer_spec *s, char *buf, size_t size)
{
	return snprintf(buf, size, "dropout %.9g", (double)s->rate);
}

/* forward, training: M[B,n] = 0 or 1/(1-P), Y[B,n] = X M
 *          evaluation: Y = X
 * backward: dX[B,n] = dY M */
static void run(const dm_layer_ctx *c, int action)
{
	size_t i, n = c->B * c->l->out;
	float *mask = c->work;
	if (action == DM_LAYER_BACKWARD) {
		for (i = 0; i < n; i++)
			c->dx[i] = f_mul(c->dy[i], mask[i]);
		c->e->flop += n;
		return;
	}
	if (!c->training) {
		memcpy(c->y, c->x, n * sizeof *c->y);
		return;
	}
	{
		float rate = c->l->spec.rate, keep = f_div(1.0f, f_sub(1.0f, rate));
		for (i = 0; i < n; i++) {
			mask[i] = dm_rng_uniform(c->rng) < rate ? 0.0f : keep;
			c->y[i] = f_mul(c->x[i], mask[i]);
		}
		c->e->flop += n;
	}
}

/* one per element, but nothing at evaluation */
static uint64_t flop(const dm_layer *l, uint64_t B, dm_layer_pass pass, dm_checked *ck)
{
	return pass == DM_PASS_EVAL ? 0 : dm_ck_mul(ck, B, l->out);
}

static size_t work(const dm_layer *l)
{
	return l->out;
}

static int torch(const dm_layer *l, char *buf, size_t size)
{
	return snprintf(buf, size, "nn.Dropout(%.9g)", (double)l->spec.rate);
}

/* inference keeps every unit: no node */
static int onnx(const dm_layer *l, dm_onnx_node *out, dm_error *err)
{
	(void)l, (void)out, (void)err;
	return 0;
}

const dm_layer_op dm_layer_dropout = {
	.name = "dropout",
	.usage = "dropout P",
	.parse = parse,
	.format = format,
	.run = run,
	.flop = flop,
	.work = work,
	.torch = torch,
	.onnx = onnx,
};
