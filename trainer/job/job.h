/* job.h - the job room: one recipe from data to files, through the rooms
 * below it (recipe, policy, licensing, provenance, model, data, output).
 * It runs a recipe's training, estimate, evaluation and verdict, and
 * verify, bundle, predict and inspect (verify.h, use.h, commands.h).
 * Nothing here prints or exits: progress goes to the context's say() hook,
 * which --quiet removes; warnings and the verdict go to tell(), which
 * nothing silences (DEB_BUILD_OPTIONS=terse hides progress, never a
 * warning).  Every setting comes in the context (base/context.h). */
#ifndef DM_JOB_H
#define DM_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "base/context.h"
#include "base/error.h"
#include "data/prepared.h"
#include "model/train.h"
#include "recipe/recipe.h"

/* A job's settings, paths and hooks: the context (base/context.h). */
typedef dm_ctx dm_job_opts;

/* Say LINE through o->tell, or through o->say where there is no tell. */
#define dm_job_tell dm_ctx_tell

/* Load the data of a recipe, check it against the network, normalize. */
int dm_prepare(const dm_recipe *r, dm_prepared *p, dm_error *err);

/* Train one recipe and write OUT/NAME.safetensors and OUT/NAME.json. */
int dm_job_train(dm_recipe *r, const dm_job_opts *o, dm_error *err);

/* Print (through say) the cost of a recipe and the policy's verdict,
 * reading only the headers of the data. */
int dm_job_estimate(dm_recipe *r, const dm_job_opts *o, dm_error *err);

/* Recompute the metrics of saved weights on the recipe's test data (or
 * its validation rows when there is no test set). */
/* The same for the stanza of the recipe file named model (NULL: its only
 * one; several: an error with code DM_EXIT_USAGE). */
int dm_job_eval_recipe(const char *recipe, const char *model, const char *weights,
		       const dm_job_opts *o, dm_error *err);
int dm_job_eval(const dm_recipe *r, const char *weights, const dm_job_opts *o,
		dm_error *err);

/* The verdict before training, and whether the archive area of a binary
 * package may hold it (dh_model runs it for every package before it
 * trains any): the budget is checked as training would check it, the
 * licences found from the recipe's data paths alone (nothing is read but
 * the headers), and the class said (through o->say) with its reason.
 * section is the package's Section: a "contrib/" or "non-free/" prefix
 * names the area, none means main; the policy that applies (its
 * Archive-Areas, else main's) says which verdicts each area accepts.  A
 * verdict the area does not take is an error with DM_EXIT_POLICY, one line
 * naming the model, the verdict, the reason and what to do.  section NULL:
 * the verdict alone. */
int dm_job_verdict(dm_recipe *r, const char *section, const dm_job_opts *o, dm_error *err);

#endif
