/* record.h - the provenance record of a model from elsewhere.
 *
 * verify and bundle take a weights file that anyone may have written, so
 * its provenance is untrusted input, like a dataset, and every field is
 * checked here before it is used:
 *  - "model" follows the rule of a recipe's Model: field (base/text.h),
 *    since it becomes file and member names;
 *  - the recipe fields are deb822 field names with string values, and
 *    the stanza rebuilt from them reads back field for field as written
 *    (a value can never inject a field);
 *  - every data file that the recipe names (Dataset, Labels, Test-Dataset,
 *    Test-Labels; a text model's Dataset and Test-Dataset lines, "PATH
 *    [label=NAME]") is recorded with its SHA-256, and nothing else is: what a
 *    retraining opens is exactly what can be checked first;
 *  - the policy is a name (the same rule), never a path.
 */
#ifndef DM_RECORD_H
#define DM_RECORD_H

#include <stddef.h>

#include "../base/error.h"
#include "../output/json.h"
#include "../output/safetensors.h"

/* an MLP's: features and labels, training and test; a text model's: a
 * file per Dataset or Test-Dataset line */
#define DM_RECORD_MAX_DATA 32

typedef struct dm_record_data {
	const char *part;    /* "train" or "test" */
	const char *field;   /* Dataset, Labels, Test-Dataset or Test-Labels */
	const char *path;    /* as recorded: that field's value */
	const char *sha256;  /* 64 lower-case hex digits */
	/* a text model's list field ("PATH [label=NAME]" a line): the path's
	 * place in the field's value; list 0: path is the whole value */
	int list;
	size_t offset, len;
} dm_record_data;

typedef struct dm_record {
	dm_json *json;
	const char *text;           /* the record as JSON text (the caller's) */
	const char *model;
	const char *policy;         /* budget.policy, or NULL */
	const char *policy_sha256;  /* budget.policy-sha256, or NULL */
	const char *numerics;       /* trainer.numerics, or NULL */
	const dm_json *fields;      /* recipe.fields */
	dm_record_data data[DM_RECORD_MAX_DATA];
	size_t ndata;
} dm_record;

/* Parse and check the record text[0..n) (kept by reference in out->text);
 * where names it in messages. */
int dm_record_parse(const char *where, const char *text, size_t n, dm_record *out,
		    dm_error *err);
/* The record in the metadata of weights (key "dh-model.provenance"). */
int dm_record_of_weights(const char *where, const dm_safetensors *st, dm_record *out,
			 dm_error *err);
void dm_record_free(dm_record *r);

/* dm_record_recipe's flags: leave out the Upstream-* fields, which name
 * upstream's file and change no weight (verify retrains to compare weights). */
#define DM_RECIPE_NO_UPSTREAM 1

/* The recipe stanza as deb822 text (malloc'd): the recorded fields in
 * their order, the value of data file i's field replaced by paths[i] when
 * paths and paths[i] are set.  An error unless the text reads back as
 * exactly these fields. */
char *dm_record_recipe(const dm_record *r, const char *const *paths, int flags, dm_error *err);

#endif
