/* verify.h - anyone can check a shipped model: retrain it from the recipe
 * and data that its provenance names, and compare the weights bit for
 * bit; and the reproducibility bundle that carries all of it.
 *
 * The file given is untrusted input: see verify.c for what these read and
 * write, and provenance/ for the checks.
 */
#ifndef DM_VERIFY_H
#define DM_VERIFY_H

#include <stdint.h>

#include "job/job.h"

/* The context's threads, say() and data_dir (relative dataset paths are
 * below it; NULL: "."), and the policy settings for the retraining.
 *
 * FILE: weights (.safetensors, whose metadata holds the provenance) or a
 * bundle (.tar).  Works in a child process and a private temporary
 * directory, which is gone when this returns.  Returns 0 when identical,
 * -1 with err->code DM_EXIT_DIFFER when the weights or the data differ
 * (the first tensor or data file that does is named), or another error. */
int dm_verify(const char *file, const dm_ctx *o, dm_error *err);

/* Write the bundle of a weights file: NAME.json, NAME.md, NAME.models,
 * NAME.safetensors and data/ with each dataset file (found below
 * o->data_dir) when all of them together are at most max_data bytes, each
 * checked against the SHA-256 that the provenance records before it is
 * taken in. */
int dm_bundle(const char *weights, const char *output, uint64_t max_data, const dm_ctx *o,
	      dm_error *err);

#endif
