/* A checkpoint turned into a net on a device; see include/model.h. */
#include "model.h"

#include <stdio.h>
#include <string.h>

#include "device.h"
#include "oom_hint.h"
#include "text_out.h"

/* Layer and channel of the first negative running variance, if any. */
static int negative_variance(const net_spec *spec, const float *state, int *layer, long *ch)
{
    for (int i = 0; i < spec->n_layers; i++) {
        const layer_spec *l = &spec->layer[i];
        const float *var = state + l->state_offset + l->state / 2;
        for (*ch = 0; *ch < l->state / 2; (*ch)++)
            if (var[*ch] < 0) return *layer = i + 1;
    }
    return 0;
}

/* The network the checkpoint holds; -1 with why set. */
static int checkpoint_spec(const checkpoint *ck, net_spec *spec, char *why, size_t whylen)
{
    const checkpoint_meta *meta = &ck->meta;
    char err[768];
    int layer;
    long ch;
    shape3 in = {meta->in_c, meta->in_h, meta->in_w};
    if (net_spec_parse(meta->spec, in, meta->classes, spec, err, sizeof err) ||
        spec->n_params != ck->n) {
        snprintf(why, whylen, "the checkpoint's network (%s) does not fit its own %dx%dx%d "
                 "inputs of %d classes with its %ld parameters", meta->spec, in.c, in.h, in.w,
                 meta->classes, ck->n);
        return -1;
    }
    if (spec->n_state != ck->state_count) {
        snprintf(why, whylen, "the checkpoint holds %ld running statistics, its network (%s) "
                 "keeps %ld", ck->state_count, meta->spec, spec->n_state);
        return -1;
    }
    if (negative_variance(spec, ck->state, &layer, &ch)) {
        snprintf(why, whylen, "the checkpoint's running variance of layer %d (bn), channel %ld, "
                 "is negative", layer, ch);
        return -1;
    }
    spec->bn_eps = meta->cfg.bn_eps;
    spec->bn_momentum = meta->cfg.bn_momentum;
    return 0;
}

int model_read(const char *path, model *m, char *err, size_t errlen)
{
    char why[ERR_LINE_MAX];
    memset(m, 0, sizeof *m);
    if (checkpoint_load(path, &m->ck, err, errlen)) return -1;
    if (checkpoint_spec(&m->ck, &m->spec, why, sizeof why) == 0) return 0;
    snprintf(err, errlen, "%s: %s", path, why);
    model_free(m);
    return -1;
}

void model_put(const model *m, net *nt, int with_optimizer)
{
    const checkpoint *ck = &m->ck;
    nt->ops->upload(nt->params, ck->params, sizeof(float) * ck->n);
    if (ck->state_count) nt->ops->upload(nt->state, ck->state, sizeof(float) * ck->state_count);
    if (!with_optimizer) return;
    nt->ops->upload(nt->momentum, ck->momentum, sizeof(float) * ck->n);
    if (ck->moment2) /* adam, adamw (the reader checked its count) */
        nt->ops->upload(nt->moment2, ck->moment2, sizeof(float) * ck->n);
}

int model_to_device(const char *cmd, model *m, const run_config *c, int batch,
                    const char *batch_flag)
{
    char err[ERR_LINE_MAX], note[512];
    /* before anything is allocated: a net too large for the batch is refused */
    if (net_size_refuse(cmd, NULL, &m->spec, batch)) return -1;
    m->ops = device_select(setting_choice(SETTING(device), c), c->gpu, c->threads, m->device,
                           sizeof m->device, note, sizeof note, err, sizeof err);
    if (!m->ops) {
        print_error("cnn %s: %s", cmd, err);
        return -1;
    }
    if (note[0]) print_error("cnn %s: note: %s", cmd, note);
    if (batch_flag)
        oom_hint_set("the net's buffers hold %s %d samples: try a smaller %s", batch_flag, batch,
                     batch_flag);
    else
        oom_hint_set("the net's buffers for %d samples at once", batch);
    m->nt = net_create(m->ops, &m->spec, batch);
    net_set_training(m->nt, 0); /* running statistics, no dropout */
    model_put(m, m->nt, 0);
    return 0;
}

int model_open(const char *cmd, const char *path, const run_config *c, int batch, model *m)
{
    char err[ERR_LINE_MAX];
    if (model_read(path, m, err, sizeof err)) {
        print_error("cnn %s: %s", cmd, err);
        return -1;
    }
    if (model_to_device(cmd, m, c, batch, NULL) == 0) return 0; /* (a few samples) */
    model_free(m);
    return -1;
}

void model_free(model *m)
{
    if (m->nt) net_destroy(m->nt);
    checkpoint_free(&m->ck);
    memset(m, 0, sizeof *m);
}
