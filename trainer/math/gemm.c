/* gemm.c - the GEMM front: back-end choice, threads, FLOP counting. */
#include "gemm.h"

#ifndef DM_NO_OPENBLAS /* -DDM_NO_OPENBLAS: portable only (tests/cross) */
#include <cblas.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemm_kernel.h"
#include "../base/context.h"

/* openblas bands are multiples of 16 rows or columns, so that a band does
 * not end in a narrow edge of an OpenBLAS micro-tile (up to 16 wide). */
#define DM_BLAS_GRAIN 16

int dm_numerics_parse(const char *s, dm_numerics *out)
{
	if (!strcmp(s, "portable"))
		*out = DM_NUMERICS_PORTABLE;
	else if (!strcmp(s, "openblas"))
		*out = DM_NUMERICS_OPENBLAS;
	else
		return -1;
	return 0;
}

const char *dm_numerics_name(dm_numerics n)
{
	return n == DM_NUMERICS_OPENBLAS ? "openblas" : "portable";
}

dm_engine *dm_engine_new(dm_numerics numerics, int threads, dm_error *err)
{
	dm_engine *e = dm_calloc(1, sizeof *e, err);
	int i;
#ifdef DM_NO_OPENBLAS
	if (numerics == DM_NUMERICS_OPENBLAS) {
		free(e);
		dm_fail(err, "numerics openblas: built without OpenBLAS");
		return NULL;
	}
#endif
	if (!e)
		return NULL;
	e->numerics = numerics;
	e->threads = threads < 1 ? 1 : threads;
	e->pool = dm_pool_new(e->threads, err);
	e->pack = dm_calloc((size_t)e->threads, sizeof *e->pack, err);
	e->worker_gemm_ns = dm_calloc((size_t)e->threads, sizeof *e->worker_gemm_ns, err);
	if (!e->pool || !e->pack || !e->worker_gemm_ns)
		goto fail;
	for (i = 0; i < e->threads; i++)
		if (!(e->pack[i] = dm_alloc_floats(DM_PACK_FLOATS, err)))
			goto fail;
#ifndef DM_NO_OPENBLAS
	/* Our pool splits C into bands and each thread makes its own
	 * single-threaded cblas_sgemm call (see dm_gemm). */
	if (numerics == DM_NUMERICS_OPENBLAS)
		openblas_set_num_threads(1);
#endif
	return e;
fail:
	dm_engine_free(e);
	return NULL;
}

dm_engine *dm_engine_for(const dm_ctx *c, dm_numerics numerics, dm_error *err)
{
	dm_engine *e = dm_engine_new(numerics, c->threads, err);
	if (e)
		e->kernel = (dm_kernel)c->kernel;
	return e;
}

void dm_engine_free(dm_engine *e)
{
	int i;
	if (!e)
		return;
	dm_pool_free(e->pool);
	if (e->pack)
		for (i = 0; i < e->threads; i++)
			free(e->pack[i]);
	free(e->pack);
	free(e->worker_gemm_ns);
	free(e);
}

typedef struct gemm_job {
	dm_engine *e;
	int ta, tb, trans_c, split_n;
	size_t M, N, K, lda, ldb, ldc;
	const float *A, *B;
	float *C;
	const dm_matrix_fn *fa, *fb;
	int accumulate; /* C += the product: each sum goes on from C's float */
} gemm_job;

#ifndef DM_NO_OPENBLAS
/* One thread's band of C through a single-threaded cblas_sgemm call.  op(A)
 * row i is at A + i * lda, or column i of a transposed A at A + i; likewise
 * op(B) column j at B + j, or at B + j * ldb when B is transposed. */
static void blas_band(const gemm_job *j, size_t begin, size_t end)
{
	const float *A = j->A, *B = j->B;
	float *C = j->C;
	size_t M = j->M, N = j->N;
	if (j->split_n) {
		B += j->tb ? begin * j->ldb : begin, C += begin, N = end - begin;
	} else {
		A += j->ta ? begin : begin * j->lda, C += begin * j->ldc, M = end - begin;
	}
	cblas_sgemm(CblasRowMajor, j->ta ? CblasTrans : CblasNoTrans,
		    j->tb ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)j->K,
		    1.0f, A, (int)j->lda, B, (int)j->ldb, j->accumulate ? 1.0f : 0.0f, C,
		    (int)j->ldc);
}
#endif

/* One thread's share: a band of rows or of columns of C. */
static void gemm_band(void *arg, size_t begin, size_t end, int worker)
{
	const gemm_job *j = arg;
	dm_gemm_block blk = {j->ta, j->tb, j->K, j->A, j->lda, j->B, j->ldb,
			     j->C, j->ldc, 0, 0, 0, 0, j->trans_c, j->fa, j->fb, j->accumulate};
#ifndef DM_NO_OPENBLAS
	if (j->e->numerics == DM_NUMERICS_OPENBLAS) {
		blas_band(j, begin, end);
		return;
	}
#endif
	if (j->split_n) {
		blk.i0 = 0, blk.i1 = j->M, blk.j0 = begin, blk.j1 = end;
	} else {
		blk.i0 = begin, blk.i1 = end, blk.j0 = 0, blk.j1 = j->N;
	}
	dm_gemm_portable_block(&blk, j->e->kernel, j->e->pack[worker]);
}

uint64_t dm_clock_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void dm_span_begin(const dm_engine *e, dm_span *mark)
{
	if (!e->span)
		return;
	mark->ns = dm_clock_ns(), mark->gemm_ns = e->gemm_ns;
	mark->flop = e->flop, mark->gemm_flop = e->gemm_flop;
}

void dm_span_end(dm_engine *e, int kind, size_t index, const dm_span *mark)
{
	dm_span s;
	if (!e->span)
		return;
	s.ns = dm_clock_ns() - mark->ns, s.gemm_ns = e->gemm_ns - mark->gemm_ns;
	s.flop = e->flop - mark->flop, s.gemm_flop = e->gemm_flop - mark->gemm_flop;
	e->span(e->span_ctx, kind, index, &s);
}

static void gemm_run(dm_engine *e, int ta, int tb, size_t M, size_t N, size_t K,
		     const float *A, size_t lda, const dm_matrix_fn *fa, const float *B,
		     size_t ldb, const dm_matrix_fn *fb, float *C, size_t ldc, int accumulate);

static void gemm_timed(dm_engine *e, int ta, int tb, size_t M, size_t N, size_t K,
		       const float *A, size_t lda, const dm_matrix_fn *fa, const float *B,
		       size_t ldb, const dm_matrix_fn *fb, float *C, size_t ldc, int accumulate)
{
	uint64_t t0;
	if (!e->span) {
		gemm_run(e, ta, tb, M, N, K, A, lda, fa, B, ldb, fb, C, ldc, accumulate);
		return;
	}
	t0 = dm_clock_ns();
	gemm_run(e, ta, tb, M, N, K, A, lda, fa, B, ldb, fb, C, ldc, accumulate);
	e->gemm_ns += dm_clock_ns() - t0;
	e->gemm_flop += 2 * (uint64_t)M * N * K;
}

void dm_gemm_fn(dm_engine *e, int ta, int tb, size_t M, size_t N, size_t K,
		const float *A, size_t lda, const dm_matrix_fn *fa, const float *B,
		size_t ldb, const dm_matrix_fn *fb, float *C, size_t ldc)
{
	gemm_timed(e, ta, tb, M, N, K, A, lda, fa, B, ldb, fb, C, ldc, 0);
}

void dm_gemm_acc(dm_engine *e, int ta, int tb, size_t M, size_t N, size_t K, const float *A,
		 size_t lda, const float *B, size_t ldb, float *C, size_t ldc)
{
	gemm_timed(e, ta, tb, M, N, K, A, lda, NULL, B, ldb, NULL, C, ldc, 1);
}

void dm_gemm(dm_engine *e, int ta, int tb, size_t M, size_t N, size_t K,
	     const float *A, size_t lda, const float *B, size_t ldb, float *C,
	     size_t ldc)
{
	dm_gemm_fn(e, ta, tb, M, N, K, A, lda, NULL, B, ldb, NULL, C, ldc);
}

static void gemm_run(dm_engine *e, int ta, int tb, size_t M, size_t N, size_t K,
		     const float *A, size_t lda, const dm_matrix_fn *fa, const float *B,
		     size_t ldb, const dm_matrix_fn *fb, float *C, size_t ldc, int accumulate)
{
	size_t i;
	if (M == 0 || N == 0)
		return;
	e->flop += 2 * (uint64_t)M * N * K;
	if (K == 0 && accumulate)
		return;
	if (K == 0) {
		for (i = 0; i < M; i++)
			memset(C + i * ldc, 0, N * sizeof *C);
		return;
	}
	{
		/* Split the larger side of C between the threads, in whole
		 * micro-tiles.  Each output is computed whole by one thread.
		 * With openblas each band is one single-threaded cblas_sgemm
		 * call: OpenBLAS's own threads gain little on products this
		 * small, and our pool's threads are already awake. */
		gemm_job j = {e, ta, tb, 0, 0, M, N, K, lda, ldb, ldc, A, B, C, fa, fb, accumulate};
		size_t grain, n;
		if (e->numerics == DM_NUMERICS_PORTABLE && !ta && tb && M <= DM_NC_T) {
			/* C = A B^T (the forward pass, B = W) with a small batch
			 * is computed as C^T = B A^T: then W is read in place,
			 * and only the batch A is packed, transposed, instead of
			 * W every step.  Each output keeps its order of operations
			 * (gemm_kernel.h). */
			j.ta = 0, j.tb = 1, j.trans_c = 1, j.M = N, j.N = M;
			j.A = B, j.lda = ldb, j.B = A, j.ldb = lda;
			j.fa = fb, j.fb = fa;
		}
		j.split_n = j.N >= j.M;
		grain = e->numerics == DM_NUMERICS_OPENBLAS ? DM_BLAS_GRAIN
			: j.split_n ? DM_NR : DM_MR;
		n = j.split_n ? j.N : j.M;
		dm_pool_run(e->pool, n, grain, gemm_band, &j);
	}
}

void dm_gemm_on_worker(dm_engine *e, int worker, int ta, int tb, size_t M, size_t N,
		       size_t K, const float *A, size_t lda, const dm_matrix_fn *fa,
		       const float *B, size_t ldb, const dm_matrix_fn *fb, float *C,
		       size_t ldc)
{
	gemm_job j = {e, ta, tb, 0, 1, M, N, K, lda, ldb, ldc, A, B, C, fa, fb, 0};
	uint64_t t0 = e->span ? dm_clock_ns() : 0;
	size_t i;
	if (M == 0 || N == 0)
		return;
	if (K == 0)
		for (i = 0; i < M; i++)
			memset(C + i * ldc, 0, N * sizeof *C);
	else
		gemm_band(&j, 0, N, worker);
	if (e->span)
		e->worker_gemm_ns[worker] += dm_clock_ns() - t0;
}

void dm_gemm_on_workers_done(dm_engine *e, uint64_t flop)
{
	uint64_t longest = 0;
	int i;
	e->flop += flop;
	if (!e->span)
		return;
	for (i = 0; i < e->threads; i++) {
		if (e->worker_gemm_ns[i] > longest)
			longest = e->worker_gemm_ns[i];
		e->worker_gemm_ns[i] = 0;
	}
	e->gemm_ns += longest, e->gemm_flop += flop;
}

const char *dm_openblas_core(void)
{
#ifdef DM_NO_OPENBLAS
	return "none";
#else
	return openblas_get_corename();
#endif
}
