/* gemm.h - the one matrix product the trainer needs, with two back-ends.
 *
 *   C[M,N] = op(A)[M,K] . op(B)[K,N]     (row-major; C is overwritten)
 *
 * op(A) is A or its transpose, so that one call covers the three products
 * of a dense layer: Y = X W^T, dX = dY W and dW = dY^T X.
 *
 * portable (the default): every C[i][j] is the sum over k = 0, 1, ..., K-1
 *   in that order, accumulated with fmaf() from +0.  fmaf is exactly
 *   rounded by IEEE 754, so this fixed order gives the same bits on every
 *   CPU, architecture and thread count.  Blocking, packing, vector lanes,
 *   threads and computing A B^T as (B A^T)^T (so that the forward pass
 *   reads W in place) only change which outputs are computed when, never
 *   the order inside one output.  On x86-64 an AVX-512 or an AVX2+FMA
 *   kernel is chosen at run time when the CPU has it; their vector FMAs
 *   are fmaf lane by lane, so the generic kernel computes the same bits.
 * openblas: cblas_sgemm, one single-threaded call per thread on its band
 *   of C.  Fast, but its bits depend on the CPU core type and the thread
 *   count (see README, "Reproducible weights").
 */
#ifndef DM_GEMM_H
#define DM_GEMM_H

#include <stddef.h>
#include <stdint.h>

#include "../base/error.h"
#include "pool.h"

typedef enum dm_numerics {
	DM_NUMERICS_PORTABLE,
	DM_NUMERICS_OPENBLAS
} dm_numerics;

int dm_numerics_parse(const char *s, dm_numerics *out);
const char *dm_numerics_name(dm_numerics n);

/* A profile span (DH_MODEL_PROFILE): what one layer pass or optimizer
 * step took.  The library only measures and hands spans to the caller's
 * function; it never prints them.  Timing changes no result. */
typedef struct dm_span {
	uint64_t ns, gemm_ns;     /* wall time, of which inside dm_gemm */
	uint64_t flop, gemm_flop; /* counted FLOP, of which dm_gemm's */
} dm_span;

enum {
	DM_SPAN_FORWARD,  /* index: the layer */
	DM_SPAN_BACKWARD, /* index: the layer */
	DM_SPAN_OPTIM     /* the optimizer step; index 0 */
};

typedef void (*dm_span_fn)(void *ctx, int kind, size_t index, const dm_span *s);

/* The portable back-end's micro-kernel: the one the CPU does best (auto),
 * or one forced, which is how the tests show that the dispatch does not
 * change bits.  Per engine: two jobs in one process may force different
 * ones. */
typedef enum dm_kernel {
	DM_KERNEL_AUTO,
	DM_KERNEL_GENERIC,
	DM_KERNEL_AVX2_FMA,
	DM_KERNEL_AVX512
} dm_kernel;
/* "auto", "generic", "avx2-fma" or "avx512"; -1 for another name, or for
 * a kernel this CPU cannot run. */
int dm_kernel_parse(const char *name, dm_kernel *out);

typedef struct dm_engine {
	dm_numerics numerics;
	dm_kernel kernel;       /* DM_KERNEL_AUTO unless set after dm_engine_new */
	int threads;
	dm_pool *pool;
	uint64_t flop;          /* floating-point operations counted so far */
	float **pack;           /* per thread: packing space for the portable kernel */
	/* profiling: NULL (the default) measures nothing */
	dm_span_fn span;
	void *span_ctx;
	uint64_t gemm_ns, gemm_flop; /* so far, while span is set */
	uint64_t *worker_gemm_ns;    /* per thread: dm_gemm_on_worker's, not yet counted */
} dm_engine;

/* A monotonic clock in nanoseconds, for spans. */
uint64_t dm_clock_ns(void);
/* Around a pass: mark its start, then report it to e->span (if set). */
void dm_span_begin(const dm_engine *e, dm_span *mark);
void dm_span_end(dm_engine *e, int kind, size_t index, const dm_span *mark);

dm_engine *dm_engine_new(dm_numerics numerics, int threads, dm_error *err);
/* An engine with the context's threads and kernel: the one a job uses. */
struct dm_ctx;
dm_engine *dm_engine_for(const struct dm_ctx *c, dm_numerics numerics, dm_error *err);
void dm_engine_free(dm_engine *e);

void dm_gemm(dm_engine *e, int trans_a, int trans_b, size_t M, size_t N,
	     size_t K, const float *A, size_t lda, const float *B, size_t ldb,
	     float *C, size_t ldc);

/* C[M,N] += op(A) op(B), as a continuation: portable, each output's sum
 * goes on from the float in C (the chain of fmaf over k stored and
 * reloaded, as between two depth blocks), so that a product over K1 and
 * then one over K2 give the bits of one product over K1 followed by K2.
 * A layer sums its dW over the batch in chunks this way, each chunk's
 * operands still in cache.  openblas: beta = 1. */
void dm_gemm_acc(dm_engine *e, int trans_a, int trans_b, size_t M, size_t N, size_t K,
		 const float *A, size_t lda, const float *B, size_t ldb, float *C, size_t ldc);

/* A matrix that is not stored but computed as it is read: row(ctx, i, j0,
 * n, dst) writes its row i, columns [j0, j0 + n), to dst[0..n).  It may
 * run on several threads at once, and must give the same floats each time.
 * A convolution passes its im2col matrix this way, so that the packing
 * reads the input image instead of a column matrix ten times its size. */
typedef struct dm_matrix_fn {
	void (*row)(const void *ctx, size_t i, size_t j0, size_t n, float *dst);
	const void *ctx;
} dm_matrix_fn;

/* dm_gemm with A, B or both given by a function (fa, fb; NULL: the stored
 * A or B, as in dm_gemm).  A function stands for the matrix as it would
 * be stored, before op(): [M, K] or, transposed, [K, M] for A, [K, N] or
 * [N, K] for B.  The packed panels hold the same floats as from memory,
 * so the bits are dm_gemm's.  Portable back-end only: with openblas the
 * caller stores the matrix and calls dm_gemm. */
void dm_gemm_fn(dm_engine *e, int trans_a, int trans_b, size_t M, size_t N,
		size_t K, const float *A, size_t lda, const dm_matrix_fn *fa,
		const float *B, size_t ldb, const dm_matrix_fn *fb, float *C,
		size_t ldc);

/* dm_gemm_fn on the calling thread alone, in its own packing space: for a
 * layer that runs one product per sample inside its own dm_pool_run job
 * (worker: the job's worker argument) and uses each product's C while it
 * is still in cache.  The same bits as dm_gemm_fn.  With openblas, A and
 * B must be stored (fa and fb NULL).  Nothing is counted until
 * dm_gemm_on_workers_done(e, flop) after the job: no two threads write
 * the engine's counters. */
void dm_gemm_on_worker(dm_engine *e, int worker, int trans_a, int trans_b, size_t M,
		       size_t N, size_t K, const float *A, size_t lda, const dm_matrix_fn *fa,
		       const float *B, size_t ldb, const dm_matrix_fn *fb, float *C,
		       size_t ldc);
/* Count the job's products: flop in all, and (profiling) the longest
 * time one thread spent in them. */
void dm_gemm_on_workers_done(dm_engine *e, uint64_t flop);

/* Which portable kernel e runs: "avx512", "avx2-fma" or "generic". */
const char *dm_gemm_kernel(const dm_engine *e);

/* The OpenBLAS core ("Haswell", "Zen"...) and its thread count, for the
 * provenance of the openblas back-end. */
const char *dm_openblas_core(void);

#endif
