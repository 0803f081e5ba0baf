/* Network descriptions: the layer-spec language, and the shapes
 * and parameter counts that follow from an input shape.
 *
 * A spec is a comma-separated list of layers (spaces allowed around commas):
 *   conv<C>k<K>[p<P>][s<S>]  convolution to C channels, K x K kernel, zero
 *                            padding P (default 0), stride S (default 1)
 *   fc<N>                    fully connected to N outputs (flattens C,H,W)
 *   relu, tanh, sigmoid      activations
 *   lrelu[<slope>]           leaky ReLU, slope default 0.01 (e.g. lrelu0.1)
 *   avgpool<K>[p<P>][s<S>]   average pooling K x K, stride S (default K),
 *                            padding P (default 0) counted as zeros
 *   maxpool<K>[p<P>][s<S>]   max pooling likewise (padding never wins)
 *                            Both pools follow Caffe (and PyTorch's
 *                            ceil_mode): the output side is rounded up, and
 *                            the average's divisor counts the window's
 *                            cells inside the padded input.
 *   gap                      global average pooling to C x 1 x 1
 *   dropout<P>               inverted dropout, drop probability P in [0, 1)
 *   bn                       batch normalization per channel (after a map)
 *                            or per feature (after an fc)
 *   softmax | euclid         the loss, last: softmax cross-entropy, or the
 *                            Euclidean (squared error) loss on one-hot labels
 * e.g. seed-cnn is conv4k5p2,relu,avgpool2,conv8k5p2,relu,avgpool2,fc10,softmax */
#ifndef CNN_NETSPEC_H
#define CNN_NETSPEC_H

#include <stddef.h>


#ifdef __cplusplus
extern "C" {
#endif

#define NET_MAX_LAYERS 32
/* Longest spec, with its terminator: the bound of a checkpoint's spec (its
 * format keeps it under 512 bytes) and of net_spec.text. net_spec_parse
 * refuses a spec whose text, or whose canonical text (which may be longer:
 * ".5" is written "0.5"), does not fit, naming the limit; so every net_spec
 * holds its whole canonical text, and a copy into a buffer this size (a
 * checkpoint's) is never cut. */
#define NET_SPEC_MAX 512
/* An err buffer this long holds any net_spec_parse message whole: a
 * message quotes the spec and the bad token, each under NET_SPEC_MAX, and
 * says what is wrong in under NET_SPEC_MAX + 256 more. */
#define NET_SPEC_ERR_MAX (4 * NET_SPEC_MAX)
/* Most parameters a net, or values one layer's output, may have (2^31):
 * larger specs are refused instead of overflowing the counts. */
#define NET_MAX_COUNT 2147483648L

/* The kinds of layer; each has its row in the table of include/layer.h. */
typedef enum {
    LAYER_CONV, LAYER_RELU, LAYER_AVGPOOL, LAYER_FC, LAYER_SOFTMAX, LAYER_EUCLID,
    LAYER_MAXPOOL, LAYER_GAP, LAYER_TANH, LAYER_SIGMOID, LAYER_LRELU, LAYER_DROPOUT, LAYER_BN,
    LAYER_KIND_COUNT
} layer_kind;

typedef struct { int c, h, w; } shape3;

typedef struct {
    layer_kind kind;
    int out;            /* conv: output channels; fc: outputs */
    int k, stride, pad; /* conv and pool window */
    shape3 in, out_shape;
    float value;        /* lrelu: slope; dropout: drop probability */
    long weights, bias; /* parameter counts */
    long param_offset;  /* where this layer's weights start; its bias follows */
    long state;         /* running values that are no parameters (bn: mean, var) */
    long state_offset;  /* where they start in the net's state */
} layer_spec;

typedef struct {
    int n_layers;
    layer_spec layer[NET_MAX_LAYERS];
    shape3 in;
    int classes;        /* outputs of the last fc, the loss's width */
    long n_params;
    long n_state;       /* running values of every layer (bn's statistics) */
    /* bn's epsilon and the momentum of its running averages (PyTorch's
     * defaults, 1e-5 and 0.1; set by flags, kept in checkpoints) */
    float bn_eps, bn_momentum;
    char text[NET_SPEC_MAX]; /* the spec in canonical form */
} net_spec;

/* Parses text for inputs of shape `in` and a data set of `classes` labels
 * (negative: at least -classes, for data whose labels are all that tells
 * its classes: the last fc's outputs are then the classes). An input of
 * 0 channels checks the words and their order only, no shapes (for a spec
 * checked before the data is known).
 * Strict: an unknown layer, a bad number, a shape that does not fit, a
 * missing loss or a spec too long for a checkpoint fails with a message in
 * err (NET_SPEC_ERR_MAX holds any) that quotes the bad token and its
 * position. Returns 0 on success. */
int net_spec_parse(const char *text, shape3 in, int classes, net_spec *spec, char *err,
                   size_t errlen);


#ifdef __cplusplus
}
#endif
#endif
