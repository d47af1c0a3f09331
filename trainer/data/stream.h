/* stream.h - read one dataset file through libarchive, never unpacking it.
 *
 * A dataset path is one of
 *   file              a plain file, or one compressed file (.gz .xz .bz2 .zst ...)
 *   archive:member    a member of a tar.* or zip archive, e.g. data.tar.xz:train.csv
 * Relative paths are relative to the current directory (the source package's
 * top directory when dh runs).  A path that exists as a file is always taken
 * whole, so file names with ':' in them still work.  Only regular files
 * are read: a FIFO or a device is refused at once (base/file.h).
 *
 * While it streams, the reader hashes the bytes of the file on disk (the
 * archive itself for a member) so that the provenance can name them, and it
 * counts the decompressed bytes against a cap (decompression bombs).
 */
#ifndef DM_STREAM_H
#define DM_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../base/error.h"

typedef struct dm_data_limits {
	uint64_t max_bytes;   /* decompressed bytes per file; 0 = no cap */
	uint64_t max_members; /* archive entries looked at to find a member; 0 = no cap */
	/* the wall-clock watchdog: reading fails (exit code 4) once
	 * CLOCK_MONOTONIC passes deadline (seconds; 0 = none); max_wall_time
	 * is the limit it comes from, for the message */
	double deadline, max_wall_time;
} dm_data_limits;

typedef struct dm_stream dm_stream;

/* Open PATH (see above).  On failure returns NULL with a message that names
 * the path: "data/x.tar.xz: no member 'train.csv' in the archive", ... */
dm_stream *dm_stream_open(const char *path, const dm_data_limits *limits,
			  dm_error *err);

/* Read up to n decompressed bytes.  Returns the count, 0 at the end, -1 on
 * error (a truncated or corrupt file, the byte cap reached). */
ptrdiff_t dm_stream_read(dm_stream *s, void *buf, size_t n, dm_error *err);

/* Read exactly n bytes; reaching the end first is an error that says how
 * many bytes were expected and how many there were. */
int dm_stream_read_exact(dm_stream *s, void *buf, size_t n, const char *what,
			 dm_error *err);

/* Next text line, without its "\n", "\r\n" or lone "\r" (old Mac files;
 * the three ends Python's universal newlines know), NUL-terminated, and
 * without a UTF-8 byte order mark at the start of line 1.  *line points
 * into the stream's own buffer, valid until the next call.  Returns 1 with a
 * line, 0 at the end, -1 on error (a line longer than 1 MiB, a NUL byte). */
int dm_stream_getline(dm_stream *s, char **line, size_t *len, dm_error *err);

/* 1-based number of the line that dm_stream_getline returned last. */
uint64_t dm_stream_lineno(const dm_stream *s);
/* Decompressed bytes read so far. */
uint64_t dm_stream_bytes(const dm_stream *s);
/* The path as given to dm_stream_open, for messages. */
const char *dm_stream_path(const dm_stream *s);

/* Finish: read the rest of the file on disk for its hash, write the
 * SHA-256 of the whole file (64 hex digits) to sha256_hex if not NULL, and
 * free everything.  Returns 0, or -1 if the file could not be read to its
 * end.  Always frees s. */
int dm_stream_close(dm_stream *s, char sha256_hex[65], dm_error *err);

/* The file on disk that a dataset path names, by the rule above: *file is
 * malloc'd; *member points into path (NULL for a whole file). */
int dm_data_file_of(const char *path, char **file, const char **member,
		    dm_error *err);

/* Free without hashing (on an error path).  NULL is fine. */
void dm_stream_abort(dm_stream *s);

#endif
