/* test_grad.c - every layer and every loss against finite differences. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "math/rng.h"
#include "model/cost.h"
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

/* Which relu units are active, and where each maxpool window has its
 * maximum: a finite difference across such a kink measures the kink, not
 * the gradient, so those parameters are skipped. */
static uint64_t relu_pattern(const dm_net *net, const float *x)
{
	uint64_t h = 1469598103934665603u;
	size_t l, i;
	for (l = 0; l < net->nlayers; l++) {
		const dm_layer *ly = &net->layers[l];
		if (!strcmp(ly->op->name, "relu"))
			for (i = 0; i < B * ly->out; i++)
				h = (h ^ (net->act[l][i] > 0)) * 1099511628211u;
		if (!strcmp(ly->op->name, "maxpool")) {
			/* the first input of each window equal to its output */
			const float *in = l ? net->act[l - 1] : x;
			size_t H = ly->in_shape.d[1], W = ly->in_shape.d[2];
			size_t OH = ly->out_shape.d[1], OW = ly->out_shape.d[2];
			size_t K = ly->spec.kernel, S = ly->spec.stride, p, o, k;
			for (p = 0; p < B * ly->out_shape.d[0]; p++)
				for (o = 0; o < OH * OW; o++) {
					float y = net->act[l][p * OH * OW + o];
					for (k = 0; k < K * K; k++)
						if (in[p * H * W + (o / OW * S + k / K) * W + o % OW * S + k % K] == y)
							break;
					h = (h ^ k) * 1099511628211u;
				}
		}
	}
	return h;
}

static void check_shaped(const char *network, dm_shape shape, dm_loss loss, dm_numerics numerics)
{
	dm_error err;
	dm_layer_spec *specs;
	size_t nspecs, i, bad = 0, kinks = 0;
	uint64_t pattern;
	dm_net *net;
	dm_engine *e = dm_engine_new(numerics, 1, &err);
	float *x, y[B], dz[B * 8], *analytic;
	double worst = 0;
	dm_rng r;
	if (dm_network_parse(network, &specs, &nspecs, &err)) {
		ok(0, "parse %s: %s", network, err.msg);
		return;
	}
	if (!(net = dm_net_new_shaped(specs, nspecs, &shape, B, &err))) {
		ok(0, "%s: %s", network, err.msg);
		free(specs);
		return;
	}
	dm_net_init(net, 3);
	dm_rng_seed(&r, 5, 77);
	x = malloc(B * net->input_dim * sizeof *x);
	for (i = 0; i < B * net->input_dim; i++)
		x[i] = dm_rng_uniform(&r) * 2 - 1;
	for (i = 0; i < B; i++)
		y[i] = loss == DM_LOSS_SOFTMAX_CE ? (float)(i % net->output_dim)
		     : loss == DM_LOSS_BCE ? (float)(i % 2) : dm_rng_uniform(&r) * 3 - 1;
	batch_loss(net, e, loss, x, y, dz);
	pattern = relu_pattern(net, x);
	dm_net_backward(net, e, x, B, dz);
	analytic = malloc(net->nparams * sizeof *analytic);
	memcpy(analytic, net->grads, net->nparams * sizeof *analytic);
	for (i = 0; i < net->nparams; i++) {
		/* smaller steps where maxpool windows would often change their
		 * maximum within one, and where batchnorm's curvature (a batch
		 * of 7) makes the error of a central difference large */
		const float h = strstr(network, "maxpool") || strstr(network, "batchnorm") ? 5e-3f : 1e-2f;
		float keep = net->params[i], up, down;
		double numeric, diff;
		net->params[i] = keep + h;
		up = batch_loss(net, e, loss, x, y, dz);
		if (relu_pattern(net, x) != pattern) {
			net->params[i] = keep, kinks++;
			continue;
		}
		net->params[i] = keep - h;
		down = batch_loss(net, e, loss, x, y, dz);
		net->params[i] = keep;
		if (relu_pattern(net, x) != pattern) {
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
	   "(worst relative error %.2g; %zu across a relu or maxpool kink skipped)", network,
	   dm_loss_name(loss), dm_numerics_name(numerics), net->nparams - kinks,
	   worst, kinks);
	free(analytic);
	free(x);
	free(specs);
	dm_net_free(net);
	dm_engine_free(e);
}

static void check(const char *network, dm_loss loss, dm_numerics numerics)
{
	check_shaped(network, dm_shape_1(IN), loss, numerics);
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
		/* batchnorm (BatchNorm1d): batch statistics, dx through it, and
		 * first in the list (no dx) */
		{"dense 6, batchnorm, tanh, dense 3", DM_LOSS_SOFTMAX_CE},
		{"batchnorm, dense 4 sigmoid, batchnorm, dense 1", DM_LOSS_BCE},
		{"dense 4 tanh, batchnorm, dense 1", DM_LOSS_MSE},
	};
	size_t i;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		check(cases[i].net, cases[i].loss, DM_NUMERICS_PORTABLE);
		check(cases[i].net, cases[i].loss, DM_NUMERICS_OPENBLAS);
	}
	/* spatial layers on a 2 x 5 x 6 sample (and a 5 x 5 image: HxW) */
	{
		static const char *const spatial[] = {
			"conv 3 3x3 tanh, dense 3",
			"conv 2 3x3 stride 2 pad 1 sigmoid, dense 3",
			"conv 3 2x2 stride 2, tanh, conv 2 3x3 pad 1, dense 3",
			"conv 2 1x1 relu, flatten, dense 4 tanh, dense 3",
			"conv 3 3x3 pad 1 tanh, maxpool 2, dense 3",
			"conv 2 2x2 tanh, avgpool 2 stride 1, conv 2 2x2 sigmoid, maxpool 2, dense 3",
			"conv 2 3x3 pad 1 sigmoid, maxpool 3 stride 2, dense 3",
			"avgpool 3 stride 2, conv 2 1x1 tanh, avgpool 2, dense 3",
			"conv 3 3x3, batchnorm, tanh, dense 3",
			"batchnorm, conv 2 2x2 sigmoid, batchnorm, avgpool 2, dense 3",
		};
		dm_shape chw = {3, {2, 5, 6, 0}}, hw = {2, {5, 5, 0, 0}};
		for (i = 0; i < sizeof spatial / sizeof spatial[0]; i++) {
			check_shaped(spatial[i], chw, DM_LOSS_SOFTMAX_CE, DM_NUMERICS_PORTABLE);
			check_shaped(spatial[i], chw, DM_LOSS_SOFTMAX_CE, DM_NUMERICS_OPENBLAS);
		}
		check_shaped("conv 2 3x3 pad 1 tanh, dense 1", hw, DM_LOSS_MSE, DM_NUMERICS_PORTABLE);
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
		{
			/* the implicit flatten, and the provenance's text of a conv */
			char text[256];
			dm_layer l[8];
			size_t np;
			dm_shape flat = dm_shape_1(30), img = {3, {1, 5, 5, 0}}, big = {3, {1, 9, 9, 0}};
			ok(dm_network_parse("Conv 4 3X3 Stride 2 PAD 1 relu, dense 2", &specs, &n, &err) ==
				   0 && specs[0].stride == 2 && specs[0].pad == 1 && specs[0].kernel == 3,
			   "words in any case");
			free(specs);
			ok(dm_network_parse("conv 4 3x3 stride 2 pad 1 relu, dropout 0.5, dense 2", &specs,
					    &n, &err) == 0 && n == 5 &&
				   !strcmp(specs[3].op->name, "flatten") &&
				   !dm_network_format(specs, n, text, sizeof text) &&
				   !strcmp(text, "conv 4 3x3 stride 2 pad 1, relu, dropout 0.5, flatten, dense 2"),
			   "a flatten goes before the first dense layer after a conv: %s", text);
			ok(dm_net_plan(specs, n, &img, l, &np, &err) == 0 && l[0].out_shape.ndim == 3 &&
				   l[0].out_shape.d[1] == 3 && l[3].out == 36 && np == 4 * 9 + 4 + 2 * 36 + 2,
			   "conv 4 3x3 stride 2 pad 1 on 1x5x5 gives 4x3x3, %zu parameters", np);
			ok(dm_net_plan(specs, n, &flat, l, &np, &err) == -1 &&
				   strstr(err.msg, "layer 1 (conv): needs an input of shape CxHxW"),
			   "a conv on a plain width is refused: %s", err.msg);
			free(specs);
			ok(dm_network_parse("conv 4 3x3, flatten, dense 2", &specs, &n, &err) == 0 &&
				   n == 3, "an explicit flatten is not doubled");
			free(specs);
			ok(dm_network_parse("dense 4 relu, dense 2", &specs, &n, &err) == 0 && n == 3,
			   "no flatten in an MLP");
			free(specs);
			ok(dm_network_parse("conv 4 3x3 pad 1, maxpool 2, avgpool 3 stride 1, maxpool 2x2 "
					    "stride 3, dense 2", &specs, &n, &err) == 0 && n == 6 &&
				   specs[1].stride == 2 && specs[2].stride == 1 && specs[3].kernel == 2 &&
				   !dm_network_format(specs, n, text, sizeof text) &&
				   !strcmp(text, "conv 4 3x3 pad 1, maxpool 2, avgpool 3 stride 1, maxpool 2 "
					   "stride 3, flatten, dense 2"),
			   "pools: stride K by default, a flatten after them: %s", text);
			ok(dm_net_plan(specs, n, &big, l, &np, &err) == 0 && l[1].out_shape.d[0] == 4 &&
				   l[1].out_shape.d[1] == 4 && l[1].out_shape.d[2] == 4 &&
				   l[2].out_shape.d[1] == 2 && l[2].out_shape.d[2] == 2 &&
				   l[3].out_shape.d[1] == 1 && l[4].out == 4,
			   "on 1x9x9: 4x9x9, maxpool 2: 4x4x4, avgpool 3 stride 1: 4x2x2, maxpool 2 "
			   "stride 3: 4x1x1");
			free(specs);
			ok(dm_network_parse("conv 4 3x3, avgpool 4, dense 2", &specs, &n, &err) == 0 &&
				   dm_net_plan(specs, n, &img, l, &np, &err) == -1 &&
				   strstr(err.msg, "layer 2 (avgpool): its window 4x4 is larger than its "
					  "input 3x3"),
			   "a pooling window larger than its input is refused: %s", err.msg);
			free(specs);
			ok(dm_network_parse("maxpool 0, dense 2", &specs, &n, &err) == -1 &&
				   strstr(err.msg, "item 1 'maxpool 0': expected a window size K"),
			   "maxpool 0 refused: %s", err.msg);
			ok(dm_network_parse("maxpool 2 relu, dense 2", &specs, &n, &err) == -1 &&
				   strstr(err.msg, "too many words"),
			   "a pool takes no activation: %s", err.msg);
			ok(dm_network_parse("conv 4 3x5, dense 2", &specs, &n, &err) == -1 &&
				   strstr(err.msg, "item 1 'conv 4 3x5': expected a square kernel KxK"),
			   "a kernel that is not square is refused: %s", err.msg);
			ok(dm_network_parse("conv 4 3x3 stride 0, dense 2", &specs, &n, &err) == -1 &&
				   strstr(err.msg, "stride from 1 to 255"), "stride 0 refused: %s", err.msg);
			ok(dm_network_parse("conv 4 9x9, dense 2", &specs, &n, &err) == 0 &&
				   dm_net_plan(specs, n, &img, l, &np, &err) == -1 &&
				   strstr(err.msg, "kernel 9x9 is larger than its input 5x5 padded by 0"),
			   "a kernel larger than the image is refused: %s", err.msg);
			free(specs);
		}
		ok(dm_network_parse("dense 0", &specs, &n, &err) == -1 &&
			   strstr(err.msg, "number of units"),
		   "zero units refused: %s", err.msg);
	}
	/* the budget's model memory: parameters, gradients, SGD's momentum,
	 * batchnorm's running statistics, and the best weights and
	 * statistics kept for early stopping (each rounded up to 64 bytes) */
	{
		dm_layer_spec *specs;
		dm_layer l[8];
		dm_shape chw = {3, {2, 5, 6, 0}};
		dm_cost_in in;
		dm_cost c;
		dm_error err;
		dm_net *net = NULL;
		size_t n = 0, np;
		if (dm_network_parse("conv 3 3x3, batchnorm, tanh, dense 4, batchnorm, dense 3",
				     &specs, &n, &err) == 0 && n <= 8 &&
		    dm_net_plan(specs, n, &chw, l, &np, &err) == 0)
			net = dm_net_new_shaped(specs, n, &chw, B, &err);
		ok(net != NULL, "a conv and batchnorm network for the estimate: %s",
		   net ? "planned" : err.msg);
		if (net) {
			uint64_t P = (net->nparams * 4 + 63) / 64 * 64;
			uint64_t S = (net->nstate * 4 + 63) / 64 * 64;
			uint64_t PS = ((net->nparams + net->nstate) * 4 + 63) / 64 * 64;
			memset(&in, 0, sizeof in);
			in.layers = l, in.nlayers = n, in.dim = 60, in.ntrain = 20, in.nvalid = 4;
			in.batch = in.max_batch = B, in.epochs = 1, in.loss = DM_LOSS_SOFTMAX_CE;
			dm_optim_defaults(DM_OPT_SGD, &in.optim);
			in.patience = 2, in.threads = 1, in.load_bytes_per_value = 8;
			dm_cost_estimate(&in, &c);
			ok(net->nstate == (3 + 3 + 1) + (4 + 4 + 1) && c.params == net->nparams &&
				   c.mem_model == 3 * P + S + PS,
			   "estimate: %zu parameters and %zu values of state take %llu bytes, "
			   "expected %llu", net->nparams, net->nstate,
			   (unsigned long long)c.mem_model, (unsigned long long)(3 * P + S + PS));
			dm_net_free(net);
		}
		free(specs);
	}
	return done_testing();
}
