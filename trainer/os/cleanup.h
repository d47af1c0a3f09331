/* cleanup.h - what a signal handler removes before the process dies: the
 * temporary names of outputs being written (output/atomic.h).
 *
 * A handler for SIGINT, SIGTERM, SIGXCPU or SIGALRM can reach only what is
 * global, and the library keeps nothing global: so a registry is owned by
 * the program (the CLI has the process's one, a file-scope variable in
 * cli/main.c), handed to each job in its context (dm_ctx.cleanup), and
 * the job's writers enter themselves into it while they hold temporary
 * names.  Several jobs in one process share the program's registry; each
 * has its own entries.
 */
#ifndef DM_OS_CLEANUP_H
#define DM_OS_CLEANUP_H

#include <signal.h>

#define DM_CLEANUP_MAX 16

typedef struct dm_cleanup {
	struct dm_cleanup_entry {
		void (*fn)(void *arg);   /* async-signal-safe */
		void *arg;
		volatile sig_atomic_t state;   /* 0 free, 1 being filled, 2 in use */
	} entry[DM_CLEANUP_MAX];
} dm_cleanup;

/* Enter fn(arg) to be run by dm_cleanup_run; its slot, or -1 when all
 * DM_CLEANUP_MAX are taken.  Safe from several threads at once. */
int dm_cleanup_add(dm_cleanup *c, void (*fn)(void *), void *arg);
/* Take slot out again (a slot below 0 is ignored). */
void dm_cleanup_remove(dm_cleanup *c, int slot);
/* Run every entry: from a signal handler (async-signal-safe). */
void dm_cleanup_run(dm_cleanup *c);

#endif
