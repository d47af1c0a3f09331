/* epoch.c - see epoch.h. */
#include "epoch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

int dm_source_date_epoch(const char *v, uint64_t *out, dm_error *err)
{
	unsigned long long t;
	char shown[48];
	if (!v || !*v)
		return 0;
	errno = 0;
	t = strtoull(v, NULL, 10);
	/* digits only: no sign, no blanks, no hex, below 2^63 */
	if (strspn(v, "0123456789") != strlen(v) || errno || t > INT64_MAX)
		return dm_fail(err, "SOURCE_DATE_EPOCH: expected a whole number of "
			       "seconds since 1970 (as date +%%s prints it), got '%s'",
			       dm_printable(v, shown, sizeof shown));
	*out = t;
	return 1;
}
