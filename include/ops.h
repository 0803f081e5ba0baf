/* The table of primitive operations every layer and the training loop are
 * written against. The CPU backend (src/cpu/) and the GPU backend
 * (kernels/) each fill one; choosing a device is choosing a table, once.
 *
 * Every pointer handed to an op lives in that backend's memory (from its
 * alloc). Matrices are row-major and contiguous.
 *
 * The ops are the rows of CNN_COMPUTE_OPS below (and CNN_OPTIONAL_OPS), each
 * with its contract above it: the op's name and its arguments, in order,
 * each marked VAL (a plain value) or MEM (a pointer into backend memory; see
 * op_args.h). Everything else is generated from the rows: this table's
 * members, the CPU backend's prototypes and table (src/cpu/cpu_kernels.h,
 * src/cpu/cpu_ops.c), the GPU backend's launcher prototypes and table
 * (kernels/gpu.h, kernels/gpu_backend.cu), and the capture-checking test
 * backend's recorder (tests/capture_ops_table.c), which checks exactly the
 * MEM arguments. A new op is its row here, its per-element math in
 * include/hd/ (shared by both backends), its CPU loop (cpu_<op>) and its
 * kernel with its launcher (gpu_<op>). The memory and graph calls are
 * written out by hand in the struct. */
#ifndef CNN_OPS_H
#define CNN_OPS_H

#include <stddef.h>
#include "hd/augment.h"
#include "hd/gather.h"
#include "hd/index.h"
#include "hd/optim.h"
#include "hd/schedule.h"
#include "op_args.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Index of the two running sums a loss op adds to (in backend memory). */
enum { STAT_LOSS = 0, STAT_CORRECT = 1, STAT_COUNT = 2 };

/* Every op: X(name, arguments...), in the table's order. */
#define CNN_COMPUTE_OPS(X)                                                                         \
    /* C[m x n] = alpha * op(A) * op(B) + beta * C; op(A) is m x k and is A^T                      \
     * when ta is set (A then stored k x m); likewise op(B) is k x n. */                           \
    X(gemm, VAL(int, ta), VAL(int, tb), VAL(int, m), VAL(int, n), VAL(int, k), VAL(float, alpha),  \
      MEM(const float *, a), MEM(const float *, b), VAL(float, beta), MEM(float *, c))             \
                                                                                                   \
    /* Feature Matrix of x (g.c*g.k*g.k rows, g.n*g.oh*g.ow columns), and its                      \
     * adjoint: col2im overwrites x with the sums of the columns' entries. */                      \
    X(im2col, MEM(const float *, x), VAL(cnn_window, g), MEM(float *, cols))                       \
    X(col2im, MEM(const float *, cols), VAL(cnn_window, g), MEM(float *, x))                       \
                                                                                                   \
    /* Pooling windows follow Caffe and PyTorch's ceil_mode (g from                                \
     * cnn_pool_window_make: the output side is rounded up, see hd/index.h).                       \
     * Average pooling over every (channel, sample) plane; padding counts as                       \
     * 0 and the divisor is Caffe's: the window's cells inside the padded                          \
     * input (k*k unless the window hangs past the bottom/right padding). */                       \
    X(pool_fwd, MEM(const float *, x), VAL(cnn_window, g), MEM(float *, y))                        \
    X(pool_bwd, MEM(const float *, dy), VAL(cnn_window, g), MEM(float *, dx))                      \
                                                                                                   \
    /* Max pooling: y = the largest input of each window (padding never                            \
     * wins); arg = the window offset ky*k + kx of its first largest input in                      \
     * window order (row by row), so ties are defined. Backward is a gather:                       \
     * dx[i] = the sum of dy over the windows whose arg points at input i. */                      \
    X(maxpool_fwd, MEM(const float *, x), VAL(cnn_window, g), MEM(float *, y), MEM(int *, arg))    \
    X(maxpool_bwd, MEM(const float *, dy), MEM(const int *, arg), VAL(cnn_window, g),              \
      MEM(float *, dx))                                                                            \
                                                                                                   \
    /* Global average pooling: y[p] = the mean of plane p's `size` values,                         \
     * for `planes` contiguous planes; dx[p][j] = dy[p] / size. */                                 \
    X(gap_fwd, MEM(const float *, x), VAL(long, planes), VAL(int, size), MEM(float *, y))          \
    X(gap_bwd, MEM(const float *, dy), VAL(long, planes), VAL(int, size), MEM(float *, dx))        \
                                                                                                   \
    /* Elementwise activations (kind: CNN_ACT_TANH, CNN_ACT_SIGMOID or                             \
     * CNN_ACT_LRELU with its slope; see hd/act.h). Backward takes the                             \
     * forward's input x and output y: dx = dy * f'(x). */                                         \
    X(act_fwd, VAL(int, kind), VAL(float, slope), MEM(const float *, x), MEM(float *, y),          \
      VAL(long, n))                                                                                \
    X(act_bwd, VAL(int, kind), VAL(float, slope), MEM(const float *, x), MEM(const float *, y),    \
      MEM(const float *, dy), MEM(float *, dx), VAL(long, n))                                      \
                                                                                                   \
    /* Inverted dropout with drop probability p: element i of the n is kept                        \
     * when cnn_dropout_keep(seed, *step, salt, i, p) (hd/dropout.h), and                          \
     * then y = x / (1 - p), else 0. The step is read from backend memory,                         \
     * so a captured step draws a new mask every replay. Backward applies                          \
     * the same mask and scale to dy. */                                                           \
    X(dropout_fwd, MEM(const float *, x), MEM(float *, y), VAL(long, n), VAL(float, p),            \
      VAL(unsigned long long, seed), MEM(const unsigned long long *, step), VAL(int, salt))        \
    X(dropout_bwd, MEM(const float *, dy), MEM(float *, dx), VAL(long, n), VAL(float, p),          \
      VAL(unsigned long long, seed), MEM(const unsigned long long *, step), VAL(int, salt))        \
    /* *step += 1 (in backend memory; once per training step). */                                  \
    X(count_step, MEM(unsigned long long *, step))                                                 \
                                                                                                   \
    /* Batch normalization over x laid out outer x ch x inner (a conv output                       \
     * 1 x C x N*H*W, an fc output N x F x 1), per channel over its                                \
     * outer*inner values, in a fixed order (no atomics).                                          \
     *   bn_fwd_train: batch mean and biased variance; mean and invstd                             \
     *   (1/sqrt(var + eps)) are saved for backward; y = gamma * (x - mean) *                      \
     *   invstd + beta; the running averages move as PyTorch's:                                    \
     *   run = (1 - momentum) * run + momentum * batch value, the variance                         \
     *   unbiased (times m / (m - 1), m = outer*inner; as is when m = 1).                          \
     *   bn_fwd_eval: the same with run_mean and run_var, nothing updated.                         \
     *   bn_bwd: dgamma = sum dy * xhat, dbeta = sum dy (overwritten), and,                        \
     *   where dx is not NULL, dx = gamma * invstd / m * (m * dy - dbeta -                         \
     *   xhat * dgamma). */                                                                        \
    X(bn_fwd_train, MEM(const float *, x), VAL(int, outer), VAL(int, ch), VAL(int, inner),         \
      MEM(const float *, gamma), MEM(const float *, beta), VAL(float, eps), VAL(float, momentum),  \
      MEM(float *, mean), MEM(float *, invstd), MEM(float *, run_mean), MEM(float *, run_var),     \
      MEM(float *, y))                                                                             \
    X(bn_fwd_eval, MEM(const float *, x), VAL(int, outer), VAL(int, ch), VAL(int, inner),          \
      MEM(const float *, gamma), MEM(const float *, beta), VAL(float, eps),                        \
      MEM(const float *, run_mean), MEM(const float *, run_var), MEM(float *, y))                  \
    X(bn_bwd, MEM(const float *, x), MEM(const float *, dy), VAL(int, outer), VAL(int, ch),        \
      VAL(int, inner), MEM(const float *, gamma), MEM(const float *, mean),                        \
      MEM(const float *, invstd), MEM(float *, dgamma), MEM(float *, dbeta), MEM(float *, dx))     \
                                                                                                   \
    /* y = max(x, 0); backward: dx = dy where the forward output y > 0, else 0. */                 \
    X(relu_fwd, MEM(const float *, x), MEM(float *, y), VAL(long, n))                              \
    X(relu_bwd, MEM(const float *, y), MEM(const float *, dy), MEM(float *, dx), VAL(long, n))     \
                                                                                                   \
    /* y is outer x ch x inner: y[o][c][i] += b[c]; db[c] = sum of dy[.][c][.]                     \
     * (overwritten). A conv output is 1 x C x (N*H*W); a linear one N x O x 1. */                 \
    X(bias_add, MEM(float *, y), MEM(const float *, b), VAL(int, outer), VAL(int, ch),             \
      VAL(int, inner))                                                                             \
    X(bias_grad, MEM(const float *, dy), MEM(float *, db), VAL(int, outer), VAL(int, ch),          \
      VAL(int, inner))                                                                             \
                                                                                                   \
    /* y (b x a x inner) = x (a x b x inner) with the two outer axes swapped. */                   \
    X(swap_axes, MEM(const float *, x), MEM(float *, y), VAL(int, a), VAL(int, b),                 \
      VAL(int, inner))                                                                             \
                                                                                                   \
    /* Losses over n rows of k scores and n labels, row by row as hd/loss.h                        \
     * computes them. Each adds the sum of the rows' losses to                                     \
     * stats[STAT_LOSS] and the count of rows whose largest score is the                           \
     * label to stats[STAT_CORRECT]; writes the gradient of the MEAN loss to                       \
     * grad (n x k) and each row's arg-max to pred, where those are not NULL.                      \
     *   softmax_xent: -log softmax(s)[label], max subtracted before exp.                          \
     *   euclid: 0.5 * ||s - onehot(label)||^2. */                                                 \
    X(softmax_xent, MEM(const float *, scores), MEM(const int *, labels), VAL(int, n),             \
      VAL(int, k), MEM(float *, grad), MEM(double *, stats), MEM(int *, pred))                     \
    X(euclid, MEM(const float *, scores), MEM(const int *, labels), VAL(int, n), VAL(int, k),      \
      MEM(float *, grad), MEM(double *, stats), MEM(int *, pred))                                  \
                                                                                                   \
    /* *lr = cnn_schedule_lr(&s, *step) (hd/schedule.h): the step's learning                       \
     * rate, computed in backend memory from the step counter. */                                  \
    X(set_lr, VAL(cnn_schedule, s), MEM(const unsigned long long *, step), MEM(float *, lr))       \
                                                                                                   \
    /* One fused update of n parameters w with gradients g by optimizer o                          \
     * (hd/optim.h): m is the momentum / first moment, v Adam's second                             \
     * moment (may be NULL for sgd and nesterov); decay_mask (may be NULL:                         \
     * all decay) is 1 where weight decay applies, 0 where it does not; lr                         \
     * and the step count (steps done before this one: Adam's bias                                 \
     * correction uses t = *step + 1) are read from backend memory. */                             \
    X(optim, VAL(cnn_optim, o), MEM(float *, w), MEM(const float *, g), MEM(float *, m),           \
      MEM(float *, v), MEM(const unsigned char *, decay_mask), VAL(long, n),                       \
      MEM(const float *, lr), MEM(const unsigned long long *, step))                               \
                                                                                                   \
    /* A batch from a data set kept as bytes (hd/gather.h): with c = *cursor                       \
     * (in backend memory), sample i < n is data-set sample index[c+i], its                        \
     * `channels` planes of `plane` bytes going to the C x N x plane batch x,                      \
     * each byte scaled by its channel's norm (the channels' scales, then                          \
     * their shifts), and y[i] = its label. advance adds n to *cursor. A step                      \
     * reads its position from memory, not from an argument, so the same                           \
     * captured step serves every batch of an epoch. */                                            \
    X(gather, MEM(const unsigned char *, images), MEM(const unsigned char *, labels),              \
      MEM(const int *, index), MEM(const int *, cursor), VAL(int, n), VAL(int, channels),          \
      VAL(int, plane), MEM(const float *, norm), MEM(float *, x), MEM(int *, y))                   \
    X(advance, MEM(int *, cursor), VAL(int, n))                                                    \
    /* gather with augmentation (hd/augment.h): each plane is h x w bytes;                         \
     * sample i of the batch is transformed by the draw for (seed, *step, i),                      \
     * the same for all its channels, pixels from outside the image reading                        \
     * the byte 0 (the background). */                                                            \
    X(gather_aug, MEM(const unsigned char *, images), MEM(const unsigned char *, labels),          \
      MEM(const int *, index), MEM(const int *, cursor), VAL(int, n), VAL(int, channels),          \
      VAL(int, h), VAL(int, w), MEM(const float *, norm), VAL(cnn_augment, a),                     \
      VAL(unsigned long long, seed), MEM(const unsigned long long *, step), MEM(float *, x),       \
      MEM(int *, y))

/* The ops a backend may leave NULL (the net then composes them from the others). */
#define CNN_OPTIONAL_OPS(X)                                                                        \
    /* Whole convolutions, optional: NULL where the net composes im2col,                           \
     * gemm, bias and col2im itself (the GPU, the capture-checking test                            \
     * backend). x is c x n x h x w (g), w is cout x (c*k*k), y and dy are                         \
     * cout x n x oh x ow.                                                                         \
     *   conv_fwd: y = w * im2col(x) + b.                                                          \
     *   conv_bwd: dw = dy * im2col(x)^T, db = the sums of dy's rows, and,                         \
     *   where dx is not NULL, dx = col2im(w^T * dy); dw, db, dx are                               \
     *   overwritten. */                                                                           \
    X(conv_fwd, MEM(const float *, x), VAL(cnn_window, g), MEM(const float *, w),                  \
      MEM(const float *, b), VAL(int, cout), MEM(float *, y))                                      \
    X(conv_bwd, MEM(const float *, x), VAL(cnn_window, g), MEM(const float *, w), VAL(int, cout),  \
      MEM(const float *, dy), MEM(float *, dw), MEM(float *, db), MEM(float *, dx))

/* The member a row becomes: void (*name)(its parameters). */
#define CNN_OP_MEMBER(op, ...) void (*op)(CNN_PARAMS(__VA_ARGS__));

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

    CNN_COMPUTE_OPS(CNN_OP_MEMBER)
    CNN_OPTIONAL_OPS(CNN_OP_MEMBER)

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
