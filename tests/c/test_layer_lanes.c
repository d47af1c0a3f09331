/* test_layer_lanes.c - batchnorm's SSE2 lanes against its plain C lanes,
 * bytes against bytes.
 *
 * batchnorm.c sums each channel in 16 lanes in one documented order; on
 * x86-64 the lanes are SSE2 registers, elsewhere (and with
 * -DDM_PLAIN_LANES) plain C.  This file compiles batchnorm.c a second
 * time, plain, and runs both on the same numbers: training forward (the
 * output, the running statistics, the kept mean and 1/std) and backward
 * (dgamma, dbeta, dX), alone and with a fused ReLU (its output written by
 * forward, its dY masked by backward), for sizes S of a channel's plane
 * below, at and around multiples of 16.  Where there is no SSE2 both are
 * the plain C, and the test checks nothing more than that it runs. */
#include <string.h>

#include "model/net.h"
#include "tap.h"

#define DM_PLAIN_LANES 1
#define dm_layer_batchnorm dm_layer_batchnorm_plain
#include "../../trainer/model/layers/batchnorm.c"
#undef dm_layer_batchnorm

#include "math/rng.h"

/* one pass of op over the net's first layer; fused: a ReLU follows */
static void pass(const dm_layer_op *op, dm_net *net, dm_engine *e, size_t B, const float *x,
		 const float *dy, float *dx, int fused, int action)
{
	const dm_layer *l = &net->layers[0];
	dm_layer_ctx c = {l, e, B, x, net->act[0], NULL, NULL, net->params, net->grads,
			  net->work[0], 1, NULL, dm_net_state(net, l), fused ? net->act[1] : NULL};
	if (action == DM_LAYER_BACKWARD)
		c.dy = dy, c.dx = dx;
	op->run(&c, action);
}

static int same(const float *a, const float *b, size_t n)
{
	return !memcmp(a, b, n * sizeof *a);
}

static void check(size_t C, size_t H, size_t W, size_t B, int fused, dm_engine *e, dm_rng *r)
{
	dm_shape shape = {3, {C, H, W}};
	dm_layer_spec *specs;
	size_t nspecs, i, in, nstate;
	dm_net *net;
	dm_error err;
	const dm_layer *l;
	float *x, *dy, *dx[2], *y[2], *grads[2], *state[2], *work[2], *state0;
	int k;
	if (dm_network_parse(fused ? "batchnorm, relu, dense 1" : "batchnorm, dense 1", &specs,
			     &nspecs, &err) ||
	    !(net = dm_net_new_shaped(specs, nspecs, &shape, B, &err))) {
		ok(0, "batchnorm on %zux%zux%zu: %s", C, H, W, err.msg);
		return;
	}
	l = &net->layers[0];
	in = B * l->in, nstate = l->nstate;
	x = malloc(in * sizeof *x), dy = malloc(in * sizeof *dy), state0 = malloc(nstate * sizeof *x);
	for (k = 0; k < 2; k++) {
		dx[k] = calloc(in, sizeof *x), y[k] = malloc(in * sizeof *x);
		grads[k] = malloc(l->nparams * sizeof *x), state[k] = malloc(nstate * sizeof *x);
		work[k] = malloc((2 * C + 1) * sizeof *x);
	}
	for (i = 0; i < in; i++) /* ReLU's mask about half on; some exact zeros */
		x[i] = i % 13 ? dm_rng_uniform(r) * 4 - 1.5f : 0.0f, dy[i] = dm_rng_uniform(r) - 0.5f;
	for (i = 0; i < C; i++)
		net->params[i] = 0.5f + dm_rng_uniform(r), net->params[C + i] = dm_rng_uniform(r) - 0.5f;
	memcpy(state0, dm_net_state(net, l), nstate * sizeof *x);
	for (k = 0; k < 2; k++) {
		const dm_layer_op *op = k ? &dm_layer_batchnorm_plain : l->op;
		memcpy(dm_net_state(net, l), state0, nstate * sizeof *x);
		pass(op, net, e, B, x, NULL, NULL, fused, DM_LAYER_FORWARD);
		pass(op, net, e, B, x, dy, dx[k], fused, DM_LAYER_BACKWARD);
		memcpy(y[k], fused ? net->act[1] : net->act[0], in * sizeof *x);
		memcpy(grads[k], net->grads, l->nparams * sizeof *x);
		memcpy(state[k], dm_net_state(net, l), nstate * sizeof *x);
		memcpy(work[k], net->work[0], (2 * C + 1) * sizeof *x);
	}
	ok(l->op != &dm_layer_batchnorm_plain && same(y[0], y[1], in) &&
		   same(state[0], state[1], nstate) && same(work[0], work[1], 2 * C + 1),
	   "batchnorm%s on %zux%zux%zu, batch %zu, forward: the same bytes as plain C", fused ? "+relu" : "",
	   C, H, W, B);
	ok(same(grads[0], grads[1], l->nparams) && same(dx[0], dx[1], in),
	   "batchnorm%s on %zux%zux%zu, batch %zu, backward: the same bytes as plain C", fused ? "+relu" : "",
	   C, H, W, B);
	for (k = 0; k < 2; k++)
		free(dx[k]), free(y[k]), free(grads[k]), free(state[k]), free(work[k]);
	free(x), free(dy), free(state0), free(specs);
	dm_net_free(net);
}

int main(void)
{
	/* planes of S = 1, 3, 15, 16, 17, 20, 32, 42, 196 and 784 values */
	static const size_t sizes[][4] = {{3, 1, 1, 5},  {2, 1, 3, 4},  {4, 3, 5, 3},
					  {3, 4, 4, 2},  {2, 1, 17, 3}, {5, 4, 5, 1},
					  {2, 4, 8, 6},  {3, 7, 6, 4},  {8, 14, 14, 5},
					  {4, 28, 28, 3}};
	dm_error err;
	dm_engine *e = dm_engine_new(DM_NUMERICS_PORTABLE, 1, &err);
	dm_rng r;
	size_t i;
	int fused;
	if (!e) {
		ok(0, "engine: %s", err.msg);
		return done_testing();
	}
	dm_rng_seed(&r, 19, 5);
	for (i = 0; i < sizeof sizes / sizeof *sizes; i++)
		for (fused = 0; fused < 2; fused++)
			check(sizes[i][0], sizes[i][1], sizes[i][2], sizes[i][3], fused, e, &r);
	dm_engine_free(e);
	return done_testing();
}
