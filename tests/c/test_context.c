/* test_context.c - two jobs in one process see nothing of each other's
 * settings (base/context.h): each context names its own policy directory,
 * list of free licences, output directory, SOURCE_DATE_EPOCH and GEMM
 * kernel, each writer its own staged outputs, and a job run with one
 * leaves nothing behind that the next job, with another, would see. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "job/job.h"
#include "licensing/verdict.h"
#include "math/gemm.h"
#include "os/cleanup.h"
#include "output/atomic.h"
#include "policy/budget.h"
#include "tap.h"

static char root[] = "/tmp/dm-context-XXXXXX";

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void make_dir(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", root, name);
	if (mkdir(buf, 0700)) {
		perror(buf);
		exit(1);
	}
}

/* A policy named main that allows max_compute FLOP. */
static void policy(const char *dir, const char *max_compute)
{
	char text[1024];
	snprintf(text, sizeof text,
		 "Policy: main\nMax-Compute: %s\nMax-Memory: 4G\nMax-Wall-Time: 8h\n"
		 "Max-CPU-Time: 16h\nMax-Dataset-Bytes: 1G\nMax-Output-Bytes: 1G\n"
		 "Max-Archive-Members: 1000\nUnexplained-Models: warning\n"
		 "Archive-Areas:\n main: Free Model\n contrib: Free Model, ToxicCandy\n"
		 " non-free: Free Model, ToxicCandy, Non-free\n"
		 "Reference-Throughput:\n amd64 portable 20e9\n",
		 max_compute);
	write_file(dir, "main", text);
}

static int exists(const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static dm_ctx context(const char *policy_dir, const char *licences, const char *out)
{
	dm_ctx c;
	memset(&c, 0, sizeof c);
	c.threads = 1;
	c.output_dir = out;
	c.no_expect = 1;
	c.policy_dir = policy_dir;
	c.free_licenses = licences;
	return c;
}

/* The whole of dir/name (malloc'd, NUL-terminated), or NULL. */
static char *slurp(const char *dir, const char *name, size_t *n)
{
	char path[512], *buf = NULL;
	long len;
	FILE *f;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (!(f = fopen(path, "rb")))
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = calloc(1, (size_t)len + 1)) && fread(buf, 1, (size_t)len, f) == (size_t)len)
		*n = (size_t)len;
	else
		free(buf), buf = NULL;
	fclose(f);
	return buf;
}

/* Where a safetensors file's tensors begin: after the 8-byte length and
 * the header. */
static size_t tensors_at(const char *w)
{
	size_t n = 0;
	int i;
	for (i = 7; i >= 0; i--)
		n = n << 8 | (unsigned char)w[i];
	return 8 + n;
}

static char *in(const char *dir, const char *name)
{
	static char path[2][512];
	static int k;
	k = !k;
	snprintf(path[k], sizeof path[k], "%s/%s", dir, name);
	return path[k];
}

static size_t entries(const char *dir)
{
	char cmd[600], line[32] = "";
	FILE *p;
	snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
	if ((p = popen(cmd, "r"))) {
		if (!fgets(line, sizeof line, p))
			line[0] = 0;
		pclose(p);
	}
	return (size_t)strtoul(line, NULL, 10);
}

/* SOURCE_DATE_EPOCH and the kernel are the context's: two jobs with two
 * dates record each its own, whatever the process's environment says,
 * and two kernels give the same bits. */
static void date_and_kernel(dm_recipe *r, const char *policy_dir, const char *licences)
{
	char d1[300], d2[300], d3[300], *j1, *j2, *j3, *w1, *w2;
	size_t n1 = 0, n2 = 0, n3 = 0, nw1 = 0, nw2 = 0;
	dm_error err = {"", 0};
	dm_ctx c1, c2, c3;
	dm_engine *e1, *e2;
	dm_kernel avx;
	int rc1, rc2, rc3;
	make_dir(d1, sizeof d1, "date-1");
	make_dir(d2, sizeof d2, "date-2");
	make_dir(d3, sizeof d3, "date-none");
	c1 = context(policy_dir, licences, d1);
	c2 = context(policy_dir, licences, d2);
	c3 = context(policy_dir, licences, d3);
	c1.source_date_epoch = "1700000000";
	c2.source_date_epoch = "1800000000";
	c1.kernel = DM_KERNEL_GENERIC;   /* c2's and c3's: auto */
	/* the process's own value is no job's business */
	setenv("SOURCE_DATE_EPOCH", "not a date", 1);
	rc1 = dm_job_train(r, &c1, &err);
	rc2 = rc1 ? -1 : dm_job_train(r, &c2, &err);
	rc3 = rc2 ? -1 : dm_job_train(r, &c3, &err);
	ok(rc1 == 0 && rc2 == 0 && rc3 == 0,
	   "three jobs, each with its own SOURCE_DATE_EPOCH, despite the environment's (%s)",
	   rc1 || rc2 || rc3 ? err.msg : "trained");
	j1 = slurp(d1, "m.json", &n1);
	j2 = slurp(d2, "m.json", &n2);
	j3 = slurp(d3, "m.json", &n3);
	ok(j1 && strstr(j1, "\"source-date-epoch\": 1700000000") && j2 &&
	   strstr(j2, "\"source-date-epoch\": 1800000000") && j3 && !strstr(j3, "source-date-epoch"),
	   "each provenance records its own context's date, the third none");
	w1 = slurp(d1, "m.safetensors", &nw1);
	w2 = slurp(d2, "m.safetensors", &nw2);
	/* the header holds the provenance, with its date: compare the
	 * tensors, the bytes after it */
	ok(w1 && w2 && nw1 > 8 && nw2 > 8 && tensors_at(w1) <= nw1 && tensors_at(w2) <= nw2 &&
	   nw1 - tensors_at(w1) == nw2 - tensors_at(w2) &&
	   !memcmp(w1 + tensors_at(w1), w2 + tensors_at(w2), nw1 - tensors_at(w1)),
	   "the generic kernel (job 1) and the CPU's (job 2) give the same tensors, bit for bit");
	free(j1), free(j2), free(j3), free(w1), free(w2);
	unsetenv("SOURCE_DATE_EPOCH");

	/* two engines, two kernels: forcing one does not force the other */
	e1 = dm_engine_for(&c1, DM_NUMERICS_PORTABLE, &err);
	c2.kernel = dm_kernel_parse("avx2-fma", &avx) == 0 ? (int)avx : DM_KERNEL_AUTO;
	e2 = dm_engine_for(&c2, DM_NUMERICS_PORTABLE, &err);
	ok(e1 && e2 && !strcmp(dm_gemm_kernel(e1), "generic"),
	   "engine 1 keeps its generic kernel beside engine 2's %s", e2 ? dm_gemm_kernel(e2) : "?");
	dm_engine_free(e1);
	dm_engine_free(e2);
}

/* Two writers, each with its own staged set, in one registry: one's
 * begin, abort or commit leaves the other's set alone, and the registry
 * (what a signal handler runs) reaches both. */
static void staged_outputs(void)
{
	static dm_cleanup reg;
	char da[300], db[300], *t = NULL;
	size_t n = 0;
	dm_error err = {"", 0};
	dm_atomic *a = dm_atomic_new(&reg, &err), *b = dm_atomic_new(&reg, &err);
	make_dir(da, sizeof da, "staged-a");
	make_dir(db, sizeof db, "staged-b");
	if (!ok(a && b, "two writers in one registry (%s)", a && b ? "made" : err.msg))
		return;
	dm_atomic_begin(a);
	dm_atomic_write(a, in(da, "x"), "A", 1, &err);
	dm_atomic_begin(b);   /* once dropped what a had staged */
	dm_atomic_write(b, in(db, "y"), "B", 1, &err);
	ok(entries(da) == 1 && entries(db) == 1, "each has its file staged, hidden (%zu, %zu)",
	   entries(da), entries(db));
	dm_atomic_abort(b);
	ok(dm_atomic_commit(a, &err) == 0 && (t = slurp(da, "x", &n)) && n == 1 && *t == 'A' &&
	   entries(db) == 0, "b's abort drops b's file only; a's commit puts a's in place (%s)",
	   err.msg);
	free(t);
	dm_atomic_begin(a);
	dm_atomic_write(a, in(da, "x2"), "A", 1, &err);
	dm_atomic_begin(b);
	dm_atomic_write(b, in(db, "y2"), "B", 1, &err);
	dm_cleanup_run(&reg);   /* as the CLI's SIGINT handler does */
	ok(entries(da) == 1 && entries(db) == 0,
	   "the registry removes both writers' staged files (%zu, %zu left)", entries(da), entries(db));
	dm_atomic_free(a);
	dm_atomic_free(b);
	ok(reg.entry[0].state == 0 && reg.entry[1].state == 0, "freed writers leave the registry");
}

int main(void)
{
	char a[300], b[300], out_a[300], out_b[300], data[400], recipe[1200], la[400], lb[400];
	dm_recipes rs;
	dm_budget bud;
	dm_verdict v;
	dm_error err = {"", 0};
	dm_ctx ca, cb;
	int rc;

	if (!mkdtemp(root)) {
		perror(root);
		return 1;
	}
	make_dir(a, sizeof a, "a");
	make_dir(b, sizeof b, "b");
	make_dir(out_a, sizeof out_a, "out-a");
	make_dir(out_b, sizeof out_b, "out-b");
	policy(a, "1e12");
	policy(b, "10");
	write_file(a, "licences", "Expat\n");
	write_file(b, "licences", "GPL-2+\n");
	snprintf(la, sizeof la, "%s/licences", a);
	snprintf(lb, sizeof lb, "%s/licences", b);
	write_file(root, "train.csv", "0,0,0\n0,1,1\n1,0,1\n1,1,0\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n");
	snprintf(data, sizeof data, "%s/train.csv", root);
	snprintf(recipe, sizeof recipe,
		 "Model: m\nDataset: %s\nFormat: csv\nLabel-Column: last\nNormalize: none\n"
		 "Network: dense 2\nLoss: softmax-cross-entropy\nBatch-Size: 4\nEpochs: 1\n"
		 "Seed: 1\nLicense: Expat\nData-License: Expat\n", data);
	write_file(root, "models", recipe);
	snprintf(recipe, sizeof recipe, "%s/models", root);
	if (dm_recipes_load(recipe, &rs, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	ca = context(a, la, out_a);
	cb = context(b, lb, out_b);

	/* the budget: each context's own policy directory */
	rc = dm_budget_check(&rs.v[0], &ca, &bud, &err);
	ok(rc == 0 && bud.limits.max_compute == 1e12, "context a: a's main allows 1e12 FLOP (%s)",
	   rc ? err.msg : "within");
	dm_budget_free(&bud);
	rc = dm_budget_check(&rs.v[0], &cb, &bud, &err);
	ok(rc == -1 && err.code == DM_EXIT_POLICY && strstr(err.msg, recipe) &&
	   strstr(err.msg, "stanza 1 (m)") && strstr(err.msg, "main allows 10 FLOP"),
	   "context b: b's main refuses it, naming the recipe and the stanza: %s", err.msg);
	dm_budget_free(&bud);
	err.code = 0;
	rc = dm_budget_check(&rs.v[0], &ca, &bud, &err);
	ok(rc == 0 && bud.limits.max_compute == 1e12, "context a again: nothing of b's stayed (%s)",
	   rc ? err.msg : "within");
	dm_budget_free(&bud);

	/* the licensing: each context's own list of free licences */
	rc = dm_verdict_facts(&rs.v[0], NULL, &ca, &v, &err);
	ok(rc == 0 && v.weights_free, "context a: Expat is on a's list (%s)", rc ? err.msg : v.weights_why);
	dm_verdict_free(&v);
	rc = dm_verdict_facts(&rs.v[0], NULL, &cb, &v, &err);
	ok(rc == 0 && !v.weights_free, "context b: Expat is not on b's list (%s)",
	   rc ? err.msg : v.weights_why);
	dm_verdict_free(&v);

	/* whole jobs: a trains into its output directory, b is refused and
	 * writes nothing into its own, a trains again as the first time */
	rc = dm_job_train(&rs.v[0], &ca, &err);
	ok(rc == 0 && exists(out_a, "m.safetensors") && exists(out_a, "m.json"),
	   "job a trains into a's output directory (%s)", rc ? err.msg : "m.safetensors, m.json");
	rc = dm_job_train(&rs.v[0], &cb, &err);
	ok(rc == -1 && err.code == DM_EXIT_POLICY && !exists(out_b, "m.safetensors") &&
	   !exists(out_b, "m.json"), "job b is refused by b's policy and writes nothing: %s", err.msg);
	err.code = 0;
	unlink(strcat(strcpy(data, out_a), "/m.safetensors"));
	unlink(strcat(strcpy(data, out_a), "/m.json"));
	rc = dm_job_train(&rs.v[0], &ca, &err);
	ok(rc == 0 && exists(out_a, "m.safetensors"), "job a again, after b: trains as before (%s)",
	   rc ? err.msg : "m.safetensors");

	date_and_kernel(&rs.v[0], a, la);
	staged_outputs();

	dm_recipes_free(&rs);
	{
		char cmd[400];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
		if (system(cmd))
			diag("could not remove %s", root);
	}
	return done_testing();
}
