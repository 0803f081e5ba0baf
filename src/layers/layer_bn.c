/* bn: batch normalization, per channel after a map (over the batch and the
 * map's positions) or per feature after an fc (over the batch). Training
 * uses the batch's statistics and moves the running averages (the net's
 * state: every bn's means, then its variances); evaluation uses the
 * running averages. A learnable scale (the layer's "weights", starting at
 * 1) and shift (its "bias", starting at 0) follow. */
#include "layer.h"

#include <math.h>
#include <stdio.h>

static int shape(spec_parser *p, layer_spec *l)
{
    (void)p;
    l->weights = l->bias = l->in.c; /* after an fc, in is F x 1 x 1 */
    l->state = 2L * l->in.c;
    return 0;
}

static void describe(const layer_spec *l, char *w, size_t len)
{
    snprintf(w, len, "scale %d", l->in.c);
}

static void init(const layer_spec *l, float *params, float *state, float init_std, rng *r)
{
    (void)init_std, (void)r;
    for (int c = 0; c < l->in.c; c++) {
        params[c] = 1.0f;             /* scale */
        params[l->in.c + c] = 0.0f;   /* shift */
        state[c] = 0.0f;              /* running mean */
        state[l->in.c + c] = 1.0f;    /* running variance */
    }
}

/* The batch's mean and 1/sqrt(var + eps), kept for backward. */
static size_t create(net *nt, int i, int batch)
{
    (void)batch;
    nt->aux[i] = nt->ops->alloc(sizeof(float) * 2 * nt->spec.layer[i].in.c, "bn statistics");
    return 0;
}

/* The outer x ch x inner view of layer i's input for n samples. */
static void layout(const net *nt, int i, int n, int *outer, int *inner)
{
    const layer_spec *l = &nt->spec.layer[i];
    int flat = layer_input_is_flat(&nt->spec, i);
    *outer = flat ? n : 1;
    *inner = flat ? 1 : n * l->in.h * l->in.w;
}

static void forward(net *nt, int i, int n)
{
    const layer_spec *l = &nt->spec.layer[i];
    const float *gamma = nt->params + l->param_offset, *beta = gamma + l->in.c;
    float *run_mean = nt->state + l->state_offset, *run_var = run_mean + l->in.c;
    float *mean = nt->aux[i], *invstd = mean + l->in.c;
    int outer, inner;
    layout(nt, i, n, &outer, &inner);
    if (nt->training)
        nt->ops->bn_fwd_train(nt->act[i], outer, l->in.c, inner, gamma, beta, nt->spec.bn_eps,
                              nt->spec.bn_momentum, mean, invstd, run_mean, run_var,
                              nt->act[i + 1]);
    else
        nt->ops->bn_fwd_eval(nt->act[i], outer, l->in.c, inner, gamma, beta, nt->spec.bn_eps,
                             run_mean, run_var, nt->act[i + 1]);
}

static void backward(net *nt, int i, int n)
{
    const layer_spec *l = &nt->spec.layer[i];
    const float *gamma = nt->params + l->param_offset, *mean = nt->aux[i];
    float *dgamma = nt->grads + l->param_offset;
    int outer, inner;
    layout(nt, i, n, &outer, &inner);
    nt->ops->bn_bwd(nt->act[i], nt->dact[i + 1], outer, l->in.c, inner, gamma, mean,
                    mean + l->in.c, dgamma, dgamma + l->in.c, i > 0 ? nt->dact[i] : NULL);
}

/* Evaluation in the reference: the running averages, written out here. */
static void ref_eval(const ref_layer *r, const double *x, double *y)
{
    const layer_spec *l = r->l;
    int c = l->in.c, hw = l->in.h * l->in.w;
    const double *mean = r->mode->state + l->state_offset, *var = mean + c;
    for (long e = 0; e < (long)r->n * c * hw; e++) {
        int ch = (int)(e / hw % c);
        y[e] = r->w[ch] * (x[e] - mean[ch]) / sqrt(var[ch] + r->spec->bn_eps) + r->w[c + ch];
    }
}

static void ref_forward(const ref_layer *r, const double *x, double *y)
{
    const layer_spec *l = r->l;
    if (!r->mode->training) {
        ref_eval(r, x, y);
        return;
    }
    ref_bn_fwd(x, r->n, l->in.c, l->in.h * l->in.w, r->w, r->w + l->in.c, r->spec->bn_eps, y);
}

static void ref_backward(const ref_layer *r, const double *x, const double *y, const double *dy,
                         double *dx, double *dw)
{
    const layer_spec *l = r->l;
    (void)y;
    ref_bn_bwd(x, r->n, l->in.c, l->in.h * l->in.w, r->w, r->spec->bn_eps, dy, dx, dw,
               dw + l->in.c);
}

const layer_def layer_bn = {
    .kind = LAYER_BN, .word = "bn", .syntax = "bn", .parse = spec_parse_word_only,
    .shape = shape, .print = layer_print_word, .describe = describe, .init = init,
    .create = create, .forward = forward, .backward = backward, .ref_forward = ref_forward,
    .ref_backward = ref_backward,
};
