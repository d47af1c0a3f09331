/* eval.c - eval's forms, told apart by the files (eval.h). */
#include "eval.h"

#include <string.h>

#include "job/commands.h"
#include "job/job.h"
#include "job/onnx_eval.h"
#include "job/use.h"
#include "output/onnx_read.h"

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), k = strlen(tail);
	return n >= k && !strcmp(s + n - k, tail);
}

int dm_job_eval_files(const char *first, const char *second, const dm_eval_opts *e,
		      const dm_ctx *o, FILE *out, dm_error *err)
{
	int plain = !e->model && !e->labels && !e->format;   /* no option but -t */
	if (plain && dm_is_fasttext_file(first))
		return dm_ft_use_eval(first, second, e->k, e->threshold, out, err);
	if (e->ft_given)
		return dm_fail_code(err, DM_EXIT_USAGE,
				    "eval: -k and --threshold are for fastText models");
	if (!e->model && dm_is_onnx_path(first))
		return dm_onnx_eval_data(first, second, e->format, e->labels, o, err);
	if (!e->model && !(plain && (ends_with(second, ".safetensors") || dm_is_onnx_path(second)))) {
		dm_use_opts u = {o->threads, e->format, e->labels, o->say, o->say_ctx, 0, o->kernel};
		return dm_use_eval(first, second, &u, err);
	}
	return dm_job_eval_recipe(first, e->model, second, o, err);
}
