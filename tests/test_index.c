/* The shared index arithmetic (include/hd/index.h) that both backends run:
 * hand-computed cases, the adjoint identity, pooling as the mean of a
 * 'distinct' im2col, and the CPU backend's loops element by element against
 * the per-element functions the GPU kernels call. */
#include <criterion/criterion.h>
#include <string.h>

#include "cpu/cpu_backend.h"
#include "hd/index.h"
#include "ops.h"
#include "testutil.h"

static float *seq(int n)
{
    float *p = malloc(sizeof(float) * n);
    for (int i = 0; i < n; i++) p[i] = (float)(i + 1);
    return p;
}

Test(index, out_side)
{
    cr_assert_eq(cnn_out_side(28, 5, 1, 2), 28);
    cr_assert_eq(cnn_out_side(28, 2, 2, 0), 14);
    cr_assert_eq(cnn_out_side(7, 3, 2, 1), 4);
    cr_assert_eq(cnn_out_side(5, 1, 1, 0), 5);
    cr_assert_eq(cnn_out_side(2, 5, 1, 0), 0, "a window larger than the input does not fit");
    cr_assert_eq(cnn_out_side(2, 5, 1, 2), 2);
    cr_assert_eq(cnn_out_side(4, 2, 0, 0), 0, "stride 0 is refused");
}

Test(index, covering_range)
{
    int lo, hi;
    /* k3 s1 p1 over 5: input 0 is covered by outputs 0 and 1 */
    cnn_covering(0, 3, 1, 1, 5, &lo, &hi);
    cr_assert(lo == 0 && hi == 2);
    cnn_covering(4, 3, 1, 1, 5, &lo, &hi);
    cr_assert(lo == 3 && hi == 5);
    /* distinct k2 s2: input 3 only in output 1 */
    cnn_covering(3, 2, 2, 0, 2, &lo, &hi);
    cr_assert(lo == 1 && hi == 2);
    /* k3 s2 p0 over 7 (out 3): input 2 in outputs 0 and 1, input 1 in 0 only */
    cnn_covering(2, 3, 2, 0, 3, &lo, &hi);
    cr_assert(lo == 0 && hi == 2);
    cnn_covering(1, 3, 2, 0, 3, &lo, &hi);
    cr_assert(lo == 0 && hi == 1);
    /* k2 s2 over 5 (out 2): the last input is read by no window */
    cnn_covering(4, 2, 2, 0, 2, &lo, &hi);
    cr_assert(lo >= hi);
}

/* im2col of a 3x3 image, 2x2 window, stride 1 ('sliding'): by hand. */
Test(index, im2col_sliding_by_hand)
{
    float *x = seq(9); /* 1..9 */
    cnn_window g = cnn_window_make(1, 1, 3, 3, 2, 1, 0);
    const float want[4][4] = {{1, 2, 4, 5}, {2, 3, 5, 6}, {4, 5, 7, 8}, {5, 6, 8, 9}};
    float cols[16];
    cpu_ops.im2col(x, g, cols);
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++) {
            cr_assert_float_eq(cnn_im2col_at(x, g, r, c), want[r][c], 0, "shared (%d,%d)", r, c);
            cr_assert_float_eq(cols[r * 4 + c], want[r][c], 0, "cpu (%d,%d)", r, c);
        }
    free(x);
}

/* 2x2 image, 3x3 window, pad 1: the corner rows see mostly padding. */
Test(index, im2col_padded_by_hand)
{
    float x[4] = {1, 2, 3, 4};
    cnn_window g = cnn_window_make(1, 1, 2, 2, 3, 1, 1);
    cr_assert(g.oh == 2 && g.ow == 2);
    float cols[9 * 4];
    cpu_ops.im2col(x, g, cols);
    const float row0[4] = {0, 0, 0, 1}, row4[4] = {1, 2, 3, 4}, row8[4] = {4, 0, 0, 0};
    for (int c = 0; c < 4; c++) {
        cr_assert_float_eq(cols[0 * 4 + c], row0[c], 0);
        cr_assert_float_eq(cols[4 * 4 + c], row4[c], 0);
        cr_assert_float_eq(cols[8 * 4 + c], row8[c], 0);
        cr_assert_float_eq(cnn_im2col_at(x, g, 8, c), row8[c], 0);
    }
}

/* 'distinct' mode: a 4x4 image in 2x2 blocks, stride 2; two channels and two
 * samples, so the CNHW addressing is exercised too. */
Test(index, im2col_distinct_by_hand)
{
    float *x = seq(2 * 2 * 16);  /* C=2, N=2, 4x4 */
    cnn_window g = cnn_window_make(2, 2, 4, 4, 2, 2, 0);
    int rows = cnn_cols_rows(g), ncols = cnn_cols_cols(g);
    cr_assert(rows == 8 && ncols == 8);
    float cols[64];
    cpu_ops.im2col(x, g, cols);
    /* column 1 = sample 0, block (0,1): channel 0 values 3,4,7,8 */
    const float col1_c0[4] = {3, 4, 7, 8};
    for (int r = 0; r < 4; r++) cr_assert_float_eq(cols[r * ncols + 1], col1_c0[r], 0);
    /* column 6 = sample 1, block (1,0), channel 1: plane (c1,n1) starts at 49 */
    const float col6_c1[4] = {49 + 8, 49 + 9, 49 + 12, 49 + 13};
    for (int r = 0; r < 4; r++) cr_assert_float_eq(cols[(4 + r) * ncols + 6], col6_c1[r], 0);
    /* distinct windows tile: col2im(im2col(x)) == x */
    float back[64];
    cpu_ops.col2im(cols, g, back);
    for (int i = 0; i < 64; i++) {
        cr_assert_float_eq(back[i], x[i], 0);
        cr_assert_float_eq(cnn_col2im_at(cols, g, i), x[i], 0);
    }
    free(x);
}

/* col2im of ones counts how many windows cover each pixel. */
Test(index, col2im_sliding_by_hand)
{
    cnn_window g = cnn_window_make(1, 1, 3, 3, 2, 1, 0);
    float ones[16], x[9];
    for (int i = 0; i < 16; i++) ones[i] = 1;
    cpu_ops.col2im(ones, g, x);
    const float want[9] = {1, 2, 1, 2, 4, 2, 1, 2, 1};
    for (int i = 0; i < 9; i++) {
        cr_assert_float_eq(x[i], want[i], 0, "cpu %d", i);
        cr_assert_float_eq(cnn_col2im_at(ones, g, i), want[i], 0, "shared %d", i);
    }
}

Test(index, pool_padded_by_hand)
{
    float x[4] = {1, 2, 3, 4}, y[4], dx[4];
    cnn_window g = cnn_window_make(1, 1, 2, 2, 2, 2, 1);
    cr_assert(g.oh == 2 && g.ow == 2);
    cpu_ops.pool_fwd(x, g, y);
    const float want[4] = {0.25f, 0.5f, 0.75f, 1.0f};
    for (int i = 0; i < 4; i++) {
        cr_assert_float_eq(y[i], want[i], 1e-7);
        cr_assert_float_eq(cnn_pool_fwd_at(x, g, i), want[i], 1e-7);
    }
    float dy[4] = {4, 8, 12, 16};
    cpu_ops.pool_bwd(dy, g, dx);
    for (int i = 0; i < 4; i++) cr_assert_float_eq(dx[i], dy[i] / 4, 1e-7);
}

/* Geometries that cover every corner: kernels 1, 3, 5, strides 1 to 3,
 * padding 0 to 2, non-square, one and several channels and samples. */
static const int GEOMS[][7] = {
    /* c, n, h, w, k, stride, pad */
    {1, 1, 5, 5, 1, 1, 0}, {1, 2, 7, 5, 3, 1, 1}, {3, 2, 6, 9, 3, 2, 0}, {2, 3, 8, 8, 5, 1, 2},
    {4, 1, 5, 7, 5, 2, 2}, {1, 4, 28, 28, 5, 1, 2}, {2, 2, 9, 6, 2, 2, 0}, {3, 1, 10, 7, 3, 3, 1},
    {2, 2, 4, 11, 4, 1, 3}, {1, 1, 3, 3, 3, 1, 0},
};
#define N_GEOMS (int)(sizeof GEOMS / sizeof GEOMS[0])

static cnn_window geom(int i)
{
    const int *p = GEOMS[i];
    return cnn_window_make(p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
}

/* <im2col(x), y> = <x, col2im(y)>: col2im is im2col's adjoint. */
Test(index, adjoint_identity)
{
    rng r = {11};
    for (int gi = 0; gi < N_GEOMS; gi++) {
        cnn_window g = geom(gi);
        long xn = (long)g.c * g.n * g.h * g.w, cn = (long)cnn_cols_rows(g) * cnn_cols_cols(g);
        float *x = rand_floats(&r, xn, -1, 1), *y = rand_floats(&r, cn, -1, 1);
        float *cols = nan_floats(cn), *back = nan_floats(xn);
        cpu_ops.im2col(x, g, cols);
        cpu_ops.col2im(y, g, back);
        double lhs = 0, rhs = 0, lhs_shared = 0, rhs_shared = 0;
        for (long i = 0; i < cn; i++) {
            lhs += (double)cols[i] * y[i];
            lhs_shared += (double)cnn_im2col_at(x, g, (int)(i / cnn_cols_cols(g)),
                                                (int)(i % cnn_cols_cols(g))) * y[i];
        }
        for (long i = 0; i < xn; i++) {
            rhs += (double)x[i] * back[i];
            rhs_shared += (double)x[i] * cnn_col2im_at(y, g, (int)i);
        }
        cr_assert(close_enough(lhs, rhs, 1e-4, 1e-5), "geometry %d: %g vs %g", gi, lhs, rhs);
        cr_assert(close_enough(lhs_shared, rhs_shared, 1e-4, 1e-5), "shared, geometry %d", gi);
        free(x); free(y); free(cols); free(back);
    }
}

/* The CPU loops give exactly what the per-element functions (the GPU
 * kernels' bodies) give, on every element. Outputs start as NaN, so an
 * element left unwritten fails. */
Test(index, cpu_matches_shared_functions)
{
    rng r = {12};
    for (int gi = 0; gi < N_GEOMS; gi++) {
        cnn_window g = geom(gi);
        int rows = cnn_cols_rows(g), ncols = cnn_cols_cols(g);
        long xn = (long)g.c * g.n * g.h * g.w, cn = (long)rows * ncols;
        long pn = (long)g.c * g.n * g.oh * g.ow;
        float *x = rand_floats(&r, xn, -1, 1), *y = rand_floats(&r, cn, -1, 1);
        float *dy = rand_floats(&r, pn, -1, 1);
        float *cols = nan_floats(cn), *back = nan_floats(xn), *pool = nan_floats(pn);
        float *dpool = nan_floats(xn);
        cpu_ops.im2col(x, g, cols);
        cpu_ops.col2im(y, g, back);
        cpu_ops.pool_fwd(x, g, pool);
        cpu_ops.pool_bwd(dy, g, dpool);
        for (long i = 0; i < cn; i++)
            cr_assert_float_eq(cols[i], cnn_im2col_at(x, g, (int)(i / ncols), (int)(i % ncols)),
                               0, "im2col, geometry %d, element %ld", gi, i);
        for (long i = 0; i < xn; i++) {
            cr_assert(close_enough(back[i], cnn_col2im_at(y, g, (int)i), 1e-6, 1e-5),
                      "col2im, geometry %d, element %ld", gi, i);
            cr_assert(close_enough(dpool[i], cnn_pool_bwd_at(dy, g, (int)i), 1e-6, 1e-5),
                      "pool backward, geometry %d, element %ld", gi, i);
        }
        for (long i = 0; i < pn; i++)
            cr_assert(close_enough(pool[i], cnn_pool_fwd_at(x, g, (int)i), 1e-6, 1e-5),
                      "pool forward, geometry %d, element %ld", gi, i);
        free(x); free(y); free(dy); free(cols); free(back); free(pool); free(dpool);
    }
}

/* Average pooling is the column mean of a 'distinct' im2col (stride k). */
Test(index, pool_is_mean_of_distinct_im2col)
{
    rng r = {13};
    const int shapes[][6] = {{2, 3, 8, 6, 2, 0}, {1, 2, 28, 28, 2, 0}, {3, 1, 9, 6, 3, 0},
                             {2, 2, 6, 6, 4, 1}};
    for (int s = 0; s < 4; s++) {
        const int *p = shapes[s];
        int c = p[0], n = p[1], h = p[2], w = p[3], k = p[4], pad = p[5];
        cnn_window pool = cnn_window_make(c, n, h, w, k, k, pad);
        /* pooling treats each (channel, sample) plane alike: one channel of
         * c*n samples gives im2col columns in the pooled output's order */
        cnn_window planes = cnn_window_make(1, c * n, h, w, k, k, pad);
        long xn = (long)c * n * h * w, pn = (long)c * n * pool.oh * pool.ow;
        float *x = rand_floats(&r, xn, -1, 1), *y = nan_floats(pn);
        float *cols = nan_floats((long)k * k * pn);
        cpu_ops.pool_fwd(x, pool, y);
        cpu_ops.im2col(x, planes, cols);
        for (long o = 0; o < pn; o++) {
            double mean = 0;
            for (int rr = 0; rr < k * k; rr++) mean += cols[rr * pn + o];
            mean /= k * k;
            cr_assert(close_enough(y[o], mean, 1e-6, 1e-5), "shape %d output %ld", s, o);
        }
        free(x); free(y); free(cols);
    }
}

Test(index, swap_axes)
{
    rng r = {14};
    int a = 3, b = 5, inner = 7;
    float *x = rand_floats(&r, a * b * inner, -1, 1), *y = nan_floats(a * b * inner);
    cpu_ops.swap_axes(x, y, a, b, inner);
    for (long i = 0; i < a * b * inner; i++)
        cr_assert_float_eq(y[i], x[cnn_swap_src(i, a, b, inner)], 0);
    /* element (ai=2, bi=4, r=6) of x lands at (bi=4, ai=2, r=6) of y */
    cr_assert_float_eq(y[(4 * a + 2) * inner + 6], x[(2 * b + 4) * inner + 6], 0);
    free(x); free(y);
}
