/* Dropout's mask, per element, for both backends (see hd/qualifier.h): a
 * counter-based generator, so element i's draw is a pure function of (seed,
 * step, salt, i). No generator state to carry or capture: the step counter
 * in backend memory gives each training step a new mask, the salt each
 * dropout layer its own, and backward recomputes forward's mask instead of
 * storing it. Integer arithmetic only, so the CPU and the GPU draw the same
 * bits. */
#ifndef CNN_DROPOUT_H
#define CNN_DROPOUT_H

#include "hd/qualifier.h"

/* splitmix64's increment and finalizer (as rng.h): consecutive inputs give
 * well-mixed, uncorrelated outputs. */
#define CNN_GOLDEN64 0x9E3779B97F4A7C15ull

CNN_HD unsigned long long cnn_mix64(unsigned long long z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* 32 random bits for element i: the four inputs folded in one at a time,
 * each through the finalizer (the first three are the same for every
 * element, and the compiler hoists them out of a CPU loop). */
CNN_HD unsigned int cnn_dropout_bits(unsigned long long seed, unsigned long long step, int salt,
                                     unsigned long long i)
{
    unsigned long long z = cnn_mix64(seed + CNN_GOLDEN64);
    z = cnn_mix64(z + (step + 1) * CNN_GOLDEN64);
    z = cnn_mix64(z + ((unsigned long long)(unsigned int)salt + 1) * CNN_GOLDEN64);
    return (unsigned int)(cnn_mix64(z + (i + 1) * CNN_GOLDEN64) >> 32);
}

/* 1 when element i is kept: its top 24 bits are at least p * 2^24 (exact
 * in float, truncated alike on both sides), so the keep probability is
 * 1 - p to within 2^-24; p = 0 keeps everything, p = 1 nothing. */
CNN_HD int cnn_dropout_keep(unsigned long long seed, unsigned long long step, int salt,
                            unsigned long long i, float p)
{
    unsigned int threshold = (unsigned int)(p * 16777216.0f);
    return (cnn_dropout_bits(seed, step, salt, i) >> 8) >= threshold;
}

/* Inverted dropout of element i (forward on x, or backward on dy): kept
 * values scaled by 1 / (1 - p), so the expected output is the input and
 * evaluation needs no scaling; dropped ones 0. */
CNN_HD float cnn_dropout_at(float v, unsigned long long seed, unsigned long long step, int salt,
                            unsigned long long i, float p)
{
    return cnn_dropout_keep(seed, step, salt, i, p) ? v / (1.0f - p) : 0.0f;
}

#endif
