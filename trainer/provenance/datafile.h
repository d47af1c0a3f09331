/* datafile.h - the data files a provenance names, found and checked.
 *
 * What verify and bundle may open, besides the file on their command line,
 * is decided here: only a data file that the provenance records with a
 * SHA-256, at a relative path below the data directory that the user
 * gives (never above it through ".."), or at its recorded absolute path;
 * only a regular file (a FIFO, a device or a directory is refused, and
 * never blocks the open); and nothing of it is used before its SHA-256 is
 * the recorded one.
 */
#ifndef DM_DATAFILE_H
#define DM_DATAFILE_H

#include <stddef.h>
#include <stdint.h>

#include "../base/error.h"
#include "../base/file.h"
#include "record.h"

typedef struct dm_data_found {
	char *file;          /* the file on disk (malloc'd) */
	char *path;          /* the dataset path to train on: file, or file:member (malloc'd) */
	const char *member;  /* the member of an archive (into path), or NULL */
	const char *name;    /* the file's last component (into file) */
} dm_data_found;

/* Where data file d is: below dir (".": the current directory) when its
 * path is relative, as recorded when it is absolute.  Nothing is opened;
 * the split into an archive and its member follows dm_data_file_of. */
int dm_data_find(const dm_record_data *d, const char *dir, dm_data_found *f, dm_error *err);
void dm_data_found_free(dm_data_found *f);

/* hex against the recorded want: an error (code DM_EXIT_DIFFER: not the
 * data the model was trained on) that names the recorded path what and,
 * when it is another, the file where it was found. */
int dm_data_compare(const char *what, const char *where, const char *hex, const char *want,
		    dm_error *err);

/* Open, read and compare in one. */
int dm_data_check_file(const char *where, const char *what, const char *want, dm_error *err);

#endif
