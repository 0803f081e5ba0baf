/* The table of primitive operations every layer and the training loop are
 * written against. The CPU backend (src/cpu_ops.c) and the GPU backend
 * (kernels/) each fill one; choosing a device is choosing a table, once.
 *
 * Every pointer handed to an op lives in that backend's memory (from its
 * alloc). Matrices are row-major and contiguous. */
#ifndef CNN_OPS_H
#define CNN_OPS_H

#include <stddef.h>
#include "hd/augment.h"
#include "hd/index.h"
#include "hd/optim.h"
#include "hd/schedule.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Index of the two running sums a loss op adds to (in backend memory). */
enum { STAT_LOSS = 0, STAT_CORRECT = 1, STAT_COUNT = 2 };

typedef struct cnn_ops {
    const char *name;   /* "cpu" or "gpu" */

    /* Memory. alloc never returns NULL: it exits with a message naming what
     * was asked for (`what`) and how much. */
    void *(*alloc)(size_t bytes, const char *what);
    void (*free)(void *p);
    void (*upload)(void *dst, const void *host_src, size_t bytes);
    void (*download)(void *host_dst, const void *src, size_t bytes);
    void (*zero)(void *p, size_t bytes);
    void (*sync)(void);

    /* C[m x n] = alpha * op(A) * op(B) + beta * C; op(A) is m x k and is A^T
     * when ta is set (A then stored k x m); likewise op(B) is k x n. */
    void (*gemm)(int ta, int tb, int m, int n, int k, float alpha, const float *a,
                 const float *b, float beta, float *c);

    /* Feature Matrix of x (g.c*g.k*g.k rows, g.n*g.oh*g.ow columns), and its
     * adjoint: col2im overwrites x with the sums of the columns' entries. */
    void (*im2col)(const float *x, cnn_window g, float *cols);
    void (*col2im)(const float *cols, cnn_window g, float *x);

    /* Pooling windows follow Caffe and PyTorch's ceil_mode (g from
     * cnn_pool_window_make: the output side is rounded up, see cnn_index.h).
     * Average pooling over every (channel, sample) plane; padding counts as
     * 0 and the divisor is Caffe's: the window's cells inside the padded
     * input (k*k unless the window hangs past the bottom/right padding). */
    void (*pool_fwd)(const float *x, cnn_window g, float *y);
    void (*pool_bwd)(const float *dy, cnn_window g, float *dx);

    /* Max pooling: y = the largest input of each window (padding never
     * wins); arg = the window offset ky*k + kx of its first largest input in
     * window order (row by row), so ties are defined. Backward is a gather:
     * dx[i] = the sum of dy over the windows whose arg points at input i. */
    void (*maxpool_fwd)(const float *x, cnn_window g, float *y, int *arg);
    void (*maxpool_bwd)(const float *dy, const int *arg, cnn_window g, float *dx);

    /* Global average pooling: y[p] = the mean of plane p's `size` values,
     * for `planes` contiguous planes; dx[p][j] = dy[p] / size. */
    void (*gap_fwd)(const float *x, long planes, int size, float *y);
    void (*gap_bwd)(const float *dy, long planes, int size, float *dx);

    /* Elementwise activations (kind: CNN_ACT_TANH, CNN_ACT_SIGMOID or
     * CNN_ACT_LRELU with its slope; see cnn_act.h). Backward takes the
     * forward's input x and output y: dx = dy * f'(x). */
    void (*act_fwd)(int kind, float slope, const float *x, float *y, long n);
    void (*act_bwd)(int kind, float slope, const float *x, const float *y, const float *dy,
                    float *dx, long n);

    /* Inverted dropout with drop probability p: element i of the n is kept
     * when cnn_dropout_keep(seed, *step, salt, i, p) (cnn_dropout.h), and
     * then y = x / (1 - p), else 0. The step is read from backend memory,
     * so a captured step draws a new mask every replay. Backward applies
     * the same mask and scale to dy. */
    void (*dropout_fwd)(const float *x, float *y, long n, float p, unsigned long long seed,
                        const unsigned long long *step, int salt);
    void (*dropout_bwd)(const float *dy, float *dx, long n, float p, unsigned long long seed,
                        const unsigned long long *step, int salt);
    /* *step += 1 (in backend memory; once per training step). */
    void (*count_step)(unsigned long long *step);

    /* Batch normalization over x laid out outer x ch x inner (a conv output
     * 1 x C x N*H*W, an fc output N x F x 1), per channel over its
     * outer*inner values, in a fixed order (no atomics).
     *   bn_fwd_train: batch mean and biased variance; mean and invstd
     *   (1/sqrt(var + eps)) are saved for backward; y = gamma * (x - mean) *
     *   invstd + beta; the running averages move as PyTorch's:
     *   run = (1 - momentum) * run + momentum * batch value, the variance
     *   unbiased (times m / (m - 1), m = outer*inner; as is when m = 1).
     *   bn_fwd_eval: the same with run_mean and run_var, nothing updated.
     *   bn_bwd: dgamma = sum dy * xhat, dbeta = sum dy (overwritten), and,
     *   where dx is not NULL, dx = gamma * invstd / m * (m * dy - dbeta -
     *   xhat * dgamma). */
    void (*bn_fwd_train)(const float *x, int outer, int ch, int inner, const float *gamma,
                         const float *beta, float eps, float momentum, float *mean,
                         float *invstd, float *run_mean, float *run_var, float *y);
    void (*bn_fwd_eval)(const float *x, int outer, int ch, int inner, const float *gamma,
                        const float *beta, float eps, const float *run_mean,
                        const float *run_var, float *y);
    void (*bn_bwd)(const float *x, const float *dy, int outer, int ch, int inner,
                   const float *gamma, const float *mean, const float *invstd, float *dgamma,
                   float *dbeta, float *dx);

    void (*relu_fwd)(const float *x, float *y, long n);
    /* dx = dy where the forward output y > 0, else 0. */
    void (*relu_bwd)(const float *y, const float *dy, float *dx, long n);

    /* y is outer x ch x inner: y[o][c][i] += b[c]; db[c] = sum of dy[.][c][.]
     * (overwritten). A conv output is 1 x C x (N*H*W); a linear one N x O x 1. */
    void (*bias_add)(float *y, const float *b, int outer, int ch, int inner);
    void (*bias_grad)(const float *dy, float *db, int outer, int ch, int inner);

    /* y (b x a x inner) = x (a x b x inner) with the two outer axes swapped. */
    void (*swap_axes)(const float *x, float *y, int a, int b, int inner);

    /* Losses over n rows of k scores and n labels. Each adds the sum of the
     * rows' losses to stats[STAT_LOSS] and the count of rows whose largest
     * score is the label to stats[STAT_CORRECT]; writes the gradient of the
     * MEAN loss to grad (n x k) and each row's arg-max to pred, where those
     * are not NULL.
     *   softmax_xent: -log softmax(s)[label], max subtracted before exp.
     *   euclid: 0.5 * ||s - onehot(label)||^2. */
    void (*softmax_xent)(const float *scores, const int *labels, int n, int k,
                         float *grad, double *stats, int *pred);
    void (*euclid)(const float *scores, const int *labels, int n, int k,
                   float *grad, double *stats, int *pred);

    /* *lr = cnn_schedule_lr(&s, *step) (cnn_schedule.h): the step's learning
     * rate, computed in backend memory from the step counter. */
    void (*set_lr)(cnn_schedule s, const unsigned long long *step, float *lr);

    /* One fused update of n parameters w with gradients g by optimizer o
     * (cnn_optim.h): m is the momentum / first moment, v Adam's second
     * moment (may be NULL for sgd and nesterov); decay_mask (may be NULL:
     * all decay) is 1 where weight decay applies, 0 where it does not; lr
     * and the step count (steps done before this one: Adam's bias
     * correction uses t = *step + 1) are read from backend memory. */
    void (*optim)(cnn_optim o, float *w, const float *g, float *m, float *v,
                  const unsigned char *decay_mask, long n, const float *lr,
                  const unsigned long long *step);

    /* A batch from a data set kept as bytes: with c = *cursor (in backend
     * memory), x[i][d] = images[index[c+i]][d] * scale + shift and
     * y[i] = labels[index[c+i]], for i < n and d < dim. advance adds n to
     * *cursor. A step reads its position from memory, not from an argument,
     * so the same captured step serves every batch of an epoch. */
    void (*gather)(const unsigned char *images, const unsigned char *labels,
                   const int *index, const int *cursor, int n, int dim, float scale,
                   float shift, float *x, int *y);
    void (*advance)(int *cursor, int n);
    /* gather with augmentation (cnn_augment.h): images are h x w bytes;
     * sample i of the batch is transformed by the draw for (seed, *step, i),
     * pixels from outside the image reading the byte 0 (the background). */
    void (*gather_aug)(const unsigned char *images, const unsigned char *labels,
                       const int *index, const int *cursor, int n, int h, int w, float scale,
                       float shift, cnn_augment a, unsigned long long seed,
                       const unsigned long long *step, float *x, int *y);

    /* Optional whole convolutions (NULL: the net composes im2col, gemm, bias
     * and col2im itself, as on the GPU). x is c x n x h x w (g), w is
     * cout x (c*k*k), y and dy are cout x n x oh x ow.
     *   conv_fwd: y = w * im2col(x) + b.
     *   conv_bwd: dw = dy * im2col(x)^T, db = the sums of dy's rows, and, where
     *   dx is not NULL, dx = col2im(w^T * dy); dw, db, dx are overwritten. */
    void (*conv_fwd)(const float *x, cnn_window g, const float *w, const float *b, int cout,
                     float *y);
    void (*conv_bwd)(const float *x, cnn_window g, const float *w, int cout, const float *dy,
                     float *dw, float *db, float *dx);

    /* Milliseconds that body(ctx) takes on this backend, measured in stream
     * order (CUDA events on the GPU, the host clock on the CPU). */
    double (*time_ms)(void (*body)(void *ctx), void *ctx);

    /* Optional (NULL on the CPU): the ops issued between capture_begin and
     * capture_end are recorded, not run, as one graph that replay runs. */
    void (*capture_begin)(void);
    void *(*capture_end)(void);
    void (*replay)(void *graph);
    void (*graph_free)(void *graph);
} cnn_ops;

#ifdef __cplusplus
}
#endif
#endif
