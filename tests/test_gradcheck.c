/* Finite-difference checks of the double-precision reference (src/net/ref.c).
 *
 * A layer's gradient is checked through the scalar L = sum(y .* r) for a
 * fixed random r, so dL/dy = r is the dy handed to the backward pass. Each
 * numeric derivative is a central difference (L(p+eps) - L(p-eps)) / 2eps.
 * An analytic value a and numeric value d agree when
 *     |a - d| <= ATOL + RTOL * max(|a|, |d|).
 * Set GRADCHECK_VERBOSE=1 to print the largest errors of every check. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c3_nets.h"
#include "hd/act.h"
#include "netspec.h"
#include "ref.h"

#define EPS 1e-5
#define ATOL 1e-8
#define RTOL 1e-6

/* ---- small seeded RNG (splitmix64) ---- */
static uint64_t rng_state;
static uint64_t splitmix64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static double uniform(double lo, double hi)
{
    return lo + (hi - lo) * (double)(splitmix64() >> 11) * 0x1.0p-53;
}
static double *rand_buf(long len)
{
    double *p = calloc((size_t)len, sizeof *p); /* calloc: quiets -O3 maybe-uninitialized */
    for (long i = 0; i < len; i++) p[i] = uniform(-1, 1);
    return p;
}
static double dot(const double *a, const double *b, long len)
{
    double s = 0;
    for (long i = 0; i < len; i++) s += a[i] * b[i];
    return s;
}

/* ---- the generic checker ---- */
typedef double (*scalar_fn)(void *ctx);

/* Compares analytic[idx[j]] with the central difference of f with respect to
 * p[idx[j]] for j < count (every index when idx is NULL). */
static void check_grad(const char *what, scalar_fn f, void *ctx, double *p,
                       const double *analytic, const long *idx, long count)
{
    double max_abs = 0, max_rel = 0;
    for (long j = 0; j < count; j++) {
        long i = idx ? idx[j] : j;
        double keep = p[i];
        p[i] = keep + EPS;
        double lp = f(ctx);
        p[i] = keep - EPS;
        double lm = f(ctx);
        p[i] = keep;
        double num = (lp - lm) / (2 * EPS), a = analytic[i];
        double err = fabs(a - num), scale = fmax(fabs(a), fabs(num));
        if (err > max_abs) max_abs = err;
        if (scale > 0 && err / scale > max_rel) max_rel = err / scale;
        cr_assert(err <= ATOL + RTOL * scale, "%s[%ld]: analytic %.12g, numeric %.12g", what, i,
                  a, num);
    }
    if (getenv("GRADCHECK_VERBOSE"))
        fprintf(stderr, "%-28s %5ld checked  max abs err %.2e  max rel err %.2e\n", what, count,
                max_abs, max_rel);
}

/* ---- convolution ---- */
typedef struct { int n, c, h, w, oc, k, stride, pad; } conv_case;
typedef struct {
    conv_case g;
    int oh, ow;
    double *x, *wt, *b, *r, *y;
} conv_ctx;

static double conv_scalar(void *p)
{
    conv_ctx *t = p;
    conv_case g = t->g;
    ref_conv_fwd(t->x, g.n, g.c, g.h, g.w, t->wt, t->b, g.oc, g.k, g.stride, g.pad, t->y);
    return dot(t->y, t->r, (long)g.n * g.oc * t->oh * t->ow);
}

static void check_conv(conv_case g)
{
    conv_ctx t = {.g = g};
    t.oh = (g.h + 2 * g.pad - g.k) / g.stride + 1;
    t.ow = (g.w + 2 * g.pad - g.k) / g.stride + 1;
    long xl = (long)g.n * g.c * g.h * g.w, wl = (long)g.oc * g.c * g.k * g.k;
    long yl = (long)g.n * g.oc * t.oh * t.ow;
    t.x = rand_buf(xl), t.wt = rand_buf(wl), t.b = rand_buf(g.oc), t.r = rand_buf(yl);
    t.y = malloc(sizeof *t.y * (size_t)yl);
    double *dx = malloc(sizeof *dx * (size_t)xl), *dw = malloc(sizeof *dw * (size_t)wl);
    double *db = malloc(sizeof *db * (size_t)g.oc);
    ref_conv_bwd(t.x, g.n, g.c, g.h, g.w, t.wt, g.oc, g.k, g.stride, g.pad, t.r, dx, dw, db);

    char name[64];
    snprintf(name, sizeof name, "conv n%d c%d %dx%d oc%d k%d s%d p%d", g.n, g.c, g.h, g.w, g.oc,
             g.k, g.stride, g.pad);
    check_grad(name, conv_scalar, &t, t.x, dx, NULL, xl);
    check_grad(name, conv_scalar, &t, t.wt, dw, NULL, wl);
    check_grad(name, conv_scalar, &t, t.b, db, NULL, g.oc);

    /* dx may be NULL: the parameter gradients must not change. */
    double *dw2 = malloc(sizeof *dw2 * (size_t)wl), *db2 = malloc(sizeof *db2 * (size_t)g.oc);
    ref_conv_bwd(t.x, g.n, g.c, g.h, g.w, t.wt, g.oc, g.k, g.stride, g.pad, t.r, NULL, dw2, db2);
    cr_assert(memcmp(dw, dw2, sizeof *dw * (size_t)wl) == 0 &&
              memcmp(db, db2, sizeof *db * (size_t)g.oc) == 0, "dx == NULL changed dwt/db");

    free(t.x), free(t.wt), free(t.b), free(t.r), free(t.y);
    free(dx), free(dw), free(db), free(dw2), free(db2);
}

static void seed(void) { rng_state = 12345; }
TestSuite(gradcheck, .init = seed);

/*                          n  c  h  w oc  k  s  p */
Test(gradcheck, conv_k3_pad0_nonsquare)
{
    check_conv((conv_case){1, 1, 7, 5, 1, 3, 1, 0});
    check_conv((conv_case){1, 2, 5, 7, 3, 3, 1, 0});
}
Test(gradcheck, conv_k5_pad2)
{
    check_conv((conv_case){1, 1, 8, 8, 4, 5, 1, 2}); /* the seed net's first conv */
    check_conv((conv_case){3, 4, 7, 5, 3, 5, 1, 2});
}
Test(gradcheck, conv_k1)
{
    check_conv((conv_case){3, 3, 7, 5, 2, 1, 1, 0});
    check_conv((conv_case){1, 2, 6, 5, 3, 1, 2, 0});
}
Test(gradcheck, conv_stride2)
{
    check_conv((conv_case){1, 2, 7, 5, 2, 3, 2, 1});
    check_conv((conv_case){3, 3, 9, 6, 2, 5, 2, 2});
    check_conv((conv_case){2, 1, 8, 7, 2, 3, 2, 0}); /* last row/col fall outside */
}
Test(gradcheck, conv_pad_wider_than_half_kernel)
{
    check_conv((conv_case){3, 2, 5, 4, 2, 3, 1, 2}); /* outputs that see only padding */
}

/* ---- pooling (average and max) ---- */
typedef struct { int n, c, h, w, k, stride, pad; } pool_case;
typedef struct {
    pool_case g;
    int max; /* max pooling, else average */
    double *x, *r, *y;
    long yl;
} pool_ctx;

/* Pooling output side, Caffe's rule (written out again here, as the
 * convolution check writes out its own). */
static int pool_side(int in, int k, int stride, int pad)
{
    int out = (in + 2 * pad - k + stride - 1) / stride + 1;
    return pad > 0 && (out - 1) * stride >= in + pad ? out - 1 : out;
}

static double pool_scalar(void *p)
{
    pool_ctx *t = p;
    pool_case g = t->g;
    if (t->max)
        ref_maxpool_fwd(t->x, g.n, g.c, g.h, g.w, g.k, g.stride, g.pad, t->y);
    else
        ref_pool_fwd(t->x, g.n, g.c, g.h, g.w, g.k, g.stride, g.pad, t->y);
    return dot(t->y, t->r, t->yl);
}

/* len distinct values spread evenly over [-1, 1) in a random order: no two
 * closer than 2/len, far more than EPS, so no window's max changes hands
 * under a finite difference. */
static double *distinct_buf(long len)
{
    double *p = rand_buf(len);
    for (long i = 0; i < len; i++) p[i] = -1 + 2.0 * (double)i / (double)len;
    for (long i = len - 1; i > 0; i--) {
        long j = (long)(splitmix64() % (uint64_t)(i + 1));
        double tmp = p[i];
        p[i] = p[j], p[j] = tmp;
    }
    return p;
}

static void check_pool_kind(pool_case g, int max)
{
    int oh = pool_side(g.h, g.k, g.stride, g.pad), ow = pool_side(g.w, g.k, g.stride, g.pad);
    pool_ctx t = {.g = g, .max = max, .yl = (long)g.n * g.c * oh * ow};
    long xl = (long)g.n * g.c * g.h * g.w;
    t.x = max ? distinct_buf(xl) : rand_buf(xl);
    t.r = rand_buf(t.yl), t.y = malloc(sizeof *t.y * (size_t)t.yl);
    double *dx = malloc(sizeof *dx * (size_t)xl);
    if (max)
        ref_maxpool_bwd(t.x, t.r, g.n, g.c, g.h, g.w, g.k, g.stride, g.pad, dx);
    else
        ref_pool_bwd(t.r, g.n, g.c, g.h, g.w, g.k, g.stride, g.pad, dx);
    char name[64];
    snprintf(name, sizeof name, "%s n%d c%d %dx%d k%d s%d p%d", max ? "maxpool" : "pool", g.n,
             g.c, g.h, g.w, g.k, g.stride, g.pad);
    check_grad(name, pool_scalar, &t, t.x, dx, NULL, xl);
    free(t.x), free(t.r), free(t.y), free(dx);
}
static void check_pool(pool_case g) { check_pool_kind(g, 0); }
static void check_maxpool(pool_case g) { check_pool_kind(g, 1); }

/*                          n  c  h  w  k  s  p */
Test(gradcheck, pool_k2_s2)
{
    check_pool((pool_case){1, 1, 8, 8, 2, 2, 0});
    check_pool((pool_case){3, 2, 7, 5, 2, 2, 0}); /* odd sides: last windows partial */
}
Test(gradcheck, pool_k3_s2_pad1)
{
    check_pool((pool_case){1, 2, 7, 5, 3, 2, 1});
    check_pool((pool_case){2, 3, 6, 9, 3, 2, 1});
}
Test(gradcheck, pool_non_tiling)
{
    check_pool((pool_case){2, 2, 5, 5, 2, 2, 0}); /* 3x3 out, the last row/col 1 wide */
    check_pool((pool_case){1, 2, 6, 6, 3, 2, 1}); /* 4x4 out, the last window in padding */
    check_pool((pool_case){1, 1, 7, 6, 3, 3, 0}); /* 3x2 out: 7 = 3 + 3 + 1 */
}

Test(gradcheck, pool_and_conv_forward_values)
{
    /* The gradient checks cannot see a forward pass that is wrong in a
     * self-consistent way; pin a few values by hand. */
    double ones[36], y[16];
    for (int i = 0; i < 36; i++) ones[i] = 1;
    ref_pool_fwd(ones, 1, 1, 4, 4, 3, 2, 1, y); /* 3x3 out */
    cr_assert_float_eq(y[0], 4.0 / 9, 1e-15);   /* rows/cols -1..1: padding counts */
    cr_assert_float_eq(y[1], 6.0 / 9, 1e-15);   /* cols 1..3 */
    cr_assert_float_eq(y[2], 2.0 / 6, 1e-15);   /* cols 3..4: 4 is padding, 5 is cut */
    cr_assert_float_eq(y[3], 6.0 / 9, 1e-15);
    cr_assert_float_eq(y[4], 9.0 / 9, 1e-15);
    cr_assert_float_eq(y[8], 1.0 / 4, 1e-15);

    /* k3 s2 p1 on 6x6: 4x4 out; the last window starts at 5 and is cut at
     * the padding's edge 7: divisor 2 per side, one real row/col. */
    ref_pool_fwd(ones, 1, 1, 6, 6, 3, 2, 1, y);
    cr_assert_float_eq(y[0], 4.0 / 9, 1e-15);
    cr_assert_float_eq(y[3], 2.0 / 6, 1e-15);
    cr_assert_float_eq(y[5], 9.0 / 9, 1e-15);
    cr_assert_float_eq(y[15], 1.0 / 4, 1e-15);

    /* k2 s2 on 5x5 (1..25): 3x3 out, no padding, so the last windows are
     * cut to the input and divide by what is left. */
    double x25[25];
    for (int i = 0; i < 25; i++) x25[i] = i + 1;
    ref_pool_fwd(x25, 1, 1, 5, 5, 2, 2, 0, y);
    cr_assert_float_eq(y[0], (1 + 2 + 6 + 7) / 4.0, 1e-15);
    cr_assert_float_eq(y[2], (5 + 10) / 2.0, 1e-15);
    cr_assert_float_eq(y[6], (21 + 22) / 2.0, 1e-15);
    cr_assert_float_eq(y[8], 25.0, 1e-15);

    double x[6] = {1, 2, 3, 4, 5, 6}; /* 1 x 2 x 3 */
    double wt[4] = {1, 10, 100, 1000}, b = 0.5, yc[2]; /* 2x2 kernel, valid */
    ref_conv_fwd(x, 1, 1, 2, 3, wt, &b, 1, 2, 1, 0, yc);
    cr_assert_float_eq(yc[0], 1 + 20 + 400 + 5000 + 0.5, 1e-12);
    cr_assert_float_eq(yc[1], 2 + 30 + 500 + 6000 + 0.5, 1e-12);
}

/*                             n  c  h  w  k  s  p */
Test(gradcheck, maxpool_k2_s2)
{
    check_maxpool((pool_case){1, 1, 8, 8, 2, 2, 0});
    check_maxpool((pool_case){3, 2, 6, 4, 2, 2, 0});
}
Test(gradcheck, maxpool_overlapping_k3_s2)
{
    check_maxpool((pool_case){1, 2, 9, 9, 3, 2, 0});
    check_maxpool((pool_case){2, 2, 7, 11, 3, 2, 0});
}
Test(gradcheck, maxpool_padded)
{
    check_maxpool((pool_case){1, 2, 7, 5, 3, 2, 1});
    check_maxpool((pool_case){2, 1, 6, 6, 3, 1, 1});
    check_maxpool((pool_case){1, 1, 5, 6, 5, 2, 2});
}
Test(gradcheck, maxpool_ceil_partial_windows)
{
    check_maxpool((pool_case){2, 2, 5, 5, 2, 2, 0}); /* 3x3 out, last row/col 1 wide */
    check_maxpool((pool_case){1, 2, 6, 6, 3, 2, 1}); /* 4x4 out */
    check_maxpool((pool_case){1, 1, 8, 7, 3, 3, 0}); /* 3x3 out, last windows 2 and 1 wide */
}

Test(gradcheck, maxpool_values_padding_and_ties)
{
    /* Padding never wins: an all-negative input, k3 s2 p1 on 4x4, 3x3 out. */
    double x[16], y[9], dy[9], dx[16];
    for (int i = 0; i < 16; i++) x[i] = -1 - i;
    ref_maxpool_fwd(x, 1, 1, 4, 4, 3, 2, 1, y);
    cr_assert_float_eq(y[0], -1.0, 0);  /* rows/cols 0..1 of the input */
    cr_assert_float_eq(y[2], -4.0, 0);  /* rows 0..1, col 3 */
    cr_assert_float_eq(y[8], -16.0, 0); /* the one real cell (3, 3) */
    for (int i = 0; i < 9; i++) dy[i] = i + 1;
    ref_maxpool_bwd(x, dy, 1, 1, 4, 4, 3, 2, 1, dx);
    /* the max of each window is its top-left real cell: (0,0) (0,1) (0,3) (1,0) ... */
    double want[16] = {1, 2, 0, 3, 4, 5, 0, 6, 0, 0, 0, 0, 7, 8, 0, 9};
    for (int i = 0; i < 16; i++) cr_assert_float_eq(dx[i], want[i], 0, "dx[%d]", i);

    /* Ties go to the first in window order (row by row). A 2x4 plane, k2 s2:
     * window 0 all equal -> (0,0); window 1 = [1 3; 3 2] -> (0,3). */
    double xt[8] = {5, 5, 1, 3, 5, 5, 3, 2}, yt[2], dyt[2] = {10, 20}, dxt[8];
    ref_maxpool_fwd(xt, 1, 1, 2, 4, 2, 2, 0, yt);
    cr_assert_float_eq(yt[0], 5.0, 0);
    cr_assert_float_eq(yt[1], 3.0, 0);
    ref_maxpool_bwd(xt, dyt, 1, 1, 2, 4, 2, 2, 0, dxt);
    double wantt[8] = {10, 0, 0, 20, 0, 0, 0, 0};
    for (int i = 0; i < 8; i++) cr_assert_float_eq(dxt[i], wantt[i], 0, "tie dx[%d]", i);

    /* Overlapping windows over a constant plane (k3 s2, 5x5 -> 2x2): each
     * window's first cell takes its dy, and a zero input with padding
     * (k3 s2 p1, 4x4 -> 3x3) gives it to the first real cell, not the pad. */
    double c25[25], yc[4], dyc[4] = {1, 2, 3, 4}, dxc[25];
    for (int i = 0; i < 25; i++) c25[i] = 0.5;
    ref_maxpool_bwd(c25, dyc, 1, 1, 5, 5, 3, 2, 0, dxc);
    ref_maxpool_fwd(c25, 1, 1, 5, 5, 3, 2, 0, yc);
    for (int i = 0; i < 4; i++) cr_assert_float_eq(yc[i], 0.5, 0);
    for (int i = 0; i < 25; i++) {
        double wc = i == 0 ? 1 : i == 2 ? 2 : i == 10 ? 3 : i == 12 ? 4 : 0;
        cr_assert_float_eq(dxc[i], wc, 0, "constant dx[%d]", i);
    }
    double z16[16] = {0};
    ref_maxpool_bwd(z16, dy, 1, 1, 4, 4, 3, 2, 1, dx);
    for (int i = 0; i < 16; i++) cr_assert_float_eq(dx[i], want[i], 0, "zero dx[%d]", i);
}

/* ---- global average pooling ---- */
typedef struct { int n, c, hw; double *x, *r, *y; } gap_ctx;
static double gap_scalar(void *p)
{
    gap_ctx *t = p;
    ref_gap_fwd(t->x, t->n, t->c, t->hw, t->y);
    return dot(t->y, t->r, (long)t->n * t->c);
}
Test(gradcheck, gap)
{
    gap_ctx t = {.n = 3, .c = 4, .hw = 10};
    long xl = (long)t.n * t.c * t.hw, yl = (long)t.n * t.c;
    t.x = rand_buf(xl), t.r = rand_buf(yl), t.y = malloc(sizeof *t.y * (size_t)yl);
    double *dx = malloc(sizeof *dx * (size_t)xl);
    ref_gap_bwd(t.r, t.n, t.c, t.hw, dx);
    check_grad("gap n3 c4 hw10", gap_scalar, &t, t.x, dx, NULL, xl);
    double sum = 0; /* plane (1, 2) by hand */
    for (int j = 0; j < t.hw; j++) sum += t.x[(1 * t.c + 2) * t.hw + j];
    gap_scalar(&t);
    cr_assert_float_eq(t.y[1 * t.c + 2], sum / t.hw, 1e-15);
    free(t.x), free(t.r), free(t.y), free(dx);
}

/* ---- relu ---- */
typedef struct { double *x, *r, *y; long len; } relu_ctx;
static double relu_scalar(void *p)
{
    relu_ctx *t = p;
    ref_relu_fwd(t->x, t->len, t->y);
    return dot(t->y, t->r, t->len);
}
Test(gradcheck, relu)
{
    relu_ctx t = {.len = 200};
    t.x = rand_buf(t.len), t.r = rand_buf(t.len), t.y = malloc(sizeof *t.y * (size_t)t.len);
    for (long i = 0; i < t.len; i++) /* keep |x| >= 0.05, far from the kink */
        t.x[i] = copysign(0.05 + fabs(t.x[i]), t.x[i]);
    double *dx = malloc(sizeof *dx * (size_t)t.len);
    ref_relu_bwd(t.x, t.r, t.len, dx);
    check_grad("relu", relu_scalar, &t, t.x, dx, NULL, t.len);
    free(t.x), free(t.r), free(t.y), free(dx);
}

/* ---- tanh, sigmoid, leaky relu ---- */
typedef struct { int kind; double slope, *x, *r, *y; long len; } act_ctx;
static double act_scalar(void *p)
{
    act_ctx *t = p;
    ref_act_fwd(t->kind, t->slope, t->x, t->len, t->y);
    return dot(t->y, t->r, t->len);
}
static void check_act(const char *name, int kind, double slope)
{
    act_ctx t = {.kind = kind, .slope = slope, .len = 200};
    t.x = rand_buf(t.len), t.r = rand_buf(t.len), t.y = malloc(sizeof *t.y * (size_t)t.len);
    for (long i = 0; i < t.len; i++) /* |x| in [0.05, 3.05]: the saturating ends too */
        t.x[i] = copysign(0.05 + 3 * fabs(t.x[i]), t.x[i]);
    double *dx = malloc(sizeof *dx * (size_t)t.len);
    ref_act_bwd(kind, slope, t.x, t.r, t.len, dx);
    check_grad(name, act_scalar, &t, t.x, dx, NULL, t.len);
    free(t.x), free(t.r), free(t.y), free(dx);
}
Test(gradcheck, tanh) { check_act("tanh", CNN_ACT_TANH, 0); }
Test(gradcheck, sigmoid) { check_act("sigmoid", CNN_ACT_SIGMOID, 0); }
Test(gradcheck, lrelu)
{
    check_act("lrelu 0.01", CNN_ACT_LRELU, 0.01);
    check_act("lrelu 0.2", CNN_ACT_LRELU, 0.2);
}
Test(gradcheck, act_values)
{
    double x[4] = {-2, 0, 0.5, 3}, y[4], dy[4] = {1, 1, 1, 1}, dx[4];
    ref_act_fwd(CNN_ACT_LRELU, 0.2, x, 4, y);
    cr_assert_float_eq(y[0], -0.4, 1e-15);
    cr_assert_float_eq(y[1], 0.0, 0);
    cr_assert_float_eq(y[3], 3.0, 0);
    ref_act_bwd(CNN_ACT_LRELU, 0.2, x, dy, 4, dx);
    cr_assert_float_eq(dx[1], 0.2, 0, "lrelu's derivative at 0 is the slope");
    cr_assert_float_eq(dx[2], 1.0, 0);
    ref_act_fwd(CNN_ACT_SIGMOID, 0, x, 4, y);
    cr_assert_float_eq(y[1], 0.5, 0);
    cr_assert_float_eq(y[0], 1 / (1 + exp(2.0)), 1e-15);
    ref_act_fwd(CNN_ACT_TANH, 0, x, 4, y);
    cr_assert_float_eq(y[2], tanh(0.5), 0);
}

/* ---- dropout with a fixed mask ---- */
typedef struct { double p, *x, *r, *y; unsigned char *keep; long len; } dropout_ctx;
static double dropout_scalar(void *p)
{
    dropout_ctx *t = p;
    ref_dropout_fwd(t->x, t->keep, t->p, t->len, t->y);
    return dot(t->y, t->r, t->len);
}
Test(gradcheck, dropout)
{
    dropout_ctx t = {.p = 0.3, .len = 200};
    t.x = rand_buf(t.len), t.r = rand_buf(t.len), t.y = malloc(sizeof *t.y * (size_t)t.len);
    t.keep = malloc((size_t)t.len);
    long kept = 0;
    for (long i = 0; i < t.len; i++) kept += t.keep[i] = uniform(0, 1) >= t.p;
    cr_assert(kept > 0 && kept < t.len, "the mask should hold both kinds");
    double *dx = malloc(sizeof *dx * (size_t)t.len);
    ref_dropout_bwd(t.r, t.keep, t.p, t.len, dx);
    check_grad("dropout p0.3", dropout_scalar, &t, t.x, dx, NULL, t.len);
    dropout_scalar(&t);
    for (long i = 0; i < t.len; i++)
        cr_assert_float_eq(t.y[i], t.keep[i] ? t.x[i] / 0.7 : 0.0, 1e-15, "y[%ld]", i);
    free(t.x), free(t.r), free(t.y), free(t.keep), free(dx);
}

/* ---- batch normalization, training mode ---- */
#define BN_EPS 1e-5
typedef struct { int n, c, hw; double *x, *gamma, *beta, *r, *y; } bn_ctx;
static double bn_scalar(void *p)
{
    bn_ctx *t = p;
    ref_bn_fwd(t->x, t->n, t->c, t->hw, t->gamma, t->beta, BN_EPS, t->y);
    return dot(t->y, t->r, (long)t->n * t->c * t->hw);
}
static void check_bn(int n, int c, int hw)
{
    bn_ctx t = {.n = n, .c = c, .hw = hw};
    long len = (long)n * c * hw;
    t.x = rand_buf(len), t.gamma = rand_buf(c), t.beta = rand_buf(c), t.r = rand_buf(len);
    t.y = malloc(sizeof *t.y * (size_t)len);
    for (int ch = 0; ch < c; ch++) t.gamma[ch] += copysign(0.5, t.gamma[ch]); /* |gamma| >= 0.5 */
    double *dx = malloc(sizeof *dx * (size_t)len), *dg = malloc(sizeof *dg * (size_t)c);
    double *db = malloc(sizeof *db * (size_t)c);
    ref_bn_bwd(t.x, n, c, hw, t.gamma, BN_EPS, t.r, dx, dg, db);
    char name[64];
    snprintf(name, sizeof name, "bn n%d c%d hw%d", n, c, hw);
    check_grad(name, bn_scalar, &t, t.x, dx, NULL, len);
    check_grad(name, bn_scalar, &t, t.gamma, dg, NULL, c);
    check_grad(name, bn_scalar, &t, t.beta, db, NULL, c);

    /* Each channel of y has mean beta and (biased) variance
     * gamma^2 var / (var + eps). */
    bn_scalar(&t);
    double m = (double)n * hw;
    for (int ch = 0; ch < c; ch++) {
        double sx = 0, sxx = 0, sy = 0, syy = 0;
        for (int s = 0; s < n; s++)
            for (int j = 0; j < hw; j++) {
                long i = ((long)s * c + ch) * hw + j;
                sx += t.x[i], sxx += t.x[i] * t.x[i], sy += t.y[i], syy += t.y[i] * t.y[i];
            }
        double vx = sxx / m - (sx / m) * (sx / m), vy = syy / m - (sy / m) * (sy / m);
        cr_assert_float_eq(sy / m, t.beta[ch], 1e-12, "%s: channel %d mean", name, ch);
        cr_assert_float_eq(vy, t.gamma[ch] * t.gamma[ch] * vx / (vx + BN_EPS), 1e-12,
                           "%s: channel %d variance", name, ch);
    }
    free(t.x), free(t.gamma), free(t.beta), free(t.r), free(t.y), free(dx), free(dg), free(db);
}
Test(gradcheck, bn_conv_layout) { check_bn(3, 2, 6); }
Test(gradcheck, bn_fc_layout) { check_bn(5, 4, 1); }

/* ---- fully connected ---- */
typedef struct { int n, f, o; double *x, *wt, *b, *r, *y; } fc_ctx;
static double fc_scalar(void *p)
{
    fc_ctx *t = p;
    ref_fc_fwd(t->x, t->n, t->f, t->wt, t->b, t->o, t->y);
    return dot(t->y, t->r, (long)t->n * t->o);
}
static void check_fc(int n, int f, int o)
{
    fc_ctx t = {.n = n, .f = f, .o = o};
    t.x = rand_buf((long)n * f), t.wt = rand_buf((long)o * f), t.b = rand_buf(o);
    t.r = rand_buf((long)n * o), t.y = malloc(sizeof *t.y * (size_t)n * o);
    double *dx = malloc(sizeof *dx * (size_t)n * f), *dw = malloc(sizeof *dw * (size_t)o * f);
    double *db = malloc(sizeof *db * (size_t)o);
    ref_fc_bwd(t.x, n, f, t.wt, o, t.r, dx, dw, db);
    char name[64];
    snprintf(name, sizeof name, "fc n%d f%d o%d", n, f, o);
    check_grad(name, fc_scalar, &t, t.x, dx, NULL, (long)n * f);
    check_grad(name, fc_scalar, &t, t.wt, dw, NULL, (long)o * f);
    check_grad(name, fc_scalar, &t, t.b, db, NULL, o);
    free(t.x), free(t.wt), free(t.b), free(t.r), free(t.y), free(dx), free(dw), free(db);
}
Test(gradcheck, fc_batch1) { check_fc(1, 13, 7); }
Test(gradcheck, fc_batch4) { check_fc(4, 20, 10); }

/* ---- losses ---- */
typedef struct {
    double (*loss)(const double *, const int *, int, int, double *);
    double *s;
    int *labels, n, k;
} loss_ctx;
static double loss_scalar(void *p)
{
    loss_ctx *t = p;
    return t->loss(t->s, t->labels, t->n, t->k, NULL);
}
static void check_loss(const char *name, loss_ctx t)
{
    long len = (long)t.n * t.k;
    t.s = rand_buf(len);
    for (long i = 0; i < len; i++) t.s[i] *= 3; /* a spread that makes softmax uneven */
    t.labels = malloc(sizeof *t.labels * (size_t)t.n);
    for (int i = 0; i < t.n; i++) t.labels[i] = (int)(splitmix64() % (uint64_t)t.k);
    double *g = malloc(sizeof *g * (size_t)len);
    double l = t.loss(t.s, t.labels, t.n, t.k, g);
    cr_assert_float_eq(l, loss_scalar(&t), 0, "the loss must not depend on grad being NULL");
    check_grad(name, loss_scalar, &t, t.s, g, NULL, len);
    free(t.s), free(t.labels), free(g);
}
Test(gradcheck, softmax_xent)
{
    check_loss("softmax_xent n1", (loss_ctx){.loss = ref_softmax_xent, .n = 1, .k = 10});
    check_loss("softmax_xent n5", (loss_ctx){.loss = ref_softmax_xent, .n = 5, .k = 10});
}
Test(gradcheck, euclid)
{
    check_loss("euclid n1", (loss_ctx){.loss = ref_euclid, .n = 1, .k = 10});
    check_loss("euclid n5", (loss_ctx){.loss = ref_euclid, .n = 5, .k = 10});
}

Test(gradcheck, softmax_xent_huge_scores)
{
    /* Row 0: the label holds the huge score, loss 0. Row 1: the label sits
     * 2e30 below the max, loss 2e30. Row 2: a tie between two 1e30 scores. */
    double s[9] = {1e30, -1e30, 0, 1e30, -1e30, 0, 1e30, 1e30, -1e30};
    int labels[3] = {0, 1, 0};
    double g[9];
    double l = ref_softmax_xent(s, labels, 3, 3, g);
    cr_assert(isfinite(l));
    cr_assert_float_eq(l, (0 + 2e30 + log(2.0)) / 3, 1e-12 * 2e30);
    for (int i = 0; i < 9; i++) cr_assert(isfinite(g[i]), "grad[%d] = %g", i, g[i]);
    const double want[9] = {0, 0, 0, 1, -1, 0, -0.5, 0.5, 0};
    for (int i = 0; i < 9; i++) cr_assert_float_eq(g[i], want[i] / 3, 1e-15, "grad[%d]", i);
}

/* ---- whole nets ---- */
typedef struct {
    net_spec spec;
    double *params, *x;
    int *labels, n;
} net_ctx;
static double net_scalar(void *p)
{
    net_ctx *t = p;
    return ref_net_loss(&t->spec, t->params, t->x, t->labels, t->n, NULL, NULL);
}

/* Checks up to max_params randomly chosen parameters (every one if fewer) plus
 * every bias, and the whole input gradient. */
static void check_net(const char *text, shape3 in, int classes, int n, long max_params)
{
    net_ctx t = {.n = n};
    char err[256];
    int rc = net_spec_parse(text, in, classes, &t.spec, err, sizeof err);
    cr_assert_eq(rc, 0, "net_spec_parse(%s): %s", text, err);
    long np = t.spec.n_params, xl = (long)n * in.c * in.h * in.w;
    t.params = rand_buf(np), t.x = rand_buf(xl);
    for (long i = 0; i < np; i++) t.params[i] *= 0.5; /* keeps the activations moderate */
    t.labels = malloc(sizeof *t.labels * (size_t)n);
    for (int i = 0; i < n; i++) t.labels[i] = (int)(splitmix64() % (uint64_t)classes);

    double *dp = malloc(sizeof *dp * (size_t)np), *dx = malloc(sizeof *dx * (size_t)xl);
    double l = ref_net_loss(&t.spec, t.params, t.x, t.labels, n, dp, dx);
    cr_assert(isfinite(l));
    cr_assert_float_eq(l, net_scalar(&t), 0, "loss must not depend on the gradient outputs");

    /* The parameter subset: every bias, then random weights. */
    long *idx = malloc(sizeof *idx * (size_t)(np + max_params)), count = 0;
    for (int i = 0; i < t.spec.n_layers; i++) {
        const layer_spec *L = &t.spec.layer[i];
        for (long j = 0; j < L->bias; j++) idx[count++] = L->param_offset + L->weights + j;
    }
    if (np <= max_params)
        for (long i = 0; i < np; i++) idx[count++] = i;
    else
        for (long i = 0; i < max_params; i++) idx[count++] = (long)(splitmix64() % (uint64_t)np);

    char name[NET_SPEC_MAX + 64];
    snprintf(name, sizeof name, "net %s %dx%dx%d n%d params", text, in.c, in.h, in.w, n);
    check_grad(name, net_scalar, &t, t.params, dp, idx, count);
    snprintf(name, sizeof name, "net %s %dx%dx%d n%d input", text, in.c, in.h, in.w, n);
    check_grad(name, net_scalar, &t, t.x, dx, NULL, xl);

    /* Either gradient output may be NULL without changing the other. */
    double *dp2 = malloc(sizeof *dp2 * (size_t)np), *dx2 = malloc(sizeof *dx2 * (size_t)xl);
    ref_net_loss(&t.spec, t.params, t.x, t.labels, n, dp2, NULL);
    ref_net_loss(&t.spec, t.params, t.x, t.labels, n, NULL, dx2);
    cr_assert(memcmp(dp, dp2, sizeof *dp * (size_t)np) == 0, "dparams changed with dx NULL");
    cr_assert(memcmp(dx, dx2, sizeof *dx * (size_t)xl) == 0, "dx changed with dparams NULL");

    free(t.params), free(t.x), free(t.labels), free(dp), free(dx), free(idx), free(dp2),
        free(dx2);
}

Test(gradcheck, seed_cnn_batch1)
{
    check_net("conv4k5p2,relu,avgpool2,conv8k5p2,relu,avgpool2,fc10,softmax",
              (shape3){1, 8, 8}, 10, 1, 200);
}
Test(gradcheck, seed_cnn_batch3_nonsquare)
{
    check_net("conv4k5p2,relu,avgpool2,conv8k5p2,relu,avgpool2,fc10,softmax",
              (shape3){1, 12, 8}, 10, 3, 200);
}
Test(gradcheck, strided_padded_pool_cnn)
{
    check_net("conv3k3p1s2,relu,avgpool3p1s2,conv5k1,fc4,softmax", (shape3){2, 9, 13}, 4, 2,
              300);
}
Test(gradcheck, mlp_euclid)
{
    check_net("fc12,fc9,relu,fc10,euclid", (shape3){1, 6, 5}, 10, 3, 1000);
}

/* Whole nets with each new layer: the reference net's chain through the
 * layer table, in training mode (batch statistics, dropout's mask of seed 0
 * and step 0). */
Test(gradcheck, net_tanh_sigmoid_nontiling_avgpool)
{
    check_net("conv3k3p1,tanh,avgpool3s2,conv4k3,sigmoid,fc6,tanh,fc10,softmax",
              (shape3){1, 9, 9}, 10, 3, 300);
}
Test(gradcheck, net_lrelu_overlapping_padded_maxpool_gap)
{
    check_net("conv3k3p1,lrelu0.1,maxpool3p1s2,conv4k3,lrelu,gap,fc10,softmax",
              (shape3){1, 9, 9}, 10, 3, 300);
}
Test(gradcheck, net_bn_after_conv_and_fc_with_dropout)
{
    check_net("conv3k3p1,bn,relu,maxpool2,dropout0.4,fc8,bn,tanh,fc10,softmax",
              (shape3){2, 8, 8}, 10, 4, 400);
}
Test(gradcheck, net_bn_sigmoid_euclid)
{
    check_net("fc7,bn,sigmoid,dropout0.2,fc10,euclid", (shape3){1, 5, 5}, 10, 5, 400);
}

/* Every layer kind on a colour input (c3_nets.h): 3 x 10 x 12, 7 classes.
 * The parameter is an index: Criterion copies parameters into a new process
 * image, where the table's pointers would not hold. */
ParameterizedTestParameters(gradcheck, colour_input)
{
    static int index[64];
    cr_assert_leq(c3_nets_count, 64);
    for (int i = 0; i < c3_nets_count; i++) index[i] = i;
    return cr_make_param_array(int, index, (size_t)c3_nets_count);
}
ParameterizedTest(int *which, gradcheck, colour_input)
{
    const c3_net *c = &c3_nets[*which];
    check_net(c->text, c3_input, C3_CLASSES, c->n, 300);
}
Test(gradcheck, colour_inputs_cover_every_layer_kind)
{
    const char *missing = NULL;
    cr_assert(c3_nets_cover_every_kind(&missing), "no colour net has a %s layer", missing);
}

Test(gradcheck, net_scores_match_loss)
{
    /* The loss of the net is the loss of its scores. */
    net_spec spec;
    char err[256];
    shape3 in = {1, 8, 8};
    cr_assert_eq(net_spec_parse("conv4k5p2,relu,avgpool2,conv8k5p2,relu,avgpool2,fc10,softmax",
                                in, 10, &spec, err, sizeof err), 0, "%s", err);
    int n = 4, labels[4] = {3, 0, 9, 5};
    double *p = rand_buf(spec.n_params), *x = rand_buf((long)n * 64), s[40];
    ref_net_scores(&spec, p, x, n, s);
    double l = ref_net_loss(&spec, p, x, labels, n, NULL, NULL);
    cr_assert_float_eq(l, ref_softmax_xent(s, labels, n, 10, NULL), 1e-14);
    free(p), free(x);
}
