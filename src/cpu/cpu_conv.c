/* Stride-1 convolutions on the CPU without a Feature Matrix.
 *
 * A sample's input is copied into a zero-padded buffer P: c planes of
 * hp x wp, hp = h + 2 pad, wp = w + 2 pad. Output pixel (oy, ox) reads P at
 * (oy + ky, ox + kx), so when each output row is computed wp columns wide
 * (its last k - 1 entries are junk, dropped on the way out), row
 * (c, ky, kx) of the Feature Matrix is P itself, read from offset
 * c*hp*wp + ky*wp + kx on. The products below read P through that table of
 * offsets: im2col's copy, and the packing copy a BLAS makes of it, are gone,
 * and everything a sample touches stays in L1.
 *
 * The input gradient is the same product over dy padded by k - 1 - pad with
 * the kernel flipped and its two channel axes swapped (the "full"
 * convolution), so one register-tiled kernel serves forward and input
 * gradient and a second one the weight gradient. Samples are split across
 * the OpenMP threads; the weight gradients are summed per block of samples
 * (blocks fixed by the batch size) and added in block order, so a run
 * repeats itself exactly on any number of threads. */
#include "cpu_kernels.h"
#include "cpu_vec.h"
#include "oom_hint.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Forward tiles of up to TM rows by TV vectors, whose widths divide TN;
 * weight-gradient tiles of WM by WR sums. The file is compiled with
 * -ffp-contract=fast (see the Makefile) so that acc += a * b becomes one
 * fused multiply-add. */
enum { TM = 8, TV = 4, TN = TV * VL, WM = 4, WR = 4 };

int conv_direct_fits(cnn_window g)
{
    return g.stride == 1 && g.pad <= g.k - 1 && g.oh > 0 && g.ow > 0;
}

/* out[m][j] = sum over r of a[m][r] * in[off[r] + j], for m < mb, j < cols
 * (a multiple of TN); a's rows are kdim long, out's ldo apart. A tile of
 * mb x nv*VL outputs stays in registers while r runs over the whole sum: per
 * r, nv loads of `in` and mb broadcasts of `a` feed mb*nv multiply-adds.
 * Inlined with constant mb and nv, the loops unroll and acc is registers. */
static inline __attribute__((always_inline)) void shifted_rows(int mb, int nv, const float *a,
                                                               int kdim, const int *off,
                                                               const float *in, long cols,
                                                               float *out, long ldo)
{
    for (long j = 0; j < cols; j += nv * VL) {
        vf8 acc[TM][TV];
        for (int m = 0; m < mb; m++)
            for (int v = 0; v < nv; v++) acc[m][v] = splat(0.0f);
        for (int r = 0; r < kdim; r++) {
            const float *b = in + off[r] + j;
            vf8 bv[TV];
            for (int v = 0; v < nv; v++) {
                bv[v] = load8(b + v * VL);
                IN_REGISTER(bv[v]);
            }
            for (int m = 0; m < mb; m++) {
                vf8 am = splat(a[(long)m * kdim + r]);
                for (int v = 0; v < nv; v++) acc[m][v] += am * bv[v];
            }
        }
        for (int m = 0; m < mb; m++)
            for (int v = 0; v < nv; v++) store8(out + m * ldo + j + v * VL, acc[m][v]);
    }
}

/* Eight output rows at a time, two vectors wide; fewer rows get wider tiles
 * so that each loaded vector still feeds several multiply-adds. */
static void shifted_gemm(const float *a, int mrows, int kdim, const int *off, const float *in,
                         long cols, float *out)
{
    for (int m0 = 0; m0 < mrows; m0 += TM) {
        const float *am = a + (long)m0 * kdim;
        float *om = out + m0 * cols;
        switch (mrows - m0 < TM ? mrows - m0 : TM) {
        case 8: shifted_rows(8, 2, am, kdim, off, in, cols, om, cols); break;
        case 7: shifted_rows(7, 2, am, kdim, off, in, cols, om, cols); break;
        case 6: shifted_rows(6, 2, am, kdim, off, in, cols, om, cols); break;
        case 5: shifted_rows(5, 4, am, kdim, off, in, cols, om, cols); break;
        case 4: shifted_rows(4, 4, am, kdim, off, in, cols, om, cols); break;
        case 3: shifted_rows(3, 4, am, kdim, off, in, cols, om, cols); break;
        case 2: shifted_rows(2, 4, am, kdim, off, in, cols, om, cols); break;
        default: shifted_rows(1, 4, am, kdim, off, in, cols, om, cols); break;
        }
    }
}

/* acc[m][r] += (lane-wise) sum over j of dy[m][j] * in[off[r] + j], for
 * m < mb, r < rb, j < cols (a multiple of VL); dy's rows are ldd apart, acc's
 * kdim. The lanes are summed once, after the last sample. dy is zero in the
 * junk columns, which meet input values of the next row: an infinite input
 * (a net that has already diverged) makes NaN there, not just Inf. */
static inline __attribute__((always_inline)) void shifted_dots(int mb, int rb, const float *dy,
                                                               long ldd, const int *off,
                                                               const float *in, long cols,
                                                               vf8 *acc_out, int kdim)
{
    vf8 acc[WM][WR];
    for (int m = 0; m < mb; m++)
        for (int r = 0; r < rb; r++) acc[m][r] = splat(0.0f);
    for (long j = 0; j < cols; j += VL) {
        vf8 d[WM], b[WR];
        for (int m = 0; m < mb; m++) {
            d[m] = load8(dy + m * ldd + j);
            IN_REGISTER(d[m]);
        }
        for (int r = 0; r < rb; r++) {
            b[r] = load8(in + off[r] + j);
            IN_REGISTER(b[r]);
        }
        for (int m = 0; m < mb; m++)
            for (int r = 0; r < rb; r++) acc[m][r] += d[m] * b[r];
    }
    for (int m = 0; m < mb; m++)
        for (int r = 0; r < rb; r++) acc_out[(long)m * kdim + r] += acc[m][r];
}

static void shifted_weight_grad(const float *dy, int mrows, long cols, const int *off,
                                const float *in, int kdim, vf8 *acc)
{
    for (int m0 = 0; m0 < mrows; m0 += WM) {
        const float *dm = dy + m0 * cols;
        vf8 *am = acc + (long)m0 * kdim;
        int r0 = 0;
        if (mrows - m0 >= WM) {
            for (; r0 + WR <= kdim; r0 += WR)
                shifted_dots(WM, WR, dm, cols, off + r0, in, cols, am + r0, kdim);
            switch (kdim - r0) {
            case 3: shifted_dots(WM, 3, dm, cols, off + r0, in, cols, am + r0, kdim); break;
            case 2: shifted_dots(WM, 2, dm, cols, off + r0, in, cols, am + r0, kdim); break;
            case 1: shifted_dots(WM, 1, dm, cols, off + r0, in, cols, am + r0, kdim); break;
            }
        } else { /* the last few output channels: one at a time */
            for (int m = m0; m < mrows; m++)
                for (r0 = 0; r0 < kdim; r0++)
                    shifted_dots(1, 1, dy + m * cols, cols, off + r0, in, cols,
                                 acc + (long)m * kdim + r0, kdim);
        }
    }
}

/* dst[i] = src[i] + add for i < n. The rows moved here are 5 to 30 floats
 * long, too short for a call to memcpy to pay off (it was 4% of a step). */
static inline void copy_row(float *restrict dst, const float *restrict src, int n, float add)
{
    int i = 0;
    for (; i + VL <= n; i += VL) store8(dst + i, load8(src + i) + splat(add));
    for (; i < n; i++) dst[i] = src[i] + add;
}

/* A zero-padded copy of one sample's planes, read through offsets. */
typedef struct {
    int planes, hp, wp, pad_y, pad_x;
    long plane, size; /* floats per plane; in all, with the slack the tiles read past the end */
} padded;

/* Planes of h x w padded by pad on every side, read by k x k windows whose
 * output rows are computed wp wide: rows_out * wp rounded up to TN columns. */
static padded padded_make(int planes, int h, int w, int pad, int k, long *cols)
{
    padded p = {planes, h + 2 * pad, w + 2 * pad, pad, pad, 0, 0};
    p.plane = (long)p.hp * p.wp;
    long rows_out = p.hp - k + 1;
    *cols = (rows_out * p.wp + TN - 1) / TN * TN;
    /* the last offset is (planes-1)*plane + (k-1)*wp + k-1, and a tile reads
     * up to cols + TN - 1 floats from an offset */
    p.size = planes * p.plane + k + 2 * TN;
    return p;
}

/* Row offsets of the implicit Feature Matrix: row (c, ky, kx). */
static void shifted_offsets(padded p, int k, int *off)
{
    for (int c = 0; c < p.planes; c++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) off[(c * k + ky) * k + kx] = c * p.plane + ky * p.wp + kx;
}

/* Copies sample n of t (planes x count x h x w) into buf's interior; the
 * border and slack were zeroed once and are never written. */
static void pad_sample(const float *t, int count, int n, int h, int w, padded p, float *buf)
{
    for (int c = 0; c < p.planes; c++) {
        const float *src = t + ((long)c * count + n) * h * w;
        float *dst = buf + c * p.plane + (long)p.pad_y * p.wp + p.pad_x;
        for (int y = 0; y < h; y++) copy_row(dst + (long)y * p.wp, src + (long)y * w, w, 0.0f);
    }
}

/* Exactly `bytes` (so that the sanitizer build sees a read past the slack)
 * or, for arrays of vf8, aligned to the vector. */
static void *scratch_aligned(long bytes, int aligned, const char *what)
{
    void *p = aligned ? aligned_alloc(64, (bytes + 63) / 64 * 64) : malloc(bytes ? bytes : 1);
    if (!p) oom_fail(what, (double)bytes);
    return p;
}

static float *scratch(long floats, const char *what)
{
    return scratch_aligned(sizeof(float) * floats, 0, what);
}

static vf8 *scratch_vectors(long count, const char *what)
{
    return scratch_aligned(sizeof(vf8) * count, 1, what);
}

void conv_direct_fwd(const float *x, cnn_window g, const float *w, const float *b, int cout,
                     float *y)
{
    int rows = cnn_cols_rows(g);
    long cols, ohw = (long)g.oh * g.ow;
    padded p = padded_make(g.c, g.h, g.w, g.pad, g.k, &cols);
    int *off = scratch_aligned(sizeof(int) * rows, 0, "convolution offsets");
    shifted_offsets(p, g.k, off);
#pragma omp parallel if (g.n > 1)
    {
        float *in = scratch(p.size, "convolution input");
        float *out = scratch(cout * cols, "convolution output");
        memset(in, 0, sizeof(float) * p.size);
#pragma omp for schedule(static)
        for (int n = 0; n < g.n; n++) {
            pad_sample(x, g.n, n, g.h, g.w, p, in);
            shifted_gemm(w, cout, rows, off, in, cols, out);
            for (int co = 0; co < cout; co++) {
                float *dst = y + ((long)co * g.n + n) * ohw;
                const float *src = out + co * cols;
                for (int oy = 0; oy < g.oh; oy++)
                    copy_row(dst + oy * g.ow, src + (long)oy * p.wp, g.ow, b[co]);
            }
        }
        free(in);
        free(out);
    }
    free(off);
}

/* The input gradient's kernel: for input channel c, the row over
 * (cout, ky, kx) of w flipped in both axes. */
static void flipped_kernel(const float *w, int cout, int c, int k, float *wt)
{
    int kk = k * k;
    for (int ci = 0; ci < c; ci++)
        for (int co = 0; co < cout; co++)
            for (int i = 0; i < kk; i++)
                wt[((long)ci * cout + co) * kk + i] = w[((long)co * c + ci) * kk + (kk - 1 - i)];
}

/* The sum of parts[0], parts[stride], ... (one per block of samples, in
 * order) and of the lanes of that. */
static float lane_sum(const vf8 *parts, long stride, int count)
{
    vf8 sum = parts[0];
    for (int t = 1; t < count; t++) sum += parts[stride * t];
    float s = 0.0f;
    for (int l = 0; l < VL; l++) s += sum[l];
    return s;
}

void conv_direct_bwd(const float *x, cnn_window g, const float *w, int cout, const float *dy,
                     float *dw, float *db, float *dx)
{
    int rows = cnn_cols_rows(g), blocks = g.n < GRAD_BLOCKS ? g.n : GRAD_BLOCKS;
    long cols, cols_dx = 0, ohw = (long)g.oh * g.ow, nw = (long)cout * rows;
    padded p = padded_make(g.c, g.h, g.w, g.pad, g.k, &cols);
    /* dy as the weight gradient reads it: rows wp apart, zero in the junk
     * columns and the tail; and as the input gradient reads it: padded by
     * k - 1 - pad */
    padded q = padded_make(cout, g.oh, g.ow, g.k - 1 - g.pad, g.k, &cols_dx);
    int *off = scratch_aligned(sizeof(int) * (rows + cout * g.k * g.k), 0, "convolution offsets");
    int *off_dx = off + rows;
    float *wt = dx ? scratch(nw, "flipped kernel") : NULL;
    shifted_offsets(p, g.k, off);
    shifted_offsets(q, g.k, off_dx);
    if (wt) flipped_kernel(w, cout, g.c, g.k, wt);
    /* at least one block, so that an empty batch still gives zero sums */
    vf8 *parts = scratch_vectors(nw * (blocks ? blocks : 1), "weight gradient sums");
    vf8 *bias_parts = scratch_vectors((long)cout * (blocks ? blocks : 1), "bias gradient sums");
    if (!blocks) {
        memset(parts, 0, sizeof(vf8) * nw);
        memset(bias_parts, 0, sizeof(vf8) * cout);
    }
#pragma omp parallel if (g.n > 1)
    {
        float *in = scratch(p.size, "convolution input");
        float *grad = scratch(cout * cols, "convolution output gradient");
        float *grad_pad = dx ? scratch(q.size, "padded output gradient") : NULL;
        float *out = dx ? scratch(g.c * cols_dx, "input gradient") : NULL;
        memset(in, 0, sizeof(float) * p.size);
        memset(grad, 0, sizeof(float) * cout * cols);
        if (grad_pad) memset(grad_pad, 0, sizeof(float) * q.size);
#pragma omp for schedule(static)
        for (int blk = 0; blk < blocks; blk++) {
            vf8 *acc = parts + nw * blk;
            vf8 *bias = bias_parts + cout * blk;
            memset(acc, 0, sizeof(vf8) * nw);
            memset(bias, 0, sizeof(vf8) * cout);
            int first = (int)((long)g.n * blk / blocks), end = (int)((long)g.n * (blk + 1) / blocks);
            for (int n = first; n < end; n++) {
                pad_sample(x, g.n, n, g.h, g.w, p, in);
                for (int co = 0; co < cout; co++) {
                    const float *src = dy + ((long)co * g.n + n) * ohw;
                    float *row = grad + co * cols;
                    for (int oy = 0; oy < g.oh; oy++)
                        copy_row(row + (long)oy * p.wp, src + (long)oy * g.ow, g.ow, 0.0f);
                    /* the bias gradient from the padded row, 8 lanes at a
                     * time (a scalar sum is one long chain of dependent adds) */
                    vf8 sum = splat(0.0f);
                    for (long j = 0; j < cols; j += VL) sum += load8(row + j);
                    bias[co] += sum;
                }
                shifted_weight_grad(grad, cout, cols, off, in, rows, acc);
                if (!dx) continue;
                pad_sample(dy, g.n, n, g.oh, g.ow, q, grad_pad);
                shifted_gemm(wt, g.c, cout * g.k * g.k, off_dx, grad_pad, cols_dx, out);
                for (int c = 0; c < g.c; c++) {
                    float *dst = dx + ((long)c * g.n + n) * g.h * g.w;
                    const float *src = out + c * cols_dx;
                    for (int iy = 0; iy < g.h; iy++)
                        copy_row(dst + (long)iy * g.w, src + (long)iy * q.wp, g.w, 0.0f);
                }
            }
        }
        free(in);
        free(grad);
        free(grad_pad);
        free(out);
    }
    int used = blocks ? blocks : 1;
    for (long i = 0; i < nw; i++) dw[i] = lane_sum(parts + i, nw, used);
    for (int co = 0; co < cout; co++) db[co] = lane_sum(bias_parts + co, cout, used);
    free(parts);
    free(bias_parts);
    free(wt);
    free(off);
}
