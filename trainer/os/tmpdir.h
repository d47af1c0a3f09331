/* tmpdir.h - a private temporary directory, removed whatever happens.
 *
 * verify unpacks a bundle and retrains in a directory of its own under
 * $TMPDIR (mode 0700, from mkdtemp).  It must be gone afterwards, also
 * when the work fails, is stopped by a cap or interrupted by a signal:
 * dm_remove_tree() uses only async-signal-safe system calls, so that a
 * signal handler may call it.
 */
#ifndef DM_TMPDIR_H
#define DM_TMPDIR_H

#include <stddef.h>

#include "../base/error.h"

/* Create $TMPDIR/PREFIX.XXXXXX (or under /tmp) into buf. */
int dm_private_dir(const char *prefix, char *buf, size_t size, dm_error *err);

/* Remove dir and everything beneath it, without following symbolic links
 * (a link is removed, never what it points to).  Returns 0, or -1 when
 * something could not be removed.  Async-signal-safe. */
int dm_remove_tree(const char *dir);

#endif
