/* json.h - JSON writing and reading through jansson.
 *
 * The writer produces deterministic text: keys in the order the caller
 * gives them, no spaces except where pretty-printing asks for them, floats
 * with "%.9g" (round-trips binary32) and doubles with "%.17g", and never
 * depends on the locale.  The reader parses safetensors headers and
 * provenance records, which may come from anyone: it has limits on depth
 * and size and never reads past the buffer.  jansson (libjansson-dev)
 * builds, parses and prints; json.c keeps only what jansson leaves open:
 * the number texts, both ways, and the escapes of control characters.
 */
#ifndef DM_JSON_H
#define DM_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "../base/error.h"

/* the deepest nesting the writer writes and the reader reads */
#define DM_JSON_DEPTH_MAX 64

struct json_t;   /* jansson's value; json.c alone includes <jansson.h> */

/* ---- writer ---- */
typedef struct dm_json_writer {
	struct json_t *root;   /* the value written so far */
	struct json_t *open[DM_JSON_DEPTH_MAX];  /* the containers not yet ended */
	int depth;
	char *key;             /* dm_json_key's key, until its value comes */
	char **texts;          /* the text of each number and raw value, in order */
	size_t ntexts, cap;
	char *buf;             /* dm_json_finish's text */
	size_t len;
	int pretty;            /* 2-space indentation and newlines */
	int oom;               /* 1: out of memory, 2: misuse; dm_json_finish says */
} dm_json_writer;

void dm_json_init(dm_json_writer *w, int pretty);
void dm_json_begin_object(dm_json_writer *w);
void dm_json_end_object(dm_json_writer *w);
void dm_json_begin_array(dm_json_writer *w);
void dm_json_end_array(dm_json_writer *w);
void dm_json_key(dm_json_writer *w, const char *key);
void dm_json_string(dm_json_writer *w, const char *s);  /* escapes as needed */
void dm_json_int(dm_json_writer *w, int64_t v);
void dm_json_uint(dm_json_writer *w, uint64_t v);
void dm_json_float(dm_json_writer *w, float v);    /* non-finite -> null */
void dm_json_double(dm_json_writer *w, double v);  /* non-finite -> null */
void dm_json_bool(dm_json_writer *w, int v);
void dm_json_null(dm_json_writer *w);
/* 1 if s is valid UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF), which the writer passes through unchanged; the writer turns
 * each invalid byte into U+FFFD. */
int dm_json_utf8_valid(const char *s);
/* Insert already-valid JSON text as a value. */
void dm_json_raw(dm_json_writer *w, const char *json);
/* NUL-terminated text (owned by w until dm_json_free), or NULL if out of memory. */
const char *dm_json_finish(dm_json_writer *w, size_t *len, dm_error *err);
void dm_json_free(dm_json_writer *w);

/* ---- reader ---- */
typedef enum dm_json_type {
	DM_JSON_NULL, DM_JSON_BOOL, DM_JSON_NUMBER, DM_JSON_STRING,
	DM_JSON_ARRAY, DM_JSON_OBJECT
} dm_json_type;

typedef struct dm_json dm_json;
struct dm_json {
	dm_json_type type;
	int boolean;
	double number;
	int is_integer;     /* the number text had no '.', 'e' or '-0' fraction */
	uint64_t integer;   /* exact value when is_integer and non-negative */
	char *string;       /* UTF-8, NUL-terminated (strings may not hold NUL) */
	size_t len;         /* array elements or object members */
	char **keys;        /* object member names */
	dm_json *items;     /* array elements or object member values */
};

/* Parse exactly one JSON value from text[0..n).  Depth is capped at 64. A
 * message names the byte offset: "at byte 17: expected ':'".  Duplicate
 * object keys are an error. */
dm_json *dm_json_parse(const char *text, size_t n, dm_error *err);
void dm_json_delete(dm_json *v);
/* Member of an object by name, or NULL. */
const dm_json *dm_json_get(const dm_json *obj, const char *key);

#endif
