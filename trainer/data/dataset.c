/* dataset.c - load or probe a dataset: open the files, run the parser,
 * record what was read. */
#include "dataset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

static const char *const format_names[] = {"idx", "csv", "tsv", "libsvm"};

int dm_format_parse(const char *s, dm_format *out)
{
	for (int f = DM_FORMAT_IDX; f <= DM_FORMAT_LIBSVM; f++)
		if (strcasecmp(s, format_names[f]) == 0) {
			*out = (dm_format)f;
			return 0;
		}
	if (strcasecmp(s, "svmlight") == 0) {
		*out = DM_FORMAT_LIBSVM;
		return 0;
	}
	return -1;
}

const char *dm_format_name(dm_format f)
{
	if ((int)f < DM_FORMAT_IDX || f > DM_FORMAT_LIBSVM)
		return "unknown";
	return format_names[f];
}

int dm_fvec_reserve(dm_fvec *f, size_t more, dm_error *err)
{
	size_t cap = f->cap ? f->cap : 1024;
	float *p;
	if (more > SIZE_MAX / sizeof(float) - f->n)
		return dm_fail(err, "out of memory (more than %zu floats)", f->n);
	while (cap < f->n + more)
		cap = cap > SIZE_MAX / sizeof(float) / 2 ? f->n + more : cap * 2;
	if (cap == f->cap)
		return 0;
	p = realloc(f->v, cap * sizeof(float));
	if (!p)
		return dm_fail(err, "out of memory (asked for %zu floats)", cap);
	f->v = p;
	f->cap = cap;
	return 0;
}

float *dm_fvec_take(dm_fvec *f, dm_error *err)
{
	float *x = dm_alloc_floats(f->n, err);
	if (x && f->n)
		memcpy(x, f->v, f->n * sizeof(float));
	dm_fvec_free(f);
	return x;
}

void dm_fvec_free(dm_fvec *f)
{
	free(f->v);
	f->v = NULL;
	f->n = f->cap = 0;
}

const char *dm_label_problem(double v, int integer_labels)
{
	if (!isfinite(v))
		return "is not a finite number";
	if (!integer_labels)
		return NULL;
	if (v != floor(v))
		return "is not an integer (class labels are)";
	if (v < 0)
		return "is negative (class labels start at 0)";
	if (v >= 16777216.0)
		return "is too large (class labels are below 2^24)";
	return NULL;
}

static int check_spec(const dm_data_spec *spec, dm_error *err)
{
	const char *name = dm_format_name(spec->format);
	if (strcmp(name, "unknown") == 0)
		return dm_fail(err, "unknown dataset format %d", (int)spec->format);
	if (!spec->features || !*spec->features)
		return dm_fail(err, "%s dataset: no Dataset path", name);
	if (spec->format == DM_FORMAT_IDX && !spec->no_labels && (!spec->labels || !*spec->labels))
		return dm_fail(err, "%s: IDX needs a separate Labels file",
			       spec->features);
	if (spec->format != DM_FORMAT_IDX && spec->labels)
		return dm_fail(err, "%s: a Labels file is for IDX only; %s keeps "
			       "the label in the data", spec->features, name);
	return 0;
}

/* Close s into the record of the file, hash and all. */
static int record(dm_stream *s, const char *path, dm_file_record *rec,
		  dm_error *err)
{
	rec->bytes = dm_stream_bytes(s);
	rec->path = dm_strdup(path, err);
	if (!rec->path) {
		dm_stream_abort(s);
		return -1;
	}
	return dm_stream_close(s, rec->sha256, err);
}

static int load_idx(const dm_data_spec *spec, dm_dataset *d, dm_error *err)
{
	dm_idx_header h;
	dm_stream *s = dm_stream_open(spec->features, &spec->limits, err);
	if (!s)
		return -1;
	if (dm_idx_header_read(s, &h, err) < 0 ||
	    dm_idx_features_check(s, &h, err) < 0 ||
	    dm_idx_features(s, &h, d, err) < 0) {
		dm_stream_abort(s);
		return -1;
	}
	if (record(s, spec->features, &d->files[d->nfiles++], err) < 0)
		return -1;
	if (spec->no_labels)
		return (d->y = dm_alloc_floats(d->n ? d->n : 1, err)) ? 0 : -1;
	s = dm_stream_open(spec->labels, &spec->limits, err);
	if (!s)
		return -1;
	if (dm_idx_header_read(s, &h, err) < 0 ||
	    dm_idx_labels_check(s, &h, d->n, spec->integer_labels, err) < 0 ||
	    dm_idx_labels(s, &h, d->n, spec->integer_labels, &d->y, err) < 0) {
		dm_stream_abort(s);
		return -1;
	}
	return record(s, spec->labels, &d->files[d->nfiles++], err);
}

static int load_text(const dm_data_spec *spec, dm_dataset *d, dm_error *err)
{
	int r;
	dm_stream *s = dm_stream_open(spec->features, &spec->limits, err);
	if (!s)
		return -1;
	if (spec->format == DM_FORMAT_LIBSVM)
		r = dm_libsvm_read(s, spec, 1, d, err);
	else
		r = dm_csv_read(s, spec, 1, d, err);
	if (r < 0) {
		dm_stream_abort(s);
		return -1;
	}
	return record(s, spec->features, &d->files[d->nfiles++], err);
}

int dm_dataset_load(const dm_data_spec *spec, dm_dataset *out, dm_error *err)
{
	int r;
	memset(out, 0, sizeof *out);
	if (check_spec(spec, err) < 0)
		return -1;
	if (spec->format == DM_FORMAT_IDX)
		r = load_idx(spec, out, err);
	else
		r = load_text(spec, out, err);
	if (r < 0) {
		dm_dataset_free(out);
		return -1;
	}
	if (!out->shape.ndim)
		out->shape = dm_shape_1(out->dim);
	if (spec->integer_labels) {
		float max = 0;
		for (size_t i = 0; i < out->n; i++)
			if (out->y[i] > max)
				max = out->y[i];
		out->nclasses = (size_t)max + 1;
	}
	return 0;
}

static int probe_idx(const dm_data_spec *spec, size_t *n, dm_shape *shape,
		     dm_error *err)
{
	dm_idx_header h;
	dm_stream *s = dm_stream_open(spec->features, &spec->limits, err);
	int r;
	if (!s)
		return -1;
	r = dm_idx_header_read(s, &h, err);
	if (r == 0)
		r = dm_idx_features_check(s, &h, err);
	dm_stream_abort(s);
	if (r < 0)
		return -1;
	*n = h.n;
	*shape = dm_idx_sample_shape(&h);
	s = dm_stream_open(spec->labels, &spec->limits, err);
	if (!s)
		return -1;
	r = dm_idx_header_read(s, &h, err);
	if (r == 0)
		r = dm_idx_labels_check(s, &h, *n, spec->integer_labels, err);
	dm_stream_abort(s);
	return r;
}

int dm_dataset_probe(const dm_data_spec *spec, size_t *n, size_t *dim,
		     dm_error *err)
{
	dm_shape shape;
	dm_checked ck = {0};
	if (dm_dataset_probe_shape(spec, n, &shape, err))
		return -1;
	*dim = (size_t)dm_shape_count(&shape, &ck);
	return 0;
}

int dm_dataset_probe_shape(const dm_data_spec *spec, size_t *n, dm_shape *shape,
			   dm_error *err)
{
	dm_dataset d;
	dm_stream *s;
	int r;
	if (check_spec(spec, err) < 0)
		return -1;
	if (spec->format == DM_FORMAT_IDX)
		return probe_idx(spec, n, shape, err);
	memset(&d, 0, sizeof d);
	s = dm_stream_open(spec->features, &spec->limits, err);
	if (!s)
		return -1;
	if (spec->format == DM_FORMAT_LIBSVM)
		r = dm_libsvm_read(s, spec, 0, &d, err);
	else
		r = dm_csv_read(s, spec, 0, &d, err);
	dm_stream_abort(s);
	if (r < 0)
		return -1;
	*n = d.n;
	*shape = dm_shape_1(d.dim);
	return 0;
}

void dm_dataset_free(dm_dataset *d)
{
	if (!d)
		return;
	free(d->x);
	free(d->y);
	for (int i = 0; i < d->nfiles && i < 2; i++)
		free(d->files[i].path);
	memset(d, 0, sizeof *d);
}
