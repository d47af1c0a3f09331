/* sandbox.h - once its inputs are read, the trainer cannot reach the
 * network or write outside its output directory.
 *
 * Two kernel mechanisms, each used where the kernel has it:
 *   - Landlock (Linux 5.13+): every right that writes (create, write,
 *     truncate, remove, rename, link) is taken away except beneath the
 *     output directory (and /dev/null, which child processes use);
 *     reading stays allowed.
 *   - seccomp (libseccomp): socket() fails with EACCES, so no network
 *     connection can be made, whatever a bug does.
 * Both are inherited by any child process and cannot be undone.  Where the
 * kernel lacks them, the trainer goes on without, and says so.
 */
#ifndef DM_SANDBOX_H
#define DM_SANDBOX_H

#include <stddef.h>

#include "../base/error.h"

/* Restrict this process for good.  Returns 0 and describes what applied
 * in what ("Landlock ABI 7, seccomp"), or -1 if a mechanism that the
 * kernel has failed to apply. */
int dm_sandbox(const char *output_dir, char *what, size_t size, dm_error *err);

/* Whether dm_sandbox has restricted this process. */
int dm_sandbox_applied(void);

#endif
