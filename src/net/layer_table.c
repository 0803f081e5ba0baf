/* The table of layer kinds (include/layer.h) and what their rows share:
 * their windows, their canonical tokens' words and fractions, and conv's and
 * fc's first weights. The spec language's readers are in spec_tokens.c. */
#include "layer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longer words first where one starts another ("lrelu" vs "relu" cannot
 * clash, but a word must never shadow a longer one). */
const layer_def *const layer_defs[] = {
    &layer_conv,    &layer_fc,      &layer_relu,    &layer_tanh, &layer_sigmoid,
    &layer_lrelu,   &layer_avgpool, &layer_maxpool, &layer_gap,  &layer_dropout,
    &layer_bn,      &layer_softmax, &layer_euclid,
};
const int layer_defs_count = sizeof layer_defs / sizeof layer_defs[0];

const layer_def *layer_def_of(layer_kind kind)
{
    for (int i = 0; i < layer_defs_count; i++)
        if (layer_defs[i]->kind == kind) return layer_defs[i];
    return NULL;
}

const layer_def *layer_def_for_token(const char *tok, const char *end)
{
    const layer_def *best = NULL;
    for (int i = 0; i < layer_defs_count; i++) {
        size_t n = strlen(layer_defs[i]->word);
        if ((size_t)(end - tok) >= n && !strncmp(tok, layer_defs[i]->word, n) &&
            (!best || n > strlen(best->word)))
            best = layer_defs[i];
    }
    return best;
}

const char *layer_kind_name(layer_kind kind)
{
    const layer_def *d = layer_def_of(kind);
    return d ? d->word : "?";
}

int layer_input_is_flat(const net_spec *spec, int i)
{
    for (int j = i - 1; j >= 0; j--)
        if (spec->layer[j].kind == LAYER_FC) return 1;
    return 0;
}

cnn_window layer_window(const layer_spec *l, int n)
{
    return cnn_window_make(l->in.c, n, l->in.h, l->in.w, l->k, l->stride, l->pad);
}

cnn_window layer_pool_window(const layer_spec *l, int n)
{
    return cnn_pool_window_make(l->in.c, n, l->in.h, l->in.w, l->k, l->stride, l->pad);
}

void layer_print_word(const layer_spec *l, char *buf, size_t len)
{
    snprintf(buf, len, "%s", layer_kind_name(l->kind));
}

void layer_print_fraction(const char *word, float v, char *buf, size_t len)
{
    char num[32];
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(num, sizeof num, "%.*f", digits, v);
        if (strtof(num, NULL) == v) break;
    }
    size_t n = strlen(num);
    while (n > 3 && num[n - 1] == '0') num[--n] = 0; /* keep "0.0" */
    snprintf(buf, len, "%s%s", word, num);
}

/* Shared by conv and fc: He's uniform rule for ReLU nets, or N(0, std^2). */
void layer_init_weights(const layer_spec *l, float *w, float init_std, rng *r)
{
    long fan_in = l->weights / l->out;
    float bound = sqrtf(6.0f / (float)fan_in);
    for (long j = 0; j < l->weights; j++)
        w[j] = init_std > 0 ? init_std * rng_normal(r) : (2.0f * rng_uniform(r) - 1.0f) * bound;
}
