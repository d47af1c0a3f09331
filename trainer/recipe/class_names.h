/* class_names.h - Class-Names: the name of each output of a classifier.
 *
 * "Class-Names: T-shirt/top, Trouser, ..." (a comma-separated list, white
 * space around each name dropped), or "Class-Names: file PATH" with one
 * name a line (for names with commas), PATH relative to the directory the
 * trainer runs in (the source package's root, as Dataset).  Names are
 * non-empty, printable UTF-8 without control characters, and distinct.
 */
#ifndef DM_CLASS_NAMES_H
#define DM_CLASS_NAMES_H

#include <stddef.h>

#include "../base/error.h"

typedef struct dm_class_names {
	char **v;          /* NULL: no Class-Names */
	size_t n;
	const char *file;  /* "file PATH": the PATH, for messages; else NULL */
} dm_class_names;

/* Parse VALUE, the field's value at RECIPE: line LINE. */
int dm_class_names_parse(const char *value, const char *recipe, unsigned line,
			 dm_class_names *out, dm_error *err);
/* ["name", ...]: the metadata dh-model.class-names (malloc'd). */
char *dm_class_names_json(const dm_class_names *c, dm_error *err);
void dm_class_names_free(dm_class_names *c);

#endif
