/* number.h - the one rule for a number written in a recipe or a dataset.
 *
 * Decimal only, as a person writes it: [+-] digits [. digits] [e [+-]
 * digits] (or .digits), blanks around it allowed (Python's float() allows
 * them).  Refused: hexadecimal (0x10, 0x1p3: C's strtod reads them, a CSV
 * from elsewhere almost never means them), the words inf and nan, and any
 * value a float cannot hold: too large (1e39, or 1 followed by 400 zeros)
 * and too small, that is a value that is not 0 but becomes 0 as a float
 * (1e-50), alike.
 */
#ifndef DM_NUMBER_H
#define DM_NUMBER_H

typedef enum dm_number_problem {
	DM_NUMBER_OK = 0,
	DM_NUMBER_SYNTAX,   /* not a number at all */
	DM_NUMBER_HEX,      /* 0x... */
	DM_NUMBER_NONFINITE, /* inf, nan */
	DM_NUMBER_RANGE     /* beyond what a float holds, either way */
} dm_number_problem;

/* Parse all of S.  On DM_NUMBER_OK sets *d (the value as a double, may be
 * NULL) and *f (rounded once to float, may be NULL). */
dm_number_problem dm_number_parse(const char *s, double *d, float *f);

/* What is wrong, to follow "'TEXT' ": "is not a decimal number", ... */
const char *dm_number_problem_text(dm_number_problem p);

#endif
