/* audit.h - what dh_auditmodels asks of the trainer about a model-like
 * file: the members of a zip-like container and its class
 * (data/container.h), as one JSON object:
 *   {"file": PATH, "members": [NAME, ...], "class": TEXT or null}
 */
#ifndef DM_AUDIT_H
#define DM_AUDIT_H

#include "base/error.h"

/* The JSON text for the container at path (malloc'd, no newline), or NULL
 * with a message naming the file. */
char *dm_audit_container_json(const char *path, dm_error *err);

#endif
