/* What cnn train prints around the run: the banner (what this run is: the
 * facts, then every setting from the table) and the closing JSON line. */
#include "train_cmd.h"

#include <string.h>

#include "device.h"
#include "json_out.h"

/* Settings the banner's first lines show as facts. */
static int shown_as_fact(const setting_def *d)
{
    return !strcmp(d->flag, "net") || !strcmp(d->flag, "data") || !strcmp(d->flag, "device") ||
           !strcmp(d->flag, "gpu") || !strcmp(d->flag, "threads");
}

/* Where a resumed run starts. */
static void print_resume_point(const train_cmd *t, int used)
{
    const train_plan *p = &t->plan;
    long steps = (used + t->c.batch - 1) / t->c.batch, in = p->start_step - p->start_epoch * steps;
    if (in > 0 && in < steps)
        printf("  %-13s %s, in epoch %d after %ld of its %ld steps\n", "resumed from",
               t->c.resume, p->start_epoch + 1, in, steps);
    else
        printf("  %-13s %s, after epoch %d\n", "resumed from", t->c.resume, p->start_epoch);
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
        printf("  %-13s %s (%d train, %d validation, %d test)\n", "data", c->data, used,
               c->val_count, t->test.count);
    else
        printf("  %-13s %s (%d train, %d test)\n", "data", c->data, used, t->test.count);
    printf("  %-13s %s\n", "device", t->device);
    printf("  %-13s x * %.6g %+.6g\n", "input", t->scale, t->shift);
    if (*c->resume) print_resume_point(t, used);
}

void train_banner(const train_cmd *t)
{
    const run_config *c = &t->c;
    int used = c->train_limit && c->train_limit < t->train.count ? c->train_limit
                                                                  : t->train.count;
    if (c->val_count > 0) used = t->train_used->count;
    print_facts(t, used);
    for (int i = 0; i < run_settings_count; i++) {
        const setting_def *d = &run_settings[i];
        /* a resumed run's first weights and input mode are the checkpoint's
         * (the input line shows its scaling) */
        int unknown = *c->resume && (d->roles & SET_FIXED) && !(d->roles & SET_KEPT);
        if (!(d->commands & CMD_TRAIN) || shown_as_fact(d) || unknown) continue;
        char value[256];
        setting_describe(d, c, value, sizeof value);
        printf("  %-13s %s\n", d->flag, value);
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
