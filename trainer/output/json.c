/* json.c - JSON through jansson, with our own number texts.
 *
 * Writer: the calls build a jansson tree (objects keep the order of their
 * keys) that json_dumps prints, so the output depends only on the calls
 * made.  jansson leaves two things open, and this file decides them as
 * dh-model always has: each number is the text dm_json_float ("%.9g"),
 * dm_json_double ("%.17g") or dm_json_int/uint give, whatever the locale
 * (the tree holds a 0 in its place, which finish() replaces), and every
 * control character in a string is \u00XX (jansson writes \n, \t...).
 * Valid UTF-8 passes through and each byte of invalid UTF-8 becomes
 * U+FFFD, so the output is always valid JSON that the reader takes.
 *
 * Reader: jansson parses and checks (RFC 8259 and nothing more: no
 * comments, no trailing commas, no leading zeros, no NaN; strings valid
 * UTF-8 without NUL; keys unique).  A scan before it caps the nesting at
 * DM_JSON_DEPTH_MAX and the number of values at VALUES_MAX, so a hostile
 * header cannot exhaust the stack or memory; each number's value comes
 * from its own text (jansson has no unsigned 64-bit integers and reads
 * "-0" as 0).
 */
#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/text.h"

/* 2^22 values of 64 bytes = 256 MiB at most; real headers hold far fewer
 * (a safetensors header has about 6 values per tensor) */
#define VALUES_MAX ((size_t)1 << 22)

/* ==== writer ==== */

void dm_json_init(dm_json_writer *w, int pretty)
{
	memset(w, 0, sizeof *w);
	w->pretty = pretty;
}

/* misuse: unbalanced nesting, nesting past 64, a key outside an object,
 * a value in an object without its key, a key twice, two top-level
 * values; dm_json_finish reports it.  Nothing is written after either. */
static void misuse(dm_json_writer *w)
{
	if (!w->oom)
		w->oom = 2;
}

/* A copy of str that is valid UTF-8: each invalid byte becomes U+FFFD. */
static char *valid_utf8(dm_json_writer *w, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t avail = strlen(str), n, o = 0;
	char *out = avail < SIZE_MAX / 3 ? malloc(3 * avail + 1) : NULL;
	if (!out) {
		w->oom = 1;
		return NULL;
	}
	for (; avail > 0; s += n, avail -= n) {
		if ((n = dm_utf8_len(s, avail)) > 0) {
			memcpy(out + o, s, n);
			o += n;
		} else {
			memcpy(out + o, "\xEF\xBF\xBD", 3);
			o += 3;
			n = 1;
		}
	}
	out[o] = '\0';
	return out;
}

/* v (a new reference, or NULL when jansson ran out of memory) as the next
 * value: the root, an array's next element or the value of the key given. */
static void add(dm_json_writer *w, json_t *v)
{
	json_t *parent = w->depth > 0 ? w->open[w->depth - 1] : NULL;
	if (!v && !w->oom)
		w->oom = 1;
	if (w->oom)
		goto drop;
	if (!parent) {
		if (w->root || w->depth > 0)
			goto wrong;
		w->root = v;
		return;
	}
	if (json_is_object(parent)) {
		if (!w->key || json_object_get(parent, w->key))
			goto wrong;
		if (json_object_set_new_nocheck(parent, w->key, v)) {
			w->oom = 1;
			return;
		}
		free(w->key);
		w->key = NULL;
		return;
	}
	if (json_array_append_new(parent, v))
		w->oom = 1;
	return;
wrong:
	misuse(w);
drop:
	json_decref(v);
}

static void begin(dm_json_writer *w, json_t *container)
{
	if (!w->oom && w->depth >= DM_JSON_DEPTH_MAX)
		misuse(w);
	if (w->oom) {
		json_decref(container);
		return;
	}
	add(w, container);
	if (!w->oom)
		w->open[w->depth++] = container;   /* borrowed: its parent holds it */
}

static void end(dm_json_writer *w, int object)
{
	if (w->oom)
		return;
	if (w->depth <= 0 || w->key || json_is_object(w->open[w->depth - 1]) != object) {
		misuse(w);
		return;
	}
	w->depth--;
}

void dm_json_begin_object(dm_json_writer *w) { begin(w, json_object()); }
void dm_json_end_object(dm_json_writer *w) { end(w, 1); }
void dm_json_begin_array(dm_json_writer *w) { begin(w, json_array()); }
void dm_json_end_array(dm_json_writer *w) { end(w, 0); }

int dm_json_utf8_valid(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t avail = strlen(str), n;
	for (; avail > 0; s += n, avail -= n)
		if ((n = dm_utf8_len(s, avail)) == 0)
			return 0;
	return 1;
}

void dm_json_key(dm_json_writer *w, const char *key)
{
	if (w->oom)
		return;
	if (w->key || w->depth == 0 || !json_is_object(w->open[w->depth - 1])) {
		misuse(w);
		return;
	}
	w->key = valid_utf8(w, key);
}

void dm_json_string(dm_json_writer *w, const char *s)
{
	char *valid;
	if (w->oom)
		return;
	if ((valid = valid_utf8(w, s)))
		add(w, json_string_nocheck(valid));
	free(valid);
}

/* A number or raw value: its text, and a 0 in the tree that finish()
 * replaces with it. */
static void add_text(dm_json_writer *w, const char *text)
{
	char *copy;
	if (w->oom)
		return;
	if (w->ntexts == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 16;
		char **texts = cap < SIZE_MAX / sizeof *texts ?
			realloc(w->texts, cap * sizeof *texts) : NULL;
		if (!texts) {
			w->oom = 1;
			return;
		}
		w->texts = texts;
		w->cap = cap;
	}
	if (!(copy = strdup(text))) {
		w->oom = 1;
		return;
	}
	w->texts[w->ntexts++] = copy;
	add(w, json_integer(0));
	if (w->oom == 2)   /* not placed: not printed either */
		free(w->texts[--w->ntexts]);
}

void dm_json_int(dm_json_writer *w, int64_t v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%" PRId64, v);
	add_text(w, buf);
}

void dm_json_uint(dm_json_writer *w, uint64_t v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%" PRIu64, v);
	add_text(w, buf);
}

/* A finite v with the given significant digits (9 round-trips binary32, 17
 * binary64), else null.  printf's decimal point comes from LC_NUMERIC,
 * and may be several bytes ("," or U+066B): everything in %g output that
 * is not a digit, sign or exponent letter is that decimal point, and each
 * such run becomes '.'. */
static void add_real(dm_json_writer *w, double v, int digits)
{
	char text[64], out[64];
	size_t o = 0;
	const char *p;
	if (!isfinite(v)) {
		dm_json_null(w);
		return;
	}
	snprintf(text, sizeof text, "%.*g", digits, v);
	for (p = text; *p && o < sizeof out - 1; p++) {
		int plain = (*p >= '0' && *p <= '9') || *p == '-' || *p == '+' ||
			    *p == 'e';
		if (plain)
			out[o++] = *p;
		else if (o == 0 || out[o - 1] != '.')
			out[o++] = '.';
	}
	out[o] = '\0';
	add_text(w, out);
}

void dm_json_float(dm_json_writer *w, float v)
{
	add_real(w, (double)v, 9);
}

void dm_json_double(dm_json_writer *w, double v)
{
	add_real(w, v, 17);
}

void dm_json_bool(dm_json_writer *w, int v)
{
	add(w, json_boolean(v));
}

void dm_json_null(dm_json_writer *w)
{
	add(w, json_null());
}

void dm_json_raw(dm_json_writer *w, const char *json)
{
	add_text(w, json);
}

/* jansson's text with each number (all of them 0s in the tree) replaced
 * by w->texts in order, and \b \f \n \r \t and \u00XX as \u00xx. */
static char *substitute(dm_json_writer *w, const char *dump, size_t *len)
{
	static const char hex[] = "0123456789abcdef";
	size_t need = strlen(dump) + 1, i, o = 0, k = 0;
	int in_string = 0;
	char *out;
	for (i = 0; i < w->ntexts; i++)
		need += strlen(w->texts[i]);
	/* an escape grows from 2 bytes to 6 at most: 3 times the dump */
	if (need > SIZE_MAX / 3 || !(out = malloc(3 * need)))
		return NULL;
	for (i = 0; dump[i];) {
		char c = dump[i];
		if (in_string && c == '\\') {
			const char *shorts = "b\bf\fn\nr\rt\t", *s = strchr(shorts, dump[i + 1]);
			if (dump[i + 1] == 'u') {   /* and 4 hex digits */
				size_t end = i + 6;
				for (; i < end && dump[i]; i++)
					out[o++] = (char)(dump[i] >= 'A' && dump[i] <= 'F' ?
							  dump[i] - 'A' + 'a' : dump[i]);
				continue;
			}
			if (dump[i + 1] && s && (s - shorts) % 2 == 0) {
				unsigned char ctl = (unsigned char)s[1];
				char esc[6] = {'\\', 'u', '0', '0', hex[ctl >> 4], hex[ctl & 15]};
				memcpy(out + o, esc, 6);
				o += 6;
			} else {
				out[o++] = c;
				out[o++] = dump[i + 1];
			}
			i += 2;
			continue;
		}
		if (c == '"')
			in_string = !in_string;
		if (!in_string && (c == '-' || (c >= '0' && c <= '9'))) {
			size_t n;
			while (dump[i] && strchr("-+.eE0123456789", dump[i]))
				i++;
			if (k == w->ntexts)
				break;
			n = strlen(w->texts[k]);
			memcpy(out + o, w->texts[k++], n);
			o += n;
			continue;
		}
		out[o++] = c;
		i++;
	}
	if (k != w->ntexts || dump[i]) {
		free(out);
		errno = EINVAL;
		return NULL;
	}
	if (w->pretty)
		out[o++] = '\n';
	out[o] = '\0';
	*len = o;
	return out;
}

const char *dm_json_finish(dm_json_writer *w, size_t *len, dm_error *err)
{
	char *dump = NULL;
	if (!w->oom && (w->depth != 0 || w->key))
		misuse(w);
	if (w->oom == 2) {
		dm_fail(err, "JSON writer: calls out of order (unbalanced nesting, "
			"more than %d levels, a key outside an object, a value "
			"without its key, a key twice or two top-level values)",
			DM_JSON_DEPTH_MAX);
		return NULL;
	}
	free(w->buf);
	w->buf = NULL;
	errno = 0;
	if (!w->oom && !w->root)   /* nothing written: the empty text */
		w->buf = strdup(w->pretty ? "\n" : ""), w->len = w->pretty;
	else if (!w->oom && (dump = json_dumps(w->root, JSON_ENCODE_ANY |
					       (w->pretty ? JSON_INDENT(2) : JSON_COMPACT))))
		w->buf = substitute(w, dump, &w->len);
	free(dump);
	if (!w->buf && errno == EINVAL) {
		dm_fail(err, "JSON writer: jansson's text does not hold the %zu numbers "
			"written", w->ntexts);
		return NULL;
	}
	if (!w->buf) {
		dm_fail(err, "out of memory while writing JSON (%zu values so far)",
			w->ntexts);
		return NULL;
	}
	if (len)
		*len = w->len;
	return w->buf;
}

void dm_json_free(dm_json_writer *w)
{
	size_t i;
	json_decref(w->root);
	for (i = 0; i < w->ntexts; i++)
		free(w->texts[i]);
	free(w->texts);
	free(w->key);
	free(w->buf);
	dm_json_init(w, w->pretty);
}

/* ==== reader ==== */

static int ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Before jansson: no NUL byte, and the nesting and the number of values
 * bounded.  Every value but the first follows a '[', a ':' or a ','. */
static int bounded(const unsigned char *s, size_t n, dm_error *err)
{
	size_t i, values = 1;
	int depth = 0, in_string = 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '\0')   /* jansson could take it for the end */
			return dm_fail(err, "at byte %zu: expected JSON text, found byte 0x00", i);
		if (in_string) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				in_string = 0;
			continue;
		}
		switch (s[i]) {
		case '"':
			in_string = 1;
			break;
		case '[':
		case '{':
			if (++depth > DM_JSON_DEPTH_MAX)
				return dm_fail(err, "at byte %zu: expected at most %d levels of "
					       "nesting", i, DM_JSON_DEPTH_MAX);
			values += s[i] == '[';
			break;
		case ']':
		case '}':
			depth--;
			break;
		case ':':
		case ',':
			values++;
			break;
		}
		if (values > VALUES_MAX)
			return dm_fail(err, "at byte %zu: expected at most %zu values",
				       i, VALUES_MAX);
	}
	return 0;
}

/* The next token of valid JSON at or after *pos, past white space, ':'
 * and ','; *pos moves past it.  Returns its first byte's offset. */
static size_t token(const unsigned char *s, size_t n, size_t *pos)
{
	size_t i = *pos, at;
	while (i < n && (ws(s[i]) || s[i] == ':' || s[i] == ','))
		i++;
	at = i;
	if (i < n && s[i] == '"') {
		for (i++; i < n && s[i] != '"'; i++)
			if (s[i] == '\\')
				i++;
		i++;
	} else if (i < n && (s[i] == '[' || s[i] == ']' || s[i] == '{' || s[i] == '}')) {
		i++;
	} else {
		while (i < n && !ws(s[i]) && !strchr(":,]}", s[i]))
			i++;
	}
	*pos = i < n ? i : n;
	return at;
}

/* The number text s[a, e) (valid JSON) as a double, without strtod's
 * locale dependence: written as DIGITS 'e' EXP (no decimal point), which
 * every locale reads the same way; and whether it is an exact integer,
 * with its value when it is non-negative and fits in 64 bits ("-0" and
 * huge values are not). */
static int number(const unsigned char *s, size_t a, size_t e, dm_json *v, dm_error *err)
{
	char small[80], *buf = small;
	size_t i = a, o = 0, frac = 0;
	long long exp = 0;
	int in_frac = 0, integral = 1, overflow = 0, neg = s[a] == '-';
	uint64_t u = 0;
	if (e - a + 32 > sizeof small && !(buf = malloc(e - a + 32)))
		return dm_fail(err, "out of memory reading JSON");
	for (i += neg; i < e && s[i] >= '0' && s[i] <= '9'; i++) {
		unsigned d = s[i] - '0';
		if (u > (UINT64_MAX - d) / 10)
			overflow = 1;
		else
			u = u * 10 + d;
	}
	for (i = a; i < e && s[i] != 'e' && s[i] != 'E'; i++) {
		if (s[i] == '.')
			in_frac = 1, integral = 0;
		else {
			buf[o++] = (char)s[i];
			frac += in_frac;
		}
	}
	if (i < e) {
		int eneg = s[++i] == '-';
		integral = 0;
		if (s[i] == '-' || s[i] == '+')
			i++;
		for (; i < e; i++)   /* saturate: 1e999999999999 is just huge */
			if (exp < 1000000000)
				exp = exp * 10 + (s[i] - '0');
		if (eneg)
			exp = -exp;
	}
	exp -= (long long)(frac < 1000000000 ? frac : 1000000000);
	snprintf(buf + o, 32, "e%lld", exp);
	errno = 0;
	v->number = strtod(buf, NULL);
	if (buf != small)
		free(buf);
	if (errno == ERANGE && (v->number > 1 || v->number < -1))
		return dm_fail(err, "at byte %zu: expected a number within the range of "
			       "a double", a);
	v->type = DM_JSON_NUMBER;
	v->is_integer = integral && !overflow && !(neg && u == 0);
	v->integer = v->is_integer && !neg ? u : 0;
	return 0;
}

static void free_contents(dm_json *v)
{
	size_t i;
	free(v->string);
	if (v->type == DM_JSON_ARRAY || v->type == DM_JSON_OBJECT) {
		for (i = 0; i < v->len; i++) {
			free_contents(&v->items[i]);
			if (v->keys)
				free(v->keys[i]);
		}
	}
	free(v->items);
	free(v->keys);
	memset(v, 0, sizeof *v);
}

void dm_json_delete(dm_json *v)
{
	if (!v)
		return;
	free_contents(v);
	free(v);
}

typedef struct reader {
	const unsigned char *s;
	size_t n, pos;
	dm_error *err;
} reader;

/* jansson's value j as out; the text is read along with it, in the same
 * order (objects keep their keys' order), for the numbers. */
static int convert(reader *r, json_t *j, dm_json *out)
{
	size_t at = token(r->s, r->n, &r->pos), i, len = 0;
	const char *key;
	json_t *item;
	switch (json_typeof(j)) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		len = json_is_object(j) ? json_object_size(j) : json_array_size(j);
		out->type = json_is_object(j) ? DM_JSON_OBJECT : DM_JSON_ARRAY;
		if (len && (!(out->items = dm_calloc(len, sizeof *out->items, r->err)) ||
			    (json_is_object(j) && !(out->keys = dm_calloc(len, sizeof *out->keys,
									  r->err)))))
			return -1;
		if (json_is_array(j)) {
			json_array_foreach(j, i, item) {
				out->len++;
				if (convert(r, item, &out->items[i]))
					return -1;
			}
		} else {
			json_object_foreach(j, key, item) {
				token(r->s, r->n, &r->pos);   /* the key */
				if (!(out->keys[out->len] = dm_strdup(key, r->err)))
					return -1;
				if (convert(r, item, &out->items[out->len++]))
					return -1;
			}
		}
		token(r->s, r->n, &r->pos);   /* ']' or '}' */
		return 0;
	case JSON_STRING:
		out->type = DM_JSON_STRING;
		out->string = dm_strdup(json_string_value(j), r->err);
		return out->string ? 0 : -1;
	case JSON_INTEGER:
	case JSON_REAL:
		return number(r->s, at, r->pos, out, r->err);
	case JSON_TRUE:
	case JSON_FALSE:
		out->type = DM_JSON_BOOL;
		out->boolean = json_is_true(j);
		return 0;
	case JSON_NULL:
		out->type = DM_JSON_NULL;
		return 0;
	}
	return dm_fail(r->err, "at byte %zu: expected a JSON value", at);
}

dm_json *dm_json_parse(const char *text, size_t n, dm_error *err)
{
	reader r = {(const unsigned char *)text, n, 0, err};
	locale_t c_locale, caller;
	json_error_t jerr;
	json_t *j;
	dm_json *v;
	if (!text && n > 0) {
		dm_fail(err, "at byte 0: expected JSON text, found no buffer");
		return NULL;
	}
	if (bounded(r.s, n, err))
		return NULL;
	/* jansson reads numbers with strtod in the caller's LC_NUMERIC, and
	 * asserts on a decimal point of several bytes (U+066B): read in the C
	 * locale, for this thread only.  Integers as reals: no "too big
	 * integer" error; number() reads them. */
	if (!(c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0))) {
		dm_fail(err, "out of memory reading JSON (the C locale)");
		return NULL;
	}
	caller = uselocale(c_locale);
	j = json_loadb(n ? text : "", n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES |
		       JSON_DECODE_INT_AS_REAL, &jerr);
	uselocale(caller);
	freelocale(c_locale);
	if (!j) {
		dm_make_printable(jerr.text, 0);
		dm_fail(err, "at byte %d: %s", jerr.position, jerr.text);
		return NULL;
	}
	if (!(v = dm_calloc(1, sizeof *v, err)) || convert(&r, j, v)) {
		dm_json_delete(v);
		v = NULL;
	}
	json_decref(j);
	return v;
}

const dm_json *dm_json_get(const dm_json *obj, const char *key)
{
	size_t i;
	if (!obj || obj->type != DM_JSON_OBJECT)
		return NULL;
	for (i = 0; i < obj->len; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return &obj->items[i];
	return NULL;
}
