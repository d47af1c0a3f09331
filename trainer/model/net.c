/* net.c - a network walks its list of layers through their operations
 * (layer.h); it never asks which kind a layer is. */
#include "net.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- parsing "dense 256 relu, dropout 0.2, dense 10" ---- */

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

/* "dense, relu, ..." or "dense N [relu|tanh|sigmoid]', 'relu', ...": the
 * kinds (with a flag, or all) as messages list them */
static void list_kinds(char *buf, size_t size, unsigned flag, int usage)
{
	const dm_layer_op *const *ops;
	size_t i, k = 0, n = dm_layer_ops(&ops), len = 0, count = 0;
	for (i = 0; i < n; i++)
		count += !flag || (ops[i]->flags & flag);
	buf[0] = 0;
	for (i = 0; i < n && len < size; i++) {
		const char *sep = k == 0 ? "" : k + 1 == count ? " or " : ", ";
		if (flag && !(ops[i]->flags & flag))
			continue;
		len += (size_t)snprintf(buf + len, size - len, usage ? "%s'%s'" : "%s%s", sep,
					usage ? ops[i]->usage : ops[i]->name);
		k++;
	}
}

static void lower(char *t)
{
	for (; *t; t++)
		*t = (char)tolower((unsigned char)*t);
}

/* One comma-separated item: a kind's token, its arguments and, for a kind
 * that fuses one, an activation ("dense 64 relu"). */
#define MAX_WORDS 16
static int parse_item(char *item, int index, dm_layer_spec **v, size_t *n,
		      size_t *cap, dm_error *err)
{
	char *tok[MAX_WORDS], *save = NULL, *t, shown[128], kinds[512];
	int ntok = 0, used;
	size_t len = 0;
	dm_layer_spec s;
	dm_error sub;
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
		if (ntok == MAX_WORDS) {
			list_kinds(kinds, sizeof kinds, 0, 1);
			return dm_fail(err, "item %d '%s': too many words; expected %s", index,
				       shown, kinds);
		}
		tok[ntok++] = t;
	}
	if (ntok == 0)
		return dm_fail(err, "item %d is empty; expected a layer such as 'dense 10'",
			       index);
	lower(tok[0]);
	memset(&s, 0, sizeof s);
	if (!(s.op = dm_layer_op_find(tok[0]))) {
		list_kinds(kinds, sizeof kinds, 0, 0);
		return dm_fail(err, "item %d '%s': unknown layer '%s'; expected %s", index,
			       shown, tok[0], kinds);
	}
	if (!s.op->parse)
		used = 0;
	else if ((used = s.op->parse(&s, tok + 1, ntok - 1, &sub)) < 0)
		return dm_fail(err, "item %d '%s': %s", index, shown, sub.msg);
	if (push(v, n, cap, s, err))
		return -1;
	if (1 + used == ntok)
		return 0;
	if (!s.op->parse && !(s.op->flags & DM_LAYER_FUSES))
		return dm_fail(err, "item %d '%s': '%s' takes no argument", index, shown, tok[0]);
	if ((s.op->flags & DM_LAYER_FUSES) && 2 + used == ntok) {
		dm_layer_spec a;
		memset(&a, 0, sizeof a);
		lower(tok[ntok - 1]);
		a.op = dm_layer_op_find(tok[ntok - 1]);
		if (!a.op || !(a.op->flags & DM_LAYER_ACTIVATION)) {
			list_kinds(kinds, sizeof kinds, DM_LAYER_ACTIVATION, 0);
			return dm_fail(err, "item %d '%s': unknown activation '%s'; expected %s",
				       index, shown, tok[ntok - 1], kinds);
		}
		return push(v, n, cap, a, err);
	}
	list_kinds(kinds, sizeof kinds, 0, 1);
	return dm_fail(err, "item %d '%s': too many words; expected %s", index, shown, kinds);
}

/* A flatten before a dense layer that follows a conv or pooling layer, as a
 * torch.nn.Sequential needs one there (so the layers' places, and the
 * tensors' names, are the same); none when the recipe has one already. */
static int implicit_flatten(dm_layer_spec **v, size_t *n, size_t *cap, dm_error *err)
{
	const dm_layer_op *flatten = dm_layer_op_find("flatten");
	size_t i;
	int spatial = 0;
	for (i = 0; i < *n; i++) {
		const dm_layer_op *op = (*v)[i].op;
		if (spatial && (op->flags & DM_LAYER_FLAT) && op != flatten) {
			dm_layer_spec f;
			memset(&f, 0, sizeof f);
			f.op = flatten;
			if (push(v, n, cap, f, err))
				return -1;
			memmove(*v + i + 1, *v + i, (*n - 1 - i) * sizeof **v);
			(*v)[i] = f;
			op = flatten;
		}
		if (op->flags & DM_LAYER_SPATIAL)
			spatial = 1;
		else if (op->flags & DM_LAYER_FLAT)
			spatial = 0;
	}
	return 0;
}

size_t dm_network_outputs(const dm_layer_spec *specs, size_t n)
{
	return specs[n - 1].units;
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
	if (implicit_flatten(&v, &count, &cap, err))
		goto fail;
	if (!(v[count - 1].op->flags & DM_LAYER_OUTPUT)) {
		char kinds[256];
		list_kinds(kinds, sizeof kinds, DM_LAYER_OUTPUT, 0);
		dm_fail(err, "the network must end with a %s layer (the loss applies "
			"softmax or sigmoid itself)", kinds);
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
	size_t i, len = 0;
	buf[0] = 0;
	for (i = 0; i < n && len < size; i++) {
		if (i)
			len += (size_t)snprintf(buf + len, size - len, ", ");
		if (len >= size)
			break;
		if (specs[i].op->format)
			len += (size_t)specs[i].op->format(&specs[i], buf + len, size - len);
		else
			len += (size_t)snprintf(buf + len, size - len, "%s", specs[i].op->name);
	}
	return len < size ? 0 : -1;
}

/* ---- layout ---- */

int dm_net_plan(const dm_layer_spec *specs, size_t n, const dm_shape *input,
		dm_layer *layers, size_t *nparams, dm_error *err)
{
	dm_shape shape = *input;
	size_t i, off = 0, state = 0;
	dm_checked ck = {0};
	for (i = 0; i < n; i++) {
		dm_layer *l = &layers[i];
		dm_error sub;
		memset(l, 0, sizeof *l);
		l->op = specs[i].op;
		l->spec = specs[i];
		l->in_shape = shape;
		if (!l->op->infer)
			l->out_shape = shape;
		else if (l->op->infer(&specs[i], &shape, &l->out_shape, &sub))
			return dm_fail(err, "layer %zu (%s): %s", i + 1, l->op->name, sub.msg);
		/* sizes beyond size_t wrap here: dm_net_new refuses them (fits),
		 * the budget counts them again, checked */
		l->in = (size_t)dm_shape_count(&l->in_shape, &ck);
		l->out = (size_t)dm_shape_count(&l->out_shape, &ck);
		l->nparams = (size_t)dm_layer_param_count(l, &ck);
		l->param_off = off;
		off += l->nparams;
		l->nstate = (size_t)dm_layer_state_count(l, &ck);
		l->state_off = state;
		state += l->nstate;
		shape = l->out_shape;
	}
	*nparams = off;
	return 0;
}

/* Whether the sizes that dm_net_plan and dm_net_new compute in size_t are
 * exact: the budget refuses such a network first under any policy with a
 * memory limit, but not under one without, nor on a 32-bit machine. */
static int fits(const dm_net *net)
{
	dm_checked ck = {0};
	uint64_t params = 0;
	size_t i;
	(void)dm_shape_count(&net->input_shape, &ck);
	for (i = 0; i < net->nlayers; i++) {
		const dm_layer *l = &net->layers[i];
		(void)dm_shape_count(&l->out_shape, &ck);
		params = dm_ck_add(&ck, params, dm_layer_param_count(l, &ck));
		params = dm_ck_add(&ck, params, dm_layer_state_count(l, &ck));
		(void)dm_ck_mul(&ck, net->max_batch, l->out);
		(void)dm_ck_mul(&ck, net->max_batch, dm_layer_work(l));
	}
	(void)dm_ck_mul(&ck, net->max_batch, net->max_width);
	return !ck.over && params <= SIZE_MAX / sizeof(float) &&
	       (uint64_t)net->max_batch * net->max_width <= SIZE_MAX / sizeof(float);
}

dm_net *dm_net_new_shaped(const dm_layer_spec *specs, size_t n, const dm_shape *input,
			  size_t max_batch, dm_error *err)
{
	dm_net *net = dm_calloc(1, sizeof *net, err);
	dm_checked ck = {0};
	size_t i;
	if (!net)
		return NULL;
	net->nlayers = n;
	net->input_shape = *input;
	net->input_dim = (size_t)dm_shape_count(input, &ck);
	net->max_batch = max_batch;
	if (!(net->layers = dm_calloc(n, sizeof *net->layers, err)) ||
	    dm_net_plan(specs, n, input, net->layers, &net->nparams, err))
		goto fail;
	net->output_dim = net->layers[n - 1].out;
	net->max_width = net->input_dim;
	for (i = 0; i < n; i++)
		net->nstate += net->layers[i].nstate;
	for (i = 0; i < n; i++)
		if (net->layers[i].out > net->max_width)
			net->max_width = net->layers[i].out;
	if (ck.over || !fits(net)) {
		dm_fail(err, "out of memory (a network of %zu inputs and %zu rows a batch does not "
			"fit in this machine's address space)", net->input_dim, max_batch);
		goto fail;
	}
	if (!(net->params = dm_alloc_floats(net->nparams + net->nstate, err)) ||
	    !(net->grads = dm_alloc_floats(net->nparams, err)) ||
	    !(net->act = dm_calloc(n, sizeof *net->act, err)) ||
	    !(net->work = dm_calloc(n, sizeof *net->work, err)) ||
	    !(net->dbuf[0] = dm_alloc_floats(max_batch * net->max_width, err)) ||
	    !(net->dbuf[1] = dm_alloc_floats(max_batch * net->max_width, err)))
		goto fail;
	for (i = 0; i < n; i++) {
		size_t work = dm_layer_work(&net->layers[i]);
		if (!(net->act[i] = dm_alloc_floats(max_batch * net->layers[i].out, err)))
			goto fail;
		if (work && !(net->work[i] = dm_alloc_floats(max_batch * work, err)))
			goto fail;
	}
	return net;
fail:
	dm_net_free(net);
	return NULL;
}

dm_net *dm_net_new(const dm_layer_spec *specs, size_t n, size_t input_dim,
		   size_t max_batch, dm_error *err)
{
	dm_shape input = dm_shape_1(input_dim);
	return dm_net_new_shaped(specs, n, &input, max_batch, err);
}

void dm_net_free(dm_net *net)
{
	size_t i;
	if (!net)
		return;
	for (i = 0; net->act && i < net->nlayers; i++)
		free(net->act[i]);
	for (i = 0; net->work && i < net->nlayers; i++)
		free(net->work[i]);
	free(net->act);
	free(net->work);
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
	size_t i;
	dm_rng_seed(&rng, seed, DM_STREAM_INIT);
	for (i = 0; i < net->nlayers; i++) {
		const dm_layer *l = &net->layers[i];
		if (l->op->init)
			l->op->init(l, net->params + l->param_off, &rng);
		if (l->op->init_state)
			l->op->init_state(l, dm_net_state(net, l));
	}
}

/* ---- the passes ---- */

/* Layer i is a batchnorm followed by a ReLU: their forward passes run as
 * one (dm_layer_ctx.relu), which gives the same bits.  The ReLU still
 * counts its FLOP (outside its span: the work is in batchnorm's) and
 * reports an empty span.  Backward likewise: batchnorm's backward takes
 * the ReLU's dY and output and masks dY itself (relu.c's select), so the
 * ReLU's dX is never written nor read. */
static int relu_fused(const dm_net *net, size_t i)
{
	return i + 1 < net->nlayers && !strcmp(net->layers[i].op->name, "batchnorm") &&
	       !strcmp(net->layers[i + 1].op->name, "relu");
}

static void fused_relu_span(dm_engine *e, int kind, size_t i, size_t B, const dm_net *net)
{
	dm_span mark;
	e->flop += B * net->layers[i].out; /* relu.c's count, done in batchnorm's pass */
	dm_span_begin(e, &mark);
	dm_span_end(e, kind, i, &mark);
}

const float *dm_net_forward(dm_net *net, dm_engine *e, const float *x,
			    size_t B, int training, dm_rng *rng)
{
	size_t i;
	const float *in = x;
	for (i = 0; i < net->nlayers; i++) {
		const dm_layer *l = &net->layers[i];
		dm_layer_ctx c = {l, e, B, in, net->act[i], NULL, NULL, net->params + l->param_off,
				  net->grads + l->param_off, net->work[i], training, rng,
				  dm_net_state(net, l), NULL};
		dm_span mark;
		int fused = relu_fused(net, i);
		if (fused)
			c.relu = net->act[i + 1];
		dm_span_begin(e, &mark);
		l->op->run(&c, DM_LAYER_FORWARD);
		dm_span_end(e, DM_SPAN_FORWARD, i, &mark);
		in = net->act[i];
		if (fused) {
			fused_relu_span(e, DM_SPAN_FORWARD, ++i, B, net);
			in = net->act[i];
		}
	}
	return in;
}

/* Below the lowest layer, nothing needs a gradient: it computes its
 * parameters' gradients alone, and one without parameters is skipped. */
void dm_net_backward(dm_net *net, dm_engine *e, const float *x, size_t B,
		     const float *dout)
{
	const float *dy = dout;
	size_t i = net->nlayers;
	int flip = 0;
	while (i-- > 0) {
		const dm_layer *l = &net->layers[i];
		float *dx = i ? net->dbuf[flip] : NULL;
		dm_layer_ctx c = {l, e, B, i ? net->act[i - 1] : x, net->act[i], dy, dx,
				  net->params + l->param_off, net->grads + l->param_off,
				  net->work[i], 1, NULL, dm_net_state(net, l), NULL};
		dm_span mark;
		if (i == 0 && !l->nparams)
			break;
		if (i > 0 && relu_fused(net, i - 1)) {
			fused_relu_span(e, DM_SPAN_BACKWARD, i, B, net);
			continue; /* dy stays the ReLU's; batchnorm masks it */
		}
		if (relu_fused(net, i))
			c.relu = net->act[i + 1];
		dm_span_begin(e, &mark);
		l->op->run(&c, DM_LAYER_BACKWARD);
		dm_span_end(e, DM_SPAN_BACKWARD, i, &mark);
		dy = dx;
		flip ^= 1;
	}
}

float *dm_net_state(const dm_net *net, const dm_layer *l)
{
	return net->params + net->nparams + l->state_off;
}

/* a layer's parameters, then its state tensors, as PyTorch's state_dict
 * lists a module's parameters before its buffers */
size_t dm_net_tensors(const dm_net *net, dm_param_tensor *out, size_t max)
{
	size_t i, j, d, k = 0;
	for (i = 0; i < net->nlayers; i++) {
		const dm_layer *l = &net->layers[i];
		size_t off = l->param_off, nt = l->op->ntensors;
		for (j = 0; j < nt + l->op->nstates; j++, k++) {
			dm_shape shape;
			const char *suffix = j < nt ? l->op->tensor(l, j, &shape)
						    : l->op->state(l, j - nt, &shape);
			if (j == nt)
				off = net->nparams + l->state_off;
			dm_checked ck = {0};
			size_t count = (size_t)dm_shape_count(&shape, &ck);
			if (k < max) {
				dm_param_tensor *t = &out[k];
				snprintf(t->name, sizeof t->name, "layers.%zu.%s", i, suffix);
				t->ndim = shape.ndim;
				for (d = 0; d < DM_SHAPE_MAX_DIMS; d++)
					t->shape[d] = d < shape.ndim ? shape.d[d] : 0;
				t->offset = off;
				t->count = count;
			}
			off += count;
		}
	}
	return k;
}

dm_param_tensor *dm_net_tensor_list(const dm_net *net, size_t *n, dm_error *err)
{
	size_t count = dm_net_tensors(net, NULL, 0);
	dm_param_tensor *t = dm_calloc(count ? count : 1, sizeof *t, err);
	if (!t)
		return NULL;
	*n = dm_net_tensors(net, t, count);
	return t;
}

int dm_param_tensor_shape_is(const dm_param_tensor *t, size_t ndim, const size_t *shape)
{
	size_t d;
	if (ndim != t->ndim)
		return 0;
	for (d = 0; d < ndim; d++)
		if (shape[d] != t->shape[d])
			return 0;
	return 1;
}

void dm_shape_text(size_t ndim, const size_t *shape, char *buf, size_t size)
{
	size_t d, len;
	snprintf(buf, size, "[");
	for (d = 0; d < ndim; d++) {
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%zu", d ? ", " : "", shape[d]);
	}
	len = strlen(buf);
	snprintf(buf + len, size - len, "]");
}

uint64_t dm_layers_forward_flop(const dm_layer *layers, size_t n, uint64_t B,
				int training, dm_checked *ck)
{
	uint64_t f = 0;
	size_t i;
	for (i = 0; i < n; i++)
		f = dm_ck_add(ck, f, layers[i].op->flop(&layers[i], B,
						       training ? DM_PASS_TRAIN : DM_PASS_EVAL, ck));
	return f;
}

/* the walk of dm_net_backward */
uint64_t dm_layers_backward_flop(const dm_layer *layers, size_t n, uint64_t B, dm_checked *ck)
{
	uint64_t f = 0;
	size_t i = n;
	while (i-- > 0) {
		const dm_layer *l = &layers[i];
		if (i == 0 && !dm_layer_param_count(l, ck))
			break;
		f = dm_ck_add(ck, f, l->op->flop(l, B, i ? DM_PASS_BACKWARD : DM_PASS_BACKWARD_NO_DX,
						 ck));
	}
	return f;
}
