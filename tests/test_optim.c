/* The optimizers (ops.h's optim, cnn_optim.h): the CPU op step by step
 * against a plain double-precision version of each rule, with and without
 * a decay mask; Adam's bias correction at chosen steps; the net's decay
 * mask; the same bits on any thread count. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "cpu/cpu_backend.h"
#include "cpu/cpu_kernels.h"
#include "net.h"
#include "netspec.h"
#include "ops.h"
#include "testutil.h"

/* One parameter's state in double. */
typedef struct { double w, m, v; } ref_param;

/* The rules as their papers and libraries write them, in double. t is the
 * 1-based step; d the parameter's decay. */
static void ref_update(const cnn_optim *o, ref_param *p, double g, double lr, double d,
                       unsigned long long t)
{
    double mom = o->momentum, b1 = o->beta1, b2 = o->beta2;
    switch (o->kind) {
    case CNN_OPTIM_SGD:
        p->m = mom * p->m - lr * (g + d * p->w);
        p->w += p->m;
        break;
    case CNN_OPTIM_NESTEROV: {
        double prev = p->m;
        p->m = mom * p->m - lr * (g + d * p->w);
        p->w += (1 + mom) * p->m - mom * prev;
        break;
    }
    case CNN_OPTIM_ADAMW:
        /* then Adam's step without decay in the gradient */
        p->w *= 1 - lr * d;
        d = 0;
        /* fall through */
    default: {
        double gd = g + d * p->w;
        p->m = b1 * p->m + (1 - b1) * gd;
        p->v = b2 * p->v + (1 - b2) * gd * gd;
        double mhat = p->m / (1 - pow(b1, (double)t)), vhat = p->v / (1 - pow(b2, (double)t));
        p->w -= lr * mhat / (sqrt(vhat) + o->eps);
        break;
    }
    }
}

enum { N = 257, STEPS = 6 };

/* Runs STEPS steps of o on the CPU op and the reference from the same start
 * (gradients new every step) and compares weights and both moments. */
static void check_steps(cnn_optim o, const unsigned char *mask, const char *what)
{
    rng r = {o.kind * 7 + 1 + (mask != NULL)};
    float *w = rand_floats(&r, N, -1, 1), m[N], v[N];
    ref_param ref[N];
    for (int i = 0; i < N; i++) {
        m[i] = v[i] = 0;
        ref[i] = (ref_param){w[i], 0, 0};
    }
    float lrs[STEPS] = {0.05f, 0.04f, 0.03f, 0.02f, 0.02f, 0.01f};
    for (unsigned long long s = 0; s < STEPS; s++) {
        float *g = rand_floats(&r, N, -2, 2);
        cpu_ops.optim(o, w, g, m, v, mask, N, &lrs[s], &s);
        for (int i = 0; i < N; i++) {
            double d = !mask || mask[i] ? o.weight_decay : 0;
            ref_update(&o, &ref[i], g[i], lrs[s], d, s + 1);
        }
        free(g);
        for (int i = 0; i < N; i++) {
            cr_assert(close_enough(w[i], ref[i].w, 1e-6, 1e-5),
                      "%s, step %llu, weight %d: %.9g, reference %.9g", what, s + 1, i, w[i],
                      ref[i].w);
            cr_assert(close_enough(m[i], ref[i].m, 1e-6, 1e-5), "%s: first moment %d", what, i);
            if (o.kind >= CNN_OPTIM_ADAM)
                cr_assert(close_enough(v[i], ref[i].v, 1e-7, 1e-5), "%s: second moment %d",
                          what, i);
        }
    }
    free(w);
}

/* Every other parameter decays (a bias-like pattern). */
static const unsigned char *alternate_mask(void)
{
    static unsigned char mask[N];
    for (int i = 0; i < N; i++) mask[i] = (unsigned char)(i % 3 != 0);
    return mask;
}

static const cnn_optim OPTIMS[] = {
    {CNN_OPTIM_SGD, 0.9f, 0.9f, 0.999f, 1e-8f, 0.01f},
    {CNN_OPTIM_NESTEROV, 0.9f, 0.9f, 0.999f, 1e-8f, 0.01f},
    {CNN_OPTIM_ADAM, 0.0f, 0.9f, 0.999f, 1e-8f, 0.01f},
    {CNN_OPTIM_ADAMW, 0.0f, 0.8f, 0.99f, 1e-6f, 0.05f},
};
static const char *const NAMES[] = CNN_OPTIM_NAMES;

Test(optim, every_rule_matches_its_double_reference)
{
    for (int k = 0; k < CNN_OPTIM_COUNT; k++) check_steps(OPTIMS[k], NULL, NAMES[k]);
}

Test(optim, every_rule_with_a_decay_mask)
{
    for (int k = 0; k < CNN_OPTIM_COUNT; k++) check_steps(OPTIMS[k], alternate_mask(), NAMES[k]);
}

/* A masked-out parameter takes exactly the update it would take with no
 * decay at all, and a masked-in one the decayed update. */
Test(optim, the_mask_switches_decay_per_parameter)
{
    for (int k = 0; k < CNN_OPTIM_COUNT; k++) {
        cnn_optim o = OPTIMS[k], none = o;
        none.weight_decay = 0;
        float w1[N], w2[N], w3[N], g[N], m1[N], m2[N], m3[N], v1[N], v2[N], v3[N], lr = 0.1f;
        for (int i = 0; i < N; i++) {
            /* moments under way: Adam's first step alone hardly sees the decay */
            m1[i] = m2[i] = m3[i] = 0.01f;
            v1[i] = v2[i] = v3[i] = 0.02f;
            w1[i] = w2[i] = w3[i] = 0.5f + 0.001f * i;
            g[i] = 0.25f - 0.002f * i;
        }
        unsigned long long step = 3;
        cpu_ops.optim(o, w1, g, m1, v1, alternate_mask(), N, &lr, &step);
        cpu_ops.optim(none, w2, g, m2, v2, NULL, N, &lr, &step);
        cpu_ops.optim(o, w3, g, m3, v3, NULL, N, &lr, &step);
        for (int i = 0; i < N; i++) {
            const float *want = i % 3 ? w3 : w2;
            cr_assert_eq(w1[i], want[i], "%s: parameter %d (mask %d): %.9g, want %.9g",
                         NAMES[k], i, i % 3 != 0, w1[i], want[i]);
            cr_assert_neq(w2[i], w3[i], "%s: decay changed nothing at %d", NAMES[k], i);
        }
    }
}

/* SGD keeps the trainer's rule to the bit: v = m*v - lr*(g + d*w); w += v,
 * each operation rounded to float (a default run's checkpoint depends on it). */
Test(optim, sgd_keeps_its_bits)
{
    rng r = {5};
    float *w = rand_floats(&r, N, -1, 1), *g = rand_floats(&r, N, -1, 1);
    float *v = rand_floats(&r, N, -0.1f, 0.1f), want_w[N], want_v[N], lr = 0.07f;
    for (int i = 0; i < N; i++) {
        float step = lr * (g[i] + 2e-4f * w[i]);
        want_v[i] = 1e-4f * v[i] - step;
        want_w[i] = w[i] + want_v[i];
    }
    unsigned long long s = 0;
    cnn_optim o = {CNN_OPTIM_SGD, 1e-4f, 0.9f, 0.999f, 1e-8f, 2e-4f};
    cpu_ops.optim(o, w, g, v, NULL, NULL, N, &lr, &s);
    cr_assert_eq(memcmp(w, want_w, sizeof want_w), 0, "sgd weights differ in some bit");
    cr_assert_eq(memcmp(v, want_v, sizeof want_v), 0, "sgd velocities differ in some bit");
    free(w); free(g); free(v);
}

/* Adam's bias correction at t = step + 1: from zero moments the first step
 * moves every weight by lr * g / (|g| + eps) (about lr), and at t = 2 and
 * t = 1000 one step from a given state matches the reference. */
Test(optim, adam_bias_correction_at_steps_1_2_and_1000)
{
    const unsigned long long steps[] = {0, 1, 999};
    cnn_optim o = {CNN_OPTIM_ADAM, 0, 0.9f, 0.999f, 1e-8f, 0};
    for (int s = 0; s < 3; s++) {
        float w0[4] = {1, -1, 0.5f, 2}, g[4] = {0.3f, -0.02f, 1e-3f, -4};
        float w[4], m[4] = {0}, v[4] = {0}, lr = 0.01f;
        memcpy(w, w0, sizeof w);
        if (steps[s] > 0)
            for (int i = 0; i < 4; i++) {
                m[i] = 0.1f * (i + 1);
                v[i] = 0.01f * (i + 1);
            }
        ref_param ref[4];
        for (int i = 0; i < 4; i++) ref[i] = (ref_param){w[i], m[i], v[i]};
        cpu_ops.optim(o, w, g, m, v, NULL, 4, &lr, &steps[s]);
        for (int i = 0; i < 4; i++) {
            ref_update(&o, &ref[i], g[i], lr, 0, steps[s] + 1);
            cr_assert(close_enough(w[i], ref[i].w, 1e-7, 1e-6), "t = %llu, weight %d: %.9g vs "
                      "%.9g", steps[s] + 1, i, w[i], ref[i].w);
            /* t = 1: the corrected moments are g and g^2, the step lr * sign(g) */
            if (steps[s] == 0)
                cr_assert(close_enough(w0[i] - w[i], g[i] > 0 ? lr : -lr, 0, 1e-4),
                          "t = 1: weight %d moved by %.9g, not lr", i, w0[i] - w[i]);
        }
    }
}

/* Each element is its own: 1 thread and 2 give the same bits. */
Test(optim, same_bits_on_any_thread_count)
{
    long n = 3 * PAR_MIN + 5;
    for (int k = 0; k < CNN_OPTIM_COUNT; k++) {
        float *out[2];
        for (int t = 0; t < 2; t++) {
            rng r = {77};
            float *w = rand_floats(&r, n, -1, 1), *g = rand_floats(&r, n, -1, 1);
            float *m = rand_floats(&r, n, -0.1f, 0.1f), *v = rand_floats(&r, n, 0, 0.1f);
            float lr = 0.01f;
            unsigned long long step = 10;
            cpu_ops_set_threads(t + 1);
            cpu_ops.optim(OPTIMS[k], w, g, m, v, NULL, n, &lr, &step);
            out[t] = w;
            free(g); free(m); free(v);
        }
        cpu_ops_set_threads(0);
        cr_assert_eq(memcmp(out[0], out[1], sizeof(float) * n), 0, "%s: 1 and 2 threads differ",
                     NAMES[k]);
        free(out[0]);
        free(out[1]);
    }
}

/* The net's mask: 1 on conv and fc weights, 0 on their biases and on bn's
 * scale and shift. */
Test(optim, net_decay_mask_marks_conv_and_fc_weights)
{
    net_spec spec;
    char err[512];
    shape3 in = {1, 8, 8};
    cr_assert_eq(net_spec_parse("conv3k3p1,bn,relu,fc4,softmax", in, 4, &spec, err, sizeof err),
                 0, "%s", err);
    net *nt = net_create(&cpu_ops, &spec, 2);
    const layer_spec *conv = &spec.layer[0], *bn = &spec.layer[1], *fc = &spec.layer[3];
    long ones = 0;
    for (long i = 0; i < spec.n_params; i++) ones += nt->decay_mask[i];
    cr_assert_eq(ones, conv->weights + fc->weights, "%ld ones", ones);
    for (long i = 0; i < conv->weights; i++) cr_assert_eq(nt->decay_mask[conv->param_offset + i], 1);
    for (long i = 0; i < conv->bias; i++)
        cr_assert_eq(nt->decay_mask[conv->param_offset + conv->weights + i], 0, "conv bias %ld", i);
    for (long i = 0; i < bn->weights + bn->bias; i++)
        cr_assert_eq(nt->decay_mask[bn->param_offset + i], 0, "bn parameter %ld", i);
    for (long i = 0; i < fc->weights; i++) cr_assert_eq(nt->decay_mask[fc->param_offset + i], 1);
    for (long i = 0; i < fc->bias; i++)
        cr_assert_eq(nt->decay_mask[fc->param_offset + fc->weights + i], 0, "fc bias %ld", i);
    net_destroy(nt);
}
