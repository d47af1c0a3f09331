/* onnx.h - a trained network as an ONNX model, for the programs that run
 * models (OpenCV's dnn, onnxruntime, PyTorch's onnx tools).
 *
 * The bytes are protobuf, encoded by the C that protoc-c generates from
 * Debian's onnx.proto at build time (Makefile): no hand-written encoder.
 * IR version 7 and opset 13 (docs/onnx.md says why).  The graph:
 *
 *   input "input" float [N, F] (a first dense or flatten layer) or
 *     [N, C, H, W] (the sample shape), N symbolic
 *   Sub input.shift, Mul input.scale: the training's normalisation, so
 *     that a program feeds raw features (absent when it had none)
 *   each layer's nodes from its dm_layer_op.onnx, its tensors as
 *     initializers under the safetensors' names ("layers.3.weight")
 *   softmax-cross-entropy: Softmax(axis 1) -> "probabilities" [N, K];
 *   binary-cross-entropy: Sigmoid -> "probabilities" [N, 1], P(class 1);
 *   mse: the last layer's output is "prediction" [N, 1]
 *
 * Nothing in it depends on time, host or path, and every field goes out in
 * a fixed order: the same weights give the same bytes.
 */
#ifndef DM_ONNX_H
#define DM_ONNX_H

#include <stddef.h>

#include "../base/error.h"
#include "../model/loss.h"
#include "../model/net.h"
#include "safetensors.h"

#define DM_ONNX_OPSET 13
#define DM_ONNX_IR_VERSION 7

typedef struct dm_onnx_in {
	const dm_net *net;            /* its layers, params and state */
	dm_loss loss;                 /* decides the output head */
	const float *shift, *scale;   /* per feature (net->input_dim), or NULL */
	const char *graph_name;       /* the model's name */
	const char *doc;              /* its description, or NULL */
	const char *version;          /* producer_version */
	const dm_meta *meta;          /* metadata_props, in this order */
	size_t nmeta;
} dm_onnx_in;

/* Whether every layer has an ONNX form, from the planned layers alone (no
 * weights): -1 with err naming the first layer that has none, and why. */
int dm_onnx_check(const dm_layer *layers, size_t n, dm_error *err);

/* The model's bytes into *out (malloc'd; free it), *len of them. */
int dm_onnx_encode(const dm_onnx_in *in, unsigned char **out, size_t *len, dm_error *err);

#endif
