/* fuzz_text.c - the text readers, tokenizer and dictionary (trainer/text/).
 * The first byte chooses the format (bits 0-1: fasttext, tsv, fortune,
 * fasttext with label=), the n-grams (bits 2-3: none, word bigrams,
 * character 1..3-grams, both), Min-Count (bit 4: 1 or 2), with bit 5,
 * the words format instead (label=xx with bit 1), and with bit 6 lines=N,
 * N from 1 to 7 (the input's size mod 7, plus 1); the rest is the file.  Beyond crashes: messages are one line; no token is empty or
 * holds a separator; a line ends in "</s>" when and only when it says
 * so, and (fasttext) holds no other; every id is a row of the input matrix and every label
 * index a label; fasttext read a byte at a time gives the same lines;
 * words' tokens are lower-case letters and UTF-8 bytes only; lines=N reads
 * what a file of the first N lines (`head -n N` of the decompressed bytes)
 * reads: the same lines and the same dictionary. */
#include "fuzz_common.h"
#include "text/dict.h"
#include "text/source.h"

static ptrdiff_t from_stream(void *ctx, void *buf, size_t n, dm_error *err)
{
	return dm_stream_read(ctx, buf, n, err);
}

static ptrdiff_t one_byte(void *ctx, void *buf, size_t n, dm_error *err)
{
	return dm_stream_read(ctx, buf, n ? 1 : 0, err);
}

/* fasttext: a line ends at its first "</s>"; tsv and fortune records may
 * hold one written in the text (source.h) */
static void check_line(const dm_text_line *l, int split_at_eos)
{
	FUZZ_CHECK(l->n > 0);
	for (size_t i = 0; i < l->n; i++) {
		const char *w = dm_text_token(l, i);
		FUZZ_CHECK(l->len[i] > 0);
		for (size_t j = 0; j < l->len[i]; j++)
			FUZZ_CHECK(!dm_text_is_space((unsigned char)w[j]));
		if (split_at_eos && dm_text_is_eos(w, l->len[i]))
			FUZZ_CHECK(i + 1 == l->n);
	}
}

/* words: a word, or the label first, or "</s>" last */
static void check_words(const dm_text_line *l, int labelled)
{
	FUZZ_CHECK(l->eos && l->n >= 2u + (unsigned)labelled);
	for (size_t i = (size_t)labelled; i + 1 < l->n; i++) {
		const unsigned char *w = (const unsigned char *)dm_text_token(l, i);
		for (size_t j = 0; j < l->len[i]; j++)
			FUZZ_CHECK((w[j] >= 'a' && w[j] <= 'z') || w[j] >= 0x80);
	}
	FUZZ_CHECK(l->eos == dm_text_is_eos(dm_text_token(l, l->n - 1), l->len[l->n - 1]));
}

static int read_all(dm_text_format fmt, const dm_text_source *src, dm_text_dict *d,
		    int ids, size_t *nlines, dm_error *err)
{
	dm_data_limits lim = {0};
	dm_text_line l = {0};
	dm_text_ids w = {0}, lab = {0};
	dm_text_reader *r = dm_text_reader_open(fmt, src, NULL, &lim, err);
	int got;
	*nlines = 0;
	if (!r)
		return -1;
	while ((got = dm_text_reader_next(r, &l, err)) > 0) {
		check_line(&l, fmt == DM_TEXT_FASTTEXT);
		if (fmt == DM_TEXT_WORDS)
			check_words(&l, src->label != NULL);
		(*nlines)++;
		if (!ids) {
			if (dm_text_dict_add_line(d, &l, err) < 0)
				break;
			continue;
		}
		if (dm_text_dict_line_ids(d, &l, &w, &lab, err) < 0)
			break;
		for (size_t i = 0; i < w.n; i++)
			FUZZ_CHECK(w.v[i] >= 0 && (int64_t)w.v[i] < (int64_t)d->nwords + d->cfg.bucket +
				   (d->cfg.bucket == 0));
		for (size_t i = 0; i < lab.n; i++)
			FUZZ_CHECK(lab.v[i] >= 0 && lab.v[i] < d->nlabels);
	}
	dm_text_line_free(&l);
	dm_text_ids_free(&w);
	dm_text_ids_free(&lab);
	if (got != 0) {
		dm_text_reader_abort(r);
		return -1;
	}
	return dm_text_reader_close(r, NULL, err);
}

/* fasttext read a byte at a time: the same lines as in big reads (the
 * stream may decompress what looks compressed: both read through it) */
static void same_lines(const char *path)
{
	static dm_text_tokenizer t, ts;
	dm_data_limits lim = {0};
	dm_error err = {"", 0};
	dm_text_line a = {0}, b = {0};
	dm_stream *s = dm_stream_open(path, &lim, &err);
	dm_stream *s1 = dm_stream_open(path, &lim, &err);
	int ga, gb;
	if (!s || !s1) {
		dm_stream_abort(s);
		dm_stream_abort(s1);
		return;
	}
	dm_text_tokenizer_init(&t, one_byte, s1, path);
	dm_text_tokenizer_init(&ts, from_stream, s, path);
	do {
		ga = dm_text_read_line(&t, &a, &err);
		gb = dm_text_read_line(&ts, &b, &err);
		if (ga < 0 || gb < 0)
			break;
		FUZZ_CHECK(ga == gb);
		FUZZ_CHECK(a.n == b.n && a.eos == b.eos && a.lineno == b.lineno);
		FUZZ_CHECK(a.nbytes == b.nbytes && (!a.nbytes || !memcmp(a.bytes, b.bytes, a.nbytes)));
	} while (ga > 0);
	dm_stream_abort(s);
	dm_stream_abort(s1);
	dm_text_line_free(&a);
	dm_text_line_free(&b);
}

/* The first N lines of the decompressed bytes of path, in fuzz file slot 1:
 * its path, or NULL if the stream fails or they are over 1 MiB. */
static const char *head_file(const char *path, uint64_t n)
{
	static char bytes[1 << 20];
	dm_data_limits lim = {0};
	dm_error err = {"", 0};
	dm_stream *s = dm_stream_open(path, &lim, &err);
	size_t len = 0;
	uint64_t newlines = 0;
	ptrdiff_t got = 1;
	if (!s)
		return NULL;
	while (newlines < n && len < sizeof bytes &&
	       (got = dm_stream_read(s, bytes + len, 1, &err)) == 1)
		newlines += bytes[len++] == '\n';
	dm_stream_abort(s);
	if (got < 0 || (newlines < n && got != 0))
		return NULL;
	return fuzz_file(1, (const uint8_t *)bytes, len);
}

/* lines=N against a file of those lines: the same lines, the same words
 * and labels with the same counts, in the same order */
static void same_as_head(dm_text_format fmt, const dm_text_source *src,
			 const dm_text_dict_cfg *cfg, const dm_text_dict *d, size_t nlines)
{
	dm_text_source head = *src;
	dm_text_dict h;
	dm_error err = {"", 0};
	size_t n;
	head.lines = 0;
	if (!(head.path = (char *)head_file(src->path, src->lines)))
		return;
	FUZZ_CHECK(dm_text_dict_init(&h, cfg, &err) == 0);
	FUZZ_CHECK(read_all(fmt, &head, &h, 0, &n, &err) == 0 && dm_text_dict_finish(&h, &err) == 0);
	FUZZ_CHECK(n == nlines && h.size == d->size && h.nwords == d->nwords);
	for (size_t i = 0; i < h.size; i++)
		FUZZ_CHECK(h.e[i].count == d->e[i].count && h.e[i].type == d->e[i].type &&
			   h.e[i].len == d->e[i].len && !memcmp(h.e[i].word, d->e[i].word, h.e[i].len));
	dm_text_dict_free(&h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const dm_text_format fmts[4] = {DM_TEXT_FASTTEXT, DM_TEXT_TSV, DM_TEXT_FORTUNE,
					       DM_TEXT_FASTTEXT};
	dm_error err = {"", 0};
	dm_text_dict d;
	dm_text_dict_cfg cfg = {NULL, 1, 0, 0, 0, 1, 0};
	dm_text_source src = {NULL, NULL};
	dm_text_format fmt;
	size_t n1, n2;
	if (size < 1)
		return 0;
	fmt = fmts[data[0] & 3];
	if ((data[0] & 3) >= 2)
		src.label = "xx";
	if (data[0] & 4)
		cfg.word_ngrams = 2;
	if (data[0] & 8) {
		cfg.minn = 1;
		cfg.maxn = 3;
	}
	if (data[0] & 16)
		cfg.min_count = 2;
	if (data[0] & 32) {
		fmt = DM_TEXT_WORDS;
		src.label = (data[0] & 2) ? "xx" : NULL;
	}
	if (data[0] & 64)
		src.lines = 1 + size % 7;
	cfg.bucket = (data[0] & 12) ? 1009 : 0;
	src.path = (char *)fuzz_file(0, data + 1, size - 1);
	if (fmt == DM_TEXT_FASTTEXT)
		same_lines(src.path);
	FUZZ_CHECK(dm_text_dict_init(&d, &cfg, &err) == 0);
	if (read_all(fmt, &src, &d, 0, &n1, &err) < 0 || dm_text_dict_finish(&d, &err) < 0) {
		fuzz_check_message(err.msg);
		dm_text_dict_free(&d);
		return 0;
	}
	FUZZ_CHECK(d.size == (size_t)d.nwords + (size_t)d.nlabels);
	for (size_t i = 1; i < d.size; i++)
		FUZZ_CHECK(d.e[i - 1].type < d.e[i].type ||
			   (d.e[i - 1].type == d.e[i].type && d.e[i - 1].count >= d.e[i].count));
	FUZZ_CHECK(read_all(fmt, &src, &d, 1, &n2, &err) == 0 && n1 == n2);
	if (src.lines)
		same_as_head(fmt, &src, &cfg, &d, n1);
	dm_text_dict_free(&d);
	return 0;
}
