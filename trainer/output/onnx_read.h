/* onnx_read.h - an ONNX model from elsewhere (upstream's .onnx, or our own
 * export) as the trainer's layers and weights, to evaluate it beside a
 * retrained model (Upstream-Weights) or on its own (eval, inspect).
 *
 * The bytes are decoded by the C that protoc-c generates from Debian's
 * onnx.proto (no hand-written decoder).  What is read is a chain of nodes
 * from the graph's input to its output, in the forms that
 * torch.onnx.export and Keras (tf2onnx) give dense and conv networks:
 *
 *   Sub, Mul or Div by a constant, at the start: the input's normalisation
 *     (input.shift, input.scale; Div by d is a scale of 1/d)
 *   Gemm (alpha = beta = 1, transA = 0, either transB), or MatMul by a
 *     constant followed by an Add of its bias: dense
 *   Conv (square kernel, equal strides and pads or auto_pad SAME at stride
 *     1, no dilation or group): conv, its bias in it or an Add after it
 *   MaxPool, AveragePool (square, no padding, floor): maxpool, avgpool
 *   BatchNormalization (inference form, any epsilon): batchnorm
 *   Relu, Sigmoid, Tanh; Flatten (axis 1) and Reshape to [-1 or 0, F]: flatten
 *   Dropout, Identity: nothing (inference passes the input on)
 *   Softmax or LogSoftmax last, or Sigmoid last: the head (probabilities)
 *   Constant: a tensor, as an initializer
 *   Transpose perm [0,3,1,2] and [0,2,3,1]: Keras' NHWC layout (onnx_nhwc.h)
 *
 * Any other operator (in graph order, the first one) is an error that
 * names it and its node.  Tensors are float32, raw_data or float_data, in
 * the file (no external data).  Nothing here prints or exits.
 */
#ifndef DM_ONNX_READ_H
#define DM_ONNX_READ_H

#include <stddef.h>

#include "../base/error.h"
#include "../base/shape.h"
#include "../data/dataset.h"
#include "../model/loss.h"
#include "../model/net.h"
#include "../model/train.h"
#include "safetensors.h"

typedef struct dm_onnx_import {
	dm_layer_spec *layers;  /* as dm_network_parse gives them */
	size_t nlayers;
	dm_shape input;         /* a sample's shape (the graph input without N);
				 * ndim 0 when the graph does not say */
	int input_nhwc;         /* the graph's input is N,H,W,C (Keras): input
				 * is its C x H x W */
	const char *head;       /* "Softmax" or "Sigmoid" when the graph ends
				 * in one (dropped from layers), else NULL */
	dm_safetensors st;      /* the tensors under the trainer's names
				 * (layers.I.weight, ...) and layouts, and
				 * input.shift, input.scale ([count]) when the
				 * graph normalises its input */
	char producer[160];     /* producer_name producer_version, printable */
	long opset;             /* of the default domain, 0 when not given */
} dm_onnx_import;

/* Read the model in data[0..size), named name in messages. */
int dm_onnx_read(const char *name, const void *data, size_t size, dm_onnx_import *m,
		 dm_error *err);
/* Whether path ends in ".onnx" (case-insensitive). */
int dm_is_onnx_path(const char *path);
void dm_onnx_import_free(dm_onnx_import *m);

/* A network of m's layers for samples of m's input shape (or, when the
 * graph does not give one, of *data's), with m's tensors loaded.  The
 * data's width must be the graph input's. */
dm_net *dm_onnx_net(const char *name, const dm_onnx_import *m, const dm_shape *data,
		    size_t max_batch, dm_error *err);

/* The file path read whole (a regular file, at most 1 GiB), its SHA-256
 * in hex when hex is set. */
int dm_onnx_read_file(const char *path, dm_onnx_import *m, char hex[65], dm_error *err);

/* The loss to evaluate m with: want (a recipe's Loss) when have_want,
 * checked against the graph's head (a Softmax is softmax-cross-entropy's,
 * a Sigmoid binary-cross-entropy's), else the head's (no head: softmax-
 * cross-entropy for several outputs, mse for one). */
int dm_onnx_loss(const char *name, const dm_onnx_import *m, int have_want, dm_loss want,
		 dm_loss *out, dm_error *err);

/* The graph's normalisation as per-feature shift and scale over dim
 * features: its own (input.shift, input.scale), or (x - 0) * 1 when it
 * has none, which gives back the raw features bit for bit: an ONNX model
 * takes the features as they are in the data. */
int dm_onnx_normalisation(dm_onnx_import *m, size_t dim, const float **shift,
			  const float **scale, dm_error *err);

/* One line: "ONNX model (PRODUCER, opset N): input [N, ...], network
 * TEXT, output HEAD". */
void dm_onnx_summary(const dm_onnx_import *m, char *buf, size_t size);

/* Upstream-Weights of an ONNX file already read (bytes): the network for
 * samples of shape *data, its loss (the recipe's, checked against the
 * graph's head) and its outputs (outputs, the recipe's) checked, the
 * normalisation (dm_onnx_normalisation) and the network's text.  m keeps
 * the tensors the normalisation points into: free it after use. */
dm_net *dm_onnx_upstream(const char *path, const void *bytes, size_t size, const dm_shape *data,
			 dm_loss loss, size_t outputs, dm_onnx_import *m, const float **shift,
			 const float **scale, char *network, size_t nsize, dm_error *err);

#endif
