/* upstream.c - evaluate upstream's weights next to the retrained ones. */
#include "upstream.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "math/fp.h"
#include "output/onnx_read.h"
#include "output/safetensors.h"
#include "provenance/datafile.h"

#define MAX_UPSTREAM (1ull << 32) /* upstream's weights: at most 4 GiB */

/* Raw float32, little-endian: the tensors of the network in order. */
static int load_raw(const char *path, const unsigned char *buf, size_t size, const char *where,
		    dm_net *net, dm_error *err)
{
	size_t want = net->nparams * 4, i;
	if (size != want)
		return dm_fail(err, "%s: %zu bytes, but Upstream-Format raw-f32le with the network "
			       "of %s needs %zu parameters, %zu bytes", path, size, where,
			       net->nparams, want);
	for (i = 0; i < net->nparams; i++) {
		uint32_t u = (uint32_t)buf[4 * i] | (uint32_t)buf[4 * i + 1] << 8 |
			     (uint32_t)buf[4 * i + 2] << 16 | (uint32_t)buf[4 * i + 3] << 24;
		memcpy(&net->params[i], &u, 4);
		if (!isfinite(net->params[i]))
			return dm_fail(err, "%s: parameter %zu (byte %zu) is not a finite number", path,
				       i, 4 * i);
	}
	return 0;
}

/* Safetensors: every tensor of the network by name and shape; besides them
 * only input.shift and input.scale. */
static int load_safetensors(const char *path, const char *where, const dm_safetensors *st,
			    dm_net *net, size_t dim, const float **shift, const float **scale,
			    dm_error *err)
{
	dm_param_tensor *pt;
	size_t np, i, j;
	const dm_tensor *s, *c;
	char have[96], want[96];
	if (!(pt = dm_net_tensor_list(net, &np, err)))
		return -1;
	for (i = 0; i < np; i++) {
		const dm_tensor *t = dm_safetensors_find(st, pt[i].name);
		if (!t) {
			dm_fail(err, "%s: no tensor '%s', which the network of %s needs", path,
				pt[i].name, where);
			goto fail;
		}
		if (!dm_param_tensor_shape_is(&pt[i], t->ndim, t->shape)) {
			dm_shape_text(t->ndim, t->shape, have, sizeof have);
			dm_shape_text(pt[i].ndim, pt[i].shape, want, sizeof want);
			dm_fail(err, "%s: tensor '%s' has shape %s, but the network of %s needs %s",
				path, pt[i].name, have, where, want);
			goto fail;
		}
		for (j = 0; j < t->count; j++)
			if (!isfinite(t->data[j])) {
				dm_fail(err, "%s: tensor '%s': element %zu is not a finite number",
					path, pt[i].name, j);
				goto fail;
			}
		memcpy(net->params + pt[i].offset, t->data, pt[i].count * sizeof(float));
	}
	s = dm_safetensors_find(st, "input.shift");
	c = dm_safetensors_find(st, "input.scale");
	if (!s != !c)
		return dm_fail(err, "%s: has tensor '%s' but not '%s'; a consumer computes "
			       "(x - input.shift) * input.scale", path, s ? "input.shift" : "input.scale",
			       s ? "input.scale" : "input.shift");
	if (s && (s->ndim != 1 || s->count != dim || c->ndim != 1 || c->count != dim)) {
		dm_fail(err, "%s: tensors 'input.shift' and 'input.scale' must have shape "
			"[%zu], the width of the data", path, dim);
		goto fail;
	}
	for (i = 0; i < st->ntensors; i++) {
		const char *name = st->tensors[i].name;
		for (j = 0; j < np; j++)
			if (!strcmp(name, pt[j].name))
				break;
		if (j == np && strcmp(name, "input.shift") && strcmp(name, "input.scale")) {
			dm_fail(err, "%s: tensor '%s' is not part of the network of %s; is "
				"Upstream-Network right?", path, name, where);
			goto fail;
		}
	}
	free(pt);
	*shift = s ? s->data : NULL;
	*scale = c ? c->data : NULL;
	return 0;
fail:
	free(pt);
	return -1;
}

static int same_floats(const float *a, const float *b, size_t n)
{
	return (!a && !b) || (a && b && !memcmp(a, b, n * sizeof *a));
}

static void side_by_side(const char *name, float mine, float theirs, char *buf, size_t size)
{
	size_t len = strlen(buf);
	snprintf(buf + len, size - len, "%s%s %.4f retrained vs %.4f upstream (%+.4f)",
		 len ? "; " : "", name, (double)mine, (double)theirs, (double)(mine - theirs));
}

int dm_upstream_compare(const dm_recipe *r, const dm_prepared *p, dm_net *net,
			const dm_ctx *o, dm_upstream *u, dm_error *err)
{
	const dm_upstream_spec *us = &r->upstream;
	dm_engine *e = NULL;
	dm_net *theirs = NULL;
	dm_safetensors st;
	dm_onnx_import onnx;
	dm_dataset raw;
	dm_rows rows, urows;
	const float *shift = NULL, *scale = NULL;
	float *copy = NULL;
	char where[700], *bytes = NULL;
	size_t nbytes = 0;
	int rc = -1, have_st = 0, have_raw = 0;
	memset(u, 0, sizeof *u);
	memset(&st, 0, sizeof st);
	memset(&onnx, 0, sizeof onnx);
	memset(&raw, 0, sizeof raw);
	if (!us->weights)
		return 0;
	u->path = us->weights;
	u->format = us->format == DM_UPSTREAM_RAW_F32LE ? "raw-f32le"
		    : us->format == DM_UPSTREAM_ONNX ? "onnx" : "safetensors";
	u->classification = dm_loss_is_classification(r->train_cfg.loss);
	dm_network_format(us->layers, us->nlayers, u->network, sizeof u->network);
	snprintf(where, sizeof where, "Upstream-Network (%s, %s line %u)", u->network,
		 r->file->path, dm_recipe_field_line(r, dm_stanza_get(r->stanza, "Upstream-Network")
						       ? "Upstream-Network" : "Network"));
	/* upstream's file is read once: what is evaluated is what was hashed
	 * (a regular file only: a FIFO must not hang the build) */
	if (!(bytes = dm_read_regular(us->weights, MAX_UPSTREAM, &nbytes, u->sha256, err)))
		goto fail_where;
	if (!(e = dm_engine_for(o, r->numerics, err)))
		goto out;
	if (us->format == DM_UPSTREAM_ONNX) { /* the network and its normalisation: the graph's */
		theirs = dm_onnx_upstream(us->weights, bytes, nbytes, &p->input, r->train_cfg.loss,
					  net->output_dim, &onnx, &shift, &scale, u->network,
					  sizeof u->network, err);
		if (!theirs)
			goto fail_where;
	} else if (!(theirs = dm_net_new_shaped(us->layers, us->nlayers, &p->input, 256, err)))
		goto out;
	u->parameters = theirs->nparams;
	if (us->format == DM_UPSTREAM_ONNX) {
		;
	} else if (us->format == DM_UPSTREAM_RAW_F32LE) {
		if (load_raw(us->weights, (const unsigned char *)bytes, nbytes, where, theirs, err))
			goto fail_where;
	} else {
		if (dm_safetensors_parse(us->weights, bytes, nbytes, &st, err))
			goto fail_where;
		have_st = 1;
		if (load_safetensors(us->weights, where, &st, theirs, p->train.dim, &shift, &scale, err))
			goto fail_where;
	}
	if (p->have_test) {
		rows = (dm_rows){p->test.x, p->test.y, p->test.dim, NULL, p->test.n};
		u->split = "test";
	} else {
		rows = (dm_rows){p->train.x, p->train.y, p->train.dim, p->valid_rows, p->nvalid};
		u->split = "validation";
	}
	u->rows = rows.n;
	urows = rows;
	u->normalization = us->format == DM_UPSTREAM_ONNX ? "the graph's own"
			 : shift ? "the file's input.shift and input.scale"
				 : p->shift ? "the recipe's" : "none, as the recipe";
	if (shift && !(same_floats(shift, p->shift, p->train.dim) &&
		       same_floats(scale, p->scale, p->train.dim))) {
		/* upstream normalizes its own way: from the data as read */
		const dm_dataset *src = p->have_test ? &p->test : &p->train;
		size_t i, j, dim = src->dim, n = src->n;
		if (p->shift) {
			if (dm_dataset_load(p->have_test ? &r->test : &r->train, &raw, err))
				goto fail_where;
			have_raw = 1;
			src = &raw;
		}
		if (!(copy = dm_alloc_floats(n * dim, err)))
			goto out;
		for (i = 0; i < n; i++)
			for (j = 0; j < dim; j++)
				copy[i * dim + j] = f_mul(f_sub(src->x[i * dim + j], shift[j]), scale[j]);
		urows.x = copy;
	}
	if (dm_evaluate(net, e, r->train_cfg.loss, &rows, &u->mine, err) ||
	    dm_evaluate(theirs, e, r->train_cfg.loss, &urows, &u->theirs, err))
		goto out;
	u->done = 1;
	u->pass = 1;
	if (us->has_max) {
		const char *m = us->metric;
		float mine = !strcmp(m, "accuracy") ? u->mine.accuracy
			     : !strcmp(m, "rmse") ? u->mine.rmse : u->mine.loss;
		float their = !strcmp(m, "accuracy") ? u->theirs.accuracy
			      : !strcmp(m, "rmse") ? u->theirs.rmse : u->theirs.loss;
		u->has_max = 1;
		u->metric = m;
		u->max_regression = us->max_regression;
		/* accuracy: lower is worse; loss and rmse: higher is worse */
		u->worse_by = !strcmp(m, "accuracy") ? their - mine : mine - their;
		u->pass = !(u->worse_by > us->max_regression);
	}
	if (o->say) {
		char line[2048], cmp[512] = "";
		if (u->classification)
			side_by_side("accuracy", u->mine.accuracy, u->theirs.accuracy, cmp, sizeof cmp);
		else
			side_by_side("rmse", u->mine.rmse, u->theirs.rmse, cmp, sizeof cmp);
		side_by_side("loss", u->mine.loss, u->theirs.loss, cmp, sizeof cmp);
		snprintf(line, sizeof line, "%s: upstream's %s (%s, %zu parameters) on the %zu %s "
			 "rows: %s%s", r->model, u->path, u->network, u->parameters, u->rows, u->split,
			 cmp, !us->has_max ? "" : u->pass ? "; within Upstream-Max-Regression"
						   : "; over Upstream-Max-Regression");
		o->say(o->say_ctx, line);
	}
	if (!u->pass && o->no_expect) {
		char line[1024];
		snprintf(line, sizeof line, "warning: %s: line %u: Upstream-Max-Regression: the "
			 "retrained model is %.4f worse than upstream's on %s, more than the %.6g "
			 "allowed (not fatal: DEB_BUILD_OPTIONS=nocheck or --no-expect)",
			 r->file->path, dm_recipe_field_line(r, "Upstream-Max-Regression"),
			 (double)u->worse_by, u->metric, (double)us->max_regression);
		dm_ctx_tell(o, line);
	}
	if (!u->pass && !o->no_expect) {
		const char *m = u->metric;
		dm_fail_code(err, DM_EXIT_EXPECT, "%s: line %u: Upstream-Max-Regression: the retrained "
			     "model's %s-%s %.4f is %.4f worse than upstream's %.4f (%s), more than the "
			     "%.6g allowed (DEB_BUILD_OPTIONS=nocheck or --no-expect skips the gates)",
			     r->file->path, dm_recipe_field_line(r, "Upstream-Max-Regression"), u->split,
			     m, (double)(!strcmp(m, "accuracy") ? u->mine.accuracy : !strcmp(m, "rmse")
					 ? u->mine.rmse : u->mine.loss), (double)u->worse_by,
			     (double)(!strcmp(m, "accuracy") ? u->theirs.accuracy : !strcmp(m, "rmse")
				      ? u->theirs.rmse : u->theirs.loss), u->path,
			     (double)us->max_regression);
		goto out;
	}
	rc = 0;
	goto out;
fail_where:
	dm_error_prefix(err, "%s: line %u: Upstream-Weights", r->file->path,
			dm_recipe_field_line(r, "Upstream-Weights"));
out:
	free(bytes);
	free(copy);
	if (have_raw)
		dm_dataset_free(&raw);
	if (have_st)
		dm_safetensors_free(&st);
	dm_onnx_import_free(&onnx);
	dm_net_free(theirs);
	dm_engine_free(e);
	return rc;
}
