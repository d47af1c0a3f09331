/* prepared.c - freeing a recipe's prepared data. */
#include "prepared.h"

#include <stdlib.h>
#include <string.h>

void dm_prepared_free(dm_prepared *p)
{
	dm_dataset_free(&p->train);
	if (p->have_test)
		dm_dataset_free(&p->test);
	free(p->shift), free(p->scale), free(p->train_rows), free(p->valid_rows);
	memset(p, 0, sizeof *p);
}
