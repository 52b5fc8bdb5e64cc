/*
 * rng.c — xoshiro256** with splitmix64 seeding.
 */
#include <math.h>

#include "rng.h"

/* One splitmix64 step: advances *state and returns a well-mixed value. */
static uint64_t
splitmix64(uint64_t *state)
{
	uint64_t	z = (*state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* Rotate left. */
static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* Seed the generator from a 64-bit seed. */
void
PtRngSeed(PtRng *rng, uint64_t seed)
{
	uint64_t	st = seed;
	int			i;

	for (i = 0; i < 4; i++)
		rng->s[i] = splitmix64(&st);
}

/* Next raw 64-bit output (xoshiro256**). */
uint64_t
PtRngNext(PtRng *rng)
{
	uint64_t   *s = rng->s;
	uint64_t	result = rotl(s[1] * 5, 7) * 9;
	uint64_t	t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Uniform double in [0, 1). */
double
PtRngUniform(PtRng *rng)
{
	return (double) (PtRngNext(rng) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n), by rejection (no modulo bias). */
uint64_t
PtRngBelow(PtRng *rng, uint64_t n)
{
	uint64_t	limit;
	uint64_t	r;

	if (n <= 1)
		return 0;
	limit = UINT64_MAX - UINT64_MAX % n;
	do
		r = PtRngNext(rng);
	while (r >= limit);
	return r % n;
}

/* Standard normal deviate by Box-Muller. */
double
PtRngNormal(PtRng *rng)
{
	double		u1;
	double		u2 = PtRngUniform(rng);

	do
		u1 = PtRngUniform(rng);
	while (u1 <= 0.0);
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* Derive an independent child seed from (seed, stream). */
uint64_t
PtRngDerive(uint64_t seed, uint64_t stream)
{
	uint64_t	st = seed ^ (stream * UINT64_C(0xD1B54A32D192ED03));

	(void) splitmix64(&st);
	return splitmix64(&st);
}
