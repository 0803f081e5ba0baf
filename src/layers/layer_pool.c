/* The pools: avgpool<K>[p<P>][s<S>] and maxpool<K>[p<P>][s<S>] (stride
 * default K; Caffe's output sides and average divisor, see cnn_index.h),
 * and gap, the global average over each channel's map. */
#include "layer.h"

#include <stdio.h>

static int pool_parse(spec_parser *p, const char *s, const char *end, layer_spec *l)
{
    if (spec_read_number(p, &s, end, 0, &l->k, "pooling size")) return -1;
    l->stride = l->k;
    return spec_read_pad_stride(p, s, end, l);
}

static int pool_shape(spec_parser *p, layer_spec *l) { return spec_window_shape(p, l, 1); }

static void pool_print(const layer_spec *l, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s%d", layer_kind_name(l->kind), l->k);
    if (l->pad) n += snprintf(buf + n, len - n, "p%d", l->pad);
    if (l->stride != l->k) snprintf(buf + n, len - n, "s%d", l->stride);
}

static void avg_forward(net *nt, int i, int n)
{
    nt->ops->pool_fwd(nt->act[i], layer_pool_window(&nt->spec.layer[i], n), nt->act[i + 1]);
}

static void avg_backward(net *nt, int i, int n)
{
    if (i > 0)
        nt->ops->pool_bwd(nt->dact[i + 1], layer_pool_window(&nt->spec.layer[i], n),
                          nt->dact[i]);
}

static void avg_ref_forward(const ref_layer *r, const double *x, double *y)
{
    const layer_spec *l = r->l;
    ref_pool_fwd(x, r->n, l->in.c, l->in.h, l->in.w, l->k, l->stride, l->pad, y);
}

static void avg_ref_backward(const ref_layer *r, const double *x, const double *y,
                             const double *dy, double *dx, double *dw)
{
    const layer_spec *l = r->l;
    (void)x, (void)y, (void)dw;
    if (dx) ref_pool_bwd(dy, r->n, l->in.c, l->in.h, l->in.w, l->k, l->stride, l->pad, dx);
}

const layer_def layer_avgpool = {
    .kind = LAYER_AVGPOOL, .word = "avgpool", .syntax = "avgpool<K>[p<P>][s<S>]",
    .flags = LAYER_NEEDS_MAP, .parse = pool_parse, .shape = pool_shape, .print = pool_print,
    .forward = avg_forward, .backward = avg_backward, .ref_forward = avg_ref_forward,
    .ref_backward = avg_ref_backward,
};

/* Max pooling keeps each window's arg-max for backward's gather. */
static size_t max_create(net *nt, int i, int batch)
{
    cnn_window g = layer_pool_window(&nt->spec.layer[i], batch);
    nt->aux[i] = nt->ops->alloc(sizeof(int) * (size_t)g.c * g.n * g.oh * g.ow, "max pooling arg");
    return 0;
}

static void max_forward(net *nt, int i, int n)
{
    nt->ops->maxpool_fwd(nt->act[i], layer_pool_window(&nt->spec.layer[i], n), nt->act[i + 1],
                         nt->aux[i]);
}

static void max_backward(net *nt, int i, int n)
{
    if (i > 0)
        nt->ops->maxpool_bwd(nt->dact[i + 1], nt->aux[i],
                             layer_pool_window(&nt->spec.layer[i], n), nt->dact[i]);
}

static void max_ref_forward(const ref_layer *r, const double *x, double *y)
{
    const layer_spec *l = r->l;
    ref_maxpool_fwd(x, r->n, l->in.c, l->in.h, l->in.w, l->k, l->stride, l->pad, y);
}

static void max_ref_backward(const ref_layer *r, const double *x, const double *y,
                             const double *dy, double *dx, double *dw)
{
    const layer_spec *l = r->l;
    (void)y, (void)dw;
    if (dx) ref_maxpool_bwd(x, dy, r->n, l->in.c, l->in.h, l->in.w, l->k, l->stride, l->pad, dx);
}

const layer_def layer_maxpool = {
    .kind = LAYER_MAXPOOL, .word = "maxpool", .syntax = "maxpool<K>[p<P>][s<S>]",
    .flags = LAYER_NEEDS_MAP, .parse = pool_parse, .shape = pool_shape, .print = pool_print,
    .create = max_create, .forward = max_forward, .backward = max_backward,
    .ref_forward = max_ref_forward, .ref_backward = max_ref_backward,
};

static int gap_shape(spec_parser *p, layer_spec *l)
{
    (void)p;
    l->out_shape.h = l->out_shape.w = 1;
    return 0;
}

/* CNHW: every (channel, sample) map is one contiguous plane. */
static void gap_forward(net *nt, int i, int n)
{
    const layer_spec *l = &nt->spec.layer[i];
    nt->ops->gap_fwd(nt->act[i], (long)l->in.c * n, l->in.h * l->in.w, nt->act[i + 1]);
}

static void gap_backward(net *nt, int i, int n)
{
    const layer_spec *l = &nt->spec.layer[i];
    if (i > 0)
        nt->ops->gap_bwd(nt->dact[i + 1], (long)l->in.c * n, l->in.h * l->in.w, nt->dact[i]);
}

static void gap_ref_forward(const ref_layer *r, const double *x, double *y)
{
    ref_gap_fwd(x, r->n, r->l->in.c, r->l->in.h * r->l->in.w, y);
}

static void gap_ref_backward(const ref_layer *r, const double *x, const double *y,
                             const double *dy, double *dx, double *dw)
{
    (void)x, (void)y, (void)dw;
    if (dx) ref_gap_bwd(dy, r->n, r->l->in.c, r->l->in.h * r->l->in.w, dx);
}

const layer_def layer_gap = {
    .kind = LAYER_GAP, .word = "gap", .syntax = "gap", .flags = LAYER_NEEDS_MAP,
    .parse = spec_parse_word_only, .shape = gap_shape, .print = layer_print_word,
    .forward = gap_forward, .backward = gap_backward, .ref_forward = gap_ref_forward,
    .ref_backward = gap_ref_backward,
};
