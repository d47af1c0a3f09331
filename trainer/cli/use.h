/* use.h - predict and eval from an installed weights file alone: the
 * network, the data format and the preprocessing come from the
 * provenance in its metadata and its input.shift/input.scale tensors, so
 * no recipe is needed. */
#ifndef DM_USE_H
#define DM_USE_H

#include "base/error.h"

typedef struct dm_use_opts {
	int threads;
	const char *format;   /* --format: overrides the recorded Format, or NULL */
	const char *labels;   /* eval: the labels file of IDX data, or NULL */
	void (*say)(void *ctx, const char *line);
	void *say_ctx;
} dm_use_opts;

/* One line per input row: the class name (or the class number when the
 * model has no Class-Names), or the value of a regression. */
int dm_use_predict(const char *model, const char *input, const dm_use_opts *o,
		   dm_error *err);
/* The loss and accuracy (or RMSE) on labelled data, and, for a
 * classifier, how many rows of each class were right. */
int dm_use_eval(const char *model, const char *data, const dm_use_opts *o, dm_error *err);

#endif
