/* The layers, written once on the ops table. See include/net.h. */
#include "net.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

static long shape_size(shape3 s) { return (long)s.c * s.h * s.w; }

long net_out_size(const net *nt, int layer, int n)
{
    return n * shape_size(nt->spec.layer[layer].out_shape);
}

/* An fc layer whose input is a CNHW tensor of several channels must swap it
 * to n x (C*H*W) first; with one channel, or after another fc, the rows are
 * already in place. */
static int fc_needs_swap(const net_spec *spec, int i)
{
    for (int j = i - 1; j >= 0; j--)
        if (spec->layer[j].kind == LAYER_FC)
            return 0;
    return spec->layer[i].in.c > 1;
}

static cnn_window layer_window(const layer_spec *l, int n)
{
    return cnn_window_make(l->in.c, n, l->in.h, l->in.w, l->k, l->stride, l->pad);
}

net *net_create(const cnn_ops *ops, const net_spec *spec, int batch)
{
    net *nt = calloc(1, sizeof *nt);
    if (!nt) {
        fprintf(stderr, "cnn: out of memory\n");
        exit(1);
    }
    nt->ops = ops;
    nt->spec = *spec;
    nt->batch = batch;
    nt->n_params = spec->n_params;
    size_t pbytes = sizeof(float) * (spec->n_params ? spec->n_params : 1);
    nt->params = ops->alloc(pbytes, "parameters");
    nt->grads = ops->alloc(pbytes, "gradients");
    nt->momentum = ops->alloc(pbytes, "momentum");
    nt->act[0] = ops->alloc(sizeof(float) * batch * shape_size(spec->in), "input batch");
    size_t scratch = 0;
    for (int i = 0; i < spec->n_layers; i++) {
        const layer_spec *l = &spec->layer[i];
        size_t out = sizeof(float) * batch * shape_size(l->out_shape);
        nt->act[i + 1] = ops->alloc(out, "activations");
        nt->dact[i + 1] = ops->alloc(out, "activation gradients");
        if (l->kind == LAYER_SOFTMAX || l->kind == LAYER_EUCLID)
            nt->dact[i] = nt->dact[i] ? nt->dact[i] : ops->alloc(out, "loss gradient");
        if (l->kind == LAYER_CONV && !ops->conv_fwd) {
            cnn_window g = layer_window(l, batch);
            size_t cols = sizeof(float) * cnn_cols_rows(g) * (size_t)cnn_cols_cols(g);
            nt->cols[i] = ops->alloc(cols, "feature matrix");
            if (cols > scratch) scratch = cols;
        }
        if (l->kind == LAYER_FC && fc_needs_swap(spec, i)) {
            size_t in = sizeof(float) * batch * shape_size(l->in);
            nt->flat[i] = ops->alloc(in, "flattened fc input");
            if (in > scratch) scratch = in;
        }
    }
    nt->scratch = scratch ? ops->alloc(scratch, "backward scratch") : NULL;
    nt->labels = ops->alloc(sizeof(int) * batch, "labels");
    nt->pred = ops->alloc(sizeof(int) * batch, "predictions");
    nt->stats = ops->alloc(sizeof(double) * STAT_COUNT, "loss sums");
    ops->zero(nt->stats, sizeof(double) * STAT_COUNT);
    nt->lr = ops->alloc(sizeof(float), "learning rate");
    nt->cursor = ops->alloc(sizeof(int), "batch cursor");
    ops->zero(nt->lr, sizeof(float));
    ops->zero(nt->cursor, sizeof(int));
    return nt;
}

void net_destroy(net *nt)
{
    if (!nt) return;
    const cnn_ops *ops = nt->ops;
    ops->free(nt->params);
    ops->free(nt->grads);
    ops->free(nt->momentum);
    /* dact[last] doubles as the loss's input gradient: free each pointer once */
    for (int i = 0; i <= nt->spec.n_layers; i++) {
        ops->free(nt->act[i]);
        if (nt->dact[i]) ops->free(nt->dact[i]);
    }
    for (int i = 0; i < nt->spec.n_layers; i++) {
        if (nt->cols[i]) ops->free(nt->cols[i]);
        if (nt->flat[i]) ops->free(nt->flat[i]);
    }
    if (nt->scratch) ops->free(nt->scratch);
    ops->free(nt->labels);
    ops->free(nt->pred);
    ops->free(nt->stats);
    ops->free(nt->lr);
    ops->free(nt->cursor);
    free(nt);
}

void net_init_params(net *nt, uint64_t seed, float init_std)
{
    rng r = {seed};
    float *host = calloc(nt->n_params ? nt->n_params : 1, sizeof(float));
    if (!host) {
        fprintf(stderr, "cnn: out of memory\n");
        exit(1);
    }
    for (int i = 0; i < nt->spec.n_layers; i++) {
        const layer_spec *l = &nt->spec.layer[i];
        if (!l->weights) continue;
        long fan_in = l->weights / l->out;
        float bound = sqrtf(6.0f / (float)fan_in);
        float *w = host + l->param_offset;
        for (long j = 0; j < l->weights; j++)
            w[j] = init_std > 0 ? init_std * rng_normal(&r) : (2.0f * rng_uniform(&r) - 1.0f) * bound;
    }
    size_t bytes = sizeof(float) * nt->n_params;
    nt->ops->upload(nt->params, host, bytes);
    nt->ops->zero(nt->momentum, bytes);
    nt->ops->zero(nt->grads, bytes);
    free(host);
}

void net_forward_layer(net *nt, int i, int n)
{
    const cnn_ops *ops = nt->ops;
    const layer_spec *l = &nt->spec.layer[i];
    const float *x = nt->act[i];
    float *y = nt->act[i + 1];
    const float *w = nt->params + l->param_offset, *b = w + l->weights;
    switch (l->kind) {
    case LAYER_CONV: {
        cnn_window g = layer_window(l, n);
        int spatial = n * g.oh * g.ow;
        if (ops->conv_fwd) {
            ops->conv_fwd(x, g, w, b, l->out, y);
            break;
        }
        ops->im2col(x, g, nt->cols[i]);
        ops->gemm(0, 0, l->out, spatial, cnn_cols_rows(g), 1.0f, w, nt->cols[i], 0.0f, y);
        ops->bias_add(y, b, 1, l->out, spatial);
        break;
    }
    case LAYER_RELU:
        ops->relu_fwd(x, y, net_out_size(nt, i, n));
        break;
    case LAYER_POOL:
        ops->pool_fwd(x, layer_window(l, n), y);
        break;
    case LAYER_FC: {
        int features = (int)shape_size(l->in);
        if (nt->flat[i]) {
            ops->swap_axes(x, nt->flat[i], l->in.c, n, l->in.h * l->in.w);
            x = nt->flat[i];
        }
        ops->gemm(0, 1, n, l->out, features, 1.0f, x, w, 0.0f, y);
        ops->bias_add(y, b, n, l->out, 1);
        break;
    }
    case LAYER_SOFTMAX:
        ops->softmax_xent(x, nt->labels, n, nt->spec.classes, nt->dact[i], nt->stats,
                          nt->pred);
        break;
    case LAYER_EUCLID:
        ops->euclid(x, nt->labels, n, nt->spec.classes, nt->dact[i], nt->stats, nt->pred);
        break;
    }
}

void net_forward(net *nt, int n)
{
    for (int i = 0; i < nt->spec.n_layers; i++) net_forward_layer(nt, i, n);
}

void net_backward_layer(net *nt, int i, int n)
{
    const cnn_ops *ops = nt->ops;
    const layer_spec *l = &nt->spec.layer[i];
    const float *dy = nt->dact[i + 1];
    float *dx = i > 0 ? nt->dact[i] : NULL; /* nothing needs the input's gradient */
    const float *w = nt->params + l->param_offset;
    float *dw = nt->grads + l->param_offset, *db = dw + l->weights;
    switch (l->kind) {
    case LAYER_CONV: {
        cnn_window g = layer_window(l, n);
        int spatial = n * g.oh * g.ow, rows = cnn_cols_rows(g);
        if (ops->conv_bwd) {
            ops->conv_bwd(nt->act[i], g, w, l->out, dy, dw, db, dx);
            break;
        }
        ops->bias_grad(dy, db, 1, l->out, spatial);
        ops->gemm(0, 1, l->out, rows, spatial, 1.0f, dy, nt->cols[i], 0.0f, dw);
        if (dx) {
            ops->gemm(1, 0, rows, spatial, l->out, 1.0f, w, dy, 0.0f, nt->scratch);
            ops->col2im(nt->scratch, g, dx);
        }
        break;
    }
    case LAYER_RELU:
        if (dx) ops->relu_bwd(nt->act[i + 1], dy, dx, net_out_size(nt, i, n));
        break;
    case LAYER_POOL:
        if (dx) ops->pool_bwd(dy, layer_window(l, n), dx);
        break;
    case LAYER_FC: {
        int features = (int)shape_size(l->in);
        const float *x = nt->flat[i] ? nt->flat[i] : nt->act[i];
        ops->bias_grad(dy, db, n, l->out, 1);
        ops->gemm(1, 0, l->out, features, n, 1.0f, dy, x, 0.0f, dw);
        if (dx) {
            float *dflat = nt->flat[i] ? nt->scratch : dx;
            ops->gemm(0, 0, n, features, l->out, 1.0f, dy, w, 0.0f, dflat);
            if (nt->flat[i])
                ops->swap_axes(dflat, dx, n, l->in.c, l->in.h * l->in.w);
        }
        break;
    }
    default:
        break;
    }
}

void net_backward(net *nt, int n)
{
    /* the loss (last layer) left its gradient in forward */
    for (int i = nt->spec.n_layers - 2; i >= 0; i--) net_backward_layer(nt, i, n);
}

void net_update(net *nt, float momentum, float weight_decay)
{
    nt->ops->sgd(nt->params, nt->grads, nt->momentum, nt->n_params, nt->lr, momentum,
                 weight_decay);
}

void net_set_lr(net *nt, float lr) { nt->ops->upload(nt->lr, &lr, sizeof lr); }
