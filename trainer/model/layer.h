/* layer.h - the operations of one kind of layer, and the registry of kinds.
 *
 * Each kind is one file under model/layers/ that defines a dm_layer_op (as
 * KANN's kad_op_list): its recipe token and arguments, shape inference, its
 * parameter tensors and their initialisation, one function with a forward
 * and a backward case, and its exact FLOP and workspace.  The network
 * (net.c), the budget (cost.c) and the writers loop over layers through
 * these operations and never ask which kind a layer is.  Adding a kind is
 * one new file and one line in layer_registry.c.
 *
 * Activations are [B, count] floats, B the batch, count the product of the
 * layer's sample shape (shape.h).
 */
#ifndef DM_LAYER_H
#define DM_LAYER_H

#include <stddef.h>
#include <stdint.h>

#include "../base/checked.h"
#include "../base/error.h"
#include "../base/shape.h"
#include "../math/gemm.h"
#include "../math/rng.h"

typedef struct dm_layer_op dm_layer_op;

/* One item of a Network: line, as parsed.  "dense 64 relu" is two specs,
 * [dense 64, relu]: a fused activation is a layer of its own. */
typedef struct dm_layer_spec {
	const dm_layer_op *op;
	size_t units;  /* dense: output width; conv: output channels */
	float rate;    /* dropout: probability of dropping */
	size_t kernel, stride, pad; /* conv: K of KxK, stride S, zero padding P */
} dm_layer_spec;

/* A spec placed in a network: its sample shapes, element counts per sample
 * and where its parameters start in the network's params and grads. */
typedef struct dm_layer {
	const dm_layer_op *op;
	dm_layer_spec spec;
	dm_shape in_shape, out_shape;
	size_t in, out;        /* counts of in_shape and out_shape */
	size_t nparams;        /* floats of all its tensors */
	size_t param_off;      /* its first tensor in params/grads; the others follow */
	size_t nstate;         /* floats of its state tensors (buffers) */
	size_t state_off;      /* its first state tensor in the network's state */
} dm_layer;

/* What a kernel works on: batch B, its input x [B, in] and output y
 * [B, out] (in backward the output of the forward pass), the gradients dy
 * [B, out] and dx [B, in] (NULL when nothing below needs it), its
 * parameters and their gradients, its workspace [B, work], in training
 * the dropout stream, and its state (updated by a training forward pass). */
typedef struct dm_layer_ctx {
	const dm_layer *l;
	dm_engine *e;
	size_t B;
	const float *x;
	float *y;
	const float *dy;
	float *dx;
	const float *params;
	float *grads;
	float *work;
	int training;
	dm_rng *rng;
	float *state;   /* its state tensors (batchnorm's running statistics) */
	/* batchnorm's only, set by the net when a ReLU follows it: the ReLU's
	 * output.  Forward writes max(y, 0) there instead of y; backward gets
	 * the ReLU's dy and masks it by this output > 0.  The same bits as the
	 * two layers apart, with a pass over the activations less each way. */
	float *relu;
} dm_layer_ctx;

enum {
	DM_LAYER_FORWARD,
	DM_LAYER_BACKWARD
};

/* The passes that FLOP are counted for. */
typedef enum dm_layer_pass {
	DM_PASS_EVAL,          /* forward, not training */
	DM_PASS_TRAIN,         /* forward, training */
	DM_PASS_BACKWARD,      /* backward with dx */
	DM_PASS_BACKWARD_NO_DX /* backward of the first layer: parameters only */
} dm_layer_pass;

enum {
	DM_LAYER_ACTIVATION = 1, /* may follow "dense N" in the same item */
	DM_LAYER_FUSES = 2,      /* takes an activation as its last word */
	DM_LAYER_OUTPUT = 4,     /* may end a network (the loss follows it) */
	DM_LAYER_SPATIAL = 8,    /* gives C x H x W: a dense layer after it gets a
				  * flatten first, as in a torch.nn.Sequential */
	DM_LAYER_FLAT = 16       /* gives a plain width (dense, flatten) */
};

/* A layer in ONNX's vocabulary (dm_layer_op.onnx), without protobuf: the
 * writer (output/onnx.c) turns these into NodeProtos.  Each node takes the
 * value flowing in (the layer's input, then the node before it), then the
 * layer's tensors named by their suffix ("weight", "running_mean"), which
 * become initializers "layers.<i>.<suffix>". */
typedef enum dm_onnx_attr_kind { DM_ONNX_INT, DM_ONNX_INTS, DM_ONNX_FLOAT } dm_onnx_attr_kind;
typedef struct dm_onnx_attr {
	const char *name;
	dm_onnx_attr_kind kind;
	int64_t i;            /* DM_ONNX_INT */
	int64_t ints[4];      /* DM_ONNX_INTS */
	size_t nints;
	float f;              /* DM_ONNX_FLOAT */
} dm_onnx_attr;
#define DM_ONNX_NODE_MAX 2
typedef struct dm_onnx_node {
	const char *op;       /* "Gemm", "Conv", "Relu"... */
	const char *tensors[4];
	size_t ntensors;
	dm_onnx_attr attrs[4];
	size_t nattrs;
} dm_onnx_node;

struct dm_layer_op {
	const char *name;      /* recipe token */
	const char *alias;     /* another token for it, or NULL */
	const char *usage;     /* for messages: "dense N [relu|tanh|sigmoid]" */
	unsigned flags;
	/* Arguments after the token: fill s and return how many words were
	 * used (the rest may be an activation, DM_LAYER_FUSES), or -1 with err
	 * saying what was expected.  NULL: takes no argument. */
	int (*parse)(dm_layer_spec *s, char **args, int nargs, dm_error *err);
	/* The item as the provenance shows it; NULL: the name alone. */
	int (*format)(const dm_layer_spec *s, char *buf, size_t size);
	/* Shape inference: the output shape from the input shape, or -1 with
	 * err.  NULL: the output has the input's shape. */
	int (*infer)(const dm_layer_spec *s, const dm_shape *in, dm_shape *out, dm_error *err);
	/* Parameter tensors: ntensors of them, the k-th named
	 * "layers.<i>.<suffix>" with the shape that tensor() gives. */
	size_t ntensors;
	const char *(*tensor)(const dm_layer *l, size_t k, dm_shape *shape);
	/* Draw the initial parameters p[0..nparams) from rng. */
	void (*init)(const dm_layer *l, float *p, dm_rng *rng);
	/* State tensors: values a layer keeps but training does not learn
	 * (PyTorch's buffers, such as batchnorm's running_mean): saved,
	 * loaded and hashed with the parameters, named "layers.<i>.<suffix>"
	 * after them, but neither optimised nor counted as parameters.
	 * init_state sets their initial values (no draw from the seed). */
	size_t nstates;
	const char *(*state)(const dm_layer *l, size_t k, dm_shape *shape);
	void (*init_state)(const dm_layer *l, float *s);
	/* The fewest rows a training batch may have (batchnorm on a plain
	 * width needs 2, as PyTorch's); NULL: 1. */
	size_t (*min_rows)(const dm_layer *l);
	/* Forward (DM_LAYER_FORWARD) or backward (DM_LAYER_BACKWARD) over c. */
	void (*run)(const dm_layer_ctx *c, int action);
	/* FLOP of a pass over B rows, by the rules run() counts with. */
	uint64_t (*flop)(const dm_layer *l, uint64_t B, dm_layer_pass pass, dm_checked *ck);
	/* Floats of workspace per sample (dropout's mask, conv's columns);
	 * NULL: none. */
	size_t (*work)(const dm_layer *l);
	/* The same layer as a torch.nn module expression of the planned l,
	 * e.g. "nn.Linear(784, 256)", for the model card's snippet; its
	 * tensors are the module's state_dict, same names and layouts.
	 * Returns what snprintf returns.  NULL: PyTorch has none to offer. */
	int (*torch)(const dm_layer *l, char *buf, size_t size);
	/* The same layer as ONNX nodes at opset 13 for inference (at most
	 * DM_ONNX_NODE_MAX into out): returns how many, 0 when inference
	 * passes the input on (dropout), or -1 with err saying why ONNX
	 * cannot express this one.  NULL: no ONNX form; a recipe with
	 * Export: onnx is refused before training. */
	int (*onnx)(const dm_layer *l, dm_onnx_node *out, dm_error *err);
};

/* The registry (layer_registry.c): the kinds in the order messages list
 * them, and the kind of a token (name or alias), or NULL. */
size_t dm_layer_ops(const dm_layer_op *const **ops);
const dm_layer_op *dm_layer_op_find(const char *token);

/* Floats of parameters of a layer with shapes planned, checked. */
uint64_t dm_layer_param_count(const dm_layer *l, dm_checked *ck);
/* Floats of workspace per sample. */
size_t dm_layer_work(const dm_layer *l);
/* Floats of its state tensors, checked. */
uint64_t dm_layer_state_count(const dm_layer *l, dm_checked *ck);
/* The fewest rows of a training batch. */
size_t dm_layer_min_rows(const dm_layer *l);
/* The flop() of an elementwise layer: one per element in every pass. */
uint64_t dm_layer_flop_elementwise(const dm_layer *l, uint64_t B, dm_layer_pass pass,
				   dm_checked *ck);

#endif
