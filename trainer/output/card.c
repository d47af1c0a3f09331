/* card.c - render the model card from the provenance record alone, so that
 * anyone holding NAME.json can regenerate the card and check it.
 *
 * The record may come from anyone (dh-model-train card FILE.json), so its
 * text is tamed before it is rendered: every control character becomes
 * '?', and a newline a space except in the recipe's values.  What is put
 * in a table cell cannot end the cell ('|' is escaped), inline code and
 * the recipe's block are fenced with more backticks than they hold. */
#include "card.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/file.h"
#include "../base/strbuf.h"
#include "../base/text.h"
#include "../model/net.h"
#include "json.h"

typedef dm_strbuf sbuf;
/* the card is mostly put() calls: a short name for them */
#define put dm_strbuf_printf

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

/* Table cells may not hold '|' (or newlines, which tame() took out). */
static void cell(sbuf *b, const char *s)
{
	for (; s && *s; s++)
		if (*s == '|')
			put(b, "\\|");
		else
			put(b, "%c", *s);
}

/* The longest run of backticks in s. */
static size_t backticks(const char *s)
{
	size_t run = 0, best = 0;
	for (; *s; s++)
		if (*s == '`')
			best = ++run > best ? run : best;
		else
			run = 0;
	return best;
}

static void fence(sbuf *b, size_t n)
{
	while (n--)
		put(b, "`");
}

/* Inline code in a table cell: fenced with one backtick more than the
 * longest run in s, with spaces inside when s starts or ends with one. */
static void code(sbuf *b, const char *s)
{
	size_t n = backticks(s) + 1;
	int pad = *s == '`' || (*s && s[strlen(s) - 1] == '`');
	fence(b, n);
	put(b, "%s", pad ? " " : "");
	cell(b, s);
	put(b, "%s", pad ? " " : "");
	fence(b, n);
}

/* Every string and key of the record made printable, in place; newlines
 * become spaces except in the values of keep (the recipe's fields). */
static void tame(dm_json *v, const dm_json *keep, int in_keep)
{
	size_t i;
	char *p;
	if (v->type == DM_JSON_STRING) {
		dm_make_printable(v->string, 1);
		for (p = v->string; !in_keep && (p = strchr(p, '\n')); p++)
			*p = ' ';
	}
	if (v->type != DM_JSON_ARRAY && v->type != DM_JSON_OBJECT)
		return;
	for (i = 0; i < v->len; i++) {
		if (v->type == DM_JSON_OBJECT) {
			dm_make_printable(v->keys[i], 1);
			for (p = v->keys[i]; (p = strchr(p, '\n')); p++)
				*p = ' ';
		}
		tame(&v->items[i], keep, v == keep);
	}
}

static void data_rows(sbuf *b, const char *part, const dm_json *arr)
{
	size_t i;
	if (!arr || arr->type != DM_JSON_ARRAY)
		return;
	for (i = 0; i < arr->len; i++) {
		const dm_json *f = &arr->items[i];
		double bytes = 0;
		put(b, "| %s | ", part);
		code(b, or_dash(str(f, "path")));
		put(b, " | ");
		code(b, or_dash(str(f, "sha256")));
		put(b, " |");
		if (num(f, "decompressed-bytes", &bytes))
			put(b, " %.0f |\n", bytes);
		else
			put(b, " - |\n");
	}
}

static int boolean(const dm_json *obj, const char *key, int *out)
{
	const dm_json *v = obj ? dm_json_get(obj, key) : NULL;
	if (!v || v->type != DM_JSON_BOOL)
		return 0;
	*out = v->boolean;
	return 1;
}

static const char *bytes_text(double v, char *buf, size_t size)
{
	static const char *u[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
	int i = 0;
	while (v >= 1024 && i < 4)
		v /= 1024, i++;
	snprintf(buf, size, i ? "%.3g %s" : "%.0f %s", v, u[i]);
	return buf;
}

/* The verdict first: what a reader of the card wants to know. */
static void verdict_section(sbuf *b, const dm_json *v)
{
	const char *cls = str(v, "class");
	if (!v || v->type != DM_JSON_OBJECT || !cls)
		return;
	put(b, "## Verdict: ");
	cell(b, cls);
	put(b, "\n\n");
	if (!strcmp(cls, "Free Model"))
		put(b, "A **Free Model** in the sense of Debian's ML policy: ");
	else if (!strcmp(cls, "ToxicCandy"))
		put(b, "**ToxicCandy** in the sense of Debian's ML policy (a free licence, but "
			"training data that are not free or not known to be): ");
	else
		put(b, "**Non-free** in the sense of Debian's ML policy (the licence of the "
			"weights is not free): ");
	cell(b, or_dash(str(v, "reason")));
	put(b, ".\n\n");
}

static void licence_rows(sbuf *b, const dm_json *v)
{
	const dm_json *data = v ? dm_json_get(v, "data") : NULL, *list;
	size_t i;
	int yes;
	if (!data || data->type != DM_JSON_ARRAY || !data->len)
		return;
	put(b, "\n### Licences of the data\n\n| Part | File | Licence | Free | From |\n"
	    "|---|---|---|---|---|\n");
	for (i = 0; i < data->len; i++) {
		const dm_json *d = &data->items[i];
		const char *from = str(d, "license-from");
		double line;
		put(b, "| ");
		cell(b, or_dash(str(d, "part")));
		put(b, " | ");
		code(b, or_dash(str(d, "path")));
		put(b, " | ");
		cell(b, str(d, "license") ? str(d, "license") : "none known");
		put(b, " | %s | ", boolean(d, "free", &yes) && yes ? "yes" : "**no**");
		if (from && !strcmp(from, "recipe")) {
			put(b, "stated by the recipe's Data-License: no copyright file covers it; ");
		} else if (str(d, "copyright-file")) {
			code(b, str(d, "copyright-file"));
			if (str(d, "package")) {
				int bd;
				put(b, " (package ");
				cell(b, str(d, "package"));
				if (boolean(d, "in-build-depends", &bd) && !bd)
					put(b, ", **not in Build-Depends**");
				put(b, ")");
			}
			if (str(d, "stanza")) {
				put(b, ", ");
				code(b, str(d, "stanza"));
				if (num(d, "stanza-line", &line))
					put(b, " at line %.0f", line);
			}
			put(b, "; ");
		}
		cell(b, or_dash(str(d, "note")));
		if (!(boolean(d, "free", &yes) && yes)) {
			put(b, "; ");
			cell(b, or_dash(str(d, "why")));
		}
		put(b, " |\n");
	}
	if (boolean(v, "data-license-unused", &yes) && yes)
		put(b, "\nThe recipe's Data-License is not used: a copyright file covers every "
			"data file.\n");
	list = dm_json_get(v, "free-licenses");
	if (list && str(list, "sha256"))
	{
		put(b, "\nFree licences: the list ");
		code(b, or_dash(str(list, "file")));
		put(b, " (SHA-256 ");
		code(b, str(list, "sha256"));
		put(b, ") of dh-model.\n");
	}
}

static void budget_row(sbuf *b, const dm_json *training, const dm_json *budget)
{
	const dm_json *limits = budget ? dm_json_get(budget, "limits") : NULL;
	double v, est;
	char t[48];
	int yes;
	if (num(training, "flop", &v))
		put(b, "| Compute | %.3g floating-point operations", v);
	else if (budget)
		put(b, "| Compute | -");
	else
		return;
	if (budget && budget->type == DM_JSON_OBJECT) {
		if (num(budget, "estimated-flop", &est))
			put(b, " (estimated before training: %.3g)", est);
		put(b, "; policy ");
		cell(b, or_dash(str(budget, "policy")));
		put(b, " allows ");
		if (num(limits, "max-compute", &v))
			put(b, "%.3g FLOP", v);
		else
			put(b, "any compute");
		if (num(limits, "max-memory", &v))
			put(b, " and %s of memory", bytes_text(v, t, sizeof t));
		if (num(budget, "estimated-peak-memory", &v))
			put(b, " (estimated peak: %s)", bytes_text(v, t, sizeof t));
		if (boolean(budget, "within-main", &yes))
			put(b, "; within the budget of main: %s", yes ? "yes" : "**no**");
	}
	put(b, " |\n");
}

static void upstream_section(sbuf *b, const dm_json *u)
{
	const dm_json *mine, *theirs, *diff, *gate;
	double v, w, d;
	size_t i;
	if (!u || u->type != DM_JSON_OBJECT)
		return;
	mine = dm_json_get(u, "retrained");
	theirs = dm_json_get(u, "upstream");
	diff = dm_json_get(u, "difference");
	gate = dm_json_get(u, "max-regression");
	put(b, "\n## Upstream comparison\n\nUpstream's prebuilt weights ");
	code(b, or_dash(str(u, "weights")));
	put(b, " (");
	cell(b, or_dash(str(u, "format")));
	put(b, ", SHA-256 ");
	code(b, or_dash(str(u, "sha256")));
	put(b, "), network ");
	cell(b, or_dash(str(u, "network")));
	if (num(u, "parameters", &v))
		put(b, " (%.0f parameters)", v);
	put(b, ", evaluated on the same");
	if (num(u, "rows", &v))
		put(b, " %.0f", v);
	put(b, " ");
	cell(b, or_dash(str(u, "split")));
	put(b, " rows as the retrained model (normalization: ");
	cell(b, or_dash(str(u, "normalization")));
	put(b, ").\n\n");
	put(b, "| Metric | Retrained | Upstream | Difference |\n|---|---|---|---|\n");
	for (i = 0; mine && mine->type == DM_JSON_OBJECT && i < mine->len; i++) {
		const char *k = mine->keys[i];
		if (mine->items[i].type != DM_JSON_NUMBER || !num(theirs, k, &w))
			continue;
		v = mine->items[i].number;
		put(b, "| ");
		cell(b, k);
		put(b, " | %.4f | %.4f | ", v, w);
		if (num(diff, k, &d))
			put(b, "%+.4f", d);
		put(b, " |\n");
	}
	if (gate && gate->type == DM_JSON_OBJECT && num(gate, "allowed", &v)) {
		put(b, "\nUpstream-Max-Regression: the retrained model's ");
		cell(b, or_dash(str(gate, "metric")));
		put(b, " may be at most %g worse than upstream's", v);
		if (num(gate, "worse-by", &w))
			put(b, "; it is %s by %.4f", w > 0 ? "worse" : "better or equal", w > 0 ? w : -w);
		put(b, ": ");
		cell(b, or_dash(str(gate, "result")));
		put(b, ".\n");
	}
}

/* "| Classes | 0 T-shirt/top, 1 Trouser, ... |": output i is class i. */
static void classes_row(sbuf *b, const dm_json *names)
{
	size_t i;
	if (!names || names->type != DM_JSON_ARRAY || !names->len)
		return;
	put(b, "| Classes | ");
	for (i = 0; i < names->len; i++) {
		put(b, "%s%zu ", i ? ", " : "", i);
		cell(b, names->items[i].type == DM_JSON_STRING ? names->items[i].string : "-");
	}
	put(b, " |\n");
}

/* ---- How to use this model ---- */

/* s as a Python string literal (the record is tamed: no control character). */
static void py_str(sbuf *b, const char *s)
{
	put(b, "\"");
	for (; *s; s++)
		put(b, *s == '\\' || *s == '"' ? "\\%c" : "%c", *s);
	put(b, "\"");
}

/* s for a POSIX shell: as is when it is safe, else in single quotes. */
static void sh_word(sbuf *b, const char *s)
{
	if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._+-") ==
			  strlen(s)) {
		put(b, "%s", s);
		return;
	}
	put(b, "'");
	for (; *s; s++)
		put(b, *s == '\'' ? "'\\''" : "%c", *s);
	put(b, "'");
}

/* The layers of the record planned on its input shape, or NULL when the
 * record does not give them (an older record) or they do not plan. */
static dm_layer *planned(const dm_json *net, size_t *n, dm_shape *in)
{
	const dm_json *shape = net ? dm_json_get(net, "input-shape") : NULL;
	const char *text = str(net, "layers");
	dm_layer_spec *specs = NULL;
	dm_layer *layers;
	dm_error err;
	size_t i, np;
	if (!text || !shape || shape->type != DM_JSON_ARRAY || !shape->len ||
	    shape->len > DM_SHAPE_MAX_DIMS)
		return NULL;
	in->ndim = shape->len;
	for (i = 0; i < shape->len; i++) {
		if (shape->items[i].type != DM_JSON_NUMBER || shape->items[i].number < 1 ||
		    shape->items[i].number > 1e7)
			return NULL;
		in->d[i] = (size_t)shape->items[i].number;
	}
	if (dm_network_parse(text, &specs, n, &err))
		return NULL;
	if (!(layers = calloc(*n, sizeof *layers)) ||
	    dm_net_plan(specs, *n, in, layers, &np, &err)) {
		free(layers);
		free(specs);
		return NULL;
	}
	free(specs);
	return layers;
}

/* The snippet: a torch.nn.Sequential built layer by layer (dm_layer_op's
 * torch), the weights read with json, struct and torch.frombuffer (no
 * safetensors package needed), the preprocessing, one sample from a file. */
static int snippet(sbuf *b, const dm_layer *layers, size_t n, const dm_shape *in,
		   const char *weights, const char *loss, int names)
{
	size_t i, d, count = 1;
	char mod[160];
	for (d = 0; d < in->ndim; d++)
		count *= in->d[d];
	put(b, "import json, struct, sys\n\nimport torch\nfrom torch import nn\n\n");
	put(b, "WEIGHTS = sys.argv[2] if len(sys.argv) > 2 else ");
	py_str(b, weights);
	put(b, "\n\n\ndef read_safetensors(path):\n"
	       "    \"\"\"The tensors and metadata of a safetensors file: an 8-byte length, a JSON\n"
	       "    header, then the raw little-endian data.\"\"\"\n"
	       "    with open(path, \"rb\") as f:\n"
	       "        data = f.read()\n"
	       "    (n,) = struct.unpack(\"<Q\", data[:8])\n"
	       "    header = json.loads(data[8:8 + n])\n"
	       "    meta = header.pop(\"__metadata__\", {})\n"
	       "    tensors = {name: torch.frombuffer(bytearray(data[8 + n + t[\"data_offsets\"][0]:\n"
	       "                                                     8 + n + t[\"data_offsets\"][1]]),\n"
	       "                                      dtype=torch.float32).reshape(t[\"shape\"])\n"
	       "               for name, t in header.items()}\n"
	       "    return tensors, meta\n\n\n");
	put(b, "tensors, meta = read_safetensors(WEIGHTS)\nmodel = nn.Sequential(\n");
	for (i = 0; i < n; i++) {
		if (!layers[i].op->torch)
			return -1;
		layers[i].op->torch(&layers[i], mod, sizeof mod);
		put(b, "    %s,\n", mod);
	}
	put(b, ")\n# the file's tensors are layers.N.*, the Sequential's N.*\n"
	       "model.load_state_dict({k[len(\"layers.\"):]: v for k, v in tensors.items()\n"
	       "                       if k.startswith(\"layers.\")})\nmodel.eval()\n\n");
	put(b, "# one sample, %zu numbers (white space or commas), as in the training data\n"
	       "x = torch.tensor([float(v) for v in open(sys.argv[1]).read().replace(\",\", \" \").split()])\n",
	    count);
	put(b, "if \"input.shift\" in tensors:  # the preprocessing of training\n"
	       "    x = (x - tensors[\"input.shift\"]) * tensors[\"input.scale\"]\n");
	put(b, "with torch.no_grad():\n    y = model(x.reshape(1");
	if (layers[0].op->flags & DM_LAYER_SPATIAL)
		for (d = 0; d < in->ndim; d++)
			put(b, ", %zu", in->d[d]);
	else
		put(b, ", %zu", count);
	put(b, "))[0]\n");
	if (!strcmp(loss, "mse"))
		put(b, "print(y[0].item())\n");
	else {
		put(b, "k = %s\n", !strcmp(loss, "binary-cross-entropy") ? "int(y[0].item() > 0)"
								      : "int(y.argmax().item())");
		put(b, names ? "print(json.loads(meta[\"dh-model.class-names\"])[k])\n" : "print(k)\n");
	}
	return 0;
}

/* Export: onnx: the file, its input and output, and OpenCV's dnn reading
 * it (output/onnx.h says what the graph holds). */
static void onnx_section(sbuf *b, const dm_json *doc, const dm_layer *layers, size_t n,
			 const dm_shape *in, const char *weights, const char *loss, int norm)
{
	const dm_json *x = dm_json_get(doc, "exports");
	const char *file = NULL, *sha = NULL;
	const char *slash = strrchr(weights, '/');
	size_t i, d, count = 1, dir = slash ? (size_t)(slash - weights + 1) : 0;
	int flat = (layers[0].op->flags & DM_LAYER_FLAT) != 0;
	for (i = 0; x && x->type == DM_JSON_ARRAY && i < x->len; i++)
		if (x->items[i].type == DM_JSON_OBJECT && str(&x->items[i], "format") &&
		    !strcmp(str(&x->items[i], "format"), "onnx"))
			file = str(&x->items[i], "file"), sha = str(&x->items[i], "sha256");
	if (!file)
		return;
	for (d = 0; d < in->ndim; d++)
		count *= in->d[d];
	put(b, "\nAs ONNX (`Export: onnx`, opset 13): `%.*s", (int)dir, weights);
	cell(b, file);
	put(b, "`, SHA-256 `");
	cell(b, or_dash(sha));
	put(b, "`.  Input `input`: float32 [N");
	if (flat)
		put(b, ", %zu", count);
	else
		for (d = 0; d < in->ndim; d++)
			put(b, ", %zu", in->d[d]);
	put(b, "] of raw features%s.  Output ", norm ? ": the preprocessing above is in the graph (Sub, Mul)"
						       : ", as they are");
	if (!strcmp(loss, "mse"))
		put(b, "`prediction` [N, 1].");
	else if (!strcmp(loss, "binary-cross-entropy"))
		put(b, "`probabilities` [N, 1]: the probability of class 1 (a Sigmoid).");
	else
		put(b, "`probabilities` [N, %zu]: the softmax over the classes.", layers[n - 1].out);
	put(b, "  With OpenCV (python3-opencv), no dh-model needed:\n\n```python\nimport cv2\n"
	       "import numpy as np\n\nnet = cv2.dnn.readNetFromONNX(");
	put(b, "\"%.*s", (int)dir, weights);
	cell(b, file);
	put(b, "\")\nx = np.loadtxt(\"SAMPLES.txt\", ndmin=2, dtype=np.float32)  # one sample a line\n"
	       "net.setInput(x.reshape(-1");
	if (flat)
		put(b, ", %zu", count);
	else
		for (d = 0; d < in->ndim; d++)
			put(b, ", %zu", in->d[d]);
	put(b, "))\nprint(net.forward()%s)\n```\n", !strcmp(loss, "softmax-cross-entropy") ?
	    ".argmax(axis=1)" : "");
}

static void usage_section(sbuf *b, const dm_json *doc, const char *model)
{
	const dm_json *net = dm_json_get(doc, "network"), *data = dm_json_get(doc, "data"),
		      *recipe = dm_json_get(doc, "recipe"), *names = dm_json_get(doc, "class-names"),
		      *training = dm_json_get(doc, "training");
	const dm_json *fields = recipe ? dm_json_get(recipe, "fields") : NULL;
	const char *install = str(fields, "Install"), *format = str(fields, "Format");
	const char *loss = str(training, "loss"), *norm = str(data, "normalize");
	char weights[4200];
	sbuf code = {NULL, 0, 0, 0};
	dm_layer *layers;
	dm_shape in;
	size_t n, d, fence_n;
	double v, v2;
	int have_names = names && names->type == DM_JSON_ARRAY && names->len;
	snprintf(weights, sizeof weights, "%s%.4000s%s%s.safetensors", install ? "/" : "",
		 install ? install : "", install && *install && install[strlen(install) - 1] != '/' ? "/" : "",
		 model);
	put(b, "\n## How to use this model\n\n");
	if (!(layers = planned(net, &n, &in)) || !loss) {
		put(b, "This record does not give the shape of the input (an older dh-model-train); "
		       "`dh-model-train predict` still reads the weights file.\n");
		free(layers);
		return;
	}
	put(b, "Input: one sample of ");
	for (d = 0; d < in.ndim; d++)
		put(b, "%s%zu", d ? "x" : "", in.d[d]);
	put(b, " numbers (%s", in.ndim == 3 ? "channels x height x width, " :
				in.ndim == 2 ? "height x width, " : "");
	put(b, "in the order of a row of the training data");
	if (format) {
		put(b, ", format ");
		cell(b, format);
	}
	put(b, ").\n\nPreprocessing: each feature x becomes (x - input.shift) * input.scale, the "
	       "tensors `input.shift` and `input.scale` of the weights file");
	if (num(data, "input-shift", &v) && num(data, "input-scale", &v2))
		put(b, "; here %.9g and %.9g for every feature", v, v2);
	else if (norm && !strcmp(norm, "none"))
		put(b, "; this model has none: the features go in as they are");
	else
		put(b, " (one value per feature, from the training data)");
	put(b, ".\n\nOutput: ");
	if (!strcmp(loss, "mse"))
		put(b, "one value (a regression).\n");
	else if (have_names) {
		put(b, "the class, one of ");
		for (d = 0; d < names->len; d++) {
			put(b, "%s", d ? ", " : "");
			cell(b, names->items[d].type == DM_JSON_STRING ? names->items[d].string : "-");
		}
		put(b, " (output 0 first; also in the weights' metadata `dh-model.class-names`).\n");
	} else
		put(b, "the number of the class (the recipe gave no Class-Names).\n");
	put(b, "\nFrom the shell, one class (or value) per sample of a file in the training data's "
	       "format:\n\n```sh\ndh-model-train predict ");
	sh_word(b, weights);
	put(b, " INPUT\n```\n\nIn PyTorch, without dh-model (save as `use.py`, run "
	       "`python3 use.py SAMPLE [WEIGHTS]`, SAMPLE a text file of one sample's numbers):\n\n");
	if (snippet(&code, layers, n, &in, weights, loss, have_names) || code.oom) {
		put(b, "(a layer of this network has no PyTorch module)\n");
	} else {
		fence_n = backticks(code.s) >= 3 ? backticks(code.s) + 1 : 3;
		fence(b, fence_n);
		put(b, "python\n%s", code.s);
		fence(b, fence_n);
		put(b, "\n");
	}
	onnx_section(b, doc, layers, n, &in, weights, loss, !(norm && !strcmp(norm, "none")));
	free(code.s);
	free(layers);
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
	if (doc->type == DM_JSON_OBJECT)
		tame(doc, (recipe = dm_json_get(doc, "recipe")) && recipe->type == DM_JSON_OBJECT
			  ? dm_json_get(recipe, "fields") : NULL, 0);
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

	put(&b, "# Model card: ");
	cell(&b, model);
	put(&b, "\n\n");
	if (str(doc, "description")) {
		cell(&b, str(doc, "description"));
		put(&b, "\n\n");
	}
	verdict_section(&b, dm_json_get(doc, "verdict"));
	put(&b, "| | |\n|---|---|\n");
	put(&b, "| Licence of the weights | ");
	cell(&b, or_dash(str(doc, "license")));
	{
		const dm_json *vw = dm_json_get(doc, "verdict");
		const char *from;
		int yes;
		vw = vw ? dm_json_get(vw, "weights") : NULL;
		from = str(vw, "license-from");
		/* where it comes from: "Expat (debian/copyright, Files: *)" */
		if (from && !strcmp(from, "recipe")) {
			put(&b, " (License, ");
			cell(&b, or_dash(str(recipe, "file")));
			put(&b, ")");
		} else if (from && !strcmp(from, "source-copyright")) {
			put(&b, " (");
			cell(&b, or_dash(str(vw, "copyright-file")));
			put(&b, ", ");
			cell(&b, or_dash(str(vw, "stanza")));
			put(&b, ")");
		} else if (from && !strcmp(from, "none")) {
			put(&b, " (");
			cell(&b, or_dash(str(vw, "note")));
			put(&b, ")");
		}
		if (boolean(vw, "free", &yes) && !yes) {
			put(&b, " (**not free**: ");
			cell(&b, or_dash(str(vw, "why")));
			put(&b, ")");
		} else if (boolean(vw, "free", &yes)) {
			put(&b, " (free)");
		}
	}
	put(&b, " |\n| Trainer | ");
	cell(&b, or_dash(str(trainer, "name")));
	put(&b, " ");
	cell(&b, or_dash(str(trainer, "version")));
	put(&b, ", numerics ");
	cell(&b, or_dash(numerics));
	put(&b, " |\n| Recipe | ");
	code(&b, or_dash(str(recipe, "file")));
	put(&b, ", stanza %.0f |\n", num(recipe, "stanza", &v) ? v : 0);
	put(&b, "| Network | ");
	cell(&b, or_dash(str(net, "layers")));
	if (num(net, "parameters", &v) && num(net, "inputs", &v2))
		put(&b, " (%.0f parameters, %.0f inputs)", v, v2);
	put(&b, " |\n");
	classes_row(&b, dm_json_get(doc, "class-names"));
	put(&b, "| Training | ");
	cell(&b, or_dash(str(training, "optimizer")));
	put(&b, ", ");
	cell(&b, or_dash(str(training, "loss")));
	if (num(training, "epochs", &v) && num(training, "steps", &v2))
		put(&b, ", %.0f epochs, %.0f steps", v, v2);
	if (num(training, "seed", &v))
		put(&b, ", seed %.0f", v);
	put(&b, " |\n");
	budget_row(&b, training, dm_json_get(doc, "budget"));
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
	if (str(data, "normalize")) {
		put(&b, "; normalization: ");
		cell(&b, str(data, "normalize"));
	}
	put(&b, ".\n");
	licence_rows(&b, dm_json_get(doc, "verdict"));

	put(&b, "\n## Metrics\n\n| Metric | Value |\n|---|---|\n");
	for (i = 0; metrics && metrics->type == DM_JSON_OBJECT && i < metrics->len; i++)
		if (metrics->items[i].type == DM_JSON_NUMBER) {
			put(&b, "| ");
			cell(&b, metrics->keys[i]);
			put(&b, " | %.4f |\n", metrics->items[i].number);
		}
	upstream_section(&b, dm_json_get(doc, "upstream"));
	if (expect && expect->type == DM_JSON_ARRAY && expect->len) {
		put(&b, "\n## Quality gates\n\n");
		for (i = 0; i < expect->len; i++) {
			put(&b, "- ");
			code(&b, or_dash(str(&expect->items[i], "condition")));
			put(&b, ": ");
			cell(&b, or_dash(str(&expect->items[i], "result")));
			put(&b, "\n");
		}
	}

	usage_section(&b, doc, model);

	put(&b, "\n## Reproducibility\n\n");
	if (numerics && !strcmp(numerics, "portable"))
		put(&b, "Trained with the portable numerics: the same recipe, data and seed give "
			"bit-identical weights on every architecture, CPU and thread count. The "
			"SHA-256 of each tensor is below.\n");
	else {
		put(&b, "Trained with OpenBLAS (core ");
		cell(&b, or_dash(str(trainer, "openblas-core")));
		put(&b, ", %s threads): the weights are reproducible only on the same CPU core type "
			"with the same thread count.\n",
		    num(trainer, "openblas-threads", &v) ? (v == 1 ? "1" : "several") : "-");
	}

	put(&b, "\n## Tensors\n\n| Tensor | Shape | SHA-256 |\n|---|---|---|\n");
	for (i = 0; tensors && tensors->type == DM_JSON_ARRAY && i < tensors->len; i++) {
		const dm_json *t = &tensors->items[i], *shape = dm_json_get(t, "shape");
		size_t d;
		put(&b, "| ");
		code(&b, or_dash(str(t, "name")));
		put(&b, " | [");
		for (d = 0; shape && shape->type == DM_JSON_ARRAY && d < shape->len; d++)
			put(&b, "%s%.0f", d ? ", " : "", shape->items[d].number);
		put(&b, "] | ");
		code(&b, or_dash(str(t, "sha256")));
		put(&b, " |\n");
	}

	fields = recipe ? dm_json_get(recipe, "fields") : NULL;
	if (fields && fields->type == DM_JSON_OBJECT) {
		/* a fence longer than any run of backticks in the recipe */
		size_t n = 3;
		for (i = 0; i < fields->len; i++) {
			if (backticks(fields->keys[i]) >= n)
				n = backticks(fields->keys[i]) + 1;
			if (fields->items[i].type == DM_JSON_STRING &&
			    backticks(fields->items[i].string) >= n)
				n = backticks(fields->items[i].string) + 1;
		}
		put(&b, "\n## Recipe\n\n");
		fence(&b, n);
		put(&b, "\n");
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
		fence(&b, n);
		put(&b, "\n");
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
	size_t n;
	char *buf = dm_read_regular(path, 16u << 20, &n, NULL, err), *md;
	if (!buf)
		return NULL;
	md = dm_card_markdown(path, buf, n, err);
	free(buf);
	return md;
}
