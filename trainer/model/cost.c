/* cost.c - FLOP and memory of a recipe, from shapes alone.
 *
 * Every figure has its own dm_checked, so that an overflow is known by the
 * figure it happened in; a figure built from another that overflowed
 * overflows too.  Row counts, which may be 0, are multiplied in first
 * (dm_layers_forward_flop does the same), so that 0 rows cost exactly 0
 * whatever the network. */
#include "cost.h"

#include "../base/checked.h"
#include "../math/gemm_kernel.h"

/* bytes of a dm_alloc_floats block: rounded up to 64 */
static uint64_t floats(dm_checked *ck, uint64_t count)
{
	uint64_t b = dm_ck_add(ck, dm_ck_mul(ck, count, 4), 63);
	return ck->over ? UINT64_MAX : b / 64 * 64;
}

/* The layers' FLOP over rows taken in batches of batch rows, as the
 * kernels count them batch by batch: full batches, then the rest.  For
 * rules linear in the batch (all but batchnorm's, which has a part per
 * batch) this is the rule applied to all rows at once. */
enum { FORWARD_EVAL, FORWARD_TRAIN, BACKWARD };
static uint64_t pass_flop(const dm_cost_in *in, int pass, uint64_t B, dm_checked *ck)
{
	if (B == 0)
		return 0;
	if (pass == BACKWARD)
		return dm_layers_backward_flop(in->layers, in->nlayers, B, ck);
	return dm_layers_forward_flop(in->layers, in->nlayers, B, pass == FORWARD_TRAIN, ck);
}

static uint64_t batched_flop(const dm_cost_in *in, int pass, uint64_t rows, uint64_t batch,
			     dm_checked *ck)
{
	uint64_t full = batch ? rows / batch : 0;
	/* no full batch: its count is not needed, and may not fit in 64 bits */
	return dm_ck_add(ck, full ? dm_ck_mul(ck, full, pass_flop(in, pass, batch, ck)) : 0,
			 pass_flop(in, pass, batch ? rows % batch : 0, ck));
}

static uint64_t eval_flop(const dm_cost_in *in, uint64_t rows, uint64_t outputs, dm_checked *ck)
{
	return dm_ck_add(ck, batched_flop(in, FORWARD_EVAL, rows, in->max_batch, ck),
			 dm_ck_mul3(ck, rows, outputs, dm_loss_flop(in->loss, 1, 1, 0)));
}

static uint64_t max2(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Record figure f: its value, and its overflow bit from ck and from the
 * figures it is built from (deps, a mask). */
static uint64_t figure(dm_cost *c, dm_cost_figure f, uint64_t v, const dm_checked *ck,
		       unsigned deps)
{
	if (ck->over || (c->over & deps)) {
		c->over |= 1u << f;
		return UINT64_MAX;
	}
	return v;
}

#define BIT(f) (1u << (f))

void dm_cost_estimate(const dm_cost_in *in, dm_cost *c)
{
	uint64_t outputs = in->layers[in->nlayers - 1].out, maxw = in->dim, P = 0, S = 0;
	uint64_t act = 0, layer_work = 0, ntotal, steps, per_step_opt, per_epoch, v;
	dm_checked ck_p = {0}, ck_t = {0}, ck_e = {0}, ck_f = {0}, ck_d = {0}, ck_m = {0},
		   ck_w = {0}, ck_l = {0}, ck_pk = {0}, ck_o = {0}, ck_n = {0};
	size_t i;

	c->over = 0;
	for (i = 0; i < in->nlayers; i++) {
		const dm_layer *l = &in->layers[i];
		uint64_t work = dm_layer_work(l);
		P = dm_ck_add(&ck_p, P, dm_layer_param_count(l, &ck_p));
		S = dm_ck_add(&ck_m, S, dm_layer_state_count(l, &ck_m));
		if (l->out > maxw)
			maxw = l->out;
		act = dm_ck_add(&ck_w, act, floats(&ck_w, dm_ck_mul(&ck_w, in->max_batch, l->out)));
		if (work)
			layer_work = dm_ck_add(&ck_w, layer_work,
					  floats(&ck_w, dm_ck_mul(&ck_w, in->max_batch, work)));
	}
	c->params = figure(c, DM_COST_PARAMS, P, &ck_p, 0);

	/* FLOP, by the rules the kernels count with */
	steps = in->ntrain / in->batch + (in->ntrain % in->batch != 0);
	per_step_opt = dm_ck_add(&ck_t, dm_ck_mul(&ck_t, dm_optim_flop_per_param(&in->optim), P),
				 in->optim.clip_norm > 0 ? dm_ck_mul(&ck_t, 3, P) : 0);
	per_epoch = batched_flop(in, FORWARD_TRAIN, in->ntrain, in->batch, &ck_t);
	per_epoch = dm_ck_add(&ck_t, per_epoch, dm_ck_mul3(&ck_t, in->ntrain, outputs,
							    dm_loss_flop(in->loss, 1, 1, 1)));
	per_epoch = dm_ck_add(&ck_t, per_epoch,
			      batched_flop(in, BACKWARD, in->ntrain, in->batch, &ck_t));
	per_epoch = dm_ck_add(&ck_t, per_epoch, dm_ck_mul(&ck_t, steps, per_step_opt));
	c->flop_train = figure(c, DM_COST_FLOP_TRAIN, dm_ck_mul(&ck_t, in->epochs, per_epoch),
			       &ck_t, BIT(DM_COST_PARAMS));

	v = dm_ck_mul(&ck_e, in->epochs, eval_flop(in, in->nvalid, outputs, &ck_e));
	v = dm_ck_add(&ck_e, v, eval_flop(in, in->ntrain, outputs, &ck_e));
	v = dm_ck_add(&ck_e, v, eval_flop(in, in->ntest, outputs, &ck_e));
	if (in->patience) /* the best weights are evaluated once more */
		v = dm_ck_add(&ck_e, v, eval_flop(in, in->nvalid, outputs, &ck_e));
	c->flop_eval = figure(c, DM_COST_FLOP_EVAL, v, &ck_e, 0);
	c->flop = figure(c, DM_COST_FLOP, dm_ck_add(&ck_f, c->flop_train, c->flop_eval), &ck_f,
			 BIT(DM_COST_FLOP_TRAIN) | BIT(DM_COST_FLOP_EVAL));

	/* memory */
	ntotal = dm_ck_add(&ck_n, in->ntrain, in->nvalid);
	ck_d = ck_n;
	v = floats(&ck_d, dm_ck_mul(&ck_d, ntotal, in->dim));
	v = dm_ck_add(&ck_d, v, floats(&ck_d, ntotal));
	v = dm_ck_add(&ck_d, v, floats(&ck_d, dm_ck_mul(&ck_d, in->ntest, in->dim)));
	v = dm_ck_add(&ck_d, v, floats(&ck_d, in->ntest));
	if (in->normalized)
		v = dm_ck_add(&ck_d, v, dm_ck_mul(&ck_d, 2, floats(&ck_d, in->dim)));
	v = dm_ck_add(&ck_d, v, dm_ck_mul(&ck_d, 8, ntotal));                  /* row lists */
	c->mem_data = figure(c, DM_COST_MEM_DATA, v, &ck_d, 0);

	v = dm_ck_mul(&ck_m, floats(&ck_m, P), 2);                                /* params, grads */
	v = dm_ck_add(&ck_m, v, floats(&ck_m, S));        /* state: batchnorm's running statistics */
	v = dm_ck_add(&ck_m, v, dm_ck_mul(&ck_m, floats(&ck_m, P),
					  in->optim.kind == DM_OPT_SGD ? 1 : 2));
	if (in->patience) /* the best weights and state */
		v = dm_ck_add(&ck_m, v, floats(&ck_m, dm_ck_add(&ck_m, P, S)));
	c->mem_model = figure(c, DM_COST_MEM_MODEL, v, &ck_m, BIT(DM_COST_PARAMS));

	v = dm_ck_add(&ck_w, act, layer_work);
	v = dm_ck_add(&ck_w, v, dm_ck_mul(&ck_w, 2, floats(&ck_w, dm_ck_mul(&ck_w, in->max_batch, maxw))));
	v = dm_ck_add(&ck_w, v, dm_ck_mul(&ck_w, (uint64_t)(in->threads < 1 ? 1 : in->threads),
					  floats(&ck_w, DM_PACK_FLOATS)));
	v = dm_ck_add(&ck_w, v, floats(&ck_w, dm_ck_mul(&ck_w, in->batch, in->dim)));
	v = dm_ck_add(&ck_w, v, floats(&ck_w, in->batch));
	v = dm_ck_add(&ck_w, v, floats(&ck_w, dm_ck_mul(&ck_w, in->batch, outputs)));
	v = dm_ck_add(&ck_w, v, dm_ck_mul(&ck_w, 8, in->ntrain));                  /* order */
	v = dm_ck_add(&ck_w, v, floats(&ck_w, dm_ck_mul(&ck_w, in->max_batch, in->dim))); /* eval batch */
	c->mem_work = figure(c, DM_COST_MEM_WORK, v, &ck_w, 0);

	/* while reading: the training samples and the raw body being parsed,
	 * then the test samples next to the training ones */
	{
		uint64_t samples, train_raw, test_raw, load1, load2;
		ck_l = ck_n;
		samples = floats(&ck_l, dm_ck_mul(&ck_l, ntotal, in->dim));
		train_raw = dm_ck_mul(&ck_l, in->load_bytes_per_value,
				      dm_ck_add(&ck_l, dm_ck_mul(&ck_l, ntotal, in->dim), ntotal));
		test_raw = dm_ck_mul(&ck_l, in->load_bytes_per_value,
				     dm_ck_add(&ck_l, dm_ck_mul(&ck_l, in->ntest, in->dim), in->ntest));
		load1 = dm_ck_add(&ck_l, samples, train_raw);
		load2 = dm_ck_add(&ck_l, dm_ck_add(&ck_l, samples, floats(&ck_l, ntotal)),
				  dm_ck_add(&ck_l, test_raw,
					    floats(&ck_l, dm_ck_mul(&ck_l, in->ntest, in->dim))));
		c->mem_load = figure(c, DM_COST_MEM_LOAD, max2(load1, load2), &ck_l, 0);
	}
	v = dm_ck_add(&ck_pk, dm_ck_add(&ck_pk, c->mem_data, c->mem_model), c->mem_work);
	v = dm_ck_add(&ck_pk, DM_COST_BASELINE_BYTES, max2(v, c->mem_load));
	c->mem_peak = figure(c, DM_COST_MEM_PEAK, v, &ck_pk,
			     BIT(DM_COST_MEM_DATA) | BIT(DM_COST_MEM_MODEL) | BIT(DM_COST_MEM_WORK) |
			     BIT(DM_COST_MEM_LOAD));

	v = dm_ck_mul(&ck_o, 4, dm_ck_add(&ck_o, P, in->normalized ? dm_ck_mul(&ck_o, 2, in->dim) : 0));
	c->output_bytes = figure(c, DM_COST_OUTPUT, v, &ck_o, BIT(DM_COST_PARAMS));
}

int dm_cost_exact(const dm_cost *c, dm_cost_figure f)
{
	return !(c->over & BIT(f));
}

dm_cost_figure dm_cost_first_overflow(const dm_cost *c)
{
	int f;
	for (f = 0; f < DM_COST_NFIGURES && dm_cost_exact(c, (dm_cost_figure)f); f++)
		;
	return (dm_cost_figure)f;
}
