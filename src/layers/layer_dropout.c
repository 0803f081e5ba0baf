/* dropout<P>: inverted dropout in training, the identity in evaluation.
 * The mask is a function of the run's seed, the global step (in backend
 * memory), the layer's position and the element's index (cnn_dropout.h):
 * nothing is stored, backward draws the same mask, a resume at a step
 * draws what the uninterrupted run drew, and a captured step stays valid. */
#include "layer.h"

#include <stdio.h>
#include <stdlib.h>

#include "hd/dropout.h"

static int parse(spec_parser *p, const char *s, const char *end, layer_spec *l)
{
    return spec_read_fraction(p, s, end, 0.0f, 1.0f, &l->value, "drop probability");
}

static void print(const layer_spec *l, char *buf, size_t len)
{
    layer_print_fraction("dropout", l->value, buf, len);
}

static void forward(net *nt, int i, int n)
{
    /* evaluation: p = 0 keeps every element at scale 1, a copy */
    float p = nt->training ? nt->spec.layer[i].value : 0.0f;
    nt->ops->dropout_fwd(nt->act[i], nt->act[i + 1], net_out_size(nt, i, n), p, nt->seed,
                         nt->step, i);
}

static void backward(net *nt, int i, int n)
{
    if (i > 0)
        nt->ops->dropout_bwd(nt->dact[i + 1], nt->dact[i], net_out_size(nt, i, n),
                             nt->spec.layer[i].value, nt->seed, nt->step, i);
}

/* The mask the backends draw, in the reference's N x C x H x W order: a
 * map's element (s, c, j) is CNHW element (c*n + s)*hw + j in a backend. */
static unsigned char *ref_mask(const ref_layer *r)
{
    const layer_spec *l = r->l;
    int n = r->n, c = l->in.c, hw = l->in.h * l->in.w;
    long len = (long)n * c * hw;
    int flat = layer_input_is_flat(r->spec, r->index);
    unsigned char *keep = malloc(len ? len : 1);
    for (long e = 0; e < len; e++) {
        long s = e / ((long)c * hw), ch = e / hw % c, j = e % hw;
        long backend = flat ? e : ((long)ch * n + s) * hw + j;
        keep[e] = !r->mode->training ||
                  cnn_dropout_keep(r->mode->seed, r->mode->step, r->index, backend, l->value);
    }
    return keep;
}

static void ref_forward(const ref_layer *r, const double *x, double *y)
{
    unsigned char *keep = ref_mask(r);
    long len = (long)r->n * r->l->in.c * r->l->in.h * r->l->in.w;
    ref_dropout_fwd(x, keep, r->mode->training ? r->l->value : 0.0, len, y);
    free(keep);
}

static void ref_backward(const ref_layer *r, const double *x, const double *y, const double *dy,
                         double *dx, double *dw)
{
    (void)x, (void)y, (void)dw;
    if (!dx) return;
    unsigned char *keep = ref_mask(r);
    long len = (long)r->n * r->l->in.c * r->l->in.h * r->l->in.w;
    ref_dropout_bwd(dy, keep, r->mode->training ? r->l->value : 0.0, len, dx);
    free(keep);
}

const layer_def layer_dropout = {
    .kind = LAYER_DROPOUT, .word = "dropout", .syntax = "dropout<P>", .parse = parse,
    .print = print, .forward = forward, .backward = backward, .ref_forward = ref_forward,
    .ref_backward = ref_backward,
};
