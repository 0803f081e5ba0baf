/* One home per layer kind. Every kind of layer is one row of a table
 * (src/net/layer_table.c) that points at the functions of its own file
 * (src/layers/layer_*.c): how the spec language writes it, its shape rule and
 * parameter count, its initialisation, its forward and backward on the ops
 * table, and its double-precision reference. The spec parser, the net, the
 * reference net, summary and visualize all go through this table, so adding
 * a layer is a new file and a row. */
#ifndef CNN_LAYER_H
#define CNN_LAYER_H

#include <stddef.h>

#include "net.h"
#include "netspec.h"
#include "ref.h"
#include "rng.h"

/* The spec parser's position, for messages that quote the bad token. */
typedef struct spec_parser {
    const char *text;   /* the whole spec */
    const char *tok;    /* start of the current token */
    int tok_len, tok_index;
    char *err;
    size_t errlen;
} spec_parser;

/* Writes "layer N "tok" (at character C of "spec"): <what>" to p->err; -1. */
int spec_fail(spec_parser *p, const char *fmt, ...);
/* A decimal number in 1..65536 (0 too when allow_zero) at *s, which moves past it. */
int spec_read_number(spec_parser *p, const char **s, const char *end, int allow_zero, int *out,
                     const char *what);
/* The optional p<P> then s<S> suffixes of a window layer; nothing may follow. */
int spec_read_pad_stride(spec_parser *p, const char *s, const char *end, layer_spec *l);
/* A fraction such as 0.5 or .25 in [lo, hi) at s, the whole rest of the token. */
int spec_read_fraction(spec_parser *p, const char *s, const char *end, float lo, float hi,
                       float *out, const char *what);
/* For a word with nothing after it (relu, gap, bn, the losses). */
int spec_parse_word_only(spec_parser *p, const char *s, const char *end, layer_spec *l);
void layer_print_word(const layer_spec *l, char *buf, size_t len);
/* word then v in [0, 1) as the shortest fixed-point decimal that reads back
 * as the same float (e.g. "dropout0.5", "lrelu0.00001"): canonical text
 * must parse to the same net. */
void layer_print_fraction(const char *word, float v, char *buf, size_t len);
/* The product of four factors, or -1 past NET_MAX_COUNT (never overflowing). */
long spec_capped_product(long a, long b, long c, long d);
/* The window shape rule that conv and the pools share: checks the window
 * fits and the padding is smaller than it, and sets the output's sides
 * (pooling rounds up, Caffe's rule). */
int spec_window_shape(spec_parser *p, layer_spec *l, int pooling);

/* A buffer this long holds any token a print writes: a number is at most
 * 65536 and a fraction has at most 9 places, so the longest,
 * conv65536k65536p65536s65536, has 27 characters. */
#define LAYER_TOKEN_MAX 64

/* Flags of a layer kind. */
enum {
    LAYER_NEEDS_MAP = 1, /* reads a C x H x W map: must come before any fc */
    LAYER_IS_LOSS = 2,   /* the last layer: takes the labels */
    LAYER_IS_ACTIVATION = 4, /* elementwise nonlinearity (visualize draws after it) */
    LAYER_WEIGHT_MATRIX = 8, /* its weights (not its bias) are a matrix that weight decay
                              * applies to even when biases do not decay (--decay-bias) */
};

/* What the reference net hands a layer. */
typedef struct {
    const net_spec *spec;
    const layer_spec *l;
    int index;            /* the layer's position in spec */
    int n;                /* samples */
    const double *w;      /* the layer's weights, its bias after them */
    const ref_mode *mode; /* training or evaluation, dropout's keys, running stats */
} ref_layer;

typedef struct layer_def {
    layer_kind kind;
    const char *word;   /* the spec word, e.g. "maxpool" */
    const char *syntax; /* how it is written, e.g. "maxpool<K>[p<P>][s<S>]" */
    int flags;
    /* Reads what follows the word in the token (s up to end) into l. */
    int (*parse)(spec_parser *p, const char *s, const char *end, layer_spec *l);
    /* With l->in set: the output shape, the parameter counts (weights, bias)
     * and the running state count; NULL: the output is the input. */
    int (*shape)(spec_parser *p, layer_spec *l);
    /* The canonical token, e.g. "maxpool3s2", in LAYER_TOKEN_MAX bytes. */
    void (*print)(const layer_spec *l, char *buf, size_t len);
    /* summary's view: the weights as a product of their sides ("" if none). */
    void (*describe)(const layer_spec *l, char *weights, size_t len);
    /* The first weights and bias (params points at the weights) and running
     * state (state points at the layer's); NULL: none (zeros). */
    void (*init)(const layer_spec *l, float *params, float *state, float init_std, rng *r);
    /* Buffers of the layer's own in nt->aux[i] (freed by the net); returns
     * the bytes of backward scratch it needs. NULL: none. */
    size_t (*create)(net *nt, int i, int batch);
    /* Forward of n samples from act[i] to act[i + 1] (nt->training says
     * which mode); a loss leaves its gradient in dact[i]. */
    void (*forward)(net *nt, int i, int n);
    /* From dact[i + 1] to dact[i] (NULL for layer 0: only the parameter
     * gradients are wanted) and the layer's parameter gradients. */
    void (*backward)(net *nt, int i, int n);
    /* The reference: y from x; and dx (may be NULL) and dw (weights then
     * bias) from dy, given x and y. NULL for a loss (ref.c handles it). */
    void (*ref_forward)(const ref_layer *r, const double *x, double *y);
    void (*ref_backward)(const ref_layer *r, const double *x, const double *y, const double *dy,
                         double *dx, double *dw);
} layer_def;

/* The row of a kind, and the row whose word starts the token (longest
 * word first, so "lrelu" is not read as something shorter); NULL if none. */
const layer_def *layer_def_of(layer_kind kind);
const layer_def *layer_def_for_token(const char *tok, const char *end);
/* The spec word of a kind (its row's word, e.g. "avgpool"), or "?". */
const char *layer_kind_name(layer_kind kind);
/* Every row, in the order help text lists them. */
extern const layer_def *const layer_defs[];
extern const int layer_defs_count;

/* Whether layer i's input is stored flat (n x features, after an fc) in
 * the net, rather than CNHW. */
int layer_input_is_flat(const net_spec *spec, int i);

/* conv's and fc's weights: He's uniform rule (+-sqrt(6 / fan_in)), or
 * N(0, init_std^2) when init_std > 0. */
void layer_init_weights(const layer_spec *l, float *w, float init_std, rng *r);

/* Layer i's window (conv) and pooling window (pools) over n samples. */
cnn_window layer_window(const layer_spec *l, int n);
cnn_window layer_pool_window(const layer_spec *l, int n);

/* The rows, one per file. */
extern const layer_def layer_conv, layer_fc, layer_relu, layer_tanh, layer_sigmoid,
    layer_lrelu, layer_avgpool, layer_maxpool, layer_gap, layer_dropout, layer_bn,
    layer_softmax, layer_euclid;

#endif
