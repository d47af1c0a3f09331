/* fuzz_recipe.c - the deb822 parser and every recipe check, through
 * dm_recipes_load() on an in-memory file.  The fields that name data are
 * only checked here (no file is opened before training). */
#include <string.h>

#include "fasttext/recipe.h"
#include "fuzz_common.h"
#include "model/net.h"
#include "recipe/recipe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dm_recipes rs;
	dm_error err = {"", 0};
	const char *path = fuzz_file(0, data, size);
	if (dm_recipes_load(path, &rs, &err)) {
		fuzz_check_message(err.msg);
		FUZZ_CHECK(strncmp(err.msg, path, strlen(path)) == 0 ||
			   strncmp(err.msg, "out of memory", 13) == 0);
		return 0;
	}
	FUZZ_CHECK(rs.n >= 1);
	for (size_t i = 0; i < rs.n; i++) {
		const dm_recipe *r = &rs.v[i];
		char where[512], net[4096];
		FUZZ_CHECK(r->model && *r->model && strlen(r->model) <= 64);
		if (r->text) {   /* Model-Type: supervised, skipgram, cbow: no network */
			const dm_ft_recipe *t = r->text;
			FUZZ_CHECK(t->train.n >= 1 && t->label_prefix && *t->label_prefix);
			if (t->vectors)   /* skipgram, cbow: vectors_job.c's fields */
				FUZZ_CHECK(t->vec.dim >= 1 && t->vec.epoch >= 1 &&
					   t->vec.batch >= 1 && t->vec.ws >= 1);
			else
				FUZZ_CHECK(t->cfg.dim >= 1 && t->cfg.epoch >= 1 &&
					   t->cfg.batch >= 1);
			FUZZ_CHECK(t->dict.bucket > 0 || (t->dict.word_ngrams <= 1 && t->dict.maxn == 0));
			dm_recipe_where(r, where, sizeof where);
			continue;
		}
		FUZZ_CHECK(r->nlayers >= 1 && !strcmp(r->layers[r->nlayers - 1].op->name, "dense"));
		FUZZ_CHECK(r->train.features != NULL);
		FUZZ_CHECK(r->train_cfg.batch >= 1 && r->train_cfg.epochs >= 1);
		dm_recipe_where(r, where, sizeof where);
		(void)dm_recipe_field_line(r, "Network");
		(void)dm_recipe_field_line(r, "No-Such-Field");
		(void)dm_network_format(r->layers, r->nlayers, net, sizeof net);
		for (size_t j = 0; j < r->nexpect; j++)
			(void)dm_expect_holds(&r->expect[j], 0.5f);
	}
	dm_recipes_free(&rs);
	return 0;
}
