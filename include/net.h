/* A network instance: the layers of a net_spec, written once against the ops
 * table, with every buffer allocated in the backend's memory at creation. */
#ifndef CNN_NET_H
#define CNN_NET_H

#include <stddef.h>
#include <stdint.h>
#include "netspec.h"
#include "ops.h"

typedef struct net {
    const cnn_ops *ops;
    net_spec spec;
    int batch;                  /* most samples a pass takes */
    int eval_batch;             /* samples per evaluate() pass: batch, unless a command
                                 * sets it lower (train --eval-batch, eval --batch) */
    long n_params;
    float *params, *grads, *momentum; /* n_params each, layout as in the spec */
    float *moment2;               /* Adam's second moments (n_params) */
    unsigned char *decay_mask;    /* n_params: 1 on conv and fc weights, 0 elsewhere */
    /* act[0] is the input batch (n x C*H*W), act[i+1] layer i's output:
     * CNHW while spatial, n x features after an fc. dact likewise holds the
     * loss's gradients; dact[0] is not kept. */
    float *act[NET_MAX_LAYERS + 1], *dact[NET_MAX_LAYERS + 1];
    /* A layer's own buffers (a conv's Feature Matrix, an fc's input swapped
     * to n x features, max pooling's arg-max, bn's batch statistics) */
    void *aux[NET_MAX_LAYERS];
    float *scratch;               /* Feature Matrix or flat gradients in backward */
    float *state;                 /* the spec's n_state running values (bn) */
    unsigned long long *step;     /* training steps done: dropout's key */
    unsigned long long seed;      /* dropout's other key (net_set_keys) */
    int training;                 /* forward in training mode (the default) */
    int *labels;                  /* batch labels */
    int *pred;                    /* the arg-max of each row */
    double *stats;                /* STAT_COUNT running sums the loss adds to */
    float *lr;                    /* the learning rate SGD reads (one float) */
    int *cursor;                  /* where in the index list the next batch starts */
} net;

/* The most elements one tensor of a net may hold: the kernels and
 * cnn_index.h index a whole tensor with int (2^31 - 1). */
#define NET_MAX_TENSOR 2147483647LL

/* What net_size_check found. */
typedef struct {
    int layer;          /* the first layer (from 0) with a buffer past the limit; -1: none */
    const char *what;   /* its largest buffer: "output", "Feature Matrix", "flattened
                         * input", "arg-max" or "input" (layer 0) */
    long long elements; /* that buffer's elements at the batch */
    int max_batch;      /* the largest batch that keeps every buffer of the net within
                         * the limit; 0 when none does */
} net_size;

/* Pure (allocates nothing): the element count of every buffer net_create
 * would allocate for spec at `batch` (each layer's output and its gradient,
 * a conv's Feature Matrix, an fc's flattened input, max pooling's arg-max,
 * the backward scratch, the input batch). 0 when all stay
 * within NET_MAX_TENSOR; else -1, with the first layer past it in *out. */
int net_size_check(const net_spec *spec, int batch, net_size *out);
/* The refusal as one line, without the command: "<flag> <batch>: layer N
 * (<token>) would hold E elements in its <what>, past what the kernels index
 * (2^31 - 1): use <flag> M or less" (flag NULL: "batch ...: use a batch of
 * M or less"). */
void net_size_message(const net_spec *spec, int batch, const net_size *s, const char *flag,
                      char *buf, size_t len);
/* The same without its advice (": use ... or less"). */
void net_size_problem(const net_spec *spec, int batch, const net_size *s, const char *flag,
                      char *buf, size_t len);
/* net_size_check; when it fails, prints "cnn <cmd>: " and the message on
 * stderr (cmd NULL: "cnn: ") and returns -1; else 0. */
int net_size_refuse(const char *cmd, const char *flag, const net_spec *spec, int batch);

/* Allocates everything for batches of up to `batch` samples. Exits with a
 * message when memory runs out, and with status 2 and net_size_refuse's
 * message, before allocating anything, when a buffer would pass
 * NET_MAX_TENSOR (commands check first, to name their flag). */
net *net_create(const cnn_ops *ops, const net_spec *spec, int batch);
void net_destroy(net *nt);

/* Weights uniform in +-sqrt(6 / fan_in) (He et al., for ReLU nets) when
 * init_std is 0, else normal with deviation init_std; biases 0 (bn: scale
 * 1, shift 0, running mean 0 and variance 1); drawn from seed; momentum
 * and second-moment buffers zeroed. */
void net_init_params(net *nt, uint64_t seed, float init_std);

/* Forward through every layer and the loss for the first n samples of
 * act[0] and labels; the loss adds to stats and leaves its gradient. */
void net_forward(net *nt, int n);
/* Backward from the loss gradient left by net_forward: fills grads. */
void net_backward(net *nt, int n);
/* One step of optimizer o on every parameter (one op over the whole
 * buffer) at the learning rate last set by net_schedule_lr; decay_bias 0
 * decays only the conv and fc weights (decay_mask). */
void net_update(net *nt, cnn_optim o, int decay_bias);
/* The learning rate of the coming step (the step counter's) by schedule s,
 * set in backend memory (captured with the step). */
void net_schedule_lr(net *nt, cnn_schedule s);
/* The keys of dropout's masks: the run's seed, and the global step, which
 * every training step then advances in backend memory. */
void net_set_keys(net *nt, unsigned long long seed, unsigned long long step);
/* One step done: advances the step key (captured with the step). */
void net_count_step(net *nt);
/* Training mode (batch statistics, dropout) or evaluation mode (running
 * statistics, no dropout). */
void net_set_training(net *nt, int training);

/* One layer of the above (for timing it): forward of layer i, and backward
 * of layer i from its output's gradient (the loss's is left by forward). */
void net_forward_layer(net *nt, int i, int n);
void net_backward_layer(net *nt, int i, int n);

/* Elements of layer i's output for n samples. */
long net_out_size(const net *nt, int layer, int n);

#endif
