/* The optimizers' per-parameter update, for both backends (see cnn_hd.h):
 * the CPU loop and the GPU kernel call these very functions, so the CPU
 * tests check the arithmetic the GPU runs. One fused op (ops.h's optim)
 * applies it to every parameter; the learning rate and the step count are
 * read from backend memory, so a captured step stays valid. */
#ifndef CNN_OPTIM_H
#define CNN_OPTIM_H

#include "cnn_hd.h"

enum { CNN_OPTIM_SGD, CNN_OPTIM_NESTEROV, CNN_OPTIM_ADAM, CNN_OPTIM_ADAMW, CNN_OPTIM_COUNT };

/* Constant over a run (so it may be passed by value into a captured op). */
typedef struct {
    int kind;             /* CNN_OPTIM_* */
    float momentum;       /* sgd, nesterov */
    float beta1, beta2, eps; /* adam, adamw (PyTorch's defaults 0.9, 0.999, 1e-8) */
    float weight_decay;   /* L2 on the gradient; adamw: decoupled, w *= 1 - lr * decay */
} cnn_optim;

#endif
