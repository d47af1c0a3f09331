/* onnx_read.c - an ONNX graph as layers and weights (onnx_read.h). */
#include "onnx_read.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/text.h"
#include "../math/fp.h"
#include "onnx.pb-c.h"
#include "onnx_nhwc.h"

#define MAX_ELEMENTS (1u << 30)  /* of one tensor */
#define MAX_LAYERS 256

/* The operators read, in the order the header lists them. */
static const char *const known_ops[] = {
	"Sub", "Mul", "Div", "Add", "Gemm", "MatMul", "Conv", "MaxPool", "AveragePool",
	"BatchNormalization", "Relu", "Sigmoid", "Tanh", "Flatten", "Reshape", "Dropout",
	"Identity", "Softmax", "LogSoftmax", "Constant", "Pad", "Transpose"};

typedef struct reader {
	const char *name;
	const Onnx__GraphProto *g;
	dm_onnx_import *m;
	size_t cap;             /* of m->st.tensors */
	/* Keras' layout (onnx_nhwc.h): the value is N,H,W,C here (nhwc); it
	 * is [N, F] (flat); the next dense layer takes a flatten of H,W,C
	 * values of these dims (hwc[0] = C, 0 when none) */
	int nhwc, flat;
	size_t hwc[3];
	char shown[2][160];     /* node and operator names, printable */
	dm_error *err;
} reader;

static const char *show(reader *r, int k, const char *s)
{
	return dm_printable(s ? s : "", r->shown[k], sizeof r->shown[k]);
}

/* "NAME: node 3 'Gemm_7' (Gemm): " + the rest */
static int node_fail(reader *r, size_t i, const char *why)
{
	const Onnx__NodeProto *n = r->g->node[i];
	return dm_fail(r->err, "%s: node %zu '%s' (%s): %s", r->name, i + 1, show(r, 0, n->name),
		       show(r, 1, n->op_type), why);
}

/* ---- tensors ---- */

/* An initializer, a Constant's value, or through an Identity of one of
 * these (PyTorch gives tensors of equal values one initializer and
 * Identity nodes for the others), at most depth Identities deep. */
static const Onnx__TensorProto *constant_at(const reader *r, const char *name, int depth)
{
	size_t i, j;
	if (!name || !*name)
		return NULL;
	for (i = 0; i < r->g->n_initializer; i++)
		if (r->g->initializer[i]->name && !strcmp(r->g->initializer[i]->name, name))
			return r->g->initializer[i];
	for (i = 0; i < r->g->n_node; i++) {
		const Onnx__NodeProto *n = r->g->node[i];
		if (!n->op_type || strcmp(n->op_type, "Constant") || n->n_output != 1 ||
		    strcmp(n->output[0], name))
			continue;
		for (j = 0; j < n->n_attribute; j++)
			if (n->attribute[j]->name && !strcmp(n->attribute[j]->name, "value"))
				return n->attribute[j]->t;
	}
	for (i = 0; depth > 0 && i < r->g->n_node; i++) {
		const Onnx__NodeProto *n = r->g->node[i];
		if (n->op_type && !strcmp(n->op_type, "Identity") && n->n_input == 1 &&
		    n->n_output == 1 && !strcmp(n->output[0], name))
			return constant_at(r, n->input[0], depth - 1);
	}
	return NULL;
}

static const Onnx__TensorProto *constant(const reader *r, const char *name)
{
	return constant_at(r, name, 4);
}

/* A tensor's element count from its dims, or -1 when too large or negative. */
static int tensor_count(const Onnx__TensorProto *t, size_t *count)
{
	size_t i, c = 1;
	for (i = 0; i < t->n_dims; i++) {
		if (t->dims[i] < 0 || t->dims[i] > MAX_ELEMENTS)
			return -1;
		c *= (size_t)t->dims[i];
		if (c > MAX_ELEMENTS)
			return -1;
	}
	*count = c;
	return 0;
}

/* The float32 values of constant input k of node i (malloc'd), its dims. */
static float *floats(reader *r, size_t i, size_t k, size_t *count, size_t *ndim, size_t dims[4])
{
	const Onnx__NodeProto *n = r->g->node[i];
	const Onnx__TensorProto *t = k < n->n_input ? constant(r, n->input[k]) : NULL;
	float *v;
	size_t j;
	char why[200];
	if (!t) {
		snprintf(why, sizeof why, "input %zu must be a constant (an initializer)", k + 1);
		return node_fail(r, i, why), NULL;
	}
	if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
		return node_fail(r, i, "its tensor is in an external file; only models with their "
				 "tensors inside are read"), NULL;
	if (!t->has_data_type || t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
		return node_fail(r, i, "its tensor is not float32"), NULL;
	if (t->n_dims > 4 || tensor_count(t, count))
		return node_fail(r, i, "its tensor has more than 4 dimensions or too many "
				 "elements"), NULL;
	if (t->has_raw_data ? t->raw_data.len != *count * 4 : t->n_float_data != *count) {
		snprintf(why, sizeof why, "its tensor has %zu values for %zu elements",
			 t->has_raw_data ? t->raw_data.len / 4 : t->n_float_data, *count);
		return node_fail(r, i, why), NULL;
	}
	if (!(v = malloc((*count ? *count : 1) * sizeof *v)))
		return dm_fail(r->err, "out of memory"), NULL;
	for (j = 0; j < *count; j++) {
		if (t->has_raw_data) {
			const uint8_t *b = t->raw_data.data + 4 * j;
			uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
				     (uint32_t)b[3] << 24;
			memcpy(&v[j], &u, 4);
		} else {
			v[j] = t->float_data[j];
		}
		if (!isfinite(v[j])) {
			free(v);
			snprintf(why, sizeof why, "its tensor's element %zu is not a finite number", j);
			return node_fail(r, i, why), NULL;
		}
	}
	*ndim = t->n_dims;
	for (j = 0; j < t->n_dims; j++)
		dims[j] = (size_t)t->dims[j];
	return v;
}

/* The int64 values of constant input k (Reshape's shape), at most max. */
static int int64s(reader *r, size_t i, size_t k, int64_t *out, size_t max, size_t *n)
{
	const Onnx__NodeProto *nd = r->g->node[i];
	const Onnx__TensorProto *t = k < nd->n_input ? constant(r, nd->input[k]) : NULL;
	size_t count, j;
	if (!t || !t->has_data_type || t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__INT64 ||
	    tensor_count(t, &count) || count > max ||
	    (t->has_raw_data ? t->raw_data.len != count * 8 : t->n_int64_data != count))
		return node_fail(r, i, "its shape or pads must be a constant int64 tensor (a "
				 "graph that computes it, from Shape, is not read)");
	for (j = 0; j < count; j++) {
		if (t->has_raw_data) {
			uint64_t u = 0;
			int b;
			for (b = 7; b >= 0; b--)
				u = u << 8 | t->raw_data.data[8 * j + (size_t)b];
			memcpy(&out[j], &u, 8);
		} else {
			out[j] = t->int64_data[j];
		}
	}
	*n = count;
	return 0;
}

/* Take v (count floats, shape ndim/dims) as tensor NAME of the result. */
static int add_tensor(reader *r, const char *name, float *v, size_t ndim, const size_t *dims)
{
	dm_safetensors *st = &r->m->st;
	dm_tensor *t;
	size_t d;
	if (st->ntensors == r->cap) {
		size_t c = r->cap ? 2 * r->cap : 16;
		dm_tensor *nt = realloc(st->tensors, c * sizeof *nt);
		if (!nt) {
			free(v);
			return dm_fail(r->err, "out of memory");
		}
		st->tensors = nt, r->cap = c;
	}
	t = &st->tensors[st->ntensors];
	memset(t, 0, sizeof *t);
	if (!(t->name = strdup(name))) {
		free(v);
		return dm_fail(r->err, "out of memory");
	}
	t->data = v;
	t->ndim = ndim;
	t->count = 1;
	for (d = 0; d < ndim; d++)
		t->shape[d] = dims[d], t->count *= dims[d];
	st->ntensors++;
	return 0;
}

static int layer_tensor(reader *r, const char *suffix, float *v, size_t ndim, const size_t *dims)
{
	char name[64];
	snprintf(name, sizeof name, "layers.%zu.%s", r->m->nlayers - 1, suffix);
	return add_tensor(r, name, v, ndim, dims);
}

/* ---- attributes ---- */

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *n, const char *name)
{
	size_t j;
	for (j = 0; j < n->n_attribute; j++)
		if (n->attribute[j]->name && !strcmp(n->attribute[j]->name, name))
			return n->attribute[j];
	return NULL;
}

static int64_t attr_int(const Onnx__NodeProto *n, const char *name, int64_t dflt)
{
	const Onnx__AttributeProto *a = attr(n, name);
	return a && a->has_i ? a->i : dflt;
}

static float attr_float(const Onnx__NodeProto *n, const char *name, float dflt)
{
	const Onnx__AttributeProto *a = attr(n, name);
	return a && a->has_f ? a->f : dflt;
}

/* An INTS attribute whose values are all equal (as our square kernels,
 * strides and pads): that value, dflt when absent, -1 when they differ. */
static int64_t attr_same(const Onnx__NodeProto *n, const char *name, size_t want, int64_t dflt)
{
	const Onnx__AttributeProto *a = attr(n, name);
	size_t j;
	if (!a)
		return dflt;
	if (a->n_ints != want)
		return -1;
	for (j = 1; j < a->n_ints; j++)
		if (a->ints[j] != a->ints[0])
			return -1;
	return a->ints[0];
}

/* auto_pad absent, NOTSET or VALID (with pads 0 these are the same): 1;
 * SAME_UPPER or SAME_LOWER (tf2onnx's padding="same" where it does not
 * know the shapes): 2; else 0 */
static int plain_padding(const Onnx__NodeProto *n)
{
	const Onnx__AttributeProto *a = attr(n, "auto_pad");
	char s[16];
	if (!a || !a->has_s)
		return 1;
	snprintf(s, sizeof s, "%.*s", (int)(a->s.len < 15 ? a->s.len : 15), (const char *)a->s.data);
	if (!strcmp(s, "SAME_UPPER") || !strcmp(s, "SAME_LOWER"))
		return 2;
	return !strcmp(s, "NOTSET") || !strcmp(s, "VALID") || !a->s.len;
}

/* ---- layers ---- */

static dm_layer_spec *new_layer(reader *r, size_t i, const char *kind)
{
	dm_onnx_import *m = r->m;
	dm_layer_spec *s;
	if (m->nlayers == MAX_LAYERS)
		return node_fail(r, i, "more than 256 layers"), NULL;
	if (!(s = realloc(m->layers, (m->nlayers + 1) * sizeof *s)))
		return dm_fail(r->err, "out of memory"), NULL;
	m->layers = s;
	s = &m->layers[m->nlayers++];
	memset(s, 0, sizeof *s);
	s->op = dm_layer_op_find(kind);
	return s;
}

/* dense from W (out x in, transposed when w_in_out) and bias b (or NULL) */
static int dense(reader *r, size_t i, float *w, const size_t *dims, int w_in_out, float *b,
		 size_t nb)
{
	size_t out = w_in_out ? dims[1] : dims[0], in = w_in_out ? dims[0] : dims[1], a, c;
	size_t wd[2] = {out, in}, bd[1] = {out};
	dm_layer_spec *s;
	if (b && nb != out) {
		free(w), free(b);
		return node_fail(r, i, "its bias has another width than its weight's outputs");
	}
	if (!out || !in || !(s = new_layer(r, i, "dense"))) {
		free(w), free(b);
		return out && in ? -1 : node_fail(r, i, "its weight is empty");
	}
	s->units = out;
	if (w_in_out) {
		float *t = malloc(out * in * sizeof *t);
		if (!t) {
			free(w), free(b);
			return dm_fail(r->err, "out of memory");
		}
		for (a = 0; a < in; a++)
			for (c = 0; c < out; c++)
				t[c * in + a] = w[a * out + c];
		free(w);
		w = t;
	}
	if (r->hwc[0]) {
		size_t c3 = r->hwc[0] * r->hwc[1] * r->hwc[2];
		if (in != c3) {
			free(w), free(b);
			return node_fail(r, i, "its inputs are not the C*H*W values of the flatten "
					 "before it");
		}
		if (dm_hwc_to_chw(w, out, r->hwc[0], r->hwc[1], r->hwc[2])) {
			free(w), free(b);
			return dm_fail(r->err, "out of memory");
		}
		r->hwc[0] = 0;
	}
	r->flat = 1;
	if (!b && !(b = calloc(out, sizeof *b))) {
		free(w);
		return dm_fail(r->err, "out of memory");
	}
	if (layer_tensor(r, "weight", w, 2, wd)) {
		free(b);
		return -1;
	}
	return layer_tensor(r, "bias", b, 1, bd);
}

static int gemm(reader *r, size_t i)
{
	const Onnx__NodeProto *n = r->g->node[i];
	size_t cw, nd, dims[4], cb = 0, bnd, bdims[4];
	float *w, *b = NULL;
	int64_t tb = attr_int(n, "transB", 0);
	if (attr_int(n, "transA", 0) || attr_float(n, "alpha", 1.0f) != 1.0f ||
	    attr_float(n, "beta", 1.0f) != 1.0f || (tb != 0 && tb != 1))
		return node_fail(r, i, "only transA 0, alpha 1 and beta 1 are read");
	if (!(w = floats(r, i, 1, &cw, &nd, dims)))
		return -1;
	if (nd != 2) {
		free(w);
		return node_fail(r, i, "its weight is not a matrix");
	}
	if (n->n_input > 2 && *n->input[2] && !(b = floats(r, i, 2, &cb, &bnd, bdims))) {
		free(w);
		return -1;
	}
	return dense(r, i, w, dims, !tb, b, cb);
}

static int conv(reader *r, size_t i)
{
	const Onnx__NodeProto *n = r->g->node[i];
	size_t cw, nd, dims[4], cb = 0, bnd, bdims[4], bd[1];
	float *w, *b = NULL;
	int64_t k, s, p, ks = attr_same(n, "kernel_shape", 2, 0);
	int same = plain_padding(n) == 2;
	dm_layer_spec *l;
	s = attr_same(n, "strides", 2, 1);
	p = attr_same(n, "pads", 4, 0);
	if (attr_same(n, "dilations", 2, 1) != 1 || attr_int(n, "group", 1) != 1 ||
	    !plain_padding(n))
		return node_fail(r, i, "only dilation 1, group 1 and explicit pads are read");
	/* "same" padding is (K-1)/2 on each side for odd K at stride 1 */
	if (same && (s != 1 || ks < 1 || ks % 2 == 0 || attr(n, "pads")))
		return node_fail(r, i, "auto_pad SAME_UPPER or SAME_LOWER is read only with stride 1, "
				 "an odd kernel_shape and no pads");
	if (same)
		p = (ks - 1) / 2;
	if (s < 1 || s > 255 || p < 0 || p > 255)
		return node_fail(r, i, "only equal strides (1 to 255) and equal pads (0 to 255) "
				 "are read");
	if (!(w = floats(r, i, 1, &cw, &nd, dims)))
		return -1;
	k = nd == 4 ? (int64_t)dims[2] : 0;
	if (nd != 4 || dims[2] != dims[3] || k < 1 || k > 255 || (ks && ks != k) || !dims[0] ||
	    !dims[1]) {
		free(w);
		return node_fail(r, i, "its weight must be [M, C, K, K], K from 1 to 255");
	}
	if (n->n_input > 2 && *n->input[2] && !(b = floats(r, i, 2, &cb, &bnd, bdims))) {
		free(w);
		return -1;
	}
	if ((b && cb != dims[0]) || !(l = new_layer(r, i, "conv"))) {
		free(w), free(b);
		return b && cb != dims[0] ? node_fail(r, i, "its bias is not one per output channel")
					  : -1;
	}
	l->units = dims[0], l->kernel = (size_t)k, l->stride = (size_t)s, l->pad = (size_t)p;
	if (!b && !(b = calloc(dims[0], sizeof *b))) {
		free(w);
		return dm_fail(r->err, "out of memory");
	}
	bd[0] = dims[0];
	if (layer_tensor(r, "weight", w, 4, dims)) {
		free(b);
		return -1;
	}
	return layer_tensor(r, "bias", b, 1, bd);
}

static int pool(reader *r, size_t i, const char *kind)
{
	const Onnx__NodeProto *n = r->g->node[i];
	int64_t k = attr_same(n, "kernel_shape", 2, -1), s = attr_same(n, "strides", 2, 1);
	dm_layer_spec *l;
	if (attr_same(n, "pads", 4, 0) != 0 || attr_int(n, "ceil_mode", 0) ||
	    attr_same(n, "dilations", 2, 1) != 1 || attr_int(n, "storage_order", 0) ||
	    plain_padding(n) != 1)
		return node_fail(r, i, "only pools without padding, dilation or ceil_mode are read");
	if (k < 1 || k > 255 || s < 1 || s > 255)
		return node_fail(r, i, "only square windows and equal strides (1 to 255) are read");
	if (!(l = new_layer(r, i, kind)))
		return -1;
	l->kernel = (size_t)k, l->stride = (size_t)s;
	return 0;
}

/* BatchNormalization with any epsilon e: ours adds 1e-5, so the variance
 * becomes var + e - 1e-5 (the same normalisation, up to rounding). */
static int batchnorm(reader *r, size_t i)
{
	const Onnx__NodeProto *n = r->g->node[i];
	static const char *const names[] = {"weight", "bias", "running_mean", "running_var"};
	float *v[4] = {0}, eps = attr_float(n, "epsilon", 1e-5f), *nbt;
	size_t c[4], nd, dims[4], k, j;
	if (attr_int(n, "training_mode", 0) || attr_int(n, "spatial", 1) != 1)
		return node_fail(r, i, "only the inference form (training_mode 0, spatial 1) is read");
	if (!(eps > 0.0f && eps < 1.0f))
		return node_fail(r, i, "its epsilon is not between 0 and 1");
	for (k = 0; k < 4; k++) {
		int bad;
		if (!(v[k] = floats(r, i, k + 1, &c[k], &nd, dims)))
			bad = -1;
		else
			bad = nd != 1 || c[k] != c[0] || !c[k];
		if (bad) {
			for (j = 0; j <= k; j++)
				free(v[j]);
			return bad > 0 ? node_fail(r, i, "its four tensors must be [C] each") : -1;
		}
	}
	for (j = 0; j < c[0]; j++) {
		if (eps != 1e-5f)
			v[3][j] = f_sub(f_add(v[3][j], eps), 1e-5f);
		if (!(v[3][j] > 0.0f)) {
			for (k = 0; k < 4; k++)
				free(v[k]);
			return node_fail(r, i, "a variance plus epsilon is not above 1e-5");
		}
	}
	if (!new_layer(r, i, "batchnorm")) {
		for (k = 0; k < 4; k++)
			free(v[k]);
		return -1;
	}
	for (k = 0; k < 4; k++) {
		dims[0] = c[0];
		if (layer_tensor(r, names[k], v[k], 1, dims)) {
			for (j = k + 1; j < 4; j++)
				free(v[j]);
			return -1;
		}
	}
	if (!(nbt = calloc(1, sizeof *nbt)))
		return dm_fail(r->err, "out of memory");
	return layer_tensor(r, "num_batches_tracked", nbt, 0, dims);
}

/* ---- Keras' layout (onnx_nhwc.h) ---- */

/* A Transpose between N,H,W,C and N,C,H,W values.  shift and scale are
 * the input's normalisation read so far (or NULL), over the graph's
 * input as it is. */
static int transpose(reader *r, size_t i, float *shift, float *scale)
{
	const Onnx__AttributeProto *a = attr(r->g->node[i], "perm");
	dm_shape *in = &r->m->input;
	enum dm_perm kind = a ? dm_perm_kind(a->ints, a->n_ints) : DM_PERM_OTHER;
	size_t c, h, w;
	if (kind == DM_PERM_OTHER)
		return node_fail(r, i, "only a Transpose with perm [0,3,1,2] or [0,2,3,1] is read "
				 "(Keras' N,H,W,C values to N,C,H,W and back, around conv layers)");
	if (!in->ndim)
		return node_fail(r, i, "the graph's input has no fixed shape to transpose");
	if (r->flat || in->ndim != 3)
		return node_fail(r, i, "a Transpose is read only on 4-dimensional values (N,H,W,C or "
				 "N,C,H,W), before the Flatten");
	if (kind == DM_PERM_TO_NHWC) {
		if (r->nhwc)
			return node_fail(r, i, "the value is N,H,W,C already here: expected a "
					 "Transpose with perm [0,3,1,2]");
		r->nhwc = 1;
		return 0;
	}
	if (r->nhwc) {
		r->nhwc = 0;
		return 0;
	}
	if (r->m->nlayers || r->m->input_nhwc)
		return node_fail(r, i, "the value is N,C,H,W here: a Transpose with perm [0,3,1,2] "
				 "is read on the graph's N,H,W,C input, or after one with perm "
				 "[0,2,3,1]");
	/* the graph's input is N,H,W,C: samples of C x H x W, as the trainer's */
	h = in->d[0], w = in->d[1], c = in->d[2];
	in->d[0] = c, in->d[1] = h, in->d[2] = w;
	if ((shift && dm_hwc_to_chw(shift, 1, c, h, w)) ||
	    (scale && dm_hwc_to_chw(scale, 1, c, h, w)))
		return dm_fail(r->err, "out of memory");
	r->m->input_nhwc = 1;
	return 0;
}

/* A Flatten (or Reshape) of N,H,W,C values: the next dense layer's inputs
 * are in H,W,C order, of the dims the layers so far give. */
static int flatten_nhwc(reader *r, size_t i)
{
	dm_onnx_import *m = r->m;
	dm_shape s = m->input;
	dm_checked ck = {0};
	if (m->nlayers) {
		dm_layer *l = calloc(m->nlayers, sizeof *l);
		size_t np;
		dm_error sub;
		if (!l)
			return dm_fail(r->err, "out of memory");
		if (dm_net_plan(m->layers, m->nlayers, &m->input, l, &np, &sub)) {
			free(l);
			return node_fail(r, i, sub.msg);
		}
		s = l[m->nlayers - 1].out_shape;
		free(l);
	}
	if (s.ndim != 3)
		return node_fail(r, i, "the value before it is not C x H x W");
	if (dm_shape_count(&s, &ck) > MAX_ELEMENTS || ck.over)
		return node_fail(r, i, "the value before it has too many elements");
	r->hwc[0] = s.d[0], r->hwc[1] = s.d[1], r->hwc[2] = s.d[2];
	r->nhwc = 0;
	return 0;
}

/* Whether a conv's bias of dims[nd] holds its n values along the axis'th
 * dimension from the right (3: [C,1,1] on N,C,H,W values; 1: [C] on
 * N,H,W,C values), its other dimensions 1. */
static int conv_bias_fits(size_t nd, const size_t *dims, size_t n, size_t axis)
{
	size_t d;
	if (nd > 4 || nd < axis)
		return 0;
	for (d = 0; d < nd; d++)
		if (dims[d] != (d == nd - axis ? n : 1))
			return 0;
	return 1;
}

/* ---- the input's normalisation ---- */

/* c (shape cd[cn]) broadcast to a sample of m->input's shape, as ONNX
 * broadcasts it over [N, sample...]: malloc'd, one value per element. */
static float *broadcast(reader *r, size_t i, const float *c, size_t cn, const size_t *cd)
{
	const dm_shape *s = &r->m->input;
	size_t count = 1, j, d;
	float *v;
	if (!s->ndim)
		return node_fail(r, i, "the graph's input has no fixed shape to normalise"), NULL;
	if (cn > s->ndim + 1 || (cn == s->ndim + 1 && cd[0] != 1))
		return node_fail(r, i, "its constant does not broadcast over the input"), NULL;
	for (d = 0; d < s->ndim; d++)
		count *= s->d[d];
	for (d = 0; d < cn && d < s->ndim; d++) {
		size_t cdim = cd[cn - 1 - d], sdim = s->d[s->ndim - 1 - d];
		if (cdim != 1 && cdim != sdim)
			return node_fail(r, i, "its constant does not broadcast over the input"), NULL;
	}
	if (!(v = malloc(count * sizeof *v)))
		return dm_fail(r->err, "out of memory"), NULL;
	for (j = 0; j < count; j++) {
		size_t rest = j, at = 0, stride = 1;
		for (d = 0; d < s->ndim; d++) {
			size_t sd = s->d[s->ndim - 1 - d], idx = rest % sd;
			rest /= sd;
			if (d < cn) {
				size_t cdim = cd[cn - 1 - d];
				at += (cdim == 1 ? 0 : idx) * stride;
				stride *= cdim;
			}
		}
		v[j] = c[at];
	}
	return v;
}

/* Sub, Add, Mul or Div by a constant before any layer. */
static int normalisation(reader *r, size_t i, const char *op, size_t k, float **shift,
			 float **scale)
{
	size_t count, nd, dims[4], j, n = 1;
	float *c, *v;
	int sub = !strcmp(op, "Sub") || !strcmp(op, "Add");
	if (r->m->nlayers)
		return node_fail(r, i, "Sub, Mul and Div are read only at the start of the graph, "
				 "as the input's normalisation");
	if (sub ? (*shift || *scale) : *scale != NULL)
		return node_fail(r, i, "the input's normalisation is read as (x - shift) * scale: "
				 "one Sub (or Add), then one Mul (or Div)");
	if (!(c = floats(r, i, k, &count, &nd, dims)))
		return -1;
	v = broadcast(r, i, c, nd, dims);
	free(c);
	if (!v)
		return -1;
	for (j = 0; j < r->m->input.ndim; j++)
		n *= r->m->input.d[j];
	for (j = 0; j < n; j++) {
		if (!strcmp(op, "Add"))
			v[j] = -v[j];
		else if (!strcmp(op, "Div")) {
			if (v[j] == 0.0f) {
				free(v);
				return node_fail(r, i, "it divides by zero");
			}
			v[j] = f_div(1.0f, v[j]);
		}
	}
	*(sub ? shift : scale) = v;
	return 0;
}

/* ---- the graph ---- */

static int known(const char *op)
{
	size_t k;
	for (k = 0; k < sizeof known_ops / sizeof known_ops[0]; k++)
		if (!strcmp(op, known_ops[k]))
			return 1;
	return 0;
}

static int is_output(const Onnx__GraphProto *g, const char *v)
{
	size_t j;
	for (j = 0; j < g->n_output; j++)
		if (g->output[j]->name && !strcmp(g->output[j]->name, v))
			return 1;
	return 0;
}

/* The graph's data input (an input that is no initializer), its shape. */
static const char *data_input(reader *r)
{
	const Onnx__GraphProto *g = r->g;
	const Onnx__ValueInfoProto *in = NULL;
	size_t j, d;
	for (j = 0; j < g->n_input; j++) {
		const Onnx__ValueInfoProto *v = g->input[j];
		if (!v->name || constant(r, v->name))
			continue;
		if (in)
			return dm_fail(r->err, "%s: the graph has more than one input ('%s', '%s'); "
				       "only one is read", r->name, show(r, 0, in->name),
				       show(r, 1, v->name)), NULL;
		in = v;
	}
	if (!in)
		return dm_fail(r->err, "%s: the graph has no input", r->name), NULL;
	r->m->input.ndim = 0;
	if (in->type && in->type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE &&
	    in->type->tensor_type && in->type->tensor_type->shape) {
		const Onnx__TensorShapeProto *s = in->type->tensor_type->shape;
		if (s->n_dim >= 2 && s->n_dim <= DM_SHAPE_MAX_DIMS + 1) {
			for (d = 1; d < s->n_dim; d++) {
				const Onnx__TensorShapeProto__Dimension *x = s->dim[d];
				if (x->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ||
				    x->dim_value < 1 || x->dim_value > MAX_ELEMENTS)
					break;
				r->m->input.d[d - 1] = (size_t)x->dim_value;
			}
			if (d == s->n_dim)
				r->m->input.ndim = s->n_dim - 1;
		}
	}
	return in->name;
}

/* The one node that takes value v (its place among the node's inputs in
 * *k), or -1: none (*k = 0) or several (*k = 1). */
static long consumer(const Onnx__GraphProto *g, const char *v, size_t *k)
{
	long found = -1;
	size_t i, j;
	*k = 0;
	for (i = 0; i < g->n_node; i++)
		for (j = 0; j < g->node[i]->n_input; j++)
			if (!strcmp(g->node[i]->input[j], v)) {
				if (found >= 0) {
					*k = 1;
					return -1;
				}
				found = (long)i, *k = j;
			}
	return found;
}

static int read_graph(reader *r)
{
	const Onnx__GraphProto *g = r->g;
	dm_onnx_import *m = r->m;
	float *shift = NULL, *scale = NULL;
	const char *v;
	unsigned char *seen = NULL;
	long pending_bias = -1;    /* a dense layer from MatMul, its bias to come */
	int pending_conv = 0;      /* ... or a Conv without bias */
	size_t i, k, visited = 0, constants = 0;
	int rc = -1;

	/* first, the first operator not read, in graph order */
	for (i = 0; i < g->n_node; i++) {
		const Onnx__NodeProto *n = g->node[i];
		if (!n->op_type || (n->domain && *n->domain && strcmp(n->domain, "ai.onnx")))
			return node_fail(r, i, "an operator outside ONNX's default domain, which the "
					 "trainer has no layer for");
		if (!known(n->op_type))
			return node_fail(r, i, "the trainer has no layer for this operator (it reads "
					 "Gemm, MatMul, Add, Conv, MaxPool, AveragePool, "
					 "BatchNormalization, Relu, Sigmoid, Tanh, Flatten, Reshape, "
					 "Transpose, Dropout, Identity, Softmax and a leading "
					 "Sub/Mul/Div)");
		if (!n->n_output || !n->output[0] || (strcmp(n->op_type, "Constant") &&
						      (!n->n_input || !n->input[0])))
			return node_fail(r, i, "it has no input or no output");
		constants += !strcmp(n->op_type, "Constant") ||
			     (!strcmp(n->op_type, "Identity") && constant(r, n->output[0]));
	}
	if (!(v = data_input(r)))
		return -1;
	r->flat = m->input.ndim != 3;
	if (!(seen = calloc(g->n_node ? g->n_node : 1, 1)))
		return dm_fail(r->err, "out of memory");
	for (;;) {
		long at = consumer(g, v, &k);
		const Onnx__NodeProto *n;
		const char *op;
		int last;
		if (at < 0 && k) {
			dm_fail(r->err, "%s: value '%s' goes to more than one node; only a chain of "
				"layers is read", r->name, show(r, 0, v));
			goto out;
		}
		if (at < 0)
			break;
		i = (size_t)at;
		n = g->node[i];
		op = n->op_type;
		if (seen[i]++) {
			node_fail(r, i, "the graph has a cycle");
			goto out;
		}
		visited++;
		last = is_output(g, n->output[0]) && consumer(g, n->output[0], &k) < 0 && !k;
		if (k != 0 && strcmp(op, "Add") && strcmp(op, "Mul")) {
			node_fail(r, i, "the value flowing through the layers must be its first input");
			goto out;
		}
		if (pending_bias >= 0 && strcmp(op, "Add") && strcmp(op, "Transpose")) {
			pending_bias = -1; /* a MatMul or Conv without bias: zeros */
		}
		if (r->nhwc && (!strcmp(op, "Conv") || !strcmp(op, "MaxPool") ||
				!strcmp(op, "AveragePool") || !strcmp(op, "BatchNormalization") ||
				!strcmp(op, "Gemm") || !strcmp(op, "MatMul"))) {
			node_fail(r, i, "the value is N,H,W,C here (after a Transpose with perm "
				  "[0,2,3,1]): expected a Transpose with perm [0,3,1,2] before a conv "
				  "layer, or a Flatten or Reshape before a dense one");
			goto out;
		}
		if (r->hwc[0] && !strcmp(op, "BatchNormalization")) {
			node_fail(r, i, "a BatchNormalization between the Flatten of N,H,W,C values "
				  "and the dense layer is not read");
			goto out;
		}
		if (!strcmp(op, "Add") && pending_bias >= 0) {
			size_t nb, nd, dims[4];
			float *b = floats(r, i, 1 - k, &nb, &nd, dims);
			dm_tensor *t = &m->st.tensors[m->st.ntensors - 1];
			if (!b)
				goto out;
			if (pending_conv ? nb != t->count || !conv_bias_fits(nd, dims, nb, r->nhwc ? 1 : 3)
					 : nb != t->count || nd > 2 || (nd == 2 && dims[0] != 1)) {
				free(b);
				node_fail(r, i, pending_conv
					  ? "its bias is not one value per output channel of the Conv "
					    "before it ([C] on N,H,W,C values, [C,1,1] on N,C,H,W)"
					  : "its bias is not one value per output of the MatMul before it");
				goto out;
			}
			memcpy(t->data, b, nb * sizeof *b);
			free(b);
			pending_bias = -1;
		} else if (!strcmp(op, "Sub") || !strcmp(op, "Add") || !strcmp(op, "Mul") ||
			   !strcmp(op, "Div")) {
			if (normalisation(r, i, op, 1 - (k ? 1 : 0), &shift, &scale))
				goto out;
		} else if (!strcmp(op, "Gemm")) {
			if (gemm(r, i))
				goto out;
		} else if (!strcmp(op, "MatMul")) {
			size_t cw, nd, dims[4];
			float *w = floats(r, i, 1, &cw, &nd, dims);
			if (!w)
				goto out;
			if (nd != 2) {
				free(w);
				node_fail(r, i, "its second input is not a matrix");
				goto out;
			}
			if (dense(r, i, w, dims, 1, NULL, 0))
				goto out;
			pending_bias = (long)m->nlayers - 1, pending_conv = 0;
		} else if (!strcmp(op, "Conv")) {
			if (conv(r, i))
				goto out;
			if (n->n_input < 3 || !*n->input[2]) /* Keras' bias may follow, an Add */
				pending_bias = (long)m->nlayers - 1, pending_conv = 1;
		} else if (!strcmp(op, "Transpose")) {
			if (transpose(r, i, shift, scale))
				goto out;
		} else if (!strcmp(op, "MaxPool") || !strcmp(op, "AveragePool")) {
			if (pool(r, i, *op == 'M' ? "maxpool" : "avgpool"))
				goto out;
		} else if (!strcmp(op, "BatchNormalization")) {
			if (batchnorm(r, i))
				goto out;
		} else if ((!strcmp(op, "Softmax") || !strcmp(op, "LogSoftmax") ||
			    !strcmp(op, "Sigmoid")) && last && m->nlayers) {
			int64_t axis = attr_int(n, "axis", *op == 'S' && op[1] == 'i' ? 1 : -1);
			if (axis != 1 && axis != -1) {
				node_fail(r, i, "only a softmax over axis 1 is read");
				goto out;
			}
			m->head = op[1] == 'i' ? "Sigmoid" : "Softmax";
		} else if (!strcmp(op, "Relu") || !strcmp(op, "Sigmoid") || !strcmp(op, "Tanh")) {
			if (!new_layer(r, i, *op == 'R' ? "relu" : *op == 'T' ? "tanh" : "sigmoid"))
				goto out;
		} else if (!strcmp(op, "Flatten")) {
			if (attr_int(n, "axis", 1) != 1) {
				node_fail(r, i, "only a Flatten with axis 1 is read");
				goto out;
			}
			r->flat = 1;
			if ((r->nhwc && flatten_nhwc(r, i)) || !new_layer(r, i, "flatten"))
				goto out;
		} else if (!strcmp(op, "Reshape")) {
			int64_t s[4];
			size_t ns = 0;
			if (int64s(r, i, 1, s, 4, &ns))
				goto out;
			if (ns != 2 || (s[0] != -1 && s[0] != 0) || (s[1] < 1 && s[1] != -1) ||
			    (s[0] == -1 && s[1] == -1)) {
				node_fail(r, i, "only a Reshape to [-1, F] or [0, -1] (a flatten) is "
					  "read");
				goto out;
			}
			r->flat = 1;
			if ((r->nhwc && flatten_nhwc(r, i)) || !new_layer(r, i, "flatten"))
				goto out;
		} else if (!strcmp(op, "Pad")) {
			/* PyTorch puts one of zeros before an AvgPool2d at opset 11 */
			int64_t pads[8] = {0};
			const Onnx__AttributeProto *a = attr(n, "pads");
			size_t np = 0, j;
			if (a)
				for (np = 0; np < a->n_ints && np < 8; np++)
					pads[np] = a->ints[np];
			else if (int64s(r, i, 1, pads, 8, &np))
				goto out;
			for (j = 0; j < np && !pads[j]; j++)
				;
			if (j < np) {
				node_fail(r, i, "only a Pad of zero width is read");
				goto out;
			}
		} else if (!strcmp(op, "Softmax") || !strcmp(op, "LogSoftmax")) {
			node_fail(r, i, "a softmax is read only as the graph's last node");
			goto out;
		} else if (strcmp(op, "Dropout") && strcmp(op, "Identity")) {
			node_fail(r, i, "the trainer has no layer for this operator here");
			goto out;
		}
		v = n->output[0];
	}
	if (!is_output(g, v)) {
		dm_fail(r->err, "%s: value '%s' goes to no node and is not the graph's output",
			r->name, show(r, 0, v));
		goto out;
	}
	if (visited + constants != g->n_node) {
		dm_fail(r->err, "%s: %zu of the graph's %zu nodes are not on the path from its input "
			"to its output; only a chain of layers is read", r->name,
			g->n_node - visited - constants, g->n_node);
		goto out;
	}
	if (!m->nlayers || !(m->layers[m->nlayers - 1].op->flags & DM_LAYER_OUTPUT)) {
		dm_fail(r->err, "%s: the graph does not end in a dense layer (Gemm or MatMul), "
			"before an optional Softmax or Sigmoid", r->name);
		goto out;
	}
	if (shift || scale) {
		size_t n = 1, j, dims[1];
		for (j = 0; j < m->input.ndim; j++)
			n *= m->input.d[j];
		if (!shift && !(shift = calloc(n, sizeof *shift)))
			goto oom;
		if (!scale) {
			if (!(scale = malloc(n * sizeof *scale)))
				goto oom;
			for (j = 0; j < n; j++)
				scale[j] = 1.0f;
		}
		dims[0] = n;
		k = add_tensor(r, "input.shift", shift, 1, dims);
		shift = NULL;
		if (k || add_tensor(r, "input.scale", scale, 1, dims)) {
			scale = NULL;
			goto out;
		}
		scale = NULL;
	}
	rc = 0;
	goto out;
oom:
	dm_fail(r->err, "out of memory");
out:
	free(shift);
	free(scale);
	free(seen);
	return rc;
}

int dm_onnx_read(const char *name, const void *data, size_t size, dm_onnx_import *m,
		 dm_error *err)
{
	Onnx__ModelProto *mp;
	reader r;
	size_t i;
	char p[2][72];
	int rc;
	memset(m, 0, sizeof *m);
	mp = onnx__model_proto__unpack(NULL, size, data);
	if (!mp)
		return dm_fail(err, "%s: not an ONNX model (its bytes are not a ModelProto)", name);
	if (!mp->graph) {
		onnx__model_proto__free_unpacked(mp, NULL);
		return dm_fail(err, "%s: an ONNX model without a graph", name);
	}
	for (i = 0; i < mp->n_opset_import; i++)
		if (!mp->opset_import[i]->domain || !*mp->opset_import[i]->domain ||
		    !strcmp(mp->opset_import[i]->domain, "ai.onnx"))
			m->opset = (long)mp->opset_import[i]->version;
	snprintf(m->producer, sizeof m->producer, "%s %s",
		 dm_printable(mp->producer_name ? mp->producer_name : "", p[0], sizeof p[0]),
		 dm_printable(mp->producer_version ? mp->producer_version : "", p[1], sizeof p[1]));
	memset(&r, 0, sizeof r);
	r.name = name, r.g = mp->graph, r.m = m, r.err = err;
	rc = read_graph(&r);
	/* metadata_props as the safetensors' metadata, for inspect */
	if (!rc && mp->n_metadata_props &&
	    !(m->st.meta = calloc(mp->n_metadata_props, sizeof *m->st.meta)))
		rc = dm_fail(err, "out of memory");
	for (i = 0; !rc && i < mp->n_metadata_props; i++) {
		const Onnx__StringStringEntryProto *e = mp->metadata_props[i];
		dm_meta *d = &m->st.meta[m->st.nmeta++];
		d->key = strdup(e->key ? e->key : "");
		d->value = strdup(e->value ? e->value : "");
		if (!d->key || !d->value)
			rc = dm_fail(err, "out of memory");
	}
	onnx__model_proto__free_unpacked(mp, NULL);
	if (rc)
		dm_onnx_import_free(m);
	return rc;
}

int dm_is_onnx_path(const char *path)
{
	size_t n = strlen(path);
	return n > 5 && !strcasecmp(path + n - 5, ".onnx");
}

void dm_onnx_import_free(dm_onnx_import *m)
{
	free(m->layers);
	dm_safetensors_free(&m->st);
	memset(m, 0, sizeof *m);
}

dm_net *dm_onnx_net(const char *name, const dm_onnx_import *m, const dm_shape *data,
		    size_t max_batch, dm_error *err)
{
	const dm_shape *shape = m->input.ndim ? &m->input : data;
	dm_net *net;
	dm_param_tensor *pt;
	size_t np, i;
	char have[96], want[96];
	dm_checked ck = {0};
	if (dm_shape_count(shape, &ck) != dm_shape_count(data, &ck) || ck.over) {
		dm_shape_text(shape->ndim, shape->d, want, sizeof want);
		dm_shape_text(data->ndim, data->d, have, sizeof have);
		return dm_fail(err, "%s: the graph's input is %s per sample, but the data's samples "
			       "are %s", name, want, have), NULL;
	}
	if (!(net = dm_net_new_shaped(m->layers, m->nlayers, shape, max_batch, err))) {
		dm_error_prefix(err, "%s", name);
		return NULL;
	}
	if (!(pt = dm_net_tensor_list(net, &np, err))) {
		dm_net_free(net);
		return NULL;
	}
	for (i = 0; i < np; i++) {
		const dm_tensor *t = dm_safetensors_find(&m->st, pt[i].name);
		if (!t || !dm_param_tensor_shape_is(&pt[i], t->ndim, t->shape)) {
			if (t)
				dm_shape_text(t->ndim, t->shape, have, sizeof have);
			dm_shape_text(pt[i].ndim, pt[i].shape, want, sizeof want);
			dm_fail(err, "%s: tensor '%s' %s%s, but the network read from the graph needs %s", name,
				pt[i].name, t ? "has shape " : "is missing", t ? have : "", want);
			free(pt);
			dm_net_free(net);
			return NULL;
		}
		memcpy(net->params + pt[i].offset, t->data, pt[i].count * sizeof(float));
	}
	free(pt);
	return net;
}
