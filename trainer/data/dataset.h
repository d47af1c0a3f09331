/* dataset.h - datasets as float matrices and targets.
 *
 * The data part knows nothing of models.  It turns files in IDX, CSV/TSV or
 * libsvm format, read through stream.h, into an n x dim matrix of floats and
 * n targets.  All checks on the content happen here, and every error names
 * the file and the line (text formats) or the sample (binary formats).
 */
#ifndef DM_DATASET_H
#define DM_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "../base/error.h"
#include "../base/shape.h"
#include "stream.h"

typedef enum dm_format {
	DM_FORMAT_IDX,    /* MNIST-style IDX: Dataset + Labels */
	DM_FORMAT_CSV,    /* comma-separated, label in one column */
	DM_FORMAT_TSV,    /* tab-separated, label in one column */
	DM_FORMAT_LIBSVM  /* "label index:value ..." with 1-based indices */
} dm_format;

/* Parse a Format: value ("idx", "csv", "tsv", "libsvm", "svmlight"). */
int dm_format_parse(const char *s, dm_format *out);
const char *dm_format_name(dm_format f);

typedef struct dm_data_spec {
	dm_format format;
	const char *features;  /* Dataset: a path as in stream.h */
	const char *labels;    /* Labels: IDX only; NULL for the other formats */
	/* CSV/TSV: which column holds the target: NULL or "last" (default),
	 * "first", a 1-based column number, or a name from the header line. */
	const char *label_column;
	/* CSV/TSV: lines to skip before the data.  When header_names is set the
	 * first of them holds the column names (needed for a named label column). */
	unsigned header_lines;
	int header_names;
	/* libsvm: number of features; 0 = the largest index seen.  (Renamed
	 * from "features", which clashed with the path member above.) */
	size_t nfeatures;
	/* Targets must be integers in [0, 2^24) (class labels).  When 0 they
	 * may be any finite number (regression). */
	int integer_labels;
	/* predict: the data has no labels (IDX: no Labels file; CSV/TSV:
	 * every column is a feature); the targets are all 0.  libsvm lines
	 * still start with a label, which is read and may be anything finite. */
	int no_labels;
	dm_data_limits limits;
} dm_data_spec;

typedef struct dm_file_record {
	char *path;      /* as given in the recipe */
	char sha256[65]; /* of the file on disk (the whole archive for a member) */
	uint64_t bytes;  /* decompressed bytes read */
} dm_file_record;

typedef struct dm_dataset {
	size_t n;       /* samples */
	size_t dim;     /* features per sample */
	dm_shape shape; /* of a sample: IDX's header (28x28 gives 1x28x28), else [dim] */
	float *x;       /* n * dim, row-major, from dm_alloc_floats */
	float *y;       /* n targets; class labels are exact integers */
	size_t nclasses;/* 1 + largest label when integer_labels, else 0 */
	int bytes_valued; /* features came from IDX unsigned bytes (0..255) */
	dm_file_record files[2]; /* the features file, then the labels file */
	int nfiles;
} dm_dataset;

/* Load a whole dataset.  NaN or Inf anywhere, ragged rows, non-numeric
 * cells, wrong counts, a label that is not a valid class: all errors. */
int dm_dataset_load(const dm_data_spec *spec, dm_dataset *out, dm_error *err);

/* Read only the headers (IDX) or scan the lines without keeping the values
 * (text formats) to find n and dim, for the budget before training. */
int dm_dataset_probe(const dm_data_spec *spec, size_t *n, size_t *dim,
		     dm_error *err);
/* The same with the shape of a sample (dm_dataset.shape). */
int dm_dataset_probe_shape(const dm_data_spec *spec, size_t *n, dm_shape *shape,
			   dm_error *err);

void dm_dataset_free(dm_dataset *d);

#endif
