/* A checkpoint turned into a net on a device; see include/model.h. */
#include "model.h"

#include <stdio.h>

const shape3 CNN_INPUT_SHAPE = {1, 28, 28};

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

int checkpoint_spec(const checkpoint_meta *meta, long n, net_spec *spec, char *why,
                    size_t whylen)
{
    char err[768];
    int layer;
    long ch;
    if (net_spec_parse(meta->spec, CNN_INPUT_SHAPE, CNN_CLASSES, spec, err, sizeof err) ||
        spec->n_params != n) {
        snprintf(why, whylen, "the checkpoint's network does not fit 28x28 images of %d "
                 "classes (%s)", CNN_CLASSES, meta->spec);
        return -1;
    }
    if (spec->n_state != meta->state_count) {
        snprintf(why, whylen, "the checkpoint holds %ld running statistics, its network (%s) "
                 "keeps %ld", meta->state_count, meta->spec, spec->n_state);
        return -1;
    }
    if (negative_variance(spec, meta->state, &layer, &ch)) {
        snprintf(why, whylen, "the checkpoint's running variance of layer %d (bn), channel %ld, "
                 "is negative", layer, ch);
        return -1;
    }
    if (spec->n_state) {
        spec->bn_eps = meta->bn_eps;
        spec->bn_momentum = meta->bn_momentum;
    }
    return 0;
}

void net_load_state(net *nt, const checkpoint_meta *meta)
{
    if (meta->state_count)
        nt->ops->upload(nt->state, meta->state, sizeof(float) * meta->state_count);
}

