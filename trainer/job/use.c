/* use.c - predict and eval from a weights file and its provenance. */
#include "use.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "math/fmath.h"
#include "math/fp.h"
#include "math/gemm.h"
#include "model/train.h"
#include "output/json.h"
#include "output/safetensors.h"
#include "provenance/record.h"
#include "recipe/recipe.h"

typedef struct model {
	dm_safetensors st;
	dm_record rec;
	dm_recipes rs;
	const dm_recipe *r;
	dm_json *names;          /* the "dh-model.class-names" array, or NULL */
	const float *shift, *scale;
	size_t inputs;           /* of the network: its first layer's width */
	int have_st, have_rec, have_rs;
} model;

/* the classes a classifier tells apart: binary-cross-entropy's one output
 * gives 2 */
static size_t classes_of(const dm_recipe *r)
{
	return r->train_cfg.loss == DM_LOSS_BCE ? 2 : dm_network_outputs(r->layers, r->nlayers);
}

static void model_free(model *m)
{
	if (m->have_rs)
		dm_recipes_free(&m->rs);
	if (m->have_rec)
		dm_record_free(&m->rec);
	if (m->have_st)
		dm_safetensors_free(&m->st);
	dm_json_delete(m->names);
}

/* The weights, their provenance, and the recipe recorded in it (data
 * files are not opened: only the format and the network are used). */
static int model_open(const char *path, model *m, dm_error *err)
{
	char where[4200];
	char *text;
	const char *names;
	const dm_tensor *t;
	memset(m, 0, sizeof *m);
	if (dm_safetensors_read(path, &m->st, err))
		return -1;
	m->have_st = 1;
	if (dm_record_of_weights(path, &m->st, &m->rec, err))
		return -1;
	m->have_rec = 1;
	if (!(text = dm_record_recipe(&m->rec, NULL, DM_RECIPE_NO_UPSTREAM, err)))
		return dm_error_prefix(err, "%s", path);
	snprintf(where, sizeof where, "%.4000s (the recipe in its provenance)", path);
	if (dm_recipes_parse(where, text, strlen(text), &m->rs, err)) {
		free(text);
		return -1;
	}
	free(text);
	m->have_rs = 1;
	m->r = &m->rs.v[0];
	if ((names = dm_safetensors_meta(&m->st, "dh-model.class-names"))) {
		size_t i;
		if (!(m->names = dm_json_parse(names, strlen(names), err)))
			return dm_error_prefix(err, "%s: metadata dh-model.class-names", path);
		if (m->names->type != DM_JSON_ARRAY ||
		    m->names->len != classes_of(m->r))
			return dm_fail(err, "%s: metadata dh-model.class-names is not an array of one "
				       "name per class", path);
		for (i = 0; i < m->names->len; i++)
			if (m->names->items[i].type != DM_JSON_STRING)
				return dm_fail(err, "%s: metadata dh-model.class-names: item %zu is not "
					       "a string", path, i + 1);
	}
	if ((t = dm_safetensors_find(&m->st, "input.shift")))
		m->shift = t->data;
	if ((t = dm_safetensors_find(&m->st, "input.scale")))
		m->scale = t->data;
	if (!m->shift != !m->scale)
		return dm_fail(err, "%s: input.shift without input.scale, or the other way round",
			       path);
	return 0;
}

/* The data spec of the recorded recipe, for another file. */
static int data_spec(const model *m, const char *file, const dm_use_opts *o, int no_labels,
		     dm_data_spec *spec, dm_error *err)
{
	*spec = m->r->train;
	spec->features = file;
	spec->labels = o->labels;
	spec->no_labels = no_labels;
	if (no_labels) {
		spec->labels = NULL;
		spec->integer_labels = 0;  /* a label column is read, not used */
	}
	if (o->format && dm_format_parse(o->format, &spec->format))
		return dm_fail(err, "--format: expected idx, csv, tsv or libsvm, got '%s'", o->format);
	if (spec->format != DM_FORMAT_IDX)
		spec->labels = NULL;
	else if (!no_labels && !spec->labels)
		return dm_fail(err, "%s: IDX data; eval needs its labels file too (--labels FILE)",
			       file);
	return 0;
}

/* Load FILE as the model's data; for predict, CSV/TSV rows may hold the
 * features only, or the features and the label column as in training. */
static int load(const model *m, const char *file, const dm_use_opts *o, int predict,
		dm_dataset *d, dm_error *err)
{
	dm_data_spec spec;
	if (data_spec(m, file, o, predict, &spec, err))
		return -1;
	if (predict && spec.format == DM_FORMAT_LIBSVM)
		spec.no_labels = 0;  /* libsvm lines start with a label, as svm-predict's */
	if (dm_dataset_load(&spec, d, err))
		return -1;
	if (predict && spec.no_labels && (spec.format == DM_FORMAT_CSV || spec.format == DM_FORMAT_TSV) &&
	    d->dim == m->inputs + 1) {
		dm_dataset_free(d);
		spec.no_labels = 0;
		return dm_dataset_load(&spec, d, err);
	}
	return 0;
}

/* The network with the file's tensors, and the data normalized as in
 * training (x - shift) * scale, the same float operations. */
static dm_net *network(const char *path, model *m, dm_dataset *d, dm_error *err)
{
	dm_shape shape;
	dm_net *net;
	dm_param_tensor *pt;
	size_t np, i, j;
	char have[96], want[96];
	if (dm_recipe_input_shape(m->r, &d->shape, &shape, err))
		return NULL;
	if (!(net = dm_net_new_shaped(m->r->layers, m->r->nlayers, &shape, 256, err)))
		return NULL;
	if (!(pt = dm_net_tensor_list(net, &np, err))) {
		dm_net_free(net);
		return NULL;
	}
	for (i = 0; i < np; i++) {
		const dm_tensor *t = dm_safetensors_find(&m->st, pt[i].name);
		if (!t || !dm_param_tensor_shape_is(&pt[i], t->ndim, t->shape)) {
			if (t)
				dm_shape_text(t->ndim, t->shape, have, sizeof have);
			dm_shape_text(pt[i].ndim, pt[i].shape, want, sizeof want);
			dm_fail(err, "%s: tensor '%s' %s%s, but its network needs %s", path,
				pt[i].name, t ? "has shape " : "is missing", t ? have : "", want);
			free(pt);
			dm_net_free(net);
			return NULL;
		}
		memcpy(net->params + pt[i].offset, t->data, pt[i].count * sizeof(float));
	}
	free(pt);
	if (m->shift) {
		const dm_tensor *t = dm_safetensors_find(&m->st, "input.shift");
		if (t->count != d->dim) {
			dm_fail(err, "%s: input.shift has %zu values, but the data has %zu features",
				path, t->count, d->dim);
			dm_net_free(net);
			return NULL;
		}
		for (i = 0; i < d->n; i++)
			for (j = 0; j < d->dim; j++) {
				float *x = d->x + i * d->dim + j;
				*x = f_mul(f_sub(*x, m->shift[j]), m->scale[j]);
			}
	}
	return net;
}

/* Output of a row: the class (first largest logit; BCE: logit > 0, as
 * the accuracy counts it), or the value. */
static size_t class_of(const model *m, const float *z, size_t C)
{
	size_t c, best = 0;
	if (m->r->train_cfg.loss == DM_LOSS_BCE)
		return z[0] > 0;
	for (c = 1; c < C; c++)
		if (z[c] > z[best])
			best = c;
	return best;
}

typedef int (*row_fn)(void *ctx, const model *m, const float *z, size_t C, float y, dm_error *err);
typedef void (*end_fn)(void *ctx, const model *m, const dm_metrics *metrics);

/* fn for each row's outputs, then end (when set) with the metrics. */
static int each_row(const char *path, const char *file, const dm_use_opts *o, int predict,
		    row_fn fn, end_fn end, void *ctx, dm_metrics *metrics, dm_error *err)
{
	model m;
	dm_dataset d;
	dm_engine *e = NULL;
	dm_net *net = NULL;
	size_t first;
	int rc = -1;
	memset(&d, 0, sizeof d);
	if (model_open(path, &m, err))
		goto out;
	{
		dm_json *net_rec = (dm_json *)dm_json_get(m.rec.json, "network");
		const dm_json *in = net_rec ? dm_json_get(net_rec, "inputs") : NULL;
		m.inputs = in && in->type == DM_JSON_NUMBER ? (size_t)in->number : 0;
	}
	if (load(&m, file, o, predict, &d, err) ||
	    !(net = network(path, &m, &d, err)) ||
	    !(e = dm_engine_new(m.r->numerics, o->threads, err)))
		goto out;
	e->kernel = (dm_kernel)o->kernel;
	if (metrics) {
		dm_rows rows = {d.x, d.y, d.dim, NULL, d.n};
		if (dm_evaluate(net, e, m.r->train_cfg.loss, &rows, metrics, err))
			goto out;
	}
	for (first = 0; first < d.n; first += net->max_batch) {
		size_t b = d.n - first < net->max_batch ? d.n - first : net->max_batch, i;
		const float *z = dm_net_forward(net, e, d.x + first * d.dim, b, 0, NULL);
		for (i = 0; i < b; i++)
			if (fn(ctx, &m, z + i * net->output_dim, net->output_dim, d.y[first + i], err))
				goto out;
	}
	if (end)
		end(ctx, &m, metrics);
	rc = 0;
out:
	dm_net_free(net);
	dm_engine_free(e);
	dm_dataset_free(&d);
	model_free(&m);
	return rc;
}

static const char *class_name(const model *m, size_t c, char *buf, size_t size)
{
	if (m->names)
		return m->names->items[c].string;
	snprintf(buf, size, "%zu", c);
	return buf;
}

/* softmax (z - max: as the loss computes it), or BCE's sigmoid, one line */
static int probabilities_row(const dm_use_opts *o, const model *m, const float *z, size_t C,
			     dm_error *err)
{
	char *line = malloc(C * 20 + 1);
	float mx = z[0], s = 0.0f;
	size_t c, len = 0;
	if (!line)
		return dm_fail(err, "out of memory");
	if (m->r->train_cfg.loss == DM_LOSS_BCE) {
		snprintf(line, 20, "%.9g", (double)dm_sigmoidf(z[0]));
	} else {
		for (c = 1; c < C; c++)
			if (z[c] > mx)
				mx = z[c];
		for (c = 0; c < C; c++)
			s = f_add(s, dm_expf(f_sub(z[c], mx)));
		for (c = 0; c < C; c++)
			len += (size_t)snprintf(line + len, 20, "%s%.9g", c ? " " : "",
						(double)f_div(dm_expf(f_sub(z[c], mx)), s));
	}
	o->say(o->say_ctx, line);
	free(line);
	return 0;
}

static int predict_row(void *ctx, const model *m, const float *z, size_t C, float y,
		       dm_error *err)
{
	const dm_use_opts *o = ctx;
	char buf[64];
	(void)y;
	if (o->probabilities && dm_loss_is_classification(m->r->train_cfg.loss))
		return probabilities_row(o, m, z, C, err);
	if (!dm_loss_is_classification(m->r->train_cfg.loss)) {
		snprintf(buf, sizeof buf, "%.9g", (double)z[0]);
		o->say(o->say_ctx, buf);
	} else {
		o->say(o->say_ctx, class_name(m, class_of(m, z, C), buf, sizeof buf));
	}
	return 0;
}

int dm_use_predict(const char *model_path, const char *input, const dm_use_opts *o,
		   dm_error *err)
{
	return each_row(model_path, input, o, 1, predict_row, NULL, (void *)o, NULL, err);
}

typedef struct tally {
	const dm_use_opts *o;
	size_t *right, *total;   /* per class */
	size_t classes;
} tally;

static int tally_row(void *ctx, const model *m, const float *z, size_t C, float y, dm_error *err)
{
	tally *t = ctx;
	(void)m, (void)err;
	if (t->classes && y >= 0 && (size_t)y < t->classes) {
		t->total[(size_t)y]++;
		t->right[(size_t)y] += class_of(m, z, C) == (size_t)y;
	}
	return 0;
}

static void tally_end(void *ctx, const model *m, const dm_metrics *mt)
{
	tally *t = ctx;
	char line[512], buf[64];
	size_t c;
	if (t->classes)
		snprintf(line, sizeof line, "%s: loss %.6f accuracy %.6f (%zu rows)", m->r->model,
			 (double)mt->loss, (double)mt->accuracy, mt->n);
	else
		snprintf(line, sizeof line, "%s: loss %.6f rmse %.6f (%zu rows)", m->r->model,
			 (double)mt->loss, (double)mt->rmse, mt->n);
	t->o->say(t->o->say_ctx, line);
	for (c = 0; c < t->classes; c++) {
		snprintf(line, sizeof line, "  %zu %s: %zu of %zu right", c,
			 class_name(m, c, buf, sizeof buf), t->right[c], t->total[c]);
		t->o->say(t->o->say_ctx, line);
	}
}

int dm_use_eval(const char *model_path, const char *data, const dm_use_opts *o, dm_error *err)
{
	dm_metrics mt;
	tally t = {o, NULL, NULL, 0};
	model m;
	int rc;
	/* the number of classes, for the per-class counts */
	if (model_open(model_path, &m, err)) {
		model_free(&m);
		return -1;
	}
	if (dm_loss_is_classification(m.r->train_cfg.loss))
		t.classes = classes_of(m.r);
	model_free(&m);
	if (t.classes && (!(t.right = calloc(t.classes, sizeof *t.right)) ||
			  !(t.total = calloc(t.classes, sizeof *t.total)))) {
		free(t.right);
		return dm_fail(err, "out of memory");
	}
	rc = each_row(model_path, data, o, 0, tally_row, tally_end, &t, &mt, err);
	free(t.right);
	free(t.total);
	return rc;
}
