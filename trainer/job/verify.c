/* verify.c - retrain and compare; write reproducibility bundles.
 *
 * The weights file or bundle that verify and bundle are given is untrusted
 * input, like a dataset, and so is every field of the provenance in it
 * (provenance/record.h).  What they open besides that file, and nothing
 * else, is decided in provenance/datafile.h: the data files the provenance
 * records with a SHA-256, below the data directory of the command line or
 * at their recorded absolute path, each checked before it is used.  The
 * policy the provenance names is a name, looked up among the installed
 * policies.
 *
 * verify works in a private temporary directory: a child process does all
 * the work there, restricted by the sandbox (os/sandbox.h) to writing in it,
 * and the parent removes it afterwards, whatever became of the child.
 * SIGINT, SIGTERM and SIGHUP are passed on to the child, and the parent
 * acts on them only once the directory is gone.
 */
#include "verify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/epoch.h"
#include "base/text.h"
#include "job/commands.h"
#include "os/child.h"
#include "os/sandbox.h"
#include "os/tmpdir.h"
#include "output/bundle.h"
#include "output/card.h"
#include "output/json.h"
#include "output/safetensors.h"
#include "provenance/bundle_read.h"
#include "provenance/datafile.h"
#include "provenance/record.h"

#define MAX_MEMBER (1ull << 32)  /* the weights of a bundle: at most 4 GiB */
#define MAX_SMALL (16u << 20)    /* a provenance or a recipe: at most 16 MiB */

/* A line for the user: it may quote the file, so it is made printable. */
static void tell(const dm_ctx *o, const char *line)
{
	char shown[1024];
	if (o->say)
		o->say(o->say_ctx, dm_printable(line, shown, sizeof shown));
}

static const dm_json *path_get(const dm_json *v, const char *a, const char *b)
{
	v = v && v->type == DM_JSON_OBJECT ? dm_json_get(v, a) : NULL;
	return v && b ? (v->type == DM_JSON_OBJECT ? dm_json_get(v, b) : NULL) : v;
}

static const char *string_at(const dm_json *v, const char *a, const char *b)
{
	v = path_get(v, a, b);
	return v && v->type == DM_JSON_STRING ? v->string : NULL;
}

/* ---- compare ---- */

static int compare(const char *what, const dm_safetensors *orig, const dm_record *rec,
		   const dm_safetensors *again, const dm_ctx *o, dm_error *err)
{
	size_t i, k, params = 0;
	char line[512];
	for (i = 0; i < orig->ntensors; i++) {
		const dm_tensor *a = &orig->tensors[i], *b = dm_safetensors_find(again, a->name);
		if (!b)
			return dm_fail_code(err, DM_EXIT_DIFFER, "%s: tensor '%s' is missing from the "
					    "retrained weights", what, a->name);
		if (a->count != b->count || a->ndim != b->ndim)
			return dm_fail_code(err, DM_EXIT_DIFFER, "%s: tensor '%s' has another shape "
					    "after retraining", what, a->name);
		for (k = 0; k < a->count; k++)
			if (memcmp(&a->data[k], &b->data[k], sizeof(float))) {
				uint32_t ua, ub;
				memcpy(&ua, &a->data[k], 4);
				memcpy(&ub, &b->data[k], 4);
				return dm_fail_code(err, DM_EXIT_DIFFER, "%s: tensor '%s' differs: element %zu "
						    "is %.9g (0x%08x) in the file, %.9g (0x%08x) retrained%s",
						    what, a->name, k, (double)a->data[k], ua,
						    (double)b->data[k], ub,
						    rec->numerics && !strcmp(rec->numerics, "openblas")
						    ? "; these weights were trained with the openblas back-end, "
						      "which is reproducible only on the same CPU core type and "
						      "thread count" : "");
			}
		params += a->count;
	}
	if (again->ntensors != orig->ntensors)
		return dm_fail_code(err, DM_EXIT_DIFFER, "%s: the retrained weights have %zu tensors, "
				    "the file %zu", what, again->ntensors, orig->ntensors);
	snprintf(line, sizeof line, "%s: identical: all %zu tensors (%zu values) of %s match the "
		 "retrained weights bit for bit", what, orig->ntensors, params, rec->model);
	tell(o, line);
	return 0;
}

/* A fastText .bin against the retrained one, byte for byte. */
static int compare_bin(const char *what, const char *again_path, const dm_record *rec,
		       const dm_ctx *o, dm_error *err)
{
	char *a = NULL, *b = NULL, line[700];
	size_t na, nb, k;
	int rc = -1;
	if (!(a = dm_read_regular(what, MAX_MEMBER, &na, NULL, err)))
		return -1;
	if (!(b = dm_read_regular(again_path, MAX_MEMBER, &nb, NULL, err))) {
		dm_fail_code(err, DM_EXIT_DIFFER, "%s: the retraining wrote no %s.bin (no Export: "
			     "fasttext in the recipe of its provenance?)", what, rec->model);
		goto out;
	}
	for (k = 0; k < na && k < nb && a[k] == b[k]; k++)
		;
	if (k < na || k < nb) {
		dm_fail_code(err, DM_EXIT_DIFFER, "%s: differs from the retrained %s.bin at byte %zu "
			     "(%zu bytes in the file, %zu retrained)", what, rec->model, k, na, nb);
		goto out;
	}
	snprintf(line, sizeof line, "%s: identical: all %zu bytes match the retrained %s.bin",
		 what, na, rec->model);
	tell(o, line);
	rc = 0;
out:
	free(a);
	free(b);
	return rc;
}

/* The data hashes recorded at training against those the retraining read. */
static int same_data(const char *what, const dm_record *rec, const dm_json *now, dm_error *err)
{
	size_t i, k = 0;
	static const char *parts[] = {"train", "test"};
	for (i = 0; i < 2; i++) {
		const dm_json *b = path_get(now, "data", parts[i]);
		size_t j;
		for (j = 0; b && b->type == DM_JSON_ARRAY && j < b->len; j++, k++) {
			const char *hb = string_at(&b->items[j], "sha256", NULL);
			if (k >= rec->ndata || strcmp(rec->data[k].part, parts[i]))
				return dm_fail_code(err, DM_EXIT_DIFFER, "%s: the retraining read other data "
						    "files than the model was trained on", what);
			if (!hb || strcmp(hb, rec->data[k].sha256))
				return dm_fail_code(err, DM_EXIT_DIFFER, "%s: data file %s has SHA-256 %s, "
						    "but the model was trained on %s", what,
						    rec->data[k].path, hb ? hb : "?", rec->data[k].sha256);
		}
	}
	if (k != rec->ndata)
		return dm_fail_code(err, DM_EXIT_DIFFER, "%s: the retraining read other data files "
				    "than the model was trained on", what);
	return 0;
}

/* The policy and the list of free licences that a provenance names are
 * names: the ones installed here applied to the retraining.  Say so when
 * they are not the ones the model was trained with (the weights do not
 * depend on them). */
static void installed_notes(const char *what, const dm_record *rec, const dm_json *now,
			    const dm_ctx *o)
{
	const char *name = string_at(now, "budget", "policy");
	const char *sha = string_at(now, "budget", "policy-sha256");
	const char *was = string_at(path_get(rec->json, "verdict", "free-licenses"), "sha256", NULL);
	const char *is = string_at(path_get(now, "verdict", "free-licenses"), "sha256", NULL);
	char line[700];
	if (!o->say)
		return;
	if (rec->policy_sha256 && sha && strcmp(sha, rec->policy_sha256)) {
		snprintf(line, sizeof line, "%s: note: the budget was checked with the policy %s "
			 "installed here (SHA-256 %.64s), not the one the model was trained under (%s, "
			 "SHA-256 %.64s)", what, name ? name : "?", sha, rec->policy ? rec->policy : "?",
			 rec->policy_sha256);
		tell(o, line);
	}
	if (was && is && strcmp(was, is)) {
		snprintf(line, sizeof line, "%s: note: the list of free licences installed here (SHA-256 "
			 "%.64s) is not the one the model's verdict used (SHA-256 %.64s)", what, is, was);
		tell(o, line);
	}
}

/* ---- verify, in the child ---- */

typedef struct work {
	const char *what;            /* the file on the command line */
	const char *tmp;             /* the private directory */
	int tmpfd;
	const dm_ctx *o;
	dm_safetensors st;
	dm_record rec;
	dm_bundle_contents bc;
	int bundle;
	int bin;                     /* a fastText .bin: its record is NAME.json beside it */
	char *record_text;           /* that NAME.json */
	char *use[DM_RECORD_MAX_DATA];     /* the data paths to train on */
	char *inside[DM_RECORD_MAX_DATA];  /* a bundle's "data/FILE[:member]" */
} work;

static char *joined(const char *a, const char *b, const char *c, dm_error *err)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
	char *s = dm_malloc(n, err);
	if (s)
		snprintf(s, n, "%s%s%s", a, b, c);
	return s;
}

/* Length of candidate k for the archive part of a data path, in the order
 * dm_data_file_of tries them (the whole path, then each part before a ':'
 * from the left), or 0 when there is no such candidate. */
static size_t candidate(const char *path, int k)
{
	const char *c = NULL;
	if (k == 0)
		return strlen(path);
	while (k-- > 0 && (c = strchr(c ? c + 1 : path, ':')))
		;
	return c ? (size_t)(c - path) : 0;
}

/* The data that travel in a bundle: for each recorded file, the member
 * data/FILE named like the archive part of its path, whose SHA-256 is the
 * recorded one; every such member must serve a recorded file. */
static int bundle_data(work *w, dm_error *err)
{
	char hex[DM_BUNDLE_MAX_DATA][65] = {{0}}, where[4096];
	int used[DM_BUNDLE_MAX_DATA] = {0}, k;
	size_t i, j, len;
	for (i = 0; i < w->rec.ndata; i++) {
		const dm_record_data *d = &w->rec.data[i];
		for (k = 0; (len = candidate(d->path, k)) > 0; k++) {
			const char *name = d->path + len, *member = d->path[len] ? d->path + len + 1 : NULL;
			while (name > d->path && name[-1] != '/')
				name--;
			for (j = 0; j < w->bc.ndata; j++)
				if (strlen(w->bc.data[j]) == (size_t)(d->path + len - name) &&
				    !memcmp(w->bc.data[j], name, strlen(w->bc.data[j])))
					break;
			if (j == w->bc.ndata)
				continue;
			snprintf(where, sizeof where, "%s/data/%s", w->tmp, w->bc.data[j]);
			if (!hex[j][0]) {
				uint64_t size = 0;
				int fd = dm_open_sized(where, &size, err), rc;
				if (fd < 0)
					return -1;
				rc = dm_read_hashed(fd, where, size, hex[j], NULL, NULL, err);
				close(fd);
				if (rc)
					return -1;
			}
			if (strcmp(hex[j], d->sha256))
				return dm_fail_code(err, DM_EXIT_DIFFER, "%s: data/%s in the bundle has "
						    "SHA-256 %s, but the model was trained on %s (%s)",
						    w->what, w->bc.data[j], hex[j], d->sha256, d->path);
			used[j] = 1;
			if (!(w->use[i] = joined(where, member ? ":" : "", member ? member : "", err)) ||
			    !(w->inside[i] = joined("data/", w->bc.data[j], "", err)))
				return -1;
			if (member) {
				char *t = joined(w->inside[i], ":", member, err);
				free(w->inside[i]);
				if (!(w->inside[i] = t))
					return -1;
			}
			break;
		}
		if (!len)
			return dm_fail(err, "%s: the bundle carries no data file for %s", w->what, d->path);
	}
	for (j = 0; j < w->bc.ndata; j++)
		if (!used[j])
			return dm_fail(err, "%s: data/%s in the bundle is no data file of %s", w->what,
				       w->bc.data[j], w->rec.model);
	return 0;
}

/* The data on this machine: below --data-dir or at the recorded absolute
 * path, each checked before the retraining opens it. */
static int local_data(work *w, dm_error *err)
{
	const char *dir = w->o->data_dir ? w->o->data_dir : ".";
	size_t i;
	for (i = 0; i < w->rec.ndata; i++) {
		dm_data_found f;
		int rc;
		if (dm_data_find(&w->rec.data[i], dir, &f, err))
			return dm_error_prefix(err, "%s", w->what);
		rc = dm_data_check_file(f.file, w->rec.data[i].path, w->rec.data[i].sha256, err);
		if (rc == 0) {
			w->use[i] = f.path;
			f.path = NULL;
		}
		dm_data_found_free(&f);
		if (rc)
			return dm_error_prefix(err, "%s", w->what);
	}
	return 0;
}

/* A bundle's NAME.json and NAME.models are what bundle writes for its
 * weights: the provenance in them, and its recipe with the paths into the
 * bundle (or as recorded, without data). */
static int bundle_members(work *w, dm_error *err)
{
	static const struct { unsigned bit; const char *suffix; } need[] = {
		{DM_BUNDLE_JSON, "json"}, {DM_BUNDLE_CARD, "md"}, {DM_BUNDLE_RECIPE, "models"}};
	char path[4096], *text = NULL, *want = NULL;
	size_t i, n;
	int rc = -1;
	for (i = 0; i < sizeof need / sizeof need[0]; i++)
		if (!(w->bc.have & need[i].bit))
			return dm_fail(err, "%s: no %s.%s in the bundle", w->what, w->bc.model,
				       need[i].suffix);
	snprintf(path, sizeof path, "%s/%s.json", w->tmp, w->bc.model);
	if (!(text = dm_read_regular(path, MAX_SMALL, &n, NULL, err)))
		goto out;
	if (n != strlen(w->rec.text) + 1 || memcmp(text, w->rec.text, n - 1) || text[n - 1] != '\n') {
		dm_fail(err, "%s: %s.json is not the provenance in %s.safetensors", w->what,
			w->bc.model, w->bc.model);
		goto out;
	}
	free(text);
	snprintf(path, sizeof path, "%s/%s.models", w->tmp, w->bc.model);
	if (!(text = dm_read_regular(path, MAX_SMALL, &n, NULL, err)) ||
	    !(want = dm_record_recipe(&w->rec, w->bc.ndata ? (const char *const *)w->inside : NULL, 0,
				      err)))
		goto out;
	if (strlen(want) != n || memcmp(text, want, n)) {
		dm_fail(err, "%s: %s.models is not the recipe in the provenance of %s.safetensors",
			w->what, w->bc.model, w->bc.model);
		goto out;
	}
	rc = 0;
out:
	free(text);
	free(want);
	return rc;
}

/* A fastText .bin's record: NAME.json beside NAME.bin. */
static int bin_record(work *w, dm_error *err)
{
	size_t n = strlen(w->what), len;
	char *json;
	if (n < 5 || strcmp(w->what + n - 4, ".bin"))
		return dm_fail(err, "%s: a fastText model, but not named NAME.bin; expected its "
			       "provenance NAME.json beside NAME.bin", w->what);
	if (!(json = dm_malloc(n + 2, err)))
		return -1;
	snprintf(json, n + 2, "%.*s.json", (int)(n - 4), w->what);
	w->record_text = dm_read_regular(json, MAX_SMALL, &len, NULL, err);
	if (!w->record_text) {
		dm_error_prefix(err, "%s: its provenance", w->what);
		free(json);
		return -1;
	}
	if (dm_record_parse(json, w->record_text, len, &w->rec, err)) {
		free(json);
		return -1;
	}
	free(json);
	return 0;
}

/* Retrain the recipe of the provenance on the checked data into tmp/out,
 * then compare. */
static int retrain_and_compare(work *w, dm_error *err)
{
	char where[4200], out[4200], path[4200], *text = NULL, *json = NULL;
	dm_recipes rs;
	dm_job_opts jo;
	dm_safetensors again;
	dm_json *now = NULL;
	size_t n;
	int rc = -1, have_rs = 0, have_again = 0;
	/* the recipe without Upstream-*: upstream's file changes no weight */
	if (!(text = dm_record_recipe(&w->rec, (const char *const *)w->use, DM_RECIPE_NO_UPSTREAM, err)))
		return dm_error_prefix(err, "%s", w->what);
	snprintf(where, sizeof where, "%s (the recipe in its provenance)", w->what);
	if (dm_recipes_parse(where, text, strlen(text), &rs, err))
		goto out;
	have_rs = 1;
	/* the policy that applied at training applies again: by its name,
	 * among the installed ones (the context's policy, DH_MODEL_POLICY,
	 * still wins) */
	if (w->rec.policy)
		rs.v[0].policy = w->rec.policy;
	snprintf(out, sizeof out, "%.4000s/out", w->tmp);
	if (mkdir(out, 0700)) {
		dm_fail(err, "%s: %s", out, strerror(errno));
		goto out;
	}
	if (w->o->say) {
		char line[512];
		snprintf(line, sizeof line, "%s: retraining %s from its recipe and data...", w->what,
			 w->rec.model);
		tell(w->o, line);
	}
	/* the caller's policy settings; no progress, no profile */
	memset(&jo, 0, sizeof jo);
	jo.threads = w->o->threads;
	jo.kernel = w->o->kernel;
	jo.cleanup = w->o->cleanup;
	jo.policy = w->o->policy;
	jo.policy_dir = w->o->policy_dir;
	jo.free_licenses = w->o->free_licenses;
	jo.dpkg_root = w->o->dpkg_root;
	jo.dpkg_admindir = w->o->dpkg_admindir;
	jo.source_date_epoch = w->o->source_date_epoch;
	jo.output_dir = out;
	jo.no_expect = 1;
	jo.sandbox_dir = w->tmp;
	if (dm_job_train(&rs.v[0], &jo, err)) {
		dm_error_prefix(err, "%s: retraining failed", w->what);
		goto out;
	}
	snprintf(path, sizeof path, "%.4000s/%s.json", out, w->rec.model);
	if (!(json = dm_read_regular(path, MAX_SMALL, &n, NULL, err)) ||
	    !(now = dm_json_parse(json, n, err)) ||
	    same_data(w->what, &w->rec, now, err))
		goto out;
	installed_notes(w->what, &w->rec, now, w->o);
	if (w->bin) {
		snprintf(path, sizeof path, "%.4000s/%s.bin", out, w->rec.model);
		rc = compare_bin(w->what, path, &w->rec, w->o, err);
		goto out;
	}
	snprintf(path, sizeof path, "%.4000s/%s.safetensors", out, w->rec.model);
	if (dm_safetensors_read(path, &again, err))
		goto out;
	have_again = 1;
	rc = compare(w->what, &w->st, &w->rec, &again, w->o, err);
out:
	if (have_again)
		dm_safetensors_free(&again);
	if (have_rs)
		dm_recipes_free(&rs);
	dm_json_delete(now);
	free(json);
	free(text);
	return rc;
}

static int is_tar(const char *path)
{
	unsigned char h[512];
	uint64_t size = 0;
	int fd = dm_open_sized(path, &size, NULL), tar;
	if (fd < 0)
		return 0;
	tar = read(fd, h, sizeof h) == (ssize_t)sizeof h && !memcmp(h + 257, "ustar", 5);
	close(fd);
	return tar;
}

static int verify_work(work *w, dm_error *err)
{
	char weights[4200], what[512];
	const char *file = w->what;
	if ((w->bin = dm_is_fasttext_file(file)))
		return bin_record(w, err) || local_data(w, err) ? -1 : retrain_and_compare(w, err);
	if ((w->bundle = is_tar(file))) {
		if (dm_bundle_unpack(file, w->tmpfd, &w->bc, err))
			return -1;
		if (!(w->bc.have & DM_BUNDLE_WEIGHTS))
			return dm_fail(err, "%s: no NAME.safetensors in the bundle", file);
		snprintf(weights, sizeof weights, "%s/%s.safetensors", w->tmp, w->bc.model);
		file = weights;
	}
	if (dm_safetensors_read(file, &w->st, err))
		return -1;
	snprintf(what, sizeof what, "%s%s%s", w->what, w->bundle ? ": " : "",
		 w->bundle ? w->bc.model : "");
	if (w->bundle)
		snprintf(what + strlen(what), sizeof what - strlen(what), ".safetensors");
	if (dm_record_of_weights(what, &w->st, &w->rec, err))
		return -1;
	if (w->bundle) {
		if (strcmp(w->rec.model, w->bc.model))
			return dm_fail(err, "%s: the weights of model %s are named %s.safetensors",
				       w->what, w->rec.model, w->bc.model);
		if (w->bc.ndata ? bundle_data(w, err) : local_data(w, err))
			return -1;
		if (bundle_members(w, err))
			return -1;
	} else if (local_data(w, err)) {
		return -1;
	}
	return retrain_and_compare(w, err);
}

/* The child: sandboxed at once to writing in the private directory. */
static int child_work(const char *file, const char *tmp, const dm_ctx *o, dm_error *err)
{
	work w;
	char what[512];
	size_t i;
	int rc = -1;
	memset(&w, 0, sizeof w);
	w.what = file;
	w.tmp = tmp;
	w.o = o;
	if (dm_sandbox(tmp, what, sizeof what, err))
		return -1;
	if ((w.tmpfd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return dm_fail(err, "%s: %s", tmp, strerror(errno));
	rc = verify_work(&w, err);
	close(w.tmpfd);
	for (i = 0; i < DM_RECORD_MAX_DATA; i++)
		free(w.use[i]), free(w.inside[i]);
	dm_record_free(&w.rec);
	free(w.record_text);
	dm_safetensors_free(&w.st);
	return rc;
}

typedef struct child_args {
	const char *file, *tmp;
	const dm_ctx *o;
} child_args;

static int child_main(void *arg, dm_error *err)
{
	const child_args *a = arg;
	return child_work(a->file, a->tmp, a->o, err);
}

int dm_verify(const char *file, const dm_ctx *o, dm_error *err)
{
	dm_forward fw;
	child_args args;
	char tmp[4096], what[4200];
	int rc;
	if (dm_private_dir("dh-model-verify", tmp, sizeof tmp, err))
		return -1;
	args = (child_args){file, tmp, o};
	snprintf(what, sizeof what, "%s: the retraining", file);
	dm_forward_begin(&fw);
	rc = dm_forward_caught() ? dm_fail(err, "%s: interrupted", file)
				 : dm_in_child(child_main, &args, what, err);
	if (dm_remove_tree(tmp) && rc == 0)
		rc = dm_fail(err, "%s: cannot remove the temporary directory: %s", tmp, strerror(errno));
	/* the signal that stopped verify, now for the caller's handler (or
	 * the default action), with nothing left behind */
	dm_forward_end(&fw);
	return rc;
}

/* ---- writing a bundle ---- */

typedef struct travel {
	dm_data_found f;
	int fd;              /* open while the sizes are summed */
	uint64_t size;
	char *body;
	char member[112];    /* data/NAME: ustar names are under 100 bytes */
	size_t same_as;      /* index of the first record of this file */
} travel;

/* Find and open every data file of the record (relative ones below dir);
 * two records of one archive share it. */
static int open_data(const char *what, const dm_record *rec, const char *dir, travel *t,
		     uint64_t *total, dm_error *err)
{
	size_t i, k;
	*total = 0;
	for (i = 0; i < rec->ndata; i++) {
		const char *want;
		t[i].fd = -1;
		t[i].same_as = i;
		if (dm_data_find(&rec->data[i], dir, &t[i].f, err))
			return dm_error_prefix(err, "%s", what);
		for (k = 0; k < i; k++)
			if (!strcmp(t[k].f.file, t[i].f.file))
				break;
		if (k < i) {
			if (strcmp(rec->data[k].sha256, rec->data[i].sha256))
				return dm_fail(err, "%s: the provenance records two SHA-256 for %s", what,
					       t[i].f.file);
			t[i].same_as = k;
			continue;
		}
		if ((want = dm_file_name_problem(t[i].f.name)) || strlen(t[i].f.name) > 94)
			return dm_fail(err, "%s: data file %s: its name in the bundle must be %s", what,
				       rec->data[i].path, want ? want : "at most 94 bytes");
		snprintf(t[i].member, sizeof t[i].member, "data/%s", t[i].f.name);
		for (k = 0; k < i; k++)
			if (t[k].same_as == k && !strcmp(t[k].member, t[i].member))
				return dm_fail(err, "%s: two data files are named %s", what, t[i].member);
		if ((t[i].fd = dm_open_sized(t[i].f.file, &t[i].size, err)) < 0)
			return dm_error_prefix(err, "%s: data file %s", what, rec->data[i].path);
		*total = *total + t[i].size < *total ? UINT64_MAX : *total + t[i].size;
	}
	return 0;
}

int dm_bundle(const char *weights, const char *output, uint64_t max_data, const dm_ctx *o,
	      dm_error *err)
{
	dm_safetensors st;
	dm_record rec;
	travel t[DM_RECORD_MAX_DATA];
	dm_bundle_member mem[4 + DM_RECORD_MAX_DATA];
	char *wbytes = NULL, *card = NULL, *recipe = NULL, *json = NULL, *inside[DM_RECORD_MAX_DATA] = {0};
	char jname[80], mname[80], rname[80], wname[80];
	size_t nmem = 0, i, wsize;
	uint64_t total, mtime = 0;
	int rc = -1, carries = 0, have_st = 0, have_rec = 0;
	memset(t, 0, sizeof t);
	for (i = 0; i < DM_RECORD_MAX_DATA; i++)
		t[i].fd = -1;
	/* the weights are parsed from the very bytes that go into the bundle */
	if (!(wbytes = dm_read_regular(weights, MAX_MEMBER, &wsize, NULL, err)) ||
	    dm_safetensors_parse(weights, wbytes, wsize, &st, err))
		goto out;
	have_st = 1;
	if (dm_record_of_weights(weights, &st, &rec, err))
		goto out;
	have_rec = 1;
	if (open_data(weights, &rec, o->data_dir ? o->data_dir : ".", t, &total, err))
		goto out;
	carries = total <= max_data;
	for (i = 0; carries && i < rec.ndata; i++) {
		travel *first = &t[t[i].same_as];
		char hex[65];
		if (t[i].same_as == i && dm_read_hashed(t[i].fd, t[i].f.file, t[i].size, hex,
								     &t[i].body, NULL, err))
			goto out;
		if (t[i].same_as == i && dm_data_compare(rec.data[i].path, t[i].f.file, hex,
							 rec.data[i].sha256, err)) {
			err->code = DM_EXIT_ERROR; /* 5 is verify's */
			dm_error_prefix(err, "%s", weights);
			goto out;
		}
		if (!(inside[i] = joined(first->member, t[i].f.member ? ":" : "",
					 t[i].f.member ? t[i].f.member : "", err)))
			goto out;
		if (t[i].same_as == i)
			mem[4 + nmem++] = (dm_bundle_member){t[i].member, t[i].body, (size_t)t[i].size};
	}
	if (!(recipe = dm_record_recipe(&rec, carries ? (const char *const *)inside : NULL, 0, err)) ||
	    !(card = dm_card_markdown(weights, rec.text, strlen(rec.text), err)) ||
	    !(json = joined(rec.text, "\n", "", err)))
		goto out;
	snprintf(jname, sizeof jname, "%s.json", rec.model);
	snprintf(mname, sizeof mname, "%s.md", rec.model);
	snprintf(rname, sizeof rname, "%s.models", rec.model);
	snprintf(wname, sizeof wname, "%s.safetensors", rec.model);
	mem[0] = (dm_bundle_member){jname, json, strlen(json)};
	mem[1] = (dm_bundle_member){mname, card, strlen(card)};
	mem[2] = (dm_bundle_member){rname, recipe, strlen(recipe)};
	mem[3] = (dm_bundle_member){wname, wbytes, wsize};
	nmem += 4;
	if (dm_source_date_epoch(o->source_date_epoch, &mtime, err) < 0)
		goto out;
	if (dm_bundle_write(output, mem, nmem, mtime, err))
		goto out;
	if (o->say) {
		char line[512];
		snprintf(line, sizeof line, "%s: %zu members, %s", output, nmem,
			 carries ? "with the data" : "without the data (the recipe names where it is)");
		tell(o, line);
	}
	rc = 0;
out:
	for (i = 0; i < DM_RECORD_MAX_DATA; i++) {
		if (t[i].fd >= 0)
			close(t[i].fd);
		dm_data_found_free(&t[i].f);
		free(t[i].body);
		free(inside[i]);
	}
	if (have_rec)
		dm_record_free(&rec);
	if (have_st)
		dm_safetensors_free(&st);
	free(card), free(recipe), free(wbytes), free(json);
	return rc;
}
