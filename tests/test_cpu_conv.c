/* The CPU backend's whole convolutions against the double reference, op by
 * op, over a grid of shapes: kernel sides 1 to 5, every padding up to the
 * side, strides 1 and 2, channel counts that fill the register tiles and
 * leave every remainder, odd image sides, one sample and several. Stride 1
 * with pad <= k-1 takes the direct path (src/cpu/cpu_conv.c), the rest the
 * im2col path; both must agree with the reference everywhere. */
#include <criterion/criterion.h>
#include <string.h>

#include "cpu/cpu_backend.h"
#include "cpu/cpu_kernels.h"
#include "ops.h"
#include "ref.h"
#include "testutil.h"

typedef struct {
    int k, pad, stride, c, cout, h, w, n;
} conv_case;

/* Index of (sample i, channel ch, pixel p) in CNHW (the backends) and NCHW
 * (the reference). */
static long cnhw(int i, int ch, int p, int n, int hw) { return ((long)ch * n + i) * hw + p; }
static long nchw(int i, int ch, int p, int c, int hw) { return ((long)i * c + ch) * hw + p; }

static double *widen(const float *p, long n)
{
    double *d = malloc(sizeof(double) * (n ? n : 1));
    for (long i = 0; i < n; i++) d[i] = p[i];
    return d;
}

/* Every element of got (CNHW, c channels) within tol of want (NCHW). */
static void expect_tensor(const char *what, const conv_case *t, const float *got,
                          const double *want, int c, int hw, double tol)
{
    for (int i = 0; i < t->n; i++)
        for (int ch = 0; ch < c; ch++)
            for (int p = 0; p < hw; p++) {
                double g = got[cnhw(i, ch, p, t->n, hw)], wv = want[nchw(i, ch, p, c, hw)];
                if (!close_enough(g, wv, tol, 1e-4))
                    cr_assert_fail("k%d p%d s%d c%d cout%d %dx%d n%d: %s (sample %d, channel %d, "
                             "pixel %d): cpu %.9g, reference %.9g",
                             t->k, t->pad, t->stride, t->c, t->cout, t->h, t->w, t->n, what, i,
                             ch, p, g, wv);
            }
}

static void check_case(const conv_case *t, int with_dx, rng *r)
{
    cnn_window g = cnn_window_make(t->c, t->n, t->h, t->w, t->k, t->stride, t->pad);
    if (g.oh <= 0 || g.ow <= 0) return; /* see empty_output_gives_zero_gradients */
    int hw = t->h * t->w, ohw = g.oh * g.ow, rows = cnn_cols_rows(g);
    long nx = (long)t->n * t->c * hw, ny = (long)t->n * t->cout * ohw, nw = (long)t->cout * rows;
    /* the reference's NCHW tensors; the backend gets the same values in CNHW */
    float *x = rand_floats(r, nx, -1, 1), *dy = rand_floats(r, ny, -1, 1);
    float *w = rand_floats(r, nw, -1, 1), *b = rand_floats(r, t->cout, -1, 1);
    float *xc = malloc(sizeof(float) * nx), *dyc = malloc(sizeof(float) * ny);
    for (int i = 0; i < t->n; i++) {
        for (int ch = 0; ch < t->c; ch++)
            for (int p = 0; p < hw; p++) xc[cnhw(i, ch, p, t->n, hw)] = x[nchw(i, ch, p, t->c, hw)];
        for (int ch = 0; ch < t->cout; ch++)
            for (int p = 0; p < ohw; p++)
                dyc[cnhw(i, ch, p, t->n, ohw)] = dy[nchw(i, ch, p, t->cout, ohw)];
    }
    /* NaN first: every output element must be written */
    float *y = nan_floats(ny), *dw = nan_floats(nw), *db = nan_floats(t->cout);
    float *dx = with_dx ? nan_floats(nx) : NULL;
    cpu_ops.conv_fwd(xc, g, w, b, t->cout, y);
    cpu_ops.conv_bwd(xc, g, w, t->cout, dyc, dw, db, dx);

    double *xd = widen(x, nx), *dyd = widen(dy, ny), *wd = widen(w, nw), *bd = widen(b, t->cout);
    double *yr = malloc(sizeof(double) * ny), *dwr = malloc(sizeof(double) * nw);
    double *dbr = malloc(sizeof(double) * t->cout), *dxr = malloc(sizeof(double) * nx);
    ref_conv_fwd(xd, t->n, t->c, t->h, t->w, wd, bd, t->cout, t->k, t->stride, t->pad, yr);
    ref_conv_bwd(xd, t->n, t->c, t->h, t->w, wd, t->cout, t->k, t->stride, t->pad, dyd,
                 with_dx ? dxr : NULL, dwr, dbr);

    /* sums of up to rows (forward, input gradient) or n*oh*ow (weight
     * gradient) products of numbers in [-1, 1]: float rounding stays far
     * below 2e-6 per term, one product left out or counted twice does not */
    expect_tensor("forward", t, y, yr, t->cout, ohw, 2e-6 * (rows + 1));
    conv_case whole = *t; /* dw and db: one "sample", NCHW = CNHW */
    whole.n = 1;
    expect_tensor("weight gradient", &whole, dw, dwr, t->cout, rows, 2e-6 * (t->n * ohw + 1));
    expect_tensor("bias gradient", &whole, db, dbr, t->cout, 1, 2e-6 * (t->n * ohw + 1));
    if (with_dx) expect_tensor("input gradient", t, dx, dxr, t->c, hw, 2e-6 * t->cout * rows);
    free(x); free(dy); free(w); free(b); free(xc); free(dyc);
    free(y); free(dw); free(db); free(dx);
    free(xd); free(dyd); free(wd); free(bd); free(yr); free(dwr); free(dbr); free(dxr);
}

Test(cpu_conv, both_paths_match_the_reference_over_a_grid_of_shapes)
{
    const int sides[] = {1, 2, 3, 5};
    /* (c, cout): every forward tile height 1 to 8 in cout (8 + 5 for 13),
     * and 1 to 7 in c (the input gradient's product has c rows) */
    const int channels[][2] = {{1, 1}, {1, 4}, {3, 8}, {2, 9}, {5, 13}, {4, 6}, {7, 7}};
    const int images[][2] = {{7, 9}, {1, 6}, {12, 5}};
    rng r = {42};
    int direct = 0, lowered = 0;
    for (int ki = 0; ki < 4; ki++)
        for (int pad = 0; pad <= sides[ki]; pad++)
            for (int stride = 1; stride <= 2; stride++)
                for (int ci = 0; ci < 7; ci++)
                    for (int ii = 0; ii < 3; ii++)
                        for (int n = 1; n <= 3; n += 2) {
                            conv_case t = {sides[ki], pad, stride, channels[ci][0],
                                           channels[ci][1], images[ii][0], images[ii][1], n};
                            cnn_window g = cnn_window_make(t.c, n, t.h, t.w, t.k, stride, pad);
                            if (g.oh <= 0 || g.ow <= 0) continue;
                            if (conv_direct_fits(g)) direct++;
                            else lowered++;
                            check_case(&t, (ci + ii + n) % 2, &r);
                            check_case(&t, (ci + ii + n + 1) % 2, &r);
                        }
    cr_assert(direct > 100 && lowered > 100, "both paths were taken (%d direct, %d lowered)",
              direct, lowered);
}

/* The shapes of seed-cnn's two convolutions, at its batch, with and without
 * the input gradient. */
Test(cpu_conv, seed_cnn_layers_at_batch_50)
{
    rng r = {7};
    const conv_case layers[] = {{5, 2, 1, 1, 4, 28, 28, 50}, {5, 2, 1, 4, 8, 14, 14, 50}};
    for (int i = 0; i < 2; i++) {
        check_case(&layers[i], 0, &r);
        check_case(&layers[i], 1, &r);
    }
}

/* The tiles read furthest past a padded buffer when its output rows times
 * the padded width is 1 more than a multiple of 32 (the widest tile): the
 * last tile then reads 31 floats of slack. Under `make test SAN=1`, where the
 * buffers are exactly their size, a slack one float short fails here. */
Test(cpu_conv, widest_reads_past_the_end)
{
    /* k, pad, stride, c, cout, h, w, n: oh * (w + 2 pad) = 33 (forward and
     * weight gradient), h * (w + k - 1) = 33 (input gradient) */
    const conv_case cases[] = {{1, 0, 1, 2, 3, 3, 11, 2}, {3, 1, 1, 1, 6, 1, 31, 2},
                               {5, 2, 1, 3, 8, 1, 29, 1}, {5, 2, 1, 2, 5, 3, 7, 3},
                               {2, 0, 1, 4, 2, 4, 11, 2}, {3, 0, 1, 7, 1, 3, 9, 1}};
    rng r = {5};
    for (int i = 0; i < 6; i++) check_case(&cases[i], 1, &r);
}

/* More threads than samples, and thread counts that split a batch
 * unevenly: each thread's partial sums, and threads with no sample. */
Test(cpu_conv, any_thread_count)
{
    const conv_case cases[] = {{5, 2, 1, 4, 8, 14, 14, 2}, {3, 1, 1, 3, 5, 9, 11, 7}};
    const int threads[] = {1, 3, 8};
    rng r = {9};
    for (int t = 0; t < 3; t++) {
        cpu_ops_set_threads(threads[t]);
        for (int i = 0; i < 2; i++) check_case(&cases[i], 1, &r);
    }
}

/* The weight, bias and input gradients (direct path, and im2col with stride
 * 2) have the same bits on 1, 2, 3 and 8 threads: the thread count follows
 * the machine's load, and must not change a run. */
Test(cpu_conv, backward_same_bits_on_any_thread_count)
{
    const conv_case cases[] = {{5, 2, 1, 4, 8, 14, 14, 50}, {3, 1, 2, 3, 5, 28, 28, 50}};
    const int threads[] = {1, 2, 3, 8};
    rng r = {10};
    for (int i = 0; i < 2; i++) {
        const conv_case *t = &cases[i];
        cnn_window g = cnn_window_make(t->c, t->n, t->h, t->w, t->k, t->stride, t->pad);
        long nx = (long)t->n * t->c * t->h * t->w, ny = (long)t->n * t->cout * g.oh * g.ow;
        long nw = (long)t->cout * cnn_cols_rows(g), ng = nw + t->cout + nx;
        float *x = rand_floats(&r, nx, -1, 1), *dy = rand_floats(&r, ny, -1, 1);
        float *w = rand_floats(&r, nw, -1, 1), *grads = malloc(sizeof(float) * ng);
        float *first = malloc(sizeof(float) * ng);
        for (int k = 0; k < 4; k++) {
            cpu_ops_set_threads(threads[k]);
            cpu_ops.conv_bwd(x, g, w, t->cout, dy, grads, grads + nw, grads + nw + t->cout);
            if (k == 0) memcpy(first, grads, sizeof(float) * ng);
            cr_assert_eq(memcmp(grads, first, sizeof(float) * ng), 0,
                         "k%d s%d: %d threads differ from 1", t->k, t->stride, threads[k]);
        }
        free(x); free(dy); free(w); free(grads); free(first);
    }
    cpu_ops_set_threads(0);
}

/* A window larger than the padded input (the spec parser refuses such a
 * layer; the op still must not fail): no output, and every gradient zero. */
Test(cpu_conv, empty_output_gives_zero_gradients)
{
    cnn_window g = cnn_window_make(2, 3, 1, 8, 3, 1, 0);
    cr_assert_eq(g.oh, 0);
    float x[2 * 3 * 8], w[4 * 18], b[4] = {1, 2, 3, 4}, dw[4 * 18], db[4], dx[2 * 3 * 8], dy[1];
    for (int i = 0; i < 48; i++) x[i] = dx[i] = NAN;
    for (int i = 0; i < 72; i++) w[i] = 1.0f, dw[i] = NAN;
    cpu_ops.conv_fwd(x, g, w, b, 4, dy);
    cpu_ops.conv_bwd(x, g, w, 4, dy, dw, db, dx);
    for (int i = 0; i < 72; i++) cr_assert_eq(dw[i], 0.0f, "dw[%d] = %g", i, dw[i]);
    for (int i = 0; i < 4; i++) cr_assert_eq(db[i], 0.0f, "db[%d] = %g", i, db[i]);
    for (int i = 0; i < 48; i++) cr_assert_eq(dx[i], 0.0f, "dx[%d] = %g", i, dx[i]);
}

Test(cpu_conv, direct_path_covers_stride_1_with_pad_below_the_side)
{
    cr_assert(conv_direct_fits(cnn_window_make(1, 1, 8, 8, 5, 1, 2)));
    cr_assert(conv_direct_fits(cnn_window_make(1, 1, 8, 8, 5, 1, 4)));
    cr_assert(conv_direct_fits(cnn_window_make(1, 1, 8, 8, 1, 1, 0)));
    cr_assert(!conv_direct_fits(cnn_window_make(1, 1, 8, 8, 5, 1, 5)));
    cr_assert(!conv_direct_fits(cnn_window_make(1, 1, 8, 8, 3, 2, 1)));
    cr_assert(!conv_direct_fits(cnn_window_make(1, 1, 1, 8, 3, 1, 0)), "an empty output");
}
