/* job.h - a `Model-Type: supervised` recipe from text to files.
 *
 * A counting pass over the datasets first (lines and tokens), which the
 * FLOP estimate needs; the held-out split by Seed; the dictionary and the
 * lines' rows; the estimate, refused over Max-Compute before the first
 * update with the token count in the message; the training; P@1 on the
 * held-out or test lines (fastText's `test`, by ftpredict); then
 * the verdict from the datasets' copyright files; OUT/NAME.safetensors
 * (the tensors "input" and "output"), OUT/NAME.json (the provenance
 * record, "dh-model-provenance/1", with the verdict, which `dh-model-train
 * card` reads; also in the safetensors' metadata) and, with Export:
 * fasttext, OUT/NAME.bin, fastText 0.9.2's file (fasttext/outputs.h).
 * Nothing is printed: progress lines go to say(). */
#ifndef DM_FT_JOB_H
#define DM_FT_JOB_H

#include "base/context.h"
#include "fasttext/recipe.h"
#include "policy/budget.h"
#include "recipe/deb822.h"
#include "recipe/policy.h"

typedef struct dm_ft_job {
	const dm_ft_recipe *r;
	const char *model;          /* the recipe's Model: file names, messages */
	const char *where;          /* "debian/x.models: stanza 1 (name)" */
	const dm_limits *limits;    /* the policy's, lowered by the recipe's */
	int threads;
	const char *output_dir;
	int estimate_only;          /* count and estimate, then stop */
	void (*say)(void *ctx, const char *line);
	void *say_ctx;
	/* for the provenance (NAME.json): the recipe as written */
	const char *recipe_file;
	size_t stanza_index;
	const dm_stanza *stanza;
	const char *description, *license;
	/* for the verdict (licensing/verdict.h) and the record's budget */
	const struct dm_recipe *recipe;
	const dm_ctx *ctx;
	dm_budget *budget;          /* dm_budget_check's; the job adds the counted cost */
	/* SOURCE_DATE_EPOCH as the caller parsed it (base/epoch.h): the
	 * record's date when have_source_date */
	int have_source_date;
	uint64_t source_date;
} dm_ft_job;

/* Results, for the caller's verdict. */
typedef struct dm_ft_job_result {
	uint64_t lines, tokens;     /* of the datasets, from the counting pass */
	uint64_t flops_estimate, flops_counted;
	uint64_t ntrain, ntest;     /* lines kept */
	double p_at_1;              /* held-out/test P@1, or -1 */
} dm_ft_job_result;

int dm_ft_job_run(const dm_ft_job *j, dm_ft_job_result *res, dm_error *err);

#endif
