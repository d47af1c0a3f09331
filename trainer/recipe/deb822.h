/* deb822.h - RFC-822-style control files, as Debian uses them.
 *
 * Stanzas are separated by blank lines.  A field is "Name: value"; lines
 * that start with a space or a tab continue the value (" ." is an empty
 * line); lines that start with '#' are comments.  Field names compare
 * without regard to case.  Every field remembers its line for messages.
 */
#ifndef DM_DEB822_H
#define DM_DEB822_H

#include <stddef.h>

#include "../base/error.h"

typedef struct dm_field {
	char *name;
	char *value;    /* continuation lines joined with '\n' */
	unsigned line;
} dm_field;

typedef struct dm_stanza {
	dm_field *fields;
	size_t n;
	unsigned line;  /* of its first field */
} dm_stanza;

typedef struct dm_deb822 {
	char *path;
	dm_stanza *stanzas;
	size_t n;
} dm_deb822;

/* Parse text[0..len) that came from path (used in messages). */
int dm_deb822_parse(const char *path, const char *text, size_t len,
		    dm_deb822 *out, dm_error *err);
/* Read and parse a file of at most 1 MiB. */
int dm_deb822_read(const char *path, dm_deb822 *out, dm_error *err);
void dm_deb822_free(dm_deb822 *d);

const dm_field *dm_stanza_get(const dm_stanza *s, const char *name);

#endif
