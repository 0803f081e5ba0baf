/* Small synthetic data sets in each format issue 26 reads, for the tests of
 * data_source (tests/test_data_source.c) and the commands on them
 * (tests/test_formats_cli.c): IDX of any H x W, the CIFAR-10 and CIFAR-100
 * binaries, and trees of PNG pictures. Every set is learnable in an epoch
 * or two: class k has its own bright block (grey) or colour (CIFAR,
 * pictures), over deterministic noise. Each helper fails the test on error. */
#ifndef CNN_FORMAT_UTIL_H
#define CNN_FORMAT_UTIL_H

#include <stdint.h>

/* <dir>/<prefix>-images-idx3-ubyte (n images of rows x cols) and
 * -labels-idx1-ubyte; labels cycle through 0 .. classes-1 (class k a bright
 * block at its own place), so the largest label is classes-1 when n >=
 * classes. */
void write_idx_blocks(const char *dir, const char *prefix, int n, int rows, int cols,
                      int classes, uint64_t seed);

/* A CIFAR-10 folder: data_batch_1.bin with n_train records, test_batch.bin
 * with n_test; batches.meta.txt with names (10 of them, one per line) when
 * names is not NULL. Class k is tinted with its own colour. */
void write_cifar10_dir(const char *dir, int n_train, int n_test, const char *const *names);

/* A CIFAR-100 folder: train.bin and test.bin, fine label i % 100 and coarse
 * label fine / 5; fine_label_names.txt ("fine0" ...) and
 * coarse_label_names.txt ("coarse0" ...) when with_names. */
void write_cifar100_dir(const char *dir, int n_train, int n_test, int with_names);

/* <dir>/<class>/<NN>.png for each of the classes (made with the folders
 * above): per_class w x h pictures of c channels (1 or 3), class k
 * brighter or tinted its own way. */
void write_picture_classes(const char *dir, const char *const *classes, int n_classes,
                           int per_class, int w, int h, int c, unsigned seed);

/* Makes the folder path and the ones above it. */
void make_folders(const char *path);

/* Ten CIFAR-10-like names, and ten others (for a "names differ" warning). */
extern const char *const CIFAR10_NAMES[10];
extern const char *const OTHER_NAMES[10];

#endif
