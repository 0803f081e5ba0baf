/* A small seeded random number generator (splitmix64): weight init and
 * shuffling draw from it, so the same seed gives the same run. */
#ifndef CNN_RNG_H
#define CNN_RNG_H

#include <math.h>
#include <stdint.h>

typedef struct { uint64_t state; } rng;

static inline uint64_t rng_next(rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1), 24 bits. */
static inline float rng_uniform(rng *r) { return (float)(rng_next(r) >> 40) * 0x1.0p-24f; }

/* Standard normal (Box-Muller; the first uniform is kept above 0). */
static inline float rng_normal(rng *r)
{
    float u = 1.0f - rng_uniform(r), v = rng_uniform(r);
    return sqrtf(-2.0f * logf(u)) * cosf(6.2831853f * v);
}

/* Uniform in [0, n), n > 0 (a 32-bit multiply-shift; its bias, below n / 2^32, is negligible here). */
static inline uint32_t rng_below(rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Fisher-Yates shuffle. */
static inline void rng_shuffle(rng *r, int *a, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rng_below(r, (uint32_t)i + 1);
        int t = a[i]; a[i] = a[j]; a[j] = t;
    }
}

#endif
