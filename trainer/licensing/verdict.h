/* verdict.h - the licensing room: the ML-Policy verdict of a trained model: Free Model,
 * ToxicCandy or Non-free, with the facts behind it.
 *
 * Debian's ML policy: a Free Model has a free licence, training data that
 * are free and publicly available, and a training program that is present
 * and complete; ToxicCandy has a free licence but data that are not free or
 * not available; a Non-free model's licence itself is not free.
 *
 * dh-model decides it from what it holds:
 *  - the weights' licence: the recipe's License field; without it, the
 *    licence of the Files: stanza of debian/copyright that covers the
 *    recipe file (the last that matches, as for a data file);
 *  - the licence of every data file (training and test, samples and
 *    labels) from a machine-readable copyright file (DEP-5): the source
 *    package's debian/copyright for a file in the source tree (the last
 *    Files: stanza that matches), /usr/share/doc/PKG/copyright for a file
 *    that an installed package PKG owns (dpkg's file lists); only where no
 *    copyright file covers a file may the recipe's Data-License state it;
 *  - the list of free licences (a data file, see license.h);
 *  - the training: dh-model-train, which is free, retrained the weights
 *    from source within the budget of the policy that applied.
 */
#ifndef DM_VERDICT_H
#define DM_VERDICT_H

#include <stdint.h>

#include "base/context.h"
#include "data/prepared.h"
#include "policy/budget.h"

typedef enum dm_verdict_class {
	DM_VERDICT_FREE,    /* "Free Model" */
	DM_VERDICT_TOXIC,   /* "ToxicCandy" */
	DM_VERDICT_NONFREE  /* "Non-free" */
} dm_verdict_class;

typedef enum dm_licence_source {
	DM_LSRC_NONE,       /* no copyright file covers it, no Data-License */
	DM_LSRC_SOURCE,     /* debian/copyright of the source package */
	DM_LSRC_PACKAGE,    /* /usr/share/doc/PKG/copyright of its owner */
	DM_LSRC_RECIPE      /* the recipe's Data-License */
} dm_licence_source;

/* the data files whose licences a verdict checks: a text model may have
 * a dataset per language */
#define DM_VERDICT_MAX_DATA 32

typedef struct dm_data_licence {
	const char *part;        /* "training data", "training labels", "test data", "test labels" */
	const char *path;        /* as in the recipe */
	char sha256[65];
	char *license;           /* the licence expression, or NULL */
	int free;
	char why[640];           /* see dm_license_expr_free, or why there is no licence */
	dm_licence_source source;
	char *copyright;         /* the copyright file that was read, or NULL */
	char *stanza;            /* "Files: " and the patterns, or NULL */
	unsigned stanza_line;
	char *package;           /* the installed package that owns the file */
	int build_depends;       /* package is in Build-Depends: 1, 0, -1 unknown */
	char note[640];          /* how the licence was found, or why not */
} dm_data_licence;

typedef struct dm_verdict {
	dm_verdict_class cls;
	char reason[1536];       /* one line, naming the file, the licence, the limit */
	char *weights_license;   /* the recipe's License, or the copyright's; or NULL */
	int weights_free;
	char weights_why[640];
	dm_licence_source weights_source;  /* RECIPE, SOURCE (debian/copyright) or NONE */
	char *weights_stanza;    /* "Files: *" when from debian/copyright */
	unsigned weights_stanza_line;
	char weights_note[640];  /* how the licence was found, or why there is none */
	dm_data_licence data[DM_VERDICT_MAX_DATA];
	size_t ndata;
	int data_license_unused; /* Data-License given, but every file is covered */
	/* the training */
	const char *policy;
	int within_policy, within_main;
	double flop, max_compute;
	/* the list of free licences */
	char list_name[64];
	char list_sha256[65];
} dm_verdict;

const char *dm_verdict_class_name(dm_verdict_class c);

/* The verdict comes in two steps.  dm_verdict_facts finds the licence of
 * the weights and of every data file: it reads copyright files and runs
 * dpkg-query, so it runs with the inputs, before the trainer restricts
 * itself (a child of the sandboxed trainer inherits the sandbox: under
 * reprotest's faketime, libfaketime in dpkg-query could not create its
 * shared memory and dpkg-query printed nothing).  It fails only when the
 * list of free licences cannot be found or read.  p NULL: the data files
 * are the recipe's paths, unread (no SHA-256).  dm_verdict_decide, after
 * training, adds the compute used and the policy, decides the class and
 * says it (through o->say). */
int dm_verdict_facts(const dm_recipe *r, const dm_prepared *p, const dm_ctx *x, dm_verdict *v,
		     dm_error *err);
/* The same for a text model (r->text): its Dataset and Test-Dataset
 * files in the recipe's order, sha256[i] the SHA-256 of file i as read
 * (NULL: unread). */
int dm_verdict_facts_text(const dm_recipe *r, const char (*sha256)[65], const dm_ctx *x,
			  dm_verdict *v, dm_error *err);
void dm_verdict_decide(const dm_recipe *r, const dm_budget *b, uint64_t flop,
		       const dm_ctx *o, dm_verdict *v);
void dm_verdict_free(dm_verdict *v);

/* dm_verdict_decide without a word: the class and its reason, from the
 * compute used and the policy that applied. */
void dm_verdict_classify(const dm_recipe *r, const dm_budget *b, uint64_t flop, dm_verdict *v);

/* The verdict's line for the build log: with section (a package's
 * Section:, a "contrib/" or "non-free/" prefix naming the area, none
 * main), whether the archive area accepts it, by the Archive-Areas of the
 * policy that applies, else main's; a verdict the area does not take is an
 * error with DM_EXIT_POLICY naming the model, the verdict, the reason and
 * what to do.  section NULL: the verdict and its reason alone.  The job
 * that uses it: dm_job_verdict (job/job.h). */
int dm_verdict_line(const dm_recipe *r, const dm_verdict *v, const dm_budget *b,
		    const char *section, char *line, size_t size, dm_error *err);

#endif
