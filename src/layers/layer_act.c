/* The elementwise activations: relu, tanh, sigmoid, lrelu[<slope>]. Their
 * per-element math is in cnn_act.h (relu keeps its own ops). */
#include "layer.h"

#include <stdio.h>

#include "hd/act.h"

static long out_len(const net *nt, int i, int n) { return net_out_size(nt, i, n); }

static long ref_len(const ref_layer *r)
{
    return (long)r->n * r->l->in.c * r->l->in.h * r->l->in.w;
}

/* The cnn_act.h kind of a layer. */
static int act_kind(const layer_spec *l)
{
    return l->kind == LAYER_TANH ? CNN_ACT_TANH
         : l->kind == LAYER_SIGMOID ? CNN_ACT_SIGMOID : CNN_ACT_LRELU;
}

static void relu_forward(net *nt, int i, int n)
{
    nt->ops->relu_fwd(nt->act[i], nt->act[i + 1], out_len(nt, i, n));
}

static void relu_backward(net *nt, int i, int n)
{
    if (i > 0) nt->ops->relu_bwd(nt->act[i + 1], nt->dact[i + 1], nt->dact[i], out_len(nt, i, n));
}

static void relu_ref_forward(const ref_layer *r, const double *x, double *y)
{
    ref_relu_fwd(x, ref_len(r), y);
}

static void relu_ref_backward(const ref_layer *r, const double *x, const double *y,
                              const double *dy, double *dx, double *dw)
{
    (void)y, (void)dw;
    if (dx) ref_relu_bwd(x, dy, ref_len(r), dx);
}

const layer_def layer_relu = {
    .kind = LAYER_RELU, .word = "relu", .syntax = "relu", .flags = LAYER_IS_ACTIVATION,
    .parse = spec_parse_word_only,
    .print = layer_print_word, .forward = relu_forward, .backward = relu_backward,
    .ref_forward = relu_ref_forward, .ref_backward = relu_ref_backward,
};

static void act_forward(net *nt, int i, int n)
{
    const layer_spec *l = &nt->spec.layer[i];
    nt->ops->act_fwd(act_kind(l), l->value, nt->act[i], nt->act[i + 1], out_len(nt, i, n));
}

static void act_backward(net *nt, int i, int n)
{
    const layer_spec *l = &nt->spec.layer[i];
    if (i > 0)
        nt->ops->act_bwd(act_kind(l), l->value, nt->act[i], nt->act[i + 1], nt->dact[i + 1],
                         nt->dact[i], out_len(nt, i, n));
}

static void act_ref_forward(const ref_layer *r, const double *x, double *y)
{
    ref_act_fwd(act_kind(r->l), r->l->value, x, ref_len(r), y);
}

static void act_ref_backward(const ref_layer *r, const double *x, const double *y,
                             const double *dy, double *dx, double *dw)
{
    (void)y, (void)dw;
    if (dx) ref_act_bwd(act_kind(r->l), r->l->value, x, dy, ref_len(r), dx);
}

#define ACTIVATION(name_, kind_, word_)                                                      \
    const layer_def name_ = {                                                                \
        .kind = kind_, .word = word_, .syntax = word_, .flags = LAYER_IS_ACTIVATION,         \
        .parse = spec_parse_word_only,                                                       \
        .print = layer_print_word, .forward = act_forward, .backward = act_backward,         \
        .ref_forward = act_ref_forward, .ref_backward = act_ref_backward,                    \
    }
ACTIVATION(layer_tanh, LAYER_TANH, "tanh");
ACTIVATION(layer_sigmoid, LAYER_SIGMOID, "sigmoid");

/* lrelu, or lrelu<slope> with the slope in [0, 1). */
static int lrelu_parse(spec_parser *p, const char *s, const char *end, layer_spec *l)
{
    l->value = 0.01f;
    return s == end ? 0 : spec_read_fraction(p, s, end, 0.0f, 1.0f, &l->value, "slope");
}

static void lrelu_print(const layer_spec *l, char *buf, size_t len)
{
    if (l->value == 0.01f) snprintf(buf, len, "lrelu");
    else layer_print_fraction("lrelu", l->value, buf, len);
}

const layer_def layer_lrelu = {
    .kind = LAYER_LRELU, .word = "lrelu", .syntax = "lrelu[<slope>]",
    .flags = LAYER_IS_ACTIVATION, .parse = lrelu_parse,
    .print = lrelu_print, .forward = act_forward, .backward = act_backward,
    .ref_forward = act_ref_forward, .ref_backward = act_ref_backward,
};
