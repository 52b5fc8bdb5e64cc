/*
 * rng.h — the seeded generator every sampler uses (xoshiro256** seeded by splitmix64).
 *
 * Same seed, same stream, on every platform: this is what makes runs reproducible.
 */
#ifndef PTOPT_RNG_H
#define PTOPT_RNG_H

#include <stdint.h>

typedef struct PtRng
{
	uint64_t	s[4];
} PtRng;

/* Seed the generator; any 64-bit value (0 included) is a valid seed. */
extern void PtRngSeed(PtRng *rng, uint64_t seed);

/* Next raw 64-bit output. */
extern uint64_t PtRngNext(PtRng *rng);

/* Uniform double in [0, 1) with 53 random bits. */
extern double PtRngUniform(PtRng *rng);

/* Uniform integer in [0, n); n > 0; unbiased. */
extern uint64_t PtRngBelow(PtRng *rng, uint64_t n);

/* Standard normal deviate (Box-Muller, no cached second value). */
extern double PtRngNormal(PtRng *rng);

/* Derive an independent child seed from a seed and a stream number. */
extern uint64_t PtRngDerive(uint64_t seed, uint64_t stream);

#endif							/* PTOPT_RNG_H */
