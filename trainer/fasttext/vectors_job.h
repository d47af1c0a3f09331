/* vectors_job.h - a `Model-Type: skipgram` or `cbow` recipe: its fields
 * and its job, from text to files.
 *
 * fasttext/recipe.c hands such a stanza to dm_ftv_recipe_fields (fields
 * named after fastText's options, with fastText's defaults for skipgram
 * and cbow), fasttext/job.c hands the job to dm_ftv_job_run: a counting
 * pass (lines, tokens), the dictionary, the estimate (the training's draws
 * replayed, so it equals the FLOPs counted), refused over Max-Compute
 * before the first update with the token count in the message, the
 * training, then OUT/NAME.safetensors (tensors "input", "output") and,
 * with Export: fasttext, OUT/NAME.bin and OUT/NAME.vec. */
#ifndef DM_FT_VECTORS_JOB_H
#define DM_FT_VECTORS_JOB_H

#include "fasttext/job.h"
#include "fasttext/recipe.h"

int dm_ftv_recipe_fields(const char *path, const dm_stanza *s, int32_t model, dm_ft_recipe *r,
			 dm_error *err);
int dm_ftv_job_run(const dm_ft_job *j, dm_ft_job_result *res, dm_error *err);

#endif
