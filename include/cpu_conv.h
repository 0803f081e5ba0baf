/* Stride-1 convolutions on the CPU read straight from a zero-padded copy of
 * each sample, with no Feature Matrix (src/cpu_conv.c). The CPU backend's
 * conv_fwd and conv_bwd use them where conv_direct_fits, and lower the
 * convolution through im2col otherwise. Same contracts as ops.h's
 * conv_fwd and conv_bwd. */
#ifndef CNN_CPU_CONV_H
#define CNN_CPU_CONV_H

#include "cnn_index.h"

/* Stride 1, and pad <= k - 1 (the input gradient is then a convolution of
 * dy padded by k - 1 - pad). */
int conv_direct_fits(cnn_window g);

void conv_direct_fwd(const float *x, cnn_window g, const float *w, const float *b, int cout,
                     float *y);
void conv_direct_bwd(const float *x, cnn_window g, const float *w, int cout, const float *dy,
                     float *dw, float *db, float *dx);

#endif
