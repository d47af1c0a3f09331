/* budget.c - refuse a recipe before training when it is over the policy,
 * and hold it to the policy's caps while it trains (os/caps.h enforces
 * them). */
#include "budget.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "base/checked.h"
#include "base/sanitizer.h"
#include "os/caps.h"
#include "policy/locate.h"

/* The training loop and the data's reader stop cleanly at Max-Wall-Time;
 * this alarm is the backstop for anything that does not return to them
 * (an open() or a read() that blocks, a subprocess).  It is armed before
 * the first data file is opened, and cancelled by dm_budget_free. */
static void wall_backstop(const dm_recipe *r, const dm_limits *l, dm_cleanup *cleanup)
{
	char where[256], v[48], msg[512];
	dm_recipe_where(r, where, sizeof where);
	dm_limit_format(DM_UNIT_SECONDS, l->max_wall_time, v, sizeof v);
	snprintf(msg, sizeof msg, "dh-model-train: error: %s: Max-Wall-Time of %s reached (the "
		 "watchdog's backstop); no output written\n", where, v);
	dm_cap_wall(l->max_wall_time * 1.25 + 30, msg, cleanup);
}

/* ---- the budget ---- */

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
		 size_t *n, size_t *dim, dm_shape *shape, dm_error *err)
{
	dm_checked ck = {0};
	if (dm_dataset_probe_shape(spec, n, shape, err) == 0) {
		*dim = (size_t)dm_shape_count(shape, &ck);
		return 0;
	}
	if (spec->labels && !strncmp(err->msg, spec->labels, strlen(spec->labels)) &&
	    err->msg[strlen(spec->labels)] == ':') /* the labels file's line */
		field = !strcmp(field, "Dataset") ? "Labels" : "Test-Labels";
	return dm_error_prefix(err, "%s: line %u: %s", r->file->path,
			       dm_recipe_field_line(r, field), field);
}

/* v > limit, exactly: a limit is a double (dm_number_parse), compared as the
 * real number it is, never by rounding v to a double (which above 2^53
 * would let a figure just over a limit pass).  0 is no limit. */
static int exceeds(uint64_t v, double limit)
{
	if (!(limit > 0) || limit >= 18446744073709551616.0)
		return 0;
	return v > (uint64_t)limit;   /* for integer v, v > limit iff v > floor(limit) */
}

/* What a figure that does not fit in 64 bits is made of, for the refusal. */
static void overflow_source(const dm_recipe *r, const dm_budget *b, dm_cost_figure f,
			    char *buf, size_t size)
{
	const dm_budget_shape *s = &b->shape;
	switch (f) {
	case DM_COST_PARAMS:
	case DM_COST_OUTPUT:
		snprintf(buf, size, "the parameters of Network on %llu features",
			 (unsigned long long)s->dim);
		break;
	case DM_COST_FLOP_TRAIN:
		snprintf(buf, size, "the training FLOP of Network on %llu features over %llu rows "
			 "and %llu Epochs", (unsigned long long)s->dim, (unsigned long long)s->ntrain,
			 (unsigned long long)r->train_cfg.epochs);
		break;
	case DM_COST_FLOP_EVAL:
		snprintf(buf, size, "the evaluation FLOP of Network on %llu features over the "
			 "training, validation and test rows", (unsigned long long)s->dim);
		break;
	case DM_COST_FLOP:
		snprintf(buf, size, "the training and evaluation FLOP together");
		break;
	case DM_COST_MEM_DATA:
	case DM_COST_MEM_LOAD:
		snprintf(buf, size, "the bytes of the data, %llu rows of %llu features",
			 (unsigned long long)(s->ntrain + s->nvalid), (unsigned long long)s->dim);
		break;
	case DM_COST_MEM_MODEL:
		snprintf(buf, size, "the bytes of the parameters and optimizer state of Network "
			 "on %llu features", (unsigned long long)s->dim);
		break;
	case DM_COST_MEM_WORK:
		snprintf(buf, size, "the bytes of the activations of Network at Batch-Size %llu",
			 (unsigned long long)r->train_cfg.batch);
		break;
	default:
		snprintf(buf, size, "the peak memory");
		break;
	}
}

/* A figure beyond 64 bits: over every policy, even one without a limit. */
static int overflow(const dm_recipe *r, const dm_budget *b, dm_error *err)
{
	dm_cost_figure f = dm_cost_first_overflow(&b->cost);
	int flop = f == DM_COST_FLOP_TRAIN || f == DM_COST_FLOP_EVAL || f == DM_COST_FLOP;
	int output = f == DM_COST_PARAMS || f == DM_COST_OUTPUT;
	const char *field = flop ? "Max-Compute" : output ? "Max-Output-Bytes" : "Max-Memory";
	double limit = flop ? b->limits.max_compute
		       : (double)(output ? b->limits.max_output_bytes : b->limits.max_memory);
	char source[256], allow[200], v[48];
	overflow_source(r, b, f, source, sizeof source);
	if (limit > 0) {
		dm_limit_format(flop ? DM_UNIT_FLOP : DM_UNIT_BYTES, limit, v, sizeof v);
		snprintf(allow, sizeof allow, "%s allows %s (%s)", b->policy.name, v, field);
	} else {
		snprintf(allow, sizeof allow, "over every policy, even %s, which sets no %s",
			 b->policy.name, field);
	}
	return dm_fail_code(err, DM_EXIT_POLICY, "%s: stanza %zu (%s): needs at least %s: %s "
			    "do not fit in 64 bits; %s", r->file->path, r->index, r->model,
			    flop ? "2^64 FLOP (1.84e+19)" : output ? "2^64 bytes (16 EiB) of weights"
			    : "2^64 bytes (16 EiB) of memory", source, allow);
}

static int over(const dm_recipe *r, const dm_budget *b, dm_error *err)
{
	const dm_limits *l = &b->limits;
	const dm_cost *c = &b->cost;
	char need[48], allow[48], t1[128], t2[128];
	if (c->over)
		return overflow(r, b, err);
	if (exceeds(c->flop, l->max_compute)) {
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
	if (exceeds(c->mem_peak, (double)l->max_memory)) {
		dm_limit_format(DM_UNIT_BYTES, (double)c->mem_peak, need, sizeof need);
		dm_limit_format(DM_UNIT_BYTES, (double)l->max_memory, allow, sizeof allow);
		return dm_fail_code(err, DM_EXIT_POLICY, "%s: stanza %zu (%s): needs %s of memory at "
				    "its peak, %s allows %s (Max-Memory)", r->file->path, r->index,
				    r->model, need, b->policy.name, allow);
	}
	if (exceeds(c->output_bytes, (double)l->max_output_bytes)) {
		dm_limit_format(DM_UNIT_BYTES, (double)c->output_bytes, need, sizeof need);
		dm_limit_format(DM_UNIT_BYTES, (double)l->max_output_bytes, allow, sizeof allow);
		return dm_fail_code(err, DM_EXIT_POLICY, "%s: stanza %zu (%s): its weights alone are "
				    "%s, %s allows %s per output file (Max-Output-Bytes)", r->file->path,
				    r->index, r->model, need, b->policy.name, allow);
	}
	return 0;
}

/* Within the limits of policy p: no figure beyond 64 bits, none over a limit. */
static int within(const dm_cost *c, const dm_limits *l)
{
	return !c->over && !exceeds(c->flop, l->max_compute) &&
	       !exceeds(c->mem_peak, (double)l->max_memory) &&
	       !exceeds(c->output_bytes, (double)l->max_output_bytes);
}

void dm_budget_text_cost(dm_budget *b, uint64_t flop)
{
	b->cost.flop = b->cost.flop_train = flop;
	b->costed = 1;
	b->within_main = within(&b->cost, &b->main.limits);
}

int dm_budget_check(dm_recipe *r, const dm_ctx *x, dm_budget *b, dm_error *err)
{
	const char *dirs[3], *name = x->policy;
	char dir[3][PATH_MAX], where[256];
	size_t ndirs = dm_policy_dirs(x, dir, 3), n = 0, dim = 0, ntest = 0, tdim = 0, nv, i;
	int threads = x->threads;
	dm_layer *layers;
	dm_shape shape, tshape;
	dm_cost_in in;
	const dm_limits *lm;
	int audit_error;

	for (i = 0; i < ndirs; i++)
		dirs[i] = dir[i];
	memset(b, 0, sizeof *b);
	clock_gettime(CLOCK_MONOTONIC, &b->started);
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
	if (r->text)   /* a text model: fasttext/job.c counts its tokens, then costs it */
		return 0;
	/* the data caps apply from the first byte read, the wall clock's too:
	 * the data's reader checks it, and the alarm backs it up for anything
	 * that does not return to a check */
	lm = &b->limits;
	r->train.limits.max_bytes = r->test.limits.max_bytes = lm->max_dataset_bytes;
	r->train.limits.max_members = r->test.limits.max_members = lm->max_archive_members;
	if (lm->max_wall_time) {
		double deadline = (double)b->started.tv_sec + (double)b->started.tv_nsec * 1e-9 +
				  lm->max_wall_time;
		r->train.limits.deadline = r->test.limits.deadline = deadline;
		r->train.limits.max_wall_time = r->test.limits.max_wall_time = lm->max_wall_time;
		wall_backstop(r, lm, x->cleanup);
	}

	if (probe(r, &r->train, "Dataset", &n, &dim, &shape, err) ||
	    (r->test.features && probe(r, &r->test, "Test-Dataset", &ntest, &tdim, &tshape, err)))
		return -1;
	if (!(layers = dm_calloc(r->nlayers, sizeof *layers, err)))
		return -1;
	{
		dm_shape input;
		size_t nparams;
		dm_error sub;
		if (dm_recipe_input_shape(r, &shape, &input, err)) {
			free(layers);
			return -1;
		}
		if (dm_net_plan(r->layers, r->nlayers, &input, layers, &nparams, &sub)) {
			free(layers);
			return dm_fail(err, "%s: line %u: Network: %s", r->file->path,
				       dm_recipe_field_line(r, "Network"), sub.msg);
		}
	}
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
	in.load_bytes_per_value = r->train.format == DM_FORMAT_IDX ? 1 : 2 * 4;
	b->shape = (dm_budget_shape){in.dim, in.ntrain, in.nvalid, in.ntest};
	dm_cost_estimate(&in, &b->cost);
	b->costed = 1;
	free(layers);
	b->within_main = within(&b->cost, &b->main.limits);
	return over(r, b, err);
}

void dm_budget_free(dm_budget *b)
{
	dm_cap_wall_cancel();   /* the wall-clock backstop */
	dm_policy_free(&b->policy);
	dm_policy_free(&b->main);
}

void dm_caps_arm(const dm_recipe *r, const dm_budget *b, dm_cleanup *cleanup)
{
	const dm_limits *l = &b->limits;
	char where[256], v[48], msg[512];
	dm_recipe_where(r, where, sizeof where);
	if (l->max_cpu_time) {
		dm_limit_format(DM_UNIT_SECONDS, l->max_cpu_time, v, sizeof v);
		snprintf(msg, sizeof msg, "dh-model-train: error: %s: Max-CPU-Time of %s reached; "
			 "training stopped, no output written\n", where, v);
		dm_cap_cpu(l->max_cpu_time, msg, cleanup);
	}
#if !defined(DM_ASAN) && !defined(DM_TSAN)
	/* ASan and TSan reserve terabytes of address space */
	if (l->max_memory) {
		/* address space is larger than what is touched: thread stacks,
		 * malloc arenas and library mappings are reserved, not used */
		dm_checked ck = {0};
		uint64_t as = dm_ck_add(&ck, l->max_memory,
					dm_ck_add(&ck, (uint64_t)512 << 20,
						  dm_ck_mul(&ck, (uint64_t)(b->threads < 1 ? 1 : b->threads),
							    (uint64_t)80 << 20)));
		dm_cap_address_space(ck.over ? UINT64_MAX : as);
	}
#endif
	if (l->max_output_bytes)
		dm_cap_file_size(l->max_output_bytes);
}

void dm_caps_disarm(void)
{
	dm_caps_clear();
}
