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
 * everywhere; inline, so that loops over it vectorize (-fno-math-errno).
 * On x87 (FLT_EVAL_METHOD 2, Debian i386) GCC -O2 inlines fsqrt and keeps
 * its 64-bit result through the caller's next operation, even across this
 * function's return: Adam's weights then differed from every other
 * architecture (tests/cross, -O0 agreed).  A store to memory rounds it to
 * float; the double rounding is harmless for sqrt (64 >= 2 * 24 + 2). */
static inline float dm_sqrtf(float x)
{
#if defined(__FLT_EVAL_METHOD__) && __FLT_EVAL_METHOD__ != 0
	volatile float rounded = __builtin_sqrtf(x);
	return rounded;
#else
	return __builtin_sqrtf(x);
#endif
}

#endif
