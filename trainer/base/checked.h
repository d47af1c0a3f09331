/* checked.h - counts and sizes that cannot wrap.
 *
 * A figure such as a recipe's FLOP or its peak memory is a product of
 * numbers that the input chooses (rows, features, units, epochs).  In plain
 * uint64_t arithmetic a large enough product wraps around to a small one,
 * and a recipe over every budget would pass as a cheap one.  So each such
 * figure is computed with these operations, which never wrap: each returns
 * the exact result when it fits in 64 bits, and otherwise UINT64_MAX with
 * ck->over set.  ck->over stays set for the rest of the computation, so one
 * test at the end tells whether the figure is exact or "2^64 or more".
 *
 * The figures are sums and products of non-negative numbers, so a figure
 * overflows exactly when one of its steps does (as long as a factor that
 * may be 0, such as a row count, is multiplied in first).
 */
#ifndef DM_CHECKED_H
#define DM_CHECKED_H

#include <stdint.h>

typedef struct dm_checked {
	int over;   /* some step did not fit in 64 bits */
} dm_checked;

static inline uint64_t dm_ck_mul(dm_checked *ck, uint64_t a, uint64_t b)
{
	uint64_t r;
	if (__builtin_mul_overflow(a, b, &r)) {
		ck->over = 1;
		return UINT64_MAX;
	}
	return r;
}

static inline uint64_t dm_ck_add(dm_checked *ck, uint64_t a, uint64_t b)
{
	uint64_t r;
	if (__builtin_add_overflow(a, b, &r)) {
		ck->over = 1;
		return UINT64_MAX;
	}
	return r;
}

/* a * b * c, in that order */
static inline uint64_t dm_ck_mul3(dm_checked *ck, uint64_t a, uint64_t b, uint64_t c)
{
	return dm_ck_mul(ck, dm_ck_mul(ck, a, b), c);
}

#endif
