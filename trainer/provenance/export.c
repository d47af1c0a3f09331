/* export.c - Export: onnx, the network and the provenance's key facts as
 * an ONNX model (output/onnx.h). */
#include "export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sha256.h"
#include "base/version.h"
#include "output/json.h"
#include "output/onnx.h"

int dm_export_check(const dm_recipe *r, const dm_net *net, dm_error *err)
{
	if (!(r->exports & DM_EXPORT_ONNX) || !dm_onnx_check(net->layers, net->nlayers, err))
		return 0;
	return dm_error_prefix(err, "%s: line %u: Export: onnx", r->file->path,
			       dm_recipe_field_line(r, "Export"));
}

void dm_recipe_sha256(const dm_recipe *r, char hex[65])
{
	dm_sha256 h;
	unsigned char d[32];
	size_t i;
	dm_sha256_init(&h);
	for (i = 0; i < r->stanza->n; i++) {
		const dm_field *f = &r->stanza->fields[i];
		const char *p = f->value;
		dm_sha256_update(&h, f->name, strlen(f->name));
		dm_sha256_update(&h, ": ", 2);
		for (;;) {
			size_t n = strcspn(p, "\n");
			dm_sha256_update(&h, p, n);
			dm_sha256_update(&h, "\n", 1);
			if (!p[n])
				break;
			p += n + 1;
			dm_sha256_update(&h, " ", 1);
			if (*p == '\n' || !*p)
				dm_sha256_update(&h, ".", 1);
		}
	}
	dm_sha256_final(&h, d);
	dm_sha256_hex(d, hex);
}

int dm_export_onnx(const dm_provenance_in *in, unsigned char **bytes, size_t *len,
		   dm_error *err)
{
	const dm_recipe *r = in->recipe;
	const dm_prepared *p = in->prepared;
	dm_json_writer data, names;
	dm_meta meta[8];
	dm_onnx_in o;
	char recipe_hex[65];
	const char *text;
	size_t n = 0;
	int rc = -1;
	dm_json_init(&data, 0);
	dm_json_init(&names, 0);
	dm_recipe_sha256(r, recipe_hex);
	dm_json_begin_object(&data);
	dm_provenance_data_files(&data, p, 0);
	dm_json_end_object(&data);
	if (!(text = dm_json_finish(&data, NULL, err)))
		goto out;
	meta[n++] = (dm_meta){"dh-model.model", (char *)r->model};
	meta[n++] = (dm_meta){"dh-model.recipe-sha256", recipe_hex};
	meta[n++] = (dm_meta){"dh-model.data", (char *)text};
	if (in->verdict) {
		meta[n++] = (dm_meta){"dh-model.verdict",
				      (char *)dm_verdict_class_name(in->verdict->cls)};
		meta[n++] = (dm_meta){"dh-model.verdict-reason", (char *)in->verdict->reason};
		if (in->verdict->weights_license)
			meta[n++] = (dm_meta){"dh-model.license", in->verdict->weights_license};
	}
	if (r->class_names.n) {
		size_t k;
		dm_json_begin_array(&names);
		for (k = 0; k < r->class_names.n; k++)
			dm_json_string(&names, r->class_names.v[k]);
		dm_json_end_array(&names);
		if (!(text = dm_json_finish(&names, NULL, err)))
			goto out;
		meta[n++] = (dm_meta){"dh-model.class-names", (char *)text};
	}
	memset(&o, 0, sizeof o);
	o.net = in->net;
	o.loss = r->train_cfg.loss;
	o.shift = p->shift;
	o.scale = p->scale;
	o.graph_name = r->model;
	o.doc = r->description;
	o.version = DM_VERSION;
	o.meta = meta;
	o.nmeta = n;
	rc = dm_onnx_encode(&o, bytes, len, err);
out:
	dm_json_free(&data);
	dm_json_free(&names);
	return rc;
}
