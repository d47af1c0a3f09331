/* loss.h - losses on the network's output, with their gradients.
 *
 *   softmax-cross-entropy  z [B, C] logits, y [B] class indices
 *   binary-cross-entropy   z [B, 1] logit,  y [B] in {0, 1} (sigmoid inside)
 *   mse                    z [B, 1],        y [B] real targets
 * The gradient is that of the batch mean, as PyTorch's default reduction.
 */
#ifndef DM_LOSS_H
#define DM_LOSS_H

#include <stddef.h>
#include <stdint.h>

typedef enum dm_loss {
	DM_LOSS_SOFTMAX_CE,
	DM_LOSS_BCE,
	DM_LOSS_MSE
} dm_loss;

int dm_loss_parse(const char *s, dm_loss *out);
const char *dm_loss_name(dm_loss l);
/* classification losses: labels are class indices */
int dm_loss_is_classification(dm_loss l);

/* Per batch: the sum of the per-sample losses (*loss_sum), the number of
 * correct predictions (*correct, classification) and the sum of squared
 * errors (*sq_sum, mse).  When dz is not NULL it receives d(mean)/dz.
 * Sums run over the batch in order, so they are deterministic. */
void dm_loss_batch(dm_loss l, const float *z, const float *y, size_t B,
		   size_t C, float *dz, float *loss_sum, uint64_t *correct,
		   float *sq_sum);

/* FLOP counted for one batch (the same rule the budget uses). */
uint64_t dm_loss_flop(dm_loss l, size_t B, size_t C, int gradient);

#endif
