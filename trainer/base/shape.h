/* shape.h - the shape of one sample: a plain width [n], or C x H x W.
 *
 * Activations are stored [B, count] with the batch leading (NCHW when a
 * shape has three dimensions); a shape says how a layer reads the count. */
#ifndef DM_SHAPE_H
#define DM_SHAPE_H

#include <stddef.h>
#include <stdint.h>

#include "checked.h"

#define DM_SHAPE_MAX_DIMS 4

typedef struct dm_shape {
	size_t ndim;
	size_t d[DM_SHAPE_MAX_DIMS];
} dm_shape;

static inline dm_shape dm_shape_1(size_t n)
{
	dm_shape s = {1, {n, 0, 0, 0}};
	return s;
}

/* The product of the dimensions, checked (1 for ndim 0). */
static inline uint64_t dm_shape_count(const dm_shape *s, dm_checked *ck)
{
	uint64_t c = 1;
	size_t i;
	for (i = 0; i < s->ndim; i++)
		c = dm_ck_mul(ck, c, s->d[i]);
	return c;
}

#endif
