/* net.h - feed-forward networks: a list of layers over one parameter block.
 *
 * A Network: line such as "dense 256 relu, dropout 0.2, dense 10" becomes
 * the layer list [dense 256, relu, dropout 0.2, dense 10].  The input shape
 * comes from the data.  All parameters live in one contiguous allocation
 * (params), their gradients in another of the same layout (grads), so that
 * the optimizer and the file writer see flat arrays.  What each kind of
 * layer does is in layer.h and layers/; this file only walks the list.
 *
 * Tensor names follow torch.nn.Sequential: "layers.<i>.weight" and
 * "layers.<i>.bias", where i is the layer's place in the list.
 */
#ifndef DM_NET_H
#define DM_NET_H

#include <stddef.h>
#include <stdint.h>

#include "../base/checked.h"
#include "../base/error.h"
#include "../base/shape.h"
#include "../math/gemm.h"
#include "../math/rng.h"
#include "layer.h"

/* Parse a Network: value.  Errors say which item is wrong and what was
 * expected: "item 2 'dense x': expected a positive number of units". */
int dm_network_parse(const char *text, dm_layer_spec **specs, size_t *n,
		     dm_error *err);
/* The outputs of a parsed network: the width of its last layer, which
 * dm_network_parse made sure is an output layer (dense). */
size_t dm_network_outputs(const dm_layer_spec *specs, size_t n);
/* Canonical text of a layer list (for the provenance). */
int dm_network_format(const dm_layer_spec *specs, size_t n, char *buf,
		      size_t size);

typedef struct dm_net {
	size_t nlayers;
	dm_layer *layers;
	dm_shape input_shape;
	size_t input_dim, output_dim;
	size_t nparams;
	/* params holds nparams learned values, then nstate floats of state
	 * tensors (layer.h): the optimizer and grads cover the first part
	 * only; files and the provenance hold both */
	size_t nstate;
	float *params, *grads;
	/* workspace for batches of up to max_batch rows */
	size_t max_batch, max_width;
	float **act;      /* act[l]: output of layer l, [B, layers[l].out] */
	float **work;     /* work[l]: its workspace, [B, work] (dropout's mask), or NULL */
	float *dbuf[2];   /* gradients flowing back, [B, max_width] each */
} dm_net;

/* Lay out the layers (shapes and parameter offsets) without allocating
 * anything, so that the budget can cost a network before it exists.
 * layers must hold n entries; *nparams is the number of parameters, exact
 * when it fits in size_t (the budget counts them again, checked).  Fails
 * when a layer cannot take the shape before it. */
int dm_net_plan(const dm_layer_spec *specs, size_t n, const dm_shape *input,
		dm_layer *layers, size_t *nparams, dm_error *err);

dm_net *dm_net_new(const dm_layer_spec *specs, size_t n, size_t input_dim,
		   size_t max_batch, dm_error *err);
/* The same for samples of any shape (dm_net_new: a plain width). */
dm_net *dm_net_new_shaped(const dm_layer_spec *specs, size_t n, const dm_shape *input,
			  size_t max_batch, dm_error *err);
void dm_net_free(dm_net *net);

/* Each layer draws its parameters (dense: PyTorch's nn.Linear default, W
 * and b uniform in +-1/sqrt(in)), in layer order from the seed's
 * DM_STREAM_INIT sequence. */
void dm_net_init(dm_net *net, uint64_t seed);

/* Forward pass of B rows of x; returns the output [B, output_dim] (owned by
 * net).  With training set, dropout draws its masks from rng. */
const float *dm_net_forward(dm_net *net, dm_engine *e, const float *x,
			    size_t B, int training, dm_rng *rng);

/* Backward pass after a forward pass of the same x: dout [B, output_dim]
 * is d(loss)/d(output); fills net->grads (overwriting them). */
void dm_net_backward(dm_net *net, dm_engine *e, const float *x, size_t B,
		     const float *dout);

/* Name, shape and location in params of a parameter or state tensor. */
typedef struct dm_param_tensor {
	char name[64];
	size_t ndim, shape[DM_SHAPE_MAX_DIMS], offset, count;
} dm_param_tensor;
/* Where layer l's state tensors are in params. */
float *dm_net_state(const dm_net *net, const dm_layer *l);
/* The first max of the network's tensors into out; returns how many it has. */
size_t dm_net_tensors(const dm_net *net, dm_param_tensor *out, size_t max);
/* All of them, in a new array (free it) of *n entries. */
dm_param_tensor *dm_net_tensor_list(const dm_net *net, size_t *n, dm_error *err);
/* Whether a tensor of ndim dimensions shape[] is t's shape; its text,
 * "[10, 784]", into buf. */
int dm_param_tensor_shape_is(const dm_param_tensor *t, size_t ndim, const size_t *shape);
void dm_shape_text(size_t ndim, const size_t *shape, char *buf, size_t size);

/* FLOP of one forward (and one backward) pass over B rows, by the same
 * rules the kernels count with; the budget uses these.  Checked: a count
 * beyond 64 bits sets ck->over (base/checked.h). */
uint64_t dm_layers_forward_flop(const dm_layer *layers, size_t n, uint64_t B,
				int training, dm_checked *ck);
uint64_t dm_layers_backward_flop(const dm_layer *layers, size_t n, uint64_t B,
				 dm_checked *ck);

#endif
