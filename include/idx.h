/* IDX files (the MNIST format) of unsigned bytes, raw or gzip-compressed. */
#ifndef CNN_IDX_H
#define CNN_IDX_H

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

#endif
