/* fc<N>: fully connected, one gemm over the batch. A CNHW input of several
 * channels is swapped to n x (C*H*W) rows first; after another fc, or with
 * one channel, the rows are already in place. */
#include "layer.h"

#include <stdio.h>

static long shape_size(shape3 s) { return (long)s.c * s.h * s.w; }

static int parse(spec_parser *p, const char *s, const char *end, layer_spec *l)
{
    if (spec_read_number(p, &s, end, 0, &l->out, "output count")) return -1;
    if (s < end) return spec_fail(p, "unexpected \"%.*s\" after fc<N>", (int)(end - s), s);
    return 0;
}

static int shape(spec_parser *p, layer_spec *l)
{
    (void)p;
    l->out_shape = (shape3){l->out, 1, 1};
    l->weights = spec_capped_product(l->out, l->in.c, l->in.h, l->in.w);
    l->bias = l->out;
    return 0;
}

static void print(const layer_spec *l, char *buf, size_t len) { snprintf(buf, len, "fc%d", l->out); }

static void describe(const layer_spec *l, char *w, size_t len)
{
    snprintf(w, len, "%ldx%d=%ld", shape_size(l->in), l->out, l->weights);
}

static void init(const layer_spec *l, float *params, float *state, float init_std, rng *r)
{
    (void)state;
    layer_init_weights(l, params, init_std, r);
}

static int needs_swap(const net *nt, int i)
{
    return !layer_input_is_flat(&nt->spec, i) && nt->spec.layer[i].in.c > 1;
}

static size_t create(net *nt, int i, int batch)
{
    if (!needs_swap(nt, i)) return 0;
    size_t in = sizeof(float) * batch * shape_size(nt->spec.layer[i].in);
    nt->aux[i] = nt->ops->alloc(in, "flattened fc input");
    return in;
}

static void forward(net *nt, int i, int n)
{
    const cnn_ops *ops = nt->ops;
    const layer_spec *l = &nt->spec.layer[i];
    const float *x = nt->act[i], *w = nt->params + l->param_offset, *b = w + l->weights;
    if (nt->aux[i]) {
        ops->swap_axes(x, nt->aux[i], l->in.c, n, l->in.h * l->in.w);
        x = nt->aux[i];
    }
    ops->gemm(0, 1, n, l->out, (int)shape_size(l->in), 1.0f, x, w, 0.0f, nt->act[i + 1]);
    ops->bias_add(nt->act[i + 1], b, n, l->out, 1);
}

static void backward(net *nt, int i, int n)
{
    const cnn_ops *ops = nt->ops;
    const layer_spec *l = &nt->spec.layer[i];
    const float *dy = nt->dact[i + 1], *w = nt->params + l->param_offset;
    const float *x = nt->aux[i] ? nt->aux[i] : nt->act[i];
    float *dx = i > 0 ? nt->dact[i] : NULL, *dw = nt->grads + l->param_offset;
    int features = (int)shape_size(l->in);
    ops->bias_grad(dy, dw + l->weights, n, l->out, 1);
    ops->gemm(1, 0, l->out, features, n, 1.0f, dy, x, 0.0f, dw);
    if (!dx) return;
    float *dflat = nt->aux[i] ? nt->scratch : dx;
    ops->gemm(0, 0, n, features, l->out, 1.0f, dy, w, 0.0f, dflat);
    if (nt->aux[i]) ops->swap_axes(dflat, dx, n, l->in.c, l->in.h * l->in.w);
}

static void ref_forward(const ref_layer *r, const double *x, double *y)
{
    ref_fc_fwd(x, r->n, (int)shape_size(r->l->in), r->w, r->w + r->l->weights, r->l->out, y);
}

static void ref_backward(const ref_layer *r, const double *x, const double *y, const double *dy,
                         double *dx, double *dw)
{
    (void)y;
    ref_fc_bwd(x, r->n, (int)shape_size(r->l->in), r->w, r->l->out, dy, dx, dw,
               dw + r->l->weights);
}

const layer_def layer_fc = {
    .kind = LAYER_FC, .word = "fc", .syntax = "fc<N>", .flags = LAYER_WEIGHT_MATRIX,
    .parse = parse, .shape = shape,
    .print = print, .describe = describe, .init = init, .create = create, .forward = forward,
    .backward = backward, .ref_forward = ref_forward, .ref_backward = ref_backward,
};
