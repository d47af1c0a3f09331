/* rows.h - the input matrix of the fastText trainers (train.c, vectors.c):
 * allocated and given fastText's uniform initialisation in parallel. */
#ifndef DM_FT_ROWS_H
#define DM_FT_ROWS_H

#include <stdint.h>

#include "base/error.h"
#include "math/pool.h"

/* rows x dim floats, each uniform(-1/dim, 1/dim) as fastText's, block
 * after block of DM_FT_INIT_BLOCK rows drawn from the stream
 * stream + block of seed, so that the blocks are filled in parallel and
 * the values do not depend on the thread count.  The memory is not
 * cleared first (every float is written): an 800 MB matrix is then
 * faulted in by the threads that fill it, not cleared on one thread
 * before.  (Huge pages, MADV_HUGEPAGE, were tried: the kernel's
 * compaction made the first fill slower, 0.7 to 2 s of system time.)
 * Free it with free(). */
#define DM_FT_INIT_BLOCK 4096
float *dm_ft_rows_init(dm_pool *pool, int64_t rows, int32_t dim, uint64_t seed, uint64_t stream,
		       dm_error *err);

#endif
