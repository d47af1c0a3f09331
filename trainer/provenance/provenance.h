/* provenance.h - the provenance room: the record of a trained model
 * (NAME.json) written here, read back by record.h, its data files found
 * again by datafile.h and bundle_read.h; the upstream comparison
 * (upstream.h) and the ONNX export's metadata (export.h).
 *
 * The provenance record of a trained model (NAME.json).
 *
 * Deterministic JSON: the same recipe, data and seed give the same bytes on
 * every machine.  It holds no wall-clock time, host, user or build path;
 * only SOURCE_DATE_EPOCH when it is set.
 */
#ifndef DM_PROVENANCE_H
#define DM_PROVENANCE_H

#include <stdint.h>

#include "policy/budget.h"
#include "data/prepared.h"
#include "output/json.h"
#include "output/safetensors.h"
#include "upstream.h"
#include "licensing/verdict.h"

#define DM_MAX_GATES 32

typedef struct dm_named_metric {
	char name[32];
	float value;
} dm_named_metric;

/* A file that Export: wrote beside the weights. */
typedef struct dm_export_file {
	const char *format;    /* "onnx" */
	char file[320];        /* NAME.onnx */
	char sha256[65];
	size_t bytes;
} dm_export_file;

struct dm_ft_facts;   /* fasttext/provenance.h */

/* What the record says.  A text model (recipe->text) sets text instead of
 * prepared, net, result and engine. */
typedef struct dm_provenance_in {
	const dm_recipe *recipe;
	const dm_prepared *prepared;
	const dm_net *net;
	const dm_train_result *result;
	const dm_engine *engine;
	uint64_t flop;
	dm_named_metric metrics[6];
	size_t nmetrics;
	int gate_pass[DM_MAX_GATES];
	size_t ngates;
	const dm_tensor *tensors;
	size_t ntensors;
	const dm_budget *budget;
	const dm_verdict *verdict;    /* Free Model, ToxicCandy or Non-free, or NULL */
	const dm_upstream *upstream;  /* the comparison with upstream's weights, or NULL */
	const struct dm_ft_facts *text; /* a text model's data, model, training; or NULL */
	dm_export_file exports[2];    /* Export:'s files (.bin and .vec of word vectors) */
	size_t nexports;
	int have_source_date;         /* SOURCE_DATE_EPOCH was set: ... */
	uint64_t source_date;         /* ... to this (base/epoch.h) */
} dm_provenance_in;

/* The record as JSON text (malloc'd): pretty for NAME.json, compact for the
 * safetensors metadata. */
char *dm_provenance_json(const dm_provenance_in *in, int pretty, dm_error *err);

/* The "train" and (if there is one) "test" keys of an open JSON object:
 * each dataset file's path and SHA-256, and with sizes its decompressed
 * bytes.  The provenance's "data" and the ONNX export's metadata. */
void dm_provenance_data_files(dm_json_writer *w, const dm_prepared *p, int sizes);

/* SHA-256 of a tensor's little-endian bytes, as a file reader sees them. */
void dm_tensor_sha256(const dm_tensor *t, char hex[65]);

#endif
