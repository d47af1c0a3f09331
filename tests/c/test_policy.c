/* test_policy.c - policy files (recipe/policy.c): the shipped ones load,
 * every mistake is named with the file and the line, and a recipe may make
 * a policy stricter, never weaker. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recipe/policy.h"
#include "tap.h"

static char dir[] = "/tmp/dm-policy-XXXXXX";

#define BASE "Policy: test\nMax-Compute: 1e12\n"

static int load_text(const char *text, dm_policy *p, dm_error *err, char *path, size_t size)
{
	FILE *f;
	snprintf(path, size, "%s/test-policy", dir);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return dm_policy_load(path, NULL, 0, p, err);
}

static void good(const char *text, int want_error, const char *what)
{
	dm_policy p;
	dm_error err = {"", 0};
	char path[256];
	int rc = load_text(text, &p, &err, path, sizeof path);
	ok(rc == 0 && p.unexplained_error == want_error, "%s: %s", what,
	   rc ? err.msg : want_error ? "error" : "warning");
	if (rc == 0)
		dm_policy_free(&p);
}

static void bad(const char *text, const char *want1, const char *want2, const char *what)
{
	dm_policy p;
	dm_error err = {"", 0};
	char path[256];
	int rc = load_text(text, &p, &err, path, sizeof path);
	int good = rc == -1 && strstr(err.msg, path) && strstr(err.msg, want1) &&
		   (!want2 || strstr(err.msg, want2));
	ok(good, "%s: %s", what, err.msg);
	if (rc == 0)
		dm_policy_free(&p);
}

/* The policies in policy/ of the source tree (the tests run from its top). */
static void test_shipped(void)
{
	const char *dirs[] = {"policy"};
	dm_policy p;
	dm_error err = {"", 0};
	int rc = dm_policy_load("main", dirs, 1, &p, &err);
	ok(rc == 0 && !strcmp(p.name, "main") && p.limits.max_compute == 3.6e14 &&
		   p.unexplained_error == 0,
	   "policy/main loads: 3.6e14 FLOP, Unexplained-Models: warning (%s)", rc ? err.msg : "ok");
	if (rc == 0)
		dm_policy_free(&p);
	rc = dm_policy_load("strict", dirs, 1, &p, &err);
	ok(rc == 0 && !strcmp(p.name, "strict") && p.limits.max_compute == 3.6e13 &&
		   p.unexplained_error == 0,
	   "policy/strict loads: 3.6e13 FLOP, Unexplained-Models: warning (%s)",
	   rc ? err.msg : "ok");
	if (rc == 0)
		dm_policy_free(&p);
}

static void test_audit_effective(void)
{
	dm_policy p;
	dm_error err = {"", 0};
	int out = -1, rc;
	memset(&p, 0, sizeof p);
	snprintf(p.name, sizeof p.name, "all-retrained");
	ok(dm_audit_effective(&p, -1, "r: line 3", &out, &err) == 0 && out == 0,
	   "a warning policy, no recipe field: warning");
	ok(dm_audit_effective(&p, 0, "r: line 3", &out, &err) == 0 && out == 0,
	   "a warning policy, recipe warn: warning");
	ok(dm_audit_effective(&p, 1, "r: line 3", &out, &err) == 0 && out == 1,
	   "a warning policy, recipe error: the recipe makes it stricter");
	p.unexplained_error = 1;
	ok(dm_audit_effective(&p, -1, "r: line 3", &out, &err) == 0 && out == 1,
	   "an error policy, no recipe field: error");
	ok(dm_audit_effective(&p, 1, "r: line 3", &out, &err) == 0 && out == 1,
	   "an error policy, recipe error: error");
	out = -1;
	rc = dm_audit_effective(&p, 0, "debian/models: line 3", &out, &err);
	ok(rc == -1 && out == -1 &&
		   strstr(err.msg, "debian/models: line 3: Unexplained-Models: warn is weaker than "
			  "policy all-retrained, which says error") &&
		   strstr(err.msg, "a recipe may only make the audit stricter"),
	   "an error policy, recipe warn: refused, naming the line and the policy: %s", err.msg);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_shipped();
	good(BASE, 0, "without Unexplained-Models: warning");
	good(BASE "Unexplained-Models: warning\n", 0, "Unexplained-Models: warning");
	good(BASE "Unexplained-Models: warn\n", 0, "Unexplained-Models: warn (the recipe's word)");
	good(BASE "unexplained-models: Error\n", 1, "Unexplained-Models: error (case-insensitive)");
	bad(BASE "Unexplained-Models: fatal\n",
	    "line 3: Unexplained-Models: expected warning or error, got 'fatal'", NULL,
	    "a bad Unexplained-Models value names the file and the line");
	bad(BASE "Unexplained-Models: error\n always\n",
	    "line 3: Unexplained-Models: expected warning or error, got '(more than one line)'", NULL,
	    "a value over two lines");
	bad(BASE "Unexplained-Model: error\n", "line 3: unknown field 'Unexplained-Model'",
	    "dh-model-policy(5)", "a misspelt field");
	bad(BASE "Max-Memory: lots\n", "line 3: Max-Memory: expected a positive size such as 4G",
	    "'lots'", "a bad size");
	bad("Max-Compute: 1e12\n", "missing field Policy", NULL, "a policy without a name");
	/* limits are numbers by the recipe's rule (base/number.h): decimal,
	 * then the unit */
	{
		static const struct { dm_limit_unit unit; const char *text; double want; } cases[] = {
			{DM_UNIT_FLOP, "1e12", 1e12},      {DM_UNIT_FLOP, "2.5E+13", 2.5e13},
			{DM_UNIT_BYTES, "1.5G", 1610612736}, {DM_UNIT_BYTES, "4 GiB", 4294967296.0},
			{DM_UNIT_BYTES, "512MB", 536870912}, {DM_UNIT_SECONDS, "2h", 7200},
			{DM_UNIT_SECONDS, "90", 90},       {DM_UNIT_SECONDS, "1.5m", 90},
			{DM_UNIT_FLOP, "0x10", -1},        {DM_UNIT_FLOP, "inf", -1},
			{DM_UNIT_FLOP, "nan", -1},         {DM_UNIT_FLOP, "1e", -1},
			{DM_UNIT_BYTES, "0x1p30", -1},     {DM_UNIT_SECONDS, "-5s", -1},
			{DM_UNIT_BYTES, "1e99", -1},       {DM_UNIT_FLOP, "", -1},
		};
		size_t i;
		for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			double v = 0;
			int rc = dm_limit_parse(cases[i].unit, cases[i].text, &v);
			if (cases[i].want < 0)
				ok(rc == -1, "limit '%s' refused", cases[i].text);
			else
				ok(rc == 0 && v == cases[i].want, "limit '%s' is %.17g (%.17g)",
				   cases[i].text, cases[i].want, v);
		}
	}
	test_audit_effective();
	{
		char path[300];
		snprintf(path, sizeof path, "%s/test-policy", dir);
		unlink(path);
		rmdir(dir);
	}
	return done_testing();
}
