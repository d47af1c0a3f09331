/* rows.h - what the two fastText trainers (train.c, vectors.c) share: the
 * input matrix, allocated and given fastText's uniform initialisation in
 * parallel, and the driving of a synchronous batch's two phases. */
#ifndef DM_FT_ROWS_H
#define DM_FT_ROWS_H

#include <stddef.h>
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

/* One synchronous batch of n units (lines, centres) of the given FLOPs:
 * phase1(arg, u, u + 1, worker) for each unit (reads the weights, writes
 * the unit's own buffers), then phase2(arg, k, k + 1, worker) for each of
 * parts row owners, which apply every unit's updates, in the units'
 * order, to the rows they own (dm_ft_row_part).  parts is set before the
 * phases run: 1 when the batch has fewer FLOPs than min_parallel or the
 * pool one thread (waking the threads would cost more), else
 * DM_FT_PARTS_PER_THREAD a thread.  A thread takes its own parts first
 * (part k is thread k % threads'), so that the rows it updates batch after
 * batch stay in its core's cache, then any part left: a thread the system
 * does not run holds up only the part it took.  Who computes changes no
 * bit: a row's updates come in the same order for any partition.
 *
 * dm_ft_batch_loop() draws and runs batches until a draw gives none.
 * Batches are drawn into two buffers in turn: draw(arg, slot, &flops)
 * fills buffer slot (0 or 1) with the next batch's units and returns
 * their count (0 at the end), their FLOPs in flops.  It reads no weight,
 * so it runs during the running batch's phase 1, as one more unit taken
 * before the others, and the serial draws cost no time of their own.  The
 * phases find the running batch in buffer slot. */
#define DM_FT_PARTS_PER_THREAD 4
typedef struct dm_ft_claims dm_ft_claims;
typedef struct dm_ft_batch {
	dm_pool_fn phase1, phase2;
	size_t (*draw)(void *arg, int slot, uint64_t *flops);
	void *arg;
	/* set by dm_ft_batch_init and dm_ft_batch_loop */
	int parts;
	int slot;               /* the running batch's buffer */
	size_t n[2];            /* each buffer's units */
	uint64_t flops[2];      /* and their FLOPs */
	dm_ft_claims *claims;
} dm_ft_batch;
/* phase1, phase2, draw and arg set, before the loop; free with
 * dm_ft_batch_free. */
int dm_ft_batch_init(dm_ft_batch *b, dm_pool *pool, dm_error *err);
/* Adds the units and FLOPs of the batches run to *units and *flops. */
void dm_ft_batch_loop(dm_pool *pool, uint64_t min_parallel, dm_ft_batch *b, uint64_t *units,
		      uint64_t *flops);
void dm_ft_batch_free(dm_ft_batch *b);

/* Which of parts owners applies the updates of an input row: a
 * multiplicative hash scaled to [0, parts), no division (phase 2 asks for
 * every row of every unit), and even for runs of consecutive rows. */
static inline size_t dm_ft_row_part(int64_t row, int parts)
{
	uint32_t h = (uint32_t)row * 0x9e3779b1u;
	return (size_t)(((uint64_t)h * (uint64_t)parts) >> 32);
}

/* Where a training's time went, for the logs: wall seconds
 * (CLOCK_MONOTONIC) of the initialisation of the rows and of the training
 * proper, and the CPU seconds of all threads in the latter
 * (CLOCK_PROCESS_CPUTIME_ID).  No bit depends on them. */
typedef struct dm_ft_times {
	double init_seconds, train_seconds, train_cpu_seconds;
} dm_ft_times;

/* fastText's progress figure: tokens x epochs / training seconds / threads */
double dm_ft_words_per_sec(const dm_ft_times *t, uint64_t tokens, int32_t epochs, int threads);

/* The log line "MODEL: training T s (C s CPU, N words/sec/thread),
 * initialisation I s" into buf (size bytes, truncated). */
void dm_ft_times_text(char *buf, size_t size, const char *model, const dm_ft_times *t,
		      uint64_t tokens, int32_t epochs, int threads);

/* Seconds of clock (CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID), for the
 * logs only: no bit depends on them. */
double dm_ft_seconds(int clock);

#endif
