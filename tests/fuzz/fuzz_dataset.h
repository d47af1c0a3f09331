/* fuzz_dataset.h - probe, then load, one data spec; check what the data
 * part promises of a dataset that loaded. */
#ifndef DM_FUZZ_DATASET_H
#define DM_FUZZ_DATASET_H

#include <math.h>

#include "data/dataset.h"
#include "fuzz_common.h"

/* Loads bigger than this are left out: the trainer's budget (issue 4)
 * refuses them from the probe's n and dim before anything is loaded. */
#define FUZZ_MAX_VALUES ((size_t)1 << 22)

static void fuzz_dataset(const dm_data_spec *spec)
{
	dm_error err = {"", 0};
	dm_dataset d;
	size_t pn = 0, pdim = 0;
	int probed = dm_dataset_probe(spec, &pn, &pdim, &err) == 0;
	if (!probed) {
		fuzz_check_message(err.msg);
	} else {
		FUZZ_CHECK(pn > 0 && pdim > 0);
		if (pdim > FUZZ_MAX_VALUES / pn)
			return;
	}
	err.msg[0] = '\0';
	if (dm_dataset_load(spec, &d, &err)) {
		fuzz_check_message(err.msg);
		return;
	}
	/* what loads must also probe, to the same shape */
	FUZZ_CHECK(probed);
	FUZZ_CHECK(d.n == pn && d.dim == pdim);
	FUZZ_CHECK(d.x && d.y);
	for (size_t i = 0; i < d.n * d.dim; i++)
		FUZZ_CHECK(isfinite(d.x[i]));
	for (size_t i = 0; i < d.n; i++) {
		FUZZ_CHECK(isfinite(d.y[i]));
		if (spec->integer_labels) {
			FUZZ_CHECK(d.y[i] >= 0 && d.y[i] < 16777216.0f &&
				   d.y[i] == floorf(d.y[i]));
			FUZZ_CHECK((size_t)d.y[i] < d.nclasses);
		}
	}
	FUZZ_CHECK(d.nfiles == (spec->format == DM_FORMAT_IDX ? 2 : 1));
	for (int i = 0; i < d.nfiles; i++)
		FUZZ_CHECK(strlen(d.files[i].sha256) == 64);
	dm_dataset_free(&d);
}

#endif
