/* source.c - text datasets (see source.h). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../base/text.h"
#include "dict.h"
#include "source.h"

#define MAX_LABEL 256

int dm_text_format_parse(const char *s, dm_text_format *out)
{
	if (!strcmp(s, "fasttext"))
		*out = DM_TEXT_FASTTEXT;
	else if (!strcmp(s, "tsv"))
		*out = DM_TEXT_TSV;
	else if (!strcmp(s, "fortune"))
		*out = DM_TEXT_FORTUNE;
	else if (!strcmp(s, "words"))
		*out = DM_TEXT_WORDS;
	else
		return -1;
	return 0;
}

const char *dm_text_format_name(dm_text_format f)
{
	return f == DM_TEXT_FASTTEXT ? "fasttext"
	       : f == DM_TEXT_TSV    ? "tsv"
	       : f == DM_TEXT_WORDS  ? "words"
				     : "fortune";
}

/* NULL when name may be a label, else why not. */
static const char *label_problem(const char *name, size_t n)
{
	if (n == 0)
		return "an empty label";
	if (n > MAX_LABEL)
		return "a label of more than 256 bytes";
	for (size_t i = 0; i < n; i++)
		if (dm_text_is_space((unsigned char)name[i]))
			return "a label with a space, tab, CR, VT, FF or NUL in it "
			       "(fastText would split it)";
	return NULL;
}

void dm_text_sources_free(dm_text_sources *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].path);
		free(s->v[i].label);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static char *dup_n(const char *s, size_t n, dm_error *err)
{
	char *p = dm_malloc(n + 1, err);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* lines=N: a whole number from 1 to 2^53 (a double holds it), digits only. */
static int parse_lines(const char *v, size_t n, uint64_t *out)
{
	uint64_t x = 0;
	if (n == 0 || n > 16)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (x == 0 || x > (UINT64_C(1) << 53))
		return -1;
	*out = x;
	return 0;
}

/* One item: "PATH" then "label=NAME" and "lines=N", spaces around. */
static int parse_item(const char *s, size_t n, const char *where, size_t item,
		      dm_text_format fmt, dm_text_source *src, dm_error *err)
{
	const char *end = s + n, *p, *q;
	char shown[96], *tmp;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	for (p = s; p < end && *p != ' ' && *p != '\t'; p++)
		;
	if (!(src->path = dup_n(s, (size_t)(p - s), err)))
		return -1;
	for (;;) {
		const char *e;
		for (q = p; q < end && (*q == ' ' || *q == '\t'); q++)
			;
		if (q == end)
			break;
		for (e = q; e < end && *e != ' ' && *e != '\t'; e++)
			;
		p = e;
		if (!(tmp = dup_n(q, (size_t)(e - q), err)))
			return -1;
		if (!strncmp(tmp, "lines=", 6) && !src->lines) {
			if (parse_lines(tmp + 6, strlen(tmp + 6), &src->lines)) {
				dm_fail(err, "%s: Dataset item %zu: expected lines=N with N a whole "
					"number of lines from 1 to 2^53, found '%s'", where, item,
					dm_printable(tmp, shown, sizeof shown));
				free(tmp);
				return -1;
			}
		} else if (!strncmp(tmp, "label=", 6) && !src->label) {
			src->label = tmp;
			if (label_problem(tmp + 6, strlen(tmp + 6))) {
				dm_fail(err, "%s: Dataset item %zu: expected label=NAME with a "
					"name of 1 to 256 bytes and no space, found '%s'", where,
					item, dm_printable(tmp, shown, sizeof shown));
				return -1;
			}
			memmove(tmp, tmp + 6, strlen(tmp + 6) + 1);
			continue;
		} else {
			dm_fail(err, "%s: Dataset item %zu: expected 'PATH', then 'label=NAME' "
				"and 'lines=N' at most once each, found '%s' after the path", where,
				item, dm_printable(tmp, shown, sizeof shown));
			free(tmp);
			return -1;
		}
		free(tmp);
	}
	if (fmt == DM_TEXT_FORTUNE && !src->label)
		return dm_fail(err, "%s: Dataset item %zu ('%s'): Format fortune needs the "
			       "label of its records, as 'PATH label=NAME'", where, item,
			       dm_printable(src->path, shown, sizeof shown));
	if (fmt == DM_TEXT_TSV && src->label)
		return dm_fail(err, "%s: Dataset item %zu ('%s'): Format tsv has the label in "
			       "each line; expected no label=", where, item,
			       dm_printable(src->path, shown, sizeof shown));
	return 0;
}

int dm_text_sources_parse(const char *value, const char *where, dm_text_format fmt,
			  dm_text_sources *out, dm_error *err)
{
	const char *p = value;
	size_t items = 1;
	memset(out, 0, sizeof *out);
	for (const char *c = value; *c; c++)
		items += *c == '\n';
	if (!(out->v = dm_calloc(items, sizeof *out->v, err)))
		return -1;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (strspn(p, " \t") < n) {
			if (parse_item(p, n, where, out->n + 1, fmt, &out->v[out->n], err) < 0) {
				out->n++;
				dm_text_sources_free(out);
				return -1;
			}
			out->n++;
		}
		p += n + (nl ? 1 : 0);
	}
	if (!out->n) {
		dm_text_sources_free(out);
		return dm_fail(err, "%s: expected at least one dataset in Dataset, found none",
			       where);
	}
	return 0;
}

int dm_text_sources_check_prefix(const dm_text_sources *src, const char *prefix,
				 const char *where, const char *field, dm_error *err)
{
	size_t n = strlen(prefix);
	char shown[96], label[96];
	for (size_t k = 0; k < src->n; k++) {
		const char *l = src->v[k].label;
		if (!l || strncmp(l, prefix, n))
			continue;
		return dm_fail(err, "%s: %s item %zu ('%s'): label=%s already begins with the "
			       "Label-Prefix '%s', which is added to it; expected label=%s",
			       where, field, k + 1, dm_printable(src->v[k].path, shown, sizeof shown),
			       l, prefix, dm_printable(l[n] ? l + n : "NAME", label, sizeof label));
	}
	return 0;
}

struct dm_text_reader {
	dm_text_format fmt;
	dm_stream *s;
	char *path;
	char *label_token;    /* prefix + label, or NULL */
	size_t label_len;
	char *prefix;         /* the label prefix */
	dm_text_tokenizer tok; /* fasttext */
	/* tsv, fortune: lines split at '\n' only */
	char buf[1 << 16];
	size_t pos, len;
	int at_end;
	char *line;
	size_t line_len, line_cap;
	uint64_t lineno;
	uint64_t labelled;    /* fasttext: the last line given the label */
	/* lines=N: the bytes up to the Nth newline are all the readers see */
	uint64_t max_lines, newlines, delivered;
};

/* Every reader's bytes: the stream's, cut after the Nth newline with
 * lines=N, so that each format reads what `head -n N` gives. */
static ptrdiff_t limited_read(dm_text_reader *r, char *buf, size_t n, dm_error *err)
{
	ptrdiff_t got;
	if (r->max_lines && r->newlines >= r->max_lines)
		return 0;
	if ((got = dm_stream_read(r->s, buf, n, err)) <= 0)
		return got;
	if (r->max_lines) {
		const char *p = buf, *end = buf + got;
		while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
			p++;
			if (++r->newlines == r->max_lines) {
				got = p - buf;
				break;
			}
		}
	}
	r->delivered += (uint64_t)got;
	return got;
}

static ptrdiff_t read_stream(void *ctx, void *buf, size_t n, dm_error *err)
{
	return limited_read(ctx, buf, n, err);
}

dm_text_reader *dm_text_reader_open(dm_text_format fmt, const dm_text_source *src,
				    const char *label_prefix,
				    const dm_data_limits *limits, dm_error *err)
{
	dm_text_reader *r = dm_calloc(1, sizeof *r, err);
	if (!r)
		return NULL;
	r->fmt = fmt;
	r->max_lines = src->lines;
	if (!(r->path = dm_strdup(src->path, err)))
		goto fail;
	if (!(r->prefix = dm_strdup(label_prefix ? label_prefix : DM_TEXT_LABEL_PREFIX, err)))
		goto fail;
	if (src->label) {
		const char *pre = r->prefix;
		size_t a = strlen(pre), b = strlen(src->label);
		if (!(r->label_token = dm_malloc(a + b + 1, err)))
			goto fail;
		memcpy(r->label_token, pre, a);
		memcpy(r->label_token + a, src->label, b + 1);
		r->label_len = a + b;
	}
	if (!(r->s = dm_stream_open(src->path, limits, err)))
		goto fail;
	dm_text_tokenizer_init(&r->tok, read_stream, r, r->path);
	return r;
fail:
	dm_text_reader_abort(r);
	return NULL;
}

void dm_text_reader_abort(dm_text_reader *r)
{
	if (!r)
		return;
	dm_stream_abort(r->s);
	free(r->path);
	free(r->label_token);
	free(r->prefix);
	free(r->line);
	free(r);
}

int dm_text_reader_close(dm_text_reader *r, dm_file_record *rec, dm_error *err)
{
	char sha[65];
	uint64_t bytes = dm_stream_bytes(r->s);
	int rc = dm_stream_close(r->s, sha, err);
	r->s = NULL;
	if (rc == 0 && rec) {
		memcpy(rec->sha256, sha, sizeof sha);
		rec->bytes = r->max_lines ? r->delivered : bytes;
		rec->path = r->path;
		r->path = NULL;
	}
	dm_text_reader_abort(r);
	return rc;
}

/* The next line of the file without its '\n' (NUL bytes and all) in
 * r->line: 1, 0 at the end, -1 on error. */
static int raw_line(dm_text_reader *r, dm_error *err)
{
	r->line_len = 0;
	for (;;) {
		char *nl;
		size_t n;
		if (r->pos == r->len) {
			ptrdiff_t got;
			if (r->at_end)
				break;
			if ((got = limited_read(r, r->buf, sizeof r->buf, err)) < 0)
				return dm_text_error_at(err, r->path, r->lineno + 1);
			r->pos = 0;
			r->len = (size_t)got;
			if (!got) {
				r->at_end = 1;
				break;
			}
		}
		nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
		n = nl ? (size_t)(nl - (r->buf + r->pos)) : r->len - r->pos;
		if (r->line_len + n > DM_TEXT_MAX_LINE_BYTES)
			return dm_fail(err, "%s: line %" PRIu64 ": expected a line of text, "
				       "found more than %zu MiB without a newline", r->path,
				       r->lineno + 1, DM_TEXT_MAX_LINE_BYTES >> 20);
		if (r->line_len + n + 1 > r->line_cap) {
			size_t c = r->line_cap ? r->line_cap : 4096;
			char *p;
			while (c < r->line_len + n + 1)
				c *= 2;
			if (!(p = realloc(r->line, c)))
				return dm_fail(err, "out of memory (a line of %zu bytes)", c);
			r->line = p;
			r->line_cap = c;
		}
		memcpy(r->line + r->line_len, r->buf + r->pos, n);
		r->line_len += n;
		r->pos += n;
		if (nl) {
			r->pos++;
			r->lineno++;
			return 1;
		}
	}
	if (r->line_len) {
		r->lineno++;
		return 1;
	}
	return 0;
}

/* Append the tokens of bytes p[0..n) (no newline in them) to l. */
static int tokens_of(const char *p, size_t n, dm_text_line *l, dm_error *err)
{
	size_t i = 0;
	while (i < n) {
		size_t j;
		while (i < n && dm_text_is_space((unsigned char)p[i]))
			i++;
		for (j = i; j < n && !dm_text_is_space((unsigned char)p[j]); j++)
			;
		if (j > i && dm_text_line_push(l, p + i, j - i, err) < 0)
			return -1;
		i = j;
	}
	return 0;
}

static int fail_line(dm_text_reader *r, uint64_t line, dm_error *err)
{
	return dm_text_error_at(err, r->path, line);
}

static int next_tsv(dm_text_reader *r, dm_text_line *l, dm_error *err)
{
	int got;
	while ((got = raw_line(r, err)) > 0) {
		const char *tab = memchr(r->line, '\t', r->line_len);
		const char *why;
		char shown[64], *cut;
		size_t n;
		if (strspn(r->line, " \t\r\v\f") >= r->line_len && !memchr(r->line, 0, r->line_len))
			continue; /* blank */
		dm_text_line_clear(l);
		l->lineno = r->lineno;
		if (!tab) {
			n = r->line_len < 40 ? r->line_len : 40;
			if (!(cut = dup_n(r->line, n, err)))
				return -1;
			dm_fail(err, "%s: line %" PRIu64 ": expected 'label TAB text', found no "
				"tab in '%s'", r->path, r->lineno, dm_printable(cut, shown, sizeof shown));
			free(cut);
			return -1;
		}
		n = (size_t)(tab - r->line);
		if ((why = label_problem(r->line, n))) {
			if (!(cut = dup_n(r->line, n < 40 ? n : 40, err)))
				return -1;
			dm_fail(err, "%s: line %" PRIu64 ": expected a label before the tab, "
				"found %s: '%s'", r->path, r->lineno, why,
				dm_printable(cut, shown, sizeof shown));
			free(cut);
			return -1;
		}
		if (dm_text_line_push(l, r->prefix, strlen(r->prefix), err) < 0 ||
		    dm_text_line_extend(l, r->line, n, err) < 0 ||
		    tokens_of(tab + 1, r->line_len - n - 1, l, err) < 0 ||
		    dm_text_line_push(l, DM_TEXT_EOS, DM_TEXT_EOS_LEN, err) < 0)
			return fail_line(r, r->lineno, err);
		l->eos = 1;
		return 1;
	}
	return got;
}

static int is_delimiter(const char *s, size_t n)
{
	return n >= 1 && s[0] == '%' && (n == 1 || (n == 2 && s[1] == '\r'));
}

static int next_fortune(dm_text_reader *r, dm_text_line *l, dm_error *err)
{
	int got;
	dm_text_line_clear(l);
	if (dm_text_line_push(l, r->label_token, r->label_len, err) < 0)
		return -1;
	while ((got = raw_line(r, err)) > 0) {
		if (is_delimiter(r->line, r->line_len)) {
			if (l->n > 1)
				break;
			continue; /* nothing yet: an empty record */
		}
		if (l->n == 1)
			l->lineno = r->lineno;
		if (tokens_of(r->line, r->line_len, l, err) < 0)
			return fail_line(r, l->lineno, err);
	}
	if (got < 0)
		return -1;
	if (l->n == 1)
		return 0;
	if (dm_text_line_push(l, DM_TEXT_EOS, DM_TEXT_EOS_LEN, err) < 0)
		return fail_line(r, l->lineno, err);
	l->eos = 1;
	return 1;
}

/* words: A-Z lower-cased, a-z and the bytes of UTF-8 characters kept,
 * every other byte a space. */
static void reduce_to_words(char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c >= 'A' && c <= 'Z')
			p[i] = (char)(c - 'A' + 'a');
		else if (!(c >= 'a' && c <= 'z') && c < 0x80)
			p[i] = ' ';
	}
}

/* A line with a word in it, reduced (above); lines without one are
 * skipped, so that the text fastText reads is the lines written out. */
static int next_words(dm_text_reader *r, dm_text_line *l, dm_error *err)
{
	int got;
	while ((got = raw_line(r, err)) > 0) {
		reduce_to_words(r->line, r->line_len);
		dm_text_line_clear(l);
		l->lineno = r->lineno;
		if (r->label_token && dm_text_line_push(l, r->label_token, r->label_len, err) < 0)
			return fail_line(r, r->lineno, err);
		if (tokens_of(r->line, r->line_len, l, err) < 0)
			return fail_line(r, r->lineno, err);
		if (l->n == (r->label_token != NULL))
			continue;
		if (dm_text_line_push(l, DM_TEXT_EOS, DM_TEXT_EOS_LEN, err) < 0)
			return fail_line(r, r->lineno, err);
		l->eos = 1;
		return 1;
	}
	return got;
}

/* Put the last token of l first. */
static void last_first(dm_text_line *l)
{
	size_t s = l->start[l->n - 1];
	uint32_t n = l->len[l->n - 1];
	memmove(l->start + 1, l->start, (l->n - 1) * sizeof *l->start);
	memmove(l->len + 1, l->len, (l->n - 1) * sizeof *l->len);
	l->start[0] = s;
	l->len[0] = n;
}

static int next_fasttext(dm_text_reader *r, dm_text_line *l, dm_error *err)
{
	int got = dm_text_read_line(&r->tok, l, err);
	int newline_only;
	if (got <= 0 || !r->label_token)
		return got;
	/* the label goes in front of each line of the file that has a token:
	 * not in front of the rest of a line after a "</s>" written in it,
	 * nor of a blank line (one "</s>", from its newline) */
	newline_only = l->n == 1 && l->eos && r->tok.lineno > l->lineno;
	if (l->lineno != r->labelled && !newline_only) {
		r->labelled = l->lineno;
		if (dm_text_line_push(l, r->label_token, r->label_len, err) < 0)
			return fail_line(r, l->lineno, err);
		last_first(l);
	}
	return 1;
}

int dm_text_reader_next(dm_text_reader *r, dm_text_line *l, dm_error *err)
{
	switch (r->fmt) {
	case DM_TEXT_FASTTEXT:
		return next_fasttext(r, l, err);
	case DM_TEXT_TSV:
		return next_tsv(r, l, err);
	case DM_TEXT_FORTUNE:
		return next_fortune(r, l, err);
	case DM_TEXT_WORDS:
		return next_words(r, l, err);
	}
	return dm_fail(err, "internal: text format %d", (int)r->fmt);
}
