/* dep5.h - machine-readable copyright files (DEP-5), and where an installed
 * file comes from.
 *
 * DEP-5 is Debian's copyright-format 1.0
 * (https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/):
 * a header stanza with Format:, then Files: stanzas, each with a License:
 * whose first line (the synopsis) names the licence.  Files: patterns are
 * relative to the top of the source tree and separated by white space; only
 * '*' (any characters, '/' and leading dots included) and '?' (one
 * character) are wildcards, and a backslash escapes '*', '?' and itself.
 * The last Files: stanza that matches a file applies to it.
 */
#ifndef DM_DEP5_H
#define DM_DEP5_H

#include <stddef.h>

#include "../base/error.h"
#include "../recipe/deb822.h"

typedef struct dm_dep5_files {
	const char *patterns;   /* the Files: value */
	char *license;          /* the synopsis: first line of License:, or NULL */
	unsigned line;          /* of the Files: field */
	int catch_all;          /* one of its patterns is "*" */
} dm_dep5_files;

typedef struct dm_dep5 {
	dm_deb822 doc;
	int machine_readable;   /* the first stanza has a DEP-5 Format: */
	char problem[512];      /* why it is not machine-readable, for messages */
	dm_dep5_files *files;   /* the Files: stanzas, in order */
	size_t nfiles;
} dm_dep5;

/* Read a copyright file (at most 8 MiB).  -1 only when it cannot be read or
 * is not deb822 at all (the message names the file and the line).  A deb822
 * file that is not DEP-5 loads with machine_readable 0 and a problem text. */
int dm_dep5_read(const char *path, dm_dep5 *out, dm_error *err);
int dm_dep5_parse(const char *path, const char *text, size_t len, dm_dep5 *out,
		  dm_error *err);
void dm_dep5_free(dm_dep5 *c);

/* Does one DEP-5 pattern match a path?  1 yes, 0 no (a bad escape never
 * matches). */
int dm_dep5_glob(const char *pattern, const char *path);
/* The white space that separates the patterns of a Files: value. */
#define DM_DEP5_PATTERN_SPACE " \t\n\r\v\f"

/* The stanza that applies to a path of the source tree (the last that
 * matches), or NULL. */
const dm_dep5_files *dm_dep5_match(const dm_dep5 *c, const char *path);

/* The installed package that owns each absolute path, as "dpkg-query
 * --search" says: this runs dpkg-query (through PATH, with posix_spawnp; no
 * shell, stdin from /dev/null, stderr discarded, LC_ALL=C), since dpkg's
 * database is not an interface.  dpkg-query finds its database from root
 * and admindir, handed to it as DPKG_ROOT and DPKG_ADMINDIR in place of
 * this process's (NULL or empty: unset; dm_ctx's dpkg_root and
 * dpkg_admindir).  A path is matched exactly (its '*', '[', '?' and '\' escaped),
 * and so is its canonical form when it leads through a symbolic link;
 * relative paths are not looked up.  owners[i] is malloc'd, without the
 * ":ARCH" of a Multi-Arch package, or NULL when no package owns paths[i];
 * if several do, the first by name.  Diversions are not followed.  -1 when
 * dpkg-query cannot be run or fails, or when the database holds no package
 * at all (dpkg-query takes a missing database for an empty one). */
int dm_dpkg_owners(const char *root, const char *admindir, const char *const *paths,
		   size_t n, char **owners, dm_error *err);

/* Is package a build dependency in the source stanza of control (Build-
 * Depends, -Indep or -Arch, any alternative)?  1 yes, 0 no, -1 the file
 * cannot be read (err says why). */
int dm_control_build_depends(const char *control, const char *package, dm_error *err);

#endif
