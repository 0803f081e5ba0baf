/* The cnn command line, run as a separate process: summaries, --help, every
 * kind of bad flag and value (exit 2, one line on stderr), runtime failures
 * (exit 1, one line), and a tiny training run on synthetic IDX data.
 * The binary is $CNN_BIN, or build/cnn when that is unset. */
#include <criterion/criterion.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "idx_util.h"
#include "json_check.h"
#include "run_util.h"

#define RUN_TIMEOUT_S 60
#define TEMP_NAME "test_cli"

#define RUN(r, ...) run_cnn(CNN_ARGV(__VA_ARGS__), RUN_TIMEOUT_S, (r))

/* A usage error (exit 2) whose one stderr line contains all of want. */
static void usage_error(const char *const argv[], const char *const *want)
{
    result r;
    run_cnn(argv, RUN_TIMEOUT_S, &r);
    expect_error(&r, 2, want, NULL);
    result_free(&r);
}

#define USAGE_ERROR(want, ...) usage_error(CNN_ARGV(__VA_ARGS__), (const char *const[])want)

/* `cnn train SAFE... ARGS`: SAFE points --data and --log nowhere, so that a
 * flag wrongly accepted makes a quick runtime error (exit 1, a failed test),
 * never a real training run on data/mnist. */
#define TRAIN_USAGE_ERROR(want, ...)                                                        \
    usage_error(CNN_ARGV("train", "--data", "/nonexistent-data", "--log", "", __VA_ARGS__), \
                (const char *const[])want)

/* A runtime error (exit 1) whose one stderr line contains all of want. */
static void runtime_error(const char *const argv[], const char *const *want)
{
    result r;
    run_cnn(argv, RUN_TIMEOUT_S, &r);
    expect_error(&r, 1, want, NULL);
    result_free(&r);
}

#define RUNTIME_ERROR(want, ...) runtime_error(CNN_ARGV(__VA_ARGS__), (const char *const[])want)
#define W(...) {__VA_ARGS__, NULL}

/* ---- synthetic data ---- */

/* Writes <dir>/<prefix>-images-idx3-ubyte and -labels-idx1-ubyte: n 28x28
 * images of two classes, label 0 bright on the left half and label 1 on the
 * right half, with a little deterministic noise. */
static void write_split(const char *dir, const char *prefix, int n, unsigned seed)
{
    unsigned s = seed;
    unsigned char *labels = malloc((size_t)n), *images = malloc((size_t)n * 28 * 28);
    cr_assert(labels && images);
    for (int i = 0; i < n; i++) labels[i] = (unsigned char)(i % 2);
    for (int i = 0; i < n; i++) {
        unsigned char *img = images + (size_t)i * 28 * 28;
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++) {
                s = s * 1103515245u + 12345u;
                int noise = (int)((s >> 16) % 40);
                int bright = labels[i] == 0 ? x < 14 : x >= 14;
                img[y * 28 + x] = (unsigned char)(bright ? 215 + noise : noise);
            }
    }
    write_idx_split(dir, prefix, n, images, labels);
    free(images);
    free(labels);
}

static void write_synthetic_mnist(const char *dir)
{
    write_split(dir, "train", 200, 1);
    write_split(dir, "t10k", 100, 2);
}

static const char *const JSON_KEYS[] = {"test_acc", "train_seconds", "seconds_per_epoch", "net",
                                        "device", "epochs", "batch", "test_loss"};

/* Trains fc16,relu,fc10,softmax for one epoch on the synthetic data in dir;
 * returns the JSON line in json. */
/* What a first line says this build has: the tests are built with the same
 * CNN_HAVE_CUDA switch as the binary. */
#ifdef CNN_HAVE_CUDA
#define BACKENDS "CPU and CUDA "
#else
#define BACKENDS "CPU only (built without CUDA)"
#endif

/* out's first line is lead followed by BACKENDS (and, with CUDA, the
 * toolkit's version). */
static void expect_backends_first(const char *out, const char *lead)
{
    char want[160];
    snprintf(want, sizeof want, "%s%s", lead, BACKENDS);
    cr_assert(strncmp(out, want, strlen(want)) == 0, "the first line should start with \"%s\": %s",
              want, out);
#ifdef CNN_HAVE_CUDA
    cr_assert(isdigit((unsigned char)out[strlen(want)]), "no CUDA version after \"%s\": %s",
              want, out);
#endif
}

static void train_tiny(const char *dir, const char *seed, const char *log, char *json,
                       size_t len)
{
    result r;
    RUN(&r, "train", "--data", dir, "--device", "cpu", "--epochs", "1", "--batch", "20",
        "--log", log, "--net", "fc16,relu,fc10,softmax", "--seed", seed);
    expect_not_crashed(&r);
    cr_assert_eq(r.status, 0, "training failed with %d; stderr:\n%s\nstdout:\n%s", r.status,
                 r.err, r.out);
    cr_assert_eq(r.err_len, 0, "a successful run wrote to stderr:\n%s", r.err);
    expect_backends_first(r.out, "cnn train (this build's backends: ");
    json_of(&r, json, len);
    result_free(&r);
}

/* ---- summary ---- */

static void expect_summary(const char *net, const char *total)
{
    result r;
    RUN(&r, "summary", "--net", net);
    expect_not_crashed(&r);
    cr_assert_eq(r.status, 0, "summary --net %s: exit %d; stderr: %s", net, r.status, r.err);
    cr_assert_not_null(strstr(r.out, total), "summary --net %s should print '%s', got:\n%s", net,
                       total, r.out);
    cr_assert_eq(r.err_len, 0, "summary wrote to stderr: %s", r.err);
    result_free(&r);
}

Test(cli, summary_presets)
{
    expect_summary("seed-cnn", "total parameters: 4842\n");
    expect_summary("mlp1", "total parameters: 311650\n");
    expect_summary("mlp2", "total parameters: 386718\n");
}

Test(cli, summary_default_and_spec)
{
    result r;
    RUN(&r, "summary");
    expect_not_crashed(&r);
    cr_assert_eq(r.status, 0);
    cr_assert_not_null(strstr(r.out, "total parameters: 4842\n"), "%s", r.out);
    cr_assert_not_null(
        strstr(r.out, "spec conv4k5p2,relu,avgpool2,conv8k5p2,relu,avgpool2,fc10,softmax\n"),
        "%s", r.out);
    result_free(&r);

    RUN(&r, "summary", "--net=fc16 , relu,fc10,softmax");
    expect_not_crashed(&r);
    cr_assert_eq(r.status, 0, "stderr: %s", r.err);
    cr_assert_not_null(strstr(r.out, "spec fc16,relu,fc10,softmax\n"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "total parameters: 12730\n"), "%s", r.out);
    result_free(&r);
}

Test(cli, summary_bad_net)
{
    USAGE_ERROR(W("unknown network", "\"nope\""), "summary", "--net", "nope");
    USAGE_ERROR(W("\"rleu\"", "unknown layer"), "summary", "--net", "fc16,rleu,fc10,softmax");
}

/* ---- help ---- */

/* The help text lists every flag in names, each on a line that says "default",
 * and every flag line (but --help's) says "default". */
static void expect_help(const char *cmd, const char *const *names)
{
    result r;
    RUN(&r, cmd, "--help");
    expect_not_crashed(&r);
    cr_assert_eq(r.status, 0, "%s --help: exit %d; stderr: %s", cmd, r.status, r.err);
    cr_assert_eq(r.err_len, 0, "%s --help wrote to stderr: %s", cmd, r.err);
    cr_assert_not_null(strstr(r.out, "usage: cnn"), "%s", r.out);
    for (const char *const *n = names; *n; n++) {
        char pat[64];
        snprintf(pat, sizeof pat, "\n  --%s ", *n);
        const char *line = strstr(r.out, pat);
        cr_assert_not_null(line, "%s --help does not list --%s:\n%s", cmd, *n, r.out);
        line++;
        size_t len = strcspn(line, "\n");
        char buf[512];
        snprintf(buf, sizeof buf, "%.*s", (int)len, line);
        cr_assert_not_null(strstr(buf, "default"), "%s --help: --%s has no default: %s", cmd,
                           *n, buf);
    }
    for (const char *p = strstr(r.out, "\n  --"); p; p = strstr(p + 1, "\n  --")) {
        size_t len = strcspn(p + 1, "\n");
        char buf[512];
        snprintf(buf, sizeof buf, "%.*s", (int)len, p + 1);
        if (strncmp(buf, "  --help ", 9) == 0) continue;
        cr_assert_not_null(strstr(buf, "default"), "%s --help: a flag without a default: %s",
                           cmd, buf);
    }
    result_free(&r);
}

Test(cli, help_train)
{
    expect_help("train", (const char *const[]){"net", "data", "device", "gpu", "epochs", "batch",
                                               "lr", "lr-step", "lr-gamma", "momentum",
                                               "weight-decay", "seed", "log", "log-every",
                                               "threads", "train-limit", "quiet", "save",
                                               "save-every", "resume", NULL});
}

Test(cli, help_summary)
{
    expect_help("summary", (const char *const[]){"net", NULL});
}

Test(cli, help_eval)
{
    expect_help("eval", (const char *const[]){"model", "data", "device", "gpu", "batch",
                                              "threads", NULL});
    /* eval reads the t10k files only: its help does not ask for all four */
    result r;
    RUN(&r, "eval", "--help");
    cr_assert_null(strstr(r.out, "four MNIST"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "the model's own by default"), "%s", r.out);
    result_free(&r);
}

Test(cli, help_top_level)
{
    result r;
    RUN(&r, "--help");
    expect_not_crashed(&r);
    cr_assert_eq(r.status, 0);
    cr_assert_not_null(strstr(r.out, "train"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "summary"), "%s", r.out);
    result_free(&r);

    /* no command at all: usage on stderr, exit 2 */
    run_cnn((const char *const[]){"cnn", NULL}, RUN_TIMEOUT_S, &r);
    expect_not_crashed(&r);
    cr_assert_eq(r.status, 2);
    cr_assert_not_null(strstr(r.err, "usage"), "%s", r.err);
    result_free(&r);
}

Test(cli, version_names_backends)
{
    result r;
    RUN(&r, "--version");
    expect_not_crashed(&r);
    cr_assert_eq(r.status, 0, "exit %d; stderr: %s", r.status, r.err);
    expect_backends_first(r.out, "cnn: this build's backends: ");
    cr_assert_eq(r.err_len, 0, "--version wrote to stderr: %s", r.err);
    result_free(&r);
}

/* ---- usage errors: exit 2, one line ---- */

Test(cli, unknown_command)
{
    USAGE_ERROR(W("unknown command", "\"frobnicate\""), "frobnicate");
    USAGE_ERROR(W("unknown command", "\"--batch\""), "--batch", "5");
}

Test(cli, unknown_flag)
{
    TRAIN_USAGE_ERROR(W("unknown flag --bogus"), "--bogus", "1");
    USAGE_ERROR(W("unknown flag --bogus"), "summary", "--bogus");
    TRAIN_USAGE_ERROR(W("unknown flag --batc"), "--batc=5");
    TRAIN_USAGE_ERROR(W("unexpected argument", "\"stray\""), "stray");
}

Test(cli, flag_without_value)
{
    TRAIN_USAGE_ERROR(W("--batch needs a value"), "--batch");
    USAGE_ERROR(W("--net needs a value"), "summary", "--net");
    TRAIN_USAGE_ERROR(W("--lr needs a value"), "--epochs", "1", "--lr");
}

Test(cli, bad_batch)
{
    TRAIN_USAGE_ERROR(W("--batch", "\"0\""), "--batch", "0");
    TRAIN_USAGE_ERROR(W("--batch", "\"-5\""), "--batch", "-5");
    TRAIN_USAGE_ERROR(W("--batch", "\"abc\""), "--batch", "abc");
    TRAIN_USAGE_ERROR(W("--batch", "\"99999999999\""), "--batch", "99999999999");
    TRAIN_USAGE_ERROR(W("--batch", "\"2147483648\""), "--batch", "2147483648");
    TRAIN_USAGE_ERROR(W("--batch", "\"5x\""), "--batch=5x");
    TRAIN_USAGE_ERROR(W("--batch", "\"\""), "--batch", "");
}

Test(cli, bad_epochs)
{
    TRAIN_USAGE_ERROR(W("--epochs", "\"0\""), "--epochs", "0");
    TRAIN_USAGE_ERROR(W("--epochs", "\"1.5\""), "--epochs", "1.5");
}

Test(cli, bad_lr)
{
    TRAIN_USAGE_ERROR(W("--lr", "\"0\""), "--lr", "0");
    TRAIN_USAGE_ERROR(W("--lr", "\"-1\""), "--lr", "-1");
    TRAIN_USAGE_ERROR(W("--lr", "\"nan\""), "--lr", "nan");
    TRAIN_USAGE_ERROR(W("--lr", "\"inf\""), "--lr", "inf");
    TRAIN_USAGE_ERROR(W("--lr", "\"abc\""), "--lr", "abc");
    TRAIN_USAGE_ERROR(W("--lr", "\"1e99\""), "--lr", "1e99");
}

Test(cli, bad_net)
{
    TRAIN_USAGE_ERROR(W("unknown network", "\"unknown-net\""), "--net", "unknown-net");
    TRAIN_USAGE_ERROR(W("\"rleu\"", "unknown layer"), "--net", "fc16,rleu,fc10,softmax");
    TRAIN_USAGE_ERROR(W("\"fc16\"", "must end with a loss"), "--net", "fc16");
}

/* A spec that does not fit the data's classes, which the data's labels
 * tell (an IDX set: the largest label + 1 at least). */
Test(cli, net_for_fewer_classes_than_the_labels, .fini = remove_temp_dir)
{
    char dir[256];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    write_synthetic_mnist(dir);
    USAGE_ERROR(W("the last fc has 1 outputs", "labels go up to"), "train", "--data", dir, "--log",
                "", "--device", "cpu", "--net", "fc1,softmax");
}

Test(cli, bad_device)
{
    TRAIN_USAGE_ERROR(W("tpu", "--device"), "--device", "tpu");
}

Test(cli, bad_seed)
{
    TRAIN_USAGE_ERROR(W("--seed", "\"-1\""), "--seed", "-1");
    TRAIN_USAGE_ERROR(W("--seed", "\"abc\""), "--seed", "abc");
    TRAIN_USAGE_ERROR(W("--seed", "\"99999999999999999999999\""), "--seed",
                "99999999999999999999999");
}

Test(cli, bad_other_numbers)
{
    TRAIN_USAGE_ERROR(W("--momentum", "\"-0.5\""), "--momentum", "-0.5");
    TRAIN_USAGE_ERROR(W("--threads", "\"-1\""), "--threads", "-1");
    TRAIN_USAGE_ERROR(W("--quiet", "\"maybe\""), "--quiet=maybe");
    TRAIN_USAGE_ERROR(W("--lr-step", "\"-1\""), "--lr-step", "-1");
}

/* ---- runtime errors: exit 1, one line ---- */

Test(cli, missing_data_folder)
{
    RUNTIME_ERROR(W("/nonexistent", "make data"), "train", "--data", "/nonexistent", "--device",
                  "cpu", "--log", "");
}

Test(cli, empty_data_folder, .fini = remove_temp_dir)
{
    char dir[256];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    RUNTIME_ERROR(W(dir, "train-images-idx3-ubyte", "make data"), "train", "--data", dir,
                  "--device", "cpu", "--log", "");
}

Test(cli, data_is_a_file, .fini = remove_temp_dir)
{
    char dir[256], file[300];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    snprintf(file, sizeof file, "%s/plain", dir);
    FILE *f = fopen(file, "w");
    cr_assert_not_null(f);
    fclose(f);
    RUNTIME_ERROR(W(file, "not a folder"), "train", "--data", file, "--device", "cpu", "--log",
                  "");
}

Test(cli, unwritable_log_fails_before_data)
{
    /* the data folder is missing too: the log must be the one complained about */
    const char *const want[] = {"/nonexistent-dir/x.csv", NULL};
    result r;
    RUN(&r, "train", "--log", "/nonexistent-dir/x.csv", "--data", "/nonexistent-data",
        "--device", "cpu");
    expect_error(&r, 1, want, NULL);
    cr_assert_null(strstr(r.err, "nonexistent-data"), "the data was looked at before the log: %s",
                   r.err);
    cr_assert_eq(r.out_len, 0, "printed before failing: %s", r.out);
    result_free(&r);
}

Test(cli, unwritable_save_fails_before_data)
{
    const char *const want[] = {"--save", "/nonexistent-dir/ck", NULL};
    result r;
    RUN(&r, "train", "--save", "/nonexistent-dir/ck", "--log", "", "--data", "/nonexistent-data",
        "--device", "cpu", "--epochs", "1");
    expect_error(&r, 1, want, NULL);
    cr_assert_null(strstr(r.err, "nonexistent-data"), "the data was looked at first: %s", r.err);
    result_free(&r);
}

Test(cli, resume_missing_checkpoint)
{
    RUNTIME_ERROR(W("/nonexistent-dir/ck"), "train", "--resume", "/nonexistent-dir/ck", "--log",
                  "", "--data", "/nonexistent-data", "--device", "cpu");
}

Test(cli, eval_errors)
{
    USAGE_ERROR(W("--model"), "eval", "--data", "/nonexistent-data");
    USAGE_ERROR(W("unknown flag --bogus"), "eval", "--bogus");
    TRAIN_USAGE_ERROR(W("--save-every", "\"-1\""), "--save-every", "-1");
    RUNTIME_ERROR(W("/nonexistent-dir/ck"), "eval", "--model", "/nonexistent-dir/ck", "--data",
                  "/nonexistent-data", "--device", "cpu");
}

Test(cli, device_gpu_without_gpu)
{
    if (access("/dev/nvidia0", F_OK) == 0 || access("/dev/nvidiactl", F_OK) == 0)
        cr_skip_test("this machine has an NVIDIA device; the test needs one without a GPU");
    result r;
    RUN(&r, "train", "--device", "gpu", "--log", "", "--data", "/nonexistent");
    expect_not_crashed(&r);
    cr_assert_neq(r.status, 0, "--device gpu succeeded on a machine without a GPU");
    cr_assert_eq(r.status, 1, "exit %d; stderr: %s", r.status, r.err);
    expect_error(&r, 1, (const char *const[]){NULL}, NULL);
    cr_assert(strstr(r.err, "gpu") || strstr(r.err, "GPU"), "stderr does not mention the GPU: %s",
              r.err);
    cr_assert_null(strstr(r.err, "/nonexistent"), "data was loaded before the device check: %s",
                   r.err);
    result_free(&r);
}

/* ---- a real (tiny) training run ---- */

Test(cli, train_tiny_synthetic, .fini = remove_temp_dir)
{
    char dir[256], log[320], json[4096];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    write_synthetic_mnist(dir);
    snprintf(log, sizeof log, "%s/log.csv", dir);
    train_tiny(dir, "1", log, json, sizeof json);

    for (size_t i = 0; i < sizeof JSON_KEYS / sizeof JSON_KEYS[0]; i++) {
        char pat[64];
        snprintf(pat, sizeof pat, "\"%s\":", JSON_KEYS[i]);
        cr_assert_not_null(strstr(json, pat), "JSON has no %s: %s", JSON_KEYS[i], json);
    }
    char v[256];
    cr_assert_eq(json_field(json, "net", v, sizeof v), 0);
    cr_assert_str_eq(v, "\"fc16,relu,fc10,softmax\"");
    cr_assert_eq(json_field(json, "device", v, sizeof v), 0);
    cr_assert_str_eq(v, "\"cpu\"");
    cr_assert_eq(json_field(json, "epochs", v, sizeof v), 0);
    cr_assert_str_eq(v, "1");
    cr_assert_eq(json_field(json, "batch", v, sizeof v), 0);
    cr_assert_str_eq(v, "20");
    cr_assert_eq(json_field(json, "test_acc", v, sizeof v), 0);
    double acc = strtod(v, NULL);
    cr_assert(acc >= 90.0 && acc <= 100.0,
              "two trivially separable classes: test_acc %s after an epoch", v);
    cr_assert_eq(json_field(json, "test_loss", v, sizeof v), 0);
    double loss = strtod(v, NULL);
    cr_assert(loss >= 0 && loss < 1.0, "test_loss %s", v);
    cr_assert_eq(json_field(json, "train_seconds", v, sizeof v), 0);
    cr_assert(strtod(v, NULL) >= 0, "train_seconds %s", v);
    cr_assert_eq(json_field(json, "images_per_second", v, sizeof v), 0);
    cr_assert_null(strstr(v, "inf"), "images_per_second %s", v);
    cr_assert_null(strstr(json, "nan"), "JSON has a nan: %s", json);

    FILE *f = fopen(log, "r");
    cr_assert_not_null(f, "no CSV log at %s", log);
    char line[512];
    cr_assert_not_null(fgets(line, sizeof line, f), "the log is empty");
    cr_assert_str_eq(line, "kind,epoch,step,loss,acc,lr,seconds\n");
    int test_rows = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "test,1,", 7) == 0) test_rows++;
    fclose(f);
    cr_assert_eq(test_rows, 1, "the log should have one \"test,1,\" row");
}

Test(cli, train_is_deterministic, .fini = remove_temp_dir)
{
    char dir[256], json1[4096], json2[4096], json3[4096], l1[64], l2[64], l3[64];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    write_synthetic_mnist(dir);
    train_tiny(dir, "7", "", json1, sizeof json1);
    train_tiny(dir, "7", "", json2, sizeof json2);
    train_tiny(dir, "8", "", json3, sizeof json3);
    cr_assert_eq(json_field(json1, "test_loss", l1, sizeof l1), 0, "%s", json1);
    cr_assert_eq(json_field(json2, "test_loss", l2, sizeof l2), 0, "%s", json2);
    cr_assert_eq(json_field(json3, "test_loss", l3, sizeof l3), 0, "%s", json3);
    cr_assert_str_eq(l1, l2, "same seed, different test_loss: %s vs %s", l1, l2);
    cr_assert_eq(json_field(json1, "train_loss", l1, sizeof l1), 0);
    cr_assert_eq(json_field(json2, "train_loss", l2, sizeof l2), 0);
    cr_assert_str_eq(l1, l2, "same seed, different train_loss: %s vs %s", l1, l2);
    char l4[64];
    cr_assert_eq(json_field(json3, "train_loss", l4, sizeof l4), 0);
    cr_assert_str_neq(l1, l4, "seeds 7 and 8 gave the same train_loss %s", l1);
}

/* ---- flags as the README writes them, and what the messages say ---- */

/* One epoch of fc16,relu,fc10,softmax on the synthetic data in dir, a line
 * every 2 steps unless quiet, with more flags after. */
#define TRAIN_SMALL(r, dir, ...)                                                               \
    RUN(r, "train", "--data", dir, "--device", "cpu", "--epochs", "1", "--batch", "20", "--log", \
        "", "--net", "fc16,relu,fc10,softmax", "--log-every", "2", __VA_ARGS__)

/* Whether a training run printed step lines (it does unless --quiet). */
static int printed_steps(const char *const extra[3])
{
    char dir[256];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    write_synthetic_mnist(dir);
    result r;
    TRAIN_SMALL(&r, dir, extra[0], extra[1], extra[2]);
    expect_not_crashed(&r);
    cr_assert_eq(r.status, 0, "%s %s %s: exit %d; stderr: %s", extra[0], extra[1], extra[2],
                 r.status, r.err);
    int steps = strstr(r.out, "  step ") != NULL;
    result_free(&r);
    remove_temp_dir();
    return steps;
}

Test(cli, booleans_take_true_or_false_as_next_argument, .fini = remove_temp_dir,
     .timeout = 120)
{
    /* --graph changes nothing on the CPU: it is only parsed */
    cr_assert(printed_steps((const char *const[]){"--quiet", "false", "--graph"}),
              "--quiet false was taken as quiet");
    cr_assert_not(printed_steps((const char *const[]){"--quiet", "true", "--graph=false"}),
                  "--quiet true printed step lines");
    cr_assert_not(printed_steps((const char *const[]){"--graph", "false", "--quiet"}),
                  "a bare --quiet printed step lines");
    cr_assert(printed_steps((const char *const[]){"--quiet=0", "--graph", "1"}),
              "--quiet=0 was taken as quiet");
}

/* The data folder's name and the checkpoint's hold a quote, a backslash and
 * a space: train's and eval's JSON lines stay valid and give them back. */
Test(cli, json_lines_hold_any_path, .fini = remove_temp_dir, .timeout = 120)
{
    char base[256], dir[320], model[400], json[8192], got[512];
    make_temp_dir(TEMP_NAME, base, sizeof base);
    snprintf(dir, sizeof dir, "%s/da\"ta\\ dir", base);
    snprintf(model, sizeof model, "%s/m\"o\\del.ckpt", dir);
    cr_assert_eq(mkdir(dir, 0777), 0);
    write_synthetic_mnist(dir);
    result r;
    TRAIN_SMALL(&r, dir, "--save", model, "--quiet");
    cr_assert_eq(r.status, 0, "exit %d; stderr: %s", r.status, r.err);
    json_of(&r, json, sizeof json);
    size_t where = 0;
    cr_assert_eq(json_check(json, &where), 0, "train: invalid JSON at %zu: %s", where, json);
    cr_assert_eq(json_string_value(json, "data", got, sizeof got), 0, "no data: %s", json);
    cr_assert_str_eq(got, dir);
    result_free(&r);

    RUN(&r, "eval", "--model", model, "--data", dir, "--device", "cpu");
    cr_assert_eq(r.status, 0, "exit %d; stderr: %s", r.status, r.err);
    json_of(&r, json, sizeof json);
    cr_assert_eq(json_check(json, &where), 0, "eval: invalid JSON at %zu: %s", where, json);
    cr_assert_eq(json_string_value(json, "model", got, sizeof got), 0, "no model: %s", json);
    cr_assert_str_eq(got, model);
    result_free(&r);
}

/* A diverging run names the hyperparameters that can make it diverge. */
Test(cli, divergence_names_the_hyperparameters, .fini = remove_temp_dir, .timeout = 120)
{
    char dir[256];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    write_synthetic_mnist(dir);
    result r;
    TRAIN_SMALL(&r, dir, "--lr", "1e30", "--momentum", "0.9", "--weight-decay", "0.001");
    expect_error(&r, 1,
                 (const char *const[])W("the training loss became", "--lr 1e+30",
                                        "--momentum 0.9", "--weight-decay 0.001",
                                        "try smaller values"),
                 "lr 1e30");
    result_free(&r);
    TRAIN_SMALL(&r, dir, "--lr", "1e30", "--momentum", "0", "--weight-decay", "0");
    expect_error(&r, 1, (const char *const[])W("(--lr 1e+30: try smaller values, or --init-std 0.01"),
                 "lr 1e30 alone");
    result_free(&r);
    TRAIN_SMALL(&r, dir, "--lr", "1e30", "--momentum", "0", "--weight-decay", "0", "--init-std", "0.5");
    expect_error(&r, 1, (const char *const[])W("(--lr 1e+30, --init-std 0.5: try smaller values)"),
                 "lr 1e30 from N(0, 0.5^2)");
    result_free(&r);
    /* a schedule that multiplies the rate by 1e12 every epoch */
    RUN(&r, "train", "--data", dir, "--device", "cpu", "--epochs", "3", "--batch", "20", "--log",
        "", "--net", "fc16,relu,fc10,softmax", "--lr-step", "1", "--lr-gamma", "1e12",
        "--momentum", "0");
    expect_error(&r, 1, (const char *const[])W("--lr 0.1, --lr-gamma 1e+12, --weight-decay"),
                 "lr-gamma 1e12");
    result_free(&r);
}

/* The command an interrupt suggests works when pasted into a shell, whatever
 * the paths hold. */
Test(cli, interrupt_command_quotes_its_paths, .fini = remove_temp_dir, .timeout = 120)
{
    char base[256], dir[320], save[400];
    make_temp_dir(TEMP_NAME, base, sizeof base);
    snprintf(dir, sizeof dir, "%s/my data's", base);
    snprintf(save, sizeof save, "%s/run $1.ckpt", dir);
    cr_assert_eq(mkdir(dir, 0777), 0);
    write_synthetic_mnist(dir);
    setenv("CNN_TEST_SIGINT_AT_STEP", "3", 1); /* the test hook: an interrupt after step 3 */
    result r;
    TRAIN_SMALL(&r, dir, "--save", save, "--quiet");
    unsetenv("CNN_TEST_SIGINT_AT_STEP");
    expect_error(&r, 130, (const char *const[])W("continue with: cnn train --resume "),
                 "interrupted");
    const char *cmd = strstr(r.err, "continue with: ") + strlen("continue with: ");
    /* sh splits the command into its words, one a line */
    char sh[4096], words[4096] = "", want[4096];
    snprintf(sh, sizeof sh, "set -- %.*s; printf '%%s\\n' \"$@\"", (int)strcspn(cmd, "\n"), cmd);
    FILE *p = popen(sh, "r");
    cr_assert_not_null(p);
    words[fread(words, 1, sizeof words - 1, p)] = '\0';
    cr_assert_eq(pclose(p), 0, "sh failed on: %s", sh);
    /* the device and the log it ran with are repeated, so that the resumed
     * run is the same run and logs where it did (here: nowhere); the data
     * the checkpoint keeps itself */
    snprintf(want, sizeof want,
             "cnn\ntrain\n--resume\n%s\n--device\ncpu\n--log\n\n--save\n%s\n", save, save);
    cr_assert_str_eq(words, want, "the suggested command: %s", cmd);
    result_free(&r);
}
