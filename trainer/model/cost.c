/* cost.c - FLOP and memory of a recipe, from shapes alone. */
#include "cost.h"

#include "../math/gemm_kernel.h"

/* bytes of a dm_alloc_floats block: rounded up to 64 */
static uint64_t floats(uint64_t count)
{
	return (count * 4 + 63) / 64 * 64;
}

static uint64_t eval_flop(const dm_cost_in *in, size_t rows, size_t outputs)
{
	return dm_layers_forward_flop(in->layers, in->nlayers, rows, 0) +
	       dm_loss_flop(in->loss, rows, outputs, 0);
}

void dm_cost_estimate(const dm_cost_in *in, dm_cost *c)
{
	size_t outputs = in->layers[in->nlayers - 1].out, i, maxw = in->dim;
	uint64_t P = 0, per_step_opt, steps, act = 0, masks = 0, ntotal;
	uint64_t load1, load2, train_phase;
	for (i = 0; i < in->nlayers; i++) {
		const dm_layer *l = &in->layers[i];
		if (l->kind == DM_LAYER_DENSE)
			P += (uint64_t)l->in * l->out + l->out;
		if (l->out > maxw)
			maxw = l->out;
		act += floats((uint64_t)in->max_batch * l->out);
		if (l->kind == DM_LAYER_DROPOUT)
			masks += floats((uint64_t)in->max_batch * l->out);
	}
	c->params = (size_t)P;

	/* FLOP, by the rules the kernels count with */
	steps = (in->ntrain + in->batch - 1) / in->batch;
	per_step_opt = dm_optim_flop_per_param(&in->optim) * P +
		       (in->optim.clip_norm > 0 ? 3 * P : 0);
	c->flop_train = in->epochs * (dm_layers_forward_flop(in->layers, in->nlayers, in->ntrain, 1) +
				      dm_loss_flop(in->loss, in->ntrain, outputs, 1) +
				      dm_layers_backward_flop(in->layers, in->nlayers, in->ntrain) +
				      steps * per_step_opt);
	c->flop_eval = in->epochs * eval_flop(in, in->nvalid, outputs) +
		       eval_flop(in, in->ntrain, outputs) + eval_flop(in, in->ntest, outputs);
	if (in->patience) /* the best weights are evaluated once more */
		c->flop_eval += eval_flop(in, in->nvalid, outputs);
	c->flop = c->flop_train + c->flop_eval;

	/* memory */
	ntotal = in->ntrain + in->nvalid;
	c->mem_data = floats(ntotal * in->dim) + floats(ntotal) +
		      floats((uint64_t)in->ntest * in->dim) + floats(in->ntest) +
		      (in->normalized ? 2 * floats(in->dim) : 0) +
		      8 * (uint64_t)(in->ntrain + in->nvalid);          /* row lists */
	c->mem_model = floats(P) * 2 +                                  /* params, grads */
		       floats(P) * (in->optim.kind == DM_OPT_SGD ? 1 : 2) +
		       (in->patience ? floats(P) : 0);
	c->mem_work = act + masks + 2 * floats((uint64_t)in->max_batch * maxw) +
		      (uint64_t)(in->threads < 1 ? 1 : in->threads) * floats(DM_PACK_FLOATS) +
		      floats((uint64_t)in->batch * in->dim) + floats(in->batch) +
		      floats((uint64_t)in->batch * outputs) + 8 * (uint64_t)in->ntrain + /* order */
		      floats((uint64_t)in->max_batch * in->dim);                         /* eval batch */
	train_phase = c->mem_data + c->mem_model + c->mem_work;
	/* while reading: the training samples and the raw body being parsed,
	 * then the test samples next to the training ones */
	load1 = floats(ntotal * in->dim) + in->train_load_bytes;
	load2 = floats(ntotal * in->dim) + floats(ntotal) + in->test_load_bytes +
		floats((uint64_t)in->ntest * in->dim);
	c->mem_peak = DM_COST_BASELINE_BYTES +
		      (train_phase > load1 ? (train_phase > load2 ? train_phase : load2)
					   : (load1 > load2 ? load1 : load2));
	c->output_bytes = 4 * (P + (in->normalized ? 2 * (uint64_t)in->dim : 0));
}
