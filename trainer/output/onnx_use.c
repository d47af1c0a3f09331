/* onnx_use.c - an imported ONNX model put to use: its loss, its
 * normalisation, its network for the upstream comparison (onnx_read.h).
 * Evaluating it on data, a job, is job/onnx_eval.c's. */
#include "onnx_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/file.h"

#define MAX_ONNX (1ull << 30)

int dm_onnx_read_file(const char *path, dm_onnx_import *m, char hex[65], dm_error *err)
{
	size_t n;
	char *bytes = dm_read_regular(path, MAX_ONNX, &n, hex, err);
	int rc;
	memset(m, 0, sizeof *m);
	if (!bytes)
		return -1;
	rc = dm_onnx_read(path, bytes, n, m, err);
	free(bytes);
	return rc;
}

int dm_onnx_loss(const char *name, const dm_onnx_import *m, int have_want, dm_loss want,
		 dm_loss *out, dm_error *err)
{
	size_t outputs = m->nlayers ? m->layers[m->nlayers - 1].units : 0;
	if (!have_want)
		*out = m->head && !strcmp(m->head, "Sigmoid") ? DM_LOSS_BCE
		       : m->head || outputs > 1 ? DM_LOSS_SOFTMAX_CE : DM_LOSS_MSE;
	else
		*out = want;
	if (m->head && !strcmp(m->head, "Sigmoid") && *out != DM_LOSS_BCE)
		return dm_fail(err, "%s: the graph ends in a Sigmoid, the head of "
			       "binary-cross-entropy, not of %s", name, dm_loss_name(*out));
	if (m->head && !strcmp(m->head, "Softmax") && *out != DM_LOSS_SOFTMAX_CE)
		return dm_fail(err, "%s: the graph ends in a Softmax, the head of "
			       "softmax-cross-entropy, not of %s", name, dm_loss_name(*out));
	if (*out != DM_LOSS_SOFTMAX_CE && outputs != 1)
		return dm_fail(err, "%s: %s needs one output, but the graph gives %zu", name,
			       dm_loss_name(*out), outputs);
	return 0;
}

int dm_onnx_normalisation(dm_onnx_import *m, size_t dim, const float **shift,
			  const float **scale, dm_error *err)
{
	const dm_tensor *s = dm_safetensors_find(&m->st, "input.shift");
	const dm_tensor *c = dm_safetensors_find(&m->st, "input.scale");
	dm_tensor *t;
	size_t j, k;
	if (!s) {
		t = realloc(m->st.tensors, (m->st.ntensors + 2) * sizeof *t);
		if (!t)
			return dm_fail(err, "out of memory");
		m->st.tensors = t;
		for (k = 0; k < 2; k++) {
			t = &m->st.tensors[m->st.ntensors];
			memset(t, 0, sizeof *t);
			t->name = strdup(k ? "input.scale" : "input.shift");
			t->data = malloc((dim ? dim : 1) * sizeof *t->data);
			if (!t->name || !t->data) {
				free(t->name), free(t->data);
				return dm_fail(err, "out of memory");
			}
			for (j = 0; j < dim; j++)
				t->data[j] = k ? 1.0f : 0.0f;
			t->ndim = 1, t->shape[0] = dim, t->count = dim;
			m->st.ntensors++;
		}
		s = dm_safetensors_find(&m->st, "input.shift");
		c = dm_safetensors_find(&m->st, "input.scale");
	}
	if (s->count != dim || c->count != dim)
		return dm_fail(err, "the graph normalises %zu features, but the data has %zu",
			       s->count, dim);
	*shift = s->data;
	*scale = c->data;
	return 0;
}

void dm_onnx_summary(const dm_onnx_import *m, char *buf, size_t size)
{
	char net[1024], in[96] = "unknown";
	size_t n;
	dm_network_format(m->layers, m->nlayers, net, sizeof net);
	if (m->input.ndim) {
		snprintf(in, sizeof in, "[N");
		for (n = 0; n < m->input.ndim; n++)
			snprintf(in + strlen(in), sizeof in - strlen(in), ", %zu", m->input.d[n]);
		snprintf(in + strlen(in), sizeof in - strlen(in), "]%s",
			 m->input_nhwc ? " (N,H,W,C in the graph)" : "");
	}
	snprintf(buf, size, "ONNX model (%s, opset %ld): input %s; network %s; head %s", m->producer,
		 m->opset, in, net, m->head ? m->head : "none (the last layer's output)");
}

dm_net *dm_onnx_upstream(const char *path, const void *bytes, size_t size, const dm_shape *data,
			 dm_loss loss, size_t outputs, dm_onnx_import *m, const float **shift,
			 const float **scale, char *network, size_t nsize, dm_error *err)
{
	dm_net *net;
	dm_loss used;
	dm_checked ck = {0};
	if (dm_onnx_read(path, bytes, size, m, err))
		return NULL;
	if (dm_onnx_loss(path, m, 1, loss, &used, err) ||
	    !(net = dm_onnx_net(path, m, data, 256, err)))
		return NULL;
	if (net->output_dim != outputs) {
		dm_fail(err, "%s: the graph gives %zu outputs, but Network's last layer has %zu; both "
			"models must do the same task", path, net->output_dim, outputs);
		dm_net_free(net);
		return NULL;
	}
	if (dm_onnx_normalisation(m, (size_t)dm_shape_count(data, &ck), shift, scale, err)) {
		dm_net_free(net);
		return NULL;
	}
	dm_network_format(m->layers, m->nlayers, network, nsize);
	return net;
}
