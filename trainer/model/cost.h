/* cost.h - the exact cost of a training run, known before the first step.
 *
 * FLOP are counted by the same rules that the kernels use when they count
 * the work they really do (engine->flop): a GEMM is 2MNK, a bias add,
 * activation, dropout or loss unit one per element, an optimizer step a
 * fixed number per parameter (optim.h).  The layers' rules are summed
 * over the batches as training and evaluation take them (full batches,
 * then the rest: batchnorm has a part per batch), so the estimate equals
 * the count exactly unless early stopping ends the training sooner or
 * clipping does not fire (the estimate is then an upper bound).
 *
 * Memory is the peak of what the trainer holds: the data (and the raw file
 * body while it is read), parameters, gradients, optimizer state,
 * activations and work space, plus a fixed allowance for the program and
 * its libraries.
 *
 * Every figure is exact or known to be too large: they are computed with
 * checked arithmetic (base/checked.h), and a figure that does not fit in 64
 * bits is UINT64_MAX with its bit set in `over`.  A recipe is then over
 * every budget, whatever its policy says (policy/budget.c).
 */
#ifndef DM_COST_H
#define DM_COST_H

#include <stddef.h>
#include <stdint.h>

#include "loss.h"
#include "net.h"
#include "optim.h"

typedef struct dm_cost_in {
	const dm_layer *layers;     /* from dm_net_plan */
	size_t nlayers;
	uint64_t dim;
	uint64_t ntrain, nvalid, ntest;
	uint64_t batch, max_batch;
	uint64_t epochs;
	dm_loss loss;
	dm_optim_cfg optim;
	unsigned patience;
	int threads;                /* packing space is per thread; the budget passes 1 */
	int normalized;
	/* bytes held per value (and per label) while a file is read: the raw
	 * body of an IDX file (1), or a text format's growing float arrays (8) */
	unsigned load_bytes_per_value;
} dm_cost_in;

/* The figures, in the order a refusal names the first that overflows. */
typedef enum dm_cost_figure {
	DM_COST_PARAMS,
	DM_COST_FLOP_TRAIN,
	DM_COST_FLOP_EVAL,
	DM_COST_FLOP,
	DM_COST_MEM_DATA,
	DM_COST_MEM_MODEL,
	DM_COST_MEM_WORK,
	DM_COST_MEM_LOAD,
	DM_COST_MEM_PEAK,
	DM_COST_OUTPUT,
	DM_COST_NFIGURES
} dm_cost_figure;

typedef struct dm_cost {
	uint64_t params;
	uint64_t flop_train;   /* forward, backward and optimizer over all epochs */
	uint64_t flop_eval;    /* validation every epoch, final train and test passes */
	uint64_t flop;         /* the sum */
	uint64_t mem_data;     /* samples, targets, row lists */
	uint64_t mem_model;    /* parameters, gradients, optimizer state */
	uint64_t mem_work;     /* activations, batches, packing space */
	uint64_t mem_load;     /* the larger of the two loading phases */
	uint64_t mem_peak;     /* the largest of the loading and training phases */
	uint64_t output_bytes; /* tensor bytes of the weights file */
	unsigned over;         /* bit (1u << figure) for each that is 2^64 or more */
} dm_cost;

/* What the program and its libraries take before any data (measured on
 * amd64 with OpenBLAS and libarchive loaded). */
#define DM_COST_BASELINE_BYTES (16u << 20)

void dm_cost_estimate(const dm_cost_in *in, dm_cost *out);

/* Whether figure f fits in 64 bits; the first one that does not (or
 * DM_COST_NFIGURES when all fit). */
int dm_cost_exact(const dm_cost *c, dm_cost_figure f);
dm_cost_figure dm_cost_first_overflow(const dm_cost *c);

#endif
