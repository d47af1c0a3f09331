/* license.c - the list of free licences, and DEP-5 licence expressions. */
#include "license.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/file.h"
#include "../base/sha256.h"

#define MAX_LIST (1u << 20)

void dm_license_normalize(const char *name, char *out, size_t size)
{
	size_t n = 0, i, len;
	if (!size)
		return;
	for (i = 0; name[i] && n + 1 < size; i++)
		out[n++] = (char)tolower((unsigned char)name[i]);
	out[n] = 0;
	len = n;
	/* SPDX: "-or-later" is DEP-5's "+", "-only" is nothing */
	if (len > 9 && !strcmp(out + len - 9, "-or-later"))
		strcpy(out + len - 9, "+"), len -= 8;
	else if (len > 5 && !strcmp(out + len - 5, "-only"))
		out[len -= 5] = 0;
	/* "2.0.0" = "2.0" = "2": drop ".0" runs that end a version (followed
	 * by the end, '+' or '-') */
	for (i = 1; i + 1 < len;) {
		if (out[i] == '.' && out[i + 1] == '0' && isdigit((unsigned char)out[i - 1])) {
			size_t j = i;
			while (j + 1 < len && out[j] == '.' && out[j + 1] == '0')
				j += 2;
			if (j == len || out[j] == '+' || out[j] == '-') {
				memmove(out + i, out + j, len - j + 1);
				len -= j - i;
				continue;
			}
		}
		i++;
	}
}

/* ---- the list ---- */

int dm_license_list_parse(const char *path, const char *text, size_t len,
			  dm_license_list *out, dm_error *err)
{
	size_t pos = 0;
	unsigned lineno = 0;
	dm_sha256 h;
	unsigned char d[32];
	memset(out, 0, sizeof *out);
	if (!(out->path = dm_strdup(path, err)))
		return -1;
	dm_sha256_init(&h);
	dm_sha256_update(&h, text, len);
	dm_sha256_final(&h, d);
	dm_sha256_hex(d, out->sha256);
	if (memchr(text, 0, len)) {
		dm_fail(err, "%s: contains a NUL byte; expected a text file", path);
		goto fail;
	}
	while (pos < len) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos, a = 0, b, c, i;
		dm_license_entry *v, *e;
		char pat[128];
		pos += n + (nl ? 1 : 0);
		lineno++;
		while (a < n && (line[a] == ' ' || line[a] == '\t'))
			a++;
		if (a == n || line[a] == '#' || line[a] == '\r')
			continue;
		b = a;
		while (b < n && line[b] != ' ' && line[b] != '\t' && line[b] != '\r')
			b++;
		c = b;
		while (c < n && (line[c] == ' ' || line[c] == '\t'))
			c++;
		while (n > c && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
			n--;
		if (!(v = realloc(out->v, (out->n + 1) * sizeof *v))) {
			dm_fail(err, "out of memory");
			goto fail;
		}
		out->v = v;
		e = &v[out->n];
		memset(e, 0, sizeof *e);
		e->line = lineno;
		if (line[a] == '!')
			e->not_free = 1, a++;
		if (b - a == 0 || b - a >= sizeof pat) {
			dm_fail(err, "%s: line %u: expected a licence short name (at most %zu "
				"characters), optionally after '!'", path, lineno, sizeof pat - 1);
			goto fail;
		}
		for (i = a; i < b; i++)
			if ((unsigned char)line[i] < 33 || (unsigned char)line[i] > 126 || line[i] == '!' ||
			    line[i] == ',' || line[i] == '(' || line[i] == ')') {
				dm_fail(err, "%s: line %u: '%.*s' is not a licence short name (printable "
					"ASCII without spaces, '!', ',' or parentheses)", path, lineno,
					(int)(b - a), line + a);
				goto fail;
			}
		if (e->not_free && c >= n) {
			dm_fail(err, "%s: line %u: '!%.*s' needs a reason after the name: why is it "
				"not free?", path, lineno, (int)(b - a), line + a);
			goto fail;
		}
		snprintf(pat, sizeof pat, "%.*s", (int)(b - a), line + a);
		if (!(e->pattern = dm_malloc(sizeof pat, err)))
			goto fail;
		dm_license_normalize(pat, e->pattern, sizeof pat);
		if (!(e->text = dm_malloc(n > c ? n - c + 1 : 1, err))) {
			free(e->pattern);
			goto fail;
		}
		memcpy(e->text, line + c, n > c ? n - c : 0);
		e->text[n > c ? n - c : 0] = 0;
		out->n++;
	}
	if (out->n == 0) {
		dm_fail(err, "%s: no licence in the list; expected one short name per line", path);
		goto fail;
	}
	return 0;
fail:
	dm_license_list_free(out);
	return -1;
}

int dm_license_list_read(const char *path, dm_license_list *out, dm_error *err)
{
	const char *why;
	FILE *f = dm_fopen_regular(path, &why);
	char *buf;
	size_t n;
	int rc;
	memset(out, 0, sizeof *out);
	if (!f)
		return dm_fail(err, "%s: cannot open the list of free licences: %s", path, why);
	if (!(buf = dm_read_stream(f, path, MAX_LIST, "larger than 1 MiB; expected a list of "
				   "licence names", &n, err)))
		return -1;
	rc = dm_license_list_parse(path, buf, n, out, err);
	free(buf);
	return rc;
}

void dm_license_list_free(dm_license_list *l)
{
	size_t i;
	for (i = 0; i < l->n; i++)
		free(l->v[i].pattern), free(l->v[i].text);
	free(l->v);
	free(l->path);
	memset(l, 0, sizeof *l);
}

int dm_license_name_free(const dm_license_list *l, const char *name,
			 const dm_license_entry **entry)
{
	/* The whole name, however long.  Cut to 127 characters, as it was,
	 * "BSD-2-Clause-<120 x>-NC-4.0" lost the "-NC" that a '!' line matches
	 * and was free by "BSD-2-Clause-*" (found by tests/fuzz/fuzz_license.c). */
	size_t len = strlen(name), i;
	char small[128], *norm = len < sizeof small ? small : malloc(len + 1);
	int pass, result = -1;
	if (entry)
		*entry = NULL;
	if (!norm)
		return -1; /* out of memory: not known to be free */
	dm_license_normalize(name, norm, len + 1);
	for (pass = 1; pass >= 0 && result < 0; pass--) /* the '!' lines first: they win */
		for (i = 0; i < l->n; i++)
			if (l->v[i].not_free == pass && fnmatch(l->v[i].pattern, norm, 0) == 0) {
				if (entry)
					*entry = &l->v[i];
				result = !pass;
				break;
			}
	if (norm != small)
		free(norm);
	return result;
}

/* ---- expressions ---- */

#define MAX_TOKENS 256

typedef struct parser {
	const dm_license_list *list;
	char *tok[MAX_TOKENS];
	size_t n, pos;
	char *buf;
	const char *expr;
	char msg[256];   /* a syntax error, if any */
} parser;

typedef struct value {
	int free;
	char why[512];
} value;

static int is_word(const char *t, const char *w)
{
	return t && !strcasecmp(t, w);
}

static int is_op(const char *t)
{
	return is_word(t, "and") || is_word(t, "or") || is_word(t, "with") || (t && (!strcmp(t, ",") ||
		!strcmp(t, "(") || !strcmp(t, ")")));
}

static const char *peek(parser *p)
{
	return p->pos < p->n ? p->tok[p->pos] : NULL;
}

static void syntax(parser *p, const char *what)
{
	const char *t = peek(p);
	if (p->msg[0])
		return;
	if (t)
		snprintf(p->msg, sizeof p->msg, "expected %s at '%.40s'", what, t);
	else
		snprintf(p->msg, sizeof p->msg, "expected %s at its end", what);
}

static void expr(parser *p, value *v);

static void primary(parser *p, value *v)
{
	const char *t = peek(p);
	const dm_license_entry *e;
	int r;
	memset(v, 0, sizeof *v);
	if (t && !strcmp(t, "(")) {
		p->pos++;
		expr(p, v);
		if (!peek(p) || strcmp(peek(p), ")"))
			syntax(p, "')'");
		else
			p->pos++;
		return;
	}
	if (!t || is_op(t)) {
		syntax(p, "a licence short name");
		return;
	}
	p->pos++;
	/* "GPL-2+ with OpenSSL exception": an exception only adds permissions
	 * (DEP-5 7.1: restrictions need a distinct short name), so the base
	 * licence decides */
	if (is_word(peek(p), "with")) {
		p->pos++;
		if (!peek(p) || is_op(peek(p)))
			syntax(p, "the name of an exception after 'with'");
		while (peek(p) && !is_op(peek(p)))
			p->pos++;
	}
	r = dm_license_name_free(p->list, t, &e);
	v->free = r == 1;
	if (r == 1)
		snprintf(v->why, sizeof v->why, "%s", t);
	else if (r == 0)
		snprintf(v->why, sizeof v->why, "%s is not free: %s", t, e->text);
	else
		snprintf(v->why, sizeof v->why, "%s is not in the list of free licences", t);
}

static void combine(value *a, const value *b, int is_and)
{
	if (is_and) {
		if (a->free && b->free) {
			size_t n = strlen(a->why), m = strlen(b->why);
			if (n + 5 + m < sizeof a->why) {
				memcpy(a->why + n, " and ", 5);
				memcpy(a->why + n + 5, b->why, m + 1);
			}
		} else if (a->free) {
			*a = *b;
		}
		a->free = a->free && b->free;
	} else {
		if (!a->free && b->free)
			*a = *b;
		a->free = a->free || b->free;
	}
}

static void conjunction(parser *p, value *v)
{
	value w;
	primary(p, v);
	while (is_word(peek(p), "and")) {
		p->pos++;
		primary(p, &w);
		combine(v, &w, 1);
	}
}

static void clause(parser *p, value *v)
{
	value w;
	conjunction(p, v);
	while (is_word(peek(p), "or")) {
		p->pos++;
		conjunction(p, &w);
		combine(v, &w, 0);
	}
}

/* clause { "," ["and" | "or"] clause }: after a comma the conjunction binds
 * the whole of what came before; a bare comma is read as "and", the reading
 * that can never make a work look freer than it is */
static void expr(parser *p, value *v)
{
	value w;
	clause(p, v);
	while (peek(p) && !strcmp(peek(p), ",")) {
		int is_and = 1;
		p->pos++;
		if (is_word(peek(p), "or"))
			is_and = 0, p->pos++;
		else if (is_word(peek(p), "and"))
			p->pos++;
		clause(p, &w);
		combine(v, &w, is_and);
	}
}

int dm_license_expr_free(const dm_license_list *l, const char *text, char *why,
			 size_t size)
{
	parser p;
	value v;
	size_t len = strlen(text), i, j;
	memset(&p, 0, sizeof p);
	p.list = l;
	p.expr = text;
	/* tokens: words, and each of ( ) , on its own */
	if (!(p.buf = malloc(2 * len + 1))) {
		snprintf(why, size, "out of memory");
		return 0;
	}
	for (i = 0, j = 0; i < len && p.n < MAX_TOKENS;) {
		if (isspace((unsigned char)text[i])) {
			i++;
			continue;
		}
		p.tok[p.n++] = p.buf + j;
		if (strchr("(),", text[i])) {
			p.buf[j++] = text[i++];
		} else {
			while (i < len && !isspace((unsigned char)text[i]) && !strchr("(),", text[i]))
				p.buf[j++] = text[i++];
		}
		p.buf[j++] = 0;
	}
	/* white space after the last word is no word: an expression of exactly
	 * MAX_TOKENS words and a space after them was "more than 256 words"
	 * (the white-space check of tests/fuzz/fuzz_license.c) */
	while (i < len && isspace((unsigned char)text[i]))
		i++;
	if (p.n == MAX_TOKENS && i < len)
		snprintf(p.msg, sizeof p.msg, "more than %d words", MAX_TOKENS);
	else if (p.n == 0)
		snprintf(p.msg, sizeof p.msg, "it is empty");
	if (!p.msg[0]) {
		expr(&p, &v);
		if (p.pos < p.n)
			syntax(&p, "'and', 'or' or ','");
	}
	free(p.buf);
	if (p.msg[0]) {
		snprintf(why, size, "cannot read the licence expression '%.80s': %s", text, p.msg);
		return 0;
	}
	snprintf(why, size, "%s", v.why);
	return v.free;
}
