/* --save-best across a resume: the best validation epoch the interrupted run
 * had already written, so the resumed run replaces it only with a better
 * one (as the uninterrupted run would have). */
#ifndef CNN_BEST_PRIOR_H
#define CNN_BEST_PRIOR_H

#include "checkpoint.h"
#include "train.h"

/* When path holds a checkpoint of the run `run` describes (the same spec,
 * recipe, seed, data and --val) from no later than run->epochs_done, evaluates it on
 * val with nt (whose parameters and state it overwrites: upload the resumed
 * ones afterwards) and sets *acc and *epoch to its accuracy and epoch;
 * returns 1. Returns 0, setting neither, for any other file, none, or one
 * whose weights do not evaluate to a finite loss. */
int best_prior(net *nt, const char *path, const checkpoint_meta *run,
               const device_dataset *val, double *acc, int *epoch);

#endif
