/* file.h - open an input file without ever waiting in open().
 *
 * Every file the trainer reads (a recipe, a policy, a licence list, a
 * copyright file, a dataset) is named by someone else, and open() of a
 * FIFO waits for a writer, maybe forever, before any watchdog could run (a
 * policy is read before its Max-Wall-Time is known).  So inputs are opened
 * with O_NONBLOCK, which never waits, and then refused unless they are
 * regular files: a FIFO, a device, a socket or a directory is not a file
 * that can be read to its end and hashed.
 */
#ifndef DM_FILE_H
#define DM_FILE_H

#include <stdio.h>

/* The open file descriptor (O_RDONLY, O_CLOEXEC, blocking again), or -1
 * with *why set: strerror(errno), or "not a regular file (a FIFO)" and the
 * like. */
int dm_open_regular(const char *path, const char **why);

/* The same as a stdio stream ("rb"). */
FILE *dm_fopen_regular(const char *path, const char **why);

#endif
