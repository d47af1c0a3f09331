/* train.c - minibatch training with a fixed, seed-driven order. */
#include "train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../math/fmath.h"
#include "../math/fp.h"

int dm_schedule_parse(const char *s, dm_schedule *out, dm_error *err)
{
	char word[32];
	unsigned every;
	float gamma;
	int used = 0;
	memset(out, 0, sizeof *out);
	if (sscanf(s, "%31s%n", word, &used) != 1)
		return dm_fail(err, "expected constant, step N GAMMA, exponential GAMMA or cosine");
	s += used;
	if (!strcmp(word, "constant") && sscanf(s, " %*s") == EOF) {
		out->kind = DM_SCHEDULE_CONSTANT;
	} else if (!strcmp(word, "cosine") && sscanf(s, " %*s") == EOF) {
		out->kind = DM_SCHEDULE_COSINE;
	} else if (!strcmp(word, "step") && sscanf(s, "%u %f %n", &every, &gamma, &used) == 2 &&
		   !s[used] && every > 0 && gamma > 0 && gamma <= 1) {
		out->kind = DM_SCHEDULE_STEP, out->every = every, out->gamma = gamma;
	} else if (!strcmp(word, "exponential") && sscanf(s, "%f %n", &gamma, &used) == 1 &&
		   !s[used] && gamma > 0 && gamma <= 1) {
		out->kind = DM_SCHEDULE_EXPONENTIAL, out->gamma = gamma;
	} else {
		return dm_fail(err, "expected constant, step N GAMMA, exponential GAMMA "
			       "or cosine, with N > 0 and 0 < GAMMA <= 1");
	}
	return 0;
}

static float powi(float g, uint64_t k)
{
	float r = 1.0f;
	while (k--)
		r = f_mul(r, g);
	return r;
}

float dm_schedule_lr(const dm_schedule *s, float lr, uint64_t epoch,
		     uint64_t step, uint64_t total)
{
	switch (s->kind) {
	case DM_SCHEDULE_STEP:
		return f_mul(lr, powi(s->gamma, epoch / s->every));
	case DM_SCHEDULE_EXPONENTIAL:
		return f_mul(lr, powi(s->gamma, epoch));
	case DM_SCHEDULE_COSINE: {
		float t = f_div((float)step, (float)(total ? total : 1));
		return f_mul(f_mul(lr, 0.5f), f_add(1.0f, dm_cosf(f_mul(3.14159265f, t))));
	}
	default:
		return lr;
	}
}

void dm_shuffle(size_t *v, size_t n, dm_rng *rng)
{
	size_t i;
	for (i = n; i > 1; i--) {
		size_t j = (size_t)dm_rng_below(rng, i), t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}

static size_t row_of(const dm_rows *r, size_t i)
{
	return r->index ? r->index[i] : i;
}

/* Copy rows order[first..first+B) into xb [B, dim] and yb [B]. */
static void gather(const dm_rows *r, const size_t *order, size_t first,
		   size_t B, float *xb, float *yb)
{
	size_t i;
	for (i = 0; i < B; i++) {
		size_t row = row_of(r, order ? order[first + i] : first + i);
		memcpy(xb + i * r->dim, r->x + row * r->dim, r->dim * sizeof *xb);
		yb[i] = r->y[row];
	}
}

/* Kahan summation in float, one rounded operation per line: accurate over
 * 60000 samples and identical on every architecture. */
typedef struct ksum {
	float s, c;
} ksum;

static void ksum_add(ksum *k, float v)
{
	float y = f_sub(v, k->c);
	float t = f_add(k->s, y);
	k->c = f_sub(f_sub(t, k->s), y);
	k->s = t;
}

static void finish_metrics(dm_loss loss, ksum *ls, ksum *sq, uint64_t correct,
			   size_t n, dm_metrics *m)
{
	memset(m, 0, sizeof *m);
	m->n = n;
	if (!n)
		return;
	m->loss = f_div(ls->s, (float)n);
	m->correct = correct;
	if (dm_loss_is_classification(loss))
		m->accuracy = f_div((float)correct, (float)n);
	else
		m->rmse = dm_sqrtf(f_div(sq->s, (float)n));
}

int dm_evaluate(dm_net *net, dm_engine *e, dm_loss loss, const dm_rows *rows,
		dm_metrics *m, dm_error *err)
{
	size_t B = net->max_batch, first;
	float *xb = dm_alloc_floats(B * rows->dim, err), *yb = dm_alloc_floats(B, err);
	ksum ls = {0, 0}, sq = {0, 0};
	uint64_t correct = 0;
	if (!xb || !yb) {
		free(xb), free(yb);
		return -1;
	}
	for (first = 0; first < rows->n; first += B) {
		size_t b = rows->n - first < B ? rows->n - first : B;
		float lsum, sqsum;
		uint64_t right;
		const float *z;
		gather(rows, NULL, first, b, xb, yb);
		z = dm_net_forward(net, e, xb, b, 0, NULL);
		dm_loss_batch(loss, z, yb, b, net->output_dim, NULL, &lsum, &right, &sqsum);
		e->flop += dm_loss_flop(loss, b, net->output_dim, 0);
		ksum_add(&ls, lsum);
		ksum_add(&sq, sqsum);
		correct += right;
	}
	free(xb), free(yb);
	finish_metrics(loss, &ls, &sq, correct, rows->n, m);
	if (!isfinite(m->loss))
		return dm_fail(err, "the loss on %zu evaluation rows is not finite (%g)",
			       rows->n, (double)m->loss);
	return 0;
}

int dm_train(dm_net *net, dm_engine *e, const dm_train_cfg *cfg,
	     const dm_rows *train, const dm_rows *valid, dm_train_result *res,
	     dm_error *err)
{
	size_t B = cfg->batch, n = train->n, i;
	uint64_t steps_per_epoch = (n + B - 1) / B, total = steps_per_epoch * cfg->epochs;
	uint64_t epoch, since_best = 0;
	float best_loss = INFINITY;
	float *xb = NULL, *yb = NULL, *dz = NULL, *best = NULL;
	size_t *order = NULL;
	dm_rng shuffle_rng, dropout_rng;
	dm_optim opt = {0};
	int rc = -1;

	memset(res, 0, sizeof *res);
	if (B == 0 || B > net->max_batch || n == 0)
		return dm_fail(err, "internal: batch size %zu for %zu rows", B, n);
	for (i = 0; i < net->nlayers; i++) {
		size_t need = dm_layer_min_rows(&net->layers[i]), last = n % B ? n % B : B;
		if ((B < n ? B : n) < need || last < need)
			return dm_fail(err, "layer %zu (%s) needs at least %zu rows in every "
				       "training batch, but Batch-Size %zu over %zu training rows "
				       "gives a batch of %zu (PyTorch refuses it too: \"Expected more "
				       "than 1 value per channel when training\"); change Batch-Size",
				       i + 1, net->layers[i].op->name, need, B, n,
				       (B < n ? B : n) < need ? (B < n ? B : n) : last);
	}
	if (!(xb = dm_alloc_floats(B * train->dim, err)) || !(yb = dm_alloc_floats(B, err)) ||
	    !(dz = dm_alloc_floats(B * net->output_dim, err)) ||
	    !(order = dm_calloc(n, sizeof *order, err)) ||
	    dm_optim_init(&opt, &cfg->optim, net->nparams, err))
		goto out;
	if (cfg->patience && valid && valid->n &&
	    !(best = dm_alloc_floats(net->nparams + net->nstate, err)))
		goto out;
	for (i = 0; i < n; i++)
		order[i] = i;
	dm_rng_seed(&shuffle_rng, cfg->seed, DM_STREAM_SHUFFLE);
	dm_rng_seed(&dropout_rng, cfg->seed, DM_STREAM_DROPOUT);

	for (epoch = 0; epoch < cfg->epochs; epoch++) {
		ksum ls = {0, 0}, sq = {0, 0};
		uint64_t correct = 0, s;
		size_t seen = 0;
		if (cfg->shuffle)
			dm_shuffle(order, n, &shuffle_rng);
		for (s = 0; s < steps_per_epoch; s++) {
			size_t first = (size_t)s * B, b = n - first < B ? n - first : B;
			float lsum, sqsum, lr;
			uint64_t right;
			const float *z;
			gather(train, order, first, b, xb, yb);
			z = dm_net_forward(net, e, xb, b, 1, &dropout_rng);
			dm_loss_batch(cfg->loss, z, yb, b, net->output_dim, dz, &lsum, &right, &sqsum);
			e->flop += dm_loss_flop(cfg->loss, b, net->output_dim, 1);
			if (!isfinite(lsum)) {
				dm_fail(err, "training diverged: the loss is %s at epoch %llu, "
					"step %llu (try a smaller Learning-Rate or Clip-Norm)",
					isnan(lsum) ? "NaN" : "infinite",
					(unsigned long long)epoch + 1, (unsigned long long)res->steps + 1);
				goto out;
			}
			dm_net_backward(net, e, xb, b, dz);
			lr = dm_schedule_lr(&cfg->schedule, cfg->optim.lr, epoch, res->steps, total);
			{
				dm_span mark;
				dm_span_begin(e, &mark);
				dm_optim_step(&opt, e, net->params, net->grads, lr);
				dm_span_end(e, DM_SPAN_OPTIM, 0, &mark);
			}
			res->steps++;
			ksum_add(&ls, lsum);
			ksum_add(&sq, sqsum);
			correct += right;
			seen += b;
			if (cfg->progress) {
				dm_progress p = {epoch + 1, cfg->epochs, res->steps, total,
						 f_div(ls.s, (float)seen), 0, NULL};
				if (cfg->progress(cfg->ctx, &p)) {
					res->interrupted = 1;
					dm_fail_code(err, DM_EXIT_POLICY, "training stopped at epoch %llu, step %llu",
						     (unsigned long long)epoch + 1, (unsigned long long)res->steps);
					goto out;
				}
			}
		}
		res->epochs_run = epoch + 1;
		finish_metrics(cfg->loss, &ls, &sq, correct, n, &res->train);
		if (valid && valid->n) {
			if (dm_evaluate(net, e, cfg->loss, valid, &res->validation, err))
				goto out;
			if (best && res->validation.loss < best_loss) {
				best_loss = res->validation.loss;
				res->best_epoch = epoch + 1;
				memcpy(best, net->params, (net->nparams + net->nstate) * sizeof *best);
				since_best = 0;
			} else if (best && ++since_best >= cfg->patience) {
				res->stopped_early = 1;
			}
		}
		if (cfg->progress) {
			dm_progress p = {epoch + 1, cfg->epochs, res->steps, total,
					 res->train.loss, 1,
					 valid && valid->n ? &res->validation : NULL};
			if (cfg->progress(cfg->ctx, &p)) {
				res->interrupted = 1;
				dm_fail_code(err, DM_EXIT_POLICY, "training stopped after epoch %llu",
					     (unsigned long long)epoch + 1);
				goto out;
			}
		}
		if (res->stopped_early)
			break;
	}
	if (best && res->best_epoch && res->best_epoch != res->epochs_run) {
		memcpy(net->params, best, (net->nparams + net->nstate) * sizeof *best);
		if (dm_evaluate(net, e, cfg->loss, valid, &res->validation, err))
			goto out;
	}
	rc = 0;
out:
	dm_optim_free(&opt);
	free(xb), free(yb), free(dz), free(order), free(best);
	return rc;
}
