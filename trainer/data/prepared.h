/* prepared.h - a recipe's data as training and evaluation take it: the
 * samples read, split into training and validation rows, and normalized.
 * job/job.c's dm_prepare fills it in; the verdict, the upstream
 * comparison and the provenance read it. */
#ifndef DM_PREPARED_H
#define DM_PREPARED_H

#include <stddef.h>

#include "../base/shape.h"
#include "dataset.h"

typedef struct dm_prepared {
	dm_dataset train, test;
	dm_shape input;             /* the shape of a sample (Input-Shape) */
	int have_test;
	float *shift, *scale;       /* per-feature normalization, or NULL */
	size_t *train_rows, *valid_rows;
	size_t ntrain, nvalid;
	size_t classes;             /* classification: largest label + 1 */
} dm_prepared;

void dm_prepared_free(dm_prepared *p);

#endif
