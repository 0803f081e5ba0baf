/* The training schedule and evaluation, on whichever backend was chosen. */
#ifndef CNN_TRAIN_H
#define CNN_TRAIN_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "dataset.h"
#include "device_data.h"
#include "hd/augment.h"
#include "net.h"
#include "settings.h"

/* What train_run is given besides the settings: where a resumed run
 * starts, the held-out set, when to stop, and what to call. All zero (or a
 * NULL plan): a new run from the seed, with nothing held out and nothing to
 * call. */
typedef struct {
    /* Resuming (resume set): the first epoch to run (0-based), the steps
     * already done and the shuffle generator's state then. Otherwise the
     * shuffle starts from the seed. */
    int resume;
    int start_epoch;
    long start_step;
    uint64_t shuffle_state;
    const struct device_dataset *val; /* --val's samples, evaluated each epoch */
    double prior_best_val_acc; /* a resume: the best epoch's before it (1-based; 0: none), */
    int prior_best_val_epoch;  /* which a later epoch must beat (best_prior.h) */
    double process_start;   /* monotonic_seconds() at the process's start (clock.h),
                             * for time_to_target; 0: train_run's own start */
    /* Stopping early (may be NULL): checked on the host after every step, so
     * it costs no device sync. When it is set (by a SIGINT handler) training
     * stops after the current step, or, at an epoch's last step, after that
     * epoch's evaluation and on_epoch, and train_run returns 1. */
    volatile sig_atomic_t *stop;
    /* Called after every step with the global steps done (may be NULL). */
    void (*on_step)(void *ctx, long steps_done);
    void *on_step_ctx;
    /* Called after every epoch (may be NULL), e.g. to write a checkpoint;
     * a non-zero return stops training with an error. */
    int (*on_epoch)(void *ctx, int epochs_done, long steps_done, uint64_t shuffle_state);
    void *on_epoch_ctx;
    /* Called (with on_epoch_ctx) after on_epoch when val's accuracy is
     * higher than every earlier epoch's of this run (may be NULL): --save-best.
     * A non-zero return stops training with an error, as on_epoch's does. */
    int (*on_best_val)(void *ctx, int epochs_done, long steps_done, uint64_t shuffle_state);
} train_plan;

/* The run's optimizer, and its lr schedule for epochs of steps_per_epoch
 * steps (warmup rounded to whole steps). */
cnn_optim train_optim(const run_config *c);
cnn_schedule train_schedule(const run_config *c, long steps_per_epoch);

/* What a run measured. */
typedef struct {
    double train_loss, train_acc;   /* last epoch, mean over its samples */
    double test_loss, test_acc;     /* after the last epoch; acc in percent */
    double train_seconds;           /* training steps only, evaluation excluded */
    double val_loss, val_acc;       /* after the last epoch (plan->val) */
    double best_val_acc;            /* the best epoch's, and which (1-based; 0: none) */
    int best_val_epoch;
    int target_epoch;               /* cfg->target_acc reached after this epoch (0: not) */
    double time_to_target_s;        /* process start to that evaluation's end */
    int epochs_done;
    long steps_done;
    uint64_t shuffle_state;         /* to resume from */
    /* Stopped by plan->stop: epochs_done is the epoch it was in (0-based),
     * steps_done the global steps, shuffle_state the generator's state at
     * that epoch's start and epoch_step the steps done in it (0 when it
     * stopped between epochs). A checkpoint of this resumes exactly: the
     * resume regenerates the epoch's order and skips epoch_step steps. */
    int interrupted;
    int epoch_step;
    /* A loss stopped being finite (train_run returned -1). nonfinite_eval
     * NULL: the training loss, NaN (else infinite) at the read-back after
     * global step nonfinite_step (> 0) and finite at the one after
     * finite_step (the start when none). Else the loss of that evaluation
     * ("test", "validation") of the weights after step nonfinite_step. */
    long nonfinite_step, finite_step;
    int nonfinite_nan;
    int nonfinite_epoch;            /* 1-based */
    const char *nonfinite_eval;
    /* The global step whose weights last evaluated to finite losses (-1:
     * none yet): the only weights a checkpoint may hold (saver.h). Every
     * epoch's end evaluates them, and so does a stop inside an epoch. */
    long verified_step;
    /* Writing out failed (errno; a closed pipe is EPIPE): the run stopped as
     * plan->stop stops it (returned 1, interrupted set). */
    int out_errno;
    /* Writing the CSV log failed (errno): the run stopped as plan->stop
     * stops it (returned 1, interrupted set; no more rows written), or
     * finished when it failed in the last epoch (returned 0), so that its
     * checkpoint is still written. */
    int csv_errno;
} train_result;

/* The learning rate of (zero-based) global step `step` in a run of
 * steps_per_epoch steps an epoch: cnn_schedule_lr of train_schedule (the
 * very value the backend computes for that step). */
float train_lr_at_step(const run_config *cfg, long steps_per_epoch, long step);

/* Mean loss and accuracy (percent) of the net on a whole data set, in
 * passes of nt->eval_batch samples (nt->batch where that is out of range);
 * where confusion is not NULL it gets the classes x classes counts (row:
 * label, column: prediction), which costs a read-back per pass. */
void evaluate(net *nt, const device_dataset *d, double *loss, double *acc, long *confusion);

/* Trains nt on train, evaluating on test after every epoch; writes the
 * per-interval and per-epoch rows to csv (may be NULL) and human-readable
 * lines to out. A resume (plan->resume) whose start_step lies inside epoch
 * start_epoch (steps per epoch: ceil(count / batch)) regenerates that
 * epoch's order from shuffle_state and skips the steps already done.
 * Every evaluation after an update is checked for a loss that is not
 * finite, and on_epoch, on_best_val and a stop come only after one found
 * the weights finite (res->verified_step).
 * Returns 0 when all epochs are done, 1 when plan->stop stopped it or out
 * or csv could not be written (res->out_errno, res->csv_errno), -1 when a
 * loss stopped being finite (res->nonfinite_step > 0; nothing is printed:
 * the caller says so) or on_epoch failed. */
int train_run(net *nt, const run_config *cfg, const train_plan *plan,
              const device_dataset *train, const device_dataset *test, FILE *out, FILE *csv,
              train_result *res);

#endif
