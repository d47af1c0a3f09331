/* audit.c - a container's members and class as JSON (audit.h). */
#include "audit.h"

#include <stdlib.h>

#include "data/container.h"
#include "output/json.h"

char *dm_audit_container_json(const char *path, dm_error *err)
{
	dm_container c;
	dm_json_writer w;
	const char *text, *class;
	char *out = NULL;
	size_t i;
	if (dm_container_read_file(path, &c, err))
		return NULL;
	dm_json_init(&w, 0);
	dm_json_begin_object(&w);
	dm_json_key(&w, "file");
	dm_json_string(&w, path);
	dm_json_key(&w, "members");
	dm_json_begin_array(&w);
	for (i = 0; i < c.n; i++)
		dm_json_string(&w, c.members[i]);
	dm_json_end_array(&w);
	dm_json_key(&w, "class");
	if ((class = dm_container_class(&c)))
		dm_json_string(&w, class);
	else
		dm_json_null(&w);
	dm_json_end_object(&w);
	dm_container_free(&c);
	if ((text = dm_json_finish(&w, NULL, err)))
		out = dm_strdup(text, err);
	dm_json_free(&w);
	return out;
}
