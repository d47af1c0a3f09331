/* fuzz_policy.c - the policy reader (recipe/policy.c).  A recipe's Policy:
 * field or DH_MODEL_POLICY may name any file as the policy, so its parser
 * sees untrusted text like the recipe's.  A policy that loads is then
 * combined with a recipe's lower limits and asked for a reference. */
#include "fuzz_common.h"
#include "recipe/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dm_policy p;
	dm_limits mine, out;
	dm_error err = {"", 0};
	const dm_limit_field *fields;
	size_t n, i;
	char buf[64];
	const char *path = fuzz_file(0, data, size);
	if (dm_policy_load(path, NULL, 0, &p, &err)) {
		fuzz_check_message(err.msg);
		return 0;
	}
	FUZZ_CHECK(strlen(p.sha256) == 64);
	memset(&mine, 0, sizeof mine);
	mine.max_compute = 1e12;
	mine.max_memory = 1 << 20;
	if (dm_limits_effective(&p, &mine, "fuzz", &out, &err))
		fuzz_check_message(err.msg);
	fields = dm_limit_fields(&n);
	for (i = 0; i < n; i++) {
		double v = dm_limit_get(&p.limits, &fields[i]);
		FUZZ_CHECK(v >= 0);
		dm_limit_format(fields[i].unit, v, buf, sizeof buf);
	}
	(void)dm_policy_reference(&p, "amd64", DM_NUMERICS_PORTABLE);
	(void)dm_policy_reference(&p, "s390x", DM_NUMERICS_OPENBLAS);
	dm_policy_free(&p);
	return 0;
}
