/* recipe.h - the fields of a `Model-Type: supervised` recipe stanza: a
 * fastText classifier, with fastText's option names and defaults.
 *
 * recipe/recipe.c hands such a stanza here (and then reads the fields that
 * every recipe has: Model, Description, License, Install, Policy, Max-*,
 * the audit's).  dh-model-train(1) documents the fields. */
#ifndef DM_FT_RECIPE_H
#define DM_FT_RECIPE_H

#include "fasttext/train.h"
#include "fasttext/vectors.h"
#include "recipe/deb822.h"
#include "text/dict.h"
#include "text/source.h"

typedef struct dm_ft_recipe {
	dm_text_format format;
	dm_text_sources train, test;  /* test.n == 0: none */
	double validation_split;      /* without Test-Dataset: held out by Seed */
	dm_text_dict_cfg dict;        /* Label-Prefix, Min-Count, Word-Ngrams, Min-N, Max-N, Bucket */
	char *label_prefix;
	dm_ft_train_cfg cfg;          /* Loss, Dim, Epochs, Learning-Rate, Neg, Batch-Size, Seed */
	int export_fasttext;          /* Export: fasttext */
	double expect_p1;             /* Expect: test-accuracy >= X (P@1); < 0: none */
	unsigned expect_line;
	const char *upstream;         /* Upstream-Weights: upstream's .bin, or NULL */
	double upstream_max;          /* Upstream-Max-Regression (P@1); < 0: none */
	unsigned upstream_max_line;
	int vectors;                  /* Model-Type: skipgram or cbow (vectors_job.c) */
	dm_ftv_cfg vec;               /* their training */
} dm_ft_recipe;

/* Is this stanza a text model (Model-Type: supervised, skipgram, cbow)?  1, 0; -1 with
 * err for another Model-Type. */
int dm_ft_recipe_is(const char *path, const dm_stanza *s, dm_error *err);

/* Check every field of the stanza (unknown ones refused, with the field
 * names of dh-model-train(1)) and read the text model's. */
int dm_ft_recipe_parse(const char *path, const dm_stanza *s, dm_ft_recipe **out,
		       dm_error *err);
void dm_ft_recipe_free(dm_ft_recipe *r);

/* A Dataset or Test-Dataset label= that begins with r->label_prefix:
 * refused with the field's line (text/source.h); for every text model. */
int dm_ft_recipe_check_prefixes(const char *path, const dm_stanza *s, const dm_ft_recipe *r,
				dm_error *err);

#endif
