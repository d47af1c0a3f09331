/* license.h - which licences are free: the list, and licence expressions.
 *
 * The list of licence short names that count as DFSG-free is a data file
 * that the dh-model package ships (/usr/share/dh-model/free-licenses), not
 * code.  One entry per line:
 *
 *   PATTERN [TEXT]       a free licence (TEXT is a comment)
 *   !PATTERN TEXT        NOT free, and TEXT says why; a '!' line wins over
 *                        every other line, so that a broad free pattern can
 *                        never let CC-BY-NC-* through
 *
 * '#' starts a comment line.  PATTERN is a short name as in DEP-5 or SPDX,
 * with the wildcards * and ?.  Names compare without regard to case, and
 * the way DEP-5 says they are the same: "2.0.0" = "2.0" = "2" (trailing
 * dot-zeroes), and SPDX's "-or-later" = "+", "-only" = "".  A name that no
 * line matches is not known to be free, which for a verdict is the same as
 * not free.
 *
 * Expressions are DEP-5 License synopses: "GPL-2+ or Artistic-2.0, and
 * BSD-3-clause" ("and" binds tighter than "or" unless a comma precedes it),
 * "GPL-2+ with OpenSSL exception" (an exception adds permissions, so the
 * base licence decides), SPDX's upper-case AND/OR/WITH and parentheses.
 */
#ifndef DM_LICENSE_H
#define DM_LICENSE_H

#include <stddef.h>

#include "../base/error.h"

typedef struct dm_license_entry {
	char *pattern;   /* normalized (see dm_license_normalize) */
	char *text;      /* the comment, or why it is not free; "" if none */
	int not_free;    /* a '!' line */
	unsigned line;
} dm_license_entry;

typedef struct dm_license_list {
	char *path;
	char sha256[65];   /* of the list file, for the provenance */
	dm_license_entry *v;
	size_t n;
} dm_license_list;

/* Read a list; errors name the file and the line. */
int dm_license_list_read(const char *path, dm_license_list *out, dm_error *err);
int dm_license_list_parse(const char *path, const char *text, size_t len,
			  dm_license_list *out, dm_error *err);
void dm_license_list_free(dm_license_list *l);

/* The canonical form of one short name: lower case, "-or-later" -> "+",
 * "-only" -> "", trailing ".0"s of a version dropped ("Apache-2.0" ->
 * "apache-2", "GPL-2.0-or-later" -> "gpl-2+"). */
void dm_license_normalize(const char *name, char *out, size_t size);

/* Is one short name free?  1 free, 0 not free (a '!' line), -1 unknown (no
 * line matches).  *entry is the line that decided, or NULL. */
int dm_license_name_free(const dm_license_list *l, const char *name,
			 const dm_license_entry **entry);

/* Is an expression free?  Returns 1 or 0 (unknown counts as not free).
 * why gets one phrase for messages: for a free expression which licence
 * made it so ("Expat"); for one that is not, the licence that limits it
 * and the reason ("CC-BY-NC-4.0 is not free: non-commercial use only (DFSG
 * 6)", "Foo-1 is not in the list of free licences", "cannot read the
 * licence expression 'GPL-2 or': ..."). */
int dm_license_expr_free(const dm_license_list *l, const char *expr, char *why,
			 size_t size);

#endif
