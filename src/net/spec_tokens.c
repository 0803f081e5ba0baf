/* Reading a layer's token of the spec language: the number, padding and
 * stride, and fraction readers, the error that points at the token, and the
 * window shape rule, which every layer's parse and shape functions share
 * (declared in include/layer.h). */
#include "layer.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPEC_MAX_NUMBER 65536

int spec_fail(spec_parser *p, const char *fmt, ...)
{
    char what[NET_SPEC_MAX + 256]; /* may quote the token: see NET_SPEC_ERR_MAX */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(p->err, p->errlen, "layer %d \"%.*s\" (at character %d of \"%s\"): %s",
             p->tok_index + 1, p->tok_len, p->tok, (int)(p->tok - p->text) + 1, p->text, what);
    return -1;
}

int spec_read_number(spec_parser *p, const char **s, const char *end, int allow_zero, int *out,
                     const char *what)
{
    const char *q = *s;
    long v = 0;
    if (q >= end || !isdigit((unsigned char)*q))
        return spec_fail(p, "expected a number for the %s", what);
    while (q < end && isdigit((unsigned char)*q)) {
        v = v * 10 + (*q - '0');
        if (v > SPEC_MAX_NUMBER)
            return spec_fail(p, "the %s is larger than %d", what, SPEC_MAX_NUMBER);
        q++;
    }
    if (v == 0 && !allow_zero)
        return spec_fail(p, "the %s must be at least 1", what);
    *out = (int)v;
    *s = q;
    return 0;
}

int spec_read_pad_stride(spec_parser *p, const char *s, const char *end, layer_spec *l)
{
    if (s < end && *s == 'p') {
        s++;
        if (spec_read_number(p, &s, end, 1, &l->pad, "padding")) return -1;
    }
    if (s < end && *s == 's') {
        s++;
        if (spec_read_number(p, &s, end, 0, &l->stride, "stride")) return -1;
    }
    if (s < end)
        return spec_fail(p, "unexpected \"%.*s\" (the order is k, then p, then s)",
                         (int)(end - s), s);
    return 0;
}

/* Digits, at most one point, at least one digit, at most 9 after the point
 * and 12 in all: what strtof may then read without surprises (no sign,
 * exponent, hex, inf or nan), and what layer_print_fraction writes back for
 * any value read so (it needs no more than 9 places either). */
static int plain_decimal(const char *s, const char *end)
{
    int digits = 0, points = 0, places = 0;
    if (end - s > 12) return 0;
    for (const char *q = s; q < end; q++) {
        if (isdigit((unsigned char)*q)) digits++, places += points;
        else if (*q == '.' && !points++) continue;
        else return 0;
    }
    return digits > 0 && places <= 9;
}

int spec_read_fraction(spec_parser *p, const char *s, const char *end, float lo, float hi,
                       float *out, const char *what)
{
    char buf[16];
    if (!plain_decimal(s, end))
        return spec_fail(p, "expected the %s as a decimal such as 0.5, got \"%.*s\"", what,
                         (int)(end - s), s);
    snprintf(buf, sizeof buf, "%.*s", (int)(end - s), s);
    float v = strtof(buf, NULL);
    if (!(v >= lo && v < hi))
        return spec_fail(p, "the %s %s is outside [%g, %g)", what, buf, lo, hi);
    *out = v;
    return 0;
}

int spec_parse_word_only(spec_parser *p, const char *s, const char *end, layer_spec *l)
{
    if (s < end)
        return spec_fail(p, "unexpected \"%.*s\" after %s", (int)(end - s), s,
                         layer_kind_name(l->kind));
    return 0;
}

long spec_capped_product(long a, long b, long c, long d)
{
    long f[4] = {a, b, c, d}, r = 1;
    for (int i = 0; i < 4; i++) {
        if (f[i] > NET_MAX_COUNT || r > NET_MAX_COUNT / (f[i] ? f[i] : 1)) return -1;
        r *= f[i];
    }
    return r;
}

int spec_window_shape(spec_parser *p, layer_spec *l, int pooling)
{
    shape3 in = l->in;
    if (in.h + 2 * l->pad < l->k || in.w + 2 * l->pad < l->k)
        return spec_fail(p, "a %dx%d window does not fit the %dx%d input (padding %d)", l->k,
                         l->k, in.h, in.w, l->pad);
    if (l->pad >= l->k)
        return spec_fail(p, "padding %d must be smaller than the window %d", l->pad, l->k);
    if (pooling) {
        l->out_shape.h = cnn_pool_out_side(in.h, l->k, l->stride, l->pad);
        l->out_shape.w = cnn_pool_out_side(in.w, l->k, l->stride, l->pad);
    } else {
        l->out_shape.h = cnn_out_side(in.h, l->k, l->stride, l->pad);
        l->out_shape.w = cnn_out_side(in.w, l->k, l->stride, l->pad);
    }
    return 0;
}
