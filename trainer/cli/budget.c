/* budget.c - refuse a recipe before training when it is over the policy,
 * and hold it to the policy's caps while it trains. */
#include "budget.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/sanitizer.h"
#include "cli/provenance.h"
#include "output/atomic.h"

#ifndef DM_POLICY_DIR
#define DM_POLICY_DIR "/usr/share/dh-model/policy"
#endif

/* The Debian architecture name of the machine, for the time estimates only. */
static void debian_arch(char *buf, size_t size)
{
	static const struct { const char *uname, *deb; } map[] = {
		{"x86_64", "amd64"}, {"aarch64", "arm64"}, {"ppc64le", "ppc64el"},
		{"s390x", "s390x"}, {"i686", "i386"}, {"i586", "i386"}, {"i386", "i386"},
		{"armv7l", "armhf"}, {"riscv64", "riscv64"}};
	struct utsname u;
	size_t i;
	snprintf(buf, size, "amd64");
	if (uname(&u))
		return;
	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(u.machine, map[i].uname))
			snprintf(buf, size, "%s", map[i].deb);
}

/* Where policies are: $DH_MODEL_POLICY_DIR, the installed directory, and
 * policy/ next to a trainer run from its build tree (build/../policy). */
static size_t policy_dirs(const char **dirs, char *exe_dir, size_t size)
{
	size_t n = 0;
	const char *env = getenv("DH_MODEL_POLICY_DIR");
	ssize_t len;
	if (env && *env)
		dirs[n++] = env;
	dirs[n++] = DM_POLICY_DIR;
	len = readlink("/proc/self/exe", exe_dir, size - 16);
	if (len > 0) {
		char *slash;
		exe_dir[len] = 0;
		if ((slash = strrchr(exe_dir, '/'))) {
			strcpy(slash, "/../policy");
			dirs[n++] = exe_dir;
		}
	}
	return n;
}

void dm_budget_time(const dm_budget *b, double flop, const dm_policy *p,
		    dm_numerics numerics, char *buf, size_t size)
{
	const dm_throughput *t = dm_policy_reference(p, b->arch, numerics);
	char when[48];
	if (!t) {
		snprintf(buf, size, "no reference throughput in policy %s", p->name);
		return;
	}
	dm_limit_format(DM_UNIT_SECONDS, flop / t->flop_per_second, when, sizeof when);
	snprintf(buf, size, "%s at %.3g GFLOP/s on one %s core", when,
		 t->flop_per_second / 1e9, t->arch);
}

static int probe(const dm_recipe *r, const dm_data_spec *spec, const char *field,
		 size_t *n, size_t *dim, dm_error *err)
{
	if (dm_dataset_probe(spec, n, dim, err) == 0)
		return 0;
	if (spec->labels && !strncmp(err->msg, spec->labels, strlen(spec->labels)) &&
	    err->msg[strlen(spec->labels)] == ':') /* the labels file's line */
		field = !strcmp(field, "Dataset") ? "Labels" : "Test-Labels";
	return dm_error_prefix(err, "%s: line %u: %s", r->file->path,
			       dm_recipe_field_line(r, field), field);
}

static int over(const dm_recipe *r, const dm_budget *b, dm_error *err)
{
	const dm_limits *l = &b->limits;
	const dm_cost *c = &b->cost;
	char need[48], allow[48], t1[128], t2[128];
	if (l->max_compute && (double)c->flop > l->max_compute) {
		dm_budget_time(b, (double)c->flop, &b->policy, r->numerics, t1, sizeof t1);
		dm_budget_time(b, l->max_compute, &b->policy, r->numerics, t2, sizeof t2);
		/* "about 24 h vs 2.8 h at 36 GFLOP/s on one amd64 core" */
		{
			char *at = strstr(t1, " at ");
			if (at && strstr(t2, " at "))
				*at = 0; /* the rate is said once, after the second time */
			return dm_fail_code(err, DM_EXIT_POLICY, "%s: stanza %zu (%s): needs %.2g FLOP, "
					    "%s allows %.2g FLOP (about %s vs %s)%s", r->file->path,
					    r->index, r->model, (double)c->flop, b->policy.name,
					    l->max_compute, t1, t2,
					    r->limits.max_compute ? " (Max-Compute of the recipe)" : "");
		}
	}
	if (l->max_memory && c->mem_peak > l->max_memory) {
		dm_limit_format(DM_UNIT_BYTES, (double)c->mem_peak, need, sizeof need);
		dm_limit_format(DM_UNIT_BYTES, (double)l->max_memory, allow, sizeof allow);
		return dm_fail_code(err, DM_EXIT_POLICY, "%s: stanza %zu (%s): needs %s of memory at "
				    "its peak, %s allows %s (Max-Memory)", r->file->path, r->index,
				    r->model, need, b->policy.name, allow);
	}
	if (l->max_output_bytes && c->output_bytes > l->max_output_bytes) {
		dm_limit_format(DM_UNIT_BYTES, (double)c->output_bytes, need, sizeof need);
		dm_limit_format(DM_UNIT_BYTES, (double)l->max_output_bytes, allow, sizeof allow);
		return dm_fail_code(err, DM_EXIT_POLICY, "%s: stanza %zu (%s): its weights alone are "
				    "%s, %s allows %s per output file (Max-Output-Bytes)", r->file->path,
				    r->index, r->model, need, b->policy.name, allow);
	}
	return 0;
}

int dm_budget_check(dm_recipe *r, int threads, dm_budget *b, dm_error *err)
{
	const char *dirs[3], *name = getenv("DH_MODEL_POLICY");
	char exe_dir[4096], where[256];
	size_t ndirs = policy_dirs(dirs, exe_dir, sizeof exe_dir), n, dim, ntest = 0, tdim = 0, nv;
	dm_layer *layers;
	dm_cost_in in;
	const dm_limits *lm;
	int audit_error;

	memset(b, 0, sizeof *b);
	debian_arch(b->arch, sizeof b->arch);
	if (!name || !*name)
		name = r->policy ? r->policy : "main";
	if (dm_policy_load(name, dirs, ndirs, &b->policy, err) ||
	    dm_policy_load("main", dirs, ndirs, &b->main, err))
		return -1;
	/* the audit's mode is dh_auditmodels' business, but a recipe that asks
	 * for less than its policy is refused here, like a higher limit, before
	 * any work */
	snprintf(where, sizeof where, "%s: line %u", r->file->path,
		 dm_recipe_field_line(r, "Unexplained-Models"));
	if (dm_audit_effective(&b->policy, r->unexplained_error, where, &audit_error, err))
		return -1;
	dm_recipe_where(r, where, sizeof where);
	if (dm_limits_effective(&b->policy, &r->limits, where, &b->limits, err))
		return -1;
	/* the data caps apply from the first byte read */
	lm = &b->limits;
	r->train.limits.max_bytes = r->test.limits.max_bytes = lm->max_dataset_bytes;
	r->train.limits.max_members = r->test.limits.max_members = lm->max_archive_members;

	if (probe(r, &r->train, "Dataset", &n, &dim, err) ||
	    (r->test.features && probe(r, &r->test, "Test-Dataset", &ntest, &tdim, err)))
		return -1;
	if (!(layers = dm_calloc(r->nlayers, sizeof *layers, err)))
		return -1;
	dm_net_plan(r->layers, r->nlayers, dim, layers);
	nv = (size_t)((double)n * (double)r->validation_split);
	memset(&in, 0, sizeof in);
	in.layers = layers;
	in.nlayers = r->nlayers;
	in.dim = dim;
	in.ntrain = n - nv;
	in.nvalid = nv;
	in.ntest = ntest;
	in.batch = r->train_cfg.batch;
	in.max_batch = in.batch > 256 ? in.batch : 256;
	in.epochs = r->train_cfg.epochs;
	in.loss = r->train_cfg.loss;
	in.optim = r->train_cfg.optim;
	in.patience = r->train_cfg.patience;
	/* The estimate counts one thread's packing space whatever the thread
	 * count (each more thread adds 1.1 MiB): the verdict and the
	 * provenance must not depend on parallel=N. */
	in.threads = 1;
	b->threads = threads;
	in.normalized = r->normalize != DM_NORMALIZE_NONE &&
			!(r->normalize == DM_NORMALIZE_AUTO && r->train.format != DM_FORMAT_IDX);
	/* reading IDX holds the raw body (bytes, as Fashion-MNIST has) next to
	 * the floats; text formats grow their arrays by doubling */
	if (r->train.format == DM_FORMAT_IDX) {
		in.train_load_bytes = (uint64_t)n * dim + n;
		in.test_load_bytes = (uint64_t)ntest * dim + ntest;
	} else {
		in.train_load_bytes = 2 * 4 * ((uint64_t)n * dim + n);
		in.test_load_bytes = 2 * 4 * ((uint64_t)ntest * dim + ntest);
	}
	dm_cost_estimate(&in, &b->cost);
	b->costed = 1;
	free(layers);
	b->within_main = (!b->main.limits.max_compute || (double)b->cost.flop <= b->main.limits.max_compute) &&
			 (!b->main.limits.max_memory || b->cost.mem_peak <= b->main.limits.max_memory) &&
			 (!b->main.limits.max_output_bytes ||
			  b->cost.output_bytes <= b->main.limits.max_output_bytes);
	return over(r, b, err);
}

void dm_budget_free(dm_budget *b)
{
	dm_policy_free(&b->policy);
	dm_policy_free(&b->main);
}

/* ---- caps ---- */

static char cpu_msg[512], wall_msg[512];
static size_t cpu_len, wall_len;

static void die_of_cap(const char *msg, size_t len)
{
	dm_atomic_cleanup();
	dm_output_pending_cleanup();
	if (write(2, msg, len) < 0) {
		/* nothing more can be done */
	}
	_exit(DM_EXIT_POLICY);
}

static void on_xcpu(int sig)
{
	(void)sig;
	die_of_cap(cpu_msg, cpu_len);
}

static void on_alarm(int sig)
{
	(void)sig;
	die_of_cap(wall_msg, wall_len);
}

static void set_soft(int resource, rlim_t v)
{
	struct rlimit rl;
	if (getrlimit(resource, &rl))
		return;
	if (rl.rlim_max != RLIM_INFINITY && v > rl.rlim_max)
		v = rl.rlim_max;
	rl.rlim_cur = v;
	setrlimit(resource, &rl);
}

void dm_caps_arm(const dm_recipe *r, const dm_budget *b)
{
	const dm_limits *l = &b->limits;
	char where[256], v[48];
	dm_recipe_where(r, where, sizeof where);
	if (l->max_cpu_time) {
		struct rusage ru;
		double used = 0;
		if (!getrusage(RUSAGE_SELF, &ru))
			used = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec;
		dm_limit_format(DM_UNIT_SECONDS, l->max_cpu_time, v, sizeof v);
		cpu_len = (size_t)snprintf(cpu_msg, sizeof cpu_msg, "dh-model-train: error: %s: "
					   "Max-CPU-Time of %s reached; training stopped, no output "
					   "written\n", where, v);
		signal(SIGXCPU, on_xcpu);
		set_soft(RLIMIT_CPU, (rlim_t)(used + l->max_cpu_time + 0.999));
	}
	if (l->max_wall_time) {
		/* the training loop stops cleanly at the limit; this alarm is
		 * the backstop for anything that does not return to it */
		struct itimerval it = {{0, 0}, {0, 0}};
		dm_limit_format(DM_UNIT_SECONDS, l->max_wall_time, v, sizeof v);
		wall_len = (size_t)snprintf(wall_msg, sizeof wall_msg, "dh-model-train: error: %s: "
					    "Max-Wall-Time of %s reached (the watchdog's backstop); "
					    "no output written\n", where, v);
		it.it_value.tv_sec = (time_t)(l->max_wall_time * 1.25 + 30);
		signal(SIGALRM, on_alarm);
		setitimer(ITIMER_REAL, &it, NULL);
	}
#if !defined(DM_ASAN) && !defined(DM_TSAN)
	/* ASan and TSan reserve terabytes of address space */
	if (l->max_memory) {
		/* address space is larger than what is touched: thread stacks,
		 * malloc arenas and library mappings are reserved, not used */
		rlim_t as = (rlim_t)l->max_memory + ((rlim_t)512 << 20) +
			    (rlim_t)(b->threads < 1 ? 1 : b->threads) * ((rlim_t)80 << 20);
		set_soft(RLIMIT_AS, as);
	}
#endif
	if (l->max_output_bytes)
		set_soft(RLIMIT_FSIZE, (rlim_t)l->max_output_bytes);
}

void dm_caps_disarm(void)
{
	struct itimerval it = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &it, NULL);
	set_soft(RLIMIT_AS, RLIM_INFINITY);
	set_soft(RLIMIT_FSIZE, RLIM_INFINITY);
	set_soft(RLIMIT_CPU, RLIM_INFINITY);
}
