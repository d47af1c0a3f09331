/* record.c - read and check the provenance of a model from elsewhere. */
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/strbuf.h"
#include "../base/text.h"
#include "../recipe/deb822.h"

#define MAX_FIELDS 64            /* a recipe has about 50 known fields */
#define MAX_FIELD_NAME 64
#define MAX_VALUE (64u << 10)    /* a deb822 recipe is at most 1 MiB */

static const dm_json *member(const dm_json *obj, const char *key)
{
	return obj && obj->type == DM_JSON_OBJECT ? dm_json_get(obj, key) : NULL;
}

static const char *string_member(const dm_json *obj, const char *key)
{
	const dm_json *v = member(obj, key);
	return v && v->type == DM_JSON_STRING ? v->string : NULL;
}

static int is_sha256(const char *s)
{
	return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* A recipe field by name, as deb822 compares names: without case. */
static const char *field_value(const dm_json *fields, const char *name)
{
	size_t i;
	for (i = 0; i < fields->len; i++)
		if (!strcasecmp(fields->keys[i], name))
			return fields->items[i].string;
	return NULL;
}

/* A deb822 field name (dm_deb822_parse's rule), of reasonable length. */
static int field_name_ok(const char *s)
{
	size_t i, n = strlen(s);
	if (n == 0 || n > MAX_FIELD_NAME || s[0] == '-' || s[0] == '#')
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 32 || (unsigned char)s[i] >= 127 || s[i] == ':')
			return 0;
	return 1;
}

static int check_fields(const char *where, const dm_json *fields, dm_error *err)
{
	size_t i;
	if (!fields || fields->type != DM_JSON_OBJECT || fields->len == 0)
		return dm_fail(err, "%s: the provenance has no recipe (expected \"recipe\": "
			       "{\"fields\": {...}})", where);
	if (fields->len > MAX_FIELDS)
		return dm_fail(err, "%s: the provenance's recipe has %zu fields, expected at most %d",
			       where, fields->len, MAX_FIELDS);
	for (i = 0; i < fields->len; i++) {
		const char *k = fields->keys[i];
		const dm_json *v = &fields->items[i];
		const unsigned char *p;
		char shown[80];
		dm_printable(k, shown, sizeof shown);
		if (!field_name_ok(k))
			return dm_fail(err, "%s: the provenance's recipe field '%s': expected a field "
				       "name of 1 to %d printable ASCII characters without ':'", where,
				       shown, MAX_FIELD_NAME);
		if (v->type != DM_JSON_STRING)
			return dm_fail(err, "%s: the provenance's recipe field '%s': expected a string "
				       "value", where, shown);
		if (strlen(v->string) > MAX_VALUE)
			return dm_fail(err, "%s: the provenance's recipe field '%s': a value of %zu "
				       "bytes, expected at most %u", where, shown, strlen(v->string),
				       MAX_VALUE);
		for (p = (const unsigned char *)v->string; *p; p++)
			if ((*p < 32 && *p != '\n' && *p != '\t') || *p == 127)
				return dm_fail(err, "%s: the provenance's recipe field '%s': control "
					       "character 0x%02x in its value", where, shown, *p);
	}
	return 0;
}

/* data.PART: one entry per file that fields name, in the order the data
 * readers record them (features, then labels). */
static int check_part(const char *where, dm_record *r, const char *part, const char *ffield,
		      const char *lfield, dm_error *err)
{
	const dm_json *arr = member(member(r->json, "data"), part);
	const char *names[2] = {ffield, lfield};
	size_t want = 0, i;
	if (field_value(r->fields, ffield))
		want = field_value(r->fields, lfield) ? 2 : 1;
	else if (field_value(r->fields, lfield))
		return dm_fail(err, "%s: the provenance's recipe has %s but no %s", where, lfield,
			       ffield);
	if (!want && (!arr || (arr->type == DM_JSON_ARRAY && arr->len == 0)))
		return 0;
	if (!arr || arr->type != DM_JSON_ARRAY || arr->len != want)
		return dm_fail(err, "%s: the provenance records %s %s data file%s, but its recipe "
			       "names %zu; expected \"data\": {\"%s\": [{\"path\", \"sha256\"}, ...]} "
			       "with one entry per file", where,
			       arr && arr->type == DM_JSON_ARRAY ? "" : "no", part,
			       arr && arr->type == DM_JSON_ARRAY && arr->len == 1 ? "" : "s", want, part);
	for (i = 0; i < want; i++) {
		dm_record_data *d = &r->data[r->ndata];
		const char *path = string_member(&arr->items[i], "path");
		const char *sha = string_member(&arr->items[i], "sha256");
		if (!path || strcmp(path, field_value(r->fields, names[i])))
			return dm_fail(err, "%s: the provenance's data.%s[%zu] is not the file its "
				       "recipe's %s names", where, part, i, names[i]);
		if (!is_sha256(sha))
			return dm_fail(err, "%s: the provenance's data.%s[%zu] (%s): expected a "
				       "\"sha256\" of 64 lower-case hex digits", where, part, i, path);
		d->part = part;
		d->field = names[i];
		d->path = path;
		d->sha256 = sha;
		r->ndata++;
	}
	return 0;
}

/* A text model's data.PART: one entry per line of its list field
 * ("PATH [label=NAME]"), in order. */
static int check_text_part(const char *where, dm_record *r, const char *part, const char *field,
			   dm_error *err)
{
	const dm_json *arr = member(member(r->json, "data"), part);
	const char *value = field_value(r->fields, field), *p = value;
	size_t i = 0;
	if (!value)
		return !arr || (arr->type == DM_JSON_ARRAY && arr->len == 0) ? 0 :
		       dm_fail(err, "%s: the provenance records %s data files, but its recipe has no "
			       "%s", where, part, field);
	if (!arr || arr->type != DM_JSON_ARRAY)
		return dm_fail(err, "%s: the provenance records no %s data files; expected \"data\": "
			       "{\"%s\": [{\"path\", \"sha256\"}, ...]} with one entry per %s line",
			       where, part, part, field);
	while (*p) {
		size_t n = strcspn(p, "\n"), skip = strspn(p, " \t"), len;
		const char *path, *sha;
		dm_record_data *d;
		if (skip >= n) {
			p += n + (p[n] != 0);
			continue;
		}
		len = strcspn(p + skip, " \t\n");
		if (i >= arr->len || r->ndata == DM_RECORD_MAX_DATA)
			return dm_fail(err, "%s: the provenance records %zu %s data files, but its "
				       "recipe's %s has more lines (at most %d in all)", where, arr->len,
				       part, field, DM_RECORD_MAX_DATA);
		path = string_member(&arr->items[i], "path");
		sha = string_member(&arr->items[i], "sha256");
		if (!path || strlen(path) != len || memcmp(path, p + skip, len))
			return dm_fail(err, "%s: the provenance's data.%s[%zu] is not the file of line "
				       "%zu of its recipe's %s", where, part, i, i + 1, field);
		if (!is_sha256(sha))
			return dm_fail(err, "%s: the provenance's data.%s[%zu] (%s): expected a "
				       "\"sha256\" of 64 lower-case hex digits", where, part, i, path);
		d = &r->data[r->ndata++];
		*d = (dm_record_data){part, field, path, sha, 1, (size_t)(p + skip - value), len};
		i++;
		p += n + (p[n] != 0);
	}
	if (i != arr->len)
		return dm_fail(err, "%s: the provenance records %zu %s data files, but its recipe's "
			       "%s names %zu", where, arr->len, part, field, i);
	return 0;
}

int dm_record_parse(const char *where, const char *text, size_t n, dm_record *out,
		    dm_error *err)
{
	const char *format, *want;
	const dm_json *budget;
	memset(out, 0, sizeof *out);
	out->text = text;
	if (!(out->json = dm_json_parse(text, n, err)))
		return dm_error_prefix(err, "%s: the provenance", where);
	format = string_member(out->json, "format");
	if (!format || strcmp(format, "dh-model-provenance/1")) {
		dm_fail(err, "%s: not a dh-model provenance record (expected \"format\": "
			"\"dh-model-provenance/1\")", where);
		goto fail;
	}
	if (!(out->model = string_member(out->json, "model"))) {
		dm_fail(err, "%s: the provenance has no \"model\"", where);
		goto fail;
	}
	if ((want = dm_model_name_problem(out->model))) {
		dm_fail(err, "%s: the provenance's model '%s': expected %s", where, out->model, want);
		goto fail;
	}
	out->fields = member(member(out->json, "recipe"), "fields");
	if (check_fields(where, out->fields, err))
		goto fail;
	if (!field_value(out->fields, "Model") || strcmp(field_value(out->fields, "Model"), out->model)) {
		dm_fail(err, "%s: the provenance's recipe has no 'Model: %s'", where, out->model);
		goto fail;
	}
	if (field_value(out->fields, "Model-Type") ?
	    check_text_part(where, out, "train", "Dataset", err) ||
	    check_text_part(where, out, "test", "Test-Dataset", err) :
	    check_part(where, out, "train", "Dataset", "Labels", err) ||
	    check_part(where, out, "test", "Test-Dataset", "Test-Labels", err))
		goto fail;
	if (!out->ndata) {
		dm_fail(err, "%s: the provenance's recipe has no Dataset", where);
		goto fail;
	}
	budget = member(out->json, "budget");
	out->policy = string_member(budget, "policy");
	out->policy_sha256 = string_member(budget, "policy-sha256");
	if (member(budget, "policy-sha256") && !is_sha256(out->policy_sha256)) {
		dm_fail(err, "%s: the provenance's budget.policy-sha256: expected 64 lower-case hex "
			"digits", where);
		goto fail;
	}
	if ((member(budget, "policy") && !out->policy) ||
	    (out->policy && (want = dm_model_name_problem(out->policy)))) {
		dm_fail(err, "%s: the provenance's budget.policy: expected the name of a policy: %s",
			where, out->policy ? want : "a string");
		goto fail;
	}
	out->numerics = string_member(member(out->json, "trainer"), "numerics");
	return 0;
fail:
	dm_record_free(out);
	return -1;
}

int dm_record_of_weights(const char *where, const dm_safetensors *st, dm_record *out,
			 dm_error *err)
{
	const char *text = dm_safetensors_meta(st, "dh-model.provenance");
	memset(out, 0, sizeof *out);
	if (!text)
		return dm_fail(err, "%s: no dh-model.provenance in the metadata; expected weights "
			       "written by dh-model-train", where);
	return dm_record_parse(where, text, strlen(text), out, err);
}

void dm_record_free(dm_record *r)
{
	dm_json_delete(r->json);
	memset(r, 0, sizeof *r);
}

/* ---- the recipe again ---- */

typedef dm_strbuf text_buf;

static int add(text_buf *b, const char *s, size_t n, dm_error *err)
{
	return dm_strbuf_add(b, s, n, err);
}

/* "Name: value", continuation lines after a space, an empty line as " .". */
static int add_field(text_buf *b, const char *name, const char *value, dm_error *err)
{
	const char *line = value;
	int first = 1;
	if (add(b, name, strlen(name), err) || add(b, ":", 1, err))
		return -1;
	for (;;) {
		size_t n = strcspn(line, "\n");
		if (!first && add(b, "\n", 1, err))
			return -1;
		if ((n || !first) && add(b, " ", 1, err))
			return -1;
		if (!first && n == 0 ? add(b, ".", 1, err) : add(b, line, n, err))
			return -1;
		first = 0;
		if (!line[n])
			break;
		line += n + 1;
	}
	return add(b, "\n", 1, err);
}

/* Field i's value, with the data paths replaced by paths[k] where set:
 * the whole value, or a text model's path on its line (into *owned). */
static const char *value_for(const dm_record *r, size_t i, const char *const *paths,
			     char **owned, dm_error *err)
{
	const char *value = r->fields->items[i].string;
	text_buf b = {NULL, 0, 0, 0};
	size_t k, at = 0;
	free(*owned);
	*owned = NULL;
	for (k = 0; paths && k < r->ndata; k++) {
		const dm_record_data *d = &r->data[k];
		if (!paths[k] || strcasecmp(r->fields->keys[i], d->field))
			continue;
		if (!d->list)
			return paths[k];
		if (add(&b, value + at, d->offset - at, err) || add(&b, paths[k], strlen(paths[k]), err))
			goto fail;
		at = d->offset + d->len;
	}
	if (!b.s)
		return value;
	if (add(&b, value + at, strlen(value + at), err) || add(&b, "", 1, err))
		goto fail;
	return *owned = b.s;
fail:
	free(b.s);
	return NULL;
}

static int skipped(const dm_record *r, size_t i, int flags)
{
	/* Class-Names change no weight either, and may name a file of the
	 * source package that is not at hand */
	return (flags & DM_RECIPE_NO_UPSTREAM) && (!strncasecmp(r->fields->keys[i], "Upstream-", 9) ||
						   !strcasecmp(r->fields->keys[i], "Class-Names"));
}

char *dm_record_recipe(const dm_record *r, const char *const *paths, int flags, dm_error *err)
{
	text_buf b = {NULL, 0, 0, 0};
	dm_deb822 back;
	size_t i, k = 0;
	char *owned = NULL;
	const char *v;
	for (i = 0; i < r->fields->len; i++)
		if (!skipped(r, i, flags) && (!(v = value_for(r, i, paths, &owned, err)) ||
					      add_field(&b, r->fields->keys[i], v, err)))
			goto fail;
	/* what a recipe reader makes of it must be these fields, no more,
	 * no less: white space at either end of a line, an empty first line or
	 * a line "." would not come back */
	if (dm_deb822_parse(r->model, b.s, b.len, &back, err)) {
		dm_error_prefix(err, "the recipe in the provenance of %s", r->model);
		goto fail;
	}
	for (i = 0; i < r->fields->len; i++) {
		const dm_field *f;
		if (skipped(r, i, flags))
			continue;
		f = back.n == 1 && k < back.stanzas[0].n ? &back.stanzas[0].fields[k] : NULL;
		if (!(v = value_for(r, i, paths, &owned, err))) {
			dm_deb822_free(&back);
			goto fail;
		}
		if (!f || strcmp(f->name, r->fields->keys[i]) || strcmp(f->value, v)) {
			dm_fail(err, "the recipe in the provenance of %s: field '%s' does not read back "
				"as written (white space at the start or end of a line, or an empty "
				"first line?)", r->model, r->fields->keys[i]);
			dm_deb822_free(&back);
			goto fail;
		}
		k++;
	}
	if (back.n != 1 || k != back.stanzas[0].n) {
		dm_fail(err, "the recipe in the provenance of %s does not read back as one stanza "
			"of its fields", r->model);
		dm_deb822_free(&back);
		goto fail;
	}
	dm_deb822_free(&back);
	free(owned);
	return b.s;
fail:
	free(owned);
	free(b.s);
	return NULL;
}
