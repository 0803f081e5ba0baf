/* Index arithmetic of im2col, col2im and pooling, written once.
 *
 * Every function here compiles as plain C (static inline) and as CUDA
 * (__host__ __device__), so the CPU tests in CI exercise the very index math
 * the GPU kernels run. Tensors in the spatial part of a net are stored CNHW:
 * element (c, n, y, x) of a C x N x H x W tensor sits at ((c*N + n)*H + y)*W + x,
 * so one im2col over the whole batch gives one Feature Matrix and one gemm. */
#ifndef CNN_INDEX_H
#define CNN_INDEX_H

#include "hd/qualifier.h"

/* A square window (a convolution's kernel or a pooling window) sliding over a
 * C x N x H x W tensor with a stride and zero padding. */
typedef struct {
    int c, n, h, w;     /* input: channels, batch, height, width */
    int k, stride, pad; /* window side, step, zero padding on every side */
    int oh, ow;         /* output height and width */
} cnn_window;

/* Output side for an input side, or 0 when the window does not fit. */
CNN_HD int cnn_out_side(int in, int k, int stride, int pad)
{
    if (in <= 0 || k <= 0 || stride <= 0 || pad < 0 || in + 2 * pad < k)
        return 0;
    return (in + 2 * pad - k) / stride + 1;
}

CNN_HD cnn_window cnn_window_make(int c, int n, int h, int w, int k, int stride, int pad)
{
    cnn_window g;
    g.c = c; g.n = n; g.h = h; g.w = w;
    g.k = k; g.stride = stride; g.pad = pad;
    g.oh = cnn_out_side(h, k, stride, pad);
    g.ow = cnn_out_side(w, k, stride, pad);
    return g;
}

/* Output side of a pooling window, rounded up as Caffe does, so a last
 * partial window is kept, less one when that window would start past the
 * input (in the bottom/right padding, or beyond it when the stride exceeds
 * the window): PyTorch's ceil_mode. Caffe drops it only when there is
 * padding, and then divides by 0. 0 when the window does not fit. */
CNN_HD int cnn_pool_out_side(int in, int k, int stride, int pad)
{
    if (in <= 0 || k <= 0 || stride <= 0 || pad < 0 || in + 2 * pad < k)
        return 0;
    int out = (in + 2 * pad - k + stride - 1) / stride + 1;
    if ((out - 1) * stride >= in + pad)
        out--;
    return out;
}

/* A pooling window: as cnn_window_make with the output sides of
 * cnn_pool_out_side. */
CNN_HD cnn_window cnn_pool_window_make(int c, int n, int h, int w, int k, int stride, int pad)
{
    cnn_window g = cnn_window_make(c, n, h, w, k, stride, pad);
    g.oh = cnn_pool_out_side(h, k, stride, pad);
    g.ow = cnn_pool_out_side(w, k, stride, pad);
    return g;
}

/* Feature Matrix shape: one row per (channel, ky, kx), one column per
 * (sample, oy, ox). */
CNN_HD int cnn_cols_rows(cnn_window g) { return g.c * g.k * g.k; }
CNN_HD int cnn_cols_cols(cnn_window g) { return g.n * g.oh * g.ow; }

/* Input coordinate that output coordinate o reads at window offset kk
 * (may fall in the padding: < 0 or >= the side). */
CNN_HD int cnn_in_coord(int o, int kk, int stride, int pad) { return o * stride - pad + kk; }

/* Element (row, col) of the Feature Matrix of x: the input value it copies,
 * or 0 where the window lies over the padding. */
CNN_HD float cnn_im2col_at(const float *x, cnn_window g, int row, int col)
{
    int kx = row % g.k, ky = (row / g.k) % g.k, c = row / (g.k * g.k);
    int ox = col % g.ow, oy = (col / g.ow) % g.oh, n = col / (g.ow * g.oh);
    int iy = cnn_in_coord(oy, ky, g.stride, g.pad);
    int ix = cnn_in_coord(ox, kx, g.stride, g.pad);
    if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w)
        return 0.0f;
    return x[((long)(c * g.n + n) * g.h + iy) * g.w + ix];
}

/* The range [*lo, *hi) of output coordinates whose window covers input
 * coordinate i, and for each such o the offset i - (o*stride - pad) inside it.
 * Used by every gather (col2im, pooling backward). */
CNN_HD void cnn_covering(int i, int k, int stride, int pad, int out_side, int *lo, int *hi)
{
    int t = i + pad;                 /* position in the padded input */
    int first = t - k + 1;           /* o*stride >= t - k + 1 */
    int a = first <= 0 ? 0 : (first + stride - 1) / stride;
    int b = t / stride + 1;          /* o*stride <= t */
    if (b > out_side) b = out_side;
    *lo = a;
    *hi = b;
}

/* Element i of col2im(cols): the sum of every Feature Matrix entry that
 * im2col copied from input element i. A gather, so no atomics are needed and
 * the result is the same on every run. */
CNN_HD float cnn_col2im_at(const float *cols, cnn_window g, int i)
{
    int ix = i % g.w, iy = (i / g.w) % g.h, n = (i / (g.w * g.h)) % g.n, c = i / (g.w * g.h * g.n);
    int ylo, yhi, xlo, xhi;
    cnn_covering(iy, g.k, g.stride, g.pad, g.oh, &ylo, &yhi);
    cnn_covering(ix, g.k, g.stride, g.pad, g.ow, &xlo, &xhi);
    long ncols = (long)g.n * g.oh * g.ow;
    float sum = 0.0f;
    for (int oy = ylo; oy < yhi; oy++) {
        int ky = iy + g.pad - oy * g.stride;
        for (int ox = xlo; ox < xhi; ox++) {
            int kx = ix + g.pad - ox * g.stride;
            long row = ((long)c * g.k + ky) * g.k + kx;
            long col = ((long)n * g.oh + oy) * g.ow + ox;
            sum += cols[row * ncols + col];
        }
    }
    return sum;
}

/* The part of output element o's pooling window (of a C x N x OH x OW
 * result) that pooling reads: window offsets ky in [ylo, yhi) and kx in
 * [xlo, xhi) lie inside the input (padding left out), and offset (ky, kx)
 * reads x[at + ky*w + kx] (`at` itself may point into the padding). cells
 * is Caffe's average-pooling divisor: the window's cells inside the padded
 * input, padding included, so k*k unless the window hangs past the
 * bottom/right padding (a last, partial window of the rounded-up output
 * side). */
typedef struct {
    long at;
    int ylo, yhi, xlo, xhi, cells;
} cnn_pool_win;

/* Along one side: a window starting at `start` (o*stride - pad), its offsets
 * [*lo, *hi) inside [0, in), and its cells up to the end of the padding. */
CNN_HD int cnn_pool_side(int start, int k, int pad, int in, int *lo, int *hi)
{
    int end = start + k;
    *lo = start < 0 ? -start : 0;
    *hi = end > in ? in - start : k;
    if (*hi < *lo) *hi = *lo;
    return (end < in + pad ? end : in + pad) - start;
}

CNN_HD cnn_pool_win cnn_pool_win_of(cnn_window g, int o)
{
    int ox = o % g.ow, oy = (o / g.ow) % g.oh, plane = o / (g.ow * g.oh);
    int y0 = cnn_in_coord(oy, 0, g.stride, g.pad), x0 = cnn_in_coord(ox, 0, g.stride, g.pad);
    cnn_pool_win v;
    v.at = ((long)plane * g.h + y0) * g.w + x0;
    v.cells = cnn_pool_side(y0, g.k, g.pad, g.h, &v.ylo, &v.yhi) *
              cnn_pool_side(x0, g.k, g.pad, g.w, &v.xlo, &v.xhi);
    return v;
}

/* Average pooling, padding counted as zeros, Caffe's divisor (above).
 * Output element o of a C x N x OH x OW result. */
CNN_HD float cnn_pool_fwd_at(const float *x, cnn_window g, int o)
{
    cnn_pool_win v = cnn_pool_win_of(g, o);
    float sum = 0.0f;
    for (int ky = v.ylo; ky < v.yhi; ky++)
        for (int kx = v.xlo; kx < v.xhi; kx++) sum += x[v.at + (long)ky * g.w + kx];
    return sum / (float)v.cells;
}

/* Max pooling: the largest input of output element o's window (padding never
 * wins), and in *arg its offset ky*k + kx, the first largest in window order
 * (row by row: only a strictly larger value replaces it), so ties are
 * defined. A NaN wins over any number (the first NaN stays), so a
 * diverging net's NaN reaches the loss. Every window covers an input
 * (padding < k, and cnn_pool_out_side drops a window that would start past
 * the input); were one not to, it would give 0 and arg -1, which no input
 * matches in backward. */
CNN_HD float cnn_maxpool_fwd_at(const float *x, cnn_window g, int o, int *arg)
{
    cnn_pool_win v = cnn_pool_win_of(g, o);
    float best = 0.0f;
    int where = -1;
    for (int ky = v.ylo; ky < v.yhi; ky++)
        for (int kx = v.xlo; kx < v.xhi; kx++) {
            float val = x[v.at + (long)ky * g.w + kx];
            if (where < 0 || val > best || (val != val && best == best)) {
                best = val;
                where = ky * g.k + kx;
            }
        }
    *arg = where;
    return best;
}

/* Input gradient element i of pooling: a gather over the outputs o whose
 * window covers input i. Average pooling (arg NULL) adds dy[o] / o's divisor;
 * max pooling adds dy[o] where arg[o] is i's offset in o's window. */
CNN_HD float cnn_pool_gather_at(const float *dy, const int *arg, cnn_window g, int i)
{
    int ix = i % g.w, iy = (i / g.w) % g.h, plane = i / (g.w * g.h);
    long base = (long)plane * g.oh * g.ow;
    int ylo, yhi, xlo, xhi, lo, hi;
    cnn_covering(iy, g.k, g.stride, g.pad, g.oh, &ylo, &yhi);
    cnn_covering(ix, g.k, g.stride, g.pad, g.ow, &xlo, &xhi);
    float sum = 0.0f;
    for (int oy = ylo; oy < yhi; oy++) {
        int y0 = cnn_in_coord(oy, 0, g.stride, g.pad), ky = iy - y0;
        int ycells = cnn_pool_side(y0, g.k, g.pad, g.h, &lo, &hi);
        for (int ox = xlo; ox < xhi; ox++) {
            int x0 = cnn_in_coord(ox, 0, g.stride, g.pad), kx = ix - x0;
            long o = base + (long)oy * g.ow + ox;
            if (!arg)
                sum += dy[o] / (float)(ycells * cnn_pool_side(x0, g.k, g.pad, g.w, &lo, &hi));
            else if (arg[o] == ky * g.k + kx)
                sum += dy[o];
        }
    }
    return sum;
}

/* Input gradient element i of average pooling. */
CNN_HD float cnn_pool_bwd_at(const float *dy, cnn_window g, int i)
{
    return cnn_pool_gather_at(dy, (const int *)0, g, i);
}

/* Input gradient element i of max pooling, from the forward's arg. */
CNN_HD float cnn_maxpool_bwd_at(const float *dy, const int *arg, cnn_window g, int i)
{
    return cnn_pool_gather_at(dy, arg, g, i);
}

/* Global average pooling backward: element i of `planes` planes of `size`
 * values gets its plane's dy / size. */
CNN_HD float cnn_gap_bwd_at(const float *dy, int size, long i)
{
    return dy[i / size] / (float)size;
}

/* A tensor laid out outer x ch x inner (a conv output 1 x C x N*H*W, an fc
 * output N x F x 1), as bias and batch normalization see it: the index of
 * channel c's element j (0 <= j < outer * inner, in the order outer, then
 * inner), and the channel of element i. */
CNN_HD long cnn_channel_elem(int c, long j, int ch, int inner)
{
    return ((j / inner) * ch + c) * inner + j % inner;
}

CNN_HD int cnn_channel_of(long i, int ch, int inner) { return (int)((i / inner) % ch); }

/* Swapping the two outer axes of an A x B x inner tensor: the source index of
 * destination element i of the B x A x inner result. Used to flatten a CNHW
 * tensor into the N x (C*H*W) rows a fully connected layer multiplies. */
CNN_HD long cnn_swap_src(long i, int a, int b, int inner)
{
    long r = i % inner, t = i / inner;
    long ai = t % a, bi = t / a;
    return (ai * b + bi) * inner + r;
}

#endif
