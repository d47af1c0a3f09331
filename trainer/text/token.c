/* token.c - fastText's tokens and hash (see token.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"

uint32_t dm_text_hash(const void *s, size_t n)
{
	const unsigned char *p = s;
	uint32_t h = DM_TEXT_HASH_INIT;
	for (size_t i = 0; i < n; i++)
		h = dm_text_hash_byte(h, p[i]);
	return h;
}

void dm_text_line_clear(dm_text_line *l)
{
	l->nbytes = 0;
	l->n = 0;
	l->eos = 0;
	l->lineno = 0;
}

void dm_text_line_free(dm_text_line *l)
{
	free(l->bytes);
	free(l->start);
	free(l->len);
	memset(l, 0, sizeof *l);
}

static int reserve_bytes(dm_text_line *l, size_t more, dm_error *err)
{
	size_t need = l->nbytes + more, c = l->bcap ? l->bcap : 256;
	char *p;
	if (need <= l->bcap)
		return 0;
	if (need > DM_TEXT_MAX_LINE_BYTES)
		return dm_fail(err, "more than %zu MiB of text in one line",
			       DM_TEXT_MAX_LINE_BYTES >> 20);
	while (c < need)
		c *= 2;
	if (!(p = realloc(l->bytes, c)))
		return dm_fail(err, "out of memory (%zu bytes for a line)", c);
	l->bytes = p;
	l->bcap = c;
	return 0;
}

int dm_text_line_push(dm_text_line *l, const char *w, size_t len, dm_error *err)
{
	if (l->n == l->tcap) {
		size_t c = l->tcap ? 2 * l->tcap : 32;
		size_t *s = realloc(l->start, c * sizeof *s);
		uint32_t *n;
		if (!s)
			return dm_fail(err, "out of memory (%zu tokens)", c);
		l->start = s;
		if (!(n = realloc(l->len, c * sizeof *n)))
			return dm_fail(err, "out of memory (%zu tokens)", c);
		l->len = n;
		l->tcap = c;
	}
	if (reserve_bytes(l, len + 1, err) < 0)
		return -1;
	l->start[l->n] = l->nbytes;
	l->len[l->n] = 0;
	l->n++;
	l->bytes[l->nbytes++] = '\0';
	return dm_text_line_extend(l, w, len, err);
}

int dm_text_line_extend(dm_text_line *l, const char *w, size_t len, dm_error *err)
{
	if (reserve_bytes(l, len, err) < 0)
		return -1;
	/* the NUL of the last token moves to the new end */
	memcpy(l->bytes + l->nbytes - 1, w, len);
	l->nbytes += len;
	l->bytes[l->nbytes - 1] = '\0';
	l->len[l->n - 1] += (uint32_t)len;
	return 0;
}

void dm_text_tokenizer_init(dm_text_tokenizer *t, dm_text_read_fn read,
			    void *ctx, const char *path)
{
	t->read = read;
	t->ctx = ctx;
	t->path = path;
	t->pos = t->len = 0;
	t->at_end = 0;
	t->lineno = 1;
}

/* 1 when there are bytes at t->pos, 0 at the end, -1 on error. */
static int fill(dm_text_tokenizer *t, dm_error *err)
{
	ptrdiff_t got;
	if (t->pos < t->len)
		return 1;
	if (t->at_end)
		return 0;
	if ((got = t->read(t->ctx, t->buf, sizeof t->buf, err)) < 0)
		return -1;
	t->pos = 0;
	t->len = (size_t)got;
	if (!got)
		t->at_end = 1;
	return got > 0;
}

int dm_text_error_at(dm_error *err, const char *path, uint64_t line)
{
	size_t n = strlen(path);
	if (!strncmp(err->msg, path, n) && !strncmp(err->msg + n, ": ", 2)) {
		char rest[sizeof err->msg];
		int code = err->code;
		snprintf(rest, sizeof rest, "%s", err->msg + n + 2);
		dm_fail(err, "%s: line %llu: %s", path, (unsigned long long)line, rest);
		err->code = code; /* a cap's exit code stays */
		return -1;
	}
	return dm_error_prefix(err, "%s: line %llu", path, (unsigned long long)line);
}

static int fail_here(dm_text_tokenizer *t, dm_error *err)
{
	return dm_text_error_at(err, t->path, t->lineno);
}

/* Like readWord: separators before a word are skipped, except a newline,
 * which is "</s>"; a newline after a word ends it and stays for the next
 * call. */
int dm_text_next_token(dm_text_tokenizer *t, dm_text_line *l, dm_error *err)
{
	int in_word = 0, r;
	while ((r = fill(t, err)) > 0) {
		const unsigned char *b = t->buf + t->pos, *e = t->buf + t->len;
		const unsigned char *p = b;
		if (!in_word) {
			while (p < e && dm_text_is_space(*p) && *p != '\n')
				p++;
			t->pos += (size_t)(p - b);
			if (p == e)
				continue;
			if (*p == '\n') {
				t->pos++;
				t->lineno++;
				return dm_text_line_push(l, DM_TEXT_EOS, DM_TEXT_EOS_LEN,
							 err) < 0 ? fail_here(t, err) : 1;
			}
			if (dm_text_line_push(l, "", 0, err) < 0)
				return fail_here(t, err);
			in_word = 1;
			b = p;
		}
		while (p < e && !dm_text_is_space(*p))
			p++;
		if (dm_text_line_extend(l, (const char *)b, (size_t)(p - b), err) < 0)
			return fail_here(t, err);
		t->pos += (size_t)(p - (t->buf + t->pos));
		if (p < e) {
			if (*p != '\n')
				t->pos++;
			return 1;
		}
	}
	if (r < 0)
		return fail_here(t, err);
	return in_word;
}

int dm_text_read_line(dm_text_tokenizer *t, dm_text_line *l, dm_error *err)
{
	int r;
	dm_text_line_clear(l);
	l->lineno = t->lineno;
	while ((r = dm_text_next_token(t, l, err)) > 0) {
		size_t i = l->n - 1;
		if (dm_text_is_eos(dm_text_token(l, i), l->len[i])) {
			l->eos = 1;
			return 1;
		}
	}
	return r < 0 ? -1 : l->n > 0;
}
