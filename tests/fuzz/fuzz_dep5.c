/* fuzz_dep5.c - machine-readable copyright files (licensing/dep5.c).  The input
 * is a debian/copyright file, which the trainer reads from the source tree
 * next to a recipe, and from /usr/share/doc/PACKAGE/ for installed data.
 *
 * It goes through dm_dep5_parse on a copy of exactly its size (no NUL after
 * it: a read past the end is an ASan report) and, for one input in four,
 * dm_dep5_read (the memfd, as the trainer reads a file); both must agree.  Then what dep5.h promises:
 *
 *   - an error is one line that names the file and the line;
 *   - a file that is not DEP-5 has a one-line problem and no stanzas; one
 *     that is has one dm_dep5_files per Files: stanza, in order, with its
 *     field's value and line, the synopsis (the License: field's first
 *     line, or NULL), and catch_all set exactly when a pattern is all '*';
 *   - dm_dep5_glob (on exact-size copies) agrees with a reference matcher
 *     written from the specification, for every pattern of the file against
 *     paths made from the patterns themselves, and dm_dep5_match returns
 *     the last stanza that the reference says matches;
 *   - each synopsis, as the verdict does, goes through dm_license_expr_free
 *     against the shipped list, and its reason is one line;
 *   - the same bytes as a debian/control: dm_control_build_depends fails
 *     exactly when the deb822 parser does, and says yes only for a package
 *     that is named in a Build-Depends* field of the first stanza.
 *
 * dm_dpkg_owners runs dpkg-query, a program: it is not fuzzed.
 */
#include <ctype.h>

#include "fuzz_common.h"
#include "fuzz_licenses.h"
#include "recipe/deb822.h"
#include "licensing/dep5.h"

#define MAX_PATTERN 4096   /* dep5.c: a longer pattern matches nothing */
#define MAX_PATHS 16
#define MAX_PATH_LEN 256
#define MAX_TOKENS 48

/* The reference code is not what is fuzzed: no coverage of its own to
 * steer the fuzzer (and it runs faster). */
#define REFERENCE __attribute__((no_sanitize("coverage")))

/* ---- a reference matcher, from copyright-format 1.0 ---- */

/* Patterns are separated by white space. */
REFERENCE static int ws(char c)
{
	return isspace((unsigned char)c);
}

/* Does pattern p[0..n) match s?  '*' any string ('/' and leading dots
 * too), '?' one character, "\*" "\?" "\\" those characters; any other
 * character after a backslash, or one at the end, is an error: no match.
 * A table of which prefixes of s the pattern read so far matches. */
REFERENCE static int ref_glob(const char *p, size_t n, const char *s)
{
	size_t m = strlen(s), i, j;
	unsigned char rows[2][1024], *row = rows[0], *next = rows[1], *t;
	int result;
	if (m >= sizeof rows[0]) {
		row = calloc(m + 1, 1), next = calloc(m + 1, 1);
		FUZZ_CHECK(row && next);
	} else {
		memset(row, 0, m + 1);
	}
	row[0] = 1;
	for (i = 0; i < n; i++) {
		int any = 0, star = 0;
		char lit = 0;
		if (p[i] == '*') {
			star = 1;
		} else if (p[i] == '?') {
			any = 1;
		} else if (p[i] == '\\') {
			if (i + 1 >= n || (p[i + 1] != '*' && p[i + 1] != '?' && p[i + 1] != '\\')) {
				row[m] = 0;
				break;
			}
			lit = p[++i];
		} else {
			lit = p[i];
		}
		unsigned char alive = 0;
		if (star) {
			unsigned char seen = 0;
			for (j = 0; j <= m; j++)
				alive |= next[j] = seen = seen | row[j];
		} else {
			next[0] = 0;
			for (j = 1; j <= m; j++)
				alive |= next[j] = row[j - 1] && (any || s[j - 1] == lit);
		}
		t = row, row = next, next = t;
		if (!alive)
			break; /* no prefix matches: no match */
	}
	result = row[m];
	if (m >= sizeof rows[0])
		free(row), free(next);
	return result;
}

typedef struct token {
	const char *p;
	size_t n;
} token;

/* The patterns of a Files: value. */
REFERENCE static size_t tokens(const char *v, token *out, size_t max)
{
	size_t k = 0;
	while (*v) {
		size_t n = 0;
		while (*v && ws(*v))
			v++;
		while (v[n] && !ws(v[n]))
			n++;
		if (!n)
			break;
		if (k < max)
			out[k].p = v, out[k].n = n;
		k++;
		v += n;
	}
	return k;
}

/* Does one of the patterns of a Files: value match s? */
REFERENCE static int ref_any(const char *v, const char *s)
{
	token t[1];
	for (; tokens(v, t, 1); v = t[0].p + t[0].n)
		if (t[0].n < MAX_PATTERN && ref_glob(t[0].p, t[0].n, s))
			return 1;
	return 0;
}

/* A path that pattern p[0..n) must match: each '*' made "" or "d/"
 * (alternately), '?' 'q', the escapes resolved.  NULL for a bad escape. */
REFERENCE static char *instance(const char *p, size_t n, int stars_as)
{
	char *s = malloc(2 * n + 1), *q = s;
	size_t i;
	FUZZ_CHECK(s != NULL);
	for (i = 0; i < n; i++) {
		if (p[i] == '*') {
			if ((stars_as++ & 1)) {
				*q++ = 'd';
				*q++ = '/';
			}
		} else if (p[i] == '?') {
			*q++ = 'q';
		} else if (p[i] == '\\') {
			if (i + 1 >= n || (p[i + 1] != '*' && p[i + 1] != '?' && p[i + 1] != '\\')) {
				free(s);
				return NULL;
			}
			*q++ = p[++i];
		} else {
			*q++ = p[i];
		}
	}
	*q = 0;
	return s;
}

/* A heap copy of exactly strlen(s) + 1 bytes: ASan sees any read past it. */
static char *exact(const char *s, size_t n)
{
	char *c = malloc(n + 1);
	FUZZ_CHECK(c != NULL);
	memcpy(c, s, n);
	c[n] = 0;
	return c;
}

/* ---- the checks ---- */

static void check_error(const dm_error *err, const char *path)
{
	fuzz_check_message(err->msg);
	if (strncmp(err->msg, "out of memory", 13) == 0)
		return;
	if (strncmp(err->msg, path, strlen(path)) != 0 || !strstr(err->msg, ": line ")) {
		fprintf(stderr, "the message: \"%s\"\n", err->msg);
		FUZZ_CHECK(strncmp(err->msg, path, strlen(path)) == 0);
		FUZZ_CHECK(strstr(err->msg, ": line ") != NULL);
	}
}

static void check_same(const dm_dep5 *a, const dm_dep5 *b)
{
	size_t i;
	FUZZ_CHECK(a->machine_readable == b->machine_readable);
	FUZZ_CHECK(strcmp(a->problem, b->problem) == 0);
	FUZZ_CHECK(a->nfiles == b->nfiles);
	for (i = 0; i < a->nfiles; i++) {
		FUZZ_CHECK(strcmp(a->files[i].patterns, b->files[i].patterns) == 0);
		FUZZ_CHECK(a->files[i].line == b->files[i].line);
		FUZZ_CHECK(a->files[i].catch_all == b->files[i].catch_all);
		FUZZ_CHECK(!a->files[i].license == !b->files[i].license);
		FUZZ_CHECK(!a->files[i].license || !strcmp(a->files[i].license, b->files[i].license));
	}
}

static void check_structure(const dm_dep5 *c, const char *path)
{
	size_t i, k = 0;
	if (!c->machine_readable) {
		fuzz_check_message(c->problem);
		FUZZ_CHECK(strncmp(c->problem, path, strlen(path)) == 0);
		FUZZ_CHECK(c->nfiles == 0 && c->files == NULL);
		FUZZ_CHECK(dm_dep5_match(c, "x") == NULL);
		return;
	}
	FUZZ_CHECK(c->problem[0] == 0);
	FUZZ_CHECK(c->doc.n >= 1);
	{
		const dm_field *fmt = dm_stanza_get(&c->doc.stanzas[0], "Format");
		FUZZ_CHECK(fmt && (strstr(fmt->value, "copyright-format/1.0") ||
				   strstr(fmt->value, "deps/dep5")));
	}
	for (i = 1; i < c->doc.n; i++) {
		const dm_field *f = dm_stanza_get(&c->doc.stanzas[i], "Files");
		const dm_field *l = dm_stanza_get(&c->doc.stanzas[i], "License");
		const dm_dep5_files *e;
		token t[1];
		size_t all_stars = 0;
		const char *v;
		if (!f)
			continue;
		FUZZ_CHECK(k < c->nfiles);
		e = &c->files[k++];
		FUZZ_CHECK(e->patterns == f->value);
		FUZZ_CHECK(e->line == f->line && e->line >= 1);
		if (k >= 2)
			FUZZ_CHECK(e->line > c->files[k - 2].line);
		/* the synopsis: the first line of a non-empty License:, or NULL */
		if (!l || !*l->value) {
			FUZZ_CHECK(e->license == NULL);
		} else {
			size_t n = strlen(e->license);
			FUZZ_CHECK(e->license != NULL);
			FUZZ_CHECK(!strchr(e->license, '\n'));
			FUZZ_CHECK(strncmp(e->license, l->value, n) == 0);
			FUZZ_CHECK(l->value[n] == 0 || l->value[n] == '\n');
		}
		/* catch_all: one of the patterns is all '*' (matches everything) */
		for (v = f->value; tokens(v, t, 1); v = t[0].p + t[0].n)
			if (t[0].n < MAX_PATTERN && strspn(t[0].p, "*") >= t[0].n)
				all_stars = 1;
		FUZZ_CHECK(e->catch_all == (int)all_stars);
	}
	FUZZ_CHECK(k == c->nfiles);
}

/* dm_dep5_glob and dm_dep5_match against the reference. */
static void check_matching(const dm_dep5 *c)
{
	token t[MAX_TOKENS];
	char *paths[MAX_PATHS];
	size_t np = 0, nt = 0, i, j, k;
	static const char *fixed[] = {"", "x/y", "debian/copyright", "data/train.csv", ".hidden/x.gz"};
	for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		paths[np++] = exact(fixed[i], strlen(fixed[i]));
	for (i = 0; i < c->nfiles && nt < MAX_TOKENS; i++) {
		size_t got = tokens(c->files[i].patterns, t + nt, MAX_TOKENS - nt);
		nt += got < MAX_TOKENS - nt ? got : MAX_TOKENS - nt;
	}
	for (i = 0; i < nt && np + 2 <= MAX_PATHS; i++) {
		char *s;
		if (t[i].n > MAX_PATH_LEN)
			continue;
		/* a path it must match, and the pattern itself as a path */
		if ((s = instance(t[i].p, t[i].n, (int)i))) {
			char *pat = exact(t[i].p, t[i].n);
			FUZZ_CHECK(dm_dep5_glob(pat, s) == 1);
			free(pat);
			paths[np++] = s;
		}
		paths[np++] = exact(t[i].p, t[i].n);
	}
	for (i = 0; i < nt; i++) {
		char *pat;
		if (t[i].n > 4 * MAX_PATH_LEN)
			continue;
		pat = exact(t[i].p, t[i].n);
		for (j = 0; j < np; j++) {
			int got = dm_dep5_glob(pat, paths[j]), want = ref_glob(t[i].p, t[i].n, paths[j]);
			if (got != want) {
				fprintf(stderr, "dm_dep5_glob(\"%s\", \"%s\") = %d, the specification says %d\n",
					pat, paths[j], got, want);
				FUZZ_CHECK(got == want);
			}
		}
		free(pat);
	}
	/* the last stanza that matches applies */
	for (j = 0; j < np; j++) {
		const dm_dep5_files *got = dm_dep5_match(c, paths[j]), *want = NULL;
		for (k = c->nfiles; k-- > 0;)
			if (ref_any(c->files[k].patterns, paths[j])) {
				want = &c->files[k];
				break;
			}
		if (got != want) {
			fprintf(stderr, "dm_dep5_match(\"%s\"): stanza at line %u, the specification "
				"says line %u\n", paths[j], got ? got->line : 0, want ? want->line : 0);
			FUZZ_CHECK(got == want);
		}
	}
	for (j = 0; j < np; j++)
		free(paths[j]);
}

/* The synopses, as the verdict reads them. */
static void check_licences(const dm_dep5 *c)
{
	const dm_license_list *list = fuzz_shipped_list();
	size_t i;
	for (i = 0; i < c->nfiles; i++) {
		char why[640];
		int r;
		if (!c->files[i].license)
			continue;
		r = dm_license_expr_free(list, c->files[i].license, why, sizeof why);
		FUZZ_CHECK(r == 0 || r == 1);
		fuzz_check_message(why);
	}
}

/* Is package named by a relation of value v: at its start or after white
 * space, ',' or '|', and followed by the end or what ends a name? */
REFERENCE static int named_in(const char *v, const char *package)
{
	size_t n = strlen(package);
	const char *s;
	for (s = v; (s = strstr(s, package)); s++)
		if ((s == v || strchr(" \t\n,|", s[-1])) && (!s[n] || strchr(" \t\n(<[:,|", s[n])))
			return 1;
	return 0;
}

/* The same bytes as debian/control. */
static void check_build_depends(const char *path, const uint8_t *data, size_t size,
				const dm_dep5 *c)
{
	static const char *fields[] = {"Build-Depends", "Build-Depends-Indep", "Build-Depends-Arch"};
	const char *pkgs[4] = {"debhelper", "dataset-fashion-mnist", NULL, NULL};
	token t[2];
	char *owned[2] = {NULL, NULL};
	dm_deb822 d;
	dm_error err = {"", 0}, err2 = {"", 0};
	int parsed = dm_deb822_parse(path, (const char *)data, size, &d, &err) == 0;
	size_t i, np = 2, nt = 0;
	/* two more names: the first patterns of the file */
	for (i = 0; c && i < c->nfiles && nt < 2; i++)
		nt += tokens(c->files[i].patterns, t + nt, 2 - nt) > 0;
	for (i = 0; i < nt; i++)
		pkgs[np++] = owned[i] = exact(t[i].p, t[i].n);
	/* each call reads the file into 1 MiB: for three inputs in four only
	 * "debhelper" and the first pattern */
	if (size % 4 != 1) {
		if (np > 2)
			pkgs[1] = pkgs[2];
		np = 2;
	}
	for (i = 0; i < np; i++) {
		int r = dm_control_build_depends(path, pkgs[i], &err2), named = 0;
		size_t f;
		if (!parsed) {
			FUZZ_CHECK(r == -1);
			fuzz_check_message(err2.msg);
			FUZZ_CHECK(strncmp(err2.msg, path, strlen(path)) == 0 ||
				   strncmp(err2.msg, "out of memory", 13) == 0);
			continue;
		}
		FUZZ_CHECK(r == 0 || r == 1);
		for (f = 0; d.n && f < 3; f++) {
			const dm_field *v = dm_stanza_get(&d.stanzas[0], fields[f]);
			if (v && named_in(v->value, pkgs[i]))
				named = 1;
		}
		if (r == 1 && !named) {
			fprintf(stderr, "dm_control_build_depends says %s is a build dependency\n",
				pkgs[i]);
			FUZZ_CHECK(named);
		}
	}
	if (parsed)
		dm_deb822_free(&d);
	free(owned[0]);
	free(owned[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dm_dep5 c, c2;
	dm_error err = {"", 0}, err2 = {"", 0};
	const char *path = fuzz_file(0, data, size);
	char *copy = malloc(size ? size : 1);
	int rc, rc2;
	FUZZ_CHECK(copy != NULL);
	memcpy(copy, data, size);
	rc2 = dm_dep5_parse(path, copy, size, &c2, &err2);
	free(copy);
	/* dm_dep5_read takes 8 MiB for any file, and ASan poisons all of it
	 * twice: through the file only one input in four (by its size) */
	if (size % 4 == 0) {
		rc = dm_dep5_read(path, &c, &err);
	} else {
		rc = rc2 == 0 ? dm_dep5_parse(path, (const char *)data, size, &c, &err) : rc2;
		if (rc)
			err = err2;
	}
	FUZZ_CHECK(rc == -1 || rc == 0);
	FUZZ_CHECK(rc == rc2);
	if (rc) {
		FUZZ_CHECK(strcmp(err.msg, err2.msg) == 0);
		check_error(&err, path);
	} else {
		check_same(&c, &c2);
		check_structure(&c, path);
		check_matching(&c);
		check_licences(&c);
		dm_dep5_free(&c2);
	}
	check_build_depends(path, data, size, rc ? NULL : &c);
	if (rc == 0)
		dm_dep5_free(&c);
	return 0;
}
