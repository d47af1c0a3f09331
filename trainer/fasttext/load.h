/* load.h - text datasets into a dictionary and training lines.
 *
 * Two passes over the datasets, as fastText makes over its file: the first
 * counts the tokens into the dictionary, the second turns each line into
 * its rows (dm_ft_corpus).  A line is held out for the test set when
 * holdout says so (by its number over all the datasets, 0-based); held-out
 * lines are not counted in the dictionary, so that it is the one fastText
 * builds from the training lines alone.
 */
#ifndef DM_FT_LOAD_H
#define DM_FT_LOAD_H

#include "fasttext/train.h"
#include "text/source.h"

typedef struct dm_ft_holdout {
	uint64_t lines;     /* records in all the datasets (from a counting pass) */
	uint8_t *held;      /* lines bytes: 1 = held out; NULL: none */
} dm_ft_holdout;

/* Count the records of the datasets (the budget's pass and the split's). */
int dm_ft_count_lines(dm_text_format fmt, const dm_text_sources *src, const char *prefix,
		      const dm_data_limits *lim, uint64_t *lines, uint64_t *tokens,
		      dm_error *err);

/* Held out: round(fraction * lines) of them, chosen by the seed. */
int dm_ft_holdout_make(dm_ft_holdout *h, uint64_t lines, double fraction, uint64_t seed,
		       dm_error *err);
void dm_ft_holdout_free(dm_ft_holdout *h);

/* d from dm_text_dict_init.  train gets the training lines; test (may be
 * NULL) the held-out ones, with the same dictionary.  records (may be
 * NULL) gets, per dataset, its SHA-256 and bytes (of the last pass). */
int dm_ft_load(dm_text_format fmt, const dm_text_sources *src, const char *prefix,
	       const dm_data_limits *lim, const dm_ft_holdout *h, dm_text_dict *d,
	       dm_ft_corpus *train, dm_ft_corpus *test, dm_file_record *records,
	       dm_error *err);

/* Only the rows of each line, with a finished dictionary (a Test-Dataset). */
int dm_ft_load_rows(dm_text_format fmt, const dm_text_sources *src, const char *prefix,
		    const dm_data_limits *lim, dm_text_dict *d, dm_ft_corpus *c,
		    dm_file_record *records, dm_error *err);

/* Only the held-out lines' rows, with a finished dictionary (another
 * model's: Upstream-Weights). */
int dm_ft_load_held(dm_text_format fmt, const dm_text_sources *src, const char *prefix,
		    const dm_data_limits *lim, const dm_ft_holdout *h, dm_text_dict *d,
		    dm_ft_corpus *test, dm_error *err);

#endif
