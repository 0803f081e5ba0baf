/* IDX files (the MNIST format) and the data sets built from them. */
#ifndef CNN_DATA_H
#define CNN_DATA_H

#include <stddef.h>

/* One IDX file of unsigned bytes: 1 dimension (labels) or 3 (images). */
typedef struct {
    int ndim;
    int dims[3];
    unsigned char *data;   /* dims[0] * dims[1] * ... bytes, malloc'ed */
    size_t bytes;
} idx_file;

/* Largest side an image may have, and most items a file may claim: headers
 * beyond these are refused before anything is allocated or read. */
#define IDX_MAX_SIDE 4096
#define IDX_MAX_ITEMS 100000000

/* Reads path, raw or gzip-compressed (told apart by the gzip magic bytes, not
 * the name). expect_ndim is 1 or 3. On failure returns -1 and writes one line
 * into err saying what is wrong, e.g. "t10k-images-idx3-ubyte: truncated:
 * header says 10000x28x28 = 7840000 bytes, file has 7839000". */
int idx_read(const char *path, int expect_ndim, idx_file *out, char *err, size_t errlen);
void idx_free(idx_file *f);

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
