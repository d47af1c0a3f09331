/* loss.c - softmax cross-entropy, binary cross-entropy with logits, MSE. */
#include "loss.h"

#include <string.h>

#include "../math/fmath.h"
#include "../math/fp.h"

int dm_loss_parse(const char *s, dm_loss *out)
{
	if (!strcmp(s, "softmax-cross-entropy") || !strcmp(s, "cross-entropy"))
		*out = DM_LOSS_SOFTMAX_CE;
	else if (!strcmp(s, "binary-cross-entropy"))
		*out = DM_LOSS_BCE;
	else if (!strcmp(s, "mse") || !strcmp(s, "mean-squared-error"))
		*out = DM_LOSS_MSE;
	else
		return -1;
	return 0;
}

const char *dm_loss_name(dm_loss l)
{
	return l == DM_LOSS_SOFTMAX_CE ? "softmax-cross-entropy"
	     : l == DM_LOSS_BCE ? "binary-cross-entropy" : "mse";
}

int dm_loss_is_classification(dm_loss l)
{
	return l != DM_LOSS_MSE;
}

/* loss = log(sum_c exp(z_c - m)) - (z_y - m), m = max_c z_c;
 * dz_c = (softmax_c - [c == y]) / B */
static float softmax_ce(const float *z, size_t C, size_t label, float *dz,
			float inv_b, int *right)
{
	float m = z[0], s = 0.0f, logs;
	size_t c, best = 0;
	for (c = 1; c < C; c++)
		if (z[c] > m)
			m = z[c], best = c;
	*right = best == label;
	/* the exponentials wait in dz (when there is one) for the gradient */
	for (c = 0; c < C; c++) {
		float ex = dm_expf(f_sub(z[c], m));
		if (dz)
			dz[c] = ex;
		s = f_add(s, ex);
	}
	logs = dm_logf(s);
	if (dz)
		for (c = 0; c < C; c++) {
			float p = f_div(dz[c], s);
			dz[c] = f_mul(c == label ? f_sub(p, 1.0f) : p, inv_b);
		}
	return f_sub(logs, f_sub(z[label], m));
}

/* loss = max(z, 0) - z y + log(1 + exp(-|z|)); dz = (sigmoid(z) - y) / B */
static float bce(float z, float y, float *dz, float inv_b, int *right)
{
	float a = z < 0 ? -z : z;
	float loss = f_add(f_sub(z > 0 ? z : 0.0f, f_mul(z, y)),
			   dm_log1pf(dm_expf(-a)));
	*right = (z > 0) == (y > 0.5f);
	if (dz)
		*dz = f_mul(f_sub(dm_sigmoidf(z), y), inv_b);
	return loss;
}

void dm_loss_batch(dm_loss l, const float *z, const float *y, size_t B,
		   size_t C, float *dz, float *loss_sum, uint64_t *correct,
		   float *sq_sum)
{
	float inv_b = f_div(1.0f, (float)B), sum = 0.0f, sq = 0.0f;
	uint64_t right_count = 0;
	size_t i;
	for (i = 0; i < B; i++) {
		int right = 0;
		float li;
		if (l == DM_LOSS_SOFTMAX_CE) {
			li = softmax_ce(z + i * C, C, (size_t)y[i], dz ? dz + i * C : NULL,
					inv_b, &right);
		} else if (l == DM_LOSS_BCE) {
			li = bce(z[i], y[i], dz ? dz + i : NULL, inv_b, &right);
		} else {
			float d = f_sub(z[i], y[i]);
			li = f_mul(d, d);
			sq = f_add(sq, li);
			if (dz) /* d/dz mean((z - y)^2) = 2 (z - y) / B */
				dz[i] = f_mul(f_mul(2.0f, d), inv_b);
		}
		sum = f_add(sum, li);
		right_count += (uint64_t)right;
	}
	*loss_sum = sum;
	*correct = right_count;
	*sq_sum = sq;
}

uint64_t dm_loss_flop(dm_loss l, size_t B, size_t C, int gradient)
{
	(void)l;
	/* one unit per output for the loss, one more for its gradient */
	return (uint64_t)B * C * (gradient ? 2 : 1);
}
