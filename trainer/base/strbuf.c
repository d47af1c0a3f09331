/* strbuf.c - the growing string builder (strbuf.h). */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(dm_strbuf *b, size_t need, dm_error *err)
{
	size_t cap = need * 2;
	char *s;
	if (b->oom)
		return -1;
	if (!(s = realloc(b->s, cap))) {
		b->oom = 1;
		return err ? dm_fail(err, "out of memory (asked for %zu bytes)", cap) : -1;
	}
	b->s = s;
	b->cap = cap;
	return 0;
}

int dm_strbuf_add(dm_strbuf *b, const char *data, size_t n, dm_error *err)
{
	if (b->oom)
		return err ? dm_fail(err, "out of memory") : -1;
	if (b->len + n + 1 > b->cap && grow(b, b->len + n + 1, err))
		return -1;
	memcpy(b->s + b->len, data, n);
	b->len += n;
	b->s[b->len] = 0;
	return 0;
}

void dm_strbuf_printf(dm_strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	while (!b->oom) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if (b->s && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		if (grow(b, b->cap + (size_t)n + 1, NULL))
			return;
	}
}
