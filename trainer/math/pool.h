/* pool.h - a fixed set of worker threads for data-parallel loops.
 *
 * dm_pool_run() splits [0, n) into one contiguous chunk per thread and
 * waits for all of them.  Work is only ever split over independent outputs,
 * never over the terms of one sum, so the thread count cannot change a bit
 * of the result.
 */
#ifndef DM_POOL_H
#define DM_POOL_H

#include <stddef.h>

#include "../base/error.h"

typedef struct dm_pool dm_pool;

/* threads >= 1; threads == 1 starts no thread at all. */
dm_pool *dm_pool_new(int threads, dm_error *err);
void dm_pool_free(dm_pool *p);
int dm_pool_threads(const dm_pool *p);

/* fn(arg, begin, end, worker) for each chunk; chunk boundaries are
 * multiples of grain (except the last).  p may be NULL (one thread). */
typedef void (*dm_pool_fn)(void *arg, size_t begin, size_t end, int worker);
void dm_pool_run(dm_pool *p, size_t n, size_t grain, dm_pool_fn fn, void *arg);

/* fn(arg, u, u + 1, worker) for each unit u of [0, n), each unit taken by
 * whichever thread is free first: a thread the system does not schedule
 * holds up only the unit it took, not a fixed share.  The units must
 * write disjoint outputs, so that who runs which changes no bit. */
void dm_pool_run_dynamic(dm_pool *p, size_t n, dm_pool_fn fn, void *arg);

#endif
