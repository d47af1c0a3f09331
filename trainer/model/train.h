/* train.h - the training loop, evaluation and metrics.
 *
 * Data come as a matrix x [n, dim] and targets y [n] with a list of row
 * indices, so that the training and validation parts of one dataset need
 * no copies.  Everything random (shuffling, dropout) comes from the seed.
 */
#ifndef DM_TRAIN_H
#define DM_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "../base/error.h"
#include "loss.h"
#include "net.h"
#include "optim.h"

typedef struct dm_rows {
	const float *x;       /* [*, dim] */
	const float *y;       /* targets */
	size_t dim;
	const size_t *index;  /* the rows to use; NULL = rows 0..n-1 */
	size_t n;
} dm_rows;

typedef enum dm_schedule_kind {
	DM_SCHEDULE_CONSTANT,
	DM_SCHEDULE_STEP,        /* lr * gamma^(epoch / every) */
	DM_SCHEDULE_EXPONENTIAL, /* lr * gamma^epoch */
	DM_SCHEDULE_COSINE       /* lr * (1 + cos(pi t / T)) / 2, per step */
} dm_schedule_kind;

typedef struct dm_schedule {
	dm_schedule_kind kind;
	unsigned every;
	float gamma;
} dm_schedule;

int dm_schedule_parse(const char *s, dm_schedule *out, dm_error *err);
/* learning rate for a step: epoch and step counted from 0 */
float dm_schedule_lr(const dm_schedule *s, float lr, uint64_t epoch,
		     uint64_t step, uint64_t total_steps);

typedef struct dm_metrics {
	size_t n;
	float loss;       /* mean per-sample loss */
	float accuracy;   /* classification */
	float rmse;       /* mse */
	uint64_t correct;
} dm_metrics;

typedef struct dm_progress {
	uint64_t epoch, epochs;       /* 1-based epoch */
	uint64_t step, total_steps;   /* steps done so far, of all */
	float loss;                   /* mean training loss so far this epoch */
	int epoch_done;
	const dm_metrics *validation; /* at the end of an epoch, if any */
} dm_progress;

typedef struct dm_train_cfg {
	dm_loss loss;
	dm_optim_cfg optim;
	dm_schedule schedule;
	size_t batch;
	uint64_t epochs;
	int shuffle;
	uint64_t seed;
	unsigned patience;  /* early stopping on validation loss; 0 = off */
	/* called after every step; return non-zero to stop (a cap, a signal) */
	int (*progress)(void *ctx, const dm_progress *p);
	void *ctx;
} dm_train_cfg;

typedef struct dm_train_result {
	uint64_t steps, epochs_run;
	dm_metrics train;       /* over the last epoch, as it trained */
	dm_metrics validation;  /* of the weights kept */
	int stopped_early;
	uint64_t best_epoch;    /* early stopping: the epoch whose weights are kept */
	int interrupted;        /* progress() asked to stop */
} dm_train_result;

int dm_train(dm_net *net, dm_engine *e, const dm_train_cfg *cfg,
	     const dm_rows *train, const dm_rows *validation,
	     dm_train_result *res, dm_error *err);

/* Metrics of the network on rows (no dropout), in batches of at most
 * net->max_batch.  Results do not depend on that batch size. */
int dm_evaluate(dm_net *net, dm_engine *e, dm_loss loss, const dm_rows *rows,
		dm_metrics *m, dm_error *err);

/* Deterministic permutation of 0..n-1 (Fisher-Yates with rng). */
void dm_shuffle(size_t *v, size_t n, dm_rng *rng);

#endif
