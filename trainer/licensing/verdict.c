/* verdict.c - Free Model, ToxicCandy or Non-free: see verdict.h. */
#include "verdict.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/version.h"
#include "fasttext/recipe.h"
#include "licensing/dep5.h"
#include "licensing/license.h"
#include "policy/locate.h"

const char *dm_verdict_class_name(dm_verdict_class c)
{
	return c == DM_VERDICT_FREE ? "Free Model" : c == DM_VERDICT_TOXIC ? "ToxicCandy" : "Non-free";
}

__attribute__((format(printf, 3, 4)))
static void cat(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;
	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

/* The recipe as the provenance names it: an absolute path only by its last
 * component, so that the build directory never shows. */
static const char *recipe_shown(const dm_recipe *r)
{
	const char *path = r->file->path, *slash = strrchr(path, '/');
	return path[0] == '/' && slash ? slash + 1 : path;
}

/* ---- the list of free licences ---- */

/* The context's list (DH_MODEL_FREE_LICENSES); else free-licenses beside
 * the policy directories (policy/locate.h): next to the installed one
 * (/usr/share/dh-model/free-licenses) or in it, or in the build tree's
 * policy/. */
static int load_list(const dm_ctx *x, dm_license_list *l, dm_error *err)
{
	char cand[4][PATH_MAX], looked[4 * PATH_MAX + 64] = "";
	size_t n, i;
	if (x->free_licenses && *x->free_licenses)
		return dm_license_list_read(x->free_licenses, l, err) ?
			dm_error_prefix(err, "DH_MODEL_FREE_LICENSES") : 0;
	n = dm_policy_files(NULL, "free-licenses", cand, 4);
	for (i = 0; i < n; i++) {
		if (access(cand[i], R_OK) == 0)
			return dm_license_list_read(cand[i], l, err);
		cat(looked, sizeof looked, "%s%s", i ? ", " : "", cand[i]);
	}
	return dm_fail(err, "cannot find the list of free licences (looked for %s); is dh-model "
		       "installed completely? DH_MODEL_FREE_LICENSES may name it", looked);
}

/* ---- where a data file is ---- */

/* "./data//x/../y.csv" -> "data/y.csv"; -1 if it leaves the tree. */
static int lexical(const char *in, char *out, size_t size)
{
	size_t n = 0;
	const char *s = in;
	out[0] = 0;
	while (*s) {
		size_t len = strcspn(s, "/");
		if (len == 0 || (len == 1 && s[0] == '.')) {
			/* nothing */
		} else if (len == 2 && s[0] == '.' && s[1] == '.') {
			char *slash;
			if (n == 0)
				return -1;
			slash = strrchr(out, '/');
			n = slash ? (size_t)(slash - out) : 0;
			out[n] = 0;
		} else {
			if (n + len + 2 > size)
				return -1;
			if (n)
				out[n++] = '/';
			memcpy(out + n, s, len);
			n += len;
			out[n] = 0;
		}
		s += len + (s[len] == '/');
	}
	return n ? 0 : -1;
}

static int under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(path, dir, n) && path[n] == '/' && path[n + 1];
}

typedef struct located {
	char rel[PATH_MAX];      /* a path of the source tree, or "" */
	char abs[PATH_MAX];      /* an absolute path outside it, or "" */
} located;

static void locate(const char *file, const char *top, located *l, char *note, size_t nsize)
{
	char *rp = realpath(file, NULL);
	l->rel[0] = l->abs[0] = 0;
	if (file[0] != '/') {
		if (lexical(file, l->rel, sizeof l->rel) == 0 && (!rp || !top || under(rp, top))) {
			free(rp);
			return;
		}
		l->rel[0] = 0;
		if (rp && top && under(rp, top)) {
			snprintf(l->rel, sizeof l->rel, "%s", rp + strlen(top) + 1);
		} else {
			snprintf(l->abs, sizeof l->abs, "%s", rp ? rp : file);
			/* not the resolved path: it may hold the build directory */
			snprintf(note, nsize, "%s leads outside the source tree; ", file);
		}
	} else if (rp && top && under(rp, top)) {
		snprintf(l->rel, sizeof l->rel, "%s", rp + strlen(top) + 1);
	} else {
		snprintf(l->abs, sizeof l->abs, "%s", file);
	}
	free(rp);
}

/* "Files:" and the patterns, white space collapsed, for messages */
static char *stanza_text(const char *patterns, dm_error *err)
{
	char buf[160] = "Files:";
	const char *q = patterns;
	while (*q) {
		size_t n;
		q += strspn(q, DM_DEP5_PATTERN_SPACE);
		n = strcspn(q, DM_DEP5_PATTERN_SPACE);
		if (!n)
			break;
		if (strlen(buf) + n + 2 >= 120) {
			cat(buf, sizeof buf, " ...");
			break;
		}
		cat(buf, sizeof buf, " %.*s", (int)n, q);
		q += n;
	}
	return dm_strdup(buf, err);
}

/* A stanza of a package's copyright file that names an installed path:
 * copyright files describe the source tree, not /usr, so a pattern other
 * than a bare "*" names the file when it matches the path's end
 * (the pattern "fashion-mnist/" "*.gz" names
 * /usr/share/datasets/fashion-mnist/x.gz). */
static const dm_dep5_files *named_by(const dm_dep5 *c, const char *abs)
{
	size_t i = c->nfiles;
	while (i-- > 0) {
		const char *q = c->files[i].patterns;
		while (*q) {
			char pat[1024];
			const char *s;
			size_t n;
			q += strspn(q, DM_DEP5_PATTERN_SPACE); /* as dep5.c splits them */
			n = strcspn(q, DM_DEP5_PATTERN_SPACE);
			if (!n)
				break;
			if (n < sizeof pat && !(n == 1 && q[0] == '*')) {
				memcpy(pat, q, n);
				pat[n] = 0;
				for (s = abs; s; s = strchr(s + 1, '/'))
					if (s[1] && dm_dep5_glob(pat, s + 1))
						return &c->files[i];
			}
			q += n;
		}
	}
	return NULL;
}

static const dm_dep5_files *catch_all(const dm_dep5 *c)
{
	size_t i = c->nfiles;
	while (i-- > 0)
		if (c->files[i].catch_all)
			return &c->files[i];
	return NULL;
}

/* ---- the decision ---- */

typedef struct tree_top {
	const char *top;
	int have;
} tree_top;

typedef struct ctx {
	const dm_recipe *r;
	const char (*text_sha256)[65];  /* a text model's datasets' SHA-256, or NULL */
	const dm_license_list *list;
	char top[PATH_MAX];
	int have_top;
	/* debian/copyright: 0 not read yet, 1 read, -1 missing or unreadable */
	int src_state;
	dm_dep5 src;
	char src_problem[1024]; /* a whole dm_error message fits */
	dm_error *err;
	char root[PATH_MAX];    /* DPKG_ROOT, see dpkg_root() */
	const dm_ctx *x;
} ctx;

static int use_stanza(dm_data_licence *d, const char *copyright, const dm_dep5_files *f,
		      const dm_license_list *list, dm_error *err)
{
	if (!(d->copyright = dm_strdup(copyright, err)) ||
	    !(d->stanza = stanza_text(f->patterns, err)))
		return -1;
	d->stanza_line = f->line;
	if (f->license && !(d->license = dm_strdup(f->license, err)))
		return -1;
	if (d->license)
		d->free = dm_license_expr_free(list, d->license, d->why, sizeof d->why);
	else
		snprintf(d->why, sizeof d->why, "the stanza %s (%s, line %u) has no License field",
			 d->stanza, copyright, f->line);
	return 0;
}

/* The Files: stanza of debian/copyright that covers rel (the last that
 * matches), or NULL with the reason added to note. */
static const dm_dep5_files *source_stanza(ctx *c, const char *rel, char *note, size_t nsize)
{
	const dm_dep5_files *f;
	if (c->src_state == 0) {
		dm_error sub = {"", 0};
		if (access("debian/copyright", F_OK) != 0) {
			c->src_state = -1;
			snprintf(c->src_problem, sizeof c->src_problem, "there is no debian/copyright");
		} else if (dm_dep5_read("debian/copyright", &c->src, &sub)) {
			c->src_state = -1;
			snprintf(c->src_problem, sizeof c->src_problem, "%s", sub.msg);
		} else if (!c->src.machine_readable) {
			c->src_state = -1;
			snprintf(c->src_problem, sizeof c->src_problem, "%s", c->src.problem);
			dm_dep5_free(&c->src);
		} else {
			c->src_state = 1;
		}
	}
	if (c->src_state < 0) {
		cat(note, nsize, "%s", c->src_problem);
		return NULL;
	}
	if (!(f = dm_dep5_match(&c->src, rel)))
		cat(note, nsize, "no Files: stanza of debian/copyright matches %s", rel);
	return f;
}

static int from_source(ctx *c, dm_data_licence *d, const char *rel)
{
	const dm_dep5_files *f = source_stanza(c, rel, d->note, sizeof d->note);
	if (!f)
		return 0;
	d->source = DM_LSRC_SOURCE;
	if (use_stanza(d, "debian/copyright", f, c->list, c->err))
		return -1;
	cat(d->note, sizeof d->note, "the last Files: stanza of debian/copyright that matches %s", rel);
	return 0;
}

/* Without a License field, the weights take the licence of the stanza of
 * debian/copyright that covers the recipe file (debian/PKG.models), as
 * any other file of the source package would. */
static int weights_from_source(ctx *c, const dm_recipe *r, dm_verdict *v)
{
	const dm_dep5_files *f;
	located loc;
	char note[640] = "";
	locate(r->file->path, c->have_top ? c->top : NULL, &loc, note, sizeof note);
	v->weights_source = DM_LSRC_NONE;
	snprintf(v->weights_note, sizeof v->weights_note, "%s has no License field for model %s; ",
		 recipe_shown(r), r->model);
	snprintf(v->weights_why, sizeof v->weights_why, "no licence");
	if (!loc.rel[0]) {
		cat(v->weights_note, sizeof v->weights_note, "%sno copyright file of the source "
		    "package covers it", note);
		return 0;
	}
	if (!(f = source_stanza(c, loc.rel, v->weights_note, sizeof v->weights_note)))
		return 0;
	v->weights_why[0] = 0;
	v->weights_source = DM_LSRC_SOURCE;
	if (!(v->weights_stanza = stanza_text(f->patterns, c->err)))
		return -1;
	v->weights_stanza_line = f->line;
	if (f->license && !(v->weights_license = dm_strdup(f->license, c->err)))
		return -1;
	if (v->weights_license)
		v->weights_free = dm_license_expr_free(c->list, v->weights_license, v->weights_why,
						       sizeof v->weights_why);
	else
		snprintf(v->weights_why, sizeof v->weights_why, "the stanza %s (debian/copyright, "
			 "line %u) has no License field", v->weights_stanza, f->line);
	cat(v->weights_note, sizeof v->weights_note, "the last Files: stanza of debian/copyright "
	    "that matches %s", loc.rel);
	return 0;
}

/* The context's DPKG_ROOT, as dpkg honours it: the root of the
 * installation whose packages own the data ("" for /), without a trailing
 * slash. */
static void dpkg_root(const dm_ctx *x, char *root, size_t size)
{
	size_t n;
	snprintf(root, size, "%s", x->dpkg_root ? x->dpkg_root : "");
	n = strlen(root);
	while (n && root[n - 1] == '/')
		root[--n] = 0;
}

static int from_package(ctx *c, dm_data_licence *d, const char *abs)
{
	char path[PATH_MAX], file[PATH_MAX + 64];
	dm_dep5 cr;
	dm_error sub = {"", 0};
	const dm_dep5_files *f;
	int rc = 0;
	snprintf(path, sizeof path, "/usr/share/doc/%s/copyright", d->package);
	snprintf(file, sizeof file, "%s%s", c->root, path);
	if (dm_dep5_read(file, &cr, &sub)) {
		cat(d->note, sizeof d->note, "%s owns %s, but %s", d->package, abs, sub.msg);
		return 0;
	}
	if (!cr.machine_readable) {
		cat(d->note, sizeof d->note, "%s owns %s, but %s", d->package, abs, cr.problem);
		goto out;
	}
	if ((f = named_by(&cr, abs))) {
		d->source = DM_LSRC_PACKAGE;
		if ((rc = use_stanza(d, path, f, c->list, c->err)))
			goto out;
		cat(d->note, sizeof d->note, "%s owns it; the last Files: stanza of its copyright "
		    "file whose pattern matches the installed path", d->package);
	} else if ((f = catch_all(&cr))) {
		/* which source file became this installed file is not known: the
		 * Files: * stanza is used, and it is sound only if no other
		 * stanza, which might be the one, is less free */
		size_t i;
		d->source = DM_LSRC_PACKAGE;
		if ((rc = use_stanza(d, path, f, c->list, c->err)))
			goto out;
		cat(d->note, sizeof d->note, "%s owns it; no Files: pattern names the installed path, "
		    "so the Files: * stanza applies", d->package);
		for (i = 0; d->free && i < cr.nfiles; i++) {
			char why[640];
			if (&cr.files[i] == f || (cr.files[i].license &&
			    dm_license_expr_free(c->list, cr.files[i].license, why, sizeof why)))
				continue;
			d->free = 0;
			d->why[0] = 0;
			cat(d->why, sizeof d->why, "the installed path matches no Files: pattern "
				 "of %s, and its stanza at line %u (%s) may be the one that covers it: %s",
				 path, cr.files[i].line, cr.files[i].license ? cr.files[i].license :
				 "no License", cr.files[i].license ? why : "no licence");
		}
		if (d->free && cr.nfiles > 1)
			cat(d->note, sizeof d->note, " (every other stanza is free too)");
	} else {
		cat(d->note, sizeof d->note, "%s owns %s, but no Files: stanza of %s covers it",
		    d->package, abs, path);
	}
out:
	dm_dep5_free(&cr);
	return rc;
}

static const char *part_name(int test, int labels)
{
	return test ? (labels ? "test labels" : "test data")
		    : (labels ? "training labels" : "training data");
}

/* One data file of the verdict: (part, path) and its SHA-256 when read. */
static void add_file(dm_verdict *v, located *loc, const tree_top *t, const char *part,
		     const char *path, const char *sha256)
{
	dm_data_licence *dl = &v->data[v->ndata];
	char *file = NULL;
	const char *member;
	dm_error sub = {"", 0};
	dl->part = part;
	dl->path = path;
	dl->build_depends = -1;
	if (sha256)
		memcpy(dl->sha256, sha256, sizeof dl->sha256);
	if (dm_data_file_of(dl->path, &file, &member, &sub)) {
		dl->note[0] = 0; /* the message, cut to the note's size */
		cat(dl->note, sizeof dl->note, "%s", sub.msg);
		loc->rel[0] = loc->abs[0] = 0;
	} else {
		locate(file, t->have ? t->top : NULL, loc, dl->note, sizeof dl->note);
		free(file);
	}
	v->ndata++;
}

/* A text model's datasets (Model-Type supervised, skipgram, cbow): every
 * Dataset line, then every Test-Dataset line */
static int text_files(ctx *c, dm_verdict *v, located *loc, const tree_top *t)
{
	const dm_ft_recipe *ft = c->r->text;
	size_t k, n = ft->train.n + ft->test.n;
	if (n > DM_VERDICT_MAX_DATA)
		return dm_fail(c->err, "%s: stanza %zu (%s): %zu datasets, but the verdict checks the "
			       "licences of %d at most", recipe_shown(c->r), c->r->index, c->r->model,
			       n, DM_VERDICT_MAX_DATA);
	for (k = 0; k < n; k++) {
		int test = k >= ft->train.n;
		const dm_text_source *s = test ? &ft->test.v[k - ft->train.n] : &ft->train.v[k];
		add_file(v, &loc[v->ndata], t, part_name(test, 0), s->path,
			 c->text_sha256 ? c->text_sha256[k] : NULL);
	}
	return 0;
}

static int licences(ctx *c, const dm_prepared *p, dm_verdict *v)
{
	const char *abs[DM_VERDICT_MAX_DATA];
	char *owners[DM_VERDICT_MAX_DATA] = {NULL};
	located *loc = dm_calloc(DM_VERDICT_MAX_DATA, sizeof *loc, c->err);
	tree_top top = {c->top, c->have_top};
	size_t i, nabs = 0;
	int t, k, rc = -1, have_owners = 0;
	char dpkg_problem[1024] = ""; /* a whole dm_error message fits */
	const char *root = c->root;
	size_t rootlen = strlen(root);
	if (!loc)
		return -1;
	if (c->r->text && text_files(c, v, loc, &top))
		goto out;
	for (t = 0; t < 2 && !c->r->text; t++) {
		/* the files that were read, with their SHA-256; without p, the
		 * recipe's paths (features, then labels) */
		const dm_dataset *d = p ? (t ? &p->test : &p->train) : NULL;
		const dm_data_spec *spec = t ? &c->r->test : &c->r->train;
		int nfiles = d ? d->nfiles : !spec->features ? 0 : spec->labels ? 2 : 1;
		if (t && (p ? !p->have_test : !spec->features))
			break;
		for (k = 0; k < nfiles && v->ndata < 4; k++)
			add_file(v, &loc[v->ndata], &top, part_name(t, k),
				 d ? d->files[k].path : k ? spec->labels : spec->features,
				 d ? d->files[k].sha256 : NULL);
	}
	for (i = 0; i < v->ndata; i++)
		if (loc[i].abs[0]) /* dpkg knows the paths below DPKG_ROOT */
			abs[nabs++] = rootlen && !strncmp(loc[i].abs, root, rootlen) &&
				      loc[i].abs[rootlen] == '/' ? loc[i].abs + rootlen : loc[i].abs;
	if (nabs) {
		dm_error sub = {"", 0};
		/* dpkg-query finds the database from the context's DPKG_ROOT
		 * and DPKG_ADMINDIR */
		if (dm_dpkg_owners(c->x->dpkg_root, c->x->dpkg_admindir, abs, nabs, owners, &sub))
			snprintf(dpkg_problem, sizeof dpkg_problem, "%s", sub.msg);
		else
			have_owners = 1;
	}
	for (i = 0, nabs = 0; i < v->ndata; i++) {
		dm_data_licence *dl = &v->data[i];
		if (loc[i].rel[0]) {
			if (from_source(c, dl, loc[i].rel))
				goto out;
		} else if (loc[i].abs[0]) {
			char *owner = have_owners ? owners[nabs] : NULL;
			nabs++;
			if (!owner) {
				cat(dl->note, sizeof dl->note, "%s", have_owners ?
				    "no installed package owns it (dpkg's file lists)" : dpkg_problem);
				continue;
			}
			if (!(dl->package = dm_strdup(owner, c->err)))
				goto out;
			if (access("debian/control", R_OK) == 0) {
				dm_error sub = {"", 0};
				dl->build_depends = dm_control_build_depends("debian/control", owner, &sub);
			}
			if (from_package(c, dl, abs[nabs - 1]))
				goto out;
		}
	}
	rc = 0;
out:
	for (i = 0; i < DM_VERDICT_MAX_DATA; i++)
		free(owners[i]);
	free(loc);
	return rc;
}

/* Where the weights' licence comes from, for the reason: "License,
 * debian/x.models line 12" or "debian/copyright, Files: *, line 4". */
static void weights_where(const dm_recipe *r, const dm_verdict *v, char *buf, size_t size)
{
	if (v->weights_source == DM_LSRC_RECIPE)
		snprintf(buf, size, "License, %s line %u", recipe_shown(r),
			 dm_recipe_field_line(r, "License"));
	else if (v->weights_source == DM_LSRC_SOURCE)
		snprintf(buf, size, "debian/copyright, %s, line %u", v->weights_stanza,
			 v->weights_stanza_line);
	else
		snprintf(buf, size, "no licence");
}

static void decide(const dm_recipe *r, dm_verdict *v)
{
	size_t i, bad = 0, first = 0;
	char where[300];
	for (i = 0; i < v->ndata; i++)
		if (!v->data[i].free && bad++ == 0)
			first = i;
	weights_where(r, v, where, sizeof where);
	if (!v->weights_free) {
		v->cls = DM_VERDICT_NONFREE;
		if (v->weights_license)
			snprintf(v->reason, sizeof v->reason, "the weights' licence is not free: %s (%s)",
				 v->weights_why, where);
		else if (v->weights_source == DM_LSRC_SOURCE)
			snprintf(v->reason, sizeof v->reason, "the weights have no licence: %s",
				 v->weights_why);
		else
			snprintf(v->reason, sizeof v->reason, "the weights have no licence: %s, so "
				 "nobody may redistribute them", v->weights_note);
	} else if (bad) {
		v->cls = DM_VERDICT_TOXIC;
		snprintf(v->reason, sizeof v->reason, "the weights are %s, but the data are not free",
			 v->weights_why);
	} else {
		v->cls = DM_VERDICT_FREE;
		snprintf(v->reason, sizeof v->reason, "the weights are %s (%s); the data are free "
			 "(%zu file%s):", v->weights_why, where, v->ndata, v->ndata == 1 ? "" : "s");
		for (i = 0; i < v->ndata; i++) {
			const dm_data_licence *d = &v->data[i];
			size_t j;
			for (j = 0; j < i; j++) /* each licence and source once */
				if (!strcmp(d->why, v->data[j].why) && d->source == v->data[j].source &&
				    !strcmp(d->copyright ? d->copyright : "", v->data[j].copyright ?
					    v->data[j].copyright : ""))
					break;
			if (j < i)
				continue;
			cat(v->reason, sizeof v->reason, "%s %s per %s", i ? "," : "", d->why,
			    d->source == DM_LSRC_RECIPE ? "the recipe's Data-License (no copyright "
			    "file covers it)" : d->copyright);
		}
		cat(v->reason, sizeof v->reason, "; retrained from source by dh-model-train %s "
		    "within policy %s (%.3g of %.3g FLOP)", DM_VERSION, v->policy, v->flop,
		    v->max_compute);
		if (!v->within_main)
			cat(v->reason, sizeof v->reason, ", but over the budget of main");
		return;
	}
	if (bad) {
		const dm_data_licence *d = &v->data[first];
		cat(v->reason, sizeof v->reason, "%s the %s %s: %s",
		    v->cls == DM_VERDICT_TOXIC ? ":" : "; the data are not free either:", d->part,
		    d->path, d->why);
		if (d->source == DM_LSRC_RECIPE)
			cat(v->reason, sizeof v->reason, " (Data-License, %s line %u)", recipe_shown(r),
			    dm_recipe_field_line(r, "Data-License"));
		else if (d->stanza)
			cat(v->reason, sizeof v->reason, " (%s, %s, line %u)", d->copyright, d->stanza,
			    d->stanza_line);
		if (bad > 1)
			cat(v->reason, sizeof v->reason, "; %zu more data file%s not free", bad - 1,
			    bad - 1 == 1 ? " is" : "s are");
	}
}

static int facts(const dm_recipe *r, const dm_prepared *p, const char (*text_sha256)[65],
		 const dm_ctx *x, dm_verdict *v, dm_error *err)
{
	dm_license_list list;
	ctx c;
	size_t i;
	int covered = 0;
	memset(v, 0, sizeof *v);
	memset(&c, 0, sizeof c);
	if (load_list(x, &list, err))
		return -1;
	dpkg_root(x, c.root, sizeof c.root);
	c.x = x;
	c.r = r;
	c.text_sha256 = text_sha256;
	c.list = &list;
	c.err = err;
	c.have_top = realpath(".", c.top) != NULL;
	snprintf(v->list_name, sizeof v->list_name, "%s",
		 strrchr(list.path, '/') ? strrchr(list.path, '/') + 1 : list.path);
	memcpy(v->list_sha256, list.sha256, sizeof v->list_sha256);

	if (r->license) {
		v->weights_source = DM_LSRC_RECIPE;
		if (!(v->weights_license = dm_strdup(r->license, err)))
			goto fail;
		v->weights_free = dm_license_expr_free(&list, r->license, v->weights_why,
						       sizeof v->weights_why);
		snprintf(v->weights_note, sizeof v->weights_note, "the recipe's License field (%s "
			 "line %u)", recipe_shown(r), dm_recipe_field_line(r, "License"));
	} else if (weights_from_source(&c, r, v)) {
		goto fail;
	}
	if (licences(&c, p, v))
		goto fail;
	for (i = 0; i < v->ndata; i++) {
		dm_data_licence *d = &v->data[i];
		if (d->source != DM_LSRC_NONE) {
			covered++;
			continue;
		}
		if (r->data_license) {
			/* only where no copyright file covers the file */
			d->source = DM_LSRC_RECIPE;
			if (!(d->license = dm_strdup(r->data_license, err)))
				goto fail;
			d->free = dm_license_expr_free(&list, d->license, d->why, sizeof d->why);
			{
				char why_none[640];
				snprintf(why_none, sizeof why_none, "%s", d->note);
				d->note[0] = 0;
				cat(d->note, sizeof d->note, "stated by the recipe's Data-License "
					 "(%s line %u), as no copyright file covers it: %s", recipe_shown(r),
					 dm_recipe_field_line(r, "Data-License"), why_none);
			}
		} else {
			d->why[0] = 0; /* cut to the size of why */
			cat(d->why, sizeof d->why, "no licence known: %s", d->note);
		}
	}
	v->data_license_unused = r->data_license && covered == (int)v->ndata;
	if (c.src_state == 1)
		dm_dep5_free(&c.src);
	dm_license_list_free(&list);
	return 0;
fail:
	if (c.src_state == 1)
		dm_dep5_free(&c.src);
	dm_license_list_free(&list);
	dm_verdict_free(v);
	return -1;
}

int dm_verdict_facts(const dm_recipe *r, const dm_prepared *p, const dm_ctx *x, dm_verdict *v,
		     dm_error *err)
{
	return facts(r, p, NULL, x, v, err);
}

int dm_verdict_facts_text(const dm_recipe *r, const char (*sha256)[65], const dm_ctx *x,
			  dm_verdict *v, dm_error *err)
{
	return facts(r, NULL, sha256, x, v, err);
}

void dm_verdict_classify(const dm_recipe *r, const dm_budget *b, uint64_t flop, dm_verdict *v)
{
	v->policy = b->policy.name;
	v->within_policy = 1; /* else dm_budget_check refused it before training */
	v->within_main = b->within_main;
	v->flop = (double)flop;
	v->max_compute = b->limits.max_compute;
	decide(r, v);
}

void dm_verdict_decide(const dm_recipe *r, const dm_budget *b, uint64_t flop,
		       const dm_ctx *o, dm_verdict *v)
{
	size_t i;
	dm_verdict_classify(r, b, flop, v);
	{
		char line[2048];
		snprintf(line, sizeof line, "%s: verdict: %s: %s", r->model,
			 dm_verdict_class_name(v->cls), v->reason);
		dm_ctx_tell(o, line);
		if (v->data_license_unused) {
			snprintf(line, sizeof line, "warning: %s: Data-License (%s line %u) is not "
				 "used: a copyright file covers every data file", r->model,
				 recipe_shown(r), dm_recipe_field_line(r, "Data-License"));
			dm_ctx_tell(o, line);
		}
		for (i = 0; i < v->ndata; i++)
			if (v->data[i].build_depends == 0) {
				snprintf(line, sizeof line, "warning: %s: %s comes from %s, which is not "
					 "in Build-Depends of debian/control: a clean build would not "
					 "have it", r->model, v->data[i].path, v->data[i].package);
				dm_ctx_tell(o, line);
			}
	}
}

void dm_verdict_free(dm_verdict *v)
{
	size_t i;
	free(v->weights_license);
	free(v->weights_stanza);
	for (i = 0; i < v->ndata; i++) {
		free(v->data[i].license);
		free(v->data[i].copyright);
		free(v->data[i].stanza);
		free(v->data[i].package);
	}
	memset(v, 0, sizeof *v);
}

/* ---- the archive area ---- */

/* bit i of an area's accepts is verdict class i */
_Static_assert(DM_VERDICT_FREE == 0 && DM_VERDICT_TOXIC == 1 && DM_VERDICT_NONFREE == 2 &&
	       DM_AREA_CLASSES == 3, "dm_area_class_names follows dm_verdict_class");

/* The reason in a few words: "data licence 'X' is not free". */
static void short_reason(const dm_verdict *v, char *buf, size_t size)
{
	size_t i = 0;
	if (v->cls == DM_VERDICT_FREE) {
		snprintf(buf, size, "the weights are %s and the data are free", v->weights_why);
	} else if (v->cls == DM_VERDICT_NONFREE) {
		if (v->weights_license)
			snprintf(buf, size, "weights licence '%s' is not free", v->weights_license);
		else
			snprintf(buf, size, "the weights have no licence");
	} else {
		while (i + 1 < v->ndata && v->data[i].free)
			i++;
		if (v->data[i].license)
			snprintf(buf, size, "data licence '%s' is not free", v->data[i].license);
		else
			snprintf(buf, size, "no licence known for the %s %s", v->data[i].part,
				 v->data[i].path);
	}
}

/* Does the archive area that section names (a "contrib/" or "non-free/"
 * prefix; none: main) accept the verdict?  The areas are the Archive-Areas
 * of the policy that applies, else main's.  said gets the line for the
 * build log. */
static int area_check(const dm_recipe *r, const dm_verdict *v, const dm_budget *b,
		      const char *section, char *said, size_t ssize, dm_error *err)
{
	const dm_policy *rules = b->policy.nareas ? &b->policy : &b->main;
	const char *slash = strchr(section, '/'), *plain = slash ? slash + 1 : section;
	const char *cls = dm_verdict_class_name(v->cls);
	const char *fix = v->cls == DM_VERDICT_TOXIC ? "use free data"
						       : "give the weights a free licence";
	const dm_area *a, *to = NULL;
	unsigned bit = 1u << v->cls;
	char area[64], why[800], known[256] = "", shown[128];
	size_t i;
	snprintf(area, sizeof area, "%.*s", slash ? (int)(slash - section) : 4,
		 slash ? section : "main");
	snprintf(shown, sizeof shown, "%s", *section ? section : "none");
	if (!rules->nareas)
		return dm_fail(err, "policy %s has no Archive-Areas, and neither has policy main: "
			       "is dh-model installed completely?", b->policy.name);
	short_reason(v, why, sizeof why);
	if (!(a = dm_policy_area(rules, area))) {
		for (i = 0; i < rules->nareas; i++)
			cat(known, sizeof known, "%s%s", i ? ", " : "", rules->areas[i].name);
		return dm_fail_code(err, DM_EXIT_POLICY, "%s: Section: %s names the archive area %s, "
				    "which policy %s does not list (Archive-Areas: %s)", r->model,
				    section, area, rules->name, known);
	}
	if (a->accepts & bit) {
		snprintf(said, ssize, "%s: %s (%s); the archive area %s (Section: %s) accepts it",
			 r->model, cls, why, area, shown);
		return 0;
	}
	for (i = 0; i < rules->nareas && !to; i++)
		if ((rules->areas[i].accepts & bit) && &rules->areas[i] != a)
			to = &rules->areas[i];
	if (!to)
		return dm_fail_code(err, DM_EXIT_POLICY, "%s: %s (%s) cannot go in %s, and no archive "
				    "area of policy %s accepts it; %s", r->model, cls, why, area,
				    rules->name, fix);
	return dm_fail_code(err, DM_EXIT_POLICY, "%s: %s (%s) cannot go in %s; move the package to "
			    "%s (Section: %s%s%s) or %s", r->model, cls, why, area, to->name,
			    strcmp(to->name, "main") ? to->name : "", strcmp(to->name, "main") ? "/" : "",
			    *plain ? plain : "SECTION", fix);
}

int dm_verdict_line(const dm_recipe *r, const dm_verdict *v, const dm_budget *b,
		    const char *section, char *line, size_t size, dm_error *err)
{
	char why[800];
	if (section)
		return area_check(r, v, b, section, line, size, err);
	short_reason(v, why, sizeof why);
	snprintf(line, size, "%s: %s (%s)", r->model, dm_verdict_class_name(v->cls), why);
	return 0;
}
