/* policy.c - load policies and combine them with a recipe's own limits. */
#include "policy.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/file.h"
#include "../base/number.h"
#include "../base/sha256.h"
#include "../base/text.h"

static const dm_limit_field FIELDS[] = {
	{"Max-Compute", DM_UNIT_FLOP, offsetof(dm_limits, max_compute)},
	{"Max-Memory", DM_UNIT_BYTES, offsetof(dm_limits, max_memory)},
	{"Max-Wall-Time", DM_UNIT_SECONDS, offsetof(dm_limits, max_wall_time)},
	{"Max-CPU-Time", DM_UNIT_SECONDS, offsetof(dm_limits, max_cpu_time)},
	{"Max-Dataset-Bytes", DM_UNIT_BYTES, offsetof(dm_limits, max_dataset_bytes)},
	{"Max-Output-Bytes", DM_UNIT_BYTES, offsetof(dm_limits, max_output_bytes)},
	{"Max-Archive-Members", DM_UNIT_COUNT, offsetof(dm_limits, max_archive_members)},
};

const dm_limit_field *dm_limit_fields(size_t *n)
{
	*n = sizeof FIELDS / sizeof FIELDS[0];
	return FIELDS;
}

/* FLOP and seconds are doubles, the rest uint64_t */
static int is_double(dm_limit_unit u)
{
	return u == DM_UNIT_FLOP || u == DM_UNIT_SECONDS;
}

double dm_limit_get(const dm_limits *l, const dm_limit_field *f)
{
	const char *p = (const char *)l + f->offset;
	if (is_double(f->unit))
		return *(const double *)(const void *)p;
	return (double)*(const uint64_t *)(const void *)p;
}

static void limit_set(dm_limits *l, const dm_limit_field *f, double v)
{
	char *p = (char *)l + f->offset;
	if (is_double(f->unit))
		*(double *)(void *)p = v;
	else
		*(uint64_t *)(void *)p = (uint64_t)v;
}

int dm_limit_parse(dm_limit_unit unit, const char *text, double *out)
{
	char number[64];
	const char *end = text;
	double v, mult = 1;
	/* the number, read by the recipe's rule (decimal, no hex, inf or
	 * nan), then the unit */
	while (*end && strchr("+-.0123456789eE", *end) &&
	       !((*end == 'e' || *end == 'E') && !isdigit((unsigned char)end[1]) &&
		 end[1] != '+' && end[1] != '-'))
		end++;
	if (end == text || (size_t)(end - text) >= sizeof number)
		return -1;
	memcpy(number, text, (size_t)(end - text));
	number[end - text] = 0;
	if (dm_number_parse(number, &v, NULL) != DM_NUMBER_OK || v <= 0)
		return -1;
	while (*end == ' ')
		end++;
	if (unit == DM_UNIT_BYTES && *end) {
		const char *units = "KMGT";
		const char *u = strchr(units, toupper((unsigned char)*end));
		if (!u)
			return -1;
		mult = pow(1024.0, (double)(u - units + 1));
		end++;
		if (!strcmp(end, "iB") || !strcmp(end, "B"))
			end += strlen(end);
	} else if (unit == DM_UNIT_SECONDS && *end) {
		if (*end == 's')
			mult = 1;
		else if (*end == 'm')
			mult = 60;
		else if (*end == 'h')
			mult = 3600;
		else if (*end == 'd')
			mult = 86400;
		else
			return -1;
		end++;
	}
	if (*end)
		return -1;
	v *= mult;
	if ((unit == DM_UNIT_BYTES || unit == DM_UNIT_COUNT) && (v != floor(v) || v >= 1.8e19))
		return -1;
	*out = v;
	return 0;
}

void dm_limit_format(dm_limit_unit unit, double v, char *buf, size_t size)
{
	if (unit == DM_UNIT_FLOP) {
		snprintf(buf, size, "%.2g FLOP", v);
	} else if (unit == DM_UNIT_BYTES) {
		static const char *u[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
		int i = 0;
		while (v >= 1024 && i < 4)
			v /= 1024, i++;
		snprintf(buf, size, i ? "%.3g %s" : "%.0f %s", v, u[i]);
	} else if (unit == DM_UNIT_SECONDS) {
		if (v >= 3600)
			snprintf(buf, size, "%.2g h", v / 3600);
		else if (v >= 60)
			snprintf(buf, size, "%.2g min", v / 60);
		else
			snprintf(buf, size, "%.2g s", v);
	} else {
		snprintf(buf, size, "%.0f", v);
	}
}

/* "amd64 portable 2.2e10" per line */
static int parse_references(const char *path, const dm_field *f, dm_policy *p,
			    dm_error *err)
{
	const char *s = f->value;
	unsigned line = f->line;
	while (*s) {
		char arch[24], num[16];
		double flops;
		int used = 0;
		dm_throughput *v;
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		char row[128];
		if (n >= sizeof row || sscanf((snprintf(row, sizeof row, "%.*s", (int)n, s), row),
					      "%23s %15s %lf %n", arch, num, &flops, &used) != 3 ||
		    row[used] || !(flops > 0)) {
			if (n > 0)
				return dm_fail(err, "%s: line %u: Reference-Throughput: expected 'ARCH "
					       "NUMERICS FLOP-PER-SECOND', got '%.*s'", path, line,
					       (int)(n > 60 ? 60 : n), s);
		} else {
			v = realloc(p->ref, (p->nref + 1) * sizeof *v);
			if (!v)
				return dm_fail(err, "out of memory");
			p->ref = v;
			memset(&v[p->nref], 0, sizeof v[p->nref]);
			snprintf(v[p->nref].arch, sizeof v[p->nref].arch, "%s", arch);
			if (dm_numerics_parse(num, &v[p->nref].numerics))
				return dm_fail(err, "%s: line %u: Reference-Throughput: unknown numerics "
					       "'%s'; expected portable or openblas", path, line, num);
			v[p->nref].flop_per_second = flops;
			p->nref++;
		}
		s += n + (nl ? 1 : 0);
		line++;
	}
	return 0;
}

const char *const dm_area_class_names[DM_AREA_CLASSES] = {"Free Model", "ToxicCandy", "Non-free"};

/* "main: Free Model" / "contrib: Free Model, ToxicCandy" per line */
static int parse_areas(const char *path, const dm_field *f, dm_policy *p, dm_error *err)
{
	static const char lower[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
	const char *s = f->value;
	unsigned line = f->line;
	for (; *s; line++) {
		const char *nl = strchr(s, '\n'), *colon, *q;
		size_t n = nl ? (size_t)(nl - s) : strlen(s), len;
		dm_area area, *v;
		size_t i;
		memset(&area, 0, sizeof area);
		colon = memchr(s, ':', n);
		len = colon ? (size_t)(colon - s) : 0;
		if (n == 0)
			goto next;
		if (!colon || len == 0 || len >= sizeof area.name || strspn(s, lower) < len)
			return dm_fail(err, "%s: line %u: Archive-Areas: expected 'AREA: VERDICT, ...' "
				       "with an area name of lower-case letters, digits and '-', got "
				       "'%.*s'", path, line, (int)(n > 60 ? 60 : n), s);
		memcpy(area.name, s, len);
		for (q = colon + 1; q < s + n;) {
			const char *end = memchr(q, ',', (size_t)(s + n - q));
			size_t k;
			if (!end)
				end = s + n;
			while (q < end && (*q == ' ' || *q == '\t'))
				q++;
			k = (size_t)(end - q);
			while (k && (q[k - 1] == ' ' || q[k - 1] == '\t'))
				k--;
			for (i = 0; i < DM_AREA_CLASSES; i++)
				if (strlen(dm_area_class_names[i]) == k &&
				    !strncasecmp(q, dm_area_class_names[i], k))
					break;
			if (k && i == DM_AREA_CLASSES)
				return dm_fail(err, "%s: line %u: Archive-Areas: %s: unknown verdict "
					       "'%.*s'; expected Free Model, ToxicCandy or Non-free", path,
					       line, area.name, (int)(k > 40 ? 40 : k), q);
			if (k)
				area.accepts |= 1u << i;
			q = end + 1;
		}
		if (dm_policy_area(p, area.name))
			return dm_fail(err, "%s: line %u: Archive-Areas: area %s twice", path, line,
				       area.name);
		if (!(v = realloc(p->areas, (p->nareas + 1) * sizeof *v)))
			return dm_fail(err, "out of memory");
		p->areas = v;
		p->areas[p->nareas++] = area;
next:
		s += n + (nl ? 1 : 0);
	}
	return 0;
}

const dm_area *dm_policy_area(const dm_policy *p, const char *name)
{
	size_t i;
	for (i = 0; i < p->nareas; i++)
		if (!strcmp(p->areas[i].name, name))
			return &p->areas[i];
	return NULL;
}

static int parse_policy(const char *path, const dm_deb822 *d, dm_policy *p, dm_error *err)
{
	const dm_stanza *s;
	const dm_field *f;
	size_t i, j;
	if (d->n != 1)
		return dm_fail(err, "%s: %zu stanzas; expected exactly one", path, d->n);
	s = &d->stanzas[0];
	for (i = 0; i < s->n; i++) {
		f = &s->fields[i];
		if (!strcasecmp(f->name, "Policy")) {
			const char *want = dm_model_name_problem(f->value);
			if (want)
				return dm_fail(err, "%s: line %u: Policy: expected a short name: %s", path,
					       f->line, want);
			snprintf(p->name, sizeof p->name, "%s", f->value);
			continue;
		}
		if (!strcasecmp(f->name, "Description")) {
			if (!(p->description = dm_strdup(f->value, err)))
				return -1;
			continue;
		}
		if (!strcasecmp(f->name, "Reference-Throughput")) {
			if (parse_references(path, f, p, err))
				return -1;
			continue;
		}
		if (!strcasecmp(f->name, "Archive-Areas")) {
			if (parse_areas(path, f, p, err))
				return -1;
			continue;
		}
		if (!strcasecmp(f->name, "Unexplained-Models")) {
			/* "warn" as well: the word of the recipe field and of
			 * DH_MODEL_UNEXPLAINED */
			if (!strcasecmp(f->value, "warning") || !strcasecmp(f->value, "warn"))
				p->unexplained_error = 0;
			else if (!strcasecmp(f->value, "error"))
				p->unexplained_error = 1;
			else
				return dm_fail(err, "%s: line %u: Unexplained-Models: expected warning or "
					       "error, got '%.40s'", path, f->line,
					       f->value[strcspn(f->value, "\n")] ? "(more than one line)"
					       : f->value);
			continue;
		}
		for (j = 0; j < sizeof FIELDS / sizeof FIELDS[0]; j++)
			if (!strcasecmp(f->name, FIELDS[j].name)) {
				double v;
				if (dm_limit_parse(FIELDS[j].unit, f->value, &v))
					return dm_fail(err, "%s: line %u: %s: expected a positive %s, got '%.40s'",
						       path, f->line, f->name,
						       FIELDS[j].unit == DM_UNIT_BYTES ? "size such as 4G"
						       : FIELDS[j].unit == DM_UNIT_SECONDS ? "time such as 6h"
						       : "number", f->value[strcspn(f->value, "\n")] ?
						       "(more than one line)" : f->value);
				limit_set(&p->limits, &FIELDS[j], v);
				break;
			}
		if (j == sizeof FIELDS / sizeof FIELDS[0])
			return dm_fail(err, "%s: line %u: unknown field '%s'; see dh-model-policy(5)",
				       path, f->line, f->name);
	}
	if (!p->name[0])
		return dm_fail(err, "%s: missing field Policy (the policy's name)", path);
	return 0;
}

int dm_policy_load(const char *name, const char *const *dirs, size_t ndirs,
		   dm_policy *out, dm_error *err)
{
	char path[4096], *text = NULL;
	const char *why = NULL;
	FILE *f = NULL;
	size_t i, n;
	dm_deb822 d;
	unsigned char digest[32];
	dm_sha256 h;
	memset(out, 0, sizeof *out);
	if (!*name)
		return dm_fail(err, "empty policy name");
	/* a policy is read before its Max-Wall-Time is known: a FIFO or a
	 * device here must be refused, never waited for (base/file.h) */
	for (i = 0; !f && i < (strchr(name, '/') ? 1 : ndirs); i++) {
		if (strchr(name, '/'))
			snprintf(path, sizeof path, "%s", name);
		else
			snprintf(path, sizeof path, "%s/%s", dirs[i], name);
		if (!(f = dm_fopen_regular(path, &why)) && errno != ENOENT && errno != ENOTDIR)
			return dm_fail(err, "%s: cannot open the policy: %s", path, why);
	}
	if (!f) {
		char tried[2048] = "";
		size_t len = 0;
		for (i = 0; i < ndirs && !strchr(name, '/'); i++)
			len += (size_t)snprintf(tried + len, len < sizeof tried ? sizeof tried - len : 0,
						"%s%s", i ? ", " : "", dirs[i]);
		return dm_fail(err, "policy '%s' not found%s%s%s", name, ndirs ? " (looked in " : "",
			       tried, ndirs ? ")" : "");
	}
	if (!(text = dm_read_stream(f, path, (1 << 16) - 1, "larger than 64 KiB; expected a policy",
				    &n, err)))
		return -1;
	dm_sha256_init(&h);
	dm_sha256_update(&h, text, n);
	dm_sha256_final(&h, digest);
	dm_sha256_hex(digest, out->sha256);
	if (dm_deb822_parse(path, text, n, &d, err)) {
		free(text);
		return -1;
	}
	free(text);
	if (parse_policy(path, &d, out, err)) {
		dm_deb822_free(&d);
		dm_policy_free(out);
		return -1;
	}
	dm_deb822_free(&d);
	return 0;
}

void dm_policy_free(dm_policy *p)
{
	free(p->description);
	free(p->ref);
	free(p->areas);
	memset(p, 0, sizeof *p);
}

const dm_throughput *dm_policy_reference(const dm_policy *p, const char *arch,
					 dm_numerics numerics)
{
	size_t i;
	for (i = 0; i < p->nref; i++)
		if (!strcmp(p->ref[i].arch, arch) && p->ref[i].numerics == numerics)
			return &p->ref[i];
	for (i = 0; i < p->nref; i++)
		if (!strcmp(p->ref[i].arch, "amd64") && p->ref[i].numerics == numerics)
			return &p->ref[i];
	return p->nref ? &p->ref[0] : NULL;
}

int dm_limits_effective(const dm_policy *p, const dm_limits *recipe, const char *where,
			dm_limits *out, dm_error *err)
{
	size_t j;
	*out = p->limits;
	for (j = 0; j < sizeof FIELDS / sizeof FIELDS[0]; j++) {
		double mine = dm_limit_get(recipe, &FIELDS[j]), theirs = dm_limit_get(&p->limits, &FIELDS[j]);
		char a[48], b[48];
		if (mine == 0)
			continue;
		if (theirs != 0 && mine > theirs) {
			dm_limit_format(FIELDS[j].unit, mine, a, sizeof a);
			dm_limit_format(FIELDS[j].unit, theirs, b, sizeof b);
			return dm_fail_code(err, DM_EXIT_POLICY, "%s: %s %s is more than policy %s "
					    "allows (%s); a recipe may only lower a limit", where,
					    FIELDS[j].name, a, p->name, b);
		}
		limit_set(out, &FIELDS[j], mine);
	}
	return 0;
}

int dm_audit_effective(const dm_policy *p, int recipe, const char *where, int *out,
		       dm_error *err)
{
	if (recipe == 0 && p->unexplained_error)
		return dm_fail(err, "%s: Unexplained-Models: warn is weaker than policy %s, which "
			       "says error; a recipe may only make the audit stricter (remove the "
			       "field)", where, p->name);
	*out = recipe > 0 || p->unexplained_error;
	return 0;
}
