/* eval.h - which eval the two files of "dh-model-train eval" ask for:
 *   MODEL.bin DATA                    a fastText model: fastText's test
 *   FILE.onnx DATA                    an ONNX model on labelled DATA
 *   RECIPE FILE.safetensors|FILE.onnx the stanza's test data (--model)
 *   MODEL.safetensors DATA            the model alone, from its provenance
 * An option that the chosen form does not take is an error with code
 * DM_EXIT_USAGE, for the CLI to say as a usage error. */
#ifndef DM_EVAL_H
#define DM_EVAL_H

#include <stdio.h>

#include "base/context.h"
#include "base/error.h"

typedef struct dm_eval_opts {
	const char *model, *format, *labels;   /* --model, --format, --labels, or NULL */
	int k;                                 /* fastText's -k */
	float threshold;                       /* fastText's --threshold */
	int ft_given;                          /* -k or --threshold given */
} dm_eval_opts;

/* fastText's test writes to out; the others say through o. */
int dm_job_eval_files(const char *first, const char *second, const dm_eval_opts *e,
		      const dm_ctx *o, FILE *out, dm_error *err);

#endif
