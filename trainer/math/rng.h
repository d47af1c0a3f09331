/* rng.h - the trainer's only source of randomness.
 *
 * xoshiro256** seeded through splitmix64 from the recipe's Seed and a
 * stream number, so that initialisation, shuffling, the validation split
 * and dropout each get their own independent sequence.  Integer arithmetic
 * only: the same numbers on every architecture.
 */
#ifndef DM_RNG_H
#define DM_RNG_H

#include <stdint.h>

typedef struct dm_rng {
	uint64_t s[4];
} dm_rng;

enum { DM_STREAM_INIT = 1, DM_STREAM_SHUFFLE, DM_STREAM_SPLIT, DM_STREAM_DROPOUT };

void dm_rng_seed(dm_rng *r, uint64_t seed, uint64_t stream);
uint64_t dm_rng_next(dm_rng *r);
/* uniform in [0, 1) with 24 random bits: exact in binary32 */
float dm_rng_uniform(dm_rng *r);
/* uniform integer in [0, n), n > 0, without modulo bias */
uint64_t dm_rng_below(dm_rng *r, uint64_t n);

#endif
