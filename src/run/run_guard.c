/* The safety net of a training run: see include/run_guard.h. */
#include "run_guard.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_write.h"
#include "text_out.h"

/* ---- SIGINT, SIGTERM, SIGHUP (Ctrl-C, kill, timeout, a scheduler, a
 * closed terminal): the first stops training after its current step
 * (train_run checks the count) and a checkpoint is written; a second one
 * ends the process at once, removing a half-written temporary and the lock
 * file first. ---- */

static const int STOP_SIGNALS[N_STOP_SIGNALS] = {SIGINT, SIGTERM, SIGHUP};
volatile sig_atomic_t stop_requests;
static volatile sig_atomic_t first_stop_signal;

static pthread_t main_thread; /* the thread that writes files */

/* A signal may land on any thread, an OpenMP worker too. It is handled on
 * the main thread only: there the handler runs between two of its steps, so
 * a second signal finds a file write either not begun or with its temporary
 * named, and the process ends before the main thread goes on. */
static void on_stop_signal(int sig)
{
    if (!pthread_equal(pthread_self(), main_thread)) {
        pthread_kill(main_thread, sig);
        return;
    }
    if (stop_requests++ == 0) {
        first_stop_signal = sig;
        return;
    }
    file_out_remove_on_signal();
    signal(sig, SIG_DFL);
    raise(sig); /* delivered when the handler returns: the process ends as killed by it */
}

int stop_signal_received(void)
{
    return first_stop_signal;
}

void catch_stop_signals(struct sigaction old[N_STOP_SIGNALS])
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    stop_requests = first_stop_signal = 0;
    main_thread = pthread_self();
    for (int i = 0; i < N_STOP_SIGNALS; i++) sigaction(STOP_SIGNALS[i], &sa, &old[i]);
}

void restore_stop_signals(const struct sigaction old[N_STOP_SIGNALS])
{
    for (int i = 0; i < N_STOP_SIGNALS; i++) sigaction(STOP_SIGNALS[i], &old[i], NULL);
}

const char *signal_name(int sig)
{
    return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" : "a signal";
}

/* Test hook: a file size limit far below a checkpoint's size, so that the
 * save after epoch fail_at_epoch fails in the kernel (EFBIG) the way a full
 * disk would; the returned limit is put back after the save. */
static int limit_file_size(const saver *s, int epochs_done, struct rlimit *old)
{
    if (s->fail_at_epoch <= 0 || epochs_done != s->fail_at_epoch) return 0;
    struct rlimit small;
    if (getrlimit(RLIMIT_FSIZE, old) != 0) return 0;
    small = *old;
    small.rlim_cur = 1024;
    return setrlimit(RLIMIT_FSIZE, &small) == 0;
}

int save_checkpoint(saver *s, const char *path, int no_replace, int epochs_done, long steps,
                    uint64_t state, char *err, size_t errlen)
{
    const cnn_ops *ops = s->nt->ops;
    long n = s->nt->n_params, n_state = s->nt->spec.n_state;
    float *params = malloc(sizeof(float) * (n ? n : 1)), *mom = malloc(sizeof(float) * (n ? n : 1));
    float *running = malloc(sizeof(float) * (n_state ? n_state : 1));
    int adam = s->meta.optimizer == CNN_OPTIM_ADAM || s->meta.optimizer == CNN_OPTIM_ADAMW;
    float *moment2 = adam ? malloc(sizeof(float) * (n ? n : 1)) : NULL;
    if (!params || !mom || !running || (adam && !moment2)) {
        free(params);
        free(mom);
        free(running);
        free(moment2);
        snprintf(err, errlen, "%s: out of memory writing the checkpoint", path);
        return -1;
    }
    ops->download(params, s->nt->params, sizeof(float) * n);
    ops->download(mom, s->nt->momentum, sizeof(float) * n);
    ops->download(running, s->nt->state, sizeof(float) * n_state);
    if (moment2) ops->download(moment2, s->nt->moment2, sizeof(float) * n);
    s->meta.moment2 = moment2;
    s->meta.bn_eps = s->nt->spec.bn_eps;
    s->meta.bn_momentum = s->nt->spec.bn_momentum;
    s->meta.state_count = n_state;
    s->meta.state = running;
    s->meta.epochs_done = epochs_done;
    s->meta.steps_done = (uint64_t)steps;
    s->meta.rng_state = state;
    struct rlimit old;
    int limited = limit_file_size(s, epochs_done, &old);
    /* (it refuses values that are not finite, naming the layer) */
    int rc = (no_replace ? checkpoint_save_new : checkpoint_save)(path, &s->meta, params, mom, n,
                                                                  err, errlen);
    int save_errno = errno;
    if (limited) setrlimit(RLIMIT_FSIZE, &old);
    if (rc == 0 && path == s->save) {
        s->saved = 1;
        s->saved_epochs = epochs_done;
    }
    free(params);
    free(mom);
    free(running);
    free(moment2);
    s->meta.state = NULL;
    s->meta.moment2 = NULL;
    errno = save_errno;
    return rc;
}

int on_epoch(void *ctx, int epochs_done, long steps, uint64_t state)
{
    saver *s = ctx;
    char err[4400];
    if (s->save && s->save_every > 0 && epochs_done % s->save_every == 0 &&
        save_checkpoint(s, s->save, 0, epochs_done, steps, state, err, sizeof err)) {
        print_error("cnn train: %s; training stopped after epoch %d", err, epochs_done);
        return -1;
    }
    return 0;
}

int on_best_val(void *ctx, int epochs_done, long steps, uint64_t state)
{
    saver *s = ctx;
    char err[4400];
    if (s->save_best &&
        save_checkpoint(s, s->save_best, 0, epochs_done, steps, state, err, sizeof err)) {
        print_error("cnn train: --save-best %s; training stopped after epoch %d", err,
                    epochs_done);
        return -1;
    }
    return 0;
}

/* Without --save an interrupt's checkpoint takes a name no file has here:
 * cnn-interrupted.ckpt, else cnn-interrupted-2.ckpt, -3, ... */
int interrupt_checkpoint_name(char *path, size_t len)
{
    struct stat st;
    for (int k = 1; k <= 1000; k++) {
        if (k == 1) snprintf(path, len, "%s.ckpt", INTERRUPTED_BASE);
        else snprintf(path, len, "%s-%d.ckpt", INTERRUPTED_BASE, k);
        if (lstat(path, &st) != 0 && errno == ENOENT) return 0;
    }
    return -1;
}

static int save_interrupt_checkpoint(saver *s, const train_result *res, char *path,
                                     size_t len, char *err, size_t errlen)
{
    for (int attempt = 0; attempt < 10; attempt++) {
        if (interrupt_checkpoint_name(path, len)) break;
        if (save_checkpoint(s, path, 1, res->epochs_done, res->steps_done, res->shuffle_state,
                            err, errlen) == 0)
            return 0;
        if (errno != EEXIST) return -1; /* (EEXIST: another process took the name) */
    }
    snprintf(err, errlen, "%s.ckpt, -2, ... -1000: every name is taken", INTERRUPTED_BASE);
    return -1;
}

int finish_interrupted(saver *sv, const train_result *res, const train_config *c,
                       const char *data_flag)
{
    char where[96], path[4200], err[4400], why[64];
    int sig = first_stop_signal;
    if (res->epoch_step > 0)
        snprintf(where, sizeof where, "at epoch %d, step %ld", res->epochs_done + 1,
                 res->steps_done);
    else
        snprintf(where, sizeof where, "after epoch %d, step %ld", res->epochs_done,
                 res->steps_done);
    if (sig) snprintf(why, sizeof why, "by %s", signal_name(sig));
    else if (res->out_errno == EPIPE) snprintf(why, sizeof why, "by a closed stdout");
    else snprintf(why, sizeof why, "by stdout (%s)", strerror(res->out_errno));
    int rc = sv->save ? save_checkpoint(sv, sv->save, 0, res->epochs_done, res->steps_done,
                                        res->shuffle_state, err, sizeof err)
                      : save_interrupt_checkpoint(sv, res, path, sizeof path, err, sizeof err);
    if (rc) {
        print_error("cnn train: interrupted %s %s, but the checkpoint was not written: %s", why,
                    where, err);
        return 1;
    }
    if (sv->save) snprintf(path, sizeof path, "%s", sv->save);
    /* the command is pasted into a shell: paths are quoted where needed */
    char more[3 * SHELL_WORD_MAX + 128] = "", qpath[SHELL_WORD_MAX], qdata[SHELL_WORD_MAX];
    shell_quote(path, qpath, sizeof qpath);
    if (data_flag) {
        shell_quote(data_flag, qdata, sizeof qdata);
        snprintf(more, sizeof more, " --data %s", qdata);
    }
    if (c->train_limit > 0)
        snprintf(more + strlen(more), sizeof more - strlen(more), " --train-limit %d",
                 c->train_limit);
    if (sv->save) snprintf(more + strlen(more), sizeof more - strlen(more), " --save %s", qpath);
    if (c->target_acc > 0) /* (not in the checkpoint: the run stops at it all the same) */
        snprintf(more + strlen(more), sizeof more - strlen(more), " --target-acc %.9g",
                 c->target_acc);
    if (sv->save_best) { /* (the best so far is this run's: see README's --save-best) */
        char qbest[SHELL_WORD_MAX];
        shell_quote(sv->save_best, qbest, sizeof qbest);
        snprintf(more + strlen(more), sizeof more - strlen(more), " --save-best %s", qbest);
    }
    print_error("cnn train: interrupted %s %s: checkpoint written to %s%s; continue with: "
                "cnn train --resume %s%s", why, where, path,
                sv->save ? "" : " (no --save was given)", qpath, more);
    return sig ? 128 + sig : res->out_errno == EPIPE ? 128 + SIGPIPE : 1;
}

/* The hyperparameters that can make the loss diverge, with their values: the
 * rate, a schedule that raises it, momentum and weight decay when in use,
 * and for a new run the first weights (He's can be too large: mlp2's
 * Euclidean loss diverges from them at lr 0.1). */
static void divergence_causes(const train_config *c, int resumed, char *out, size_t len)
{
    char part[96];
    snprintf(out, len, " (%s--lr %g", resumed ? "the checkpoint's " : "", c->lr);
    if (c->lr_step > 0 && c->lr_gamma > 1) {
        snprintf(part, sizeof part, ", --lr-gamma %g", c->lr_gamma);
        strncat(out, part, len - strlen(out) - 1);
    }
    static const char *const optim_names[] = CNN_OPTIM_NAMES;
    if (c->optimizer > CNN_OPTIM_SGD && c->optimizer < CNN_OPTIM_COUNT) {
        snprintf(part, sizeof part, ", --optimizer %s", optim_names[c->optimizer]);
        strncat(out, part, len - strlen(out) - 1);
    }
    if (c->momentum != 0 && c->optimizer <= CNN_OPTIM_NESTEROV) {
        snprintf(part, sizeof part, ", --momentum %g", c->momentum);
        strncat(out, part, len - strlen(out) - 1);
    }
    if (c->weight_decay != 0) {
        snprintf(part, sizeof part, ", --weight-decay %g", c->weight_decay);
        strncat(out, part, len - strlen(out) - 1);
    }
    if (!resumed && c->init_std > 0)
        snprintf(part, sizeof part, ", --init-std %g: try smaller values)", c->init_std);
    else if (!resumed)
        snprintf(part, sizeof part, ": try smaller values, or --init-std 0.01 for smaller "
                 "first weights)");
    else
        snprintf(part, sizeof part, ": smaller values need a new run)");
    strncat(out, part, len - strlen(out) - 1);
}


void report_divergence(const saver *sv, const train_config *c, const char *resume,
                       const train_result *res)
{
    char last[4400], causes[256];
    struct stat st;
    if (sv->saved)
        snprintf(last, sizeof last, "the last good checkpoint, %s (after epoch %d), is intact",
                 sv->save, sv->saved_epochs);
    else if (*resume)
        snprintf(last, sizeof last, "the last good checkpoint, %s (the one resumed from), "
                                    "is intact", resume);
    else if (sv->save && stat(sv->save, &st) == 0)
        snprintf(last, sizeof last, "no checkpoint was written (%s is unchanged; --save-every "
                                    "N writes one every N epochs)", sv->save);
    else if (sv->save)
        snprintf(last, sizeof last, "no checkpoint was written (--save-every N writes one "
                                    "every N epochs)");
    else
        snprintf(last, sizeof last, "no checkpoint was written (--save FILE --save-every N "
                                    "writes one every N epochs)");
    divergence_causes(c, *resume != 0, causes, sizeof causes);
    print_error("cnn train: the training loss became %s between steps %ld and %ld (epoch "
                "%d): stopping; %s%s", res->nonfinite_nan ? "NaN" : "infinite",
                res->finite_step, res->nonfinite_step, res->nonfinite_epoch, last, causes);
}
