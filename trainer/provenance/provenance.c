/* provenance.c - write the provenance record. */
#include "provenance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sha256.h"
#include "base/version.h"
#include "fasttext/provenance.h"
#include "output/json.h"

void dm_tensor_sha256(const dm_tensor *t, char hex[65])
{
	dm_sha256 h;
	unsigned char d[32], le[4];
	size_t i;
	dm_sha256_init(&h);
	for (i = 0; i < t->count; i++) {
		uint32_t u;
		memcpy(&u, &t->data[i], 4);
		le[0] = (unsigned char)u, le[1] = (unsigned char)(u >> 8);
		le[2] = (unsigned char)(u >> 16), le[3] = (unsigned char)(u >> 24);
		dm_sha256_update(&h, le, 4);
	}
	dm_sha256_final(&h, d);
	dm_sha256_hex(d, hex);
}

static void files(dm_json_writer *w, const dm_dataset *d, int sizes)
{
	int i;
	dm_json_begin_array(w);
	for (i = 0; i < d->nfiles; i++) {
		dm_json_begin_object(w);
		dm_json_key(w, "path");
		dm_json_string(w, d->files[i].path);
		dm_json_key(w, "sha256");
		dm_json_string(w, d->files[i].sha256);
		if (sizes) {
			dm_json_key(w, "decompressed-bytes");
			dm_json_uint(w, d->files[i].bytes);
		}
		dm_json_end_object(w);
	}
	dm_json_end_array(w);
}

void dm_provenance_data_files(dm_json_writer *w, const dm_prepared *p, int sizes)
{
	dm_json_key(w, "train");
	files(w, &p->train, sizes);
	if (p->have_test) {
		dm_json_key(w, "test");
		files(w, &p->test, sizes);
	}
}

/* The recipe file as recorded: relative paths as given; an absolute path
 * only by its last component, so the build directory never shows. */
static const char *recipe_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return path[0] == '/' && slash ? slash + 1 : path;
}

static void normalization(dm_json_writer *w, const dm_recipe *r, const dm_prepared *p)
{
	if (!p->shift)
		dm_json_string(w, "none");
	else if (r->normalize == DM_NORMALIZE_STANDARDIZE)
		dm_json_string(w, "standardize (input.shift, input.scale from the training rows)");
	else
		dm_json_string(w, "scale (input.shift, input.scale)");
}

static void limits(dm_json_writer *w, const dm_limits *l)
{
	const dm_limit_field *f;
	size_t n, i;
	char key[64];
	f = dm_limit_fields(&n);
	dm_json_begin_object(w);
	for (i = 0; i < n; i++) {
		double v = dm_limit_get(l, &f[i]);
		size_t j;
		if (v == 0)
			continue;
		for (j = 0; f[i].name[j] && j < sizeof key - 1; j++) /* "Max-CPU-Time" -> "max-cpu-time" */
			key[j] = (char)(f[i].name[j] >= 'A' && f[i].name[j] <= 'Z' ? f[i].name[j] + 32 : f[i].name[j]);
		key[j] = 0;
		dm_json_key(w, key);
		dm_json_double(w, v);
	}
	dm_json_end_object(w);
}

/* The policy's verdict, with the figures behind it. */
static void budget(dm_json_writer *w, const dm_provenance_in *in)
{
	const dm_budget *b = in->budget;
	if (!b)
		return;
	dm_json_key(w, "budget");
	dm_json_begin_object(w);
	dm_json_key(w, "policy");
	dm_json_string(w, b->policy.name);
	dm_json_key(w, "policy-sha256");
	dm_json_string(w, b->policy.sha256);
	dm_json_key(w, "limits");
	limits(w, &b->limits);
	dm_json_key(w, "estimated-flop");
	dm_json_uint(w, b->cost.flop);
	dm_json_key(w, "counted-flop");
	dm_json_uint(w, in->flop);
	dm_json_key(w, "estimated-peak-memory");
	dm_json_uint(w, b->cost.mem_peak);
	dm_json_key(w, "within-main");
	dm_json_bool(w, b->within_main);
	dm_json_end_object(w);
}

static void string_or_null(dm_json_writer *w, const char *s)
{
	if (s)
		dm_json_string(w, s);
	else
		dm_json_null(w);
}

/* The ML-Policy verdict and each data file's licence, with where it came
 * from: anyone can check it against the copyright files. */
static void verdict(dm_json_writer *w, const dm_provenance_in *in)
{
	static const char *sources[] = {"none", "source-copyright", "package-copyright",
					"recipe"};
	const dm_verdict *v = in->verdict;
	size_t i;
	if (!v)
		return;
	dm_json_key(w, "verdict");
	dm_json_begin_object(w);
	dm_json_key(w, "class");
	dm_json_string(w, dm_verdict_class_name(v->cls));
	dm_json_key(w, "reason");
	dm_json_string(w, v->reason);
	dm_json_key(w, "weights");
	dm_json_begin_object(w);
	dm_json_key(w, "license");
	string_or_null(w, v->weights_license);
	dm_json_key(w, "free");
	dm_json_bool(w, v->weights_free);
	dm_json_key(w, "why");
	dm_json_string(w, v->weights_why);
	dm_json_key(w, "license-from"); /* the recipe's License, or debian/copyright */
	dm_json_string(w, sources[v->weights_source]);
	if (v->weights_stanza) {
		dm_json_key(w, "copyright-file");
		dm_json_string(w, "debian/copyright");
		dm_json_key(w, "stanza");
		dm_json_string(w, v->weights_stanza);
		dm_json_key(w, "stanza-line");
		dm_json_uint(w, v->weights_stanza_line);
	}
	dm_json_key(w, "note");
	dm_json_string(w, v->weights_note);
	dm_json_end_object(w);
	dm_json_key(w, "data");
	dm_json_begin_array(w);
	for (i = 0; i < v->ndata; i++) {
		const dm_data_licence *d = &v->data[i];
		dm_json_begin_object(w);
		dm_json_key(w, "part");
		dm_json_string(w, d->part);
		dm_json_key(w, "path");
		dm_json_string(w, d->path);
		dm_json_key(w, "sha256");
		dm_json_string(w, d->sha256);
		dm_json_key(w, "license");
		string_or_null(w, d->license);
		dm_json_key(w, "free");
		dm_json_bool(w, d->free);
		dm_json_key(w, "why");
		dm_json_string(w, d->why);
		dm_json_key(w, "license-from");
		dm_json_string(w, sources[d->source]);
		if (d->copyright) {
			dm_json_key(w, "copyright-file");
			dm_json_string(w, d->copyright);
		}
		if (d->stanza) {
			dm_json_key(w, "stanza");
			dm_json_string(w, d->stanza);
			dm_json_key(w, "stanza-line");
			dm_json_uint(w, d->stanza_line);
		}
		if (d->package) {
			dm_json_key(w, "package");
			dm_json_string(w, d->package);
			if (d->build_depends >= 0) {
				dm_json_key(w, "in-build-depends");
				dm_json_bool(w, d->build_depends);
			}
		}
		dm_json_key(w, "note");
		dm_json_string(w, d->note);
		dm_json_end_object(w);
	}
	dm_json_end_array(w);
	if (v->data_license_unused) {
		dm_json_key(w, "data-license-unused");
		dm_json_bool(w, 1);
	}
	dm_json_key(w, "training");
	dm_json_begin_object(w);
	dm_json_key(w, "program");
	dm_json_string(w, "dh-model-train " DM_VERSION);
	dm_json_key(w, "from-source");
	dm_json_bool(w, 1);
	dm_json_key(w, "policy");
	string_or_null(w, v->policy);
	dm_json_key(w, "within-policy");
	dm_json_bool(w, v->within_policy);
	dm_json_key(w, "within-main");
	dm_json_bool(w, v->within_main);
	dm_json_end_object(w);
	dm_json_key(w, "free-licenses");
	dm_json_begin_object(w);
	dm_json_key(w, "file");
	dm_json_string(w, v->list_name);
	dm_json_key(w, "sha256");
	dm_json_string(w, v->list_sha256);
	dm_json_end_object(w);
	dm_json_end_object(w);
}

static void upstream_metrics(dm_json_writer *w, const dm_upstream *u, const dm_metrics *m)
{
	char key[48];
	dm_json_begin_object(w);
	if (!u->no_loss) {
		snprintf(key, sizeof key, "%s-loss", u->split);
		dm_json_key(w, key);
		dm_json_float(w, m->loss);
	}
	snprintf(key, sizeof key, "%s-%s", u->split, u->classification ? "accuracy" : "rmse");
	dm_json_key(w, key);
	dm_json_float(w, u->classification ? m->accuracy : m->rmse);
	dm_json_end_object(w);
}

static void upstream(dm_json_writer *w, const dm_provenance_in *in)
{
	const dm_upstream *u = in->upstream;
	char key[48];
	if (!u || !u->done)
		return;
	dm_json_key(w, "upstream");
	dm_json_begin_object(w);
	dm_json_key(w, "weights");
	dm_json_string(w, u->path);
	dm_json_key(w, "sha256");
	dm_json_string(w, u->sha256);
	dm_json_key(w, "format");
	dm_json_string(w, u->format);
	dm_json_key(w, "network");
	dm_json_string(w, u->network);
	dm_json_key(w, "parameters");
	dm_json_uint(w, u->parameters);
	if (u->normalization) {
		dm_json_key(w, "normalization");
		dm_json_string(w, u->normalization);
	}
	dm_json_key(w, "split");
	dm_json_string(w, u->split);
	dm_json_key(w, "rows");
	dm_json_uint(w, u->rows);
	dm_json_key(w, "retrained");
	upstream_metrics(w, u, &u->mine);
	dm_json_key(w, "upstream");
	upstream_metrics(w, u, &u->theirs);
	dm_json_key(w, "difference");
	dm_json_begin_object(w);
	if (!u->no_loss) {
		snprintf(key, sizeof key, "%s-loss", u->split);
		dm_json_key(w, key);
		dm_json_float(w, u->mine.loss - u->theirs.loss);
	}
	snprintf(key, sizeof key, "%s-%s", u->split, u->classification ? "accuracy" : "rmse");
	dm_json_key(w, key);
	dm_json_float(w, u->classification ? u->mine.accuracy - u->theirs.accuracy
					   : u->mine.rmse - u->theirs.rmse);
	dm_json_end_object(w);
	if (u->has_max) {
		dm_json_key(w, "max-regression");
		dm_json_begin_object(w);
		dm_json_key(w, "metric");
		snprintf(key, sizeof key, "%s-%s", u->split, u->metric);
		dm_json_string(w, key);
		dm_json_key(w, "allowed");
		dm_json_float(w, u->max_regression);
		dm_json_key(w, "worse-by");
		dm_json_float(w, u->worse_by);
		dm_json_key(w, "result");
		dm_json_string(w, u->pass ? "pass" : "fail");
		dm_json_end_object(w);
	}
	dm_json_end_object(w);
}

/* What dh_auditmodels needs for its audit of the binary package: the
 * recipe's settings, and the Unexplained-Models of the policy that applied
 * (the audit fails the build when either says error). */
static void audit(dm_json_writer *w, const dm_recipe *r, const dm_budget *b)
{
	if (!b && r->unexplained_error < 0 && !r->model_files && !r->not_model_files)
		return;
	dm_json_key(w, "audit");
	dm_json_begin_object(w);
	if (r->unexplained_error >= 0) {
		dm_json_key(w, "unexplained-models");
		dm_json_string(w, r->unexplained_error ? "error" : "warning");
	}
	if (b) {
		dm_json_key(w, "policy-unexplained-models");
		dm_json_string(w, b->policy.unexplained_error ? "error" : "warning");
	}
	if (r->model_files) {
		dm_json_key(w, "model-files");
		dm_json_string(w, r->model_files);
	}
	if (r->not_model_files) {
		dm_json_key(w, "not-model-files");
		dm_json_string(w, r->not_model_files);
	}
	dm_json_end_object(w);
}

/* An MLP's data, network, class names and training. */
static void mlp_sections(dm_json_writer *w, const dm_provenance_in *in)
{
	const dm_recipe *r = in->recipe;
	const dm_prepared *p = in->prepared;
	char net[1024];
	dm_json_key(w, "data");
	dm_json_begin_object(w);
	dm_provenance_data_files(w, p, 1);
	dm_json_key(w, "features");
	dm_json_uint(w, p->train.dim);
	dm_json_key(w, "train-rows");
	dm_json_uint(w, p->ntrain);
	dm_json_key(w, "validation-rows");
	dm_json_uint(w, p->nvalid);
	if (p->have_test) {
		dm_json_key(w, "test-rows");
		dm_json_uint(w, p->test.n);
	}
	dm_json_key(w, "normalize");
	normalization(w, r, p);
	if (p->shift && r->normalize != DM_NORMALIZE_STANDARDIZE) {
		/* the same for every feature: the card states them */
		dm_json_key(w, "input-shift");
		dm_json_float(w, p->shift[0]);
		dm_json_key(w, "input-scale");
		dm_json_float(w, p->scale[0]);
	}
	dm_json_end_object(w);

	dm_network_format(r->layers, r->nlayers, net, sizeof net);
	dm_json_key(w, "network");
	dm_json_begin_object(w);
	dm_json_key(w, "layers");
	dm_json_string(w, net);
	dm_json_key(w, "inputs");
	dm_json_uint(w, in->net->input_dim);
	/* the shape of a sample, which a conv layer reads it as */
	dm_json_key(w, "input-shape");
	dm_json_begin_array(w);
	{
		size_t d;
		for (d = 0; d < in->net->input_shape.ndim; d++)
			dm_json_uint(w, in->net->input_shape.d[d]);
	}
	dm_json_end_array(w);
	dm_json_key(w, "outputs");
	dm_json_uint(w, in->net->output_dim);
	dm_json_key(w, "parameters");
	dm_json_uint(w, in->net->nparams);
	dm_json_end_object(w);

	/* the name of each output, for whatever prints a class */
	if (r->class_names.n) {
		size_t k;
		dm_json_key(w, "class-names");
		dm_json_begin_array(w);
		for (k = 0; k < r->class_names.n; k++)
			dm_json_string(w, r->class_names.v[k]);
		dm_json_end_array(w);
	}

	dm_json_key(w, "training");
	dm_json_begin_object(w);
	dm_json_key(w, "seed");
	dm_json_uint(w, r->train_cfg.seed);
	dm_json_key(w, "loss");
	dm_json_string(w, dm_loss_name(r->train_cfg.loss));
	dm_json_key(w, "optimizer");
	dm_json_string(w, dm_opt_name(r->train_cfg.optim.kind));
	dm_json_key(w, "epochs");
	dm_json_uint(w, in->result->epochs_run);
	dm_json_key(w, "steps");
	dm_json_uint(w, in->result->steps);
	if (r->train_cfg.patience) {
		dm_json_key(w, "stopped-early");
		dm_json_bool(w, in->result->stopped_early);
		dm_json_key(w, "best-epoch");
		dm_json_uint(w, in->result->best_epoch);
	}
	dm_json_key(w, "flop");
	dm_json_uint(w, in->flop);
	dm_json_end_object(w);
}

char *dm_provenance_json(const dm_provenance_in *in, int pretty, dm_error *err)
{
	const dm_recipe *r = in->recipe;
	dm_json_writer w;
	const char *text;
	char hex[65];
	size_t i;
	char *copy;

	dm_json_init(&w, pretty);
	dm_json_begin_object(&w);
	dm_json_key(&w, "format");
	dm_json_string(&w, "dh-model-provenance/1");
	dm_json_key(&w, "model");
	dm_json_string(&w, r->model);
	if (r->description) {
		dm_json_key(&w, "description");
		dm_json_string(&w, r->description);
	}
	/* the weights' licence: the recipe's, or debian/copyright's (the
	 * verdict says which) */
	if (in->verdict ? in->verdict->weights_license != NULL : r->license != NULL) {
		dm_json_key(&w, "license");
		dm_json_string(&w, in->verdict ? in->verdict->weights_license : r->license);
	}
	verdict(&w, in);

	dm_json_key(&w, "recipe");
	dm_json_begin_object(&w);
	dm_json_key(&w, "file");
	dm_json_string(&w, recipe_name(r->file->path));
	dm_json_key(&w, "stanza");
	dm_json_uint(&w, r->index);
	dm_json_key(&w, "fields");
	dm_json_begin_object(&w);
	for (i = 0; i < r->stanza->n; i++) {
		dm_json_key(&w, r->stanza->fields[i].name);
		dm_json_string(&w, r->stanza->fields[i].value);
	}
	dm_json_end_object(&w);
	dm_json_end_object(&w);

	dm_json_key(&w, "trainer");
	dm_json_begin_object(&w);
	dm_json_key(&w, "name");
	dm_json_string(&w, "dh-model-train");
	dm_json_key(&w, "version");
	dm_json_string(&w, DM_VERSION);
	dm_json_key(&w, "numerics");
	dm_json_string(&w, dm_numerics_name(r->numerics));
	if (r->numerics == DM_NUMERICS_OPENBLAS && in->engine) {
		/* the only back-end whose bits depend on the machine: say which */
		dm_json_key(&w, "openblas-core");
		dm_json_string(&w, dm_openblas_core());
		dm_json_key(&w, "openblas-threads");
		dm_json_int(&w, in->engine->threads);
	}
	dm_json_end_object(&w);

	if (in->text)
		dm_ft_provenance_sections(&w, in->text);
	else
		mlp_sections(&w, in);

	budget(&w, in);

	dm_json_key(&w, "metrics");
	dm_json_begin_object(&w);
	for (i = 0; i < in->nmetrics; i++) {
		dm_json_key(&w, in->metrics[i].name);
		dm_json_float(&w, in->metrics[i].value);
	}
	dm_json_end_object(&w);

	upstream(&w, in);
	audit(&w, r, in->budget);

	if (in->ngates) {
		dm_json_key(&w, "expect");
		dm_json_begin_array(&w);
		for (i = 0; i < in->ngates; i++) {
			dm_json_begin_object(&w);
			dm_json_key(&w, "condition");
			dm_json_string(&w, r->expect[i].text);
			dm_json_key(&w, "result");
			dm_json_string(&w, in->gate_pass[i] ? "pass" : "fail");
			dm_json_end_object(&w);
		}
		dm_json_end_array(&w);
	}

	dm_json_key(&w, "tensors");
	dm_json_begin_array(&w);
	for (i = 0; i < in->ntensors; i++) {
		const dm_tensor *t = &in->tensors[i];
		size_t d;
		dm_json_begin_object(&w);
		dm_json_key(&w, "name");
		dm_json_string(&w, t->name);
		dm_json_key(&w, "shape");
		dm_json_begin_array(&w);
		for (d = 0; d < t->ndim; d++)
			dm_json_uint(&w, t->shape[d]);
		dm_json_end_array(&w);
		dm_tensor_sha256(t, hex);
		dm_json_key(&w, "sha256");
		dm_json_string(&w, hex);
		dm_json_end_object(&w);
	}
	dm_json_end_array(&w);

	/* Export:'s files, by their SHA-256: each holds the weights above */
	if (in->nexports) {
		dm_json_key(&w, "exports");
		dm_json_begin_array(&w);
		for (i = 0; i < in->nexports; i++) {
			dm_json_begin_object(&w);
			dm_json_key(&w, "format");
			dm_json_string(&w, in->exports[i].format);
			dm_json_key(&w, "file");
			dm_json_string(&w, in->exports[i].file);
			dm_json_key(&w, "sha256");
			dm_json_string(&w, in->exports[i].sha256);
			dm_json_key(&w, "bytes");
			dm_json_uint(&w, in->exports[i].bytes);
			dm_json_end_object(&w);
		}
		dm_json_end_array(&w);
	}

	if (in->have_source_date) {
		dm_json_key(&w, "source-date-epoch");
		dm_json_uint(&w, in->source_date);
	}
	dm_json_end_object(&w);
	if (!(text = dm_json_finish(&w, NULL, err))) {
		dm_json_free(&w);
		return NULL;
	}
	copy = dm_strdup(text, err);
	dm_json_free(&w);
	return copy;
}
