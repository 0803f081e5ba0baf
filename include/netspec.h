/* Network descriptions: the layer-spec language, the presets, and the shapes
 * and parameter counts that follow from an input shape.
 *
 * A spec is a comma-separated list of layers (spaces allowed around commas):
 *   conv<C>k<K>[p<P>][s<S>]  convolution to C channels, K x K kernel, zero
 *                            padding P (default 0), stride S (default 1)
 *   relu                     rectified linear unit
 *   avgpool<K>[p<P>][s<S>]   average pooling K x K, stride S (default K),
 *                            padding P (default 0) counted as zeros
 *   fc<N>                    fully connected to N outputs (flattens C,H,W)
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
#define NET_SPEC_MAX 512
/* Most parameters a net, or values one layer's output, may have (2^31):
 * larger specs are refused instead of overflowing the counts. */
#define NET_MAX_COUNT 2147483648L

typedef enum { LAYER_CONV, LAYER_RELU, LAYER_POOL, LAYER_FC, LAYER_SOFTMAX, LAYER_EUCLID } layer_kind;

typedef struct { int c, h, w; } shape3;

typedef struct {
    layer_kind kind;
    int out;            /* conv: output channels; fc: outputs */
    int k, stride, pad; /* conv and pool window */
    shape3 in, out_shape;
    long weights, bias; /* parameter counts */
    long param_offset;  /* where this layer's weights start; its bias follows */
} layer_spec;

typedef struct {
    int n_layers;
    layer_spec layer[NET_MAX_LAYERS];
    shape3 in;
    int classes;        /* outputs of the last fc, the loss's width */
    long n_params;
    char text[NET_SPEC_MAX]; /* the spec in canonical form */
} net_spec;

/* Parses text for inputs of shape `in` and a data set of `classes` labels.
 * Strict: an unknown layer, a bad number, a shape that does not fit or a
 * missing loss fails with a message in err that quotes the bad token and its
 * position. Returns 0 on success. */
int net_spec_parse(const char *text, shape3 in, int classes, net_spec *spec, char *err,
                   size_t errlen);

/* Hyperparameters a preset suggests; every one can be overridden by a flag. */
typedef struct {
    const char *name, *spec, *about;
    float lr, lr_gamma, momentum, weight_decay;
    int lr_step, batch, epochs;
    const char *normalize; /* "std", "unit" or "center", see train.h */
    float init_std;        /* 0: He uniform; else weights from N(0, init_std^2) */
} net_preset;

/* The preset called name, or NULL. */
const net_preset *net_preset_find(const char *name);
extern const net_preset net_presets[];
extern const int net_presets_count;

const char *layer_kind_name(layer_kind kind);

#ifdef __cplusplus
}
#endif
#endif
