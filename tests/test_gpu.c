/* The GPU backend against the CPU backend and the double reference: every op
 * on random shapes (GPU outputs poisoned with NaN first, so an element left
 * unwritten fails), gemm in all four transpose cases, whole nets forward and
 * backward, every training scenario of graph_scenarios.c (graph replay
 * against plain launches to the bit, and against the CPU within the CPU's
 * own rounding spread), and evaluation with its confusion matrix against the
 * CPU's. Without a GPU the binary prints one line and passes (and fails with
 * CNN_REQUIRE_GPU=1). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "norm_util.h"
#include "cpu/cpu_backend.h"
#include "capture_ops.h"
#include "hd/act.h"
#include "device.h"
#include "graph_scenarios.h"
#include "net.h"
#include "ref.h"
#include "testutil.h"
#include "train.h"

/* input_normalization for one channel, as a scale and a shift. */
static int norm1(int mode, const dataset *d, float *scale, float *shift)
{
    input_norm n = {0};
    int rc = input_normalization(mode, d, 1, &n);
    *scale = n.scale[0];
    *shift = n.shift[0];
    return rc;
}

static const cnn_ops *gpu(void)
{
    char desc[256], err[256];
    const cnn_ops *g = gpu_backend_open(0, desc, sizeof desc, err, sizeof err);
    cr_assert_not_null(g, "%s", err);
    return g;
}

static float *to_gpu(const cnn_ops *g, const float *h, long n)
{
    float *d = g->alloc(sizeof(float) * (n ? n : 1), "test buffer");
    g->upload(d, h, sizeof(float) * n);
    return d;
}

/* A device buffer of n NaNs. */
static float *gpu_nan(const cnn_ops *g, long n)
{
    float *h = nan_floats(n), *d = to_gpu(g, h, n);
    free(h);
    return d;
}

static float *to_host(const cnn_ops *g, const float *d, long n)
{
    float *h = malloc(sizeof(float) * (n ? n : 1));
    g->download(h, d, sizeof(float) * n);
    return h;
}

/* Downloads got (device) and compares it with want (host), freeing got's copy. */
static void expect_close(const cnn_ops *g, const float *got_dev, const float *want, long n,
                         double abs_tol, double rel_tol, const char *what)
{
    float *got = to_host(g, got_dev, n);
    for (long i = 0; i < n; i++)
        cr_assert(close_enough(got[i], want[i], abs_tol, rel_tol),
                  "%s: element %ld: gpu %.9g, cpu %.9g", what, i, got[i], want[i]);
    free(got);
}

Test(gpu, gemm_all_transposes)
{
    const cnn_ops *g = gpu();
    const int sizes[][3] = {{3, 5, 7}, {8, 300, 40}, {300, 8, 40}, {4, 25, 9000}, {1, 1, 1},
                            {50, 10, 392}};
    const float ab[][2] = {{1, 0}, {0.5f, 2}};
    rng r = {31};
    for (int s = 0; s < 6; s++)
        for (int t = 0; t < 4; t++)
            for (int v = 0; v < 2; v++) {
                int m = sizes[s][0], n = sizes[s][1], k = sizes[s][2], ta = t & 1, tb = t >> 1;
                float *a = rand_floats(&r, (long)m * k, -1, 1), *b = rand_floats(&r, (long)k * n, -1, 1);
                float *c = rand_floats(&r, (long)m * n, -1, 1);
                float *da = to_gpu(g, a, (long)m * k), *db = to_gpu(g, b, (long)k * n);
                float *dc = to_gpu(g, c, (long)m * n);
                if (ab[v][1] == 0) { /* beta 0 must ignore what C held */
                    g->free(dc);
                    dc = gpu_nan(g, (long)m * n);
                }
                cpu_ops.gemm(ta, tb, m, n, k, ab[v][0], a, b, ab[v][1], c);
                g->gemm(ta, tb, m, n, k, ab[v][0], da, db, ab[v][1], dc);
                char what[96];
                snprintf(what, sizeof what, "gemm m%d n%d k%d ta%d tb%d beta %g", m, n, k, ta, tb,
                         ab[v][1]);
                expect_close(g, dc, c, (long)m * n, 1e-4 * sqrt(k), 1e-4, what);
                g->free(da); g->free(db); g->free(dc);
                free(a); free(b); free(c);
            }
}

static const int GEOMS[][7] = {
    {1, 1, 5, 5, 1, 1, 0}, {1, 2, 7, 5, 3, 1, 1}, {3, 2, 6, 9, 3, 2, 0}, {2, 3, 8, 8, 5, 1, 2},
    {4, 1, 5, 7, 5, 2, 2}, {1, 50, 28, 28, 5, 1, 2}, {4, 50, 14, 14, 5, 1, 2},
    {4, 50, 28, 28, 2, 2, 0}, {2, 2, 9, 6, 2, 2, 0}, {3, 1, 10, 7, 3, 3, 1},
};

Test(gpu, im2col_col2im_pool)
{
    const cnn_ops *g = gpu();
    rng r = {32};
    for (size_t gi = 0; gi < sizeof GEOMS / sizeof GEOMS[0]; gi++) {
        const int *p = GEOMS[gi];
        cnn_window w = cnn_window_make(p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
        long xn = (long)w.c * w.n * w.h * w.w, cn = (long)cnn_cols_rows(w) * cnn_cols_cols(w);
        long pn = (long)w.c * w.n * w.oh * w.ow;
        float *x = rand_floats(&r, xn, -1, 1), *y = rand_floats(&r, cn, -1, 1);
        float *dy = rand_floats(&r, pn, -1, 1);
        float *cols = malloc(sizeof(float) * cn), *back = malloc(sizeof(float) * xn);
        float *pool = malloc(sizeof(float) * pn), *dpool = malloc(sizeof(float) * xn);
        cpu_ops.im2col(x, w, cols);
        cpu_ops.col2im(y, w, back);
        cpu_ops.pool_fwd(x, w, pool);
        cpu_ops.pool_bwd(dy, w, dpool);
        float *gx = to_gpu(g, x, xn), *gy = to_gpu(g, y, cn), *gdy = to_gpu(g, dy, pn);
        float *gcols = gpu_nan(g, cn), *gback = gpu_nan(g, xn), *gpool = gpu_nan(g, pn);
        float *gdpool = gpu_nan(g, xn);
        g->im2col(gx, w, gcols);
        g->col2im(gy, w, gback);
        g->pool_fwd(gx, w, gpool);
        g->pool_bwd(gdy, w, gdpool);
        char what[64];
        snprintf(what, sizeof what, "im2col, geometry %zu", gi);
        expect_close(g, gcols, cols, cn, 0, 0, what);
        snprintf(what, sizeof what, "col2im, geometry %zu", gi);
        expect_close(g, gback, back, xn, 1e-6, 1e-5, what);
        snprintf(what, sizeof what, "pool forward, geometry %zu", gi);
        expect_close(g, gpool, pool, pn, 1e-6, 1e-5, what);
        snprintf(what, sizeof what, "pool backward, geometry %zu", gi);
        expect_close(g, gdpool, dpool, xn, 1e-6, 1e-5, what);
        g->free(gx); g->free(gy); g->free(gdy); g->free(gcols); g->free(gback);
        g->free(gpool); g->free(gdpool);
        free(x); free(y); free(dy); free(cols); free(back); free(pool); free(dpool);
    }
}

Test(gpu, elementwise_bias_swap)
{
    const cnn_ops *g = gpu();
    rng r = {33};
    long n = 50 * 4 * 28 * 28;
    float *x = rand_floats(&r, n, -1, 1), *dy = rand_floats(&r, n, -1, 1);
    float *y = malloc(sizeof(float) * n), *dx = malloc(sizeof(float) * n);
    float *gx = to_gpu(g, x, n), *gdy = to_gpu(g, dy, n), *gyv = gpu_nan(g, n), *gdx = gpu_nan(g, n);
    cpu_ops.relu_fwd(x, y, n);
    cpu_ops.relu_bwd(y, dy, dx, n);
    g->relu_fwd(gx, gyv, n);
    g->relu_bwd(gyv, gdy, gdx, n);
    expect_close(g, gyv, y, n, 0, 0, "relu forward");
    expect_close(g, gdx, dx, n, 0, 0, "relu backward");

    /* bias as a conv has it (1 x C x N*H*W) and as an fc has it (N x O x 1) */
    const int shapes[][3] = {{1, 4, 50 * 784}, {50, 10, 1}, {3, 5, 7}};
    for (int s = 0; s < 3; s++) {
        int outer = shapes[s][0], ch = shapes[s][1], inner = shapes[s][2];
        long m = (long)outer * ch * inner;
        float *b = rand_floats(&r, ch, -1, 1), *db = malloc(sizeof(float) * ch);
        float *yy = rand_floats(&r, m, -1, 1);
        float *gb = to_gpu(g, b, ch), *gyy = to_gpu(g, yy, m), *gdb = gpu_nan(g, ch);
        cpu_ops.bias_add(yy, b, outer, ch, inner);
        cpu_ops.bias_grad(yy, db, outer, ch, inner);
        g->bias_add(gyy, gb, outer, ch, inner);
        g->bias_grad(gyy, gdb, outer, ch, inner);
        expect_close(g, gyy, yy, m, 0, 0, "bias add");
        expect_close(g, gdb, db, ch, 1e-4, 1e-4, "bias gradient");
        g->free(gb); g->free(gyy); g->free(gdb);
        free(b); free(db); free(yy);
    }

    int a = 8, bb = 50, inner = 49;
    float *sw = malloc(sizeof(float) * a * bb * inner), *gsw = gpu_nan(g, (long)a * bb * inner);
    cpu_ops.swap_axes(x, sw, a, bb, inner);
    g->swap_axes(gx, gsw, a, bb, inner);
    expect_close(g, gsw, sw, (long)a * bb * inner, 0, 0, "swap axes");
    g->free(gx); g->free(gdy); g->free(gyv); g->free(gdx); g->free(gsw);
    free(x); free(dy); free(y); free(dx); free(sw);
}

/* The fc bias gradient's own path (inner 1: one warp per output) at the
 * shapes it runs: mlp1's 392 and the 10 outputs, at batch 50 and 2048 (a
 * lane sums 2 and 64 rows). Tolerance, per output: the GPU adds in float, a
 * lane's rows in order and then 5 shuffle levels, so each value passes
 * through at most ceil(outer / 32) - 1 + 5 roundings and the error is at most
 * (ceil(outer / 32) + 4) * 2^-24 * sum |dy| (the standard bound for a
 * summation); the CPU sums in double and rounds once (2^-24 * |sum|, within
 * that sum |dy| term again). One more 2^-24 * sum |dy| covers both, and a
 * wrong row or a lost lane moves the sum by far more. Two runs must give
 * the same bits. */
Test(gpu, fc_bias_gradient_one_warp_per_output)
{
    const cnn_ops *g = gpu();
    rng r = {35};
    const int shapes[][2] = {{50, 392}, {2048, 392}, {50, 10}, {2048, 10}, {33, 7}};
    for (int s = 0; s < 5; s++) {
        int outer = shapes[s][0], ch = shapes[s][1];
        long m = (long)outer * ch;
        float *dy = rand_floats(&r, m, -1, 1), *db = malloc(sizeof(float) * ch);
        float *gdy = to_gpu(g, dy, m), *gdb = gpu_nan(g, ch), *gdb2 = gpu_nan(g, ch);
        cpu_ops.bias_grad(dy, db, outer, ch, 1);
        g->bias_grad(gdy, gdb, outer, ch, 1);
        g->bias_grad(gdy, gdb2, outer, ch, 1);
        float *got = to_host(g, gdb, ch), *again = to_host(g, gdb2, ch);
        double roundings = (outer + 31) / 32 + 5;
        for (int c = 0; c < ch; c++) {
            double abs_sum = 0;
            for (int o = 0; o < outer; o++) abs_sum += fabs(dy[(long)o * ch + c]);
            double bound = roundings * ldexp(1.0, -24) * abs_sum;
            cr_assert_leq(fabs((double)got[c] - db[c]), bound,
                          "%d x %d: output %d: gpu %.9g, cpu %.9g, bound %.3g", outer, ch, c,
                          got[c], db[c], bound);
        }
        cr_assert_eq(memcmp(got, again, sizeof(float) * ch), 0,
                     "%d x %d: two runs gave different bits", outer, ch);
        g->free(gdy); g->free(gdb); g->free(gdb2);
        free(dy); free(db); free(got); free(again);
    }
}

/* Pooling with Caffe's windows (rounded-up sides: partial last windows,
 * overlapping, padded): average and max, forward and backward; the arg of
 * max pooling exactly. */
Test(gpu, pooling_caffe_windows)
{
    const cnn_ops *g = gpu();
    const int geoms[][7] = {{2, 3, 9, 9, 3, 2, 0}, {1, 2, 10, 10, 3, 2, 0}, {2, 2, 7, 6, 3, 2, 1},
                            {1, 1, 5, 5, 2, 2, 0}, {4, 50, 28, 28, 2, 2, 0}, {1, 2, 6, 6, 3, 2, 1},
                            {2, 1, 11, 7, 3, 3, 1}, {8, 50, 14, 14, 3, 2, 1}};
    rng r = {36};
    for (size_t gi = 0; gi < sizeof geoms / sizeof geoms[0]; gi++) {
        const int *p = geoms[gi];
        cnn_window w = cnn_pool_window_make(p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
        long xn = (long)w.c * w.n * w.h * w.w, pn = (long)w.c * w.n * w.oh * w.ow;
        float *x = rand_floats(&r, xn, -1, 1), *dy = rand_floats(&r, pn, -1, 1);
        for (long i = 0; i < xn; i += 3) x[i] = x[i / 2]; /* some ties */
        float *avg = malloc(sizeof(float) * pn), *mx = malloc(sizeof(float) * pn);
        float *davg = malloc(sizeof(float) * xn), *dmx = malloc(sizeof(float) * xn);
        int *arg = malloc(sizeof(int) * pn), *garg_host = malloc(sizeof(int) * pn);
        cpu_ops.pool_fwd(x, w, avg);
        cpu_ops.pool_bwd(dy, w, davg);
        cpu_ops.maxpool_fwd(x, w, mx, arg);
        cpu_ops.maxpool_bwd(dy, arg, w, dmx);
        float *gx = to_gpu(g, x, xn), *gdy = to_gpu(g, dy, pn), *gavg = gpu_nan(g, pn);
        float *gmx = gpu_nan(g, pn), *gdavg = gpu_nan(g, xn), *gdmx = gpu_nan(g, xn);
        int *garg = g->alloc(sizeof(int) * pn, "arg");
        for (long i = 0; i < pn; i++) garg_host[i] = -7; /* an arg left unwritten fails */
        g->upload(garg, garg_host, sizeof(int) * pn);
        g->pool_fwd(gx, w, gavg);
        g->pool_bwd(gdy, w, gdavg);
        g->maxpool_fwd(gx, w, gmx, garg);
        g->maxpool_bwd(gdy, garg, w, gdmx);
        char what[64];
        snprintf(what, sizeof what, "average pool forward, geometry %zu", gi);
        expect_close(g, gavg, avg, pn, 1e-6, 1e-5, what);
        snprintf(what, sizeof what, "average pool backward, geometry %zu", gi);
        expect_close(g, gdavg, davg, xn, 1e-6, 1e-5, what);
        snprintf(what, sizeof what, "max pool forward, geometry %zu", gi);
        expect_close(g, gmx, mx, pn, 0, 0, what);
        snprintf(what, sizeof what, "max pool backward, geometry %zu", gi);
        expect_close(g, gdmx, dmx, xn, 1e-6, 1e-5, what);
        g->download(garg_host, garg, sizeof(int) * pn);
        cr_assert_eq(memcmp(garg_host, arg, sizeof(int) * pn), 0, "max pool arg, geometry %zu", gi);
        g->free(gx); g->free(gdy); g->free(gavg); g->free(gmx); g->free(gdavg); g->free(gdmx);
        g->free(garg);
        free(x); free(dy); free(avg); free(mx); free(davg); free(dmx); free(arg); free(garg_host);
    }
}

Test(gpu, gap_and_activations)
{
    const cnn_ops *g = gpu();
    rng r = {37};
    const int shapes[][2] = {{1, 1}, {400, 49}, {8, 3000}};
    for (int s = 0; s < 3; s++) {
        long planes = shapes[s][0], n = planes * shapes[s][1];
        int size = shapes[s][1];
        float *x = rand_floats(&r, n, -1, 1), *dy = rand_floats(&r, planes, -1, 1);
        float *y = malloc(sizeof(float) * planes), *dx = malloc(sizeof(float) * n);
        cpu_ops.gap_fwd(x, planes, size, y);
        cpu_ops.gap_bwd(dy, planes, size, dx);
        float *gx = to_gpu(g, x, n), *gdy = to_gpu(g, dy, planes), *gy = gpu_nan(g, planes);
        float *gdx = gpu_nan(g, n);
        g->gap_fwd(gx, planes, size, gy);
        g->gap_bwd(gdy, planes, size, gdx);
        expect_close(g, gy, y, planes, 1e-6, 1e-5, "gap forward");
        expect_close(g, gdx, dx, n, 0, 0, "gap backward");
        g->free(gx); g->free(gdy); g->free(gy); g->free(gdx);
        free(x); free(dy); free(y); free(dx);
    }

    long n = 50 * 4 * 28 * 28;
    float *x = rand_floats(&r, n, -8, 8), *dy = rand_floats(&r, n, -1, 1);
    x[0] = 100, x[1] = -100, x[2] = 0;
    float *y = malloc(sizeof(float) * n), *dx = malloc(sizeof(float) * n);
    float *gx = to_gpu(g, x, n), *gdy = to_gpu(g, dy, n), *gy = gpu_nan(g, n), *gdx = gpu_nan(g, n);
    const int kinds[] = {CNN_ACT_TANH, CNN_ACT_SIGMOID, CNN_ACT_LRELU};
    for (int k = 0; k < 3; k++) {
        cpu_ops.act_fwd(kinds[k], 0.01f, x, y, n);
        cpu_ops.act_bwd(kinds[k], 0.01f, x, y, dy, dx, n);
        g->act_fwd(kinds[k], 0.01f, gx, gy, n);
        g->act_bwd(kinds[k], 0.01f, gx, gy, gdy, gdx, n);
        /* expf and tanhf differ from glibc's by an ulp or two */
        expect_close(g, gy, y, n, 1e-7, 1e-6, "activation forward");
        expect_close(g, gdx, dx, n, 1e-6, 1e-5, "activation backward");
    }
    g->free(gx); g->free(gdy); g->free(gy); g->free(gdx);
    free(x); free(dy); free(y); free(dx);
}

/* The mask is integer arithmetic and the scale one division: the same bits
 * as the CPU, at the step read from device memory, before and after
 * count_step moves it. */
Test(gpu, dropout_same_mask_as_cpu)
{
    const cnn_ops *g = gpu();
    rng r = {38};
    long n = 100003;
    float *x = rand_floats(&r, n, -1, 1), *y = malloc(sizeof(float) * n);
    float *gx = to_gpu(g, x, n), *gy = gpu_nan(g, n);
    unsigned long long step = 5, *gstep = g->alloc(sizeof step, "step");
    g->upload(gstep, &step, sizeof step);
    for (int k = 0; k < 2; k++) {
        cpu_ops.dropout_fwd(x, y, n, 0.4f, 99, &step, 2);
        g->dropout_fwd(gx, gy, n, 0.4f, 99, gstep, 2);
        expect_close(g, gy, y, n, 0, 0, "dropout forward");
        g->dropout_bwd(gx, gy, n, 0.4f, 99, gstep, 2);
        expect_close(g, gy, y, n, 0, 0, "dropout backward");
        cpu_ops.count_step(&step);
        g->count_step(gstep);
    }
    unsigned long long got;
    g->download(&got, gstep, sizeof got);
    cr_assert_eq(got, 7);
    g->free(gx); g->free(gy); g->free(gstep);
    free(x); free(y);
}

/* Batch normalization in the conv layout (1 x C x N*H*W) and the fc layout
 * (N x F x 1): training forward with its saved and running statistics,
 * evaluation, backward. */
Test(gpu, batch_norm)
{
    const cnn_ops *g = gpu();
    const int shapes[][3] = {{1, 4, 50 * 28 * 28}, {50, 10, 1}, {3, 5, 7}, {1, 2, 1}};
    rng r = {39};
    for (int s = 0; s < 4; s++) {
        int outer = shapes[s][0], ch = shapes[s][1], inner = shapes[s][2];
        long n = (long)outer * ch * inner;
        float *x = rand_floats(&r, n, -2, 3), *dy = rand_floats(&r, n, -1, 1);
        float *gamma = rand_floats(&r, ch, 0.5f, 1.5f), *beta = rand_floats(&r, ch, -1, 1);
        float *stats = rand_floats(&r, 6 * ch, 0.5f, 1.5f); /* mean invstd rm rv dg db */
        float *y = malloc(sizeof(float) * n), *ye = malloc(sizeof(float) * n);
        float *dx = malloc(sizeof(float) * n);
        float *gx = to_gpu(g, x, n), *gdy = to_gpu(g, dy, n), *ggamma = to_gpu(g, gamma, ch);
        float *gbeta = to_gpu(g, beta, ch), *gstats = to_gpu(g, stats, 6 * ch);
        float *gy = gpu_nan(g, n), *gye = gpu_nan(g, n), *gdx = gpu_nan(g, n);
        float *st = stats, *gs = gstats;
        cpu_ops.bn_fwd_train(x, outer, ch, inner, gamma, beta, 1e-5f, 0.1f, st, st + ch,
                             st + 2 * ch, st + 3 * ch, y);
        cpu_ops.bn_fwd_eval(x, outer, ch, inner, gamma, beta, 1e-5f, st + 2 * ch, st + 3 * ch, ye);
        cpu_ops.bn_bwd(x, dy, outer, ch, inner, gamma, st, st + ch, st + 4 * ch, st + 5 * ch, dx);
        g->bn_fwd_train(gx, outer, ch, inner, ggamma, gbeta, 1e-5f, 0.1f, gs, gs + ch,
                        gs + 2 * ch, gs + 3 * ch, gy);
        g->bn_fwd_eval(gx, outer, ch, inner, ggamma, gbeta, 1e-5f, gs + 2 * ch, gs + 3 * ch, gye);
        g->bn_bwd(gx, gdy, outer, ch, inner, ggamma, gs, gs + ch, gs + 4 * ch, gs + 5 * ch, gdx);
        expect_close(g, gstats, stats, 4 * ch, 1e-5, 1e-4, "bn saved and running statistics");
        /* sums of m terms, the GPU's in float: their rounding grows as sqrt(m) */
        expect_close(g, gstats + 4 * ch, stats + 4 * ch, 2 * ch, 1e-5 * sqrt((double)outer * inner),
                     1e-4, "bn dgamma and dbeta");
        expect_close(g, gy, y, n, 1e-5, 1e-4, "bn training forward");
        expect_close(g, gye, ye, n, 1e-5, 1e-4, "bn evaluation forward");
        expect_close(g, gdx, dx, n, 1e-5, 1e-4, "bn backward");
        g->free(gx); g->free(gdy); g->free(ggamma); g->free(gbeta); g->free(gstats);
        g->free(gy); g->free(gye); g->free(gdx);
        free(x); free(dy); free(gamma); free(beta); free(stats); free(y); free(ye); free(dx);
    }
}

static void check_loss(int euclid, float lo, float hi, int n)
{
    const cnn_ops *g = gpu();
    rng r = {34 + euclid};
    int k = 10;
    float *s = rand_floats(&r, (long)n * k, lo, hi), *grad = malloc(sizeof(float) * n * k);
    int *labels = malloc(sizeof(int) * n), *pred = malloc(sizeof(int) * n);
    for (int i = 0; i < n; i++) labels[i] = (int)rng_below(&r, 10);
    double stats[2] = {0.5, 1};
    (euclid ? cpu_ops.euclid : cpu_ops.softmax_xent)(s, labels, n, k, grad, stats, pred);

    float *gs = to_gpu(g, s, (long)n * k), *ggrad = gpu_nan(g, (long)n * k);
    int *glabels = g->alloc(sizeof(int) * n, "labels"), *gpred = g->alloc(sizeof(int) * n, "pred");
    double *gstats = g->alloc(sizeof stats, "stats"), init[2] = {0.5, 1}, got[2];
    g->upload(glabels, labels, sizeof(int) * n);
    g->upload(gstats, init, sizeof init);
    (euclid ? g->euclid : g->softmax_xent)(gs, glabels, n, k, ggrad, gstats, gpred);
    g->download(got, gstats, sizeof got);
    cr_assert(close_enough(got[0], stats[0], 1e-6, 1e-9), "loss sum: gpu %.12g, cpu %.12g",
              got[0], stats[0]);
    cr_assert_eq(got[1], stats[1], "correct count");
    expect_close(g, ggrad, grad, (long)n * k, 1e-7, 1e-5, euclid ? "euclid grad" : "softmax grad");
    int *gp = malloc(sizeof(int) * n);
    g->download(gp, gpred, sizeof(int) * n);
    cr_assert_eq(memcmp(gp, pred, sizeof(int) * n), 0, "predictions differ");
    g->free(gs); g->free(ggrad); g->free(glabels); g->free(gpred); g->free(gstats);
    free(s); free(grad); free(labels); free(pred); free(gp);
}

Test(gpu, softmax_xent) { check_loss(0, -5, 5, 50); }
Test(gpu, softmax_xent_huge_scores) { check_loss(0, -1e30f, 1e30f, 7); }
Test(gpu, softmax_xent_large_batch) { check_loss(0, -5, 5, 2048); }
Test(gpu, euclid) { check_loss(1, -2, 2, 100); }

Test(gpu, sgd_gather_advance)
{
    const cnn_ops *g = gpu();
    rng r = {35};
    long n = 4842;
    float *w = rand_floats(&r, n, -1, 1), *gr = rand_floats(&r, n, -1, 1), *v = rand_floats(&r, n, -1, 1);
    float *gw = to_gpu(g, w, n), *ggr = to_gpu(g, gr, n), *gv = to_gpu(g, v, n), lr = 0.05f;
    float *glr = to_gpu(g, &lr, 1);
    unsigned long long step = 0, *gstep = g->alloc(sizeof step, "step");
    g->upload(gstep, &step, sizeof step);
    cnn_optim sgd = {.kind = CNN_OPTIM_SGD, .momentum = 0.9f, .weight_decay = 2e-4f};
    cpu_ops.optim(sgd, w, gr, v, NULL, NULL, n, &lr, &step);
    g->optim(sgd, gw, ggr, gv, NULL, NULL, n, glr, gstep);
    expect_close(g, gw, w, n, 1e-7, 1e-6, "sgd weights");
    expect_close(g, gv, v, n, 1e-7, 1e-6, "sgd momentum");

    /* 3 channels of 16x16, channel-first, each its own scaling (hd/gather.h) */
    int count = 100, channels = 3, plane = 256, dim = channels * plane, batch = 50;
    float norm[6] = {0.0127f, 0.02f, 0.5f, -0.42f, 0.1f, -3.0f}, *gnorm = to_gpu(g, norm, 6);
    unsigned char *images = malloc((size_t)count * dim), labels[100];
    for (long i = 0; i < (long)count * dim; i++) images[i] = (unsigned char)rng_below(&r, 256);
    for (int i = 0; i < count; i++) labels[i] = (unsigned char)rng_below(&r, 10);
    int index[100], cursor = 30, got_cursor, y[50], gy_host[50];
    for (int i = 0; i < count; i++) index[i] = (i * 37) % count;
    float *x = malloc(sizeof(float) * batch * dim);
    cpu_ops.gather(images, labels, index, &cursor, batch, channels, plane, norm, x, y);
    unsigned char *gimages = g->alloc((size_t)count * dim, "images"), *glabels = g->alloc(count, "labels");
    int *gindex = g->alloc(sizeof index, "index"), *gcursor = g->alloc(sizeof(int), "cursor");
    int *gy = g->alloc(sizeof(int) * batch, "y");
    float *gx = gpu_nan(g, (long)batch * dim);
    g->upload(gimages, images, (size_t)count * dim);
    g->upload(glabels, labels, count);
    g->upload(gindex, index, sizeof index);
    g->upload(gcursor, &cursor, sizeof cursor);
    g->gather(gimages, glabels, gindex, gcursor, batch, channels, plane, gnorm, gx, gy);
    g->advance(gcursor, batch);
    expect_close(g, gx, x, (long)batch * dim, 0, 1e-7, "gather");
    g->download(gy_host, gy, sizeof gy_host);
    g->download(&got_cursor, gcursor, sizeof got_cursor);
    cr_assert_eq(memcmp(gy_host, y, sizeof y), 0, "gathered labels");
    cr_assert_eq(got_cursor, cursor + batch);
    g->free(gw); g->free(ggr); g->free(gv); g->free(glr); g->free(gstep); g->free(gimages); g->free(glabels);
    g->free(gindex); g->free(gcursor); g->free(gy); g->free(gx); g->free(gnorm);
    free(w); free(gr); free(v); free(images); free(x);
}

/* The augmented gather computes the CPU's bits (cnn_augment.h): no
 * augmentation, a shift only, and everything on a non-square image, at two
 * steps read from device memory. */
Test(gpu, gather_aug_same_bits_as_cpu)
{
    const cnn_ops *g = gpu();
    static const struct { int c, h, w; cnn_augment a; } cases[] = {
        {1, 28, 28, {0, 0.0f, 0.0f, 0}}, {1, 28, 28, {2, 0.0f, 0.0f, 0}},
        {1, 28, 28, {2, 10.0f, 0.1f, 0}}, {1, 23, 31, {8, 180.0f, 0.5f, 0}},
        {3, 32, 32, {0, 0.0f, 0.0f, 1}}, {3, 17, 22, {3, 15.0f, 0.2f, 1}},
    };
    const float norm[6] = {0.0127f, 0.03f, 0.5f, -0.42f, 0.2f, -1.0f};
    rng r = {36};
    int count = 100, batch = 50, y[50], gy_host[50], index[100], cursor = 20;
    for (int i = 0; i < count; i++) index[i] = (i * 37) % count;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        int dim = cases[k].c * cases[k].h * cases[k].w;
        unsigned char *images = malloc((size_t)count * dim), labels[100];
        for (long i = 0; i < (long)count * dim; i++) images[i] = (unsigned char)rng_below(&r, 256);
        for (int i = 0; i < count; i++) labels[i] = (unsigned char)rng_below(&r, 10);
        unsigned char *gimages = g->alloc((size_t)count * dim, "images");
        unsigned char *glabels = g->alloc(count, "labels");
        int *gindex = g->alloc(sizeof index, "index"), *gcursor = g->alloc(sizeof(int), "cursor");
        int *gy = g->alloc(sizeof(int) * batch, "y");
        unsigned long long step = 1234, *gstep = g->alloc(sizeof step, "step");
        g->upload(gimages, images, (size_t)count * dim);
        g->upload(glabels, labels, count);
        g->upload(gindex, index, sizeof index);
        g->upload(gcursor, &cursor, sizeof cursor);
        g->upload(gstep, &step, sizeof step);
        float *x = malloc(sizeof(float) * batch * dim);
        for (int s = 0; s < 2; s++) {
            float *gx = gpu_nan(g, (long)batch * dim);
            /* (norm: the first c scales, then shifts, as the op reads it) */
            float cnorm[6];
            for (int ch = 0; ch < cases[k].c; ch++) {
                cnorm[ch] = norm[ch];
                cnorm[cases[k].c + ch] = norm[3 + ch];
            }
            float *gcnorm = to_gpu(g, cnorm, 2 * cases[k].c);
            cpu_ops.gather_aug(images, labels, index, &cursor, batch, cases[k].c, cases[k].h,
                               cases[k].w, cnorm, cases[k].a, 17, &step, x, y);
            g->gather_aug(gimages, glabels, gindex, gcursor, batch, cases[k].c, cases[k].h,
                          cases[k].w, gcnorm, cases[k].a, 17, gstep, gx, gy);
            g->free(gcnorm);
            expect_close(g, gx, x, (long)batch * dim, 0, 0, "gather_aug");
            g->download(gy_host, gy, sizeof gy_host);
            cr_assert_eq(memcmp(gy_host, y, sizeof y), 0, "gathered labels");
            cpu_ops.count_step(&step);
            g->count_step(gstep);
            g->free(gx);
        }
        g->free(gimages); g->free(glabels); g->free(gindex); g->free(gcursor); g->free(gy);
        g->free(gstep);
        free(images); free(x);
    }
}

/* A whole net on the GPU against the double reference: scores, loss and
 * every parameter gradient. */
static void check_net(const char *text, shape3 in, int n, uint64_t seed)
{
    const cnn_ops *g = gpu();
    net_spec spec;
    char err[512];
    cr_assert_eq(net_spec_parse(text, in, 10, &spec, err, sizeof err), 0, "%s", err);
    net *nt = net_create(g, &spec, n);
    rng r = {seed};
    long np = spec.n_params, in_size = (long)in.c * in.h * in.w;
    float *params = rand_floats(&r, np, -0.5f, 0.5f), *x = rand_floats(&r, n * in_size, -1, 1);
    float *x_cnhw = malloc(sizeof(float) * n * in_size);
    int labels[64];
    for (int i = 0; i < n; i++) labels[i] = (int)rng_below(&r, 10);
    for (int i = 0; i < n; i++)
        for (int c = 0; c < in.c; c++)
            memcpy(x_cnhw + ((long)c * n + i) * in.h * in.w, x + ((long)i * in.c + c) * in.h * in.w,
                   sizeof(float) * in.h * in.w);
    g->upload(nt->params, params, sizeof(float) * np);
    g->upload(nt->act[0], x_cnhw, sizeof(float) * n * in_size);
    g->upload(nt->labels, labels, sizeof(int) * n);
    float *poison = nan_floats(np);
    g->upload(nt->grads, poison, sizeof(float) * np);
    net_forward(nt, n);
    net_backward(nt, n);

    double *pd = malloc(sizeof(double) * np), *xd = malloc(sizeof(double) * n * in_size);
    for (long i = 0; i < np; i++) pd[i] = params[i];
    for (long i = 0; i < n * in_size; i++) xd[i] = x[i];
    double *dp = calloc(np, sizeof(double)), stats[2];
    double loss = ref_net_loss(&spec, pd, xd, labels, n, dp, NULL);
    g->download(stats, nt->stats, sizeof stats);
    cr_assert(close_enough(stats[0] / n, loss, 1e-6, 1e-5), "%s: loss gpu %.9g, reference %.9g",
              text, stats[0] / n, loss);
    float *grads = to_host(g, nt->grads, np);
    double gmax = 0;
    for (long i = 0; i < np; i++) gmax = fmax(gmax, fabs(dp[i]));
    for (long i = 0; i < np; i++)
        cr_assert(close_enough(grads[i], dp[i], 1e-5 * gmax + 1e-7, 1e-3),
                  "%s: gradient %ld: gpu %.9g, reference %.9g", text, i, grads[i], dp[i]);
    net_destroy(nt);
    free(params); free(x); free(x_cnhw); free(poison); free(pd); free(xd); free(dp); free(grads);
}

Test(gpu, net_seed_cnn)
{
    check_net("conv4k5p2,relu,avgpool2,conv8k5p2,relu,avgpool2,fc10,softmax", (shape3){1, 28, 28}, 4, 41);
}
Test(gpu, net_strided_padded) { check_net("conv3k3p1s2,relu,avgpool3p1s2,fc10,softmax", (shape3){2, 9, 9}, 3, 42); }
Test(gpu, net_mlp_euclid) { check_net("fc7,relu,fc10,euclid", (shape3){1, 5, 5}, 4, 43); }
Test(gpu, net_pad0_k1) { check_net("conv2k1,relu,conv3k5,fc10,softmax", (shape3){3, 8, 6}, 2, 44); }
/* The new layers in nets (training mode: dropout's masks of seed 0 and step
 * 0, as in the reference). */
Test(gpu, net_maxpool_lrelu) { check_net("conv3k3p1,lrelu0.1,maxpool3p1s2,fc10,softmax", (shape3){2, 9, 7}, 3, 45); }
Test(gpu, net_avgpool_non_tiling_gap) { check_net("conv4k3,avgpool3s2,gap,fc10,softmax", (shape3){1, 9, 9}, 2, 46); }
Test(gpu, net_tanh_sigmoid) { check_net("conv3k3,tanh,avgpool2,fc12,sigmoid,fc10,euclid", (shape3){1, 8, 8}, 3, 47); }
Test(gpu, net_dropout) { check_net("conv3k3p1,relu,dropout0.5,fc12,dropout0.3,fc10,softmax", (shape3){2, 5, 5}, 4, 48); }
Test(gpu, net_bn) { check_net("conv4k3p1,bn,relu,maxpool2,fc12,bn,lrelu,fc10,softmax", (shape3){1, 8, 8}, 4, 49); }
Test(gpu, net_lenet5)
{
    check_net("conv6k5p2,tanh,avgpool2,conv16k5,tanh,avgpool2,fc120,tanh,fc84,tanh,fc10,softmax",
              (shape3){1, 28, 28}, 2, 50);
}
Test(gpu, net_cnn_bn)
{
    check_net("conv16k3p1,bn,relu,maxpool2,conv32k3p1,bn,relu,maxpool2,conv64k3p1,bn,relu,maxpool2,"
              "dropout0.3,fc10,softmax", (shape3){1, 28, 28}, 4, 51);
}

/* ---- training: the graph scenarios of graph_scenarios.c on the GPU ---- */

/* The parameter is an index: Criterion copies parameters into a new process
 * image, where the scenarios' pointers would not hold. */
ParameterizedTestParameters(gpu, scenario)
{
    static int index[64];
    cr_assert_leq(graph_scenario_count, 64);
    for (int i = 0; i < graph_scenario_count; i++) index[i] = i;
    return cr_make_param_array(int, index, (size_t)graph_scenario_count);
}

/* Each scenario on the GPU, replaying a captured step (resumed where it
 * says) and launching every op: the same kernels with the same arguments in
 * the same order, on one stream, one cuBLAS handle and workspace, and no
 * atomics, so the two must hold the same bits.
 *
 * Against the CPU, how far may the weights lie? The CPU trains the scenario
 * twice, in two summation orders: whole convolutions (cpu_ops) and the GPU's
 * composition of im2col, gemm and bias (capture_ops). Their largest weight
 * difference, the spread, is what float rounding alone does to this
 * training (about 5e-7 to 2e-6 for these, weights near 1). The GPU sums in
 * a third order (cuBLAS's blocking, tree reductions) and should land about
 * as far from the CPU as the CPU's second order does: the test allows 10
 * times the spread, for a few more ulps per sum, and 1e-6 where the spread
 * is 0 (a net whose two CPU orders agree). */
ParameterizedTest(int *which, gpu, scenario, .timeout = 300)
{
    const graph_scenario *s = &graph_scenarios[*which];
    run_state eager, graph, cpu, composed;
    /* graph against eager on the mislabelled blobs, whose every batch still
     * moves the weights in the last epoch */
    graph_scenarios_mislabel = 1;
    expect_graph_equals_eager(gpu(), s, &eager, &graph);
    run_state_free(&eager);
    run_state_free(&graph);
    if (s->stop_after_step) return; /* its eager run is the uninterrupted scenario's */
    /* against the CPU on clean blobs: with mislabelled ones the training is
     * chaotic, and a third summation order on the CPU (a plain gemm) lands
     * up to 1e-2 from cpu_ops where the two orders here lie 1e-6 apart */
    graph_scenarios_mislabel = 0;
    scenario_run(gpu(), s, 1, &graph);
    scenario_run(&cpu_ops, s, 0, &cpu);
    scenario_run(&capture_ops, s, 0, &composed);
    double spread = run_states_max_param_diff(&cpu, &composed);
    double off = run_states_max_param_diff(&graph, &cpu);
    cr_assert_leq(off, 10 * spread + 1e-6,
                  "%s: the GPU's weights lie %g from the CPU's, whose own two summation "
                  "orders lie %g apart", s->name, off, spread);
    cr_log_info("%s: GPU to CPU %g, CPU to CPU %g", s->name, off, spread);
    run_state_free(&graph);
    run_state_free(&cpu);
    run_state_free(&composed);
}

/* Evaluation at 500 samples a pass, on the CPU and the GPU with the same
 * weights (drawn on the host): the confusion matrices and accuracies equal,
 * the mean losses within float rounding of a sum of 2,000 terms. Untrained
 * weights give a spread-out matrix; the bn net evaluates with its running
 * averages and without dropout. */
static void evaluate_on(const cnn_ops *ops, const char *text, const dataset *d, double *loss,
                        double *acc, long *confusion)
{
    net_spec spec;
    char err[256];
    cr_assert_eq(net_spec_parse(text, (shape3){1, 28, 28}, 10, &spec, err, sizeof err), 0);
    float scale, shift;
    norm1(NORMALIZE_STD, d, &scale, &shift);
    device_dataset dd;
    device_dataset_upload(ops, d, 0, NORM_OF(scale, shift), &dd);
    net *nt = net_create(ops, &spec, 500);
    net_init_params(nt, 3, 0.0f);
    evaluate(nt, &dd, loss, acc, confusion);
    net_destroy(nt);
    device_dataset_free(&dd);
}

Test(gpu, evaluation_and_confusion_equal_cpu)
{
    const char *nets[] = {"conv4k5p2,relu,avgpool2,conv8k5p2,relu,avgpool2,fc10,softmax",
                          "conv4k3p1,bn,relu,maxpool2,dropout0.3,fc16,bn,relu,fc10,softmax"};
    dataset d = blobs(2000, 21);
    for (int k = 0; k < 2; k++) {
        long cpu_conf[100] = {0}, gpu_conf[100] = {0};
        double cpu_loss, cpu_acc, gpu_loss, gpu_acc;
        evaluate_on(&cpu_ops, nets[k], &d, &cpu_loss, &cpu_acc, cpu_conf);
        evaluate_on(gpu(), nets[k], &d, &gpu_loss, &gpu_acc, gpu_conf);
        for (int i = 0; i < 100; i++)
            cr_assert_eq(gpu_conf[i], cpu_conf[i], "%s: confusion[%d][%d]: gpu %ld, cpu %ld",
                         nets[k], i / 10, i % 10, gpu_conf[i], cpu_conf[i]);
        cr_assert_eq(gpu_acc, cpu_acc);
        cr_assert(close_enough(gpu_loss, cpu_loss, 0, 1e-5), "%s: loss gpu %.9g, cpu %.9g",
                  nets[k], gpu_loss, cpu_loss);
    }
    dataset_free(&d);
}

/* Every optimizer, with and without a decay mask, over 5 steps (the step
 * counter advancing): the GPU op against the CPU op. Both run the same
 * per-element code with the same rounding, so they agree to the bit; the
 * test allows a last-place difference. */
Test(gpu, optim_every_rule_matches_cpu)
{
    const cnn_ops *g = gpu();
    enum { N = 10007 };
    static const char *const names[] = CNN_OPTIM_NAMES;
    unsigned char *mask = malloc(N), *gmask = g->alloc(N, "mask");
    for (int i = 0; i < N; i++) mask[i] = (unsigned char)(i % 5 != 0);
    g->upload(gmask, mask, N);
    for (int k = 0; k < CNN_OPTIM_COUNT; k++)
        for (int masked = 0; masked < 2; masked++) {
            cnn_optim o = {k, 0.9f, 0.9f, 0.999f, 1e-8f, 0.01f};
            rng r = {(uint64_t)(90 + k)};
            float *w = rand_floats(&r, N, -1, 1), *m = rand_floats(&r, N, -0.1f, 0.1f);
            float *v = rand_floats(&r, N, 0, 0.01f);
            float *gw = to_gpu(g, w, N), *gm = to_gpu(g, m, N), *gv = to_gpu(g, v, N);
            float *glr = g->alloc(sizeof(float), "lr");
            unsigned long long *gstep = g->alloc(sizeof(unsigned long long), "step");
            for (unsigned long long s = 0; s < 5; s++) {
                float *gr = rand_floats(&r, N, -1, 1), *ggr = to_gpu(g, gr, N);
                float lr = 0.01f * (float)(s + 1);
                unsigned long long step = s * 300; /* t = 1, 301, ...: bias corrections move */
                g->upload(glr, &lr, sizeof lr);
                g->upload(gstep, &step, sizeof step);
                cpu_ops.optim(o, w, gr, m, v, masked ? mask : NULL, N, &lr, &step);
                g->optim(o, gw, ggr, gm, gv, masked ? gmask : NULL, N, glr, gstep);
                g->free(ggr);
                free(gr);
            }
            char what[64];
            snprintf(what, sizeof what, "%s%s: weights", names[k], masked ? " masked" : "");
            expect_close(g, gw, w, N, 0, 1e-6, what);
            expect_close(g, gm, m, N, 0, 1e-6, "first moments");
            if (k >= CNN_OPTIM_ADAM) expect_close(g, gv, v, N, 0, 1e-6, "second moments");
            g->free(gw); g->free(gm); g->free(gv); g->free(glr); g->free(gstep);
            free(w); free(m); free(v);
        }
    g->free(gmask);
    free(mask);
}

/* Every schedule, with and without warmup, at every step of a short run and
 * past its end: the GPU's set_lr against the CPU's. */
Test(gpu, set_lr_every_schedule_matches_cpu)
{
    const cnn_ops *g = gpu();
    float *glr = g->alloc(sizeof(float), "lr");
    unsigned long long *gstep = g->alloc(sizeof(unsigned long long), "step");
    for (int k = 0; k < CNN_SCHED_COUNT; k++)
        for (int warm = 0; warm < 2; warm++) {
            cnn_schedule s = {k, 0.1f, 0.3f, 2, 17, 17 * 6, warm ? 25 : 0};
            for (unsigned long long t = 0; t < 17 * 6 + 5; t++) {
                float want, got;
                cpu_ops.set_lr(s, &t, &want);
                g->upload(gstep, &t, sizeof t);
                g->set_lr(s, gstep, glr);
                g->download(&got, glr, sizeof got);
                cr_assert(close_enough(got, want, 0, 1e-6),
                          "schedule %d, warmup %d, step %llu: gpu %.9g, cpu %.9g", k, warm, t,
                          got, want);
            }
        }
    g->free(glr);
    g->free(gstep);
}

/* Out of memory: a clear message naming what and how much, and exit 1. */
Test(gpu, out_of_memory_message, .exit_code = 1)
{
    const cnn_ops *g = gpu();
    g->alloc((size_t)1 << 50, "a test buffer of a petabyte");
}

/* Whether a GPU is usable, asked in a child process: CUDA must not be
 * initialised in this one, whose tests run in forked children. The child
 * says why not when there is none (a missing or too old driver names both
 * versions), and whether that skips the suite or, with required set, fails it. */
static int gpu_present(int required)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (gpu_device_count() > 0) _exit(0);
        const char *why = gpu_unavailable_reason();
        printf("test-gpu: no usable CUDA GPU on this machine: %s: %s\n", why ? why : "no device",
               required ? "CNN_REQUIRE_GPU is set, so the GPU suite fails"
                        : "the GPU tests are skipped");
        fflush(stdout);
        _exit(1);
    }
    int status;
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
           WEXITSTATUS(status) == 0;
}

int main(int argc, char *argv[])
{
    /* the device check sets CNN_REQUIRE_GPU: there, no GPU is a failure */
    const char *require = getenv("CNN_REQUIRE_GPU");
    int required = require && *require && *require != '0';
    if (!gpu_present(required)) return required;
    struct criterion_test_set *tests = criterion_initialize();
    int result = 0;
    if (criterion_handle_args(argc, argv, true)) result = !criterion_run_all_tests(tests);
    criterion_finalize(tests);
    return result;
}
