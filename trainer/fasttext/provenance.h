/* provenance.h - the provenance record of a text model (NAME.json), in
 * the format of the other models' ("dh-model-provenance/1"): the recipe's
 * fields, the trainer, the data files with their SHA-256, the dictionary
 * and training figures, the metrics, the tensors' and exports' SHA-256.
 * Deterministic: no time, host, user or build path. */
#ifndef DM_FT_PROVENANCE_H
#define DM_FT_PROVENANCE_H

#include "data/dataset.h"
#include "fasttext/job.h"

typedef struct dm_ft_facts {
	const dm_file_record *train_files, *test_files;
	size_t ntrain_files, ntest_files;
	int32_t nwords, nlabels;
	int64_t rows;
	uint64_t train_lines, held_lines, train_tokens, examples, flop;
	double p_at_1;
	const char *tensor_sha256[2];   /* input, output */
	int64_t tensor_shape[2][2];
	const char *export_file, *export_sha256;  /* NULL: no Export */
	uint64_t export_bytes;
} dm_ft_facts;

/* The JSON text (malloc'd), pretty for NAME.json, compact for metadata. */
char *dm_ft_provenance_json(const dm_ft_job *j, const dm_ft_facts *f, int pretty, dm_error *err);

#endif
