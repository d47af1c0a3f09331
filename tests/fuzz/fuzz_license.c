/* fuzz_license.c - licence expressions and the list of free licences
 * (licensing/license.c).  An expression comes from a recipe's License: or
 * Data-License: field, or from the License: synopsis of a copyright file;
 * the list from DH_MODEL_FREE_LICENSES or the one dh-model ships.
 *
 * The input: the first line is an expression; the rest, if any, a list.
 * The expression is judged against the shipped list (policy/free-licenses)
 * and, when the rest parses, against that list too.  What license.h says:
 *
 *   - the verdict is 0 or 1, and its reason one line; cut short to a
 *     smaller buffer it is the same reason, cut short;
 *   - white space around the expression changes nothing;
 *   - for an expression E that can be read, the operators do what they
 *     say: (E) = E, (E) or FREE = free, (E) and FREE = E, (E) and
 *     NOT-FREE = not free, (E), and (E) = E;
 *   - each name is judged by its canonical form, and a '!' line wins: the
 *     same answer as matching the whole canonical name against every
 *     pattern (fuzz_licenses.h), and the entry that decided says so;
 *   - dm_license_normalize writes at most size bytes, lower case;
 *   - a list that does not parse gets one line naming the file; one that
 *     does has its entries in order, each normalized, with no line breaks.
 */
#include "fuzz_common.h"
#include "fuzz_licenses.h"

#define WHY_SIZE 640   /* as the verdict's */

static int is_error(const char *why)
{
	return strncmp(why, "cannot read the licence expression", 34) == 0;
}

/* The verdict on expr, and the checks that hold for every expression. */
static int judge(const dm_license_list *l, const char *expr, char *why)
{
	char small[24];
	int r = dm_license_expr_free(l, expr, why, WHY_SIZE), r2;
	FUZZ_CHECK(r == 0 || r == 1);
	fuzz_check_message(why);
	FUZZ_CHECK(!(r == 1 && is_error(why)));
	r2 = dm_license_expr_free(l, expr, small, sizeof small);
	FUZZ_CHECK(r2 == r);
	FUZZ_CHECK(strncmp(small, why, sizeof small - 1) == 0);
	FUZZ_CHECK(strlen(small) < sizeof small);
	return r;
}

/* ops: l is the shipped list, in which Expat is free, CC-BY-NC-4.0 is not
 * and Not-A-Licence-Of-The-List is unknown */
static void check_expression(const dm_license_list *l, const char *expr, int ops)
{
	char why[WHY_SIZE], why2[WHY_SIZE];
	size_t len = strlen(expr);
	char *buf = malloc(2 * len + 64);
	int r = judge(l, expr, why), r2;
	FUZZ_CHECK(buf != NULL);

	/* white space around it */
	sprintf(buf, " \t%s ", expr);
	r2 = judge(l, buf, why2);
	if (r2 != r || (!is_error(why) && strcmp(why, why2))) {
		fprintf(stderr, "'%s' -> %d (%s)\n' \\t%s ' -> %d (%s)\n", expr, r, why, expr, r2, why2);
		FUZZ_CHECK(r2 == r);
		FUZZ_CHECK(is_error(why) || strcmp(why, why2) == 0);
	}

	/* the operators; short enough that a few more words stay under the
	 * limit of 256 */
	if (ops && !is_error(why) && len < 200) {
		static const struct {
			const char *fmt;
			int want; /* -1: the same as E */
		} ops[] = {
			{"(%s)", -1},
			{"(%s) or Expat", 1},
			{"Expat OR (%s)", 1},
			{"(%s) and Expat", -1},
			{"(%s) AND CC-BY-NC-4.0", 0},
			{"(%s) or Not-A-Licence-Of-The-List", -1},
			{"(%s), and Expat", -1},
			{"(%s), or Expat", 1},
		};
		size_t i;
		for (i = 0; i < sizeof ops / sizeof ops[0]; i++) {
			int want = ops[i].want < 0 ? r : ops[i].want;
			snprintf(buf, 2 * len + 64, ops[i].fmt, expr);
			r2 = judge(l, buf, why2);
			if (r2 != want) {
				fprintf(stderr, "'%s' -> %d (%s), but '%s' -> %d (%s)\n", expr, r, why,
					buf, r2, why2);
				FUZZ_CHECK(r2 == want);
			}
		}
		snprintf(buf, 2 * len + 64, "(%s), and (%s)", expr, expr);
		FUZZ_CHECK(len >= 120 || judge(l, buf, why2) == r);
	}
	free(buf);
}

/* Each name of the expression on its own. */
static void check_names(const dm_license_list *l, const char *expr)
{
	char *copy = strdup(expr), *save = NULL, *t;
	int count = 0;
	FUZZ_CHECK(copy != NULL);
	for (t = strtok_r(copy, " \t\n\v\f\r(),", &save); t && count < 16;
	     t = strtok_r(NULL, " \t\n\v\f\r(),", &save), count++) {
		const dm_license_entry *e = (const dm_license_entry *)1;
		int r = dm_license_name_free(l, t, &e), want = fuzz_ref_name_free(l, t);
		char why[WHY_SIZE];
		if (r != want) {
			fprintf(stderr, "dm_license_name_free('%s') = %d, but its canonical form "
				"matches the list to %d\n", t, r, want);
			FUZZ_CHECK(r == want);
		}
		FUZZ_CHECK(r == -1 ? e == NULL : e != NULL && e->not_free == (r == 0));
		if (strcasecmp(t, "and") && strcasecmp(t, "or") && strcasecmp(t, "with"))
			FUZZ_CHECK(dm_license_expr_free(l, t, why, sizeof why) == (r == 1));
	}
	free(copy);
}

static void check_normalize(const char *name)
{
	size_t sizes[] = {1, 2, 6, 128}, len = strlen(name), i;
	char *full = malloc(len + 1), out[129];
	FUZZ_CHECK(full != NULL);
	dm_license_normalize(name, full, len + 1);
	FUZZ_CHECK(strlen(full) <= len);
	for (i = 0; full[i]; i++)
		FUZZ_CHECK(!isupper((unsigned char)full[i]));
	out[0] = 'x';
	dm_license_normalize(name, out, 0);
	FUZZ_CHECK(out[0] == 'x');
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		memset(out, 'x', sizeof out);
		dm_license_normalize(name, out, sizes[i]);
		FUZZ_CHECK(strlen(out) < sizes[i]);
		FUZZ_CHECK(out[sizes[i]] == 'x' || sizes[i] == sizeof out);
	}
	free(full);
}

static void check_list(const char *path, const dm_license_list *l, int rc, const dm_error *err)
{
	size_t i;
	if (rc) {
		fuzz_check_message(err->msg);
		FUZZ_CHECK(strncmp(err->msg, path, strlen(path)) == 0 ||
			   strncmp(err->msg, "out of memory", 13) == 0);
		return;
	}
	FUZZ_CHECK(l->n >= 1 && strcmp(l->path, path) == 0);
	FUZZ_CHECK(strlen(l->sha256) == 64 && strspn(l->sha256, "0123456789abcdef") == 64);
	for (i = 0; i < l->n; i++) {
		const dm_license_entry *e = &l->v[i];
		FUZZ_CHECK(e->line >= 1 && (i == 0 || e->line > l->v[i - 1].line));
		FUZZ_CHECK(*e->pattern && strlen(e->pattern) < 128);
		FUZZ_CHECK(!strpbrk(e->pattern, " \t\r\n!,()"));
		FUZZ_CHECK(!strchr(e->text, '\n'));
		FUZZ_CHECK(!e->not_free || *e->text);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int checked_list;
	const dm_license_list *shipped = fuzz_shipped_list();
	const uint8_t *nl = memchr(data, '\n', size);
	size_t elen = nl ? (size_t)(nl - data) : size;
	char *expr = malloc(elen + 1), *rest;
	size_t rlen = nl ? size - elen - 1 : 0;
	FUZZ_CHECK(expr != NULL);
	memcpy(expr, data, elen);
	expr[elen] = 0; /* a NUL byte in it ends it early, as in a C string */

	if (!checked_list) {
		const dm_license_entry *e;
		FUZZ_CHECK(dm_license_name_free(shipped, "Expat", &e) == 1);
		FUZZ_CHECK(dm_license_name_free(shipped, "CC-BY-NC-4.0", &e) == 0);
		FUZZ_CHECK(dm_license_name_free(shipped, "Not-A-Licence-Of-The-List", &e) == -1);
		checked_list = 1;
	}
	check_expression(shipped, expr, 1);
	check_names(shipped, expr);
	check_normalize(expr);

	if (nl) {
		dm_license_list mine;
		dm_error err = {"", 0};
		const char *path = fuzz_file(0, nl + 1, rlen);
		int rc;
		/* exactly its size, no NUL after it */
		FUZZ_CHECK((rest = malloc(rlen ? rlen : 1)) != NULL);
		memcpy(rest, nl + 1, rlen);
		rc = dm_license_list_parse(path, rest, rlen, &mine, &err);
		free(rest);
		check_list(path, &mine, rc, &err);
		if (rc == 0) {
			dm_license_list mine2;
			FUZZ_CHECK(dm_license_list_read(path, &mine2, &err) == 0);
			FUZZ_CHECK(mine2.n == mine.n && !strcmp(mine2.sha256, mine.sha256));
			dm_license_list_free(&mine2);
			check_expression(&mine, expr, 0);
			check_names(&mine, expr);
			dm_license_list_free(&mine);
		}
	}
	free(expr);
	return 0;
}
