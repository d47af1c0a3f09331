/* file.h - open and read an input file without ever waiting in open().
 *
 * Every file the trainer reads (a recipe, a policy, a licence list, a
 * copyright file, a dataset, a weights file, a provenance, a bundle,
 * upstream's blob) is named by someone else, and open() of a FIFO waits
 * for a writer, maybe forever, before any watchdog could run (a policy is
 * read before its Max-Wall-Time is known).  So inputs are opened with
 * O_NONBLOCK, which never waits, and then refused unless they are regular
 * files: a FIFO, a device, a socket or a directory is not a file that can
 * be read to its end and hashed.  What is hashed is exactly what is
 * returned.
 */
#ifndef DM_FILE_H
#define DM_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

/* The open file descriptor (O_RDONLY, O_CLOEXEC, blocking again), or -1
 * with *why set: strerror(errno), or "not a regular file (a FIFO)" and the
 * like. */
int dm_open_regular(const char *path, const char **why);

/* The same as a stdio stream ("rb"). */
FILE *dm_fopen_regular(const char *path, const char **why);

/* dm_open_regular with its error in err ("PATH: not a regular file (a
 * FIFO)"), and the size of the file opened in *size. */
int dm_open_sized(const char *path, uint64_t *size, dm_error *err);

/* Read fd (from dm_open_regular; where names it in messages) to its end,
 * at most max bytes: its SHA-256 in hex, and with body the bytes read
 * (malloc'd, a NUL after its *n bytes), so that what is used is what was
 * hashed.  A file whose size changes while it is read is an error. */
int dm_read_hashed(int fd, const char *where, uint64_t max, char hex[65], char **body,
		   size_t *n, dm_error *err);

/* dm_open_regular and dm_read_hashed in one: the file path read whole, at
 * most max bytes, and its SHA-256 in hex when hex is set. */
char *dm_read_regular(const char *path, uint64_t max, size_t *n, char hex[65], dm_error *err);

/* A text input read whole (a recipe, a policy, a licence list, a
 * copyright file) from f, opened by dm_fopen_regular, which it closes: at
 * most max bytes, malloc'd with a NUL after its *n bytes.  Errors: "PATH:
 * read error: WHY", or "PATH: " and too_big when the file has more than max
 * bytes ("larger than 1 MiB; expected a recipe"). */
char *dm_read_stream(FILE *f, const char *path, size_t max, const char *too_big, size_t *n,
		     dm_error *err);

#endif
