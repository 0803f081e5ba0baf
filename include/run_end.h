/* The one line that says how a training run ended when it did not finish:
 * stopped (with the checkpoint written and the command that continues it)
 * or diverged (with what can cause it and which checkpoint is good). */
#ifndef CNN_RUN_END_H
#define CNN_RUN_END_H

#include "saver.h"
#include "settings.h"
#include "train.h"

/* A stopped run (a signal, or stdout closed): its state goes to --save, or to
 * a new file here; says how to continue (the command repeats every SET_HINT
 * setting of c that is not its default). Returns the exit status: 128 + the
 * signal, 128 + SIGPIPE for a closed stdout, 1 when the save failed. */
int run_end_interrupted(saver *sv, const train_result *res, const run_config *c);

/* The line for a loss that stopped being finite: where, which checkpoint is
 * good (c->resume's, when the run was resumed and resumed_good says its own
 * weights evaluate to a finite loss; else it is said to be no good either),
 * what can cause it. */
void run_end_diverged(const saver *sv, const run_config *c, const train_result *res,
                      int resumed_good);

#endif
