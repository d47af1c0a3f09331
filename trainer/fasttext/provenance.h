/* provenance.h - what a text model's provenance record (NAME.json) says
 * beyond every model's: its data files, dictionary, model and training.
 *
 * provenance/provenance.c writes the record of every model (the recipe,
 * trainer, verdict, budget, metrics, tensors, exports,
 * SOURCE_DATE_EPOCH); for a text model (dm_provenance_in.text) it calls
 * dm_ft_provenance_sections for the "data", "text-model" and "training"
 * keys. */
#ifndef DM_FT_PROVENANCE_H
#define DM_FT_PROVENANCE_H

#include "data/dataset.h"
#include "fasttext/recipe.h"
#include "output/json.h"

typedef struct dm_ft_facts {
	const dm_ft_recipe *r;
	const dm_file_record *train_files, *test_files;
	size_t ntrain_files, ntest_files;
	int32_t nwords, nlabels;
	int64_t rows;
	uint64_t train_lines, held_lines, train_tokens, examples, flop;
} dm_ft_facts;

/* The keys "data", "text-model" and "training" of an open JSON object. */
void dm_ft_provenance_sections(dm_json_writer *w, const dm_ft_facts *f);

#endif
