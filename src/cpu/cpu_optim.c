/* The CPU backend's optimizer update and learning rate (ops.h's optim and
 * set_lr): loops around the per-element functions of hd/optim.h and
 * hd/schedule.h, which the GPU kernels call too. Each element is updated
 * on its own, so any thread count gives the same bits. */
#include "cpu_kernels.h"

void cpu_set_lr(cnn_schedule s, const unsigned long long *step, float *lr)
{
    *lr = cnn_schedule_lr(&s, *step);
}

/* One loop per kind: plain SGD (the default) keeps its vectorised loop. */
void cpu_optim(cnn_optim o, float *w, const float *g, float *m, float *v,
               const unsigned char *decay_mask, long n, const float *lr_ptr,
               const unsigned long long *step)
{
    float lr = *lr_ptr;
    if (o.kind == CNN_OPTIM_SGD && !decay_mask) {
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
        for (long i = 0; i < n; i++) cnn_sgd_at(w + i, g[i], m + i, lr, o.momentum, o.weight_decay);
        return;
    }
    cnn_adam_scale s = {0.0f, 1.0f};
    if (cnn_optim_keeps_moment2(o.kind)) s = cnn_adam_scales(&o, lr, *step);
#pragma omp parallel for schedule(static) if (n > PAR_MIN)
    for (long i = 0; i < n; i++) cnn_optim_at(&o, w, g, m, v, decay_mask, i, lr, s);
}
