/* test_grad.c - every layer and every loss against finite differences. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "math/rng.h"
#include "model/loss.h"
#include "model/net.h"
#include "tap.h"

#define B 7
#define IN 5

/* Mean loss of the batch; dropout masks come from a freshly seeded rng, so
 * every evaluation sees the same mask. */
static float batch_loss(dm_net *net, dm_engine *e, dm_loss loss, const float *x,
			const float *y, float *dz)
{
	dm_rng rng;
	float lsum, sq;
	uint64_t right;
	const float *z;
	dm_rng_seed(&rng, 99, DM_STREAM_DROPOUT);
	z = dm_net_forward(net, e, x, B, 1, &rng);
	dm_loss_batch(loss, z, y, B, net->output_dim, dz, &lsum, &right, &sq);
	return lsum / B;
}

/* Which relu units are active: a finite difference across a kink of relu
 * measures the kink, not the gradient, so those parameters are skipped. */
static uint64_t relu_pattern(const dm_net *net)
{
	uint64_t h = 1469598103934665603u;
	size_t l, i;
	for (l = 0; l < net->nlayers; l++)
		if (!strcmp(net->layers[l].op->name, "relu"))
			for (i = 0; i < B * net->layers[l].out; i++)
				h = (h ^ (net->act[l][i] > 0)) * 1099511628211u;
	return h;
}

static void check(const char *network, dm_loss loss, dm_numerics numerics)
{
	dm_error err;
	dm_layer_spec *specs;
	size_t nspecs, i, bad = 0, kinks = 0;
	uint64_t pattern;
	dm_net *net;
	dm_engine *e = dm_engine_new(numerics, 1, &err);
	float x[B * IN], y[B], dz[B * 8], *analytic;
	double worst = 0;
	dm_rng r;
	if (dm_network_parse(network, &specs, &nspecs, &err)) {
		ok(0, "parse %s: %s", network, err.msg);
		return;
	}
	net = dm_net_new(specs, nspecs, IN, B, &err);
	dm_net_init(net, 3);
	dm_rng_seed(&r, 5, 77);
	for (i = 0; i < B * IN; i++)
		x[i] = dm_rng_uniform(&r) * 2 - 1;
	for (i = 0; i < B; i++)
		y[i] = loss == DM_LOSS_SOFTMAX_CE ? (float)(i % net->output_dim)
		     : loss == DM_LOSS_BCE ? (float)(i % 2) : dm_rng_uniform(&r) * 3 - 1;
	batch_loss(net, e, loss, x, y, dz);
	pattern = relu_pattern(net);
	dm_net_backward(net, e, x, B, dz);
	analytic = malloc(net->nparams * sizeof *analytic);
	memcpy(analytic, net->grads, net->nparams * sizeof *analytic);
	for (i = 0; i < net->nparams; i++) {
		const float h = 1e-2f;
		float keep = net->params[i], up, down;
		double numeric, diff;
		net->params[i] = keep + h;
		up = batch_loss(net, e, loss, x, y, dz);
		if (relu_pattern(net) != pattern) {
			net->params[i] = keep, kinks++;
			continue;
		}
		net->params[i] = keep - h;
		down = batch_loss(net, e, loss, x, y, dz);
		net->params[i] = keep;
		if (relu_pattern(net) != pattern) {
			kinks++;
			continue;
		}
		numeric = ((double)up - down) / (2.0 * h);
		diff = fabs(numeric - analytic[i]) / (2e-3 + fabs(numeric));
		if (diff > worst)
			worst = diff;
		if (diff > 2e-2) {
			bad++;
			diag("param %zu: numeric %.6g analytic %.6g", i, numeric, (double)analytic[i]);
		}
	}
	ok(bad == 0 && kinks * 4 < net->nparams,
	   "%s, %s, %s: %zu parameters match finite differences "
	   "(worst relative error %.2g; %zu across a relu kink skipped)", network,
	   dm_loss_name(loss), dm_numerics_name(numerics), net->nparams - kinks,
	   worst, kinks);
	free(analytic);
	free(specs);
	dm_net_free(net);
	dm_engine_free(e);
}

int main(void)
{
	static const struct { const char *net; dm_loss loss; } cases[] = {
		{"dense 4", DM_LOSS_SOFTMAX_CE},
		{"dense 1", DM_LOSS_BCE},
		{"dense 1", DM_LOSS_MSE},
		{"dense 6 relu, dense 3", DM_LOSS_SOFTMAX_CE},
		{"dense 6 tanh, dense 3", DM_LOSS_SOFTMAX_CE},
		{"dense 6 sigmoid, dense 3", DM_LOSS_SOFTMAX_CE},
		{"dense 6 tanh, dropout 0.3, dense 3", DM_LOSS_SOFTMAX_CE},
		{"dense 6 relu, dense 5 tanh, dense 1", DM_LOSS_BCE},
		{"dense 6 sigmoid, dropout 0.5, dense 1", DM_LOSS_MSE},
		{"tanh, dense 8 relu, dense 2", DM_LOSS_SOFTMAX_CE},
	};
	size_t i;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		check(cases[i].net, cases[i].loss, DM_NUMERICS_PORTABLE);
		check(cases[i].net, cases[i].loss, DM_NUMERICS_OPENBLAS);
	}
	/* a test that can fail: a wrong gradient must be caught */
	{
		dm_error err;
		dm_layer_spec *specs;
		size_t n;
		ok(dm_network_parse("dense 3 relu, dropout 1.5", &specs, &n, &err) == -1 &&
			   strstr(err.msg, "item 2") && strstr(err.msg, "[0, 1)"),
		   "a bad dropout item is refused: %s", err.msg);
		ok(dm_network_parse("dense 3 relu", &specs, &n, &err) == -1 &&
			   strstr(err.msg, "end with a dense layer"),
		   "a network must end in dense: %s", err.msg);
		ok(dm_network_parse("dense 3 softmax, dense 2", &specs, &n, &err) == -1 &&
			   strstr(err.msg, "unknown activation 'softmax'"),
		   "an unknown activation is named: %s", err.msg);
		ok(dm_network_parse("dense 0", &specs, &n, &err) == -1 &&
			   strstr(err.msg, "number of units"),
		   "zero units refused: %s", err.msg);
	}
	return done_testing();
}
