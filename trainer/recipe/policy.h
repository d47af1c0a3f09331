/* policy.h - the compute budget that stands for "reasonable time".
 *
 * A policy is a deb822 file that the dh-model package ships
 * (/usr/share/dh-model/policy/main for Debian main; a distribution or a
 * maintainer may choose a stricter one).  Its first stanza holds the
 * limits; a Reference-Throughput field lists the FLOP/s of the reference
 * machines, only for the time estimates in messages.  The decision itself
 * is made on FLOP and bytes, which do not depend on the machine, so the
 * same recipe is accepted or refused on every buildd.
 * See dh-model-policy(5).
 */
#ifndef DM_POLICY_H
#define DM_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "../base/error.h"
#include "../math/gemm.h"
#include "deb822.h"

/* Each limit: 0 means "not set" (in a recipe) or "no limit" (in a policy). */
typedef struct dm_limits {
	double max_compute;          /* FLOP */
	uint64_t max_memory;         /* bytes, peak */
	double max_wall_time;        /* seconds */
	double max_cpu_time;         /* seconds */
	uint64_t max_dataset_bytes;  /* decompressed, per file */
	uint64_t max_output_bytes;   /* per file */
	uint64_t max_archive_members;
} dm_limits;

/* The fields of a dm_limits, with their names in policies and recipes. */
typedef enum dm_limit_unit { DM_UNIT_FLOP, DM_UNIT_BYTES, DM_UNIT_SECONDS, DM_UNIT_COUNT } dm_limit_unit;
typedef struct dm_limit_field {
	const char *name;
	dm_limit_unit unit;
	size_t offset;   /* in dm_limits */
} dm_limit_field;
const dm_limit_field *dm_limit_fields(size_t *n);
double dm_limit_get(const dm_limits *l, const dm_limit_field *f);

/* "3.6e14", "4G", "512MiB", "6h", "90m": parsed per unit (bytes: K, M, G,
 * T are powers of 1024; time: s, m, h, d).  Returns -1 on a bad value. */
int dm_limit_parse(dm_limit_unit unit, const char *text, double *out);
/* Human text: "3.6e+14 FLOP", "4 GiB", "2.8 h". */
void dm_limit_format(dm_limit_unit unit, double v, char *buf, size_t size);

typedef struct dm_throughput {
	char arch[24];
	dm_numerics numerics;
	double flop_per_second;
} dm_throughput;

/* Archive-Areas: which verdicts of Debian's ML policy each archive area
 * accepts.  Bit 0 of accepts is "Free Model", bit 1 "ToxicCandy", bit 2
 * "Non-free" (the order of the verdict classes, licensing/verdict.h). */
#define DM_AREA_CLASSES 3
extern const char *const dm_area_class_names[DM_AREA_CLASSES];
typedef struct dm_area {
	char name[32];         /* "main", "contrib", "non-free" */
	unsigned accepts;
} dm_area;

typedef struct dm_policy {
	char name[64];
	char sha256[65];       /* of the policy file, for the provenance */
	char *description;
	dm_limits limits;
	dm_throughput *ref;
	size_t nref;
	/* Unexplained-Models: what the audit of a binary package (dh_auditmodels)
	 * does with model files that no recipe produced: 0 warning (default),
	 * 1 error. */
	int unexplained_error;
	/* Archive-Areas, in the policy's order; none: the policy says nothing
	 * (dh-model then applies main's) */
	dm_area *areas;
	size_t nareas;
} dm_policy;

/* Load policy NAME from the first of dirs that has it (a NAME with a '/'
 * is a path).  Errors name the file and the line. */
int dm_policy_load(const char *name, const char *const *dirs, size_t ndirs,
		   dm_policy *out, dm_error *err);
void dm_policy_free(dm_policy *p);

/* The area of Archive-Areas that is named, or NULL. */
const dm_area *dm_policy_area(const dm_policy *p, const char *name);

/* The reference throughput for arch and numerics, else for amd64. */
const dm_throughput *dm_policy_reference(const dm_policy *p, const char *arch,
					 dm_numerics numerics);

/* The limits that apply: the policy's, lowered by the recipe's.  A recipe
 * asking for more than the policy is an error naming both figures. */
int dm_limits_effective(const dm_policy *p, const dm_limits *recipe,
			const char *where, dm_limits *out, dm_error *err);

/* The same for the audit: recipe is the recipe's Unexplained-Models (-1
 * unset, 0 warn, 1 error).  It may make the audit stricter than the
 * policy, never weaker: warn under a policy that says error is an error
 * naming where (the recipe's file and line) and the policy.  *out is 1 when
 * the audit fails the build. */
int dm_audit_effective(const dm_policy *p, int recipe, const char *where, int *out,
		       dm_error *err);

#endif
