/* Data sets built from IDX files (the MNIST layout); see include/dataset.h.
 *
 * The files themselves are read and checked by src/io/idx.c; here the pairs
 * are matched, from their headers before any data is read (the images'
 * sides, the same count), then every label is checked to be in range. */
#include "dataset.h"
#include "idx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io_err.h"

/* The images' sides, from their header, against want's. */
static int check_shape(const idx_reader *im, const dataset_want *want, const char *path,
                       char *err, size_t errlen)
{
    int d[3];
    idx_dims(im, d);
    if ((!want->rows || d[1] == want->rows) && (!want->cols || d[2] == want->cols)) return 0;
    set_err(err, errlen, "%s: images are %dx%d (its header says %s), not %dx%d", base_name(path),
            d[1], d[2], idx_shape(im), want->rows, want->cols);
    return -1;
}

/* The counts the two headers give must agree. */
static int check_count(const idx_reader *im, const idx_reader *lb, const char *images_path,
                       const char *labels_path, char *err, size_t errlen)
{
    int di[3], dl[3];
    idx_dims(im, di);
    idx_dims(lb, dl);
    if (di[0] == dl[0]) return 0;
    set_err(err, errlen, "%s: images and labels differ: %d images (in %s), %d labels",
            base_name(labels_path), di[0], base_name(images_path), dl[0]);
    return -1;
}

/* Every label below classes; classes 0: takes the largest label + 1. */
static int check_labels(const idx_file *lb, int *classes, const char *path, char *err,
                        size_t errlen)
{
    if (*classes == 0) {
        for (int i = 0; i < lb->dims[0]; i++)
            if (lb->data[i] >= *classes) *classes = lb->data[i] + 1;
        return 0;
    }
    for (int i = 0; i < lb->dims[0]; i++) {
        if (lb->data[i] >= *classes) {
            set_err(err, errlen, "%s: label %d at index %d is out of range 0..%d",
                    base_name(path), lb->data[i], i, *classes - 1);
            return -1;
        }
    }
    return 0;
}

int dataset_load(const char *images_path, const char *labels_path, const dataset_want *want,
                 dataset *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    int classes = want->classes;
    if (classes < 0 || classes > CLASS_MAX) {
        set_err(err, errlen, "%s: classes must be 1..256, not %d", base_name(labels_path),
                want->classes);
        return -1;
    }
    /* both headers checked before either body is read */
    idx_reader *im = NULL, *lb = NULL;
    idx_file fi = {0}, fl = {0};
    int ok = (im = idx_open(images_path, 3, err, errlen)) &&
             check_shape(im, want, images_path, err, errlen) == 0 &&
             (lb = idx_open(labels_path, 1, err, errlen)) &&
             check_count(im, lb, images_path, labels_path, err, errlen) == 0 &&
             idx_read_body(im, &fi, err, errlen) == 0 && idx_read_body(lb, &fl, err, errlen) == 0 &&
             check_labels(&fl, &classes, labels_path, err, errlen) == 0;
    idx_close(im);
    idx_close(lb);
    if (!ok) {
        idx_free(&fi);
        idx_free(&fl);
        return -1;
    }
    out->count = fi.dims[0];
    out->channels = 1;
    out->rows = fi.dims[1];
    out->cols = fi.dims[2];
    out->images = fi.data;
    out->labels = fl.data;
    out->classes = classes;
    out->classes_at_least = want->classes == 0;
    return 0;
}

void dataset_free(dataset *d)
{
    if (!d)
        return;
    free(d->images);
    free(d->labels);
    class_names_free(&d->names);
    memset(d, 0, sizeof *d);
}

#define DATA_HINT "run `make data` or point --data at a folder of MNIST's IDX files, CIFAR " \
                  "binaries or class folders of pictures"

/* Finds "<dir>/<name>.gz", else "<dir>/<name>", into path. */
static int find_file(const char *dir, const char *name, char *path, size_t pathlen, char *err,
                     size_t errlen)
{
    struct stat st;
    const char *ext[2] = {".gz", ""};
    int e = ENOENT; /* (the first reason other than a missing name) */
    for (int i = 0; i < 2; i++) {
        if ((size_t)snprintf(path, pathlen, "%s/%s%s", dir, name, ext[i]) >= pathlen) {
            set_err(err, errlen, "%s: path too long", dir);
            return -1;
        }
        if (stat(path, &st) == 0)
            return 0;
        if (e == ENOENT) e = errno;
    }
    /* a folder that cannot be searched (EACCES) holds files no name reaches */
    if (e == EACCES)
        set_err(err, errlen, "%s: %s[.gz] cannot be reached: %s (a folder on its way cannot "
                "be searched)", dir, name, strerror(e));
    else if (e != ENOENT)
        set_err(err, errlen, "%s: cannot look for %s[.gz] in it: %s", dir, name, strerror(e));
    else
        set_err(err, errlen, "%s: no %s[.gz] here: " DATA_HINT, dir, name);
    return -1;
}

const char *const DATASET_FILES[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                       "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

/* names: the images' and the labels' file names */
static int load_pair(const char *dir, const char *const *names, const dataset_want *want,
                     dataset *d, char *err, size_t errlen)
{
    char paths[2][4096];
    for (int i = 0; i < 2; i++)
        if (find_file(dir, names[i], paths[i], sizeof paths[i], err, errlen) != 0)
            return -1;
    return dataset_load(paths[0], paths[1], want, d, err, errlen);
}

/* dir must be a folder: -1 with err saying what it is instead. */
static int check_folder(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        set_err(err, errlen, "%s: cannot open folder: %s: " DATA_HINT, dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        set_err(err, errlen, "%s: not a folder: " DATA_HINT, dir);
        return -1;
    }
    return 0;
}

int dataset_load_dir(const char *dir, const dataset_want *want, dataset *train, dataset *test,
                     char *err, size_t errlen)
{
    if (train) memset(train, 0, sizeof *train);
    if (test) memset(test, 0, sizeof *test);
    if (check_folder(dir, err, errlen)) return -1;
    if (train && load_pair(dir, DATASET_FILES, want, train, err, errlen) != 0)
        return -1;
    dataset_want t10k = *want; /* the train images' sides, when want takes any */
    if (train && !t10k.rows && !t10k.cols) {
        t10k.rows = train->rows;
        t10k.cols = train->cols;
    }
    if (train && !t10k.classes) t10k.classes = train->classes; /* the test labels within */
    if (test && load_pair(dir, DATASET_FILES + 2, &t10k, test, err, errlen) != 0) {
        dataset_free(train);
        return -1;
    }
    return 0;
}

/* The names' pair that is there: the train files, else the t10k ones. */
static int probe_pair(const char *dir, char paths[2][4096], char *err, size_t errlen)
{
    for (int set = 0; set < 2; set++) {
        const char *const *names = DATASET_FILES + 2 * set;
        if (find_file(dir, names[0], paths[0], 4096, err, errlen) == 0)
            return find_file(dir, names[1], paths[1], 4096, err, errlen);
    }
    return find_file(dir, DATASET_FILES[0], paths[0], 4096, err, errlen); /* (its message) */
}

int dataset_idx_probe(const char *dir, int *rows, int *cols, int *classes, char *err,
                      size_t errlen)
{
    char paths[2][4096];
    if (check_folder(dir, err, errlen) || probe_pair(dir, paths, err, errlen)) return -1;
    idx_reader *im = idx_open(paths[0], 3, err, errlen);
    if (!im) return -1;
    int d[3];
    idx_dims(im, d);
    idx_close(im);
    idx_file lb = {0};
    if (idx_read(paths[1], 1, &lb, err, errlen)) return -1;
    *rows = d[1];
    *cols = d[2];
    *classes = 0;
    check_labels(&lb, classes, paths[1], err, errlen);
    idx_free(&lb);
    return 0;
}

int dataset_idx_present(const char *dir)
{
    char path[4096];
    for (int i = 0; i < 4; i += 2)
        if (find_file(dir, DATASET_FILES[i], path, sizeof path, NULL, 0) == 0) return 1;
    return 0;
}
