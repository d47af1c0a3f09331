/* fmath.h - exp, log, tanh, sigmoid and cos built from + - * / only.
 *
 * libm's tanhf differs between architectures (and expf/logf could), so the
 * trainer uses its own.  Each is a range reduction and a fixed polynomial,
 * every operation rounded to float (fp.h): the same bits everywhere.  The
 * error is within 2 ulp of the true value over the ranges training uses;
 * tests/c/test_math.c checks it against libm in double.
 */
#ifndef DM_FMATH_H
#define DM_FMATH_H

float dm_expf(float x);
float dm_logf(float x);
float dm_log1pf(float x);     /* log(1 + x) for x > -1, exact near 0 */
float dm_tanhf(float x);
float dm_sigmoidf(float x);   /* 1 / (1 + exp(-x)), no overflow */
float dm_cosf(float x);       /* for x in [0, pi] */
/* IEEE 754 requires sqrt to be correctly rounded, so libm's is the same
 * everywhere; inline, so that loops over it vectorize (-fno-math-errno). */
static inline float dm_sqrtf(float x)
{
	return __builtin_sqrtf(x);
}

#endif
