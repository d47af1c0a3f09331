/* dep5.c - DEP-5 copyright files, dpkg's file lists, Build-Depends. */
#include "dep5.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_COPYRIGHT (8u << 20)

static int read_text(const char *path, size_t max, char **text, size_t *len,
		     dm_error *err)
{
	FILE *f = fopen(path, "rb");
	size_t n;
	char *buf;
	if (!f)
		return dm_fail(err, "%s: cannot open: %s", path, strerror(errno));
	if (!(buf = dm_malloc(max + 1, err))) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f) || n > max) {
		int e = errno;
		fclose(f);
		free(buf);
		return n > max ? dm_fail(err, "%s: larger than %zu MiB", path, max >> 20)
			       : dm_fail(err, "%s: read error: %s", path, strerror(e));
	}
	fclose(f);
	buf[n] = 0;
	*text = buf;
	*len = n;
	return 0;
}

/* ---- patterns ---- */

int dm_dep5_glob(const char *p, const char *s)
{
	const char *star_p = NULL, *star_s = NULL;
	for (;;) {
		if (*p == '*') {
			star_p = ++p, star_s = s;
			continue;
		}
		if (*p == '\\' && p[1] != '*' && p[1] != '?' && p[1] != '\\')
			return 0; /* "any other character following a backslash is an error" */
		if (*s && (*p == '?' || (*p == '\\' ? p[1] == *s : *p && *p == *s))) {
			p += *p == '\\' ? 2 : 1;
			s++;
			continue;
		}
		if (!*s && !*p)
			return 1;
		if (!star_p || !*star_s)
			return 0;
		p = star_p, s = ++star_s;
	}
}

static int matches_any(const char *patterns, const char *path)
{
	char pat[4096];
	const char *q = patterns;
	while (*q) {
		size_t n;
		while (*q && isspace((unsigned char)*q))
			q++;
		n = strcspn(q, " \t\n\r");
		if (n == 0)
			break;
		if (n < sizeof pat) {
			memcpy(pat, q, n);
			pat[n] = 0;
			if (dm_dep5_glob(pat, path))
				return 1;
		}
		q += n;
	}
	return 0;
}

const dm_dep5_files *dm_dep5_match(const dm_dep5 *c, const char *path)
{
	size_t i = c->nfiles;
	if (!c->machine_readable)
		return NULL;
	while (i-- > 0)
		if (matches_any(c->files[i].patterns, path))
			return &c->files[i];
	return NULL;
}

/* ---- the file ---- */

static int dep5_format(const char *v)
{
	/* copyright-format/1.0, and the DEP-5 drafts' URLs that older packages use */
	return strstr(v, "copyright-format/1.0") || strstr(v, "dep.debian.net/deps/dep5") ||
	       strstr(v, "svn.debian.org/wsvn/dep/web/deps/dep5") ||
	       strstr(v, "anonscm.debian.org/viewvc/dep/web/deps/dep5");
}

int dm_dep5_parse(const char *path, const char *text, size_t len, dm_dep5 *c,
		  dm_error *err)
{
	const dm_field *fmt;
	size_t i;
	memset(c, 0, sizeof *c);
	if (dm_deb822_parse(path, text, len, &c->doc, err)) {
		/* free text, as copyright files were before DEP-5: not an error,
		 * only not machine-readable; a file that says it is DEP-5 but is
		 * not deb822 is broken, and the error names the line */
		size_t i = 0;
		while (i < len && (text[i] == '#' || text[i] == '\n'))
			i += text[i] == '#' ? strcspn(text + i, "\n") : 1;
		if (len - i >= 7 && !strncasecmp(text + i, "Format:", 7))
			return -1;
		snprintf(c->problem, sizeof c->problem, "%s is not machine-readable (not in the "
			 "deb822 format of copyright-format 1.0)", path);
		return 0;
	}
	if (c->doc.n == 0 || !(fmt = dm_stanza_get(&c->doc.stanzas[0], "Format")) ||
	    !dep5_format(fmt->value)) {
		snprintf(c->problem, sizeof c->problem, "%s is not machine-readable (its first "
			 "stanza has no Format: field of copyright-format 1.0)", path);
		return 0;
	}
	c->machine_readable = 1;
	for (i = 1; i < c->doc.n; i++) {
		const dm_stanza *s = &c->doc.stanzas[i];
		const dm_field *f = dm_stanza_get(s, "Files"), *l = dm_stanza_get(s, "License");
		dm_dep5_files *v, *e;
		if (!f)
			continue; /* a stand-alone License stanza */
		if (!(v = realloc(c->files, (c->nfiles + 1) * sizeof *v))) {
			dm_dep5_free(c);
			return dm_fail(err, "out of memory");
		}
		c->files = v;
		e = &v[c->nfiles++];
		memset(e, 0, sizeof *e);
		e->patterns = f->value;
		e->line = f->line;
		e->catch_all = matches_any(f->value, "") && matches_any(f->value, "x/y");
		if (l && *l->value) {
			size_t n = strcspn(l->value, "\n");
			if (!(e->license = dm_malloc(n + 1, err))) {
				dm_dep5_free(c);
				return -1;
			}
			memcpy(e->license, l->value, n);
			e->license[n] = 0;
		}
	}
	return 0;
}

int dm_dep5_read(const char *path, dm_dep5 *out, dm_error *err)
{
	char *text;
	size_t len;
	int rc;
	memset(out, 0, sizeof *out);
	if (read_text(path, MAX_COPYRIGHT, &text, &len, err))
		return -1;
	rc = dm_dep5_parse(path, text, len, out, err);
	free(text);
	return rc;
}

void dm_dep5_free(dm_dep5 *c)
{
	size_t i;
	for (i = 0; i < c->nfiles; i++)
		free(c->files[i].license);
	free(c->files);
	dm_deb822_free(&c->doc);
	memset(c, 0, sizeof *c);
}

/* ---- dpkg's database ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int dm_dpkg_owners(const char *admindir, const char *const *paths, size_t n,
		   char **owners, dm_error *err)
{
	char dir[PATH_MAX], file[PATH_MAX + 256], **names = NULL, **canon = NULL;
	size_t nnames = 0, i, k;
	DIR *d;
	struct dirent *ent;
	char *line = NULL;
	size_t cap = 0;
	int rc = -1;
	for (i = 0; i < n; i++)
		owners[i] = NULL;
	if (n == 0)
		return 0;
	snprintf(dir, sizeof dir, "%s/info", admindir);
	if (!(d = opendir(dir)))
		return dm_fail(err, "%s: cannot read dpkg's database: %s", dir, strerror(errno));
	/* the lists in name order, so that the answer never depends on readdir */
	while ((ent = readdir(d))) {
		size_t len = strlen(ent->d_name);
		char **v;
		if (len < 6 || strcmp(ent->d_name + len - 5, ".list"))
			continue;
		if (!(v = realloc(names, (nnames + 1) * sizeof *v)) ||
		    !(v[nnames] = strdup(ent->d_name))) {
			if (v)
				names = v;
			dm_fail(err, "out of memory");
			closedir(d);
			goto out;
		}
		names = v;
		nnames++;
	}
	closedir(d);
	qsort(names, nnames, sizeof *names, cmp_str);
	/* a path may name a file through a symbolic link: also look for its
	 * canonical form */
	if (!(canon = dm_calloc(n, sizeof *canon, err)))
		goto out;
	for (i = 0; i < n; i++)
		canon[i] = realpath(paths[i], NULL);
	for (k = 0; k < nnames; k++) {
		FILE *f;
		ssize_t got;
		size_t left = 0;
		for (i = 0; i < n; i++)
			left += owners[i] == NULL;
		if (!left)
			break;
		snprintf(file, sizeof file, "%s/%s", dir, names[k]);
		if (!(f = fopen(file, "r")))
			continue; /* removed while we read: as dpkg -S, skip it */
		while ((got = getline(&line, &cap, f)) > 0) {
			if (line[got - 1] == '\n')
				line[--got] = 0;
			for (i = 0; i < n; i++) {
				if (owners[i] || !(strcmp(line, paths[i]) == 0 ||
						   (canon[i] && strcmp(line, canon[i]) == 0)))
					continue;
				{
					size_t plen = strlen(names[k]) - 5;
					char *colon = memchr(names[k], ':', plen);
					if (colon)
						plen = (size_t)(colon - names[k]);
					if (!(owners[i] = dm_malloc(plen + 1, err))) {
						fclose(f);
						goto out;
					}
					memcpy(owners[i], names[k], plen);
					owners[i][plen] = 0;
				}
			}
		}
		fclose(f);
	}
	rc = 0;
out:
	free(line);
	for (k = 0; k < nnames; k++)
		free(names[k]);
	free(names);
	for (i = 0; canon && i < n; i++)
		free(canon[i]);
	free(canon);
	if (rc)
		for (i = 0; i < n; i++)
			free(owners[i]), owners[i] = NULL;
	return rc;
}

/* ---- Build-Depends ---- */

static int relation_names(const char *v, const char *package)
{
	const char *s = v;
	size_t plen = strlen(package);
	while (*s) {
		size_t n;
		while (*s && (isspace((unsigned char)*s) || *s == ',' || *s == '|'))
			s++;
		/* a name ends at a space, '(' version, '[' arch, '<' profile or ':' arch */
		n = strcspn(s, " \t\n(<[:,|");
		if (n == plen && !strncmp(s, package, n))
			return 1;
		s += strcspn(s, ",|");
	}
	return 0;
}

int dm_control_build_depends(const char *control, const char *package, dm_error *err)
{
	static const char *fields[] = {"Build-Depends", "Build-Depends-Indep", "Build-Depends-Arch"};
	dm_deb822 d;
	char *text;
	size_t len, i;
	int found = 0;
	if (read_text(control, 1u << 20, &text, &len, err))
		return -1;
	if (dm_deb822_parse(control, text, len, &d, err)) {
		free(text);
		return -1;
	}
	free(text);
	for (i = 0; d.n && i < sizeof fields / sizeof fields[0]; i++) {
		const dm_field *f = dm_stanza_get(&d.stanzas[0], fields[i]);
		if (f && relation_names(f->value, package))
			found = 1;
	}
	dm_deb822_free(&d);
	return found;
}
