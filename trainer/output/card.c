/* card.c - render the model card from the provenance record alone, so that
 * anyone holding NAME.json can regenerate the card and check it. */
#include "card.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

typedef struct sbuf {
	char *s;
	size_t len, cap;
	int oom;
} sbuf;

__attribute__((format(printf, 2, 3)))
static void put(sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if (b->s && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t cap = (b->cap + (size_t)n + 1) * 2;
			char *s = realloc(b->s, cap);
			if (!s) {
				b->oom = 1;
				return;
			}
			b->s = s, b->cap = cap;
		}
	}
}

static const char *str(const dm_json *obj, const char *key)
{
	const dm_json *v = obj ? dm_json_get(obj, key) : NULL;
	return v && v->type == DM_JSON_STRING ? v->string : NULL;
}

static int num(const dm_json *obj, const char *key, double *out)
{
	const dm_json *v = obj ? dm_json_get(obj, key) : NULL;
	if (!v || v->type != DM_JSON_NUMBER)
		return 0;
	*out = v->number;
	return 1;
}

static const char *or_dash(const char *s)
{
	return s ? s : "-";
}

/* Table cells may not hold '|' or newlines. */
static void cell(sbuf *b, const char *s)
{
	for (; s && *s; s++)
		if (*s == '|')
			put(b, "\\|");
		else if (*s == '\n')
			put(b, " ");
		else
			put(b, "%c", *s);
}

static void data_rows(sbuf *b, const char *part, const dm_json *arr)
{
	size_t i;
	if (!arr || arr->type != DM_JSON_ARRAY)
		return;
	for (i = 0; i < arr->len; i++) {
		const dm_json *f = &arr->items[i];
		double bytes = 0;
		put(b, "| %s | `", part);
		cell(b, or_dash(str(f, "path")));
		put(b, "` | `%s` |", or_dash(str(f, "sha256")));
		if (num(f, "decompressed-bytes", &bytes))
			put(b, " %.0f |\n", bytes);
		else
			put(b, " - |\n");
	}
}

char *dm_card_markdown(const char *path, const char *text, size_t n, dm_error *err)
{
	dm_json *doc = dm_json_parse(text, n, err);
	const dm_json *recipe, *trainer, *data, *net, *training, *metrics, *expect,
		*tensors, *fields;
	const char *model, *numerics;
	sbuf b = {NULL, 0, 0, 0};
	double v, v2;
	size_t i;
	if (!doc)
		return dm_error_prefix(err, "%s", path), NULL;
	if (doc->type != DM_JSON_OBJECT || !str(doc, "format") ||
	    strcmp(str(doc, "format"), "dh-model-provenance/1") || !(model = str(doc, "model"))) {
		dm_json_delete(doc);
		dm_fail(err, "%s: not a dh-model provenance record (expected \"format\": "
			"\"dh-model-provenance/1\" and a \"model\")", path);
		return NULL;
	}
	recipe = dm_json_get(doc, "recipe");
	trainer = dm_json_get(doc, "trainer");
	data = dm_json_get(doc, "data");
	net = dm_json_get(doc, "network");
	training = dm_json_get(doc, "training");
	metrics = dm_json_get(doc, "metrics");
	expect = dm_json_get(doc, "expect");
	tensors = dm_json_get(doc, "tensors");
	numerics = str(trainer, "numerics");

	put(&b, "# Model card: %s\n\n", model);
	if (str(doc, "description"))
		put(&b, "%s\n\n", str(doc, "description"));
	put(&b, "| | |\n|---|---|\n");
	put(&b, "| Licence of the weights | ");
	cell(&b, or_dash(str(doc, "license")));
	put(&b, " |\n| Trainer | %s %s, numerics %s |\n", or_dash(str(trainer, "name")),
	    or_dash(str(trainer, "version")), or_dash(numerics));
	put(&b, "| Recipe | `");
	cell(&b, or_dash(str(recipe, "file")));
	put(&b, "`, stanza %.0f |\n", num(recipe, "stanza", &v) ? v : 0);
	put(&b, "| Network | ");
	cell(&b, or_dash(str(net, "layers")));
	if (num(net, "parameters", &v) && num(net, "inputs", &v2))
		put(&b, " (%.0f parameters, %.0f inputs)", v, v2);
	put(&b, " |\n| Training | %s, %s", or_dash(str(training, "optimizer")),
	    or_dash(str(training, "loss")));
	if (num(training, "epochs", &v) && num(training, "steps", &v2))
		put(&b, ", %.0f epochs, %.0f steps", v, v2);
	if (num(training, "seed", &v))
		put(&b, ", seed %.0f", v);
	put(&b, " |\n");
	if (num(training, "flop", &v))
		put(&b, "| Compute | %.3g floating-point operations |\n", v);
	put(&b, "\n## Data\n\n| Part | File | SHA-256 | Decompressed bytes |\n|---|---|---|---|\n");
	data_rows(&b, "train", data ? dm_json_get(data, "train") : NULL);
	data_rows(&b, "test", data ? dm_json_get(data, "test") : NULL);
	if (num(data, "train-rows", &v))
		put(&b, "\n%.0f training rows", v);
	if (num(data, "validation-rows", &v) && v > 0)
		put(&b, ", %.0f validation rows", v);
	if (num(data, "test-rows", &v))
		put(&b, ", %.0f test rows", v);
	if (num(data, "features", &v))
		put(&b, "; %.0f features", v);
	if (str(data, "normalize"))
		put(&b, "; normalization: %s", str(data, "normalize"));
	put(&b, ".\n");

	put(&b, "\n## Metrics\n\n| Metric | Value |\n|---|---|\n");
	for (i = 0; metrics && metrics->type == DM_JSON_OBJECT && i < metrics->len; i++)
		if (metrics->items[i].type == DM_JSON_NUMBER)
			put(&b, "| %s | %.4f |\n", metrics->keys[i], metrics->items[i].number);
	if (expect && expect->type == DM_JSON_ARRAY && expect->len) {
		put(&b, "\n## Quality gates\n\n");
		for (i = 0; i < expect->len; i++)
			put(&b, "- `%s`: %s\n", or_dash(str(&expect->items[i], "condition")),
			    or_dash(str(&expect->items[i], "result")));
	}

	put(&b, "\n## Reproducibility\n\n");
	if (numerics && !strcmp(numerics, "portable"))
		put(&b, "Trained with the portable numerics: the same recipe, data and seed give "
			"bit-identical weights on every architecture, CPU and thread count. The "
			"SHA-256 of each tensor is below.\n");
	else
		put(&b, "Trained with OpenBLAS (core %s, %s threads): the weights are reproducible "
			"only on the same CPU core type with the same thread count.\n",
		    or_dash(str(trainer, "openblas-core")),
		    num(trainer, "openblas-threads", &v) ? (v == 1 ? "1" : "several") : "-");

	put(&b, "\n## Tensors\n\n| Tensor | Shape | SHA-256 |\n|---|---|---|\n");
	for (i = 0; tensors && tensors->type == DM_JSON_ARRAY && i < tensors->len; i++) {
		const dm_json *t = &tensors->items[i], *shape = dm_json_get(t, "shape");
		size_t d;
		put(&b, "| `%s` | [", or_dash(str(t, "name")));
		for (d = 0; shape && shape->type == DM_JSON_ARRAY && d < shape->len; d++)
			put(&b, "%s%.0f", d ? ", " : "", shape->items[d].number);
		put(&b, "] | `%s` |\n", or_dash(str(t, "sha256")));
	}

	fields = recipe ? dm_json_get(recipe, "fields") : NULL;
	if (fields && fields->type == DM_JSON_OBJECT) {
		put(&b, "\n## Recipe\n\n```\n");
		for (i = 0; i < fields->len; i++) {
			const char *val = fields->items[i].type == DM_JSON_STRING
						  ? fields->items[i].string : "";
			const char *p;
			put(&b, "%s:", fields->keys[i]);
			/* continuation lines get their leading space back */
			for (p = val; *p; p++)
				if (*p == '\n')
					put(&b, "\n ");
				else
					put(&b, "%s%c", p == val ? " " : "", *p);
			put(&b, "\n");
		}
		put(&b, "```\n");
	}
	dm_json_delete(doc);
	if (b.oom) {
		free(b.s);
		dm_fail(err, "out of memory");
		return NULL;
	}
	return b.s;
}

char *dm_card_from_file(const char *path, dm_error *err)
{
	FILE *f = fopen(path, "rb");
	char *buf, *md;
	size_t n;
	const size_t max = 16u << 20;
	if (!f)
		return dm_fail(err, "%s: cannot open: %s", path, strerror(errno)), NULL;
	buf = dm_malloc(max + 1, err);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, max + 1, f);
	fclose(f);
	if (n > max) {
		free(buf);
		return dm_fail(err, "%s: larger than 16 MiB; expected a provenance record", path), NULL;
	}
	md = dm_card_markdown(path, buf, n, err);
	free(buf);
	return md;
}
