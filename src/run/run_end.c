/* How a run that does not finish ends; see include/run_end.h. */
#include "run_end.h"
#include "paths.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "hd/optim.h"
#include "stop_signals.h"
#include "text_out.h"

/* " --flag value" for every SET_HINT setting of c that is not its default,
 * each value a shell word, appended to out. */
static void hint_flags(const run_config *c, char *out, size_t len)
{
    run_config defaults;
    run_config_defaults(&defaults);
    for (int i = 0; i < run_settings_count; i++) {
        const setting_def *d = &run_settings[i];
        if (!(d->roles & SET_HINT) || setting_same(d, c, &defaults)) continue;
        char value[SHELL_WORD_MAX], word[SHELL_WORD_MAX];
        setting_format(d, c, value, sizeof value);
        shell_quote(value, word, sizeof word);
        size_t at = strlen(out);
        snprintf(out + at, len - at, " --%s %s", d->flag, word);
    }
}

/* Where the run stopped, and why, in words. */
static void stop_words(const train_result *res, const run_config *c, char *where, size_t wlen,
                       char *why, size_t ylen)
{
    int sig = stop_signal_received();
    if (res->epoch_step > 0)
        snprintf(where, wlen, "at epoch %d, step %ld", res->epochs_done + 1, res->steps_done);
    else
        snprintf(where, wlen, "after epoch %d, step %ld", res->epochs_done, res->steps_done);
    if (sig) snprintf(why, ylen, "by %s", signal_name(sig));
    else if (res->csv_errno)
        snprintf(why, ylen, "because --log %s cannot be written (%s)", c->log,
                 strerror(res->csv_errno));
    else if (res->out_errno == EPIPE) snprintf(why, ylen, "by a closed stdout");
    else snprintf(why, ylen, "by stdout (%s)", strerror(res->out_errno));
}

int run_end_interrupted(saver *sv, const train_result *res, const run_config *c)
{
    char where[96], path[PATH_BUF_MAX], err[ERR_LINE_MAX], why[PATH_BUF_MAX + 128];
    int sig = stop_signal_received();
    stop_words(res, c, where, sizeof where, why, sizeof why);
    int rc = sv->save ? saver_save(sv, sv->save, 0, res->epochs_done, res->steps_done,
                                   res->shuffle_state, err, sizeof err)
                      : saver_save_interrupted(sv, res->epochs_done, res->steps_done,
                                               res->shuffle_state, path, sizeof path, err,
                                               sizeof err);
    if (rc) {
        print_error("cnn train: interrupted %s %s, but the checkpoint was not written: %s", why,
                    where, err);
        return 1;
    }
    if (sv->save) snprintf(path, sizeof path, "%s", sv->save);
    /* the command is pasted into a shell: paths are quoted where needed */
    char more[4 * SHELL_WORD_MAX + 128] = "", qpath[SHELL_WORD_MAX];
    shell_quote(path, qpath, sizeof qpath);
    hint_flags(c, more, sizeof more);
    print_error("cnn train: interrupted %s %s: checkpoint written to %s%s; continue with: "
                "cnn train --resume %s%s", why, where, path,
                sv->save ? "" : " (no --save was given)", qpath, more);
    return sig ? 128 + sig : res->out_errno == EPIPE ? 128 + SIGPIPE : 1;
}

/* ", --flag value" appended to out. */
static void add_cause(char *out, size_t len, const char *fmt, const char *flag, double v)
{
    size_t at = strlen(out);
    snprintf(out + at, len - at, fmt, flag, v);
}

/* The hyperparameters that can make the loss diverge, with their values: the
 * rate, a schedule that raises it, momentum and weight decay when in use,
 * and for a new run the first weights (He's can be too large: mlp2's
 * Euclidean loss diverges from them at lr 0.1). */
static void divergence_causes(const run_config *c, int resumed, char *out, size_t len)
{
    snprintf(out, len, " (%s--lr %g", resumed ? "the checkpoint's " : "", c->lr);
    if (c->lr_step > 0 && c->lr_gamma > 1) add_cause(out, len, ", --%s %g", "lr-gamma", c->lr_gamma);
    if (c->optimizer != CNN_OPTIM_SGD) {
        size_t at = strlen(out);
        snprintf(out + at, len - at, ", --optimizer %s", setting_choice(SETTING(optimizer), c));
    }
    if (c->momentum != 0 && !cnn_optim_keeps_moment2(c->optimizer))
        add_cause(out, len, ", --%s %g", "momentum", c->momentum);
    if (c->weight_decay != 0) add_cause(out, len, ", --%s %g", "weight-decay", c->weight_decay);
    size_t at = strlen(out);
    if (!resumed && c->init_std > 0)
        snprintf(out + at, len - at, ", --init-std %g: try smaller values)", c->init_std);
    else if (!resumed)
        snprintf(out + at, len - at, ": try smaller values, or --init-std 0.01 for smaller "
                                     "first weights)");
    else
        snprintf(out + at, len - at, ": smaller values need a new run)");
}

void run_end_diverged(const saver *sv, const run_config *c, const train_result *res,
                      int resumed_good)
{
    char last[ERR_LINE_MAX], causes[256];
    struct stat st;
    /* --save-every would have kept something only past the first epoch */
    int every_hint = sv->save_every == 0 && res->nonfinite_epoch > 1;
    if (sv->saved)
        snprintf(last, sizeof last, "the last good checkpoint, %s (after epoch %d), is intact",
                 sv->save, sv->saved_epochs);
    else if (*c->resume && resumed_good)
        snprintf(last, sizeof last, "the last good checkpoint, %s (the one resumed from), "
                                    "is intact", c->resume);
    else if (*c->resume) /* (one an older cnn saved after the weights blew up) */
        snprintf(last, sizeof last, "no checkpoint was written; the one resumed from, %s, is "
                 "unchanged, but it is no good checkpoint either: its own weights give a test "
                 "loss that is not finite (a run that had diverged: start a new one)",
                 c->resume);
    else if (sv->save && stat(sv->save, &st) == 0)
        snprintf(last, sizeof last, "no checkpoint was written (%s is unchanged%s)", sv->save,
                 every_hint ? "; --save-every N writes one every N epochs" : "");
    else if (sv->save)
        snprintf(last, sizeof last, "no checkpoint was written%s",
                 every_hint ? " (--save-every N writes one every N epochs)" : "");
    else
        snprintf(last, sizeof last, "no checkpoint was written (--save FILE --save-every N "
                                    "writes one every N epochs)");
    divergence_causes(c, *c->resume != 0, causes, sizeof causes);
    const char *value = res->nonfinite_nan ? "NaN" : "infinite";
    if (res->nonfinite_eval) /* the weights after that step's update */
        print_error("cnn train: the %s loss became %s in the evaluation after step %ld (epoch "
                    "%d): stopping; %s%s", res->nonfinite_eval, value, res->nonfinite_step,
                    res->nonfinite_epoch, last, causes);
    else
        print_error("cnn train: the training loss became %s between steps %ld and %ld (epoch "
                    "%d): stopping; %s%s", value, res->finite_step, res->nonfinite_step,
                    res->nonfinite_epoch, last, causes);
}
