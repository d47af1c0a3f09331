/* optim.h - SGD with momentum, Adam and AdamW over the flat parameter block.
 *
 * The update rules are PyTorch's (torch.optim, foreach=False), so that the
 * oracle test can follow them step by step:
 *   sgd:   g += wd p;  buf = momentum buf + g (buf = g at step 1);  p -= lr buf
 *   adam:  g += wd p;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g g
 *          p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 *   adamw: p *= 1 - lr wd, then adam without the wd term
 * Gradient clipping scales all gradients by clip / (norm + 1e-6) when the
 * global L2 norm exceeds clip (torch.nn.utils.clip_grad_norm_).
 * All optimizer state lives in one allocation (state).
 */
#ifndef DM_OPTIM_H
#define DM_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "../base/error.h"
#include "../math/gemm.h"

typedef enum dm_opt_kind { DM_OPT_SGD, DM_OPT_ADAM, DM_OPT_ADAMW } dm_opt_kind;

typedef struct dm_optim_cfg {
	dm_opt_kind kind;
	float lr, momentum, beta1, beta2, eps, weight_decay, clip_norm;
} dm_optim_cfg;

int dm_opt_parse(const char *s, dm_opt_kind *out);
const char *dm_opt_name(dm_opt_kind k);
/* PyTorch's defaults for the kind (lr 0.001 Adam, 0.01 SGD...) */
void dm_optim_defaults(dm_opt_kind kind, dm_optim_cfg *cfg);

typedef struct dm_optim {
	dm_optim_cfg cfg;
	size_t n;
	float *state;     /* sgd: momentum buffer [n]; adam: m [n] then v [n] */
	uint64_t step;
	float b1_pow, b2_pow; /* beta1^t and beta2^t, multiplied up in float */
} dm_optim;

int dm_optim_init(dm_optim *o, const dm_optim_cfg *cfg, size_t n, dm_error *err);
void dm_optim_free(dm_optim *o);

/* Global L2 norm of g, summed in fixed chunks: the same for any threads. */
float dm_grad_norm(dm_engine *e, const float *g, size_t n);

/* One step with learning rate lr (the schedule's value for this step).
 * Clips the gradients first when cfg.clip_norm > 0. */
void dm_optim_step(dm_optim *o, dm_engine *e, float *params, float *grads,
		   float lr);

/* FLOP counted per parameter per step (the budget uses the same rule). */
uint64_t dm_optim_flop_per_param(const dm_optim_cfg *cfg);

#endif
