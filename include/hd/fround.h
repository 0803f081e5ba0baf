/* Arithmetic rounded after every operation on both backends, for the
 * per-element code whose CPU and GPU results must be the same bits: nvcc
 * fuses a multiply and an add into one FMA (one rounding) unless told not
 * to, while the CPU build (ISO C11, -ffp-contract=off) fuses nothing. */
#ifndef CNN_FROUND_H
#define CNN_FROUND_H

#include "hd/qualifier.h"

#ifdef __CUDA_ARCH__
CNN_HD float cnn_fmul(float a, float b) { return __fmul_rn(a, b); }
CNN_HD float cnn_fadd(float a, float b) { return __fadd_rn(a, b); }
CNN_HD float cnn_fsub(float a, float b) { return __fsub_rn(a, b); }
CNN_HD double cnn_dmul(double a, double b) { return __dmul_rn(a, b); }
CNN_HD double cnn_dadd(double a, double b) { return __dadd_rn(a, b); }
#else
CNN_HD float cnn_fmul(float a, float b) { return a * b; }
CNN_HD float cnn_fadd(float a, float b) { return a + b; }
CNN_HD float cnn_fsub(float a, float b) { return a - b; }
CNN_HD double cnn_dmul(double a, double b) { return a * b; }
CNN_HD double cnn_dadd(double a, double b) { return a + b; }
#endif

/* b^t by repeated squaring: multiplications only, so both backends get the
 * same bits (a library pow may differ in the last place). */
CNN_HD double cnn_pow_u64(double b, unsigned long long t)
{
    double r = 1.0;
    while (t) {
        if (t & 1) r = cnn_dmul(r, b);
        b = cnn_dmul(b, b);
        t >>= 1;
    }
    return r;
}

#endif
