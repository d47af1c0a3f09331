/* job.c - a supervised text recipe from text to files (job.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fasttext/ftpredict.h"
#include "fasttext/job.h"
#include "fasttext/load.h"
#include "fasttext/vectors_job.h"
#include "fasttext/outputs.h"
#include "base/file.h"

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

/* fastText's `test` at k = 1 over lines already turned into rows. */
static int p_at_1(const dm_ft_model *m, const dm_ft_corpus *c, const char *where, double *out,
		  dm_error *err)
{
	dm_ft_predictor p;
	dm_ft_prediction best;
	uint64_t right = 0;
	if (dm_ft_predictor_init(&p, m, where, err))
		return -1;
	for (size_t i = 0; i < c->n; i++) {
		size_t count;
		p.ids = c->ids + c->start[i];
		p.nids = c->start[i + 1] - c->start[i];
		if (dm_ft_predict_line(&p, 1, 0.0f, &best, &count, err)) {
			dm_ft_predictor_free(&p);
			return -1;
		}
		for (size_t k = c->lstart[i]; count && k < c->lstart[i + 1]; k++)
			if (c->labels[k] == best.label) {
				right++;
				break;
			}
	}
	dm_ft_predictor_free(&p);
	*out = c->n ? (double)right / (double)c->n : -1.0;
	return 0;
}

/* Upstream-Weights: upstream's .bin on the same held-out or test lines,
 * read through its own dictionary; P@1 beside ours.  Over
 * Upstream-Max-Regression: an error (exit 3, like Expect) unless nocheck. */
static int upstream(const dm_ft_job *j, const dm_ft_holdout *h, const dm_data_limits *lim,
		    double ours, dm_upstream *u, dm_error *err)
{
	const dm_ft_recipe *r = j->r;
	dm_ft_model m;
	dm_ft_predictor p;
	dm_ft_corpus c = {0};
	char *bytes;
	size_t n;
	double theirs = -1.0;
	int rc = -1;
	memset(u, 0, sizeof *u);
	if (!(bytes = dm_read_regular(r->upstream, UINT64_C(1) << 34, &n, u->sha256, err)))
		return dm_error_prefix(err, "%s: Upstream-Weights", j->where);
	rc = dm_ft_read_mem(bytes, n, r->upstream, &m, err);
	free(bytes);
	if (rc)
		return dm_error_prefix(err, "%s: Upstream-Weights", j->where);
	rc = -1;
	if (dm_ft_predictor_init(&p, &m, r->upstream, err))
		goto model;
	if ((r->test.n ? dm_ft_load_rows(r->format, &r->test, r->label_prefix, lim, &p.dict, &c,
					 NULL, err)
		       : dm_ft_load_held(r->format, &r->train, r->label_prefix, lim, h, &p.dict, &c,
					 err)) ||
	    p_at_1(&m, &c, r->upstream, &theirs, err))
		goto out;
	u->done = 1;
	u->path = r->upstream;
	u->format = "fasttext";
	snprintf(u->network, sizeof u->network, "fastText %s, dim %d, %d words, %d labels",
		 dm_ft_loss_name(m.args.loss), (int)m.args.dim, (int)m.nwords, (int)m.nlabels);
	u->parameters = (size_t)(m.input.m * m.input.n + m.output.m * m.output.n);
	u->split = r->test.n ? "test" : "validation";
	u->rows = c.n;
	u->classification = u->no_loss = 1;
	u->mine.accuracy = (float)ours;
	u->theirs.accuracy = (float)theirs;
	u->worse_by = (float)(theirs - ours);
	u->pass = 1;
	if (r->upstream_max >= 0.0) {
		u->has_max = 1;
		u->metric = "accuracy";
		u->max_regression = (float)r->upstream_max;
		u->pass = !(theirs - ours > r->upstream_max);
	}
	say(j, "%s: upstream's %s: P@1 %.4f; retrained: %.4f (%+.4f) on the same %zu %s lines",
	    j->model, r->upstream, theirs, ours, ours - theirs, c.n, u->split);
	if (!u->pass && !(j->ctx && j->ctx->no_expect)) {
		dm_fail_code(err, DM_EXIT_EXPECT, "%s: line %u: Upstream-Max-Regression: the retrained "
			     "model's P@1 %.4f is worse than upstream's %.4f by %.4f, more than %g "
			     "(DEB_BUILD_OPTIONS=nocheck or --no-expect skips it)", j->where,
			     r->upstream_max_line, ours, theirs, theirs - ours, r->upstream_max);
		goto out;
	}
	rc = 0;
out:
	dm_ft_corpus_free(&c);
	dm_ft_predictor_free(&p);
model:
	dm_ft_free(&m);
	return rc;
}

int dm_ft_job_run(const dm_ft_job *j, dm_ft_job_result *res, dm_error *err)
{
	const dm_ft_recipe *r = j->r;
	dm_data_limits lim = {0};
	dm_ft_holdout h = {0};
	dm_text_dict d;
	dm_ft_corpus train = {0}, test = {0};
	dm_ft_weights w = {0};
	dm_ft_model m = {0};
	dm_pool *pool = NULL;
	dm_file_record *trec = dm_calloc(r->train.n + r->test.n + 1, sizeof *trec, err);
	dm_ft_facts facts;
	dm_verdict verdict;
	dm_upstream up;
	dm_named_metric metric;
	dm_ft_blob bin = {"fasttext", "bin", NULL, 0};
	int rc = -1, have_dict = 0;
	if (r->vectors) {
		free(trec);
		return dm_ftv_job_run(j, res, err);
	}
	memset(&facts, 0, sizeof facts);
	memset(&verdict, 0, sizeof verdict);
	memset(&up, 0, sizeof up);
	if (!trec)
		return -1;
	memset(res, 0, sizeof *res);
	res->p_at_1 = -1.0;
	if (j->limits) {
		lim.max_bytes = j->limits->max_dataset_bytes;
		lim.max_members = j->limits->max_archive_members;
	}
	/* the counting pass: the budget's and the split's */
	if (dm_ft_count_lines(r->format, &r->train, r->label_prefix, &lim, &res->lines,
			      &res->tokens, err))
		goto out;
	if (!r->test.n && r->validation_split > 0.0 &&
	    dm_ft_holdout_make(&h, res->lines, r->validation_split, r->cfg.seed, err))
		goto out;
	if (dm_text_dict_init(&d, &r->dict, err))
		goto out;
	have_dict = 1;
	if (dm_ft_load(r->format, &r->train, r->label_prefix, &lim, &h, &d, &train, &test, trec,
		       err) ||
	    (r->test.n && dm_ft_load_rows(r->format, &r->test, r->label_prefix, &lim, &d, &test,
					  trec + r->train.n, err)) ||
	    dm_ft_train_estimate(&d, &train, &r->cfg, &res->flops_estimate, err))
		goto out;
	/* the licences, with the inputs (as the MLP's, before any restriction) */
	if (!j->estimate_only && dm_ft_verdict_facts(j, trec, &verdict, err))
		goto out;
	res->ntrain = train.n;
	res->ntest = test.n;
	say(j, "%s: %" PRIu64 " lines, %" PRIu64 " tokens; %zu training lines (%" PRIu64
	    " tokens), %zu held out; %d words, %d labels; training %.4g FLOP (%" PRIu64 ")",
	    j->model, res->lines, res->tokens, train.n, train.ntokens, test.n, (int)d.nwords,
	    (int)d.nlabels, (double)res->flops_estimate, res->flops_estimate);
	if (j->limits && j->limits->max_compute > 0 &&
	    (double)res->flops_estimate > j->limits->max_compute) {
		dm_fail_code(err, DM_EXIT_POLICY, "%s: training needs %" PRIu64 " FLOP for %" PRIu64
			     " tokens in %zu lines x %d epochs (counted before training), over "
			     "Max-Compute %.4g FLOP", j->where, res->flops_estimate, train.ntokens,
			     train.n, (int)r->cfg.epoch, j->limits->max_compute);
		goto out;
	}
	if (j->estimate_only) {
		rc = 0;
		goto out;
	}
	if ((j->threads > 1 && !(pool = dm_pool_new(j->threads, err))) ||
	    dm_ft_train(&d, &train, &r->cfg, pool, &w, err) ||
	    dm_ft_model_view(&d, &r->cfg, &w, &m, err))
		goto out;
	res->flops_counted = w.flops;
	if (test.n && p_at_1(&m, &test, j->where, &res->p_at_1, err))
		goto out;
	say(j, "%s: trained %" PRIu64 " line updates, %" PRIu64 " FLOP counted (estimate %" PRIu64
	    "); P@1 %.4f on %zu %s lines", j->model, w.examples, w.flops, res->flops_estimate,
	    res->p_at_1, test.n, r->test.n ? "test" : "held-out");
	/* where the time went, as fastText's progress line (no bit depends on it) */
	char line[256];
	dm_ft_times_text(line, sizeof line, j->model, &w.times, train.ntokens, r->cfg.epoch,
			 j->threads);
	say(j, "%s", line);
	facts = (dm_ft_facts){.r = r, .train_files = trec, .ntrain_files = r->train.n,
			      .test_files = trec + r->train.n, .ntest_files = r->test.n,
			      .nwords = d.nwords, .nlabels = d.nlabels, .rows = w.rows,
			      .train_lines = train.n, .held_lines = test.n, .train_tokens = train.ntokens,
			      .examples = w.examples, .flop = w.flops};
	snprintf(metric.name, sizeof metric.name, "%s-accuracy", r->test.n ? "test" : "validation");
	metric.value = (float)res->p_at_1;
	if (r->export_fasttext) {
		unsigned char *data;
		if (dm_ft_write_mem(&m, &data, &bin.n, err))
			goto out;
		bin.data = data;
	}
	if (r->upstream && upstream(j, &h, &lim, res->p_at_1, &up, err))
		goto out;
	if (dm_ft_write_outputs(j, &m, &facts, "pt", &metric, res->p_at_1 >= 0.0, &verdict,
				up.done ? &up : NULL, &bin, bin.data ? 1 : 0, err))
		goto out;
	if (r->expect_p1 >= 0.0 && !(res->p_at_1 >= r->expect_p1)) {
		dm_fail_code(err, DM_EXIT_EXPECT, "%s: Expect (line %u): test-accuracy %.4f, expected "
			     ">= %g", j->where, r->expect_line, res->p_at_1, r->expect_p1);
		goto out;
	}
	rc = 0;
out:
	free((void *)bin.data);
	dm_verdict_free(&verdict);
	dm_ft_model_view_free(&m);
	dm_ft_weights_free(&w);
	dm_pool_free(pool);
	dm_ft_corpus_free(&train);
	dm_ft_corpus_free(&test);
	dm_ft_holdout_free(&h);
	if (have_dict)
		dm_text_dict_free(&d);
	for (size_t i = 0; i < r->train.n + r->test.n; i++)
		free(trec[i].path);
	free(trec);
	return rc;
}
