/* The optimizers' per-parameter update, for both backends (see hd/qualifier.h):
 * the CPU loop and the GPU kernel call these very functions, so the CPU
 * tests check the arithmetic the GPU runs. One fused op (ops.h's optim)
 * applies it to every parameter; the learning rate and the step count are
 * read from backend memory, so a captured step stays valid. */
#ifndef CNN_OPTIM_H
#define CNN_OPTIM_H

#include <math.h>

#include "hd/fround.h"

enum { CNN_OPTIM_SGD, CNN_OPTIM_NESTEROV, CNN_OPTIM_ADAM, CNN_OPTIM_ADAMW, CNN_OPTIM_COUNT };

/* Constant over a run (so it may be passed by value into a captured op). */
typedef struct {
    int kind;             /* CNN_OPTIM_* */
    float momentum;       /* sgd, nesterov */
    float beta1, beta2, eps; /* adam, adamw (PyTorch's defaults 0.9, 0.999, 1e-8) */
    float weight_decay;   /* L2 on the gradient; adamw: decoupled, w *= 1 - lr * decay */
} cnn_optim;

/* Whether an optimizer keeps second moments (adam, adamw): its update
 * scales by them, and the net and a checkpoint hold them. */
CNN_HD int cnn_optim_keeps_moment2(int kind)
{
    return kind == CNN_OPTIM_ADAM || kind == CNN_OPTIM_ADAMW;
}

/* The weight decay of parameter i: o's where the mask is 1, or everywhere
 * when there is no mask; 0 where the mask is 0. */
CNN_HD float cnn_optim_decay(const cnn_optim *o, const unsigned char *mask, long i)
{
    return !mask || mask[i] ? o->weight_decay : 0.0f;
}

/* SGD with momentum, Caffe's rule (the updates as a velocity v):
 *   v = momentum * v - lr * (g + d * w);  w += v. */
CNN_HD void cnn_sgd_at(float *w, float g, float *v, float lr, float momentum, float d)
{
    float step = cnn_fmul(lr, cnn_fadd(g, cnn_fmul(d, *w)));
    float vi = cnn_fsub(cnn_fmul(momentum, *v), step);
    *v = vi;
    *w = cnn_fadd(*w, vi);
}

/* Nesterov's momentum, Caffe's NesterovSolver (its sign flipped, as sgd):
 *   v_prev = v;  v = momentum * v - lr * (g + d * w);
 *   w += (1 + momentum) * v - momentum * v_prev. */
CNN_HD void cnn_nesterov_at(float *w, float g, float *v, float lr, float momentum, float d)
{
    float prev = *v;
    float step = cnn_fmul(lr, cnn_fadd(g, cnn_fmul(d, *w)));
    float vi = cnn_fsub(cnn_fmul(momentum, prev), step);
    *v = vi;
    *w = cnn_fadd(*w, cnn_fsub(cnn_fmul(cnn_fadd(1.0f, momentum), vi), cnn_fmul(momentum, prev)));
}

/* Adam's two scalars of step t = step + 1 (step: the steps done before),
 * as PyTorch forms them: step_size = lr / (1 - beta1^t) and
 * bc2_sqrt = sqrt(1 - beta2^t), each in double and rounded once. */
typedef struct { float step_size, bc2_sqrt; } cnn_adam_scale;

CNN_HD cnn_adam_scale cnn_adam_scales(const cnn_optim *o, float lr, unsigned long long step)
{
    unsigned long long t = step + 1;
    double bc1 = 1.0 - cnn_pow_u64((double)o->beta1, t);
    double bc2 = 1.0 - cnn_pow_u64((double)o->beta2, t);
    cnn_adam_scale s;
    s.step_size = (float)((double)lr / bc1);
    s.bc2_sqrt = (float)sqrt(bc2);
    return s;
}

/* Adam (PyTorch's, L2 decay d added to the gradient; d = 0 for AdamW):
 *   g' = g + d * w;  m = b1 * m + (1 - b1) * g';  v = b2 * v + (1 - b2) * g'^2;
 *   w -= step_size * (m / (sqrt(v) / bc2_sqrt + eps)). */
CNN_HD void cnn_adam_at(float *w, float g, float *m, float *v, const cnn_optim *o,
                        cnn_adam_scale s, float d)
{
    float gd = cnn_fadd(g, cnn_fmul(d, *w));
    float mi = cnn_fadd(cnn_fmul(o->beta1, *m), cnn_fmul(cnn_fsub(1.0f, o->beta1), gd));
    float vi = cnn_fadd(cnn_fmul(o->beta2, *v),
                        cnn_fmul(cnn_fmul(cnn_fsub(1.0f, o->beta2), gd), gd));
    float denom = cnn_fadd(sqrtf(vi) / s.bc2_sqrt, o->eps);
    *m = mi;
    *v = vi;
    *w = cnn_fsub(*w, cnn_fmul(s.step_size, mi / denom));
}

/* AdamW (PyTorch's): the decay shrinks w first, w *= 1 - lr * d, then
 * Adam's step without decay in the gradient. */
CNN_HD void cnn_adamw_at(float *w, float g, float *m, float *v, const cnn_optim *o,
                         cnn_adam_scale s, float lr, float d)
{
    *w = cnn_fmul(*w, cnn_fsub(1.0f, cnn_fmul(lr, d)));
    cnn_adam_at(w, g, m, v, o, s, 0.0f);
}

/* Parameter i's update by o (the backends' loops call this, or the
 * functions above directly where a loop over one kind vectorises better). */
CNN_HD void cnn_optim_at(const cnn_optim *o, float *w, const float *g, float *m, float *v,
                         const unsigned char *mask, long i, float lr, cnn_adam_scale s)
{
    float d = cnn_optim_decay(o, mask, i);
    switch (o->kind) {
    case CNN_OPTIM_NESTEROV: cnn_nesterov_at(w + i, g[i], m + i, lr, o->momentum, d); break;
    case CNN_OPTIM_ADAM: cnn_adam_at(w + i, g[i], m + i, v + i, o, s, d); break;
    case CNN_OPTIM_ADAMW: cnn_adamw_at(w + i, g[i], m + i, v + i, o, s, lr, d); break;
    default: cnn_sgd_at(w + i, g[i], m + i, lr, o->momentum, d); break;
    }
}

/* The optimizers' names, by CNN_OPTIM_*, as --optimizer takes them. */
#define CNN_OPTIM_NAMES {"sgd", "nesterov", "adam", "adamw"}

#endif
