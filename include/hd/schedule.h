/* The learning rate of every training step, for both backends (see
 * hd/qualifier.h): a pure function of the schedule (constant over a run) and the
 * global step (in backend memory), so a captured step computes its own lr
 * and the host logs the same value. Computed in double and rounded to float
 * once, with every operation rounded alike on both backends (hd/fround.h).
 *
 * step is the 0-based global step; T = total_steps, W = warmup_steps.
 *   step      lr * gamma^floor(epoch / lr_step), epoch = step / steps_per_epoch
 *             (constant when lr_step is 0): the per-epoch rates of the
 *             trainer before schedules (the power rounded to float, then
 *             multiplied by lr in float, as before).
 *   cosine    0.5 * lr * (1 + cos(pi * p)), p = (step - W) / (T - W) in [0, 1]:
 *             from lr to 0.
 *   linear    lr * (1 - p), p as for cosine.
 *   warmup    (step, cosine, linear) for step < W: the rate at W times
 *             (step + 1) / W, a linear ramp that reaches the schedule at W.
 *   onecycle  PyTorch's OneCycleLR's lr with its defaults (pct_start 0.3,
 *             cosine annealing; its momentum cycling is not done): from
 *             lr / 25 up to lr over [0, P], then down to lr / 25 / 1e4 over
 *             [P, T - 1]; the peak P is PyTorch's pct_start * T - 1, in
 *             double and not rounded (0.3 * T - 1), or W - 1 when there is a
 *             warmup (the lr is at its top after W steps). */
#ifndef CNN_SCHEDULE_H
#define CNN_SCHEDULE_H

#include <math.h>

#include "hd/fround.h"

enum { CNN_SCHED_STEP, CNN_SCHED_COSINE, CNN_SCHED_LINEAR, CNN_SCHED_ONECYCLE,
       CNN_SCHED_COUNT };

typedef struct {
    int kind;                 /* CNN_SCHED_* */
    float lr;                 /* the base (peak) learning rate */
    float gamma;              /* step: lr * gamma^floor(epoch / lr_step) */
    int lr_step;              /* step: epochs between drops (0: constant) */
    long long steps_per_epoch;
    long long total_steps;    /* epochs * steps_per_epoch */
    long long warmup_steps;   /* --warmup epochs * steps_per_epoch, rounded */
} cnn_schedule;

#define CNN_PI 3.14159265358979323846

/* The schedule's names, by CNN_SCHED_*, as --lr-schedule takes them. */
#define CNN_SCHED_NAMES {"step", "cosine", "linear", "onecycle"}

/* The step schedule's rate (exactly the trainer's per-epoch values before
 * schedules: lr * powf(gamma, drops)). */
CNN_HD double cnn_schedule_step_lr(const cnn_schedule *s, unsigned long long step)
{
    unsigned long long per = s->steps_per_epoch > 0 ? (unsigned long long)s->steps_per_epoch : 1;
    unsigned long long drops = s->lr_step > 0 ? step / per / (unsigned long long)s->lr_step : 0;
    return (double)(s->lr * (float)cnn_pow_u64((double)s->gamma, drops));
}

/* How far after the warmup step lies, in [0, 1], over [W, T]. A warmup of
 * the whole run (W = T) leaves no span: 0, so the warmup ramps up to lr. */
CNN_HD double cnn_schedule_progress(const cnn_schedule *s, unsigned long long step)
{
    double span = (double)(s->total_steps - s->warmup_steps);
    double p = span > 0 ? ((double)step - (double)s->warmup_steps) / span : 0.0;
    return p < 0 ? 0.0 : p > 1 ? 1.0 : p;
}

/* PyTorch's _annealing_cos: from start (pct 0) to end (pct 1). */
CNN_HD double cnn_anneal_cos(double start, double end, double pct)
{
    return cnn_dadd(end, cnn_dmul((start - end) / 2.0, cos(CNN_PI * pct) + 1.0));
}

/* PyTorch's OneCycleLR.get_lr: phase 1 while step <= its end_step P, then
 * phase 2 from P to T - 1 (P may be fractional, or below 0 for T < 4). */
CNN_HD double cnn_schedule_onecycle(const cnn_schedule *s, unsigned long long step)
{
    double top = s->lr, low = top / 25.0, end = low / 1e4;
    double peak = s->warmup_steps > 0 ? (double)(s->warmup_steps - 1)
                                      : cnn_dadd(cnn_dmul(0.3, (double)s->total_steps), -1.0);
    if ((double)step <= peak) /* (peak 0: PyTorch divides by 0; the top) */
        return cnn_anneal_cos(low, top, peak > 0 ? (double)step / peak : 1.0);
    double span = (double)(s->total_steps - 1) - peak;
    double pct = span > 0 ? ((double)step - peak) / span : 1.0;
    return cnn_anneal_cos(top, end, pct > 1 ? 1.0 : pct);
}

/* The rate of the schedule's kind at step, before any warmup. */
CNN_HD double cnn_schedule_base(const cnn_schedule *s, unsigned long long step)
{
    switch (s->kind) {
    case CNN_SCHED_COSINE:
        return 0.5 * (double)s->lr * (1.0 + cos(CNN_PI * cnn_schedule_progress(s, step)));
    case CNN_SCHED_LINEAR: return (double)s->lr * (1.0 - cnn_schedule_progress(s, step));
    default: return cnn_schedule_step_lr(s, step);
    }
}

CNN_HD float cnn_schedule_lr(const cnn_schedule *s, unsigned long long step)
{
    if (s->kind == CNN_SCHED_ONECYCLE) return (float)cnn_schedule_onecycle(s, step);
    if (s->warmup_steps > 0 && step < (unsigned long long)s->warmup_steps) {
        double at_w = cnn_schedule_base(s, (unsigned long long)s->warmup_steps);
        return (float)(at_w * (double)(step + 1) / (double)s->warmup_steps);
    }
    return (float)cnn_schedule_base(s, step);
}

#endif
