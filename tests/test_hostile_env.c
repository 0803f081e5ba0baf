/* A hostile environment, as a table (see hostile_util.h): closed standard
 * descriptors, thread counts in the environment, memory, descriptor and
 * file size limits, the test hooks' variables set for the release binary,
 * and variables cnn does not read (HOME, TMPDIR, LC_ALL, PATH). Each case is
 * a run in its own surroundings (hostile_env's child) with the status and
 * message it must give; `after` checks what must still hold. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "hostile_util.h"
#include "idx_util.h"

#define good_data hostile_good_data
#define MIB (1024LL * 1024)

static const char *at(const char *dir, const char *name)
{
    static char path[4][600];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%.300s/%.290s", dir, name);
    return p;
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

/* Every line of the CSV log is its header or a row: nothing cnn printed
 * to stdout or stderr landed in it. */
static void csv_only(const char *d)
{
    size_t len;
    char *text = (char *)read_file(at(d, "x.csv"), &len);
    int rows = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), rows++) {
        int ok = !strncmp(line, "kind,", 5) || !strncmp(line, "train,", 6) ||
                 !strncmp(line, "test,", 5) || !strncmp(line, "val,", 4);
        cr_assert(ok, "x.csv holds a line that is not CSV: \"%s\"", line);
    }
    cr_assert_geq(rows, 2, "x.csv holds %d lines", rows);
    free(text);
}

/* --resume from the case's m.ckpt goes on to epoch 3 and exits 0. */
static void resumes(const char *d)
{
    result r;
    run_cnn(CNN_ARGV("train", "--data", d, "--device", "cpu", "--resume", at(d, "m.ckpt"),
                     "--save", at(d, "m.ckpt"), "--epochs", "3", "--log", "", "--quiet"),
            HOSTILE_TIMEOUT_S, &r);
    cr_assert(r.exited && r.status == 0, "the resume failed (exit %d): %s", r.status, r.err);
    result_free(&r);
}

static void log_and_resume(const char *d, const result *r)
{
    (void)r;
    csv_only(d);
    resumes(d);
}
static void log_only(const char *d, const result *r) { (void)r; csv_only(d); }
static void log_and_model(const char *d, const result *r)
{
    (void)r;
    csv_only(d);
    cr_assert(exists(at(d, "m.ckpt")), "no checkpoint was written");
    cr_assert(!exists(at(d, "m.ckpt.lock")), "the lock was left behind");
}
static void model_written(const char *d, const result *r)
{
    cr_assert(exists(at(d, "m.ckpt")), "no checkpoint was written");
    cr_assert_null(strstr(r->out, "interrupted"), "%s", r->out);
}
static void says_capped(const char *d, const result *r)
{
    (void)d;
    cr_assert_not_null(strstr(r->out, "OMP_NUM_THREADS=64,2 capped to the"),
                       "the banner does not say the threads were capped: %s", r->out);
}
static void nothing_made(const char *d, const result *r)
{
    (void)r;
    cr_assert(!exists(at(d, "m.ckpt")) && !exists(at(d, "m.ckpt.lock")),
              "a checkpoint or its lock was left");
}

/* A model and a copy the `after` hook compares with. */
static void trained_with_copy(const char *d)
{
    hostile_trained(d);
    size_t len;
    unsigned char *b = read_file(at(d, "m.ckpt"), &len);
    write_file(at(d, "m.copy"), b, len);
    free(b);
}
static void model_unchanged_no_temporary(const char *d, const result *r)
{
    (void)r;
    expect_same_file(at(d, "m.copy"), at(d, "m.ckpt"), "the checkpoint after the case");
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -c tmp >/dev/null", d);
    cr_assert_neq(system(cmd), 0, "a temporary was left in %s", d);
}

/* 60 training samples and 1000 test samples: an evaluation batch of 1000. */
static void thousand_tests(const char *d)
{
    good_data(d);
    write_block_digits(d, "t10k", 1000, 3);
}
#define WIDE_NET "conv64k3p1,relu,fc10,softmax"
/* thousand_tests and a model of WIDE_NET at m.ckpt (trained with small
 * evaluation passes). */
static void wide_model(const char *d)
{
    thousand_tests(d);
    result r;
    run_cnn(CNN_ARGV("train", "--data", d, "--device", "cpu", "--net", WIDE_NET, "--epochs", "1",
                     "--batch", "20", "--eval-batch", "20", "--log", "", "--save", at(d, "m.ckpt")),
            HOSTILE_TIMEOUT_S, &r);
    cr_assert(r.exited && r.status == 0, "training the case's model failed: %s", r.err);
    result_free(&r);
}

#define TRAIN "train", "--data", "@", "--device", "cpu", "--batch", "20"
#define TRAIN_FILES TRAIN, "--epochs", "3", "--log", "@/x.csv", "--save", "@/m.ckpt", "--save-every", "1"
#define EVAL "eval", "--model", "@/m.ckpt", "--data", "@", "--device", "cpu"
#define FAIL_SAVE_2 "CNN_TEST_FAIL_SAVE_AT_EPOCH=2"
#define THREADS_RANGE "must be a thread count from 1 to 1024"
#define ONE_EPOCH TRAIN, "--epochs", "1", "--log", ""

static const hostile_env CASES[] = {
    /* closed standard descriptors: cnn's own files are never 0, 1 or 2 */
    {.c = {"stdin and stdout closed: the log holds only CSV, the resume works", good_data, {TRAIN_FILES}, 1, {"m.ckpt", "cannot write"}, log_and_resume},
     .child = {.env = {FAIL_SAVE_2}, .closed_fds = 1 | 2}},
    {.c = {"stdin and stderr closed: the error line is not in the log", good_data, {TRAIN_FILES}, 1, {NULL}, log_only},
     .child = {.env = {FAIL_SAVE_2}, .closed_fds = 1 | 4}},
    {.c = {"all three closed: trains, writes its files", good_data, {TRAIN_FILES}, 0, {NULL}, log_and_model},
     .child = {.closed_fds = 1 | 2 | 4}},
    {.c = {"stdin closed", good_data, {TRAIN_FILES}, 0, {NULL}, log_and_model}, .child = {.closed_fds = 1}},
    {.c = {"stdout closed: eval prints nowhere", hostile_trained, {EVAL}, 0, {NULL}, NULL}, .child = {.closed_fds = 2}},
    {.c = {"stderr closed, a usage error", good_data, {TRAIN, "--epochs", "abc"}, 2, {NULL}, NULL}, .child = {.closed_fds = 4}},
    /* thread counts in the environment */
    {.c = {"OMP_NUM_THREADS=100000 (libgomp crashed)", good_data, {ONE_EPOCH}, 2, {"OMP_NUM_THREADS=\"100000\"", THREADS_RANGE}, NULL},
     .child = {.env = {"OMP_NUM_THREADS=100000"}}},
    {.c = {"eval with OMP_NUM_THREADS=100000", hostile_trained, {EVAL}, 2, {"OMP_NUM_THREADS", THREADS_RANGE}, NULL},
     .child = {.env = {"OMP_NUM_THREADS=100000"}}},
    {.c = {"OMP_NUM_THREADS=10000 (a run of minutes)", good_data, {ONE_EPOCH}, 2, {"OMP_NUM_THREADS=\"10000\"", THREADS_RANGE}, NULL},
     .child = {.env = {"OMP_NUM_THREADS=10000"}}},
    {.c = {"OMP_NUM_THREADS=abc (libgomp's two lines)", good_data, {ONE_EPOCH}, 2, {"OMP_NUM_THREADS=\"abc\"", THREADS_RANGE}, NULL},
     .child = {.env = {"OMP_NUM_THREADS=abc"}}},
    {.c = {"OMP_NUM_THREADS=4,x", good_data, {ONE_EPOCH}, 2, {"OMP_NUM_THREADS=\"4,x\"", "4,2"}, NULL},
     .child = {.env = {"OMP_NUM_THREADS=4,x"}}},
    {.c = {"OMP_NUM_THREADS=0", good_data, {ONE_EPOCH}, 2, {"OMP_NUM_THREADS=\"0\"", THREADS_RANGE}, NULL},
     .child = {.env = {"OMP_NUM_THREADS=0"}}},
    {.c = {"OMP_NUM_THREADS=64,2: capped to the CPUs", good_data, {ONE_EPOCH}, 0, {NULL}, says_capped},
     .child = {.env = {"OMP_NUM_THREADS=64,2"}}},
    {.c = {"OMP_NUM_THREADS with a newline: the line stays one", good_data, {ONE_EPOCH}, 2, {"OMP_NUM_THREADS=\"4\\n\"", THREADS_RANGE}, NULL},
     .child = {.env = {"OMP_NUM_THREADS=4\n"}}},
    {.c = {"summary with OMP_NUM_THREADS=100000", good_data, {"summary"}, 2, {"OMP_NUM_THREADS", THREADS_RANGE}, NULL},
     .child = {.env = {"OMP_NUM_THREADS=100000"}}},
    {.c = {"OMP_NUM_THREADS=1", good_data, {ONE_EPOCH}, 0, {NULL}, NULL}, .child = {.env = {"OMP_NUM_THREADS=1"}}},
    {.c = {"OMP_THREAD_LIMIT=-1", good_data, {ONE_EPOCH}, 2, {"OMP_THREAD_LIMIT=\"-1\"", THREADS_RANGE}, NULL},
     .child = {.env = {"OMP_THREAD_LIMIT=-1"}}},
    {.c = {"OPENBLAS_NUM_THREADS=100000: OpenBLAS runs on one", good_data, {ONE_EPOCH}, 0, {NULL}, NULL},
     .child = {.env = {"OPENBLAS_NUM_THREADS=100000"}}},
    {.c = {"GOTO_NUM_THREADS=abc", good_data, {ONE_EPOCH}, 0, {NULL}, NULL}, .child = {.env = {"GOTO_NUM_THREADS=abc"}}},
    /* memory limits: OpenBLAS looped for ever on a buffer it could not map */
    {.c = {"--version under a 250 MB data limit", good_data, {"--version"}, 0, {NULL}, NULL},
     .child = {.limit = RLIMIT_DATA, .limit_value = 250 * MIB}},
    {.c = {"train under a 300 MB data limit", good_data, {ONE_EPOCH}, HOSTILE_RUNS_OR_FAILS, {NULL}, NULL},
     .child = {.limit = RLIMIT_DATA, .limit_value = 300 * MIB}},
    {.c = {"train under an 800 MB address-space limit", good_data, {ONE_EPOCH}, HOSTILE_RUNS_OR_FAILS, {NULL}, NULL},
     .child = {.limit = RLIMIT_AS, .limit_value = 800 * MIB}},
    {.c = {"out of memory at the default --eval-batch names it", thousand_tests, {ONE_EPOCH, "--net", WIDE_NET, "--batch", "10"}, 1, {"out of memory", "--eval-batch 1000", "smaller --eval-batch"}, NULL},
     .child = {.limit = RLIMIT_DATA, .limit_value = 600 * MIB}},
    {.c = {"eval out of memory at its default --batch names it", wide_model, {EVAL}, 1, {"out of memory", "--batch 1000", "smaller --batch"}, NULL},
     .child = {.limit = RLIMIT_DATA, .limit_value = 600 * MIB}},
    /* the test hooks are compiled into build/cnn-hooks alone */
    {.c = {"the release binary ignores CNN_TEST_SIGINT_AT_STEP", good_data, {ONE_EPOCH, "--save", "@/m.ckpt", "--quiet"}, 0, {NULL}, model_written},
     .child = {.env = {"CNN_TEST_SIGINT_AT_STEP=1"}}, .release = 1},
    {.c = {"the release binary ignores CNN_TEST_FAIL_SAVE_AT_EPOCH", good_data, {ONE_EPOCH, "--save", "@/m.ckpt", "--quiet"}, 0, {NULL}, model_written},
     .child = {.env = {"CNN_TEST_FAIL_SAVE_AT_EPOCH=1"}}, .release = 1},
    /* variables cnn does not read */
    {.c = {"HOME unset", good_data, {ONE_EPOCH}, 0, {NULL}, NULL}, .child = {.env = {"HOME"}}},
    {.c = {"TMPDIR names no folder", good_data, {ONE_EPOCH, "--save", "@/m.ckpt"}, 0, {NULL}, NULL},
     .child = {.env = {"TMPDIR=/nonexistent/tmp"}}},
    {.c = {"LC_ALL with a decimal comma", good_data, {ONE_EPOCH}, 0, {NULL}, NULL}, .child = {.env = {"LC_ALL=de_DE.UTF-8", "LANG=de_DE.UTF-8"}}},
    {.c = {"LC_ALL naming no locale", good_data, {ONE_EPOCH}, 0, {NULL}, NULL}, .child = {.env = {"LC_ALL=\x01garbage"}}},
    {.c = {"PATH unset", good_data, {ONE_EPOCH}, 0, {NULL}, NULL}, .child = {.env = {"PATH"}}},
    /* descriptor and file size limits */
    {.c = {"5 descriptors: --log and --save cannot both be open", good_data, {TRAIN_FILES}, 1, {"Too many open files"}, nothing_made},
     .child = {.limit = RLIMIT_NOFILE, .limit_value = 5}},
    {.c = {"4 descriptors: --save's lock and a data file", good_data, {ONE_EPOCH, "--save", "@/m.ckpt"}, 1, {"Too many open files"}, nothing_made},
     .child = {.limit = RLIMIT_NOFILE, .limit_value = 4}},
    {.c = {"a save past the file size limit", trained_with_copy, {"train", "--data", "@", "--device", "cpu", "--epochs", "2", "--log", "", "--resume", "@/m.ckpt", "--save", "@/m.ckpt"}, 1, {"m.ckpt", "File too large", "unchanged"}, model_unchanged_no_temporary},
     .child = {.limit = RLIMIT_FSIZE, .limit_value = 4096}},
};
#define N_CASES (int)(sizeof CASES / sizeof CASES[0])

const int hostile_env_cases = N_CASES;

HOSTILE_ENV_CASE(hostile_env, 0) HOSTILE_ENV_CASE(hostile_env, 1) HOSTILE_ENV_CASE(hostile_env, 2) HOSTILE_ENV_CASE(hostile_env, 3)
HOSTILE_ENV_CASE(hostile_env, 4) HOSTILE_ENV_CASE(hostile_env, 5) HOSTILE_ENV_CASE(hostile_env, 6) HOSTILE_ENV_CASE(hostile_env, 7)
HOSTILE_ENV_CASE(hostile_env, 8) HOSTILE_ENV_CASE(hostile_env, 9) HOSTILE_ENV_CASE(hostile_env, 10) HOSTILE_ENV_CASE(hostile_env, 11)
HOSTILE_ENV_CASE(hostile_env, 12) HOSTILE_ENV_CASE(hostile_env, 13) HOSTILE_ENV_CASE(hostile_env, 14) HOSTILE_ENV_CASE(hostile_env, 15)
HOSTILE_ENV_CASE(hostile_env, 16) HOSTILE_ENV_CASE(hostile_env, 17) HOSTILE_ENV_CASE(hostile_env, 18) HOSTILE_ENV_CASE(hostile_env, 19)
HOSTILE_ENV_CASE(hostile_env, 20) HOSTILE_ENV_CASE(hostile_env, 21) HOSTILE_ENV_CASE(hostile_env, 22) HOSTILE_ENV_CASE(hostile_env, 23)
HOSTILE_ENV_CASE(hostile_env, 24) HOSTILE_ENV_CASE(hostile_env, 25) HOSTILE_ENV_CASE(hostile_env, 26) HOSTILE_ENV_CASE(hostile_env, 27)
HOSTILE_ENV_CASE(hostile_env, 28) HOSTILE_ENV_CASE(hostile_env, 29) HOSTILE_ENV_CASE(hostile_env, 30) HOSTILE_ENV_CASE(hostile_env, 31)
HOSTILE_ENV_CASE(hostile_env, 32) HOSTILE_ENV_CASE(hostile_env, 33) HOSTILE_ENV_CASE(hostile_env, 34) HOSTILE_ENV_CASE(hostile_env, 35)
HOSTILE_ENV_CASE(hostile_env, 36) HOSTILE_ENV_CASE(hostile_env, 37) HOSTILE_ENV_CASE(hostile_env, 38) HOSTILE_ENV_CASE(hostile_env, 39)

Test(hostile_env, every_case_has_a_test) { cr_assert_leq(N_CASES, 40, "add HOSTILE_ENV_CASE() lines"); }

/* The issue's case: stdout closed (`>&-`), the run killed (SIGKILL, after
 * its first checkpoint). FILE.lock must still be a lock, the log still
 * CSV, and --resume must go on. */
Test(hostile_env, stdout_closed_killed_run_resumes, .fini = remove_temp_dir, .timeout = 150)
{
    char dir[256], d[300];
    make_temp_dir("hostile_env", dir, sizeof dir);
    snprintf(d, sizeof d, "%s/case", dir);
    good_data(d);
    const char *bin = cnn_bin();
    if (access(bin, X_OK) != 0) {
        remove_temp_dir();
        cr_skip_test("no cnn binary at \"%s\": build it with make, or set CNN_BIN", bin);
    }
    child_env ce = {.closed_fds = 2};
    result r;
    run_program_in(bin, CNN_ARGV("train", "--data", d, "--device", "cpu", "--batch", "20",
                                 "--epochs", "16777216", "--log", at(d, "x.csv"), "--save",
                                 at(d, "m.ckpt"), "--save-every", "1"),
                   5, &ce, &r); /* killed after 5 s */
    cr_assert(r.timed_out && r.signaled && r.sig == SIGKILL, "the run ended before the kill: %s",
              r.err);
    result_free(&r);
    cr_assert(exists(at(d, "m.ckpt")), "no checkpoint in 5 s");
    size_t len;
    char *lock = (char *)read_file(at(d, "m.ckpt.lock"), &len);
    cr_assert(!strncmp(lock, "cnn lock: pid ", 14) && strchr(lock, '\n') == lock + len - 1,
              "m.ckpt.lock is not a lock: \"%s\"", lock);
    free(lock);
    csv_only(d);
    result again;
    run_cnn(CNN_ARGV("train", "--data", d, "--device", "cpu", "--resume", at(d, "m.ckpt"),
                     "--save", at(d, "m.ckpt"), "--epochs", "16777216", "--log", "", "--quiet",
                     "--target-acc", "0.001"),
            HOSTILE_TIMEOUT_S, &again);
    cr_assert(again.exited && again.status == 0, "the resume failed (exit %d): %s", again.status,
              again.err);
    result_free(&again);
}
