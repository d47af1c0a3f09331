/* ftuse.c - predict, eval and the magic test for fastText .bin models: the
 * printing around trainer/fasttext/ftpredict.h, in the formats of
 * `fasttext predict`, `predict-prob` and `test`. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/text.h"
#include "job/commands.h"
#include "fasttext/ftbin.h"
#include "fasttext/ftpredict.h"

int dm_is_fasttext_file(const char *path)
{
	const char *why;
	unsigned char head[4];
	FILE *f = dm_fopen_regular(path, &why);
	size_t n;
	if (!f)
		return 0; /* the reader that follows says why */
	n = fread(head, 1, sizeof head, f);
	fclose(f);
	return dm_ft_is_bin(head, n);
}

/* The whole text of path, or of standard input for "-". */
static char *read_text(const char *path, size_t *n, dm_error *err)
{
	size_t cap = 1 << 16, got;
	char *b, *g;
	if (strcmp(path, "-"))
		return dm_read_regular(path, (uint64_t)1 << 40, n, NULL, err);
	*n = 0;
	if (!(b = dm_malloc(cap, err)))
		return NULL;
	while ((got = fread(b + *n, 1, cap - *n, stdin)) > 0) {
		*n += got;
		if (*n == cap) {
			if (!(g = realloc(b, cap *= 2))) {
				free(b);
				return dm_fail(err, "standard input: out of memory"), NULL;
			}
			b = g;
		}
	}
	if (ferror(stdin)) {
		free(b);
		return dm_fail(err, "standard input: read error"), NULL;
	}
	return b;
}

typedef struct loaded {
	dm_ft_model m;
	dm_ft_predictor p;
	char *text;
	size_t n;
	char **labels; /* each label as dm_printable shows it */
} loaded;

static void unload(loaded *l)
{
	int32_t i;
	for (i = 0; l->labels && i < l->m.nlabels; i++)
		free(l->labels[i]);
	free(l->labels);
	free(l->text);
	dm_ft_predictor_free(&l->p);
	dm_ft_free(&l->m);
}

static int load(loaded *l, const char *model, const char *input, dm_error *err)
{
	int32_t i;
	memset(l, 0, sizeof *l);
	if (dm_ft_read(model, &l->m, err))
		return -1;
	if (dm_ft_predictor_init(&l->p, &l->m, model, err) ||
	    !(l->labels = dm_calloc((size_t)l->m.nlabels, sizeof *l->labels, err)))
		goto fail;
	for (i = 0; i < l->m.nlabels; i++) {
		const dm_ft_entry *e = &l->m.entries[l->m.nwords + i];
		if (!(l->labels[i] = dm_malloc(e->len * 4 + 4, err)))
			goto fail;
		dm_printable(e->word, l->labels[i], e->len * 4 + 4);
	}
	if (!(l->text = read_text(input, &l->n, err)))
		goto fail;
	return 0;
fail:
	unload(l);
	return -1;
}

int dm_ft_use_predict(const char *model, const char *input, int k, float threshold, int prob,
		      FILE *out, dm_error *err)
{
	loaded l;
	dm_ft_prediction *pred;
	size_t pos = 0, count, i;
	int rc;
	if (k < 1)
		return dm_fail(err, "k is %d, expected 1 or more", k);
	if (load(&l, model, input, err))
		return -1;
	if (!(pred = dm_calloc((size_t)k, sizeof *pred, err))) {
		unload(&l);
		return -1;
	}
	while ((rc = dm_ft_next_line(&l.p, l.text, l.n, &pos, err)) == 1) {
		if (dm_ft_predict_line(&l.p, k, threshold, pred, &count, err)) {
			rc = -1;
			break;
		}
		for (i = 0; i < count; i++) {
			fprintf(out, "%s%s", i ? " " : "", l.labels[pred[i].label]);
			if (prob)
				fprintf(out, " %g", (double)expf(pred[i].logp));
		}
		fputc('\n', out);
	}
	free(pred);
	unload(&l);
	if (rc < 0)
		return dm_error_prefix(err, "%s", input);
	return 0;
}

int dm_ft_use_eval(const char *model, const char *data, int k, float threshold, FILE *out,
		   dm_error *err)
{
	loaded l;
	dm_ft_test t;
	if (k < 1)
		return dm_fail(err, "k is %d, expected 1 or more", k);
	if (load(&l, model, data, err))
		return -1;
	if (dm_ft_test_text(&l.p, l.text, l.n, k, threshold, &t, err)) {
		unload(&l);
		return dm_error_prefix(err, "%s", data);
	}
	unload(&l);
	/* fastText's `test`: N, then precision and recall at k to 3 digits */
	fprintf(out, "N\t%lld\n", (long long)t.examples);
	fprintf(out, "P@%d\t%.3g\n", k, (double)t.predicted_gold / (double)t.predicted);
	fprintf(out, "R@%d\t%.3g\n", k, (double)t.predicted_gold / (double)t.gold);
	return 0;
}
