/* vectors_job.c - skipgram and cbow recipes: fields and job
 * (vectors_job.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/number.h"
#include "fasttext/load.h"
#include "fasttext/outputs.h"
#include "fasttext/train.h"
#include "fasttext/vectors_job.h"
#include "output/safetensors.h"

static const char *const FIELDS[] = {
	"Model-Type", "Format", "Dataset", "Dim", "Epochs", "Learning-Rate", "Context-Window",
	"Sampling-Threshold", "Neg", "Min-N", "Max-N", "Bucket", "Min-Count", "Label-Prefix",
	"Batch-Size", "Seed", "Export",
	"Model", "Description", "License", "Install", "Policy", "Max-Compute", "Max-Memory",
	"Max-Wall-Time", "Max-CPU-Time", "Max-Dataset-Bytes", "Max-Output-Bytes",
	"Max-Archive-Members", "Data-License", "Unexplained-Models", "Model-Files",
	"Not-Model-Files",
};

static int bad(const char *path, const dm_field *f, const char *expected, dm_error *err)
{
	return dm_fail(err, "%s: line %u: %s: expected %s, got '%.80s'", path, f->line, f->name,
		       expected, f->value);
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

int dm_ftv_recipe_fields(const char *path, const dm_stanza *s, int32_t model, dm_ft_recipe *r,
			 dm_error *err)
{
	static const char *const required[] = {"Model", "Format", "Dataset", "Seed"};
	const dm_field *f;
	char where[4096];
	long dim, epoch, ws, neg, batch, mc, minn, maxn, bucket;
	double lr, t;
	for (size_t i = 0; i < s->n; i++) {
		size_t j;
		for (j = 0; j < sizeof FIELDS / sizeof FIELDS[0]; j++)
			if (!strcasecmp(s->fields[i].name, FIELDS[j]))
				break;
		if (j == sizeof FIELDS / sizeof FIELDS[0])
			return dm_fail(err, "%s: line %u: unknown field '%s' for Model-Type %s; see "
				       "TEXT MODELS in dh-model-train(1)", path, s->fields[i].line,
				       s->fields[i].name, dm_ft_model_name(model));
	}
	for (size_t j = 0; j < sizeof required / sizeof required[0]; j++)
		if (!dm_stanza_get(s, required[j]))
			return dm_fail(err, "%s: stanza at line %u: missing required field %s", path,
				       s->line, required[j]);
	r->vectors = 1;
	f = dm_stanza_get(s, "Format");
	if (!strcmp(f->value, "text"))
		r->format = DM_TEXT_FASTTEXT;
	else if (dm_text_format_parse(f->value, &r->format))
		return bad(path, f, "text, words, fasttext, tsv or fortune", err);
	f = dm_stanza_get(s, "Dataset");
	snprintf(where, sizeof where, "%s: line %u", path, f->line);
	if (dm_text_sources_parse(f->value, where, r->format, &r->train, err))
		return -1;
	if (!strcmp(dm_stanza_get(s, "Format")->value, "text"))
		for (size_t i = 0; i < r->train.n; i++)
			if (r->train.v[i].label)
				return dm_fail(err, "%s: Dataset item %zu: Format text has no labels; "
					       "expected no label=", where, i + 1);
	dm_ftv_defaults(&r->vec, model);
	dim = r->vec.dim, epoch = r->vec.epoch, ws = r->vec.ws, neg = r->vec.neg;
	batch = r->vec.batch, lr = r->vec.lr, t = r->vec.t;
	if (get_int(path, s, "Dim", 1, 10000, &dim, err) ||
	    get_int(path, s, "Epochs", 1, 100000, &epoch, err) ||
	    get_int(path, s, "Context-Window", 1, 1000, &ws, err) ||
	    get_int(path, s, "Neg", 1, 1000, &neg, err) ||
	    get_int(path, s, "Batch-Size", 1, 4096, &batch, err) ||
	    get_real(path, s, "Learning-Rate", 1e-9, 100.0, &lr, err) ||
	    get_real(path, s, "Sampling-Threshold", 1e-12, 1.0, &t, err))
		return -1;
	r->vec.dim = (int32_t)dim, r->vec.epoch = (int32_t)epoch, r->vec.ws = (int32_t)ws;
	r->vec.neg = (int32_t)neg, r->vec.batch = (int32_t)batch, r->vec.lr = (float)lr;
	r->vec.t = t;
	f = dm_stanza_get(s, "Seed");
	{
		char *end;
		errno = 0;
		r->vec.seed = strtoull(f->value, &end, 10);
		if (errno || end == f->value || *end || f->value[0] == '-')
			return bad(path, f, "a whole number from 0 to 2^64-1", err);
	}
	r->cfg.seed = r->vec.seed;
	r->cfg.epoch = r->vec.epoch;
	dm_ftv_dict_defaults(&r->dict);
	mc = r->dict.min_count, minn = r->dict.minn, maxn = r->dict.maxn, bucket = r->dict.bucket;
	if (get_int(path, s, "Min-Count", 1, 1000000000, &mc, err) ||
	    get_int(path, s, "Min-N", 0, 100, &minn, err) ||
	    get_int(path, s, "Max-N", 0, 100, &maxn, err) ||
	    get_int(path, s, "Bucket", 0, 100000000, &bucket, err))
		return -1;
	if (minn > maxn && maxn > 0)
		return bad(path, dm_stanza_get(s, "Min-N"), "Min-N <= Max-N", err);
	r->dict.min_count = mc;
	r->dict.minn = (int)minn;
	r->dict.maxn = (int)maxn;
	r->dict.bucket = maxn == 0 ? 0 : (uint32_t)bucket; /* fastText: no bucket without n-grams */
	if (!r->dict.bucket && maxn > 0)
		return bad(path, dm_stanza_get(s, "Bucket"), "at least 1 with Max-N", err);
	f = dm_stanza_get(s, "Label-Prefix");
	if (!(r->label_prefix = dm_strdup(f ? f->value : DM_TEXT_LABEL_PREFIX, err)))
		return -1;
	if (f && (!f->value[0] || strpbrk(f->value, " \t\n\r\v\f")))
		return bad(path, f, "a prefix without blanks", err);
	r->dict.label_prefix = r->label_prefix;
	if (dm_ft_recipe_check_prefixes(path, s, r, err))
		return -1;
	r->expect_p1 = -1.0;
	if ((f = dm_stanza_get(s, "Export"))) {
		if (strcmp(f->value, "fasttext"))
			return bad(path, f, "fasttext (fastText 0.9.2's .bin and .vec)", err);
		r->export_fasttext = 1;
	}
	return 0;
}

static void say(const dm_ft_job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const dm_ft_job *j, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	if (!j->say)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	j->say(j->say_ctx, line);
}

/* One pass over the datasets: the dictionary's counts (c NULL) or the
 * training text (c). */
static int pass(const dm_ft_recipe *r, const dm_data_limits *lim, dm_text_dict *d,
		dm_ftv_corpus *c, dm_file_record *rec, dm_error *err)
{
	dm_text_line l = {0};
	int rc = 0;
	for (size_t k = 0; k < r->train.n && !rc; k++) {
		dm_text_reader *rd = dm_text_reader_open(r->format, &r->train.v[k], r->label_prefix,
							 lim, err);
		int got;
		if (!rd) {
			rc = -1;
			break;
		}
		while ((got = dm_text_reader_next(rd, &l, err)) > 0)
			if (c ? dm_ftv_corpus_add_line(c, d, &l, err) : dm_text_dict_add_line(d, &l, err)) {
				dm_text_error_at(err, r->train.v[k].path, l.lineno);
				got = -1;
				break;
			}
		if (got < 0) {
			dm_text_reader_abort(rd);
			rc = -1;
		} else {
			rc = dm_text_reader_close(rd, rec ? &rec[k] : NULL, err);
		}
	}
	dm_text_line_free(&l);
	return rc;
}

/* NAME.safetensors, NAME.json and, with Export: fasttext, NAME.bin and
 * NAME.vec: one set (fasttext/outputs.h) */
static int write_outputs(const dm_ft_job *j, const dm_text_dict *d, const dm_ft_model *m,
			 const dm_ft_facts *f, dm_verdict *v, dm_error *err)
{
	dm_ft_blob blobs[2] = {{"fasttext", "bin", NULL, 0}, {"vec", "vec", NULL, 0}};
	unsigned char *bin = NULL;
	char *vec = NULL, where[4096];
	int rc = -1;
	if (j->r->export_fasttext) {
		snprintf(where, sizeof where, "%s/%s.vec", j->output_dir, j->model);
		if (dm_ft_write_mem(m, &bin, &blobs[0].n, err) ||
		    dm_ftv_vec_text(d, m->input.data, m->args.dim, where, &vec, &blobs[1].n, err))
			goto out;
		blobs[0].data = bin;
		blobs[1].data = vec;
	}
	rc = dm_ft_write_outputs(j, m, f, m->args.model == DM_FT_MODEL_CBOW ? "fasttext-cbow"
				 : "fasttext-skipgram", NULL, 0, v, NULL, blobs, bin ? 2 : 0, err);
out:
	free(bin);
	free(vec);
	return rc;
}

int dm_ftv_job_run(const dm_ft_job *j, dm_ft_job_result *res, dm_error *err)
{
	const dm_ft_recipe *r = j->r;
	dm_data_limits lim = {0};
	dm_text_dict d;
	dm_ftv_corpus c = {0};
	dm_ftv_weights w = {0};
	dm_ft_model m = {0};
	dm_pool *pool = NULL;
	uint64_t centres = 0;
	dm_file_record *rec = dm_calloc(r->train.n + 1, sizeof *rec, err);
	dm_verdict verdict;
	dm_ft_facts facts;
	int rc = -1, have_dict = 0;
	memset(&verdict, 0, sizeof verdict);
	if (!rec)
		return -1;
	memset(res, 0, sizeof *res);
	res->p_at_1 = -1.0;
	if (j->limits) {
		lim.max_bytes = j->limits->max_dataset_bytes;
		lim.max_members = j->limits->max_archive_members;
	}
	if (dm_ft_count_lines(r->format, &r->train, r->label_prefix, &lim, &res->lines,
			      &res->tokens, err) ||
	    dm_text_dict_init(&d, &r->dict, err))
		goto out;
	have_dict = 1;
	if (pass(r, &lim, &d, NULL, rec, err) || dm_text_dict_finish(&d, err) ||
	    pass(r, &lim, &d, &c, NULL, err) ||
	    dm_ftv_estimate(&d, &c, &r->vec, &res->flops_estimate, &centres, err))
		goto out;
	res->ntrain = c.n;
	say(j, "%s: %" PRIu64 " lines, %" PRIu64 " tokens (%" PRIu64 " in the dictionary); %d words; "
	    "%" PRIu64 " centres after sub-sampling; training %.4g FLOP (%" PRIu64 ")",
	    j->model, res->lines, res->tokens, c.ntokens, (int)d.nwords, centres,
	    (double)res->flops_estimate, res->flops_estimate);
	if (j->limits && j->limits->max_compute > 0 &&
	    (double)res->flops_estimate > j->limits->max_compute) {
		dm_fail_code(err, DM_EXIT_POLICY, "%s: training needs %" PRIu64 " FLOP for %" PRIu64
			     " tokens in %" PRIu64 " lines x %d epochs (the draws replayed before "
			     "training), over Max-Compute %.4g FLOP", j->where, res->flops_estimate,
			     c.ntokens, res->lines, (int)r->vec.epoch, j->limits->max_compute);
		goto out;
	}
	if (j->estimate_only) {
		rc = 0;
		goto out;
	}
	/* the licences, with the inputs */
	if (dm_ft_verdict_facts(j, rec, &verdict, err))
		goto out;
	if ((j->threads > 1 && !(pool = dm_pool_new(j->threads, err))) ||
	    dm_ftv_train(&d, &c, &r->vec, pool, &w, err) ||
	    dm_ftv_model_view(&d, &r->vec, &w, &m, err))
		goto out;
	res->flops_counted = w.flops;
	say(j, "%s: trained %" PRIu64 " centres, %" PRIu64 " FLOP counted (estimate %" PRIu64 ")",
	    j->model, w.centres, w.flops, res->flops_estimate);
	/* where the time went, as fastText's progress line (no bit depends on it) */
	char line[256];
	dm_ft_times_text(line, sizeof line, j->model, &w.times, c.ntokens, r->vec.epoch,
			 j->threads);
	say(j, "%s", line);
	facts = (dm_ft_facts){.r = r, .train_files = rec, .ntrain_files = r->train.n,
			      .nwords = d.nwords, .rows = w.rows, .train_lines = res->lines,
			      .train_tokens = c.ntokens, .examples = w.centres, .flop = w.flops};
	if (write_outputs(j, &d, &m, &facts, &verdict, err))
		goto out;
	rc = 0;
out:
	dm_ft_model_view_free(&m);
	dm_ftv_weights_free(&w);
	dm_pool_free(pool);
	dm_ftv_corpus_free(&c);
	if (have_dict)
		dm_text_dict_free(&d);
	dm_verdict_free(&verdict);
	for (size_t i = 0; i < r->train.n; i++)
		free(rec[i].path);
	free(rec);
	return rc;
}
