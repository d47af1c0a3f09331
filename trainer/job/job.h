/* job.h - one recipe from data to files: the CLI's training and evaluation
 * jobs.  Nothing here prints: progress goes to the say() hook, which
 * --quiet removes; warnings and the verdict go to tell(), which nothing
 * silences (DEB_BUILD_OPTIONS=terse hides progress, never a warning). */
#ifndef DM_JOB_H
#define DM_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "model/train.h"
#include "recipe/recipe.h"

typedef struct dm_job_opts {
	int threads;
	const char *output_dir;
	int no_expect;              /* nocheck: gates are evaluated but not fatal */
	void (*say)(void *ctx, const char *line);
	void *say_ctx;
	volatile int *stop_signal;  /* set by a signal handler: stop training */
	/* after the data are read, restrict the process (os/sandbox.h) so
	 * that it writes only beneath this directory; NULL: no sandbox */
	const char *sandbox_dir;
	/* warnings ("warning: ..."), the verdict: never NULL in the CLI;
	 * where NULL, they go to say() */
	void (*tell)(void *ctx, const char *line);
} dm_job_opts;

/* Say LINE through o->tell, or through o->say where there is no tell. */
void dm_job_tell(const dm_job_opts *o, const char *line);

/* Everything the data stage hands to training and evaluation. */
typedef struct dm_prepared {
	dm_dataset train, test;
	dm_shape input;             /* the shape of a sample (Input-Shape) */
	int have_test;
	float *shift, *scale;       /* per-feature normalization, or NULL */
	size_t *train_rows, *valid_rows;
	size_t ntrain, nvalid;
	size_t classes;             /* classification: largest label + 1 */
} dm_prepared;

/* Load the data of a recipe, check it against the network, normalize. */
int dm_prepare(const dm_recipe *r, dm_prepared *p, dm_error *err);
void dm_prepared_free(dm_prepared *p);

/* Train one recipe and write OUT/NAME.safetensors and OUT/NAME.json. */
int dm_job_train(dm_recipe *r, const dm_job_opts *o, dm_error *err);

/* Print (through say) the cost of a recipe and the policy's verdict,
 * reading only the headers of the data. */
int dm_job_estimate(dm_recipe *r, const dm_job_opts *o, dm_error *err);

/* Recompute the metrics of saved weights on the recipe's test data (or
 * its validation rows when there is no test set). */
int dm_job_eval(const dm_recipe *r, const char *weights, const dm_job_opts *o,
		dm_error *err);

#endif
