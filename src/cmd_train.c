/* cnn train: the flags, the start banner, checkpoints, the closing JSON line. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cli.h"
#include "commands.h"
#include "device.h"
#include "file_write.h"
#include "json_out.h"
#include "text_out.h"
#include "train.h"

#define DEFAULT_LOG "build/train.csv"
/* where an interrupted run without --save leaves its checkpoint (a new
 * file: -2, -3, ... are added to the name when it exists) */
#define INTERRUPTED_BASE "cnn-interrupted"

typedef struct {
    net *nt;
    const char *save;
    int save_every;
    checkpoint_meta meta;
    int saved;              /* this run wrote a checkpoint to save ... */
    int saved_epochs;       /* ... after this many epochs */
    int fail_at_epoch;      /* test hook, CNN_TEST_FAIL_SAVE_AT_EPOCH (0: off) */
} saver;

/* ---- SIGINT, SIGTERM, SIGHUP (Ctrl-C, kill, timeout, a scheduler, a
 * closed terminal): the first stops training after its current step
 * (train_run checks the count) and a checkpoint is written; a second one
 * ends the process at once, removing a half-written temporary and the lock
 * file first. ---- */

static const int STOP_SIGNALS[] = {SIGINT, SIGTERM, SIGHUP};
#define N_STOP_SIGNALS (int)(sizeof STOP_SIGNALS / sizeof STOP_SIGNALS[0])
static volatile sig_atomic_t stop_requests;
static volatile sig_atomic_t first_stop_signal;

static void on_stop_signal(int sig)
{
    if (stop_requests++ == 0) {
        first_stop_signal = sig;
        return;
    }
    file_out_remove_on_signal();
    signal(sig, SIG_DFL);
    raise(sig); /* delivered when the handler returns: the process ends as killed by it */
}

static void catch_stop_signals(struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    stop_requests = first_stop_signal = 0;
    for (int i = 0; i < N_STOP_SIGNALS; i++) sigaction(STOP_SIGNALS[i], &sa, &old[i]);
}

static void restore_stop_signals(const struct sigaction *old)
{
    for (int i = 0; i < N_STOP_SIGNALS; i++) sigaction(STOP_SIGNALS[i], &old[i], NULL);
}

static const char *signal_name(int sig)
{
    return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" : "a signal";
}

/* All parameters and momentum values finite. */
static int all_finite(const float *p, long n)
{
    for (long i = 0; i < n; i++)
        if (!isfinite(p[i])) return 0;
    return 1;
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

/* Writes the net to path (with no_replace only where no file is: errno
 * EEXIST otherwise); on failure err holds one line (without "cnn train: ")
 * and any previous file at path is unchanged. */
static int save_checkpoint(saver *s, const char *path, int no_replace, int epochs_done,
                           long steps, uint64_t state, char *err, size_t errlen)
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
            struct rlimit old;
            int limited = limit_file_size(s, epochs_done, &old);
            rc = (no_replace ? checkpoint_save_new : checkpoint_save)(path, &s->meta, params, mom,
                                                                       n, err, errlen);
            int save_errno = errno;
            if (limited) setrlimit(RLIMIT_FSIZE, &old);
            errno = save_errno;
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
        save_checkpoint(s, s->save, 0, epochs_done, steps, state, err, sizeof err)) {
        print_error("cnn train: %s; training stopped after epoch %d", err, epochs_done);
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

static FILE *open_log(const char *path)
{
    if (!strcmp(path, DEFAULT_LOG)) mkdir("build", 0777); /* the default's folder */
    char err[4400];
    int fresh;
    FILE *f = NULL;
    if (file_check_output(path, err, sizeof err) == 0)
        f = file_append_open(path, &fresh, err, sizeof err);
    if (!f) {
        print_error("cnn train: --log %s%s", err,
                    strstr(err, "not a regular file") ? " (--log \"\" for no log)" : "");
        return NULL;
    }
    if (fresh) fprintf(f, "kind,epoch,step,loss,acc,lr,seconds\n");
    if (fflush(f) != 0 || ferror(f)) {
        print_error("cnn train: --log %s: cannot write: %s", path, strerror(errno));
        fclose(f);
        return NULL;
    }
    return f;
}

/* The files a data folder's sets are read from (idx.c looks for each name,
 * then the name with .gz). */
static const char *const DATA_FILES[] = {
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte"};

/* Whether a file the run writes (role `flag`) is one of the data files. */
static int names_data_file(const char *flag, const char *path, const char *data_dir)
{
    for (size_t i = 0; i < sizeof DATA_FILES / sizeof DATA_FILES[0]; i++)
        for (int gz = 0; gz < 2; gz++) {
            char data[4400];
            snprintf(data, sizeof data, "%s/%s%s", data_dir, DATA_FILES[i], gz ? ".gz" : "");
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
static int paths_clash(const char *save, const char *log, const char *resume,
                       const char *data_dir)
{
    const char *names[3][2] = {{"--log", log}, {"--save", save}, {"--resume", resume}};
    for (int i = 0; i < 2; i++) {
        if (!*names[i][1]) continue;
        if (names_data_file(names[i][0], names[i][1], data_dir)) return 1;
        for (int j = 0; j < 3; j++)
            if (j != i && *names[j][1] && !(i == 1 && j == 2) &&
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
    if (net_spec_parse(meta->spec, CNN_INPUT_SHAPE, CNN_CLASSES, spec, err, sizeof err) ||
        spec->n_params != n) {
        print_error("cnn train: --resume %s: the checkpoint's network does not fit this "
                    "data (%s)", path, meta->spec);
        return -1;
    }
    if (net_given && strcmp(want.text, spec->text) != 0) {
        print_error("cnn train: --resume %s: wrong network: the checkpoint holds %s, "
                    "--net asks for %s", path, spec->text, want.text);
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
        print_error("cnn train: --resume %s: %d of %d epochs are already done: pass "
                    "--epochs N with N > %d to train on", path, c->start_epoch,
                    c->epochs, c->start_epoch);
        return -1;
    }
    return 0;
}

/* Locks --save for this run: a second run writing it is refused. */
static int lock_save(const char *save, int *fd)
{
    char err[4400];
    if ((*fd = file_lock(save, "--save", err, sizeof err)) >= 0) return 0;
    print_error("cnn train: %s", err);
    return -1;
}

/* Without --save an interrupt's checkpoint takes a name no file has here:
 * cnn-interrupted.ckpt, else cnn-interrupted-2.ckpt, -3, ... */
static int save_interrupt_checkpoint(saver *s, const train_result *res, char *path,
                                     size_t len, char *err, size_t errlen)
{
    for (int k = 1; k <= 1000; k++) {
        if (k == 1) snprintf(path, len, "%s.ckpt", INTERRUPTED_BASE);
        else snprintf(path, len, "%s-%d.ckpt", INTERRUPTED_BASE, k);
        if (save_checkpoint(s, path, 1, res->epochs_done, res->steps_done, res->shuffle_state,
                            err, errlen) == 0)
            return 0;
        if (errno != EEXIST) return -1;
    }
    snprintf(err, errlen, "%s-1000.ckpt and every name before it exist", INTERRUPTED_BASE);
    return -1;
}

/* A stopped run (a signal, or stdout closed): its state goes to --save, or to
 * a new file here; says how to continue. Returns the exit status: 128 + the
 * signal, 128 + SIGPIPE for a closed stdout, 1 when the save failed. */
static int finish_interrupted(saver *sv, const train_result *res, const train_config *c,
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
    char more[2 * SHELL_WORD_MAX + 64] = "", qpath[SHELL_WORD_MAX], qdata[SHELL_WORD_MAX];
    shell_quote(path, qpath, sizeof qpath);
    if (data_flag) {
        shell_quote(data_flag, qdata, sizeof qdata);
        snprintf(more, sizeof more, " --data %s", qdata);
    }
    if (c->train_limit > 0)
        snprintf(more + strlen(more), sizeof more - strlen(more), " --train-limit %d",
                 c->train_limit);
    if (sv->save) snprintf(more + strlen(more), sizeof more - strlen(more), " --save %s", qpath);
    print_error("cnn train: interrupted %s %s: checkpoint written to %s%s; continue with: "
                "cnn train --resume %s%s", why, where, path,
                sv->save ? "" : " (no --save was given)", qpath, more);
    return sig ? 128 + sig : res->out_errno == EPIPE ? 128 + SIGPIPE : 1;
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
    json_end(&j);
}

/* The hyperparameters that can make the loss diverge, with their values: the
 * rate, a schedule that raises it, momentum and weight decay when in use. */
static void divergence_causes(const train_config *c, int resumed, char *out, size_t len)
{
    char part[64];
    snprintf(out, len, " (%s--lr %g", resumed ? "the checkpoint's " : "", c->lr);
    if (c->lr_step > 0 && c->lr_gamma > 1) {
        snprintf(part, sizeof part, ", --lr-gamma %g", c->lr_gamma);
        strncat(out, part, len - strlen(out) - 1);
    }
    if (c->momentum != 0) {
        snprintf(part, sizeof part, ", --momentum %g", c->momentum);
        strncat(out, part, len - strlen(out) - 1);
    }
    if (c->weight_decay != 0) {
        snprintf(part, sizeof part, ", --weight-decay %g", c->weight_decay);
        strncat(out, part, len - strlen(out) - 1);
    }
    strncat(out, resumed ? ": smaller values need a new run)" : ": try smaller values)",
            len - strlen(out) - 1);
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
        {"threads", OPT_THREADS, &threads, "0", "CPU threads (0: all cores)", 1, 0},
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
                    print_error("cnn train: --%s cannot change a resumed run (the "
                                "checkpoint keeps its own); drop it, or start a new run",
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
            print_error("cnn train: --normalize: expected std or unit, got \"%s\"", normalize);
            return 2;
        }
    }
    c.threads = threads;

    int status = 1, handler_set = 0, lock_fd = -1;
    struct sigaction old_sa[N_STOP_SIGNALS];
    FILE *csv = NULL;
    dataset train = {0}, test = {0};
    device_dataset dtrain = {0}, dtest = {0};
    net *nt = NULL;
    char desc[256];
    const cnn_ops *ops;
    if (paths_clash(save, log_path, resume, data_dir)) {
        status = 2;
        goto done;
    }
    if (*save && (check_writable("train", "--save", save) || lock_save(save, &lock_fd)))
        goto done;
    if (*log_path && !(csv = open_log(log_path))) goto done;
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
    if (fflush(stdout) != 0 || ferror(stdout)) {
        print_error("cnn train: cannot write to stdout: %s: stopping before training",
                    strerror(errno));
        status = errno == EPIPE ? 128 + SIGPIPE : 1;
        goto done;
    }

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
    c.stop = &stop_requests;
    c.test_sigint_at_step = env_long("CNN_TEST_SIGINT_AT_STEP"); /* test hook */
    catch_stop_signals(old_sa);
    handler_set = 1;

    train_result res;
    char err[4400];
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
        char last[4400], causes[256];
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
        divergence_causes(&c, *resume != 0, causes, sizeof causes);
        print_error("cnn train: the training loss became %s between steps %ld and %ld (epoch "
                    "%d): stopping; %s%s", res.nonfinite_nan ? "NaN" : "infinite",
                    res.finite_step, res.nonfinite_step, res.nonfinite_epoch, last, causes);
    }
done:
    if (handler_set) restore_stop_signals(old_sa);
    file_unlock(lock_fd, save);
    if (nt) net_destroy(nt);
    if (dtrain.images) device_dataset_free(&dtrain);
    if (dtest.images) device_dataset_free(&dtest);
    dataset_free(&train);
    dataset_free(&test);
    if (csv && fclose(csv) != 0 && status == 0) {
        print_error("cnn train: --log %s: cannot write: %s", log_path, strerror(errno));
        status = 1;
    }
    free(ck_params);
    free(ck_mom);
    return status;
}
