/* test_context.c - two jobs in one process see nothing of each other's
 * settings (base/context.h): each context names its own policy directory,
 * list of free licences and output directory, and a job run with one
 * leaves nothing behind that the next job, with another, would see. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "job/job.h"
#include "licensing/verdict.h"
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

	dm_recipes_free(&rs);
	{
		char cmd[400];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
		if (system(cmd))
			diag("could not remove %s", root);
	}
	return done_testing();
}
