/* cnn train: the flags, the start banner, checkpoints, the closing JSON line. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cli.h"
#include "commands.h"
#include "device.h"
#include "train.h"

#define DEFAULT_LOG "build/train.csv"
/* where an interrupted run without --save leaves its checkpoint */
#define INTERRUPTED_CKPT "cnn-interrupted.ckpt"

typedef struct {
    net *nt;
    const char *save;
    int save_every;
    checkpoint_meta meta;
    int saved;              /* this run wrote a checkpoint to save ... */
    int saved_epochs;       /* ... after this many epochs */
    int fail_at_epoch;      /* test hook, CNN_TEST_FAIL_SAVE_AT_EPOCH (0: off) */
} saver;

/* ---- SIGINT: the first stops training after its current step (train_run
 * checks the flag) and a checkpoint is written; a second one ends the
 * process at once, removing a checkpoint's half-written .tmp first. ---- */

static volatile sig_atomic_t interrupts;
static char writing_tmp[4200];             /* the .tmp being written ... */
static volatile sig_atomic_t writing;      /* ... while this is set */

static void on_sigint(int sig)
{
    if (interrupts++ == 0) return;
    if (writing) unlink(writing_tmp);
    signal(sig, SIG_DFL);
    raise(sig); /* delivered when the handler returns: the process ends as killed by it */
}

/* All parameters and momentum values finite. */
static int all_finite(const float *p, long n)
{
    for (long i = 0; i < n; i++)
        if (!isfinite(p[i])) return 0;
    return 1;
}

/* Writes the net to path; on failure err holds one line (without "cnn
 * train: ") and any previous file at path is unchanged. */
static int save_checkpoint(saver *s, const char *path, int epochs_done, long steps,
                           uint64_t state, char *err, size_t errlen)
{
    const cnn_ops *ops = s->nt->ops;
    long n = s->nt->n_params;
    float *params = malloc(sizeof(float) * (n ? n : 1)), *mom = malloc(sizeof(float) * (n ? n : 1));
    int rc = -1;
    if (params && mom) {
        ops->download(params, s->nt->params, sizeof(float) * n);
        ops->download(mom, s->nt->momentum, sizeof(float) * n);
        s->meta.epochs_done = epochs_done;
        s->meta.steps_done = (uint64_t)steps;
        s->meta.rng_state = state;
        if (!all_finite(params, n) || !all_finite(mom, n)) {
            snprintf(err, errlen, "%s: not writing a checkpoint of weights that are not finite "
                                  "(NaN or infinite); any previous checkpoint there is unchanged",
                     path);
        } else {
            snprintf(writing_tmp, sizeof writing_tmp, "%s.tmp", path);
            /* Test hook: the .tmp path becomes a folder, so this save fails
             * the way a full disk or a lost permission would. */
            if (s->fail_at_epoch > 0 && epochs_done == s->fail_at_epoch) mkdir(writing_tmp, 0700);
            writing = 1;
            rc = checkpoint_save(path, &s->meta, params, mom, n, err, errlen);
            writing = 0;
            if (rc == 0 && path == s->save) {
                s->saved = 1;
                s->saved_epochs = epochs_done;
            }
        }
    } else {
        snprintf(err, errlen, "%s: out of memory writing the checkpoint", path);
    }
    free(params);
    free(mom);
    return rc;
}

static int on_epoch(void *ctx, int epochs_done, long steps, uint64_t state)
{
    saver *s = ctx;
    char err[4400];
    if (s->save && s->save_every > 0 && epochs_done % s->save_every == 0 &&
        save_checkpoint(s, s->save, epochs_done, steps, state, err, sizeof err)) {
        fprintf(stderr, "cnn train: %s; training stopped after epoch %d\n", err, epochs_done);
        return -1;
    }
    return 0;
}

/* An environment variable's positive integer value, 0 when unset. */
static long env_long(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : 0;
}

/* A checkpoint is written to "<path>.tmp" and renamed: both must be possible. */
static int check_checkpoint_path(const char *path)
{
    char tmp[4096];
    struct stat st;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (check_writable("train", "--save", path)) return -1;
    if (stat(tmp, &st) == 0 && !S_ISREG(st.st_mode)) {
        fprintf(stderr, "cnn train: --save %s: %s is in the way (not a file)\n", path, tmp);
        return -1;
    }
    return 0;
}

static FILE *open_log(const char *path)
{
    if (!strcmp(path, DEFAULT_LOG)) mkdir("build", 0777); /* the default's folder */
    if (check_writable("train", "--log", path)) return NULL;
    struct stat st;
    int fresh = stat(path, &st) != 0 || st.st_size == 0;
    FILE *f = fopen(path, "a");
    if (!f) {
        fprintf(stderr, "cnn train: --log %s: cannot write: %s\n", path, strerror(errno));
        return NULL;
    }
    if (fresh) fprintf(f, "kind,epoch,step,loss,acc,lr,seconds\n");
    fflush(f);
    return f;
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
        fprintf(stderr, "cnn train: --resume: %s\n", err);
        return -1;
    }
    const net_preset *preset;
    net_spec want;
    if (net_given && resolve_net("train", net_flag, &want, &preset)) return -1;
    if (net_spec_parse(meta->spec, CNN_INPUT_SHAPE, CNN_CLASSES, spec, err, sizeof err) ||
        spec->n_params != n) {
        fprintf(stderr, "cnn train: --resume %s: the checkpoint's network does not fit this "
                        "data (%s)\n", path, meta->spec);
        return -1;
    }
    if (net_given && strcmp(want.text, spec->text) != 0) {
        fprintf(stderr, "cnn train: --resume %s: wrong network: the checkpoint holds %s, "
                        "--net asks for %s\n", path, spec->text, want.text);
        return -1;
    }
    c->lr = meta->lr;
    c->lr_gamma = meta->lr_gamma;
    c->lr_step = meta->lr_step;
    c->momentum = meta->momentum;
    c->weight_decay = meta->weight_decay;
    c->batch = meta->batch;
    c->seed = meta->seed;
    c->epochs = epochs_flag > 0 ? epochs_flag : meta->epochs;
    c->resume = 1;
    c->start_epoch = meta->epochs_done;
    c->start_step = (long)meta->steps_done;
    c->shuffle_state = meta->rng_state;
    if (c->start_epoch >= c->epochs) {
        fprintf(stderr, "cnn train: --resume %s: %d of %d epochs are already done: pass "
                        "--epochs N with N > %d to train on\n", path, c->start_epoch,
                c->epochs, c->start_epoch);
        return -1;
    }
    return 0;
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
        fprintf(stderr, "cnn train: note: --resume %s: a version 1 checkpoint records no "
                        "training data, so this run's data cannot be verified against it\n",
                path);
    } else if (!checkpoint_same_data(meta, &now, why, sizeof why)) {
        fprintf(stderr, "cnn train: --resume %s: %s\n", path, why);
        return -1;
    }
    return 0;
}

int cmd_train(int argc, char **argv)
{
    const char *net_name, *data_dir, *device, *log_path, *save = "", *resume = "";
    int gpu, threads, epochs = 0, batch = 0, lr_step = 0, save_every = 0;
    float lr = 0, gamma = 0, momentum = 0, decay = 0;
    train_config c = {0};
    const char *normalize = "";
    enum { NET, EPOCHS, BATCH, LR, LR_STEP, LR_GAMMA, MOMENTUM, DECAY, NORMALIZE, DATA };
    cli_opt opts[] = {
        [NET] = {"net", OPT_STR, &net_name, "seed-cnn", "preset (seed-cnn, mlp1, mlp2) or layer spec", 0, 0},
        [EPOCHS] = {"epochs", OPT_INT, &epochs, NULL, "epochs to train (default: the preset's, 30)", 0, 0},
        [BATCH] = {"batch", OPT_INT, &batch, NULL, "samples per step (default: the preset's: seed-cnn 50, mlp1 100, mlp2 50)", 0, 0},
        [LR] = {"lr", OPT_FLOAT, &lr, NULL, "learning rate (default: the preset's: 0.1, mlp2 0.05)", 0, 0},
        [LR_STEP] = {"lr-step", OPT_INT, &lr_step, NULL, "multiply the lr by --lr-gamma every N epochs, 0 never (default: 5)", 1, 0},
        [LR_GAMMA] = {"lr-gamma", OPT_FLOAT, &gamma, NULL, "the lr's factor every --lr-step epochs (default: 0.5)", 0, 0},
        [MOMENTUM] = {"momentum", OPT_FLOAT, &momentum, NULL, "SGD momentum (default: the preset's: 1e-4, mlp2 0.9)", 1, 0},
        [DECAY] = {"weight-decay", OPT_FLOAT, &decay, NULL, "L2 weight decay (default: the preset's: 2e-4, mlp1 1e-4)", 1, 0},
        [NORMALIZE] = {"normalize", OPT_STR, &normalize, NULL, "inputs: std (mean 0, deviation 1) or unit ([0,1]) (default: the preset's: std, mlp2 unit)", 0, 0},
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
        {"threads", OPT_INT, &threads, "0", "CPU threads (0: all cores)", 1, 0},
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
                                      "weight-decay", "normalize", "seed"};
        for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
            for (size_t j = 0; j < sizeof fixed / sizeof fixed[0]; j++)
                if (opts[i].given && !strcmp(opts[i].name, fixed[j])) {
                    fprintf(stderr, "cnn train: --%s cannot change a resumed run (the "
                                    "checkpoint keeps its own); drop it, or start a new run\n",
                            fixed[j]);
                    return 2;
                }
        if (resume_from(resume, net_name, opts[NET].given, &spec, &c,
                        opts[EPOCHS].given ? epochs : 0, &meta, &ck_params, &ck_mom)) {
            free(ck_params);
            free(ck_mom);
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
        if (!opts[NORMALIZE].given) normalize = preset->normalize;
        if (strcmp(normalize, "std") && strcmp(normalize, "unit")) {
            fprintf(stderr, "cnn train: --normalize: expected std or unit, got \"%s\"\n",
                    normalize);
            return 2;
        }
    }
    c.threads = threads;

    int status = 1, handler_set = 0;
    struct sigaction old_sa;
    FILE *csv = NULL;
    dataset train = {0}, test = {0};
    device_dataset dtrain = {0}, dtest = {0};
    net *nt = NULL;
    char desc[256];
    const cnn_ops *ops;
    if ((*save && check_checkpoint_path(save)) || (*log_path && !(csv = open_log(log_path))))
        goto done;
    cpu_ops_set_threads(threads);
    if (!(ops = open_device("train", device, gpu, desc, sizeof desc)) ||
        load_data("train", data_dir, &train, &test))
        goto done;
    if (*resume && check_resume_data(resume, &meta, &train, c.train_limit)) goto done;

    float scale, shift;
    if (*resume) {
        scale = meta.input_scale;
        shift = meta.input_shift;
    } else {
        input_normalization(normalize, &train, &scale, &shift);
    }
    printf("cnn train (this build's backends: %s)\n", device_build_backends());
    printf("  %-13s %s\n  %-13s %s\n", "net", *resume ? meta.spec : net_name, "spec", spec.text);
    printf("  %-13s %ld\n", "parameters", spec.n_params);
    printf("  %-13s %s (%d train, %d test)\n", "data", data_dir,
           c.train_limit && c.train_limit < train.count ? c.train_limit : train.count, test.count);
    printf("  %-13s %s\n", "device", desc);
    printf("  %-13s %d%s\n  %-13s %d\n", "epochs", c.epochs,
           *resume ? " (resumed)" : "", "batch", c.batch);
    printf("  %-13s %g, x%g every %d epochs\n", "lr", c.lr, c.lr_gamma, c.lr_step);
    printf("  %-13s %g\n  %-13s %g\n", "momentum", c.momentum, "weight decay", c.weight_decay);
    printf("  %-13s %llu\n", "seed", (unsigned long long)c.seed);
    printf("  %-13s x * %.6g %+.6g\n", "input", scale, shift);
    printf("  %-13s %s\n", "log", *log_path ? log_path : "(none)");
    if (*resume) {
        int count = c.train_limit && c.train_limit < train.count ? c.train_limit : train.count;
        long steps = (count + c.batch - 1) / c.batch, in = c.start_step - c.start_epoch * steps;
        if (in > 0 && in < steps)
            printf("  %-13s %s, in epoch %d after %ld of its %ld steps\n", "resumed from", resume,
                   c.start_epoch + 1, in, steps);
        else
            printf("  %-13s %s, after epoch %d\n", "resumed from", resume, c.start_epoch);
    }
    if (*save) printf("  %-13s %s\n", "checkpoint", save);
    fflush(stdout);

    device_dataset_upload(ops, &train, c.train_limit, scale, shift, &dtrain);
    device_dataset_upload(ops, &test, 0, scale, shift, &dtest);
    nt = net_create(ops, &spec, c.batch);
    net_init_params(nt, c.seed);
    if (*resume) {
        ops->upload(nt->params, ck_params, sizeof(float) * spec.n_params);
        ops->upload(nt->momentum, ck_mom, sizeof(float) * spec.n_params);
    }
    saver sv = {nt, *save ? save : NULL, save_every, {{0}, 1, 28, 28, CNN_CLASSES, c.lr,
                c.lr_gamma, c.momentum, c.weight_decay, c.lr_step, c.batch, c.epochs, 0, 0,
                c.seed, 0, scale, shift, 0, 0, 0, 0, 0}, 0, 0,
                (int)env_long("CNN_TEST_FAIL_SAVE_AT_EPOCH")};
    snprintf(sv.meta.spec, sizeof sv.meta.spec, "%s", spec.text);
    checkpoint_set_data(&sv.meta, train.labels, train.count, c.train_limit);
    c.on_epoch = on_epoch;
    c.on_epoch_ctx = &sv;
    c.stop = &interrupts;
    c.test_sigint_at_step = env_long("CNN_TEST_SIGINT_AT_STEP"); /* test hook */

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    interrupts = 0;
    sigaction(SIGINT, &sa, &old_sa);
    handler_set = 1;

    train_result res;
    char err[4400];
    int rc = train_run(nt, &c, &dtrain, &dtest, stdout, csv, &res);
    fflush(stdout);
    if (rc == 0) {
        if (sv.save && save_checkpoint(&sv, sv.save, res.epochs_done, res.steps_done,
                                       res.shuffle_state, err, sizeof err)) {
            fprintf(stderr, "cnn train: %s\n", err);
            goto done;
        }
        int run = res.epochs_done - c.start_epoch;
        printf("{\"net\":\"%s\",\"spec\":\"%s\",\"params\":%ld,\"device\":\"%s\",\"epochs\":%d,"
               "\"batch\":%d,\"seed\":%llu,\"train_loss\":%.6f,\"train_acc\":%.4f,"
               "\"test_loss\":%.6f,\"test_acc\":%.4f,\"train_seconds\":%.3f,"
               "\"seconds_per_epoch\":%.4f,\"images_per_second\":%.1f}\n",
               *resume ? meta.spec : net_name, spec.text, spec.n_params, ops->name,
               res.epochs_done, c.batch, (unsigned long long)c.seed, res.train_loss,
               res.train_acc, res.test_loss, res.test_acc, res.train_seconds,
               res.train_seconds / run, (double)dtrain.count * run / res.train_seconds);
        status = 0;
    } else if (rc == 1) {
        /* interrupted: the run's state goes to --save, or to a file here */
        const char *path = sv.save ? sv.save : INTERRUPTED_CKPT;
        char where[64];
        if (res.epoch_step > 0)
            snprintf(where, sizeof where, "at epoch %d, step %ld", res.epochs_done + 1,
                     res.steps_done);
        else
            snprintf(where, sizeof where, "after epoch %d, step %ld", res.epochs_done,
                     res.steps_done);
        if (save_checkpoint(&sv, path, res.epochs_done, res.steps_done, res.shuffle_state, err,
                            sizeof err)) {
            fprintf(stderr, "cnn train: interrupted %s, but the checkpoint was not written: "
                            "%s\n", where, err);
            goto done;
        }
        char more[4400] = "";
        if (opts[DATA].given)
            snprintf(more, sizeof more, " --data %s", data_dir);
        if (c.train_limit > 0)
            snprintf(more + strlen(more), sizeof more - strlen(more), " --train-limit %d",
                     c.train_limit);
        if (sv.save) snprintf(more + strlen(more), sizeof more - strlen(more), " --save %s", path);
        fprintf(stderr, "cnn train: interrupted %s: checkpoint written to %s%s; continue with: "
                        "cnn train --resume %s%s\n", where, path,
                sv.save ? "" : " (no --save was given)", path, more);
        status = 130;
    } else if (res.nonfinite_step > 0) {
        char last[4400];
        struct stat st;
        if (sv.saved)
            snprintf(last, sizeof last, "the last good checkpoint, %s (after epoch %d), is intact",
                     sv.save, sv.saved_epochs);
        else if (*resume)
            snprintf(last, sizeof last, "the last good checkpoint, %s (the one resumed from), "
                                        "is intact", resume);
        else if (sv.save && stat(sv.save, &st) == 0)
            snprintf(last, sizeof last, "no checkpoint was written (%s is unchanged; --save-every "
                                        "N writes one every N epochs)", sv.save);
        else if (sv.save)
            snprintf(last, sizeof last, "no checkpoint was written (--save-every N writes one "
                                        "every N epochs)");
        else
            snprintf(last, sizeof last, "no checkpoint was written (--save FILE --save-every N "
                                        "writes one every N epochs)");
        fprintf(stderr, "cnn train: the training loss became %s between steps %ld and %ld (epoch "
                        "%d): stopping; %s%s\n",
                res.nonfinite_nan ? "NaN" : "infinite", res.finite_step, res.nonfinite_step,
                res.nonfinite_epoch, last, *resume ? "" : " (try a smaller --lr)");
    }
done:
    if (handler_set) sigaction(SIGINT, &old_sa, NULL);
    if (nt) net_destroy(nt);
    if (dtrain.images) device_dataset_free(&dtrain);
    if (dtest.images) device_dataset_free(&dtest);
    dataset_free(&train);
    dataset_free(&test);
    if (csv) fclose(csv);
    free(ck_params);
    free(ck_mom);
    return status;
}
