/* The layer-spec language (see include/netspec.h): a strict parser that
 * points at the bad token, and the shapes and parameter counts. */
#include "netspec.h"
#include "layer.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void append(char *buf, size_t size, const char *fmt, ...)
{
    size_t used = strlen(buf);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, size - used, fmt, ap);
    va_end(ap);
}

/* A token: the row whose word starts it reads the rest. */
static const layer_def *parse_token(spec_parser *p, layer_spec *l)
{
    const char *end = p->tok + p->tok_len;
    const layer_def *d = layer_def_for_token(p->tok, end);
    memset(l, 0, sizeof *l);
    if (!d) {
        char known[512] = "";
        for (int i = 0; i < layer_defs_count; i++)
            append(known, sizeof known, "%s%s", i ? ", " : "", layer_defs[i]->syntax);
        spec_fail(p, "unknown layer; expected one of %s", known);
        return NULL;
    }
    l->kind = d->kind;
    return d->parse(p, p->tok + strlen(d->word), end, l) ? NULL : d;
}

/* Fills l's shapes, parameter and state counts from `in`. */
static int shape_layer(spec_parser *p, const layer_def *d, layer_spec *l, shape3 in)
{
    l->in = in;
    l->out_shape = in;
    if (d->shape && d->shape(p, l)) return -1;
    if (l->weights < 0)
        return spec_fail(p, "more than %ld weights in one layer", (long)NET_MAX_COUNT);
    if (spec_capped_product(l->out_shape.c, l->out_shape.h, l->out_shape.w, 1) < 0)
        return spec_fail(p, "an output of %dx%dx%d values, more than %ld per sample",
                         l->out_shape.c, l->out_shape.h, l->out_shape.w, (long)NET_MAX_COUNT);
    return 0;
}

/* The canonical text of spec's layers into out; returns its length, which
 * is len or more when it did not fit (out then holds a cut text). */
static size_t canonical_text(const net_spec *spec, char *out, size_t len)
{
    size_t used = 0;
    out[0] = 0;
    for (int i = 0; i < spec->n_layers; i++) {
        char tok[LAYER_TOKEN_MAX];
        layer_def_of(spec->layer[i].kind)->print(&spec->layer[i], tok, sizeof tok);
        int n = snprintf(out + (used < len ? used : len - 1), used < len ? len - used : 1,
                         "%s%s", i ? "," : "", tok);
        used += (size_t)n;
    }
    return used;
}

/* The canonical text into spec->text, which must hold it whole: it is what
 * summary prints and a checkpoint keeps, and a cut one would parse to
 * another net or none (a checkpoint that no command can load). */
static int set_canonical_text(net_spec *spec, char *err, size_t errlen)
{
    size_t n = canonical_text(spec, spec->text, sizeof spec->text);
    if (n < sizeof spec->text) return 0;
    snprintf(err, errlen, "network spec is %zu characters long in canonical form (as summary "
             "prints it: %.32s...), more than the %d a checkpoint keeps: use fewer or shorter "
             "layers", n, spec->text, NET_SPEC_MAX - 1);
    spec->text[0] = 0;
    return -1;
}

/* Where a layer of kind d may stand after the layers before it. */
static int check_place(spec_parser *p, const net_spec *spec, const layer_def *d, int classes)
{
    const layer_spec *prev = spec->n_layers ? &spec->layer[spec->n_layers - 1] : NULL;
    if ((d->flags & LAYER_NEEDS_MAP) && layer_input_is_flat(spec, spec->n_layers))
        return spec_fail(p, "%s after fc: an fc layer flattens, so %s must come before it",
                         d->word, d->word);
    if (!(d->flags & LAYER_IS_LOSS)) return 0;
    if (!prev || prev->kind != LAYER_FC)
        return spec_fail(p, "the loss must follow an fc layer");
    if (classes < 0 && prev->out < -classes)
        return spec_fail(p, "the last fc has %d outputs but the data's labels go up to %d (%d "
                         "classes at least)", prev->out, -classes - 1, -classes);
    if (classes > 0 && prev->out != classes)
        return spec_fail(p, "the last fc has %d outputs but the data has %d classes", prev->out,
                         classes);
    return 0;
}

int net_spec_parse(const char *text, shape3 in, int classes, net_spec *spec, char *err,
                   size_t errlen)
{
    spec_parser p = {text, text, 0, 0, err, errlen};
    memset(spec, 0, sizeof *spec);
    spec->in = in;
    spec->classes = classes;
    spec->bn_eps = 1e-5f;
    spec->bn_momentum = 0.1f;
    if (strlen(text) >= NET_SPEC_MAX) {
        snprintf(err, errlen, "network spec is %zu characters long, more than the %d a "
                 "checkpoint keeps", strlen(text), NET_SPEC_MAX - 1);
        return -1;
    }
    shape3 cur = in;
    const char *s = text;
    for (;;) {
        while (*s == ' ') s++;
        const char *e = s;
        while (*e && *e != ',') e++;
        const char *t = e;
        while (t > s && t[-1] == ' ') t--;
        p.tok = s;
        p.tok_len = (int)(t - s);
        p.tok_index = spec->n_layers;
        if (p.tok_len == 0)
            return spec_fail(&p, *text ? "empty layer (two commas in a row, or a comma at an "
                                         "end?)" : "the network spec is empty");
        if (spec->n_layers == NET_MAX_LAYERS)
            return spec_fail(&p, "more than %d layers", NET_MAX_LAYERS);
        if (spec->n_layers &&
            (layer_def_of(spec->layer[spec->n_layers - 1].kind)->flags & LAYER_IS_LOSS))
            return spec_fail(&p, "a layer after the loss; the loss must come last");
        layer_spec *l = &spec->layer[spec->n_layers];
        const layer_def *d = parse_token(&p, l);
        if (!d || check_place(&p, spec, d, classes) ||
            (in.c > 0 && shape_layer(&p, d, l, cur)))
            return -1;
        l->param_offset = spec->n_params;
        spec->n_params += l->weights + l->bias;
        l->state_offset = spec->n_state;
        spec->n_state += l->state;
        if (spec->n_params > NET_MAX_COUNT)
            return spec_fail(&p, "the network would have more than %ld parameters",
                             (long)NET_MAX_COUNT);
        cur = l->out_shape;
        spec->n_layers++;
        if (!*e) break;
        s = e + 1;
    }
    if (!(layer_def_of(spec->layer[spec->n_layers - 1].kind)->flags & LAYER_IS_LOSS)) {
        p.tok_index = spec->n_layers - 1;
        return spec_fail(&p, "the network must end with a loss: softmax or euclid");
    }
    spec->classes = spec->layer[spec->n_layers - 2].out; /* (the last fc's, checked above) */
    return set_canonical_text(spec, err, errlen);
}
