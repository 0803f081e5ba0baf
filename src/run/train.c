/* The training schedule: shuffle, gather, forward, backward, update, with
 * the loss and correct counts summed in backend memory and read back only at
 * a log line. */
#include "train.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rng.h"

void train_config_use_preset(train_config *c, const net_preset *p)
{
    c->epochs = p->epochs;
    c->batch = p->batch;
    c->lr = p->lr;
    c->lr_step = p->lr_step;
    c->lr_gamma = p->lr_gamma;
    c->momentum = p->momentum;
    c->weight_decay = p->weight_decay;
    c->init_std = p->init_std;
    c->optimizer = p->optimizer;
    c->lr_schedule = p->lr_schedule;
    c->warmup = p->warmup;
    c->augment = p->augment;
    c->beta1 = 0.9f;
    c->beta2 = 0.999f;
    c->eps = 1e-8f;
    c->decay_bias = 1;
}

cnn_optim train_optim(const train_config *c)
{
    cnn_optim o = {c->optimizer, c->momentum, c->beta1, c->beta2, c->eps, c->weight_decay};
    return o;
}

cnn_schedule train_schedule(const train_config *c, long steps_per_epoch)
{
    cnn_schedule s = {c->lr_schedule, c->lr, c->lr_gamma, c->lr_step, steps_per_epoch,
                      (long long)c->epochs * steps_per_epoch,
                      llround((double)c->warmup * (double)steps_per_epoch)};
    return s;
}

float train_lr_at_step(const train_config *cfg, long steps_per_epoch, long step)
{
    cnn_schedule s = train_schedule(cfg, steps_per_epoch);
    return cnn_schedule_lr(&s, (unsigned long long)step);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int input_normalization_known(const char *mode)
{
    return !strcmp(mode, "std") || !strcmp(mode, "unit") || !strcmp(mode, "center");
}

int input_normalization(const char *mode, const dataset *d, float *scale, float *shift)
{
    if (!strcmp(mode, "unit") || !strcmp(mode, "center")) {
        *scale = 1.0f / 255.0f;
        *shift = !strcmp(mode, "unit") ? 0.0f : -128.0f / 255.0f;
        return 0;
    }
    if (strcmp(mode, "std")) return -1;
    double sum = 0.0, sq = 0.0;
    size_t n = (size_t)d->count * d->rows * d->cols;
    for (size_t i = 0; i < n; i++) {
        sum += d->images[i];
        sq += (double)d->images[i] * d->images[i];
    }
    double mean = n ? sum / n : 0.0, var = n ? sq / n - mean * mean : 0.0;
    double sd = var > 1e-12 ? sqrt(var) : 1.0;
    *scale = (float)(1.0 / sd);
    *shift = (float)(-mean / sd);
    return 0;
}

/* An index list 0..count-1 in backend memory, optionally shuffled. */
static int *upload_index(const cnn_ops *ops, int *host, int count, int *dev, rng *shuffle)
{
    for (int i = 0; i < count; i++) host[i] = i;
    if (shuffle) rng_shuffle(shuffle, host, count);
    ops->upload(dev, host, sizeof(int) * count);
    return dev;
}

void device_dataset_upload(const cnn_ops *ops, const dataset *d, int limit, float scale,
                           float shift, device_dataset *out)
{
    out->ops = ops;
    out->scale = scale;
    out->shift = shift;
    out->count = limit > 0 && limit < d->count ? limit : d->count;
    out->h = d->rows;
    out->w = d->cols;
    out->dim = d->rows * d->cols;
    size_t bytes = (size_t)out->count * out->dim;
    out->images = ops->alloc(bytes, "data set images");
    out->labels = ops->alloc(out->count, "data set labels");
    ops->upload(out->images, d->images, bytes);
    ops->upload(out->labels, d->labels, out->count);
    int *order = malloc(sizeof(int) * (out->count ? out->count : 1));
    if (!order) {
        fprintf(stderr, "cnn: out of memory\n");
        exit(1);
    }
    out->in_order = ops->alloc(sizeof(int) * (out->count ? out->count : 1), "data set order");
    upload_index(ops, order, out->count, out->in_order, NULL);
    free(order);
}

void device_dataset_free(device_dataset *d)
{
    if (d->images) d->ops->free(d->images);
    if (d->labels) d->ops->free(d->labels);
    if (d->in_order) d->ops->free(d->in_order);
    memset(d, 0, sizeof *d);
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
    nt->ops->gather(d->images, d->labels, index, nt->cursor, n, d->dim, d->scale, d->shift,
                    nt->act[0], nt->labels);
    nt->ops->advance(nt->cursor, n);
}

/* The next n training samples, augmented when the run asks for it (each
 * sample's draw keyed by the seed and the global step in backend memory, so
 * a captured step draws anew every replay). Evaluation never augments. */
static void gather_train_batch(net *nt, const train_config *cfg, const device_dataset *d,
                               const int *index, int n)
{
    if (cnn_augment_none(cfg->augment)) {
        gather_batch(nt, d, index, n);
        return;
    }
    nt->ops->gather_aug(d->images, d->labels, index, nt->cursor, n, d->h, d->w, d->scale,
                        d->shift, cfg->augment, nt->seed, nt->step, nt->act[0], nt->labels);
    nt->ops->advance(nt->cursor, n);
}

/* One training step on the next n samples, at the rate schedule s gives
 * this step (computed in backend memory, so a captured step serves all). */
static void train_step(net *nt, const train_config *cfg, cnn_schedule s,
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

static void release(const cnn_ops *ops, int *index, int *host_index, void *graph)
{
    if (graph) ops->graph_free(graph);
    ops->free(index);
    free(host_index);
}

/* Whether f has failed a write (a stream's error stays set); 0 or errno. */
static int write_failed(FILE *f, int flush_rc)
{
    if (!f || (flush_rc == 0 && !ferror(f))) return 0;
    return errno ? errno : EIO;
}

/* Fills in where the loss stopped being finite. */
static void nonfinite(train_result *res, double loss, long step, long last_good, int epoch)
{
    res->nonfinite_step = step;
    res->finite_step = last_good;
    res->nonfinite_nan = isnan(loss) != 0;
    res->nonfinite_epoch = epoch;
}

/* The CSV row of an evaluation (kind "test" or "val"). */
static void eval_row(FILE *csv, const char *kind, int epoch, long step, double loss, double acc,
                     float lr, double seconds)
{
    fprintf(csv, "%s,%d,%ld,%.6f,%.4f,%.6g,%.3f\n", kind, epoch, step, loss, acc, lr, seconds);
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
 * began (since run_start where cfg->process_start is unset). */
static int target_reached(const train_config *cfg, train_result *res, int epoch,
                          double run_start)
{
    if (!(cfg->target_acc > 0) || res->target_epoch > 0 || res->test_acc < cfg->target_acc)
        return 0;
    double since = cfg->process_start > 0 ? cfg->process_start : run_start;
    res->target_epoch = epoch;
    res->time_to_target_s = now_seconds() - since;
    return 1;
}

/* The epoch's line (and the target's, when reached). */
static void print_epoch_line(FILE *out, const train_config *cfg, const train_result *res,
                             int epoch, int reached)
{
    fprintf(out, "epoch %3d  train loss %.4f acc %6.2f%%  test loss %.4f acc %6.2f%%  ", epoch,
            res->train_loss, res->train_acc, res->test_loss, res->test_acc);
    if (cfg->val)
        fprintf(out, "val loss %.4f acc %6.2f%%%s  ", res->val_loss, res->val_acc,
                res->best_val_epoch == epoch ? " (best)" : "");
    fprintf(out, "%.2f s/epoch\n", res->train_seconds / (epoch - cfg->start_epoch));
    if (reached)
        fprintf(out, "target %g%% reached after epoch %d, %.1f s since start\n",
                cfg->target_acc, epoch, res->time_to_target_s);
}

int train_run(net *nt, const train_config *cfg, const device_dataset *train,
              const device_dataset *test, FILE *out, FILE *csv, train_result *res)
{
    const cnn_ops *ops = nt->ops;
    int steps = (train->count + cfg->batch - 1) / cfg->batch;
    cnn_schedule sched = train_schedule(cfg, steps);
    int *host_index = malloc(sizeof(int) * train->count);
    int *index = ops->alloc(sizeof(int) * train->count, "shuffle index");
    rng shuffle = {cfg->resume ? cfg->shuffle_state : cfg->seed ^ 0x5eedf00dull};
    FILE *tty = !cfg->quiet && isatty(fileno(stderr)) ? stderr : NULL;
    void *graph = NULL;
    int eager_steps = 0;
    double start = now_seconds();
    long global_step = cfg->start_step;
    long last_good = global_step; /* the last read-back that was finite */
    /* a checkpoint written in the middle of an epoch: that epoch's order is
     * regenerated from the state at its start, and the steps done skipped */
    int first_step = 0;
    if (cfg->resume) {
        long within = cfg->start_step - (long)cfg->start_epoch * steps;
        if (within > 0 && within < steps) first_step = (int)within;
    }
    memset(res, 0, sizeof *res);
    res->epochs_done = cfg->start_epoch;
    res->steps_done = global_step;
    res->shuffle_state = shuffle.state;
    res->best_val_acc = cfg->prior_best_val_acc;
    res->best_val_epoch = cfg->prior_best_val_epoch;
    read_stats(nt, (double[STAT_COUNT]){0});
    net_set_keys(nt, cfg->seed, (unsigned long long)global_step);

    for (int epoch = cfg->start_epoch; epoch < cfg->epochs; epoch++) {
        float lr = 0; /* the rate of the last step done, for the log */
        double epoch_start = now_seconds();
        tally epoch_tally, print_tally, csv_tally;
        tally_reset(&epoch_tally, epoch_start);
        tally_reset(&print_tally, epoch_start);
        tally_reset(&csv_tally, epoch_start);
        int pending = 0, epoch_samples = 0;
        uint64_t epoch_state = shuffle.state; /* what a resume regenerates this order from */
        int skip = epoch == cfg->start_epoch ? first_step : 0;
        upload_index(ops, host_index, train->count, index, &shuffle);
        if (skip) {
            int at = skip * cfg->batch;
            ops->upload(nt->cursor, &at, sizeof at);
        } else {
            ops->zero(nt->cursor, sizeof(int));
        }

        for (int step = skip; step < steps; step++) {
            int n = train->count - step * cfg->batch;
            if (n > cfg->batch) n = cfg->batch;
            if (n == cfg->batch && ops->capture_begin && cfg->graph && eager_steps > 0) {
                /* every full step is the same work: record it once, replay it
                 * (after one eager step has loaded every kernel and library) */
                if (!graph) {
                    ops->capture_begin();
                    train_step(nt, cfg, sched, train, index, n);
                    graph = ops->capture_end();
                }
                ops->replay(graph);
            } else {
                train_step(nt, cfg, sched, train, index, n);
                eager_steps++;
            }
            lr = cnn_schedule_lr(&sched, (unsigned long long)global_step);
            global_step++;
            if (cfg->test_sigint_at_step > 0 && global_step == cfg->test_sigint_at_step)
                raise(SIGINT); /* test hook: an interrupt at an exact step */

            pending += n;
            epoch_samples += n;

            int last = step == steps - 1;
            /* at an epoch's last step the epoch is finished first */
            int stopping = cfg->stop && *cfg->stop && !last;
            int print_now = cfg->log_every > 0 &&
                            (global_step % cfg->log_every == 0 || last || stopping);
            int csv_now = csv && cfg->csv_every > 0 &&
                          (global_step % cfg->csv_every == 0 || last || stopping);
            if (print_now || csv_now || stopping) {
                double got[STAT_COUNT] = {0};
                read_stats(nt, got);
                tally_add(&epoch_tally, got, 0);
                tally_add(&print_tally, got, pending);
                tally_add(&csv_tally, got, pending);
                pending = 0;
                double now = now_seconds();
                if (!isfinite(got[STAT_LOSS])) {
                    if (tty) fputs("\r\033[K", tty);
                    nonfinite(res, got[STAT_LOSS], global_step, last_good, epoch + 1);
                    if (csv) fflush(csv);
                    release(ops, index, host_index, graph);
                    return -1;
                }
                last_good = global_step;
                if (csv_now) {
                    fprintf(csv, "train,%d,%ld,%.6f,%.4f,%.6g,%.3f\n", epoch + 1, global_step,
                            tally_loss(&csv_tally), tally_acc(&csv_tally), lr, now - start);
                    /* a live log (tail -f), and whole rows if killed */
                    if ((res->csv_errno = write_failed(csv, fflush(csv)))) {
                        res->steps_done = global_step;
                        release(ops, index, host_index, graph);
                        return -1;
                    }
                    tally_reset(&csv_tally, now);
                }
                if (print_now && !cfg->quiet) {
                    if (tty) fputs("\r\033[K", tty);
                    fprintf(out, "epoch %3d  step %7ld  loss %.4f  acc %6.2f%%  lr %.5g  "
                                 "%6.0f img/s\n", epoch + 1, global_step,
                            tally_loss(&print_tally), tally_acc(&print_tally), lr,
                            print_tally.samples / (now - print_tally.since));
                    if (!res->out_errno) res->out_errno = write_failed(out, fflush(out));
                }
                if (print_now) tally_reset(&print_tally, now);
            } else if (tty && step % 20 == 0) {
                progress_bar(tty, epoch + 1, step, steps);
            }
            if (res->out_errno && !last) stopping = 1; /* stdout closed: as a signal */
            if (stopping) {
                ops->sync();
                res->train_seconds += now_seconds() - epoch_start;
                if (tty) fputs("\r\033[K", tty);
                if (csv) fflush(csv);
                res->interrupted = 1;
                res->epochs_done = epoch;
                res->steps_done = global_step;
                res->shuffle_state = epoch_state;
                res->epoch_step = step + 1;
                release(ops, index, host_index, graph);
                return 1;
            }
        }
        double rest[STAT_COUNT] = {0};
        read_stats(nt, rest); /* what no log line read */
        tally_add(&epoch_tally, rest, 0);
        ops->sync();
        res->train_seconds += now_seconds() - epoch_start;
        if (tty) fputs("\r\033[K", tty);

        epoch_tally.samples = epoch_samples;
        res->train_loss = tally_loss(&epoch_tally);
        res->train_acc = tally_acc(&epoch_tally);
        if (!isfinite(res->train_loss)) {
            nonfinite(res, res->train_loss, global_step, last_good, epoch + 1);
            if (csv) fflush(csv);
            release(ops, index, host_index, graph);
            return -1;
        }
        last_good = global_step;
        evaluate(nt, test, &res->test_loss, &res->test_acc, NULL);
        int reached = target_reached(cfg, res, epoch + 1, start);
        int best = cfg->val && evaluate_val(nt, cfg->val, res, epoch + 1);
        res->epochs_done = epoch + 1;
        res->steps_done = global_step;
        res->shuffle_state = shuffle.state;
        if (csv) {
            eval_row(csv, "test", epoch + 1, global_step, res->test_loss, res->test_acc, lr,
                     now_seconds() - start);
            if (cfg->val)
                eval_row(csv, "val", epoch + 1, global_step, res->val_loss, res->val_acc, lr,
                         now_seconds() - start);
            if ((res->csv_errno = write_failed(csv, fflush(csv)))) {
                res->steps_done = global_step;
                release(ops, index, host_index, graph);
                return -1;
            }
        }
        print_epoch_line(out, cfg, res, epoch + 1, reached);
        if (!res->out_errno) res->out_errno = write_failed(out, fflush(out));
        if ((cfg->on_epoch &&
             cfg->on_epoch(cfg->on_epoch_ctx, epoch + 1, global_step, shuffle.state)) ||
            (best && cfg->on_best_val &&
             cfg->on_best_val(cfg->on_epoch_ctx, epoch + 1, global_step, shuffle.state))) {
            release(ops, index, host_index, graph);
            return -1;
        }
        if (reached) break; /* a normal finish: the caller saves as at the end */
        if (((cfg->stop && *cfg->stop) || res->out_errno) && epoch + 1 < cfg->epochs) {
            res->interrupted = 1; /* between epochs: epochs_done and the rest are set */
            release(ops, index, host_index, graph);
            return 1;
        }
    }
    release(ops, index, host_index, graph);
    return 0;
}
