/* onnx_eval.h - eval of an ONNX model on labelled data, with the
 * context's threads and kernel, saying the metrics through its say(). */
#ifndef DM_ONNX_EVAL_H
#define DM_ONNX_EVAL_H

#include "base/context.h"
#include "base/error.h"
#include "data/dataset.h"
#include "math/gemm.h"
#include "model/train.h"

/* Evaluate the model in path on labelled data read by spec (the features
 * as they are: the graph normalises them), with *loss or (NULL) the one
 * dm_onnx_loss gives.  The metrics in *out, the network's text in
 * network. */
int dm_onnx_eval(const char *path, const dm_data_spec *spec, const dm_loss *loss,
		 dm_numerics numerics, const dm_ctx *o, dm_metrics *out, dm_loss *used,
		 char *network, size_t size, dm_error *err);

/* eval RECIPE FILE.onnx: on the stanza's test data, with its loss; says
 * "MODEL: test-loss L test-accuracy A (N rows)" and the network. */
int dm_onnx_eval_recipe(const char *model, const char *path, const dm_data_spec *test,
			dm_loss loss, dm_numerics numerics, const dm_ctx *o, dm_error *err);
/* eval [--format F] [--labels L] FILE.onnx DATA: format F (default idx
 * with labels, else csv with the label last), the loss from the graph. */
int dm_onnx_eval_data(const char *path, const char *data, const char *format,
		      const char *labels, const dm_ctx *o, dm_error *err);

#endif
