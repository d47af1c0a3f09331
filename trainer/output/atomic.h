/* atomic.h - output files appear whole or not at all.
 *
 * Each file is written into an unnamed file (O_TMPFILE) in the target's
 * directory, flushed with fsync, and only then given a name: linked
 * straight to the final name if there is none yet, else linked to a
 * temporary name and renamed over the final name; then the directory is
 * synced.  A process killed while writing, even by SIGKILL, leaves
 * nothing: the kernel frees an unnamed file.  Where the file system or
 * the kernel has no O_TMPFILE, the data is written to a named temporary
 * file in the same directory instead, then renamed the same way.  If
 * anything fails, the temporary file is removed and the old file (if any)
 * stays as it was.  atomic.c says why.
 *
 * The state of the writes, the temporary name and the set being staged,
 * is the caller's: a dm_atomic, one per job (or thread).  Made with a
 * registry (os/cleanup.h), it is entered there, and a signal handler that
 * runs the registry (the CLI's, for SIGINT, SIGTERM and the caps) calls
 * dm_atomic_cleanup() on it, so that a temporary name (the named way's,
 * or the instant between link and rename) is not left behind.
 */
#ifndef DM_ATOMIC_H
#define DM_ATOMIC_H

#include <stddef.h>

#include "../base/error.h"

struct dm_cleanup;
typedef struct dm_atomic dm_atomic;

/* A writer's state, entered into registry (NULL: none) until
 * dm_atomic_free, which also drops a set left open. */
dm_atomic *dm_atomic_new(struct dm_cleanup *registry, dm_error *err);
void dm_atomic_free(dm_atomic *a);

/* Write n bytes from data to path atomically.  Errors name the path and
 * the system error ("out/m.safetensors: write: No space left on device").
 * a may be NULL for a write outside any set that no handler cleans up. */
int dm_atomic_write(dm_atomic *a, const char *path, const void *data, size_t n,
		    dm_error *err);

/* Same, for data given as a list of pieces (header, then tensor bytes...). */
typedef struct dm_piece {
	const void *data;
	size_t n;
} dm_piece;
int dm_atomic_writev(dm_atomic *a, const char *path, const dm_piece *pieces, size_t count,
		     dm_error *err);

/* A set of files that replaces the previous set whole: a model's weights
 * and its provenance.  Between dm_atomic_begin() and dm_atomic_commit(),
 * dm_atomic_write and dm_atomic_writev only stage their file (written,
 * synced, under a hidden name); a failure there leaves every old file as
 * it was.  dm_atomic_commit() puts the staged files in place in the
 * reverse order of staging, so that the first file staged comes last (the
 * commit point), and if a step fails puts the others back: the old set
 * stays whole, or the message says under which hidden name an old file was
 * kept.  A SIGKILL between two of its renames can leave the later files
 * new and the commit point old (atomic.c says why and how a reader
 * tells).  dm_atomic_abort()
 * drops what was staged.  At most DM_ATOMIC_SET_MAX files a set. */
#define DM_ATOMIC_SET_MAX 4
void dm_atomic_begin(dm_atomic *a);
int dm_atomic_commit(dm_atomic *a, dm_error *err);
void dm_atomic_abort(dm_atomic *a);

/* Remove a's temporary file that is being written now, and the files of a
 * set being staged.  Async-signal-safe. */
void dm_atomic_cleanup(dm_atomic *a);

#endif
