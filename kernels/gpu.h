/* What the GPU backend's files share: the stream every op runs on, and the
 * checks around every CUDA and cuBLAS call and every launch. */
#ifndef CNN_GPU_H
#define CNN_GPU_H

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "ops.h"

/* All work goes to one stream, so it runs in order and can be captured. */
extern cudaStream_t gpu_stream;

void gpu_fail(const char *what, const char *detail, const char *file, int line);

#define CUDA_CHECK(call)                                                              \
    do {                                                                              \
        cudaError_t err_ = (call);                                                    \
        if (err_ != cudaSuccess) gpu_fail(#call, cudaGetErrorString(err_), __FILE__, __LINE__); \
    } while (0)

#define CUBLAS_CHECK(call)                                                            \
    do {                                                                              \
        cublasStatus_t st_ = (call);                                                  \
        if (st_ != CUBLAS_STATUS_SUCCESS)                                             \
            gpu_fail(#call, cublasGetStatusString(st_), __FILE__, __LINE__);          \
    } while (0)

/* After every launch: a bad configuration shows here, not later. With
 * CNN_SYNC_LAUNCHES=1 in the environment (and --graph false) it also waits
 * for the kernel, so a fault inside one is reported at its own launch. */
void gpu_after_launch(const char *kernel, const char *file, int line);
#define LAUNCH_CHECK(kernel) gpu_after_launch(#kernel, __FILE__, __LINE__)

/* Device scratch of at least `bytes` for the kernels' two-pass reductions;
 * grows only outside graph capture (the first, eager step sizes it). */
float *gpu_scratch(size_t bytes);

/* Blocks for a grid-stride loop over n elements. */
static inline int gpu_blocks(long n, int threads)
{
    long b = (n + threads - 1) / threads;
    return (int)(b < 1 ? 1 : b > 65535 ? 65535 : b);
}

/* The kernel launchers that fill the ops table: gpu_kernels.cu's, then
 * gpu_layers.cu's. */
void gpu_im2col(const float *x, cnn_window g, float *cols);
void gpu_col2im(const float *cols, cnn_window g, float *x);
void gpu_pool_fwd(const float *x, cnn_window g, float *y);
void gpu_pool_bwd(const float *dy, cnn_window g, float *dx);
void gpu_relu_fwd(const float *x, float *y, long n);
void gpu_relu_bwd(const float *y, const float *dy, float *dx, long n);
void gpu_bias_add(float *y, const float *b, int outer, int ch, int inner);
void gpu_bias_grad(const float *dy, float *db, int outer, int ch, int inner);
void gpu_swap_axes(const float *x, float *y, int a, int b, int inner);
void gpu_softmax_xent(const float *scores, const int *labels, int n, int k, float *grad,
                      double *stats, int *pred);
void gpu_euclid(const float *scores, const int *labels, int n, int k, float *grad,
                double *stats, int *pred);
void gpu_optim(cnn_optim o, float *w, const float *g, float *m, float *v,
               const unsigned char *decay_mask, long n, const float *lr,
               const unsigned long long *step);
void gpu_set_lr(cnn_schedule s, const unsigned long long *step, float *lr);
void gpu_gather(const unsigned char *images, const unsigned char *labels, const int *index,
                const int *cursor, int n, int dim, float scale, float shift, float *x, int *y);
void gpu_advance(int *cursor, int n);
void gpu_gather_aug(const unsigned char *images, const unsigned char *labels, const int *index,
                    const int *cursor, int n, int h, int w, float scale, float shift,
                    cnn_augment a, unsigned long long seed, const unsigned long long *step,
                    float *x, int *y);
void gpu_maxpool_fwd(const float *x, cnn_window g, float *y, int *arg);
void gpu_maxpool_bwd(const float *dy, const int *arg, cnn_window g, float *dx);
void gpu_gap_fwd(const float *x, long planes, int size, float *y);
void gpu_gap_bwd(const float *dy, long planes, int size, float *dx);
void gpu_act_fwd(int kind, float slope, const float *x, float *y, long n);
void gpu_act_bwd(int kind, float slope, const float *x, const float *y, const float *dy,
                 float *dx, long n);
/* Both dropout_fwd and dropout_bwd: the same mask and scale. */
void gpu_dropout(const float *x, float *y, long n, float p, unsigned long long seed,
                 const unsigned long long *step, int salt);
void gpu_count_step(unsigned long long *step);
void gpu_bn_fwd_train(const float *x, int outer, int ch, int inner, const float *gamma,
                      const float *beta, float eps, float momentum, float *mean, float *invstd,
                      float *run_mean, float *run_var, float *y);
void gpu_bn_fwd_eval(const float *x, int outer, int ch, int inner, const float *gamma,
                     const float *beta, float eps, const float *run_mean, const float *run_var,
                     float *y);
void gpu_bn_bwd(const float *x, const float *dy, int outer, int ch, int inner,
                const float *gamma, const float *mean, const float *invstd, float *dgamma,
                float *dbeta, float *dx);

#endif
