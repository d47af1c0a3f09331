/* recipe.c - the fields of a supervised text model's stanza (recipe.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/number.h"
#include "fasttext/recipe.h"
#include "fasttext/vectors_job.h"

/* The fields a text stanza may have: its own, then those of every recipe
 * (recipe/recipe.c reads them). */
static const char *const FIELDS[] = {
	"Model-Type", "Format", "Dataset", "Test-Dataset", "Validation-Split", "Loss", "Dim",
	"Epochs", "Learning-Rate", "Word-Ngrams", "Min-N", "Max-N", "Bucket", "Min-Count",
	"Min-Count-Label", "Label-Prefix", "Neg", "Batch-Size", "Seed", "Export", "Expect",
	"Upstream-Weights", "Upstream-Max-Regression", "Model", "Description", "License", "Install", "Policy", "Max-Compute", "Max-Memory",
	"Max-Wall-Time", "Max-CPU-Time", "Max-Dataset-Bytes", "Max-Output-Bytes",
	"Max-Archive-Members", "Data-License", "Unexplained-Models", "Model-Files",
	"Not-Model-Files",
};

static int bad(const char *path, const dm_field *f, const char *expected, dm_error *err)
{
	return dm_fail(err, "%s: line %u: %s: expected %s, got '%.80s'", path, f->line, f->name,
		       expected, f->value);
}

int dm_ft_recipe_is(const char *path, const dm_stanza *s, dm_error *err)
{
	const dm_field *f = dm_stanza_get(s, "Model-Type");
	if (!f)
		return 0;
	if (strcmp(f->value, "supervised") && strcmp(f->value, "skipgram") && strcmp(f->value, "cbow"))
		return bad(path, f, "supervised (fastText's text classifier), skipgram or cbow "
			   "(word vectors)", err);
	return 1;
}

static int get_int(const char *path, const dm_stanza *s, const char *name, long lo, long hi,
		   long *out, dm_error *err)
{
	const dm_field *f = dm_stanza_get(s, name);
	char *end, want[96];
	long v;
	if (!f)
		return 0;
	snprintf(want, sizeof want, "a whole number from %ld to %ld", lo, hi);
	errno = 0;
	v = strtol(f->value, &end, 10);
	if (errno || end == f->value || *end || v < lo || v > hi)
		return bad(path, f, want, err);
	*out = v;
	return 0;
}

static int get_real(const char *path, const dm_stanza *s, const char *name, double lo, double hi,
		    double *out, dm_error *err)
{
	const dm_field *f = dm_stanza_get(s, name);
	char want[96];
	double v;
	if (!f)
		return 0;
	snprintf(want, sizeof want, "a number in [%g, %g]", lo, hi);
	if (dm_number_parse(f->value, &v, NULL) || v < lo || v > hi)
		return bad(path, f, want, err);
	*out = v;
	return 0;
}

static int check_names(const char *path, const dm_stanza *s, dm_error *err)
{
	static const char *const required[] = {"Model", "Format", "Dataset", "Seed"};
	for (size_t i = 0; i < s->n; i++) {
		size_t j;
		for (j = 0; j < sizeof FIELDS / sizeof FIELDS[0]; j++)
			if (!strcasecmp(s->fields[i].name, FIELDS[j]))
				break;
		if (j == sizeof FIELDS / sizeof FIELDS[0])
			return dm_fail(err, "%s: line %u: unknown field '%s' for Model-Type supervised; "
				       "see TEXT MODELS in dh-model-train(1)", path,
				       s->fields[i].line, s->fields[i].name);
	}
	for (size_t j = 0; j < sizeof required / sizeof required[0]; j++)
		if (!dm_stanza_get(s, required[j]))
			return dm_fail(err, "%s: stanza at line %u: missing required field %s", path,
				       s->line, required[j]);
	return 0;
}

static int parse_expect(const char *path, const dm_stanza *s, dm_ft_recipe *r, dm_error *err)
{
	const dm_field *f = dm_stanza_get(s, "Expect");
	const char *p;
	double v;
	r->expect_p1 = -1.0;
	if (!f)
		return 0;
	r->expect_line = f->line;
	if (strncmp(f->value, "test-accuracy", 13))
		return bad(path, f, "test-accuracy >= X (P@1 on the held-out lines)", err);
	p = f->value + 13;
	while (*p == ' ')
		p++;
	if (strncmp(p, ">=", 2))
		return bad(path, f, "test-accuracy >= X (P@1 on the held-out lines)", err);
	p += 2;
	while (*p == ' ')
		p++;
	if (dm_number_parse(p, &v, NULL) || v < 0.0 || v > 1.0)
		return bad(path, f, "test-accuracy >= X with X in [0, 1]", err);
	r->expect_p1 = v;
	return 0;
}

/* Upstream-Weights: upstream's fastText .bin, evaluated on the same
 * held-out or test lines; Upstream-Max-Regression: [accuracy] X. */
static int parse_upstream(const char *path, const dm_stanza *s, dm_ft_recipe *r, dm_error *err)
{
	const dm_field *f = dm_stanza_get(s, "Upstream-Weights");
	const dm_field *g = dm_stanza_get(s, "Upstream-Max-Regression");
	const char *num;
	double v;
	if (!f)
		return g ? dm_fail(err, "%s: line %u: Upstream-Max-Regression needs Upstream-Weights "
				   "(upstream's fastText .bin)", path, g->line) : 0;
	if (!*f->value || strchr(f->value, '\n'))
		return bad(path, f, "the path of upstream's fastText .bin", err);
	if (!r->test.n && r->validation_split <= 0.0)
		return dm_fail(err, "%s: line %u: Upstream-Weights needs a Test-Dataset or a "
			       "Validation-Split to evaluate both models on", path, f->line);
	r->upstream = f->value;
	if (!g)
		return 0;
	num = g->value;
	if (!strncmp(num, "accuracy", 8) && (num[8] == ' ' || num[8] == '\t'))
		num += 9;
	while (*num == ' ' || *num == '\t')
		num++;
	if (dm_number_parse(num, &v, NULL) || v < 0.0 || v > 1.0)
		return bad(path, g, "[accuracy] X with X in [0, 1] (how much lower the retrained "
			   "model's P@1 may be than upstream's)", err);
	r->upstream_max = v;
	r->upstream_max_line = g->line;
	return 0;
}

/* label=__label__en with Label-Prefix __label__: refused, naming the item */
int dm_ft_recipe_check_prefixes(const char *path, const dm_stanza *s, const dm_ft_recipe *r,
				dm_error *err)
{
	static const char *const fields[] = {"Dataset", "Test-Dataset"};
	const dm_text_sources *src[] = {&r->train, &r->test};
	char where[4096];
	for (int i = 0; i < 2; i++) {
		const dm_field *f = dm_stanza_get(s, fields[i]);
		if (!f)
			continue;
		snprintf(where, sizeof where, "%s: line %u", path, f->line);
		if (dm_text_sources_check_prefix(src[i], r->label_prefix, where, fields[i], err))
			return -1;
	}
	return 0;
}

static int parse_fields(const char *path, const dm_stanza *s, dm_ft_recipe *r, dm_error *err)
{
	const dm_field *f;
	char where[4096];
	long v;
	double lr = 0.1, split = 0.0;
	if (check_names(path, s, err))
		return -1;
	f = dm_stanza_get(s, "Format");
	if (dm_text_format_parse(f->value, &r->format))
		return bad(path, f, "fasttext, tsv, fortune or words", err);
	f = dm_stanza_get(s, "Dataset");
	snprintf(where, sizeof where, "%s: line %u", path, f->line);
	if (dm_text_sources_parse(f->value, where, r->format, &r->train, err))
		return -1;
	if ((f = dm_stanza_get(s, "Test-Dataset"))) {
		snprintf(where, sizeof where, "%s: line %u", path, f->line);
		if (dm_text_sources_parse(f->value, where, r->format, &r->test, err))
			return -1;
	}
	if (get_real(path, s, "Validation-Split", 0.0, 0.9, &split, err))
		return -1;
	r->validation_split = split;
	if ((f = dm_stanza_get(s, "Validation-Split")) && r->test.n)
		return bad(path, f, "no Validation-Split with a Test-Dataset", err);
	dm_ft_train_defaults(&r->cfg);
	if ((f = dm_stanza_get(s, "Loss")) && (r->cfg.loss = dm_ft_loss_parse(f->value)) < 0)
		return bad(path, f, "softmax, ns, hs or ova (fastText's -loss)", err);
	v = r->cfg.dim;
	if (get_int(path, s, "Dim", 1, 10000, &v, err))
		return -1;
	r->cfg.dim = (int32_t)v;
	v = r->cfg.epoch;
	if (get_int(path, s, "Epochs", 1, 100000, &v, err))
		return -1;
	r->cfg.epoch = (int32_t)v;
	v = r->cfg.neg;
	if (get_int(path, s, "Neg", 0, 1000, &v, err))
		return -1;
	r->cfg.neg = (int32_t)v;
	v = r->cfg.batch;
	if (get_int(path, s, "Batch-Size", 1, 4096, &v, err))
		return -1;
	r->cfg.batch = (int32_t)v;
	if (get_real(path, s, "Learning-Rate", 1e-9, 100.0, &lr, err))
		return -1;
	r->cfg.lr = (float)lr;
	f = dm_stanza_get(s, "Seed");
	{
		char *end;
		errno = 0;
		r->cfg.seed = strtoull(f->value, &end, 10);
		if (errno || end == f->value || *end || f->value[0] == '-')
			return bad(path, f, "a whole number from 0 to 2^64-1", err);
	}
	/* the dictionary, with fastText's supervised defaults */
	r->dict.min_count = 1;
	r->dict.min_count_label = 0;
	r->dict.word_ngrams = 1;
	{
		long mc = 1, mcl = 0, wn = 1, minn = 0, maxn = 0, bucket = 2000000;
		if (get_int(path, s, "Min-Count", 1, 1000000000, &mc, err) ||
		    get_int(path, s, "Min-Count-Label", 0, 1000000000, &mcl, err) ||
		    get_int(path, s, "Word-Ngrams", 1, 100, &wn, err) ||
		    get_int(path, s, "Min-N", 0, 100, &minn, err) ||
		    get_int(path, s, "Max-N", 0, 100, &maxn, err) ||
		    get_int(path, s, "Bucket", 0, 100000000, &bucket, err))
			return -1;
		if (minn > maxn && maxn > 0)
			return bad(path, dm_stanza_get(s, "Min-N"), "Min-N <= Max-N", err);
		r->dict.min_count = mc;
		r->dict.min_count_label = mcl;
		r->dict.word_ngrams = (int)wn;
		r->dict.minn = (int)minn;
		r->dict.maxn = (int)maxn;
		/* fastText: no bucket without n-grams */
		r->dict.bucket = wn <= 1 && maxn == 0 ? 0 : (uint32_t)bucket;
		if (!r->dict.bucket && (wn > 1 || maxn > 0))
			return bad(path, dm_stanza_get(s, "Bucket"),
				   "at least 1 with Word-Ngrams or Max-N", err);
	}
	f = dm_stanza_get(s, "Label-Prefix");
	if (!(r->label_prefix = dm_strdup(f ? f->value : DM_TEXT_LABEL_PREFIX, err)))
		return -1;
	if (f && (!f->value[0] || strpbrk(f->value, " \t\n\r\v\f")))
		return bad(path, f, "a prefix without blanks", err);
	r->dict.label_prefix = r->label_prefix;
	if (dm_ft_recipe_check_prefixes(path, s, r, err))
		return -1;
	if ((f = dm_stanza_get(s, "Export"))) {
		if (strcmp(f->value, "fasttext"))
			return bad(path, f, "fasttext (the .bin of fastText 0.9.2)", err);
		r->export_fasttext = 1;
	}
	r->upstream_max = -1.0;
	return parse_expect(path, s, r, err) || parse_upstream(path, s, r, err) ? -1 : 0;
}

/* skipgram and cbow: vectors_job.c's fields */
static int parse_any(const char *path, const dm_stanza *s, dm_ft_recipe *r, dm_error *err)
{
	const dm_field *type = dm_stanza_get(s, "Model-Type");
	if (type && !strcmp(type->value, "skipgram"))
		return dm_ftv_recipe_fields(path, s, DM_FT_MODEL_SKIPGRAM, r, err);
	if (type && !strcmp(type->value, "cbow"))
		return dm_ftv_recipe_fields(path, s, DM_FT_MODEL_CBOW, r, err);
	return parse_fields(path, s, r, err);
}

int dm_ft_recipe_parse(const char *path, const dm_stanza *s, dm_ft_recipe **out,
		       dm_error *err)
{
	dm_ft_recipe *r = dm_calloc(1, sizeof *r, err);
	*out = NULL;
	if (!r)
		return -1;
	if (parse_any(path, s, r, err)) {
		dm_ft_recipe_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

void dm_ft_recipe_free(dm_ft_recipe *r)
{
	if (!r)
		return;
	dm_text_sources_free(&r->train);
	dm_text_sources_free(&r->test);
	free(r->label_prefix);
	free(r);
}
