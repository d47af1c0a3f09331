/* export.h - the formats a recipe's Export: writes beside the weights. */
#ifndef DM_EXPORT_H
#define DM_EXPORT_H

#include <stddef.h>

#include "provenance.h"

/* Whether the network of r, planned, has an ONNX form: refused before
 * training with the Export line named. */
int dm_export_check(const dm_recipe *r, const dm_net *net, dm_error *err);

/* SHA-256 of the recipe's stanza as deb822 text ("Name: value\n", a
 * continuation line " line", an empty one " ."), fields in file order:
 * what the provenance's recipe.fields give back. */
void dm_recipe_sha256(const dm_recipe *r, char hex[65]);

/* NAME.onnx's bytes (malloc'd) for the trained network, with the
 * provenance's key facts as metadata: in->recipe, prepared, net and
 * verdict must be set. */
int dm_export_onnx(const dm_provenance_in *in, unsigned char **bytes, size_t *len,
		   dm_error *err);

#endif
