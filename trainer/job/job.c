/* job.c - the training job: data, checks, normalization, training, gates,
 * and the output files.  The CLI prints; this file only reports. */
#include "job.h"
#include "fasttext/job.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/epoch.h"
#include "base/sha256.h"
#include "math/fmath.h"
#include "math/fp.h"
#include "os/sandbox.h"
#include "output/atomic.h"
#include "job/onnx_eval.h"
#include "output/onnx_read.h"
#include "output/safetensors.h"
#include "provenance/export.h"
#include "provenance/provenance.h"
#include "provenance/upstream.h"
#include "licensing/verdict.h"

/* ---- data ---- */

static int load_one(const dm_recipe *r, const dm_data_spec *spec, const char *field,
		    dm_dataset *d, dm_error *err)
{
	if (dm_dataset_load(spec, d, err) == 0)
		return 0;
	/* the data part names the file: an error in the labels file is the
	 * Labels (or Test-Labels) line's */
	if (spec->labels && !strncmp(err->msg, spec->labels, strlen(spec->labels)) &&
	    err->msg[strlen(spec->labels)] == ':')
		field = !strcmp(field, "Dataset") ? "Labels" : "Test-Labels";
	return dm_error_prefix(err, "%s: line %u: %s", r->file->path,
			       dm_recipe_field_line(r, field), field);
}

/* Labels must fit the network's outputs; name the first that does not. */
static int check_labels(const dm_recipe *r, const dm_dataset *d, const char *field,
			size_t outputs, size_t *classes, dm_error *err)
{
	dm_loss loss = r->train_cfg.loss;
	size_t i;
	if (!dm_loss_is_classification(loss))
		return 0;
	for (i = 0; i < d->n; i++) {
		float y = d->y[i];
		size_t limit = loss == DM_LOSS_BCE ? 2 : outputs;
		if (y >= 0 && (size_t)y < limit) {
			if ((size_t)y + 1 > *classes)
				*classes = (size_t)y + 1;
			continue;
		}
		if (loss == DM_LOSS_BCE)
			return dm_fail(err, "%s: line %u: %s: label %g of sample %zu in %s: "
				       "binary-cross-entropy expects labels 0 and 1", r->file->path,
				       dm_recipe_field_line(r, field), field, (double)y, i + 1,
				       d->files[d->nfiles - 1].path);
		return dm_fail(err, "%s: line %u: Network: the last layer has %zu outputs, but "
			       "label %g of sample %zu in %s needs at least %zu", r->file->path,
			       dm_recipe_field_line(r, "Network"), outputs, (double)y, i + 1,
			       d->files[d->nfiles - 1].path, (size_t)y + 1);
	}
	return 0;
}

/* A softmax layer wider than the classes in the data trains outputs that
 * are never the right answer: legal (a class may be absent from a small
 * sample), but more often a Network that was copied from another model. */
static void warn_unused_outputs(const dm_recipe *r, const dm_prepared *p,
				const dm_job_opts *o)
{
	size_t outputs = dm_network_outputs(r->layers, r->nlayers);
	char line[512];
	if (r->train_cfg.loss == DM_LOSS_BCE ||
	    !dm_loss_is_classification(r->train_cfg.loss) || !p->classes ||
	    outputs <= p->classes)
		return;
	snprintf(line, sizeof line, "warning: %s: %s: line %u: Network: the last layer has %zu "
		 "outputs, but the labels are 0 to %zu, %zu classes: %zu output%s never "
		 "the right answer", r->model, r->file->path, dm_recipe_field_line(r, "Network"),
		 outputs, p->classes - 1, p->classes, outputs - p->classes,
		 outputs - p->classes == 1 ? " is" : "s are");
	dm_job_tell(o, line);
}

/* x' = (x - shift) * scale, per feature. */
static void apply_norm(dm_dataset *d, const float *shift, const float *scale)
{
	size_t i, j;
	for (i = 0; i < d->n; i++) {
		float *x = d->x + i * d->dim;
		for (j = 0; j < d->dim; j++)
			x[j] = f_mul(f_sub(x[j], shift[j]), scale[j]);
	}
}

/* Mean and standard deviation of each feature over the training rows,
 * summed in row order with Kahan's correction: fixed, so reproducible. */
static void standardize_stats(const dm_dataset *d, const size_t *rows, size_t n,
			      float *mean, float *scale, float *comp)
{
	size_t i, j, dim = d->dim;
	for (j = 0; j < dim; j++)
		mean[j] = comp[j] = 0.0f;
	for (i = 0; i < n; i++) {
		const float *x = d->x + rows[i] * dim;
		for (j = 0; j < dim; j++) {
			float y = f_sub(x[j], comp[j]), t = f_add(mean[j], y);
			comp[j] = f_sub(f_sub(t, mean[j]), y);
			mean[j] = t;
		}
	}
	for (j = 0; j < dim; j++)
		mean[j] = f_div(mean[j], (float)n), scale[j] = comp[j] = 0.0f;
	for (i = 0; i < n; i++) {
		const float *x = d->x + rows[i] * dim;
		for (j = 0; j < dim; j++) {
			float dv = f_sub(x[j], mean[j]);
			float y = f_sub(f_mul(dv, dv), comp[j]), t = f_add(scale[j], y);
			comp[j] = f_sub(f_sub(t, scale[j]), y);
			scale[j] = t;
		}
	}
	for (j = 0; j < dim; j++) {
		float sd = dm_sqrtf(f_div(scale[j], (float)n));
		scale[j] = sd > 0 ? f_div(1.0f, sd) : 1.0f;
	}
}

static int normalize(const dm_recipe *r, dm_prepared *p, dm_error *err)
{
	size_t dim = p->train.dim, j;
	dm_normalize_kind k = r->normalize;
	if (k == DM_NORMALIZE_AUTO)
		k = p->train.bytes_valued ? DM_NORMALIZE_SCALE : DM_NORMALIZE_NONE;
	if (k == DM_NORMALIZE_NONE)
		return 0;
	if (!(p->shift = dm_alloc_floats(dim, err)) || !(p->scale = dm_alloc_floats(dim, err)))
		return -1;
	if (k == DM_NORMALIZE_SCALE) {
		float s = f_div(1.0f, r->normalize == DM_NORMALIZE_AUTO ? 255.0f : r->normalize_scale);
		for (j = 0; j < dim; j++)
			p->shift[j] = 0.0f, p->scale[j] = s;
	} else {
		float *comp = dm_alloc_floats(dim, err);
		if (!comp)
			return -1;
		/* statistics of the training rows only: nothing leaks from
		 * the validation or test rows into the model */
		standardize_stats(&p->train, p->train_rows, p->ntrain, p->shift, p->scale, comp);
		free(comp);
	}
	apply_norm(&p->train, p->shift, p->scale);
	if (p->have_test)
		apply_norm(&p->test, p->shift, p->scale);
	return 0;
}

/* Hold out a seed-chosen part of the training data for validation.  The
 * training rows keep their file order (it matters when Shuffle is no). */
static int split(const dm_recipe *r, dm_prepared *p, dm_error *err)
{
	size_t n = p->train.n, i, nv = (size_t)((double)n * (double)r->validation_split);
	size_t *perm, *is_valid;
	dm_rng rng;
	if (r->validation_split > 0 && (nv == 0 || nv == n))
		return dm_fail(err, "%s: line %u: Validation-Split %g of %zu rows leaves %s",
			       r->file->path, dm_recipe_field_line(r, "Validation-Split"),
			       (double)r->validation_split, n,
			       nv == 0 ? "no validation row" : "no training row");
	p->nvalid = nv, p->ntrain = n - nv;
	if (!(p->train_rows = dm_calloc(p->ntrain, sizeof *p->train_rows, err)) ||
	    !(p->valid_rows = dm_calloc(nv ? nv : 1, sizeof *p->valid_rows, err)) ||
	    !(perm = dm_calloc(n, sizeof *perm, err)))
		return -1;
	if (!(is_valid = dm_calloc(n, sizeof *is_valid, err))) {
		free(perm);
		return -1;
	}
	for (i = 0; i < n; i++)
		perm[i] = i;
	dm_rng_seed(&rng, r->train_cfg.seed, DM_STREAM_SPLIT);
	if (nv)
		dm_shuffle(perm, n, &rng);
	for (i = 0; i < nv; i++)
		is_valid[perm[i]] = 1;
	for (i = 0, nv = 0, n = 0; i < p->train.n; i++)
		if (is_valid[i])
			p->valid_rows[nv++] = i;
		else
			p->train_rows[n++] = i;
	free(perm);
	free(is_valid);
	return 0;
}

int dm_prepare(const dm_recipe *r, dm_prepared *p, dm_error *err)
{
	size_t outputs = dm_network_outputs(r->layers, r->nlayers);
	memset(p, 0, sizeof *p);
	if (load_one(r, &r->train, "Dataset", &p->train, err))
		return -1;
	if (r->test.features) {
		if (load_one(r, &r->test, "Test-Dataset", &p->test, err))
			return -1;
		p->have_test = 1;
		if (p->test.dim != p->train.dim)
			return dm_fail(err, "%s: line %u: Test-Dataset: %s has %zu features per "
				       "sample, but the training data has %zu", r->file->path,
				       dm_recipe_field_line(r, "Test-Dataset"), r->test.features,
				       p->test.dim, p->train.dim);
	}
	if (check_labels(r, &p->train, r->train.labels ? "Labels" : "Dataset", outputs,
			 &p->classes, err) ||
	    (p->have_test && check_labels(r, &p->test, r->test.labels ? "Test-Labels" : "Test-Dataset",
					  outputs, &p->classes, err)))
		return -1;
	if (dm_recipe_input_shape(r, &p->train.shape, &p->input, err))
		return -1;
	return split(r, p, err) || normalize(r, p, err) ? -1 : 0;
}

/* ---- progress ---- */


typedef struct progress_ctx {
	const dm_recipe *r;
	const dm_job_opts *o;
	struct timespec start;
	double last;
	double max_wall;          /* the watchdog: 0 = none */
	double wall_hit;          /* elapsed time when it fired */
	uint64_t epoch, step;     /* where it fired */
} progress_ctx;

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) * 1e-9;
}

static void hms(double s, char *buf, size_t size)
{
	long v = (long)(s + 0.5);
	snprintf(buf, size, "%ld:%02ld:%02ld", v / 3600, v / 60 % 60, v % 60);
}

/* A line at the end of every epoch and at least every 30 s in between, so
 * that sbuild (which kills a silent build after 150 min) always sees life. */
static int on_progress(void *v, const dm_progress *p)
{
	progress_ctx *c = v;
	double now = seconds_since(&c->start);
	char line[512], el[32], left[32];
	if (c->o->stop_signal && *c->o->stop_signal)
		return 1;
	if (c->max_wall && now > c->max_wall) {
		c->wall_hit = now, c->epoch = p->epoch, c->step = p->step;
		return 1; /* stop cleanly: nothing has been written yet */
	}
	if (!c->o->say || (!p->epoch_done && now - c->last < 30))
		return 0;
	c->last = now;
	hms(now, el, sizeof el);
	hms(p->step ? now * (double)(p->total_steps - p->step) / (double)p->step : 0, left,
	    sizeof left);
	if (p->epoch_done && p->validation)
		snprintf(line, sizeof line, "%s: epoch %llu/%llu done, step %llu/%llu, loss %.4f, "
			 "validation loss %.4f, elapsed %s, left %s", c->r->model,
			 (unsigned long long)p->epoch, (unsigned long long)p->epochs,
			 (unsigned long long)p->step, (unsigned long long)p->total_steps,
			 (double)p->loss, (double)p->validation->loss, el, left);
	else
		snprintf(line, sizeof line, "%s: epoch %llu/%llu%s, step %llu/%llu, loss %.4f, "
			 "elapsed %s, left %s", c->r->model, (unsigned long long)p->epoch,
			 (unsigned long long)p->epochs, p->epoch_done ? " done" : "",
			 (unsigned long long)p->step, (unsigned long long)p->total_steps,
			 (double)p->loss, el, left);
	c->o->say(c->o->say_ctx, line);
	return 0;
}

/* ---- metrics and gates ---- */

static void add_metrics(dm_provenance_in *in, const char *split, const dm_metrics *m,
			dm_loss loss)
{
	dm_named_metric *nm = &in->metrics[in->nmetrics];
	snprintf(nm->name, sizeof nm->name, "%s-loss", split);
	nm->value = m->loss;
	nm++;
	if (dm_loss_is_classification(loss))
		snprintf(nm->name, sizeof nm->name, "%s-accuracy", split), nm->value = m->accuracy;
	else
		snprintf(nm->name, sizeof nm->name, "%s-rmse", split), nm->value = m->rmse;
	in->nmetrics += 2;
}

static const dm_named_metric *find_metric(const dm_provenance_in *in, const char *name)
{
	size_t i;
	for (i = 0; i < in->nmetrics; i++)
		if (!strcmp(in->metrics[i].name, name))
			return &in->metrics[i];
	return NULL;
}

/* Evaluate every gate; the first that fails is the error (unless nocheck). */
static int gates(const dm_recipe *r, dm_provenance_in *in, const dm_job_opts *o,
		 dm_error *err)
{
	size_t i;
	int failed = -1;
	for (i = 0; i < r->nexpect && i < DM_MAX_GATES; i++) {
		const dm_named_metric *m = find_metric(in, r->expect[i].metric);
		in->gate_pass[i] = m && dm_expect_holds(&r->expect[i], m->value);
		if (!in->gate_pass[i] && failed < 0)
			failed = (int)i;
	}
	in->ngates = i;
	if (failed < 0)
		return 0;
	{
		const dm_expect *e = &r->expect[failed];
		const dm_named_metric *m = find_metric(in, e->metric);
		if (o->no_expect) {
			/* recorded, not fatal; but said, even under --quiet */
			char line[1024];
			snprintf(line, sizeof line, "warning: %s: line %u: Expect: %s does not hold: "
				 "%s is %.4f (not fatal: DEB_BUILD_OPTIONS=nocheck or --no-expect)",
				 r->file->path, dm_recipe_field_line(r, "Expect"), e->text, e->metric,
				 m ? (double)m->value : NAN);
			dm_job_tell(o, line);
			return 0;
		}
		return dm_fail_code(err, DM_EXIT_EXPECT, "%s: line %u: Expect: %s does not hold: "
				    "%s is %.4f (DEB_BUILD_OPTIONS=nocheck or --no-expect skips the gates)",
				    r->file->path, dm_recipe_field_line(r, "Expect"), e->text,
				    e->metric, m ? (double)m->value : NAN);
	}
}

/* ---- output ---- */

static int write_outputs(const dm_recipe *r, const dm_job_opts *o, const dm_net *net,
			 const dm_prepared *p, dm_provenance_in *in, dm_error *err)
{
	dm_param_tensor *pt;
	dm_tensor *t = NULL;
	dm_meta meta[3];
	size_t nt = 0, np, i, d, nmeta = 2;
	char *json_pretty = NULL, *json_compact = NULL, *names = NULL, path[4096], jpath[4096];
	char opath[4096];
	unsigned char *onnx = NULL;
	size_t onnx_len = 0;
	dm_atomic *a = NULL;
	int rc = -1;
	_Static_assert(DM_SHAPE_MAX_DIMS <= DM_MAX_DIMS, "a parameter tensor fits a dm_tensor");
	/* the network's tensors, after input.shift and input.scale */
	if (!(pt = dm_net_tensor_list(net, &np, err)) ||
	    !(t = dm_calloc(np + 2, sizeof *t, err)))
		goto out;
	if (p->shift) {
		t[nt] = (dm_tensor){"input.shift", 1, {p->train.dim}, p->train.dim, p->shift};
		nt++;
		t[nt] = (dm_tensor){"input.scale", 1, {p->train.dim}, p->train.dim, p->scale};
		nt++;
	}
	for (i = 0; i < np; i++, nt++) {
		t[nt].name = pt[i].name;
		t[nt].ndim = pt[i].ndim;
		for (d = 0; d < pt[i].ndim; d++)
			t[nt].shape[d] = pt[i].shape[d];
		t[nt].count = pt[i].count;
		t[nt].data = net->params + pt[i].offset;
	}
	in->tensors = t;
	in->ntensors = nt;
	/* the export first: the provenance records its SHA-256 */
	if (r->exports & DM_EXPORT_ONNX) {
		dm_export_file *x = &in->exports[in->nexports++];
		if (dm_export_onnx(in, &onnx, &onnx_len, err))
			goto out;
		x->format = "onnx";
		snprintf(x->file, sizeof x->file, "%s.onnx", r->model);
		dm_sha256_hex_of(onnx, onnx_len, x->sha256);
		x->bytes = onnx_len;
	}
	if (!(json_pretty = dm_provenance_json(in, 1, err)) ||
	    !(json_compact = dm_provenance_json(in, 0, err)))
		goto out;
	meta[0] = (dm_meta){"format", "pt"};
	meta[1] = (dm_meta){"dh-model.provenance", json_compact};
	/* also on its own, for a reader that does not want the provenance:
	 * a JSON array of strings, output i's name at index i */
	if (r->class_names.n) {
		if (!(names = dm_class_names_json(&r->class_names, err)))
			goto out;
		meta[nmeta++] = (dm_meta){"dh-model.class-names", names};
	}
	snprintf(path, sizeof path, "%s/%s.safetensors", o->output_dir, r->model);
	snprintf(jpath, sizeof jpath, "%s/%s.json", o->output_dir, r->model);
	snprintf(opath, sizeof opath, "%s/%s.onnx", o->output_dir, r->model);
	/* One set (output/atomic.h): both files are written and synced under
	 * hidden names before either replaces anything, so a full disk keeps
	 * the old pair whole.  The weights are staged first, so they are put
	 * in place last, the commit point: a SIGKILL between the two renames
	 * can leave the old weights beside the new NAME.json (its tensors'
	 * SHA-256 tell it from the weights'), never new weights beside an old
	 * NAME.json. */
	if (!(a = dm_atomic_new(o->cleanup, err)))
		goto out;
	dm_atomic_begin(a);
	if (dm_safetensors_write(a, path, t, nt, meta, nmeta, err) ||
	    dm_atomic_write(a, jpath, json_pretty, strlen(json_pretty), err) ||
	    (onnx && dm_atomic_write(a, opath, onnx, onnx_len, err)) ||
	    dm_atomic_commit(a, err))
		goto out;
	rc = 0;
out:
	dm_atomic_free(a);   /* drops what a failure left staged */
	in->tensors = NULL;
	in->ntensors = 0;
	in->nexports = 0;
	free(onnx);
	free(json_pretty);
	free(json_compact);
	free(names);
	free(t);
	free(pt);
	return rc;
}

/* Once per process: the inputs are read, nothing more needs the network
 * or a write outside the output directory. */
static int sandbox(const dm_job_opts *o, dm_error *err)
{
	char what[512], line[600];
	if (dm_sandbox_applied())
		return 0;
	if (dm_sandbox(o->sandbox_dir, what, sizeof what, err))
		return -1;
	if (o->say) {
		snprintf(line, sizeof line, "sandbox: %s", what);
		o->say(o->say_ctx, line);
	}
	return 0;
}

/* A failed write under RLIMIT_FSIZE is the output cap. */
static int output_cap_error(const dm_recipe *r, const dm_budget *b, dm_error *err)
{
	char v[48];
	struct rlimit rl;
	if (!strstr(err->msg, "File too large") || !b->limits.max_output_bytes)
		return -1;
	/* a lower limit from outside (ulimit -f) is not the policy's */
	if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)b->limits.max_output_bytes)
		return -1;
	dm_limit_format(DM_UNIT_BYTES, (double)b->limits.max_output_bytes, v, sizeof v);
	err->code = DM_EXIT_POLICY;
	return dm_error_prefix(err, "%s: stanza %zu (%s): Max-Output-Bytes of %s reached",
			       r->file->path, r->index, r->model, v);
}

/* An allocation that failed under the RLIMIT_AS of Max-Memory is that cap. */
static void memory_cap_error(const dm_budget *b, dm_error *err)
{
	char v[48];
	if (err->code != DM_EXIT_ERROR || !strstr(err->msg, "out of memory") ||
	    !b->limits.max_memory)
		return;
	dm_limit_format(DM_UNIT_BYTES, (double)b->limits.max_memory, v, sizeof v);
	err->code = DM_EXIT_POLICY;
	dm_error_prefix(err, "Max-Memory of %s reached", v);
}

/* Model-Type: supervised: the policy's limits, then fasttext/job.c */
static int text_job(dm_recipe *r, const dm_job_opts *o, int estimate_only, int have_sde,
		    uint64_t sde, dm_error *err)
{
	dm_budget b;
	dm_ft_job_result res;
	char where[256];
	dm_ft_job j = {r->text, r->model, where, &b.limits, o->threads, o->output_dir,
		       estimate_only, o->say, o->say_ctx, r->file->path, r->index, r->stanza,
		       r->description, r->license, r, o, &b, have_sde, sde};
	int rc;
	dm_recipe_where(r, where, sizeof where);
	rc = dm_budget_check(r, o, &b, err);
	/* the MLP's caps and sandbox: Landlock takes only the rights that
	 * write, so the data, the copyright files and dpkg's database are
	 * still read after it */
	if (!rc && !estimate_only) {
		dm_caps_arm(r, &b, o->cleanup);
		if (o->sandbox_dir && sandbox(o, err))
			rc = -1;
	}
	if (!rc)
		rc = dm_ft_job_run(&j, &res, err);
	dm_caps_disarm();
	if (rc && !estimate_only) {
		output_cap_error(r, &b, err);
		memory_cap_error(&b, err);
	}
	dm_budget_free(&b);
	return rc;
}

int dm_job_train(dm_recipe *r, const dm_job_opts *o, dm_error *err)
{
	dm_prepared p;
	dm_engine *e = NULL;
	dm_net *net = NULL;
	dm_train_cfg cfg = r->train_cfg;
	dm_train_result res;
	dm_provenance_in in;
	dm_budget b;
	dm_verdict verdict;
	dm_upstream up;
	progress_ctx pc = {r, o, {0, 0}, 0, 0, 0, 0, 0};
	dm_rows train, valid, test;
	dm_metrics m;
	int rc = -1, have_budget = 0, train_rc;
	uint64_t sde;
	int have_sde;
	void *prof = NULL;

	if (r->numerics == DM_NUMERICS_OPENBLAS) {
		char line[1024];
		snprintf(line, sizeof line, "warning: %s: line %u: Numerics: openblas: the weights "
			 "of %s will be reproducible only on the same CPU core type with the same "
			 "thread count, not on every buildd; the portable default is reproducible "
			 "everywhere", r->file->path, dm_recipe_field_line(r, "Numerics"), r->model);
		dm_ctx_tell(o, line);
	}
	/* refused now, not after the training: the provenance records it */
	if ((have_sde = dm_source_date_epoch(o->source_date_epoch, &sde, err)) < 0)
		return -1;
	if (r->text)
		return text_job(r, o, 0, have_sde, sde, err);
	memset(&in, 0, sizeof in);
	memset(&p, 0, sizeof p);
	memset(&verdict, 0, sizeof verdict);
	have_budget = 1;   /* dm_budget_check zeroes b first; it is freed at out */
	if (dm_budget_check(r, o, &b, err))
		goto out;
	pc.start = b.started;   /* Max-Wall-Time counts from the policy's check */
	pc.max_wall = b.limits.max_wall_time;
	dm_caps_arm(r, &b, o->cleanup);
	if (dm_prepare(r, &p, err) || dm_verdict_facts(r, &p, o, &verdict, err))
		goto out;
	warn_unused_outputs(r, &p, o);
	if (o->sandbox_dir && sandbox(o, err))
		goto out;
	if (!(e = dm_engine_for(o, r->numerics, err)) ||
	    !(net = dm_net_new_shaped(r->layers, r->nlayers, &p.input,
				      cfg.batch > 256 ? cfg.batch : 256, err)))
		goto out;
	/* an Export that cannot take these shapes: refused before training */
	if (dm_export_check(r, net, err))
		goto out;
	dm_net_init(net, cfg.seed);
	train = (dm_rows){p.train.x, p.train.y, p.train.dim, p.train_rows, p.ntrain};
	valid = (dm_rows){p.train.x, p.train.y, p.train.dim, p.valid_rows, p.nvalid};
	cfg.progress = on_progress;
	cfg.ctx = &pc;
	if (o->profile_start)
		prof = o->profile_start(e, net);
	train_rc = dm_train(net, e, &cfg, &train, p.nvalid ? &valid : NULL, &res, err);
	if (o->profile_finish)
		o->profile_finish(prof, e, r->model);
	if (train_rc) {
		if (pc.wall_hit) {
			char v[48];
			dm_limit_format(DM_UNIT_SECONDS, pc.max_wall, v, sizeof v);
			dm_fail_code(err, DM_EXIT_POLICY, "%s: stanza %zu (%s): Max-Wall-Time of %s "
				     "reached after %.1f s, at epoch %llu, step %llu; training stopped, "
				     "no output written", r->file->path, r->index, r->model, v,
				     pc.wall_hit, (unsigned long long)pc.epoch,
				     (unsigned long long)pc.step);
		} else {
			dm_error_prefix(err, "%s: stanza %zu (%s)", r->file->path, r->index, r->model);
		}
		goto out;
	}
	/* the metrics of the weights that are kept, on each part of the data */
	if (dm_evaluate(net, e, cfg.loss, &train, &m, err))
		goto out;
	add_metrics(&in, "train", &m, cfg.loss);
	if (p.nvalid)
		add_metrics(&in, "validation", &res.validation, cfg.loss);
	if (p.have_test) {
		test = (dm_rows){p.test.x, p.test.y, p.test.dim, NULL, p.test.n};
		if (dm_evaluate(net, e, cfg.loss, &test, &m, err))
			goto out;
		add_metrics(&in, "test", &m, cfg.loss);
	}
	in.recipe = r;
	in.have_source_date = have_sde;
	in.source_date = sde;
	in.prepared = &p;
	in.net = net;
	in.result = &res;
	in.engine = e;
	if (gates(r, &in, o, err))
		goto out;
	if (o->say) {
		char line[512];
		size_t i, len;
		len = (size_t)snprintf(line, sizeof line, "%s: trained in %llu steps, %.3g FLOP:",
				       r->model, (unsigned long long)res.steps, (double)e->flop);
		for (i = 0; i < in.nmetrics && len < sizeof line; i++)
			len += (size_t)snprintf(line + len, sizeof line - len, " %s %.4f",
						in.metrics[i].name, (double)in.metrics[i].value);
		o->say(o->say_ctx, line);
	}
	in.flop = e->flop;
	in.budget = &b;
	/* upstream's weights side by side (its gate fails like Expect), and the
	 * ML-Policy verdict, into the provenance and the build log */
	if (dm_upstream_compare(r, &p, net, o, &up, err))
		goto out;
	dm_verdict_decide(r, &b, in.flop, o, &verdict);
	in.upstream = &up;
	in.verdict = &verdict;
	if (write_outputs(r, o, net, &p, &in, err)) {
		output_cap_error(r, &b, err);
		goto out;
	}
	rc = 0;
out:
	dm_caps_disarm();
	if (rc && have_budget)
		memory_cap_error(&b, err);
	if (have_budget)
		dm_budget_free(&b);
	dm_verdict_free(&verdict);
	dm_net_free(net);
	dm_engine_free(e);
	dm_prepared_free(&p);
	return rc;
}

/* A figure of the estimate for people: FLOP as "1.22e+13", bytes as
 * "382 MiB", a count in full; one that does not fit in 64 bits as "2^64 or
 * more" ("16 EiB or more"). */
enum figure_style { AS_FLOP, AS_BYTES, AS_COUNT };
static const char *figure(const dm_cost *c, dm_cost_figure f, uint64_t v, enum figure_style style,
			  char *buf, size_t size)
{
	if (!dm_cost_exact(c, f))
		snprintf(buf, size, "%s or more", style == AS_BYTES ? "16 EiB" : "2^64");
	else if (style == AS_BYTES)
		dm_limit_format(DM_UNIT_BYTES, (double)v, buf, size);
	else if (style == AS_COUNT)
		snprintf(buf, size, "%llu", (unsigned long long)v);
	else
		snprintf(buf, size, "%.3g", (double)v);
	return buf;
}

int dm_job_estimate(dm_recipe *r, const dm_job_opts *o, dm_error *err)
{
	dm_budget b;
	const dm_cost *c = &b.cost;
	char line[768], mem[48], out[48], t[96], lim[48], f[4][48];
	size_t i;
	if (r->text)
		return text_job(r, o, 1, 0, 0, err);   /* writes nothing: no date */
	/* over the budget: the figures, then the refusal; refused before the
	 * costing (a recipe limit above the policy's): the refusal alone */
	if (dm_budget_check(r, o, &b, err) && (err->code != DM_EXIT_POLICY || !b.costed)) {
		dm_budget_free(&b);
		return -1;
	}
	snprintf(line, sizeof line, "%s: %s FLOP (training %s, evaluation %s), peak "
		 "memory %s, weights %s, %s parameters", r->model,
		 figure(c, DM_COST_FLOP, c->flop, AS_FLOP, f[0], sizeof f[0]),
		 figure(c, DM_COST_FLOP_TRAIN, c->flop_train, AS_FLOP, f[1], sizeof f[1]),
		 figure(c, DM_COST_FLOP_EVAL, c->flop_eval, AS_FLOP, f[2], sizeof f[2]),
		 figure(c, DM_COST_MEM_PEAK, c->mem_peak, AS_BYTES, mem, sizeof mem),
		 figure(c, DM_COST_OUTPUT, c->output_bytes, AS_BYTES, out, sizeof out),
		 figure(c, DM_COST_PARAMS, c->params, AS_COUNT, f[3], sizeof f[3]));
	o->say(o->say_ctx, line);
	for (i = 0; i < b.policy.nref && dm_cost_exact(c, DM_COST_FLOP); i++) {
		const dm_throughput *tp = &b.policy.ref[i];
		dm_limit_format(DM_UNIT_SECONDS, (double)c->flop / tp->flop_per_second, t, sizeof t);
		snprintf(line, sizeof line, "  about %s at %.3g GFLOP/s on one %s core (%s)%s", t,
			 tp->flop_per_second / 1e9, tp->arch, dm_numerics_name(tp->numerics),
			 tp->numerics == r->numerics ? "" : " [not this recipe's numerics]");
		o->say(o->say_ctx, line);
	}
	dm_limit_format(DM_UNIT_FLOP, b.limits.max_compute, lim, sizeof lim);
	dm_limit_format(DM_UNIT_BYTES, (double)b.limits.max_memory, mem, sizeof mem);
	snprintf(line, sizeof line, "  policy %s allows %s and %s: %s; within the budget of "
		 "main: %s", b.policy.name, b.limits.max_compute ? lim : "any compute",
		 b.limits.max_memory ? mem : "any memory",
		 err->code == DM_EXIT_POLICY ? "over the budget" : "within the budget",
		 b.within_main ? "yes" : "no");
	o->say(o->say_ctx, line);
	dm_budget_free(&b);
	return err->code == DM_EXIT_POLICY ? -1 : 0;
}

/* ---- evaluation of saved weights ---- */

static int load_weights(const dm_recipe *r, const char *path, const dm_safetensors *st,
			dm_net *net, const dm_prepared *p, dm_error *err)
{
	dm_param_tensor *pt;
	size_t np, i, expected;
	const char *names[2] = {"input.shift", "input.scale"};
	const float *mine[2] = {p->shift, p->scale};
	char have[96], want[96];
	if (!(pt = dm_net_tensor_list(net, &np, err)))
		return -1;
	expected = np + (p->shift ? 2 : 0);
	for (i = 0; i < np; i++) {
		const dm_tensor *t = dm_safetensors_find(st, pt[i].name);
		if (!t) {
			dm_fail(err, "%s: no tensor '%s', which the network of %s (stanza %zu) needs",
				path, pt[i].name, r->file->path, r->index);
			free(pt);
			return -1;
		}
		if (!dm_param_tensor_shape_is(&pt[i], t->ndim, t->shape)) {
			dm_shape_text(t->ndim, t->shape, have, sizeof have);
			dm_shape_text(pt[i].ndim, pt[i].shape, want, sizeof want);
			dm_fail(err, "%s: tensor '%s' has shape %s, but the network of %s needs %s",
				path, pt[i].name, have, r->file->path, want);
			free(pt);
			return -1;
		}
		memcpy(net->params + pt[i].offset, t->data, pt[i].count * sizeof(float));
	}
	free(pt);
	for (i = 0; i < 2; i++) {
		const dm_tensor *t = dm_safetensors_find(st, names[i]);
		if (!t != !mine[i])
			return dm_fail(err, "%s: %s tensor '%s', but the recipe's normalization %s one",
				       path, t ? "has a" : "has no", names[i], t ? "has no" : "needs");
		if (t && (t->count != p->train.dim ||
			  memcmp(t->data, mine[i], p->train.dim * sizeof(float))))
			return dm_fail(err, "%s: tensor '%s' differs from the normalization that "
				       "the recipe gives; the weights come from another recipe or data",
				       path, names[i]);
	}
	if (st->ntensors != expected)
		return dm_fail(err, "%s: %zu tensors, but the network of %s (stanza %zu) has %zu",
			       path, st->ntensors, r->file->path, r->index, expected);
	return 0;
}

int dm_job_eval_recipe(const char *recipe, const char *model, const char *weights,
		       const dm_job_opts *o, dm_error *err)
{
	dm_recipes rs;
	size_t first = 0, last = 0;
	int rc = -1;
	if (dm_recipes_load(recipe, &rs, err))
		return -1;
	if (!model && rs.n > 1) {
		dm_fail_code(err, DM_EXIT_USAGE, "eval: RECIPE has several models; choose one "
			     "with --model");
	} else if (!dm_recipes_select(&rs, model, recipe, &first, &last, err)) {
		rc = dm_job_eval(&rs.v[first], weights, o, err);
	}
	dm_recipes_free(&rs);
	return rc;
}

int dm_job_eval(const dm_recipe *r, const char *weights, const dm_job_opts *o,
		dm_error *err)
{
	dm_prepared p;
	dm_safetensors st;
	dm_engine *e = NULL;
	dm_net *net = NULL;
	dm_rows rows;
	dm_metrics m;
	const char *split = "test";
	int rc = -1, have_st = 0;
	if (dm_is_onnx_path(weights)) /* upstream's model, say: the graph normalises */
		return dm_onnx_eval_recipe(r->model, weights, &r->test, r->train_cfg.loss,
					   r->numerics, o, err);
	memset(&st, 0, sizeof st);
	if (r->text)
		return dm_fail(err, "%s: stanza %zu (%s) is a text model: evaluate its Export, "
			       "'dh-model-train eval %s.bin TEXT'", r->file->path, r->index, r->model,
			       r->model);
	if (dm_prepare(r, &p, err))
		goto out;
	if (dm_safetensors_read(weights, &st, err))
		goto out;
	have_st = 1;
	if (!(e = dm_engine_for(o, r->numerics, err)) ||
	    !(net = dm_net_new_shaped(r->layers, r->nlayers, &p.input, 256, err)) ||
	    load_weights(r, weights, &st, net, &p, err))
		goto out;
	if (p.have_test) {
		rows = (dm_rows){p.test.x, p.test.y, p.test.dim, NULL, p.test.n};
	} else if (p.nvalid) {
		rows = (dm_rows){p.train.x, p.train.y, p.train.dim, p.valid_rows, p.nvalid};
		split = "validation";
	} else {
		dm_fail(err, "%s: stanza %zu (%s) has no Test-Dataset and no Validation-Split "
			"to evaluate on", r->file->path, r->index, r->model);
		goto out;
	}
	if (dm_evaluate(net, e, r->train_cfg.loss, &rows, &m, err))
		goto out;
	if (o->say) {
		char line[256];
		if (dm_loss_is_classification(r->train_cfg.loss))
			snprintf(line, sizeof line, "%s: %s-loss %.6f %s-accuracy %.6f (%zu rows)",
				 r->model, split, (double)m.loss, split, (double)m.accuracy, m.n);
		else
			snprintf(line, sizeof line, "%s: %s-loss %.6f %s-rmse %.6f (%zu rows)",
				 r->model, split, (double)m.loss, split, (double)m.rmse, m.n);
		o->say(o->say_ctx, line);
	}
	rc = 0;
out:
	if (have_st)
		dm_safetensors_free(&st);
	dm_net_free(net);
	dm_engine_free(e);
	dm_prepared_free(&p);
	return rc;
}
