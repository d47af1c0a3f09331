/* error.c - the error message buffer and checked allocation. */
#include "error.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int vfail(dm_error *err, int code, const char *fmt, va_list ap)
{
	if (err) {
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
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
	char prefix[512], old[sizeof err->msg];
	va_list ap;
	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof old);
	/* the precisions only bound the copy; truncation is acceptable here */
	snprintf(err->msg, sizeof err->msg, "%.500s: %.500s", prefix, old);
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
