/* The data a run names: --data's folder read by the format --format names
 * or its files tell (IDX, CIFAR-10/100 binaries, a folder of pictures),
 * with the run's --labels, --image-size, --channels, --skip-bad and
 * --class-names. */
#ifndef CNN_DATA_SOURCE_H
#define CNN_DATA_SOURCE_H

#include <stddef.h>

#include "dataset.h"
#include "settings.h"

/* What a data set is, without its samples. */
typedef struct {
    int format;                /* FORMAT_IDX .. FORMAT_FOLDER (never FORMAT_AUTO) */
    int channels, rows, cols, classes;
    int classes_at_least;      /* classes is only the largest label + 1 (IDX without names) */
} data_shape;

/* The format of c's --data: --format when it names one, else what the
 * folder holds (data_batch_1.bin: cifar10; train.bin: cifar100; class
 * sub-folders and no MNIST-named IDX files: folder; else idx, whose reader
 * names the files it misses, and what --data is when it is no folder). */
int data_format(const run_config *c);

/* The shape and class count of c's data, reading as little as it can: an
 * IDX folder's image header and label file, nothing of CIFAR's, a picture
 * folder's class folders and first picture. 0, or -1 with err set. */
int data_probe(const run_config *c, data_shape *out, char *err, size_t errlen);

/* Loads c's data: the training set into train and the test set into test
 * (either NULL: not read; a one-tree picture folder has no test set, count
 * 0); --class-names, when given, names the classes (its count must be the
 * classes'). classes, when not 0, is the net's: an IDX set's labels must lie
 * below it (naming the file and the label that does not). *skipped (may be
 * NULL) counts the pictures --skip-bad passed over. 0, or -1 with err set
 * (train and test then hold nothing). */
int data_load(const run_config *c, int classes, dataset *train, dataset *test, int *skipped,
              char *err, size_t errlen);

/* "3x32x32" */
const char *data_shape_text(int channels, int rows, int cols, char *buf, size_t len);

#endif
