/* main.c - dh-model-train: the only part of the trainer that prints or
 * exits.  It turns arguments into calls, and errors into one line on
 * stderr and an exit code (base/error.h lists them). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/version.h"
#include "job/commands.h"
#include "job/job.h"
#include "job/eval.h"
#include "job/use.h"
#include "licensing/audit.h"
#include "licensing/verdict.h"
#include "job/verify.h"
#include "recipe/policy.h"
#include "cli/profile.h"
#include "math/gemm.h"
#include "os/cleanup.h"

static volatile int stop_signal;
/* The one registry of the process: a signal handler reaches only what is
 * global, and the library keeps nothing global (os/cleanup.h). */
static dm_cleanup cleanup;
static dm_kernel kernel; /* DH_MODEL_KERNEL, checked once by main() */

/* SIGINT/SIGTERM: remove whatever is half-written, then die of the signal
 * as the caller expects.  Only async-signal-safe calls here. */
static void on_signal(int sig)
{
	static const char msg[] = "dh-model-train: interrupted by a signal; no partial output left\n";
	stop_signal = 1;
	dm_cleanup_run(&cleanup);
	if (write(2, msg, sizeof msg - 1) < 0) {
		/* nothing else to do */
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void say(void *ctx, const char *line)
{
	(void)ctx;
	printf("%s\n", line);
	fflush(stdout);
}

/* Warnings and the verdict: on stderr, as every dh_* command's warnings,
 * whatever --quiet says; stdout first, so that the order stays. */
static void tell(void *ctx, const char *line)
{
	(void)ctx;
	fflush(stdout);
	fprintf(stderr, "dh-model-train: %s\n", line);
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "dh-model-train: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'dh-model-train --help'.\n");
	return DM_EXIT_USAGE;
}

static int report(const dm_error *err)
{
	fprintf(stderr, "dh-model-train: error: %s\n", err->msg);
	return err->code ? err->code : DM_EXIT_ERROR;
}

static const char USAGE[] =
	"Usage: dh-model-train COMMAND [OPTIONS] ARGS\n"
	"\n"
	"  train [--threads N] [--output-dir DIR] [--model NAME] [--no-expect] [--quiet] RECIPE\n"
	"        train every model of RECIPE (or NAME): DIR/NAME.safetensors, DIR/NAME.json\n"
	"  eval --model NAME [--threads N] RECIPE FILE.safetensors\n"
	"        recompute the test metrics of saved weights\n"
	"  eval [--format F] [--labels FILE] [--threads N] MODEL.safetensors DATA\n"
	"        the metrics of a model on labelled DATA, with no recipe (its provenance)\n"
	"  eval [--model NAME] RECIPE FILE.onnx | eval [--format F] [--labels FILE] FILE.onnx DATA\n"
	"        the metrics of an ONNX model (upstream's), on the recipe's test data or DATA\n"
	"  eval [-k K] [--threshold P] MODEL.bin DATA\n"
	"        a fastText model's precision and recall at K, as 'fasttext test'\n"
	"  predict [--format F] [--probabilities] [--threads N] MODEL.safetensors INPUT\n"
	"        one class name (or value) per sample of INPUT, with no recipe\n"
	"  predict [-k K] [--threshold P] [--prob] MODEL.bin INPUT\n"
	"        a fastText model's K best labels per line, as 'fasttext predict'\n"
	"        (with --prob: 'predict-prob')\n"
	"  inspect FILE.safetensors|FILE.onnx|MODEL.bin [WORD...]\n"
	"        tensors and metadata of a weights file, or a fastText model's args,\n"
	"        dictionary and matrices\n"
	"  estimate [--threads N] [--model NAME] RECIPE\n"
	"        the FLOP and peak memory of each model, and the policy's verdict\n"
	"  verdict [--section SECTION] [--model NAME] [--quiet] RECIPE\n"
	"        the ML-policy verdict of each model before training, and whether the\n"
	"        archive area of SECTION (contrib/..., non-free/..., else main) accepts it\n"
	"  list RECIPE                 check RECIPE and print NAME<TAB>INSTALL per model\n"
	"  card FILE.json              the model card (Markdown) of a provenance record\n"
	"  audit-container FILE        the members of a zip-like model file (.npz, .pt,\n"
	"                              .keras; gzipped too) and its class, as JSON\n"
	"  verify [--threads N] [--data-dir DIR] FILE.safetensors|NAME.bin|BUNDLE.tar\n"
	"        retrain a model from its provenance and compare the weights bit for bit\n"
	"  bundle --output BUNDLE.tar [--max-data-bytes SIZE] [--data-dir DIR] FILE.safetensors\n"
	"        a deterministic tar of the recipe, provenance, card, weights and small data\n"
	"\n"
	"See dh-model-train(1).\n";

static int parse_threads(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || end == s || v < 1 || v > 256)
		return -1;
	*out = (int)v;
	return 0;
}

/* ---- the options: one table for every command ---- */

enum { TRAIN = 1, EVAL = 2, PREDICT = 4, ESTIMATE = 8, VERDICT = 16, VERIFY = 32, BUNDLE = 64 };

/* Each option once, with the commands that take it; short: it has the
 * one-letter form val (-t, -k...) where those commands take it. */
static const struct optdef {
	struct option o;
	unsigned cmds, short_cmds;
} OPTIONS[] = {
	{{"threads", required_argument, 0, 't'},
	 TRAIN | EVAL | PREDICT | ESTIMATE | VERIFY, TRAIN | EVAL | PREDICT | ESTIMATE | VERIFY},
	{{"output-dir", required_argument, 0, 'o'}, TRAIN, TRAIN},
	{{"output", required_argument, 0, 'o'}, BUNDLE, BUNDLE},
	{{"model", required_argument, 0, 'm'}, TRAIN | EVAL | ESTIMATE | VERDICT,
	 TRAIN | EVAL | ESTIMATE | VERDICT},
	{{"no-expect", no_argument, 0, 'n'}, TRAIN, TRAIN},
	{{"quiet", no_argument, 0, 'q'}, TRAIN | VERDICT, TRAIN | VERDICT},
	{{"format", required_argument, 0, 'f'}, EVAL | PREDICT, EVAL | PREDICT},
	{{"labels", required_argument, 0, 'l'}, EVAL, EVAL},
	{{"k", required_argument, 0, 'k'}, EVAL | PREDICT, EVAL | PREDICT},
	{{"threshold", required_argument, 0, 'T'}, EVAL | PREDICT, 0},
	/* --prob: fastText's predict-prob, for its users */
	{{"probabilities", no_argument, 0, 'p'}, PREDICT, PREDICT},
	{{"prob", no_argument, 0, 'p'}, PREDICT, 0},
	{{"section", required_argument, 0, 's'}, VERDICT, VERDICT},
	{{"data-dir", required_argument, 0, 'd'}, VERIFY | BUNDLE, VERIFY | BUNDLE},
	{{"max-data-bytes", required_argument, 0, 'b'}, BUNDLE, BUNDLE},
};
#define NOPTIONS (sizeof OPTIONS / sizeof OPTIONS[0])

/* What the options said. */
typedef struct args {
	dm_ctx ctx;
	const char *model, *format, *labels, *section, *output;
	double max_data;
	int k, prob, ft_given;   /* -k, --threshold, --prob: fastText's predict and test */
	float threshold;
	int probabilities;
} args;

static int ft_option(int c, const char *arg, args *a)
{
	char *end;
	a->ft_given = 1;
	if (c == 'k') {
		long v = strtol(arg, &end, 10);
		if (*end || end == arg || v < 1 || v > 1000000)
			return usage_error("-k: expected a number from 1 to 1000000, got '%s'", arg);
		a->k = (int)v;
	} else {
		float v = strtof(arg, &end);
		if (*end || end == arg || !(v >= 0.0f && v <= 1.0f))
			return usage_error("--threshold: expected a probability from 0 to 1, got '%s'", arg);
		a->threshold = v;
	}
	return 0;
}

static void *profile_start(struct dm_engine *e, const struct dm_net *net)
{
	return dm_profile_start(e, net);
}

static void profile_finish(void *p, struct dm_engine *e, const char *model)
{
	dm_profile_finish(p, e, model);
}

/* Parse the options of command cmd (named name) into a, from the table's
 * rows that cmd takes; the context comes from the defaults and the
 * environment.  Returns 0, or the exit code of a usage error (said). */
static int parse(int argc, char **argv, unsigned cmd, const char *name, args *a)
{
	struct option longs[NOPTIONS + 1];
	char shorts[2 * NOPTIONS + 1], bad[64];
	size_t i, nl = 0, ns = 0;
	int c;
	memset(a, 0, sizeof *a);
	a->ctx.threads = 1;
	a->ctx.kernel = kernel;
	a->ctx.output_dir = ".";
	a->ctx.say = say;
	a->ctx.stop_signal = &stop_signal;
	a->ctx.cleanup = &cleanup;
	a->ctx.tell = tell;
	a->ctx.policy = getenv("DH_MODEL_POLICY");
	a->ctx.policy_dir = getenv("DH_MODEL_POLICY_DIR");
	a->ctx.free_licenses = getenv("DH_MODEL_FREE_LICENSES");
	a->ctx.dpkg_root = getenv("DPKG_ROOT");
	a->ctx.dpkg_admindir = getenv("DPKG_ADMINDIR");
	a->ctx.source_date_epoch = getenv("SOURCE_DATE_EPOCH");
	a->ctx.profile_start = profile_start;
	a->ctx.profile_finish = profile_finish;
	a->k = 1;
	a->max_data = 64.0 * 1024 * 1024;
	for (i = 0; i < NOPTIONS; i++) {
		if (OPTIONS[i].cmds & cmd)
			longs[nl++] = OPTIONS[i].o;
		if (OPTIONS[i].short_cmds & cmd) {
			shorts[ns++] = (char)OPTIONS[i].o.val;
			if (OPTIONS[i].o.has_arg == required_argument)
				shorts[ns++] = ':';
		}
	}
	memset(&longs[nl], 0, sizeof longs[nl]);
	shorts[ns] = 0;
	snprintf(bad, sizeof bad, "bad option for %s", name);
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (c == 't' && parse_threads(optarg, &a->ctx.threads))
			return usage_error("--threads: expected a number from 1 to 256, got '%s'", optarg);
		else if (c == 'o' && cmd == BUNDLE)
			a->output = optarg;
		else if (c == 'o')
			a->ctx.output_dir = optarg;
		else if (c == 'm')
			a->model = optarg;
		else if (c == 'n')
			a->ctx.no_expect = 1;
		else if (c == 'q')
			a->ctx.say = NULL;
		else if (c == 'f')
			a->format = optarg;
		else if (c == 'l')
			a->labels = optarg;
		else if (c == 'p')
			a->probabilities = a->prob = 1;
		else if (c == 'k' || c == 'T') {
			if (ft_option(c, optarg, a))
				return DM_EXIT_USAGE;
		} else if (c == 's')
			a->section = optarg;
		else if (c == 'd')
			a->ctx.data_dir = optarg;
		else if (c == 'b' && dm_limit_parse(DM_UNIT_BYTES, optarg, &a->max_data))
			return usage_error("--max-data-bytes: expected a size such as 64M, got '%s'", optarg);
		else if (c == '?')
			return usage_error("%s", bad);
	}
	return 0;
}

/* ---- the commands ---- */

/* The recipe at argv[optind], its models chosen by --model: each through
 * command cmd (TRAIN, ESTIMATE or VERDICT), all of them (estimate) or up
 * to the first error. */
static int each_model(char **argv, const args *a, unsigned cmd)
{
	dm_recipes rs;
	dm_error err = {"", 0};
	size_t i, first = 0, last = 0;
	int rc = 0;
	if (dm_recipes_load(argv[optind], &rs, &err))
		return report(&err);
	if (dm_recipes_select(&rs, a->model, argv[optind], &first, &last, &err)) {
		dm_recipes_free(&rs);
		return report(&err);
	}
	for (i = first; i < last && (rc == 0 || cmd == ESTIMATE); i++) {
		err.code = 0;
		if ((cmd == TRAIN ? dm_job_train(&rs.v[i], &a->ctx, &err)
		     : cmd == ESTIMATE ? dm_job_estimate(&rs.v[i], &a->ctx, &err)
				       : dm_job_verdict(&rs.v[i], a->section, &a->ctx, &err)))
			rc = report(&err);
	}
	dm_recipes_free(&rs);
	return rc;
}

static int cmd_train(int argc, char **argv)
{
	args a;
	dm_error err = {"", 0};
	struct stat st;
	int rc = parse(argc, argv, TRAIN, "train", &a);
	if (rc)
		return rc;
	if (optind != argc - 1)
		return usage_error("%s", "train: expected exactly one RECIPE");
	a.ctx.sandbox_dir = a.ctx.output_dir;
	if (stat(a.ctx.output_dir, &st) || !S_ISDIR(st.st_mode)) {
		dm_fail(&err, "%s: the output directory does not exist", a.ctx.output_dir);
		return report(&err);
	}
	return each_model(argv, &a, TRAIN);
}

static int cmd_eval(int argc, char **argv)
{
	args a;
	dm_eval_opts e;
	dm_error err = {"", 0};
	int rc = parse(argc, argv, EVAL, "eval", &a);
	if (rc)
		return rc;
	if (optind != argc - 2)
		return usage_error("%s", a.ft_given ? "eval: -k and --threshold are for fastText models"
				   : "eval: expected RECIPE and FILE.safetensors, or MODEL.safetensors and DATA");
	e = (dm_eval_opts){a.model, a.format, a.labels, a.k, a.threshold, a.ft_given};
	if (dm_job_eval_files(argv[optind], argv[optind + 1], &e, &a.ctx, stdout, &err))
		return err.code == DM_EXIT_USAGE ? usage_error("%s", err.msg) : report(&err);
	return 0;
}

/* predict MODEL INPUT: for shell consumers, as fasttext predict. */
static int cmd_predict(int argc, char **argv)
{
	args a;
	dm_use_opts u;
	dm_error err = {"", 0};
	int rc = parse(argc, argv, PREDICT, "predict", &a);
	if (rc)
		return rc;
	if (optind != argc - 2)
		return usage_error("%s", "predict: expected MODEL.safetensors or MODEL.bin, and INPUT");
	if (dm_is_fasttext_file(argv[optind])) {
		if (a.format)
			return usage_error("%s", "predict: --format is for safetensors models; "
					   "a fastText model reads fastText's text");
		return dm_ft_use_predict(argv[optind], argv[optind + 1], a.k, a.threshold, a.prob,
					 stdout, &err) ? report(&err) : 0;
	}
	if (a.ft_given)
		return usage_error("%s", "predict: -k and --threshold are for fastText models");
	u = (dm_use_opts){a.ctx.threads, a.format, NULL, say, NULL, a.probabilities, a.ctx.kernel};
	return dm_use_predict(argv[optind], argv[optind + 1], &u, &err) ? report(&err) : 0;
}

static int cmd_estimate(int argc, char **argv)
{
	args a;
	int rc = parse(argc, argv, ESTIMATE, "estimate", &a);
	if (rc)
		return rc;
	if (optind != argc - 1)
		return usage_error("%s", "estimate: expected exactly one RECIPE");
	return each_model(argv, &a, ESTIMATE);
}

static int cmd_verdict(int argc, char **argv)
{
	args a;
	int rc = parse(argc, argv, VERDICT, "verdict", &a);
	if (rc)
		return rc;
	if (optind != argc - 1)
		return usage_error("%s", "verdict: expected exactly one RECIPE");
	return each_model(argv, &a, VERDICT);
}

static int cmd_verify(int argc, char **argv)
{
	args a;
	dm_error err = {"", 0};
	int rc = parse(argc, argv, VERIFY, "verify", &a);
	if (rc)
		return rc;
	if (optind != argc - 1)
		return usage_error("%s", "verify: expected exactly one FILE.safetensors or BUNDLE.tar");
	a.ctx.tell = NULL;
	return dm_verify(argv[optind], &a.ctx, &err) ? report(&err) : 0;
}

static int cmd_bundle(int argc, char **argv)
{
	args a;
	dm_error err = {"", 0};
	int rc = parse(argc, argv, BUNDLE, "bundle", &a);
	if (rc)
		return rc;
	if (optind != argc - 1 || !a.output)
		return usage_error("%s", "bundle: expected --output FILE.tar and one FILE.safetensors");
	a.ctx.tell = NULL;
	return dm_bundle(argv[optind], a.output, (uint64_t)a.max_data, &a.ctx, &err) ? report(&err) : 0;
}

static int cmd_list(int argc, char **argv)
{
	dm_recipes rs;
	dm_error err = {"", 0};
	size_t i;
	if (argc != 2)
		return usage_error("%s", "list: expected exactly one RECIPE");
	if (dm_recipes_load(argv[1], &rs, &err))
		return report(&err);
	for (i = 0; i < rs.n; i++)
		printf("%s\t%s\n", rs.v[i].model, rs.v[i].install ? rs.v[i].install : "");
	dm_recipes_free(&rs);
	return 0;
}

static int cmd_inspect(int argc, char **argv)
{
	dm_error err = {"", 0};
	if (argc < 2)
		return usage_error("%s", "inspect: expected one FILE.safetensors, FILE.onnx or MODEL.bin [WORD...]");
	if (dm_inspect(argv[1], stdout, &err) ||
	    (argc > 2 && dm_inspect_neighbours(argv[1], argv + 2, argc - 2, stdout, &err)))
		return report(&err);
	return 0;
}

static int cmd_card(int argc, char **argv)
{
	dm_error err = {"", 0};
	if (argc != 2)
		return usage_error("%s", "card: expected exactly one FILE.json");
	if (dm_card(argv[1], stdout, &err))
		return report(&err);
	return 0;
}

/* For dh_auditmodels: {"file":..., "members":[...], "class":... or null} */
static int cmd_audit_container(int argc, char **argv)
{
	dm_error err = {"", 0};
	char *json;
	if (argc != 2)
		return usage_error("%s", "audit-container: expected exactly one FILE");
	if (!(json = dm_audit_container_json(argv[1], &err)))
		return report(&err);
	printf("%s\n", json);
	free(json);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct { const char *name; int (*fn)(int, char **); } cmds[] = {
		{"train", cmd_train}, {"eval", cmd_eval}, {"predict", cmd_predict}, {"inspect", cmd_inspect},
		{"list", cmd_list},   {"card", cmd_card},       {"estimate", cmd_estimate},
		{"verify", cmd_verify}, {"bundle", cmd_bundle}, {"verdict", cmd_verdict},
		{"audit-container", cmd_audit_container}};
	const char *kernel_name = getenv("DH_MODEL_KERNEL");
	size_t i;
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(USAGE, argc < 2 ? stderr : stdout);
		return argc < 2 ? DM_EXIT_USAGE : 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("dh-model-train %s\n", DM_VERSION);
		return 0;
	}
	/* DH_MODEL_KERNEL=generic forces the plain C kernel: the tests use it
	 * to show that the choice of kernel never changes a bit. */
	if (kernel_name && *kernel_name && dm_kernel_parse(kernel_name, &kernel))
		return usage_error("DH_MODEL_KERNEL: expected auto, generic, avx2-fma or "
				   "avx512 (on a CPU that has it), got '%s'", kernel_name);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGXFSZ, SIG_IGN); /* a full file becomes EFBIG and an error message */
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	return usage_error("unknown command '%s'", argv[1]);
}
