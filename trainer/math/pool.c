/* pool.c - worker threads that poll briefly, then sleep, between jobs.
 *
 * A training step hands the pool about ten jobs (the products and the
 * optimizer step) with a little serial work between them.  Waking a thread
 * that sleeps on a condition variable costs tens of microseconds on a
 * virtual machine, so a thread first polls the job counter for a while
 * (DM_POOL_SPIN pause instructions, roughly 0.1 ms) and sleeps only if no
 * job came.  With more threads than online CPUs it does not poll at all:
 * a polling thread would take the CPU of one that has work.
 */
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#define DM_POOL_SPIN 4000

struct dm_pool {
	int threads;
	int spin;                  /* polls before sleeping */
	pthread_t *tid;
	pthread_mutex_t lock;
	pthread_cond_t start, done;
	atomic_ulong generation;   /* bumped once per job (release) */
	atomic_int pending;        /* workers still busy with the current job */
	int sleeping_workers;      /* under lock */
	int main_sleeping;         /* under lock */
	int quit;                  /* written before the last generation bump */
	/* the current job, written before its generation bump */
	dm_pool_fn fn;
	void *arg;
	size_t n, grain;
};

typedef struct worker_arg {
	dm_pool *pool;
	int index;
} worker_arg;

static void relax(void)
{
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
	__builtin_ia32_pause();
#endif
}

static void chunk(const dm_pool *p, int i, size_t *begin, size_t *end)
{
	size_t units = (p->n + p->grain - 1) / p->grain;
	size_t per = units / (size_t)p->threads, extra = units % (size_t)p->threads;
	size_t u0 = (size_t)i * per + ((size_t)i < extra ? (size_t)i : extra);
	size_t u1 = u0 + per + ((size_t)i < extra);
	*begin = u0 * p->grain;
	*end = u1 * p->grain < p->n ? u1 * p->grain : p->n;
}

/* The next generation after seen: poll, then sleep. */
static unsigned long next_job(dm_pool *p, unsigned long seen)
{
	unsigned long g = atomic_load_explicit(&p->generation, memory_order_acquire);
	int i;
	for (i = 0; g == seen && i < p->spin; i++) {
		relax();
		g = atomic_load_explicit(&p->generation, memory_order_acquire);
	}
	if (g != seen)
		return g;
	pthread_mutex_lock(&p->lock);
	p->sleeping_workers++;
	while ((g = atomic_load(&p->generation)) == seen)
		pthread_cond_wait(&p->start, &p->lock);
	p->sleeping_workers--;
	pthread_mutex_unlock(&p->lock);
	return g;
}

static void *worker_main(void *v)
{
	worker_arg *wa = v;
	dm_pool *p = wa->pool;
	int index = wa->index;
	unsigned long seen = 0;
	free(wa);
	for (;;) {
		size_t b, e;
		seen = next_job(p, seen);
		if (p->quit)
			return NULL;
		chunk(p, index, &b, &e);
		if (b < e)
			p->fn(p->arg, b, e, index);
		if (atomic_fetch_sub(&p->pending, 1) == 1) {
			pthread_mutex_lock(&p->lock);
			if (p->main_sleeping)
				pthread_cond_signal(&p->done);
			pthread_mutex_unlock(&p->lock);
		}
	}
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
		p->quit = 1;
		atomic_fetch_add(&p->generation, 1);
		pthread_mutex_lock(&p->lock);
		pthread_cond_broadcast(&p->start);
		pthread_mutex_unlock(&p->lock);
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
	size_t b, e;
	int i;
	if (n == 0)
		return;
	if (grain == 0)
		grain = 1;
	/* one thread, or too little work to share */
	if (!p || p->threads == 1 || n <= grain) {
		fn(arg, 0, n, 0);
		return;
	}
	p->fn = fn, p->arg = arg, p->n = n, p->grain = grain;
	atomic_store(&p->pending, p->threads - 1);
	atomic_fetch_add(&p->generation, 1); /* publishes the job */
	pthread_mutex_lock(&p->lock);
	if (p->sleeping_workers)
		pthread_cond_broadcast(&p->start);
	pthread_mutex_unlock(&p->lock);
	chunk(p, 0, &b, &e);
	if (b < e)
		fn(arg, b, e, 0);
	for (i = 0; atomic_load(&p->pending) > 0 && i < p->spin; i++)
		relax();
	if (atomic_load(&p->pending) > 0) {
		pthread_mutex_lock(&p->lock);
		p->main_sleeping = 1;
		while (atomic_load(&p->pending) > 0)
			pthread_cond_wait(&p->done, &p->lock);
		p->main_sleeping = 0;
		pthread_mutex_unlock(&p->lock);
	}
}
