/* The CPU backend's layer ops (max, average and global pooling, activations,
 * dropout, batch normalization) against plain loops written here, most in
 * double, on geometries that reach every corner: overlapping and partial
 * (rounded-up) pooling windows, padding, ties; the conv and fc layouts of
 * batch normalization; and the same bits on any thread count. */
#include <criterion/criterion.h>
#include <string.h>

#include "cpu/cpu_backend.h"
#include "hd/act.h"
#include "hd/dropout.h"
#include "cpu/cpu_kernels.h"
#include "ops.h"
#include "testutil.h"

/* ---- pooling ---- */

/* Caffe's pooling window along one side, written out as Caffe does it: the
 * divisor counts the cells up to the end of the padding; [*lo, *hi) is the
 * part inside the input. */
static int caffe_window(int o, int k, int stride, int pad, int in, int *lo, int *hi)
{
    int start = o * stride - pad, end = start + k < in + pad ? start + k : in + pad;
    int cells = end - start;
    *lo = start > 0 ? start : 0;
    *hi = end < in ? end : in;
    return cells;
}

/* Pooling of one plane by the book, in double: average (with Caffe's
 * divisor) into avg, and max (first strictly larger in row order, padding
 * never counted) into mx and arg. */
static void naive_pool_plane(const float *x, cnn_window g, double *avg, float *mx, int *arg)
{
    for (int oy = 0; oy < g.oh; oy++)
        for (int ox = 0; ox < g.ow; ox++) {
            int y0, y1, x0, x1, o = oy * g.ow + ox, best = -1;
            int cells = caffe_window(oy, g.k, g.stride, g.pad, g.h, &y0, &y1) *
                        caffe_window(ox, g.k, g.stride, g.pad, g.w, &x0, &x1);
            double sum = 0;
            for (int iy = y0; iy < y1; iy++)
                for (int ix = x0; ix < x1; ix++) {
                    float v = x[iy * g.w + ix];
                    sum += v;
                    if (best < 0 || v > mx[o]) {
                        mx[o] = v;
                        best = (iy - (oy * g.stride - g.pad)) * g.k + ix - (ox * g.stride - g.pad);
                    }
                }
            avg[o] = sum / cells;
            arg[o] = best;
        }
}

/* Both backwards of one plane as scatters (the ops gather): each output's
 * gradient over its window's cells / its divisor, and onto its arg. */
static void naive_pool_bwd_plane(const float *dy, const int *arg, cnn_window g, double *davg,
                                 double *dmax)
{
    memset(davg, 0, sizeof(double) * g.h * g.w);
    memset(dmax, 0, sizeof(double) * g.h * g.w);
    for (int oy = 0; oy < g.oh; oy++)
        for (int ox = 0; ox < g.ow; ox++) {
            int y0, y1, x0, x1, o = oy * g.ow + ox;
            int cells = caffe_window(oy, g.k, g.stride, g.pad, g.h, &y0, &y1) *
                        caffe_window(ox, g.k, g.stride, g.pad, g.w, &x0, &x1);
            for (int iy = y0; iy < y1; iy++)
                for (int ix = x0; ix < x1; ix++) davg[iy * g.w + ix] += (double)dy[o] / cells;
            if (arg[o] >= 0)
                dmax[(oy * g.stride - g.pad + arg[o] / g.k) * g.w + ox * g.stride - g.pad +
                     arg[o] % g.k] += dy[o];
        }
}

typedef struct {
    int c, n, h, w, k, stride, pad;
} pool_case;

/* Every pooling op on one geometry (Caffe's output sides) against the naive
 * loops; `levels` > 0 draws inputs from that many values, for ties. */
static void check_pool(pool_case t, int levels, float lo, float hi, rng *r)
{
    cnn_window g = cnn_pool_window_make(t.c, t.n, t.h, t.w, t.k, t.stride, t.pad);
    int hw = g.h * g.w, ohw = g.oh * g.ow, planes = g.c * g.n;
    float *x = rand_floats(r, (long)planes * hw, lo, hi), *dy = rand_floats(r, planes * ohw, -1, 1);
    if (levels > 0)
        for (long i = 0; i < (long)planes * hw; i++) x[i] = (float)rng_below(r, levels);
    float *avg = nan_floats(planes * ohw), *mx = nan_floats(planes * ohw);
    float *davg = nan_floats((long)planes * hw), *dmax = nan_floats((long)planes * hw);
    int *arg = malloc(sizeof(int) * planes * ohw);
    cpu_ops.pool_fwd(x, g, avg);
    cpu_ops.maxpool_fwd(x, g, mx, arg);
    cpu_ops.pool_bwd(dy, g, davg);
    cpu_ops.maxpool_bwd(dy, arg, g, dmax);

    double *want_avg = malloc(sizeof(double) * ohw), *want_davg = malloc(sizeof(double) * hw);
    double *want_dmax = malloc(sizeof(double) * hw);
    float *want_mx = malloc(sizeof(float) * ohw);
    int *want_arg = malloc(sizeof(int) * ohw);
    cnn_window one = g;
    one.c = one.n = 1;
    for (int p = 0; p < planes; p++) {
        long xo = (long)p * hw, yo = (long)p * ohw;
        naive_pool_plane(x + xo, one, want_avg, want_mx, want_arg);
        naive_pool_bwd_plane(dy + yo, want_arg, one, want_davg, want_dmax);
        for (int o = 0; o < ohw; o++) {
            cr_assert(close_enough(avg[yo + o], want_avg[o], 1e-6, 1e-5),
                      "k%d s%d p%d: average %d: %g, want %g", t.k, t.stride, t.pad, o,
                      avg[yo + o], want_avg[o]);
            cr_assert_eq(mx[yo + o], want_mx[o], "max %d: %g, want %g", o, mx[yo + o],
                         want_mx[o]);
            cr_assert_eq(arg[yo + o], want_arg[o], "arg %d: %d, want %d", o, arg[yo + o],
                         want_arg[o]);
        }
        for (int i = 0; i < hw; i++) {
            cr_assert(close_enough(davg[xo + i], want_davg[i], 1e-6, 1e-5),
                      "k%d s%d p%d: average backward %d: %g, want %g", t.k, t.stride, t.pad, i,
                      davg[xo + i], want_davg[i]);
            cr_assert(close_enough(dmax[xo + i], want_dmax[i], 1e-6, 1e-5),
                      "k%d s%d p%d: max backward %d: %g, want %g", t.k, t.stride, t.pad, i,
                      dmax[xo + i], want_dmax[i]);
        }
    }
    free(x); free(dy); free(avg); free(mx); free(davg); free(dmax); free(arg);
    free(want_avg); free(want_davg); free(want_dmax); free(want_mx); free(want_arg);
}

/* Overlapping (3 stride 2), padded, rounded-up partial last windows (k not
 * dividing the side), tiling, and windows reaching past the padding. */
static const pool_case POOLS[] = {
    {2, 3, 9, 9, 3, 2, 0},  {1, 2, 10, 10, 3, 2, 0}, {2, 2, 7, 6, 3, 2, 1},
    {1, 1, 5, 5, 2, 2, 0},  {3, 2, 8, 8, 2, 2, 0},   {1, 2, 6, 6, 3, 2, 1},
    {2, 1, 11, 7, 3, 3, 1}, {1, 1, 4, 9, 2, 1, 1},   {4, 5, 28, 28, 3, 2, 0},
    {1, 1, 13, 13, 5, 3, 2},
};
#define N_POOLS (int)(sizeof POOLS / sizeof POOLS[0])

Test(layer_ops, pooling_against_naive_loops)
{
    rng r = {101};
    for (int i = 0; i < N_POOLS; i++) check_pool(POOLS[i], 0, -1, 1, &r);
}

/* Padding never wins: all inputs negative, padded windows still give the
 * largest input, never the padding's 0. */
Test(layer_ops, maxpool_padding_never_wins)
{
    rng r = {102};
    for (int i = 0; i < N_POOLS; i++) check_pool(POOLS[i], 0, -2, -1, &r);
}

/* Inputs from three values: ties everywhere, the first in window order wins. */
Test(layer_ops, maxpool_ties_go_to_the_first)
{
    rng r = {103};
    for (int i = 0; i < N_POOLS; i++) check_pool(POOLS[i], 3, 0, 0, &r);
    /* by hand: a constant 2x2 window gives its gradient to the top left */
    float x[4] = {7, 7, 7, 7}, y, dy = 5, dx[4];
    int arg;
    cnn_window g = cnn_pool_window_make(1, 1, 2, 2, 2, 2, 0);
    cpu_ops.maxpool_fwd(x, g, &y, &arg);
    cpu_ops.maxpool_bwd(&dy, &arg, g, dx);
    cr_assert(y == 7 && arg == 0);
    cr_assert(dx[0] == 5 && dx[1] == 0 && dx[2] == 0 && dx[3] == 0);
}

/* A NaN is never hidden by max pooling, on the plain path (2x2 tiles) or the
 * index functions (a partial window, 3x3 on 2x3 padded by 1): a diverging
 * net's NaN must reach the loss. */
Test(layer_ops, maxpool_keeps_nan)
{
    float x[4] = {1, NAN, 2, 0.5f}, y, y2[4];
    int arg, arg2[4];
    cpu_ops.maxpool_fwd(x, cnn_pool_window_make(1, 1, 2, 2, 2, 2, 0), &y, &arg);
    cr_assert(isnan(y) && arg == 1, "plain: y %g arg %d", y, arg);
    /* rows {3 1 NaN} {4 NaN 5}; windows start at -1 and 1 on both sides */
    float x6[6] = {3, 1, NAN, 4, NAN, 5};
    cnn_window g = cnn_pool_window_make(1, 1, 2, 3, 3, 2, 1);
    cr_assert_eq(g.oh * g.ow, 4);
    cpu_ops.maxpool_fwd(x6, g, y2, arg2);
    static const int first_nan[4] = {8, 4, 2, 0};
    for (int o = 0; o < 4; o++) {
        cr_assert(isnan(y2[o]), "general: y[%d] %g", o, y2[o]);
        cr_assert_eq(arg2[o], first_nan[o], "the first NaN of window %d: arg %d", o, arg2[o]);
    }
}

/* h = w = 5, k = 2, stride 2: three outputs a side (rounded up), and the last
 * window of each row and column holds one input, so its divisor is 2 (edge)
 * or 1 (corner), not 4. x = 1..25. */
Test(layer_ops, avgpool_caffe_divisor_by_hand)
{
    float x[25], y[9], dy[9], dx[25];
    for (int i = 0; i < 25; i++) x[i] = (float)(i + 1);
    cnn_window g = cnn_pool_window_make(1, 1, 5, 5, 2, 2, 0);
    cr_assert(g.oh == 3 && g.ow == 3);
    cpu_ops.pool_fwd(x, g, y);
    cr_assert_eq(y[0], (1 + 2 + 6 + 7) / 4.0f);
    cr_assert_eq(y[2], (5 + 10) / 2.0f, "right column: 2 cells, got %g", y[2]);
    cr_assert_eq(y[6], (21 + 22) / 2.0f, "bottom row: 2 cells, got %g", y[6]);
    cr_assert_eq(y[8], 25.0f, "corner: 1 cell, got %g", y[8]);
    for (int i = 0; i < 9; i++) dy[i] = 1;
    cpu_ops.pool_bwd(dy, g, dx);
    cr_assert_eq(dx[0], 0.25f);
    cr_assert_eq(dx[4], 0.5f);
    cr_assert_eq(dx[24], 1.0f);
    /* padded: h = 6, k = 3, s = 2, p = 1: 4 outputs, the last window starts at
     * 5 and ends at the padding's end, 7: 2 of its 3 rows count (one is the
     * padding), so the corner's divisor is 2 * 2 */
    float x6[36], y6[16];
    for (int i = 0; i < 36; i++) x6[i] = 1;
    cnn_window p = cnn_pool_window_make(1, 1, 6, 6, 3, 2, 1);
    cr_assert(p.oh == 4 && p.ow == 4);
    cpu_ops.pool_fwd(x6, p, y6);
    cr_assert_eq(y6[0], 4 / 9.0f, "top left: 4 inputs of 9 cells, got %g", y6[0]);
    cr_assert_eq(y6[15], 1 / 4.0f, "bottom right: 1 input of 4 cells, got %g", y6[15]);
}

/* ---- global average pooling and activations ---- */

Test(layer_ops, gap)
{
    rng r = {104};
    const int shapes[][2] = {{1, 1}, {7, 49}, {400, 196}, {3, 1000}};
    for (int s = 0; s < 4; s++) {
        long planes = shapes[s][0];
        int size = shapes[s][1];
        float *x = rand_floats(&r, planes * size, -1, 1), *dy = rand_floats(&r, planes, -1, 1);
        float *y = nan_floats(planes), *dx = nan_floats(planes * size);
        cpu_ops.gap_fwd(x, planes, size, y);
        cpu_ops.gap_bwd(dy, planes, size, dx);
        for (long p = 0; p < planes; p++) {
            double sum = 0;
            for (int j = 0; j < size; j++) sum += x[p * size + j];
            cr_assert(close_enough(y[p], sum / size, 1e-7, 1e-6), "plane %ld: %g vs %g", p,
                      y[p], sum / size);
            for (int j = 0; j < size; j++)
                cr_assert_eq(dx[p * size + j], dy[p] / size, "plane %ld element %d", p, j);
        }
        free(x); free(dy); free(y); free(dx);
    }
}

static double act_ref(int kind, double slope, double x)
{
    return kind == CNN_ACT_TANH ? tanh(x) : kind == CNN_ACT_SIGMOID ? 1 / (1 + exp(-x))
                                                                    : x > 0 ? x : slope * x;
}

static double act_ref_grad(int kind, double slope, double x)
{
    double y = act_ref(kind, slope, x);
    return kind == CNN_ACT_TANH ? 1 - y * y : kind == CNN_ACT_SIGMOID ? y * (1 - y)
                                                                      : x > 0 ? 1 : slope;
}

Test(layer_ops, activations)
{
    rng r = {105};
    long n = 4096;
    float *x = rand_floats(&r, n, -6, 6), *dy = rand_floats(&r, n, -1, 1);
    const float special[] = {0, -0.0f, 100, -100, 1e-30f, -1e-30f, 20, -20, 88.8f, -88.8f};
    memcpy(x, special, sizeof special);
    const int kinds[] = {CNN_ACT_TANH, CNN_ACT_SIGMOID, CNN_ACT_LRELU};
    for (int k = 0; k < 3; k++) {
        float slope = 0.1f, *y = nan_floats(n), *dx = nan_floats(n);
        cpu_ops.act_fwd(kinds[k], slope, x, y, n);
        cpu_ops.act_bwd(kinds[k], slope, x, y, dy, dx, n);
        for (long i = 0; i < n; i++) {
            double want = act_ref(kinds[k], slope, x[i]);
            double dwant = dy[i] * act_ref_grad(kinds[k], slope, x[i]);
            cr_assert(isfinite(y[i]) && isfinite(dx[i]), "kind %d x %g: y %g dx %g", kinds[k],
                      x[i], y[i], dx[i]);
            cr_assert(close_enough(y[i], want, 1e-7, 1e-6), "kind %d x %g: %.9g, want %.9g",
                      kinds[k], x[i], y[i], want);
            cr_assert(close_enough(dx[i], dwant, 1e-6, 1e-5), "kind %d x %g: dx %.9g, want %.9g",
                      kinds[k], x[i], dx[i], dwant);
        }
        free(y); free(dx);
    }
    /* sigmoid at the extremes: saturated but finite, and tiny, not 0, far left */
    cr_assert_eq(cnn_act_fwd(CNN_ACT_SIGMOID, 0, 100), 1.0f);
    cr_assert(cnn_act_fwd(CNN_ACT_SIGMOID, 0, -100) > 0);
    cr_assert(cnn_act_fwd(CNN_ACT_SIGMOID, 0, -1e30f) == 0);
    cr_assert(cnn_act_fwd(CNN_ACT_SIGMOID, 0, 1e30f) == 1);
    free(x); free(dy);
}

/* ---- dropout ---- */

static float *dropout_run(const float *x, long n, float p, unsigned long long seed,
                          unsigned long long step, int salt, int backward)
{
    float *y = nan_floats(n);
    (backward ? cpu_ops.dropout_bwd : cpu_ops.dropout_fwd)(x, y, n, p, seed, &step, salt);
    return y;
}

static long count_kept(const float *y, long n)
{
    long kept = 0;
    for (long i = 0; i < n; i++) kept += y[i] != 0;
    return kept;
}

Test(layer_ops, dropout)
{
    rng r = {106};
    long n = 100000;
    float p = 0.3f, *x = rand_floats(&r, n, 0.5f, 1.5f), *dy = rand_floats(&r, n, 0.5f, 1.5f);
    float *y = dropout_run(x, n, p, 42, 7, 3, 0), *dx = dropout_run(dy, n, p, 42, 7, 3, 1);
    for (long i = 0; i < n; i++) {
        int keep = cnn_dropout_keep(42, 7, 3, (unsigned long long)i, p);
        cr_assert_eq(y[i], keep ? x[i] / (1 - p) : 0.0f, "forward %ld", i);
        cr_assert_eq(dx[i], keep ? dy[i] / (1 - p) : 0.0f, "backward %ld: not forward's mask", i);
    }
    double kept = (double)count_kept(y, n) / n; /* sd sqrt(0.21 / 1e5) = 0.0014 */
    cr_assert(fabs(kept - (1 - p)) < 0.01, "kept %g, want %g", kept, 1 - p);

    /* another step, or another salt (layer): another mask, about 2p(1-p) differing */
    float *y2 = dropout_run(x, n, p, 42, 8, 3, 0), *y3 = dropout_run(x, n, p, 42, 7, 4, 0);
    long diff2 = 0, diff3 = 0;
    for (long i = 0; i < n; i++) {
        diff2 += (y[i] != 0) != (y2[i] != 0);
        diff3 += (y[i] != 0) != (y3[i] != 0);
    }
    cr_assert(fabs((double)diff2 / n - 2 * p * (1 - p)) < 0.01, "steps differ in %ld", diff2);
    cr_assert(fabs((double)diff3 / n - 2 * p * (1 - p)) < 0.01, "salts differ in %ld", diff3);

    /* p = 0 keeps everything, unscaled */
    float *y0 = dropout_run(x, n, 0, 42, 7, 3, 0);
    cr_assert_eq(memcmp(y0, x, sizeof(float) * n), 0);

    /* count_step moves the counter the ops read */
    unsigned long long step = 7;
    cpu_ops.count_step(&step);
    cr_assert_eq(step, 8);
    free(x); free(dy); free(y); free(dx); free(y2); free(y3); free(y0);
}

/* ---- batch normalization ---- */

typedef struct {
    int outer, ch, inner;
} bn_case;

static long bn_at(bn_case t, int c, long j)
{
    return ((j / t.inner) * t.ch + c) * t.inner + j % t.inner;
}

/* Channel c's mean and biased variance in double. */
static void bn_ref_stats(const float *x, bn_case t, int c, double *mean, double *var)
{
    long m = (long)t.outer * t.inner;
    double s = 0, q = 0;
    for (long j = 0; j < m; j++) s += x[bn_at(t, c, j)];
    *mean = s / m;
    for (long j = 0; j < m; j++) q += (x[bn_at(t, c, j)] - *mean) * (x[bn_at(t, c, j)] - *mean);
    *var = q / m;
}

/* The forward in double (for the finite differences). */
static void bn_ref_fwd(const double *x, bn_case t, const float *gamma, const float *beta,
                       double eps, double *y)
{
    long m = (long)t.outer * t.inner;
    for (int c = 0; c < t.ch; c++) {
        double mean = 0, var = 0;
        for (long j = 0; j < m; j++) mean += x[bn_at(t, c, j)] / m;
        for (long j = 0; j < m; j++) var += pow(x[bn_at(t, c, j)] - mean, 2) / m;
        for (long j = 0; j < m; j++) {
            long i = bn_at(t, c, j);
            y[i] = gamma[c] * (x[i] - mean) / sqrt(var + eps) + beta[c];
        }
    }
}

/* The analytic backward in double, written from the chain rule directly:
 * dxhat = gamma dy; dx = (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) / sd. */
static void bn_ref_bwd(const float *x, const float *dy, bn_case t, const float *gamma, double eps,
                       double *dx, double *dgamma, double *dbeta)
{
    long m = (long)t.outer * t.inner;
    for (int c = 0; c < t.ch; c++) {
        double mean, var, a = 0, b = 0;
        bn_ref_stats(x, t, c, &mean, &var);
        double sd = sqrt(var + eps);
        dgamma[c] = dbeta[c] = 0;
        for (long j = 0; j < m; j++) {
            long i = bn_at(t, c, j);
            double xhat = (x[i] - mean) / sd;
            dgamma[c] += dy[i] * xhat;
            dbeta[c] += dy[i];
            a += gamma[c] * dy[i];
            b += gamma[c] * dy[i] * xhat;
        }
        for (long j = 0; j < m; j++) {
            long i = bn_at(t, c, j);
            double xhat = (x[i] - mean) / sd;
            dx[i] = (gamma[c] * dy[i] - a / m - xhat * b / m) / sd;
        }
    }
}

/* The conv layout, the fc layout, one in between, and one value per channel. */
static const bn_case BNS[] = {{1, 4, 2 * 6 * 6}, {8, 5, 1}, {3, 4, 5}, {1, 3, 1}};

Test(layer_ops, bn_forward_train_and_eval)
{
    rng r = {107};
    float eps = 1e-5f, momentum = 0.1f;
    for (int s = 0; s < 4; s++) {
        bn_case t = BNS[s];
        long m = (long)t.outer * t.inner, n = m * t.ch;
        float *x = rand_floats(&r, n, -3, 5), *gamma = malloc(sizeof(float) * t.ch);
        float *beta = calloc(t.ch, sizeof(float)), *y = nan_floats(n), *ye = nan_floats(n);
        float *mean = nan_floats(t.ch), *invstd = nan_floats(t.ch);
        float *rm = rand_floats(&r, t.ch, -1, 1), *rv = rand_floats(&r, t.ch, 0.5f, 2);
        float *rm0 = malloc(sizeof(float) * t.ch), *rv0 = malloc(sizeof(float) * t.ch);
        for (int c = 0; c < t.ch; c++) gamma[c] = 1;
        memcpy(rm0, rm, sizeof(float) * t.ch);
        memcpy(rv0, rv, sizeof(float) * t.ch);
        cpu_ops.bn_fwd_train(x, t.outer, t.ch, t.inner, gamma, beta, eps, momentum, mean, invstd,
                             rm, rv, y);
        for (int c = 0; c < t.ch; c++) {
            double bm, bv, ym, yv;
            bn_ref_stats(x, t, c, &bm, &bv);
            bn_ref_stats(y, t, c, &ym, &yv);
            double unbiased = m > 1 ? bv * m / (m - 1) : bv;
            cr_assert(fabs(ym) < 1e-5, "case %d channel %d: output mean %g", s, c, ym);
            if (m > 1)
                cr_assert(fabs(yv - 1) < 1e-3, "case %d channel %d: output var %g", s, c, yv);
            cr_assert(close_enough(mean[c], bm, 1e-6, 1e-5), "saved mean");
            cr_assert(close_enough(invstd[c], 1 / sqrt(bv + eps), 1e-6, 1e-5), "saved invstd");
            cr_assert(close_enough(rm[c], (1 - momentum) * rm0[c] + momentum * bm, 1e-6, 1e-5),
                      "case %d channel %d: running mean %g", s, c, rm[c]);
            cr_assert(close_enough(rv[c], (1 - momentum) * rv0[c] + momentum * unbiased, 1e-6,
                                   1e-5), "case %d channel %d: running var %g", s, c, rv[c]);
        }
        /* evaluation: the running statistics, none of them changed */
        for (int c = 0; c < t.ch; c++) gamma[c] = 0.5f + c, beta[c] = 0.25f * c;
        memcpy(rm0, rm, sizeof(float) * t.ch);
        memcpy(rv0, rv, sizeof(float) * t.ch);
        cpu_ops.bn_fwd_eval(x, t.outer, t.ch, t.inner, gamma, beta, eps, rm, rv, ye);
        for (long i = 0; i < n; i++) {
            int c = (int)((i / t.inner) % t.ch);
            double want = gamma[c] * (x[i] - rm[c]) / sqrt(rv[c] + (double)eps) + beta[c];
            cr_assert(close_enough(ye[i], want, 1e-5, 1e-5), "case %d eval %ld: %g vs %g", s, i,
                      ye[i], want);
        }
        cr_assert(!memcmp(rm, rm0, sizeof(float) * t.ch) && !memcmp(rv, rv0, sizeof(float) * t.ch));
        free(x); free(gamma); free(beta); free(y); free(ye); free(mean); free(invstd);
        free(rm); free(rv); free(rm0); free(rv0);
    }
}

/* The analytic double backward against central differences of the double
 * forward, on L = sum dy * y. */
Test(layer_ops, bn_reference_backward_matches_finite_differences)
{
    rng r = {108};
    bn_case t = {3, 2, 4};
    long n = (long)t.outer * t.ch * t.inner;
    float *xf = rand_floats(&r, n, -1, 1), *dy = rand_floats(&r, n, -1, 1);
    float gamma[2] = {0.7f, 1.3f}, beta[2] = {0.1f, -0.2f};
    double *x = malloc(sizeof(double) * n), *y = malloc(sizeof(double) * n);
    double *dx = malloc(sizeof(double) * n), dg[2], db[2], h = 1e-6, eps = 1e-5;
    for (long i = 0; i < n; i++) x[i] = xf[i];
    bn_ref_bwd(xf, dy, t, gamma, eps, dx, dg, db);
    for (long i = 0; i < n; i++) {
        double l[2];
        for (int sgn = 0; sgn < 2; sgn++) {
            x[i] = xf[i] + (sgn ? h : -h);
            bn_ref_fwd(x, t, gamma, beta, eps, y);
            l[sgn] = 0;
            for (long j = 0; j < n; j++) l[sgn] += dy[j] * y[j];
        }
        x[i] = xf[i];
        double fd = (l[1] - l[0]) / (2 * h);
        cr_assert(close_enough(dx[i], fd, 1e-6, 1e-5), "dx %ld: analytic %g, differences %g", i,
                  dx[i], fd);
    }
    free(xf); free(dy); free(x); free(y); free(dx);
}

Test(layer_ops, bn_backward)
{
    rng r = {109};
    float eps = 1e-5f;
    for (int s = 0; s < 4; s++) {
        bn_case t = BNS[s];
        long n = (long)t.outer * t.ch * t.inner;
        float *x = rand_floats(&r, n, -2, 3), *dy = rand_floats(&r, n, -1, 1);
        float *gamma = rand_floats(&r, t.ch, 0.5f, 1.5f), *beta = rand_floats(&r, t.ch, -1, 1);
        float *mean = malloc(sizeof(float) * t.ch), *invstd = malloc(sizeof(float) * t.ch);
        float *rm = calloc(t.ch, sizeof(float)), *rv = calloc(t.ch, sizeof(float));
        float *y = malloc(sizeof(float) * n), *dx = nan_floats(n);
        float *dg = nan_floats(t.ch), *db = nan_floats(t.ch);
        double *wdx = malloc(sizeof(double) * n), *wdg = malloc(sizeof(double) * t.ch);
        double *wdb = malloc(sizeof(double) * t.ch);
        cpu_ops.bn_fwd_train(x, t.outer, t.ch, t.inner, gamma, beta, eps, 0.1f, mean, invstd, rm,
                             rv, y);
        cpu_ops.bn_bwd(x, dy, t.outer, t.ch, t.inner, gamma, mean, invstd, dg, db, dx);
        bn_ref_bwd(x, dy, t, gamma, eps, wdx, wdg, wdb);
        for (int c = 0; c < t.ch; c++) {
            cr_assert(close_enough(dg[c], wdg[c], 1e-5, 1e-5), "case %d dgamma %d", s, c);
            cr_assert(close_enough(db[c], wdb[c], 1e-5, 1e-5), "case %d dbeta %d", s, c);
        }
        for (long i = 0; i < n; i++)
            cr_assert(close_enough(dx[i], wdx[i], 1e-5, 1e-4), "case %d dx %ld: %g vs %g", s, i,
                      dx[i], wdx[i]);
        free(x); free(dy); free(gamma); free(beta); free(mean); free(invstd); free(rm); free(rv);
        free(y); free(dx); free(dg); free(db); free(wdx); free(wdg); free(wdb);
    }
}

/* ---- the same bits on any thread count ---- */

/* Gap and batch normalization (forward and backward, conv layout; forward,
 * fc layout) on sizes past PAR_MIN, so the threads really split them. Every
 * output goes to out, REDUCTIONS_OUT floats, in turn. */
#define RED_N (50L * 14 * 14 * 8)
#define REDUCTIONS_OUT (48 + 400 + 4 * 196 + 3 * RED_N)

static void reductions_into(const float *x, const float *dy, float *out)
{
    float gamma[8], beta[8];
    for (int c = 0; c < 8; c++) gamma[c] = 1 + 0.1f * c, beta[c] = 0.1f * c;
    float *mean = out, *invstd = out + 8, *dg = out + 16, *db = out + 24, *rm = out + 32;
    float *rv = out + 40, *g = out + 48, *y = g + 400, *dx = y + RED_N, *fc = dx + RED_N;
    cpu_ops.gap_fwd(x, 400, 196, g);
    cpu_ops.bn_fwd_train(x, 1, 8, RED_N / 8, gamma, beta, 1e-5f, 0.1f, mean, invstd, rm, rv, y);
    cpu_ops.bn_bwd(x, dy, 1, 8, RED_N / 8, gamma, mean, invstd, dg, db, dx);
    /* 400 samples of 196 features; x and dy serve as gamma and beta */
    cpu_ops.bn_fwd_train(x, 400, 196, 1, x, dy, 1e-5f, 0.1f, fc, fc + 196, fc + 392, fc + 588,
                         fc + 784);
}

Test(layer_ops, reductions_same_bits_on_any_thread_count)
{
    rng r = {110};
    float *x = rand_floats(&r, RED_N, -1, 1), *dy = rand_floats(&r, RED_N, -1, 1);
    float *first = malloc(sizeof(float) * REDUCTIONS_OUT);
    float *out = malloc(sizeof(float) * REDUCTIONS_OUT);
    const int threads[] = {1, 2, 3};
    for (int k = 0; k < 3; k++) {
        cpu_ops_set_threads(threads[k]);
        memset(out, 0, sizeof(float) * REDUCTIONS_OUT);
        reductions_into(x, dy, out);
        if (k == 0) memcpy(first, out, sizeof(float) * REDUCTIONS_OUT);
        cr_assert_eq(memcmp(out, first, sizeof(float) * REDUCTIONS_OUT), 0,
                     "%d threads differ from 1", threads[k]);
    }
    cpu_ops_set_threads(0);
    free(x); free(dy); free(first); free(out);
}
