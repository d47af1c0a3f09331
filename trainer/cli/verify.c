/* verify.c - retrain and compare; write and read reproducibility bundles. */
#include "verify.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/sha256.h"
#include "output/bundle.h"
#include "output/card.h"
#include "output/json.h"
#include "output/safetensors.h"
#include "cli/upstream.h"

#define MAX_MEMBER (1ull << 32) /* a bundle member larger than 4 GiB is refused */

/* ---- small file helpers ---- */

static int write_all(const char *path, const void *data, size_t n, dm_error *err)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
		if (f)
			fclose(f);
		return dm_fail(err, "%s: cannot write: %s", path, strerror(errno));
	}
	return 0;
}

static char *read_all(const char *path, size_t *n, dm_error *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size;
	if (!f)
		return dm_fail(err, "%s: cannot open: %s", path, strerror(errno)), NULL;
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return dm_fail(err, "%s: cannot read: %s", path, strerror(errno)), NULL;
	}
	if ((buf = dm_malloc((size_t)size + 1, err)) && fread(buf, 1, (size_t)size, f) != (size_t)size) {
		free(buf);
		buf = NULL;
		dm_fail(err, "%s: cannot read: %s", path, strerror(errno));
	}
	fclose(f);
	if (buf) {
		buf[size] = 0;
		*n = (size_t)size;
	}
	return buf;
}

/* Remove the private temporary directory and what we put in it. */
static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];
	if (!d)
		return;
	while ((e = readdir(d))) {
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			remove_tree(path);
		else
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static int make_tmpdir(char *buf, size_t size, dm_error *err)
{
	const char *t = getenv("TMPDIR");
	snprintf(buf, size, "%s/dh-model-verify.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(buf))
		return dm_fail(err, "%s: cannot create a temporary directory: %s", buf, strerror(errno));
	return 0;
}

/* ---- the provenance inside a weights file ---- */

typedef struct model_file {
	dm_safetensors st;
	dm_json *prov;
	const char *name;
	const char *prov_text;
} model_file;

static int open_model(const char *path, model_file *m, dm_error *err)
{
	const dm_json *v;
	memset(m, 0, sizeof *m);
	if (dm_safetensors_read(path, &m->st, err))
		return -1;
	m->prov_text = dm_safetensors_meta(&m->st, "dh-model.provenance");
	if (!m->prov_text) {
		dm_safetensors_free(&m->st);
		return dm_fail(err, "%s: no dh-model.provenance in the metadata; expected weights "
			       "written by dh-model-train", path);
	}
	if (!(m->prov = dm_json_parse(m->prov_text, strlen(m->prov_text), err))) {
		dm_safetensors_free(&m->st);
		return dm_error_prefix(err, "%s: dh-model.provenance", path);
	}
	v = dm_json_get(m->prov, "model");
	if (m->prov->type != DM_JSON_OBJECT || !v || v->type != DM_JSON_STRING) {
		dm_json_delete(m->prov);
		dm_safetensors_free(&m->st);
		return dm_fail(err, "%s: the provenance has no \"model\"", path);
	}
	m->name = v->string;
	return 0;
}

static void close_model(model_file *m)
{
	dm_json_delete(m->prov);
	dm_safetensors_free(&m->st);
}

static const dm_json *path_get(const dm_json *v, const char *a, const char *b)
{
	v = v ? dm_json_get(v, a) : NULL;
	return v && b ? (v->type == DM_JSON_OBJECT ? dm_json_get(v, b) : NULL) : v;
}

/* The recipe stanza again, from the provenance's fields, with the data
 * paths that rename[] maps (old -> new) replaced. */
static char *recipe_text(const model_file *m, const char *const *remap, size_t nremap,
			 dm_error *err)
{
	const dm_json *fields = path_get(m->prov, "recipe", "fields");
	size_t i, j, cap = 256, len = 0;
	char *out;
	if (!fields || fields->type != DM_JSON_OBJECT)
		return dm_fail(err, "the provenance of %s has no recipe fields", m->name), NULL;
	for (i = 0; i < fields->len; i++)
		if (fields->items[i].type == DM_JSON_STRING)
			cap += strlen(fields->keys[i]) + 2 * strlen(fields->items[i].string) + 4096;
	if (!(out = dm_malloc(cap, err)))
		return NULL;
	for (i = 0; i < fields->len; i++) {
		const char *val = fields->items[i].type == DM_JSON_STRING ? fields->items[i].string : "";
		const char *p;
		for (j = 0; j < nremap; j++)
			if (!strcmp(val, remap[2 * j]))
				val = remap[2 * j + 1];
		len += (size_t)snprintf(out + len, cap - len, "%s:%s", fields->keys[i], *val ? " " : "");
		/* continuation lines start with a space; an empty one is " ." */
		for (p = val; *p && len + 4 < cap; p++) {
			if (*p != '\n') {
				out[len++] = *p;
				continue;
			}
			out[len++] = '\n', out[len++] = ' ';
			if (p[1] == '\n' || !p[1])
				out[len++] = '.';
		}
		out[len++] = '\n';
	}
	out[len] = 0;
	return out;
}

/* ---- compare ---- */

static int compare(const char *what, const model_file *orig, const dm_safetensors *again,
		   const dm_verify_opts *o, dm_error *err)
{
	size_t i, k, params = 0;
	const char *numerics = NULL;
	const dm_json *n = path_get(orig->prov, "trainer", "numerics");
	char line[512];
	if (n && n->type == DM_JSON_STRING)
		numerics = n->string;
	for (i = 0; i < orig->st.ntensors; i++) {
		const dm_tensor *a = &orig->st.tensors[i], *b = dm_safetensors_find(again, a->name);
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
						    numerics && !strcmp(numerics, "openblas")
						    ? "; these weights were trained with the openblas back-end, "
						      "which is reproducible only on the same CPU core type and "
						      "thread count" : "");
			}
		params += a->count;
	}
	if (again->ntensors != orig->st.ntensors)
		return dm_fail_code(err, DM_EXIT_DIFFER, "%s: the retrained weights have %zu tensors, "
				    "the file %zu", what, again->ntensors, orig->st.ntensors);
	snprintf(line, sizeof line, "%s: identical: all %zu tensors (%zu values) of %s match the "
		 "retrained weights bit for bit", what, orig->st.ntensors, params, orig->name);
	if (o->say)
		o->say(o->say_ctx, line);
	return 0;
}

/* The data hashes recorded at training against those of the data now. */
static int same_data(const char *what, const model_file *orig, const char *json_path, dm_error *err)
{
	static const char *parts[] = {"train", "test"};
	size_t n, i, k;
	char *text = read_all(json_path, &n, err);
	dm_json *now;
	int rc = 0;
	if (!text)
		return -1;
	now = dm_json_parse(text, n, err);
	free(text);
	if (!now)
		return -1;
	for (k = 0; k < 2 && rc == 0; k++) {
		const dm_json *a = path_get(orig->prov, "data", parts[k]), *b = path_get(now, "data", parts[k]);
		if (!a || !b || a->type != DM_JSON_ARRAY || b->type != DM_JSON_ARRAY || a->len != b->len) {
			if (a || b)
				rc = dm_fail_code(err, DM_EXIT_DIFFER, "%s: the %s data files differ from those "
						  "the model was trained on", what, parts[k]);
			continue;
		}
		for (i = 0; i < a->len && rc == 0; i++) {
			const dm_json *ha = dm_json_get(&a->items[i], "sha256"), *hb = dm_json_get(&b->items[i], "sha256");
			const dm_json *pa = dm_json_get(&a->items[i], "path");
			if (!ha || !hb || ha->type != DM_JSON_STRING || hb->type != DM_JSON_STRING ||
			    strcmp(ha->string, hb->string))
				rc = dm_fail_code(err, DM_EXIT_DIFFER, "%s: data file %s has SHA-256 %s, but "
						  "the model was trained on %s", what,
						  pa && pa->type == DM_JSON_STRING ? pa->string : "?",
						  hb && hb->type == DM_JSON_STRING ? hb->string : "?",
						  ha && ha->type == DM_JSON_STRING ? ha->string : "?");
		}
	}
	dm_json_delete(now);
	return rc;
}

/* Retrain recipe_path (run from data_dir) into tmp/out and compare. */
static int retrain_and_compare(const char *what, const model_file *orig, const char *recipe_path,
			       const char *data_dir, const char *tmp, const dm_verify_opts *o,
			       dm_error *err)
{
	char out[4096], weights[4096], json[4096], cwd[4096];
	dm_recipes rs;
	dm_job_opts jo = {o->threads, out, 1, NULL, NULL, NULL, tmp};
	dm_safetensors again;
	const dm_json *pol = path_get(orig->prov, "budget", "policy");
	int rc;
	snprintf(out, sizeof out, "%.3800s/out", tmp);
	if (mkdir(out, 0700))
		return dm_fail(err, "%s: %s", out, strerror(errno));
	/* the policy that applied at training applies again */
	if (pol && pol->type == DM_JSON_STRING && !getenv("DH_MODEL_POLICY"))
		setenv("DH_MODEL_POLICY", pol->string, 1);
	if (dm_recipes_load(recipe_path, &rs, err))
		return -1;
	if (!getcwd(cwd, sizeof cwd) || chdir(data_dir)) {
		dm_recipes_free(&rs);
		return dm_fail(err, "%s: cannot enter the data directory: %s", data_dir, strerror(errno));
	}
	if (o->say) {
		char line[512];
		snprintf(line, sizeof line, "%s: retraining %s from its recipe and data...", what,
			 orig->name);
		o->say(o->say_ctx, line);
	}
	/* verify compares weights; upstream's file need not be present */
	dm_upstream_enable(0);
	rc = dm_job_train(&rs.v[0], &jo, err);
	dm_upstream_enable(1);
	if (chdir(cwd) && rc == 0)
		rc = dm_fail(err, "%s: cannot return: %s", cwd, strerror(errno));
	dm_recipes_free(&rs);
	if (rc)
		return dm_error_prefix(err, "%s: retraining failed", what);
	snprintf(weights, sizeof weights, "%.3800s/%.200s.safetensors", out, orig->name);
	snprintf(json, sizeof json, "%.3800s/%.200s.json", out, orig->name);
	if (same_data(what, orig, json, err))
		return -1;
	if (dm_safetensors_read(weights, &again, err))
		return -1;
	rc = compare(what, orig, &again, o, err);
	dm_safetensors_free(&again);
	return rc;
}

/* ---- bundles ---- */

/* Unpack a bundle (untrusted) into dir with libarchive: only regular files
 * with the expected flat names, each under MAX_MEMBER bytes. */
static int unpack(const char *bundle, const char *dir, dm_error *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int r, rc = 0;
	char subdir[4096];
	archive_read_support_format_tar(a);
	archive_read_support_filter_none(a);
	if (archive_read_open_filename(a, bundle, 1 << 16) != ARCHIVE_OK) {
		rc = dm_fail(err, "%s: %s", bundle, archive_error_string(a));
		goto out;
	}
	snprintf(subdir, sizeof subdir, "%.3800s/data", dir);
	if (mkdir(subdir, 0700)) {
		rc = dm_fail(err, "%s: %s", subdir, strerror(errno));
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e), *base;
		char path[4096];
		int64_t size = archive_entry_size(e);
		int fd;
		if (!name || archive_entry_filetype(e) != AE_IFREG) {
			rc = dm_fail(err, "%s: member '%s' is not a regular file", bundle, name ? name : "?");
			goto out;
		}
		base = !strncmp(name, "data/", 5) ? name + 5 : name;
		if (!*base || strchr(base, '/') || base[0] == '.' || strlen(name) > 255) {
			rc = dm_fail(err, "%s: unexpected member name '%.80s'; expected NAME.* or data/FILE",
				     bundle, name);
			goto out;
		}
		if (size < 0 || (uint64_t)size > MAX_MEMBER) {
			rc = dm_fail(err, "%s: member '%s' is larger than 4 GiB", bundle, name);
			goto out;
		}
		snprintf(path, sizeof path, "%.3800s/%.255s", dir, name);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			rc = dm_fail(err, "%s: member '%s' twice, or cannot be written: %s", bundle, name,
				     strerror(errno));
			goto out;
		}
		r = archive_read_data_into_fd(a, fd);
		close(fd);
		if (r != ARCHIVE_OK) {
			rc = dm_fail(err, "%s: member '%s': %s", bundle, name, archive_error_string(a));
			goto out;
		}
	}
	if (r != ARCHIVE_EOF)
		rc = dm_fail(err, "%s: %s", bundle, archive_error_string(a));
out:
	archive_read_free(a);
	return rc;
}

static int is_tar(const char *path)
{
	unsigned char h[512];
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(h, 1, sizeof h, f) : 0;
	if (f)
		fclose(f);
	return n == sizeof h && !memcmp(h + 257, "ustar", 5);
}

int dm_verify(const char *file, const dm_verify_opts *o, dm_error *err)
{
	char tmp[4096], path[4096], *text = NULL;
	model_file m;
	int rc = -1, have = 0;
	if (make_tmpdir(tmp, sizeof tmp, err))
		return -1;
	if (is_tar(file)) {
		/* the bundle's own recipe, with the data it carries */
		DIR *d;
		struct dirent *e;
		if (unpack(file, tmp, err))
			goto out;
		if (!(d = opendir(tmp))) {
			dm_fail(err, "%s: %s", tmp, strerror(errno));
			goto out;
		}
		path[0] = 0;
		while ((e = readdir(d)))
			if (strlen(e->d_name) > 12 &&
			    !strcmp(e->d_name + strlen(e->d_name) - 12, ".safetensors"))
				snprintf(path, sizeof path, "%.3800s/%.255s", tmp, e->d_name);
		closedir(d);
		if (!path[0]) {
			dm_fail(err, "%s: no NAME.safetensors in the bundle", file);
			goto out;
		}
		if (open_model(path, &m, err))
			goto out;
		have = 1;
		snprintf(path, sizeof path, "%.3800s/%.200s.models", tmp, m.name);
		if (access(path, R_OK)) {
			dm_fail(err, "%s: no %s.models in the bundle", file, m.name);
			goto out;
		}
		{
			/* data that travels in the bundle is used from it; a bundle
			 * without data names where the data is (--data-dir) */
			char data[4096];
			DIR *dd;
			int carries = 0;
			snprintf(data, sizeof data, "%.3800s/data", tmp);
			if ((dd = opendir(data))) {
				while ((e = readdir(dd)))
					carries |= e->d_name[0] != '.';
				closedir(dd);
			}
			rc = retrain_and_compare(file, &m, path,
						 carries ? tmp : o->data_dir ? o->data_dir : ".", tmp, o, err);
		}
	} else {
		if (open_model(file, &m, err))
			goto out;
		have = 1;
		if (!(text = recipe_text(&m, NULL, 0, err)))
			goto out;
		snprintf(path, sizeof path, "%.3800s/%.200s.models", tmp, m.name);
		if (write_all(path, text, strlen(text), err))
			goto out;
		rc = retrain_and_compare(file, &m, path, o->data_dir ? o->data_dir : ".", tmp, o, err);
	}
out:
	if (have)
		close_model(&m);
	free(text);
	remove_tree(tmp);
	return rc;
}

/* ---- writing a bundle ---- */

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

int dm_bundle(const char *weights, const char *output, uint64_t max_data, const char *data_dir,
	      const dm_verify_opts *o, dm_error *err)
{
	static const char *parts[] = {"train", "test"};
	model_file m;
	dm_bundle_member mem[16];
	char *files[8] = {0}, *bodies[8] = {0}, names[8][128], *remap[16], renamed[8][300];
	char *card = NULL, *recipe = NULL, *wbytes = NULL, *json = NULL, jname[128], mname[128],
	     rname[128], wname[128], cwd[4096];
	size_t nfiles = 0, nmem = 0, i, k, sizes[8], wsize;
	uint64_t total = 0, mtime = 0;
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	int rc = -1, entered = 0;
	if (open_model(weights, &m, err))
		return -1;
	if (data_dir && (!getcwd(cwd, sizeof cwd) || chdir(data_dir))) {
		dm_fail(err, "%s: cannot enter the data directory: %s", data_dir, strerror(errno));
		goto out;
	}
	entered = data_dir != NULL;
	/* the data files, if they are small enough to travel */
	for (k = 0; k < 2; k++) {
		const dm_json *arr = path_get(m.prov, "data", parts[k]);
		for (i = 0; arr && arr->type == DM_JSON_ARRAY && i < arr->len && nfiles < 8; i++) {
			const dm_json *p = dm_json_get(&arr->items[i], "path");
			const char *member;
			struct stat st;
			if (!p || p->type != DM_JSON_STRING || dm_data_file_of(p->string, &files[nfiles], &member, err))
				goto out;
			if (stat(files[nfiles], &st)) {
				dm_fail(err, "%s: %s", files[nfiles], strerror(errno));
				goto out;
			}
			snprintf(names[nfiles], sizeof names[nfiles], "data/%.100s", base_name(files[nfiles]));
			snprintf(renamed[nfiles], sizeof renamed[nfiles], "%s%s%s", names[nfiles],
				 member ? ":" : "", member ? member : "");
			remap[2 * nfiles] = (char *)p->string;
			remap[2 * nfiles + 1] = renamed[nfiles];
			total += (uint64_t)st.st_size;
			nfiles++;
		}
	}
	if (total > max_data) {
		/* too big to travel: the recipe keeps the original paths */
		for (i = 0; i < nfiles; i++)
			free(files[i]), files[i] = NULL;
		nfiles = 0;
	}
	for (i = 0; i < nfiles; i++) {
		for (k = 0; k < i; k++)
			if (!strcmp(names[k], names[i])) {
				dm_fail(err, "%s: two data files are named %s", weights, names[i]);
				goto out;
			}
		if (!(bodies[i] = read_all(files[i], &sizes[i], err)))
			goto out;
	}
	if (!(recipe = recipe_text(&m, (const char *const *)remap, nfiles, err)) ||
	    !(card = dm_card_markdown(weights, m.prov_text, strlen(m.prov_text), err)) ||
	    !(wbytes = read_all(weights, &wsize, err)) ||
	    !(json = dm_malloc(strlen(m.prov_text) + 2, err)))
		goto out;
	sprintf(json, "%s\n", m.prov_text);
	snprintf(jname, sizeof jname, "%s.json", m.name);
	snprintf(mname, sizeof mname, "%s.md", m.name);
	snprintf(rname, sizeof rname, "%s.models", m.name);
	snprintf(wname, sizeof wname, "%s.safetensors", m.name);
	mem[nmem++] = (dm_bundle_member){jname, json, strlen(json)};
	mem[nmem++] = (dm_bundle_member){mname, card, strlen(card)};
	mem[nmem++] = (dm_bundle_member){rname, recipe, strlen(recipe)};
	mem[nmem++] = (dm_bundle_member){wname, wbytes, wsize};
	for (i = 0; i < nfiles; i++)
		mem[nmem++] = (dm_bundle_member){names[i], bodies[i], sizes[i]};
	if (sde && *sde && strspn(sde, "0123456789") == strlen(sde))
		mtime = strtoull(sde, NULL, 10);
	if (entered && chdir(cwd)) {
		dm_fail(err, "%s: cannot return: %s", cwd, strerror(errno));
		entered = 0;
		goto out;
	}
	entered = 0;
	if (dm_bundle_write(output, mem, nmem, mtime, err))
		goto out;
	if (o->say) {
		char line[512];
		snprintf(line, sizeof line, "%s: %zu members, %s", output, nmem,
			 nfiles ? "with the data" : "without the data (the recipe names where it is)");
		o->say(o->say_ctx, line);
	}
	rc = 0;
out:
	if (entered && chdir(cwd) && rc == 0)
		rc = dm_fail(err, "%s: cannot return: %s", cwd, strerror(errno));
	for (i = 0; i < 8; i++)
		free(files[i]), free(bodies[i]);
	free(card), free(recipe), free(wbytes), free(json);
	close_model(&m);
	return rc;
}
