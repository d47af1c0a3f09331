/* strbuf.h - the one growing string builder: text made piece by piece
 * (the model card, the recipe given back from a provenance).  s is always
 * NUL-terminated once anything was added; after a failed allocation the
 * builder keeps what it had, adds nothing more and says so in oom. */
#ifndef DM_STRBUF_H
#define DM_STRBUF_H

#include <stddef.h>

#include "error.h"

typedef struct dm_strbuf {
	char *s;       /* malloc'd; the caller frees it */
	size_t len, cap;
	int oom;
} dm_strbuf;

/* Add n bytes of data.  -1 when memory runs out: then err (if set) says
 * "out of memory (asked for N bytes)". */
int dm_strbuf_add(dm_strbuf *b, const char *data, size_t n, dm_error *err);

/* Add printf's output. */
__attribute__((format(printf, 2, 3)))
void dm_strbuf_printf(dm_strbuf *b, const char *fmt, ...);

#endif
