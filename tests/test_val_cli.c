/* --val, --save-best and --target-acc through the cnn binary on small
 * synthetic data: the CSV's val rows, the JSON's fields, the best epoch's
 * checkpoint, the stop at a target, the refusals, and a resumed run with a
 * validation split that ends exactly where an uninterrupted one ends. The
 * binary is $CNN_BIN, or build/cnn. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "idx_util.h"
#include "json_check.h"
#include "run_util.h"

#define TEMP_NAME "test_val_cli"
#define FC_NET "fc16,relu,fc10,softmax"
#define RUN_TIMEOUT_S 120
#define A(...) ((const char *const[]){__VA_ARGS__, NULL})
#define W(...) ((const char *const[]){__VA_ARGS__, NULL})

/* A temporary folder with n training and `tests` test samples. */
static void make_data(char *dir, size_t len, int n, int tests)
{
    make_temp_dir(TEMP_NAME, dir, len);
    write_block_digits(dir, "train", n, 7);
    write_block_digits(dir, "t10k", tests, 8);
}

/* cnn train on the CPU with the data in dir, quiet (run_train: each test
 * names its --log). */
static void train(result *r, const char *env, const char *dir, const char *const *args)
{
    run_train(r, env, dir, args, RUN_TIMEOUT_S);
}

static void expect_success(const result *r, const char *what)
{
    expect_not_crashed(r);
    cr_assert_eq(r->status, 0, "%s: exit %d; stderr:\n%s\nstdout:\n%s", what, r->status, r->err,
                 r->out);
}

/* The JSON field's raw text (see json_field); fails the test when absent. */
static void field(const char *json, const char *key, char *value, size_t len)
{
    cr_assert_eq(json_field(json, key, value, len), 0, "no \"%s\" in %s", key, json);
}

static double field_number(const char *json, const char *key)
{
    char v[64];
    field(json, key, v, sizeof v);
    char *end;
    double x = strtod(v, &end);
    cr_assert(end != v && *end == 0, "\"%s\" is %s, not a number", key, v);
    return x;
}

/* The last line of stdout, checked to be one valid JSON object. */
static void result_json(const result *r, char *json, size_t len)
{
    json_of(r, json, len);
    size_t where;
    cr_assert_eq(json_check(json, &where), 0, "invalid JSON at %zu: %s", where, json);
}

/* The CSV's rows of one kind ("val", "test"): epochs and accuracies, in
 * order; returns how many. */
static int csv_rows(const char *path, const char *kind, int *epochs, double *accs, int max)
{
    size_t len;
    char *text = (char *)read_file(path, &len), *save = NULL;
    int n = 0;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char k[16];
        int epoch;
        long step;
        double loss, acc;
        if (sscanf(line, "%15[a-z],%d,%ld,%lf,%lf", k, &epoch, &step, &loss, &acc) == 5 &&
            !strcmp(k, kind) && n < max) {
            epochs[n] = epoch;
            accs[n++] = acc;
        }
    }
    free(text);
    return n;
}

static checkpoint_meta load_meta(const char *path)
{
    checkpoint ck;
    char err[4400];
    cr_assert_eq(checkpoint_load(path, &ck, err, sizeof err), 0, "%s does not load: %s", path,
                 err);
    checkpoint_meta m = ck.meta;
    checkpoint_free(&ck);
    return m;
}

Test(val_cli, logs_val_rows_and_json_fields, .fini = remove_temp_dir, .timeout = 120)
{
    char dir[256], csv[512], json[4096];
    make_data(dir, sizeof dir, 3200, 200);
    snprintf(csv, sizeof csv, "%s/log.csv", dir);
    result r;
    train(&r, NULL, dir, A("--net", "seed-cnn", "--val", "1000", "--train-limit", "3000",
                           "--epochs", "2", "--log", csv));
    expect_success(&r, "--val 1000");
    cr_assert_not_null(strstr(r.out, "(2000 train, 1000 validation, 200 test)"),
                       "the banner does not show the split:\n%s", r.out);
    cr_assert_not_null(strstr(r.out, "epoch   2  train loss"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "val loss "), "no val on the epoch line:\n%s", r.out);
    int epochs[8], test_epochs[8];
    double accs[8], test_accs[8];
    cr_assert_eq(csv_rows(csv, "val", epochs, accs, 8), 2, "not two val rows in the CSV");
    cr_assert_eq(csv_rows(csv, "test", test_epochs, test_accs, 8), 2);
    cr_assert(epochs[0] == 1 && epochs[1] == 2, "val rows for epochs %d, %d", epochs[0],
              epochs[1]);
    result_json(&r, json, sizeof json);
    cr_assert_eq(field_number(json, "val"), 1000);
    cr_assert_eq(field_number(json, "epochs"), 2);
    double val_acc = field_number(json, "val_acc"), best = field_number(json, "best_val_acc");
    cr_assert(val_acc > 20 && val_acc <= 100, "val_acc %g", val_acc);
    cr_assert_gt(field_number(json, "val_loss"), 0);
    cr_assert_lt(fabs(val_acc - accs[1]), 1e-3, "JSON val_acc %g, CSV %g", val_acc, accs[1]);
    int best_epoch = accs[1] > accs[0] ? 2 : 1;
    cr_assert_eq(field_number(json, "best_val_epoch"), best_epoch);
    cr_assert_lt(fabs(best - accs[best_epoch - 1]), 1e-3);
    char v[64];
    cr_assert_eq(json_field(json, "target_epoch", v, sizeof v), -1,
                 "target fields without --target-acc: %s", json);
    result_free(&r);
}

/* 600 samples, 100 held out; a low rate: validation accuracy climbs for
 * some epochs (65%, 98%, 100%), then stays: the epoch it first peaks at is
 * the one --save-best holds, not a later equal one. */
#define BEST_ARGS "--net", FC_NET, "--val", "100", "--epochs", "6", "--batch", "20", "--lr", \
                  "0.003", "--momentum", "0", "--seed", "2", "--csv-every", "0"

Test(val_cli, save_best_holds_the_best_epoch, .fini = remove_temp_dir, .timeout = 120)
{
    char dir[256], csv[512], best[512], json[4096];
    make_data(dir, sizeof dir, 600, 100);
    snprintf(csv, sizeof csv, "%s/log.csv", dir);
    snprintf(best, sizeof best, "%s/best.ck", dir);
    result r;
    train(&r, NULL, dir, A(BEST_ARGS, "--log", csv, "--save-best", best));
    expect_success(&r, "--save-best");
    cr_assert_not_null(strstr(r.out, best), "the banner does not name %s:\n%s", best, r.out);
    int epochs[8];
    double accs[8];
    cr_assert_eq(csv_rows(csv, "val", epochs, accs, 8), 6);
    int want = 1; /* the first epoch of the highest accuracy */
    for (int i = 1; i < 6; i++)
        if (accs[i] > accs[want - 1]) want = i + 1;
    cr_assert(want > 1 && want < 6, "the best epoch is %d of 6: this schedule no longer tests "
              "a best epoch that is neither the first nor the last", want);
    result_json(&r, json, sizeof json);
    cr_assert_eq(field_number(json, "best_val_epoch"), want);
    checkpoint_meta m = load_meta(best);
    cr_assert_eq(m.epochs_done, want, "%s holds epoch %d, the best was %d", best, m.epochs_done,
                 want);
    cr_assert_eq(m.cfg.val_count, 100, "%s keeps --val %d", best, m.cfg.val_count);
    result_free(&r);
}

Test(val_cli, refusals, .fini = remove_temp_dir, .timeout = 120)
{
    char dir[256], ck[512], lg[512];
    make_data(dir, sizeof dir, 300, 50);
    snprintf(ck, sizeof ck, "%s/a.ck", dir);
    snprintf(lg, sizeof lg, "%s/log.csv", dir);
    result r;
    train(&r, NULL, dir, A("--net", FC_NET, "--epochs", "1", "--save-best", ck, "--log", ""));
    expect_error(&r, 2, W("--save-best", "--val N"), "--save-best without --val");
    result_free(&r);
    train(&r, NULL, dir, A("--net", FC_NET, "--epochs", "1", "--val", "300", "--log", ""));
    expect_error(&r, 2, W("--val 300", "300 training samples used"), "--val 300 of 300");
    result_free(&r);
    train(&r, NULL, dir, A("--net", FC_NET, "--epochs", "1", "--val", "100", "--train-limit",
                           "100", "--log", ""));
    expect_error(&r, 2, W("--val 100", "100 training samples used"), "--val = --train-limit");
    result_free(&r);
    train(&r, NULL, dir, A("--net", FC_NET, "--epochs", "1", "--val", "50", "--save", ck,
                           "--save-best", ck, "--log", ""));
    expect_error(&r, 2, W("name the same file"), "--save-best = --save");
    result_free(&r);
    train(&r, NULL, dir, A("--net", FC_NET, "--epochs", "1", "--val", "50", "--save-best", lg,
                           "--log", lg));
    expect_error(&r, 2, W("name the same file"), "--save-best = --log");
    result_free(&r);
    train(&r, NULL, dir, A("--net", FC_NET, "--epochs", "1", "--target-acc", "101", "--log",
                           ""));
    expect_error(&r, 2, W("--target-acc", "[0, 100]", "\"101\""), "--target-acc 101");
    result_free(&r);
    train(&r, NULL, dir, A("--target-acc", "nan", "--log", ""));
    expect_error(&r, 2, W("--target-acc", "\"nan\""), "--target-acc nan");
    result_free(&r);
    train(&r, NULL, dir, A("--val", "-1", "--log", ""));
    expect_error(&r, 2, W("--val", "\"-1\""), "--val -1");
    result_free(&r);
    /* a resumed run keeps its checkpoint's split */
    train(&r, NULL, dir, A("--net", FC_NET, "--epochs", "1", "--save", ck, "--log", ""));
    expect_success(&r, "the run to resume");
    result_free(&r);
    train(&r, NULL, dir, A("--resume", ck, "--epochs", "2", "--val", "10", "--log", ""));
    expect_error(&r, 2, W("--val cannot change a resumed run"), "--val on --resume");
    result_free(&r);
}

Test(val_cli, target_reached_stops_after_that_epoch, .fini = remove_temp_dir, .timeout = 120)
{
    char dir[256], ck[512], json[4096];
    make_data(dir, sizeof dir, 600, 100);
    snprintf(ck, sizeof ck, "%s/s.ck", dir);
    result r;
    train(&r, NULL, dir, A("--net", FC_NET, "--epochs", "4", "--target-acc", "50", "--save", ck,
                           "--log", ""));
    expect_success(&r, "--target-acc 50");
    cr_assert_not_null(strstr(r.out, "target 50% reached after epoch 1, "), "%s", r.out);
    cr_assert_null(strstr(r.out, "epoch   2"), "it trained on after the target:\n%s", r.out);
    result_json(&r, json, sizeof json);
    cr_assert_eq(field_number(json, "epochs"), 1);
    cr_assert_eq(field_number(json, "target_acc"), 50);
    cr_assert_eq(field_number(json, "target_epoch"), 1);
    double t = field_number(json, "time_to_target_s");
    cr_assert(t > 0 && t <= r.seconds + 0.01, "time_to_target_s %g, the run took %g s", t,
              r.seconds);
    cr_assert_geq(field_number(json, "test_acc"), 50);
    cr_assert_eq(load_meta(ck).epochs_done, 1, "--save is not the target epoch's");
    result_free(&r);
    /* (a rate that leaves the net near chance: these blocks are easy) */
    train(&r, NULL, dir, A("--net", FC_NET, "--epochs", "2", "--target-acc", "99.99", "--lr",
                           "1e-6", "--log", ""));
    expect_success(&r, "--target-acc 99.99");
    cr_assert_null(strstr(r.out, "reached"), "%s", r.out);
    result_json(&r, json, sizeof json);
    cr_assert_eq(field_number(json, "epochs"), 2);
    cr_assert_eq(field_number(json, "target_epoch"), 0);
    char v[64];
    field(json, "time_to_target_s", v, sizeof v);
    cr_assert_str_eq(v, "null");
    result_free(&r);
}

/* 600 samples less 100 held out at batch 80: 6 full steps and one of 20 an
 * epoch. An interrupt mid-epoch and one at an epoch's end, each resumed:
 * the checkpoint at the end holds the uninterrupted run's bytes. */
#define EXACT_VAL_ARGS "--net", FC_NET, "--val", "100", "--epochs", "3", "--batch", "80", \
                       "--lr-step", "1", "--lr-gamma", "0.3", "--momentum", "0.9", "--seed", "11", \
                       "--log", ""

Test(val_cli, interrupted_and_resumed_with_val_is_exact, .fini = remove_temp_dir,
     .timeout = 120)
{
    char dir[256], a[512], b[512], c[512], env[64], what[96], json_a[4096], json_c[4096];
    make_data(dir, sizeof dir, 600, 100);
    snprintf(a, sizeof a, "%s/A.ck", dir);
    snprintf(b, sizeof b, "%s/B.ck", dir);
    snprintf(c, sizeof c, "%s/C.ck", dir);
    result r;
    train(&r, NULL, dir, A(EXACT_VAL_ARGS, "--save", a));
    expect_success(&r, "the uninterrupted run");
    result_json(&r, json_a, sizeof json_a);
    result_free(&r);
    static const int steps[] = {4, 7, 10};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        snprintf(env, sizeof env, "CNN_TEST_SIGINT_AT_STEP=%d", steps[i]);
        snprintf(what, sizeof what, "--val 100, interrupted after step %d", steps[i]);
        remove_tree(b);
        train(&r, env, dir, A(EXACT_VAL_ARGS, "--save", b));
        cr_assert_eq(r.status, 130, "%s: exit %d: %s", what, r.status, r.err);
        result_free(&r);
        cr_assert_eq(load_meta(b).cfg.val_count, 100, "%s: the checkpoint does not keep --val", what);
        train(&r, NULL, dir, A("--resume", b, "--save", c, "--log", ""));
        expect_success(&r, what);
        cr_assert_not_null(strstr(r.out, "(500 train, 100 validation, 100 test)"), "%s:\n%s",
                           what, r.out);
        result_json(&r, json_c, sizeof json_c);
        cr_assert_eq(field_number(json_c, "val_acc"), field_number(json_a, "val_acc"), "%s",
                     what);
        result_free(&r);
        expect_same_file(a, c, what);
    }
}

/* --save-best across an interrupt: the resumed run finds the best epoch the
 * interrupted one wrote (epoch 3 of BEST_ARGS) and replaces it only with a
 * better one, so both files end as the uninterrupted run's. 25 steps an
 * epoch: interrupts in epoch 4 and at its end. */
Test(val_cli, save_best_survives_a_resume, .fini = remove_temp_dir, .timeout = 120)
{
    char dir[256], a[512], a_best[512], b[512], b_best[512], c[512], env[64], what[96];
    char json_a[4096], json_c[4096];
    make_data(dir, sizeof dir, 600, 100);
    snprintf(a, sizeof a, "%s/A.ck", dir);
    snprintf(a_best, sizeof a_best, "%s/A-best.ck", dir);
    snprintf(b, sizeof b, "%s/B.ck", dir);
    snprintf(b_best, sizeof b_best, "%s/B-best.ck", dir);
    snprintf(c, sizeof c, "%s/C.ck", dir);
    result r;
    train(&r, NULL, dir, A(BEST_ARGS, "--log", "", "--save", a, "--save-best", a_best));
    expect_success(&r, "the uninterrupted run");
    result_json(&r, json_a, sizeof json_a);
    result_free(&r);
    static const int steps[] = {90, 100};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        snprintf(env, sizeof env, "CNN_TEST_SIGINT_AT_STEP=%d", steps[i]);
        snprintf(what, sizeof what, "--save-best, interrupted after step %d", steps[i]);
        remove_tree(b);
        remove_tree(b_best);
        train(&r, env, dir, A(BEST_ARGS, "--log", "", "--save", b, "--save-best", b_best));
        cr_assert_eq(r.status, 130, "%s: exit %d: %s", what, r.status, r.err);
        cr_assert_not_null(strstr(r.err, "--save-best"), "%s: the command to continue has no "
                           "--save-best: %s", what, r.err);
        result_free(&r);
        train(&r, NULL, dir, A("--resume", b, "--save", c, "--save-best", b_best, "--log", ""));
        expect_success(&r, what);
        result_json(&r, json_c, sizeof json_c);
        cr_assert_eq(field_number(json_c, "best_val_epoch"),
                     field_number(json_a, "best_val_epoch"), "%s", what);
        cr_assert_eq(field_number(json_c, "best_val_acc"), field_number(json_a, "best_val_acc"),
                     "%s", what);
        result_free(&r);
        expect_same_file(a, c, what);
        expect_same_file(a_best, b_best, what);
    }
}

/* --target-acc is not in the checkpoint: the command an interrupt suggests
 * carries it, so the continued run stops where the uninterrupted one would. */
Test(val_cli, interrupt_suggests_the_target, .fini = remove_temp_dir, .timeout = 120)
{
    char dir[256], b[512];
    make_data(dir, sizeof dir, 600, 100);
    snprintf(b, sizeof b, "%s/B.ck", dir);
    result r;
    train(&r, "CNN_TEST_SIGINT_AT_STEP=4", dir,
          A("--net", FC_NET, "--epochs", "3", "--batch", "100", "--log", "", "--target-acc",
            "99.25", "--save", b));
    cr_assert_eq(r.status, 130, "exit %d: %s", r.status, r.err);
    const char *cmd = strstr(r.err, "continue with: ");
    cr_assert_not_null(cmd, "%s", r.err);
    cr_assert_not_null(strstr(cmd, " --target-acc 99.25"), "no --target-acc in: %s", cmd);
    result_free(&r);
}
