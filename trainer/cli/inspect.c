/* inspect.c - print what a weights file holds, and model cards. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "output/card.h"
#include "output/safetensors.h"

int dm_inspect(const char *path, FILE *out, dm_error *err)
{
	dm_safetensors st;
	size_t i, d, total = 0;
	if (dm_safetensors_read(path, &st, err))
		return -1;
	fprintf(out, "%s: %zu tensors\n", path, st.ntensors);
	for (i = 0; i < st.ntensors; i++) {
		const dm_tensor *t = &st.tensors[i];
		fprintf(out, "  %-24s F32 [", t->name);
		for (d = 0; d < t->ndim; d++)
			fprintf(out, "%s%zu", d ? ", " : "", t->shape[d]);
		fprintf(out, "]\n");
		total += t->count;
	}
	fprintf(out, "parameters: %zu\n", total);
	fprintf(out, "metadata: %zu entries\n", st.nmeta);
	for (i = 0; i < st.nmeta; i++)
		fprintf(out, "  %s: %s\n", st.meta[i].key, st.meta[i].value);
	dm_safetensors_free(&st);
	return 0;
}

int dm_card(const char *json_path, FILE *out, dm_error *err)
{
	char *md = dm_card_from_file(json_path, err);
	if (!md)
		return -1;
	fputs(md, out);
	free(md);
	return 0;
}
