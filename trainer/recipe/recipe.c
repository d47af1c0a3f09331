/* recipe.c - from deb822 stanzas to checked recipes. */
#include "recipe.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/text.h"
#include "../base/number.h"
#include "../fasttext/recipe.h"

static const dm_field_info FIELDS[] = {
	{"Model", 1, "name of the model: lower case letters, digits, '.', '+', '-'"},
	{"Description", 0, "one line shown in the model card"},
	{"Dataset", 1, "training data: a file, a compressed file or archive:member"},
	{"Labels", 0, "training labels (IDX only)"},
	{"Format", 1, "idx, csv, tsv or libsvm"},
	{"Test-Dataset", 0, "test data, same format"},
	{"Test-Labels", 0, "test labels (IDX only)"},
	{"Validation-Split", 0, "fraction of the training data held out, in [0, 1)"},
	{"Header-Lines", 0, "CSV/TSV: lines before the data (default 1)"},
	{"Column-Names", 0, "CSV/TSV: yes if the first header line names the columns"},
	{"Label-Column", 0, "CSV/TSV: last, first, a 1-based number or a column name"},
	{"Features", 0, "libsvm: number of features"},
	{"Normalize", 0, "auto, none, standardize or scale K"},
	{"Input-Shape", 0, "the shape of one sample, e.g. 1x28x28 (C x H x W; default: IDX's, else a plain width)"},
	{"Class-Names", 0, "classifiers: the name of each class, comma-separated, or file PATH (one a line)"},
	{"Network", 1, "layers, e.g. dense 256 relu, dropout 0.2, dense 10"},
	{"Loss", 1, "softmax-cross-entropy, binary-cross-entropy or mse"},
	{"Optimizer", 0, "sgd, adam or adamw (default adam)"},
	{"Learning-Rate", 0, "step size (default 0.001, sgd 0.01)"},
	{"Momentum", 0, "sgd momentum in [0, 1) (default 0)"},
	{"Beta1", 0, "adam beta1 (default 0.9)"},
	{"Beta2", 0, "adam beta2 (default 0.999)"},
	{"Epsilon", 0, "adam epsilon (default 1e-8)"},
	{"Weight-Decay", 0, "L2 penalty; decoupled for adamw (default 0, adamw 0.01)"},
	{"Clip-Norm", 0, "clip the global gradient norm to this value"},
	{"LR-Schedule", 0, "constant, step N GAMMA, exponential GAMMA or cosine"},
	{"Batch-Size", 0, "samples per step (default 32)"},
	{"Epochs", 1, "passes over the training data"},
	{"Shuffle", 0, "yes or no: reshuffle every epoch (default yes)"},
	{"Seed", 1, "seed of every random choice"},
	{"Early-Stopping", 0, "stop after N epochs without a better validation loss"},
	{"Expect", 0, "quality gates, e.g. test-accuracy >= 0.87"},
	{"Numerics", 0, "portable (default, reproducible everywhere) or openblas"},
	{"License", 0, "licence of the trained weights"},
	{"Install", 0, "where the package installs the weights, e.g. usr/share/foo/"},
	{"Export", 0, "other formats written beside the weights: onnx"},
	{"Policy", 0, "the budget policy (default main), see dh-model-policy(5)"},
	{"Max-Compute", 0, "a lower FLOP budget than the policy's"},
	{"Max-Memory", 0, "a lower peak memory than the policy's, e.g. 2G"},
	{"Max-Wall-Time", 0, "a lower wall-clock limit, e.g. 2h"},
	{"Max-CPU-Time", 0, "a lower CPU-time limit, e.g. 4h"},
	{"Max-Dataset-Bytes", 0, "a lower cap on decompressed bytes per data file"},
	{"Max-Output-Bytes", 0, "a lower cap on the size of each output file"},
	{"Max-Archive-Members", 0, "a lower cap on archive entries scanned for a member"},
	{"Data-License", 0, "licence of data files that no copyright file covers"},
	{"Upstream-Weights", 0, "upstream's prebuilt weights, evaluated next to the retrained model"},
	{"Upstream-Format", 0, "safetensors (default), raw-f32le or onnx (default for *.onnx)"},
	{"Upstream-Network", 0, "the layers of the upstream weights (default: Network)"},
	{"Upstream-Max-Regression", 0, "fail if the retrained model is worse than upstream's by more"},
	{"Unexplained-Models", 0, "warn (default) or error: model files no recipe produced; never weaker than the policy"},
	{"Model-Files", 0, "more globs of model files in the package, for the audit"},
	{"Not-Model-Files", 0, "globs of files in the package that are not models"},
	{"Model-Type", 0, "supervised: a fastText text classifier; skipgram, cbow: word vectors (see TEXT MODELS)"},
};

const dm_field_info *dm_recipe_fields(size_t *n)
{
	*n = sizeof FIELDS / sizeof FIELDS[0];
	return FIELDS;
}

/* Edit distance, for "did you mean" on unknown fields. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev[64], cur[64];
	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (tolower((unsigned char)a[i - 1]) !=
						   tolower((unsigned char)b[j - 1]));
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof cur);
	}
	return prev[lb];
}

typedef struct ctx {
	const char *path;
	const dm_stanza *s;
	dm_error *err;
} ctx;

static int bad(const ctx *c, const dm_field *f, const char *expected)
{
	/* the message is one line: continuation lines are shown as " / " */
	char shown[96];
	size_t i, n = 0;
	for (i = 0; f->value[i] && n + 4 < sizeof shown && i < 80; i++) {
		if (f->value[i] == '\n') {
			memcpy(shown + n, " / ", 3);
			n += 3;
		} else if ((unsigned char)f->value[i] < 32 || f->value[i] == 127) {
			shown[n++] = '?';
		} else {
			shown[n++] = f->value[i];
		}
	}
	shown[n] = 0;
	return dm_fail(c->err, "%s: line %u: %s: expected %s, got '%s'", c->path, f->line,
		       f->name, expected, shown);
}

static const char *text(const ctx *c, const char *name)
{
	const dm_field *f = dm_stanza_get(c->s, name);
	return f ? f->value : NULL;
}

static int get_uint(const ctx *c, const char *name, uint64_t lo, uint64_t hi,
		    uint64_t *out)
{
	const dm_field *f = dm_stanza_get(c->s, name);
	char *end, want[96];
	unsigned long long v;
	if (!f)
		return 0;
	snprintf(want, sizeof want, "a whole number from %llu to %llu",
		 (unsigned long long)lo, (unsigned long long)hi);
	if (!isdigit((unsigned char)f->value[0]))
		return bad(c, f, want);
	errno = 0;
	v = strtoull(f->value, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return bad(c, f, want);
	*out = v;
	return 0;
}

/* A number in [lo, hi] (or [lo, hi) when open_hi, (lo, hi] when open_lo). */
static int get_float(const ctx *c, const char *name, double lo, double hi,
		     int open_lo, int open_hi, float *out)
{
	const dm_field *f = dm_stanza_get(c->s, name);
	char want[96];
	double v;
	if (!f)
		return 0;
	snprintf(want, sizeof want, "a number in %c%g, %g%c", open_lo ? '(' : '[', lo,
		 hi, open_hi ? ')' : ']');
	/* base/number.h: decimal, within the float range */
	if (dm_number_parse(f->value, &v, NULL) || v < lo || v > hi ||
	    (open_lo && v == lo) || (open_hi && v == hi))
		return bad(c, f, want);
	*out = (float)v;
	return 0;
}

static int get_bool(const ctx *c, const char *name, int *out)
{
	const dm_field *f = dm_stanza_get(c->s, name);
	if (!f)
		return 0;
	if (!strcasecmp(f->value, "yes"))
		*out = 1;
	else if (!strcasecmp(f->value, "no"))
		*out = 0;
	else
		return bad(c, f, "yes or no");
	return 0;
}

static int check_fields(const ctx *c, size_t index)
{
	size_t i, j, nf = sizeof FIELDS / sizeof FIELDS[0];
	for (i = 0; i < c->s->n; i++) {
		const dm_field *f = &c->s->fields[i];
		const char *best = NULL;
		size_t bestd = 3;
		for (j = 0; j < nf; j++) {
			size_t d = distance(f->name, FIELDS[j].name);
			if (d == 0)
				break;
			if (d < bestd)
				bestd = d, best = FIELDS[j].name;
		}
		if (j < nf) {
			/* only lists may go on over continuation lines; a path or
			 * a number with a newline in it is a mistake */
			static const char *multi[] = {"Description", "Network", "Upstream-Network",
						      "Expect", "Model-Files", "Not-Model-Files"};
			size_t m;
			for (m = 0; m < sizeof multi / sizeof multi[0]; m++)
				if (!strcasecmp(f->name, multi[m]))
					break;
			if (m == sizeof multi / sizeof multi[0] && strchr(f->value, '\n'))
				return bad(c, f, "one line");
			continue;
		}
		if (best)
			return dm_fail(c->err, "%s: line %u: unknown field '%s' (did you mean '%s'?)",
				       c->path, f->line, f->name, best);
		return dm_fail(c->err, "%s: line %u: unknown field '%s'; see dh-model-train(1) "
			       "for the fields of a recipe", c->path, f->line, f->name);
	}
	for (j = 0; j < nf; j++)
		if (FIELDS[j].required && !dm_stanza_get(c->s, FIELDS[j].name))
			return dm_fail(c->err, "%s: stanza %zu (line %u): missing required field %s (%s)",
				       c->path, index, c->s->line, FIELDS[j].name, FIELDS[j].help);
	return 0;
}

static int check_model_name(const ctx *c, const char *name)
{
	const char *want = dm_model_name_problem(name);
	return want ? bad(c, dm_stanza_get(c->s, "Model"), want) : 0;
}

static int parse_expect(const ctx *c, dm_recipe *r)
{
	const dm_field *f = dm_stanza_get(c->s, "Expect");
	static const char *metrics[] = {
		"test-accuracy", "test-loss", "test-rmse", "validation-accuracy",
		"validation-loss", "validation-rmse", "train-accuracy", "train-loss",
		"train-rmse"};
	char *copy, *item, *save = NULL;
	if (!f)
		return 0;
	if (!(copy = dm_strdup(f->value, c->err)))
		return -1;
	for (item = strtok_r(copy, ",\n", &save); item; item = strtok_r(NULL, ",\n", &save)) {
		dm_expect e;
		char op[3] = "", metric[40] = "";
		int used = 0;
		size_t m;
		double v;
		dm_expect *nv;
		memset(&e, 0, sizeof e);
		if (sscanf(item, " %39[a-z0-9-] %2[<>=] %n", metric, op, &used) != 2)
			goto malformed;
		if (dm_number_parse(item + used, &v, NULL))
			goto malformed;
		for (m = 0; m < sizeof metrics / sizeof metrics[0]; m++)
			if (!strcmp(metric, metrics[m]))
				break;
		if (m == sizeof metrics / sizeof metrics[0]) {
			free(copy);
			return dm_fail(c->err, "%s: line %u: Expect: unknown metric '%s'; expected "
				       "test-, validation- or train- followed by accuracy, loss or rmse",
				       c->path, f->line, metric);
		}
		if (!strcmp(op, ">="))
			e.cmp = DM_CMP_GE;
		else if (!strcmp(op, ">"))
			e.cmp = DM_CMP_GT;
		else if (!strcmp(op, "<="))
			e.cmp = DM_CMP_LE;
		else if (!strcmp(op, "<"))
			e.cmp = DM_CMP_LT;
		else
			goto malformed;
		snprintf(e.metric, sizeof e.metric, "%s", metric);
		e.value = (float)v;
		snprintf(e.text, sizeof e.text, "%s %s %.6g", metric, op, v);
		nv = realloc(r->expect, (r->nexpect + 1) * sizeof *nv);
		if (!nv) {
			free(copy);
			return dm_fail(c->err, "out of memory");
		}
		r->expect = nv;
		r->expect[r->nexpect++] = e;
		continue;
malformed:
		{
			char shown[80];
			snprintf(shown, sizeof shown, "%s", item);
			free(copy);
			return dm_fail(c->err, "%s: line %u: Expect: expected 'METRIC OP NUMBER' such as "
				       "'test-accuracy >= 0.87' (OP is >=, >, <= or <), got '%s'",
				       c->path, f->line, shown);
		}
	}
	free(copy);
	return 0;
}

static int parse_normalize(const ctx *c, dm_recipe *r)
{
	const dm_field *f = dm_stanza_get(c->s, "Normalize");
	double k;
	r->normalize = DM_NORMALIZE_AUTO;
	if (!f)
		return 0;
	if (!strcasecmp(f->value, "auto"))
		r->normalize = DM_NORMALIZE_AUTO;
	else if (!strcasecmp(f->value, "none"))
		r->normalize = DM_NORMALIZE_NONE;
	else if (!strcasecmp(f->value, "standardize"))
		r->normalize = DM_NORMALIZE_STANDARDIZE;
	else if (!strncasecmp(f->value, "scale", 5) && (f->value[5] == ' ' || f->value[5] == '\t') &&
		 !dm_number_parse(f->value + 6, &k, NULL) && k >= 1e-9 && k <= 1e9) {
		/* inputs are divided by K: beyond these bounds they would all
		 * be 0 (1e39) or overflow (1e-45), and no data is that far off */
		r->normalize = DM_NORMALIZE_SCALE;
		r->normalize_scale = (float)k;
	} else
		return bad(c, f, "auto, none, standardize or scale K (inputs are divided by K) "
			   "with K from 1e-9 to 1e9");
	return 0;
}

/* Input-Shape: "N", "HxW" or "CxHxW", each dimension from 1 to 10^7. */
static int parse_input_shape(const ctx *c, dm_recipe *r)
{
	const dm_field *f = dm_stanza_get(c->s, "Input-Shape");
	const char *p;
	r->input_shape.ndim = 0;
	if (!f)
		return 0;
	for (p = f->value;; p++) {
		char *end;
		unsigned long long v;
		if (!isdigit((unsigned char)*p) || r->input_shape.ndim == 3)
			goto bad;
		errno = 0;
		v = strtoull(p, &end, 10);
		if (errno || v == 0 || v > 10000000)
			goto bad;
		r->input_shape.d[r->input_shape.ndim++] = (size_t)v;
		p = end;
		if (!*p)
			return 0;
		if (*p != 'x' && *p != 'X')
			goto bad;
	}
bad:
	return bad(c, f, "dimensions such as 1x28x28 (C x H x W, each from 1 to 10000000)");
}

int dm_recipe_input_shape(const dm_recipe *r, const dm_shape *data, dm_shape *shape,
			  dm_error *err)
{
	dm_checked ck = {0};
	uint64_t n, features = dm_shape_count(data, &ck);
	char text[96], count[32];
	if (!r->input_shape.ndim) {
		*shape = *data;
		return 0;
	}
	n = dm_shape_count(&r->input_shape, &ck);
	if (ck.over || n != features) {
		size_t d, len = 0;
		for (d = 0; d < r->input_shape.ndim && len < sizeof text; d++)
			len += (size_t)snprintf(text + len, sizeof text - len, "%s%zu", d ? "x" : "",
						r->input_shape.d[d]);
		if (ck.over)
			snprintf(count, sizeof count, "2^64 or more");
		else
			snprintf(count, sizeof count, "%llu", (unsigned long long)n);
		return dm_fail(err, "%s: line %u: Input-Shape: %s is %s features per sample, but "
			       "the data has %llu", r->file->path, dm_recipe_field_line(r, "Input-Shape"),
			       text, count, (unsigned long long)features);
	}
	*shape = r->input_shape;
	return 0;
}

static int parse_data(const ctx *c, dm_recipe *r)
{
	const dm_field *ff = dm_stanza_get(c->s, "Format");
	dm_data_spec *t = &r->train, *v = &r->test;
	uint64_t u;
	int names = 1;
	if (dm_format_parse(ff->value, &t->format))
		return bad(c, ff, "idx, csv, tsv or libsvm");
	t->features = text(c, "Dataset");
	t->labels = text(c, "Labels");
	v->features = text(c, "Test-Dataset");
	v->labels = text(c, "Test-Labels");
	if (t->format == DM_FORMAT_IDX) {
		if (!t->labels)
			return dm_fail(c->err, "%s: line %u: Format idx needs a Labels field "
				       "(the IDX file of the training labels)", c->path, ff->line);
		if (v->features && !v->labels)
			return dm_fail(c->err, "%s: line %u: Format idx needs Test-Labels "
				       "next to Test-Dataset", c->path, ff->line);
	} else {
		const char *which = t->labels ? "Labels" : v->labels ? "Test-Labels" : NULL;
		if (which)
			return dm_fail(c->err, "%s: line %u: %s is only for Format idx; for %s the "
				       "labels are a column of the data (Label-Column)", c->path,
				       dm_recipe_field_line(r, which), which, dm_format_name(t->format));
	}
	if (v->labels && !v->features)
		return dm_fail(c->err, "%s: line %u: Test-Labels without Test-Dataset", c->path,
			       dm_recipe_field_line(r, "Test-Labels"));
	u = 1;
	if (get_uint(c, "Header-Lines", 0, 1000, &u))
		return -1;
	t->header_lines = (unsigned)u;
	if (get_bool(c, "Column-Names", &names))
		return -1;
	t->header_names = names && t->header_lines > 0;
	t->label_column = text(c, "Label-Column");
	if (t->label_column) {
		/* columns count from 1, as in cut(1) and awk; the CSV reader
		 * checks the number against the columns of the file */
		const dm_field *lf = dm_stanza_get(c->s, "Label-Column");
		const char *d = t->label_column;
		while (*d >= '0' && *d <= '9')
			d++;
		if (!*d && strspn(t->label_column, "0") == strlen(t->label_column))
			return bad(c, lf, "first, last, a column number (columns count from 1) "
				   "or a column name");
		if (*d && !t->header_names && strcasecmp(t->label_column, "first") &&
		    strcasecmp(t->label_column, "last"))
			return bad(c, lf, "first, last or a column number from 1 (a column name "
				   "needs a line of names: Column-Names: yes, Header-Lines: 1 "
				   "or more)");
	}
	u = 0;
	if (get_uint(c, "Features", 1, 10000000, &u))
		return -1;
	t->nfeatures = (size_t)u;
	if ((t->format == DM_FORMAT_CSV || t->format == DM_FORMAT_TSV) ? 0 :
	    (dm_stanza_get(c->s, "Header-Lines") || dm_stanza_get(c->s, "Label-Column") ||
	     dm_stanza_get(c->s, "Column-Names")))
		return dm_fail(c->err, "%s: line %u: Header-Lines, Column-Names and Label-Column "
			       "are for Format csv or tsv", c->path, ff->line);
	if (t->format != DM_FORMAT_LIBSVM && dm_stanza_get(c->s, "Features"))
		return dm_fail(c->err, "%s: line %u: Features is for Format libsvm", c->path,
			       dm_recipe_field_line(r, "Features"));
	{
		/* the test set is read exactly like the training set */
		const char *tf = v->features, *tl = v->labels;
		*v = *t;
		v->features = tf;
		v->labels = tl;
	}
	return 0;
}

static int parse_training(const ctx *c, dm_recipe *r)
{
	const dm_field *f;
	dm_train_cfg *t = &r->train_cfg;
	dm_opt_kind kind = DM_OPT_ADAM;
	uint64_t u;
	dm_error sub;

	f = dm_stanza_get(c->s, "Loss");
	if (dm_loss_parse(f->value, &t->loss))
		return bad(c, f, "softmax-cross-entropy, binary-cross-entropy or mse");
	r->train.integer_labels = r->test.integer_labels = dm_loss_is_classification(t->loss);
	if ((f = dm_stanza_get(c->s, "Optimizer")) && dm_opt_parse(f->value, &kind))
		return bad(c, f, "sgd, adam or adamw");
	dm_optim_defaults(kind, &t->optim);
	if (get_float(c, "Learning-Rate", 0, 10, 1, 0, &t->optim.lr) ||
	    get_float(c, "Momentum", 0, 1, 0, 1, &t->optim.momentum) ||
	    get_float(c, "Beta1", 0, 1, 0, 1, &t->optim.beta1) ||
	    get_float(c, "Beta2", 0, 1, 0, 1, &t->optim.beta2) ||
	    get_float(c, "Epsilon", 0, 1, 1, 0, &t->optim.eps) ||
	    get_float(c, "Weight-Decay", 0, 1, 0, 0, &t->optim.weight_decay) ||
	    get_float(c, "Clip-Norm", 0, 1e6, 1, 0, &t->optim.clip_norm))
		return -1;
	if (kind != DM_OPT_SGD && (f = dm_stanza_get(c->s, "Momentum")))
		return dm_fail(c->err, "%s: line %u: Momentum is for Optimizer sgd; adam and "
			       "adamw use Beta1", c->path, f->line);
	if (kind == DM_OPT_SGD && ((f = dm_stanza_get(c->s, "Beta1")) ||
				   (f = dm_stanza_get(c->s, "Beta2")) ||
				   (f = dm_stanza_get(c->s, "Epsilon"))))
		return dm_fail(c->err, "%s: line %u: %s is for Optimizer adam or adamw",
			       c->path, f->line, f->name);
	if ((f = dm_stanza_get(c->s, "LR-Schedule")) &&
	    dm_schedule_parse(f->value, &t->schedule, &sub))
		return bad(c, f, sub.msg + strlen("expected "));
	u = 32;
	if (get_uint(c, "Batch-Size", 1, 65536, &u))
		return -1;
	t->batch = (size_t)u;
	if (get_uint(c, "Epochs", 1, 100000, &t->epochs))
		return -1;
	t->shuffle = 1;
	if (get_bool(c, "Shuffle", &t->shuffle))
		return -1;
	if (get_uint(c, "Seed", 0, UINT64_MAX, &t->seed))
		return -1;
	u = 0;
	if (get_uint(c, "Early-Stopping", 1, 100000, &u))
		return -1;
	t->patience = (unsigned)u;
	if (get_float(c, "Validation-Split", 0, 1, 0, 1, &r->validation_split))
		return -1;
	if (t->patience && r->validation_split == 0)
		return dm_fail(c->err, "%s: line %u: Early-Stopping needs a Validation-Split "
			       "to watch", c->path, dm_recipe_field_line(r, "Early-Stopping"));
	return 0;
}

static int check_expect_sources(const ctx *c, dm_recipe *r)
{
	size_t i;
	for (i = 0; i < r->nexpect; i++) {
		const char *m = r->expect[i].metric;
		const char *what = strchr(m, '-') + 1;
		int cls = dm_loss_is_classification(r->train_cfg.loss);
		if (!strncmp(m, "test-", 5) && !r->test.features)
			return dm_fail(c->err, "%s: line %u: Expect: %s needs a Test-Dataset",
				       c->path, dm_recipe_field_line(r, "Expect"), m);
		if (!strncmp(m, "validation-", 11) && r->validation_split == 0)
			return dm_fail(c->err, "%s: line %u: Expect: %s needs a Validation-Split",
				       c->path, dm_recipe_field_line(r, "Expect"), m);
		if ((!strcmp(what, "accuracy") && !cls) || (!strcmp(what, "rmse") && cls))
			return dm_fail(c->err, "%s: line %u: Expect: %s does not exist for Loss %s "
				       "(accuracy is for classification, rmse for mse)", c->path,
				       dm_recipe_field_line(r, "Expect"), m,
				       dm_loss_name(r->train_cfg.loss));
	}
	return 0;
}

static int parse_limits(const ctx *c, dm_recipe *r)
{
	const dm_limit_field *lf;
	size_t n, i;
	lf = dm_limit_fields(&n);
	for (i = 0; i < n; i++) {
		const dm_field *f = dm_stanza_get(c->s, lf[i].name);
		double v;
		char *p;
		if (!f)
			continue;
		if (dm_limit_parse(lf[i].unit, f->value, &v))
			return bad(c, f, lf[i].unit == DM_UNIT_BYTES ? "a positive size such as 2G"
					 : lf[i].unit == DM_UNIT_SECONDS ? "a positive time such as 2h"
					 : "a positive number");
		p = (char *)&r->limits + lf[i].offset;
		if (lf[i].unit == DM_UNIT_FLOP || lf[i].unit == DM_UNIT_SECONDS)
			*(double *)(void *)p = v;
		else
			*(uint64_t *)(void *)p = (uint64_t)v;
	}
	r->policy = text(c, "Policy");
	if (r->policy && dm_model_name_problem(r->policy))
		return bad(c, dm_stanza_get(c->s, "Policy"), "the name of a policy, such as main");
	return 0;
}

/* A licence expression on one line: DEP-5 short names, "and", "or", ",". */
static int parse_licence(const ctx *c, const char *name, const char **out)
{
	const dm_field *f = dm_stanza_get(c->s, name);
	const char *p;
	*out = NULL;
	if (!f)
		return 0;
	if (!*f->value || strchr(f->value, '\n'))
		return bad(c, f, "a licence on one line: a DEP-5 or SPDX short name such as "
			   "CC0-1.0, or an expression such as 'GPL-2+ or MIT'");
	for (p = f->value; *p; p++)
		if ((unsigned char)*p < 32 || (unsigned char)*p == 127)
			return bad(c, f, "printable characters");
	*out = f->value;
	return 0;
}

/* Globs for the audit of the binary package, separated by white space or
 * commas: a path from the package root such as "usr/share/foo/" "*.bin",
 * or a file name pattern such as "*.dat". */
static int parse_globs(const ctx *c, const char *name, const char **out)
{
	const dm_field *f = dm_stanza_get(c->s, name);
	const char *p;
	*out = NULL;
	if (!f)
		return 0;
	if (!*f->value)
		return bad(c, f, "one or more file name patterns such as usr/share/foo/*.bin");
	for (p = f->value; *p; p++)
		if ((unsigned char)*p < 32 && *p != '\n' && *p != '\t')
			return bad(c, f, "printable file name patterns");
	for (p = f->value; *p;) {
		size_t n = strcspn(p, " \t\n,");
		if (n && p[0] == '/')
			return bad(c, f, "patterns relative to the package root (no leading '/')");
		p += n;
		p += strspn(p, " \t\n,");
	}
	*out = f->value;
	return 0;
}

static int parse_audit(const ctx *c, dm_recipe *r)
{
	const dm_field *f = dm_stanza_get(c->s, "Unexplained-Models");
	r->unexplained_error = -1;
	if (f) {
		if (!strcasecmp(f->value, "warn") || !strcasecmp(f->value, "warning"))
			r->unexplained_error = 0;
		else if (!strcasecmp(f->value, "error"))
			r->unexplained_error = 1;
		else
			return bad(c, f, "warn or error");
	}
	return parse_globs(c, "Model-Files", &r->model_files) ||
	       parse_globs(c, "Not-Model-Files", &r->not_model_files) ||
	       parse_licence(c, "Data-License", &r->data_license);
}

static int parse_upstream(const ctx *c, dm_recipe *r)
{
	static const char *others[] = {"Upstream-Format", "Upstream-Network",
				       "Upstream-Max-Regression"};
	dm_upstream_spec *u = &r->upstream;
	const dm_field *f = dm_stanza_get(c->s, "Upstream-Weights"), *g;
	dm_error sub;
	size_t i, theirs, ours;
	int cls = dm_loss_is_classification(r->train_cfg.loss);
	if (!f) {
		for (i = 0; i < sizeof others / sizeof others[0]; i++)
			if ((g = dm_stanza_get(c->s, others[i])))
				return dm_fail(c->err, "%s: line %u: %s needs Upstream-Weights (the "
					       "file of upstream's weights)", c->path, g->line, g->name);
		return 0;
	}
	if (!*f->value || strchr(f->value, '\n'))
		return bad(c, f, "the path of upstream's weights file");
	u->weights = f->value;
	if (!r->test.features && r->validation_split == 0)
		return dm_fail(c->err, "%s: line %u: Upstream-Weights needs a Test-Dataset or a "
			       "Validation-Split to evaluate both models on", c->path, f->line);
	if ((g = dm_stanza_get(c->s, "Upstream-Format"))) {
		if (!strcasecmp(g->value, "safetensors"))
			u->format = DM_UPSTREAM_SAFETENSORS;
		else if (!strcasecmp(g->value, "raw-f32le") || !strcasecmp(g->value, "raw-f32"))
			u->format = DM_UPSTREAM_RAW_F32LE;
		else if (!strcasecmp(g->value, "onnx"))
			u->format = DM_UPSTREAM_ONNX;
		else
			return bad(c, g, "safetensors, raw-f32le or onnx");
	} else if (strlen(f->value) > 5 && !strcasecmp(f->value + strlen(f->value) - 5, ".onnx")) {
		u->format = DM_UPSTREAM_ONNX;
	}
	g = dm_stanza_get(c->s, "Upstream-Network");
	if (u->format == DM_UPSTREAM_ONNX && g)
		return dm_fail(c->err, "%s: line %u: Upstream-Network is not for an ONNX file: the "
			       "network is read from its graph", c->path, g->line);
	if (dm_network_parse(g ? g->value : dm_stanza_get(c->s, "Network")->value, &u->layers,
			     &u->nlayers, &sub))
		return dm_fail(c->err, "%s: line %u: Upstream-Network: %s", c->path,
			       g ? g->line : f->line, sub.msg);
	theirs = dm_network_outputs(u->layers, u->nlayers);
	ours = dm_network_outputs(r->layers, r->nlayers);
	if (theirs != ours && u->format != DM_UPSTREAM_ONNX) /* ONNX: checked on reading */
		return dm_fail(c->err, "%s: line %u: Upstream-Network: its last layer has %zu "
			       "outputs, but Network's has %zu; both models must do the same task",
			       c->path, g ? g->line : f->line, theirs, ours);
	if ((g = dm_stanza_get(c->s, "Upstream-Max-Regression"))) {
		char metric[16] = "";
		const char *num = g->value;
		double v;
		int used = 0;
		const char *want = cls ? "[accuracy|loss] NUMBER >= 0, such as 0.01 (how much lower "
				   "the retrained model's accuracy may be)"
				 : "[rmse|loss] NUMBER >= 0, such as 0.05 (how much higher the "
				   "retrained model's rmse may be)";
		if (sscanf(g->value, "%15[a-z] %n", metric, &used) == 1)
			num = g->value + used;
		else
			snprintf(metric, sizeof metric, "%s", cls ? "accuracy" : "rmse");
		if (strcmp(metric, "loss") && strcmp(metric, cls ? "accuracy" : "rmse"))
			return bad(c, g, want);
		if (dm_number_parse(num, &v, NULL) || v < 0)
			return bad(c, g, want);
		u->has_max = 1;
		snprintf(u->metric, sizeof u->metric, "%s", metric);
		u->max_regression = (float)v;
	}
	return 0;
}

/* Export: formats separated by commas or blanks, each once.  A network
 * with a layer that has no ONNX form is refused here; one whose shapes
 * ONNX cannot take, once the data give them, before training (job.c). */
static int parse_export(const ctx *c, dm_recipe *r)
{
	static const struct { const char *name; unsigned bit; } formats[] = {
		{"onnx", DM_EXPORT_ONNX}};
	const dm_field *f = dm_stanza_get(c->s, "Export");
	const char *p;
	size_t i, k;
	if (!f)
		return 0;
	if (!*f->value)
		return bad(c, f, "one or more formats: onnx");
	for (p = f->value; *p;) {
		size_t n = strcspn(p, " \t,");
		for (k = 0; k < sizeof formats / sizeof formats[0]; k++)
			if (n == strlen(formats[k].name) && !strncasecmp(p, formats[k].name, n))
				break;
		if (k == sizeof formats / sizeof formats[0])
			return bad(c, f, "formats separated by commas: onnx");
		if (r->exports & formats[k].bit)
			return dm_fail(c->err, "%s: line %u: Export: %s is named twice", c->path,
				       f->line, formats[k].name);
		r->exports |= formats[k].bit;
		p += n;
		p += strspn(p, " \t,");
	}
	for (i = 0; (r->exports & DM_EXPORT_ONNX) && i < r->nlayers; i++)
		if (!r->layers[i].op->onnx)
			return dm_fail(c->err, "%s: line %u: Export: onnx: layer %zu of Network (%s, "
				       "line %u) has no ONNX form", c->path, f->line, i + 1,
				       r->layers[i].op->name, dm_recipe_field_line(r, "Network"));
	return 0;
}

/* The same rule as dh_installmodels: "usr/share/foo/" */
static int install_path_ok(const char *p)
{
	size_t n = strlen(p);
	const char *seg = p;
	if (n == 0 || p[0] == '/' || p[n - 1] != '/')
		return 0;
	while (*seg) {
		const char *slash = strchr(seg, '/');
		size_t len = (size_t)(slash - seg);
		if (len == 0 || (len == 1 && seg[0] == '.') ||
		    (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
		seg = slash + 1;
	}
	return 1;
}

/* Class-Names: as many as the classes the last layer tells apart. */
static int parse_class_names(const ctx *c, dm_recipe *r)
{
	const dm_field *f = dm_stanza_get(c->s, "Class-Names");
	const dm_field *net = dm_stanza_get(c->s, "Network");
	size_t outputs = dm_network_outputs(r->layers, r->nlayers), want;
	if (!f)
		return 0;
	if (!dm_loss_is_classification(r->train_cfg.loss))
		return dm_fail(c->err, "%s: line %u: Class-Names: Loss %s is a regression, which has "
			       "no classes; expected no Class-Names", c->path, f->line,
			       dm_loss_name(r->train_cfg.loss));
	if (dm_class_names_parse(f->value, c->path, f->line, &r->class_names, c->err))
		return -1;
	want = r->train_cfg.loss == DM_LOSS_BCE ? 2 : outputs;
	if (r->class_names.n == want)
		return 0;
	if (r->train_cfg.loss == DM_LOSS_BCE)
		dm_fail(c->err, "%s: line %u: Class-Names: %zu names%s%s, but binary-cross-entropy has "
			"2 classes (labels 0 and 1)", c->path, f->line, r->class_names.n,
			r->class_names.file ? " in " : "",
			r->class_names.file ? r->class_names.file : "");
	else
		dm_fail(c->err, "%s: line %u: Class-Names: %zu names%s%s, but the last layer of "
			"Network (line %u) has %zu outputs; expected one name per output",
			c->path, f->line, r->class_names.n, r->class_names.file ? " in " : "",
			r->class_names.file ? r->class_names.file : "", net->line, outputs);
	dm_class_names_free(&r->class_names);
	return -1;
}

/* Model-Type: supervised: fasttext/recipe.c reads the text model's fields,
 * then the fields every recipe has are read here. */
static int parse_text_stanza(const ctx *c, dm_recipe *r)
{
	if (dm_ft_recipe_parse(c->path, c->s, &r->text, c->err))
		return -1;
	r->model = text(c, "Model");
	r->description = text(c, "Description");
	r->license = text(c, "License");
	r->install = text(c, "Install");
	r->numerics = DM_NUMERICS_PORTABLE;
	if (check_model_name(c, r->model) || parse_limits(c, r) || parse_audit(c, r))
		return -1;
	if (r->install && !install_path_ok(r->install))
		return bad(c, dm_stanza_get(c->s, "Install"),
			   "a directory inside the package: relative, ending in '/', "
			   "without '.' or '..' components");
	return 0;
}

static int parse_stanza(const ctx *c, dm_recipe *r)
{
	const dm_field *f;
	dm_error sub;
	size_t outputs;
	int kind = dm_ft_recipe_is(c->path, c->s, c->err);
	if (kind)
		return kind < 0 ? -1 : parse_text_stanza(c, r);
	if (check_fields(c, r->index))
		return -1;
	r->model = text(c, "Model");
	r->description = text(c, "Description");
	r->license = text(c, "License");
	r->install = text(c, "Install");
	if (check_model_name(c, r->model) || parse_data(c, r) || parse_input_shape(c, r) ||
	    parse_normalize(c, r) ||
	    parse_training(c, r) || parse_expect(c, r) || check_expect_sources(c, r) ||
	    parse_limits(c, r))
		return -1;
	f = dm_stanza_get(c->s, "Network");
	if (dm_network_parse(f->value, &r->layers, &r->nlayers, &sub))
		return dm_fail(c->err, "%s: line %u: Network: %s", c->path, f->line, sub.msg);
	outputs = dm_network_outputs(r->layers, r->nlayers);
	if (r->train_cfg.loss != DM_LOSS_SOFTMAX_CE && outputs != 1)
		return dm_fail(c->err, "%s: line %u: Network: Loss %s needs one output, but the "
			       "last layer is dense %zu", c->path, f->line,
			       dm_loss_name(r->train_cfg.loss), outputs);
	r->numerics = DM_NUMERICS_PORTABLE;
	if ((f = dm_stanza_get(c->s, "Numerics")) && dm_numerics_parse(f->value, &r->numerics))
		return bad(c, f, "portable or openblas");
	if (r->install && !install_path_ok(r->install))
		return bad(c, dm_stanza_get(c->s, "Install"),
			   "a directory inside the package: relative, ending in '/', "
			   "without '.' or '..' components");
	if (parse_audit(c, r) || parse_upstream(c, r) || parse_class_names(c, r) ||
	    parse_export(c, r))
		return -1;
	return 0;
}

static int check_stanzas(const char *path, dm_recipes *out, dm_error *err);

int dm_recipes_load(const char *path, dm_recipes *out, dm_error *err)
{
	memset(out, 0, sizeof *out);
	if (dm_deb822_read(path, &out->file, err))
		return -1;
	return check_stanzas(path, out, err);
}

int dm_recipes_parse(const char *path, const char *text, size_t len, dm_recipes *out,
		     dm_error *err)
{
	memset(out, 0, sizeof *out);
	if (dm_deb822_parse(path, text, len, &out->file, err))
		return -1;
	return check_stanzas(path, out, err);
}

static int check_stanzas(const char *path, dm_recipes *out, dm_error *err)
{
	size_t i, j;
	if (out->file.n == 0) {
		dm_fail(err, "%s: no stanza; expected at least one model recipe", path);
		goto fail;
	}
	if (!(out->v = dm_calloc(out->file.n, sizeof *out->v, err)))
		goto fail;
	out->n = out->file.n;
	for (i = 0; i < out->n; i++) {
		ctx c = {path, &out->file.stanzas[i], err};
		dm_recipe *r = &out->v[i];
		r->file = &out->file;
		r->stanza = c.s;
		r->index = i + 1;
		if (parse_stanza(&c, r))
			goto fail;
		for (j = 0; j < i; j++)
			if (!strcmp(out->v[j].model, r->model)) {
				dm_fail(err, "%s: line %u: Model '%s' is already defined in stanza %zu "
					"(line %u)", path, dm_recipe_field_line(r, "Model"), r->model,
					j + 1, out->v[j].stanza->line);
				goto fail;
			}
	}
	return 0;
fail:
	dm_recipes_free(out);
	return -1;
}

int dm_recipes_select(const dm_recipes *rs, const char *model, const char *path,
		      size_t *first, size_t *last, dm_error *err)
{
	size_t i;
	if (!model) {
		*first = 0, *last = rs->n;
		return 0;
	}
	for (i = 0; i < rs->n; i++)
		if (!strcmp(rs->v[i].model, model)) {
			*first = i, *last = i + 1;
			return 0;
		}
	return dm_fail(err, "%s: no stanza has 'Model: %s'", path, model);
}

void dm_recipes_free(dm_recipes *r)
{
	size_t i;
	for (i = 0; i < r->n; i++) {
		free(r->v[i].layers);
		free(r->v[i].expect);
		free(r->v[i].upstream.layers);
		dm_class_names_free(&r->v[i].class_names);
		dm_ft_recipe_free(r->v[i].text);
	}
	free(r->v);
	dm_deb822_free(&r->file);
	memset(r, 0, sizeof *r);
}

void dm_recipe_where(const dm_recipe *r, char *buf, size_t size)
{
	snprintf(buf, size, "%s: stanza %zu (%s)", r->file->path, r->index,
		 r->model ? r->model : "?");
}

unsigned dm_recipe_field_line(const dm_recipe *r, const char *field)
{
	const dm_field *f = dm_stanza_get(r->stanza, field);
	return f ? f->line : r->stanza->line;
}

int dm_expect_holds(const dm_expect *e, float v)
{
	switch (e->cmp) {
	case DM_CMP_GE: return v >= e->value;
	case DM_CMP_GT: return v > e->value;
	case DM_CMP_LE: return v <= e->value;
	default: return v < e->value;
	}
}

const char *dm_cmp_text(dm_cmp c)
{
	return c == DM_CMP_GE ? ">=" : c == DM_CMP_GT ? ">" : c == DM_CMP_LE ? "<=" : "<";
}
