/* layer_oracle.c - one layer's forward and backward on given numbers, for
 * tests/py/test_layer_oracle.py to compare with PyTorch.
 *
 *   layer_oracle NUMERICS THREADS [eval] < input
 *
 * input (whitespace-separated): the layer's item on the first line
 * ("conv 4 3x3 stride 2 pad 1"), then B, the sample shape's ndim and
 * dimensions, then x [B, in], the layer's parameters (in the order of its
 * tensors), its state tensors if it has any (batchnorm's running
 * statistics) and dy [B, out].  Output: "shape" and the output's sample
 * shape, then "y", "grads", "dx" and "state" (after the forward pass)
 * lines, each followed by its floats.  With "eval" the forward pass is
 * not training's, and there is no backward pass (grads and dx are 0). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/net.h"

static int read_floats(float *v, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (scanf("%f", &v[i]) != 1)
			return -1;
	return 0;
}

static void print_floats(const char *name, const float *v, size_t n)
{
	size_t i;
	printf("%s", name);
	for (i = 0; i < n; i++)
		printf(" %.9g", (double)v[i]);
	printf("\n");
}

int main(int argc, char **argv)
{
	char item[256], network[300];
	dm_layer_spec *specs;
	size_t nspecs, B, i;
	dm_shape shape = {0, {0}};
	dm_numerics numerics;
	dm_error err;
	dm_engine *e;
	dm_net *net;
	const dm_layer *l;
	float *x, *dy, *dx;
	int training = !(argc == 4 && !strcmp(argv[3], "eval"));
	if (argc != 3 + !training || dm_numerics_parse(argv[1], &numerics) ||
	    !fgets(item, sizeof item, stdin) || scanf("%zu %zu", &B, &shape.ndim) != 2 ||
	    shape.ndim < 1 || shape.ndim > 3) {
		fprintf(stderr, "usage: layer_oracle portable|openblas THREADS < input\n");
		return 2;
	}
	item[strcspn(item, "\n")] = 0;
	for (i = 0; i < shape.ndim; i++)
		if (scanf("%zu", &shape.d[i]) != 1)
			return 2;
	snprintf(network, sizeof network, "%s, dense 1", item);
	if (dm_network_parse(network, &specs, &nspecs, &err) ||
	    !(net = dm_net_new_shaped(specs, nspecs, &shape, B, &err)) ||
	    !(e = dm_engine_new(numerics, atoi(argv[2]), &err))) {
		fprintf(stderr, "layer_oracle: %s\n", err.msg);
		return 1;
	}
	l = &net->layers[0];
	x = calloc(B * l->in, sizeof *x);
	dy = calloc(B * l->out, sizeof *dy);
	dx = calloc(B * l->in, sizeof *dx);
	if (!x || !dy || !dx || read_floats(x, B * l->in) || read_floats(net->params, l->nparams) ||
	    read_floats(dm_net_state(net, l), l->nstate) || read_floats(dy, B * l->out)) {
		fprintf(stderr, "layer_oracle: short input\n");
		return 2;
	}
	{
		dm_layer_ctx c = {l, e, B, x, net->act[0], NULL, NULL, net->params, net->grads,
				  net->work[0], training, NULL, dm_net_state(net, l), NULL};
		memset(net->grads, 0, l->nparams * sizeof *net->grads);
		l->op->run(&c, DM_LAYER_FORWARD);
		c.dy = dy, c.dx = dx;
		if (training)
			l->op->run(&c, DM_LAYER_BACKWARD);
	}
	printf("shape");
	for (i = 0; i < l->out_shape.ndim; i++)
		printf(" %zu", l->out_shape.d[i]);
	printf("\n");
	print_floats("y", net->act[0], B * l->out);
	print_floats("grads", net->grads, l->nparams);
	print_floats("dx", dx, B * l->in);
	print_floats("state", dm_net_state(net, l), l->nstate);
	printf("flop %llu\n", (unsigned long long)e->flop);
	free(x), free(dy), free(dx), free(specs);
	dm_net_free(net);
	dm_engine_free(e);
	return 0;
}
