/* Data sets built from IDX files (the MNIST layout); see include/dataset.h.
 *
 * The files themselves are read and checked by idx_read (src/io/idx.c); here
 * the pairs are matched: the same count, every label in range, train and t10k
 * images of one size. */
#include "dataset.h"
#include "idx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io_err.h"

int dataset_load(const char *images_path, const char *labels_path, int classes, dataset *out,
                 char *err, size_t errlen)
{
    idx_file im, lb;
    memset(out, 0, sizeof *out);
    if (classes < 1 || classes > 256) {
        set_err(err, errlen, "%s: classes must be 1..256, not %d", base_name(labels_path),
                classes);
        return -1;
    }
    if (idx_read(images_path, 3, &im, err, errlen) != 0)
        return -1;
    if (idx_read(labels_path, 1, &lb, err, errlen) != 0) {
        idx_free(&im);
        return -1;
    }
    if (im.dims[0] != lb.dims[0]) {
        set_err(err, errlen, "%s: images and labels differ: %d images (in %s), %d labels",
                base_name(labels_path), im.dims[0], base_name(images_path), lb.dims[0]);
        goto fail;
    }
    for (int i = 0; i < lb.dims[0]; i++) {
        if (lb.data[i] >= classes) {
            set_err(err, errlen, "%s: label %d at index %d is out of range 0..%d",
                    base_name(labels_path), lb.data[i], i, classes - 1);
            goto fail;
        }
    }
    out->count = im.dims[0];
    out->rows = im.dims[1];
    out->cols = im.dims[2];
    out->images = im.data;
    out->labels = lb.data;
    out->classes = classes;
    return 0;

fail:
    idx_free(&im);
    idx_free(&lb);
    return -1;
}

void dataset_free(dataset *d)
{
    if (!d)
        return;
    free(d->images);
    free(d->labels);
    memset(d, 0, sizeof *d);
}

#define DATA_HINT "run `make data` or point --data at a folder holding the MNIST files"

/* Finds "<dir>/<name>.gz", else "<dir>/<name>", into path. */
static int find_file(const char *dir, const char *name, char *path, size_t pathlen, char *err,
                     size_t errlen)
{
    struct stat st;
    const char *ext[2] = {".gz", ""};
    for (int i = 0; i < 2; i++) {
        if ((size_t)snprintf(path, pathlen, "%s/%s%s", dir, name, ext[i]) >= pathlen) {
            set_err(err, errlen, "%s: path too long", dir);
            return -1;
        }
        if (stat(path, &st) == 0)
            return 0;
    }
    set_err(err, errlen, "%s: no %s[.gz] here: " DATA_HINT, dir, name);
    return -1;
}

const char *const DATASET_FILES[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                       "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

/* names: the images' and the labels' file names */
static int load_pair(const char *dir, const char *const *names, int classes, dataset *d,
                     char *err, size_t errlen)
{
    char paths[2][4096];
    for (int i = 0; i < 2; i++)
        if (find_file(dir, names[i], paths[i], sizeof paths[i], err, errlen) != 0)
            return -1;
    return dataset_load(paths[0], paths[1], classes, d, err, errlen);
}

int dataset_load_dir(const char *dir, int classes, dataset *train, dataset *test, char *err,
                     size_t errlen)
{
    struct stat st;
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    if (stat(dir, &st) != 0) {
        set_err(err, errlen, "%s: cannot open folder: %s: " DATA_HINT, dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        set_err(err, errlen, "%s: not a folder: " DATA_HINT, dir);
        return -1;
    }
    if (load_pair(dir, DATASET_FILES, classes, train, err, errlen) != 0)
        return -1;
    if (load_pair(dir, DATASET_FILES + 2, classes, test, err, errlen) != 0) {
        dataset_free(train);
        return -1;
    }
    if (train->rows != test->rows || train->cols != test->cols) {
        set_err(err, errlen, "%s: train images are %dx%d but t10k images are %dx%d", dir,
                train->rows, train->cols, test->rows, test->cols);
        dataset_free(train);
        dataset_free(test);
        return -1;
    }
    return 0;
}
