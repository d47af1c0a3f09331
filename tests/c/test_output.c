/* test_output.c - the output module: the JSON writer and reader, atomic
 * file writes, safetensors files checked against bytes derived by hand
 * from the format's spec and against files written by Python and numpy,
 * and the bundle's tar (libarchive's, and libtar's where the build has it). */
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <ftw.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <dirent.h>
#include <seccomp.h>
#include <unistd.h>

#include "base/sha256.h"
#include "output/atomic.h"
#include "output/bundle.h"
#include "output/json.h"
#include "output/safetensors.h"
#include "tap.h"

static char dir[] = "/tmp/dm-output-XXXXXX";
/* the writers' state (output/atomic.h), in no registry */
static dm_atomic *atom;

/* ---- helpers ---- */

static char *path_in(const char *name)
{
	static char buf[8][512];
	static int next;
	char *p = buf[next++ % 8];
	snprintf(p, 512, "%s/%s", dir, name);
	return p;
}

static int write_bytes(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	int good;
	if (!f)
		return -1;
	good = fwrite(data, 1, n, f) == n;
	return fclose(f) == 0 && good ? 0 : -1;
}

/* The whole file, malloc'd; *n its size. */
static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long size;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)size + 1)) &&
	    fread(buf, 1, (size_t)size, f) == (size_t)size) {
		*n = (size_t)size;
		buf[size] = '\0';
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* Entries of a directory other than . and .., or -1. */
static int count_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;
	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static int from_hex(const char *hex, unsigned char *out, size_t size)
{
	size_t n = 0;
	unsigned v;
	for (; hex[0] && hex[1]; hex += 2) {
		if (n >= size || sscanf(hex, "%2x", &v) != 1)
			return -1;
		out[n++] = (unsigned char)v;
	}
	return (int)n;
}

static uint32_t bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	return u;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* ==== JSON writer ==== */

static void build_doc(dm_json_writer *w)
{
	dm_json_begin_object(w);
	dm_json_key(w, "model");
	dm_json_string(w, "tiny");
	dm_json_key(w, "n");
	dm_json_int(w, -3);
	dm_json_key(w, "big");
	dm_json_uint(w, UINT64_MAX);
	dm_json_key(w, "f");
	dm_json_float(w, 0.1f);
	dm_json_key(w, "d");
	dm_json_double(w, 0.1);
	dm_json_key(w, "yes");
	dm_json_bool(w, 1);
	dm_json_key(w, "no");
	dm_json_bool(w, 0);
	dm_json_key(w, "none");
	dm_json_null(w);
	dm_json_key(w, "list");
	dm_json_begin_array(w);
	dm_json_int(w, 1);
	dm_json_begin_array(w);
	dm_json_end_array(w);
	dm_json_begin_object(w);
	dm_json_end_object(w);
	dm_json_end_array(w);
	dm_json_key(w, "obj");
	dm_json_begin_object(w);
	dm_json_key(w, "k");
	dm_json_string(w, "v");
	dm_json_end_object(w);
	dm_json_key(w, "raw");
	dm_json_raw(w, "[1,2]");
	dm_json_end_object(w);
}

static void test_writer_document(void)
{
	static const char compact[] =
		"{\"model\":\"tiny\",\"n\":-3,\"big\":18446744073709551615,"
		"\"f\":0.100000001,\"d\":0.10000000000000001,\"yes\":true,"
		"\"no\":false,\"none\":null,\"list\":[1,[],{}],\"obj\":{\"k\":\"v\"},"
		"\"raw\":[1,2]}";
	static const char pretty[] =
		"{\n"
		"  \"model\": \"tiny\",\n"
		"  \"n\": -3,\n"
		"  \"big\": 18446744073709551615,\n"
		"  \"f\": 0.100000001,\n"
		"  \"d\": 0.10000000000000001,\n"
		"  \"yes\": true,\n"
		"  \"no\": false,\n"
		"  \"none\": null,\n"
		"  \"list\": [\n"
		"    1,\n"
		"    [],\n"
		"    {}\n"
		"  ],\n"
		"  \"obj\": {\n"
		"    \"k\": \"v\"\n"
		"  },\n"
		"  \"raw\": [1,2]\n"
		"}\n";
	dm_json_writer w;
	dm_error err = {"", 0};
	const char *text;
	size_t len = 0;

	dm_json_init(&w, 0);
	build_doc(&w);
	text = dm_json_finish(&w, &len, &err);
	ok(text && strcmp(text, compact) == 0 && len == strlen(compact),
	   "writer: compact document byte for byte");
	if (text && strcmp(text, compact))
		diag("got %s", text);
	dm_json_free(&w);

	dm_json_init(&w, 1);
	build_doc(&w);
	text = dm_json_finish(&w, &len, &err);
	ok(text && strcmp(text, pretty) == 0 && len == strlen(pretty),
	   "writer: pretty document byte for byte, newline at the end");
	if (text && strcmp(text, pretty))
		diag("got %s", text);
	dm_json_free(&w);

	dm_json_init(&w, 1);
	dm_json_begin_array(&w);
	dm_json_end_array(&w);
	text = dm_json_finish(&w, &len, &err);
	ok(text && strcmp(text, "[]\n") == 0, "writer: empty pretty array is \"[]\\n\"");
	dm_json_free(&w);
}

static void test_writer_escapes(void)
{
	dm_json_writer w;
	dm_error err = {"", 0};
	const char *text;
	/* '"', '\\', every control character as \u00XX (also \n and \t);
	 * DEL and valid UTF-8 (2, 3 and 4 bytes) pass through; invalid bytes
	 * (a stray continuation, an overlong NUL, a UTF-8 surrogate, a
	 * truncated sequence) become U+FFFD */
	static const char in[] = "a\"b\\c\n\t\x01\x1f\x7f" "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
				 "|\x80|\xc0\x80|\xed\xa0\x80|\xe2\x82";
	static const char want[] = "\"a\\\"b\\\\c\\u000a\\u0009\\u0001\\u001f\x7f"
				   "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
				   "|\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd|"
				   "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|"
				   "\xef\xbf\xbd\xef\xbf\xbd\"";
	dm_json_init(&w, 0);
	dm_json_string(&w, in);
	text = dm_json_finish(&w, NULL, &err);
	ok(text && strcmp(text, want) == 0, "writer: escapes and UTF-8 handling");
	if (text && strcmp(text, want))
		diag("got %s", text);
	dm_json_free(&w);

	dm_json_init(&w, 0);
	dm_json_begin_object(&w);
	dm_json_key(&w, "k\"\x02");
	dm_json_string(&w, "");
	dm_json_end_object(&w);
	text = dm_json_finish(&w, NULL, &err);
	ok(text && strcmp(text, "{\"k\\\"\\u0002\":\"\"}") == 0, "writer: keys are escaped too");
	dm_json_free(&w);

	ok(dm_json_utf8_valid("plain \xc3\xa9\xf0\x9f\x98\x80") &&
	   !dm_json_utf8_valid("\xff") && !dm_json_utf8_valid("\xed\xa0\x80") &&
	   !dm_json_utf8_valid("\xf4\x90\x80\x80") && !dm_json_utf8_valid("\xe2\x82"),
	   "dm_json_utf8_valid accepts UTF-8 and rejects bad forms");
}

/* One float or double value as the writer puts it. */
static int float_text(int is_double, double v, const char *want)
{
	dm_json_writer w;
	dm_error err = {"", 0};
	const char *text;
	int good;
	dm_json_init(&w, 0);
	if (is_double)
		dm_json_double(&w, v);
	else
		dm_json_float(&w, (float)v);
	text = dm_json_finish(&w, NULL, &err);
	good = text && strcmp(text, want) == 0;
	if (!good)
		diag("%s %.17g: got %s, expected %s", is_double ? "double" : "float", v,
		     text ? text : err.msg, want);
	dm_json_free(&w);
	return good;
}

static void test_writer_floats(const char *what)
{
	ok(float_text(0, 0.1f, "0.100000001") && float_text(0, 1e-45f, "1.40129846e-45") &&
	   float_text(0, -0.0f, "-0") && float_text(0, 1.0f, "1") &&
	   float_text(0, 16777216.0f, "16777216") && float_text(0, -2.5f, "-2.5") &&
	   float_text(0, FLT_MAX, "3.40282347e+38") &&
	   float_text(0, FLT_MIN, "1.17549435e-38"),
	   "writer%s: floats with %%.9g", what);
	ok(float_text(1, 0.1, "0.10000000000000001") && float_text(1, 1e300, "1.0000000000000001e+300") &&
	   float_text(1, -0.0, "-0") && float_text(1, 0.5, "0.5") &&
	   float_text(1, 4.9406564584124654e-324, "4.9406564584124654e-324"),
	   "writer%s: doubles with %%.17g", what);
	ok(float_text(0, INFINITY, "null") && float_text(0, -INFINITY, "null") &&
	   float_text(0, NAN, "null") && float_text(1, INFINITY, "null") &&
	   float_text(1, NAN, "null"),
	   "writer%s: inf and NaN become null", what);
}

/* Every float written and read back is the same float. */
static void test_float_round_trip(void)
{
	static const float v[] = {0.1f, 1e-45f, 3e-39f, FLT_MIN, FLT_MAX, 1.0f / 3,
				  -123456.789f, 16777217.0f, 2.5e-20f, 0.0f};
	dm_json_writer w;
	dm_error err = {"", 0};
	const char *text;
	size_t len, i;
	dm_json *doc;
	int good = 1;
	dm_json_init(&w, 0);
	dm_json_begin_array(&w);
	for (i = 0; i < sizeof v / sizeof *v; i++)
		dm_json_float(&w, v[i]);
	dm_json_end_array(&w);
	text = dm_json_finish(&w, &len, &err);
	doc = text ? dm_json_parse(text, len, &err) : NULL;
	good = doc && doc->len == sizeof v / sizeof *v;
	for (i = 0; good && i < doc->len; i++)
		good = bits((float)doc->items[i].number) == bits(v[i]);
	ok(good, "floats written with %%.9g read back to the same bits");
	dm_json_delete(doc);
	dm_json_free(&w);
}

static void test_writer_misuse(void)
{
	dm_json_writer w;
	dm_error err = {"", 0};
	const char *text;
	int i;

	dm_json_init(&w, 0);
	dm_json_begin_object(&w);
	text = dm_json_finish(&w, NULL, &err);
	ok(!text && strstr(err.msg, "unbalanced"), "writer: an unclosed object is an error: %s", err.msg);
	dm_json_free(&w);

	dm_json_init(&w, 0);
	dm_json_int(&w, 1);
	dm_json_int(&w, 2);
	text = dm_json_finish(&w, NULL, &err);
	ok(!text, "writer: two values at the top level are an error");
	dm_json_free(&w);

	dm_json_init(&w, 0);
	dm_json_key(&w, "k");
	dm_json_int(&w, 2);
	text = dm_json_finish(&w, NULL, &err);
	ok(!text, "writer: a key outside an object is an error");
	dm_json_free(&w);

	dm_json_init(&w, 0);
	for (i = 0; i < 64; i++)
		dm_json_begin_array(&w);
	for (i = 0; i < 64; i++)
		dm_json_end_array(&w);
	text = dm_json_finish(&w, NULL, &err);
	ok(text && strlen(text) == 128, "writer: 64 levels of nesting are fine");
	dm_json_free(&w);

	dm_json_init(&w, 0);
	for (i = 0; i < 65; i++)
		dm_json_begin_array(&w);
	for (i = 0; i < 65; i++)
		dm_json_end_array(&w);
	text = dm_json_finish(&w, NULL, &err);
	ok(!text && strstr(err.msg, "64"), "writer: 65 levels are an error: %s", err.msg);
	dm_json_free(&w);
}

/* Decimal comma locales: the writer's and the reader's numbers must not
 * change.  The locales are built with localedef into the test directory
 * (where the data is missing, the check is skipped). */
static void test_locale(const char *name)
{
	char cmd[1024], path[512];
	dm_json *doc;
	dm_error err = {"", 0};
	snprintf(path, sizeof path, "%s/locales", dir);
	mkdir(path, 0755);
	snprintf(cmd, sizeof cmd, "localedef -i %s -f UTF-8 %s/%s.UTF-8 >/dev/null 2>&1",
		 name, path, name);
	setenv("LOCPATH", path, 1);
	snprintf(path, sizeof path, "%s.UTF-8", name);
	if (system(cmd) != 0 || !setlocale(LC_NUMERIC, path)) {
		ok(1, "# SKIP locale %s cannot be built here", name);
		unsetenv("LOCPATH");
		return;
	}
	diag("LC_NUMERIC=%s: decimal point \"%s\"", path, localeconv()->decimal_point);
	snprintf(cmd, sizeof cmd, "%.1f", 0.5);
	ok(strcmp(cmd, "0.5") != 0, "the %s locale changes printf's decimal point (%s)", name, cmd);
	snprintf(cmd, sizeof cmd, " under %s", name);
	test_writer_floats(cmd);
	doc = dm_json_parse("[0.5,-2.5e-3,1.25E+2]", 21, &err);
	ok(doc && doc->items[0].number == 0.5 && doc->items[1].number == -2.5e-3 &&
	   doc->items[2].number == 125, "reader under %s: numbers unchanged", name);
	dm_json_delete(doc);
	setlocale(LC_NUMERIC, "C");
	unsetenv("LOCPATH");
}

/* ==== JSON reader ==== */

/* Parse from a buffer of exactly n bytes (no NUL after it), so that ASan
 * and valgrind catch any read past the end. */
static dm_json *parse_exact(const char *text, size_t n, dm_error *err)
{
	char *copy = n ? malloc(n) : NULL;
	dm_json *v;
	if (n)
		memcpy(copy, text, n);
	v = dm_json_parse(copy, n, err);
	free(copy);
	return v;
}

static void test_reader_valid(void)
{
	static const char doc[] = " {\"a\": [1, 2.5, -3e2, true, false, null, \"x\"],\r\n"
				  "\t\"b\": {}, \"c\": \"\\u00e9\\ud83d\\ude00\\n\\/\\\"\"} ";
	dm_error err = {"", 0};
	const dm_json *a, *c;
	dm_json *v = parse_exact(doc, strlen(doc), &err);
	ok(v && v->type == DM_JSON_OBJECT && v->len == 3, "reader: a valid document (%s)",
	   v ? "parsed" : err.msg);
	if (!v)
		return;
	a = dm_json_get(v, "a");
	ok(a && a->type == DM_JSON_ARRAY && a->len == 7 && a->items[0].is_integer &&
	   a->items[0].integer == 1 && a->items[1].number == 2.5 && !a->items[1].is_integer &&
	   a->items[2].number == -300 && !a->items[2].is_integer &&
	   a->items[3].type == DM_JSON_BOOL && a->items[3].boolean &&
	   a->items[4].type == DM_JSON_BOOL && !a->items[4].boolean &&
	   a->items[5].type == DM_JSON_NULL && a->items[6].type == DM_JSON_STRING &&
	   strcmp(a->items[6].string, "x") == 0, "reader: array values and types");
	ok(dm_json_get(v, "b") && dm_json_get(v, "b")->type == DM_JSON_OBJECT &&
	   dm_json_get(v, "b")->len == 0 && !dm_json_get(v, "zz"), "reader: dm_json_get");
	c = dm_json_get(v, "c");
	ok(c && strcmp(c->string, "\xc3\xa9\xf0\x9f\x98\x80\n/\"") == 0,
	   "reader: escapes and a surrogate pair become UTF-8");
	dm_json_delete(v);

	v = parse_exact("18446744073709551615", 20, &err);
	ok(v && v->is_integer && v->integer == UINT64_MAX, "reader: UINT64_MAX is an exact integer");
	dm_json_delete(v);
	v = parse_exact("18446744073709551616", 20, &err);
	ok(v && !v->is_integer && v->number == 18446744073709551616.0,
	   "reader: 2^64 is a number but not an exact integer");
	dm_json_delete(v);
	v = parse_exact("-0", 2, &err);
	ok(v && !v->is_integer && v->number == 0 && signbit(v->number), "reader: -0 is not an integer");
	dm_json_delete(v);
	v = parse_exact("-7", 2, &err);
	ok(v && v->is_integer && v->integer == 0 && v->number == -7,
	   "reader: -7 is an integer, without an unsigned value");
	dm_json_delete(v);
	v = parse_exact("0.1", 3, &err);
	ok(v && v->number == 0.1, "reader: 0.1 is the double nearest 0.1");
	dm_json_delete(v);
	v = parse_exact("1E-400", 6, &err);
	ok(v && v->number == 0, "reader: an underflow is 0, not an error");
	dm_json_delete(v);
	v = parse_exact("\"\xe2\x82\xac\"", 5, &err);
	ok(v && v->type == DM_JSON_STRING && strcmp(v->string, "\xe2\x82\xac") == 0,
	   "reader: a top-level string with raw UTF-8");
	dm_json_delete(v);

	/* only n bytes count: what follows is not seen */
	v = dm_json_parse("[1]garbage", 3, &err);
	ok(v && v->type == DM_JSON_ARRAY && v->len == 1, "reader: stops at n bytes");
	dm_json_delete(v);
}

static void test_reader_depth(void)
{
	char buf[200];
	dm_error err = {"", 0};
	dm_json *v;
	memset(buf, '[', 64);
	memset(buf + 64, ']', 64);
	v = parse_exact(buf, 128, &err);
	ok(v != NULL, "reader: 64 levels of nesting are fine");
	dm_json_delete(v);
	memset(buf, '[', 65);
	memset(buf + 65, ']', 65);
	v = parse_exact(buf, 130, &err);
	ok(!v && strstr(err.msg, "at byte 64: expected at most 64 levels"),
	   "reader: 65 levels are refused: %s", err.msg);
	dm_json_delete(v);
}

/* An object with many keys goes through the hash set; a duplicate far in
 * is still found, at the right byte. */
static void test_reader_many_keys(void)
{
	size_t cap = 100000, len = 0, at = 0;
	char *buf = malloc(cap), want[64];
	dm_error err = {"", 0};
	dm_json *v;
	int i;
	len += (size_t)snprintf(buf + len, cap - len, "{");
	for (i = 0; i < 3000; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s\"k%d\":%d", i ? "," : "", i, i);
	snprintf(buf + len, cap - len, "}");
	v = parse_exact(buf, len + 1, &err);
	ok(v && v->len == 3000 && dm_json_get(v, "k2999") &&
	   dm_json_get(v, "k2999")->integer == 2999, "reader: an object with 3000 keys");
	dm_json_delete(v);
	at = len + 1 + 7;   /* the '}' becomes ',': jansson's offset is past the key */
	len += (size_t)snprintf(buf + len, cap - len, ",\"k1234\":0}");
	v = parse_exact(buf, len, &err);
	snprintf(want, sizeof want, "at byte %zu: duplicate object key near '\"k1234\"'", at);
	ok(!v && strstr(err.msg, want),
	   "reader: duplicate key 3001 found: %s", err.msg);
	dm_json_delete(v);
	free(buf);
}

/* The messages are jansson's, and its offset is where it stopped reading:
 * past the token it names. */
typedef struct bad_json {
	const char *text;
	size_t n;          /* 0: strlen */
	const char *want;  /* "at byte N: ..." prefix of the message */
} bad_json;

static void test_reader_malformed(void)
{
	static const bad_json cases[] = {
		{"", 0, "at byte 0: unexpected token near end of file"},
		{"   ", 0, "at byte 3: unexpected token near end of file"},
		{"[1,]", 0, "at byte 4: unexpected token near ']'"},
		{"{\"a\":1,}", 0, "at byte 8: string or '}' expected near '}'"},
		{"{\"a\" 1}", 0, "at byte 6: ':' expected near '1'"},
		{"[1 2]", 0, "at byte 4: ']' expected near '2'"},
		{"{\"a\":1 \"b\":2}", 0, "at byte 10: '}' expected near '\"b\"'"},
		{"[1,2", 0, "at byte 4: ']' expected near end of file"},
		{"{\"a\":}", 0, "at byte 6: unexpected token near '}'"},
		{"{1:2}", 0, "at byte 2: string or '}' expected near '1'"},
		{"[]]", 0, "at byte 3: end of file expected near ']'"},
		{"[1] // comment", 0, "at byte 5: end of file expected near '/'"},
		{"/* c */ 1", 0, "at byte 1: invalid token near '/'"},
		{"['a']", 0, "at byte 2: invalid token near '''"},
		{"01", 0, "at byte 1: invalid token near '0'"},
		{"[-012]", 0, "at byte 3: invalid token near '-0'"},
		{"1.", 0, "at byte 2: invalid token near '1.'"},
		{"1.e5", 0, "at byte 2: invalid token near '1.'"},
		{".5", 0, "at byte 1: invalid token near '.'"},
		{"+1", 0, "at byte 1: invalid token near '+'"},
		{"1e", 0, "at byte 2: invalid token near '1e'"},
		{"-", 0, "at byte 1: invalid token near '-'"},
		{"[1e400]", 0, "at byte 6: real number overflow near '1e400'"},
		{"NaN", 0, "at byte 3: invalid token near 'NaN'"},
		{"-Infinity", 0, "at byte 1: invalid token near '-'"},
		{"tru", 0, "at byte 3: invalid token near 'tru'"},
		{"nulL", 0, "at byte 4: invalid token near 'nulL'"},
		{"\"abc", 0, "at byte 4: premature end of input near '\"abc'"},
		{"\"a\nb\"", 0, "at byte 2: unexpected newline near '\"a'"},
		{"\"a\tb\"", 0, "at byte 2: control character 0x9 near '\"a'"},
		{"\"\\x\"", 0, "at byte 3: invalid escape near '\"\\x'"},
		{"\"\\", 0, "at byte 2: invalid escape near '\"\\'"},
		{"\"\\u12\"", 0, "at byte 6: invalid escape near '\"\\u12\"'"},
		{"\"\\u0000\"", 0, "at byte 8: \\u0000 is not allowed without JSON_ALLOW_NUL near '\"\\u0000\"'"},
		{"\"\\ud800\"", 0, "at byte 8: invalid Unicode '\\uD800' near '\"\\ud800\"'"},
		{"\"\\ud800\\u0041\"", 0, "at byte 14: invalid Unicode '\\uD800\\u0041' near '\"\\ud800\\u0041\"'"},
		{"\"\\udc00\"", 0, "at byte 8: invalid Unicode '\\uDC00' near '\"\\udc00\"'"},
		{"\"\xff\"", 0, "at byte 1: unable to decode byte 0xff near '\"'"},
		{"\"\xc0\x80\"", 0, "at byte 1: unable to decode byte 0xc0 near '\"'"},
		{"\"ab\xed\xa0\x80\"", 0, "at byte 3: unable to decode byte 0xed near '\"ab'"},
		{"\"\xf4\x90\x80\x80\"", 0, "at byte 1: unable to decode byte 0xf4 near '\"'"},
		{"\"\xe2\x82", 0, "at byte 1: unable to decode byte 0xe2 near '\"'"},
		{"{\"a\":1,\"a\":2}", 0, "at byte 10: duplicate object key near '\"a\"'"},
		{"1\0", 2, "at byte 1: expected JSON text, found byte 0x00"},
		{"\"a\"\"b\"", 0, "at byte 6: end of file expected near '\"b\"'"},
		{"[1,\xef\xbb\xbf]", 0, "at byte 6: invalid token near '?\?\?'"},
	};
	size_t i, fails = 0, n = sizeof cases / sizeof *cases;
	for (i = 0; i < n; i++) {
		dm_error err = {"", 0};
		size_t len = cases[i].n ? cases[i].n : strlen(cases[i].text);
		dm_json *v = parse_exact(cases[i].text, len, &err);
		int good = !v && strncmp(err.msg, cases[i].want, strlen(cases[i].want)) == 0;
		ok(good, "reader refuses malformed #%zu: %s", i, err.msg);
		if (!good)
			diag("expected: %s", cases[i].want), fails++;
		dm_json_delete(v);
	}
	ok(n >= 15 && fails == 0, "%zu malformed documents, each with its offset", n);
}

/* ==== atomic ==== */

static void test_atomic_basic(void)
{
	static const char a[] = "hello ", b[] = "world\n";
	dm_piece pieces[] = {{a, 6}, {NULL, 0}, {b, 6}};
	dm_error err = {"", 0};
	char *path = path_in("atomic/out.txt"), *content;
	struct stat st;
	mode_t old;
	size_t n = 0;
	mkdir(path_in("atomic"), 0755);

	old = umask(022);
	ok(dm_atomic_writev(atom, path, pieces, 3, &err) == 0, "atomic: writev succeeds");
	content = (char *)slurp(path, &n);
	ok(content && n == 12 && memcmp(content, "hello world\n", 12) == 0,
	   "atomic: the pieces in order, empty ones skipped");
	free(content);
	memset(&st, 0, sizeof st);
	stat(path, &st);
	ok((st.st_mode & 07777) == 0644, "atomic: mode 0644 under umask 022 (%o)",
	   (unsigned)(st.st_mode & 07777));
	umask(077);
	memset(&st, 0, sizeof st);
	ok(dm_atomic_write(atom, path, "x", 1, &err) == 0 && stat(path, &st) == 0, "atomic: overwrite");
	ok((st.st_mode & 07777) == 0600, "atomic: mode 0600 under umask 077 (%o)",
	   (unsigned)(st.st_mode & 07777));
	umask(old);
	ok(count_entries(path_in("atomic")) == 1, "atomic: no temporary file is left");
	content = (char *)slurp(path, &n);
	ok(content && n == 1 && content[0] == 'x', "atomic: an overwrite replaces the content");
	free(content);

	ok(dm_atomic_write(atom, path_in("atomic/"), "x", 1, &err) == -1 &&
	   strstr(err.msg, "expected a file name"), "atomic: a directory path is refused: %s", err.msg);
	mkdir(path_in("atomic/sub"), 0755);
	ok(dm_atomic_write(atom, path_in("atomic/sub"), "x", 1, &err) == -1 &&
	   strstr(err.msg, "atomic/sub: rename: Is a directory") &&
	   count_entries(path_in("atomic")) == 2 && count_entries(path_in("atomic/sub")) == 0,
	   "atomic: rename over a directory fails, temp removed: %s", err.msg);
	ok(dm_atomic_write(atom, path_in("nodir/x"), "x", 1, &err) == -1 &&
	   strstr(err.msg, "nodir/x: cannot create a temporary file in") &&
	   strstr(err.msg, "No such file or directory"),
	   "atomic: a missing directory: %s", err.msg);
	dm_atomic_cleanup(atom);   /* nothing active: must do nothing */
	ok(count_entries(path_in("atomic")) == 2, "atomic: dm_atomic_cleanup with no write does nothing");
}

/* Run fn in a child; its message comes back through a pipe.  Returns the
 * child's wait status. */
static int in_child(void (*fn)(int fd, void *arg), void *arg, char *msg, size_t size)
{
	int fds[2], status = -1;
	ssize_t n;
	size_t got = 0;
	pid_t pid;
	fflush(stdout);
	if (pipe(fds) < 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		close(fds[0]);
		fn(fds[1], arg);
		_exit(0);
	}
	close(fds[1]);
	while (got + 1 < size && (n = read(fds[0], msg + got, size - 1 - got)) > 0)
		got += (size_t)n;
	msg[got] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	return status;
}

static void say(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) < 0)
		_exit(3);
}

/* ---- the ways atomic.c can take, forced in a child ----
 *
 * atomic.c writes through an unnamed O_TMPFILE inode, linked by
 * /proc/self/fd/N or else by AT_EMPTY_PATH, and falls back to a named
 * temporary file.  A seccomp filter in a child makes the kernel refuse a
 * step as an old kernel, a file system without O_TMPFILE or a system
 * without /proc (or the capability) would. */
enum way { WAY_DEFAULT, WAY_NO_TMPFILE, WAY_NO_PROC_LINK, WAY_NO_LINK, WAY_NO_EXCHANGE, NWAYS };
static const char *const way_name[NWAYS] = {
	"unnamed O_TMPFILE, linked by /proc", "named temporary (no O_TMPFILE)",
	"unnamed, linked by AT_EMPTY_PATH (no /proc)",
	"named again after linkat fails (no /proc, no capability)",
	"no renameat2(RENAME_EXCHANGE) (NFS)"};

static int restrict_to(enum way w)
{
	const unsigned long tmpfile_bit = O_TMPFILE & ~O_DIRECTORY;
	scmp_filter_ctx ctx;
	int rc = 0;
	if (w == WAY_DEFAULT)
		return 0;
	seccomp_api_set(1);   /* load with prctl, which valgrind knows, not seccomp(2) */
	if (!(ctx = seccomp_init(SCMP_ACT_ALLOW)))
		return -1;
	if (w == WAY_NO_TMPFILE) {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EOPNOTSUPP), SCMP_SYS(openat), 1,
				      SCMP_A2(SCMP_CMP_MASKED_EQ, tmpfile_bit, tmpfile_bit));
		/* open(2) where it exists; glibc uses openat */
		seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EOPNOTSUPP), SCMP_SYS(open), 1,
				 SCMP_A1(SCMP_CMP_MASKED_EQ, tmpfile_bit, tmpfile_bit));
	} else if (w == WAY_NO_PROC_LINK) {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOENT), SCMP_SYS(linkat), 1,
				      SCMP_A4(SCMP_CMP_MASKED_EQ, AT_SYMLINK_FOLLOW,
					      AT_SYMLINK_FOLLOW));
	} else if (w == WAY_NO_EXCHANGE) {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EINVAL), SCMP_SYS(renameat2), 0);
	} else {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(linkat), 0);
	}
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc;
}

/* As a user who may not write into a directory; arg is an enum way * or
 * NULL. */
static void child_readonly(int fd, void *arg)
{
	dm_error err = {"", 0};
	if (arg && restrict_to(*(enum way *)arg))
		_exit(2);
	if (geteuid() == 0 && (setgid(65534) || setuid(65534)))
		_exit(2);
	if (dm_atomic_write(atom, path_in("ro/m.safetensors"), "data", 4, &err) == 0)
		_exit(1);
	say(fd, err.msg);
}

/* Past RLIMIT_FSIZE, with SIGXFSZ ignored so that write() gives EFBIG. */
static void child_fsize(int fd, void *arg)
{
	struct rlimit lim = {1000, 1000};
	static char big[4096];
	dm_error err = {"", 0};
	memset(big, 'n', sizeof big);
	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &lim))
		_exit(2);
	if (dm_atomic_write(atom, (const char *)arg, big, sizeof big, &err) == 0)
		_exit(1);
	say(fd, err.msg);
}

/* SIGXFSZ caught: the handler removes the temp file, as the CLI's does. */
static void on_xfsz(int sig)
{
	(void)sig;
	dm_atomic_cleanup(atom);
	_exit(7);
}

static void child_signal(int fd, void *arg)
{
	struct rlimit lim = {1000, 1000};
	static char big[4096];
	dm_error err = {"", 0};
	(void)fd;
	signal(SIGXFSZ, on_xfsz);
	if (setrlimit(RLIMIT_FSIZE, &lim))
		_exit(2);
	dm_atomic_write(atom, (const char *)arg, big, sizeof big, &err);
	_exit(1);
}

static void test_atomic_failures(void)
{
	char msg[1024], want[600], *content;
	int status;
	size_t n = 0;

	/* a directory the writer may not write into, not even as root */
	chmod(dir, 0755);
	mkdir(path_in("ro"), 0755);
	chmod(path_in("ro"), 0555);
	status = in_child(child_readonly, NULL, msg, sizeof msg);
	snprintf(want, sizeof want, "%s: cannot create a temporary file in %s: Permission denied",
		 path_in("ro/m.safetensors"), path_in("ro"));
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 && strcmp(msg, want) == 0,
	   "atomic: read-only directory: %s", msg);
	ok(count_entries(path_in("ro")) == 0, "atomic: read-only directory: nothing left");

	mkdir(path_in("full"), 0755);
	status = in_child(child_fsize, path_in("full/m.safetensors"), msg, sizeof msg);
	snprintf(want, sizeof want, "%s: write: File too large", path_in("full/m.safetensors"));
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 && strcmp(msg, want) == 0,
	   "atomic: RLIMIT_FSIZE gives EFBIG: %s", msg);
	ok(count_entries(path_in("full")) == 0, "atomic: after EFBIG no temporary file is left");

	write_bytes(path_in("full/keep.json"), "{\"old\":1}\n", 10);
	status = in_child(child_fsize, path_in("full/keep.json"), msg, sizeof msg);
	content = (char *)slurp(path_in("full/keep.json"), &n);
	ok(WIFEXITED(status) && strstr(msg, "keep.json: write: File too large") && content &&
	   n == 10 && memcmp(content, "{\"old\":1}\n", 10) == 0 &&
	   count_entries(path_in("full")) == 1,
	   "atomic: an existing file survives a failed overwrite unchanged");
	free(content);

	status = in_child(child_signal, path_in("full/sig.bin"), msg, sizeof msg);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 7 && count_entries(path_in("full")) == 1,
	   "atomic: a signal handler's dm_atomic_cleanup removes the temporary file");
}

/* Can this directory hold an unnamed file? */
static int have_tmpfile(const char *where)
{
	int fd = open(where, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static int same_file(const char *a, const char *b)
{
	size_t na = 0, nb = 0;
	unsigned char *x = slurp(a, &na), *y = slurp(b, &nb);
	struct stat sa, sb;
	int same = x && y && na == nb && memcmp(x, y, na) == 0 && stat(a, &sa) == 0 &&
		   stat(b, &sb) == 0 && (sa.st_mode & 07777) == (sb.st_mode & 07777);
	free(x);
	free(y);
	return same;
}

static int has_content(const char *path, const char *want, size_t n)
{
	size_t got = 0;
	unsigned char *x = slurp(path, &got);
	int same = x && got == n && memcmp(x, want, n) == 0;
	free(x);
	return same;
}

/* What every way writes, in way<N>/ (made by the parent with old.bin and
 * an empty sub/): a new file, an overwrite, a failed rename over a
 * directory, and a write past RLIMIT_FSIZE.  The child sends one letter
 * per check (1 or 0), then the two error messages, each after a "|". */
static const char way_a[] = "{\"weights\": ", way_b[] = "[1, 2, 3]}\n";

static void child_way(int fd, void *arg)
{
	enum way w = *(enum way *)arg;
	dm_piece pieces[] = {{way_a, sizeof way_a - 1}, {NULL, 0}, {way_b, sizeof way_b - 1}};
	const size_t n = sizeof way_a - 1 + sizeof way_b - 1;
	char whole[64], d[32], name[64], out[2200];
	struct rlimit lim = {1000, 1000};
	static char big[4096];
	dm_error e_dir = {"", 0}, e_big = {"", 0};
	struct stat st;
	int i = 0;
	memcpy(whole, way_a, sizeof way_a - 1);
	memcpy(whole + sizeof way_a - 1, way_b, sizeof way_b);
	snprintf(d, sizeof d, "way%d", (int)w);
	if (restrict_to(w))
		_exit(2);
	umask(022);
	snprintf(name, sizeof name, "%s/new.bin", d);
	out[i++] = '0' + (dm_atomic_writev(atom, path_in(name), pieces, 3, &e_dir) == 0);
	out[i++] = '0' + has_content(path_in(name), whole, n);
	out[i++] = '0' + (stat(path_in(name), &st) == 0 && (st.st_mode & 07777) == 0644);
	snprintf(name, sizeof name, "%s/old.bin", d);
	out[i++] = '0' + (dm_atomic_writev(atom, path_in(name), pieces, 3, &e_dir) == 0 &&
			  has_content(path_in(name), whole, n));
	snprintf(name, sizeof name, "%s/sub", d);
	out[i++] = '0' + (dm_atomic_write(atom, path_in(name), "x", 1, &e_dir) == -1 &&
			  strstr(e_dir.msg, "/sub: rename: Is a directory") != NULL &&
			  count_entries(path_in(name)) == 0);
	out[i++] = '0' + (count_entries(path_in(d)) == 3);
	signal(SIGXFSZ, SIG_IGN);
	snprintf(name, sizeof name, "%s/old.bin", d);
	out[i++] = '0' + (setrlimit(RLIMIT_FSIZE, &lim) == 0 &&
			  dm_atomic_write(atom, path_in(name), big, sizeof big, &e_big) == -1 &&
			  strstr(e_big.msg, "old.bin: write: File too large") != NULL &&
			  has_content(path_in(name), whole, n) && count_entries(path_in(d)) == 3);
	snprintf(out + i, sizeof out - (size_t)i, "|%s|%s", e_dir.msg, e_big.msg);
	say(fd, out);
}

/* Killed while the data is being written: RLIMIT_FSIZE stops the write,
 * and the SIGXFSZ handler looks at the directory, sends the number of its
 * entries, and dies of SIGKILL, which no cleanup can catch.  (opendir in a
 * handler is fine here: the handler interrupts write(), nothing else.) */
static int kill_pipe = -1;
static char kill_dir[512];

static void on_xfsz_kill(int sig)
{
	char c = (char)('0' + count_entries(kill_dir));
	(void)sig;
	if (write(kill_pipe, &c, 1) < 0)
		_exit(3);
	kill(getpid(), SIGKILL);
}

static void child_midwrite(int fd, void *arg)
{
	enum way w = *(enum way *)arg;
	struct rlimit lim = {1000, 1000};
	static char big[4096];
	dm_error err = {"", 0};
	char name[64];
	if (restrict_to(w))
		_exit(2);
	kill_pipe = fd;
	snprintf(name, sizeof name, "kill%d", (int)w);
	snprintf(kill_dir, sizeof kill_dir, "%s", path_in(name));
	snprintf(name, sizeof name, "kill%d/m.bin", (int)w);
	memset(big, 'n', sizeof big);
	signal(SIGXFSZ, on_xfsz_kill);
	if (setrlimit(RLIMIT_FSIZE, &lim))
		_exit(2);
	dm_atomic_write(atom, path_in(name), big, sizeof big, &err);
	_exit(1);
}

/* The directory (content NULL) or file named by fmt with w in it. */
static void make_in(const char *fmt, int w, const char *content)
{
	char name[64];
	snprintf(name, sizeof name, fmt, w);
	if (content)
		write_bytes(path_in(name), content, strlen(content));
	else
		mkdir(path_in(name), 0755);
}

static void test_atomic_ways(void)
{
	char msg[2200], want[600], name[64], *field;
	int status, w, unnamed = have_tmpfile(dir), during;
	enum way way;
	DIR *dp;
	struct dirent *de;

	diag("O_TMPFILE in %s: %s", dir, unnamed ? "supported" : "not supported, only the named way is tested");
	for (w = 0; w < NWAYS; w++) {
		way = (enum way)w;
		make_in("way%d", w, NULL);
		make_in("way%d/sub", w, NULL);
		make_in("way%d/old.bin", w, "old\n");
		status = in_child(child_way, &way, msg, sizeof msg);
		if (!ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 && strlen(msg) > 7,
			"atomic, %s: the child ran (status %d)", way_name[w], status))
			continue;
		ok(memcmp(msg, "111", 3) == 0, "atomic, %s: a new file, its content, mode 0644 (%.3s)",
		   way_name[w], msg);
		ok(msg[3] == '1', "atomic, %s: an existing file is replaced", way_name[w]);
		field = strchr(msg, '|');
		ok(msg[4] == '1' && msg[5] == '1', "atomic, %s: rename over a directory fails, "
		   "nothing left: %.*s", way_name[w], (int)strcspn(field + 1, "|"), field + 1);
		ok(msg[6] == '1', "atomic, %s: past RLIMIT_FSIZE the old file stays, nothing "
		   "left: %s", way_name[w], strchr(field + 1, '|') + 1);
		snprintf(name, sizeof name, "way%d/new.bin", w);
		snprintf(want, sizeof want, "%s", path_in(name));
		ok(same_file(want, path_in("way0/new.bin")),
		   "atomic, %s: the same bytes and mode as the unnamed way", way_name[w]);
	}

	/* read-only directory, the named way: the same message */
	way = WAY_NO_TMPFILE;
	status = in_child(child_readonly, &way, msg, sizeof msg);
	snprintf(want, sizeof want, "%s: cannot create a temporary file in %s: Permission denied",
		 path_in("ro/m.safetensors"), path_in("ro"));
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 && strcmp(msg, want) == 0 &&
	   count_entries(path_in("ro")) == 0, "atomic, %s: read-only directory: %s",
	   way_name[way], msg);

	/* SIGKILL in the middle of the write */
	for (w = WAY_DEFAULT; w <= WAY_NO_TMPFILE; w++) {
		way = (enum way)w;
		snprintf(name, sizeof name, "kill%d", w);
		mkdir(path_in(name), 0755);
		snprintf(name, sizeof name, "kill%d/m.bin", w);
		write_bytes(path_in(name), "old\n", 4);
		status = in_child(child_midwrite, &way, msg, sizeof msg);
		during = msg[0] ? msg[0] - '0' : -1;
		ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && has_content(path_in(name), "old\n", 4),
		   "atomic, %s: SIGKILL in the middle of the write leaves the old file whole",
		   way_name[w]);
		snprintf(name, sizeof name, "kill%d", w);
		if (w == WAY_DEFAULT && !unnamed) {
			ok(1, "# SKIP no O_TMPFILE in %s", dir);
			ok(1, "# SKIP no O_TMPFILE in %s", dir);
		} else if (w == WAY_DEFAULT) {
			ok(during == 1, "atomic, %s: while the data is written the directory holds "
			   "only the old file (%d entries)", way_name[w], during);
			ok(count_entries(path_in(name)) == 1,
			   "atomic, %s: after SIGKILL mid-write nothing is left behind", way_name[w]);
		} else {
			ok(during == 2, "atomic, %s: the temporary name is there while the data "
			   "is written (%d entries)", way_name[w], during);
			diag("%s: after SIGKILL mid-write %d entries (a temporary name that no "
			     "handler could remove: why the unnamed way comes first)", way_name[w],
			     count_entries(path_in(name)));
			/* remove the leftover */
			if ((dp = opendir(path_in(name))) != NULL) {
				while ((de = readdir(dp)) != NULL)
					if (strncmp(de->d_name, ".m.bin.", 7) == 0) {
						snprintf(want, sizeof want, "%s/%s", path_in(name), de->d_name);
						unlink(want);
					}
				closedir(dp);
			}
		}
	}
}

/* ---- sets: a model's files replace the old ones all together ----
 *
 * In set<N>/ (made by the parent: a.bin "A0", b.json "B0", and a
 * directory sub/ holding one file): a set that replaces both files; one
 * whose commit point cannot be renamed (over a directory), after the other
 * file was put in place, which must be put back; one aborted; one whose
 * staged files a signal handler's dm_atomic_cleanup removes.  One letter
 * per check, then the failed commit's message after a "|". */
static void child_set(int fd, void *arg)
{
	enum way w = *(enum way *)arg;
	char d[32], a[64], b[64], sub[64], out[1200];
	dm_error err = {"", 0}, e_sub = {"", 0};
	int i = 0;
	if (restrict_to(w))
		_exit(2);
	snprintf(d, sizeof d, "set%d", (int)w);
	snprintf(a, sizeof a, "%s/a.bin", d);
	snprintf(b, sizeof b, "%s/b.json", d);
	snprintf(sub, sizeof sub, "%s/sub", d);
	dm_atomic_begin(atom);
	out[i++] = '0' + (dm_atomic_write(atom, path_in(a), "A1", 2, &err) == 0 &&
			  dm_atomic_write(atom, path_in(b), "B1", 2, &err) == 0 &&
			  has_content(path_in(a), "A0", 2) && has_content(path_in(b), "B0", 2));
	out[i++] = '0' + (dm_atomic_commit(atom, &err) == 0 && has_content(path_in(a), "A1", 2) &&
			  has_content(path_in(b), "B1", 2) && count_entries(path_in(d)) == 3);
	dm_atomic_begin(atom);
	out[i++] = '0' + (dm_atomic_write(atom, path_in(sub), "S", 1, &e_sub) == 0 &&
			  dm_atomic_write(atom, path_in(b), "B2", 2, &e_sub) == 0 &&
			  dm_atomic_commit(atom, &e_sub) == -1 && strstr(e_sub.msg, "/sub: rename: ") != NULL);
	out[i++] = '0' + (has_content(path_in(b), "B1", 2) && count_entries(path_in(d)) == 3 &&
			  count_entries(path_in(sub)) == 1);
	dm_atomic_begin(atom);
	out[i++] = '0' + (dm_atomic_write(atom, path_in(a), "A3", 2, &err) == 0 && count_entries(path_in(d)) == 4);
	dm_atomic_abort(atom);
	out[i++] = '0' + (has_content(path_in(a), "A1", 2) && count_entries(path_in(d)) == 3);
	dm_atomic_begin(atom);
	out[i++] = '0' + (dm_atomic_write(atom, path_in(a), "A4", 2, &err) == 0 &&
			  dm_atomic_write(atom, path_in(b), "B4", 2, &err) == 0 && count_entries(path_in(d)) == 5);
	dm_atomic_cleanup(atom);   /* as the SIGINT handler does */
	out[i++] = '0' + (count_entries(path_in(d)) == 3 && has_content(path_in(a), "A1", 2));
	dm_atomic_abort(atom);
	snprintf(out + i, sizeof out - (size_t)i, "|%s", e_sub.msg);
	say(fd, out);
}

static void test_atomic_sets(void)
{
	static const char *const checks[] = {
		"both staged, nothing replaced yet", "both replaced by the commit, nothing left",
		"a commit point that cannot be renamed fails the commit",
		"the file put in place before it is put back, nothing left",
		"a staged file waits under a hidden name", "an aborted set leaves the old file, nothing else",
		"two staged files", "dm_atomic_cleanup removes what is staged"};
	char msg[1200];
	int status, w, k;
	enum way way;
	for (w = 0; w < NWAYS; w++) {
		if (w == WAY_NO_PROC_LINK || w == WAY_NO_LINK)
			continue;   /* the single files' business */
		way = (enum way)w;
		make_in("set%d", w, NULL);
		make_in("set%d/sub", w, NULL);
		make_in("set%d/sub/keep", w, "k");
		make_in("set%d/a.bin", w, "A0");
		make_in("set%d/b.json", w, "B0");
		status = in_child(child_set, &way, msg, sizeof msg);
		if (!ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 && strlen(msg) >= 8,
			"atomic set, %s: the child ran (status %d)", way_name[w], status))
			continue;
		for (k = 0; k < 8; k++)
			ok(msg[k] == '1', "atomic set, %s: %s%s%s", way_name[w], checks[k],
			   k == 2 ? ": " : "", k == 2 ? strchr(msg, '|') + 1 : "");
	}
}

/* ==== safetensors ==== */

static int same_tensor(const dm_tensor *a, const dm_tensor *b)
{
	size_t i;
	if (!a || !b || strcmp(a->name, b->name) || a->ndim != b->ndim || a->count != b->count)
		return 0;
	for (i = 0; i < a->ndim; i++)
		if (a->shape[i] != b->shape[i])
			return 0;
	for (i = 0; i < a->count; i++)
		if (bits(a->data[i]) != bits(b->data[i]))
			return 0;
	return 1;
}

static void test_st_round_trip(void)
{
	float w[6] = {1, -2, 0.1f, -0.0f, 1e-45f, FLT_MAX}, b[3] = {INFINITY, -INFINITY, NAN},
	      s[1] = {42.5f}, q[4] = {1, 2, 3, 4};
	dm_tensor t[] = {
		{"layer0.weight", 2, {2, 3}, 0, w},
		{"layer0.bias", 1, {3}, 0, b},
		{"scalar", 0, {0}, 0, s},
		{"empty", 2, {0, 5}, 0, NULL},
		{"four.dims \xc3\xa9", 4, {1, 2, 1, 2}, 0, q},
	};
	dm_meta meta[] = {{"format", "pt"}, {"dh-model.provenance", "{\"a\":\"b\\n\"}"}};
	dm_safetensors st;
	dm_error err = {"", 0};
	char *path = path_in("rt.safetensors");
	unsigned char *one, *two;
	size_t n1 = 0, n2 = 0, i;
	int good;
	t[0].count = 6, t[1].count = 3, t[2].count = 1, t[4].count = 4;

	ok(dm_safetensors_write(atom, path, t, 5, meta, 2, &err) == 0, "safetensors: write (%s)", err.msg);
	ok(dm_safetensors_read(path, &st, &err) == 0, "safetensors: read back (%s)", err.msg);
	good = st.ntensors == 5;
	for (i = 0; good && i < 5; i++)
		good = same_tensor(&st.tensors[i], &t[i]) &&
		       dm_safetensors_find(&st, t[i].name) == &st.tensors[i];
	ok(good, "safetensors: every tensor, in order, bit for bit (NaN, inf, -0, denormal)");
	ok(st.nmeta == 2 && strcmp(st.meta[0].key, "format") == 0 &&
	   strcmp(dm_safetensors_meta(&st, "dh-model.provenance"), meta[1].value) == 0 &&
	   !dm_safetensors_meta(&st, "nope") && !dm_safetensors_find(&st, "nope"),
	   "safetensors: metadata in file order");
	dm_safetensors_free(&st);

	one = slurp(path, &n1);
	ok(dm_safetensors_write(atom, path, t, 5, meta, 2, &err) == 0, "safetensors: write again");
	two = slurp(path, &n2);
	ok(one && two && n1 == n2 && memcmp(one, two, n1) == 0 && n1 % 8 == 0 &&
	   (one[0] | one[1] << 8) % 8 == 0, "safetensors: the same input gives the same bytes, "
	   "header padded to 8");
	free(one);
	free(two);

	ok(dm_safetensors_write(atom, path_in("none.safetensors"), NULL, 0, NULL, 0, &err) == 0 &&
	   dm_safetensors_read(path_in("none.safetensors"), &st, &err) == 0 && st.ntensors == 0 &&
	   st.nmeta == 0, "safetensors: a file with no tensors (%s)", err.msg);
	dm_safetensors_free(&st);
}

/* The smallest useful file, derived by hand from the format:
 *   8 bytes LE header length 80 = 0x50,
 *   79 bytes {"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2],
 *             "data_offsets":[0,8]}} and one space of padding,
 *   1.0f = 0x3f800000 and -2.0f = 0xc0000000, little-endian. */
static void test_st_exact_bytes(void)
{
	static const char hex[] =
		"5000000000000000"
		"7b225f5f6d657461646174615f5f223a"   /* {"__metadata__": */
		"7b226b223a2276227d2c2277223a7b22"   /* {"k":"v"},"w":{" */
		"6474797065223a22463332222c227368"   /* dtype":"F32","sh */
		"617065223a5b325d2c22646174615f6f"   /* ape":[2],"data_o */
		"666673657473223a5b302c385d7d7d"     /* ffsets":[0,8]}} */
		"20"
		"0000803f" "000000c0";
	float data[2] = {1.0f, -2.0f};
	dm_tensor t = {"w", 1, {2}, 2, data};
	dm_meta meta = {"k", "v"};
	unsigned char want[128], *got = NULL;
	dm_error err = {"", 0};
	size_t n = 0;
	int wn = from_hex(hex, want, sizeof want);
	if (!ok(dm_safetensors_write(atom, path_in("tiny.safetensors"), &t, 1, &meta, 1, &err) == 0 &&
		(got = slurp(path_in("tiny.safetensors"), &n)) != NULL,
		"safetensors: write the tiny file (%s)", err.msg))
		return;
	ok(wn == 96 && n == 96 && memcmp(got, want, 96) == 0,
	   "safetensors: the tiny file's exact 96 bytes");
	free(got);
}

/* A Python interpreter with numpy: $PYTHON, python3 or /usr/bin/python3. */
static const char *find_python(void)
{
	static char found[256];
	const char *tries[] = {getenv("PYTHON"), "python3", "/usr/bin/python3"};
	char cmd[512];
	size_t i;
	for (i = 0; i < 3; i++) {
		if (!tries[i] || !*tries[i] || strlen(tries[i]) > 200)
			continue;
		snprintf(cmd, sizeof cmd, "%s -c 'import numpy' >/dev/null 2>&1", tries[i]);
		if (system(cmd) == 0) {
			snprintf(found, sizeof found, "%s", tries[i]);
			return found;
		}
	}
	return NULL;
}

/* Written by hand with json and numpy: Python's own separators (spaces),
 * ensure_ascii escapes, no padding, and the data in another order than
 * the header's. */
static const char PY_WRITE[] =
	"import json, struct, sys\n"
	"import numpy as np\n"
	"a = (np.arange(6, dtype=np.float64).reshape(2, 3) * 0.5 - 1).astype('<f4')\n"
	"b = np.array([0.1, -0.0, 1e-45, 3.4028234663852886e38], dtype='<f4')\n"
	"c = np.array(7.25, dtype='<f4')\n"
	"header, data = {}, b''\n"
	"for name, arr in [('c', c), ('b', b), ('a', a)]:\n"
	"    raw = arr.tobytes()\n"
	"    header[name] = {'dtype': 'F32', 'shape': list(arr.shape),\n"
	"                    'data_offsets': [len(data), len(data) + len(raw)]}\n"
	"    data += raw\n"
	"header['__metadata__'] = {'format': 'pt', 'note': 'numpy \\u2713 \"q\"'}\n"
	"order = ['a', '__metadata__', 'b', 'c']\n"
	"text = json.dumps({k: header[k] for k in order}).encode()\n"
	"with open(sys.argv[1], 'wb') as f:\n"
	"    f.write(struct.pack('<Q', len(text)) + text + data)\n";

/* Reads our file with json and numpy; prints name, shape and the bits. */
static const char PY_READ[] =
	"import json, struct, sys\n"
	"import numpy as np\n"
	"blob = open(sys.argv[1], 'rb').read()\n"
	"n, = struct.unpack('<Q', blob[:8])\n"
	"header = json.loads(blob[8:8 + n])\n"
	"data = blob[8 + n:]\n"
	"out = [json.dumps(header.pop('__metadata__'), ensure_ascii=False)]\n"
	"for name, info in header.items():\n"
	"    assert info['dtype'] == 'F32'\n"
	"    b, e = info['data_offsets']\n"
	"    arr = np.frombuffer(data[b:e], dtype='<f4').reshape(info['shape'])\n"
	"    out.append('%s %s %s' % (name, list(arr.shape),\n"
	"               ' '.join('%08x' % x for x in arr.reshape(-1).view('<u4'))))\n"
	"open(sys.argv[2], 'w', encoding='utf-8').write('\\n'.join(out) + '\\n')\n";

static int run_python(const char *python, const char *script, const char *name,
		      const char *arg1, const char *arg2)
{
	char cmd[2048], *spath = path_in(name);
	if (write_bytes(spath, script, strlen(script)))
		return -1;
	snprintf(cmd, sizeof cmd, "%s %s %s %s", python, spath, arg1, arg2 ? arg2 : "");
	return system(cmd);
}

static void test_st_python(void)
{
	const char *python = find_python();
	dm_safetensors st;
	dm_error err = {"", 0};
	const dm_tensor *a, *b, *c;
	int good, i;
	if (!python) {
		ok(1, "# SKIP no python3 with numpy");
		ok(1, "# SKIP no python3 with numpy");
		return;
	}
	diag("python with numpy: %s", python);
	if (run_python(python, PY_WRITE, "write.py", path_in("py.safetensors"), NULL) != 0) {
		ok(0, "python wrote a safetensors file");
		return;
	}
	ok(dm_safetensors_read(path_in("py.safetensors"), &st, &err) == 0,
	   "safetensors: read a file written by Python's json and numpy (%s)", err.msg);
	a = dm_safetensors_find(&st, "a");
	b = dm_safetensors_find(&st, "b");
	c = dm_safetensors_find(&st, "c");
	good = st.ntensors == 3 && a == &st.tensors[0] && b && c && a->ndim == 2 &&
	       a->shape[0] == 2 && a->shape[1] == 3 && b->ndim == 1 && b->count == 4 &&
	       c->ndim == 0 && c->count == 1 && c->data[0] == 7.25f;
	for (i = 0; good && i < 6; i++)
		good = a->data[i] == (float)(i * 0.5 - 1);
	good = good && bits(b->data[0]) == bits(0.1f) && bits(b->data[1]) == 0x80000000u &&
	       bits(b->data[2]) == 1 && b->data[3] == FLT_MAX;
	ok(good && st.nmeta == 2 &&
	   strcmp(dm_safetensors_meta(&st, "note"), "numpy \xe2\x9c\x93 \"q\"") == 0,
	   "safetensors: Python's shapes, values and metadata, read the same");
	dm_safetensors_free(&st);

	/* and the other way: Python reads what we wrote */
	{
		float w[4] = {0.1f, -1.5f, 1e-45f, -0.0f}, s = 3.0f;
		dm_tensor t[] = {{"w", 2, {2, 2}, 4, w}, {"s", 0, {0}, 1, &s}};
		dm_meta meta = {"note", "caf\xc3\xa9 \"x\"\n"};
		static const char want[] =
			"{\"note\": \"caf\xc3\xa9 \\\"x\\\"\\n\"}\n"
			"w [2, 2] 3dcccccd bfc00000 00000001 80000000\n"
			"s [] 40400000\n";
		unsigned char *text;
		size_t n = 0;
		good = dm_safetensors_write(atom, path_in("for-py.safetensors"), t, 2, &meta, 1, &err) == 0 &&
		       run_python(python, PY_READ, "read.py", path_in("for-py.safetensors"),
				  path_in("py-out.txt")) == 0;
		text = good ? slurp(path_in("py-out.txt"), &n) : NULL;
		ok(text && strcmp((char *)text, want) == 0,
		   "safetensors: Python's json and numpy read our file the same");
		if (text && strcmp((char *)text, want))
			diag("python says:\n%s", text);
		free(text);
	}
}

/* A file made of the 8-byte length len, the header text, and data. */
static char *make_file(const char *name, uint64_t len, const char *header,
		       const void *data, size_t ndata)
{
	char *path = path_in(name);
	unsigned char buf[4096];
	size_t h = strlen(header), i;
	for (i = 0; i < 8; i++)
		buf[i] = (unsigned char)(len >> (8 * i));
	memcpy(buf + 8, header, h);
	if (ndata)
		memcpy(buf + 8 + h, data, ndata);
	write_bytes(path, buf, 8 + h + ndata);
	return path;
}

static void bad_file(const char *path, const char *want, const char *want2, const char *what)
{
	dm_safetensors st;
	dm_error err = {"", 0};
	int rc = dm_safetensors_read(path, &st, &err);
	int good = rc == -1 && strncmp(err.msg, path, strlen(path)) == 0 &&
		   strstr(err.msg, want) && (!want2 || strstr(err.msg, want2)) &&
		   st.tensors == NULL && st.ntensors == 0 && st.meta == NULL;
	ok(good, "safetensors refuses %s: %s", what, err.msg);
	if (!good)
		diag("expected: %s ... %s", want, want2 ? want2 : "");
	if (rc == 0)
		dm_safetensors_free(&st);
}

/* A header with its own length, over data bytes of zeros. */
static void bad_header(const char *header, size_t ndata, const char *want,
		       const char *want2, const char *what)
{
	static const unsigned char zeros[256];
	char name[64];
	static int k;
	snprintf(name, sizeof name, "bad%d.safetensors", k++);
	bad_file(make_file(name, strlen(header), header, zeros, ndata), want, want2, what);
}

#define T(name, dtype, shape, b, e) \
	"\"" name "\":{\"dtype\":\"" dtype "\",\"shape\":" shape ",\"data_offsets\":[" #b "," #e "]}"

static void test_st_malformed(void)
{
	char *path, buf[64];
	size_t n = 0;
	unsigned char *good_file;

	path = path_in("empty.safetensors");
	write_bytes(path, "", 0);
	bad_file(path, "truncated: 0 bytes, expected at least 8", NULL, "an empty file");
	bad_file(make_file("zero.safetensors", 0, "", NULL, 0), ": header: at byte 0: unexpected token near end of file",
		 NULL, "a header of length 0");
	path = path_in("five.safetensors");
	write_bytes(path, "\x10\0\0\0\0", 5);
	bad_file(path, "truncated: 5 bytes", NULL, "a file of 5 bytes");
	bad_file(make_file("past.safetensors", 1000, "{}", NULL, 0),
		 "header length 1000 runs past the end of the file (10 bytes)", NULL,
		 "a header length past the end");
	bad_file(make_file("huge.safetensors", 200000000, "{}", NULL, 0),
		 "header length 200000000, expected at most 100000000", NULL,
		 "a header length over 100 MB");
	bad_file(make_file("max.safetensors", UINT64_MAX, "{}", NULL, 0),
		 "header length 18446744073709551615", NULL, "a header length of 2^64-1");
	bad_header("{\"a\":", 0, ": header: at byte 5: unexpected token near end of file", NULL,
		   "bad JSON");
	bad_header("{\"a\":{},}", 0, ": header: at byte 9: string or '}' expected near '}'", NULL,
		   "a trailing comma");
	bad_header("[]      ", 0, ": header: expected a JSON object", NULL, "a header that is an array");
	bad_header("{" T("a", "F32", "[2]", 0, 8) "," T("a", "F32", "[2]", 8, 16) "}", 16,
		   "at byte", "duplicate object key near '\"a\"'", "a tensor named twice");
	bad_header("{" T("a", "F32", "[2]", 0, 8) "," T("b", "F32", "[2]", 4, 12) "}", 12,
		   "tensors 'a' and 'b' overlap (bytes [4, 8) of the data)", NULL, "overlapping offsets");
	bad_header("{" T("a", "F32", "[1]", 0, 4) "," T("b", "F32", "[1]", 8, 12) "}", 12,
		   "tensor 'b': bytes [4, 8) of the data before it belong to no tensor", NULL, "a hole");
	bad_header("{" T("a", "F32", "[1]", 4, 8) "}", 8,
		   "tensor 'a': bytes [0, 4) of the data before it", NULL, "a hole at the start");
	bad_header("{" T("a", "F32", "[1]", 0, 4) "}", 8,
		   "bytes [4, 8) at the end of the data belong to no tensor (after tensor 'a')",
		   NULL, "a hole at the end");
	bad_header("{}", 4, "bytes [0, 4) at the end of the data belong to no tensor", NULL,
		   "data without tensors");
	bad_header("{" T("emb", "BF16", "[2]", 0, 4) "}", 4, "tensor 'emb': dtype BF16, expected F32",
		   NULL, "a BF16 tensor");
	bad_header("{" T("x", "F64", "[1]", 0, 8) "}", 8, "tensor 'x': dtype F64, expected F32",
		   NULL, "an F64 tensor");
	bad_header("{" T("w", "F32", "[3]", 0, 8) "}", 8,
		   "tensor 'w': the shape needs 12 bytes, data_offsets [0, 8] hold 8", NULL,
		   "a shape that does not match the size");
	bad_header("{" T("w", "F32", "[4294967296,4294967296,4294967296]", 0, 8) "}", 8,
		   "tensor 'w': the shape's element count overflows", NULL, "a shape product past 2^64");
	bad_header("{" T("w", "F32", "[4611686018427387904]", 0, 8) "}", 8,
		   "tensor 'w': the shape's element count overflows", NULL, "a byte count past 2^64");
	bad_header("{" T("w", "F32", "[1073741824,4]", 0, 8) "}", 8,
		   "tensor 'w': the shape needs 17179869184 bytes", NULL, "a huge shape in a small file");
	bad_header("{" T("w", "F32", "[18446744073709551616]", 0, 8) "}", 8,
		   "tensor 'w': shape[0]: expected a non-negative integer", NULL, "a dimension of 2^64");
	bad_header("{" T("w", "F32", "[-2]", 0, 8) "}", 8,
		   "tensor 'w': shape[0]: expected a non-negative integer", NULL, "a negative dimension");
	bad_header("{" T("w", "F32", "[1,2.5]", 0, 8) "}", 8,
		   "tensor 'w': shape[1]: expected a non-negative integer", NULL, "a fractional dimension");
	bad_header("{" T("w", "F32", "[1,1,1,1,2]", 0, 8) "}", 8,
		   "tensor 'w': shape has 5 dimensions, expected at most 4", NULL, "five dimensions");
	bad_header("{" T("w", "F32", "[4]", 0, 16) "}", 8,
		   "tensor 'w': data_offsets [0, 16] run past the end of the data (8 bytes)", NULL,
		   "offsets past the end");
	bad_header("{" T("w", "F32", "[0]", 8, 0) "}", 8,
		   "tensor 'w': data_offsets [8, 0] end before they begin", NULL, "reversed offsets");
	bad_header("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 4,
		   "tensor 'w': expected \"data_offsets\" [begin, end]", NULL, "three offsets");
	bad_header("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4,
		   "tensor 'w': expected \"data_offsets\" [begin, end]", NULL, "a negative offset");
	bad_header("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
		   "tensor 'w': expected a \"dtype\" string", NULL, "no dtype");
	bad_header("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4,
		   "tensor 'w': expected a \"shape\" array", NULL, "no shape");
	bad_header("{\"w\":[1]}", 0, "tensor 'w': expected an object", NULL, "a tensor that is not an object");
	bad_header("{" T("", "F32", "[1]", 0, 4) "}", 4, "tensor '': expected a non-empty name",
		   NULL, "an empty tensor name");
	bad_header("{\"__metadata__\":{\"k\":1}}", 0, "__metadata__ 'k': expected a string value",
		   NULL, "a metadata value that is a number");
	bad_header("{\"__metadata__\":[\"k\"]}", 0, "__metadata__: expected an object of strings",
		   NULL, "metadata that is an array");
	bad_header("{\"a\\nb\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}", 2,
		   "tensor 'a?b': dtype F16", NULL, "a name with a newline, shown on one line");

	/* a good file cut short at its end */
	path = path_in("rt.safetensors");
	good_file = slurp(path, &n);
	snprintf(buf, sizeof buf, "cut.safetensors");
	if (good_file)
		write_bytes(path_in(buf), good_file, n - 4);
	free(good_file);
	bad_file(path_in(buf), "run past the end of the data", NULL, "a truncated file");

	bad_file(path_in("no-such.safetensors"), "No such file or directory", NULL, "a missing file");
	bad_file(path_in("atomic"), "not a regular file (a directory)", NULL, "a directory");
	mkfifo(path_in("fifo"), 0644);
	bad_file(path_in("fifo"), "not a regular file (a FIFO)", NULL, "a FIFO (without hanging)");
}

static void test_st_write_errors(void)
{
	float x[2] = {1, 2};
	dm_tensor t[2] = {{"a", 1, {2}, 2, x}, {"a", 1, {2}, 2, x}};
	dm_meta meta[2] = {{"k", "v"}, {"k", "w"}};
	dm_error err = {"", 0};
	char *path = path_in("werr.safetensors");
	ok(dm_safetensors_write(atom, path, t, 2, NULL, 0, &err) == -1 &&
	   strstr(err.msg, "werr.safetensors: tensor 'a' is given twice"),
	   "writer refuses a tensor given twice: %s", err.msg);
	ok(dm_safetensors_write(atom, path, t, 1, meta, 2, &err) == -1 &&
	   strstr(err.msg, "metadata key 'k' is given twice"),
	   "writer refuses a metadata key given twice: %s", err.msg);
	t[1].name = "";
	ok(dm_safetensors_write(atom, path, t, 2, NULL, 0, &err) == -1 &&
	   strstr(err.msg, "tensor name is empty"), "writer refuses an empty name: %s", err.msg);
	t[1].name = "__metadata__";
	ok(dm_safetensors_write(atom, path, t, 2, NULL, 0, &err) == -1 &&
	   strstr(err.msg, "reserved"), "writer refuses the name __metadata__: %s", err.msg);
	t[1].name = "bad\xff";
	ok(dm_safetensors_write(atom, path, t, 2, NULL, 0, &err) == -1 &&
	   strstr(err.msg, "not valid UTF-8"), "writer refuses a name that is not UTF-8: %s", err.msg);
	t[1].name = "b";
	t[1].ndim = 5;
	ok(dm_safetensors_write(atom, path, t, 2, NULL, 0, &err) == -1 &&
	   strstr(err.msg, "tensor 'b': 5 dimensions, expected at most 4"),
	   "writer refuses 5 dimensions: %s", err.msg);
	t[1].ndim = 3;
	t[1].shape[0] = t[1].shape[1] = t[1].shape[2] = (size_t)1 << 31;
	ok(dm_safetensors_write(atom, path, t, 2, NULL, 0, &err) == -1 && strstr(err.msg, "tensor 'b': the shape's size overflows"),
	   "writer refuses a shape that overflows: %s", err.msg);
	ok(access(path, F_OK) != 0, "writer: nothing written after the errors");
}

/* ---- the bundle: libarchive's tar against a ustar header by hand, a
 * fixed SHA-256 (the same on every release), and libtar's bytes where the
 * build has libtar ---- */

/* Sizes on both sides of the 512-byte block edges, names out of order. */
static unsigned char payload[1100];
static dm_bundle_member members[6];
static void make_members(void)
{
	static const struct { const char *name; size_t size; } spec[] = {
		{"m.safetensors", 1100}, {"data/b.csv", 513}, {"m.json", 511},
		{"data/a.csv", 512}, {"m.md", 1}, {"m.models", 0},
	};
	size_t i;
	uint32_t x = 12345;
	for (i = 0; i < sizeof payload; i++) {
		x = x * 1103515245u + 12345u;
		payload[i] = (unsigned char)(x >> 16);
	}
	for (i = 0; i < 6; i++)
		members[i] = (dm_bundle_member){spec[i].name, payload, spec[i].size};
}

/* POSIX ustar header of a regular file, 0644, root/root, as libarchive
 * writes the numbers: zero-padded octal, then a space and a NUL (size
 * and mtime: a space); checksum: six digits, NUL, space. */
static void ustar_header(unsigned char h[512], const char *name, size_t size, uint64_t mtime)
{
	unsigned sum = 0;
	int i;
	memset(h, 0, 512);
	memcpy(h, name, strlen(name));
	memcpy(h + 100, "000644 ", 8);
	memcpy(h + 108, "000000 ", 8);
	memcpy(h + 116, "000000 ", 8);
	snprintf((char *)h + 124, 13, "%011zo ", size);
	snprintf((char *)h + 136, 13, "%011llo ", (unsigned long long)mtime);
	memset(h + 148, ' ', 8);
	h[156] = '0';
	memcpy(h + 257, "ustar\0" "00", 8);
	memcpy(h + 265, "root", 4);
	memcpy(h + 297, "root", 4);
	memcpy(h + 329, "000000 ", 8);
	memcpy(h + 337, "000000 ", 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
}

#define MTIME 1700000000u
/* sha256sum of the bundle of make_members() at MTIME; the same on every
 * release: a change here changes every bundle's bytes */
#define GOLDEN "42c1b49813f35edae18a48d6157abf4fc51a31eeb485f0a3c64e4e835189c419"

static void test_bundle_libarchive_bytes(void)
{
	dm_error err = {{0}, 0};
	unsigned char *tar, want[512];
	size_t n = 0, off = 0, i, blocks = 0;
	char hex[65];
	const char *path = path_in("la.tar");
	make_members();
	ok(dm_bundle_write_with(DM_BUNDLE_LIBARCHIVE, path, members, 6, MTIME, &err) == 0,
	   "libarchive writes a bundle %s", err.msg);
	tar = slurp(path, &n);
	for (i = 0; i < 6; i++)
		blocks += 1 + (members[i].size + 511) / 512;
	ok(tar && n == (blocks + 2) * 512,
	   "%zu bytes: a header and the data blocks of each member, two zero blocks, no padding after", n);
	if (!tar || n != (blocks + 2) * 512)
		return;
	for (i = 0; i < 6; i++) {
		ok(i == 0 || strcmp(members[i - 1].name, members[i].name) < 0,
		   "member %zu is %s, in sorted order", i, members[i].name);
		ustar_header(want, members[i].name, members[i].size, MTIME);
		if (!ok(memcmp(tar + off, want, 512) == 0, "the header of %s is the ustar header by hand",
			members[i].name)) {
			size_t k;
			for (k = 0; k < 512 && tar[off + k] == want[k]; k++)
				;
			diag("first difference at byte %zu: 0x%02x, expected 0x%02x", k, tar[off + k], want[k]);
		}
		off += 512;
		ok(memcmp(tar + off, payload, members[i].size) == 0, "then its %zu bytes", members[i].size);
		off += members[i].size;
		while (off % 512)
			if (tar[off++] != 0)
				break;
		ok(off % 512 == 0, "then zeros to the block's end");
	}
	for (i = off; i < n && !tar[i]; i++)
		;
	ok(i == n && n - off == 1024, "two zero blocks end it");
	dm_sha256_hex_of(tar, n, hex);
	ok(strcmp(hex, GOLDEN) == 0, "its SHA-256 is the one of every release: %s", hex);
	free(tar);
}

static void test_bundle_libtar_same_bytes(void)
{
	dm_error err = {{0}, 0};
	unsigned char *a, *b;
	size_t na = 0, nb = 0;
	make_members();
#ifdef DM_HAVE_LIBTAR
	ok(dm_bundle_default_writer == DM_BUNDLE_LIBTAR, "built with libtar: it writes the bundles");
	ok(dm_bundle_write_with(DM_BUNDLE_LIBTAR, path_in("lt.tar"), members, 6, MTIME, &err) == 0,
	   "libtar writes a bundle %s", err.msg);
	a = slurp(path_in("la.tar"), &na);
	b = slurp(path_in("lt.tar"), &nb);
	ok(a && b && na == nb && memcmp(a, b, na) == 0,
	   "libtar's bundle and libarchive's are byte-identical (%zu and %zu bytes)", na, nb);
	free(a);
	free(b);
#else
	(void)a, (void)b, (void)na, (void)nb;
	diag("built without libtar (LIBTAR=no, or no <libtar.h>): libarchive alone writes bundles");
	ok(dm_bundle_default_writer == DM_BUNDLE_LIBARCHIVE, "built without libtar: libarchive writes the bundles");
	ok(dm_bundle_write_with(DM_BUNDLE_LIBTAR, path_in("lt.tar"), members, 6, MTIME, &err) == -1 &&
	   strstr(err.msg, "built without libtar") && access(path_in("lt.tar"), F_OK) != 0,
	   "asking for libtar says it is not there: %s", err.msg);
#endif
}

/* A real model file, through dm_bundle_write (the build's writer) and
 * through libarchive: the same bytes. */
static void test_bundle_model(void)
{
	dm_error err = {{0}, 0};
	float w[6] = {0.5f, -1.25f, 3.0f, 0.0f, -0.0f, 1e-7f};
	dm_tensor t = {"dense.weight", 2, {2, 3}, 6, w};
	dm_meta meta = {"format", "pt"};
	const char *st = path_in("m.safetensors");
	unsigned char *data, *a, *b;
	size_t n = 0, na = 0, nb = 0;
	dm_bundle_member m[2];
	ok(dm_safetensors_write(atom, st, &t, 1, &meta, 1, &err) == 0, "a safetensors file %s", err.msg);
	data = slurp(st, &n);
	m[0] = (dm_bundle_member){"m.safetensors", data, n};
	m[1] = (dm_bundle_member){"m.models", "Model: m\n", 9};
	ok(dm_bundle_write(path_in("default.tar"), m, 2, MTIME, &err) == 0, "the build's writer %s", err.msg);
	ok(dm_bundle_write_with(DM_BUNDLE_LIBARCHIVE, path_in("la2.tar"), m, 2, MTIME, &err) == 0,
	   "libarchive %s", err.msg);
	a = slurp(path_in("default.tar"), &na);
	b = slurp(path_in("la2.tar"), &nb);
	ok(a && b && na == nb && memcmp(a, b, na) == 0, "a model's bundle: %s and libarchive give the same %zu bytes",
	   dm_bundle_default_writer == DM_BUNDLE_LIBTAR ? "libtar" : "libarchive", na);
	free(a);
	free(b);
	free(data);
}

static void test_bundle_refusals(void)
{
	dm_error err = {{0}, 0};
	char longname[101];
	dm_bundle_member m = {longname, "x", 1};
	int w;
	memset(longname, 'a', 100);
	longname[100] = '\0';
	for (w = 0; w < 2; w++) {
		dm_bundle_writer writer = w ? dm_bundle_default_writer : DM_BUNDLE_LIBARCHIVE;
		ok(dm_bundle_write_with(writer, path_in("bad.tar"), &m, 1, MTIME, &err) == -1 &&
		   strstr(err.msg, "bad.tar: member name 'aaaa") && strstr(err.msg, "longer than 99 bytes"),
		   "a name of 100 bytes is refused: %.60s...", err.msg);
		ok(dm_bundle_write_with(writer, path_in("bad.tar"), &m, 0, 077777777777ull + 1, &err) == -1 &&
		   strstr(err.msg, "bad.tar: mtime 8589934592 is past tar's largest"),
		   "an mtime past 11 octal digits is refused: %s", err.msg);
		ok(dm_bundle_write_with(writer, "/nonexistent/dir/b.tar", &m, 0, MTIME, &err) == -1 &&
		   strstr(err.msg, "/nonexistent/dir/b.tar: cannot create a temporary file"),
		   "an unwritable place: %s", err.msg);
		ok(access(path_in("bad.tar"), F_OK) != 0, "nothing written after the errors");
	}
}

int main(void)
{
	dm_error e = {"", 0};
	if (!(atom = dm_atomic_new(NULL, &e))) {
		printf("Bail out! %s\n", e.msg);
		return 1;
	}
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_writer_document();
	test_writer_escapes();
	test_writer_floats("");
	test_float_round_trip();
	test_writer_misuse();
	test_reader_valid();
	test_reader_depth();
	test_reader_many_keys();
	test_reader_malformed();
	test_locale("de_DE");
	test_locale("ps_AF");
	test_atomic_basic();
	test_atomic_failures();
	test_atomic_ways();
	test_atomic_sets();
	test_st_round_trip();
	test_st_exact_bytes();
	test_st_python();
	test_st_malformed();
	test_st_write_errors();
	test_bundle_libarchive_bytes();
	test_bundle_libtar_same_bytes();
	test_bundle_model();
	test_bundle_refusals();
	chmod(path_in("ro"), 0755);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return done_testing();
}
