/* Data sets: images with their labels, loaded from pairs of IDX files
 * (idx.h) and from a folder holding the four MNIST files. */
#ifndef CNN_DATASET_H
#define CNN_DATASET_H

#include <stddef.h>

/* Images with their labels. */
typedef struct {
    int count, rows, cols;
    unsigned char *images; /* count x rows x cols bytes */
    unsigned char *labels; /* count bytes, each < classes */
    int classes;
} dataset;

/* Loads an image file and a label file and checks that they agree: the same
 * count, and every label below `classes`. Returns 0, or -1 with err set. */
int dataset_load(const char *images_path, const char *labels_path, int classes,
                 dataset *out, char *err, size_t errlen);

/* The four files of a data folder: train images and labels, then t10k's. */
extern const char *const DATASET_FILES[4];

/* Loads "<dir>/train-images-idx3-ubyte[.gz]" and its three siblings
 * (DATASET_FILES); either the .gz or the raw name is accepted. */
int dataset_load_dir(const char *dir, int classes, dataset *train, dataset *test, char *err,
                     size_t errlen);
void dataset_free(dataset *d);

#endif
