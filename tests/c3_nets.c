/* The colour nets of c3_nets.h. */
#include "c3_nets.h"

#include <criterion/criterion.h>

#include "layer.h"

const shape3 c3_input = {3, 10, 12};

const c3_net c3_nets[] = {
    /* conv: valid, padded and strided, all reading three input planes */
    {"conv5k3,fc7,softmax", 3},
    {"conv4k5p2s2,relu,fc7,euclid", 2},
    /* fc straight on the input: the C x N x H x W batch swapped to rows */
    {"fc7,softmax", 4},
    {"fc7,euclid", 3},
    {"fc9,relu,fc7,softmax", 1},
    /* each elementwise kind on the input, then behind a conv */
    {"relu,fc7,softmax", 3},
    {"conv3k3p1,relu,fc7,softmax", 3},
    {"tanh,fc7,euclid", 2},
    {"conv3k3p1,tanh,fc7,softmax", 3},
    {"sigmoid,fc7,softmax", 3},
    {"conv3k3p1,sigmoid,fc7,euclid", 2},
    {"lrelu0.1,fc7,softmax", 3},
    {"conv3k3p1,lrelu0.1,fc7,softmax", 3},
    /* dropout: the reference's mask mapped from N x C x H x W order */
    {"dropout0.4,fc7,softmax", 3},
    {"conv3k3p1,dropout0.4,fc7,softmax", 3},
    /* bn per input channel, per map channel and per feature */
    {"bn,fc7,softmax", 4},
    {"conv3k3p1,bn,fc7,softmax", 3},
    {"fc9,bn,fc7,euclid", 4},
    /* the pools: tiling, overlapping padded, non-tiling, global */
    {"avgpool2,fc7,softmax", 3},
    {"avgpool3p1s2,fc7,softmax", 2},
    {"conv3k3p1,avgpool3s2,fc7,softmax", 3},
    {"maxpool2,fc7,softmax", 3},
    {"maxpool3p1s2,fc7,euclid", 2},
    {"conv3k3p1,maxpool3s2,fc7,softmax", 3},
    {"gap,fc7,softmax", 4},
    {"conv4k3p1,gap,fc7,softmax", 3},
    /* all of them in one net */
    {"bn,conv6k3p1,relu,maxpool2,conv8k3p1,tanh,avgpool2p1,dropout0.3,fc9,sigmoid,fc7,softmax",
     3},
};
const int c3_nets_count = sizeof c3_nets / sizeof c3_nets[0];

int c3_nets_cover_every_kind(const char **missing)
{
    int seen[LAYER_KIND_COUNT] = {0};
    for (int i = 0; i < c3_nets_count; i++) {
        net_spec spec;
        char err[NET_SPEC_ERR_MAX];
        if (net_spec_parse(c3_nets[i].text, c3_input, C3_CLASSES, &spec, err, sizeof err))
            cr_assert_fail("%s: %s", c3_nets[i].text, err);
        for (int j = 0; j < spec.n_layers; j++) seen[spec.layer[j].kind] = 1;
    }
    for (int i = 0; i < layer_defs_count; i++)
        if (!seen[layer_defs[i]->kind]) {
            *missing = layer_defs[i]->word;
            return 0;
        }
    return 1;
}
