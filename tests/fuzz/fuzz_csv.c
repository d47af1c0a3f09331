/* fuzz_csv.c - the CSV/TSV parser.  The first byte chooses the options a
 * recipe could set (format, Header-Lines, Column-Names, Label-Column, and
 * whether labels are classes); the rest is the file. */
#include "fuzz_dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const label_columns[8] = {
		NULL, "last", "first", "1", "2", "3", "label", "x1"};
	dm_data_spec spec;
	uint8_t flags;
	if (size < 1)
		return 0;
	flags = data[0];
	memset(&spec, 0, sizeof spec);
	spec.format = flags & 1 ? DM_FORMAT_TSV : DM_FORMAT_CSV;
	spec.header_lines = (flags >> 1) & 3;
	spec.header_names = (flags >> 3) & 1;
	spec.label_column = label_columns[(flags >> 4) & 7];
	spec.integer_labels = flags >> 7;
	spec.features = fuzz_file(0, data + 1, size - 1);
	fuzz_dataset(&spec);
	return 0;
}
