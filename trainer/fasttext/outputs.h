/* outputs.h - what every text job (supervised, skipgram, cbow) does
 * around its training: the licences of its datasets for the ML-Policy
 * verdict, and its outputs as one set: NAME.safetensors (the tensors
 * "input" and "output", the record in its metadata), NAME.json (the
 * provenance record of provenance/provenance.h, with the verdict, the
 * budget and SOURCE_DATE_EPOCH) and Export:'s files. */
#ifndef DM_FT_OUTPUTS_H
#define DM_FT_OUTPUTS_H

#include "fasttext/ftbin.h"
#include "fasttext/job.h"
#include "fasttext/provenance.h"
#include "provenance/provenance.h"

/* The licences of the datasets, read (rec[i]: Dataset then Test-Dataset
 * files, in the recipe's order, with their SHA-256); before training. */
int dm_ft_verdict_facts(const dm_ft_job *j, const dm_file_record *rec, dm_verdict *v,
			dm_error *err);

/* An Export: file, written beside the weights. */
typedef struct dm_ft_blob {
	const char *format;   /* "fasttext", "vec" */
	const char *ext;      /* "bin", "vec" */
	const void *data;
	size_t n;
} dm_ft_blob;

/* The verdict decided from the counted FLOPs (said in the build log), then
 * the set of files; st_format is the safetensors' "format" metadata. */
int dm_ft_write_outputs(const dm_ft_job *j, const dm_ft_model *m, const dm_ft_facts *f,
			const char *st_format, const dm_named_metric *metrics, size_t nmetrics,
			dm_verdict *v, const dm_upstream *up, const dm_ft_blob *blobs,
			size_t nblobs, dm_error *err);

#endif
