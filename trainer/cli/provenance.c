/* provenance.c - write the provenance record. */
#include "provenance.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/sha256.h"
#include "base/version.h"
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

static void files(dm_json_writer *w, const dm_dataset *d)
{
	int i;
	dm_json_begin_array(w);
	for (i = 0; i < d->nfiles; i++) {
		dm_json_begin_object(w);
		dm_json_key(w, "path");
		dm_json_string(w, d->files[i].path);
		dm_json_key(w, "sha256");
		dm_json_string(w, d->files[i].sha256);
		dm_json_key(w, "decompressed-bytes");
		dm_json_uint(w, d->files[i].bytes);
		dm_json_end_object(w);
	}
	dm_json_end_array(w);
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

char *dm_provenance_json(const dm_provenance_in *in, int pretty, dm_error *err)
{
	const dm_recipe *r = in->recipe;
	const dm_prepared *p = in->prepared;
	dm_json_writer w;
	const char *sde = getenv("SOURCE_DATE_EPOCH"), *text;
	char net[1024], hex[65];
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
	if (r->license) {
		dm_json_key(&w, "license");
		dm_json_string(&w, r->license);
	}

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
	if (r->numerics == DM_NUMERICS_OPENBLAS) {
		/* the only back-end whose bits depend on the machine: say which */
		dm_json_key(&w, "openblas-core");
		dm_json_string(&w, dm_openblas_core());
		dm_json_key(&w, "openblas-threads");
		dm_json_int(&w, in->engine->threads);
	}
	dm_json_end_object(&w);

	dm_json_key(&w, "data");
	dm_json_begin_object(&w);
	dm_json_key(&w, "train");
	files(&w, &p->train);
	if (p->have_test) {
		dm_json_key(&w, "test");
		files(&w, &p->test);
	}
	dm_json_key(&w, "features");
	dm_json_uint(&w, p->train.dim);
	dm_json_key(&w, "train-rows");
	dm_json_uint(&w, p->ntrain);
	dm_json_key(&w, "validation-rows");
	dm_json_uint(&w, p->nvalid);
	if (p->have_test) {
		dm_json_key(&w, "test-rows");
		dm_json_uint(&w, p->test.n);
	}
	dm_json_key(&w, "normalize");
	normalization(&w, r, p);
	dm_json_end_object(&w);

	dm_network_format(r->layers, r->nlayers, net, sizeof net);
	dm_json_key(&w, "network");
	dm_json_begin_object(&w);
	dm_json_key(&w, "layers");
	dm_json_string(&w, net);
	dm_json_key(&w, "inputs");
	dm_json_uint(&w, in->net->input_dim);
	dm_json_key(&w, "outputs");
	dm_json_uint(&w, in->net->output_dim);
	dm_json_key(&w, "parameters");
	dm_json_uint(&w, in->net->nparams);
	dm_json_end_object(&w);

	dm_json_key(&w, "training");
	dm_json_begin_object(&w);
	dm_json_key(&w, "seed");
	dm_json_uint(&w, r->train_cfg.seed);
	dm_json_key(&w, "loss");
	dm_json_string(&w, dm_loss_name(r->train_cfg.loss));
	dm_json_key(&w, "optimizer");
	dm_json_string(&w, dm_opt_name(r->train_cfg.optim.kind));
	dm_json_key(&w, "epochs");
	dm_json_uint(&w, in->result->epochs_run);
	dm_json_key(&w, "steps");
	dm_json_uint(&w, in->result->steps);
	if (r->train_cfg.patience) {
		dm_json_key(&w, "stopped-early");
		dm_json_bool(&w, in->result->stopped_early);
		dm_json_key(&w, "best-epoch");
		dm_json_uint(&w, in->result->best_epoch);
	}
	dm_json_key(&w, "flop");
	dm_json_uint(&w, in->flop);
	dm_json_end_object(&w);

	budget(&w, in);

	dm_json_key(&w, "metrics");
	dm_json_begin_object(&w);
	for (i = 0; i < in->nmetrics; i++) {
		dm_json_key(&w, in->metrics[i].name);
		dm_json_float(&w, in->metrics[i].value);
	}
	dm_json_end_object(&w);

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

	if (sde && *sde && strspn(sde, "0123456789") == strlen(sde) && strlen(sde) < 20) {
		dm_json_key(&w, "source-date-epoch");
		dm_json_uint(&w, strtoull(sde, NULL, 10));
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

/* ---- the pending weights file, for the signal handler ---- */

static char pending[4096];
static volatile sig_atomic_t have_pending;

void dm_output_pending(const char *path)
{
	have_pending = 0;
	if (path) {
		snprintf(pending, sizeof pending, "%s", path);
		have_pending = 1;
	}
}

void dm_output_pending_cleanup(void)
{
	if (have_pending)
		unlink(pending);
}
