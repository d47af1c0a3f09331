/* fp.h - single IEEE binary32 operations, each rounded to float.
 *
 * On x87 (Debian i386) C11 evaluates float expressions in 80-bit registers
 * and rounds only on assignment, casts and return (-fexcess-precision=
 * standard, see the Makefile).  So `a * b + c` would be rounded once on
 * i386 and twice on SSE, arm64, ppc64el and s390x, and the weights would
 * differ.  Wherever an expression has more than one operation, the numerics
 * code goes through these functions: each returns a float, so each
 * operation is rounded on its own, the same way on every architecture.
 * (Double rounding through the 64-bit x87 significand is harmless for
 * binary32 + - * / and sqrt, because 64 >= 2 * 24 + 2.)
 */
#ifndef DM_FP_H
#define DM_FP_H

static inline float f_add(float a, float b) { return a + b; }
static inline float f_sub(float a, float b) { return a - b; }
static inline float f_mul(float a, float b) { return a * b; }
static inline float f_div(float a, float b) { return a / b; }
static inline float f_max(float a, float b) { return a > b ? a : b; }

#endif
