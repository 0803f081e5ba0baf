/* The float CPU backend against the double-precision reference: whole small
 * nets that isolate each layer (forward scores, loss, every parameter
 * gradient), and the ops that nets do not reach on their own. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "c3_nets.h"
#include "cpu/cpu_backend.h"
#include "net.h"
#include "ref.h"
#include "testutil.h"

/* NCHW (the reference's layout) to CNHW (the backends'). */
static void nchw_to_cnhw(const float *x, float *y, int n, int c, int hw)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < c; j++)
            memcpy(y + ((long)j * n + i) * hw, x + ((long)i * c + j) * hw, sizeof(float) * hw);
}

static double *to_double(const float *p, long n)
{
    double *d = malloc(sizeof(double) * (n ? n : 1));
    for (long i = 0; i < n; i++) d[i] = p[i];
    return d;
}

/* The scores of the last fc (n x k) against the reference's; the count of
 * rows whose reference arg-max is the label. */
static int check_scores(const char *text, const float *got, const double *want,
                        const int *labels, int n, int k)
{
    int correct = 0;
    for (int i = 0; i < n; i++) {
        int best = 0;
        for (int j = 0; j < k; j++) {
            cr_assert(close_enough(got[i * k + j], want[i * k + j], 1e-5, 1e-4),
                      "%s: score (%d,%d): cpu %g, reference %g", text, i, j, got[i * k + j],
                      want[i * k + j]);
            if (want[i * k + j] > want[i * k + best]) best = j;
        }
        correct += best == labels[i];
    }
    return correct;
}

/* Runs `text` on the CPU backend and on the reference with the same random
 * parameters, input and labels, and compares scores, loss, correct count and
 * every parameter gradient. The same samples go to both: N x C x H x W to
 * the reference, laid out C x N x H x W for the net. */
static void check_net_on(const cnn_ops *ops, const char *text, shape3 in, int classes, int n,
                         uint64_t seed)
{
    net_spec spec;
    char err[512];
    cr_assert_eq(net_spec_parse(text, in, classes, &spec, err, sizeof err), 0, "%s", err);
    net *nt = net_create(ops, &spec, n);
    rng r = {seed};
    long np = spec.n_params, in_size = (long)in.c * in.h * in.w;
    float *params = rand_floats(&r, np, -0.5f, 0.5f);
    float *x = rand_floats(&r, n * in_size, -1, 1);
    int *labels = malloc(sizeof(int) * n);
    for (int i = 0; i < n; i++) labels[i] = (int)rng_below(&r, (uint32_t)classes);
    memcpy(nt->params, params, sizeof(float) * np);
    nchw_to_cnhw(x, nt->act[0], n, in.c, in.h * in.w);
    memcpy(nt->labels, labels, sizeof(int) * n);
    for (long i = 0; i < np; i++) nt->grads[i] = NAN; /* every gradient must be written */

    net_forward(nt, n);
    net_backward(nt, n);

    double *pd = to_double(params, np), *xd = to_double(x, n * in_size);
    double *dp = calloc(np ? np : 1, sizeof(double));
    double *scores = malloc(sizeof(double) * n * classes);
    double loss = ref_net_loss(&spec, pd, xd, labels, n, dp, NULL);
    ref_net_scores(&spec, pd, xd, n, scores);

    int correct = check_scores(text, nt->act[spec.n_layers - 1], scores, labels, n, classes);
    cr_assert(close_enough(nt->stats[STAT_LOSS] / n, loss, 1e-6, 1e-5),
              "%s: loss: cpu %.9g, reference %.9g", text, nt->stats[STAT_LOSS] / n, loss);
    cr_assert_eq((int)nt->stats[STAT_CORRECT], correct, "%s: correct count", text);

    double gmax = 0;
    for (long i = 0; i < np; i++) gmax = fmax(gmax, fabs(dp[i]));
    for (long i = 0; i < np; i++)
        cr_assert(close_enough(nt->grads[i], dp[i], 1e-5 * gmax + 1e-7, 1e-3),
                  "%s: gradient of parameter %ld: cpu %.9g, reference %.9g", text, i,
                  nt->grads[i], dp[i]);
    net_destroy(nt);
    free(params); free(x); free(labels); free(pd); free(xd); free(dp); free(scores);
}

/* The CPU backend's whole-convolution ops, and (plain) the CPU table without
 * them: the net then composes im2col, gemm, bias and col2im itself, the path
 * the GPU takes. */
static void check_net_k(const char *text, shape3 in, int classes, int n, uint64_t seed)
{
    cnn_ops plain = cpu_ops;
    plain.conv_fwd = NULL;
    plain.conv_bwd = NULL;
    check_net_on(&cpu_ops, text, in, classes, n, seed);
    check_net_on(&plain, text, in, classes, n, seed);
}
static void check_net(const char *text, shape3 in, int n, uint64_t seed)
{
    check_net_k(text, in, 10, n, seed);
}

Test(cpu_vs_ref, conv_k3) { check_net("conv3k3,fc10,softmax", (shape3){1, 6, 5}, 2, 1); }
Test(cpu_vs_ref, conv_k5_pad2_multichannel_input)
{
    check_net("conv4k5p2,fc10,softmax", (shape3){2, 7, 9}, 3, 2);
}
Test(cpu_vs_ref, conv_k1_batch1_euclid) { check_net("conv2k1,fc10,euclid", (shape3){3, 4, 4}, 1, 3); }
Test(cpu_vs_ref, conv_stride2_pad1_relu)
{
    check_net("conv3k3p1s2,relu,fc10,softmax", (shape3){1, 9, 7}, 2, 4);
}
Test(cpu_vs_ref, two_convs_pad0_and_pad2)
{
    check_net("conv3k3,relu,conv5k5p2,fc10,softmax", (shape3){2, 8, 6}, 3, 5);
}
Test(cpu_vs_ref, pool_k2) { check_net("conv2k3,avgpool2,fc10,softmax", (shape3){1, 8, 8}, 2, 6); }
Test(cpu_vs_ref, pool_k3_stride2_pad1)
{
    check_net("conv2k1,avgpool3p1s2,fc10,softmax", (shape3){2, 7, 5}, 3, 7);
}
Test(cpu_vs_ref, relu_then_fc) { check_net("relu,fc10,softmax", (shape3){1, 4, 4}, 5, 8); }
Test(cpu_vs_ref, mlp_euclid) { check_net("fc7,relu,fc10,euclid", (shape3){1, 5, 5}, 4, 9); }
Test(cpu_vs_ref, seed_cnn)
{
    check_net("conv4k5p2,relu,avgpool2,conv8k5p2,relu,avgpool2,fc10,softmax",
              (shape3){1, 28, 28}, 4, 10);
}
Test(cpu_vs_ref, seed_cnn_batch1)
{
    check_net("conv4k5p2,relu,avgpool2,conv8k5p2,relu,avgpool2,fc10,softmax",
              (shape3){1, 28, 28}, 1, 11);
}
Test(cpu_vs_ref, mlp2_shape) { check_net("fc392,relu,fc196,relu,fc10,euclid", (shape3){1, 28, 28}, 3, 12); }

/* The new layers, each in a net (training mode: batch statistics, and
 * dropout's masks of seed 0 and step 0 on both sides, so the reference's
 * mask, mapped from its N x C x H x W order, must be the backend's). */
Test(cpu_vs_ref, maxpool_overlapping_padded_lrelu)
{
    check_net("conv3k3p1,lrelu0.1,maxpool3p1s2,fc10,softmax", (shape3){2, 9, 7}, 3, 31);
}
Test(cpu_vs_ref, avgpool_non_tiling) { check_net("conv2k3,avgpool3s2,fc10,softmax", (shape3){1, 8, 8}, 2, 32); }
Test(cpu_vs_ref, gap) { check_net("conv4k3p1,relu,gap,fc10,softmax", (shape3){1, 6, 5}, 3, 33); }
Test(cpu_vs_ref, tanh_sigmoid)
{
    check_net("conv3k3,tanh,avgpool2,fc12,sigmoid,fc10,euclid", (shape3){1, 8, 8}, 3, 34);
}
Test(cpu_vs_ref, dropout_on_maps_and_features)
{
    check_net("conv3k3p1,relu,dropout0.5,fc12,dropout0.3,fc10,softmax", (shape3){2, 5, 5}, 4, 35);
}
Test(cpu_vs_ref, bn_after_conv_and_fc)
{
    check_net("conv4k3p1,bn,relu,maxpool2,fc12,bn,lrelu,fc10,softmax", (shape3){1, 8, 8}, 4, 36);
}
Test(cpu_vs_ref, lenet5)
{
    check_net("conv6k5p2,tanh,avgpool2,conv16k5,tanh,avgpool2,fc120,tanh,fc84,tanh,fc10,softmax",
              (shape3){1, 28, 28}, 2, 37);
}
Test(cpu_vs_ref, cnn_bn)
{
    check_net("conv16k3p1,bn,relu,maxpool2,conv32k3p1,bn,relu,maxpool2,conv64k3p1,bn,relu,maxpool2,"
              "dropout0.3,fc10,softmax", (shape3){1, 28, 28}, 4, 38);
}

/* Every layer kind on a colour input (c3_nets.h): 3 x 10 x 12, 7 classes.
 * The parameter is an index: Criterion copies parameters into a new process
 * image, where the table's pointers would not hold. */
ParameterizedTestParameters(cpu_vs_ref, colour_input)
{
    static int index[64];
    cr_assert_leq(c3_nets_count, 64);
    for (int i = 0; i < c3_nets_count; i++) index[i] = i;
    return cr_make_param_array(int, index, (size_t)c3_nets_count);
}
ParameterizedTest(int *which, cpu_vs_ref, colour_input)
{
    const c3_net *c = &c3_nets[*which];
    check_net_k(c->text, c3_input, C3_CLASSES, c->n, 60 + (uint64_t)*which);
}
Test(cpu_vs_ref, colour_inputs_cover_every_layer_kind)
{
    const char *missing = NULL;
    cr_assert(c3_nets_cover_every_kind(&missing), "no colour net has a %s layer", missing);
}

/* Evaluation mode: bn uses the running averages one training forward has
 * moved, dropout is the identity; the reference is given the same state. */
static void check_evaluation_mode(const char *text, shape3 in, int classes, int n)
{
    net_spec spec;
    char err[512];
    cr_assert_eq(net_spec_parse(text, in, classes, &spec, err, sizeof err), 0, "%s", err);
    net *nt = net_create(&cpu_ops, &spec, n);
    net_init_params(nt, 3, 0);
    rng r = {39};
    long np = spec.n_params, in_size = (long)in.c * in.h * in.w;
    float *x = rand_floats(&r, n * in_size, -1, 1);
    nchw_to_cnhw(x, nt->act[0], n, in.c, in.h * in.w);
    memset(nt->labels, 0, sizeof(int) * n);
    net_forward(nt, n); /* training: moves the running averages */
    net_set_training(nt, 0);
    net_forward(nt, n);
    double *pd = to_double(nt->params, np), *xd = to_double(x, n * in_size);
    double *state = to_double(nt->state, spec.n_state);
    double *scores = malloc(sizeof(double) * n * classes);
    ref_mode eval = {0, 0, 0, state};
    ref_net_scores_in(&spec, &eval, pd, xd, n, scores);
    const float *fscores = nt->act[spec.n_layers - 1];
    for (int i = 0; i < n * classes; i++)
        cr_assert(close_enough(fscores[i], scores[i], 1e-5, 1e-4),
                  "%s: score %d: cpu %g, reference %g", text, i, fscores[i], scores[i]);
    /* the running averages moved away from their start (means 0, variances 1) */
    int moved = 0;
    for (long i = 0; i < spec.n_state; i++) moved += state[i] != 0.0 && state[i] != 1.0;
    cr_assert_eq(moved, spec.n_state, "%s: %d of %ld running values moved", text, moved,
                 spec.n_state);
    net_destroy(nt);
    free(x); free(pd); free(xd); free(state); free(scores);
}
Test(cpu_vs_ref, evaluation_mode_uses_running_statistics)
{
    check_evaluation_mode("conv3k3p1,bn,relu,dropout0.5,fc8,bn,fc10,softmax", (shape3){1, 6, 6},
                          10, 5);
    /* bn on the three input channels, then on maps and features */
    check_evaluation_mode("bn,conv3k3p1,bn,relu,dropout0.5,fc8,bn,fc7,softmax", c3_input,
                          C3_CLASSES, 5);
}

/* The pooling ops against the reference, plain windows (stride k, no
 * padding) and others, one thread and several. Windows also on sides k does
 * not divide: Caffe's rule keeps a last partial window, divided by the cells
 * it covers.
 * Pooling treats every plane alike, so the C x N planes are handed to the
 * reference as the channels of one sample. */
Test(cpu_vs_ref, pool_ops_plain_and_general)
{
    /* k, stride, pad, c, n, h, w. Rows 4 and 5: 2x2 windows eight at a time
     * with a tail; 5 and 7 are big enough to run on several threads */
    const int shapes[][7] = {{2, 2, 0, 2, 1, 7, 5},  {3, 3, 0, 3, 1, 8, 10},
                             {2, 2, 0, 3, 1, 4, 4},  {2, 2, 0, 2, 1, 6, 37},
                             {2, 2, 0, 8, 4, 64, 66}, {3, 2, 1, 4, 3, 9, 8},
                             {3, 1, 1, 16, 4, 24, 24}};
    rng r = {21};
    for (int s = 0; s < 7; s++) {
        int k = shapes[s][0], stride = shapes[s][1], pad = shapes[s][2];
        int c = shapes[s][3], n = shapes[s][4], h = shapes[s][5], w = shapes[s][6];
        cnn_window g = cnn_pool_window_make(c, n, h, w, k, stride, pad);
        long nx = (long)c * n * h * w, ny = (long)c * n * g.oh * g.ow;
        float *x = rand_floats(&r, nx, -1, 1), *dy = rand_floats(&r, ny, -1, 1);
        float *y = nan_floats(ny), *dx = nan_floats(nx);
        double *xd = to_double(x, nx), *dyd = to_double(dy, ny);
        double *yr = malloc(sizeof(double) * ny), *dxr = malloc(sizeof(double) * nx);
        cpu_ops.pool_fwd(x, g, y);
        cpu_ops.pool_bwd(dy, g, dx);
        ref_pool_fwd(xd, 1, c * n, h, w, k, stride, pad, yr);
        ref_pool_bwd(dyd, 1, c * n, h, w, k, stride, pad, dxr);
        for (long i = 0; i < ny; i++)
            cr_assert(close_enough(y[i], yr[i], 1e-6, 1e-5), "k%d s%d p%d %dx%d: y[%ld] %g vs %g",
                      k, stride, pad, h, w, i, y[i], yr[i]);
        for (long i = 0; i < nx; i++)
            cr_assert(close_enough(dx[i], dxr[i], 1e-6, 1e-5),
                      "k%d s%d p%d %dx%d: dx[%ld] %g vs %g", k, stride, pad, h, w, i, dx[i],
                      dxr[i]);
        free(x); free(dy); free(y); free(dx); free(xd); free(dyd); free(yr); free(dxr);
    }
}

/* Naive double gemm over the same stored operands. */
static void naive_gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a,
                       const float *b, float beta, const float *c0, double *c)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int p = 0; p < k; p++)
                s += (double)(ta ? a[(long)p * m + i] : a[(long)i * k + p]) *
                     (tb ? b[(long)j * k + p] : b[(long)p * n + j]);
            c[(long)i * n + j] = alpha * s + beta * c0[(long)i * n + j];
        }
}

/* All four transpose cases, at sizes that take each path of the CPU gemm:
 * one call, split by columns, by rows, and by the inner dimension. */
Test(cpu_vs_ref, gemm_all_transposes_and_splits)
{
    const int sizes[][3] = {{3, 5, 7}, {8, 300, 40}, {300, 8, 40}, {4, 25, 9000}, {1, 1, 1}};
    const float ab[][2] = {{1, 0}, {0.5f, 2}};
    rng r = {20};
    for (int s = 0; s < 5; s++)
        for (int t = 0; t < 4; t++)
            for (int v = 0; v < 2; v++) {
                int m = sizes[s][0], n = sizes[s][1], k = sizes[s][2], ta = t & 1, tb = t >> 1;
                float *a = rand_floats(&r, (long)m * k, -1, 1), *b = rand_floats(&r, (long)k * n, -1, 1);
                float *c0 = rand_floats(&r, (long)m * n, -1, 1), *c = malloc(sizeof(float) * m * n);
                double *want = malloc(sizeof(double) * m * n);
                memcpy(c, c0, sizeof(float) * m * n);
                cpu_ops.gemm(ta, tb, m, n, k, ab[v][0], a, b, ab[v][1], c);
                naive_gemm(ta, tb, m, n, k, ab[v][0], a, b, ab[v][1], c0, want);
                for (long i = 0; i < (long)m * n; i++)
                    cr_assert(close_enough(c[i], want[i], 1e-4 * sqrt(k), 1e-4),
                              "m%d n%d k%d ta%d tb%d alpha %g beta %g: element %ld: %g vs %g",
                              m, n, k, ta, tb, ab[v][0], ab[v][1], i, c[i], want[i]);
                free(a); free(b); free(c0); free(c); free(want);
            }
}

/* The same bits on 1, 2, 3 and 8 threads, on each path of the CPU gemm: the
 * thread count follows the machine's load, and must not change a run. */
Test(cpu_vs_ref, gemm_same_bits_on_any_thread_count)
{
    const int sizes[][3] = {{50, 300, 784}, {300, 50, 784}, {10, 392, 512}, {4, 25, 9000}};
    const int threads[] = {1, 2, 3, 8};
    rng r = {21};
    for (int s = 0; s < 4; s++)
        for (int t = 0; t < 4; t++) {
            int m = sizes[s][0], n = sizes[s][1], k = sizes[s][2], ta = t & 1, tb = t >> 1;
            float *a = rand_floats(&r, (long)m * k, -1, 1), *b = rand_floats(&r, (long)k * n, -1, 1);
            float *c0 = rand_floats(&r, (long)m * n, -1, 1), *c = malloc(sizeof(float) * m * n);
            float *first = malloc(sizeof(float) * m * n);
            for (int i = 0; i < 4; i++) {
                cpu_ops_set_threads(threads[i]);
                memcpy(c, c0, sizeof(float) * m * n);
                cpu_ops.gemm(ta, tb, m, n, k, 1.0f, a, b, 0.5f, c);
                if (i == 0) memcpy(first, c, sizeof(float) * m * n);
                cr_assert_eq(memcmp(c, first, sizeof(float) * m * n), 0,
                             "m%d n%d k%d ta%d tb%d: %d threads differ from 1", m, n, k, ta, tb,
                             threads[i]);
            }
            free(a); free(b); free(c0); free(c); free(first);
        }
    cpu_ops_set_threads(0);
}

/* No NaN for any finite scores; the loss op adds to the sums, never resets. */
Test(cpu_vs_ref, softmax_huge_scores_finite)
{
    float s[3 * 10], grad[30];
    int labels[3] = {0, 1, 2}, pred[3];
    for (int i = 0; i < 30; i++) s[i] = -3e38f;
    s[0] = 3e38f;          /* row 0: the label holds the max */
    s[10] = 1e30f;         /* row 1: the label is far below the max */
    s[11] = -1e30f;
    s[20] = 5; s[22] = 5;  /* row 2: a tie */
    double stats[2] = {1, 1};
    cpu_ops.softmax_xent(s, labels, 3, 10, grad, stats, pred);
    for (int i = 0; i < 30; i++) cr_assert(isfinite(grad[i]), "grad %d = %g", i, grad[i]);
    cr_assert(!isnan(stats[0]));
    cr_assert_eq(pred[0], 0);
    cr_assert_eq(pred[1], 0);
    cr_assert_float_eq(grad[0], 0.0f, 1e-7);
    cr_assert_float_eq(grad[20], 0.5f / 3, 1e-6);
    cr_assert_float_eq(grad[22], (0.5f - 1) / 3, 1e-6);
    cr_assert_eq(stats[1], 1 + 1 + 0, "row 0 right; row 1 wrong; row 2 a tie that the first score (not the label) wins");
    double ref[30];
    for (int i = 0; i < 30; i++) ref[i] = s[i];
    double want = ref_softmax_xent(ref, labels, 3, 10, NULL) * 3 + 1;
    cr_assert(close_enough(stats[0], want, 1e-6, 1e-6), "%g vs %g", stats[0], want);
}

Test(cpu_vs_ref, euclid_by_hand)
{
    float s[2 * 3] = {1, 0, 0, 0.5f, 0.5f, 2};
    int labels[2] = {0, 2}, pred[2];
    float grad[6];
    double stats[2] = {0, 0};
    cpu_ops.euclid(s, labels, 2, 3, grad, stats, pred);
    /* row 0: exact, loss 0; row 1: 0.5*(0.25 + 0.25 + 1) = 0.75 */
    cr_assert_float_eq(stats[0], 0.75, 1e-7);
    cr_assert_float_eq(stats[1], 2, 0);
    const float want[6] = {0, 0, 0, 0.25f, 0.25f, 0.5f};
    for (int i = 0; i < 6; i++) cr_assert_float_eq(grad[i], want[i], 1e-7);
    cr_assert(pred[0] == 0 && pred[1] == 2);
}

Test(cpu_vs_ref, sgd_rule)
{
    float w[3] = {1, -2, 0.5f}, g[3] = {0.1f, 0.2f, -0.3f}, v[3] = {0.01f, 0, -0.02f};
    float w0[3], v0[3];
    memcpy(w0, w, sizeof w);
    memcpy(v0, v, sizeof v);
    float lr = 0.1f;
    unsigned long long step = 0;
    cnn_optim sgd = {.kind = CNN_OPTIM_SGD, .momentum = 0.9f, .weight_decay = 0.01f};
    cpu_ops.optim(sgd, w, g, v, NULL, NULL, 3, &lr, &step);
    for (int i = 0; i < 3; i++) {
        float vv = 0.9f * v0[i] - 0.1f * (g[i] + 0.01f * w0[i]);
        cr_assert_float_eq(v[i], vv, 1e-7);
        cr_assert_float_eq(w[i], w0[i] + vv, 1e-7);
    }
}

Test(cpu_vs_ref, gather_scales_and_shifts)
{
    unsigned char images[3 * 4] = {0, 255, 10, 20, 1, 2, 3, 4, 50, 60, 70, 80};
    unsigned char labels[3] = {7, 8, 9};
    int index[3] = {1, 2, 0}, y[2], cursor = 1;
    float x[8], norm[2] = {0.5f, -1.0f};
    cpu_ops.gather(images, labels, index, &cursor, 2, 1, 4, norm, x, y);
    cr_assert(y[0] == 9 && y[1] == 7, "reads from the cursor on");
    cr_assert_float_eq(x[0], 24.0f, 0);
    cr_assert_float_eq(x[5], 126.5f, 0);
    cpu_ops.advance(&cursor, 2);
    cr_assert_eq(cursor, 3);
}

/* Samples of 3 channels (channel-first bytes) become a C x N x plane batch,
 * each channel with its own scale and shift (hd/gather.h). */
Test(cpu_vs_ref, gather_three_channels_channel_first)
{
    enum { N = 2, C = 3, P = 4, COUNT = 3 };
    unsigned char images[COUNT * C * P], labels[COUNT] = {4, 5, 6};
    for (int i = 0; i < COUNT * C * P; i++) images[i] = (unsigned char)(i * 7 + 1);
    int index[COUNT] = {2, 0, 1}, y[N], cursor = 0;
    float x[C * N * P], norm[2 * C] = {1.0f, 0.5f, 0.25f, 0.0f, -1.0f, 2.0f};
    cpu_ops.gather(images, labels, index, &cursor, N, C, P, norm, x, y);
    cr_assert(y[0] == 6 && y[1] == 4, "labels of samples 2 and 0");
    for (int c = 0; c < C; c++)
        for (int i = 0; i < N; i++)
            for (int p = 0; p < P; p++) {
                float want = images[(index[i] * C + c) * P + p] * norm[c] + norm[C + c];
                cr_assert_float_eq(x[(c * N + i) * P + p], want, 0, "channel %d sample %d "
                                   "place %d", c, i, p);
            }
    for (long o = 0; o < C * N * P; o++) { /* the GPU kernel's inverse index */
        cnn_batch_at at = cnn_batch_where(o, N, P);
        cr_assert_eq(cnn_batch_index(at.c, at.i, N, P, at.p), o);
    }
}

Test(cpu_vs_ref, bias_add_and_grad_both_shapes)
{
    float y[2 * 3 * 4], b[3] = {1, 2, 3}, db[3];
    for (int i = 0; i < 24; i++) y[i] = (float)i;
    cpu_ops.bias_add(y, b, 2, 3, 4);
    for (int i = 0; i < 24; i++) cr_assert_float_eq(y[i], i + b[(i / 4) % 3], 0);
    cpu_ops.bias_grad(y, db, 2, 3, 4);
    for (int c = 0; c < 3; c++) {
        double want = 0;
        for (int i = 0; i < 24; i++)
            if ((i / 4) % 3 == c) want += y[i];
        cr_assert_float_eq(db[c], want, 1e-4);
    }
}

Test(cpu_vs_ref, relu_forward_backward)
{
    float x[5] = {-1, 0, 2, -0.5f, 3}, y[5], dy[5] = {1, 1, 1, 1, 1}, dx[5];
    cpu_ops.relu_fwd(x, y, 5);
    cpu_ops.relu_bwd(y, dy, dx, 5);
    const float wy[5] = {0, 0, 2, 0, 3}, wdx[5] = {0, 0, 1, 0, 1};
    for (int i = 0; i < 5; i++) {
        cr_assert_float_eq(y[i], wy[i], 0);
        cr_assert_float_eq(dx[i], wdx[i], 0);
    }
}
