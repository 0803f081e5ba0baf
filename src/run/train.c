/* The training schedule: shuffle, gather, forward, backward, update, with
 * the loss and correct counts summed in backend memory and read back only at
 * a log line. */
#include "train.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "rng.h"

cnn_optim train_optim(const run_config *c)
{
    cnn_optim o = {c->optimizer, c->momentum, c->beta1, c->beta2, c->eps, c->weight_decay};
    return o;
}

cnn_schedule train_schedule(const run_config *c, long steps_per_epoch)
{
    cnn_schedule s = {c->lr_schedule, c->lr, c->lr_gamma, c->lr_step, steps_per_epoch,
                      (long long)c->epochs * steps_per_epoch,
                      llround((double)c->warmup * (double)steps_per_epoch)};
    return s;
}

float train_lr_at_step(const run_config *cfg, long steps_per_epoch, long step)
{
    cnn_schedule s = train_schedule(cfg, steps_per_epoch);
    return cnn_schedule_lr(&s, (unsigned long long)step);
}

/* An index list 0..count-1 in backend memory, optionally shuffled. */
static int *upload_index(const cnn_ops *ops, int *host, int count, int *dev, rng *shuffle)
{
    for (int i = 0; i < count; i++) host[i] = i;
    if (shuffle) rng_shuffle(shuffle, host, count);
    ops->upload(dev, host, sizeof(int) * count);
    return dev;
}

static void read_stats(net *nt, double *sums)
{
    double s[STAT_COUNT];
    nt->ops->download(s, nt->stats, sizeof s);
    nt->ops->zero(nt->stats, sizeof s);
    for (int i = 0; i < STAT_COUNT; i++) sums[i] += s[i];
}

/* The next n samples of index into the net's input. */
static void gather_batch(net *nt, const device_dataset *d, const int *index, int n)
{
    nt->ops->gather(d->images, d->labels, index, nt->cursor, n, d->channels, d->h * d->w,
                    d->norm_dev, nt->act[0], nt->labels);
    nt->ops->advance(nt->cursor, n);
}

/* The next n training samples, augmented when the run asks for it (each
 * sample's draw keyed by the seed and the global step in backend memory, so
 * a captured step draws anew every replay). Evaluation never augments. */
static void gather_train_batch(net *nt, const run_config *cfg, const device_dataset *d,
                               const int *index, int n)
{
    if (cnn_augment_none(cfg->augment)) {
        gather_batch(nt, d, index, n);
        return;
    }
    nt->ops->gather_aug(d->images, d->labels, index, nt->cursor, n, d->channels, d->h, d->w,
                        d->norm_dev, cfg->augment, nt->seed, nt->step, nt->act[0], nt->labels);
    nt->ops->advance(nt->cursor, n);
}

/* One training step on the next n samples, at the rate schedule s gives
 * this step (computed in backend memory, so a captured step serves all). */
static void train_step(net *nt, const run_config *cfg, cnn_schedule s,
                       const device_dataset *d, const int *index, int n)
{
    gather_train_batch(nt, cfg, d, index, n);
    net_forward(nt, n);
    net_backward(nt, n);
    net_schedule_lr(nt, s);
    net_update(nt, train_optim(cfg), cfg->decay_bias);
    net_count_step(nt);
}

void evaluate(net *nt, const device_dataset *d, double *loss, double *acc, long *confusion)
{
    const cnn_ops *ops = nt->ops;
    double sums[STAT_COUNT] = {0};
    int per_pass = nt->eval_batch >= 1 && nt->eval_batch <= nt->batch ? nt->eval_batch
                                                                       : nt->batch;
    int *pred = confusion ? malloc(sizeof(int) * per_pass) : NULL;
    int *label = confusion ? malloc(sizeof(int) * per_pass) : NULL;
    read_stats(nt, (double[STAT_COUNT]){0}); /* start from zero sums */
    ops->zero(nt->cursor, sizeof(int));
    int training = nt->training;
    net_set_training(nt, 0); /* running statistics, no dropout */
    for (int start = 0; start < d->count; start += per_pass) {
        int n = d->count - start < per_pass ? d->count - start : per_pass;
        gather_batch(nt, d, d->in_order, n);
        net_forward(nt, n);
        if (confusion) {
            ops->download(pred, nt->pred, sizeof(int) * n);
            ops->download(label, nt->labels, sizeof(int) * n);
            for (int i = 0; i < n; i++) confusion[label[i] * nt->spec.classes + pred[i]]++;
        }
    }
    net_set_training(nt, training);
    read_stats(nt, sums);
    *loss = sums[STAT_LOSS] / d->count;
    *acc = 100.0 * sums[STAT_CORRECT] / d->count;
    free(pred);
    free(label);
}

static void progress_bar(FILE *tty, int epoch, int step, int steps)
{
    int width = 30, done = (int)((long)width * step / steps);
    fprintf(tty, "\r  epoch %d [", epoch);
    for (int i = 0; i < width; i++) fputc(i < done ? '=' : (i == done ? '>' : ' '), tty);
    fprintf(tty, "] %3d%%", (int)(100L * step / steps));
    fflush(tty);
}

/* Loss and correct sums over some samples since a time. */
typedef struct {
    double sums[STAT_COUNT];
    long samples;
    double since;
} tally;

static void tally_reset(tally *t, double now)
{
    memset(t, 0, sizeof *t);
    t->since = now;
}

static void tally_add(tally *t, const double *sums, int samples)
{
    for (int i = 0; i < STAT_COUNT; i++) t->sums[i] += sums[i];
    t->samples += samples;
}

static double tally_loss(const tally *t) { return t->samples ? t->sums[STAT_LOSS] / t->samples : 0; }
static double tally_acc(const tally *t)
{
    return t->samples ? 100.0 * t->sums[STAT_CORRECT] / t->samples : 0;
}


/* Evaluates the held-out set after (1-based) epoch; whether it is the best
 * epoch yet (higher accuracy than every earlier one of this run). */
static int evaluate_val(net *nt, const device_dataset *val, train_result *res, int epoch)
{
    evaluate(nt, val, &res->val_loss, &res->val_acc, NULL);
    if (res->best_val_epoch > 0 && !(res->val_acc > res->best_val_acc)) return 0;
    res->best_val_acc = res->val_acc;
    res->best_val_epoch = epoch;
    return 1;
}

/* Whether the test accuracy just measured reaches cfg->target_acc (the
 * first time): then it records the epoch and the seconds since the process
 * began (since run_start where plan->process_start is unset). */
static int target_reached(const run_config *cfg, const train_plan *plan, train_result *res,
                          int epoch, double run_start)
{
    if (!(cfg->target_acc > 0) || res->target_epoch > 0 || res->test_acc < cfg->target_acc)
        return 0;
    double since = plan->process_start > 0 ? plan->process_start : run_start;
    res->target_epoch = epoch;
    res->time_to_target_s = monotonic_seconds() - since;
    return 1;
}

/* The epoch's line (and the target's, when reached). */
static void print_epoch_line(FILE *out, const run_config *cfg, const train_plan *plan,
                             const train_result *res, int epoch, int reached)
{
    fprintf(out, "epoch %3d  train loss %.4f acc %6.2f%%  test loss %.4f acc %6.2f%%  ", epoch,
            res->train_loss, res->train_acc, res->test_loss, res->test_acc);
    if (plan->val)
        fprintf(out, "val loss %.4f acc %6.2f%%%s  ", res->val_loss, res->val_acc,
                res->best_val_epoch == epoch ? " (best)" : "");
    fprintf(out, "%.2f s/epoch\n", res->train_seconds / (epoch - plan->start_epoch));
    if (reached)
        fprintf(out, "target %g%% reached after epoch %d, %.1f s since start\n",
                cfg->target_acc, epoch, res->time_to_target_s);
}

/* Whether f has failed a write (a stream's error stays set); 0 or errno. */
static int write_failed(FILE *f, int flush_rc)
{
    if (!f || (flush_rc == 0 && !ferror(f))) return 0;
    return errno ? errno : EIO;
}

/* The CSV row of an evaluation (kind "test" or "val"). */
static void eval_row(FILE *csv, const char *kind, int epoch, long step, double loss, double acc,
                     float lr, double seconds)
{
    fprintf(csv, "%s,%d,%ld,%.6f,%.4f,%.6g,%.3f\n", kind, epoch, step, loss, acc, lr, seconds);
}

/* A run in progress: what train_run was given and where it is. */
typedef struct {
    net *nt;
    const run_config *cfg;
    const train_plan *plan;
    const device_dataset *train, *test;
    FILE *out, *csv, *tty;  /* tty: the progress bar's terminal (NULL: none) */
    train_result *res;
    cnn_schedule sched;
    int steps;              /* per epoch */
    int *host_index, *index;
    rng shuffle;
    void *graph;            /* the captured step, once there is one */
    int eager_steps;
    double start;
    long global_step, last_good; /* last_good: the last read-back that was finite */
} trainer;

/* The epoch in progress: its tallies and where a resume regenerates it from. */
typedef struct {
    int epoch;              /* 0-based */
    double start;
    tally whole, print, csv;
    int pending, samples;   /* samples since the last read-back, and in all */
    uint64_t state;         /* the shuffle state at its start */
    float lr;               /* the rate of the last step done, for the log */
} epoch_run;

/* What ends a run early. */
enum { GO_ON = 0, STOPPED = 1, FAILED = -1, TARGET_REACHED = 2 };

/* Fills in where a loss stopped being finite (which: NULL for the
 * training loss's sums, else the evaluation's set, "test" or "validation");
 * FAILED. */
static int nonfinite(trainer *t, double loss, int epoch, const char *which)
{
    if (t->tty) fputs("\r\033[K", t->tty);
    t->res->nonfinite_eval = which;
    t->res->nonfinite_step = t->global_step;
    t->res->finite_step = t->last_good;
    t->res->nonfinite_nan = isnan(loss) != 0;
    t->res->nonfinite_epoch = epoch;
    if (t->csv) fflush(t->csv);
    return FAILED;
}

/* Notes a failed write of the CSV log (csv_errno, kept from the first):
 * the run then stops as a signal stops it, so that its checkpoint is still
 * written (epoch_step, epoch_end), and writes no more rows. */
static void csv_check(trainer *t)
{
    if (!t->res->csv_errno) t->res->csv_errno = write_failed(t->csv, fflush(t->csv));
}

/* The test set's loss and accuracy of the weights as they are now (after
 * global_step's update): FAILED when the loss is not finite. */
static int evaluate_test(trainer *t, int epoch, double *loss, double *acc)
{
    evaluate(t->nt, t->test, loss, acc, NULL);
    return isfinite(*loss) ? GO_ON : nonfinite(t, *loss, epoch, "test");
}

/* evaluate_test for a stop's checkpoint: GO_ON makes the weights ones a
 * checkpoint may hold (res->verified_step). */
static int check_weights(trainer *t, int epoch)
{
    double loss, acc;
    if (evaluate_test(t, epoch, &loss, &acc)) return FAILED;
    t->res->verified_step = t->global_step;
    return GO_ON;
}

/* One step on the next n samples: a replay of the captured step where it
 * can be, else the ops launched one by one. */
static void run_step(trainer *t, int n)
{
    const cnn_ops *ops = t->nt->ops;
    if (n == t->cfg->batch && ops->capture_begin && t->cfg->graph && t->eager_steps > 0) {
        /* every full step is the same work: record it once, replay it
         * (after one eager step has loaded every kernel and library) */
        if (!t->graph) {
            ops->capture_begin();
            train_step(t->nt, t->cfg, t->sched, t->train, t->index, n);
            t->graph = ops->capture_end();
        }
        ops->replay(t->graph);
    } else {
        train_step(t->nt, t->cfg, t->sched, t->train, t->index, n);
        t->eager_steps++;
    }
}

/* The read-back at a log line (or a stop): the sums into the tallies, the
 * CSV row and the printed line that are due. */
static int read_back(trainer *t, epoch_run *e, int print_now, int csv_now)
{
    double got[STAT_COUNT] = {0};
    read_stats(t->nt, got);
    tally_add(&e->whole, got, 0);
    tally_add(&e->print, got, e->pending);
    tally_add(&e->csv, got, e->pending);
    e->pending = 0;
    double now = monotonic_seconds();
    if (!isfinite(got[STAT_LOSS])) return nonfinite(t, got[STAT_LOSS], e->epoch + 1, NULL);
    t->last_good = t->global_step;
    if (csv_now) {
        fprintf(t->csv, "train,%d,%ld,%.6f,%.4f,%.6g,%.3f\n", e->epoch + 1, t->global_step,
                tally_loss(&e->csv), tally_acc(&e->csv), e->lr, now - t->start);
        csv_check(t); /* a live log (tail -f), and whole rows if killed */
        tally_reset(&e->csv, now);
    }
    if (print_now && !t->cfg->quiet) {
        if (t->tty) fputs("\r\033[K", t->tty);
        fprintf(t->out, "epoch %3d  step %7ld  loss %.4f  acc %6.2f%%  lr %.5g  %6.0f img/s\n",
                e->epoch + 1, t->global_step, tally_loss(&e->print), tally_acc(&e->print), e->lr,
                e->print.samples / (now - e->print.since));
        if (!t->res->out_errno) t->res->out_errno = write_failed(t->out, fflush(t->out));
    }
    if (print_now) tally_reset(&e->print, now);
    return GO_ON;
}

/* A stop inside an epoch (a signal, or stdout closed): the result says
 * where, so that a checkpoint of it resumes exactly. */
static int stop_in_epoch(trainer *t, const epoch_run *e, int step)
{
    t->nt->ops->sync();
    t->res->train_seconds += monotonic_seconds() - e->start;
    if (t->tty) fputs("\r\033[K", t->tty);
    if (t->csv) fflush(t->csv);
    /* no evaluation has seen the weights the stop's checkpoint holds yet */
    if (check_weights(t, e->epoch + 1)) return FAILED;
    t->res->interrupted = 1;
    t->res->epochs_done = e->epoch;
    t->res->steps_done = t->global_step;
    t->res->shuffle_state = e->state;
    t->res->epoch_step = step + 1;
    return STOPPED;
}

/* Step `step` of the epoch, and what is due after it. */
static int epoch_step(trainer *t, epoch_run *e, int step)
{
    const run_config *cfg = t->cfg;
    const train_plan *plan = t->plan;
    int n = t->train->count - step * cfg->batch;
    if (n > cfg->batch) n = cfg->batch;
    run_step(t, n);
    e->lr = cnn_schedule_lr(&t->sched, (unsigned long long)t->global_step);
    t->global_step++;
    if (plan->on_step) plan->on_step(plan->on_step_ctx, t->global_step);
    e->pending += n;
    e->samples += n;
    int last = step == t->steps - 1;
    /* at an epoch's last step the epoch is finished first */
    int stopping = plan->stop && *plan->stop && !last;
    int print_now = cfg->log_every > 0 &&
                    (t->global_step % cfg->log_every == 0 || last || stopping);
    int csv_now = t->csv && !t->res->csv_errno && cfg->csv_every > 0 &&
                  (t->global_step % cfg->csv_every == 0 || last || stopping);
    if (print_now || csv_now || stopping) {
        if (read_back(t, e, print_now, csv_now)) return FAILED;
    } else if (t->tty && step % 20 == 0) {
        progress_bar(t->tty, e->epoch + 1, step, t->steps);
    }
    /* stdout closed or the log failed: as a signal */
    if ((t->res->out_errno || t->res->csv_errno) && !last) stopping = 1;
    return stopping ? stop_in_epoch(t, e, step) : GO_ON;
}

/* The epoch's training sums: what no log line read, then its loss and
 * accuracy; FAILED when the loss is not finite. */
static int epoch_train_sums(trainer *t, epoch_run *e)
{
    train_result *res = t->res;
    double rest[STAT_COUNT] = {0};
    read_stats(t->nt, rest);
    tally_add(&e->whole, rest, 0);
    t->nt->ops->sync();
    res->train_seconds += monotonic_seconds() - e->start;
    if (t->tty) fputs("\r\033[K", t->tty);
    e->whole.samples = e->samples;
    res->train_loss = tally_loss(&e->whole);
    res->train_acc = tally_acc(&e->whole);
    if (!isfinite(res->train_loss)) return nonfinite(t, res->train_loss, e->epoch + 1, NULL);
    t->last_good = t->global_step;
    return GO_ON;
}

/* The epoch's evaluations (the test set, --val's), each checked: FAILED
 * when a loss is not finite, else the weights are ones a checkpoint may
 * hold (res->verified_step). *reached: the target accuracy is reached;
 * *best: the best validation epoch yet. */
static int epoch_evaluations(trainer *t, int epoch, int *reached, int *best)
{
    const train_plan *plan = t->plan;
    train_result *res = t->res;
    if (evaluate_test(t, epoch, &res->test_loss, &res->test_acc)) return FAILED;
    *reached = target_reached(t->cfg, plan, res, epoch, t->start);
    *best = plan->val && evaluate_val(t->nt, plan->val, res, epoch);
    if (plan->val && !isfinite(res->val_loss))
        return nonfinite(t, res->val_loss, epoch, "validation");
    res->verified_step = t->global_step;
    return GO_ON;
}

/* The epoch's CSV rows and printed line. */
static void epoch_report(trainer *t, const epoch_run *e, int epoch, int reached)
{
    const train_plan *plan = t->plan;
    train_result *res = t->res;
    if (t->csv && !res->csv_errno) {
        double at = monotonic_seconds() - t->start;
        eval_row(t->csv, "test", epoch, t->global_step, res->test_loss, res->test_acc, e->lr, at);
        if (plan->val) eval_row(t->csv, "val", epoch, t->global_step, res->val_loss, res->val_acc,
                                e->lr, monotonic_seconds() - t->start);
        csv_check(t);
    }
    print_epoch_line(t->out, t->cfg, plan, res, epoch, reached);
    if (!res->out_errno) res->out_errno = write_failed(t->out, fflush(t->out));
}

/* The epoch's evaluations, rows, line and callbacks, once its steps are
 * done. */
static int epoch_end(trainer *t, epoch_run *e)
{
    const train_plan *plan = t->plan;
    train_result *res = t->res;
    int epoch = e->epoch + 1, reached = 0, best = 0;
    if (epoch_train_sums(t, e) || epoch_evaluations(t, epoch, &reached, &best)) return FAILED;
    res->epochs_done = epoch;
    res->steps_done = t->global_step;
    res->shuffle_state = t->shuffle.state;
    epoch_report(t, e, epoch, reached);
    if ((plan->on_epoch &&
         plan->on_epoch(plan->on_epoch_ctx, epoch, t->global_step, t->shuffle.state)) ||
        (best && plan->on_best_val &&
         plan->on_best_val(plan->on_epoch_ctx, epoch, t->global_step, t->shuffle.state)))
        return FAILED;
    if (reached) return TARGET_REACHED; /* a normal finish: the caller saves as at the end */
    int stop = (plan->stop && *plan->stop) || res->out_errno || res->csv_errno;
    if (stop && epoch < t->cfg->epochs) {
        res->interrupted = 1; /* between epochs: epochs_done and the rest are set */
        return STOPPED;
    }
    return GO_ON;
}

/* One epoch: its order, its steps (from `skip` on), its end. */
static int run_epoch(trainer *t, int epoch, int skip)
{
    const cnn_ops *ops = t->nt->ops;
    epoch_run e = {.epoch = epoch, .start = monotonic_seconds(), .state = t->shuffle.state};
    tally_reset(&e.whole, e.start);
    tally_reset(&e.print, e.start);
    tally_reset(&e.csv, e.start);
    upload_index(ops, t->host_index, t->train->count, t->index, &t->shuffle);
    if (skip) {
        int at = skip * t->cfg->batch;
        ops->upload(t->nt->cursor, &at, sizeof at);
    } else {
        ops->zero(t->nt->cursor, sizeof(int));
    }
    for (int step = skip; step < t->steps; step++) {
        int rc = epoch_step(t, &e, step);
        if (rc) return rc;
    }
    return epoch_end(t, &e);
}

/* The steps of epoch start_epoch a resume skips: those an interrupt in the
 * middle of it had done (its order is regenerated from the state at its
 * start). */
static int steps_to_skip(const train_plan *plan, int steps)
{
    if (!plan->resume) return 0;
    long within = plan->start_step - (long)plan->start_epoch * steps;
    return within > 0 && within < steps ? (int)within : 0;
}

int train_run(net *nt, const run_config *cfg, const train_plan *plan,
              const device_dataset *train, const device_dataset *test, FILE *out, FILE *csv,
              train_result *res)
{
    static const train_plan fresh; /* a new run from the seed, nothing to call */
    if (!plan) plan = &fresh;
    const cnn_ops *ops = nt->ops;
    trainer t = {.nt = nt, .cfg = cfg, .plan = plan, .train = train, .test = test, .out = out,
                 .csv = csv, .tty = !cfg->quiet && isatty(fileno(stderr)) ? stderr : NULL,
                 .res = res};
    t.steps = (train->count + cfg->batch - 1) / cfg->batch;
    t.sched = train_schedule(cfg, t.steps);
    t.host_index = malloc(sizeof(int) * (train->count ? train->count : 1));
    if (!t.host_index) {
        fprintf(stderr, "cnn: out of memory: the shuffle index of %d samples\n", train->count);
        exit(1);
    }
    t.index = ops->alloc(sizeof(int) * train->count, "shuffle index");
    t.shuffle.state = plan->resume ? plan->shuffle_state : cfg->seed ^ 0x5eedf00dull;
    t.start = monotonic_seconds();
    t.global_step = t.last_good = plan->resume ? plan->start_step : 0;
    int start_epoch = plan->resume ? plan->start_epoch : 0;
    memset(res, 0, sizeof *res);
    res->verified_step = -1; /* (the weights loaded are evaluated before they are saved) */
    res->epochs_done = start_epoch;
    res->steps_done = t.global_step;
    res->shuffle_state = t.shuffle.state;
    res->best_val_acc = plan->prior_best_val_acc;
    res->best_val_epoch = plan->prior_best_val_epoch;
    read_stats(nt, (double[STAT_COUNT]){0});
    net_set_keys(nt, cfg->seed, (unsigned long long)t.global_step);
    int rc = GO_ON, skip = steps_to_skip(plan, t.steps);
    for (int epoch = start_epoch; epoch < cfg->epochs && rc == GO_ON; epoch++)
        rc = run_epoch(&t, epoch, epoch == start_epoch ? skip : 0);
    if (t.graph) ops->graph_free(t.graph);
    ops->free(t.index);
    free(t.host_index);
    return rc == TARGET_REACHED ? 0 : rc;
}
