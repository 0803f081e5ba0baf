/* Data sets: images with their labels. Here: loaded from pairs of IDX files
 * (idx.h) and from a folder holding the four MNIST-style files; cifar.h and
 * image_folder.h make them from CIFAR binaries and folders of pictures,
 * data_source.h picks one by what a folder holds. */
#ifndef CNN_DATASET_H
#define CNN_DATASET_H

#include <stddef.h>

#include "class_names.h"

/* Images with their labels: count samples of channels x rows x cols bytes,
 * channel-first (sample i's channel c starts at images + (i * channels + c)
 * * rows * cols), and classes classes, named where the names are known. */
typedef struct {
    int count, channels, rows, cols;
    unsigned char *images; /* count x channels x rows x cols bytes */
    unsigned char *labels; /* count bytes, each < classes */
    int classes;
    int classes_at_least;  /* classes is only the largest label + 1 (IDX): a net may know more */
    class_names names;     /* names.count is classes, or 0: none known */
} dataset;

/* Bytes of one sample: channels x rows x cols. */
static inline size_t dataset_sample_bytes(const dataset *d)
{
    return (size_t)d->channels * d->rows * d->cols;
}

/* What a data set must be, checked from the files' headers before any of
 * their data is read. */
typedef struct {
    int classes;    /* every label below it (1..256); 0: the largest label + 1 */
    int rows, cols; /* the images' sides; 0 takes any */
} dataset_want;

/* Loads an image file and a label file and checks that they agree with want
 * and each other: the images' sides and the same count (from the headers,
 * before the data is read), then every label below want->classes. Returns
 * 0, or -1 with err set. */
int dataset_load(const char *images_path, const char *labels_path, const dataset_want *want,
                 dataset *out, char *err, size_t errlen);

/* The four files of a data folder: train images and labels, then t10k's. */
extern const char *const DATASET_FILES[4];

/* Loads "<dir>/train-images-idx3-ubyte[.gz]" and its sibling into train,
 * and the t10k pair into test (DATASET_FILES); either the .gz or the raw
 * name is accepted. A NULL train or test is not wanted: its files are not
 * read and need not be there (eval needs only the t10k files). With
 * want's sides 0, the t10k images must have the train images' sides. */
int dataset_load_dir(const char *dir, const dataset_want *want, dataset *train, dataset *test,
                     char *err, size_t errlen);
void dataset_free(dataset *d);

/* An IDX folder's image sides (from the train images' header, else the
 * t10k's) and class count (the largest label + 1 of the same set's labels),
 * without reading the images. 0, or -1 with err set. */
int dataset_idx_probe(const char *dir, int *rows, int *cols, int *classes, char *err,
                      size_t errlen);

/* Whether dir holds MNIST-named IDX images (train or t10k, raw or .gz). */
int dataset_idx_present(const char *dir);

#endif
