/* file.h - the one reader of input files.
 *
 * Every file that a user or a file from elsewhere names is opened here:
 * only a regular file is read (a FIFO, a device, a socket or a directory
 * is refused, and a FIFO never blocks the open), and what is hashed is
 * exactly what is returned.
 */
#ifndef DM_FILE_H
#define DM_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Open path for reading if it is a regular file; its size in *size.
 * Returns the descriptor, or -1. */
int dm_open_regular(const char *path, uint64_t *size, dm_error *err);

/* Read fd (size bytes, from dm_open_regular; where names it) to its end:
 * its SHA-256 in hex, and with body the bytes read (malloc'd, with room
 * for a NUL after them): what is used is what was hashed.  A file that is
 * not size bytes long any more is an error. */
int dm_read_hashed(int fd, uint64_t size, const char *where, char hex[65], char **body,
		   dm_error *err);

/* A regular file read whole, at most max bytes (malloc'd, with a NUL after
 * its *n bytes), and its SHA-256 in hex when hex is set. */
char *dm_read_regular(const char *path, uint64_t max, size_t *n, char hex[65], dm_error *err);

#endif
