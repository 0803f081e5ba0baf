/* Elementwise activations, per element, for both backends (see hd/qualifier.h):
 * the CPU loops and the GPU kernels call these, so the CPU tests check the
 * GPU's math too. */
#ifndef CNN_ACT_H
#define CNN_ACT_H

#include <math.h>

#include "hd/qualifier.h"

enum { CNN_ACT_TANH = 1, CNN_ACT_SIGMOID = 2, CNN_ACT_LRELU = 3 };

/* 1 / (1 + e^-x) with e raised only to -|x|, so no |x| overflows: for
 * x < 0 it is e^x / (1 + e^x), which keeps the tiny values of large
 * negative x instead of rounding 1 - sigmoid(|x|) to 0. */
CNN_HD float cnn_sigmoid(float x)
{
    float e = expf(-fabsf(x));
    return x >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

/* tanh from expf: the C library's tanhf (through expm1f) took over half of
 * a LeNet-5 epoch on the CPU. Near 0, where 1 - e^-2|x| would cancel, its
 * odd Taylor series to x^9 (the next term is below 2e-8 at |x| = 0.3);
 * elsewhere (1 - e) / (1 + e) with e = e^-2|x| <= 0.55, within a few ulps. */
CNN_HD float cnn_tanh(float x)
{
    float a = fabsf(x);
    if (a < 0.3f) {
        float x2 = x * x;
        return x * (1.0f + x2 * (-1.0f / 3 + x2 * (2.0f / 15 + x2 * (-17.0f / 315 +
                                                                    x2 * (62.0f / 2835)))));
    }
    float e = expf(-2.0f * a);
    return copysignf((1.0f - e) / (1.0f + e), x);
}

/* f(x). lrelu: x for x > 0, else slope * x. Any other kind is the identity. */
CNN_HD float cnn_act_fwd(int kind, float slope, float x)
{
    switch (kind) {
    case CNN_ACT_TANH: return cnn_tanh(x);
    case CNN_ACT_SIGMOID: return cnn_sigmoid(x);
    case CNN_ACT_LRELU: return x > 0.0f ? x : slope * x;
    default: return x;
    }
}

/* f'(x), from the forward's input x or output y, whichever is cheaper:
 * tanh' = 1 - y^2, sigmoid' = y (1 - y), lrelu' = 1 for x > 0, else slope. */
CNN_HD float cnn_act_grad(int kind, float slope, float x, float y)
{
    switch (kind) {
    case CNN_ACT_TANH: return 1.0f - y * y;
    case CNN_ACT_SIGMOID: return y * (1.0f - y);
    case CNN_ACT_LRELU: return x > 0.0f ? 1.0f : slope;
    default: return 1.0f;
    }
}

#endif
