/* inspect.c - print what a weights file holds, and model cards.  The file
 * may come from anyone: every name and value it holds is printed through
 * dm_printable, so that it cannot send control sequences to a terminal.
 * A fastText .bin (known by its magic number) shows its args, dictionary
 * sizes and labels, and its two matrices. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "job/commands.h"
#include "fasttext/ftbin.h"
#include "fasttext/vectors.h"
#include "output/card.h"
#include "output/onnx_read.h"
#include "output/safetensors.h"

/* s as dm_printable shows it, whole, into a buffer kept for the next call. */
static const char *shown(const char *s, char **buf, size_t *cap, dm_error *err)
{
	size_t need = strlen(s) + 4;
	if (need > *cap) {
		char *b = realloc(*buf, need);
		if (!b)
			return dm_fail(err, "out of memory (asked for %zu bytes)", need), NULL;
		*buf = b;
		*cap = need;
	}
	return dm_printable(s, *buf, *cap);
}

static int inspect_fasttext(const char *path, FILE *out, dm_error *err)
{
	dm_ft_model m;
	const dm_ft_args *a = &m.args;
	char shown[256];
	int32_t i;
	if (dm_ft_read(path, &m, err))
		return -1;
	fprintf(out, "%s: fastText model (format version %d), %s, loss %s\n", path, (int)m.version,
		dm_ft_model_name(a->model), dm_ft_loss_name(a->loss));
	fprintf(out, "args: dim %d, ws %d, epoch %d, minCount %d, neg %d, wordNgrams %d, "
		"bucket %d, minn %d, maxn %d, lrUpdateRate %d, t %g\n",
		(int)a->dim, (int)a->ws, (int)a->epoch, (int)a->min_count, (int)a->neg,
		(int)a->word_ngrams, (int)a->bucket, (int)a->minn, (int)a->maxn,
		(int)a->lr_update_rate, a->t);
	fprintf(out, "dictionary: %d entries: %d words, %d labels; %lld tokens\n", (int)m.size,
		(int)m.nwords, (int)m.nlabels, (long long)m.ntokens);
	if (m.nlabels)
		fprintf(out, "labels (count):\n");
	for (i = m.nwords; i < m.size && i < m.nwords + 20; i++)
		fprintf(out, "  %-24s %lld\n", dm_printable(m.entries[i].word, shown, sizeof shown),
			(long long)m.entries[i].count);
	if (m.nlabels > 20)
		fprintf(out, "  ... and %d more labels\n", (int)m.nlabels - 20);
	fprintf(out, "matrices:\n");
	fprintf(out, "  %-24s F32 [%lld, %lld]\n", "input", (long long)m.input.m, (long long)m.input.n);
	fprintf(out, "  %-24s F32 [%lld, %lld]\n", "output", (long long)m.output.m,
		(long long)m.output.n);
	fprintf(out, "parameters: %llu\n",
		(unsigned long long)(m.input.m * m.input.n + m.output.m * m.output.n));
	dm_ft_free(&m);
	return 0;
}

int dm_inspect_neighbours(const char *path, char **words, int n, FILE *out, dm_error *err)
{
	dm_ft_model m;
	dm_text_dict d;
	dm_ftv_neighbour best[10];
	char shown[256];
	size_t count;
	int rc = -1;
	if (!dm_is_fasttext_file(path))
		return dm_fail(err, "%s: words given, expected a fastText .bin of word vectors", path);
	if (dm_ft_read(path, &m, err))
		return -1;
	if (m.args.model == DM_FT_MODEL_SUPERVISED || dm_ftv_dict_from_model(&m, &d, err)) {
		if (m.args.model == DM_FT_MODEL_SUPERVISED)
			dm_fail(err, "%s: a supervised model; nearest neighbours need skipgram or cbow", path);
		dm_ft_free(&m);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (dm_ftv_nearest(&d, m.input.data, m.args.dim, words[i], strlen(words[i]), 10, best,
				   &count, err))
			goto out;
		fprintf(out, "nearest to %s:\n", dm_printable(words[i], shown, sizeof shown));
		for (size_t k = 0; k < count; k++)
			fprintf(out, "  %-24s %.4f\n", dm_printable(d.e[best[k].id].word, shown, sizeof shown),
				(double)best[k].sim);
	}
	rc = 0;
out:
	dm_text_dict_free(&d);
	dm_ft_free(&m);
	return rc;
}

int dm_inspect(const char *path, FILE *out, dm_error *err)
{
	dm_safetensors st;
	size_t i, d, params, constants, cap = 0;
	char *buf = NULL;
	const char *a, *b;
	int rc = -1;
	dm_onnx_import onnx;
	char line[1600];
	if (dm_is_fasttext_file(path))
		return inspect_fasttext(path, out, err);
	if (dm_is_onnx_path(path)) { /* its layers, then its tensors as ours */
		if (dm_onnx_read_file(path, &onnx, NULL, err))
			return -1;
		dm_onnx_summary(&onnx, line, sizeof line);
		fprintf(out, "%s: %s\n", path, line);
		st = onnx.st;
		memset(&onnx.st, 0, sizeof onnx.st);
		dm_onnx_import_free(&onnx);
	} else if (dm_safetensors_read(path, &st, err))
		return -1;
	fprintf(out, "%s: %zu tensors\n", path, st.ntensors);
	for (i = 0; i < st.ntensors; i++) {
		const dm_tensor *t = &st.tensors[i];
		if (!(a = shown(t->name, &buf, &cap, err)))
			goto out;
		fprintf(out, "  %-24s F32 [", a);
		for (d = 0; d < t->ndim; d++)
			fprintf(out, "%s%zu", d ? ", " : "", t->shape[d]);
		fprintf(out, "]%s\n", dm_tensor_is_constant(t->name) ? "  (constant)" : "");
	}
	/* the count the card and the provenance give (output/safetensors.h) */
	dm_safetensors_count(&st, &params, &constants);
	fprintf(out, "parameters: %zu\n", params);
	if (constants) {
		int input = 0, stats = 0;
		for (i = 0; i < st.ntensors; i++)
			if (dm_tensor_is_constant(st.tensors[i].name))
				*(!strncmp(st.tensors[i].name, "input.", 6) ? &input : &stats) = 1;
		fprintf(out, "constants: %zu (%s%s%s; not trained)\n", constants,
			input ? "input.shift and input.scale, the normalisation" : "",
			input && stats ? ", and " : "",
			stats ? "batchnorm's running statistics" : "");
	}
	fprintf(out, "metadata: %zu entries\n", st.nmeta);
	for (i = 0; i < st.nmeta; i++) {
		if (!(a = shown(st.meta[i].key, &buf, &cap, err)))
			goto out;
		fprintf(out, "  %s: ", a);
		if (!(b = shown(st.meta[i].value, &buf, &cap, err)))
			goto out;
		fprintf(out, "%s\n", b);
	}
	rc = 0;
out:
	free(buf);
	dm_safetensors_free(&st);
	return rc;
}

int dm_card(const char *json_path, FILE *out, dm_error *err)
{
	char *md = dm_card_from_file(json_path, err);
	if (!md)
		return -1;
	fputs(md, out);
	free(md);
	return 0;
}
