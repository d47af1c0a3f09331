/* provenance.c - the provenance record of a text model (provenance.h). */
#include <stdlib.h>
#include <string.h>

#include "base/version.h"
#include "fasttext/provenance.h"
#include "output/json.h"

static void files(dm_json_writer *w, const dm_file_record *r, size_t n)
{
	dm_json_begin_array(w);
	for (size_t i = 0; i < n; i++) {
		dm_json_begin_object(w);
		dm_json_key(w, "path");
		dm_json_string(w, r[i].path ? r[i].path : "");
		dm_json_key(w, "sha256");
		dm_json_string(w, r[i].sha256);
		dm_json_key(w, "decompressed-bytes");
		dm_json_uint(w, r[i].bytes);
		dm_json_end_object(w);
	}
	dm_json_end_array(w);
}

static const char *recipe_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return path[0] == '/' && slash ? slash + 1 : path;
}

char *dm_ft_provenance_json(const dm_ft_job *j, const dm_ft_facts *f, int pretty, dm_error *err)
{
	const dm_ft_recipe *r = j->r;
	static const char *const tname[2] = {"input", "output"};
	dm_json_writer w;
	const char *text;
	char *copy;
	size_t len;
	dm_json_init(&w, pretty);
	dm_json_begin_object(&w);
	dm_json_key(&w, "format");
	dm_json_string(&w, "dh-model-provenance/1");
	dm_json_key(&w, "model");
	dm_json_string(&w, j->model);
	if (j->description) {
		dm_json_key(&w, "description");
		dm_json_string(&w, j->description);
	}
	if (j->license) {
		dm_json_key(&w, "license");
		dm_json_string(&w, j->license);
	}
	dm_json_key(&w, "recipe");
	dm_json_begin_object(&w);
	dm_json_key(&w, "file");
	dm_json_string(&w, recipe_name(j->recipe_file ? j->recipe_file : ""));
	dm_json_key(&w, "stanza");
	dm_json_uint(&w, j->stanza_index);
	dm_json_key(&w, "fields");
	dm_json_begin_object(&w);
	for (size_t i = 0; j->stanza && i < j->stanza->n; i++) {
		dm_json_key(&w, j->stanza->fields[i].name);
		dm_json_string(&w, j->stanza->fields[i].value);
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
	dm_json_string(&w, "portable");
	dm_json_end_object(&w);
	dm_json_key(&w, "data");
	dm_json_begin_object(&w);
	dm_json_key(&w, "train");
	files(&w, f->train_files, f->ntrain_files);
	if (f->ntest_files) {
		dm_json_key(&w, "test");
		files(&w, f->test_files, f->ntest_files);
	}
	dm_json_key(&w, "format");
	dm_json_string(&w, dm_text_format_name(r->format));
	dm_json_key(&w, "train-rows");
	dm_json_uint(&w, f->train_lines);
	dm_json_key(&w, f->ntest_files ? "test-rows" : "validation-rows");
	dm_json_uint(&w, f->held_lines);
	dm_json_key(&w, "train-tokens");
	dm_json_uint(&w, f->train_tokens);
	dm_json_key(&w, "words");
	dm_json_int(&w, f->nwords);
	dm_json_key(&w, "labels");
	dm_json_int(&w, f->nlabels);
	dm_json_end_object(&w);
	dm_json_key(&w, "text-model");
	dm_json_begin_object(&w);
	dm_json_key(&w, "model-type");
	dm_json_string(&w, "supervised");
	dm_json_key(&w, "input-rows");
	dm_json_int(&w, f->rows);
	dm_json_key(&w, "dim");
	dm_json_int(&w, r->cfg.dim);
	dm_json_key(&w, "word-ngrams");
	dm_json_int(&w, r->dict.word_ngrams);
	dm_json_key(&w, "min-n");
	dm_json_int(&w, r->dict.minn);
	dm_json_key(&w, "max-n");
	dm_json_int(&w, r->dict.maxn);
	dm_json_key(&w, "bucket");
	dm_json_uint(&w, r->dict.bucket);
	dm_json_end_object(&w);
	dm_json_key(&w, "training");
	dm_json_begin_object(&w);
	dm_json_key(&w, "seed");
	dm_json_uint(&w, r->cfg.seed);
	dm_json_key(&w, "loss");
	dm_json_string(&w, dm_ft_loss_name(r->cfg.loss));
	dm_json_key(&w, "optimizer");
	dm_json_string(&w, "sgd, linear decay (fastText)");
	dm_json_key(&w, "epochs");
	dm_json_int(&w, r->cfg.epoch);
	dm_json_key(&w, "batch-size");
	dm_json_int(&w, r->cfg.batch);
	dm_json_key(&w, "line-updates");
	dm_json_uint(&w, f->examples);
	dm_json_key(&w, "flop");
	dm_json_uint(&w, f->flop);
	dm_json_end_object(&w);
	dm_json_key(&w, "metrics");
	dm_json_begin_object(&w);
	if (f->p_at_1 >= 0.0) {
		dm_json_key(&w, f->ntest_files ? "test-accuracy" : "validation-accuracy");
		dm_json_double(&w, f->p_at_1);
	}
	dm_json_end_object(&w);
	dm_json_key(&w, "tensors");
	dm_json_begin_array(&w);
	for (int t = 0; t < 2; t++) {
		dm_json_begin_object(&w);
		dm_json_key(&w, "name");
		dm_json_string(&w, tname[t]);
		dm_json_key(&w, "shape");
		dm_json_begin_array(&w);
		dm_json_int(&w, f->tensor_shape[t][0]);
		dm_json_int(&w, f->tensor_shape[t][1]);
		dm_json_end_array(&w);
		dm_json_key(&w, "sha256");
		dm_json_string(&w, f->tensor_sha256[t]);
		dm_json_end_object(&w);
	}
	dm_json_end_array(&w);
	if (f->export_file) {
		dm_json_key(&w, "exports");
		dm_json_begin_array(&w);
		dm_json_begin_object(&w);
		dm_json_key(&w, "format");
		dm_json_string(&w, "fasttext");
		dm_json_key(&w, "file");
		dm_json_string(&w, f->export_file);
		dm_json_key(&w, "sha256");
		dm_json_string(&w, f->export_sha256);
		dm_json_key(&w, "bytes");
		dm_json_uint(&w, f->export_bytes);
		dm_json_end_object(&w);
		dm_json_end_array(&w);
	}
	dm_json_end_object(&w);
	if (!(text = dm_json_finish(&w, &len, err))) {
		dm_json_free(&w);
		return NULL;
	}
	copy = dm_malloc(len + 1, err);
	if (copy) {
		memcpy(copy, text, len);
		copy[len] = 0;
	}
	dm_json_free(&w);
	return copy;
}
