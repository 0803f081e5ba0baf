/* cnn train: the flags, the files checked before training, the start
 * banner, the run, the closing JSON line (run_guard.c: how a run that does
 * not finish ends). */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "best_prior.h"
#include "augment_spec.h"
#include "checkpoint.h"
#include "ckpt_config.h"
#include "data_split.h"
#include "cli.h"
#include "commands.h"
#include "device.h"
#include "file_write.h"
#include "run_guard.h"
#include "json_out.h"
#include "clock.h"
#include "text_out.h"
#include "train.h"

#define DEFAULT_LOG "build/train.csv"
#define LOG_HEADER "kind,epoch,step,loss,acc,lr,seconds\n"

/* An environment variable's positive integer value, 0 when unset. */
static long env_long(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : 0;
}

static FILE *open_log(const char *path)
{
    if (!strcmp(path, DEFAULT_LOG)) mkdir("build", 0777); /* the default's folder */
    char err[4400];
    int fresh;
    FILE *f = NULL;
    if (file_holds_other(path, LOG_HEADER, strlen(LOG_HEADER)))
        snprintf(err, sizeof err, "%s: is not a cnn CSV log (it does not start with its "
                                  "header): refusing to append to it", path);
    else if (file_check_output(path, err, sizeof err) == 0)
        f = file_append_open(path, &fresh, err, sizeof err);
    if (!f) {
        print_error("cnn train: --log %s%s", err,
                    strstr(err, "not a regular file") ? " (--log \"\" for no log)" : "");
        return NULL;
    }
    if (fresh) fprintf(f, "%s", LOG_HEADER);
    if (fflush(f) != 0 || ferror(f)) {
        print_error("cnn train: --log %s: cannot write: %s", path, strerror(errno));
        fclose(f);
        return NULL;
    }
    return f;
}

/* Whether a file the run writes (role `flag`) is one of the data files
 * (each name raw or with .gz, as idx.c looks for them). */
static int names_data_file(const char *flag, const char *path, const char *data_dir)
{
    for (size_t i = 0; i < sizeof DATASET_FILES / sizeof DATASET_FILES[0]; i++)
        for (int gz = 0; gz < 2; gz++) {
            char data[4400];
            snprintf(data, sizeof data, "%s/%s%s", data_dir, DATASET_FILES[i], gz ? ".gz" : "");
            if (file_same(path, data)) {
                print_error("cnn train: %s %s is the data file %s: choose another path",
                            flag, path, data);
                return 1;
            }
        }
    return 0;
}

/* Two flags naming one file are refused when the run writes either of them.
 * --resume and --save may be one file: the checkpoint is read whole before
 * anything is written, and that is how a run is continued. */
static int paths_clash(const char *save, const char *save_best, const char *log,
                       const char *resume, const char *data_dir)
{
    const char *names[4][2] = {{"--log", log}, {"--save", save}, {"--save-best", save_best},
                               {"--resume", resume}};
    for (int i = 0; i < 3; i++) { /* the files written */
        if (!*names[i][1]) continue;
        if (names_data_file(names[i][0], names[i][1], data_dir)) return 1;
        for (int j = 0; j < 4; j++)
            if (j != i && *names[j][1] && !(i == 1 && j == 3) &&
                file_same(names[i][1], names[j][1])) {
                print_error("cnn train: %s %s and %s %s name the same file: choose another "
                            "%s", names[i][0], names[i][1], names[j][0], names[j][1],
                            names[i][0]);
                return 1;
            }
    }
    return 0;
}

/* Takes the run's state from a checkpoint: the network, the schedule, the
 * weights and momentum, the position in it; epochs_flag > 0 extends the run. */
static int resume_from(const char *path, const char *net_flag, int net_given, net_spec *spec,
                       train_config *c, int epochs_flag, checkpoint_meta *meta, float **params,
                       float **mom)
{
    char err[4400];
    long n;
    if (checkpoint_load(path, meta, params, mom, &n, err, sizeof err)) {
        print_error("cnn train: --resume: %s", err);
        return -1;
    }
    const net_preset *preset;
    net_spec want;
    if (net_given && resolve_net("train", net_flag, &want, &preset)) return -1;
    if (checkpoint_spec(meta, n, spec, err, sizeof err)) {
        print_error("cnn train: --resume %s: %s", path, err);
        return -1;
    }
    if (net_given && strcmp(want.text, spec->text) != 0) {
        print_error("cnn train: --resume %s: wrong network: the checkpoint holds %s, "
                    "--net asks for %s", path, spec->text, want.text);
        return -1;
    }
    config_from_checkpoint_meta(c, meta);
    c->epochs = epochs_flag > 0 ? epochs_flag : meta->epochs;
    c->resume = 1;
    c->start_epoch = meta->epochs_done;
    c->start_step = (long)meta->steps_done;
    c->shuffle_state = meta->rng_state;
    if (c->start_epoch >= c->epochs) {
        print_error("cnn train: --resume %s: %d of %d epochs are already done: pass "
                    "--epochs N with N > %d to train on", path, c->start_epoch,
                    c->epochs, c->start_epoch);
        return -1;
    }
    if (c->warmup > c->epochs) { /* (a checkpoint could not hold the run's end) */
        print_error("cnn train: --resume %s: --epochs %d is shorter than the run's warmup of "
                    "%g epochs: pass --epochs N with N >= %g", path, c->epochs, c->warmup,
                    ceil(c->warmup));
        return -1;
    }
    return 0;
}

/* --save (and --save-best, flag) replaces only a checkpoint (or an empty
 * file), and only where it can. */
static int check_save(const char *flag, const char *save)
{
    if (file_holds_other(save, CHECKPOINT_MAGIC, sizeof CHECKPOINT_MAGIC)) {
        print_error("cnn train: %s %s: is not a cnn checkpoint: refusing to replace it "
                    "(move it away, or choose another %s)", flag, save, flag);
        return -1;
    }
    return check_writable("train", flag, save);
}

/* Without --save an interrupt leaves its checkpoint here: whether it can is
 * said before training. */
static void check_interrupt_folder(void)
{
    char path[64], err[4400];
    int all_taken = interrupt_checkpoint_name(path, sizeof path) != 0;
    if (!all_taken && file_check_output(path, err, sizeof err) == 0) return;
    /* a run that finishes writes nothing here: a note, not a refusal */
    print_error("cnn train: note: without --save an interrupt writes its checkpoint here, and "
                "%s: give --save FILE to keep an interrupted run",
                all_taken ? "every cnn-interrupted name is taken" : err);
}

/* Locks --save (or --save-best, flag) for this run: a second run writing it
 * is refused. */
static int lock_save(const char *flag, const char *save, int *fd)
{
    char err[4400];
    if ((*fd = file_lock(save, flag, err, sizeof err)) >= 0) return 0;
    print_error("cnn train: %s", err);
    return -1;
}

/* The closing JSON line: what ran, on what, and how it ended. */
static void print_result_json(const char *net_name, const net_spec *spec, const char *device,
                              const char *data_dir, const train_config *c,
                              const train_result *res, long images)
{
    int run = res->epochs_done - c->start_epoch;
    json_out j;
    json_begin(&j, stdout);
    json_string(&j, "net", net_name);
    json_string(&j, "spec", spec->text);
    json_int(&j, "params", spec->n_params);
    json_string(&j, "device", device);
    json_string(&j, "data", data_dir);
    json_int(&j, "epochs", res->epochs_done);
    json_int(&j, "batch", c->batch);
    json_u64(&j, "seed", c->seed);
    json_decimals(&j, "train_loss", res->train_loss, 6);
    json_decimals(&j, "train_acc", res->train_acc, 4);
    json_decimals(&j, "test_loss", res->test_loss, 6);
    json_decimals(&j, "test_acc", res->test_acc, 4);
    json_decimals(&j, "train_seconds", res->train_seconds, 3);
    json_decimals(&j, "seconds_per_epoch", res->train_seconds / run, 4);
    json_decimals(&j, "images_per_second", (double)images * run / res->train_seconds, 1);
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

/* A resumed run must train on the samples the checkpoint was trained on, or
 * it would repeat or skip some: the same number used and the same labels
 * (their CRC; the images are not compared). A format 1 checkpoint records no
 * data: a one-line note says so. */
static int check_resume_data(const char *path, const checkpoint_meta *meta,
                             const dataset *train, int train_limit)
{
    checkpoint_meta now = {0};
    char why[512];
    checkpoint_set_data(&now, train->labels, train->count, train_limit);
    if (meta->data_unknown) {
        print_error("cnn train: note: --resume %s: a version 1 checkpoint records no training "
                    "data, so this run's data cannot be verified against it", path);
    } else if (!checkpoint_same_data(meta, &now, why, sizeof why)) {
        print_error("cnn train: --resume %s: %s", path, why);
        return -1;
    }
    return 0;
}

/* A schedule a checkpoint could not hold is refused now, not at the first
 * save (checkpoint.h's limits keep every count inside an int). */
static int schedule_out_of_range(const train_config *c)
{
    const char *flag = c->batch > CHECKPOINT_MAX_BATCH ? "--batch"
                       : c->epochs > CHECKPOINT_MAX_EPOCHS ? "--epochs"
                       : c->lr_step > CHECKPOINT_MAX_EPOCHS ? "--lr-step" : NULL;
    if (!flag) return 0;
    print_error("cnn train: %s: at most %d", flag,
                !strcmp(flag, "--batch") ? CHECKPOINT_MAX_BATCH : CHECKPOINT_MAX_EPOCHS);
    return 1;
}

/* --target-acc is a percent; --save-best picks by the validation set, so
 * needs one (a resumed run has the checkpoint's). Says what is wrong. */
static int val_flags_wrong(const train_config *c, const char *save_best)
{
    if (c->target_acc > 100) {
        print_error("cnn train: --target-acc %g: a test accuracy in percent, at most 100 "
                    "(0: off)", c->target_acc);
        return 1;
    }
    if (*save_best && c->val_count <= 0) {
        print_error("cnn train: --save-best %s picks the epoch by validation accuracy: give "
                    "--val N too (N training samples held out)", save_best);
        return 1;
    }
    return 0;
}

/* Whether a bn layer would normalise some feature over a single value: bn
 * after an fc or on a 1x1 map sees one value per sample, so a step of one
 * sample (--batch 1, or an epoch's last step) would make its variance 0 and
 * its gradient 0, and collapse the running variance. Says so. */
static int bn_sees_one_value(const net_spec *spec, const train_config *c, int count)
{
    int used = c->train_limit && c->train_limit < count ? c->train_limit : count;
    for (int i = 0; i < spec->n_layers; i++) {
        const layer_spec *l = &spec->layer[i];
        if (l->kind != LAYER_BN || l->in.h * l->in.w > 1) continue;
        if (c->batch == 1)
            print_error("cnn train: layer %d (bn) normalises each feature over the batch: "
                        "--batch 1 gives it one value; use 2 or more", i + 1);
        else if (used % c->batch == 1)
            print_error("cnn train: layer %d (bn) normalises each feature over the batch, and "
                        "each epoch's last step would hold one sample (%d samples, --batch %d): "
                        "change --batch or --train-limit", i + 1, used, c->batch);
        else
            continue;
        return 1;
    }
    return 0;
}

static const char *const OPTIM_NAMES[] = CNN_OPTIM_NAMES;
static const char *const SCHED_NAMES[] = CNN_SCHED_NAMES;

/* The banner's optimizer, lr, momentum and weight decay lines. */
static void print_optimizer(const train_config *c)
{
    char sched[160] = "";
    if (c->lr_schedule == CNN_SCHED_STEP && c->lr_step > 0)
        snprintf(sched, sizeof sched, "x%g every %d epochs", c->lr_gamma, c->lr_step);
    else if (c->lr_schedule == CNN_SCHED_STEP)
        snprintf(sched, sizeof sched, "constant");
    else if (c->lr_schedule == CNN_SCHED_ONECYCLE)
        snprintf(sched, sizeof sched, "onecycle: up from %g, down to %g over %d epochs",
                 c->lr / 25, c->lr / 25 / 1e4, c->epochs);
    else
        snprintf(sched, sizeof sched, "%s to 0 over %d epochs", SCHED_NAMES[c->lr_schedule],
                 c->epochs);
    if (c->warmup > 0)
        snprintf(sched + strlen(sched), sizeof sched - strlen(sched), ", %s %g epochs",
                 c->lr_schedule == CNN_SCHED_ONECYCLE ? "peak after" : "warmup", c->warmup);
    printf("  %-13s %s", "optimizer", OPTIM_NAMES[c->optimizer]);
    if (c->optimizer == CNN_OPTIM_ADAM || c->optimizer == CNN_OPTIM_ADAMW)
        printf(", betas %g and %g, eps %g", c->beta1, c->beta2, c->eps);
    printf("\n  %-13s %g, %s\n", "lr", c->lr, sched);
    if (c->optimizer == CNN_OPTIM_SGD || c->optimizer == CNN_OPTIM_NESTEROV)
        printf("  %-13s %g\n", "momentum", c->momentum);
    printf("  %-13s %g%s%s\n", "weight decay", c->weight_decay,
           c->optimizer == CNN_OPTIM_ADAMW ? ", decoupled (AdamW)" : "",
           c->decay_bias ? "" : ", conv and fc weights only");
}

/* The index of name in names (n of them), or -1 after a one-line error. */
static int name_index(const char *flag, const char *name, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(name, names[i])) return i;
    char list[128] = "";
    for (int i = 0; i < n; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                 i == 0 ? "" : i == n - 1 ? " or " : ", ", names[i]);
    print_error("cnn train: --%s: expected %s, got \"%s\"", flag, list, name);
    return -1;
}

/* The optimizer and schedule flags into c (a new run); -1 after a one-line
 * error for a value out of range. */
static int use_optim_flags(train_config *c, const cli_opt *opts, int optim_at,
                           const char *optimizer, const char *schedule, float beta1,
                           float beta2, float eps, int decay_bias, float warmup)
{
    if (opts[optim_at].given &&
        (c->optimizer = name_index("optimizer", optimizer, OPTIM_NAMES, CNN_OPTIM_COUNT)) < 0)
        return -1;
    if (opts[optim_at + 1].given &&
        (c->lr_schedule = name_index("lr-schedule", schedule, SCHED_NAMES, CNN_SCHED_COUNT)) < 0)
        return -1;
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
        print_error("cnn train: --beta1 and --beta2 must lie in [0, 1), got %g and %g", beta1,
                    beta2);
        return -1;
    }
    if (!(eps > 0) || !isfinite(eps)) {
        print_error("cnn train: --eps must be above 0, got %g", eps);
        return -1;
    }
    c->beta1 = beta1;
    c->beta2 = beta2;
    c->eps = eps;
    c->decay_bias = decay_bias;
    if (opts[optim_at + 2].given) c->warmup = warmup;
    if (!(c->warmup <= c->epochs)) {
        print_error("cnn train: --warmup %g is longer than the run's %d epochs", c->warmup,
                    c->epochs);
        return -1;
    }
    return 0;
}

/* What this run is: the lines before training starts. */
static void print_banner(const train_config *c, const net_spec *spec, const char *net_name,
                         const char *data_dir, const dataset *train, int test_count,
                         int eval_batch, const char *device_desc, float scale, float shift, const char *log_path,
                         const char *resume, const char *save, const char *save_best)
{
    int used = c->train_limit && c->train_limit < train->count ? c->train_limit : train->count;
    printf("cnn train (this build's backends: %s)\n", device_build_backends());
    printf("  %-13s %s\n  %-13s %s\n", "net", net_name, "spec", spec->text);
    printf("  %-13s %ld\n", "parameters", spec->n_params);
    if (c->val_count > 0)
        printf("  %-13s %s (%d train, %d validation, %d test)\n", "data", data_dir, used,
               c->val_count, test_count);
    else
        printf("  %-13s %s (%d train, %d test)\n", "data", data_dir, used, test_count);
    printf("  %-13s %s\n", "device", device_desc);
    printf("  %-13s %d%s\n  %-13s %d\n", "epochs", c->epochs,
           *resume ? " (resumed)" : "", "batch", c->batch);
    printf("  %-13s %d\n", "eval batch", eval_batch);
    print_optimizer(c);
    printf("  %-13s %llu\n", "seed", (unsigned long long)c->seed);
    if (!*resume && c->init_std > 0)
        printf("  %-13s normal, deviation %g\n", "init", c->init_std);
    else if (!*resume)
        printf("  %-13s uniform, +-sqrt(6/fan_in)\n", "init");
    if (spec->n_state)
        printf("  %-13s running averages momentum %g, eps %g\n", "bn", spec->bn_momentum,
               spec->bn_eps);
    printf("  %-13s x * %.6g %+.6g\n", "input", scale, shift);
    char augment[128];
    augment_describe(c->augment, augment, sizeof augment);
    printf("  %-13s %s\n", "augment", augment);
    printf("  %-13s %s\n", "log", *log_path ? log_path : "(none)");
    if (*resume) {
        long steps = (used + c->batch - 1) / c->batch, in = c->start_step - c->start_epoch * steps;
        if (in > 0 && in < steps)
            printf("  %-13s %s, in epoch %d after %ld of its %ld steps\n", "resumed from", resume,
                   c->start_epoch + 1, in, steps);
        else
            printf("  %-13s %s, after epoch %d\n", "resumed from", resume, c->start_epoch);
    }
    if (*save) printf("  %-13s %s\n", "checkpoint", save);
    if (*save_best) printf("  %-13s %s (the best validation epoch's)\n", "save best", save_best);
    if (c->target_acc > 0) printf("  %-13s stop at %g%% test accuracy\n", "target", c->target_acc);
}

int cmd_train(int argc, char **argv)
{
    const char *net_name, *data_dir, *device, *log_path, *save = "", *resume = "";
    const char *save_best = "";
    int gpu, threads, epochs = 0, batch = 0, eval_batch = 0, lr_step = 0, save_every = 0;
    float lr = 0, gamma = 0, momentum = 0, decay = 0, init_std = 0, bn_momentum, bn_eps;
    float beta1 = 0, beta2 = 0, eps = 0, warmup = 0;
    int decay_bias = 1;
    train_config c = {0};
    const char *normalize = "", *optimizer = "", *schedule = "", *augment = "";
    enum { NET, EPOCHS, BATCH, EVAL_BATCH, LR, LR_STEP, LR_GAMMA, MOMENTUM, DECAY, NORMALIZE, INIT_STD,
           BN_MOMENTUM, BN_EPS, OPTIMIZER, SCHEDULE, WARMUP, BETA1, BETA2, EPS, DECAY_BIAS,
           AUGMENT, DATA };
    cli_opt opts[] = {
        [NET] = {"net", OPT_STR, &net_name, "seed-cnn", "preset (seed-cnn, mlp1, mlp2, seed-cnn4, lenet5, cnn-bn, seed-cnn-99, seed-cnn-fast) or layer spec", 0, 0},
        [EPOCHS] = {"epochs", OPT_INT, &epochs, NULL, "epochs to train (default: the preset's: 30, mlp1 and mlp2 100)", 0, 0},
        [BATCH] = {"batch", OPT_INT, &batch, NULL, "samples per step (default: the preset's: 50, mlp1 and mlp2 100)", 0, 0},
        [EVAL_BATCH] = {"eval-batch", OPT_INT, &eval_batch, "1000", "samples per evaluation pass over the test and --val sets (the larger set's size if smaller); changes no result, allowed with --resume", 0, 0},
        [LR] = {"lr", OPT_FLOAT, &lr, NULL, "learning rate (default: the preset's, 0.1)", 0, 0},
        [LR_STEP] = {"lr-step", OPT_INT, &lr_step, NULL, "multiply the lr by --lr-gamma every N epochs, 0 never (default: the preset's: 5, mlp1 and mlp2 0)", 1, 0},
        [LR_GAMMA] = {"lr-gamma", OPT_FLOAT, &gamma, NULL, "the lr's factor every --lr-step epochs (default: 0.5)", 0, 0},
        [MOMENTUM] = {"momentum", OPT_FLOAT, &momentum, NULL, "SGD momentum (default: the preset's, 1e-4)", 1, 0},
        [DECAY] = {"weight-decay", OPT_FLOAT, &decay, NULL, "L2 weight decay (default: the preset's: 2e-4, mlp1 1e-4)", 1, 0},
        [NORMALIZE] = {"normalize", OPT_STR, &normalize, NULL, "inputs: std (mean 0, deviation 1), unit ([0,1]) or center ((byte-128)/255) (default: the preset's, std)", 0, 0},
        [INIT_STD] = {"init-std", OPT_FLOAT, &init_std, NULL, "weights at the start: 0 uniform in +-sqrt(6/fan_in) (He), else normal with this deviation (default: the preset's: 0, mlp1 and mlp2 0.01)", 1, 0},
        [BN_MOMENTUM] = {"bn-momentum", OPT_FLOAT, &bn_momentum, "0.1", "bn: weight of each batch in the running mean and variance, in [0, 1]", 1, 0},
        [BN_EPS] = {"bn-eps", OPT_FLOAT, &bn_eps, "1e-5", "bn: added to the variance before its square root, in (0, 1]", 0, 0},
        [OPTIMIZER] = {"optimizer", OPT_STR, &optimizer, NULL, "sgd (Caffe's momentum rule), nesterov, adam or adamw (default: the preset's, sgd)", 0, 0},
        [SCHEDULE] = {"lr-schedule", OPT_STR, &schedule, NULL, "step (--lr-step, --lr-gamma), cosine (to 0), linear (to 0) or onecycle (default: the preset's, step)", 0, 0},
        [WARMUP] = {"warmup", OPT_FLOAT, &warmup, NULL, "epochs (fractional allowed) of linear warmup to the schedule's rate; onecycle: epochs to its peak (default: the preset's, 0)", 1, 0},
        [BETA1] = {"beta1", OPT_FLOAT, &beta1, "0.9", "adam, adamw: the first moment's decay, in [0, 1)", 1, 0},
        [BETA2] = {"beta2", OPT_FLOAT, &beta2, "0.999", "adam, adamw: the second moment's decay, in [0, 1)", 1, 0},
        [EPS] = {"eps", OPT_FLOAT, &eps, "1e-8", "adam, adamw: added to the denominator, above 0", 0, 0},
        [DECAY_BIAS] = {"decay-bias", OPT_BOOL, &decay_bias, "true", "weight decay on biases and bn's scale and shift too (false: conv and fc weights only)", 0, 0},
        [AUGMENT] = {"augment", OPT_STR, &augment, NULL, "training inputs moved at random each step: none, shift:N (up to N whole pixels each way, N <= 8), affine:ROT,SCALE (rotated up to ROT <= 180 degrees, scaled by 1+-SCALE <= 0.5), or both as shift:2,affine:10,0.1 (default: the preset's, none)", 0, 0},
        [DATA] = {"data", OPT_STR, &data_dir, "data/mnist", "folder with the four MNIST IDX files", 0, 0},
        {"device", OPT_STR, &device, "auto", "cpu, gpu, or auto (a GPU when present)", 0, 0},
        {"gpu", OPT_INT, &gpu, "0", "which GPU", 1, 0},
        {"seed", OPT_U64, &c.seed, "1", "random seed: weights and shuffling", 1, 0},
        {"log", OPT_STR, &log_path, DEFAULT_LOG, "CSV log, appended to (\"\" for none)", 0, 0},
        {"log-every", OPT_INT, &c.log_every, "200", "steps between printed lines (0: only the epoch's)", 1, 0},
        {"csv-every", OPT_INT, &c.csv_every, "25", "steps between the CSV log's train rows (0: only test rows)", 1, 0},
        {"save", OPT_STR, &save, "", "write a checkpoint here at the end, and on Ctrl-C", 0, 0},
        {"save-every", OPT_INT, &save_every, "0", "also write it every N epochs (0: only at the end)", 1, 0},
        {"resume", OPT_STR, &resume, "", "continue the run a checkpoint holds", 0, 0},
        {"val", OPT_INT, &c.val_count, "0", "hold out N of the training samples used (chosen by --seed) and evaluate them each epoch (0: none)", 1, 0},
        {"save-best", OPT_STR, &save_best, "", "write a checkpoint here after each epoch whose validation accuracy is the best yet (needs --val)", 0, 0},
        {"target-acc", OPT_FLOAT, &c.target_acc, "0", "stop when the test accuracy reaches this percent; the JSON says when (0: off)", 1, 0},
        {"threads", OPT_THREADS, &threads, "0", "CPU threads (0: the free cores)", 1, 0},
        {"train-limit", OPT_INT, &c.train_limit, "0", "train on the first N samples only (0: all)", 1, 0},
        {"quiet", OPT_BOOL, &c.quiet, "false", "only the per-epoch lines and the JSON result", 0, 0},
        {"graph", OPT_BOOL, &c.graph, "true", "GPU: replay one captured CUDA graph per step (false: launch each op, for debugging)", 0, 0},
    };
    int r = cli_parse("train", "[flags]", opts, sizeof opts / sizeof opts[0], argc, argv, 2);
    if (r) return r < 0 ? 2 : 0;
    if (!device_name_ok("train", device)) return 2;

    net_spec spec;
    const net_preset *preset;
    checkpoint_meta meta = {0};
    float *ck_params = NULL, *ck_mom = NULL;
    if (*resume) {
        /* the run's own schedule continues: a flag that would change it is
         * refused rather than silently ignored */
        static const char *fixed[] = {"batch", "lr", "lr-step", "lr-gamma", "momentum",
                                      "weight-decay", "normalize", "init-std", "seed",
                                      "bn-momentum", "bn-eps", "optimizer", "lr-schedule",
                                      "warmup", "beta1", "beta2", "eps", "decay-bias", "val",
                                      "augment"};
        for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
            for (size_t j = 0; j < sizeof fixed / sizeof fixed[0]; j++)
                if (opts[i].given && !strcmp(opts[i].name, fixed[j])) {
                    print_error("cnn train: --%s cannot change a resumed run (the "
                                "checkpoint keeps its own); drop it, or start a new run",
                                fixed[j]);
                    return 2;
                }
        if (resume_from(resume, net_name, opts[NET].given, &spec, &c,
                        opts[EPOCHS].given ? epochs : 0, &meta, &ck_params, &ck_mom)) {
            free(ck_params);
            free(ck_mom);
            free(meta.state);
            free(meta.moment2);
            return 1;
        }
    } else {
        if (resolve_net("train", net_name, &spec, &preset)) return 2;
        train_config_use_preset(&c, preset);
        if (opts[EPOCHS].given) c.epochs = epochs;
        if (opts[BATCH].given) c.batch = batch;
        if (opts[LR].given) c.lr = lr;
        if (opts[LR_STEP].given) c.lr_step = lr_step;
        if (opts[LR_GAMMA].given) c.lr_gamma = gamma;
        if (opts[MOMENTUM].given) c.momentum = momentum;
        if (opts[DECAY].given) c.weight_decay = decay;
        if (opts[INIT_STD].given) c.init_std = init_std;
        if (use_optim_flags(&c, opts, OPTIMIZER, optimizer, schedule, beta1, beta2, eps,
                            decay_bias, warmup))
            return 2;
        char err[256];
        if (opts[AUGMENT].given && augment_spec_parse(augment, &c.augment, err, sizeof err)) {
            print_error("cnn train: --augment: %s", err);
            return 2;
        }
        if (!(bn_momentum >= 0 && bn_momentum <= 1) || !(bn_eps > 0 && bn_eps <= 1)) {
            print_error("cnn train: --bn-momentum must lie in [0, 1] and --bn-eps in (0, 1], "
                        "got %g and %g", bn_momentum, bn_eps);
            return 2;
        }
        spec.bn_momentum = bn_momentum;
        spec.bn_eps = bn_eps;
        if (!opts[NORMALIZE].given) normalize = preset->normalize;
        if (!input_normalization_known(normalize)) {
            print_error("cnn train: --normalize: expected std, unit or center, got \"%s\"",
                        normalize);
            return 2;
        }
    }
    c.threads = threads;
    c.process_start = process_start_s;
    /* before any data is read or memory allocated; a resumed run's batch is
     * the checkpoint's, which no flag changes (--eval-batch, changing no
     * result, may be given) */
    if (schedule_out_of_range(&c) || val_flags_wrong(&c, save_best) ||
        net_size_refuse("train", *resume ? NULL : "--batch", &spec, c.batch) ||
        (opts[EVAL_BATCH].given && net_size_refuse("train", "--eval-batch", &spec, eval_batch))) {
        free(ck_params);
        free(ck_mom);
        free(meta.state);
        free(meta.moment2);
        return 2;
    }

    int status = 1, handler_set = 0, lock_fd = -1;
    struct sigaction old_sa[N_STOP_SIGNALS];
    FILE *csv = NULL;
    dataset train = {0}, test = {0}, train_rest = {0}, held = {0};
    const dataset *train_used = &train; /* what is trained on: train, or train_rest */
    device_dataset dtrain = {0}, dtest = {0}, dval = {0};
    int best_lock_fd = -1;
    net *nt = NULL;
    char desc[256];
    const cnn_ops *ops;
    /* from here on a stop signal is caught: it removes the lock and the
     * temporaries below, and before training it ends the run */
    catch_stop_signals(old_sa);
    handler_set = 1;
    if (paths_clash(save, save_best, log_path, resume, data_dir)) {
        status = 2;
        goto done;
    }
    if (!*save) check_interrupt_folder();
    else if (check_save("--save", save) || lock_save("--save", save, &lock_fd)) goto done;
    if (*save_best &&
        (check_save("--save-best", save_best) || lock_save("--save-best", save_best, &best_lock_fd)))
        goto done;
    if (*log_path && !(csv = open_log(log_path))) goto done;
    if (!(ops = open_device("train", device, gpu, threads, desc, sizeof desc)) ||
        load_data("train", data_dir, &train, &test))
        goto done;
    if (*resume && check_resume_data(resume, &meta, &train, c.train_limit)) goto done;
    if (c.val_count > 0) {
        char err[512];
        if (data_split(&train, c.train_limit, c.val_count, c.seed, &train_rest, &held, err,
                       sizeof err)) {
            print_error("cnn train: %s", err);
            status = 2;
            goto done;
        }
        train_used = &train_rest;
    }
    if (bn_sees_one_value(&spec, &c, train_used->count)) {
        status = 2;
        goto done;
    }

    /* evaluation's passes: no larger than the larger set evaluated */
    int largest = c.val_count > 0 && held.count > test.count ? held.count : test.count;
    eval_batch = eval_batch_size(&spec, eval_batch, largest);

    float scale, shift;
    if (*resume) {
        scale = meta.input_scale;
        shift = meta.input_shift;
    } else {
        input_normalization(normalize, &train, &scale, &shift);
    }
    print_banner(&c, &spec, *resume ? meta.spec : net_name, data_dir, train_used, test.count,
                 eval_batch, desc, scale, shift, log_path, resume, save, save_best);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        print_error("cnn train: cannot write to stdout: %s: stopping before training",
                    strerror(errno));
        status = errno == EPIPE ? 128 + SIGPIPE : 1;
        goto done;
    }

    /* (the split has applied --train-limit already) */
    device_dataset_upload(ops, train_used, c.val_count > 0 ? 0 : c.train_limit, scale, shift,
                          &dtrain);
    device_dataset_upload(ops, &test, 0, scale, shift, &dtest);
    if (c.val_count > 0) {
        device_dataset_upload(ops, &held, 0, scale, shift, &dval);
        c.val = &dval;
    }
    /* training steps take at most c.batch samples of these buffers: the
     * larger allocation for evaluation leaves them bit for bit as they were */
    nt = net_create(ops, &spec, c.batch > eval_batch ? c.batch : eval_batch);
    nt->eval_batch = eval_batch;
    net_init_params(nt, c.seed, c.init_std);
    if (*resume && *save_best) /* (overwrites nt's parameters: before the resumed ones) */
        best_prior(nt, save_best, &meta, &dval, &c.prior_best_val_acc, &c.prior_best_val_epoch);
    if (*resume) {
        ops->upload(nt->params, ck_params, sizeof(float) * spec.n_params);
        ops->upload(nt->momentum, ck_mom, sizeof(float) * spec.n_params);
        if (meta.moment2) /* adam, adamw (the reader checked its count) */
            ops->upload(nt->moment2, meta.moment2, sizeof(float) * spec.n_params);
        net_load_state(nt, &meta);
    }
    saver sv = {.nt = nt, .save = *save ? save : NULL, .save_every = save_every,
                .save_best = *save_best ? save_best : NULL,
                .fail_at_epoch = (int)env_long("CNN_TEST_FAIL_SAVE_AT_EPOCH")};
    checkpoint_meta_from_config(&sv.meta, &c, &spec, scale, shift);
    checkpoint_set_data(&sv.meta, train.labels, train.count, c.train_limit);
    c.on_epoch = on_epoch;
    c.on_epoch_ctx = &sv;
    c.on_best_val = on_best_val;
    c.stop = &stop_requests;
    c.test_sigint_at_step = env_long("CNN_TEST_SIGINT_AT_STEP"); /* test hook */

    train_result res;
    char err[4400];
    if (stop_signal_received()) {
        print_error("cnn train: interrupted by %s before training started: nothing to save",
                    signal_name(stop_signal_received()));
        status = 128 + stop_signal_received();
        goto done;
    }
    int rc = train_run(nt, &c, &dtrain, &dtest, stdout, csv, &res);
    if (rc == 0) {
        if (sv.save && save_checkpoint(&sv, sv.save, 0, res.epochs_done, res.steps_done,
                                       res.shuffle_state, err, sizeof err)) {
            print_error("cnn train: %s", err);
            goto done;
        }
        print_result_json(*resume ? meta.spec : net_name, &spec, ops->name, data_dir, &c, &res,
                          dtrain.count);
        status = 0;
    } else if (rc == 1) {
        status = finish_interrupted(&sv, &res, &c, opts[DATA].given ? data_dir : NULL);
    } else if (res.csv_errno) {
        print_error("cnn train: --log %s: cannot write: %s; training stopped at step %ld%s",
                    log_path, strerror(res.csv_errno), res.steps_done,
                    sv.saved ? "; the last checkpoint written is intact" : "");
    } else if (res.nonfinite_step > 0) {
        report_divergence(&sv, &c, resume, &res);
    }
done:
    if (handler_set) restore_stop_signals(old_sa);
    file_unlock(lock_fd);
    file_unlock(best_lock_fd);
    if (nt) net_destroy(nt);
    if (dtrain.images) device_dataset_free(&dtrain);
    if (dtest.images) device_dataset_free(&dtest);
    if (dval.images) device_dataset_free(&dval);
    dataset_free(&train_rest);
    dataset_free(&held);
    dataset_free(&train);
    dataset_free(&test);
    if (csv && fclose(csv) != 0 && status == 0) {
        print_error("cnn train: --log %s: cannot write: %s", log_path, strerror(errno));
        status = 1;
    }
    free(ck_params);
    free(ck_mom);
    free(meta.state);
    free(meta.moment2);
    return status;
}
