/* bundle.h - the reproducibility bundle: one deterministic tar.
 *
 * A POSIX ustar archive: members sorted by name, regular files of mode
 * 0644, owner and group 0 ("root"), mtime SOURCE_DATE_EPOCH (or 0), every
 * number in zero-padded octal, two zero blocks at the end and no padding
 * after them, so that the same inputs give the same bytes everywhere.  It
 * appears whole or not at all (a temporary file, fsync, rename).
 *
 * libarchive writes it.  libtar, which Debian removed in trixie, is an
 * optional second writer chosen at build time (DM_HAVE_LIBTAR, set by the
 * Makefile where <libtar.h> exists); it gives the same bytes, which
 * tests/c/test_output.c checks.  A bundle is read back with libarchive
 * only, never with libtar (see DESIGN.md: libtar's reader had
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
	size_t size;        /* < 8 GiB, ustar's limit */
} dm_bundle_member;

typedef enum dm_bundle_writer {
	DM_BUNDLE_LIBARCHIVE,
	DM_BUNDLE_LIBTAR     /* only when built with DM_HAVE_LIBTAR */
} dm_bundle_writer;

/* The writer that dm_bundle_write uses: libtar when built with it. */
extern const dm_bundle_writer dm_bundle_default_writer;

/* Write the members (sorted here; m is reordered) to path with the
 * default writer. */
int dm_bundle_write(const char *path, dm_bundle_member *m, size_t n,
		    uint64_t mtime, dm_error *err);

/* The same with a chosen writer; asking for libtar in a build without it
 * is an error that says so. */
int dm_bundle_write_with(dm_bundle_writer writer, const char *path,
			 dm_bundle_member *m, size_t n, uint64_t mtime,
			 dm_error *err);

#endif
