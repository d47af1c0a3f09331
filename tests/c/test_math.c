/* test_math.c - the numerics core: GEMM bits, own elementary functions, RNG,
 * the thread pool's jobs. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "math/fmath.h"
#include "math/gemm.h"
#include "math/pool.h"
#include "math/rng.h"
#include "tap.h"

/* The definition the portable back-end promises, written as plainly as
 * possible: each output an fmaf chain over k in increasing order from +0. */
static void gemm_definition(int ta, int tb, size_t M, size_t N, size_t K,
			    const float *A, size_t lda, const float *B,
			    size_t ldb, float *C, size_t ldc)
{
	size_t i, j, k;
	for (i = 0; i < M; i++)
		for (j = 0; j < N; j++) {
			float acc = 0.0f;
			for (k = 0; k < K; k++) {
				float a = ta ? A[k * lda + i] : A[i * lda + k];
				float b = tb ? B[j * ldb + k] : B[k * ldb + j];
				acc = fmaf(a, b, acc);
			}
			C[i * ldc + j] = acc;
		}
}

static void fill(dm_rng *r, float *x, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		x[i] = dm_rng_uniform(r) * 2.0f - 1.0f;
}

static double max_rel_err(const float *x, const float *ref, size_t n)
{
	double worst = 0, scale = 0;
	size_t i;
	for (i = 0; i < n; i++)
		if (fabs(ref[i]) > scale)
			scale = fabs(ref[i]);
	for (i = 0; i < n; i++) {
		double d = fabs((double)x[i] - ref[i]) / (scale > 0 ? scale : 1);
		if (d > worst)
			worst = d;
	}
	return worst;
}

/* A stored matrix read through dm_matrix_fn, as a convolution's im2col
 * is: each call checked to stay inside the rows x cols matrix. */
typedef struct fn_matrix {
	const float *m;
	size_t rows, cols;
	int *outside; /* set (never cleared) when a call asks for floats outside */
} fn_matrix;

static void fn_row(const void *ctx, size_t i, size_t j0, size_t n, float *dst)
{
	const fn_matrix *f = ctx;
	if (i >= f->rows || j0 + n > f->cols || n == 0) {
		*f->outside = 1;
		return;
	}
	memcpy(dst, f->m + i * f->cols + j0, n * sizeof *dst);
}

/* dm_gemm_fn with A and B as functions (every packing path that reads
 * them): the same bits as the definition, every call inside the matrix. */
static int gemm_fn_same(dm_engine *e, int ta, int tb, size_t M, size_t N, size_t K,
			const float *A, const float *B, const float *ref, float *C)
{
	size_t lda = ta ? M : K, ldb = tb ? K : N;
	int outside = 0;
	fn_matrix fa = {A, ta ? K : M, lda, &outside}, fb = {B, tb ? N : K, ldb, &outside};
	dm_matrix_fn mfa = {fn_row, &fa}, mfb = {fn_row, &fb};
	memset(C, 0xff, sizeof(float) * M * N);
	dm_gemm_fn(e, ta, tb, M, N, K, NULL, lda, &mfa, NULL, ldb, &mfb, C, N);
	return !memcmp(C, ref, sizeof(float) * M * N) && !outside;
}

static void test_gemm_shape(int ta, int tb, size_t M, size_t N, size_t K)
{
	dm_rng r;
	dm_error err;
	size_t lda = ta ? M : K, ldb = tb ? K : N;
	float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * K * N);
	float *ref = malloc(sizeof(float) * M * N), *C = malloc(sizeof(float) * M * N);
	int threads[] = {1, 2, 3, 8}, t, same = 1, fn_same = 1;
	const char *kernels[] = {"generic", "avx2-fma", "avx512"};
	char ran[64] = "";
	dm_kernel kernel;
	unsigned kk;
	dm_rng_seed(&r, M * 1000003 + N * 1009 + K, 7);
	fill(&r, A, M * K);
	fill(&r, B, K * N);
	gemm_definition(ta, tb, M, N, K, A, lda, B, ldb, ref, N);
	for (kk = 0; kk < 3; kk++) {
		if (dm_kernel_parse(kernels[kk], &kernel) != 0)
			continue; /* this CPU has no AVX2+FMA, or no AVX-512 */
		strcat(strcat(ran, *ran ? ", " : ""), kernels[kk]);
		for (t = 0; t < 4; t++) {
			dm_engine *e = dm_engine_new(DM_NUMERICS_PORTABLE, threads[t], &err);
			e->kernel = kernel;
			memset(C, 0xff, sizeof(float) * M * N);
			dm_gemm(e, ta, tb, M, N, K, A, lda, B, ldb, C, N);
			if (memcmp(C, ref, sizeof(float) * M * N))
				same = 0;
			if ((t == 0 || t == 2) && !gemm_fn_same(e, ta, tb, M, N, K, A, B, ref, C))
				fn_same = 0;
			dm_engine_free(e);
		}
	}
	ok(same, "portable gemm %c%c %zux%zux%zu equals the fmaf definition bit for bit "
	   "(kernels %s; 1/2/3/8 threads)", ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, ran);
	ok(fn_same, "portable gemm %c%c %zux%zux%zu with A, B or both given by a row "
	   "function: the same bits, every row asked for inside the matrix (1/3 threads)",
	   ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K);
	for (t = 0; t < 3; t++) { /* 2 and 3 threads: bands of C, one call each */
		dm_engine *e = dm_engine_new(DM_NUMERICS_OPENBLAS, threads[t], &err);
		double rel;
		memset(C, 0xff, sizeof(float) * M * N);
		dm_gemm(e, ta, tb, M, N, K, A, lda, B, ldb, C, N);
		rel = max_rel_err(C, ref, M * N);
		ok(rel < 1e-5, "openblas gemm %c%c %zux%zux%zu, %d thread(s), agrees within %.2g",
		   ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, threads[t], rel);
		if (t == 0)
			ok(e->flop == 2 * (uint64_t)M * N * K, "gemm counts 2MNK FLOP");
		dm_engine_free(e);
	}
	free(A), free(B), free(ref), free(C);
}

/* ulp distance between float results and a double reference */
static double ulps(float got, double want)
{
	float w = (float)want;
	float next = nextafterf(w, INFINITY);
	double ulp = (double)next - (double)w;
	if (ulp == 0 || isinf(next))
		return 0;
	return fabs((double)got - want) / ulp;
}

static void test_fmath(void)
{
	double worst_exp = 0, worst_log = 0, worst_tanh = 0, worst_sig = 0,
	       worst_l1p = 0, worst_cos = 0;
	int i;
	for (i = 0; i <= 200000; i++) {
		float x = -87.0f + 175.0f * (float)i / 200000.0f;
		float y = (float)i / 200000.0f * 80.0f + 1e-30f;
		float t = -10.0f + 20.0f * (float)i / 200000.0f;
		float u = -0.9f + 9.0f * (float)i / 200000.0f;
		float c = 3.14159265f * (float)i / 200000.0f;
		double d;
		if ((d = ulps(dm_expf(x), exp((double)x))) > worst_exp)
			worst_exp = d;
		if ((d = ulps(dm_logf(y), log((double)y))) > worst_log)
			worst_log = d;
		if ((d = ulps(dm_tanhf(t), tanh((double)t))) > worst_tanh)
			worst_tanh = d;
		if ((d = ulps(dm_sigmoidf(t), 1 / (1 + exp(-(double)t)))) > worst_sig)
			worst_sig = d;
		if ((d = ulps(dm_log1pf(u), log1p((double)u))) > worst_l1p)
			worst_l1p = d;
		if (fabs(dm_cosf(c) - cos((double)c)) > 3e-7)
			worst_cos = fabs(dm_cosf(c) - cos((double)c));
	}
	ok(worst_exp <= 2, "dm_expf within 2 ulp on [-87, 88] (worst %.2f)", worst_exp);
	ok(worst_log <= 2, "dm_logf within 2 ulp on (0, 80] (worst %.2f)", worst_log);
	ok(worst_tanh <= 4, "dm_tanhf within 4 ulp on [-10, 10] (worst %.2f)", worst_tanh);
	ok(worst_sig <= 3, "dm_sigmoidf within 3 ulp on [-10, 10] (worst %.2f)", worst_sig);
	ok(worst_l1p <= 3, "dm_log1pf within 3 ulp on [-0.9, 8.1] (worst %.2f)", worst_l1p);
	ok(worst_cos == 0, "dm_cosf within 3e-7 on [0, pi] (worst %.3g)", worst_cos);
	ok(dm_expf(-200.0f) == 0 && isinf(dm_expf(100.0f)) && isnan(dm_expf(NAN)),
	   "dm_expf limits: underflow to 0, overflow to inf, NaN stays NaN");
	ok(dm_logf(0.0f) == -INFINITY && isnan(dm_logf(-1.0f)) &&
		   ulps(dm_logf(1e-40f), log(1e-40)) <= 2,
	   "dm_logf: log 0 = -inf, log -1 = NaN, subnormals are right");
	ok(dm_tanhf(20.0f) == 1.0f && dm_tanhf(-20.0f) == -1.0f && dm_tanhf(0.0f) == 0.0f,
	   "dm_tanhf saturates to +-1 and is exact at 0");
}

static void test_rng(void)
{
	dm_rng a, b;
	uint64_t counts[10] = {0};
	int i, same = 1, differ = 0, in_range = 1;
	dm_rng_seed(&a, 1, DM_STREAM_INIT);
	dm_rng_seed(&b, 1, DM_STREAM_INIT);
	for (i = 0; i < 1000; i++)
		if (dm_rng_next(&a) != dm_rng_next(&b))
			same = 0;
	ok(same, "the same seed and stream give the same numbers");
	dm_rng_seed(&a, 1, DM_STREAM_INIT);
	dm_rng_seed(&b, 1, DM_STREAM_SHUFFLE);
	for (i = 0; i < 1000; i++)
		if (dm_rng_next(&a) != dm_rng_next(&b))
			differ++;
	ok(differ == 1000, "different streams are independent sequences");
	/* Known first output for seed 1, stream INIT: pins the generator, so
	 * that a change to it (which changes every model) cannot go unseen. */
	dm_rng_seed(&a, 1, DM_STREAM_INIT);
	{
		uint64_t first = dm_rng_next(&a);
		diag("first output for seed 1: 0x%016llx", (unsigned long long)first);
		ok(first == 0x1d08e40a8b50f326ULL, "generator output is pinned");
	}
	for (i = 0; i < 100000; i++) {
		uint64_t v = dm_rng_below(&a, 10);
		float u = dm_rng_uniform(&a);
		if (v >= 10 || u < 0 || u >= 1)
			in_range = 0;
		else
			counts[v]++;
	}
	ok(in_range, "below(10) and uniform() stay in range");
	{
		int balanced = 1;
		for (i = 0; i < 10; i++)
			if (counts[i] < 9500 || counts[i] > 10500)
				balanced = 0;
		ok(balanced, "below(10) is balanced over 100000 draws");
	}
}

/* Every unit of every job runs exactly once, dynamic jobs mixed with
 * static ones, some units slow so that a worker comes late to a dynamic
 * job its caller already finished (it must not run the next one twice). */
#define POOL_JOBS 3000
#define POOL_UNITS 17
static unsigned char pool_hits[POOL_JOBS][POOL_UNITS];
static size_t pool_job;

static void pool_unit(void *arg, size_t begin, size_t end, int worker)
{
	(void)arg;
	for (size_t u = begin; u < end; u++) {
		pool_hits[pool_job][u]++;
		if (worker && (pool_job + u) % 97 == 0) {
			struct timespec ts = {0, 20000};
			nanosleep(&ts, NULL);
		}
	}
}

static void test_pool(void)
{
	for (int threads = 2; threads <= 4; threads++) {
		dm_error err = {0};
		dm_pool *p = dm_pool_new(threads, &err);
		size_t bad = 0;
		if (!ok(p != NULL, "pool of %d threads", threads))
			continue;
		memset(pool_hits, 0, sizeof pool_hits);
		for (pool_job = 0; pool_job < POOL_JOBS; pool_job++) {
			size_t n = 1 + pool_job % POOL_UNITS;
			if (pool_job % 3 == 2)
				dm_pool_run(p, n, 1, pool_unit, NULL);
			else
				dm_pool_run_dynamic(p, n, pool_unit, NULL);
		}
		for (size_t j = 0; j < POOL_JOBS; j++)
			for (size_t u = 0; u < POOL_UNITS; u++)
				bad += pool_hits[j][u] != (u < 1 + j % POOL_UNITS);
		ok(bad == 0, "%d threads: %d jobs (dynamic and static), every unit run once "
		   "(%zu wrong)", threads, POOL_JOBS, bad);
		dm_pool_free(p);
	}
}

/* C = op(A) op(B) over k < K1, then dm_gemm_acc over k >= K1: the bits of
 * the whole product (portable, every kernel this CPU has, 1 and 3
 * threads), and within float error of it (openblas, beta = 1).  A [M, K];
 * B [K, N], or [N, K] if tb: conv's dW is the NT case, summed over chunks
 * of samples. */
static void test_gemm_acc(int tb, size_t M, size_t N, size_t K, size_t K1)
{
	dm_rng r;
	dm_error err;
	size_t ldb = tb ? K : N;
	float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * K * N);
	float *ref = malloc(sizeof(float) * M * N), *C = malloc(sizeof(float) * M * N);
	const float *B2 = tb ? B + K1 : B + K1 * N;
	const char *kernels[] = {"generic", "avx2-fma", "avx512"};
	int threads[] = {1, 3}, t, same = 1, kk, runs = 0;
	double rel;
	dm_kernel kernel;
	dm_engine *e;
	dm_rng_seed(&r, M * 31 + N * 7 + K, 11);
	fill(&r, A, M * K);
	fill(&r, B, K * N);
	gemm_definition(0, tb, M, N, K, A, K, B, ldb, ref, N);
	for (kk = 0; kk < 3; kk++) {
		if (dm_kernel_parse(kernels[kk], &kernel) != 0)
			continue;
		for (t = 0; t < 2; t++, runs++) {
			e = dm_engine_new(DM_NUMERICS_PORTABLE, threads[t], &err);
			e->kernel = kernel;
			memset(C, 0xff, sizeof(float) * M * N);
			dm_gemm(e, 0, tb, M, N, K1, A, K, B, ldb, C, N);
			dm_gemm_acc(e, 0, tb, M, N, K - K1, A + K1, K, B2, ldb, C, N);
			same &= !memcmp(C, ref, sizeof(float) * M * N);
			dm_engine_free(e);
		}
	}
	ok(same && runs > 0, "portable gemm N%c %zux%zux%zu as k < %zu, then dm_gemm_acc over the "
	   "rest: the bits of the whole product (%d runs)", tb ? 'T' : 'N', M, N, K, K1, runs);
	e = dm_engine_new(DM_NUMERICS_OPENBLAS, 2, &err);
	memset(C, 0xff, sizeof(float) * M * N);
	dm_gemm(e, 0, tb, M, N, K1, A, K, B, ldb, C, N);
	dm_gemm_acc(e, 0, tb, M, N, K - K1, A + K1, K, B2, ldb, C, N);
	rel = max_rel_err(C, ref, M * N);
	ok(rel < 1e-5, "openblas gemm N%c %zux%zux%zu then dm_gemm_acc agrees within %.2g",
	   tb ? 'T' : 'N', M, N, K, rel);
	dm_engine_free(e);
	free(A), free(B), free(ref), free(C);
}

int main(void)
{
	static const size_t shapes[][3] = {
		{1, 1, 1}, {5, 7, 3}, {6, 16, 256}, {7, 17, 257}, {64, 256, 784},
		{64, 784, 256}, {256, 784, 64}, {100, 10, 300}, {13, 1030, 520},
		{300, 40, 1100}, {7, 520, 2100}, {200, 64, 288},
		/* a depth over KC in one block: all columns (conv 64's forward
		 * per sample), and fewer columns a block than NC */
		{64, 196, 288}, {9, 1000, 300}};
	size_t s;
	int t;
	dm_engine auto_kernel = {0};
	diag("portable kernel on this CPU: %s", dm_gemm_kernel(&auto_kernel));
	for (s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
		for (t = 0; t < 4; t++)
			test_gemm_shape(t & 1, t >> 1, shapes[s][0], shapes[s][1], shapes[s][2]);
	/* conv 64's dW in chunks of 5 samples (980 of 12544 columns), a
	 * chunk inside one depth block, a transposed C (M <= 64) and not */
	test_gemm_acc(1, 64, 288, 1960, 980);
	test_gemm_acc(1, 32, 9, 700, 100);
	test_gemm_acc(0, 100, 70, 300, 1);
	test_gemm_acc(1, 70, 50, 513, 257);
	test_fmath();
	test_rng();
	test_pool();
	return done_testing();
}
