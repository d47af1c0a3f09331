/* fuzz_licenses.h - what the dep5 and license targets share: the list of
 * free licences that dh-model ships (policy/free-licenses), loaded once, and
 * a reference for whether one licence name is free.
 *
 * The list is found as the trainer finds it in its build tree: from
 * $DH_MODEL_FREE_LICENSES, else policy/free-licenses in the current
 * directory (run-fuzz runs at the top of the tree), else ../../policy/ next
 * to the fuzzer (build/fuzz/fuzz_TARGET).  No list is no run.
 */
#ifndef DM_FUZZ_LICENSES_H
#define DM_FUZZ_LICENSES_H

#include <ctype.h>
#include <fnmatch.h>
#include <limits.h>

#include "fuzz_common.h"
#include "licensing/license.h"

__attribute__((unused)) static const dm_license_list *fuzz_shipped_list(void)
{
	static dm_license_list list;
	static int loaded;
	char exe[PATH_MAX], *slash;
	const char *cand[3] = {getenv("DH_MODEL_FREE_LICENSES"), "policy/free-licenses", NULL};
	ssize_t n;
	size_t i;
	dm_error err = {"", 0};
	if (loaded)
		return &list;
	n = readlink("/proc/self/exe", exe, sizeof exe - 40);
	if (n > 0) {
		exe[n] = 0;
		if ((slash = strrchr(exe, '/'))) {
			strcpy(slash, "/../../policy/free-licenses");
			cand[2] = exe;
		}
	}
	for (i = 0; i < 3; i++)
		if (cand[i] && *cand[i] && access(cand[i], R_OK) == 0)
			break;
	if (i == 3 || dm_license_list_read(cand[i], &list, &err)) {
		fprintf(stderr, "fuzz: cannot load the list of free licences (policy/free-licenses, "
			"or DH_MODEL_FREE_LICENSES): %s\n", err.msg[0] ? err.msg : "not found");
		abort();
	}
	loaded = 1;
	return &list;
}

/* Is NAME free by LIST, as license.h says: its canonical form (lower case,
 * "-or-later" = "+", "-only" = "", no trailing ".0"s; here never cut
 * short) matched against every pattern; a '!' line wins; 1 free, 0 not
 * free, -1 unknown. */
__attribute__((unused)) static int fuzz_ref_name_free(const dm_license_list *l, const char *name)
{
	size_t len = strlen(name), i;
	char *norm = malloc(len + 1);
	int result = -1;
	FUZZ_CHECK(norm != NULL);
	dm_license_normalize(name, norm, len + 1);
	for (i = 0; i < l->n; i++)
		if (fnmatch(l->v[i].pattern, norm, 0) == 0) {
			if (l->v[i].not_free) {
				result = 0;
				break;
			}
			result = 1;
		}
	free(norm);
	return result;
}

#endif
