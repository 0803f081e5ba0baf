/* A validation split: some of the training samples a run uses are held out,
 * chosen by the seed, and evaluated each epoch instead of trained on. */
#ifndef CNN_DATA_SPLIT_H
#define CNN_DATA_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "dataset.h"

/* The samples a run uses: the first `limit` of d (all when limit is 0 or
 * not below the count). */
int data_used_count(const dataset *d, int limit);

/* Splits the samples used (data_used_count) into held (val_count of them,
 * chosen by seed from a random stream of their own) and rest (the others),
 * each in the original order; both are new host data sets (dataset_free).
 * The same seed, count and data give the same split. Returns 0, or -1 with
 * one line in err when val_count is not in [1, samples used - 1]. */
int data_split(const dataset *d, int limit, int val_count, uint64_t seed, dataset *rest,
               dataset *held, char *err, size_t errlen);

#endif
