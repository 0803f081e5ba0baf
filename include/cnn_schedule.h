/* The learning rate of every training step, for both backends (see
 * cnn_hd.h): a pure function of the schedule (constant over a run) and the
 * global step (in backend memory), so a captured step computes its own lr
 * and the host logs the same value. */
#ifndef CNN_SCHEDULE_H
#define CNN_SCHEDULE_H

#include "cnn_hd.h"

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

#endif
