/* conv<C>k<K>[p<P>][s<S>]: convolution lowered to im2col and one gemm over
 * the whole batch (or the backend's own whole-convolution ops). */
#include "layer.h"

#include <math.h>
#include <stdio.h>

static int parse(spec_parser *p, const char *s, const char *end, layer_spec *l)
{
    l->stride = 1;
    if (spec_read_number(p, &s, end, 0, &l->out, "channel count")) return -1;
    if (s >= end || *s != 'k')
        return spec_fail(p, "expected k<kernel size> after the channel count, as in conv4k5p2");
    s++;
    if (spec_read_number(p, &s, end, 0, &l->k, "kernel size")) return -1;
    return spec_read_pad_stride(p, s, end, l);
}

static int shape(spec_parser *p, layer_spec *l)
{
    if (spec_window_shape(p, l, 0)) return -1;
    l->out_shape.c = l->out;
    l->weights = spec_capped_product(l->out, l->in.c, l->k, l->k);
    l->bias = l->out;
    return 0;
}

static void print(const layer_spec *l, char *buf, size_t len)
{
    int n = snprintf(buf, len, "conv%dk%d", l->out, l->k);
    if (l->pad) n += snprintf(buf + n, len - n, "p%d", l->pad);
    if (l->stride != 1) snprintf(buf + n, len - n, "s%d", l->stride);
}

static void describe(const layer_spec *l, char *w, size_t len)
{
    snprintf(w, len, "%dx%dx%dx%d=%ld", l->out, l->in.c, l->k, l->k, l->weights);
}

static void init(const layer_spec *l, float *params, float *state, float init_std, rng *r)
{
    (void)state;
    layer_init_weights(l, params, init_std, r);
}

static size_t create(net *nt, int i, int batch)
{
    if (nt->ops->conv_fwd) return 0;
    cnn_window g = layer_window(&nt->spec.layer[i], batch);
    size_t cols = sizeof(float) * cnn_cols_rows(g) * (size_t)cnn_cols_cols(g);
    nt->aux[i] = nt->ops->alloc(cols, "feature matrix");
    return cols;
}

static void forward(net *nt, int i, int n)
{
    const cnn_ops *ops = nt->ops;
    const layer_spec *l = &nt->spec.layer[i];
    const float *w = nt->params + l->param_offset, *b = w + l->weights;
    cnn_window g = layer_window(l, n);
    if (ops->conv_fwd) {
        ops->conv_fwd(nt->act[i], g, w, b, l->out, nt->act[i + 1]);
        return;
    }
    int spatial = n * g.oh * g.ow;
    ops->im2col(nt->act[i], g, nt->aux[i]);
    ops->gemm(0, 0, l->out, spatial, cnn_cols_rows(g), 1.0f, w, nt->aux[i], 0.0f,
              nt->act[i + 1]);
    ops->bias_add(nt->act[i + 1], b, 1, l->out, spatial);
}

static void backward(net *nt, int i, int n)
{
    const cnn_ops *ops = nt->ops;
    const layer_spec *l = &nt->spec.layer[i];
    const float *dy = nt->dact[i + 1], *w = nt->params + l->param_offset;
    float *dx = i > 0 ? nt->dact[i] : NULL; /* nothing needs the input's gradient */
    float *dw = nt->grads + l->param_offset, *db = dw + l->weights;
    cnn_window g = layer_window(l, n);
    if (ops->conv_bwd) {
        ops->conv_bwd(nt->act[i], g, w, l->out, dy, dw, db, dx);
        return;
    }
    int spatial = n * g.oh * g.ow, rows = cnn_cols_rows(g);
    ops->bias_grad(dy, db, 1, l->out, spatial);
    ops->gemm(0, 1, l->out, rows, spatial, 1.0f, dy, nt->aux[i], 0.0f, dw);
    if (dx) {
        ops->gemm(1, 0, rows, spatial, l->out, 1.0f, w, dy, 0.0f, nt->scratch);
        ops->col2im(nt->scratch, g, dx);
    }
}

static void ref_forward(const ref_layer *r, const double *x, double *y)
{
    const layer_spec *l = r->l;
    ref_conv_fwd(x, r->n, l->in.c, l->in.h, l->in.w, r->w, r->w + l->weights, l->out, l->k,
                 l->stride, l->pad, y);
}

static void ref_backward(const ref_layer *r, const double *x, const double *y, const double *dy,
                         double *dx, double *dw)
{
    const layer_spec *l = r->l;
    (void)y;
    ref_conv_bwd(x, r->n, l->in.c, l->in.h, l->in.w, r->w, l->out, l->k, l->stride, l->pad, dy,
                 dx, dw, dw + l->weights);
}

const layer_def layer_conv = {
    .kind = LAYER_CONV, .word = "conv", .syntax = "conv<C>k<K>[p<P>][s<S>]",
    .flags = LAYER_NEEDS_MAP | LAYER_WEIGHT_MATRIX, .parse = parse, .shape = shape, .print = print,
    .describe = describe, .init = init, .create = create, .forward = forward,
    .backward = backward, .ref_forward = ref_forward, .ref_backward = ref_backward,
};
