/* Pooling on the CPU. Windows that tile the map (stride k, no padding, no
 * partial last window: every preset's pooling) take plain loops (average
 * pooling with k = 2 eight outputs at a time); any other window takes the
 * bounds-checked index functions of hd/index.h, which the GPU kernels run.
 * Planes are split across the OpenMP threads. */
#include "cpu_kernels.h"
#include "cpu_vec.h"

#include <string.h>

#ifdef CNN_HAVE_SHUFFLE
/* 2x2 windows: the two input rows added, then neighbouring columns. Returns
 * how many outputs it wrote (a multiple of VL); the caller does the rest. */
static int pool2_fwd_row(const float *r0, const float *r1, int ow, float inv, float *row)
{
    int ox = 0;
    for (; ox + VL <= ow; ox += VL) {
        vf8 a = load8(r0 + 2 * ox) + load8(r1 + 2 * ox);
        vf8 b = load8(r0 + 2 * ox + VL) + load8(r1 + 2 * ox + VL);
        vf8 even = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14);
        vf8 odd = __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15);
        store8(row + ox, (even + odd) * splat(inv));
    }
    return ox;
}

/* Each output gradient, scaled, into both columns of its window in d0 and d1. */
static int pool2_bwd_row(const float *src, int ow, float inv, float *d0, float *d1)
{
    int ox = 0;
    for (; ox + VL <= ow; ox += VL) {
        vf8 v = load8(src + ox) * splat(inv);
        vf8 lo = __builtin_shufflevector(v, v, 0, 0, 1, 1, 2, 2, 3, 3);
        vf8 hi = __builtin_shufflevector(v, v, 4, 4, 5, 5, 6, 6, 7, 7);
        store8(d0 + 2 * ox, lo);
        store8(d0 + 2 * ox + VL, hi);
        store8(d1 + 2 * ox, lo);
        store8(d1 + 2 * ox + VL, hi);
    }
    return ox;
}
#else
static int pool2_fwd_row(const float *r0, const float *r1, int ow, float inv, float *row)
{
    (void)r0, (void)r1, (void)ow, (void)inv, (void)row;
    return 0;
}

static int pool2_bwd_row(const float *src, int ow, float inv, float *d0, float *d1)
{
    (void)src, (void)ow, (void)inv, (void)d0, (void)d1;
    return 0;
}
#endif

/* Pooling without padding whose windows do not overlap (stride k) and stop
 * inside the map (no partial last window, which Caffe's rounded-up output
 * side keeps when k does not divide the side): every window lies inside the
 * map and has k*k cells, so the loops need no bounds checks. */
static int pool_is_plain(cnn_window g)
{
    return g.pad == 0 && g.stride == g.k && g.oh * g.k <= g.h && g.ow * g.k <= g.w;
}

/* One (channel, sample) plane: the index functions' int indices stay small. */
static cnn_window one_plane(cnn_window g)
{
    g.c = g.n = 1;
    return g;
}

/* One plane of plain pooling; k = 2 goes eight outputs at a time first, and
 * is inlined with k constant so the remaining loops unroll too. With loops
 * over a k read at run time, pooling took a third of a seed-cnn step once
 * the convolutions were fast. */
static inline __attribute__((always_inline)) void plain_pool_fwd(const float *xp, float *yp,
                                                                 int k, int w, int oh, int ow,
                                                                 float inv)
{
    for (int oy = 0; oy < oh; oy++) {
        const float *src = xp + (long)oy * k * w;
        float *row = yp + (long)oy * ow;
        int ox = k == 2 ? pool2_fwd_row(src, src + w, ow, inv, row) : 0;
        for (; ox < ow; ox++) {
            float sum = 0.0f;
            for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++) sum += src[ky * w + ox * k + kx];
            row[ox] = sum * inv;
        }
    }
}

/* Every input element under a window gets its window's share; the rows and
 * columns past the last whole window (when k does not divide the side) get
 * none. */
static inline __attribute__((always_inline)) void plain_pool_bwd(const float *dyp, float *dxp,
                                                                 int k, int h, int w, int oh,
                                                                 int ow, float inv)
{
    for (int oy = 0; oy < oh; oy++) {
        const float *src = dyp + (long)oy * ow;
        float *d0 = dxp + (long)oy * k * w;
        int done = k == 2 ? pool2_bwd_row(src, ow, inv, d0, d0 + w) : 0;
        for (int ky = 0; ky < k; ky++) {
            float *dst = dxp + (long)(oy * k + ky) * w;
            for (int ox = done; ox < ow; ox++)
                for (int kx = 0; kx < k; kx++) dst[ox * k + kx] = src[ox] * inv;
            for (int x = ow * k; x < w; x++) dst[x] = 0.0f;
        }
    }
    memset(dxp + (long)oh * k * w, 0, sizeof(float) * (h - oh * k) * w);
}

/* Windows that overlap, stride past each other or reach into the padding
 * (no preset has them) take the shared index functions of hd/index.h, the
 * ones the GPU kernels run: backward is then a gather, not a scatter. */
void cpu_pool_fwd(const float *x, cnn_window g, float *y)
{
    int planes = g.c * g.n, ohw = g.oh * g.ow;
    float inv = 1.0f / (float)(g.k * g.k);
    cnn_window one = one_plane(g);
#pragma omp parallel for schedule(static) if ((long)planes * g.h * g.w > PAR_MIN)
    for (int p = 0; p < planes; p++) {
        const float *xp = x + (long)p * g.h * g.w;
        float *yp = y + (long)p * ohw;
        if (!pool_is_plain(g))
            for (int o = 0; o < ohw; o++) yp[o] = cnn_pool_fwd_at(xp, one, o);
        else if (g.k == 2)
            plain_pool_fwd(xp, yp, 2, g.w, g.oh, g.ow, inv);
        else
            plain_pool_fwd(xp, yp, g.k, g.w, g.oh, g.ow, inv);
    }
}

void cpu_pool_bwd(const float *dy, cnn_window g, float *dx)
{
    int planes = g.c * g.n, hw = g.h * g.w;
    float inv = 1.0f / (float)(g.k * g.k);
    cnn_window one = one_plane(g);
#pragma omp parallel for schedule(static) if ((long)planes * hw > PAR_MIN)
    for (int p = 0; p < planes; p++) {
        const float *dyp = dy + (long)p * g.oh * g.ow;
        float *dxp = dx + (long)p * hw;
        if (!pool_is_plain(g))
            for (int i = 0; i < hw; i++) dxp[i] = cnn_pool_bwd_at(dyp, one, i);
        else if (g.k == 2)
            plain_pool_bwd(dyp, dxp, 2, g.h, g.w, g.oh, g.ow, inv);
        else
            plain_pool_bwd(dyp, dxp, g.k, g.h, g.w, g.oh, g.ow, inv);
    }
}

/* Max pooling of one plane with plain windows: each window's first largest
 * input (row by row; only a strictly larger value, or a first NaN, replaces
 * it, as in cnn_maxpool_fwd_at) and its offset. Inlined with k = 2 constant. */
static inline __attribute__((always_inline)) void plain_maxpool_fwd(const float *xp, float *yp,
                                                                    int *ap, int k, int w,
                                                                    int oh, int ow)
{
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++) {
            const float *win = xp + (long)oy * k * w + ox * k;
            float best = win[0];
            int where = 0;
            for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++)
                    if (win[ky * w + kx] > best || (win[ky * w + kx] != win[ky * w + kx] &&
                                                    best == best)) {
                        best = win[ky * w + kx];
                        where = ky * k + kx;
                    }
            yp[oy * ow + ox] = best;
            ap[oy * ow + ox] = where;
        }
}

/* Its backward: the windows do not overlap, so each input takes at most one
 * output's gradient (the gather of cnn_maxpool_bwd_at, written as a store). */
static void plain_maxpool_bwd(const float *dyp, const int *ap, float *dxp, int k, int h, int w,
                              int oh, int ow)
{
    memset(dxp, 0, sizeof(float) * h * w);
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++) {
            int a = ap[oy * ow + ox];
            dxp[(long)(oy * k + a / k) * w + ox * k + a % k] = dyp[oy * ow + ox];
        }
}

/* Max pooling: plain windows (stride k, no padding, none partial) take the
 * loops above; any other the index functions, whose arg backward's gather
 * reads. */
void cpu_maxpool_fwd(const float *x, cnn_window g, float *y, int *arg)
{
    int planes = g.c * g.n, ohw = g.oh * g.ow;
    cnn_window one = one_plane(g);
#pragma omp parallel for schedule(static) if ((long)planes * g.h * g.w > PAR_MIN)
    for (int p = 0; p < planes; p++) {
        const float *xp = x + (long)p * g.h * g.w;
        float *yp = y + (long)p * ohw;
        int *ap = arg + (long)p * ohw;
        if (!pool_is_plain(g))
            for (int o = 0; o < ohw; o++) yp[o] = cnn_maxpool_fwd_at(xp, one, o, ap + o);
        else if (g.k == 2)
            plain_maxpool_fwd(xp, yp, ap, 2, g.w, g.oh, g.ow);
        else
            plain_maxpool_fwd(xp, yp, ap, g.k, g.w, g.oh, g.ow);
    }
}

void cpu_maxpool_bwd(const float *dy, const int *arg, cnn_window g, float *dx)
{
    int planes = g.c * g.n, hw = g.h * g.w;
    long ohw = (long)g.oh * g.ow;
    cnn_window one = one_plane(g);
#pragma omp parallel for schedule(static) if ((long)planes * hw > PAR_MIN)
    for (int p = 0; p < planes; p++) {
        const float *dyp = dy + p * ohw;
        const int *ap = arg + p * ohw;
        float *dxp = dx + (long)p * hw;
        if (pool_is_plain(g))
            plain_maxpool_bwd(dyp, ap, dxp, g.k, g.h, g.w, g.oh, g.ow);
        else
            for (int i = 0; i < hw; i++) dxp[i] = cnn_maxpool_bwd_at(dyp, ap, one, i);
    }
}
