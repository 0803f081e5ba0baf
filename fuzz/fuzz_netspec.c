/* libFuzzer harness for the network-spec parser (src/net/netspec.c and the layer
 * table, src/net/layer_table.c and src/layers/layer_*.c): net_spec_parse.
 *
 * The input, NUL-terminated, is parsed for a few input shapes and class counts.
 * An accepted spec must be consistent: each layer's input is the previous
 * layer's output, every shape is positive, parameter counts are what the layer
 * kinds imply without overflowing, the offsets add up, the loss is last after an
 * fc of `classes` outputs, and the canonical text parses again to the same
 * network. A refused one must come with a message. */
#include "fuzz_common.h"

#include "netspec.h"

static const struct {
    shape3 in;
    int classes;
} fz_shapes[] = {
    {{1, 28, 28}, 10},
    {{3, 9, 13}, 10},
    {{2, 5, 5}, 3},
    {{1, 1, 1}, 1},
};

static int fz_same_layer(const layer_spec *a, const layer_spec *b)
{
    return a->kind == b->kind && a->out == b->out && a->k == b->k && a->stride == b->stride &&
           a->pad == b->pad && a->in.c == b->in.c && a->in.h == b->in.h && a->in.w == b->in.w &&
           a->out_shape.c == b->out_shape.c && a->out_shape.h == b->out_shape.h &&
           a->out_shape.w == b->out_shape.w && a->weights == b->weights && a->bias == b->bias &&
           a->param_offset == b->param_offset && a->value == b->value && a->state == b->state &&
           a->state_offset == b->state_offset;
}

/* The weights a layer should have, or -1 when the count does not fit a long. */
static long fz_expected_weights(const layer_spec *l)
{
    long r = 0;
    if (l->kind == LAYER_CONV) {
        if (__builtin_mul_overflow((long)l->out, (long)l->in.c, &r) ||
            __builtin_mul_overflow(r, (long)l->k, &r) || __builtin_mul_overflow(r, (long)l->k, &r))
            return -1;
    } else if (l->kind == LAYER_BN) {
        r = l->in.c;
    } else if (l->kind == LAYER_FC) {
        if (__builtin_mul_overflow((long)l->out, (long)l->in.c, &r) ||
            __builtin_mul_overflow(r, (long)l->in.h, &r) ||
            __builtin_mul_overflow(r, (long)l->in.w, &r))
            return -1;
    }
    return r;
}

static const char *fz_check_spec(const net_spec *s, shape3 in, int classes)
{
    if (s->n_layers < 1 || s->n_layers > NET_MAX_LAYERS)
        return "accepted with a layer count out of range";
    if (!memchr(s->text, 0, sizeof s->text))
        return "the canonical text is not terminated";
    if (s->in.c != in.c || s->in.h != in.h || s->in.w != in.w || s->classes != classes)
        return "the spec does not keep its input shape and classes";
    shape3 cur = in;
    long offset = 0, state = 0;
    int after_fc = 0;
    for (int i = 0; i < s->n_layers; i++) {
        const layer_spec *l = &s->layer[i];
        if (l->in.c != cur.c || l->in.h != cur.h || l->in.w != cur.w)
            return "a layer's input is not the previous layer's output";
        if (l->out_shape.c < 1 || l->out_shape.h < 1 || l->out_shape.w < 1)
            return "accepted a layer with an empty output";
        const int loss = l->kind == LAYER_SOFTMAX || l->kind == LAYER_EUCLID;
        if (loss != (i == s->n_layers - 1))
            return "the loss is not exactly the last layer";
        if (loss && (i == 0 || s->layer[i - 1].kind != LAYER_FC || s->layer[i - 1].out != classes))
            return "the loss does not follow an fc of `classes` outputs";
        int window = l->kind == LAYER_CONV || l->kind == LAYER_AVGPOOL || l->kind == LAYER_MAXPOOL;
        if (window && (after_fc || l->k < 1 || l->stride < 1 || l->pad < 0 || l->pad >= l->k))
            return "accepted a bad window";
        if (l->kind == LAYER_GAP && (after_fc || l->out_shape.h != 1 || l->out_shape.w != 1))
            return "accepted a bad global pooling";
        if ((l->kind == LAYER_DROPOUT || l->kind == LAYER_LRELU) &&
            !(l->value >= 0.0f && l->value < 1.0f))
            return "accepted a dropout probability or slope outside [0, 1)";
        if (l->state != (l->kind == LAYER_BN ? 2L * l->in.c : 0) || l->state_offset != state)
            return "a layer's running state count or offset is wrong";
        state += l->state;
        after_fc |= l->kind == LAYER_FC;
        long w = fz_expected_weights(l);
        if (w < 0)
            return "a layer's parameter count overflows a long";
        long b = l->kind == LAYER_CONV || l->kind == LAYER_FC ? l->out
               : l->kind == LAYER_BN ? l->in.c : 0;
        if (l->weights != w || l->bias != b)
            return "a layer's parameter count is wrong";
        if (l->param_offset != offset)
            return "a layer's parameter offset is wrong";
        if (__builtin_add_overflow(offset, w, &offset) || __builtin_add_overflow(offset, b, &offset))
            return "the network's parameter count overflows a long";
        cur = l->out_shape;
    }
    if (s->n_params != offset)
        return "n_params is not the sum of the layers' counts";
    if (s->n_state != state)
        return "n_state is not the sum of the layers' running state";
    return NULL;
}

static const char *fuzz_netspec_one(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return NULL;
    memcpy(text, data, size);
    text[size] = 0;
    const char *problem = NULL;
    net_spec spec, again;
    for (size_t i = 0; !problem && i < sizeof fz_shapes / sizeof fz_shapes[0]; i++) {
        char err[1024];
        err[0] = 0;
        int rc = net_spec_parse(text, fz_shapes[i].in, fz_shapes[i].classes, &spec, err, sizeof err);
        if (rc != 0) {
            problem = rc == -1 ? fz_check_err(err, sizeof err, 0)
                               : "net_spec_parse returned neither 0 nor -1";
            continue;
        }
        if ((problem = fz_check_spec(&spec, fz_shapes[i].in, fz_shapes[i].classes)))
            break;
        err[0] = 0;
        if (net_spec_parse(spec.text, fz_shapes[i].in, fz_shapes[i].classes, &again, err,
                           sizeof err) != 0) {
            problem = "the canonical text does not parse again";
            break;
        }
        if (strcmp(again.text, spec.text) != 0 || again.n_layers != spec.n_layers ||
            again.n_params != spec.n_params)
            problem = "the canonical text parses to another network";
        for (int l = 0; !problem && l < spec.n_layers; l++)
            if (!fz_same_layer(&spec.layer[l], &again.layer[l]))
                problem = "the canonical text parses to another layer";
    }
    free(text);
    return problem;
}

#ifndef FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fz_fail(fuzz_netspec_one(data, size));
}
#endif
