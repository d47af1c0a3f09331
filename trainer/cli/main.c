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
#include "cli/commands.h"
#include "cli/job.h"
#include "cli/use.h"
#include "cli/verdict.h"
#include "cli/verify.h"
#include "recipe/policy.h"
#include "math/gemm.h"
#include "output/atomic.h"

static volatile int stop_signal;

/* SIGINT/SIGTERM: remove whatever is half-written, then die of the signal
 * as the caller expects.  Only async-signal-safe calls here. */
static void on_signal(int sig)
{
	static const char msg[] = "dh-model-train: interrupted by a signal; no partial output left\n";
	stop_signal = 1;
	dm_atomic_cleanup();
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
	"  eval [-k K] [--threshold P] MODEL.bin DATA\n"
	"        a fastText model's precision and recall at K, as 'fasttext test'\n"
	"  predict [--format F] [--probabilities] [--threads N] MODEL.safetensors INPUT\n"
	"        one class name (or value) per sample of INPUT, with no recipe\n"
	"  predict [-k K] [--threshold P] [--prob] MODEL.bin INPUT\n"
	"        a fastText model's K best labels per line, as 'fasttext predict'\n"
	"        (with --prob: 'predict-prob')\n"
	"  inspect FILE.safetensors|MODEL.bin [WORD...]\n"
	"        tensors and metadata of a weights file, or a fastText model's args,\n"
	"        dictionary and matrices\n"
	"  estimate [--threads N] [--model NAME] RECIPE\n"
	"        the FLOP and peak memory of each model, and the policy's verdict\n"
	"  verdict [--section SECTION] [--model NAME] [--quiet] RECIPE\n"
	"        the ML-policy verdict of each model before training, and whether the\n"
	"        archive area of SECTION (contrib/..., non-free/..., else main) accepts it\n"
	"  list RECIPE                 check RECIPE and print NAME<TAB>INSTALL per model\n"
	"  card FILE.json              the model card (Markdown) of a provenance record\n"
	"  verify [--threads N] [--data-dir DIR] FILE.safetensors|BUNDLE.tar\n"
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

static int select_models(const dm_recipes *rs, const char *model, const char *path,
			 size_t *first, size_t *last, dm_error *err)
{
	size_t i;
	if (!model) {
		*first = 0, *last = rs->n;
		return 0;
	}
	for (i = 0; i < rs->n; i++)
		if (!strcmp(rs->v[i].model, model)) {
			*first = i, *last = i + 1;
			return 0;
		}
	return dm_fail(err, "%s: no stanza has 'Model: %s'", path, model);
}

static int cmd_train(int argc, char **argv)
{
	static const struct option opts[] = {
		{"threads", required_argument, 0, 't'}, {"output-dir", required_argument, 0, 'o'},
		{"model", required_argument, 0, 'm'},   {"no-expect", no_argument, 0, 'n'},
		{"quiet", no_argument, 0, 'q'},         {0, 0, 0, 0}};
	dm_job_opts o = {1, ".", 0, say, NULL, &stop_signal, NULL, tell};
	const char *model = NULL;
	dm_recipes rs;
	dm_error err = {"", 0};
	struct stat st;
	size_t i, first = 0, last = 0;
	int c, rc = 0;
	while ((c = getopt_long(argc, argv, "t:o:m:nq", opts, NULL)) != -1) {
		if (c == 't' && parse_threads(optarg, &o.threads))
			return usage_error("--threads: expected a number from 1 to 256, got '%s'", optarg);
		else if (c == 'o')
			o.output_dir = optarg;
		else if (c == 'm')
			model = optarg;
		else if (c == 'n')
			o.no_expect = 1;
		else if (c == 'q')
			o.say = NULL;
		else if (c == '?')
			return usage_error("%s", "bad option for train");
	}
	if (optind != argc - 1)
		return usage_error("%s", "train: expected exactly one RECIPE");
	o.sandbox_dir = o.output_dir;
	if (stat(o.output_dir, &st) || !S_ISDIR(st.st_mode)) {
		dm_fail(&err, "%s: the output directory does not exist", o.output_dir);
		return report(&err);
	}
	if (dm_recipes_load(argv[optind], &rs, &err))
		return report(&err);
	if (select_models(&rs, model, argv[optind], &first, &last, &err)) {
		dm_recipes_free(&rs);
		return report(&err);
	}
	for (i = first; i < last && rc == 0; i++) {
		if (rs.v[i].numerics == DM_NUMERICS_OPENBLAS)
			fprintf(stderr, "dh-model-train: warning: %s: line %u: Numerics: openblas: the "
				"weights of %s will be reproducible only on the same CPU core type "
				"with the same thread count, not on every buildd; the portable "
				"default is reproducible everywhere\n", argv[optind],
				dm_recipe_field_line(&rs.v[i], "Numerics"), rs.v[i].model);
		if (dm_job_train(&rs.v[i], &o, &err))
			rc = report(&err);
	}
	dm_recipes_free(&rs);
	return rc;
}

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), k = strlen(tail);
	return n >= k && !strcmp(s + n - k, tail);
}

/* -k, --threshold and --prob: fastText's predict and test options. */
typedef struct ft_opts {
	int k;
	float threshold;
	int prob, given;
} ft_opts;

static int parse_ft_opt(int c, const char *arg, ft_opts *o)
{
	char *end;
	o->given = 1;
	if (c == 'p') {
		o->prob = 1;
	} else if (c == 'k') {
		long v = strtol(arg, &end, 10);
		if (*end || end == arg || v < 1 || v > 1000000)
			return usage_error("-k: expected a number from 1 to 1000000, got '%s'", arg);
		o->k = (int)v;
	} else {
		float v = strtof(arg, &end);
		if (*end || end == arg || !(v >= 0.0f && v <= 1.0f))
			return usage_error("--threshold: expected a probability from 0 to 1, got '%s'", arg);
		o->threshold = v;
	}
	return 0;
}

static int cmd_eval(int argc, char **argv)
{
	static const struct option opts[] = {
		{"threads", required_argument, 0, 't'}, {"model", required_argument, 0, 'm'},
		{"format", required_argument, 0, 'f'},  {"labels", required_argument, 0, 'l'},
		{"k", required_argument, 0, 'k'},	{"threshold", required_argument, 0, 'T'},
		{0, 0, 0, 0}};
	ft_opts ft = {1, 0.0f, 0, 0};
	dm_job_opts o = {1, ".", 0, say, NULL, &stop_signal, NULL, tell};
	const char *model = NULL, *format = NULL, *labels = NULL;
	dm_recipes rs;
	dm_error err = {"", 0};
	size_t first = 0, last = 0;
	int c, rc = 0;
	while ((c = getopt_long(argc, argv, "t:m:f:l:k:", opts, NULL)) != -1) {
		if (c == 't' && parse_threads(optarg, &o.threads))
			return usage_error("--threads: expected a number from 1 to 256, got '%s'", optarg);
		else if (c == 'k' || c == 'T') {
			if (parse_ft_opt(c, optarg, &ft))
				return DM_EXIT_USAGE;
		}
		else if (c == 'm')
			model = optarg;
		else if (c == 'f')
			format = optarg;
		else if (c == 'l')
			labels = optarg;
		else if (c == '?')
			return usage_error("%s", "bad option for eval");
	}
	if (optind == argc - 2 && !model && !labels && !format && dm_is_fasttext_file(argv[optind]))
		return dm_ft_use_eval(argv[optind], argv[optind + 1], ft.k, ft.threshold, stdout, &err)
			       ? report(&err) : 0;
	if (ft.given)
		return usage_error("%s", "eval: -k and --threshold are for fastText models");
	if (optind == argc - 2 && !model && !labels && !format && ends_with(argv[optind + 1], ".safetensors"))
		; /* eval RECIPE FILE.safetensors */
	else if (optind == argc - 2 && !model) {
		dm_use_opts u = {o.threads, format, labels, say, NULL, 0};
		return dm_use_eval(argv[optind], argv[optind + 1], &u, &err) ? report(&err) : 0;
	}
	if (optind != argc - 2)
		return usage_error("%s", "eval: expected RECIPE and FILE.safetensors, or "
				   "MODEL.safetensors and DATA");
	if (dm_recipes_load(argv[optind], &rs, &err))
		return report(&err);
	if (!model && rs.n > 1) {
		dm_recipes_free(&rs);
		return usage_error("%s", "eval: RECIPE has several models; choose one with --model");
	}
	if (select_models(&rs, model, argv[optind], &first, &last, &err) ||
	    dm_job_eval(&rs.v[first], argv[optind + 1], &o, &err))
		rc = report(&err);
	dm_recipes_free(&rs);
	return rc;
}

/* predict MODEL INPUT: for shell consumers, as fasttext predict. */
static int cmd_predict(int argc, char **argv)
{
	static const struct option opts[] = {
		{"threads", required_argument, 0, 't'}, {"format", required_argument, 0, 'f'},
		{"k", required_argument, 0, 'k'}, {"threshold", required_argument, 0, 'T'},
		/* --prob: fastText's predict-prob, for its users */
		{"probabilities", no_argument, 0, 'p'}, {"prob", no_argument, 0, 'p'},
		{0, 0, 0, 0}};
	dm_use_opts u = {1, NULL, NULL, say, NULL, 0};
	dm_error err = {"", 0};
	ft_opts ft = {1, 0.0f, 0, 0};
	int c;
	while ((c = getopt_long(argc, argv, "t:f:k:p", opts, NULL)) != -1) {
		if (c == 't' && parse_threads(optarg, &u.threads))
			return usage_error("--threads: expected a number from 1 to 256, got '%s'", optarg);
		else if (c == 'f')
			u.format = optarg;
		else if (c == 'p')
			u.probabilities = ft.prob = 1;
		else if (c == 'k' || c == 'T') {
			if (parse_ft_opt(c, optarg, &ft))
				return DM_EXIT_USAGE;
		} else if (c == '?')
			return usage_error("%s", "bad option for predict");
	}
	if (optind != argc - 2)
		return usage_error("%s", "predict: expected MODEL.safetensors or MODEL.bin, and INPUT");
	if (dm_is_fasttext_file(argv[optind])) {
		if (u.format)
			return usage_error("%s", "predict: --format is for safetensors models; "
					   "a fastText model reads fastText's text");
		return dm_ft_use_predict(argv[optind], argv[optind + 1], ft.k, ft.threshold, ft.prob,
					 stdout, &err) ? report(&err) : 0;
	}
	if (ft.given)
		return usage_error("%s", "predict: -k and --threshold are for fastText models");
	return dm_use_predict(argv[optind], argv[optind + 1], &u, &err) ? report(&err) : 0;
}

static int cmd_estimate(int argc, char **argv)
{
	static const struct option opts[] = {
		{"threads", required_argument, 0, 't'}, {"model", required_argument, 0, 'm'},
		{0, 0, 0, 0}};
	dm_job_opts o = {1, ".", 0, say, NULL, &stop_signal, NULL, tell};
	const char *model = NULL;
	dm_recipes rs;
	dm_error err = {"", 0};
	size_t i, first = 0, last = 0;
	int c, rc = 0;
	while ((c = getopt_long(argc, argv, "t:m:", opts, NULL)) != -1) {
		if (c == 't' && parse_threads(optarg, &o.threads))
			return usage_error("--threads: expected a number from 1 to 256, got '%s'", optarg);
		else if (c == 'm')
			model = optarg;
		else if (c == '?')
			return usage_error("%s", "bad option for estimate");
	}
	if (optind != argc - 1)
		return usage_error("%s", "estimate: expected exactly one RECIPE");
	if (dm_recipes_load(argv[optind], &rs, &err))
		return report(&err);
	if (select_models(&rs, model, argv[optind], &first, &last, &err)) {
		dm_recipes_free(&rs);
		return report(&err);
	}
	for (i = first; i < last; i++) {
		err.code = 0;
		if (dm_job_estimate(&rs.v[i], &o, &err))
			rc = report(&err);
	}
	dm_recipes_free(&rs);
	return rc;
}

static int cmd_verdict(int argc, char **argv)
{
	static const struct option opts[] = {
		{"section", required_argument, 0, 's'}, {"model", required_argument, 0, 'm'},
		{"quiet", no_argument, 0, 'q'},         {0, 0, 0, 0}};
	dm_job_opts o = {1, ".", 0, say, NULL, &stop_signal, NULL, tell};
	const char *model = NULL, *section = NULL;
	dm_recipes rs;
	dm_error err = {"", 0};
	size_t i, first = 0, last = 0;
	int c, rc = 0;
	while ((c = getopt_long(argc, argv, "s:m:q", opts, NULL)) != -1) {
		if (c == 's')
			section = optarg;
		else if (c == 'm')
			model = optarg;
		else if (c == 'q')
			o.say = NULL;
		else if (c == '?')
			return usage_error("%s", "bad option for verdict");
	}
	if (optind != argc - 1)
		return usage_error("%s", "verdict: expected exactly one RECIPE");
	if (dm_recipes_load(argv[optind], &rs, &err))
		return report(&err);
	if (select_models(&rs, model, argv[optind], &first, &last, &err))
		rc = report(&err);
	for (i = first; i < last && rc == 0; i++)
		if (dm_job_verdict(&rs.v[i], section, &o, &err))
			rc = report(&err);
	dm_recipes_free(&rs);
	return rc;
}

static int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{"threads", required_argument, 0, 't'}, {"data-dir", required_argument, 0, 'd'},
		{0, 0, 0, 0}};
	dm_verify_opts o = {1, NULL, say, NULL};
	dm_error err = {"", 0};
	int c;
	while ((c = getopt_long(argc, argv, "t:d:", opts, NULL)) != -1) {
		if (c == 't' && parse_threads(optarg, &o.threads))
			return usage_error("--threads: expected a number from 1 to 256, got '%s'", optarg);
		else if (c == 'd')
			o.data_dir = optarg;
		else if (c == '?')
			return usage_error("%s", "bad option for verify");
	}
	if (optind != argc - 1)
		return usage_error("%s", "verify: expected exactly one FILE.safetensors or BUNDLE.tar");
	if (dm_verify(argv[optind], &o, &err))
		return report(&err);
	return 0;
}

static int cmd_bundle(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, 0, 'o'}, {"max-data-bytes", required_argument, 0, 'b'},
		{"data-dir", required_argument, 0, 'd'}, {0, 0, 0, 0}};
	dm_verify_opts o = {1, NULL, say, NULL};
	dm_error err = {"", 0};
	const char *output = NULL, *data_dir = NULL;
	double max = 64.0 * 1024 * 1024;
	int c;
	while ((c = getopt_long(argc, argv, "o:b:d:", opts, NULL)) != -1) {
		if (c == 'o')
			output = optarg;
		else if (c == 'd')
			data_dir = optarg;
		else if (c == 'b' && dm_limit_parse(DM_UNIT_BYTES, optarg, &max))
			return usage_error("--max-data-bytes: expected a size such as 64M, got '%s'", optarg);
		else if (c == '?')
			return usage_error("%s", "bad option for bundle");
	}
	if (optind != argc - 1 || !output)
		return usage_error("%s", "bundle: expected --output FILE.tar and one FILE.safetensors");
	if (dm_bundle(argv[optind], output, (uint64_t)max, data_dir, &o, &err))
		return report(&err);
	return 0;
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
		return usage_error("%s", "inspect: expected one FILE.safetensors or MODEL.bin [WORD...]");
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

int main(int argc, char **argv)
{
	static const struct { const char *name; int (*fn)(int, char **); } cmds[] = {
		{"train", cmd_train}, {"eval", cmd_eval}, {"predict", cmd_predict}, {"inspect", cmd_inspect},
		{"list", cmd_list},   {"card", cmd_card},       {"estimate", cmd_estimate},
		{"verify", cmd_verify}, {"bundle", cmd_bundle}, {"verdict", cmd_verdict}};
	const char *kernel = getenv("DH_MODEL_KERNEL");
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
	if (kernel && *kernel && dm_gemm_force_kernel(kernel))
		return usage_error("DH_MODEL_KERNEL: expected auto, generic or avx2-fma "
				   "(on a CPU that has it), got '%s'", kernel);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGXFSZ, SIG_IGN); /* a full file becomes EFBIG and an error message */
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	return usage_error("unknown command '%s'", argv[1]);
}
