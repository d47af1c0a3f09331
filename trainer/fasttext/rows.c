/* rows.c - what the fastText trainers share (rows.h). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fasttext/rows.h"
#include "math/fp.h"
#include "math/rng.h"

typedef struct init_arg {
	float *input;
	int64_t rows;
	int32_t dim;
	uint64_t seed, stream;
} init_arg;

static void init_rows(void *arg, size_t begin, size_t end, int worker)
{
	init_arg *a = arg;
	const float bound = (float)(1.0 / (double)a->dim);
	(void)worker;
	for (size_t b = begin; b < end; b++) {
		dm_rng rng;
		int64_t r0 = (int64_t)b * DM_FT_INIT_BLOCK, r1 = r0 + DM_FT_INIT_BLOCK;
		dm_rng_seed(&rng, a->seed, a->stream + b);
		if (r1 > a->rows)
			r1 = a->rows;
		for (size_t i = (size_t)r0 * (size_t)a->dim; i < (size_t)r1 * (size_t)a->dim; i++)
			a->input[i] = f_mul(f_sub(f_mul(2.0f, dm_rng_uniform(&rng)), 1.0f), bound);
	}
}

float *dm_ft_rows_init(dm_pool *pool, int64_t rows, int32_t dim, uint64_t seed, uint64_t stream,
		       dm_error *err)
{
	size_t n = (size_t)rows * (size_t)dim, bytes = n * sizeof(float);
	void *p = NULL;
	init_arg a;
	if (rows < 0 || dim < 1 || (rows && n / (size_t)rows != (size_t)dim) ||
	    bytes / sizeof(float) != n || bytes > SIZE_MAX - 64) {
		dm_fail(err, "out of memory (asked for %lld rows of %d floats)", (long long)rows,
			(int)dim);
		return NULL;
	}
	bytes = (bytes + 63) / 64 * 64;
	if (!bytes)
		bytes = 64;
	if (posix_memalign(&p, 64, bytes) != 0) {
		dm_fail(err, "out of memory (asked for %zu bytes)", bytes);
		return NULL;
	}
	a = (init_arg){p, rows, dim, seed, stream};
	/* blocks taken by whichever thread is free: a thread that the system
	 * does not run holds up one block, not half of the matrix */
	dm_pool_run_dynamic(pool, ((size_t)rows + DM_FT_INIT_BLOCK - 1) / DM_FT_INIT_BLOCK, init_rows,
			    &a);
	return p;
}

/* Which parts of phase 2 are taken, in this batch. */
struct dm_ft_claims {
	int threads, parts;
	dm_ft_batch *b;
	atomic_int *taken;
};

int dm_ft_batch_init(dm_ft_batch *b, dm_pool *pool, dm_error *err)
{
	dm_ft_claims *c = dm_calloc(1, sizeof *c, err);
	b->claims = c;
	if (!c)
		return -1;
	c->threads = dm_pool_threads(pool);
	c->parts = DM_FT_PARTS_PER_THREAD * c->threads;
	c->b = b;
	if (!(c->taken = dm_malloc((size_t)c->parts * sizeof *c->taken, err)))
		return -1;
	for (int k = 0; k < c->parts; k++)
		atomic_init(&c->taken[k], 0);
	return 0;
}

void dm_ft_batch_free(dm_ft_batch *b)
{
	if (b->claims)
		free(b->claims->taken);
	free(b->claims);
	b->claims = NULL;
}

/* The next batch, into the buffer that is not running. */
static void draw_next(dm_ft_batch *b)
{
	int t = 1 - b->slot;
	b->n[t] = b->draw(b->arg, t, &b->flops[t]);
}

/* Phase 1's units for the pool: the next batch's draws first (taken by
 * the first thread to come), then the batch's units. */
static void phase1_units(void *arg, size_t begin, size_t end, int worker)
{
	dm_ft_batch *b = arg;
	for (size_t u = begin; u < end; u++)
		if (u == 0)
			draw_next(b);
		else
			b->phase1(b->arg, u - 1, u, worker);
}

/* A unit of phase 2 for the pool: there are as many units as parts, and
 * each takes one part not taken yet, the worker's own if one is left. */
static void phase2_unit(void *arg, size_t begin, size_t end, int worker)
{
	dm_ft_claims *c = arg;
	for (size_t u = begin; u < end; u++) {
		int k = worker;
		while (k < c->parts && atomic_exchange(&c->taken[k], 1))
			k += c->threads;
		if (k >= c->parts) /* none of its own left: the first part left */
			for (k = 0; k < c->parts && atomic_exchange(&c->taken[k], 1); k++)
				;
		if (k < c->parts) /* always: a unit a part */
			c->b->phase2(c->b->arg, (size_t)k, (size_t)k + 1, worker);
	}
}

/* The batch in buffer b->slot, n units of the given FLOPs. */
static void batch_run(dm_pool *pool, size_t n, uint64_t flops, uint64_t min_parallel,
		      dm_ft_batch *b)
{
	dm_ft_claims *c = b->claims;
	if (flops < min_parallel || c->threads == 1) {
		b->parts = 1;
		draw_next(b);
		b->phase1(b->arg, 0, n, 0);
		b->phase2(b->arg, 0, 1, 0);
	} else {
		b->parts = c->parts;
		for (int k = 0; k < c->parts; k++)
			atomic_store(&c->taken[k], 0);
		dm_pool_run_dynamic(pool, n + 1, phase1_units, b);
		dm_pool_run_dynamic(pool, (size_t)c->parts, phase2_unit, c);
	}
}

void dm_ft_batch_loop(dm_pool *pool, uint64_t min_parallel, dm_ft_batch *b, uint64_t *units,
		      uint64_t *flops)
{
	b->slot = 0;
	b->n[0] = b->draw(b->arg, 0, &b->flops[0]);
	while (b->n[b->slot]) {
		int s = b->slot;
		*units += b->n[s];
		*flops += b->flops[s];
		/* who computes changes no bit (rows.h) */
		batch_run(pool, b->n[s], b->flops[s], min_parallel, b);
		b->slot = 1 - s;
	}
}

double dm_ft_words_per_sec(const dm_ft_times *t, uint64_t tokens, int32_t epochs, int threads)
{
	return (double)tokens * epochs / (t->train_seconds > 0 ? t->train_seconds : 1e-9) /
	       (threads > 1 ? threads : 1);
}

void dm_ft_times_text(char *buf, size_t size, const char *model, const dm_ft_times *t,
		      uint64_t tokens, int32_t epochs, int threads)
{
	snprintf(buf, size, "%s: training %.2f s (%.2f s CPU, %.0f words/sec/thread), "
		 "initialisation %.2f s", model, t->train_seconds, t->train_cpu_seconds,
		 dm_ft_words_per_sec(t, tokens, epochs, threads), t->init_seconds);
}

double dm_ft_seconds(int clock)
{
	struct timespec t;
	clock_gettime((clockid_t)clock, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
