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
 * stays as it was.  A signal handler in the CLI calls dm_atomic_cleanup()
 * so that a temporary name (the named way's, or the instant between link
 * and rename) is not left behind by SIGINT or SIGTERM.  atomic.c says why.
 */
#ifndef DM_ATOMIC_H
#define DM_ATOMIC_H

#include <stddef.h>

#include "../base/error.h"

/* Write n bytes from data to path atomically.  Errors name the path and
 * the system error ("out/m.safetensors: write: No space left on device"). */
int dm_atomic_write(const char *path, const void *data, size_t n,
		    dm_error *err);

/* Same, for data given as a list of pieces (header, then tensor bytes...). */
typedef struct dm_piece {
	const void *data;
	size_t n;
} dm_piece;
int dm_atomic_writev(const char *path, const dm_piece *pieces, size_t count,
		     dm_error *err);

/* Remove any temporary file that is being written now.  Async-signal-safe. */
void dm_atomic_cleanup(void);

#endif
