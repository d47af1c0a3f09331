/* pool.c - worker threads that poll briefly, then sleep, between jobs.
 *
 * A training step hands the pool about ten jobs (the products and the
 * optimizer step) with a little serial work between them.  Waking a thread
 * that sleeps on a condition variable costs tens of microseconds on a
 * virtual machine, so a thread first polls the job counter for a while
 * (DM_POOL_SPIN pause instructions, roughly 0.1 ms) and sleeps only if no
 * job came.  With more threads than online CPUs it does not poll at all:
 * a polling thread would take the CPU of one that has work.
 *
 * A job is published like a seqlock: the generation turns odd, the job's
 * fields are written, the generation turns even.  A worker reads the
 * fields and takes them only if the generation did not move meanwhile.
 * That matters for dm_pool_run_dynamic(), whose caller does not wait for
 * a worker that never came: such a worker may look at the job after the
 * next one is published, and must not run the wrong one.
 */
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define DM_POOL_SPIN 4000

struct dm_pool {
	int threads;
	int spin;                  /* polls before sleeping */
	pthread_t *tid;
	pthread_mutex_t lock;
	pthread_cond_t start, done;
	atomic_ulong generation;   /* odd while a job is being written */
	atomic_int pending;        /* static job: workers still busy with it */
	atomic_size_t finished;    /* dynamic job: units done */
	atomic_uint_least64_t claim; /* dynamic job: generation << 32 | next unit */
	/* changed under lock; read without it by the other side, which
	 * takes the lock only to wake a sleeper (see publish, wake_main) */
	atomic_int sleeping_workers;
	atomic_int main_sleeping;
	/* the current job, written while the generation is odd */
	_Atomic(dm_pool_fn) fn;
	_Atomic(void *) arg;
	atomic_size_t n, grain;
	atomic_int dynamic, quit;
};

typedef struct worker_arg {
	dm_pool *pool;
	int index;
} worker_arg;

typedef struct job {
	dm_pool_fn fn;
	void *arg;
	size_t n, grain;
	int dynamic, quit;
} job;

static void relax(void)
{
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
	__builtin_ia32_pause();
#endif
}

static void chunk(const dm_pool *p, const job *j, int i, size_t *begin, size_t *end)
{
	size_t units = (j->n + j->grain - 1) / j->grain;
	size_t per = units / (size_t)p->threads, extra = units % (size_t)p->threads;
	size_t u0 = (size_t)i * per + ((size_t)i < extra ? (size_t)i : extra);
	size_t u1 = u0 + per + ((size_t)i < extra);
	*begin = u0 * j->grain;
	*end = u1 * j->grain < j->n ? u1 * j->grain : j->n;
}

/* The next even generation after seen: poll, then sleep. */
static unsigned long next_job(dm_pool *p, unsigned long seen)
{
	unsigned long g = atomic_load(&p->generation);
	int i;
	for (i = 0; (g == seen || g & 1) && i < p->spin; i++) {
		relax();
		g = atomic_load(&p->generation);
	}
	if (g != seen && !(g & 1))
		return g;
	pthread_mutex_lock(&p->lock);
	atomic_fetch_add(&p->sleeping_workers, 1);
	while ((g = atomic_load(&p->generation)) == seen || g & 1)
		pthread_cond_wait(&p->start, &p->lock);
	atomic_fetch_sub(&p->sleeping_workers, 1);
	pthread_mutex_unlock(&p->lock);
	return g;
}

/* The job of generation g, or 0 if a newer one is (being) published. */
static int read_job(dm_pool *p, unsigned long g, job *j)
{
	j->fn = atomic_load(&p->fn);
	j->arg = atomic_load(&p->arg);
	j->n = atomic_load(&p->n);
	j->grain = atomic_load(&p->grain);
	j->dynamic = atomic_load(&p->dynamic);
	j->quit = atomic_load(&p->quit);
	return atomic_load(&p->generation) == g;
}

/* Take units of a dynamic job one at a time until none is left; returns
 * how many this thread ran. */
static size_t claim_units(dm_pool *p, unsigned long g, const job *j, int worker)
{
	uint_least64_t tag = (uint_least64_t)(g & 0xffffffffu) << 32;
	uint_least64_t c = atomic_load(&p->claim);
	size_t mine = 0;
	while ((c & ~(uint_least64_t)0xffffffffu) == tag && (size_t)(c & 0xffffffffu) < j->n) {
		if (atomic_compare_exchange_weak(&p->claim, &c, c + 1)) {
			size_t u = (size_t)(c & 0xffffffffu);
			j->fn(j->arg, u, u + 1, worker);
			mine++;
			c = atomic_load(&p->claim);
		}
	}
	return mine;
}

/* Called after the counter main waits on has moved (a seq_cst
 * read-modify-write): main sets main_sleeping, under the lock, before it
 * reads the counter a last time, so either main sees the counter or this
 * sees main_sleeping (both seq_cst).  The lock is taken only to wake main:
 * when main polls, no cache line of the lock moves between the threads. */
static void wake_main(dm_pool *p)
{
	if (!atomic_load(&p->main_sleeping))
		return;
	pthread_mutex_lock(&p->lock);
	if (atomic_load(&p->main_sleeping))
		pthread_cond_signal(&p->done);
	pthread_mutex_unlock(&p->lock);
}

static void *worker_main(void *v)
{
	worker_arg *wa = v;
	dm_pool *p = wa->pool;
	int index = wa->index;
	unsigned long seen = 0;
	free(wa);
	for (;;) {
		job j;
		size_t b, e;
		unsigned long g = next_job(p, seen);
		if (!read_job(p, g, &j))
			continue; /* superseded: only a dynamic job can be, see below */
		seen = g;
		if (j.quit)
			return NULL;
		if (j.dynamic) {
			size_t mine = claim_units(p, g, &j, index);
			if (mine && atomic_fetch_add(&p->finished, mine) + mine == j.n)
				wake_main(p);
			continue;
		}
		/* the caller waits for every worker: no newer job until this one's done */
		chunk(p, &j, index, &b, &e);
		if (b < e)
			j.fn(j.arg, b, e, index);
		if (atomic_fetch_sub(&p->pending, 1) == 1)
			wake_main(p);
	}
}

/* Write a job and wake the workers; returns its generation. */
static unsigned long publish(dm_pool *p, const job *j)
{
	unsigned long g = atomic_fetch_add(&p->generation, 1) + 1; /* odd */
	atomic_store(&p->fn, j->fn);
	atomic_store(&p->arg, j->arg);
	atomic_store(&p->n, j->n);
	atomic_store(&p->grain, j->grain);
	atomic_store(&p->dynamic, j->dynamic);
	atomic_store(&p->quit, j->quit);
	atomic_store(&p->pending, p->threads - 1);
	atomic_store(&p->finished, 0);
	atomic_store(&p->claim, (uint_least64_t)((g + 1) & 0xffffffffu) << 32);
	atomic_store(&p->generation, g + 1);
	/* as wake_main: a worker counts itself in sleeping_workers before
	 * it reads the generation a last time */
	if (atomic_load(&p->sleeping_workers)) {
		pthread_mutex_lock(&p->lock);
		pthread_cond_broadcast(&p->start);
		pthread_mutex_unlock(&p->lock);
	}
	return g + 1;
}

/* Poll, then sleep, until *counter reaches target. */
static void wait_for(dm_pool *p, atomic_size_t *counter, size_t target, atomic_int *pending)
{
#define DM_POOL_DONE() (counter ? atomic_load(counter) == target : atomic_load(pending) == 0)
	for (int i = 0; !DM_POOL_DONE() && i < p->spin; i++)
		relax();
	if (!DM_POOL_DONE()) {
		pthread_mutex_lock(&p->lock);
		atomic_store(&p->main_sleeping, 1);
		while (!DM_POOL_DONE())
			pthread_cond_wait(&p->done, &p->lock);
		atomic_store(&p->main_sleeping, 0);
		pthread_mutex_unlock(&p->lock);
	}
#undef DM_POOL_DONE
}

dm_pool *dm_pool_new(int threads, dm_error *err)
{
	dm_pool *p;
	int i;
	if (threads < 1)
		threads = 1;
	p = dm_calloc(1, sizeof *p, err);
	if (!p)
		return NULL;
	p->threads = threads;
	if (threads == 1)
		return p;
	atomic_init(&p->generation, 0);
	atomic_init(&p->pending, 0);
	atomic_init(&p->finished, 0);
	atomic_init(&p->claim, 0);
	atomic_init(&p->sleeping_workers, 0);
	atomic_init(&p->main_sleeping, 0);
	atomic_init(&p->fn, NULL);
	atomic_init(&p->arg, NULL);
	atomic_init(&p->n, 0);
	atomic_init(&p->grain, 1);
	atomic_init(&p->dynamic, 0);
	atomic_init(&p->quit, 0);
	p->spin = threads <= sysconf(_SC_NPROCESSORS_ONLN) ? DM_POOL_SPIN : 0;
	p->tid = dm_calloc((size_t)threads, sizeof *p->tid, err);
	if (!p->tid) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->start, NULL);
	pthread_cond_init(&p->done, NULL);
	for (i = 1; i < threads; i++) {
		worker_arg *wa = malloc(sizeof *wa);
		if (!wa || (wa->pool = p, wa->index = i,
			    pthread_create(&p->tid[i], NULL, worker_main, wa))) {
			free(wa);
			p->threads = i; /* stop the ones already started */
			dm_pool_free(p);
			dm_fail(err, "cannot start thread %d of %d", i + 1, threads);
			return NULL;
		}
	}
	return p;
}

void dm_pool_free(dm_pool *p)
{
	int i;
	if (!p)
		return;
	if (p->threads > 1) {
		job j = {0};
		j.quit = 1;
		j.grain = 1;
		publish(p, &j);
		for (i = 1; i < p->threads; i++)
			pthread_join(p->tid[i], NULL);
		pthread_mutex_destroy(&p->lock);
		pthread_cond_destroy(&p->start);
		pthread_cond_destroy(&p->done);
	}
	free(p->tid);
	free(p);
}

int dm_pool_threads(const dm_pool *p)
{
	return p ? p->threads : 1;
}

void dm_pool_run(dm_pool *p, size_t n, size_t grain, dm_pool_fn fn, void *arg)
{
	job j = {fn, arg, n, grain ? grain : 1, 0, 0};
	size_t b, e;
	if (n == 0)
		return;
	/* one thread, or too little work to share */
	if (!p || p->threads == 1 || n <= j.grain) {
		fn(arg, 0, n, 0);
		return;
	}
	publish(p, &j);
	chunk(p, &j, 0, &b, &e);
	if (b < e)
		fn(arg, b, e, 0);
	wait_for(p, NULL, 0, &p->pending);
}

void dm_pool_run_dynamic(dm_pool *p, size_t n, dm_pool_fn fn, void *arg)
{
	job j = {fn, arg, n, 1, 1, 0};
	unsigned long g;
	size_t mine;
	if (n == 0)
		return;
	if (!p || p->threads == 1 || n == 1 || n > 0xffffffffu) {
		for (size_t u = 0; u < n; u++)
			fn(arg, u, u + 1, 0);
		return;
	}
	g = publish(p, &j);
	mine = claim_units(p, g, &j, 0);
	if (atomic_fetch_add(&p->finished, mine) + mine != n)
		wait_for(p, &p->finished, n, NULL);
}
