/* epoch.h - SOURCE_DATE_EPOCH, read by one rule.
 *
 * https://reproducible-builds.org/specs/source-date-epoch/: a whole number
 * of seconds since 1970-01-01 UTC, as "date +%s" prints it.  dpkg-deb
 * refuses a value it cannot parse ("unable to parse timestamp"), so a
 * package build with a garbage value fails there anyway; we refuse it
 * before training rather than record nothing and say nothing.  Empty is
 * unset, as dpkg-buildpackage treats it.
 */
#ifndef DM_EPOCH_H
#define DM_EPOCH_H

#include <stdint.h>

#include "error.h"

/* value is SOURCE_DATE_EPOCH as the caller read it (dm_ctx's
 * source_date_epoch; the library reads no environment).  1 and *out when
 * it is set, 0 when it is not (NULL or empty), -1 with a message when it is
 * not such a number. */
int dm_source_date_epoch(const char *value, uint64_t *out, dm_error *err);

#endif
