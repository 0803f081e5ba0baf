/* The CPU backend's hand-written kernels, beside the ops table in
 * src/cpu_ops.c: stride-1 convolutions that read straight from a
 * zero-padded copy of each sample, with no Feature Matrix (src/cpu_conv.c),
 * average and max pooling (src/cpu_pool.c), and the other layers' ops
 * (src/cpu_layers.c). Same contracts as the ops of the same names in ops.h. */
#ifndef CNN_CPU_KERNELS_H
#define CNN_CPU_KERNELS_H

#include "hd/index.h"
#include "hd/optim.h"
#include "hd/schedule.h"

/* Below this many elements a loop is not worth waking the other threads for. */
#define PAR_MIN 32768

/* Weight gradients are summed per block of samples, at most GRAD_BLOCKS
 * blocks fixed by the batch size alone, and the blocks added in order: the
 * same bits on any number of threads, so that the thread count may follow
 * the machine's load (src/cpu_ops.c) without changing a run's results. */
#define GRAD_BLOCKS 8

/* Stride 1, pad <= k - 1 (the input gradient is then a convolution of dy
 * padded by k - 1 - pad), and an output that is not empty. The CPU backend
 * lowers other convolutions through im2col. */
int conv_direct_fits(cnn_window g);
void conv_direct_fwd(const float *x, cnn_window g, const float *w, const float *b, int cout,
                     float *y);
void conv_direct_bwd(const float *x, cnn_window g, const float *w, int cout, const float *dy,
                     float *dw, float *db, float *dx);

void cpu_pool_fwd(const float *x, cnn_window g, float *y);
void cpu_pool_bwd(const float *dy, cnn_window g, float *dx);
void cpu_maxpool_fwd(const float *x, cnn_window g, float *y, int *arg);
void cpu_maxpool_bwd(const float *dy, const int *arg, cnn_window g, float *dx);

void cpu_gap_fwd(const float *x, long planes, int size, float *y);
void cpu_gap_bwd(const float *dy, long planes, int size, float *dx);
void cpu_act_fwd(int kind, float slope, const float *x, float *y, long n);
void cpu_act_bwd(int kind, float slope, const float *x, const float *y, const float *dy,
                 float *dx, long n);
/* Both dropout_fwd and dropout_bwd: the same mask and scale. */
void cpu_dropout(const float *x, float *y, long n, float p, unsigned long long seed,
                 const unsigned long long *step, int salt);
void cpu_count_step(unsigned long long *step);
void cpu_bn_fwd_train(const float *x, int outer, int ch, int inner, const float *gamma,
                      const float *beta, float eps, float momentum, float *mean, float *invstd,
                      float *run_mean, float *run_var, float *y);
void cpu_bn_fwd_eval(const float *x, int outer, int ch, int inner, const float *gamma,
                     const float *beta, float eps, const float *run_mean, const float *run_var,
                     float *y);
void cpu_bn_bwd(const float *x, const float *dy, int outer, int ch, int inner,
                const float *gamma, const float *mean, const float *invstd, float *dgamma,
                float *dbeta, float *dx);

/* src/cpu/cpu_loss.c: the losses' rows through hd/loss.h. */
void cpu_softmax_xent(const float *scores, const int *labels, int n, int k, float *grad,
                      double *stats, int *pred);
void cpu_euclid(const float *scores, const int *labels, int n, int k, float *grad,
                double *stats, int *pred);

/* src/cpu_optim.c: the optimizers' update and the step's learning rate. */
void cpu_optim(cnn_optim o, float *w, const float *g, float *m, float *v,
               const unsigned char *decay_mask, long n, const float *lr,
               const unsigned long long *step);
void cpu_set_lr(cnn_schedule s, const unsigned long long *step, float *lr);

#endif
