/* recipe.h - a model recipe: one deb822 stanza of debian/PKG.models.
 *
 * Every field is checked here, with the file and line in each message.
 * The checks that need the data (network and data shapes, labels against
 * the outputs) happen after loading, with dm_recipe_field_line() giving
 * the line to name.  The fields are documented in dh-model-train(1).
 */
#ifndef DM_RECIPE_H
#define DM_RECIPE_H

#include <stddef.h>
#include <stdint.h>

#include "../base/error.h"
#include "../data/dataset.h"
#include "../math/gemm.h"
#include "../model/loss.h"
#include "../model/net.h"
#include "../model/optim.h"
#include "../model/train.h"
#include "class_names.h"
#include "deb822.h"
#include "policy.h"

typedef enum dm_normalize_kind {
	DM_NORMALIZE_AUTO,        /* scale 1/255 for IDX bytes, else none */
	DM_NORMALIZE_NONE,
	DM_NORMALIZE_SCALE,       /* x / K */
	DM_NORMALIZE_STANDARDIZE  /* (x - mean) / std per feature, from the training data */
} dm_normalize_kind;

typedef enum dm_cmp { DM_CMP_GE, DM_CMP_GT, DM_CMP_LE, DM_CMP_LT } dm_cmp;

typedef struct dm_expect {
	char metric[40];   /* e.g. "test-accuracy" */
	dm_cmp cmp;
	float value;
	char text[64];     /* as written, for messages */
} dm_expect;

typedef enum dm_upstream_format {
	DM_UPSTREAM_SAFETENSORS,  /* tensors by name, as the trainer writes them */
	DM_UPSTREAM_RAW_F32LE,    /* the Upstream-Network's tensors in order, no header */
	DM_UPSTREAM_ONNX          /* an ONNX model: the network is its graph's */
} dm_upstream_format;

/* Upstream-*: upstream's prebuilt weights, evaluated next to the retrained
 * model on the same test data. */
typedef struct dm_upstream_spec {
	const char *weights;        /* Upstream-Weights, or NULL: no comparison */
	dm_upstream_format format;
	dm_layer_spec *layers;      /* Upstream-Network (default: a copy of Network) */
	size_t nlayers;
	int has_max;                /* Upstream-Max-Regression was given */
	char metric[16];            /* "accuracy", "loss" or "rmse" */
	float max_regression;
} dm_upstream_spec;

/* Export: the formats written beside NAME.safetensors (bits). */
enum { DM_EXPORT_ONNX = 1 };

typedef struct dm_recipe {
	const dm_deb822 *file;
	const dm_stanza *stanza;
	size_t index;               /* 1-based stanza number */

	const char *model, *description, *license, *install;
	dm_data_spec train, test;   /* test.features == NULL: no test set */
	float validation_split;
	dm_shape input_shape;        /* Input-Shape, or ndim 0: a plain width */
	dm_layer_spec *layers;
	size_t nlayers;
	dm_class_names class_names; /* Class-Names, or .v NULL */
	dm_normalize_kind normalize;
	float normalize_scale;      /* DM_NORMALIZE_SCALE: K */
	dm_train_cfg train_cfg;     /* loss, optimizer, schedule, batch, epochs... */
	dm_expect *expect;
	size_t nexpect;
	dm_numerics numerics;
	const char *policy;         /* Policy: a policy name, or NULL */
	dm_limits limits;           /* Max-*: the recipe's own, lower limits (0 = unset) */
	const char *data_license;   /* Data-License: only for data no copyright file covers */
	dm_upstream_spec upstream;
	/* the audit of model-like files in the binary package (dh_auditmodels) */
	int unexplained_error;      /* Unexplained-Models: -1 unset, 0 warn(ing), 1 error */
	const char *model_files;    /* Model-Files: more globs that are models */
	const char *not_model_files;/* Not-Model-Files: globs that are not */
	unsigned exports;           /* Export: DM_EXPORT_* bits */
	/* Model-Type: supervised (fasttext/recipe.h): a text classifier; the
	 * numeric fields above then hold only what every recipe has */
	struct dm_ft_recipe *text;
} dm_recipe;

typedef struct dm_recipes {
	dm_deb822 file;
	dm_recipe *v;
	size_t n;
} dm_recipes;

/* Read and check every stanza of path. */
int dm_recipes_load(const char *path, dm_recipes *out, dm_error *err);
/* The same for recipe text already in memory (text[0..len)), named path in
 * messages. */
int dm_recipes_parse(const char *path, const char *text, size_t len, dm_recipes *out,
		     dm_error *err);
void dm_recipes_free(dm_recipes *r);
/* The stanzas [*first, *last) whose Model: is model (NULL: all of them);
 * an error naming path when none is. */
int dm_recipes_select(const dm_recipes *rs, const char *model, const char *path,
		      size_t *first, size_t *last, dm_error *err);

/* "debian/models: stanza 2 (fashion-mlp)" for messages about a recipe. */
void dm_recipe_where(const dm_recipe *r, char *buf, size_t size);
/* The shape of a sample: Input-Shape, whose product must be the data's
 * count of features, or else the data's own (data: IDX's header, or a
 * plain width). */
int dm_recipe_input_shape(const dm_recipe *r, const dm_shape *data, dm_shape *shape,
			  dm_error *err);
/* Line of a field in the recipe, or the stanza's first line if absent. */
unsigned dm_recipe_field_line(const dm_recipe *r, const char *field);

/* The table of known fields, for the man page test and suggestions. */
typedef struct dm_field_info {
	const char *name;
	int required;
	const char *help;
} dm_field_info;
const dm_field_info *dm_recipe_fields(size_t *n);

/* Evaluate one Expect condition. */
int dm_expect_holds(const dm_expect *e, float value);
const char *dm_cmp_text(dm_cmp c);

#endif
