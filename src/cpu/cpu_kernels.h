/* The CPU backend's private header: its ops (cpu_<op>, one for each row of
 * ops.h, declared from the rows), the direct convolution kernels of
 * cpu_conv.c, and the thresholds its loops share. */
#ifndef CNN_CPU_KERNELS_H
#define CNN_CPU_KERNELS_H

#include "ops.h"

/* Below this many elements a loop is not worth waking the other threads for. */
#define PAR_MIN 32768

/* Weight gradients are summed per block of samples, at most GRAD_BLOCKS
 * blocks fixed by the batch size alone, and the blocks added in order: the
 * same bits on any number of threads, so that the thread count may follow
 * the machine's load (cpu_ops.c) without changing a run's results. */
#define GRAD_BLOCKS 8

/* Stride 1, pad <= k - 1 (the input gradient is then a convolution of dy
 * padded by k - 1 - pad), and an output that is not empty. The CPU backend
 * lowers other convolutions through im2col. */
int conv_direct_fits(cnn_window g);
void conv_direct_fwd(const float *x, cnn_window g, const float *w, const float *b, int cout,
                     float *y);
void conv_direct_bwd(const float *x, cnn_window g, const float *w, int cout, const float *dy,
                     float *dw, float *db, float *dx);

/* The CPU backend's op cpu_<op> for every row of ops.h (same contract),
 * in the file that says what it computes: cpu_ops.c (products, im2col and
 * col2im, whole convolutions, the small elementwise ops, the batch
 * gathers), cpu_pool.c, cpu_layers.c, cpu_loss.c and cpu_optim.c. */
#define CPU_OP_PROTOTYPE(op, ...) void cpu_##op(CNN_PARAMS(__VA_ARGS__));
CNN_COMPUTE_OPS(CPU_OP_PROTOTYPE)
CNN_OPTIONAL_OPS(CPU_OP_PROTOTYPE)
#undef CPU_OP_PROTOTYPE

#endif
