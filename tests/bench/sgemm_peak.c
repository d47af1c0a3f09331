/* sgemm_peak.c - the machine's practical limit for the benchmark.
 *
 * Usage: sgemm_peak THREADS BATCH [IN HIDDEN... OUT]
 *
 * Runs with OpenBLAS's cblas_sgemm, on THREADS threads, exactly the products
 * that one training step of an MLP (default 784-512-512-10) does at batch
 * size BATCH, with the transposes that build/dh-model-train uses (row-major):
 *   forward   Y[B,out]   = X[B,in] W^T         (NoTrans, Trans)
 *   backward  dW[out,in] = dY^T[out,B] X[B,in] (Trans, NoTrans)
 *             dX[B,in]   = dY[B,out] W[out,in] (NoTrans, NoTrans), not for
 *                          the first layer
 * It prints "core NAME" (OpenBLAS's kernel choice), then repeats the whole
 * step for about 0.1 s, five times, and prints one line
 *   step GFLOPS GFLOPS-PER-CPU-SECOND
 * (2MNK FLOP of the step divided by the wall time, and by the CPU time of
 * the process, each the best over the repeats), then one line per product
 *   M N K TA TB GFLOPS
 * with the best rate of that product alone.  The "step" rate is the limit the
 * trainer could reach at that batch size if it spent all its time in sgemm.
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct product {
	int M, N, K, ta, tb;
	float *A, *B, *C;
} product;

static double now(clockid_t clock)
{
	struct timespec t;
	clock_gettime(clock, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static float *randoms(size_t n)
{
	float *p = malloc(n * sizeof *p);
	size_t i;
	if (!p) {
		perror("malloc");
		exit(1);
	}
	for (i = 0; i < n; i++)
		p[i] = (float)rand() / (float)RAND_MAX - 0.5f;
	return p;
}

static void add(product *v, int *n, int M, int N, int K, int ta, int tb)
{
	product *p = &v[(*n)++];
	p->M = M, p->N = N, p->K = K, p->ta = ta, p->tb = tb;
	p->A = randoms((size_t)M * K);
	p->B = randoms((size_t)K * N);
	p->C = randoms((size_t)M * N);
}

static void run(const product *p)
{
	cblas_sgemm(CblasRowMajor, p->ta ? CblasTrans : CblasNoTrans,
		    p->tb ? CblasTrans : CblasNoTrans, p->M, p->N, p->K, 1.0f,
		    p->A, p->ta ? p->M : p->K, p->B, p->tb ? p->K : p->N, 0.0f,
		    p->C, p->N);
}

/* Best GFLOP/s over 5 repeats of ~0.1 s each, for products first..last:
 * the machine is shared, and the best repeat is the one least disturbed.
 * *per_cpu_s: the best rate per second of process CPU time (all threads),
 * which other processes on the machine do not lower. */
static double best_rate(const product *v, int first, int last, double *per_cpu_s)
{
	double flop = 0, best = 0, best_cpu = 0;
	int i, r;
	for (i = first; i < last; i++)
		flop += 2.0 * v[i].M * v[i].N * v[i].K;
	for (i = first; i < last; i++) /* warm up: threads, caches, pages */
		run(&v[i]);
	for (r = 0; r < 5; r++) {
		double t0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID), t, c;
		long reps = 0;
		do {
			for (i = first; i < last; i++)
				run(&v[i]);
			reps++;
			t = now(CLOCK_MONOTONIC) - t0;
		} while (t < 0.1);
		c = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
		if (flop * reps / t > best)
			best = flop * reps / t;
		if (flop * reps / c > best_cpu)
			best_cpu = flop * reps / c;
	}
	if (per_cpu_s)
		*per_cpu_s = best_cpu * 1e-9;
	return best * 1e-9;
}

int main(int argc, char **argv)
{
	int widths[16] = {784, 512, 512, 10}, nw = 4, threads, B, i, n = 0;
	product v[48];
	if (argc < 3 || (argc > 3 && argc < 5) || argc - 3 > 16) {
		fprintf(stderr, "usage: sgemm_peak THREADS BATCH [IN HIDDEN... OUT]\n");
		return 2;
	}
	threads = atoi(argv[1]);
	B = atoi(argv[2]);
	if (argc > 3)
		for (nw = 0; nw < argc - 3; nw++)
			widths[nw] = atoi(argv[3 + nw]);
	openblas_set_num_threads(threads);
	for (i = 0; i + 1 < nw; i++) /* forward */
		add(v, &n, B, widths[i + 1], widths[i], 0, 1);
	for (i = nw - 2; i >= 0; i--) { /* backward */
		add(v, &n, widths[i + 1], widths[i], B, 1, 0);
		if (i > 0)
			add(v, &n, B, widths[i], widths[i + 1], 0, 0);
	}
	printf("core %s\n", openblas_get_corename());
	{
		double cpu, wall = best_rate(v, 0, n, &cpu);
		printf("step %.2f %.2f\n", wall, cpu);
	}
	for (i = 0; i < n; i++)
		printf("%d %d %d %c %c %.2f\n", v[i].M, v[i].N, v[i].K, v[i].ta ? 'T' : 'N',
		       v[i].tb ? 'T' : 'N', best_rate(v, i, i + 1, NULL));
	return 0;
}
