/* cnn train, as a sequence of named steps: parse the flags, resolve the run
 * (a preset's or a checkpoint's), check and open its outputs, load the data
 * and build the net, train, report. The files beside it: train_outputs.c
 * (the log, the checkpoints' paths and locks), train_report.c (the banner,
 * the JSON line); src/run/run_end.c says how a run that does not finish
 * ends. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "best_prior.h"
#include "clock.h"
#include "commands.h"
#include "data_source.h"
#include "data_split.h"
#include "oom_hint.h"
#include "paths.h"
#include "run_end.h"
#include "text_out.h"
#include "train_cmd.h"

/* Exit status of a step that ends the command successfully (--help). */
#define DONE -1

/* The last --net on the command line ("seed-cnn" when none). */
static const char *net_of_args(int argc, char **argv)
{
    const char *name = "seed-cnn";
    for (int a = 2; a < argc; a++) {
        if (!strcmp(argv[a], "--net") && a + 1 < argc) name = argv[++a];
        else if (!strncmp(argv[a], "--net=", 6)) name = argv[a] + 6;
    }
    return name;
}

static int parse_flags(train_cmd *t, int argc, char **argv)
{
    char usage[512], net[64];
    t->preset = net_preset_find(net_of_args(argc, argv));
    if (t->preset)
        snprintf(usage, sizeof usage, "[flags]\n\nThe defaults below are preset %s's (cnn train "
                 "--net NAME --help shows another's).", t->preset->name);
    else /* (a layer spec trains with the defaults) */
        snprintf(usage, sizeof usage, "[flags]\n\n--net %s is no preset: the defaults below are "
                 "the ones a layer spec trains with, seed-cnn's.",
                 text_escape_controls(net_of_args(argc, argv), net, sizeof net));
    flags_add_settings(&t->flags, CMD_TRAIN, &t->c, t->preset ? t->preset->settings : NULL);
    int r = flags_parse(&t->flags, "train", usage, argc, argv);
    return r < 0 ? 2 : r > 0 ? DONE : 0;
}

/* A setting given that must lie within another's, or needs another. */
static int settings_disagree(const run_config *c)
{
    if (!*c->resume && !(c->warmup <= c->epochs)) {
        print_error("cnn train: --warmup %g is longer than the run's %d epochs", c->warmup,
                    c->epochs);
        return 1;
    }
    if (*c->save_best && c->val_count <= 0) {
        print_error("cnn train: --save-best %s picks the epoch by validation accuracy: give "
                    "--val N too (N training samples held out)", c->save_best);
        return 1;
    }
    return 0;
}

/* A new run: the data, then the network of --net for its shape and classes,
 * bn's settings from the flags. */
static int resolve_new(train_cmd *t)
{
    const net_preset *preset;
    /* the spec's words and order: its shapes wait for the data (shape_new_run) */
    if (resolve_net("train", t->c.net, (shape3){0, 0, 0}, 0, &t->spec, &preset)) return 2;
    return 0;
}

static int batches_refused(const train_cmd *t);

/* A new run's net for its data's shape and classes, read from the data's
 * headers (data_probe) once its outputs are open, before its samples are
 * read; and its batches checked against the net's limits. */
/* The data's shape: from its headers, or, for a picture folder (whose
 * shape only its pictures tell), by loading it once, for load_sets too. */
static int probe_data(train_cmd *t, data_shape *d)
{
    char err[ERR_LINE_MAX];
    if (data_format(&t->c) != FORMAT_FOLDER) {
        if (data_probe(&t->c, d, err, sizeof err) == 0) return 0;
        print_error("cnn train: %s", err);
        return -1;
    }
    if (load_data("train", &t->c, 0, &t->train, &t->test, &t->skipped)) return -1;
    t->data_loaded = 1;
    *d = (data_shape){FORMAT_FOLDER, t->train.channels, t->train.rows, t->train.cols,
                      t->train.classes, 0};
    return 0;
}

static int shape_new_run(train_cmd *t)
{
    const net_preset *preset;
    data_shape d;
    if (probe_data(t, &d)) return 1;
    t->c.format = d.format; /* (the checkpoint keeps the format found, not "auto") */
    shape3 in = {d.channels, d.rows, d.cols};
    /* labels alone (IDX): a spec's last fc may know more classes than appear */
    int classes = d.classes_at_least && !net_preset_find(t->c.net) ? -d.classes : d.classes;
    if (resolve_net("train", t->c.net, in, classes, &t->spec, &preset)) return 2;
    t->spec.bn_momentum = t->c.bn_momentum;
    t->spec.bn_eps = t->c.bn_eps;
    return batches_refused(t) ? 2 : 0;
}

/* The run's own settings continue on --resume: a flag that would change
 * one is refused rather than silently ignored. */
static int refuse_fixed_flags(const train_cmd *t)
{
    for (int i = 0; i < run_settings_count; i++)
        if ((run_settings[i].roles & SET_FIXED) && flags_given(&t->flags, run_settings[i].flag)) {
            print_error("cnn train: --%s cannot change a resumed run (the checkpoint keeps its "
                        "own); drop it, or start a new run", run_settings[i].flag);
            return 1;
        }
    return 0;
}

/* The checkpoint's settings and position: a kept setting the run may change
 * (--epochs extends it; --data and its like name where its data now is)
 * is the flag's when given. */
static void take_checkpoint_settings(train_cmd *t)
{
    const checkpoint_meta *m = &t->resumed.ck.meta;
    for (int i = 0; i < run_settings_count; i++) {
        const setting_def *d = &run_settings[i];
        int may_change = !(d->roles & SET_FIXED) && flags_given(&t->flags, d->flag);
        if ((d->roles & SET_KEPT) && !may_change) setting_copy(d, &t->c, &m->cfg);
    }
    t->plan.resume = 1;
    t->plan.start_epoch = m->epochs_done;
    t->plan.start_step = (long)m->steps_done;
    t->plan.shuffle_state = m->rng_state;
}

/* A resumed run keeps its checkpoint's class names: a --class-names that
 * would rename them is refused, not ignored. */
static int resumed_names_differ(const train_cmd *t)
{
    char err[ERR_LINE_MAX];
    class_names given;
    const class_names *kept = &t->resumed.ck.meta.names;
    if (!flags_given(&t->flags, "class-names") || !*t->c.class_names) return 0;
    if (class_names_parse(t->c.class_names, &given, err, sizeof err)) {
        print_error("cnn train: %s", err);
        return 1;
    }
    if (class_names_same(&given, kept)) return 0;
    print_error("cnn train: --resume %s: --class-names %s would rename the classes the "
                "checkpoint keeps (%s%s): drop it, or start a new run", text_shown(t->c.resume),
                text_shown(t->c.class_names), kept->count ? "the first: " : "none",
                kept->count ? kept->name[0] : "");
    return 1;
}

/* --resume: the network, the settings and the position a checkpoint holds. */
static int resolve_resumed(train_cmd *t)
{
    char err[ERR_LINE_MAX];
    const char *path = t->c.resume;
    if (refuse_fixed_flags(t)) return 2;
    if (model_read(path, &t->resumed, err, sizeof err)) {
        print_error("cnn train: --resume: %s", err);
        return 1;
    }
    if (t->resumed.ck.meta.unknown_setting[0]) {
        print_error("cnn train: --resume %s: the checkpoint holds a setting this cnn does not "
                    "know, \"%s\" (written by a newer cnn: update this one to resume it; eval, "
                    "predict and visualize can read it)", path,
                    t->resumed.ck.meta.unknown_setting);
        return 1;
    }
    if (resumed_names_differ(t)) return 2;
    net_spec want;
    const net_preset *preset;
    if (flags_given(&t->flags, "net")) {
        const checkpoint_meta *m = &t->resumed.ck.meta;
        shape3 in = {m->in_c, m->in_h, m->in_w};
        if (resolve_net("train", t->c.net, in, m->classes, &want, &preset)) return 1;
        if (strcmp(want.text, t->resumed.spec.text) != 0) {
            print_error("cnn train: --resume %s: wrong network: the checkpoint holds %s, "
                        "--net asks for %s", path, t->resumed.spec.text, want.text);
            return 1;
        }
    }
    t->spec = t->resumed.spec;
    take_checkpoint_settings(t);
    int done = t->plan.start_epoch;
    if (done >= t->c.epochs) {
        print_error("cnn train: --resume %s: %d of %d epochs are already done: pass --epochs N "
                    "with N > %d to train on", path, done, t->c.epochs, done);
        return 1;
    }
    if (t->c.warmup > t->c.epochs) { /* (a checkpoint could not hold the run's end) */
        print_error("cnn train: --resume %s: --epochs %d is shorter than the run's warmup of "
                    "%g epochs: pass --epochs N with N >= %.0f", path, t->c.epochs, t->c.warmup,
                    ceil(t->c.warmup));
        return 1;
    }
    return 0;
}

/* A resumed run keeps its checkpoint's batch (no flag changes it): a batch
 * past what this network's tensors can hold is refused with the advice
 * that works, a new run. */
static int resumed_batch_refused(const train_cmd *t)
{
    net_size s;
    if (!net_size_check(&t->spec, t->c.batch, &s)) return 0;
    if (s.max_batch <= 0) return net_size_refuse("train", NULL, &t->spec, t->c.batch);
    /* (without the usual advice, a smaller batch: one no resume can take) */
    char why[NET_SPEC_MAX + 256];
    net_size_problem(&t->spec, t->c.batch, &s, NULL, why, sizeof why);
    print_error("cnn train: --resume %s: the checkpoint's %s; a resumed run keeps its batch "
                "(--batch cannot change it), so this one cannot go on: start a new run with "
                "--batch %d or less", t->c.resume, why, s.max_batch);
    return -1;
}

/* The batches the net's tensors must hold: a resumed run's is the
 * checkpoint's, which no flag changes (--eval-batch, changing no result,
 * may be given). */
static int batches_refused(const train_cmd *t)
{
    return (*t->c.resume ? resumed_batch_refused(t)
                         : net_size_refuse("train", "--batch", &t->spec, t->c.batch)) ||
           (flags_given(&t->flags, "eval-batch") &&
            net_size_refuse("train", "--eval-batch", &t->spec, t->c.eval_batch));
}

/* A new run's or a checkpoint's settings, checked before any data is read or
 * memory allocated (a new run's net waits for the data's shape). */
static int resolve(train_cmd *t)
{
    int rc = *t->c.resume ? resolve_resumed(t) : resolve_new(t);
    if (rc) return rc;
    if (settings_disagree(&t->c)) return 2;
    t->plan.process_start = process_start_s;
    return *t->c.resume && batches_refused(t) ? 2 : 0; /* (a new run's: shape_new_run) */
}

/* A format 1 checkpoint records no data: the run's is taken as its own (its
 * steps done moved to the epoch's first step where they do not fit this
 * data), with a one-line note. */
static void take_v1_data(train_cmd *t)
{
    checkpoint_meta *meta = &t->resumed.ck.meta;
    unsigned long long had = meta->steps_done;
    if (checkpoint_take_data(meta, t->train.labels, t->train.count, t->c.train_limit))
        print_error("cnn train: note: --resume %s: a version 1 checkpoint records no training "
                    "data, and its %llu steps done do not fall in epoch %d on this run's: it "
                    "was trained on another sample count; training goes on from that epoch's "
                    "first step (step %llu)", t->c.resume, had, meta->epochs_done + 1,
                    (unsigned long long)meta->steps_done);
    else
        print_error("cnn train: note: --resume %s: a version 1 checkpoint records no training "
                    "data, so this run's data cannot be verified against it", t->c.resume);
    t->plan.start_step = (long)meta->steps_done;
}

/* A resumed run must train on the samples the checkpoint was trained on, or
 * it would repeat or skip some: the same number used and the same labels
 * (their CRC; the images are not compared). A format 1 checkpoint records no
 * data: a one-line note says so. */
static int check_resume_data(train_cmd *t)
{
    const checkpoint_meta *meta = &t->resumed.ck.meta;
    checkpoint_meta now = {0};
    char why[512];
    checkpoint_set_data(&now, t->train.labels, t->train.count, t->c.train_limit);
    if (meta->data_unknown) {
        take_v1_data(t);
    } else if (!checkpoint_same_data(meta, &now, why, sizeof why)) {
        print_error("cnn train: --resume %s: %s", t->c.resume, why);
        return 1;
    }
    return 0;
}

/* Whether a bn layer would normalise some feature over a single value: bn
 * after an fc or on a 1x1 map sees one value per sample, so a step of one
 * sample (--batch 1, or an epoch's last step) would make its variance 0 and
 * its gradient 0, and collapse the running variance. Says so. */
static int bn_sees_one_value(const net_spec *spec, const run_config *c, int used)
{
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

/* The data must have the run's shape and classes (the checkpoint's, or
 * what the probe found: a folder may change between the two reads). */
static int check_data_shape(const train_cmd *t)
{
    const net_spec *s = &t->spec;
    const dataset *d = &t->train;
    char have[64], want[64];
    if (d->channels == s->in.c && d->rows == s->in.h && d->cols == s->in.w &&
        (d->classes == s->classes || (d->classes_at_least && d->classes < s->classes)))
        return 0;
    char who[PATH_BUF_MAX + 16] = "";
    if (*t->c.resume) snprintf(who, sizeof who, " --resume %s:", text_shown(t->c.resume));
    print_error("cnn train:%s the net is for %s inputs of %d classes; --data %s holds %s "
                "inputs of %d classes", who,
                data_shape_text(s->in.c, s->in.h, s->in.w, want, sizeof want), s->classes,
                text_shown(t->c.data),
                data_shape_text(d->channels, d->rows, d->cols, have, sizeof have), d->classes);
    return 1;
}

/* A picture folder of one tree has no test set: --val's samples are it. */
static int test_from_val(train_cmd *t)
{
    if (t->test.count) return 0;
    if (t->c.val_count <= 0) {
        print_error("cnn train: --data %s has no test/ folder (one tree of class folders): give "
                    "--val N to hold out N of its pictures, which are then the test set too",
                    t->c.data);
        return 2;
    }
    dataset_free(&t->test);
    t->test_is_val = 1;
    return 0;
}

/* The data: train, test and --val's split, checked against a resumed run. */
static int load_sets(train_cmd *t)
{
    const run_config *c = &t->c;
    if ((!t->data_loaded &&
         load_data("train", c, t->spec.classes, &t->train, &t->test, &t->skipped)) ||
        check_data_shape(t))
        return 1;
    if (t->c.format == FORMAT_AUTO) /* (a checkpoint from before: the format found kept) */
        t->c.format = data_format(c);
    t->train.classes = t->test.classes = t->spec.classes;
    if (*c->resume && check_resume_data(t)) return 1;
    if (test_from_val(t)) return 2;
    t->train_used = &t->train;
    if (c->val_count > 0) {
        char err[512];
        if (data_split(&t->train, c->train_limit, c->val_count, c->seed, &t->train_rest,
                       &t->held, err, sizeof err)) {
            print_error("cnn train: %s", err);
            return 2;
        }
        t->train_used = &t->train_rest;
        if (t->test_is_val) t->test = t->held; /* (a copy of its header: freed once, as held) */
    }
    /* (the split has applied --train-limit already) */
    int used = t->train_used->count;
    if (c->val_count <= 0 && c->train_limit && c->train_limit < used) used = c->train_limit;
    t->samples_used = used;
    return bn_sees_one_value(&t->spec, c, used) ? 2 : 0;
}

/* The sets in backend memory and the net, at its first weights. */
static void build(train_cmd *t)
{
    const run_config *c = &t->c;
    /* (the split has applied --train-limit already) */
    oom_hint_set("the training set's %d samples: --train-limit takes fewer", t->samples_used);
    device_dataset_upload(t->ops, t->train_used, c->val_count > 0 ? 0 : c->train_limit, &t->norm,
                          &t->dtrain);
    oom_hint_set("the test set's %d samples", t->test.count);
    device_dataset_upload(t->ops, &t->test, 0, &t->norm, &t->dtest);
    if (c->val_count > 0) {
        oom_hint_set("the --val set's %d samples: try a smaller --val", t->held.count);
        device_dataset_upload(t->ops, &t->held, 0, &t->norm, &t->dval);
        t->plan.val = &t->dval;
    }
    /* training steps take at most c->batch samples of these buffers: the
     * larger allocation for evaluation leaves them bit for bit as they were */
    const char *sizer = c->eval_batch > c->batch ? "--eval-batch" : "--batch";
    int held = c->batch > c->eval_batch ? c->batch : c->eval_batch;
    oom_hint_set("the net's buffers hold %s %d samples: try a smaller %s", sizer, held, sizer);
    t->nt = net_create(t->ops, &t->spec, held);
    t->nt->eval_batch = c->eval_batch;
    net_init_params(t->nt, c->seed, c->init_std);
}

#ifdef CNN_TEST_HOOKS
/* build/cnn-hooks only, for the tests: CNN_TEST_SIGINT_AT_STEP=N raises
 * SIGINT after global step N (an interrupt at an exact place), and
 * CNN_TEST_FAIL_SAVE_AT_EPOCH=N makes the save after epoch N fail as a full
 * disk would (saver.c). */
static long env_long(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : 0;
}

static void raise_at_step(void *ctx, long steps_done)
{
    if (steps_done == *(const long *)ctx) raise(SIGINT);
}

static void install_test_hooks(train_cmd *t)
{
    static long sigint_at;
    sigint_at = env_long("CNN_TEST_SIGINT_AT_STEP");
    if (sigint_at > 0) {
        t->plan.on_step = raise_at_step;
        t->plan.on_step_ctx = &sigint_at;
    }
    t->sv.fail_at_epoch = (int)env_long("CNN_TEST_FAIL_SAVE_AT_EPOCH");
}
#endif

/* What the run writes and calls: the saver of --save and --save-best, with
 * the run's network, settings and data. */
static void plan_saves(train_cmd *t)
{
    const run_config *c = &t->c;
    t->sv = (saver){.nt = t->nt, .save = *c->save ? c->save : NULL, .save_every = c->save_every,
                    .save_best = *c->save_best ? c->save_best : NULL,
                    .verified_step = &t->res.verified_step};
    checkpoint_meta_init(&t->sv.meta, c, &t->spec, &t->norm,
                         *c->resume ? &t->resumed.ck.meta.names : &t->train.names);
    checkpoint_set_data(&t->sv.meta, t->train.labels, t->train.count, c->train_limit);
    t->plan.on_epoch = saver_on_epoch;
    t->plan.on_epoch_ctx = &t->sv;
    t->plan.on_best_val = saver_on_best_val;
    t->plan.stop = &stop_requests;
#ifdef CNN_TEST_HOOKS
    install_test_hooks(t);
#endif
}

/* The device, the data, the banner, the net (and a resumed run's values). */
static int load(train_cmd *t)
{
    const run_config *c = &t->c;
    if (!(t->ops = open_device("train", c, t->device, sizeof t->device)))
        return 1;
    int rc = *c->resume ? 0 : shape_new_run(t);
    if (rc == 0) rc = load_sets(t);
    if (rc) return rc;
    /* evaluation's passes: no larger than the larger set evaluated */
    int largest = c->val_count > 0 && t->held.count > t->test.count ? t->held.count
                                                                    : t->test.count;
    t->c.eval_batch = eval_batch_size(&t->spec, c->eval_batch, largest);
    if (*c->resume)
        t->norm = t->resumed.ck.meta.norm;
    else
        input_normalization(c->normalize, &t->train, t->train.channels, &t->norm);
    train_banner(t);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        print_error("cnn train: cannot write to stdout: %s: stopping before training",
                    strerror(errno));
        return errno == EPIPE ? 128 + SIGPIPE : 1;
    }
    build(t);
    if (*c->resume && *c->save_best) /* (overwrites nt's parameters: before the resumed ones) */
        best_prior(t->nt, c->save_best, &t->resumed.ck.meta, &t->dval,
                   &t->plan.prior_best_val_acc, &t->plan.prior_best_val_epoch);
    if (*c->resume) model_put(&t->resumed, t->nt, 1);
    plan_saves(t);
    return 0;
}

/* A run that did all its epochs: its checkpoint, then the JSON line; when
 * the log failed in the last epoch, one line more says so (status 1). */
static int finish(train_cmd *t)
{
    char err[ERR_LINE_MAX];
    const train_result *res = &t->res;
    if (t->sv.save && saver_save(&t->sv, t->sv.save, 0, res->epochs_done, res->steps_done,
                                 res->shuffle_state, err, sizeof err)) {
        print_error("cnn train: %s", err);
        return 1;
    }
    train_result_json(t);
    if (!res->csv_errno) return 0;
    if (t->sv.save)
        print_error("cnn train: --log %s: cannot write: %s: the run finished after epoch %d; "
                    "checkpoint written to %s", t->c.log, strerror(res->csv_errno),
                    res->epochs_done, t->sv.save);
    else
        print_error("cnn train: --log %s: cannot write: %s: the run finished after epoch %d "
                    "(no --save was given: no checkpoint written)", t->c.log,
                    strerror(res->csv_errno), res->epochs_done);
    return 1;
}

/* Whether a resumed checkpoint's own weights give a finite test loss, for
 * the line of a run that diverged: a checkpoint an older cnn saved from
 * weights that had blown up is no "last good checkpoint". Evaluated on the
 * net the run leaves, which nothing uses after. */
static int resumed_weights_finite(train_cmd *t)
{
    double loss, acc;
    model_put(&t->resumed, t->nt, 0);
    evaluate(t->nt, &t->dtest, &loss, &acc, NULL);
    return isfinite(loss);
}

/* Trains, then saves and prints the result, or says how the run ended. */
static int train_and_report(train_cmd *t)
{
    train_result *res = &t->res;
    if (stop_signal_received()) {
        print_error("cnn train: interrupted by %s before training started: nothing to save",
                    signal_name(stop_signal_received()));
        return 128 + stop_signal_received();
    }
    int rc = train_run(t->nt, &t->c, &t->plan, &t->dtrain, &t->dtest, stdout, t->csv, res);
    /* (a stop, a closed stdout or a failed log write: its checkpoint) */
    if (rc == 1) return run_end_interrupted(&t->sv, res, &t->c);
    if (rc == 0) return finish(t);
    if (res->nonfinite_step > 0)
        run_end_diverged(&t->sv, &t->c, res, *t->c.resume && resumed_weights_finite(t));
    return 1; /* (else on_epoch or on_best_val said why) */
}

static void release(train_cmd *t, int *status)
{
    if (t->handler_set) restore_stop_signals(t->old_sa);
    train_outputs_close(t, status);
    if (t->nt) net_destroy(t->nt);
    if (t->dtrain.images) device_dataset_free(&t->dtrain);
    if (t->dtest.images) device_dataset_free(&t->dtest);
    if (t->dval.images) device_dataset_free(&t->dval);
    dataset_free(&t->train_rest);
    dataset_free(&t->held);
    dataset_free(&t->train);
    if (!t->test_is_val) dataset_free(&t->test);
    model_free(&t->resumed);
}

int cmd_train(int argc, char **argv)
{
    static train_cmd t; /* (large: kept off the stack) */
    memset(&t, 0, sizeof t);
    t.lock_fd = t.best_lock_fd = -1;
    int status = parse_flags(&t, argc, argv);
    if (status == 0) status = resolve(&t);
    if (status == 0) {
        /* from here on a stop signal is caught: it removes the lock and the
         * temporaries, and before training it ends the run */
        catch_stop_signals(t.old_sa);
        t.handler_set = 1;
        status = train_outputs_open(&t);
    }
    if (status == 0) status = load(&t);
    if (status == 0) status = train_and_report(&t);
    release(&t, &status);
    return status == DONE ? 0 : status;
}
