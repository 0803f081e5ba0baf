/* Eight-float vectors for the CPU kernels (cpu_conv.c, cpu_pool.c),
 * written with GCC's portable vector extension (GCC and clang): AVX2 or
 * AVX-512 registers here, pairs of SSE registers on a machine without. */
#ifndef CNN_CPU_VEC_H
#define CNN_CPU_VEC_H

#include <string.h>

enum { VL = 8 };
typedef float vf8 __attribute__((vector_size(VL * sizeof(float))));

static inline vf8 load8(const float *p)
{
    vf8 v;
    memcpy(&v, p, sizeof v); /* one unaligned load */
    return v;
}

static inline void store8(float *p, vf8 v) { memcpy(p, &v, sizeof v); }

static inline vf8 splat(float a) { return (vf8){a, a, a, a, a, a, a, a}; }

/* GCC otherwise folds a loaded vector into every multiply-add that uses it,
 * loading it again each time: the convolution's weight gradient ran at a
 * third of its speed, bound by loads. An empty asm that "changes" v keeps
 * it in a register. (Without AVX, as in the sanitizer build, a vf8 is two
 * registers and the hint is left out.) */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__AVX__)
#define IN_REGISTER(v) __asm__("" : "+v"(v)) /* a vf8 fits one register with AVX */
#else
#define IN_REGISTER(v) ((void)0)
#endif

/* Lane shuffles (GCC 12 and clang have __builtin_shufflevector); without
 * them the pooling kernels keep to scalar loops. */
#if defined(__has_builtin)
#if __has_builtin(__builtin_shufflevector)
#define CNN_HAVE_SHUFFLE 1
#endif
#endif

#endif
