/* The learning-rate schedules (cnn_schedule.h): each kind's rate at chosen
 * steps, warmup, the step schedule equal to the trainer's per-epoch rates
 * before schedules existed, the CPU op, and train_schedule's rounding. */
#include <criterion/criterion.h>
#include <math.h>

#include "cpu/cpu_backend.h"
#include "hd/schedule.h"
#include "ops.h"
#include "train.h"

static float lr_at(const cnn_schedule *s, unsigned long long step)
{
    return cnn_schedule_lr(s, step);
}

/* The per-epoch rate the trainer used before schedules (train_lr_at). */
static float old_lr_at(float lr, float gamma, int lr_step, int epoch)
{
    int drops = lr_step > 0 ? epoch / lr_step : 0;
    return lr * powf(gamma, (float)drops);
}

Test(schedule, step_equals_the_old_per_epoch_rates)
{
    const float lrs[] = {0.1f, 0.02f, 0.05f, 0.3f}, gammas[] = {0.5f, 0.2f, 0.3f, 0.1f, 0.9f};
    const int steps[] = {1, 3, 5, 10};
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 5; b++)
            for (int c = 0; c < 4; c++) {
                cnn_schedule s = {CNN_SCHED_STEP, lrs[a], gammas[b], steps[c], 7, 7 * 30, 0};
                for (int e = 0; e < 30; e++) {
                    float want = old_lr_at(lrs[a], gammas[b], steps[c], e);
                    /* the first and the last step of epoch e */
                    cr_assert_eq(lr_at(&s, 7ull * e), want, "lr %g gamma %g step %d epoch %d: "
                                 "%.9g, was %.9g", lrs[a], gammas[b], steps[c], e,
                                 lr_at(&s, 7ull * e), want);
                    cr_assert_eq(lr_at(&s, 7ull * e + 6), want);
                }
            }
    cnn_schedule constant = {CNN_SCHED_STEP, 0.1f, 0.5f, 0, 7, 70, 0};
    cr_assert_eq(lr_at(&constant, 69), 0.1f, "lr_step 0: constant");
}

Test(schedule, warmup_ramps_to_the_schedule)
{
    /* step: 10 steps an epoch, halved every epoch, 15 steps of warmup: the
     * ramp ends at the rate of step 15 (epoch 1's, 0.05) */
    cnn_schedule s = {CNN_SCHED_STEP, 0.1f, 0.5f, 1, 10, 100, 15};
    cr_assert_float_eq(lr_at(&s, 0), 0.05f / 15, 1e-9, "warmup's first step");
    cr_assert_float_eq(lr_at(&s, 7), 0.05f * 8 / 15, 1e-9);
    cr_assert_eq(lr_at(&s, 14), 0.05f, "warmup's last step reaches the schedule");
    cr_assert_eq(lr_at(&s, 15), 0.05f);
    cr_assert_eq(lr_at(&s, 20), 0.025f);
    /* cosine after 20 warmup steps of 120 */
    cnn_schedule c = {CNN_SCHED_COSINE, 0.2f, 0, 0, 10, 120, 20};
    cr_assert_float_eq(lr_at(&c, 0), 0.01f, 1e-9);
    cr_assert_eq(lr_at(&c, 19), 0.2f);
    cr_assert_eq(lr_at(&c, 20), 0.2f);
    for (unsigned long long t = 0; t + 1 < 120; t++)
        cr_assert(t < 19 ? lr_at(&c, t) < lr_at(&c, t + 1) : lr_at(&c, t) >= lr_at(&c, t + 1),
                  "cosine with warmup is not up then down at step %llu", t);
}

/* --warmup may equal --epochs: the whole run ramps up to lr (not to the
 * rate at the end of an empty decay, 0). */
Test(schedule, warmup_of_the_whole_run_reaches_lr)
{
    for (int kind = CNN_SCHED_COSINE; kind <= CNN_SCHED_LINEAR; kind++) {
        cnn_schedule s = {kind, 0.1f, 0, 0, 10, 20, 20};
        cr_assert_float_eq(lr_at(&s, 0), 0.1f / 20, 1e-9, "kind %d: the first step", kind);
        cr_assert_eq(lr_at(&s, 19), 0.1f, "kind %d: the last step: %.9g", kind, lr_at(&s, 19));
    }
}

Test(schedule, cosine_midpoint_and_ends)
{
    cnn_schedule s = {CNN_SCHED_COSINE, 0.1f, 0, 0, 10, 100, 0};
    cr_assert_eq(lr_at(&s, 0), 0.1f);
    cr_assert_eq(lr_at(&s, 50), 0.05f, "midpoint: %.9g", lr_at(&s, 50));
    cr_assert_float_eq(lr_at(&s, 99), 0.05 * (1 + cos(CNN_PI * 0.99)), 1e-9);
    cr_assert_eq(lr_at(&s, 100), 0.0f);
    cr_assert_eq(lr_at(&s, 5000), 0.0f, "past the end: stays at 0");
    cnn_schedule w = {CNN_SCHED_COSINE, 0.1f, 0, 0, 10, 120, 20};
    cr_assert_eq(lr_at(&w, 70), 0.05f, "midpoint after warmup");
}

Test(schedule, linear_to_zero)
{
    cnn_schedule s = {CNN_SCHED_LINEAR, 0.1f, 0, 0, 10, 100, 0};
    cr_assert_eq(lr_at(&s, 0), 0.1f);
    cr_assert_float_eq(lr_at(&s, 25), 0.075f, 1e-9);
    cr_assert_float_eq(lr_at(&s, 99), 0.001f, 1e-9, "the last step: lr / T");
    cr_assert_eq(lr_at(&s, 100), 0.0f);
    cnn_schedule w = {CNN_SCHED_LINEAR, 0.1f, 0, 0, 10, 100, 20};
    cr_assert_float_eq(lr_at(&w, 99), 0.1f / 80, 1e-9, "the last step after warmup: lr / (T - W)");
}

/* PyTorch's OneCycleLR.get_lr (torch/optim/lr_scheduler.py) as written
 * there, two phases, cos annealing: the lr of step for max_lr over T steps. */
static double torch_onecycle(double max_lr, long long T, double pct_start, long long step)
{
    double initial = max_lr / 25.0, min_lr = initial / 1e4;
    double end_step[2] = {pct_start * (double)T - 1, (double)(T - 1)};
    double from[2] = {initial, max_lr}, to[2] = {max_lr, min_lr};
    double start_step = 0;
    for (int i = 0;; i++) {
        if ((double)step <= end_step[i] || i == 1) {
            double pct = ((double)step - start_step) / (end_step[i] - start_step);
            double cos_out = cos(CNN_PI * pct) + 1;
            return to[i] + (from[i] - to[i]) / 2.0 * cos_out;
        }
        start_step = end_step[i];
    }
}

Test(schedule, onecycle_is_pytorchs)
{
    /* 0.3 T whole or not, a peak below 0 (T = 3), the run lengths of MNIST
     * epochs at batch 50 and 128 */
    const long long totals[] = {100, 20, 7, 3, 2, 1200 * 3, 469 * 5, 1407};
    for (size_t k = 0; k < sizeof totals / sizeof totals[0]; k++) {
        long long T = totals[k];
        cnn_schedule s = {CNN_SCHED_ONECYCLE, 0.1f, 0, 0, 10, T, 0};
        for (long long t = 0; t < T; t++) {
            float want = (float)torch_onecycle(0.1f, T, 0.3, t);
            cr_assert_eq(lr_at(&s, (unsigned long long)t), want,
                         "T %lld, step %lld: %.9g, PyTorch's %.9g", T, t,
                         lr_at(&s, (unsigned long long)t), want);
        }
    }
    cnn_schedule s = {CNN_SCHED_ONECYCLE, 0.1f, 0, 0, 10, 100, 0};
    cr_assert_float_eq(lr_at(&s, 0), 0.1f / 25, 1e-10, "start: lr / 25");
    cr_assert_eq(lr_at(&s, 29), 0.1f, "peak at 0.3 T - 1 = 29");
    cr_assert_float_eq(lr_at(&s, 99), 0.1 / 25 / 1e4, 1e-12, "end: lr / 25 / 1e4");
    for (unsigned long long t = 0; t < 99; t++)
        cr_assert(t < 29 ? lr_at(&s, t) < lr_at(&s, t + 1) : lr_at(&s, t) > lr_at(&s, t + 1),
                  "onecycle is not up then down at step %llu", t);
    /* a warmup of W steps is PyTorch's pct_start W / T: the top at step W - 1 */
    cnn_schedule w = {CNN_SCHED_ONECYCLE, 0.1f, 0, 0, 10, 100, 10};
    cr_assert_eq(lr_at(&w, 9), 0.1f, "with a warmup the peak is at W - 1");
    cr_assert(lr_at(&w, 8) < 0.1f && lr_at(&w, 10) < 0.1f);
    for (long long t = 0; t < 100; t++)
        cr_assert_float_eq(lr_at(&w, (unsigned long long)t), torch_onecycle(0.1f, 100, 0.1, t),
                           1e-8, "warmup 10 of 100, step %lld", t);
}

/* train_schedule: warmup in epochs, rounded to whole steps; the helper the
 * log uses gives the op's value. */
Test(schedule, train_schedule_and_the_op_agree)
{
    run_config c;
    run_config_defaults(&c);
    c.lr_step = 0;
    c.epochs = 3;
    c.lr = 0.1f;
    c.lr_gamma = 0.5f;
    c.lr_schedule = CNN_SCHED_COSINE;
    c.warmup = 0.5f;
    cnn_schedule s = train_schedule(&c, 13);
    cr_assert_eq(s.warmup_steps, 7, "0.5 epochs of 13 steps: %lld", s.warmup_steps);
    cr_assert_eq(s.total_steps, 39);
    for (unsigned long long t = 0; t < 45; t++) {
        float got = -1;
        cpu_ops.set_lr(s, &t, &got);
        cr_assert_eq(got, train_lr_at_step(&c, 13, (long)t), "step %llu", t);
    }
}
