/* provenance.c - a text model's own keys of its provenance record
 * (provenance.h). */
#include "fasttext/provenance.h"

/* each file's path, hash, bytes read and, with lines=N, its N */
static void files(dm_json_writer *w, const dm_file_record *r, const dm_text_sources *src,
		  size_t n)
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
		if (i < src->n && src->v[i].lines) {
			dm_json_key(w, "lines");
			dm_json_uint(w, src->v[i].lines);
		}
		dm_json_end_object(w);
	}
	dm_json_end_array(w);
}

static void key_int(dm_json_writer *w, const char *key, int64_t v)
{
	dm_json_key(w, key);
	dm_json_int(w, v);
}

static void key_uint(dm_json_writer *w, const char *key, uint64_t v)
{
	dm_json_key(w, key);
	dm_json_uint(w, v);
}

static void key_string(dm_json_writer *w, const char *key, const char *v)
{
	dm_json_key(w, key);
	dm_json_string(w, v);
}

void dm_ft_provenance_sections(dm_json_writer *w, const dm_ft_facts *f)
{
	const dm_ft_recipe *r = f->r;
	int vec = r->vectors;
	dm_json_key(w, "data");
	dm_json_begin_object(w);
	dm_json_key(w, "train");
	files(w, f->train_files, &r->train, f->ntrain_files);
	if (f->ntest_files) {
		dm_json_key(w, "test");
		files(w, f->test_files, &r->test, f->ntest_files);
	}
	key_string(w, "format", dm_text_format_name(r->format));
	key_uint(w, "train-rows", f->train_lines);
	if (!vec)
		key_uint(w, f->ntest_files ? "test-rows" : "validation-rows", f->held_lines);
	key_uint(w, "train-tokens", f->train_tokens);
	key_int(w, "words", f->nwords);
	if (!vec)
		key_int(w, "labels", f->nlabels);
	dm_json_end_object(w);

	dm_json_key(w, "text-model");
	dm_json_begin_object(w);
	key_string(w, "model-type", !vec ? "supervised" :
		   r->vec.model == DM_FT_MODEL_CBOW ? "cbow" : "skipgram");
	key_int(w, "input-rows", f->rows);
	key_int(w, "dim", vec ? r->vec.dim : r->cfg.dim);
	if (vec)
		key_int(w, "context-window", r->vec.ws);
	key_int(w, "word-ngrams", r->dict.word_ngrams);
	key_int(w, "min-n", r->dict.minn);
	key_int(w, "max-n", r->dict.maxn);
	key_uint(w, "bucket", r->dict.bucket);
	dm_json_end_object(w);

	dm_json_key(w, "training");
	dm_json_begin_object(w);
	key_uint(w, "seed", vec ? r->vec.seed : r->cfg.seed);
	key_string(w, "loss", vec ? "ns" : dm_ft_loss_name(r->cfg.loss));
	key_string(w, "optimizer", "sgd, linear decay (fastText)");
	key_int(w, "epochs", vec ? r->vec.epoch : r->cfg.epoch);
	key_int(w, "batch-size", vec ? r->vec.batch : r->cfg.batch);
	key_uint(w, vec ? "centre-updates" : "line-updates", f->examples);
	key_uint(w, "flop", f->flop);
	dm_json_end_object(w);
}
