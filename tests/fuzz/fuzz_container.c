/* fuzz_container.c - the audit's look into zip-like model files
 * (data/container.c, "dh-model-train audit-container"): the input is the
 * file, plain or gzipped.  Read by name as the CLI reads it, and from
 * memory; both must give the same members, each a NUL-terminated name,
 * at most DM_CONTAINER_MAX_MEMBERS of them, and the class must be the
 * one the rule in container.h gives, written here again. */
#include "fuzz_common.h"
#include "data/container.h"

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);
	return n >= t && memcmp(s + n - t, tail, t) == 0;
}

/* container.h's rule, independently */
static const char *reference_class(const dm_container *c)
{
	size_t i, npy = 0;
	int pkl = 0, config = 0, h5 = 0;
	for (i = 0; i < c->n; i++) {
		const char *m = c->members[i];
		pkl |= !strcmp(m, "data.pkl") || ends_with(m, "/data.pkl");
		config |= !strcmp(m, "config.json");
		h5 |= ends_with(m, ".weights.h5");
		npy += ends_with(m, ".npy");
	}
	if (pkl)
		return "PyTorch checkpoint (zip with data.pkl)";
	if (config && h5)
		return "Keras model (zip)";
	return c->n && npy == c->n ? "NumPy arrays (.npz)" : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dm_error err = {"", 0}, err2 = {"", 0};
	dm_container c, m;
	const char *path = fuzz_file(0, data, size), *class, *want;
	size_t i;
	int rc = dm_container_read_file(path, &c, &err);
	int rc2 = dm_container_read_memory(data, size, path, &m, &err2);
	if (rc) {
		fuzz_check_message(err.msg);
		FUZZ_CHECK(strncmp(err.msg, path, strlen(path)) == 0);
		FUZZ_CHECK(c.n == 0 && c.members == NULL);
	}
	if (rc2)
		fuzz_check_message(err2.msg);
	if (!rc && !rc2) {
		FUZZ_CHECK(c.n == m.n);
		for (i = 0; i < c.n; i++)
			FUZZ_CHECK(strcmp(c.members[i], m.members[i]) == 0);
	}
	if (!rc) {
		FUZZ_CHECK(c.n <= DM_CONTAINER_MAX_MEMBERS);
		class = dm_container_class(&c);
		want = reference_class(&c);
		FUZZ_CHECK((class == NULL) == (want == NULL));
		FUZZ_CHECK(!class || strcmp(class, want) == 0);
	}
	dm_container_free(&c);
	dm_container_free(&m);
	return 0;
}
