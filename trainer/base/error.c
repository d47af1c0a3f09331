/* error.c - the error message buffer and checked allocation. */
#include "error.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* Messages quote names and text from files from elsewhere: they are made
 * printable here, once for all, so that every message is one line with no
 * control character in it, whatever the file held. */
static int vfail(dm_error *err, int code, const char *fmt, va_list ap)
{
	char raw[sizeof err->msg];
	if (err) {
		vsnprintf(raw, sizeof raw, fmt, ap);
		dm_printable(raw, err->msg, sizeof err->msg);
		err->code = code;
	}
	return -1;
}

int dm_fail(dm_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(err, DM_EXIT_ERROR, fmt, ap);
	va_end(ap);
	return -1;
}

int dm_fail_code(dm_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

int dm_error_prefix(dm_error *err, const char *fmt, ...)
{
	char prefix[512], joined[sizeof prefix + sizeof err->msg + 2];
	va_list ap;
	int n;
	if (!err)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	if (n < 0)
		prefix[0] = 0;
	snprintf(joined, sizeof joined, "%s: %s", prefix, err->msg);
	/* cut at a character boundary, if need be */
	dm_printable(joined, err->msg, sizeof err->msg);
	return -1;
}

void *dm_malloc(size_t n, dm_error *err)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		dm_fail(err, "out of memory (asked for %zu bytes)", n);
	return p;
}

void *dm_calloc(size_t count, size_t size, dm_error *err)
{
	void *p;
	if (size && count > SIZE_MAX / size) {
		dm_fail(err, "out of memory (asked for %zu x %zu bytes)", count, size);
		return NULL;
	}
	p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		dm_fail(err, "out of memory (asked for %zu x %zu bytes)", count, size);
	return p;
}

float *dm_alloc_floats(size_t count, dm_error *err)
{
	void *p = NULL;
	size_t bytes;
	if (count > (SIZE_MAX - 64) / sizeof(float)) {
		dm_fail(err, "out of memory (asked for %zu floats)", count);
		return NULL;
	}
	/* round up so that the size is a multiple of the alignment */
	bytes = (count * sizeof(float) + 63) & ~(size_t)63;
	if (bytes == 0)
		bytes = 64;
	if (posix_memalign(&p, 64, bytes) != 0) {
		dm_fail(err, "out of memory (asked for %zu bytes)", bytes);
		return NULL;
	}
	memset(p, 0, bytes);
	return p;
}

char *dm_strdup(const char *s, dm_error *err)
{
	size_t n = strlen(s) + 1;
	char *p = dm_malloc(n, err);
	if (p)
		memcpy(p, s, n);
	return p;
}
