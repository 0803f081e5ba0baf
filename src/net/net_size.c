/* Sizes the index math can hold: the kernels and cnn_index.h index a whole
 * tensor with int, so no buffer a net allocates may reach 2^31 elements.
 * See net_size_check in include/net.h. */
#include "net.h"

#include <stdio.h>
#include <string.h>

#include "layer.h"
#include "text_out.h"

/* a * b, or NET_SIZE_HUGE when that would pass it (a, b >= 0). */
#define NET_SIZE_HUGE (1LL << 62)
static long long capped_mul(long long a, long long b)
{
    if (a == 0 || b == 0) return 0;
    return a > NET_SIZE_HUGE / b ? NET_SIZE_HUGE : a * b;
}

static long long shape_elements(shape3 s) { return capped_mul(capped_mul(s.c, s.h), s.w); }

/* One buffer of a layer: its name and its elements per sample. */
typedef struct {
    const char *what;
    long long per_sample;
} layer_buffer;

/* The buffers net_create and layer i's create() allocate for it, in the
 * order a tie names them; returns how many. The activation gradient and
 * the loss's input gradient have the output's size; the backward scratch
 * is the size of a Feature Matrix or a flattened fc input; bn's two
 * statistics per channel are far below the limit (channels <= 65536),
 * and so are a layer's weights (netspec.c keeps the parameters of the
 * whole net within 2^31, biases included). A
 * conv's Feature Matrix counts on every backend, so a net that runs on one
 * device runs on the other (the CPU builds one for strided convolutions). */
static int layer_buffers(const net_spec *spec, int i, layer_buffer *b)
{
    const layer_spec *l = &spec->layer[i];
    int n = 0;
    if (i == 0) b[n++] = (layer_buffer){"input", shape_elements(spec->in)};
    b[n++] = (layer_buffer){"output", shape_elements(l->out_shape)};
    if (l->kind == LAYER_CONV) {
        long long rows = capped_mul(capped_mul(l->in.c, l->k), l->k);
        long long cols = capped_mul(l->out_shape.h, l->out_shape.w);
        b[n++] = (layer_buffer){"Feature Matrix", capped_mul(rows, cols)};
    }
    if (l->kind == LAYER_FC && !layer_input_is_flat(spec, i) && l->in.c > 1)
        b[n++] = (layer_buffer){"flattened input", shape_elements(l->in)};
    if (l->kind == LAYER_MAXPOOL)
        b[n++] = (layer_buffer){"arg-max", shape_elements(l->out_shape)};
    return n;
}

static long long buffer_elements(const layer_buffer *b, int batch)
{
    return capped_mul(b->per_sample, batch);
}

/* The largest batch that keeps b within NET_MAX_TENSOR (0: none does). */
static long long buffer_max_batch(const layer_buffer *b)
{
    return b->per_sample ? NET_MAX_TENSOR / b->per_sample : NET_MAX_TENSOR;
}

int net_size_check(const net_spec *spec, int batch, net_size *out)
{
    long long max_batch = NET_MAX_TENSOR;
    *out = (net_size){.layer = -1};
    for (int i = 0; i < spec->n_layers; i++) {
        layer_buffer b[8];
        int count = layer_buffers(spec, i, b);
        const layer_buffer *largest = NULL;
        for (int j = 0; j < count; j++) {
            long long fits = buffer_max_batch(&b[j]);
            if (fits < max_batch) max_batch = fits;
            if (!largest || buffer_elements(&b[j], batch) > buffer_elements(largest, batch))
                largest = &b[j];
        }
        if (out->layer < 0 && buffer_elements(largest, batch) > NET_MAX_TENSOR) {
            out->layer = i;
            out->what = largest->what;
            out->elements = buffer_elements(largest, batch);
        }
    }
    out->max_batch = (int)max_batch;
    return out->layer < 0 ? 0 : -1;
}

/* v with a comma between each group of three digits (v >= 0). */
static const char *grouped(long long v, char *buf, size_t len)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%lld", v), at = 0;
    for (int i = 0; i < n && at + 2 < (int)len; i++) {
        if (i > 0 && (n - i) % 3 == 0) buf[at++] = ',';
        buf[at++] = digits[i];
    }
    buf[at] = '\0';
    return buf;
}

void net_size_problem(const net_spec *spec, int batch, const net_size *s, const char *flag,
                      char *buf, size_t len)
{
    char token[LAYER_TOKEN_MAX], count[40];
    const layer_spec *l = &spec->layer[s->layer];
    layer_def_of(l->kind)->print(l, token, sizeof token);
    snprintf(buf, len, "%s %d: layer %d (%s) would hold %s%s elements in its %s, past what the "
             "kernels index (2^31 - 1)", flag ? flag : "batch", batch, s->layer + 1, token,
             s->elements >= NET_SIZE_HUGE ? "at least " : "",
             grouped(s->elements, count, sizeof count), s->what);
}

void net_size_message(const net_spec *spec, int batch, const net_size *s, const char *flag,
                      char *buf, size_t len)
{
    char fit[64];
    if (s->max_batch <= 0)
        snprintf(fit, sizeof fit, "no batch fits: make the layer smaller");
    else if (flag)
        snprintf(fit, sizeof fit, "use %s %d or less", flag, s->max_batch);
    else
        snprintf(fit, sizeof fit, "use a batch of %d or less", s->max_batch);
    net_size_problem(spec, batch, s, flag, buf, len);
    size_t at = strlen(buf);
    snprintf(buf + at, len - at, ": %s", fit);
}

int net_size_refuse(const char *cmd, const char *flag, const net_spec *spec, int batch)
{
    net_size s;
    if (!net_size_check(spec, batch, &s)) return 0;
    char why[NET_SPEC_MAX + 256];
    net_size_message(spec, batch, &s, flag, why, sizeof why);
    print_error("cnn%s%s: %s", cmd ? " " : "", cmd ? cmd : "", why);
    return -1;
}
