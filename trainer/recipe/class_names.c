/* class_names.c - Class-Names: a list or a file of names. */
#include "class_names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/file.h"
#include "../output/json.h"

#define MAX_NAMES_FILE (1u << 20)

static int add(dm_class_names *c, const char *s, size_t n, dm_error *err)
{
	char **v = realloc(c->v, (c->n + 1) * sizeof *v);
	if (!v)
		return dm_fail(err, "out of memory");
	c->v = v;
	if (!(v[c->n] = malloc(n + 1)))
		return dm_fail(err, "out of memory");
	memcpy(v[c->n], s, n);
	v[c->n++][n] = 0;
	return 0;
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Split TEXT at SEP, trimming each piece; WHERE(k) names piece k. */
static int split(dm_class_names *c, const char *text, char sep, int skip_last_empty,
		 const char *where, unsigned line, dm_error *err)
{
	const char *p = text;
	unsigned k = 0;
	for (;;) {
		const char *e = strchr(p, sep), *a = p, *b;
		if (!e)
			e = p + strlen(p);
		b = e;
		while (a < b && is_space(*a))
			a++;
		while (b > a && is_space(b[-1]))
			b--;
		k++;
		if (a == b) {
			if (!*e && skip_last_empty)
				return 0;
			return sep == '\n'
				? dm_fail(err, "%s: line %u: an empty class name; expected one "
					  "name a line", where, k)
				: dm_fail(err, "%s: line %u: Class-Names: name %u is empty; expected "
					  "names separated by commas (or 'file PATH' for names "
					  "with commas)", where, line, k);
		}
		if (add(c, a, (size_t)(b - a), err))
			return -1;
		if (!*e)
			return 0;
		p = e + 1;
	}
}

/* In a file (LINE 0), name i is on line i + 1: no empty line is allowed. */
static int check(const dm_class_names *c, const char *where, unsigned line, dm_error *err)
{
	size_t i, j;
	char at[64];
	for (i = 0; i < c->n; i++) {
		snprintf(at, sizeof at, "line %zu: name", line ? (size_t)line : i + 1);
		if (line)
			snprintf(at, sizeof at, "line %u: Class-Names: name %zu", line, i + 1);
		const unsigned char *s = (const unsigned char *)c->v[i];
		if (!dm_json_utf8_valid(c->v[i]))
			return dm_fail(err, "%s: %s is not UTF-8", where, at);
		for (; *s; s++)
			if (*s < 0x20 || *s == 0x7f)
				return dm_fail(err, "%s: %s has a control character", where, at);
		for (j = 0; j < i; j++)
			if (!strcmp(c->v[i], c->v[j]))
				return dm_fail(err, "%s: %s: '%s' is also name %zu; expected "
					       "distinct names", where, at, c->v[i], j + 1);
	}
	return 0;
}

int dm_class_names_parse(const char *value, const char *recipe, unsigned line,
			 dm_class_names *out, dm_error *err)
{
	memset(out, 0, sizeof *out);
	if (!strncmp(value, "file", 4) && (value[4] == ' ' || value[4] == '\t')) {
		const char *path = value + 5;
		char *text;
		size_t n;
		int rc;
		while (is_space(*path))
			path++;
		out->file = path;
		if (!(text = dm_read_regular(path, MAX_NAMES_FILE, &n, NULL, err)))
			return dm_error_prefix(err, "%s: line %u: Class-Names", recipe, line);
		if (strlen(text) != n) {
			free(text);
			return dm_fail(err, "%s: a NUL byte; expected one class name a line", path);
		}
		rc = split(out, text, '\n', 1, path, line, err) || check(out, path, 0, err);
		free(text);
		if (rc)
			dm_class_names_free(out);
		return rc ? -1 : 0;
	}
	if (split(out, value, ',', 0, recipe, line, err) || check(out, recipe, line, err)) {
		dm_class_names_free(out);
		return -1;
	}
	return 0;
}

char *dm_class_names_json(const dm_class_names *c, dm_error *err)
{
	dm_json_writer w;
	const char *s;
	char *copy;
	size_t i, n;
	dm_json_init(&w, 0);
	dm_json_begin_array(&w);
	for (i = 0; i < c->n; i++)
		dm_json_string(&w, c->v[i]);
	dm_json_end_array(&w);
	if (!(s = dm_json_finish(&w, &n, err))) {
		dm_json_free(&w);
		return NULL;
	}
	copy = dm_strdup(s, err);
	dm_json_free(&w);
	return copy;
}

void dm_class_names_free(dm_class_names *c)
{
	size_t i;
	for (i = 0; i < c->n; i++)
		free(c->v[i]);
	free(c->v);
	memset(c, 0, sizeof *c);
}
