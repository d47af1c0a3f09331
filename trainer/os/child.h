/* child.h - work done in a child process, with the signals that arrive
 * meanwhile passed on to it and held back from the parent until the parent
 * has cleaned up.
 *
 * verify (job/verify.c) retrains in a child that the sandbox restricts,
 * in a private directory that the parent removes whatever became of the
 * child.  The signal handler and the child's pid it needs are process-wide
 * state, kept here in os/.
 */
#ifndef DM_OS_CHILD_H
#define DM_OS_CHILD_H

#include <signal.h>

#include "../base/error.h"

/* From dm_forward_begin to dm_forward_end, SIGINT, SIGTERM and SIGHUP are
 * caught: passed on to the child of dm_in_child while one runs, and
 * remembered.  dm_forward_end puts the old handlers back and then raises
 * the signal that was caught, if any, for the caller's handler (or the
 * default action), with nothing left behind. */
typedef struct dm_forward {
	struct sigaction old[3];
} dm_forward;
void dm_forward_begin(dm_forward *f);
int dm_forward_caught(void);
void dm_forward_end(const dm_forward *f);

/* Run fn(arg, err) in a child process and return what it returned, its
 * error coming back through a pipe.  The child dies with the parent, and a
 * forwarded signal ends it at once.  A child that ends without a word (a
 * cap's handler, a signal) is an error: "WHAT ended with exit status N",
 * "WHAT was killed by signal N (NAME)". */
int dm_in_child(int (*fn)(void *arg, dm_error *err), void *arg, const char *what,
		dm_error *err);

#endif
