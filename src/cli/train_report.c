/* What cnn train prints around the run: the banner (what this run is: the
 * facts, then every setting from the table) and the closing JSON line. */
#include "train_cmd.h"

#include <string.h>

#include "data_source.h"
#include "device.h"
#include "hd/optim.h"
#include "hd/schedule.h"
#include "json_out.h"
#include "paths.h"
#include "text_out.h"

/* Settings the banner's first lines show as facts (the resume as where it
 * starts). */
static int shown_as_fact(const setting_def *d)
{
    return d == SETTING(net) || d == SETTING(data) || d == SETTING(device) || d == SETTING(gpu) ||
           d == SETTING(threads) || d == SETTING(resume);
}

/* Whether the banner shows setting d: every setting that shapes the run's
 * results (a preset's, a checkpoint's or a resume's), where it applies (an
 * optimizer's own under it, the step schedule's under it, bn's where the net
 * has bn); the evaluation batch and the log always; any other only when the
 * run asks for it (not its default). A resumed run's first weights and
 * input mode are not known (not kept); the input line shows its scaling. */
static int shown(const setting_def *d, const train_cmd *t, const run_config *defaults)
{
    const run_config *c = &t->c;
    int adam = cnn_optim_keeps_moment2(c->optimizer);
    if (!(d->commands & CMD_TRAIN) || shown_as_fact(d)) return 0;
    if (*c->resume && (d->roles & SET_FIXED) && !(d->roles & SET_KEPT)) return 0;
    if (d == SETTING(beta1) || d == SETTING(beta2) || d == SETTING(eps)) return adam;
    if (d == SETTING(momentum)) return !adam;
    if (d == SETTING(lr_step) || d == SETTING(lr_gamma)) return c->lr_schedule == CNN_SCHED_STEP;
    if (d == SETTING(bn_momentum) || d == SETTING(bn_eps)) return t->spec.n_state > 0;
    if ((d->roles & (SET_PRESET | SET_KEPT | SET_FIXED)) || d == SETTING(eval_batch) ||
        d == SETTING(log))
        return 1;
    return !setting_same(d, c, defaults);
}

/* Where a resumed run starts. */
static void print_resume_point(const train_cmd *t, int used)
{
    const train_plan *p = &t->plan;
    long steps = (used + t->c.batch - 1) / t->c.batch, in = p->start_step - p->start_epoch * steps;
    if (in > 0 && in < steps)
        printf("  %-13s %s, in epoch %d after %ld of its %ld steps\n", "resumed from",
               text_shown(t->c.resume), p->start_epoch + 1, in, steps);
    else
        printf("  %-13s %s, after epoch %d\n", "resumed from", text_shown(t->c.resume),
               p->start_epoch);
}

/* The samples' shape and classes (their names, where known), and what
 * --skip-bad passed over. */
static void print_data_shape(const train_cmd *t)
{
    const dataset *d = &t->train;
    const class_names *names = *t->c.resume ? &t->resumed.ck.meta.names : &d->names;
    char shape[64];
    printf("  %-13s %s, %d classes", "samples",
           data_shape_text(d->channels, d->rows, d->cols, shape, sizeof shape), d->classes);
    for (int i = 0; i < names->count && i < 10; i++)
        printf("%s%s", i ? ", " : ": ", text_shown(names->name[i]));
    printf("%s\n", names->count > 10 ? ", ..." : "");
    if (t->skipped) printf("  %-13s %d unreadable pictures (--skip-bad)\n", "skipped", t->skipped);
}

/* x = byte * scale + shift, per channel when they differ. */
static void print_scaling(const input_norm *n)
{
    if (input_norm_channels_alike(n)) {
        printf("  %-13s x * %.6g %+.6g\n", "input", n->scale[0], n->shift[0]);
        return;
    }
    printf("  %-13s", "input");
    for (int c = 0; c < n->channels; c++)
        printf("%s channel %d: x * %.6g %+.6g", c ? ";" : "", c, n->scale[c], n->shift[c]);
    printf("\n");
}

/* The facts: what is trained on what, with which inputs. */
static void print_facts(const train_cmd *t, int used)
{
    const run_config *c = &t->c;
    printf("cnn train (this build's backends: %s)\n", device_build_backends());
    printf("  %-13s %s\n  %-13s %s\n", "net", *c->resume ? t->resumed.ck.meta.spec : c->net,
           "spec", t->spec.text);
    printf("  %-13s %ld\n", "parameters", t->spec.n_params);
    if (c->val_count > 0)
        printf("  %-13s %s (%d train, %d validation, %d test)\n", "data", text_shown(c->data),
               used, c->val_count, t->test.count);
    else
        printf("  %-13s %s (%d train, %d test)\n", "data", text_shown(c->data), used,
               t->test.count);
    print_data_shape(t);
    printf("  %-13s %s\n", "device", t->device);
    print_scaling(&t->norm);
    if (*c->resume) print_resume_point(t, used);
}

void train_banner(const train_cmd *t)
{
    const run_config *c = &t->c;
    print_facts(t, t->samples_used);
    run_config defaults;
    run_config_defaults(&defaults);
    for (int i = 0; i < run_settings_count; i++) {
        const setting_def *d = &run_settings[i];
        if (!shown(d, t, &defaults)) continue;
        char value[PATH_BUF_MAX]; /* (a path whole: --save, --log, --resume) */
        setting_describe(d, c, value, sizeof value);
        printf("  %-13s %s\n", d->flag, text_shown(value)); /* (a path's newline too) */
    }
}

void train_result_json(const train_cmd *t)
{
    const run_config *c = &t->c;
    const train_result *res = &t->res;
    int run = res->epochs_done - t->plan.start_epoch;
    json_out j;
    json_begin(&j, stdout);
    json_string(&j, "net", *c->resume ? t->resumed.ck.meta.spec : c->net);
    json_string(&j, "spec", t->spec.text);
    json_int(&j, "params", t->spec.n_params);
    json_string(&j, "device", t->ops->name);
    json_string(&j, "data", c->data);
    json_int(&j, "epochs", res->epochs_done);
    json_int(&j, "batch", c->batch);
    json_u64(&j, "seed", c->seed);
    json_decimals(&j, "train_loss", res->train_loss, 6);
    json_decimals(&j, "train_acc", res->train_acc, 4);
    json_decimals(&j, "test_loss", res->test_loss, 6);
    json_decimals(&j, "test_acc", res->test_acc, 4);
    json_decimals(&j, "train_seconds", res->train_seconds, 3);
    json_decimals(&j, "seconds_per_epoch", res->train_seconds / run, 4);
    json_decimals(&j, "images_per_second", (double)t->dtrain.count * run / res->train_seconds, 1);
    if (c->val_count > 0) {
        json_int(&j, "val", c->val_count);
        json_decimals(&j, "val_loss", res->val_loss, 6);
        json_decimals(&j, "val_acc", res->val_acc, 4);
        json_decimals(&j, "best_val_acc", res->best_val_acc, 4);
        json_int(&j, "best_val_epoch", res->best_val_epoch);
    }
    if (c->target_acc > 0) {
        json_digits(&j, "target_acc", c->target_acc, 6);
        json_int(&j, "target_epoch", res->target_epoch);
        if (res->target_epoch > 0) json_decimals(&j, "time_to_target_s", res->time_to_target_s, 3);
        else json_null(&j, "time_to_target_s");
    }
    json_end(&j);
}
