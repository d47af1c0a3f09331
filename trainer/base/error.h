/* error.h - how the dh-model library reports failure.
 *
 * The library never prints and never exits.  Every function that can fail
 * takes a dm_error * as its last argument, fills in one line of text that
 * names the file, the line or stanza and what was expected, and returns -1
 * (or NULL).  Only the CLI decides what to do with the message.
 */
#ifndef DM_ERROR_H
#define DM_ERROR_H

#include <stddef.h>

typedef struct dm_error {
	char msg[1024];
	int code; /* a DM_EXIT_* value: what kind of failure this is */
} dm_error;

/* Exit codes of dh-model-train, one per kind of failure. */
enum {
	DM_EXIT_OK = 0,
	DM_EXIT_ERROR = 1,   /* bad input or a runtime failure */
	DM_EXIT_USAGE = 2,   /* bad command line */
	DM_EXIT_EXPECT = 3,  /* a quality gate (Expect:) did not hold */
	DM_EXIT_POLICY = 4,  /* over the budget, or a cap fired */
	DM_EXIT_DIFFER = 5   /* verify: the retrained weights differ */
};

/* Set the message (printf-style) and code DM_EXIT_ERROR; returns -1. */
int dm_fail(dm_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Same, with an explicit exit code. */
int dm_fail_code(dm_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prepend "prefix: " to an existing message (adds context on the way up). */
int dm_error_prefix(dm_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Allocation helpers that report failure through err. */
void *dm_malloc(size_t n, dm_error *err);
void *dm_calloc(size_t count, size_t size, dm_error *err);
/* 64-byte aligned, zeroed; free with free(). */
float *dm_alloc_floats(size_t count, dm_error *err);
char *dm_strdup(const char *s, dm_error *err);

#endif
