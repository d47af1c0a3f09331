/* libsvm.c - "label index:value ..." a line, indices from 1 and strictly
 * increasing, '#' to the end of the line a comment.  Read sparse, handed
 * back dense. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/number.h"
#include "base/text.h"
#include "internal.h"

#define MAX_INDEX 0x7FFFFFFFu

typedef struct svm {
	dm_stream *s;
	const dm_data_spec *spec;
	int keep;
	uint64_t line;
	dm_fvec y, val;   /* labels; the values of the nonzeros */
	uint32_t *idx;    /* the index of each nonzero, from 0 */
	size_t *end;      /* per row: one past its last nonzero */
	size_t idxcap, endcap, n;
	uint64_t maxidx;
} svm;

/* P grown to hold NEED elements of SIZE bytes; NULL (P intact) if not. */
static void *grow(void *p, size_t *cap, size_t need, size_t size,
		  dm_error *err)
{
	size_t c = *cap ? *cap : 1024;
	void *q;
	if (need <= *cap)
		return p;
	while (c < need)
		c *= 2;
	if (c > SIZE_MAX / size || !(q = realloc(p, c * size))) {
		dm_fail(err, "out of memory (%zu x %zu bytes)", c, size);
		return NULL;
	}
	*cap = c;
	return q;
}

static char *token(char **p)
{
	char *t;
	while (**p == ' ' || **p == '\t')
		(*p)++;
	if (!**p)
		return NULL;
	t = *p;
	while (**p && **p != ' ' && **p != '\t')
		(*p)++;
	if (**p)
		*(*p)++ = '\0';
	return t;
}

static int fail_line(svm *v, dm_error *err, const char *what, const char *tok)
{
	char shown[48];
	return dm_fail(err, "%s: line %" PRIu64 ": %s'%s'",
		       dm_stream_path(v->s), v->line, what,
		       dm_printable(tok, shown, sizeof shown));
}

static int label(svm *v, const char *tok, dm_error *err)
{
	dm_number_problem bad;
	const char *why;
	char shown[48];
	double l;
	float f;
	if ((bad = dm_number_parse(tok, &l, &f)) == DM_NUMBER_SYNTAX)
		return fail_line(v, err, "expected a label first, got ", tok);
	why = bad ? dm_number_problem_text(bad) :
		    dm_label_problem(l, v->spec->integer_labels);
	if (why)
		return dm_fail(err, "%s: line %" PRIu64 ": label '%s' %s",
			       dm_stream_path(v->s), v->line,
			       dm_printable(tok, shown, sizeof shown), why);
	return v->keep ? dm_fvec_push(&v->y, f, err) : 0;
}

static int pair(svm *v, char *tok, uint64_t *prev, dm_error *err)
{
	const char *path = dm_stream_path(v->s);
	char *colon = strchr(tok, ':');
	dm_number_problem bad;
	uint32_t *idx;
	unsigned long long k;
	float f;
	if (!colon || colon == tok)
		return fail_line(v, err, "expected INDEX:VALUE, got ", tok);
	*colon = '\0';
	for (char *c = tok; *c; c++)
		if (*c < '0' || *c > '9')
			return fail_line(v, err, "expected a feature index, got ",
					 tok);
	k = strtoull(tok, NULL, 10);
	if (k == 0)
		return dm_fail(err, "%s: line %" PRIu64 ": index 0 (indices start "
			       "at 1)", path, v->line);
	if (k > MAX_INDEX)
		return fail_line(v, err, "feature index too large: ", tok);
	if (k <= *prev)
		return dm_fail(err, "%s: line %" PRIu64 ": index %llu after %" PRIu64
			       " (indices must increase)", path, v->line, k, *prev);
	if (v->spec->nfeatures && k > v->spec->nfeatures)
		return dm_fail(err, "%s: line %" PRIu64 ": index %llu, but there "
			       "are %zu features", path, v->line, k,
			       v->spec->nfeatures);
	if ((bad = dm_number_parse(colon + 1, NULL, &f))) {
		char shown[48];
		dm_printable(colon + 1, shown, sizeof shown);
		if (bad == DM_NUMBER_SYNTAX)
			return dm_fail(err, "%s: line %" PRIu64 ": index %llu: "
				       "expected a number, got '%s'", path,
				       v->line, k, shown);
		return dm_fail(err, "%s: line %" PRIu64 ": index %llu: '%s' %s",
			       path, v->line, k, shown,
			       dm_number_problem_text(bad));
	}
	*prev = k;
	if (k > v->maxidx)
		v->maxidx = k;
	if (!v->keep || f == 0)
		return 0;
	idx = grow(v->idx, &v->idxcap, v->val.n + 1, sizeof *v->idx, err);
	if (!idx)
		return -1;
	v->idx = idx;
	idx[v->val.n] = (uint32_t)(k - 1);
	return dm_fvec_push(&v->val, f, err);
}

static int line(svm *v, char *p, dm_error *err)
{
	char *hash = strchr(p, '#'), *tok;
	uint64_t prev = 0;
	if (hash)
		*hash = '\0';
	tok = token(&p);
	if (!tok)
		return 0; /* empty or a comment */
	if (strchr(tok, ':'))
		return fail_line(v, err, "expected a label first, got ", tok);
	if (label(v, tok, err) < 0)
		return -1;
	while ((tok = token(&p)))
		if (pair(v, tok, &prev, err) < 0)
			return -1;
	if (v->keep) {
		size_t *end = grow(v->end, &v->endcap, v->n + 1, sizeof *end, err);
		if (!end)
			return -1;
		v->end = end;
		end[v->n] = v->val.n;
	}
	v->n++;
	return 0;
}

/* The sparse rows into an n x dim matrix. */
static int densify(svm *v, dm_dataset *d, dm_error *err)
{
	size_t k = 0;
	if (d->dim && v->n > SIZE_MAX / d->dim)
		return dm_fail(err, "%s: %zu x %zu values is too large",
			       dm_stream_path(v->s), v->n, d->dim);
	d->x = dm_alloc_floats(v->n * d->dim, err);
	if (!d->x)
		return dm_error_prefix(err, "%s: %zu x %zu dense matrix",
				       dm_stream_path(v->s), v->n, d->dim);
	for (size_t i = 0; i < v->n; i++)
		for (; k < v->end[i]; k++)
			d->x[i * d->dim + v->idx[k]] = v->val.v[k];
	d->y = dm_fvec_take(&v->y, err);
	return d->y ? 0 : -1;
}

int dm_libsvm_read(dm_stream *s, const dm_data_spec *spec, int keep,
		   dm_dataset *d, dm_error *err)
{
	svm v = {.s = s, .spec = spec, .keep = keep};
	char *p;
	size_t len;
	int r;
	while ((r = dm_stream_getline(s, &p, &len, err)) > 0) {
		v.line = dm_stream_lineno(s);
		if ((r = line(&v, p, err)) < 0)
			break;
	}
	if (r == 0 && v.n == 0)
		r = dm_fail(err, "%s: no data rows", dm_stream_path(s));
	if (r == 0 && !spec->nfeatures && !v.maxidx)
		r = dm_fail(err, "%s: no feature index on any line",
			    dm_stream_path(s));
	if (r == 0) {
		d->n = v.n;
		d->dim = spec->nfeatures ? spec->nfeatures : (size_t)v.maxidx;
		if (keep)
			r = densify(&v, d, err);
	}
	dm_fvec_free(&v.y);
	dm_fvec_free(&v.val);
	free(v.idx);
	free(v.end);
	return r < 0 ? -1 : 0;
}
