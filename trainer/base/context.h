/* context.h - what a library call takes from its caller rather than from
 * the process: its settings, the paths it may read and write, and the
 * hooks through which it reports.
 *
 * The library reads no DH_MODEL_* variable, changes no directory and keeps
 * no mutable global of its own (os/ and cli/ excepted): the CLI fills a
 * context from its options and its environment, and two jobs with two
 * contexts in one process see nothing of each other.
 */
#ifndef DM_CONTEXT_H
#define DM_CONTEXT_H

struct dm_cleanup;
struct dm_engine;
struct dm_net;

typedef struct dm_ctx {
	int threads;
	/* the portable GEMM's kernel, a dm_kernel (math/gemm.h; the CLI's
	 * DH_MODEL_KERNEL): 0, auto, unless a test forces one */
	int kernel;
	const char *output_dir;     /* where a training job writes */
	int no_expect;              /* nocheck: gates are evaluated but not fatal */
	/* progress, which --quiet removes (NULL: none) */
	void (*say)(void *ctx, const char *line);
	void *say_ctx;
	volatile int *stop_signal;  /* set by a signal handler: stop training */
	/* the registry a signal handler runs to remove half-written outputs
	 * (os/cleanup.h): the job's writers enter themselves there.  The
	 * caller owns it (the CLI: one for the process); NULL: none */
	struct dm_cleanup *cleanup;
	/* after the data are read, restrict the process (os/sandbox.h) so
	 * that it writes only beneath this directory; NULL: no sandbox */
	const char *sandbox_dir;
	/* warnings ("warning: ..."), the verdict: never NULL in the CLI;
	 * where NULL, they go to say() */
	void (*tell)(void *ctx, const char *line);

	/* the policy that applies whatever the recipe's Policy: says (the
	 * CLI's DH_MODEL_POLICY): a name or a path; NULL: the recipe's */
	const char *policy;
	/* searched for policies before the installed directory and the
	 * build tree's policy/ (DH_MODEL_POLICY_DIR); NULL: none */
	const char *policy_dir;
	/* the list of free licences (DH_MODEL_FREE_LICENSES); NULL: found
	 * beside the policies */
	const char *free_licenses;
	/* the root of the installation whose packages own the data
	 * (DPKG_ROOT, as dpkg honours it); NULL or "": / */
	const char *dpkg_root;
	/* dpkg's database, if not the one below dpkg_root (DPKG_ADMINDIR);
	 * NULL or "": dpkg-query's default.  Both are handed to dpkg-query
	 * in its environment, whatever this process's says */
	const char *dpkg_admindir;
	/* SOURCE_DATE_EPOCH (base/epoch.h): the provenance's date and the
	 * bundle's mtimes; NULL or "": none */
	const char *source_date_epoch;
	/* verify and bundle: relative dataset paths are below it; NULL: "." */
	const char *data_dir;

	/* where the training time goes (DH_MODEL_PROFILE, cli/profile.c):
	 * start returns a handle (or NULL), finish reports and frees it */
	void *(*profile_start)(struct dm_engine *e, const struct dm_net *net);
	void (*profile_finish)(void *handle, struct dm_engine *e, const char *model);
} dm_ctx;

/* LINE through c->tell, or through c->say where there is no tell. */
void dm_ctx_tell(const dm_ctx *c, const char *line);

#endif
