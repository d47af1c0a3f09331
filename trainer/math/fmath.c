/* fmath.c - elementary functions with the same bits on every architecture.
 * Every line does one rounded float operation (see fp.h for why). */
#include "fmath.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "fp.h"

static float from_bits(uint32_t u)
{
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

static uint32_t to_bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	return u;
}

/* 2^n for n in [-126, 127], exactly. */
static float pow2i(int n)
{
	return from_bits((uint32_t)(n + 127) << 23);
}

/* exp(x) = 2^n * exp(r), r = x - n ln2 in [-ln2/2, ln2/2] (Cody-Waite:
 * ln2 split so that n * LN2_HI is exact), then a degree-7 Taylor series. */
float dm_expf(float x)
{
	const float LOG2E = 1.44269502f, LN2_HI = 0.693145751953125f,
		    LN2_LO = 1.42860677e-06f;
	float t, r, p;
	int n;
	if (x != x)
		return x;
	if (x > 88.72283f)
		return INFINITY;
	if (x < -103.97208f)
		return 0.0f;
	t = f_mul(x, LOG2E);
	n = (int)(t < 0 ? f_sub(t, 0.5f) : f_add(t, 0.5f));
	r = f_sub(x, f_mul((float)n, LN2_HI));
	r = f_sub(r, f_mul((float)n, LN2_LO));
	p = 1.0f / 5040.0f;
	p = f_add(f_mul(p, r), 1.0f / 720.0f);
	p = f_add(f_mul(p, r), 1.0f / 120.0f);
	p = f_add(f_mul(p, r), 1.0f / 24.0f);
	p = f_add(f_mul(p, r), 1.0f / 6.0f);
	p = f_add(f_mul(p, r), 0.5f);
	p = f_add(f_mul(p, r), 1.0f);
	p = f_add(f_mul(p, r), 1.0f);
	if (n < -125) /* the result is subnormal: scale in two exact steps */
		return f_mul(f_mul(p, pow2i(n + 64)), pow2i(-64));
	if (n > 127)
		return f_mul(f_mul(p, pow2i(n - 1)), 2.0f);
	return f_mul(p, pow2i(n));
}

/* 2 atanh(s) = log((1 + s) / (1 - s)), |s| <= 1/3: odd series to s^19. */
static float log_series(float s)
{
	float s2 = f_mul(s, s), p = 1.0f / 19.0f;
	static const float c[] = {1.0f / 17, 1.0f / 15, 1.0f / 13, 1.0f / 11,
				  1.0f / 9,  1.0f / 7,  1.0f / 5,  1.0f / 3};
	unsigned i;
	for (i = 0; i < sizeof c / sizeof c[0]; i++)
		p = f_add(f_mul(p, s2), c[i]);
	p = f_mul(f_mul(p, s2), s);
	return f_mul(f_add(p, s), 2.0f);
}

/* log(x) = e ln2 + log(m), m in [sqrt(1/2), sqrt(2)), log(m) = 2 atanh(s)
 * with s = (m - 1) / (m + 1). */
float dm_logf(float x)
{
	const float LN2_HI = 0.693145751953125f, LN2_LO = 1.42860677e-06f;
	uint32_t u;
	int e;
	float m, s, lm;
	if (x != x || x == INFINITY)
		return x;
	if (x < 0)
		return NAN;
	if (x == 0)
		return -INFINITY;
	e = 0;
	if (x < 1.17549435e-38f) { /* subnormal: make it normal first */
		x = f_mul(x, 8388608.0f);
		e = -23;
	}
	u = to_bits(x);
	e += (int)(u >> 23) - 127;
	m = from_bits((u & 0x007fffff) | 0x3f800000); /* [1, 2) */
	if (m > 1.41421356f) {
		m = f_mul(m, 0.5f);
		e += 1;
	}
	s = f_div(f_sub(m, 1.0f), f_add(m, 1.0f));
	lm = log_series(s);
	return f_add(f_mul((float)e, LN2_HI), f_add(lm, f_mul((float)e, LN2_LO)));
}

/* log(1 + x): direct series for small x, where 1 + x would lose bits. */
float dm_log1pf(float x)
{
	if (x > -0.29f && x < 0.5f)
		return log_series(f_div(x, f_add(x, 2.0f)));
	return dm_logf(f_add(1.0f, x));
}

/* exp(y) - 1 for |y| <= 1.1: Taylor series to y^11, no cancellation. */
static float expm1_small(float y)
{
	float p = 1.0f / 39916800.0f;
	static const float c[] = {1.0f / 3628800, 1.0f / 362880, 1.0f / 40320,
				  1.0f / 5040,    1.0f / 720,    1.0f / 120,
				  1.0f / 24,      1.0f / 6,      1.0f / 2,
				  1.0f};
	unsigned i;
	for (i = 0; i < sizeof c / sizeof c[0]; i++)
		p = f_add(f_mul(p, y), c[i]);
	return f_mul(p, y);
}

/* tanh(x) = -expm1(-2|x|) / (2 + expm1(-2|x|)), with the sign of x. */
float dm_tanhf(float x)
{
	float a = x < 0 ? -x : x, em, t;
	if (x != x)
		return x;
	if (a > 9.01f)
		return x < 0 ? -1.0f : 1.0f;
	if (a < 0.55f)
		em = expm1_small(f_mul(-2.0f, a));
	else
		em = f_sub(dm_expf(f_mul(-2.0f, a)), 1.0f);
	t = f_div(-em, f_add(2.0f, em));
	return x < 0 ? -t : t;
}

float dm_sigmoidf(float x)
{
	float e;
	if (x >= 0) {
		e = dm_expf(-x);
		return f_div(1.0f, f_add(1.0f, e));
	}
	e = dm_expf(x);
	return f_div(e, f_add(1.0f, e));
}

/* cos on [0, pi] by symmetry to [0, pi/2] and a Taylor series to x^16. */
float dm_cosf(float x)
{
	const float PI = 3.14159265f;
	float neg = 1.0f, x2, p;
	static const float c[] = {-1.0f / 87178291200.0f, 1.0f / 479001600.0f,
				  -1.0f / 3628800.0f,     1.0f / 40320.0f,
				  -1.0f / 720.0f,         1.0f / 24.0f,
				  -0.5f,                  1.0f};
	unsigned i;
	if (x > f_mul(PI, 0.5f)) {
		x = f_sub(PI, x);
		neg = -1.0f;
	}
	x2 = f_mul(x, x);
	p = 1.0f / 20922789888000.0f;
	for (i = 0; i < sizeof c / sizeof c[0]; i++)
		p = f_add(f_mul(p, x2), c[i]);
	return f_mul(p, neg);
}
