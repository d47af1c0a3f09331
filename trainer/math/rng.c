/* rng.c - splitmix64 seeding and xoshiro256** (Blackman and Vigna). */
#include "rng.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

void dm_rng_seed(dm_rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1342543de82ef95u);
	int i;
	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t dm_rng_next(dm_rng *r)
{
	uint64_t *s = r->s, result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

float dm_rng_uniform(dm_rng *r)
{
	return (float)(uint32_t)(dm_rng_next(r) >> 40) * 0x1p-24f;
}

uint64_t dm_rng_below(dm_rng *r, uint64_t n)
{
	uint64_t threshold = -n % n, x; /* 2^64 mod n: reject below it */
	do
		x = dm_rng_next(r);
	while (x < threshold);
	return x % n;
}
