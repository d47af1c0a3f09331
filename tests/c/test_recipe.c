/* test_recipe.c - recipes: every field parsed, every mistake named with
 * the file and the line; and the debian/copyright next to them (dep5.c)
 * and licence names (license.c), the inputs that the fuzz targets dep5 and
 * license found wrong. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "licensing/dep5.h"
#include "licensing/license.h"
#include "recipe/recipe.h"
#include "tap.h"

static char dir[] = "/tmp/dm-recipe-XXXXXX";

static int load(const char *text, dm_recipes *rs, dm_error *err, char *path, size_t size)
{
	FILE *f;
	snprintf(path, size, "%s/pkg.models", dir);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return dm_recipes_load(path, rs, err);
}

#define BASE "Model: m\nDataset: d.csv\nFormat: csv\nNetwork: dense 3\n" \
	     "Loss: softmax-cross-entropy\nEpochs: 2\nSeed: 1\n"

static void bad(const char *text, const char *want1, const char *want2, const char *what)
{
	dm_recipes rs;
	dm_error err = {"", 0};
	char path[256];
	int rc = load(text, &rs, &err, path, sizeof path);
	int good = rc == -1 && strstr(err.msg, path) && strstr(err.msg, want1) &&
		   (!want2 || strstr(err.msg, want2));
	ok(good, "%s: %s", what, err.msg);
	if (rc == 0)
		dm_recipes_free(&rs);
}

static void test_good(void)
{
	dm_recipes rs;
	dm_error err = {"", 0};
	char path[256];
	const dm_recipe *r;
	int rc = load("# a comment\n"
		      "Model: fashion-mlp\n"
		      "description: Fashion-MNIST classifier\n"
		      "Dataset: train-images-idx3-ubyte.gz\n"
		      "Labels: train-labels-idx1-ubyte.gz\n"
		      "Format: idx\n"
		      "Test-Dataset: t10k-images-idx3-ubyte.gz\n"
		      "Test-Labels: t10k-labels-idx1-ubyte.gz\n"
		      "Network: dense 256 relu,\n dropout 0.25,\n dense 10\n"
		      "Loss: softmax-cross-entropy\n"
		      "Optimizer: adamw\n"
		      "Learning-Rate: 0.002\n"
		      "Weight-Decay: 0.05\n"
		      "Clip-Norm: 5\n"
		      "LR-Schedule: step 2 0.5\n"
		      "Batch-Size: 128\n"
		      "EPOCHS: 10\n"
		      "Seed: 18446744073709551615\n"
		      "Validation-Split: 0.1\n"
		      "Early-Stopping: 3\n"
		      "Expect: test-accuracy >= 0.87, test-loss < 0.5\n"
		      "Numerics: openblas\n"
		      "Install: usr/share/fashion/\n"
		      "Input-Shape: 1x28X28\n"
		      "\n"
		      "Model: second\nDataset: d.csv\nFormat: csv\nNetwork: dense 1\n"
		      "Loss: mse\nEpochs: 1\nSeed: 0\nNormalize: scale 255\nLabel-Column: price\n",
		      &rs, &err, path, sizeof path);
	ok(rc == 0, "a full recipe parses: %s", rc ? err.msg : "ok");
	if (rc)
		return;
	r = &rs.v[0];
	ok(rs.n == 2 && !strcmp(r->model, "fashion-mlp") && !strcmp(rs.v[1].model, "second"),
	   "two stanzas, two models");
	ok(r->nlayers == 4 && r->layers[0].units == 256 && !strcmp(r->layers[1].op->name, "relu") &&
		   !strcmp(r->layers[2].op->name, "dropout") && r->layers[3].units == 10,
	   "a network over continuation lines");
	ok(r->input_shape.ndim == 3 && r->input_shape.d[0] == 1 && r->input_shape.d[1] == 28 &&
		   r->input_shape.d[2] == 28 && rs.v[1].input_shape.ndim == 0,
	   "Input-Shape: 1x28X28, and none in the second stanza");
	ok(r->train_cfg.optim.kind == DM_OPT_ADAMW && r->train_cfg.optim.lr == 0.002f &&
		   r->train_cfg.optim.weight_decay == 0.05f && r->train_cfg.optim.clip_norm == 5.0f,
	   "optimizer fields");
	ok(r->train_cfg.schedule.kind == DM_SCHEDULE_STEP && r->train_cfg.schedule.every == 2 &&
		   r->train_cfg.schedule.gamma == 0.5f, "LR-Schedule: step 2 0.5");
	ok(r->train_cfg.batch == 128 && r->train_cfg.epochs == 10 &&
		   r->train_cfg.seed == UINT64_MAX && r->train_cfg.patience == 3,
	   "batch, epochs (field names are case-insensitive), a 64-bit seed, patience");
	ok(r->nexpect == 2 && r->expect[0].cmp == DM_CMP_GE && r->expect[0].value == 0.87f &&
		   !strcmp(r->expect[1].metric, "test-loss") && r->expect[1].cmp == DM_CMP_LT,
	   "two Expect gates");
	ok(r->numerics == DM_NUMERICS_OPENBLAS && !strcmp(r->install, "usr/share/fashion/") &&
		   r->train.format == DM_FORMAT_IDX && r->train.integer_labels,
	   "numerics, install, format");
	ok(rs.v[1].normalize == DM_NORMALIZE_SCALE && rs.v[1].normalize_scale == 255.0f &&
		   !strcmp(rs.v[1].train.label_column, "price") && !rs.v[1].train.integer_labels &&
		   rs.v[1].train_cfg.optim.kind == DM_OPT_ADAM,
	   "second stanza: scale, label column, regression labels, default optimizer");
	ok(dm_recipe_field_line(r, "Epochs") == 19, "field lines are remembered (EPOCHS at 19)");
	dm_recipes_free(&rs);
}

#define DEP5_FORMAT "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"

/* Regressions of tests/fuzz/corpus/dep5/crash-*: a copyright file of the
 * trainer's is only ever read, never refused (the verdict says what is
 * wrong with it), so they are here and not in tests/bad/. */
static void test_dep5(void)
{
	static const char nul[] = DEP5_FORMAT "\nFiles: *\nLicense: Expat\x00x\n";
	static const char vt[] = DEP5_FORMAT "\nFiles: *\vdata/x\nLicense: Expat\n\n"
				 "Files: debian/*\nLicense: GPL-2+\n";
	dm_dep5 c;
	dm_error err = {"", 0};
	ok(dm_dep5_parse("dc", nul, sizeof nul - 1, &c, &err) == -1 &&
		   strstr(err.msg, "dc: line 4: contains a NUL byte"),
	   "dep5: a NUL byte in a DEP-5 file is an error that names its line: %s", err.msg);
	ok(dm_dep5_parse("dc", vt, sizeof vt - 1, &c, &err) == 0 && c.machine_readable &&
		   c.nfiles == 2, "dep5: a vertical tab between patterns parses");
	if (c.nfiles == 2) {
		ok(c.files[0].catch_all, "dep5: '*' before a vertical tab is a catch-all pattern");
		ok(dm_dep5_match(&c, "data/x") == &c.files[0] &&
			   dm_dep5_match(&c, "src/y.c") == &c.files[0] &&
			   dm_dep5_match(&c, "debian/rules") == &c.files[1],
		   "dep5: white space of any kind separates patterns, the last match applies");
	}
	dm_dep5_free(&c);
}

/* Regression of tests/fuzz/corpus/license/crash-long-name-cut. */
static void test_license(void)
{
	static const char list[] = "BSD-2-Clause-*\n!*-NC-*  non-commercial use only\n";
	char name[200], why[640];
	dm_license_list l;
	dm_error err = {"", 0};
	const dm_license_entry *e;
	if (!ok(dm_license_list_parse("fl", list, sizeof list - 1, &l, &err) == 0,
		"license: a list parses: %s", err.msg))
		return;
	snprintf(name, sizeof name, "BSD-2-Clause-%0120d-NC-4.0", 0);
	ok(dm_license_name_free(&l, name, &e) == 0 && e && e->not_free,
	   "license: a '!' line wins over a name of %zu characters too", strlen(name));
	ok(dm_license_expr_free(&l, name, why, sizeof why) == 0 && strstr(why, "non-commercial"),
	   "license: ... and the expression is not free: %.60s...", why);
	ok(dm_license_name_free(&l, "BSD-2-Clause-Patent", &e) == 1,
	   "license: a short name is free as before");
	{
		/* crash-256-words-then-space: 256 words are allowed, and white
		 * space after them is none */
		char expr[4096] = "BSD-2-Clause-Patent with OpenSSL exception"; /* 2.9 KB */
		int k;
		for (k = 0; k < 126; k++)
			strcat(expr, " or BSD-2-Clause-Patent");
		strcat(expr, " \n");
		ok(dm_license_expr_free(&l, expr, why, sizeof why) == 1,
		   "license: 256 words and a space after them: %.60s", why);
	}
	dm_license_list_free(&l);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_good();
	test_dep5();
	test_license();
	bad(BASE "Epoch: 3\n", "line 8: unknown field 'Epoch' (did you mean 'Epochs'?)", NULL,
	    "a misspelt field");
	bad(BASE "Frobnicate: yes\n", "line 8: unknown field 'Frobnicate'", "dh-model-train(1)",
	    "an unknown field");
	bad(BASE "seed: 2\n", "line 8: duplicate field 'seed' (first at line 7)", NULL,
	    "a duplicate field");
	bad("Model: m\nDataset: d.csv\nFormat: csv\nLoss: mse\nEpochs: 2\nSeed: 1\n",
	    "stanza 1 (line 1): missing required field Network", NULL, "a missing field");
	bad("Model: m\nDataset: d.csv\nFormat: csv\nNetwork: dense 3\nLoss: softmax-cross-entropy\n"
	    "Epochs: ten\nSeed: 1\n", "line 6: Epochs: expected a whole number from 1 to 100000, got 'ten'",
	    NULL, "a word for a number");
	bad(BASE "Batch-Size: -5\n", "line 8: Batch-Size: expected a whole number from 1 to 65536",
	    "'-5'", "a negative size");
	bad(BASE "Batch-Size: 100000000\n", "Batch-Size: expected a whole number from 1 to 65536",
	    NULL, "an absurd size");
	bad(BASE "Learning-Rate: 0\n", "line 8: Learning-Rate: expected a number in (0, 10]", NULL,
	    "a zero learning rate");
	bad(BASE "Learning-Rate: nan\n", "Learning-Rate: expected a number", "'nan'", "NaN as a rate");
	bad("Model: m\nDataset: d.csv\nFormat: csv\nNetwork: dense x\nLoss: mse\nEpochs: 1\nSeed: 1\n",
	    "line 4: Network: item 1 'dense x': expected a number of units", NULL, "a bad layer");
	bad("Model: m\nDataset: d.csv\nFormat: csv\nNetwork: lstm 3, dense 2\nLoss: softmax-cross-entropy\n"
	    "Epochs: 1\nSeed: 1\n", "line 4: Network: item 1 'lstm 3': unknown layer 'lstm'", NULL,
	    "an unknown layer");
	bad("Model: m\nDataset: d.csv\nFormat: csv\nNetwork: dense 3\nLoss: hinge\nEpochs: 1\nSeed: 1\n",
	    "line 5: Loss: expected softmax-cross-entropy, binary-cross-entropy or mse, got 'hinge'",
	    NULL, "an unknown loss");
	bad(" leading: space\n" BASE, "line 1: continuation line outside a field", NULL,
	    "a continuation line first");
	bad(BASE "this line has no colon\n", "line 8: expected 'Field: value', got 'this line has no colon'",
	    NULL, "a line without a colon");
	bad("Model: m\nDataset: d.idx\nFormat: idx\nNetwork: dense 3\nLoss: softmax-cross-entropy\n"
	    "Epochs: 1\nSeed: 1\n", "line 3: Format idx needs a Labels field", NULL, "idx without Labels");
	bad(BASE "Labels: l.csv\n", "line 8: Labels is only for Format idx", NULL, "Labels with csv");
	bad(BASE "Format2: x\n", "unknown field 'Format2' (did you mean 'Format'?)", NULL,
	    "a near-miss field name");
	bad(BASE "Expect: test-f1 >= 0.9\n", "line 8: Expect: unknown metric 'test-f1'", NULL,
	    "an unknown metric");
	bad(BASE "Expect: test-accuracy >= 0.9\n", "line 8: Expect: test-accuracy needs a Test-Dataset",
	    NULL, "a test gate without test data");
	bad(BASE "Expect: test-accuracy => 0.9\n", "line 8: Expect: expected 'METRIC OP NUMBER'", NULL,
	    "a malformed gate");
	bad(BASE "\n" BASE, "line 9: Model 'm' is already defined in stanza 1", NULL,
	    "a duplicate model");
	bad("Model: My/Model\nDataset: d.csv\nFormat: csv\nNetwork: dense 3\nLoss: mse\nEpochs: 1\nSeed: 1\n",
	    "line 1: Model: expected", "'My/Model'", "a model name with capitals and a slash");
	bad(BASE "Validation-Split: 1.5\n", "line 8: Validation-Split: expected a number in [0, 1)",
	    NULL, "a split out of range");
	bad(BASE "Early-Stopping: 3\n", "line 8: Early-Stopping needs a Validation-Split", NULL,
	    "early stopping without validation");
	bad(BASE "Momentum: 0.9\n", "line 8: Momentum is for Optimizer sgd", NULL,
	    "momentum with adam");
	bad(BASE "Install: /usr/share/x/\n", "line 8: Install: expected a directory inside the package",
	    NULL, "an absolute install path");
	bad(BASE "Install: usr/share/x\n", "line 8: Install: expected a directory inside the package",
	    "ending in '/'", "an install path without its final slash");
	bad(BASE "Install: usr/share/../x/\n", "Install: expected a directory inside the package",
	    "'usr/share/../x/'", "an install path with '..'");
	bad("Model: m\nDataset: d.csv\nFormat: csv\nNetwork: dense 10\nLoss: binary-cross-entropy\n"
	    "Epochs: 1\nSeed: 1\n", "line 4: Network: Loss binary-cross-entropy needs one output",
	    "dense 10", "binary loss with ten outputs");
	bad(BASE "LR-Schedule: linear\n", "line 8: LR-Schedule: expected constant, step N GAMMA", NULL,
	    "an unknown schedule");
	bad(BASE "Expect: test-rmse < 1\nTest-Dataset: t.csv\n", "Expect: test-rmse does not exist for Loss softmax",
	    NULL, "rmse for a classifier");
	bad("", "no stanza", NULL, "an empty recipe");
	bad("# only a comment\n\n\n", "no stanza", NULL, "a recipe of comments");
	bad(BASE "Numerics: fast\n", "line 8: Numerics: expected portable or openblas, got 'fast'", NULL,
	    "an unknown back-end");
	bad(BASE "Shuffle: maybe\n", "line 8: Shuffle: expected yes or no", NULL, "a bad boolean");
	{
		/* a NUL byte cannot be written through fputs: write it by hand */
		char path[256];
		dm_recipes rs;
		dm_error err = {"", 0};
		FILE *f;
		snprintf(path, sizeof path, "%s/nul.models", dir);
		f = fopen(path, "w");
		fwrite("Model: m\0\n", 1, 10, f);
		fclose(f);
		ok(dm_recipes_load(path, &rs, &err) == -1 && strstr(err.msg, "NUL byte"),
		   "a NUL byte: %s", err.msg);
		unlink(path);
		ok(dm_recipes_load(path, &rs, &err) == -1 && strstr(err.msg, "cannot open") &&
			   strstr(err.msg, path), "a missing recipe: %s", err.msg);
	}
	{
		char path[256];
		snprintf(path, sizeof path, "%s/pkg.models", dir);
		unlink(path);
		rmdir(dir);
	}
	return done_testing();
}
