/* net.c - layers: each kind has one function with a forward and a backward
 * case, as in KANN.  Every float operation is rounded on its own (fp.h). */
#include "net.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../math/fmath.h"
#include "../math/fp.h"

/* ---- parsing "dense 256 relu, dropout 0.2, dense 10" ---- */

static int parse_units(const char *tok, size_t *units)
{
	char *end;
	unsigned long long v;
	if (!isdigit((unsigned char)tok[0]))
		return -1;
	v = strtoull(tok, &end, 10);
	if (*end || v == 0 || v > 1000000)
		return -1;
	*units = (size_t)v;
	return 0;
}

static int kind_of(const char *tok, dm_layer_kind *k)
{
	static const struct { const char *name; dm_layer_kind kind; } kinds[] = {
		{"dense", DM_LAYER_DENSE}, {"linear", DM_LAYER_DENSE},
		{"relu", DM_LAYER_RELU},   {"tanh", DM_LAYER_TANH},
		{"sigmoid", DM_LAYER_SIGMOID}, {"dropout", DM_LAYER_DROPOUT}};
	size_t i;
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (!strcmp(tok, kinds[i].name)) {
			*k = kinds[i].kind;
			return 0;
		}
	return -1;
}

static int push(dm_layer_spec **v, size_t *n, size_t *cap, dm_layer_spec s,
		dm_error *err)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 8;
		dm_layer_spec *nv = realloc(*v, c * sizeof *nv);
		if (!nv)
			return dm_fail(err, "out of memory");
		*v = nv, *cap = c;
	}
	(*v)[(*n)++] = s;
	return 0;
}

/* One comma-separated item: "dense N [act]", "act" or "dropout P". */
static int parse_item(char *item, int index, dm_layer_spec **v, size_t *n,
		      size_t *cap, dm_error *err)
{
	char *tok[4], *save = NULL, *t, shown[128];
	int ntok = 0;
	size_t len = 0;
	dm_layer_spec s = {DM_LAYER_DENSE, 0, 0};
	/* the item as messages show it: one line, blanks collapsed */
	for (t = item; *t && len + 2 < sizeof shown; t++) {
		int blank = *t == ' ' || *t == '\t' || *t == '\n' || *t == '\r';
		if (blank && (len == 0 || shown[len - 1] == ' '))
			continue;
		shown[len++] = blank ? ' ' : ((unsigned char)*t < 32 ? '?' : *t);
	}
	while (len && shown[len - 1] == ' ')
		len--;
	shown[len] = 0;
	for (t = strtok_r(item, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
		if (ntok == 3)
			return dm_fail(err, "item %d '%s': too many words; expected "
				       "'dense N [relu|tanh|sigmoid]', 'relu', 'tanh', "
				       "'sigmoid' or 'dropout P'", index, shown);
		tok[ntok++] = t;
	}
	if (ntok == 0)
		return dm_fail(err, "item %d is empty; expected a layer such as 'dense 10'",
			       index);
	for (t = tok[0]; *t; t++)
		*t = (char)tolower((unsigned char)*t);
	if (kind_of(tok[0], &s.kind))
		return dm_fail(err, "item %d '%s': unknown layer '%s'; expected dense, "
			       "relu, tanh, sigmoid or dropout", index, shown, tok[0]);
	if (s.kind == DM_LAYER_DENSE) {
		if (ntok < 2 || parse_units(tok[1], &s.units))
			return dm_fail(err, "item %d '%s': expected a number of units "
				       "from 1 to 1000000 after 'dense'", index, shown);
		if (push(v, n, cap, s, err))
			return -1;
		if (ntok == 3) {
			dm_layer_spec a = {DM_LAYER_RELU, 0, 0};
			for (t = tok[2]; *t; t++)
				*t = (char)tolower((unsigned char)*t);
			if (kind_of(tok[2], &a.kind) || a.kind == DM_LAYER_DENSE ||
			    a.kind == DM_LAYER_DROPOUT)
				return dm_fail(err, "item %d '%s': unknown activation '%s'; "
					       "expected relu, tanh or sigmoid", index, shown, tok[2]);
			return push(v, n, cap, a, err);
		}
		return 0;
	}
	if (s.kind == DM_LAYER_DROPOUT) {
		char *end;
		double p;
		if (ntok != 2)
			return dm_fail(err, "item %d '%s': expected 'dropout P' with P in [0, 1)",
				       index, shown);
		p = strtod(tok[1], &end);
		if (*end || end == tok[1] || !(p >= 0 && p < 1))
			return dm_fail(err, "item %d '%s': dropout probability must be a "
				       "number in [0, 1)", index, shown);
		s.rate = (float)p;
		return push(v, n, cap, s, err);
	}
	if (ntok != 1)
		return dm_fail(err, "item %d '%s': '%s' takes no argument", index, shown, tok[0]);
	return push(v, n, cap, s, err);
}

int dm_network_parse(const char *text, dm_layer_spec **specs, size_t *n,
		     dm_error *err)
{
	char *copy = dm_strdup(text, err), *p, *comma;
	dm_layer_spec *v = NULL;
	size_t count = 0, cap = 0;
	int index = 1;
	if (!copy)
		return -1;
	for (p = copy;; p = comma + 1, index++) {
		comma = strchr(p, ',');
		if (comma)
			*comma = 0;
		if (parse_item(p, index, &v, &count, &cap, err))
			goto fail;
		if (!comma)
			break;
	}
	if (v[count - 1].kind != DM_LAYER_DENSE) {
		dm_fail(err, "the network must end with a dense layer (the loss applies "
			"softmax or sigmoid itself)");
		goto fail;
	}
	free(copy);
	*specs = v, *n = count;
	return 0;
fail:
	free(copy);
	free(v);
	return -1;
}

int dm_network_format(const dm_layer_spec *specs, size_t n, char *buf, size_t size)
{
	static const char *names[] = {"dense", "relu", "tanh", "sigmoid", "dropout"};
	size_t i, len = 0;
	buf[0] = 0;
	for (i = 0; i < n && len < size; i++) {
		const char *sep = i ? ", " : "";
		if (specs[i].kind == DM_LAYER_DENSE)
			len += (size_t)snprintf(buf + len, size - len, "%sdense %zu", sep, specs[i].units);
		else if (specs[i].kind == DM_LAYER_DROPOUT)
			len += (size_t)snprintf(buf + len, size - len, "%sdropout %.9g", sep, (double)specs[i].rate);
		else
			len += (size_t)snprintf(buf + len, size - len, "%s%s", sep, names[specs[i].kind]);
	}
	return len < size ? 0 : -1;
}

/* ---- layout ---- */

size_t dm_net_plan(const dm_layer_spec *specs, size_t n, size_t input_dim,
		   dm_layer *layers)
{
	size_t i, width = input_dim, off = 0;
	for (i = 0; i < n; i++) {
		dm_layer *l = &layers[i];
		l->kind = specs[i].kind;
		l->rate = specs[i].rate;
		l->in = width;
		l->out = l->kind == DM_LAYER_DENSE ? specs[i].units : width;
		l->w_off = l->b_off = 0;
		if (l->kind == DM_LAYER_DENSE) {
			l->w_off = off;
			off += l->out * l->in;
			l->b_off = off;
			off += l->out;
		}
		width = l->out;
	}
	return off;
}

/* Whether the sizes that dm_net_plan and dm_net_new compute in size_t are
 * exact: the budget refuses such a network first under any policy with a
 * memory limit, but not under one without, nor on a 32-bit machine. */
static int fits(const dm_net *net)
{
	dm_checked ck = {0};
	uint64_t params = 0;
	size_t i;
	for (i = 0; i < net->nlayers; i++) {
		const dm_layer *l = &net->layers[i];
		if (l->kind == DM_LAYER_DENSE)
			params = dm_ck_add(&ck, params, dm_ck_mul(&ck, dm_ck_add(&ck, l->in, 1), l->out));
		(void)dm_ck_mul(&ck, net->max_batch, l->out);
	}
	(void)dm_ck_mul(&ck, net->max_batch, net->max_width);
	return !ck.over && params <= SIZE_MAX / sizeof(float) &&
	       (uint64_t)net->max_batch * net->max_width <= SIZE_MAX / sizeof(float);
}

dm_net *dm_net_new(const dm_layer_spec *specs, size_t n, size_t input_dim,
		   size_t max_batch, dm_error *err)
{
	dm_net *net = dm_calloc(1, sizeof *net, err);
	size_t i;
	if (!net)
		return NULL;
	net->nlayers = n;
	net->input_dim = input_dim;
	net->max_batch = max_batch;
	if (!(net->layers = dm_calloc(n, sizeof *net->layers, err)))
		goto fail;
	net->nparams = dm_net_plan(specs, n, input_dim, net->layers);
	net->output_dim = net->layers[n - 1].out;
	net->max_width = input_dim;
	for (i = 0; i < n; i++)
		if (net->layers[i].out > net->max_width)
			net->max_width = net->layers[i].out;
	if (!fits(net)) {
		dm_fail(err, "out of memory (a network of %zu inputs and %zu rows a batch does not "
			"fit in this machine's address space)", input_dim, max_batch);
		goto fail;
	}
	if (!(net->params = dm_alloc_floats(net->nparams, err)) ||
	    !(net->grads = dm_alloc_floats(net->nparams, err)) ||
	    !(net->act = dm_calloc(n, sizeof *net->act, err)) ||
	    !(net->mask = dm_calloc(n, sizeof *net->mask, err)) ||
	    !(net->dbuf[0] = dm_alloc_floats(max_batch * net->max_width, err)) ||
	    !(net->dbuf[1] = dm_alloc_floats(max_batch * net->max_width, err)))
		goto fail;
	for (i = 0; i < n; i++) {
		size_t cells = max_batch * net->layers[i].out;
		if (!(net->act[i] = dm_alloc_floats(cells, err)))
			goto fail;
		if (net->layers[i].kind == DM_LAYER_DROPOUT &&
		    !(net->mask[i] = dm_alloc_floats(cells, err)))
			goto fail;
	}
	return net;
fail:
	dm_net_free(net);
	return NULL;
}

void dm_net_free(dm_net *net)
{
	size_t i;
	if (!net)
		return;
	for (i = 0; net->act && i < net->nlayers; i++)
		free(net->act[i]);
	for (i = 0; net->mask && i < net->nlayers; i++)
		free(net->mask[i]);
	free(net->act);
	free(net->mask);
	free(net->dbuf[0]);
	free(net->dbuf[1]);
	free(net->params);
	free(net->grads);
	free(net->layers);
	free(net);
}

void dm_net_init(dm_net *net, uint64_t seed)
{
	dm_rng rng;
	size_t i, k;
	dm_rng_seed(&rng, seed, DM_STREAM_INIT);
	for (i = 0; i < net->nlayers; i++) {
		const dm_layer *l = &net->layers[i];
		float bound;
		if (l->kind != DM_LAYER_DENSE)
			continue;
		bound = f_div(1.0f, dm_sqrtf((float)l->in));
		for (k = 0; k < l->out * l->in + l->out; k++) {
			/* W then b: they are adjacent in params */
			float u = f_sub(f_mul(2.0f, dm_rng_uniform(&rng)), 1.0f);
			net->params[l->w_off + k] = f_mul(u, bound);
		}
	}
}

/* ---- the layers ---- */

/* dense: Y[B,out] = X[B,in] W^T + b.  Backward: dW = dY^T X, db = sum_b dY,
 * and dX = dY W unless dx is NULL (the first layer needs no dX). */
static void dense(dm_net *net, const dm_layer *l, dm_engine *e, int backward,
		  const float *x, float *y, const float *dy, float *dx, size_t B)
{
	const float *W = net->params + l->w_off, *b = net->params + l->b_off;
	size_t i, j;
	if (!backward) {
		dm_gemm(e, 0, 1, B, l->out, l->in, x, l->in, W, l->in, y, l->out);
		for (i = 0; i < B; i++)
			for (j = 0; j < l->out; j++)
				y[i * l->out + j] = f_add(y[i * l->out + j], b[j]);
		e->flop += (uint64_t)B * l->out;
		return;
	}
	{
		float *dW = net->grads + l->w_off, *db = net->grads + l->b_off;
		dm_gemm(e, 1, 0, l->out, l->in, B, dy, l->out, x, l->in, dW, l->in);
		for (j = 0; j < l->out; j++)
			db[j] = 0.0f;
		for (i = 0; i < B; i++) /* b ascending for every j: a fixed order */
			for (j = 0; j < l->out; j++)
				db[j] = f_add(db[j], dy[i * l->out + j]);
		e->flop += (uint64_t)B * l->out;
		if (dx)
			dm_gemm(e, 0, 0, B, l->in, l->out, dy, l->out, W, l->in, dx, l->in);
	}
}

/* relu, tanh, sigmoid: y = f(x); backward dx = dy f'(x), written with y.
 * One loop per kind, so that each vectorizes. */
static void activation(const dm_layer *l, dm_engine *e, int backward,
		       const float *x, float *y, const float *dy, float *dx,
		       size_t B)
{
	size_t i, n = B * l->out;
	e->flop += n;
	if (!backward) {
		if (l->kind == DM_LAYER_RELU)
			for (i = 0; i < n; i++)
				y[i] = x[i] > 0 ? x[i] : 0.0f;
		else if (l->kind == DM_LAYER_TANH)
			for (i = 0; i < n; i++)
				y[i] = dm_tanhf(x[i]);
		else
			for (i = 0; i < n; i++)
				y[i] = dm_sigmoidf(x[i]);
		return;
	}
	if (l->kind == DM_LAYER_RELU)
		for (i = 0; i < n; i++) {
			/* dy read whatever y is: a conditional load stops GCC
			 * from vectorizing (a select, the same bits) */
			float g = dy[i];
			dx[i] = y[i] > 0 ? g : 0.0f;
		}
	else if (l->kind == DM_LAYER_TANH)
		for (i = 0; i < n; i++)
			dx[i] = f_mul(dy[i], f_sub(1.0f, f_mul(y[i], y[i])));
	else
		for (i = 0; i < n; i++)
			dx[i] = f_mul(dy[i], f_mul(y[i], f_sub(1.0f, y[i])));
}

/* dropout (inverted): training keeps a unit with probability 1 - p and
 * scales it by 1 / (1 - p); evaluation is the identity. */
static void dropout(const dm_layer *l, float *mask, dm_engine *e, int backward,
		    int training, dm_rng *rng, const float *x, float *y,
		    const float *dy, float *dx, size_t B)
{
	size_t i, n = B * l->out;
	if (backward) {
		for (i = 0; i < n; i++)
			dx[i] = f_mul(dy[i], mask[i]);
		e->flop += n;
		return;
	}
	if (!training) {
		memcpy(y, x, n * sizeof *y);
		return;
	}
	{
		float keep = f_div(1.0f, f_sub(1.0f, l->rate));
		for (i = 0; i < n; i++) {
			mask[i] = dm_rng_uniform(rng) < l->rate ? 0.0f : keep;
			y[i] = f_mul(x[i], mask[i]);
		}
		e->flop += n;
	}
}

const float *dm_net_forward(dm_net *net, dm_engine *e, const float *x,
			    size_t B, int training, dm_rng *rng)
{
	size_t i;
	const float *in = x;
	for (i = 0; i < net->nlayers; i++) {
		const dm_layer *l = &net->layers[i];
		float *out = net->act[i];
		if (l->kind == DM_LAYER_DENSE)
			dense(net, l, e, 0, in, out, NULL, NULL, B);
		else if (l->kind == DM_LAYER_DROPOUT)
			dropout(l, net->mask[i], e, 0, training, rng, in, out, NULL, NULL, B);
		else
			activation(l, e, 0, in, out, NULL, NULL, B);
		in = out;
	}
	return in;
}

void dm_net_backward(dm_net *net, dm_engine *e, const float *x, size_t B,
		     const float *dout)
{
	const float *dy = dout;
	size_t i = net->nlayers;
	int flip = 0;
	while (i-- > 0) {
		const dm_layer *l = &net->layers[i];
		const float *in = i ? net->act[i - 1] : x;
		float *dx = i ? net->dbuf[flip] : NULL;
		if (l->kind == DM_LAYER_DENSE)
			dense(net, l, e, 1, in, NULL, dy, dx, B);
		else if (i == 0)
			break; /* nothing before it needs a gradient */
		else if (l->kind == DM_LAYER_DROPOUT)
			dropout(l, net->mask[i], e, 1, 1, NULL, in, NULL, dy, dx, B);
		else
			activation(l, e, 1, in, net->act[i], dy, dx, B);
		dy = dx;
		flip ^= 1;
	}
}

size_t dm_net_tensors(const dm_net *net, dm_param_tensor *out, size_t max)
{
	size_t i, k = 0;
	for (i = 0; i < net->nlayers; i++) {
		const dm_layer *l = &net->layers[i];
		if (l->kind != DM_LAYER_DENSE)
			continue;
		if (k + 2 <= max) {
			dm_param_tensor *w = &out[k], *b = &out[k + 1];
			snprintf(w->name, sizeof w->name, "layers.%zu.weight", i);
			w->ndim = 2, w->shape[0] = l->out, w->shape[1] = l->in;
			w->offset = l->w_off, w->count = l->out * l->in;
			snprintf(b->name, sizeof b->name, "layers.%zu.bias", i);
			b->ndim = 1, b->shape[0] = l->out, b->shape[1] = 0;
			b->offset = l->b_off, b->count = l->out;
		}
		k += 2;
	}
	return k;
}

uint64_t dm_layers_forward_flop(const dm_layer *layers, size_t n, uint64_t B,
				int training, dm_checked *ck)
{
	uint64_t f = 0;
	size_t i;
	for (i = 0; i < n; i++) {
		const dm_layer *l = &layers[i];
		if (l->kind == DM_LAYER_DENSE)
			f = dm_ck_add(ck, f, dm_ck_add(ck, dm_ck_mul3(ck, dm_ck_mul(ck, B, 2), l->in, l->out),
						       dm_ck_mul(ck, B, l->out)));
		else if (l->kind != DM_LAYER_DROPOUT || training)
			f = dm_ck_add(ck, f, dm_ck_mul(ck, B, l->out));
	}
	return f;
}

uint64_t dm_layers_backward_flop(const dm_layer *layers, size_t n, uint64_t B, dm_checked *ck)
{
	uint64_t f = 0;
	size_t i = n;
	while (i-- > 0) {
		const dm_layer *l = &layers[i];
		if (l->kind == DM_LAYER_DENSE)
			f = dm_ck_add(ck, f, dm_ck_add(ck, dm_ck_mul3(ck, dm_ck_mul(ck, B, i ? 4 : 2),
								      l->in, l->out),
						       dm_ck_mul(ck, B, l->out)));
		else if (i == 0)
			break;
		else
			f = dm_ck_add(ck, f, dm_ck_mul(ck, B, l->out));
	}
	return f;
}
