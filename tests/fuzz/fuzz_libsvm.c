/* fuzz_libsvm.c - the libsvm/svmlight parser.  The first byte chooses
 * Features (0 = the largest index) and whether labels are classes. */
#include "fuzz_dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t nfeatures[8] = {0, 0, 1, 2, 3, 5, 10, 1000};
	dm_data_spec spec;
	if (size < 1)
		return 0;
	memset(&spec, 0, sizeof spec);
	spec.format = DM_FORMAT_LIBSVM;
	spec.integer_labels = data[0] & 1;
	spec.nfeatures = nfeatures[(data[0] >> 1) & 7];
	spec.features = fuzz_file(0, data + 1, size - 1);
	fuzz_dataset(&spec);
	return 0;
}
