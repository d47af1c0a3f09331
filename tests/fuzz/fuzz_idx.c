/* fuzz_idx.c - IDX features and labels.  Input: a flags byte (bit 0:
 * labels are classes), the length L of the features file (2 bytes, little
 * endian), L bytes of features, then the labels file. */
#include "fuzz_dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dm_data_spec spec;
	size_t flen;
	if (size < 3)
		return 0;
	flen = (size_t)data[1] | (size_t)data[2] << 8;
	if (flen > size - 3)
		flen = size - 3;
	memset(&spec, 0, sizeof spec);
	spec.format = DM_FORMAT_IDX;
	spec.integer_labels = data[0] & 1;
	spec.features = fuzz_file(0, data + 3, flen);
	spec.labels = fuzz_file(1, data + 3 + flen, size - 3 - flen);
	fuzz_dataset(&spec);
	return 0;
}
