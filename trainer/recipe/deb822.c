/* deb822.c - a strict deb822 parser with line numbers. */
#include "deb822.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/file.h"

#define MAX_FILE (1u << 20)

static int is_blank(const char *s, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

static char *trimmed(const char *s, size_t n, dm_error *err)
{
	char *r;
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	r = dm_malloc(n + 1, err);
	if (r) {
		memcpy(r, s, n);
		r[n] = 0;
	}
	return r;
}

/* Append a continuation line to a value, with a '\n' between. */
static int append_line(dm_field *f, const char *s, size_t n, dm_error *err)
{
	char *t = trimmed(s, n, err), *v;
	size_t old;
	if (!t)
		return -1;
	if (!strcmp(t, "."))
		t[0] = 0;
	old = strlen(f->value);
	v = realloc(f->value, old + strlen(t) + 2);
	if (!v) {
		free(t);
		return dm_fail(err, "out of memory");
	}
	if (old)
		v[old++] = '\n';
	strcpy(v + old, t);
	f->value = v;
	free(t);
	return 0;
}

static int valid_name(const char *s, size_t n)
{
	size_t i;
	if (n == 0 || s[0] == '-' || s[0] == '#')
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 32 || (unsigned char)s[i] >= 127 || s[i] == ':')
			return 0;
	return 1;
}

static int new_stanza(dm_deb822 *d, unsigned line, dm_error *err)
{
	dm_stanza *v = realloc(d->stanzas, (d->n + 1) * sizeof *v);
	if (!v)
		return dm_fail(err, "out of memory");
	d->stanzas = v;
	memset(&v[d->n], 0, sizeof v[d->n]);
	v[d->n].line = line;
	d->n++;
	return 0;
}

static int add_field(dm_deb822 *d, const char *line, size_t len, const char *colon,
		     unsigned lineno, dm_error *err)
{
	dm_stanza *s = &d->stanzas[d->n - 1];
	size_t nlen = (size_t)(colon - line), i;
	dm_field *v, *f;
	if (!valid_name(line, nlen))
		return dm_fail(err, "%s: line %u: expected a field name before ':', got '%.*s'",
			       d->path, lineno, (int)(nlen > 60 ? 60 : nlen), line);
	for (i = 0; i < s->n; i++)
		if (strlen(s->fields[i].name) == nlen &&
		    !strncasecmp(s->fields[i].name, line, nlen))
			return dm_fail(err, "%s: line %u: duplicate field '%.*s' (first at line %u)",
				       d->path, lineno, (int)nlen, line, s->fields[i].line);
	v = realloc(s->fields, (s->n + 1) * sizeof *v);
	if (!v)
		return dm_fail(err, "out of memory");
	s->fields = v;
	f = &v[s->n];
	memset(f, 0, sizeof *f);
	f->line = lineno;
	if (!(f->name = trimmed(line, nlen, err)))
		return -1;
	s->n++;
	if (!(f->value = trimmed(colon + 1, len - nlen - 1, err)))
		return -1;
	return 0;
}

int dm_deb822_parse(const char *path, const char *text, size_t len,
		    dm_deb822 *d, dm_error *err)
{
	size_t pos = 0;
	unsigned lineno = 0;
	int in_stanza = 0;
	memset(d, 0, sizeof *d);
	if (!(d->path = dm_strdup(path, err)))
		return -1;
	if (memchr(text, 0, len)) {
		dm_fail(err, "%s: contains a NUL byte; expected a text file", path);
		goto fail;
	}
	while (pos < len) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		const char *colon;
		pos += n + (nl ? 1 : 0);
		lineno++;
		if (n && line[0] == '#')
			continue;
		if (is_blank(line, n)) {
			in_stanza = 0;
			continue;
		}
		if (line[0] == ' ' || line[0] == '\t') {
			if (!in_stanza) {
				dm_fail(err, "%s: line %u: continuation line outside a field "
					"(lines that start with a space continue the field above)",
					path, lineno);
				goto fail;
			}
			if (append_line(&d->stanzas[d->n - 1].fields[d->stanzas[d->n - 1].n - 1],
					line, n, err))
				goto fail;
			continue;
		}
		colon = memchr(line, ':', n);
		if (!colon) {
			dm_fail(err, "%s: line %u: expected 'Field: value', got '%.*s'",
				path, lineno, (int)(n > 60 ? 60 : n), line);
			goto fail;
		}
		if (!in_stanza) {
			if (new_stanza(d, lineno, err))
				goto fail;
			in_stanza = 1;
		}
		if (add_field(d, line, n, colon, lineno, err))
			goto fail;
	}
	return 0;
fail:
	dm_deb822_free(d);
	return -1;
}

int dm_deb822_read(const char *path, dm_deb822 *out, dm_error *err)
{
	const char *why;
	FILE *f = dm_fopen_regular(path, &why);
	char *buf;
	size_t n;
	int rc;
	if (!f)
		return dm_fail(err, "%s: cannot open: %s", path, why);
	if (!(buf = dm_read_stream(f, path, MAX_FILE, "larger than 1 MiB; expected a recipe", &n, err)))
		return -1;
	rc = dm_deb822_parse(path, buf, n, out, err);
	free(buf);
	return rc;
}

void dm_deb822_free(dm_deb822 *d)
{
	size_t i, j;
	for (i = 0; i < d->n; i++) {
		for (j = 0; j < d->stanzas[i].n; j++) {
			free(d->stanzas[i].fields[j].name);
			free(d->stanzas[i].fields[j].value);
		}
		free(d->stanzas[i].fields);
	}
	free(d->stanzas);
	free(d->path);
	memset(d, 0, sizeof *d);
}

const dm_field *dm_stanza_get(const dm_stanza *s, const char *name)
{
	size_t i;
	for (i = 0; i < s->n; i++)
		if (!strcasecmp(s->fields[i].name, name))
			return &s->fields[i];
	return NULL;
}
