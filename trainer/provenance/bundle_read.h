/* bundle_read.h - reading a reproducibility bundle, which anyone may have
 * written.
 *
 * A bundle (output/bundle.h) is read with libarchive only, and only what
 * dm_bundle writes is accepted: regular files named NAME.json, NAME.md,
 * NAME.models and NAME.safetensors for one NAME that follows the rule of a
 * recipe's Model: field, and data/FILE for at most DM_BUNDLE_MAX_DATA
 * FILEs that follow the file-name rule (base/text.h); each once, at most 4
 * GiB, not sparse.  No link, no directory, no other member.
 */
#ifndef DM_BUNDLE_READ_H
#define DM_BUNDLE_READ_H

#include <stddef.h>

#include "../base/error.h"

#define DM_BUNDLE_MAX_DATA 32

enum { DM_BUNDLE_JSON = 1, DM_BUNDLE_CARD = 2, DM_BUNDLE_RECIPE = 4, DM_BUNDLE_WEIGHTS = 8 };

typedef struct dm_bundle_contents {
	char model[65];             /* NAME */
	unsigned have;              /* DM_BUNDLE_* bits */
	char data[DM_BUNDLE_MAX_DATA][256];
	size_t ndata;
} dm_bundle_contents;

/* Unpack the bundle at path into the directory open as dirfd: NAME.* in
 * it, data files in a directory data/ that this creates.  Files are created
 * with openat(), exclusively, without following links, so nothing can be
 * written anywhere else.  On an error, what was written stays for the
 * caller to remove with the directory. */
int dm_bundle_unpack(const char *path, int dirfd, dm_bundle_contents *out, dm_error *err);

#endif
