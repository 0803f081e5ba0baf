// The GPU backend's kernels. Each is a thin loop around the per-element
// functions of hd/index.h (the same index math the CPU tests check) or a
// few lines of elementwise work. Reductions (bias gradient, loss sums) run in
// one block (an fc's bias gradient: one warp) per output with a fixed tree:
// no atomics, the same result on every run.
#include "hd/loss.h"
#include "gpu_launch.cuh"

__global__ void im2col_kernel(const float *x, cnn_window g, float *cols, long total)
{
    int ncols = cnn_cols_cols(g);
    GRID_STRIDE(i, total) cols[i] = cnn_im2col_at(x, g, (int)(i / ncols), (int)(i % ncols));
}

__global__ void col2im_kernel(const float *cols, cnn_window g, float *x, long total)
{
    GRID_STRIDE(i, total) x[i] = cnn_col2im_at(cols, g, (int)i);
}

__global__ void pool_fwd_kernel(const float *x, cnn_window g, float *y, long total)
{
    GRID_STRIDE(i, total) y[i] = cnn_pool_fwd_at(x, g, (int)i);
}

__global__ void pool_bwd_kernel(const float *dy, cnn_window g, float *dx, long total)
{
    GRID_STRIDE(i, total) dx[i] = cnn_pool_bwd_at(dy, g, (int)i);
}

__global__ void relu_fwd_kernel(const float *x, float *y, long n)
{
    GRID_STRIDE(i, n) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

__global__ void relu_bwd_kernel(const float *y, const float *dy, float *dx, long n)
{
    GRID_STRIDE(i, n) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

__global__ void bias_add_kernel(float *y, const float *b, int ch, int inner, long n)
{
    GRID_STRIDE(i, n) y[i] += b[cnn_channel_of(i, ch, inner)];
}

// The bias gradient in two fixed-order passes, so it is deterministic and
// still spreads over the chip: pass 1 gives each channel BIAS_PARTS blocks,
// each summing a fixed slice of that channel's outer x inner entries; pass 2
// adds a channel's parts in order.
#define BIAS_PARTS 32

__global__ void bias_grad_parts_kernel(const float *dy, float *parts, int outer, int ch,
                                       int inner)
{
    int c = blockIdx.x, p = blockIdx.y;
    long count = (long)outer * inner;
    long lo = count * p / BIAS_PARTS, hi = count * (p + 1) / BIAS_PARTS;
    float sum = 0.0f;
    for (long j = lo + threadIdx.x; j < hi; j += blockDim.x)
        sum += dy[cnn_channel_elem(c, j, ch, inner)];
    sum = block_sum(sum);
    if (threadIdx.x == 0) parts[c * BIAS_PARTS + p] = sum;
}

__global__ void bias_grad_sum_kernel(const float *parts, float *db, int ch)
{
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= ch) return;
    float sum = 0.0f;
    for (int p = 0; p < BIAS_PARTS; p++) sum += parts[c * BIAS_PARTS + p];
    db[c] = sum;
}

// An fc layer's bias gradient (inner 1: dy is outer rows of ch outputs) in
// one launch: one warp per output, lane l summing rows l, l + 32, l + 64, ...
// in order, then a fixed shuffle tree (the same bits on every run). The
// conv path above would spend BIAS_PARTS blocks of 256 threads on each
// output's few dozen rows.
#define WARP 32
#define FC_BIAS_WARPS (THREADS / WARP)

__global__ void fc_bias_grad_kernel(const float *dy, float *db, int outer, int ch)
{
    int c = blockIdx.x * FC_BIAS_WARPS + threadIdx.x / WARP, lane = threadIdx.x % WARP;
    if (c >= ch) return; // c is the same for the whole warp: it leaves together
    float sum = 0.0f;
    for (long o = lane; o < outer; o += WARP) sum += dy[cnn_channel_elem(c, o, ch, 1)];
    for (int offset = WARP / 2; offset > 0; offset /= 2)
        sum += __shfl_down_sync(0xffffffffu, sum, offset);
    if (lane == 0) db[c] = sum;
}

__global__ void swap_axes_kernel(const float *x, float *y, int a, int b, int inner, long n)
{
    GRID_STRIDE(i, n) y[i] = x[cnn_swap_src(i, a, b, inner)];
}

// Adds this block's loss and correct count to stats, in a fixed order.
__device__ void add_stats(double loss, int correct, double *stats)
{
    __shared__ double loss_part[THREADS];
    __shared__ int correct_part[THREADS];
    loss_part[threadIdx.x] = loss;
    correct_part[threadIdx.x] = correct;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s /= 2) {
        if (threadIdx.x < s) {
            loss_part[threadIdx.x] += loss_part[threadIdx.x + s];
            correct_part[threadIdx.x] += correct_part[threadIdx.x + s];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        stats[STAT_LOSS] += loss_part[0];
        stats[STAT_CORRECT] += correct_part[0];
    }
}

// One block; a thread per row, each through its function of hd/loss.h (the
// CPU loop's very math), in double, so no finite score overflows.
__global__ void loss_kernel(int kind, const float *scores, const int *labels, int n, int k,
                            float *grad, double *stats, int *pred)
{
    double loss = 0.0;
    int correct = 0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        int best = cnn_loss_row(kind, scores + (long)i * k, k, labels[i], n,
                                grad ? grad + (long)i * k : NULL, &loss);
        correct += best == labels[i];
        if (pred) pred[i] = best;
    }
    add_stats(loss, correct, stats);
}

// Every parameter in one launch; the per-element rules (hd/optim.h) round
// each operation as the CPU does (hd/fround.h), and Adam's bias
// corrections come from the step counter in device memory, so a captured
// step replays correctly at every step.
__global__ void optim_kernel(cnn_optim o, float *w, const float *g, float *m, float *v,
                             const unsigned char *mask, long n, const float *lr_ptr,
                             const unsigned long long *step)
{
    float lr = *lr_ptr;
    cnn_adam_scale s = {0.0f, 1.0f};
    if (cnn_optim_keeps_moment2(o.kind)) s = cnn_adam_scales(&o, lr, *step);
    GRID_STRIDE(i, n) cnn_optim_at(&o, w, g, m, v, mask, i, lr, s);
}

__global__ void set_lr_kernel(cnn_schedule s, const unsigned long long *step, float *lr)
{
    *lr = cnn_schedule_lr(&s, *step);
}

// One thread per element of the C x N x plane batch (hd/gather.h).
__global__ void gather_kernel(const unsigned char *images, const unsigned char *labels,
                              const int *index, const int *cursor, int n, int channels,
                              int plane, const float *norm, float *x, int *y, long total)
{
    const int *batch = index + *cursor;
    GRID_STRIDE(o, total) {
        cnn_batch_at at = cnn_batch_where(o, n, plane);
        int src = batch[at.i];
        x[o] = cnn_scale_input((float)images[cnn_sample_plane(src, channels, at.c, plane) + at.p],
                               norm, channels, at.c);
        if (at.c == 0 && at.p == 0) y[at.i] = labels[src];
    }
}

__global__ void advance_kernel(int *cursor, int n) { *cursor += n; }

void gpu_im2col(const float *x, cnn_window g, float *cols)
{
    long total = (long)cnn_cols_rows(g) * cnn_cols_cols(g);
    LAUNCH(im2col_kernel, total, x, g, cols, total);
}

void gpu_col2im(const float *cols, cnn_window g, float *x)
{
    long total = (long)g.c * g.n * g.h * g.w;
    LAUNCH(col2im_kernel, total, cols, g, x, total);
}

void gpu_pool_fwd(const float *x, cnn_window g, float *y)
{
    long total = (long)g.c * g.n * g.oh * g.ow;
    LAUNCH(pool_fwd_kernel, total, x, g, y, total);
}

void gpu_pool_bwd(const float *dy, cnn_window g, float *dx)
{
    long total = (long)g.c * g.n * g.h * g.w;
    LAUNCH(pool_bwd_kernel, total, dy, g, dx, total);
}

void gpu_relu_fwd(const float *x, float *y, long n) { LAUNCH(relu_fwd_kernel, n, x, y, n); }

void gpu_relu_bwd(const float *y, const float *dy, float *dx, long n)
{
    LAUNCH(relu_bwd_kernel, n, y, dy, dx, n);
}

void gpu_bias_add(float *y, const float *b, int outer, int ch, int inner)
{
    long n = (long)outer * ch * inner;
    LAUNCH(bias_add_kernel, n, y, b, ch, inner, n);
}

void gpu_bias_grad(const float *dy, float *db, int outer, int ch, int inner)
{
    if (ch <= 0) return;
    if (inner == 1) {
        LAUNCH_PER_BLOCK(fc_bias_grad_kernel, (ch + FC_BIAS_WARPS - 1) / FC_BIAS_WARPS, dy, db,
                         outer, ch);
        return;
    }
    float *parts = gpu_scratch(sizeof(float) * BIAS_PARTS * ch);
    bias_grad_parts_kernel<<<dim3(ch, BIAS_PARTS), THREADS, 0, gpu_stream>>>(dy, parts, outer,
                                                                             ch, inner);
    LAUNCH_CHECK(bias_grad_parts_kernel);
    bias_grad_sum_kernel<<<gpu_blocks(ch, THREADS), THREADS, 0, gpu_stream>>>(parts, db, ch);
    LAUNCH_CHECK(bias_grad_sum_kernel);
}

void gpu_swap_axes(const float *x, float *y, int a, int b, int inner)
{
    long n = (long)a * b * inner;
    LAUNCH(swap_axes_kernel, n, x, y, a, b, inner, n);
}

void gpu_softmax_xent(const float *scores, const int *labels, int n, int k, float *grad,
                      double *stats, int *pred)
{
    loss_kernel<<<1, THREADS, 0, gpu_stream>>>(CNN_LOSS_SOFTMAX_XENT, scores, labels, n, k, grad,
                                               stats, pred);
    LAUNCH_CHECK(loss_kernel);
}

void gpu_euclid(const float *scores, const int *labels, int n, int k, float *grad,
                double *stats, int *pred)
{
    loss_kernel<<<1, THREADS, 0, gpu_stream>>>(CNN_LOSS_EUCLID, scores, labels, n, k, grad, stats,
                                               pred);
    LAUNCH_CHECK(loss_kernel);
}

void gpu_optim(cnn_optim o, float *w, const float *g, float *m, float *v,
               const unsigned char *decay_mask, long n, const float *lr,
               const unsigned long long *step)
{
    LAUNCH(optim_kernel, n, o, w, g, m, v, decay_mask, n, lr, step);
}

void gpu_set_lr(cnn_schedule s, const unsigned long long *step, float *lr)
{
    set_lr_kernel<<<1, 1, 0, gpu_stream>>>(s, step, lr);
    LAUNCH_CHECK(set_lr_kernel);
}

void gpu_gather(const unsigned char *images, const unsigned char *labels, const int *index,
                const int *cursor, int n, int channels, int plane, const float *norm, float *x,
                int *y)
{
    long total = (long)n * channels * plane;
    LAUNCH(gather_kernel, total, images, labels, index, cursor, n, channels, plane, norm, x, y,
           total);
}

void gpu_advance(int *cursor, int n)
{
    advance_kernel<<<1, 1, 0, gpu_stream>>>(cursor, n);
    LAUNCH_CHECK(advance_kernel);
}

