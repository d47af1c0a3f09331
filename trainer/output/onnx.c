/* onnx.c - a network as an ONNX ModelProto (onnx.h), encoded with the
 * code protoc-c generates from Debian's onnx.proto.  The layers speak
 * ONNX through dm_layer_op.onnx; this file only walks them, as card.c
 * walks their torch modules, and never asks which kind a layer is. */
#include "onnx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"

/* Every allocation of one encoding, freed together. */
typedef struct arena {
	void **v;
	size_t n, cap;
	int oom;
} arena;

static void *get(arena *a, size_t size)
{
	void *p;
	if (a->oom)
		return NULL;
	if (a->n == a->cap) {
		size_t c = a->cap ? a->cap * 2 : 64;
		void **nv = realloc(a->v, c * sizeof *nv);
		if (!nv) {
			a->oom = 1;
			return NULL;
		}
		a->v = nv, a->cap = c;
	}
	if (!(p = calloc(1, size ? size : 1))) {
		a->oom = 1;
		return NULL;
	}
	return a->v[a->n++] = p;
}

static char *fmt(arena *a, const char *f, size_t i, const char *s)
{
	int n = snprintf(NULL, 0, f, i, s);
	char *p = n < 0 ? NULL : get(a, (size_t)n + 1);
	if (p)
		snprintf(p, (size_t)n + 1, f, i, s);
	return p;
}

static char *dup(arena *a, const char *s)
{
	char *p = get(a, strlen(s) + 1);
	if (p)
		strcpy(p, s);
	return p;
}

static void arena_free(arena *a)
{
	size_t i;
	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
}

/* ---- the layers' nodes, checked ---- */

/* Whether layer l has a tensor (or state tensor) of this suffix; its
 * place among them in *k. */
static int layer_tensor(const dm_layer *l, const char *suffix, size_t *k)
{
	size_t j;
	dm_shape s;
	for (j = 0; j < l->op->ntensors + l->op->nstates; j++) {
		const char *name = j < l->op->ntensors ? l->op->tensor(l, j, &s)
						       : l->op->state(l, j - l->op->ntensors, &s);
		if (!strcmp(name, suffix)) {
			*k = j;
			return 1;
		}
	}
	return 0;
}

static int layer_nodes(const dm_layer *l, size_t i, dm_onnx_node *nodes, dm_error *err)
{
	dm_error sub;
	int n, k;
	size_t t, j;
	if (!l->op->onnx)
		return dm_fail(err, "layer %zu (%s) has no ONNX form", i + 1, l->op->name);
	memset(nodes, 0, DM_ONNX_NODE_MAX * sizeof *nodes);
	if ((n = l->op->onnx(l, nodes, &sub)) < 0)
		return dm_fail(err, "layer %zu (%s): %s", i + 1, l->op->name, sub.msg);
	for (k = 0; k < n; k++)
		for (t = 0; t < nodes[k].ntensors; t++)
			if (!layer_tensor(l, nodes[k].tensors[t], &j))
				return dm_fail(err, "layer %zu (%s): its ONNX node %s names no tensor "
					       "'%s' of the layer", i + 1, l->op->name, nodes[k].op,
					       nodes[k].tensors[t]);
	return n;
}

int dm_onnx_check(const dm_layer *layers, size_t n, dm_error *err)
{
	dm_onnx_node nodes[DM_ONNX_NODE_MAX];
	size_t i;
	for (i = 0; i < n; i++)
		if (layer_nodes(&layers[i], i, nodes, err) < 0)
			return -1;
	return 0;
}

/* ---- building the messages ---- */

typedef struct builder {
	arena a;
	Onnx__NodeProto **nodes;
	size_t nnodes;
	Onnx__TensorProto **inits;
	size_t ninits;
} builder;

static Onnx__NodeProto *node(builder *b, const char *op, const char *in, const char *out)
{
	Onnx__NodeProto *n = get(&b->a, sizeof *n);
	if (!n)
		return NULL;
	onnx__node_proto__init(n);
	n->op_type = dup(&b->a, op);
	n->name = dup(&b->a, out);
	n->input = get(&b->a, 5 * sizeof *n->input);
	n->output = get(&b->a, sizeof *n->output);
	n->attribute = get(&b->a, 4 * sizeof *n->attribute);
	if (b->a.oom)
		return NULL;
	n->input[n->n_input++] = dup(&b->a, in);
	n->output[n->n_output++] = dup(&b->a, out);
	b->nodes[b->nnodes++] = n;
	return b->a.oom ? NULL : n;
}

static void attr(builder *b, Onnx__NodeProto *n, const dm_onnx_attr *x)
{
	Onnx__AttributeProto *a = get(&b->a, sizeof *a);
	if (!a)
		return;
	onnx__attribute_proto__init(a);
	a->name = dup(&b->a, x->name);
	a->has_type = 1;
	switch (x->kind) {
	case DM_ONNX_INT:
		a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
		a->has_i = 1, a->i = x->i;
		break;
	case DM_ONNX_FLOAT:
		a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
		a->has_f = 1, a->f = x->f;
		break;
	default:
		a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
		if ((a->ints = get(&b->a, x->nints * sizeof *a->ints))) {
			memcpy(a->ints, x->ints, x->nints * sizeof *a->ints);
			a->n_ints = x->nints;
		}
	}
	n->attribute[n->n_attribute++] = a;
}

/* An initializer: float32, dims, the values as little-endian raw_data on
 * every host. */
static void initializer(builder *b, const char *name, size_t ndim, const size_t *dims,
			const float *data, size_t count)
{
	Onnx__TensorProto *t = get(&b->a, sizeof *t);
	unsigned char *raw = get(&b->a, count * 4);
	size_t d, i;
	if (!t || !raw)
		return;
	onnx__tensor_proto__init(t);
	if (!(t->dims = get(&b->a, (ndim ? ndim : 1) * sizeof *t->dims)))
		return;
	t->name = dup(&b->a, name);
	t->has_data_type = 1;
	t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
	for (d = 0; d < ndim; d++)
		t->dims[d] = (int64_t)dims[d];
	t->n_dims = ndim;
	for (i = 0; i < count; i++) {
		uint32_t u;
		memcpy(&u, &data[i], 4);
		raw[4 * i] = (unsigned char)u, raw[4 * i + 1] = (unsigned char)(u >> 8);
		raw[4 * i + 2] = (unsigned char)(u >> 16), raw[4 * i + 3] = (unsigned char)(u >> 24);
	}
	t->has_raw_data = 1;
	t->raw_data.len = count * 4;
	t->raw_data.data = raw;
	b->inits[b->ninits++] = t;
}

/* A float tensor value [N, dims...] with N symbolic. */
static Onnx__ValueInfoProto *value_info(builder *b, const char *name, size_t ndim,
					const size_t *dims)
{
	Onnx__ValueInfoProto *v = get(&b->a, sizeof *v);
	Onnx__TypeProto *tp = get(&b->a, sizeof *tp);
	Onnx__TypeProto__Tensor *tt = get(&b->a, sizeof *tt);
	Onnx__TensorShapeProto *sh = get(&b->a, sizeof *sh);
	Onnx__TensorShapeProto__Dimension **dv = get(&b->a, (ndim + 1) * sizeof *dv);
	size_t d;
	if (b->a.oom)
		return NULL;
	onnx__value_info_proto__init(v);
	onnx__type_proto__init(tp);
	onnx__type_proto__tensor__init(tt);
	onnx__tensor_shape_proto__init(sh);
	for (d = 0; d <= ndim; d++) {
		Onnx__TensorShapeProto__Dimension *x = get(&b->a, sizeof *x);
		if (!x)
			return NULL;
		onnx__tensor_shape_proto__dimension__init(x);
		if (d == 0) {
			x->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
			x->dim_param = dup(&b->a, "N");
		} else {
			x->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
			x->dim_value = (int64_t)dims[d - 1];
		}
		dv[d] = x;
	}
	sh->n_dim = ndim + 1;
	sh->dim = dv;
	tt->has_elem_type = 1;
	tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
	tt->shape = sh;
	tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	tp->tensor_type = tt;
	v->name = dup(&b->a, name);
	v->type = tp;
	return b->a.oom ? NULL : v;
}

/* The graph input's sample shape: a plain width before a first dense or
 * flatten layer (as the card's PyTorch snippet feeds it), else the
 * sample's own shape. */
static dm_shape input_shape(const dm_net *net)
{
	if (net->layers[0].op->flags & DM_LAYER_FLAT)
		return dm_shape_1(net->input_dim);
	return net->input_shape;
}

int dm_onnx_encode(const dm_onnx_in *in, unsigned char **out, size_t *len, dm_error *err)
{
	const dm_net *net = in->net;
	builder b;
	Onnx__ModelProto model;
	Onnx__GraphProto graph;
	Onnx__OperatorSetIdProto opset, *opsets[1];
	Onnx__ValueInfoProto *gin[1], *gout[1];
	Onnx__StringStringEntryProto **props = NULL;
	dm_param_tensor *pt = NULL;
	dm_onnx_node nodes[DM_ONNX_NODE_MAX];
	dm_shape shape = input_shape(net);
	const char *flow = "input";
	size_t np = 0, i, k, t, maxnodes = DM_ONNX_NODE_MAX * net->nlayers + 3, maxinits = 2;
	size_t outdims[1] = {net->output_dim};
	int rc = -1;

	memset(&b, 0, sizeof b);
	*out = NULL;
	if (dm_onnx_check(net->layers, net->nlayers, err) ||
	    !(pt = dm_net_tensor_list(net, &np, err)))
		goto done;
	maxinits += np;
	b.nodes = get(&b.a, maxnodes * sizeof *b.nodes);
	b.inits = get(&b.a, maxinits * sizeof *b.inits);
	props = get(&b.a, (in->nmeta ? in->nmeta : 1) * sizeof *props);
	if (b.a.oom)
		goto oom;

	/* the training's normalisation: (x - shift) * scale */
	if (in->shift) {
		Onnx__NodeProto *n;
		initializer(&b, "input.shift", shape.ndim, shape.d, in->shift, net->input_dim);
		initializer(&b, "input.scale", shape.ndim, shape.d, in->scale, net->input_dim);
		if (!(n = node(&b, "Sub", "input", "input.shifted")))
			goto oom;
		n->input[n->n_input++] = dup(&b.a, "input.shift");
		if (!(n = node(&b, "Mul", "input.shifted", "input.normalized")))
			goto oom;
		n->input[n->n_input++] = dup(&b.a, "input.scale");
		flow = "input.normalized";
	}

	for (i = 0; i < net->nlayers; i++) {
		const dm_layer *l = &net->layers[i];
		int nn = layer_nodes(l, i, nodes, err);
		if (nn < 0)
			goto done;
		for (k = 0; k < (size_t)nn; k++) {
			const dm_onnx_node *d = &nodes[k];
			Onnx__NodeProto *n;
			char *name = k + 1 == (size_t)nn ? fmt(&b.a, "layers.%zu%s", i, "")
							 : fmt(&b.a, "layers.%zu.%s", i, d->op);
			int last = i + 1 == net->nlayers && k + 1 == (size_t)nn;
			if (last && in->loss == DM_LOSS_MSE)
				name = dup(&b.a, "prediction");
			if (!name || !(n = node(&b, d->op, flow, name)))
				goto oom;
			for (t = 0; t < d->ntensors; t++) {
				char *tn = fmt(&b.a, "layers.%zu.%s", i, d->tensors[t]);
				size_t j;
				if (!tn)
					goto oom;
				n->input[n->n_input++] = tn;
				for (j = 0; j < b.ninits; j++)
					if (!strcmp(b.inits[j]->name, tn))
						break;
				if (j < b.ninits)
					continue; /* used twice: one initializer */
				for (j = 0; j < np && strcmp(pt[j].name, tn); j++)
					;
				if (j == np) {
					dm_fail(err, "layer %zu: no tensor %s", i + 1, tn);
					goto done;
				}
				initializer(&b, tn, pt[j].ndim, pt[j].shape,
					    net->params + pt[j].offset, pt[j].count);
			}
			for (t = 0; t < d->nattrs; t++)
				attr(&b, n, &d->attrs[t]);
			flow = name;
		}
	}
	if (in->loss != DM_LOSS_MSE) {
		Onnx__NodeProto *n = node(&b, in->loss == DM_LOSS_BCE ? "Sigmoid" : "Softmax", flow,
					  "probabilities");
		if (!n)
			goto oom;
		if (in->loss != DM_LOSS_BCE) {
			dm_onnx_attr axis = {"axis", DM_ONNX_INT, 1, {0}, 0, 0};
			attr(&b, n, &axis);
		}
		flow = "probabilities";
	}

	onnx__graph_proto__init(&graph);
	graph.name = (char *)in->graph_name;
	graph.n_node = b.nnodes;
	graph.node = b.nodes;
	graph.n_initializer = b.ninits;
	graph.initializer = b.inits;
	gin[0] = value_info(&b, "input", shape.ndim, shape.d);
	gout[0] = value_info(&b, flow, 1, outdims);
	graph.n_input = 1;
	graph.input = gin;
	graph.n_output = 1;
	graph.output = gout;

	onnx__operator_set_id_proto__init(&opset);
	opset.domain = (char *)"";
	opset.has_version = 1;
	opset.version = DM_ONNX_OPSET;
	opsets[0] = &opset;

	for (i = 0; i < in->nmeta; i++) {
		Onnx__StringStringEntryProto *e = get(&b.a, sizeof *e);
		if (!e)
			goto oom;
		onnx__string_string_entry_proto__init(e);
		e->key = in->meta[i].key;
		e->value = in->meta[i].value;
		props[i] = e;
	}

	onnx__model_proto__init(&model);
	model.has_ir_version = 1;
	model.ir_version = DM_ONNX_IR_VERSION;
	model.n_opset_import = 1;
	model.opset_import = opsets;
	model.producer_name = (char *)"dh-model-train";
	model.producer_version = (char *)in->version;
	model.doc_string = (char *)in->doc;
	model.graph = &graph;
	model.n_metadata_props = in->nmeta;
	model.metadata_props = props;
	if (b.a.oom)
		goto oom;

	*len = onnx__model_proto__get_packed_size(&model);
	if (!(*out = malloc(*len ? *len : 1)))
		goto oom;
	if (onnx__model_proto__pack(&model, *out) != *len) {
		free(*out);
		*out = NULL;
		dm_fail(err, "ONNX: the encoder wrote another size than it announced");
		goto done;
	}
	rc = 0;
	goto done;
oom:
	dm_fail(err, "out of memory");
done:
	free(pt);
	arena_free(&b.a);
	return rc;
}
