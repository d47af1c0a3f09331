/* bundle.h - the reproducibility bundle: one deterministic tar.
 *
 * Written with libtar: members sorted by name, regular files of mode 0644,
 * owner and group 0 ("root"), mtime SOURCE_DATE_EPOCH (or 0), GNU format,
 * so that the same inputs give the same bytes everywhere.  It appears whole
 * or not at all (a temporary file, fsync, rename).  It is read back with
 * libarchive, never with libtar (see DESIGN.md: libtar's reader had
 * CVE-2021-33643..33646).
 */
#ifndef DM_BUNDLE_H
#define DM_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "../base/error.h"

typedef struct dm_bundle_member {
	const char *name;   /* "NAME.json", "data/train.csv", ... (< 100 bytes) */
	const void *data;
	size_t size;
} dm_bundle_member;

/* Write the members (sorted here; m is reordered) to path. */
int dm_bundle_write(const char *path, dm_bundle_member *m, size_t n,
		    uint64_t mtime, dm_error *err);

#endif
