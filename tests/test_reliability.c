/* Never losing a run, through the cnn binary on small synthetic data:
 * SIGINT (Ctrl-C) stops training after the current step with a checkpoint
 * from which --resume ends exactly where an uninterrupted run ends (exit
 * 130); a second SIGINT ends it at once without leaving a .tmp behind; a
 * loss that stops being finite ends training with one line naming the steps
 * and the last good checkpoint, which stays intact; a checkpoint write that
 * fails leaves the previous one as it was.
 *
 * Some tests use two test hooks of cmd_train (environment variables):
 * CNN_TEST_SIGINT_AT_STEP=N raises SIGINT after global step N, for an
 * interrupt at an exact place; CNN_TEST_FAIL_SAVE_AT_EPOCH=N lowers the
 * file size limit to 1 KiB around the save after epoch N, so that save fails
 * in the kernel (EFBIG) the way a full disk would. The tests that send SIGINT
 * from outside use neither. The binary is $CNN_BIN, or build/cnn. */
#define _DEFAULT_SOURCE /* flock */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "idx_util.h"
#include "rng.h"
#include "run_util.h"

#define TEMP_NAME "test_reliability"
#define FC_NET "fc16,relu,fc10,softmax"
#define RUN_TIMEOUT_S 120
#define ERRLEN 4400
#define W(...) ((const char *const[]){__VA_ARGS__, NULL})

extern char **environ;

/* ---- data, files, checkpoints ---- */

/* A temporary folder holding n training and `tests` test samples. */
static void make_data_dir_with(char *dir, size_t len, int n, int tests)
{
    make_temp_dir(TEMP_NAME, dir, len);
    write_block_digits(dir, "train", n, 7);
    write_block_digits(dir, "t10k", tests, 8);
}

/* n training and 100 test samples. */
static void make_data_dir(char *dir, size_t len, int n)
{
    make_data_dir_with(dir, len, n, 100);
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* No "*.tmp" in dir, other than `except` (a name, or NULL). */
static void expect_no_tmp_in(const char *dir, const char *except)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "opendir %s: %s", dir, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (except && !strcmp(e->d_name, except)) continue;
        cr_assert(n < 4 || strcmp(e->d_name + n - 4, ".tmp") != 0,
                  "a temporary file was left behind: %s/%s", dir, e->d_name);
    }
    closedir(d);
}

/* Loads path (which must load) and checks every value is finite. */
static checkpoint_meta load_ok(const char *path)
{
    checkpoint ck;
    char err[ERRLEN];
    cr_assert_eq(checkpoint_load(path, &ck, err, sizeof err), 0,
                 "the checkpoint does not load: %s", err);
    for (long i = 0; i < ck.n; i++) {
        cr_assert(isfinite(ck.params[i]), "%s: parameter %ld is %g", path, i, ck.params[i]);
        cr_assert(isfinite(ck.momentum[i]), "%s: momentum %ld is %g", path, i, ck.momentum[i]);
    }
    checkpoint_meta m = ck.meta;
    checkpoint_free(&ck);
    return m;
}

/* The run the exact-resume tests (and the failed log's) stop and resume:
 * 600 samples at batch 80: 7 full steps and one of 40 an epoch; the rate
 * drops after every epoch and momentum carries over. */
#define EXACT_ARGS "--net", FC_NET, "--epochs", "3", "--batch", "80", "--lr-step", "1", \
                   "--lr-gamma", "0.3", "--momentum", "0.9", "--seed", "11"

/* ---- running cnn train ---- */

/* cnn train on the CPU with the data in dir, no log, quiet (run_train). */
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

#define A(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---- a cnn process the test signals (fork and exec: run_cnn waits) ---- */

typedef struct {
    pid_t pid;
    char out[4200], err[4200];
} child;

/* How a child starts besides its arguments: stdout to this descriptor
 * instead of a file (-1: a file), and a file size limit in bytes (0: none). */
typedef struct {
    int stdout_fd;
    long fsize_limit;
} child_setup;

static void start_cnn_with(child *ch, const char *cwd, const char *env, const char *const argv[],
                           child_setup setup);

/* Starts cnn with argv (argv[0] ignored) in folder cwd, stdout and stderr to
 * files in temp_dir; env (may be NULL) is added to the environment. */
static void start_cnn(child *ch, const char *cwd, const char *env, const char *const argv[])
{
    start_cnn_with(ch, cwd, env, argv, (child_setup){-1, 0});
}

static void start_cnn_with(child *ch, const char *cwd, const char *env, const char *const argv[],
                           child_setup setup)
{
    static int count;
    char bin[8192], cwd_now[4096];
    const char *b = cnn_bin_for(env);
    if (access(b, X_OK) != 0) {
        remove_temp_dir();
        cr_skip_test("no cnn binary at \"%s\": build it with make, or set CNN_BIN", b);
    }
    /* an absolute path: the child may change folder */
    if (b[0] == '/') {
        snprintf(bin, sizeof bin, "%s", b);
    } else {
        cr_assert_not_null(getcwd(cwd_now, sizeof cwd_now), "getcwd: %s", strerror(errno));
        snprintf(bin, sizeof bin, "%s/%s", cwd_now, b);
    }
    count++;
    snprintf(ch->out, sizeof ch->out, "%s/child%d.out", temp_dir, count);
    snprintf(ch->err, sizeof ch->err, "%s/child%d.err", temp_dir, count);
    /* everything the child needs is built before fork */
    int argc = 0;
    while (argv[argc]) argc++;
    char **args = calloc((size_t)argc + 1, sizeof *args);
    int envc = 0;
    while (environ[envc]) envc++;
    char **envp = calloc((size_t)envc + 2, sizeof *envp);
    cr_assert(args && envp);
    args[0] = bin;
    for (int i = 1; i < argc; i++) args[i] = (char *)argv[i];
    int k = 0;
    for (int i = 0; i < envc; i++)
        if (strncmp(environ[i], "CNN_TEST_", 9) != 0) envp[k++] = environ[i];
    if (env) envp[k++] = (char *)env;
    int in = open("/dev/null", O_RDONLY);
    int out = open(ch->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(ch->err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert(in >= 0 && out >= 0 && err >= 0, "open: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int defaults[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGXFSZ};
        for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
            signal(defaults[i], SIG_DFL);
        if (setup.fsize_limit > 0) {
            struct rlimit lim;
            if (getrlimit(RLIMIT_FSIZE, &lim) != 0) _exit(125);
            lim.rlim_cur = (rlim_t)setup.fsize_limit;
            if (setrlimit(RLIMIT_FSIZE, &lim) != 0) _exit(125);
        }
        if (setup.stdout_fd >= 0) out = setup.stdout_fd;
        if ((cwd && chdir(cwd) != 0) || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
            _exit(126);
        execve(bin, args, envp);
        _exit(127);
    }
    close(in);
    close(out);
    close(err);
    free(args);
    free(envp);
    ch->pid = pid;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits for the child (killing it after timeout_s, which fails the test);
 * returns its wait status. */
static int wait_child(child *ch, int timeout_s)
{
    double deadline = now_s() + timeout_s;
    int st;
    for (;;) {
        pid_t got = waitpid(ch->pid, &st, WNOHANG);
        if (got == ch->pid) return st;
        cr_assert(got == 0 || errno == EINTR, "waitpid: %s", strerror(errno));
        if (now_s() > deadline) {
            kill(ch->pid, SIGKILL);
            waitpid(ch->pid, &st, 0);
            cr_assert_fail("cnn ran for more than %d s after the SIGINT and was killed",
                           timeout_s);
        }
        sleep_ms(5);
    }
}

/* The child has exited (0 when it has, and is reaped then). */
static int child_running(child *ch, int *st)
{
    return waitpid(ch->pid, st, WNOHANG) == 0;
}

/* Rows of the CSV log at path that start with "train,". */
static int train_rows(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[512];
    int rows = 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "train,", 6)) rows++;
    fclose(f);
    return rows;
}

/* Waits until the CSV log has `rows` train rows; fails if cnn exits first. */
static void wait_for_rows(child *ch, const char *csv, int rows)
{
    double deadline = now_s() + RUN_TIMEOUT_S;
    int st;
    while (train_rows(csv) < rows) {
        if (!child_running(ch, &st)) {
            size_t len;
            char *err = (char *)read_file(ch->err, &len);
            cr_assert_fail("cnn ended (status 0x%x) before %d rows reached its log; stderr: %s",
                           st, rows, err);
        }
        if (now_s() > deadline) {
            kill(ch->pid, SIGKILL);
            waitpid(ch->pid, &st, 0);
            cr_assert_fail("no progress in the log %s for %d s", csv, RUN_TIMEOUT_S);
        }
        sleep_ms(2);
    }
}

/* The child's stderr is exactly one line holding every fragment. */
static void expect_one_line(const char *path, const char *const *want, const char *what)
{
    size_t len;
    char *s = (char *)read_file(path, &len);
    cr_assert(len > 0 && s[len - 1] == '\n' && strchr(s, '\n') == s + len - 1,
              "%s: stderr should be one line, got:\n%s", what, s);
    for (const char *const *w = want; *w; w++)
        cr_assert_not_null(strstr(s, *w), "%s: stderr should contain '%s', got: %s", what, *w, s);
    free(s);
}

/* The child's stderr (or a result's) holds "... checkpoint written to X;
 * ..." with X = path. */
static void expect_interrupt_message(const char *err, const char *path, const char *what)
{
    char want[4400];
    cr_assert_not_null(strstr(err, "cnn train: interrupted "), "%s: no interrupt message: %s",
                       what, err);
    snprintf(want, sizeof want, "checkpoint written to %s", path);
    cr_assert_not_null(strstr(err, want), "%s: want '%s' in: %s", what, want, err);
    snprintf(want, sizeof want, "cnn train --resume %s", path);
    cr_assert_not_null(strstr(err, want), "%s: want '%s' in: %s", what, want, err);
}

/* ---- 1. SIGINT from outside, then --resume: the same final weights ---- */

#define SIG_TRAIN 4000 /* 200 steps an epoch at batch 20: a few seconds in all */
/* epochs of the runs a signal stops: enough that the run is still going when
 * the signal comes, on a loaded machine too (the test waits for 20 steps) */
#define SIG_EPOCHS 40
#define SIG_EPOCHS_TEXT "40"

/* sig (SIGINT, SIGTERM or SIGHUP) from outside 20 steps in: exit 128 + sig,
 * one line, a checkpoint from which --resume ends bit-identical to the
 * uninterrupted run. */
static void signal_then_resume(int sig)
{
    char dir[256], a[512], b[512], c[512], csv[512], json_a[4096], json_c[4096], what[64];
    snprintf(what, sizeof what, "the run interrupted by signal %d", sig);
    make_data_dir(dir, sizeof dir, SIG_TRAIN);
    snprintf(a, sizeof a, "%s/A.ck", dir);
    snprintf(b, sizeof b, "%s/B.ck", dir);
    snprintf(c, sizeof c, "%s/C.ck", dir);
    snprintf(csv, sizeof csv, "%s/log.csv", dir);
    result r;
    train(&r, NULL, dir, A("--net", FC_NET, "--epochs", SIG_EPOCHS_TEXT, "--batch", "20", "--momentum", "0.9",
                           "--seed", "5", "--save", a));
    expect_success(&r, "the uninterrupted run");
    json_of(&r, json_a, sizeof json_a);
    result_free(&r);

    child ch;
    start_cnn(&ch, NULL, NULL,
              A("cnn", "train", "--data", dir, "--device", "cpu", "--quiet", "--log", csv,
                "--csv-every", "5", "--net", FC_NET, "--epochs", SIG_EPOCHS_TEXT, "--batch", "20",
                "--momentum", "0.9", "--seed", "5", "--save", b));
    wait_for_rows(&ch, csv, 4); /* 20 steps in: well inside the first epoch */
    cr_assert_eq(kill(ch.pid, sig), 0);
    int st = wait_child(&ch, 60);
    size_t len;
    char *err = (char *)read_file(ch.err, &len);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 128 + sig,
              "after signal %d: wait status 0x%x, want exit %d; stderr: %s", sig, st, 128 + sig,
              err);
    char by[32];
    snprintf(by, sizeof by, "interrupted by %s", sig == SIGINT ? "SIGINT" : sig == SIGTERM ?
             "SIGTERM" : "SIGHUP");
    expect_one_line(ch.err, W(by), what);
    expect_interrupt_message(err, b, what);
    free(err);
    char *out = (char *)read_file(ch.out, &len);
    cr_assert_null(strstr(out, "\"test_loss\""), "an interrupted run printed its JSON:\n%s", out);
    free(out);
    checkpoint_meta m = load_ok(b);
    cr_assert_lt(m.epochs_done, SIG_EPOCHS, "the interrupted checkpoint says %d of %d epochs "
                 "are done", m.epochs_done, SIG_EPOCHS);
    cr_assert_geq(m.steps_done, 20u, "the checkpoint has %llu steps, the log showed 20",
                  (unsigned long long)m.steps_done);
    cr_assert_lt(m.steps_done, (unsigned)SIG_EPOCHS * SIG_TRAIN / 20);
    cr_assert_eq(m.cfg.epochs, SIG_EPOCHS);
    expect_no_tmp_in(dir, NULL);

    train(&r, NULL, dir, A("--resume", b, "--save", c));
    expect_success(&r, "the resumed run");
    cr_assert_eq(r.err_len, 0, "the resumed run wrote to stderr: %s", r.err);
    json_of(&r, json_c, sizeof json_c);
    result_free(&r);
    expect_same_file(a, c, "uninterrupted vs interrupted and resumed");
    static const char *const keys[] = {"test_loss", "test_acc", "epochs"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char v1[64], v2[64];
        cr_assert_eq(json_field(json_a, keys[i], v1, sizeof v1), 0);
        cr_assert_eq(json_field(json_c, keys[i], v2, sizeof v2), 0);
        cr_assert_str_eq(v1, v2, "%s: %s uninterrupted, %s resumed", keys[i], v1, v2);
    }
    /* the log has the rows up to the interrupt, and the resumed run's test
     * rows follow it in the same file */
    cr_assert_geq(train_rows(csv), 4);
}

Test(reliability, sigint_then_resume_equals_uninterrupted, .fini = remove_temp_dir,
     .timeout = 300)
{
    signal_then_resume(SIGINT);
}

Test(reliability, sigterm_then_resume_equals_uninterrupted, .fini = remove_temp_dir,
     .timeout = 300)
{
    signal_then_resume(SIGTERM);
}

Test(reliability, sighup_then_resume_equals_uninterrupted, .fini = remove_temp_dir,
     .timeout = 300)
{
    signal_then_resume(SIGHUP);
}

/* A reader that goes away (cnn train | head) ends the run as SIGTERM would:
 * one line, exit 128 + SIGPIPE (not killed by it), and a checkpoint from
 * which --resume ends where the uninterrupted run ends. */
Test(reliability, closed_stdout_stops_with_checkpoint, .fini = remove_temp_dir, .timeout = 300)
{
    char dir[256], a[512], b[512], c[512];
    make_data_dir(dir, sizeof dir, SIG_TRAIN);
    snprintf(a, sizeof a, "%s/A.ck", dir);
    snprintf(b, sizeof b, "%s/B.ck", dir);
    snprintf(c, sizeof c, "%s/C.ck", dir);
    result r;
    train(&r, NULL, dir, A("--net", FC_NET, "--epochs", SIG_EPOCHS_TEXT, "--batch", "20", "--seed", "5",
                           "--save", a));
    expect_success(&r, "the uninterrupted run");
    result_free(&r);
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    fcntl(fds[0], F_SETFD, FD_CLOEXEC); /* cnn must not hold the reading end */
    child ch;
    start_cnn_with(&ch, NULL, NULL,
                   A("cnn", "train", "--data", dir, "--device", "cpu", "--log", "", "--log-every",
                     "5", "--net", FC_NET, "--epochs", SIG_EPOCHS_TEXT, "--batch", "20", "--seed", "5",
                     "--save", b),
                   (child_setup){fds[1], 0});
    close(fds[1]);
    char line[64];
    cr_assert_gt(read(fds[0], line, sizeof line), 0, "nothing came through the pipe");
    close(fds[0]); /* as head does after its lines */
    int st = wait_child(&ch, 60);
    size_t len;
    char *err = (char *)read_file(ch.err, &len);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGPIPE,
              "wait status 0x%x, want exit %d (not killed by SIGPIPE); stderr: %s", st,
              128 + SIGPIPE, err);
    expect_one_line(ch.err, W("interrupted by a closed stdout"), "closed stdout");
    expect_interrupt_message(err, b, "closed stdout");
    free(err);
    expect_no_tmp_in(dir, NULL);
    train(&r, NULL, dir, A("--resume", b, "--save", c));
    expect_success(&r, "resumed after a closed stdout");
    result_free(&r);
    expect_same_file(a, c, "uninterrupted vs stopped by a closed stdout and resumed");
}

/* A file size limit below a checkpoint's size: the save fails with a
 * message (EFBIG, not killed by SIGXFSZ), exit 1, the previous checkpoint
 * byte-identical and no temporary left. */
Test(reliability, file_size_limit_keeps_previous_checkpoint, .fini = remove_temp_dir,
     .timeout = 300)
{
    char dir[256], k[512], copy[512];
    make_data_dir(dir, sizeof dir, 600);
    snprintf(k, sizeof k, "%s/K.ck", dir);
    snprintf(copy, sizeof copy, "%s/copy.ck", dir);
    result r;
    train(&r, NULL, dir, A("--net", FC_NET, "--epochs", "1", "--batch", "20", "--save", k));
    expect_success(&r, "the first run");
    result_free(&r);
    size_t len;
    unsigned char *before = read_file(k, &len);
    write_file(copy, before, len);
    free(before);
    child ch;
    start_cnn_with(&ch, NULL, NULL,
                   A("cnn", "train", "--data", dir, "--device", "cpu", "--log", "", "--quiet",
                     "--resume", k, "--epochs", "2", "--save", k),
                   (child_setup){-1, 20000});
    int st = wait_child(&ch, RUN_TIMEOUT_S);
    char *err = (char *)read_file(ch.err, &len);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1,
              "wait status 0x%x, want exit 1 (not killed by SIGXFSZ); stderr: %s", st, err);
    free(err);
    expect_one_line(ch.err, W(k, "File too large", "unchanged"), "a file size limit");
    expect_same_file(copy, k, "the checkpoint after a save over the file size limit");
    expect_no_tmp_in(dir, NULL);
}

/* A CSV log at path (its header, then rows) of `bytes` bytes. */
static void write_log_of(const char *path, size_t bytes)
{
    const char *header = "kind,epoch,step,loss,acc,lr,seconds\n", *row = "test,1,1,2.3,10,0.1,0\n";
    char *b = malloc(bytes + 64);
    cr_assert_not_null(b);
    size_t n = (size_t)sprintf(b, "%s", header);
    while (n + strlen(row) <= bytes) n += (size_t)sprintf(b + n, "%s", row);
    while (n < bytes) b[n++] = '\n';
    write_file(path, b, n);
    free(b);
}

/* A file size limit of LOG_FSIZE bytes: a log already near it cannot grow
 * (EFBIG, as a full disk's ENOSPC), while a checkpoint of FC_NET (102 KB),
 * a new file, still fits on the same "disk". */
#define LOG_FSIZE (256L << 10)

/* Starts the run of EXACT_ARGS with a log `room` bytes short of LOG_FSIZE
 * (rows every `csv_every` steps) and --save k; waits for its exit 1. */
static void train_log_full(child *ch, const char *dir, const char *csv, const char *k,
                           size_t room, const char *csv_every)
{
    write_log_of(csv, (size_t)LOG_FSIZE - room);
    start_cnn_with(ch, NULL, NULL,
                   A("cnn", "train", "--data", dir, "--device", "cpu", "--quiet", "--log", csv,
                     "--csv-every", csv_every, EXACT_ARGS, "--save", k),
                   (child_setup){-1, LOG_FSIZE});
    int st = wait_child(ch, RUN_TIMEOUT_S);
    size_t len;
    char *err = (char *)read_file(ch->err, &len);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1,
              "wait status 0x%x, want exit 1 (not killed by SIGXFSZ); stderr: %s", st, err);
    free(err);
}

/* A log that cannot grow while --save can: the run stops as an interrupt
 * stops it, writes --save and says so, with the command that goes on, on
 * one line (status 1); that command ends where an unbroken run ends, bit
 * for bit. Nothing is lost. */
Test(reliability, failed_log_write_still_saves, .fini = remove_temp_dir, .timeout = 300)
{
    char dir[256], csv[512], k[512], a[512];
    make_data_dir(dir, sizeof dir, 600);
    snprintf(csv, sizeof csv, "%s/log.csv", dir);
    snprintf(k, sizeof k, "%s/K.ck", dir);
    snprintf(a, sizeof a, "%s/A.ck", dir);
    result r;
    train(&r, NULL, dir, A(EXACT_ARGS, "--save", a));
    expect_success(&r, "the unbroken run");
    result_free(&r);
    child ch;
    train_log_full(&ch, dir, csv, k, 200, "1"); /* a row each step: a few steps in */
    expect_one_line(ch.err, W("--log", csv, "File too large", "at epoch 1, step",
                              "checkpoint written to", k, "continue with: cnn train --resume"),
                    "a log over the file size limit");
    size_t len;
    char *out = (char *)read_file(ch.out, &len);
    cr_assert_null(strstr(out, "\"test_loss\""), "a run whose log failed printed its JSON");
    free(out);
    train(&r, NULL, dir, A("--resume", k, "--save", k));
    expect_success(&r, "the command it gave (without the log)");
    result_free(&r);
    expect_same_file(a, k, "unbroken vs stopped by the log and resumed");
    expect_no_tmp_in(dir, NULL);
}

/* The log failing at the last epoch's end: the run is complete, so it is
 * saved and reported as usual (the JSON), and one line says the log failed
 * (status 1). */
Test(reliability, failed_log_write_at_the_end_still_saves, .fini = remove_temp_dir,
     .timeout = 300)
{
    char dir[256], csv[512], k[512];
    make_data_dir(dir, sizeof dir, 600);
    snprintf(csv, sizeof csv, "%s/log.csv", dir);
    snprintf(k, sizeof k, "%s/K.ck", dir);
    child ch;
    /* rows only at epochs' ends; room for two of them */
    train_log_full(&ch, dir, csv, k, 100, "0");
    expect_one_line(ch.err, W("--log", csv, "File too large", "finished after epoch 3",
                              "checkpoint written to", k),
                    "a log full at the end");
    size_t len;
    char *out = (char *)read_file(ch.out, &len);
    cr_assert_not_null(strstr(out, "\"test_loss\""), "the finished run's JSON is missing");
    free(out);
    checkpoint_meta m = load_ok(k);
    cr_assert_eq(m.epochs_done, 3);
}

/* Two runs on one --save: the second is refused at once, naming the first. */
Test(reliability, second_run_on_one_save_is_refused, .fini = remove_temp_dir, .timeout = 300)
{
    char dir[256], k[512], csv[512], pid[32];
    make_data_dir(dir, sizeof dir, SIG_TRAIN);
    snprintf(k, sizeof k, "%s/K.ck", dir);
    snprintf(csv, sizeof csv, "%s/log.csv", dir);
    child ch;
    start_cnn(&ch, NULL, NULL,
              A("cnn", "train", "--data", dir, "--device", "cpu", "--quiet", "--log", csv,
                "--csv-every", "5", "--net", FC_NET, "--epochs", "1000", "--batch", "20",
                "--save", k)); /* far more than it gets to: it is stopped below */
    wait_for_rows(&ch, csv, 2);
    result r;
    train(&r, NULL, dir, A("--net", FC_NET, "--epochs", "1", "--save", k));
    snprintf(pid, sizeof pid, "(pid %ld)", (long)ch.pid);
    expect_error(&r, 1, W("--save", k, "another cnn run", pid), "a second run on one --save");
    result_free(&r);
    cr_assert_eq(kill(ch.pid, SIGINT), 0);
    int st = wait_child(&ch, 60);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 130, "the first run: wait status 0x%x", st);
    load_ok(k);
    char lock[520];
    snprintf(lock, sizeof lock, "%s.lock", k);
    cr_assert_neq(access(lock, F_OK), 0, "the lock file %s was left behind", lock);
}

/* SIGTERM at any moment of the start (checks, lock, data, set-up) leaves no
 * lock file and no temporary, and ends the process at once: by the signal
 * itself, or with 143 and one line. */
Test(reliability, sigterm_during_start_leaves_nothing, .fini = remove_temp_dir, .timeout = 300)
{
    char dir[256], k[512], lock[520];
    make_data_dir(dir, sizeof dir, SIG_TRAIN);
    snprintf(k, sizeof k, "%s/K.ck", dir);
    snprintf(lock, sizeof lock, "%s.lock", k);
    static const int delays_ms[] = {0, 5, 20, 60, 150};
    for (size_t i = 0; i < sizeof delays_ms / sizeof delays_ms[0]; i++) {
        child ch;
        start_cnn(&ch, NULL, NULL,
                  A("cnn", "train", "--data", dir, "--device", "cpu", "--quiet", "--log", "",
                    "--net", FC_NET, "--epochs", "1000", "--save", k));
        sleep_ms(delays_ms[i]);
        cr_assert_eq(kill(ch.pid, SIGTERM), 0);
        int st = wait_child(&ch, 60);
        cr_assert((WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM) ||
                      (WIFEXITED(st) && WEXITSTATUS(st) == 143),
                  "after %d ms: wait status 0x%x", delays_ms[i], st);
        if (WIFEXITED(st)) expect_one_line(ch.err, W("SIGTERM"), "SIGTERM during the start");
        cr_assert_neq(access(lock, F_OK), 0, "after %d ms: %s was left behind", delays_ms[i],
                      lock);
        expect_no_tmp_in(dir, NULL);
        remove(k);
    }
}

/* An interrupt without --save never replaces a cnn-interrupted.ckpt that is
 * there (nor a folder at the next name): it takes the next free name and says
 * which. */
Test(reliability, interrupt_without_save_keeps_earlier_file, .fini = remove_temp_dir,
     .timeout = 300)
{
    char dir[256], def[512], second[512];
    make_data_dir(dir, sizeof dir, 600);
    snprintf(def, sizeof def, "%s/cnn-interrupted.ckpt", dir);
    write_file(def, "an earlier run's", 16);
    snprintf(second, sizeof second, "%s/cnn-interrupted-2.ckpt", dir);
    cr_assert_eq(mkdir(second, 0777), 0); /* taken too, by a folder */
    snprintf(second, sizeof second, "%s/cnn-interrupted-3.ckpt", dir);
    child ch;
    start_cnn(&ch, dir, "CNN_TEST_SIGINT_AT_STEP=3",
              A("cnn", "train", "--data", dir, "--device", "cpu", "--quiet", "--log", "",
                "--net", FC_NET, "--epochs", "2"));
    int st = wait_child(&ch, RUN_TIMEOUT_S);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 130, "wait status 0x%x", st);
    expect_one_line(ch.err, W("written to cnn-interrupted-3.ckpt", "(no --save was given)"),
                    "an interrupt beside an earlier checkpoint");
    size_t len;
    unsigned char *kept = read_file(def, &len);
    cr_assert(len == 16 && !memcmp(kept, "an earlier run's", 16), "%s was replaced", def);
    free(kept);
    load_ok(second);
}

/* A second SIGINT ends cnn at once (killed by SIGINT, or exit 130 when the
 * first one's checkpoint was already written), and leaves no .tmp. */
Test(reliability, second_sigint_exits_at_once, .fini = remove_temp_dir, .timeout = 300)
{
    char dir[256], b[512], csv[512];
    make_data_dir(dir, sizeof dir, SIG_TRAIN);
    snprintf(b, sizeof b, "%s/B.ck", dir);
    snprintf(csv, sizeof csv, "%s/log.csv", dir);
    for (int round = 0; round < 3; round++) {
        child ch;
        remove_tree(csv);
        start_cnn(&ch, NULL, NULL,
                  A("cnn", "train", "--data", dir, "--device", "cpu", "--quiet", "--log", csv,
                    "--csv-every", "5", "--net", "seed-cnn", "--epochs", "50", "--batch", "20",
                    "--save", b));
        wait_for_rows(&ch, csv, 2);
        double t0 = now_s();
        cr_assert_eq(kill(ch.pid, SIGINT), 0);
        if (round > 0) sleep_ms(round == 1 ? 1 : 20); /* the second lands at other moments */
        kill(ch.pid, SIGINT); /* may find it gone already */
        int st = wait_child(&ch, 30);
        double took = now_s() - t0;
        size_t len;
        char *err = (char *)read_file(ch.err, &len);
        cr_assert((WIFSIGNALED(st) && WTERMSIG(st) == SIGINT) ||
                      (WIFEXITED(st) && WEXITSTATUS(st) == 130),
                  "round %d: wait status 0x%x after two SIGINTs; stderr: %s", round, st, err);
        cr_assert_lt(took, 20.0, "round %d: it took %.1f s to end", round, took);
        if (WIFEXITED(st)) {
            expect_interrupt_message(err, b, "exit 130 after two SIGINTs");
            load_ok(b);
        }
        free(err);
        expect_no_tmp_in(dir, NULL);
        /* whatever is at b (if anything) is a whole checkpoint */
        if (exists(b)) load_ok(b);
    }
}

/* An interrupt at an epoch's last step lets the epoch finish: its test set
 * is evaluated before the checkpoint. A second SIGINT during that (long)
 * evaluation ends cnn at once, killed by SIGINT, with no checkpoint and no
 * epoch line. (The first SIGINT comes from the test hook, after step 30, so
 * the test knows when the evaluation begins: when that step's CSV row is
 * there.) */
Test(reliability, second_sigint_during_evaluation_ends_at_once, .fini = remove_temp_dir,
     .timeout = 300)
{
    char dir[256], b[512], csv[512];
    make_data_dir_with(dir, sizeof dir, 600, 20000);
    snprintf(b, sizeof b, "%s/B.ck", dir);
    snprintf(csv, sizeof csv, "%s/log.csv", dir);
    /* how long the evaluation takes: one whole epoch, timed */
    double t = now_s();
    result r;
    train(&r, NULL, dir, A("--net", "seed-cnn", "--epochs", "1", "--batch", "20"));
    expect_success(&r, "one epoch");
    result_free(&r);
    double epoch_s = now_s() - t;

    child ch;
    start_cnn(&ch, NULL, "CNN_TEST_SIGINT_AT_STEP=30",
              A("cnn", "train", "--data", dir, "--device", "cpu", "--quiet", "--log", csv,
                "--csv-every", "1000", "--net", "seed-cnn", "--epochs", "3", "--batch", "20",
                "--save", b));
    wait_for_rows(&ch, csv, 1); /* the epoch's last step: its row is written, then evaluation */
    double t0 = now_s();
    cr_assert_eq(kill(ch.pid, SIGINT), 0);
    int st = wait_child(&ch, 60);
    double took = now_s() - t0;
    size_t len;
    char *out = (char *)read_file(ch.out, &len);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGINT,
              "after the second SIGINT: wait status 0x%x, want killed by SIGINT (it took %.2f s, "
              "a whole epoch %.2f s); stdout:\n%s", st, took, epoch_s, out);
    cr_assert_null(strstr(out, "epoch   1  train loss"),
                   "the epoch's evaluation finished after the second SIGINT:\n%s", out);
    free(out);
    cr_assert_not(exists(b), "a checkpoint was written after the second SIGINT");
    expect_no_tmp_in(dir, NULL);
}

/* ---- 2. interrupts at exact steps (the test hook), resumed exactly ---- */

/* The exact-resume tests' folder: 600 samples, and the paths of the
 * uninterrupted run's checkpoint (a), the interrupted one's (b) and the
 * resumed one's (c). */
static void exact_paths(char *dir, size_t dlen, char *a, char *b, char *c, size_t plen)
{
    make_data_dir(dir, dlen, 600);
    snprintf(a, plen, "%s/A.ck", dir);
    snprintf(b, plen, "%s/B.ck", dir);
    snprintf(c, plen, "%s/C.ck", dir);
}

Test(reliability, interrupt_at_exact_steps_resumes_exactly, .fini = remove_temp_dir,
     .timeout = 300)
{
    char dir[256], a[512], b[512], c[512], env[64], what[128];
    exact_paths(dir, sizeof dir, a, b, c, sizeof a);
    result r;
    train(&r, NULL, dir, A(EXACT_ARGS, "--save", a));
    expect_success(&r, "the uninterrupted run");
    result_free(&r);
    /* the first step, mid-epoch, before and at the short last step of an
     * epoch (at an epoch's end the epoch is finished first), the first step
     * of the next epoch, the last epoch */
    static const struct { int step, epochs_done; const char *where; } at[] = {
        {1, 0, "at epoch 1, step 1:"},       {5, 0, "at epoch 1, step 5:"},
        {7, 0, "at epoch 1, step 7:"},       {8, 1, "after epoch 1, step 8:"},
        {9, 1, "at epoch 2, step 9:"},       {16, 2, "after epoch 2, step 16:"},
        {23, 2, "at epoch 3, step 23:"},
    };
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        snprintf(env, sizeof env, "CNN_TEST_SIGINT_AT_STEP=%d", at[i].step);
        snprintf(what, sizeof what, "interrupted after step %d", at[i].step);
        remove_tree(b);
        train(&r, env, dir, A(EXACT_ARGS, "--save", b));
        expect_error(&r, 130, W(at[i].where), what);
        expect_interrupt_message(r.err, b, what);
        result_free(&r);
        checkpoint_meta m = load_ok(b);
        cr_assert_eq(m.steps_done, (uint64_t)at[i].step, "%s: steps_done %llu", what,
                     (unsigned long long)m.steps_done);
        cr_assert_eq(m.epochs_done, at[i].epochs_done, "%s: epochs_done %d", what,
                     m.epochs_done);
        train(&r, NULL, dir, A("--resume", b, "--save", c));
        expect_success(&r, what);
        result_free(&r);
        expect_same_file(a, c, what);
    }
    /* interrupted twice in the same epoch: after step 3, then after step 5 */
    remove_tree(b);
    train(&r, "CNN_TEST_SIGINT_AT_STEP=3", dir, A(EXACT_ARGS, "--save", b));
    expect_error(&r, 130, W("at epoch 1, step 3:"), "the first interrupt");
    result_free(&r);
    train(&r, "CNN_TEST_SIGINT_AT_STEP=5", dir, A("--resume", b, "--save", b));
    expect_error(&r, 130, W("at epoch 1, step 5:"), "the second interrupt");
    cr_assert_not_null(strstr(r.out, "in epoch 1 after 3 of its 8 steps"),
                       "the banner does not say where it resumed:\n%s", r.out);
    result_free(&r);
    train(&r, NULL, dir, A("--resume", b, "--save", c));
    expect_success(&r, "resumed after two interrupts");
    result_free(&r);
    expect_same_file(a, c, "interrupted after steps 3 and 5, resumed");
    expect_no_tmp_in(dir, NULL);
}

/* Dropout's masks are keyed by the global step and bn keeps running
 * statistics: an interrupt in the middle of an epoch, and a resume, must
 * still give the uninterrupted run's bytes (the state section included). */
#define DROPOUT_BN_ARGS "--net", "conv4k3p1,bn,relu,maxpool2,dropout0.5,fc16,bn,lrelu,dropout0.3,fc10,softmax", \
                        "--epochs", "2", "--batch", "80", "--momentum", "0.9", "--seed", "5"

Test(reliability, interrupt_mid_epoch_with_dropout_and_bn_resumes_exactly,
     .fini = remove_temp_dir, .timeout = 300)
{
    char dir[256], a[512], b[512], c[512], env[64], what[128];
    exact_paths(dir, sizeof dir, a, b, c, sizeof a);
    result r;
    train(&r, NULL, dir, A(DROPOUT_BN_ARGS, "--save", a));
    expect_success(&r, "the uninterrupted run");
    result_free(&r);
    static const int steps[] = {3, 10};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        snprintf(env, sizeof env, "CNN_TEST_SIGINT_AT_STEP=%d", steps[i]);
        snprintf(what, sizeof what, "dropout and bn, interrupted after step %d", steps[i]);
        remove_tree(b);
        train(&r, env, dir, A(DROPOUT_BN_ARGS, "--save", b));
        cr_assert_eq(r.status, 130, "%s: exit %d: %s", what, r.status, r.err);
        result_free(&r);
        train(&r, NULL, dir, A("--resume", b, "--save", c));
        expect_success(&r, what);
        result_free(&r);
        expect_same_file(a, c, what);
    }
}

/* Without --save the checkpoint goes to cnn-interrupted.ckpt in the current
 * folder, and the message says so. */
Test(reliability, interrupt_without_save_writes_default_file, .fini = remove_temp_dir,
     .timeout = 300)
{
    char dir[256], a[512], c[512], def[512];
    make_data_dir(dir, sizeof dir, 600);
    snprintf(a, sizeof a, "%s/A.ck", dir);
    snprintf(c, sizeof c, "%s/C.ck", dir);
    snprintf(def, sizeof def, "%s/cnn-interrupted.ckpt", dir);
    result r;
    train(&r, NULL, dir, A(EXACT_ARGS, "--save", a));
    expect_success(&r, "the uninterrupted run");
    result_free(&r);
    child ch;
    start_cnn(&ch, dir, "CNN_TEST_SIGINT_AT_STEP=12",
              A("cnn", "train", "--data", dir, "--device", "cpu", "--quiet", "--log", "",
                EXACT_ARGS));
    int st = wait_child(&ch, RUN_TIMEOUT_S);
    size_t len;
    char *err = (char *)read_file(ch.err, &len);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 130, "wait status 0x%x; stderr: %s", st, err);
    expect_one_line(ch.err, W("at epoch 2, step 12:", "(no --save was given)"), "no --save");
    expect_interrupt_message(err, "cnn-interrupted.ckpt", "no --save");
    free(err);
    checkpoint_meta m = load_ok(def);
    cr_assert_eq(m.steps_done, 12u);
    train(&r, NULL, dir, A("--resume", def, "--save", c));
    expect_success(&r, "resumed from cnn-interrupted.ckpt");
    result_free(&r);
    expect_same_file(a, c, "interrupted without --save, resumed");
}

/* ---- 3. a loss that stops being finite ---- */

Test(reliability, nan_stops_training_without_checkpoint, .fini = remove_temp_dir, .timeout = 300)
{
    char dir[256], h[512];
    make_data_dir(dir, sizeof dir, 600);
    snprintf(h, sizeof h, "%s/H.ck", dir);
    result r;
    train(&r, NULL, dir, A("--net", FC_NET, "--epochs", "2", "--batch", "20", "--lr", "1e30"));
    expect_error(&r, 1, W("the training loss became ", "between steps 0 and 30 (epoch 1)",
                          "no checkpoint was written", "--save-every"), "--lr 1e30");
    cr_assert_null(strstr(r.out, "\"test_loss\""), "a diverged run printed its JSON");
    result_free(&r);
    /* the read-back every 7 steps names a narrower interval */
    train(&r, NULL, dir, A("--net", FC_NET, "--epochs", "2", "--batch", "20", "--lr", "1e30",
                           "--log-every", "7", "--save", h));
    expect_error(&r, 1, W("between steps 0 and 7 (epoch 1)", "no checkpoint was written"),
                 "--lr 1e30 --log-every 7");
    result_free(&r);
    cr_assert_not(exists(h), "a diverged run wrote %s", h);
    expect_no_tmp_in(dir, NULL);
}

/* A good checkpoint from an earlier run is left byte for byte as it was by a
 * new run with --save at the same path that diverges, with or without
 * --save-every, and by an interrupt that finds the loss not finite. */
Test(reliability, nan_leaves_earlier_checkpoint_intact, .fini = remove_temp_dir, .timeout = 300)
{
    char dir[256], g[512], want[600];
    make_data_dir(dir, sizeof dir, 600);
    snprintf(g, sizeof g, "%s/G.ck", dir);
    result r;
    train(&r, NULL, dir, A("--net", FC_NET, "--epochs", "1", "--batch", "20", "--save", g));
    expect_success(&r, "the good run");
    result_free(&r);
    size_t len0, len1;
    unsigned char *before = read_file(g, &len0);
    snprintf(want, sizeof want, "%s is unchanged", g);

    train(&r, NULL, dir, A("--net", FC_NET, "--epochs", "3", "--batch", "20", "--lr", "1e30",
                           "--save", g, "--save-every", "1"));
    expect_error(&r, 1, W("the training loss became ", "between steps 0 and 30", want),
                 "--lr 1e30 --save G --save-every 1");
    result_free(&r);
    unsigned char *after = read_file(g, &len1);
    cr_assert(len0 == len1 && !memcmp(before, after, len0), "a diverged run changed %s", g);
    free(after);

    /* an interrupt after step 5: the loss read back then is not finite, so
     * nothing is saved */
    train(&r, "CNN_TEST_SIGINT_AT_STEP=5", dir,
          A("--net", FC_NET, "--epochs", "3", "--batch", "20", "--lr", "1e30", "--save", g));
    expect_error(&r, 1, W("the training loss became ", "between steps 0 and 5", want),
                 "--lr 1e30, interrupted after step 5");
    result_free(&r);
    after = read_file(g, &len1);
    cr_assert(len0 == len1 && !memcmp(before, after, len0),
              "an interrupt of a diverged run changed %s", g);
    free(after);
    free(before);
    expect_no_tmp_in(dir, NULL);
}

/* An interrupt right after an update that blew the weights up: the loss
 * read back then was computed before that update, and is finite, so the
 * evaluation the stop makes is what finds them; no checkpoint holds them
 * and the earlier one stays as it was. */
Test(reliability, interrupt_after_blown_up_update_saves_nothing, .fini = remove_temp_dir,
     .timeout = 300)
{
    char dir[256], g[512], want[600];
    make_data_dir(dir, sizeof dir, 600);
    snprintf(g, sizeof g, "%s/G.ck", dir);
    result r;
    train(&r, NULL, dir, A("--net", FC_NET, "--epochs", "1", "--batch", "20", "--save", g));
    expect_success(&r, "the good run");
    result_free(&r);
    size_t len0, len1;
    unsigned char *before = read_file(g, &len0);
    snprintf(want, sizeof want, "%s is unchanged", g);
    train(&r, "CNN_TEST_SIGINT_AT_STEP=1", dir,
          A("--net", FC_NET, "--epochs", "3", "--batch", "20", "--lr", "1e30", "--save", g));
    expect_error(&r, 1, W("the test loss became ", "in the evaluation after step 1 (epoch 1)",
                          want), "--lr 1e30, interrupted after step 1");
    result_free(&r);
    unsigned char *after = read_file(g, &len1);
    cr_assert(len0 == len1 && !memcmp(before, after, len0),
              "an interrupt after a blown-up update changed %s", g);
    free(after);
    free(before);
    expect_no_tmp_in(dir, NULL);
}

/* A rate that grows a trillionfold after the first epoch: the checkpoint of
 * epoch 1 (--save-every 1) is the last good one, named and intact; a resume
 * from it diverges again and names it too. */
Test(reliability, nan_names_last_good_checkpoint, .fini = remove_temp_dir, .timeout = 300)
{
    char dir[256], g[512], want[600];
    make_data_dir(dir, sizeof dir, 600);
    snprintf(g, sizeof g, "%s/G.ck", dir);
    result r;
    train(&r, NULL, dir, A("--net", FC_NET, "--epochs", "3", "--batch", "20", "--lr-step", "1",
                           "--lr-gamma", "1e12", "--save", g, "--save-every", "1"));
    snprintf(want, sizeof want, "the last good checkpoint, %s (after epoch 1), is intact", g);
    expect_error(&r, 1, W("the training loss became ", "between steps 30 and 60 (epoch 2)", want),
                 "lr x 1e12 after epoch 1");
    cr_assert_not_null(strstr(r.out, "epoch   1  train loss"), "epoch 1 did not finish:\n%s",
                       r.out);
    cr_assert_null(strstr(r.out, "\"test_loss\""), "a diverged run printed its JSON");
    result_free(&r);
    checkpoint_meta m = load_ok(g);
    cr_assert_eq(m.epochs_done, 1);
    cr_assert_eq(m.steps_done, 30u);
    size_t len0, len1;
    unsigned char *before = read_file(g, &len0);

    train(&r, NULL, dir, A("--resume", g, "--save", g));
    snprintf(want, sizeof want, "the last good checkpoint, %s (the one resumed from), is intact",
             g);
    expect_error(&r, 1, W("between steps 30 and 60 (epoch 2)", want), "resumed, diverging again");
    result_free(&r);
    unsigned char *after = read_file(g, &len1);
    cr_assert(len0 == len1 && !memcmp(before, after, len0), "the resume changed %s", g);
    free(before);
    free(after);
    expect_no_tmp_in(dir, NULL);
}

/* ---- 4. a checkpoint write that fails mid-run ---- */

Test(reliability, failed_save_keeps_previous_checkpoint, .fini = remove_temp_dir, .timeout = 300)
{
    char dir[256], a[512], k[512], ref[512], c[512];
    make_data_dir(dir, sizeof dir, 600);
    snprintf(a, sizeof a, "%s/A.ck", dir);
    snprintf(k, sizeof k, "%s/K.ck", dir);
    snprintf(ref, sizeof ref, "%s/R.ck", dir);
    snprintf(c, sizeof c, "%s/C.ck", dir);
    result r;
    /* the reference: the state after epoch 1, written by an interrupt there */
    train(&r, "CNN_TEST_SIGINT_AT_STEP=8", dir, A(EXACT_ARGS, "--save", ref));
    expect_error(&r, 130, W("after epoch 1, step 8:"), "the reference");
    result_free(&r);

    train(&r, "CNN_TEST_FAIL_SAVE_AT_EPOCH=2", dir, A(EXACT_ARGS, "--save", k, "--save-every", "1"));
    expect_error(&r, 1, W(k, "cannot write", "File too large", "unchanged", "after epoch 2"),
                 "the save after epoch 2 fails");
    cr_assert_null(strstr(r.out, "\"test_loss\""), "a run whose save failed printed its JSON");
    cr_assert_null(strstr(r.out, "epoch   3"), "training went on after a failed save:\n%s", r.out);
    result_free(&r);
    expect_same_file(ref, k, "the checkpoint of epoch 1 after the save of epoch 2 failed");
    expect_no_tmp_in(dir, NULL);

    /* and it is a good place to go on from */
    train(&r, NULL, dir, A(EXACT_ARGS, "--save", a));
    expect_success(&r, "the uninterrupted run");
    result_free(&r);
    train(&r, NULL, dir, A("--resume", k, "--save", c));
    expect_success(&r, "resumed from the checkpoint that survived");
    result_free(&r);
    expect_same_file(a, c, "resumed from the surviving checkpoint");
}

/* The interrupt's own checkpoint write failing is reported on one line
 * (exit 1), and the previous checkpoint stays as it was. */
Test(reliability, failed_interrupt_save_keeps_previous_checkpoint, .fini = remove_temp_dir,
     .timeout = 300)
{
    char dir[256], k[512];
    make_data_dir(dir, sizeof dir, 600);
    snprintf(k, sizeof k, "%s/K.ck", dir);
    result r;
    train(&r, NULL, dir, A("--net", FC_NET, "--epochs", "1", "--batch", "20", "--save", k));
    expect_success(&r, "the first run");
    result_free(&r);
    size_t len0, len1;
    unsigned char *before = read_file(k, &len0);
    /* epochs_done is 1 when interrupted in epoch 2: the hook fires there */
    train(&r, "CNN_TEST_SIGINT_AT_STEP=40", dir, A("--resume", k, "--epochs", "3", "--save", k));
    cr_assert_eq(r.status, 130, "the control run: exit %d: %s", r.status, r.err);
    result_free(&r);
    remove_tree(k);
    write_file(k, before, len0);
    setenv("CNN_TEST_FAIL_SAVE_AT_EPOCH", "1", 1);
    train(&r, "CNN_TEST_SIGINT_AT_STEP=40", dir, A("--resume", k, "--epochs", "3", "--save", k));
    unsetenv("CNN_TEST_FAIL_SAVE_AT_EPOCH");
    expect_error(&r, 1, W("interrupted by SIGINT at epoch 2, step 40", "not written", k, "unchanged"),
                 "an interrupt whose save fails");
    result_free(&r);
    unsigned char *after = read_file(k, &len1);
    cr_assert(len0 == len1 && !memcmp(before, after, len0), "the failed save changed %s", k);
    free(before);
    free(after);
    expect_no_tmp_in(dir, NULL);
}

/* ---- 5. what a run leaves in its folders, and paths with a newline (issue 25) ---- */

/* A temporary a killed save left (the pattern file_temp.h gives, with a pid
 * no process has) is removed by the next write of the same target; one of a
 * live process, one whose lock is held, another target's and one of the
 * pattern before the pid was in it are not. */
Test(reliability, a_save_removes_only_dead_writers_temporaries, .fini = remove_temp_dir,
     .timeout = 300)
{
    char dir[256], k[512], live[64], path[600];
    make_data_dir(dir, sizeof dir, 600);
    snprintf(k, sizeof k, "%s/K.ck", dir);
    snprintf(live, sizeof live, ".K.ck.%ld.abcdef.tmp", (long)getpid());
    const char *dead[] = {".K.ck.99999999.abcdef.tmp", ".K.ck.99999998.123abc.tmp.probe"};
    const char *kept[] = {live, ".K.ck.99999997.abcdef.tmp", ".other.99999999.abcdef.tmp",
                          ".K.ck.abcdef.tmp"};
    for (size_t i = 0; i < 2; i++) write_file(tmp_path(dead[i]), "half", 4);
    for (size_t i = 0; i < 4; i++) write_file(tmp_path(kept[i]), "half", 4);
    int locked = open(tmp_path(kept[1]), O_RDONLY);
    cr_assert(locked >= 0 && flock(locked, LOCK_EX) == 0, "flock: %s", strerror(errno));
    result r;
    train(&r, NULL, dir, A("--net", FC_NET, "--epochs", "1", "--save", k));
    expect_success(&r, "the save");
    result_free(&r);
    load_ok(k);
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, dead[i]);
        cr_assert_not(exists(path), "a killed writer's %s was left", dead[i]);
    }
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, kept[i]);
        cr_assert(exists(path), "%s was removed", kept[i]);
    }
    close(locked);
}

static void expect_no_locks(const char *k, const char *b, const char *what)
{
    char lock[600];
    const char *paths[] = {k, b};
    for (int i = 0; i < 2; i++) {
        snprintf(lock, sizeof lock, "%s.lock", paths[i]);
        cr_assert_not(exists(lock), "%s: %s was left behind", what, lock);
    }
}

/* With --save and --save-best, both lock files go: after a run, after an
 * interrupt, and after a second SIGINT that ends the process at once. */
Test(reliability, save_and_save_best_leave_no_lock_file, .fini = remove_temp_dir,
     .timeout = 300)
{
    char dir[256], k[512], b[512], csv[512];
    make_data_dir(dir, sizeof dir, SIG_TRAIN);
    snprintf(k, sizeof k, "%s/K.ck", dir);
    snprintf(b, sizeof b, "%s/B.ck", dir);
    snprintf(csv, sizeof csv, "%s/log.csv", dir);
    result r;
    train(&r, NULL, dir, A("--net", FC_NET, "--epochs", "1", "--val", "100", "--save", k,
                           "--save-best", b));
    expect_success(&r, "a run with both");
    result_free(&r);
    expect_no_locks(k, b, "after a run");
    train(&r, "CNN_TEST_SIGINT_AT_STEP=3", dir, A("--net", FC_NET, "--epochs", "1", "--val", "100",
                                                  "--save", k, "--save-best", b));
    expect_error(&r, 130, W("interrupted by SIGINT"), "an interrupt");
    result_free(&r);
    expect_no_locks(k, b, "after an interrupt");
    child ch;
    start_cnn(&ch, NULL, NULL,
              A("cnn", "train", "--data", dir, "--device", "cpu", "--quiet", "--log", csv,
                "--csv-every", "5", "--net", FC_NET, "--epochs", "1000", "--batch", "20",
                "--val", "100", "--save", k, "--save-best", b));
    wait_for_rows(&ch, csv, 2);
    cr_assert_eq(kill(ch.pid, SIGINT), 0);
    kill(ch.pid, SIGINT); /* may find it gone already */
    int st = wait_child(&ch, 60);
    cr_assert((WIFSIGNALED(st) && WTERMSIG(st) == SIGINT) ||
                  (WIFEXITED(st) && WEXITSTATUS(st) == 130),
              "wait status 0x%x after two SIGINTs", st);
    expect_no_locks(k, b, "after two SIGINTs");
}

/* "continue with: ..." after an interrupt, for paths holding a newline, is
 * pasted into bash as it is printed and resumes the run (to the same
 * weights as an uninterrupted one); the banner and JSON on stdout show the
 * paths escaped, never with the newline itself. */
Test(reliability, continue_command_for_a_newline_path_works_in_bash, .fini = remove_temp_dir,
     .timeout = 300)
{
    char dir[256], sub[300], a[512], k[512], bin[4096], cmd[16384];
    make_data_dir(dir, sizeof dir, 600);
    snprintf(sub, sizeof sub, "%s/a\nb", dir);
    cr_assert_eq(mkdir(sub, 0777), 0);
    write_block_digits(sub, "train", 600, 7);
    write_block_digits(sub, "t10k", 100, 8);
    snprintf(a, sizeof a, "%s/A.ck", dir);
    snprintf(k, sizeof k, "%s/K.ck", sub);
    result r;
    train(&r, NULL, sub, A(EXACT_ARGS, "--save", a));
    expect_success(&r, "the uninterrupted run");
    result_free(&r);
    run_train(&r, "CNN_TEST_SIGINT_AT_STEP=5", sub, A(EXACT_ARGS, "--save", k), RUN_TIMEOUT_S);
    expect_error(&r, 130, W("written to ", "a\\nb/K.ck;", "continue with: cnn train --resume $'"),
                 "the interrupt");
    cr_assert_null(strstr(r.out, "a\nb"), "stdout shows a path's newline:\n%s", r.out);
    cr_assert_not_null(strstr(r.out, "a\\nb"), "the banner does not show the data path:\n%s",
                       r.out);
    const char *pasted = strstr(r.err, "continue with: cnn ") + strlen("continue with: cnn ");
    cnn_bin_absolute(bin, sizeof bin);
    snprintf(cmd, sizeof cmd, "%s %.*s --device cpu --log '' --quiet", bin,
             (int)strcspn(pasted, "\n"), pasted);
    result_free(&r);
    run_program("/bin/bash", (const char *const[]){"bash", "-c", cmd, NULL}, RUN_TIMEOUT_S, &r);
    expect_success(&r, cmd);
    char json[4096], want[600];
    json_of(&r, json, sizeof json);
    snprintf(want, sizeof want, "\"data\":\"%s/a\\nb\"", dir);
    cr_assert_not_null(strstr(json, want), "the JSON does not escape the path: %s", json);
    result_free(&r);
    expect_same_file(a, k, "uninterrupted vs resumed through the pasted command");
}
