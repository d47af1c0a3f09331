/* upstream.h - the retrained model next to upstream's prebuilt weights.
 *
 * A recipe's Upstream-Weights names the weights that upstream ships (a
 * blob that Debian cannot rebuild as it is).  Both models are evaluated on
 * the same rows (the test data, else the validation rows), and the metrics
 * go side by side into the build log, the provenance and the model card: do
 * free data and a free trainer reproduce what upstream's blob does?  With
 * Upstream-Max-Regression the build fails (exit code 3, like Expect) when
 * the retrained model is worse by more than that.
 *
 * Upstream's file is either safetensors, whose tensors are found by name
 * (layers.I.weight [out, in], layers.I.bias [out], as the trainer writes
 * them for Upstream-Network), or raw little-endian float32 holding those
 * tensors in that order with no header (the "declared shape" is
 * Upstream-Network with the width of the data).  A safetensors file may
 * carry input.shift and input.scale; then upstream's model sees the data
 * normalized its own way, else the recipe's way.
 */
#ifndef DM_UPSTREAM_H
#define DM_UPSTREAM_H

#include "base/context.h"
#include "data/prepared.h"
#include "model/train.h"
#include "recipe/recipe.h"

typedef struct dm_upstream {
	int done;                  /* a comparison was made */
	const char *path;          /* Upstream-Weights */
	char sha256[65];           /* of that file */
	const char *format;        /* "safetensors" or "raw-f32le" */
	char network[512];         /* canonical Upstream-Network */
	size_t parameters;
	const char *split;         /* "test" or "validation" */
	size_t rows;
	int classification;
	int no_loss;               /* a text model: P@1 only */
	dm_metrics mine, theirs;
	const char *normalization; /* how upstream's model saw the data */
	/* Upstream-Max-Regression */
	int has_max;
	const char *metric;        /* "accuracy", "loss" or "rmse" */
	float max_regression;
	float worse_by;            /* how much worse the retrained model is (< 0: better) */
	int pass;
} dm_upstream;

/* Evaluate the retrained net and upstream's weights on the same rows, and
 * say the result (o->say).  A regression over the threshold is an error
 * with code DM_EXIT_EXPECT, unless o->no_expect; u is filled in either way. */
int dm_upstream_compare(const dm_recipe *r, const dm_prepared *p, dm_net *net,
			const dm_ctx *o, dm_upstream *u, dm_error *err);

#endif
