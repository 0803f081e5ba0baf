/* Helpers the test files share: running the cnn binary as a separate
 * process (posix_spawn, both outputs captured, killed after a timeout),
 * reading what it printed, and the running test's temporary folder.
 * The binary is $CNN_BIN, or build/cnn when that is unset (the hooked build
 * for runs with a test hook: cnn_bin). */
#ifndef CNN_RUN_UTIL_H
#define CNN_RUN_UTIL_H

#include <stddef.h>

typedef struct {
    int exited;      /* exited normally; status is the exit status */
    int status;      /* -1 when it did not exit normally */
    int signaled;    /* killed by a signal; sig is which */
    int sig;
    int timed_out;   /* ran past timeout_s and was killed */
    int timeout_s;   /* the timeout it ran under */
    double seconds;  /* how long it ran */
    char *out, *err; /* everything written to stdout and stderr, NUL-terminated */
    size_t out_len, err_len;
} result;

/* The arguments after "cnn", as run_cnn's NULL-terminated argv. */
#define CNN_ARGV(...) ((const char *const[]){"cnn", __VA_ARGS__, NULL})

/* $CNN_BIN, or build/cnn when that is unset or empty; but while a test hook
 * (CNN_TEST_SIGINT_AT_STEP, CNN_TEST_FAIL_SAVE_AT_EPOCH) is set in this
 * process's environment, $CNN_HOOKS_BIN or build/cnn-hooks: the build with
 * the hooks (the release binary reads no such variable). */
const char *cnn_bin(void);
/* The same for a run whose environment adds env ("NAME=VALUE", or NULL). */
const char *cnn_bin_for(const char *env);

/* Runs cnn with argv (argv[0] is ignored and replaced by the binary's path;
 * NULL-terminated), capturing stdout, stderr and how it ended; kills it after
 * timeout_s seconds. Skips the test when the binary does not exist (removing
 * the test's temporary folder first: a skipped test does not run its .fini). */
void run_cnn(const char *const argv[], int timeout_s, result *r);

/* cnn train on dir's data on the CPU, quiet, without a log (args, NULL-
 * terminated, come after these and may give --log FILE); env, when not NULL,
 * is "NAME=VALUE" set for this run only. */
void run_train(result *r, const char *env, const char *dir, const char *const *args,
               int timeout_s);

/* cnn_bin() as an absolute path, for a child that changes directory; fails
 * the test when it is not an executable. */
void cnn_bin_absolute(char *path, size_t len);

/* The same for any program: bin is its path, argv[0] is replaced by it. */
void run_program(const char *bin, const char *const argv[], int timeout_s, result *r);

/* What a child's surroundings change (run_program_in); zero changes nothing. */
typedef struct {
    const char *env[4];   /* "NAME=VALUE" set, or "NAME" unset, for the child only */
    int closed_fds;       /* bit n (n = 0, 1, 2): the child starts with descriptor n closed;
                             what it would have written there is not captured */
    int limit;            /* RLIMIT_AS, RLIMIT_NOFILE, ...: set for the child, soft and hard, */
    long long limit_value; /* to this (when above 0) */
} child_env;

/* run_program in the surroundings ce describes (forked: the limit is set in
 * the child alone). */
void run_program_in(const char *bin, const char *const argv[], int timeout_s,
                    const child_env *ce, result *r);

void result_free(result *r);

/* Fails the test if cnn timed out, was killed by a signal or did not exit. */
void expect_not_crashed(const result *r);

/* An error: the exact exit status, exactly one line on stderr that contains
 * every one of the NULL-terminated fragments. what, when not NULL, starts
 * every failure message. */
void expect_error(const result *r, int status, const char *const *want, const char *what);

/* The last stdout line, which must be a JSON object, copied into json. */
void json_of(const result *r, char *json, size_t len);

/* The raw text of a JSON field's value ("key":VALUE): a string with its quotes
 * (no escapes expected), else up to the next , or }; -1 if absent. */
int json_field(const char *json, const char *key, char *value, size_t len);

/* ---- the running test's temporary folder, whole files ---- */

/* The folder make_temp_dir made, "" when none. */
extern char temp_dir[256];

/* Makes $TMPDIR/<name>_XXXXXX (under /tmp without TMPDIR) the running test's
 * temporary folder, temp_dir, and copies its path into dir unless dir is
 * NULL. Pass remove_temp_dir as the test's .fini: it is removed even when an
 * assertion fails. */
void make_temp_dir(const char *name, char *dir, size_t len);

/* Removes temp_dir and all in it, if there is one. */
void remove_temp_dir(void);

/* Removes path: a file, or a folder with all in it. */
void remove_tree(const char *path);

/* The whole file, malloc'ed and NUL-terminated, its size (without the NUL)
 * in *len; fails the test when unreadable. */
unsigned char *read_file(const char *path, size_t *len);

/* Fails the test unless files a and b hold the same bytes; says where they
 * first differ. */
void expect_same_file(const char *a, const char *b, const char *why);

/* Writes len bytes of data to path, replacing it; fails the test on error. */
void write_file(const char *path, const void *data, size_t len);

/* "<temp_dir>/<name>", in one of 8 buffers used in turn: a few stay valid at
 * once. */
const char *tmp_path(const char *name);

/* tmp_path(rel), made as a folder (and the folders above it inside temp_dir). */
const char *tmp_folder(const char *rel);

#endif
