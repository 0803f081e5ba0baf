/* Hostile-input tables: each case names its input, the words its one stderr
 * line must hold and the exit status (2: a usage error, 1: anything else),
 * and runs the cnn binary on it. Every case must end cleanly: no crash, no
 * hang, exactly one line on stderr. tests/test_hostile*.c each hold a table;
 * test_hostile.c counts them all. */
#ifndef CNN_HOSTILE_UTIL_H
#define CNN_HOSTILE_UTIL_H

#include <criterion/criterion.h>

#include "run_util.h"

#define HOSTILE_TIMEOUT_S 60
#define HOSTILE_N_TRAIN 60
#define HOSTILE_N_TEST 20

typedef struct {
    const char *name;
    void (*setup)(const char *dir);   /* makes the broken input in dir */
    const char *argv[16];             /* after "cnn"; "@" stands for the case's folder */
    int status;
    const char *want[5];              /* up to 4 fragments of the one stderr line, NULL after */
    /* optional, after the run: what must still hold (a file unchanged, no
     * temporary left); dir is the case's folder, r what cnn did */
    void (*after)(const char *dir, const result *r);
} hostile;

/* Runs cases[i] in a fresh folder ("<temp>/case") and checks its status and
 * message; table names the table in failure messages. A train, eval, predict
 * or visualize case that names no --device runs with --device cpu. */
void hostile_run(const hostile *cases, int i, const char *table);

/* A small valid data set (60 train, 20 test images) in dir, made if missing. */
void hostile_good_data(const char *dir);

/* hostile_good_data, and a model of net (hostile_trained: fc8,relu,fc10)
 * trained on it for one epoch at <dir>/m.ckpt. */
void hostile_trained_net(const char *dir, const char *net);
void hostile_trained(const char *dir);

/* One Criterion test per case keeps failures readable; a table file defines
 * CASES and N_CASES, then lists HOSTILE_CASE(suite, i) for i up to its size. */
#define HOSTILE_CASE(suite, i)                                                   \
    Test(suite, case_##i, .fini = remove_temp_dir)                               \
    {                                                                            \
        if (i < N_CASES) hostile_run(CASES, i, #suite);                          \
    }

/* The environment table's cases (tests/test_hostile_env.c): a case and what
 * its run starts with: variables, closed descriptors, a limit. A test hook
 * in child.env runs $CNN_HOOKS_BIN, unless release is set. With stderr
 * closed only the status is checked; a status of 0 wants nothing on stderr,
 * or, when the case names fragments, one line (a note) holding them. */
typedef struct {
    hostile c;
    child_env child;
    int release;
} hostile_env;

/* A status for a case that may either run (0, nothing on stderr) or fail
 * with one line (1): under a memory limit, which depends on the build. */
#define HOSTILE_RUNS_OR_FAILS (-1)

/* hostile_run for the environment table; a case with an address-space or
 * data limit is skipped under AddressSanitizer (its shadow memory). */
void hostile_env_run(const hostile_env *cases, int i, const char *table);

#define HOSTILE_ENV_CASE(suite, i)                                               \
    Test(suite, case_##i, .fini = remove_temp_dir)                               \
    {                                                                            \
        if (i < N_CASES) hostile_env_run(CASES, i, #suite);                      \
    }

/* How many cases each table holds (test_hostile.c checks the sum). */
extern const int hostile_idx_cases, hostile_files_cases, hostile_flags_cases,
    hostile_ckpt_cases, hostile_env_cases;

#endif
