/* The layers, written once on the ops table. See include/net.h. */
#include "net.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer.h"
#include "oom_hint.h"
#include "rng.h"

static long shape_size(shape3 s) { return (long)s.c * s.h * s.w; }

long net_out_size(const net *nt, int layer, int n)
{
    return n * shape_size(nt->spec.layer[layer].out_shape);
}

/* 1 for every conv and fc weight, 0 for biases and bn's scale and shift. */
static unsigned char *upload_decay_mask(const cnn_ops *ops, const net_spec *spec)
{
    size_t n = spec->n_params ? (size_t)spec->n_params : 1;
    unsigned char *host = calloc(n, 1);
    if (!host) oom_fail("the weight decay mask", (double)n);
    for (int i = 0; i < spec->n_layers; i++) {
        const layer_spec *l = &spec->layer[i];
        if (layer_def_of(l->kind)->flags & LAYER_WEIGHT_MATRIX)
            memset(host + l->param_offset, 1, (size_t)l->weights);
    }
    unsigned char *mask = ops->alloc(n, "weight decay mask");
    ops->upload(mask, host, n);
    free(host);
    return mask;
}

net *net_create(const cnn_ops *ops, const net_spec *spec, int batch)
{
    if (net_size_refuse(NULL, NULL, spec, batch)) exit(2);
    net *nt = calloc(1, sizeof *nt);
    if (!nt) oom_fail("the net", (double)sizeof *nt);
    nt->ops = ops;
    nt->spec = *spec;
    nt->batch = batch;
    nt->eval_batch = batch;
    nt->n_params = spec->n_params;
    size_t pbytes = sizeof(float) * (spec->n_params ? spec->n_params : 1);
    nt->params = ops->alloc(pbytes, "parameters");
    nt->grads = ops->alloc(pbytes, "gradients");
    nt->momentum = ops->alloc(pbytes, "momentum");
    nt->moment2 = ops->alloc(pbytes, "second moments");
    ops->zero(nt->moment2, pbytes);
    nt->decay_mask = upload_decay_mask(ops, spec);
    nt->act[0] = ops->alloc(sizeof(float) * batch * shape_size(spec->in), "input batch");
    size_t scratch = 0;
    for (int i = 0; i < spec->n_layers; i++) {
        const layer_spec *l = &spec->layer[i];
        const layer_def *d = layer_def_of(l->kind);
        size_t out = sizeof(float) * batch * shape_size(l->out_shape);
        nt->act[i + 1] = ops->alloc(out, "activations");
        nt->dact[i + 1] = ops->alloc(out, "activation gradients");
        if ((d->flags & LAYER_IS_LOSS) && !nt->dact[i])
            nt->dact[i] = ops->alloc(out, "loss gradient");
        size_t need = d->create ? d->create(nt, i, batch) : 0;
        if (need > scratch) scratch = need;
    }
    nt->scratch = scratch ? ops->alloc(scratch, "backward scratch") : NULL;
    nt->state = ops->alloc(sizeof(float) * (spec->n_state ? spec->n_state : 1), "running state");
    ops->zero(nt->state, sizeof(float) * spec->n_state); /* defined before net_init_params */
    nt->step = ops->alloc(sizeof *nt->step, "step counter");
    ops->zero(nt->step, sizeof *nt->step);
    nt->training = 1;
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
    void *per_param[] = {nt->params, nt->grads, nt->momentum, nt->moment2, nt->decay_mask};
    for (size_t i = 0; i < sizeof per_param / sizeof per_param[0]; i++) ops->free(per_param[i]);
    /* dact[last] doubles as the loss's input gradient: free each pointer once */
    for (int i = 0; i <= nt->spec.n_layers; i++) {
        ops->free(nt->act[i]);
        if (nt->dact[i]) ops->free(nt->dact[i]);
    }
    for (int i = 0; i < nt->spec.n_layers; i++)
        if (nt->aux[i]) ops->free(nt->aux[i]);
    if (nt->scratch) ops->free(nt->scratch);
    ops->free(nt->state);
    ops->free(nt->step);
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
    float *state = calloc(nt->spec.n_state ? nt->spec.n_state : 1, sizeof(float));
    if (!host || !state) oom_fail("the first weights", sizeof(float) * (nt->n_params + nt->spec.n_state));
    for (int i = 0; i < nt->spec.n_layers; i++) {
        const layer_spec *l = &nt->spec.layer[i];
        const layer_def *d = layer_def_of(l->kind);
        if (d->init) d->init(l, host + l->param_offset, state + l->state_offset, init_std, &r);
    }
    size_t bytes = sizeof(float) * nt->n_params;
    nt->ops->upload(nt->params, host, bytes);
    nt->ops->upload(nt->state, state, sizeof(float) * nt->spec.n_state);
    nt->ops->zero(nt->momentum, bytes);
    nt->ops->zero(nt->moment2, bytes);
    nt->ops->zero(nt->grads, bytes);
    free(host);
    free(state);
}

void net_forward_layer(net *nt, int i, int n)
{
    layer_def_of(nt->spec.layer[i].kind)->forward(nt, i, n);
}

void net_forward(net *nt, int n)
{
    for (int i = 0; i < nt->spec.n_layers; i++) net_forward_layer(nt, i, n);
}

void net_backward_layer(net *nt, int i, int n)
{
    const layer_def *d = layer_def_of(nt->spec.layer[i].kind);
    if (d->backward) d->backward(nt, i, n);
}

void net_backward(net *nt, int n)
{
    /* the loss (last layer) left its gradient in forward */
    for (int i = nt->spec.n_layers - 2; i >= 0; i--) net_backward_layer(nt, i, n);
}

void net_update(net *nt, cnn_optim o, int decay_bias)
{
    nt->ops->optim(o, nt->params, nt->grads, nt->momentum, nt->moment2,
                   decay_bias ? NULL : nt->decay_mask, nt->n_params, nt->lr, nt->step);
}

void net_schedule_lr(net *nt, cnn_schedule s) { nt->ops->set_lr(s, nt->step, nt->lr); }

void net_set_keys(net *nt, unsigned long long seed, unsigned long long step)
{
    nt->seed = seed;
    nt->ops->upload(nt->step, &step, sizeof step);
}

void net_count_step(net *nt) { nt->ops->count_step(nt->step); }

void net_set_training(net *nt, int training) { nt->training = training; }
