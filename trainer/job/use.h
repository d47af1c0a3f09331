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
	int probabilities;    /* predict: what the ONNX export's output gives */
	int kernel;           /* dm_ctx's kernel */
} dm_use_opts;

/* One line per input row: the class name (or the class number when the
 * model has no Class-Names), or the value of a regression.  With
 * o->probabilities, a classifier's line is its softmax over the outputs
 * (binary-cross-entropy: the sigmoid, P(class 1)), as NAME.onnx's
 * "probabilities" output, in the trainer's own float operations. */
int dm_use_predict(const char *model, const char *input, const dm_use_opts *o,
		   dm_error *err);
/* The loss and accuracy (or RMSE) on labelled data, and, for a
 * classifier, how many rows of each class were right. */
int dm_use_eval(const char *model, const char *data, const dm_use_opts *o, dm_error *err);

#endif
