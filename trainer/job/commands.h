/* commands.h - the reading commands of the job room (inspect, card,
 * fastText models): they write to the stream they are given, never exit. */
#ifndef DM_COMMANDS_H
#define DM_COMMANDS_H

#include <stdio.h>

#include "base/error.h"

int dm_inspect(const char *path, FILE *out, dm_error *err);
/* a fastText word-vector .bin: the 10 nearest neighbours of each word */
int dm_inspect_neighbours(const char *path, char **words, int n, FILE *out, dm_error *err);
int dm_card(const char *json_path, FILE *out, dm_error *err);

/* fastText .bin models (job/ftuse.c): known by their magic number; predict
 * prints as `fasttext predict` (prob: as `predict-prob`), eval as
 * `fasttext test`.  input "-" is standard input. */
int dm_is_fasttext_file(const char *path);
int dm_ft_use_predict(const char *model, const char *input, int k, float threshold, int prob,
		      FILE *out, dm_error *err);
int dm_ft_use_eval(const char *model, const char *data, int k, float threshold, FILE *out,
		   dm_error *err);

#endif
