/* internal.h - what the parsers of the data part share; not an interface. */
#ifndef DM_DATA_INTERNAL_H
#define DM_DATA_INTERNAL_H

#include <stddef.h>

#include "dataset.h"

/* A growing array of floats (text formats do not know n in advance). */
typedef struct dm_fvec {
	float *v;
	size_t n, cap;
} dm_fvec;

int dm_fvec_reserve(dm_fvec *f, size_t more, dm_error *err);
static inline int dm_fvec_push(dm_fvec *f, float x, dm_error *err)
{
	if (f->n == f->cap && dm_fvec_reserve(f, 1, err) < 0)
		return -1;
	f->v[f->n++] = x;
	return 0;
}
/* Move the values into a 64-byte aligned array from dm_alloc_floats;
 * f is emptied either way. */
float *dm_fvec_take(dm_fvec *f, dm_error *err);
void dm_fvec_free(dm_fvec *f);

/* Why V is not a valid target, or NULL when it is: finite always, and an
 * integer in [0, 2^24) when integer_labels. */
const char *dm_label_problem(double v, int integer_labels);

/* Each parser reads one opened stream.  With keep == 0 (probe) it only sets
 * d->n and d->dim; otherwise also d->x, d->y (and d->bytes_valued). */
int dm_csv_read(dm_stream *s, const dm_data_spec *spec, int keep,
		dm_dataset *d, dm_error *err);
int dm_libsvm_read(dm_stream *s, const dm_data_spec *spec, int keep,
		   dm_dataset *d, dm_error *err);

/* IDX: the header of a file, then the body of a features or labels file. */
typedef struct dm_idx_header {
	int type;           /* 0x08 u8 ... 0x0E f64 */
	int ndims;
	uint32_t dims[255];
	size_t n;           /* dims[0] */
	size_t dim;         /* product of the other dims (1 when ndims == 1) */
	uint64_t body;      /* bytes of data after the header */
	uint64_t head;      /* bytes of the header */
} dm_idx_header;

int dm_idx_header_read(dm_stream *s, dm_idx_header *h, dm_error *err);
/* The shape of a sample: [D] for 2-D files, 1 x H x W for 3-D ones (one
 * channel), C x H x W for 4-D ones, the plain width beyond. */
dm_shape dm_idx_sample_shape(const dm_idx_header *h);
/* Checks on the headers alone (also what the probe does). */
int dm_idx_features_check(const dm_stream *s, const dm_idx_header *h,
			  dm_error *err);
int dm_idx_labels_check(const dm_stream *s, const dm_idx_header *h, size_t n,
			int integer_labels, dm_error *err);
int dm_idx_features(dm_stream *s, const dm_idx_header *h, dm_dataset *d,
		    dm_error *err);
int dm_idx_labels(dm_stream *s, const dm_idx_header *h, size_t n,
		  int integer_labels, float **y, dm_error *err);

#endif
