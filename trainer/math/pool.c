/* pool.c - worker threads that sleep on a condition variable between jobs. */
#include "pool.h"

#include <pthread.h>
#include <stdlib.h>

struct dm_pool {
	int threads;
	pthread_t *tid;
	pthread_mutex_t lock;
	pthread_cond_t start, done;
	unsigned long generation; /* bumped once per job */
	int pending;              /* workers still busy with the current job */
	int quit;
	/* the current job */
	dm_pool_fn fn;
	void *arg;
	size_t n, grain;
};

typedef struct worker_arg {
	dm_pool *pool;
	int index;
} worker_arg;

static void chunk(const dm_pool *p, int i, size_t *begin, size_t *end)
{
	size_t units = (p->n + p->grain - 1) / p->grain;
	size_t per = units / (size_t)p->threads, extra = units % (size_t)p->threads;
	size_t u0 = (size_t)i * per + ((size_t)i < extra ? (size_t)i : extra);
	size_t u1 = u0 + per + ((size_t)i < extra);
	*begin = u0 * p->grain;
	*end = u1 * p->grain < p->n ? u1 * p->grain : p->n;
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
		pthread_mutex_lock(&p->lock);
		while (p->generation == seen && !p->quit)
			pthread_cond_wait(&p->start, &p->lock);
		if (p->quit) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		seen = p->generation;
		pthread_mutex_unlock(&p->lock);
		chunk(p, index, &b, &e);
		if (b < e)
			p->fn(p->arg, b, e, index);
		pthread_mutex_lock(&p->lock);
		if (--p->pending == 0)
			pthread_cond_signal(&p->done);
		pthread_mutex_unlock(&p->lock);
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
		pthread_mutex_lock(&p->lock);
		p->quit = 1;
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
	if (n == 0)
		return;
	if (grain == 0)
		grain = 1;
	/* one thread, or too little work to share */
	if (!p || p->threads == 1 || n <= grain) {
		fn(arg, 0, n, 0);
		return;
	}
	pthread_mutex_lock(&p->lock);
	p->fn = fn, p->arg = arg, p->n = n, p->grain = grain;
	p->pending = p->threads - 1;
	p->generation++;
	pthread_cond_broadcast(&p->start);
	pthread_mutex_unlock(&p->lock);
	chunk(p, 0, &b, &e);
	if (b < e)
		fn(arg, b, e, 0);
	pthread_mutex_lock(&p->lock);
	while (p->pending > 0)
		pthread_cond_wait(&p->done, &p->lock);
	pthread_mutex_unlock(&p->lock);
}
