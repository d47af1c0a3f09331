/* test_text.c - trainer/text/ on its own: the hash with fastText's
 * signed-char quirk (values from an independent Python FNV-1a that
 * sign-extends each byte), readWord's tokens and lines whatever the size
 * of the reads, character n-grams at the edges of "<word>" and of UTF-8,
 * the dictionary's checks, and the readers' messages on malformed text
 * datasets (file, line, what was expected and found).  Debian's fasttext is the oracle of the
 * rest (tests/py/test_text_dict.py).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "tap.h"
#include "text/dict.h"
#include "text/source.h"

typedef struct mem {
	const char *p;
	size_t n, pos, chunk;
} mem;

static ptrdiff_t mem_read(void *ctx, void *buf, size_t n, dm_error *err)
{
	mem *m = ctx;
	size_t k = m->n - m->pos;
	(void)err;
	if (k > n)
		k = n;
	if (k > m->chunk)
		k = m->chunk;
	memcpy(buf, m->p + m->pos, k);
	m->pos += k;
	return (ptrdiff_t)k;
}

/* The lines of text, as "tok|tok|...$" per line ('$' when it ended in
 * </s>, which is shown too), read chunk bytes at a time. */
static void lines_of(const char *text, size_t n, size_t chunk, char *out, size_t size,
		     uint64_t *linenos)
{
	static dm_text_tokenizer t;
	mem m = {text, n, 0, chunk};
	dm_text_line l = {0};
	dm_error err = {"", 0};
	size_t o = 0;
	int k = 0;
	dm_text_tokenizer_init(&t, mem_read, &m, "mem");
	out[0] = '\0';
	while (dm_text_read_line(&t, &l, &err) > 0) {
		for (size_t i = 0; i < l.n; i++) {
			/* NUL never in a token: show what is there */
			for (size_t j = 0; j < l.len[i] && o + 2 < size; j++)
				out[o++] = dm_text_token(&l, i)[j];
			if (i + 1 < l.n && o + 2 < size)
				out[o++] = '|';
		}
		if (o + 2 < size)
			out[o++] = l.eos ? '$' : '.';
		if (linenos)
			linenos[k++] = l.lineno;
	}
	out[o] = '\0';
	dm_text_line_free(&l);
}

static void test_hash(void)
{
	ok(dm_text_hash("", 0) == 0x811c9dc5u, "hash of the empty string is FNV's offset basis");
	ok(dm_text_hash("a", 1) == 0xe40c292cu, "hash of 'a' is FNV-1a's");
	ok(dm_text_hash("\xff", 1) == 0xf9f3a14eu,
	   "hash of byte 0xff sign-extends it (0x%08x)", dm_text_hash("\xff", 1));
	ok(dm_text_hash("caf\xc3\xa9", 5) == 0x7572c049u, "hash of UTF-8 'caf\\u00e9'");
	ok(dm_text_hash("</s>", 4) == 0xd79c9359u, "hash of </s>");
}

static void test_tokens(void)
{
	static const char text[] = "a b\n\nc\r\n\0d\v\fe";
	static const char lit[] = "x </s> y\n  \t\n__label__a z";
	size_t chunks[] = {1, 2, 3, 7, 1 << 20};
	char want[256], got[256];
	uint64_t ln[8] = {0};
	lines_of(text, sizeof text - 1, 1 << 20, want, sizeof want, ln);
	ok(!strcmp(want, "a|b|</s>$</s>$c|</s>$d|e."),
	   "readWord's separators and </s> at each newline: %s", want);
	ok(ln[0] == 1 && ln[1] == 2 && ln[2] == 3 && ln[3] == 4,
	   "line numbers 1 2 3 4 (%llu %llu %llu %llu)", (unsigned long long)ln[0],
	   (unsigned long long)ln[1], (unsigned long long)ln[2], (unsigned long long)ln[3]);
	for (size_t i = 0; i < sizeof chunks / sizeof *chunks; i++) {
		lines_of(text, sizeof text - 1, chunks[i], got, sizeof got, NULL);
		ok(!strcmp(got, want), "reads of %zu bytes give the same lines", chunks[i]);
	}
	lines_of(lit, sizeof lit - 1, 2, got, sizeof got, NULL);
	ok(!strcmp(got, "x|</s>$y|</s>$</s>$__label__a|z."),
	   "a </s> in the text ends the line as in fastText's getLine: %s", got);
	lines_of("", 0, 1, got, sizeof got, NULL);
	ok(!strcmp(got, ""), "no bytes, no line");
	lines_of(" \t\r", 3, 1, got, sizeof got, NULL);
	ok(!strcmp(got, ""), "only separators, no newline: no line");
}

static int same_ids(const dm_text_ids *ids, const char *const *grams, size_t n,
		    uint32_t bucket, int32_t nwords)
{
	if (ids->n != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (ids->v[i] != nwords + (int32_t)(dm_text_hash(grams[i], strlen(grams[i])) % bucket))
			return 0;
	return 1;
}

static void test_subwords(void)
{
	dm_error err = {"", 0};
	dm_text_ids ids = {0};
	static const char *const a13[] = {"<a", "<a>", "a", "a>"};
	static const char *const e11[] = {"\xc3\xa9"};
	static const char *const cut[] = {"<\xc3", "<\xc3>", "\xc3>"};
	static const char *const stray[] = {"<\x80>"};
	dm_text_subwords("a", 1, 1, 3, 1000, 7, &ids, &err);
	ok(same_ids(&ids, a13, 4, 1000, 7),
	   "'a', 1..3: <a <a> a a> (not '<' or '>' alone; the whole <a> is one)");
	ids.n = 0;
	dm_text_subwords("\xc3\xa9", 2, 1, 1, 1000, 0, &ids, &err);
	ok(same_ids(&ids, e11, 1, 1000, 0), "U+00E9, 1..1: one character of two bytes");
	ids.n = 0;
	dm_text_subwords("\xc3", 1, 2, 3, 1000, 0, &ids, &err);
	ok(same_ids(&ids, cut, 3, 1000, 0), "a lead byte alone is a character of one byte");
	ids.n = 0;
	dm_text_subwords("\x80", 1, 2, 2, 1000, 0, &ids, &err);
	ok(same_ids(&ids, stray, 1, 1000, 0),
	   "a stray continuation byte belongs to the character before it (%zu ids)", ids.n);
	ids.n = 0;
	ok(dm_text_subwords("abc", 3, 3, 6, 0, 0, &ids, &err) < 0 &&
	   strstr(err.msg, "Bucket"), "character n-grams without a Bucket: %s", err.msg);
	dm_text_ids_free(&ids);
}

static void test_word_ngrams(void)
{
	dm_error err = {"", 0};
	dm_text_ids ids = {0};
	uint32_t h[3] = {0x80000000u, 5, 0xffffffffu};
	/* by hand, with each hash sign-extended to 64 bits */
	uint64_t a = 0xffffffff80000000ull, b = 5, c = 0xffffffffffffffffull;
	uint64_t ab = a * 116049371u + b, bc = b * 116049371u + c;
	dm_text_word_ngrams(h, 3, 2, 1000003, 10, &ids, &err);
	ok(ids.n == 2 && ids.v[0] == 10 + (int32_t)(ab % 1000003) &&
	   ids.v[1] == 10 + (int32_t)(bc % 1000003),
	   "word bigrams: h * 116049371 + next, on sign-extended hashes");
	ids.n = 0;
	dm_text_word_ngrams(h, 3, 1, 0, 10, &ids, &err);
	ok(ids.n == 0, "Word-Ngrams 1: none (and no Bucket needed)");
	dm_text_ids_free(&ids);
}

static void test_dict_checks(void)
{
	dm_error err = {"", 0};
	dm_text_dict d;
	dm_text_dict_cfg cfg = {NULL, 1, 0, 0, 0, 1, 0};
	ok(dm_text_dict_init(&d, &cfg, &err) == 0, "defaults: no n-grams, no bucket");
	ok(dm_text_dict_finish(&d, &err) < 0 && strstr(err.msg, "empty vocabulary"),
	   "no tokens: %s", err.msg);
	dm_text_dict_free(&d);
	cfg.word_ngrams = 2;
	ok(dm_text_dict_init(&d, &cfg, &err) < 0 && strstr(err.msg, "Bucket"),
	   "Word-Ngrams 2, Bucket 0: %s", err.msg);
	cfg.word_ngrams = 1;
	cfg.minn = 4;
	cfg.maxn = 3;
	cfg.bucket = 10;
	ok(dm_text_dict_init(&d, &cfg, &err) < 0 && strstr(err.msg, "Min-N"),
	   "Min-N > Max-N: %s", err.msg);
	cfg.minn = 0;
	cfg.maxn = 0;
	cfg.label_prefix = "";
	ok(dm_text_dict_init(&d, &cfg, &err) < 0 && strstr(err.msg, "Label-Prefix"),
	   "an empty Label-Prefix: %s", err.msg);
	cfg.label_prefix = "@";
	cfg.min_count = 2;
	if (dm_text_dict_init(&d, &cfg, &err) == 0) {
		static const char *toks[] = {"b", "@x", "a", "a", "b", "c", "@y", "@x", "</s>"};
		for (size_t i = 0; i < sizeof toks / sizeof *toks; i++)
			dm_text_dict_add(&d, toks[i], strlen(toks[i]), &err);
		dm_text_dict_finish(&d, &err);
		ok(d.size == 4 && d.nwords == 2 && d.nlabels == 2 && d.ntokens == 9 &&
		   !strcmp(d.e[0].word, "b") && !strcmp(d.e[1].word, "a") &&
		   !strcmp(d.e[2].word, "@x") && !strcmp(d.e[3].word, "@y") &&
		   dm_text_dict_find(&d, "c", 1, dm_text_hash("c", 1)) == -1 &&
		   dm_text_dict_find(&d, "@y", 2, dm_text_hash("@y", 2)) == 3,
		   "Min-Count 2 drops words seen once, not labels; words first, ties as seen");
		dm_text_dict_free(&d);
	}
}

static void put(const char *path, const char *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, n, f) != n || fclose(f))
		diag("cannot write %s", path);
}

/* Read every record of the one dataset in `item`; the error or "" */
static int read_all(dm_text_format fmt, const char *item, size_t *records, dm_error *err)
{
	dm_text_sources src;
	dm_data_limits lim = {0};
	dm_text_line l = {0};
	dm_text_reader *r;
	int got;
	*records = 0;
	err->msg[0] = '\0';
	if (dm_text_sources_parse(item, "models: line 2", fmt, &src, err) < 0)
		return -1;
	if (!(r = dm_text_reader_open(fmt, &src.v[0], NULL, &lim, err))) {
		dm_text_sources_free(&src);
		return -1;
	}
	while ((got = dm_text_reader_next(r, &l, err)) > 0)
		(*records)++;
	if (got < 0)
		dm_text_reader_abort(r);
	else
		got = dm_text_reader_close(r, NULL, err);
	dm_text_line_free(&l);
	dm_text_sources_free(&src);
	return got;
}

static void test_bad_input(void)
{
	static const char tsv[] = "fr\tbonjour\n\nde\thallo\nno tab here\n";
	static const char label_space[] = "fr\ta\nf r\tb\n";
	static const char empty_label[] = "\tb\n";
	static const char fortune[] = "a b\n%\nc\n";
	dm_error err = {"", 0};
	size_t n;
	char tmpl[] = "/tmp/dm-test-text-XXXXXX";
	if (!mkdtemp(tmpl) || chdir(tmpl)) {
		ok(0, "a temporary directory");
		return;
	}
	put("a.tsv", tsv, sizeof tsv - 1);
	put("b.tsv", label_space, sizeof label_space - 1);
	put("c.tsv", empty_label, sizeof empty_label - 1);
	put("f", fortune, sizeof fortune - 1);
	ok(read_all(DM_TEXT_TSV, "a.tsv", &n, &err) < 0 && n == 2 &&
	   !strcmp(err.msg, "a.tsv: line 4: expected 'label TAB text', found no tab in "
		   "'no tab here'"), "tsv without a tab: %s", err.msg);
	ok(read_all(DM_TEXT_TSV, "b.tsv", &n, &err) < 0 &&
	   strstr(err.msg, "b.tsv: line 2: expected a label before the tab, found a label "
		  "with a space"), "tsv label with a space: %s", err.msg);
	ok(read_all(DM_TEXT_TSV, "c.tsv", &n, &err) < 0 &&
	   strstr(err.msg, "c.tsv: line 1: expected a label before the tab, found an empty "
		  "label"), "tsv empty label: %s", err.msg);
	ok(read_all(DM_TEXT_FORTUNE, "f", &n, &err) < 0 &&
	   !strcmp(err.msg, "models: line 2: Dataset item 1 ('f'): Format fortune needs the "
		   "label of its records, as 'PATH label=NAME'"), "fortune without a label: %s",
	   err.msg);
	read_all(DM_TEXT_FORTUNE, "f label=fr", &n, &err);
	ok(n == 2 && !err.msg[0], "fortune with label=fr: 2 records (%zu) %s", n, err.msg);
	ok(read_all(DM_TEXT_TSV, "a.tsv label=fr", &n, &err) < 0 &&
	   strstr(err.msg, "Format tsv has the label in each line; expected no label="),
	   "tsv with label=: %s", err.msg);
	ok(read_all(DM_TEXT_FASTTEXT, "f lable=fr", &n, &err) < 0 &&
	   strstr(err.msg, "Dataset item 1: expected 'PATH', then 'label=NAME' and 'lines=N' at "
		  "most once each, found 'lable=fr' after the path"), "a misspelt label=: %s", err.msg);
	ok(read_all(DM_TEXT_FASTTEXT, "f label=", &n, &err) < 0 &&
	   strstr(err.msg, "expected label=NAME with a name of 1 to 256 bytes"),
	   "an empty label=: %s", err.msg);
	ok(read_all(DM_TEXT_FASTTEXT, "nowhere.txt", &n, &err) < 0 &&
	   strstr(err.msg, "nowhere.txt"), "a missing file: %s", err.msg);
	ok(read_all(DM_TEXT_FASTTEXT, " \n \n", &n, &err) < 0 &&
	   strstr(err.msg, "expected at least one dataset"), "no dataset: %s", err.msg);
	/* a gzip cut short: the error names the line where the reading stopped */
	if (system("seq 1 400000 | gzip -n > big.gz && head -c 300000 big.gz > cut.gz") == 0) {
		ok(read_all(DM_TEXT_TSV, "cut.gz", &n, &err) < 0 &&
		   strstr(err.msg, "cut.gz: line 1: expected 'label TAB text'"),
		   "the first error wins: %s", err.msg);
		ok(read_all(DM_TEXT_FASTTEXT, "cut.gz", &n, &err) < 0 &&
		   !strncmp(err.msg, "cut.gz: line ", 13) && strstr(err.msg, ": corrupt or truncated") &&
		   !strstr(err.msg + 1, "cut.gz"),
		   "a truncated gzip names file and line: %s", err.msg);
	}
	if (system("cd .. && rm -rf -- \"$OLDPWD\"") != 0 || chdir("/") != 0)
		diag("cleanup failed");
}

int main(void)
{
	test_hash();
	test_tokens();
	test_subwords();
	test_word_ngrams();
	test_dict_checks();
	test_bad_input();
	return done_testing();
}
