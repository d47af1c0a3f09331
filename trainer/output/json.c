/* json.c - a deterministic JSON writer and a strict, bounded JSON reader.
 *
 * Writer: output depends only on the calls made, never on the locale or the
 * machine.  Control characters are escaped as \u00XX, '"' and '\\' with a
 * backslash; valid UTF-8 passes through and each byte of invalid UTF-8
 * becomes U+FFFD, so the output is always valid JSON that our reader takes.
 *
 * Reader: RFC 8259 and nothing more (no comments, no trailing commas, no
 * leading zeros, no NaN), strings must be valid UTF-8 without NUL, keys
 * unique.  Recursion is capped at DEPTH_MAX and the number of values at
 * VALUES_MAX, so a hostile header cannot exhaust the stack or memory.
 */
#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/text.h"

#define DEPTH_MAX 64
/* 2^22 values of 64 bytes = 256 MiB at most; real headers hold far fewer
 * (a safetensors header has about 6 values per tensor) */
#define VALUES_MAX ((size_t)1 << 22)

/* ==== writer ==== */

void dm_json_init(dm_json_writer *w, int pretty)
{
	memset(w, 0, sizeof *w);
	w->pretty = pretty;
}

static int reserve(dm_json_writer *w, size_t extra)
{
	size_t cap;
	char *buf;
	if (w->oom)
		return -1;
	if (extra < w->cap - w->len)   /* keep room for the final NUL */
		return 0;
	if (extra > (SIZE_MAX - w->len) / 2 - 64) {
		w->oom = 1;
		return -1;
	}
	cap = w->cap ? w->cap : 256;
	while (cap - w->len <= extra)
		cap *= 2;
	buf = realloc(w->buf, cap);
	if (!buf) {
		w->oom = 1;
		return -1;
	}
	w->buf = buf;
	w->cap = cap;
	return 0;
}

static void put(dm_json_writer *w, const char *s, size_t n)
{
	if (reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void puts_(dm_json_writer *w, const char *s)
{
	put(w, s, strlen(s));
}

static void newline_indent(dm_json_writer *w)
{
	int i;
	put(w, "\n", 1);
	for (i = 0; i < w->depth; i++)
		put(w, "  ", 2);
}

/* oom == 2 marks a misuse (unbalanced nesting, nesting past 64, a key
 * outside an object, two top-level values), which dm_json_finish reports
 * as it reports an allocation failure. */
static void misuse(dm_json_writer *w)
{
	if (!w->oom)
		w->oom = 2;
}

/* Before an array element or an object key: comma, and in pretty mode a
 * new line.  A value that follows its key needs nothing. */
static void separate(dm_json_writer *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->depth == 0 && w->len > 0)
		misuse(w);   /* a second value at the top level */
	if (w->depth <= 0 || w->depth > DEPTH_MAX)
		return;
	if (w->need_comma[w->depth - 1])
		put(w, ",", 1);
	if (w->pretty)
		newline_indent(w);
	w->need_comma[w->depth - 1] = 1;
}

static void begin(dm_json_writer *w, char open)
{
	separate(w);
	put(w, &open, 1);
	if (w->depth >= DEPTH_MAX) {
		misuse(w);
		w->depth++;
		return;
	}
	w->need_comma[w->depth++] = 0;
}

static void end(dm_json_writer *w, char close)
{
	if (w->depth <= 0 || w->after_key) {
		misuse(w);
		return;
	}
	w->depth--;
	if (w->depth < DEPTH_MAX && w->pretty && w->need_comma[w->depth])
		newline_indent(w);
	put(w, &close, 1);
}

void dm_json_begin_object(dm_json_writer *w) { begin(w, '{'); }
void dm_json_end_object(dm_json_writer *w) { end(w, '}'); }
void dm_json_begin_array(dm_json_writer *w) { begin(w, '['); }
void dm_json_end_array(dm_json_writer *w) { end(w, ']'); }


int dm_json_utf8_valid(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t avail = strlen(str), n;
	for (; avail > 0; s += n, avail -= n)
		if ((n = dm_utf8_len(s, avail)) == 0)
			return 0;
	return 1;
}

static void write_string(dm_json_writer *w, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t avail = strlen(str), n;
	put(w, "\"", 1);
	while (avail > 0) {
		if (*s == '"' || *s == '\\') {
			char esc[2] = {'\\', (char)*s};
			put(w, esc, 2);
			n = 1;
		} else if (*s < 0x20) {
			char esc[6] = {'\\', 'u', '0', '0', hex[*s >> 4], hex[*s & 15]};
			put(w, esc, 6);
			n = 1;
		} else if ((n = dm_utf8_len(s, avail)) > 0) {
			put(w, (const char *)s, n);
		} else {
			put(w, "\xEF\xBF\xBD", 3);   /* U+FFFD for a bad byte */
			n = 1;
		}
		s += n;
		avail -= n;
	}
	put(w, "\"", 1);
}

void dm_json_key(dm_json_writer *w, const char *key)
{
	if (w->after_key || w->depth == 0)
		misuse(w);
	separate(w);
	write_string(w, key);
	puts_(w, w->pretty ? ": " : ":");
	w->after_key = 1;
}

void dm_json_string(dm_json_writer *w, const char *s)
{
	separate(w);
	write_string(w, s);
}

void dm_json_int(dm_json_writer *w, int64_t v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%" PRId64, v);
	separate(w);
	puts_(w, buf);
}

void dm_json_uint(dm_json_writer *w, uint64_t v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%" PRIu64, v);
	separate(w);
	puts_(w, buf);
}

/* printf's decimal point comes from LC_NUMERIC, and may be several bytes
 * ("," or U+066B).  Everything in %g output that is not a digit, sign or
 * exponent letter is that decimal point: turn each such run into '.'. */
static void put_number(dm_json_writer *w, const char *text)
{
	char out[64];
	size_t o = 0;
	const char *p;
	for (p = text; *p && o < sizeof out - 1; p++) {
		int plain = (*p >= '0' && *p <= '9') || *p == '-' || *p == '+' ||
			    *p == 'e';
		if (plain)
			out[o++] = *p;
		else if (o == 0 || out[o - 1] != '.')
			out[o++] = '.';
	}
	out[o] = '\0';
	separate(w);
	puts_(w, out);
}

void dm_json_float(dm_json_writer *w, float v)
{
	char buf[64];
	if (!isfinite(v)) {
		dm_json_null(w);
		return;
	}
	snprintf(buf, sizeof buf, "%.9g", (double)v);
	put_number(w, buf);
}

void dm_json_double(dm_json_writer *w, double v)
{
	char buf[64];
	if (!isfinite(v)) {
		dm_json_null(w);
		return;
	}
	snprintf(buf, sizeof buf, "%.17g", v);
	put_number(w, buf);
}

void dm_json_bool(dm_json_writer *w, int v)
{
	separate(w);
	puts_(w, v ? "true" : "false");
}

void dm_json_null(dm_json_writer *w)
{
	separate(w);
	puts_(w, "null");
}

void dm_json_raw(dm_json_writer *w, const char *json)
{
	separate(w);
	puts_(w, json);
}

const char *dm_json_finish(dm_json_writer *w, size_t *len, dm_error *err)
{
	if (!w->oom && (w->depth != 0 || w->after_key))
		misuse(w);
	if (!w->oom && w->pretty)
		put(w, "\n", 1);
	if (!w->oom && !w->buf)
		put(w, "", 0);
	if (w->oom == 2) {
		dm_fail(err, "JSON writer: calls out of order (unbalanced nesting, "
			"more than %d levels, a key outside an object or two "
			"top-level values)", DEPTH_MAX);
		return NULL;
	}
	if (w->oom) {
		dm_fail(err, "out of memory while writing JSON (%zu bytes so far)",
			w->len);
		return NULL;
	}
	if (len)
		*len = w->len;
	return w->buf;
}

void dm_json_free(dm_json_writer *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

/* ==== reader ==== */

typedef struct parser {
	const unsigned char *s;
	size_t n, pos;
	size_t values;
	dm_error *err;
} parser;

/* Always returns -1. */
__attribute__((format(printf, 3, 4)))
static int perr(parser *p, size_t at, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return dm_fail(p->err, "at byte %zu: %s", at, what);
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

static void skip_ws(parser *p)
{
	while (p->pos < p->n && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
				 p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

/* A readable name for the byte at pos, for messages. */
static const char *found(const parser *p, size_t pos, char buf[16])
{
	unsigned c;
	if (pos >= p->n)
		return "end of input";
	c = p->s[pos];
	if (c > 0x20 && c < 0x7F)
		snprintf(buf, 16, "'%c'", (char)c);
	else
		snprintf(buf, 16, "byte 0x%02x", c);
	return buf;
}

static int expect_lit(parser *p, const char *lit)
{
	size_t k = strlen(lit), i;
	char b[16];
	for (i = 0; i < k; i++)
		if (p->pos + i >= p->n || p->s[p->pos + i] != (unsigned char)lit[i])
			return perr(p, p->pos + i, "expected '%s', found %s", lit,
				    found(p, p->pos + i, b));
	p->pos += k;
	return 0;
}

/* ---- strings ---- */

typedef struct sbuf {
	char *s;
	size_t len, cap;
} sbuf;

static int sbuf_put(parser *p, sbuf *b, const void *data, size_t n)
{
	if (b->cap - b->len <= n) {
		size_t cap = b->cap ? b->cap : 32;
		char *s;
		while (cap - b->len <= n)
			cap *= 2;
		if (!(s = realloc(b->s, cap)))
			return dm_fail(p->err, "out of memory reading JSON");
		b->s = s;
		b->cap = cap;
	}
	memcpy(b->s + b->len, data, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

static int hex4(parser *p, size_t at, unsigned *out)
{
	unsigned v = 0;
	size_t i;
	char b[16];
	for (i = 0; i < 4; i++) {
		unsigned c = at + i < p->n ? p->s[at + i] : 0, d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return perr(p, at + i, "expected 4 hex digits after \\u, found %s",
				    found(p, at + i, b));
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

static size_t encode_utf8(unsigned cp, unsigned char out[4])
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xC0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xE0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (unsigned char)(0xF0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* \uXXXX at p->pos (the backslash), with a surrogate pair if there is one. */
static int unicode_escape(parser *p, sbuf *b)
{
	size_t at = p->pos;
	unsigned cp, lo;
	unsigned char u[4];
	if (hex4(p, at + 2, &cp))
		return -1;
	p->pos = at + 6;
	if (cp >= 0xDC00 && cp <= 0xDFFF)
		return perr(p, at, "expected a high surrogate (\\uD800-\\uDBFF) "
			    "before the low surrogate \\u%04X", cp);
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		if (p->pos + 1 >= p->n || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
			return perr(p, p->pos, "expected a low surrogate \\uDC00-\\uDFFF "
				    "after \\u%04X", cp);
		if (hex4(p, p->pos + 2, &lo))
			return -1;
		if (lo < 0xDC00 || lo > 0xDFFF)
			return perr(p, p->pos, "expected a low surrogate \\uDC00-\\uDFFF "
				    "after \\u%04X, found \\u%04X", cp, lo);
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		p->pos += 6;
	}
	if (cp == 0)
		return perr(p, at, "expected a character other than \\u0000 (strings "
			    "may not hold NUL)");
	return sbuf_put(p, b, u, encode_utf8(cp, u));
}

static int escape(parser *p, sbuf *b)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;
	char bb[16];
	unsigned c = p->pos + 1 < p->n ? p->s[p->pos + 1] : 0;
	if (c == 'u')
		return unicode_escape(p, b);
	if (c == 0 || !(hit = strchr(from, (int)c)))
		return perr(p, p->pos + 1, "expected an escape (\\\" \\\\ \\/ \\b \\f "
			    "\\n \\r \\t \\uXXXX) after '\\', found %s",
			    found(p, p->pos + 1, bb));
	p->pos += 2;
	return sbuf_put(p, b, &to[hit - from], 1);
}

/* A string starting at the opening quote at p->pos; *out is malloc'd. */
static int parse_string(parser *p, char **out)
{
	sbuf b = {NULL, 0, 0};
	size_t start = p->pos++, run, n;
	for (;;) {
		/* copy the longest run of plain bytes in one go */
		run = p->pos;
		while (run < p->n && p->s[run] >= 0x20 && p->s[run] < 0x80 &&
		       p->s[run] != '"' && p->s[run] != '\\')
			run++;
		if (run > p->pos && sbuf_put(p, &b, p->s + p->pos, run - p->pos))
			goto fail;
		p->pos = run;
		if (p->pos >= p->n) {
			perr(p, p->pos, "expected '\"' to close the string that "
			     "starts at byte %zu, found end of input", start);
			goto fail;
		}
		if (p->s[p->pos] == '"')
			break;
		if (p->s[p->pos] == '\\') {
			if (escape(p, &b))
				goto fail;
		} else if (p->s[p->pos] < 0x20) {
			perr(p, p->pos, "expected an escape (\\u%04X) for control "
			     "character 0x%02x in a string", p->s[p->pos], p->s[p->pos]);
			goto fail;
		} else if ((n = dm_utf8_len(p->s + p->pos, p->n - p->pos)) == 0) {
			perr(p, p->pos, "expected valid UTF-8 in a string, found "
			     "byte 0x%02x", p->s[p->pos]);
			goto fail;
		} else {
			if (sbuf_put(p, &b, p->s + p->pos, n))
				goto fail;
			p->pos += n;
		}
	}
	p->pos++;
	if (!b.s && sbuf_put(p, &b, "", 0))
		goto fail;
	*out = b.s;
	return 0;
fail:
	free(b.s);
	return -1;
}

/* ---- numbers ---- */

static int is_digit(const parser *p, size_t i)
{
	return i < p->n && p->s[i] >= '0' && p->s[i] <= '9';
}

/* Convert the number text [a, e) to a double without strtod's locale
 * dependence: write it as DIGITS 'e' EXP (no decimal point), which every
 * locale reads the same way. */
static int number_value(parser *p, size_t a, size_t e, double *out)
{
	char small[80], *buf = small, *end;
	size_t i = a, o = 0, frac = 0;
	long long exp = 0;
	int in_frac = 0;
	if (e - a + 32 > sizeof small && !(buf = malloc(e - a + 32)))
		return dm_fail(p->err, "out of memory reading JSON");
	for (; i < e && p->s[i] != 'e' && p->s[i] != 'E'; i++) {
		if (p->s[i] == '.')
			in_frac = 1;
		else {
			buf[o++] = (char)p->s[i];
			frac += in_frac;
		}
	}
	if (i < e) {
		int neg = p->s[++i] == '-';
		if (p->s[i] == '-' || p->s[i] == '+')
			i++;
		for (; i < e; i++)   /* saturate: 1e999999999999 is just huge */
			if (exp < 1000000000)
				exp = exp * 10 + (p->s[i] - '0');
		if (neg)
			exp = -exp;
	}
	exp -= (long long)(frac < 1000000000 ? frac : 1000000000);
	snprintf(buf + o, 32, "e%lld", exp);
	errno = 0;
	*out = strtod(buf, &end);
	if (buf != small)
		free(buf);
	if (errno == ERANGE && (*out > 1 || *out < -1))
		return perr(p, a, "expected a number within the range of a double");
	return 0;
}

static int parse_number(parser *p, dm_json *v)
{
	size_t a = p->pos, i = p->pos;
	int neg = 0, integral = 1, overflow = 0;
	uint64_t u = 0;
	char b[16];
	if (i < p->n && p->s[i] == '-') {
		neg = 1;
		i++;
	}
	if (!is_digit(p, i))
		return perr(p, i, "expected a digit, found %s", found(p, i, b));
	if (p->s[i] == '0' && is_digit(p, i + 1))
		return perr(p, i, "expected a number without leading zeros");
	for (; is_digit(p, i); i++) {
		unsigned d = p->s[i] - '0';
		if (u > (UINT64_MAX - d) / 10)
			overflow = 1;
		else
			u = u * 10 + d;
	}
	if (i < p->n && p->s[i] == '.') {
		integral = 0;
		if (!is_digit(p, ++i))
			return perr(p, i, "expected a digit after '.', found %s", found(p, i, b));
		while (is_digit(p, i))
			i++;
	}
	if (i < p->n && (p->s[i] == 'e' || p->s[i] == 'E')) {
		integral = 0;
		i++;
		if (i < p->n && (p->s[i] == '+' || p->s[i] == '-'))
			i++;
		if (!is_digit(p, i))
			return perr(p, i, "expected a digit in the exponent, found %s",
				    found(p, i, b));
		while (is_digit(p, i))
			i++;
	}
	v->type = DM_JSON_NUMBER;
	if (number_value(p, a, i, &v->number))
		return -1;
	/* is_integer: the text is an exact integer; integer holds it when it
	 * is non-negative and fits in 64 bits ("-0" and huge values are not) */
	v->is_integer = integral && !overflow && !(neg && u == 0);
	v->integer = v->is_integer && !neg ? u : 0;
	p->pos = i;
	return 0;
}

/* ---- containers ---- */

static int parse_value(parser *p, dm_json *v, int depth);

/* Room for one more item (and key) in a container being built. */
static int grow(parser *p, dm_json *v, size_t *cap, int with_keys)
{
	size_t ncap;
	dm_json *items;
	char **keys;
	if (v->len < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 4;
	if (!(items = realloc(v->items, ncap * sizeof *items)))
		return dm_fail(p->err, "out of memory reading JSON");
	v->items = items;
	if (with_keys) {
		if (!(keys = realloc(v->keys, ncap * sizeof *keys)))
			return dm_fail(p->err, "out of memory reading JSON");
		v->keys = keys;
	}
	*cap = ncap;
	return 0;
}

static int parse_array(parser *p, dm_json *v, int depth)
{
	size_t cap = 0;
	char b[16];
	v->type = DM_JSON_ARRAY;
	p->pos++;
	skip_ws(p);
	if (p->pos < p->n && p->s[p->pos] == ']') {
		p->pos++;
		return 0;
	}
	for (;;) {
		if (grow(p, v, &cap, 0))
			return -1;
		memset(&v->items[v->len], 0, sizeof *v->items);
		v->len++;   /* counted now, so that a failure frees it */
		if (parse_value(p, &v->items[v->len - 1], depth + 1))
			return -1;
		skip_ws(p);
		if (p->pos < p->n && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->n && p->s[p->pos] == ']') {
			p->pos++;
			return 0;
		}
		return perr(p, p->pos, "expected ',' or ']', found %s",
			    found(p, p->pos, b));
	}
}

/* The keys of an object being read, for finding duplicates: a linear
 * scan while the object is small, then an open-addressing hash set of
 * member indices (plus one; 0 is empty), so a header with a million
 * tensors costs O(n) and not O(n^2). */
typedef struct keyset {
	size_t *slot;
	size_t cap;   /* a power of two, or 0 while scanning */
} keyset;

#define KEYSET_SCAN 16

static size_t key_hash(const char *s)
{
	uint64_t h = 14695981039346656037u;   /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return (size_t)(h ^ h >> 32);
}

/* Insert key i; returns 1 if an equal key was there already. */
static int keyset_insert(keyset *ks, char **keys, size_t i)
{
	size_t m = ks->cap - 1, h = key_hash(keys[i]) & m;
	for (; ks->slot[h]; h = (h + 1) & m)
		if (strcmp(keys[ks->slot[h] - 1], keys[i]) == 0)
			return 1;
	ks->slot[h] = i + 1;
	return 0;
}

/* Keep the load at most one half. */
static int keyset_grow(parser *p, keyset *ks, char **keys, size_t n)
{
	size_t cap = ks->cap ? ks->cap : 64, i;
	keyset bigger;
	while (cap < 2 * n)
		cap *= 2;
	if (cap == ks->cap)
		return 0;
	if (!(bigger.slot = calloc(cap, sizeof *bigger.slot)))
		return dm_fail(p->err, "out of memory reading JSON");
	bigger.cap = cap;
	for (i = 0; i + 1 < n; i++)   /* the new key n-1 is inserted later */
		keyset_insert(&bigger, keys, i);
	free(ks->slot);
	*ks = bigger;
	return 0;
}

/* Is the last key of v equal to an earlier one?  1 yes, 0 no, -1 error. */
static int duplicate(parser *p, keyset *ks, const dm_json *v)
{
	size_t i, last = v->len - 1;
	if (v->len <= KEYSET_SCAN) {
		for (i = 0; i < last; i++)
			if (strcmp(v->keys[i], v->keys[last]) == 0)
				return 1;
		return 0;
	}
	if (keyset_grow(p, ks, v->keys, v->len))
		return -1;
	return keyset_insert(ks, v->keys, last);
}


static int object_member(parser *p, dm_json *v, size_t *cap, keyset *ks,
			 int depth)
{
	size_t at;
	int dup;
	char b[16], shown[64];
	skip_ws(p);
	at = p->pos;
	if (at >= p->n || p->s[at] != '"')
		return perr(p, at, "expected '\"' (an object key), found %s",
			    found(p, at, b));
	if (grow(p, v, cap, 1))
		return -1;
	memset(&v->items[v->len], 0, sizeof *v->items);
	v->keys[v->len] = NULL;
	v->len++;
	if (parse_string(p, &v->keys[v->len - 1]))
		return -1;
	if ((dup = duplicate(p, ks, v)) < 0)
		return -1;
	if (dup) {
		dm_printable(v->keys[v->len - 1], shown, sizeof shown);
		return perr(p, at, "expected unique keys, found \"%s\" again", shown);
	}
	skip_ws(p);
	if (p->pos >= p->n || p->s[p->pos] != ':')
		return perr(p, p->pos, "expected ':', found %s", found(p, p->pos, b));
	p->pos++;
	return parse_value(p, &v->items[v->len - 1], depth + 1);
}

static int object_members(parser *p, dm_json *v, keyset *ks, int depth)
{
	size_t cap = 0;
	char b[16];
	v->type = DM_JSON_OBJECT;
	p->pos++;
	skip_ws(p);
	if (p->pos < p->n && p->s[p->pos] == '}') {
		p->pos++;
		return 0;
	}
	for (;;) {
		if (object_member(p, v, &cap, ks, depth))
			return -1;
		skip_ws(p);
		if (p->pos < p->n && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->n && p->s[p->pos] == '}') {
			p->pos++;
			return 0;
		}
		return perr(p, p->pos, "expected ',' or '}', found %s",
			    found(p, p->pos, b));
	}
}

static int parse_object(parser *p, dm_json *v, int depth)
{
	keyset ks = {NULL, 0};
	int rc = object_members(p, v, &ks, depth);
	free(ks.slot);
	return rc;
}

/* depth counts the containers around v. */
static int parse_value(parser *p, dm_json *v, int depth)
{
	char b[16];
	skip_ws(p);
	if (++p->values > VALUES_MAX)
		return perr(p, p->pos, "expected at most %zu values", VALUES_MAX);
	if (p->pos >= p->n)
		return perr(p, p->pos, "expected a value, found end of input");
	switch (p->s[p->pos]) {
	case '{':
	case '[':
		if (depth >= DEPTH_MAX)
			return perr(p, p->pos, "expected at most %d levels of nesting",
				    DEPTH_MAX);
		return p->s[p->pos] == '{' ? parse_object(p, v, depth)
					   : parse_array(p, v, depth);
	case '"':
		v->type = DM_JSON_STRING;
		return parse_string(p, &v->string);
	case 't':
		v->type = DM_JSON_BOOL;
		v->boolean = 1;
		return expect_lit(p, "true");
	case 'f':
		v->type = DM_JSON_BOOL;
		return expect_lit(p, "false");
	case 'n':
		v->type = DM_JSON_NULL;
		return expect_lit(p, "null");
	default:
		if (p->s[p->pos] == '-' || (p->s[p->pos] >= '0' && p->s[p->pos] <= '9'))
			return parse_number(p, v);
		return perr(p, p->pos, "expected a value, found %s",
			    found(p, p->pos, b));
	}
}

dm_json *dm_json_parse(const char *text, size_t n, dm_error *err)
{
	parser p = {(const unsigned char *)text, n, 0, 0, err};
	dm_json *v = dm_calloc(1, sizeof *v, err);
	char b[16];
	if (!v)
		return NULL;
	if (!text && n > 0) {
		dm_fail(err, "at byte 0: expected JSON text, found no buffer");
		goto fail;
	}
	if (parse_value(&p, v, 0))
		goto fail;
	skip_ws(&p);
	if (p.pos < n) {
		perr(&p, p.pos, "expected the end of the input after the value, "
		     "found %s", found(&p, p.pos, b));
		goto fail;
	}
	return v;
fail:
	dm_json_delete(v);
	return NULL;
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
