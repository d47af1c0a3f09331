/* token.h - fastText's tokens, byte for byte.
 *
 * Text is bytes.  A token is a maximal run of bytes that are not one of
 * fastText's seven separators " \n\r\t\v\f\0"; each newline also gives the
 * token "</s>" (after the word it ends, if any).  Nothing is decoded or
 * validated: invalid UTF-8, a BOM or a C1 byte is part of a token like any
 * other byte (docs/text-tokens.md).  A line, for the supervised model, is
 * the tokens up to and including the first "</s>" (a newline, or "</s>"
 * written in the text, which fastText takes for the end of the line too).
 */
#ifndef DM_TEXT_TOKEN_H
#define DM_TEXT_TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../base/error.h"

#define DM_TEXT_EOS "</s>"
#define DM_TEXT_EOS_LEN 4
/* The most bytes of tokens in one line; fastText has no limit, a line this
 * long is taken for a file that is not text. */
#define DM_TEXT_MAX_LINE_BYTES ((size_t)64 << 20)

/* fastText's FNV-1a: 32 bits, each byte sign-extended (as int8_t) before
 * the xor, so bytes >= 0x80 flip the top 24 bits too.  Every fastText
 * model was trained with this quirk; the ids depend on it. */
uint32_t dm_text_hash(const void *s, size_t n);
/* The same, continued from h (2166136261 to start). */
#define DM_TEXT_HASH_INIT 2166136261u
static inline uint32_t dm_text_hash_byte(uint32_t h, unsigned char c)
{
	return (h ^ (uint32_t)(int32_t)(int8_t)c) * 16777619u;
}

/* 1 if c is one of fastText's separators. */
static inline int dm_text_is_space(unsigned char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' ||
	       c == '\f' || c == '\0';
}

/* The tokens of one line, each NUL-terminated, back to back in bytes. */
typedef struct dm_text_line {
	char *bytes;
	size_t nbytes, bcap;
	size_t *start;    /* offset of token i in bytes */
	uint32_t *len;    /* its length, without the NUL */
	size_t n, tcap;
	int eos;          /* the last token is "</s>" */
	uint64_t lineno;  /* 1-based line of the first token, for messages */
} dm_text_line;

static inline const char *dm_text_token(const dm_text_line *l, size_t i)
{
	return l->bytes + l->start[i];
}
static inline int dm_text_is_eos(const char *w, size_t len)
{
	return len == DM_TEXT_EOS_LEN && w[0] == '<' && w[1] == '/' &&
	       w[2] == 's' && w[3] == '>';
}
void dm_text_line_clear(dm_text_line *l);
/* Append a token of len bytes (which may hold NULs, for readers that
 * build tokens themselves). */
int dm_text_line_push(dm_text_line *l, const char *w, size_t len, dm_error *err);
/* Append bytes to the last token (pushed empty first). */
int dm_text_line_extend(dm_text_line *l, const char *w, size_t len, dm_error *err);
void dm_text_line_free(dm_text_line *l);

/* Where the bytes come from: dm_stream_read, or memory in the tests.
 * Returns the count, 0 at the end, -1 with err set. */
typedef ptrdiff_t (*dm_text_read_fn)(void *ctx, void *buf, size_t n,
				     dm_error *err);

typedef struct dm_text_tokenizer {
	dm_text_read_fn read;
	void *ctx;
	const char *path;       /* for messages */
	unsigned char buf[1 << 16];
	size_t pos, len;
	int at_end;
	uint64_t lineno;        /* 1-based line of the next byte */
} dm_text_tokenizer;

/* Put "PATH: line N: " in front of err's message (once: a message that
 * starts with "PATH: " already gets only the line).  Returns -1. */
int dm_text_error_at(dm_error *err, const char *path, uint64_t line);

void dm_text_tokenizer_init(dm_text_tokenizer *t, dm_text_read_fn read,
			    void *ctx, const char *path);
/* fastText's Dictionary::readWord: append the next token to l.  Returns 1
 * with a token, 0 at the end of the bytes, -1 on error. */
int dm_text_next_token(dm_text_tokenizer *t, dm_text_line *l, dm_error *err);
/* Clear l, then read tokens into it up to and including the first "</s>",
 * or to the end of the bytes.  Returns 1 when l holds a token, 0 at the
 * end, -1 on error. */
int dm_text_read_line(dm_text_tokenizer *t, dm_text_line *l, dm_error *err);

#endif
