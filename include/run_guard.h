/* What keeps a training run from being lost: the stop signals (SIGINT,
 * SIGTERM, SIGHUP), the checkpoint writes (every N epochs, at the end, when
 * stopped) and the one line that says how a run ended when it did not
 * finish: stopped (with how to continue) or diverged (with what can cause
 * it and which checkpoint is good). cmd_train.c runs the schedule; this is
 * its safety net. */
#ifndef CNN_RUN_GUARD_H
#define CNN_RUN_GUARD_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "checkpoint.h"
#include "train.h"

/* where an interrupted run without --save leaves its checkpoint (a new
 * file: -2, -3, ... are added to the name when it exists) */
#define INTERRUPTED_BASE "cnn-interrupted"

/* The checkpoint a run writes: where, how often, and what it last wrote. */
typedef struct {
    net *nt;
    const char *save;
    const char *save_best;  /* --save-best: the best validation epoch's (NULL: none) */
    int save_every;
    checkpoint_meta meta;
    int saved;              /* this run wrote a checkpoint to save ... */
    int saved_epochs;       /* ... after this many epochs */
    int fail_at_epoch;      /* test hook, CNN_TEST_FAIL_SAVE_AT_EPOCH (0: off) */
} saver;

/* The first stop signal sets this (train_run's cfg->stop); a second one
 * ends the process at once. */
extern volatile sig_atomic_t stop_requests;

/* The first stop signal caught (0: none yet), and its name ("SIGTERM"). */
int stop_signal_received(void);
const char *signal_name(int sig);

#define N_STOP_SIGNALS 3
void catch_stop_signals(struct sigaction old[N_STOP_SIGNALS]);
void restore_stop_signals(const struct sigaction old[N_STOP_SIGNALS]);

/* Writes the net to path (with no_replace only where no file is: errno
 * EEXIST otherwise); on failure err holds one line (without "cnn train: ")
 * and any previous file at path is unchanged. */
int save_checkpoint(saver *s, const char *path, int no_replace, int epochs_done, long steps,
                    uint64_t state, char *err, size_t errlen);

/* train_config's on_epoch: the --save-every checkpoint (ctx: a saver). */
int on_epoch(void *ctx, int epochs_done, long steps, uint64_t state);

/* train_config's on_best_val: the --save-best checkpoint (ctx: a saver). */
int on_best_val(void *ctx, int epochs_done, long steps, uint64_t state);

/* The first of cnn-interrupted.ckpt, cnn-interrupted-2.ckpt, ... -1000 that
 * nothing has taken (a file, a folder, a link), into path; -1 if none. */
int interrupt_checkpoint_name(char *path, size_t len);

/* A stopped run (a signal, or stdout closed): its state goes to --save, or to
 * a new file here; says how to continue (data_flag: --data when given).
 * Returns the exit status: 128 + the signal, 128 + SIGPIPE for a closed
 * stdout, 1 when the save failed. */
int finish_interrupted(saver *sv, const train_result *res, const train_config *c,
                       const char *data_flag);

/* The line for a loss that stopped being finite: where, which checkpoint is
 * good (resume: the file resumed from, or ""), what can cause it. */
void report_divergence(const saver *sv, const train_config *c, const char *resume,
                       const train_result *res);

#endif
