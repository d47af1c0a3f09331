/* bundle_writers.h - the tar writers behind dm_bundle_write (bundle.c).
 *
 * Each writes the members, already checked and sorted, as the ustar
 * archive that bundle.h describes, to fd, from its current position.  It
 * neither closes nor syncs fd.  Errors say what failed, without the path,
 * which the caller adds.
 */
#ifndef DM_BUNDLE_WRITERS_H
#define DM_BUNDLE_WRITERS_H

#include "bundle.h"

int dm_bundle_libarchive(int fd, const dm_bundle_member *m, size_t n,
			 uint64_t mtime, dm_error *err);

#ifdef DM_HAVE_LIBTAR
int dm_bundle_libtar(int fd, const dm_bundle_member *m, size_t n,
		     uint64_t mtime, dm_error *err);
#endif

#endif
