/* safetensors.h - weights in the safetensors format.
 *
 * Layout: 8 bytes little-endian header length N, N bytes of JSON header
 * (padded with spaces to a multiple of 8), then the tensor bytes.  The header
 * maps each tensor name to {"dtype":"F32","shape":[...],"data_offsets":[b,e]}
 * and "__metadata__" to a string -> string map.  We write F32 little-endian
 * on every architecture (byte-swapping on big-endian hosts), tensors in the
 * order given, packed with no gaps.  Writing is atomic (atomic.h).
 *
 * The reader accepts any valid file of F32 tensors and checks everything:
 * header length against the file size, JSON syntax, dtype, that shape times
 * element size equals the byte range, that ranges are in bounds, do not
 * overlap and cover the data exactly.
 */
#ifndef DM_SAFETENSORS_H
#define DM_SAFETENSORS_H

#include <stddef.h>

#include "../base/error.h"
#include "atomic.h"

#define DM_MAX_DIMS 4

typedef struct dm_tensor {
	char *name;
	size_t ndim;
	size_t shape[DM_MAX_DIMS];
	size_t count;   /* product of the shape */
	float *data;    /* host byte order */
} dm_tensor;

typedef struct dm_meta {
	char *key;
	char *value;
} dm_meta;

typedef struct dm_safetensors {
	dm_tensor *tensors;
	size_t ntensors;
	dm_meta *meta;   /* the "__metadata__" map, in file order */
	size_t nmeta;
} dm_safetensors;

/* Write tensors and metadata to path (atomic, through a: atomic.h).  The
 * tensors' name, ndim, shape and data must be set; count is recomputed. */
int dm_safetensors_write(dm_atomic *a, const char *path, const dm_tensor *tensors,
			 size_t ntensors, const dm_meta *meta, size_t nmeta,
			 dm_error *err);

/* Read a whole file.  Errors name the path and what is wrong with it. */
int dm_safetensors_read(const char *path, dm_safetensors *out, dm_error *err);
/* The same for a file already in memory (data[0..size)), named name in
 * messages: what is parsed is exactly these bytes. */
int dm_safetensors_parse(const char *name, const void *data, size_t size, dm_safetensors *out,
			 dm_error *err);

const dm_tensor *dm_safetensors_find(const dm_safetensors *st, const char *name);

/* What "parameters" means everywhere (inspect, the provenance, the card):
 * the values training learns, as PyTorch's model.parameters() counts them.
 * The normalisation constants input.shift and input.scale are fixed from
 * the data before training (PyTorch would hold them as buffers) and are
 * counted apart, as constants, and so are batchnorm's running statistics
 * (layers.<i>.running_mean, running_var, num_batches_tracked), which
 * training keeps but does not learn. */
int dm_tensor_is_constant(const char *name);
void dm_safetensors_count(const dm_safetensors *st, size_t *parameters,
			  size_t *constants);
const char *dm_safetensors_meta(const dm_safetensors *st, const char *key);

void dm_safetensors_free(dm_safetensors *st);

#endif
