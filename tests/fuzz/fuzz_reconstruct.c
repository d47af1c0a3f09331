/* fuzz_reconstruct.c - verify's recipe reconstruction: the recipe stanza
 * rebuilt from a provenance's recipe fields, with the data paths replaced
 * by where the data were found, then read as a recipe.
 *
 * The first byte chooses: bit 0 replace the data paths (by paths with a
 * space, a ':' and a directory in them), bit 1 leave Upstream-* out, as
 * verify does.  The rest is the provenance's JSON text.  What is rebuilt
 * must read back as one stanza of exactly the recorded fields (with the
 * replacements); a recipe made of it names as data only the recorded (or
 * replaced) paths, no upstream file when Upstream-* is left out, and the
 * model the record names. */
#include <strings.h>

#include "base/text.h"
#include "fuzz_common.h"
#include "provenance/record.h"
#include "recipe/deb822.h"
#include "recipe/recipe.h"

static const char *const SWAP[DM_RECORD_MAX_DATA] = {
	"/tmp/dh-model-verify.x/data/a b.csv", "data/l.idx:member one", "/d/t.tar.xz:t.csv", "t l"};

static int is_data_path(const dm_record *r, const char *const *paths, const char *p)
{
	size_t i;
	for (i = 0; p && i < r->ndata; i++)
		if (!strcmp(p, paths ? paths[i] : r->data[i].path))
			return 1;
	return p == NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dm_record r;
	dm_recipes rs;
	dm_deb822 back;
	dm_error err = {"", 0};
	const char *const *paths;
	char *text;
	size_t i, k = 0;
	int flags;
	if (size < 1)
		return 0;
	paths = data[0] & 1 ? SWAP : NULL;
	flags = data[0] & 2 ? DM_RECIPE_NO_UPSTREAM : 0;
	if (dm_record_parse("w", (const char *)data + 1, size - 1, &r, &err)) {
		fuzz_check_message(err.msg);
		return 0;
	}
	if (!(text = dm_record_recipe(&r, paths, flags, &err))) {
		fuzz_check_message(err.msg);
		dm_record_free(&r);
		return 0;
	}
	/* read back: one stanza, the fields in order, nothing injected */
	FUZZ_CHECK(dm_deb822_parse("w", text, strlen(text), &back, &err) == 0);
	FUZZ_CHECK(back.n == 1);
	for (i = 0; i < r.fields->len; i++) {
		const char *name = r.fields->keys[i], *want = r.fields->items[i].string;
		size_t d;
		if ((flags & DM_RECIPE_NO_UPSTREAM) && !strncasecmp(name, "Upstream-", 9))
			continue;
		for (d = 0; paths && d < r.ndata; d++)
			if (!strcasecmp(name, r.data[d].field))
				want = paths[d];
		FUZZ_CHECK(k < back.stanzas[0].n);
		FUZZ_CHECK(!strcmp(back.stanzas[0].fields[k].name, name));
		FUZZ_CHECK(!strcmp(back.stanzas[0].fields[k].value, want));
		k++;
	}
	FUZZ_CHECK(k == back.stanzas[0].n);
	dm_deb822_free(&back);
	/* as a recipe: only recorded data, no upstream file, the same model */
	if (dm_recipes_parse("w", text, strlen(text), &rs, &err) == 0) {
		const dm_recipe *rc = &rs.v[0];
		FUZZ_CHECK(rs.n == 1 && !strcmp(rc->model, r.model));
		FUZZ_CHECK(is_data_path(&r, paths, rc->train.features));
		FUZZ_CHECK(is_data_path(&r, paths, rc->train.labels));
		FUZZ_CHECK(is_data_path(&r, paths, rc->test.features));
		FUZZ_CHECK(is_data_path(&r, paths, rc->test.labels));
		FUZZ_CHECK(!(flags & DM_RECIPE_NO_UPSTREAM) || !rc->upstream.weights);
		FUZZ_CHECK(!rc->policy || dm_model_name_problem(rc->policy) == NULL);
		dm_recipes_free(&rs);
	} else {
		fuzz_check_message(err.msg);
	}
	free(text);
	dm_record_free(&r);
	return 0;
}
