/* The losses, last in every net: softmax (cross-entropy) and euclid
 * (0.5 * squared error to the one-hot label). Forward adds to the loss and
 * correct sums and leaves the gradient of the mean loss in dact[i]; the
 * reference net computes them itself (ref.c). */
#include "layer.h"

static void softmax_forward(net *nt, int i, int n)
{
    nt->ops->softmax_xent(nt->act[i], nt->labels, n, nt->spec.classes, nt->dact[i], nt->stats,
                          nt->pred);
}

static void euclid_forward(net *nt, int i, int n)
{
    nt->ops->euclid(nt->act[i], nt->labels, n, nt->spec.classes, nt->dact[i], nt->stats,
                    nt->pred);
}

const layer_def layer_softmax = {
    .kind = LAYER_SOFTMAX, .word = "softmax", .syntax = "softmax", .flags = LAYER_IS_LOSS,
    .parse = spec_parse_word_only, .print = layer_print_word, .forward = softmax_forward,
};

const layer_def layer_euclid = {
    .kind = LAYER_EUCLID, .word = "euclid", .syntax = "euclid", .flags = LAYER_IS_LOSS,
    .parse = spec_parse_word_only, .print = layer_print_word, .forward = euclid_forward,
};
