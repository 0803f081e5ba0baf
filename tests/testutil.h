/* Small helpers the test files share: seeded random fills and comparisons. */
#ifndef CNN_TESTUTIL_H
#define CNN_TESTUTIL_H

#include <math.h>
#include <stdlib.h>

#include "rng.h"

static inline float *rand_floats(rng *r, long n, float lo, float hi)
{
    float *p = malloc(sizeof(float) * (n ? n : 1));
    for (long i = 0; i < n; i++) p[i] = lo + (hi - lo) * rng_uniform(r);
    return p;
}

static inline float *nan_floats(long n)
{
    float *p = malloc(sizeof(float) * (n ? n : 1));
    for (long i = 0; i < n; i++) p[i] = NAN;
    return p;
}

/* |a - b| <= abs_tol + rel_tol * max(|a|, |b|); false for NaN. */
static inline int close_enough(double a, double b, double abs_tol, double rel_tol)
{
    double d = fabs(a - b), m = fmax(fabs(a), fabs(b));
    return d <= abs_tol + rel_tol * m;
}

#endif
