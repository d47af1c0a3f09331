/* fuzz_safetensors.c - the safetensors reader, on an in-memory file.  A
 * file that reads must hold what the reader promises. */
#include "fuzz_common.h"
#include "output/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dm_safetensors st;
	dm_error err = {"", 0};
	const char *path = fuzz_file(0, data, size);
	uint64_t hlen = 0, total = 0;
	size_t i, d;
	if (dm_safetensors_read(path, &st, &err)) {
		fuzz_check_message(err.msg);
		FUZZ_CHECK(strncmp(err.msg, path, strlen(path)) == 0);
		return 0;
	}
	FUZZ_CHECK(size >= 8);
	for (i = 8; i-- > 0;)
		hlen = hlen << 8 | data[i];
	for (i = 0; i < st.ntensors; i++) {
		const dm_tensor *t = &st.tensors[i];
		size_t count = 1;
		FUZZ_CHECK(t->name && *t->name && t->ndim <= DM_MAX_DIMS);
		for (d = 0; d < t->ndim; d++)
			count *= t->shape[d];
		FUZZ_CHECK(count == t->count);
		FUZZ_CHECK(t->count == 0 || t->data);
		FUZZ_CHECK(dm_safetensors_find(&st, t->name) == t);
		total += 4 * (uint64_t)t->count;
	}
	/* the tensors tile the data exactly */
	FUZZ_CHECK(total == size - 8 - hlen);
	for (i = 0; i < st.nmeta; i++)
		FUZZ_CHECK(dm_safetensors_meta(&st, st.meta[i].key) != NULL);
	dm_safetensors_free(&st);
	return 0;
}
