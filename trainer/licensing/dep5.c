/* dep5.c - DEP-5 copyright files, who owns an installed file (dpkg-query),
 * Build-Depends. */
#include "dep5.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../base/file.h"

#define MAX_COPYRIGHT (8u << 20)

static int read_text(const char *path, size_t max, char **text, size_t *len,
		     dm_error *err)
{
	const char *why;
	FILE *f = dm_fopen_regular(path, &why);
	char too_big[64];
	if (!f)
		return dm_fail(err, "%s: cannot open: %s", path, why);
	snprintf(too_big, sizeof too_big, "larger than %zu MiB", max >> 20);
	return (*text = dm_read_stream(f, path, max, too_big, len, err)) ? 0 : -1;
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

/* The patterns of a Files: value are separated by white space, the same
 * characters before a pattern and after it.  (It skipped every isspace()
 * character before a pattern but ended one only at a space, tab, CR or
 * LF: "Files: *\vx" was the pattern "*\vx", not a catch-all "*"; found by
 * tests/fuzz/fuzz_dep5.c.) */
#define PATTERN_SPACE DM_DEP5_PATTERN_SPACE

static int matches_any(const char *patterns, const char *path)
{
	char pat[4096];
	const char *q = patterns;
	while (*q) {
		size_t n;
		q += strspn(q, PATTERN_SPACE);
		n = strcspn(q, PATTERN_SPACE);
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
		if (len - i >= 7 && !strncasecmp(text + i, "Format:", 7)) {
			/* deb822 says that there is a NUL byte, not where: the
			 * message names the line, as dep5.h promises (found by
			 * tests/fuzz/fuzz_dep5.c) */
			const char *nul = memchr(text, 0, len);
			if (nul) {
				unsigned line = 1;
				const char *s;
				for (s = text; s < nul; s++)
					line += *s == '\n';
				dm_fail(err, "%s: line %u: contains a NUL byte; expected a text file",
					path, line);
			}
			return -1;
		}
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

/* ---- who owns an installed file: dpkg-query ---- */

extern char **environ;

#define MAX_QUERY_OUTPUT (64u << 20)

/* A descriptor above 0, 1 and 2, close-on-exec: the child's file actions
 * then never overwrite it before using it (0, 1 or 2 may be closed in the
 * parent, and pipe2 would hand them out). */
static int above_stdio(int fd)
{
	int moved;
	if (fd > 2)
		return fd;
	moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return moved;
}

/* The environment of dpkg-query: ours, with LC_ALL=C so that its output (the
 * "diversion by" lines) is not translated, and with the caller's DPKG_ROOT
 * and DPKG_ADMINDIR in place of ours (NULL or empty: unset; dpkg would take
 * an empty DPKG_ADMINDIR as "").  One block: the pointers, then the texts. */
static char **child_environ(const char *root, const char *admindir, dm_error *err)
{
	static const char *const ours[] = {"LC_ALL=", "DPKG_ROOT=", "DPKG_ADMINDIR="};
	const char *set[3][2] = {{"LC_ALL=", "C"}, {"DPKG_ROOT=", root}, {"DPKG_ADMINDIR=", admindir}};
	size_t n = 0, k = 0, i, j, text = 0;
	char **env, *p;
	while (environ && environ[n])
		n++;
	for (j = 0; j < 3; j++)
		if (set[j][1] && *set[j][1])
			text += strlen(set[j][0]) + strlen(set[j][1]) + 1;
	if (!(env = dm_malloc((n + 4) * sizeof *env + text, err)))
		return NULL;
	p = (char *)(env + n + 4);
	for (i = 0; i < n; i++) {
		for (j = 0; j < 3 && strncmp(environ[i], ours[j], strlen(ours[j])); j++)
			;
		if (j == 3)
			env[k++] = environ[i];
	}
	for (j = 0; j < 3; j++)
		if (set[j][1] && *set[j][1]) {
			env[k++] = p;
			p += sprintf(p, "%s%s", set[j][0], set[j][1]) + 1;
		}
	env[k] = NULL;
	return env;
}

/* Run dpkg-query with argv (argv[0] "dpkg-query", found through PATH; no
 * shell), stdin from /dev/null and stderr discarded; its stdout, read while
 * it runs so that it never blocks on a full pipe, into *out (malloc'd,
 * NUL-terminated).  0 with *status its exit status, or -1 when it cannot be
 * run, is killed, or its output cannot be read. */
static int run_dpkg_query(char *const *argv, char **env, char **out, int *status,
			  dm_error *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, deflt;
	char *buf = NULL, scratch[4096];
	size_t len = 0, cap = 0;
	int fds[2], rc, st, read_errno = 0, too_big = 0, no_memory = 0;
	pid_t pid;
	*out = NULL;
	if (pipe2(fds, O_CLOEXEC))
		return dm_fail(err, "cannot run dpkg-query: pipe: %s", strerror(errno));
	fds[0] = above_stdio(fds[0]);
	fds[1] = above_stdio(fds[1]);
	if (fds[0] < 0 || fds[1] < 0) {
		int e = errno;
		if (fds[0] >= 0)
			close(fds[0]);
		if (fds[1] >= 0)
			close(fds[1]);
		return dm_fail(err, "cannot run dpkg-query: %s", strerror(e));
	}
	/* both ends are close-on-exec; the child's stdout is a copy that is not */
	sigemptyset(&none);
	sigemptyset(&deflt);
	sigaddset(&deflt, SIGPIPE);
	if ((rc = posix_spawn_file_actions_init(&fa)) == 0) {
		if ((rc = posix_spawnattr_init(&attr)) == 0) {
			if (!(rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)) &&
			    !(rc = posix_spawn_file_actions_adddup2(&fa, fds[1], 1)) &&
			    !(rc = posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0)) &&
			    !(rc = posix_spawnattr_setsigmask(&attr, &none)) &&
			    !(rc = posix_spawnattr_setsigdefault(&attr, &deflt)) &&
			    !(rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
								  POSIX_SPAWN_SETSIGDEF)))
				rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv, env);
			posix_spawnattr_destroy(&attr);
		}
		posix_spawn_file_actions_destroy(&fa);
	}
	close(fds[1]);
	if (rc) {
		close(fds[0]);
		return dm_fail(err, "cannot run dpkg-query: %s", strerror(rc));
	}
	for (;;) {
		ssize_t got;
		char *into = scratch;
		size_t room = sizeof scratch;
		if (!too_big && !no_memory) {
			if (cap - len < sizeof scratch + 1) {
				size_t ncap = cap ? 2 * cap : 4 * sizeof scratch;
				char *nbuf = realloc(buf, ncap);
				if (!nbuf)
					no_memory = 1;
				else
					buf = nbuf, cap = ncap;
			}
			if (!no_memory)
				into = buf + len, room = cap - len - 1;
		}
		got = read(fds[0], into, room);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			read_errno = errno;
			break;
		}
		if (got == 0)
			break;
		if (into != scratch) {
			len += (size_t)got;
			too_big = len > MAX_QUERY_OUTPUT;
		}
	}
	/* after an early stop the child gets EPIPE or SIGPIPE: it cannot block */
	close(fds[0]);
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			int e = errno;
			free(buf);
			return dm_fail(err, "dpkg-query: cannot wait for it: %s", strerror(e));
		}
	}
	if (read_errno || too_big || no_memory) {
		free(buf);
		return read_errno ? dm_fail(err, "cannot read dpkg-query's output: %s", strerror(read_errno))
		       : too_big ? dm_fail(err, "dpkg-query's output is larger than %u MiB",
					   MAX_QUERY_OUTPUT >> 20)
				 : dm_fail(err, "out of memory");
	}
	if (WIFSIGNALED(st)) {
		free(buf);
		return dm_fail(err, "dpkg-query was killed by signal %d (%s)", WTERMSIG(st),
			       strsignal(WTERMSIG(st)));
	}
	if (!buf && !(buf = dm_malloc(1, err)))
		return -1;
	buf[len] = 0;
	*out = buf;
	*status = WEXITSTATUS(st);
	if (*status == 127) { /* what a fork-and-exec spawn says for "not found" */
		free(buf);
		*out = NULL;
		return dm_fail(err, "cannot run dpkg-query: it exited with status 127");
	}
	return 0;
}

/* How dpkg-query was pointed at the database, for messages. */
static void where_db(const char *root, const char *admindir, char *buf, size_t size)
{
	if (admindir && *admindir)
		snprintf(buf, size, " (DPKG_ADMINDIR=%s)", admindir);
	else if (root && *root)
		snprintf(buf, size, " (DPKG_ROOT=%s)", root);
	else
		buf[0] = 0;
}

/* The arguments that ask dpkg-query for exactly one path: it matches an
 * argument with none of '*', '[', '?' and '\' literally, and any other as
 * a glob in which '\' escapes, so those four are escaped. */
static char *exact_pattern(const char *path, dm_error *err)
{
	size_t n = 0;
	const char *s;
	char *q, *p;
	for (s = path; *s; s++)
		n += strchr("*[?\\", *s) ? 2 : 1;
	if (!(q = dm_malloc(n + 1, err)))
		return NULL;
	for (s = path, p = q; *s; s++) {
		if (strchr("*[?\\", *s))
			*p++ = '\\';
		*p++ = *s;
	}
	*p = 0;
	return q;
}

/* One line of "dpkg-query --search": "PKG[:ARCH], PKG...: PATH".  Each
 * owner, without its architecture, replaces owners[i] for every query i
 * whose path is PATH if it comes first by name. */
static int take_line(const char *line, const char *const *qpath, const size_t *qidx,
		     size_t nq, char **owners, dm_error *err)
{
	const char *sep = strstr(line, ": "), *path, *name;
	size_t j;
	if (!strncmp(line, "diversion by ", 13) || !strncmp(line, "local diversion ", 16) || !sep)
		return 0; /* as the file lists say: diversions are not followed */
	path = sep + 2;
	for (j = 0; j < nq; j++) {
		if (strcmp(qpath[j], path))
			continue;
		for (name = line; name < sep;) {
			size_t len = strcspn(name, ",:"), full = strcspn(name, ",");
			char **cur = &owners[qidx[j]];
			if (name + full > sep)
				full = (size_t)(sep - name);
			if (len > full)
				len = full;
			if (len && (!*cur || strncmp(name, *cur, len) < 0 ||
				    (!strncmp(name, *cur, len) && (*cur)[len]))) {
				char *copy = dm_malloc(len + 1, err);
				if (!copy)
					return -1;
				memcpy(copy, name, len);
				copy[len] = 0;
				free(*cur);
				*cur = copy;
			}
			name += full;
			while (name < sep && (*name == ',' || *name == ' '))
				name++;
		}
	}
	return 0;
}

/* See dep5.h.  The library prints nothing and exits never; this is where it
 * runs a helper program, dpkg-query, because dpkg's database is not an
 * interface: one "dpkg-query --search" for every path (and canonical path)
 * at once, and a "dpkg-query --show" only when no path has an owner. */
int dm_dpkg_owners(const char *root, const char *admindir, const char *const *paths,
		   size_t n, char **owners, dm_error *err)
{
	char **canon = NULL, **argv = NULL, **env = NULL, *out = NULL, where[PATH_MAX + 32];
	const char **qpath = NULL;
	size_t *qidx = NULL, nq = 0, i, nargs = 0, first = 0;
	int rc = -1, status, found = 0;
	for (i = 0; i < n; i++)
		owners[i] = NULL;
	if (n == 0)
		return 0;
	where_db(root, admindir, where, sizeof where);
	if (!(env = child_environ(root, admindir, err)) ||
	    !(canon = dm_calloc(n, sizeof *canon, err)) ||
	    !(qpath = dm_calloc(2 * n, sizeof *qpath, err)) ||
	    !(qidx = dm_calloc(2 * n, sizeof *qidx, err)) ||
	    !(argv = dm_calloc(2 * n + 4, sizeof *argv, err)))
		goto out;
	/* each path as given, and its canonical form when it names the file
	 * through a symbolic link; only absolute paths (dpkg-query would take
	 * any other as a substring to look for), and none with a newline,
	 * which can be neither in a file list nor in dpkg-query's output */
	for (i = 0; i < n; i++) {
		if (paths[i][0] == '/' && !strchr(paths[i], '\n'))
			qidx[nq] = i, qpath[nq++] = paths[i];
		canon[i] = realpath(paths[i], NULL);
		if (canon[i] && strcmp(canon[i], paths[i]) && !strchr(canon[i], '\n'))
			qidx[nq] = i, qpath[nq++] = canon[i];
	}
	if (nq == 0) {
		rc = 0;
		goto out;
	}
	argv[nargs++] = "dpkg-query";
	argv[nargs++] = "--search";
	first = nargs; /* argv[first..nargs) are ours to free */
	for (i = 0; i < nq; i++)
		if (!(argv[nargs++] = exact_pattern(qpath[i], err)))
			goto out;
	if (run_dpkg_query(argv, env, &out, &status, err))
		goto out;
	if (status > 1) { /* 1 is for a path that no package owns */
		dm_fail(err, "cannot read dpkg's database: dpkg-query --search exited with "
			"status %d%s", status, where);
		goto out;
	}
	{
		char *line = out, *nl;
		for (; *line; line = nl + 1) {
			if ((nl = strchr(line, '\n')))
				*nl = 0;
			if (take_line(line, qpath, qidx, nq, owners, err))
				goto out;
			if (!nl)
				break;
		}
	}
	for (i = 0; i < n; i++)
		found |= owners[i] != NULL;
	if (!found) {
		/* dpkg-query takes a database that is not there for an empty one,
		 * in which no package owns anything: that is not the answer */
		char *show[5];
		size_t k = 0;
		show[k++] = "dpkg-query";
		show[k++] = "--show";
		show[k++] = "--showformat=.";
		show[k] = NULL;
		free(out);
		out = NULL;
		if (run_dpkg_query(show, env, &out, &status, err))
			goto out;
		if (status > 1) {
			dm_fail(err, "cannot read dpkg's database: dpkg-query --show exited with "
				"status %d%s", status, where);
			goto out;
		}
		if (status || !*out) {
			dm_fail(err, "cannot read dpkg's database: dpkg-query finds no package "
				"in it%s", where);
			goto out;
		}
	}
	rc = 0;
out:
	free(out);
	for (i = first; argv && i < nargs; i++)
		free(argv[i]);
	free(argv);
	free(env);
	free(qidx);
	free(qpath);
	for (i = 0; canon && i < n; i++)
		free(canon[i]);
	free(canon);
	if (rc)
		for (i = 0; i < n; i++)
			free(owners[i]), owners[i] = NULL;
	return rc;
}

/* ---- Build-Depends ---- */

/* Is package one of the names in relation field value v?  White space
 * is deb822's: space, tab and the newline of a folded line.  (It skipped
 * every isspace() character before a name, but a name ended only at a
 * space, tab or newline: "foo,\rdebhelper" named debhelper; found by
 * tests/fuzz/fuzz_dep5.c.) */
static int relation_names(const char *v, const char *package)
{
	const char *s = v;
	size_t plen = strlen(package);
	while (*s) {
		size_t n;
		s += strspn(s, " \t\n,|");
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
