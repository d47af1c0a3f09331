/* test_ftbin.c - fastText 0.9.2's .bin (trainer/fasttext/ftbin.h).
 *
 * The oracle is fastText itself: Debian's `fasttext` trains small real
 * models (supervised with each loss, word n-grams, character n-grams,
 * skipgram and cbow) on a corpus made here; each is read and written back,
 * and the bytes must be those of fastText's file.  Hostile files (every
 * truncation, huge counts, wrong magic or version, a .ftz) must give one
 * clean error that names the file.  A model made here and written with
 * dm_ft_write is read by `fasttext predict-prob` and python3-fasttext's
 * load_model, with the probabilities computed by hand.  Without fasttext (FASTTEXT=/path
 * chooses another), the fastText part is skipped and says so.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/sha256.h"
#include "fasttext/ftbin.h"
#include "tap.h"

static char dir[] = "/tmp/dm-ftbin-XXXXXX";

static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b;
	long len;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	b = malloc(len ? (size_t)len : 1);
	*n = fread(b, 1, (size_t)len, f);
	fclose(f);
	return b;
}

static void hex_of(const unsigned char *b, size_t n, char hex[65])
{
	dm_sha256_hex_of(b, n, hex);
}

/* A small corpus with three labels, repeated words (so that minCount
 * keeps some), and UTF-8 words (so that character n-grams see
 * continuation bytes). */
static void write_corpus(const char *path)
{
	static const char *words[][6] = {
		{"apple", "pear", "plum", "fig", "grape", "kiwi"},
		{"car", "bus", "train", "tram", "bike", "ferry"},
		{"rouge", "vert", "bleu", "gr\xc3\xbcn", "caf\xc3\xa9", "\xc3\xa9t\xc3\xa9"}};
	static const char *labels[] = {"__label__fruit", "__label__transport", "__label__colour"};
	FILE *f = fopen(path, "w");
	uint32_t r = 12345;
	int i, j;
	for (i = 0; i < 300; i++) {
		int c = i % 3;
		fprintf(f, "%s", labels[c]);
		if (i % 7 == 0)
			fprintf(f, " %s", labels[(c + 1) % 3]);
		for (j = 0; j < 8; j++) {
			r = r * 1103515245u + 12345u;
			fprintf(f, " %s", words[(r >> 16) % 5 == 0 ? (c + 1) % 3 : c][(r >> 20) % 6]);
		}
		fprintf(f, "\n");
	}
	fclose(f);
}

static int roundtrip(const char *path, const char *name)
{
	dm_ft_model m;
	dm_error err = {"", 0};
	size_t n = 0, wn = 0;
	unsigned char *file = slurp(path, &n), *out = NULL;
	char h1[65], h2[65];
	int good;
	if (!ok(file != NULL && n > 0, "%s: fasttext wrote %s", name, path))
		return 0;
	if (!ok(dm_ft_read(path, &m, &err) == 0, "%s: read (%s)", name, err.msg)) {
		free(file);
		return 0;
	}
	ok(dm_ft_write_mem(&m, &out, &wn, &err) == 0, "%s: written back (%s)", name, err.msg);
	ok(dm_ft_size(&m) == n, "%s: dm_ft_size %llu = file size %zu", name,
	   (unsigned long long)dm_ft_size(&m), n);
	hex_of(file, n, h1);
	hex_of(out ? out : file, out ? wn : 0, h2);
	good = ok(wn == n && out && !memcmp(out, file, n), "%s: %zu bytes identical, sha256 %s = %s",
		  name, n, h1, h2);
	diag("%s: dim %d, %d words, %d labels, input %lld x %lld, output %lld x %lld, %s/%s", name,
	     m.args.dim, m.nwords, m.nlabels, (long long)m.input.m, (long long)m.input.n,
	     (long long)m.output.m, (long long)m.output.n, dm_ft_model_name(m.args.model),
	     dm_ft_loss_name(m.args.loss));
	free(out);
	free(file);
	dm_ft_free(&m);
	return good;
}

/* The error of reading these bytes: one line that names the file. */
static int refused(const unsigned char *b, size_t n, const char *name, const char *expect)
{
	dm_ft_model m;
	dm_error err = {"", 0};
	int rc = dm_ft_read_mem(b, n, "x.bin", &m, &err);
	int clean = rc == -1 && !strncmp(err.msg, "x.bin: ", 7) && !strchr(err.msg, '\n') &&
		    (!expect || strstr(err.msg, expect));
	if (!clean || expect)
		ok(clean, "%s: refused (%s)", name, err.msg);
	return clean;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16), p[3] = (unsigned char)(v >> 24);
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* A model made here, without fastText: 2 words, 1 label. */
static void tiny(dm_ft_model *m, float *in, float *out)
{
	static dm_ft_entry e[3];
	static char w0[] = "</s>", w1[] = "caf\xc3\xa9", w2[] = "__label__x";
	int i;
	memset(m, 0, sizeof *m);
	m->version = DM_FT_VERSION;
	m->args = (dm_ft_args){2, 5, 5, 1, 5, 1, DM_FT_LOSS_SOFTMAX, DM_FT_MODEL_SUPERVISED, 0, 0, 0, 100, 1e-4};
	e[0] = (dm_ft_entry){w0, 4, 7, DM_FT_ENTRY_WORD};
	e[1] = (dm_ft_entry){w1, 5, 3, DM_FT_ENTRY_WORD};
	e[2] = (dm_ft_entry){w2, 10, 7, DM_FT_ENTRY_LABEL};
	m->size = 3, m->nwords = 2, m->nlabels = 1, m->ntokens = 17, m->pruneidx_size = -1;
	m->entries = e;
	for (i = 0; i < 4; i++)
		in[i] = (float)i * 0.25f - 0.3f;
	out[0] = 1.5f, out[1] = -2.0f;
	m->input = (dm_ft_matrix){2, 2, in};
	m->output = (dm_ft_matrix){1, 2, out};
}

static void hostile(void)
{
	dm_ft_model m, back;
	dm_error err = {"", 0};
	float in[4], out[2];
	unsigned char *b = NULL, *c;
	size_t n = 0, cut, clean = 0;
	const size_t dict = 8 + 48 + 8, entries = dict + 12 + 16;
	int rc;
	tiny(&m, in, out);
	rc = dm_ft_write_mem(&m, &b, &n, &err);
	ok(rc == 0 && n == dm_ft_size(&m), "tiny model written: %zu bytes (%s)", n, err.msg);
	refused(b, n - 3, "truncated in the output matrix",
		"x.bin: the output matrix at byte 175: shape 1 x 2 needs more bytes of float32, but only 5 are left");
	refused(b, 125, "truncated in a word", "x.bin: truncated in the dictionary's entry 2 at byte 125: "
		"expected 1 bytes (a word's bytes up to its NUL), found 0");
	refused(b, 30, "truncated in the args", "x.bin: truncated in the args at byte 28: expected 4 bytes "
		"(wordNgrams, int32), found 2");
	/* the layout, byte for byte */
	ok(b[0] == 0xba && b[1] == 0x16 && b[2] == 0x4f && b[3] == 0x2f && b[4] == 12,
	   "magic 793712314 and version 12, little-endian");
	ok(!memcmp(b + entries, "</s>\0", 5) && b[entries + 5] == 7 && b[entries + 13] == 0,
	   "the first entry: its word, a NUL, count 7 (int64), type 0");
	ok(dm_ft_read_mem(b, n, "x.bin", &back, &err) == 0 && back.size == 3 &&
	   !strcmp(back.entries[1].word, "caf\xc3\xa9") && back.entries[2].type == 1 &&
	   back.input.data[3] == in[3] && back.output.data[1] == -2.0f && back.args.t == 1e-4,
	   "read back equal (%s)", err.msg);
	dm_ft_free(&back);
	for (cut = 0; cut < n; cut++)
		clean += refused(b, cut, "truncated", NULL);
	ok(clean == n, "each of the %zu truncations refused with one line naming the file", n);
	c = malloc(n + 1);
#define MUTATE(what, expect, stmt)                          \
	do {                                                \
		memcpy(c, b, n);                            \
		stmt;                                       \
		refused(c, n, what, expect);                \
	} while (0)
	MUTATE("wrong magic", "expected 793712314", c[0] ^= 1);
	MUTATE("version 13", "version 13, expected 12", c[4] = 13);
	MUTATE("version 10", "version 10", c[4] = 10);
	MUTATE("loss 9", "loss 9, expected", put32(c + 8 + 24, 9));
	MUTATE("model 0", "model 0, expected", put32(c + 8 + 28, 0));
	MUTATE("size 2^31-1", "nwords + nlabels = size", put32(c + dict, 0x7fffffff));
	MUTATE("nwords + nlabels huge", "entries need at least", (put32(c + dict, 0x7ffffff0),
		put32(c + dict + 4, 0x7fffffef)));
	MUTATE("negative nlabels", "expected counts of 0 or more", put32(c + dict + 8, 0xffffffff));
	MUTATE("entry type 2", "type 2, expected 0 (word) or 1 (label)", c[entries + 13] = 2);
	MUTATE("a label before a word", "a word after a label", c[entries + 13] = 1);
	MUTATE("pruned, unquantised", "pruneidx_size 0 in an unquantised", put64(c + dict + 20, 0));
	MUTATE("pruneidx_size 2^62", "pruneidx_size", put64(c + dict + 20, (uint64_t)1 << 62));
	{
		size_t q = n - 4 * 2 - 16 - 1 - 4 * 4 - 16 - 1; /* quant_input */
		MUTATE("quantised (.ftz)", "quantised model (.ftz", c[q] = 1);
		MUTATE("quant_input 2", "expected 0 or 1", c[q] = 2);
		MUTATE("input rows 2^61", "needs more than 2^64 bytes", (put64(c + q + 1, (uint64_t)1 << 61),
			put64(c + q + 9, 1 << 10)));
		MUTATE("input rows 2^40", "needs more bytes", put64(c + q + 1, (uint64_t)1 << 40));
		MUTATE("input rows negative", "expected counts of 0 or more", put64(c + q + 1, UINT64_MAX));
		MUTATE("qout set", "qout set", c[n - 8 - 16 - 1] = 1);
	}
	memcpy(c, b, n);
	c[n] = 0;
	refused(c, n + 1, "a byte after the output matrix", "1 bytes after the output matrix");
	free(c);
	free(b);
}

/* A model made here (2 words, 2 labels, dim 2) and written with
 * dm_ft_write: fastText's predict-prob and python3-fasttext's load_model
 * must read it and give the softmax of the mean of the rows by hand. */
static void made_here(const char *ft)
{
	static char w0[] = "</s>", w1[] = "caf\xc3\xa9", l0[] = "__label__yes", l1[] = "__label__no";
	dm_ft_entry e[4] = {{w0, 4, 9, 0}, {w1, 5, 4, 0}, {l0, 12, 6, 1}, {l1, 11, 3, 1}};
	float in[4] = {0.5f, -1.0f, 1.5f, 0.25f}, out[4] = {1.0f, 2.0f, -0.5f, 0.75f};
	dm_ft_model m;
	dm_error err = {"", 0};
	char model[300], text[300], cmd[1000], line[256];
	double h0 = (in[0] + in[2]) / 2, h1 = (in[1] + in[3]) / 2;
	double s0 = out[0] * h0 + out[1] * h1, s1 = out[2] * h0 + out[3] * h1;
	double p0 = 1 / (1 + exp(s1 - s0));
	float got0 = -1, got1 = -1;
	FILE *f;
	memset(&m, 0, sizeof m);
	m.version = DM_FT_VERSION;
	m.args = (dm_ft_args){2, 5, 5, 1, 5, 1, DM_FT_LOSS_SOFTMAX, DM_FT_MODEL_SUPERVISED, 0, 0, 0, 100, 1e-4};
	m.size = 4, m.nwords = 2, m.nlabels = 2, m.ntokens = 22, m.pruneidx_size = -1;
	m.entries = e;
	m.input = (dm_ft_matrix){2, 2, in};
	m.output = (dm_ft_matrix){2, 2, out};
	snprintf(model, sizeof model, "%s/made-here.bin", dir);
	snprintf(text, sizeof text, "%s/made-here.txt", dir);
	ok(dm_ft_write(NULL, &m, model, &err) == 0, "a model made here written to %s (%s)", model, err.msg);
	f = fopen(text, "w");
	fputs("caf\xc3\xa9\n", f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "'%s' predict-prob '%s' '%s' 2 2>&1", ft, model, text);
	f = popen(cmd, "r");
	if (!fgets(line, sizeof line, f))
		line[0] = 0;
	pclose(f);
	ok(sscanf(line, "__label__yes %f __label__no %f", &got0, &got1) == 2 &&
	   fabs(got0 - (p0 + 1e-5)) < 1e-5 && fabs(got1 - (1 - p0 + 1e-5)) < 1e-5,
	   "fasttext predict-prob reads it: %.6f and %.6f by hand, fastText says: %s", p0, 1 - p0,
	   strtok(line, "\n") ? line : "");
	snprintf(cmd, sizeof cmd,
		 "/usr/bin/python3 -c 'import fasttext, sys; m = fasttext.load_model(sys.argv[1]); "
		 "l, p = m.predict(\"caf\xc3\xa9\", k=2); print(\" \".join(l), m.get_dimension(), "
		 "\" \".join(\"%%.6f\" %% x for x in p))' '%s' 2>/dev/null",
		 model);
	f = popen(cmd, "r");
	if (!f || !fgets(line, sizeof line, f))
		line[0] = 0;
	if (f)
		pclose(f);
	if (!strncmp(line, "__label__", 9) || system("/usr/bin/python3 -c 'import fasttext' 2>/dev/null") == 0)
		ok(sscanf(line, "__label__yes __label__no 2 %f %f", &got0, &got1) == 2 &&
		   fabs(got0 - (p0 + 1e-5)) < 1e-5,
		   "python3-fasttext's load_model reads it: %s", strtok(line, "\n") ? line : "(nothing)");
	else
		printf("ok %d # skip python3-fasttext is not installed\n", ++tap_count);
	unlink(model);
	unlink(text);
}

static int have_fasttext(const char *ft)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "command -v '%s' >/dev/null 2>&1", ft);
	return system(cmd) == 0;
}

int main(void)
{
	static const struct {
		const char *name, *args;
	} models[] = {
		{"softmax", "supervised -loss softmax"},
		{"ns", "supervised -loss ns -neg 3"},
		{"hs", "supervised -loss hs"},
		{"ova", "supervised -loss ova"},
		{"softmax-bigrams", "supervised -loss softmax -wordNgrams 2 -bucket 1000"},
		{"softmax-subwords", "supervised -loss softmax -minn 2 -maxn 4 -bucket 500"},
		{"hs-bigrams-subwords", "supervised -loss hs -wordNgrams 2 -minn 3 -maxn 5 -bucket 700"},
		{"skipgram", "skipgram -minCount 1 -minn 2 -maxn 3 -bucket 300"},
		{"cbow", "cbow -minCount 1 -bucket 200 -t 0.001"},
	};
	const char *ft = getenv("FASTTEXT") ? getenv("FASTTEXT") : "fasttext";
	char corpus[256], path[300], cmd[1200];
	size_t i, same = 0, nmodels = sizeof models / sizeof models[0];
	hostile();
	if (!have_fasttext(ft)) {
		printf("ok %d # skip %s not found (Debian's fasttext package)\n", ++tap_count, ft);
		return done_testing();
	}
	if (!mkdtemp(dir))
		return perror(dir), 1;
	snprintf(corpus, sizeof corpus, "%s/corpus.txt", dir);
	write_corpus(corpus);
	for (i = 0; i < nmodels; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, models[i].name);
		snprintf(cmd, sizeof cmd,
			 "'%s' %s -input '%s' -output '%s' -dim 8 -epoch 3 -thread 1 -seed 1 "
			 ">/dev/null 2>&1",
			 ft, models[i].args, corpus, path);
		if (!ok(system(cmd) == 0, "%s: fasttext %s", models[i].name, models[i].args))
			continue;
		strcat(path, ".bin");
		same += roundtrip(path, models[i].name);
		unlink(path);
		strcpy(path + strlen(path) - 4, ".vec");
		unlink(path);
	}
	diag("%zu of %zu fastText models written back byte for byte", same, nmodels);
	made_here(ft);
	unlink(corpus);
	rmdir(dir);
	return done_testing();
}
