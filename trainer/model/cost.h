/* cost.h - the exact cost of a training run, known before the first step.
 *
 * FLOP are counted by the same rules that the kernels use when they count
 * the work they really do (engine->flop): a GEMM is 2MNK, a bias add,
 * activation, dropout or loss unit one per element, an optimizer step a
 * fixed number per parameter (optim.h).  Every rule is linear in the batch
 * size, so the sum over the batches of an epoch is the rule applied to the
 * whole epoch, and the estimate equals the count exactly unless early
 * stopping ends the training sooner or clipping does not fire (the
 * estimate is then an upper bound).
 *
 * Memory is the peak of what the trainer holds: the data (and the raw file
 * body while it is read), parameters, gradients, optimizer state,
 * activations and work space, plus a fixed allowance for the program and
 * its libraries.
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
	size_t dim;
	size_t ntrain, nvalid, ntest;
	size_t batch, max_batch;
	uint64_t epochs;
	dm_loss loss;
	dm_optim_cfg optim;
	unsigned patience;
	int threads;                /* packing space is per thread; the budget passes 1 */
	int normalized;
	uint64_t train_load_bytes;  /* transient bytes while the files are read */
	uint64_t test_load_bytes;
} dm_cost_in;

typedef struct dm_cost {
	size_t params;
	uint64_t flop_train;   /* forward, backward and optimizer over all epochs */
	uint64_t flop_eval;    /* validation every epoch, final train and test passes */
	uint64_t flop;         /* the sum */
	uint64_t mem_data;     /* samples, targets, row lists */
	uint64_t mem_model;    /* parameters, gradients, optimizer state */
	uint64_t mem_work;     /* activations, batches, packing space */
	uint64_t mem_peak;     /* the largest of the loading and training phases */
	uint64_t output_bytes; /* tensor bytes of the weights file */
} dm_cost;

/* What the program and its libraries take before any data (measured on
 * amd64 with OpenBLAS and libarchive loaded). */
#define DM_COST_BASELINE_BYTES (16u << 20)

void dm_cost_estimate(const dm_cost_in *in, dm_cost *out);

#endif
