/* fuzz_onnx.c - the ONNX reader (trainer/output/onnx_read.c) on bytes
 * from anywhere: protobuf-c's generated decoder, then the graph walk.  A
 * model that reads must hold what the reader promises (a layer list that
 * ends in an output layer, tensors as counted, finite), its network must
 * build and run, and, when our writer can export it, writing it and
 * reading it back gives the same tensors in the same order. */
#include <math.h>

#include "fuzz_common.h"
#include "math/gemm.h"
#include "output/onnx.h"
#include "output/onnx_read.h"

/* the tensors but input.shift and input.scale, in order, equal */
static void same_tensors(const dm_safetensors *a, const dm_safetensors *b)
{
	size_t i = 0, j = 0;
	for (;; i++, j++) {
		while (i < a->ntensors && !strncmp(a->tensors[i].name, "input.", 6))
			i++;
		while (j < b->ntensors && !strncmp(b->tensors[j].name, "input.", 6))
			j++;
		if (i == a->ntensors || j == b->ntensors)
			break;
		FUZZ_CHECK(a->tensors[i].count == b->tensors[j].count);
		FUZZ_CHECK(!memcmp(a->tensors[i].data, b->tensors[j].data,
				   a->tensors[i].count * sizeof(float)));
	}
	FUZZ_CHECK(i == a->ntensors && j == b->ntensors);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dm_onnx_import m, back;
	dm_error err = {"", 0};
	dm_net *net;
	dm_loss loss;
	size_t i, k;
	char text[2048];
	if (dm_onnx_read("fuzz.onnx", data, size, &m, &err)) {
		fuzz_check_message(err.msg);
		FUZZ_CHECK(!strncmp(err.msg, "fuzz.onnx", 9));
		return 0;
	}
	FUZZ_CHECK(m.nlayers >= 1 && (m.layers[m.nlayers - 1].op->flags & DM_LAYER_OUTPUT));
	for (i = 0; i < m.st.ntensors; i++) {
		const dm_tensor *t = &m.st.tensors[i];
		size_t count = 1, d;
		for (d = 0; d < t->ndim; d++)
			count *= t->shape[d];
		FUZZ_CHECK(count == t->count);
		for (k = 0; k < t->count; k++)
			FUZZ_CHECK(isfinite(t->data[k]));
	}
	dm_onnx_summary(&m, text, sizeof text);
	FUZZ_CHECK(!strchr(text, '\n'));
	if (!m.input.ndim || dm_onnx_loss("fuzz.onnx", &m, 0, DM_LOSS_MSE, &loss, &err))
		goto out;
	net = dm_onnx_net("fuzz.onnx", &m, &m.input, 2, &err);
	if (!net) {
		fuzz_check_message(err.msg);
		goto out;
	}
	if (net->nparams + net->nstate < (1u << 20) && net->input_dim < (1u << 16)) {
		dm_engine *e = dm_engine_new(DM_NUMERICS_PORTABLE, 1, &err);
		float *x = calloc(net->input_dim, sizeof *x);
		const float *sh = NULL, *sc = NULL;
		unsigned char *bytes = NULL;
		size_t len = 0;
		FUZZ_CHECK(e && x);
		dm_net_forward(net, e, x, 1, 0, NULL);
		/* our writer, then our reader: the same tensors */
		if (dm_safetensors_find(&m.st, "input.shift")) {
			sh = dm_safetensors_find(&m.st, "input.shift")->data;
			sc = dm_safetensors_find(&m.st, "input.scale")->data;
		}
		{
			dm_onnx_in in = {net, loss, sh, sc, "fuzz", NULL, "0", NULL, 0};
			if (!dm_onnx_encode(&in, &bytes, &len, &err)) {
				if (dm_onnx_read("again.onnx", bytes, len, &back, &err)) {
					fprintf(stderr, "reading our own export back: %s\n", err.msg);
					FUZZ_CHECK(0);
				}
				same_tensors(&m.st, &back.st);
				dm_onnx_import_free(&back);
			}
		}
		free(bytes);
		free(x);
		dm_engine_free(e);
	}
	dm_net_free(net);
out:
	dm_onnx_import_free(&m);
	return 0;
}
