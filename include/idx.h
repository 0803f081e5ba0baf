/* IDX files (the MNIST format) of unsigned bytes, raw or gzip-compressed.
 *
 * A file is read in two steps, so that its sizes can be checked from the
 * header before any data is read or inflated: idx_open reads and checks the
 * header, the caller may compare idx_dims with what it needs (a shape, a
 * count), and only then idx_read_body reads the data. */
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

/* An open file whose header has been read (src/io/idx.c). */
typedef struct idx_reader idx_reader;

/* Opens path, raw or gzip-compressed (told apart by the gzip magic bytes, not
 * the name), and reads its header: the magic, the element type, expect_ndim
 * (1 or 3) dimensions, none 0 or beyond IDX_MAX_ITEMS and IDX_MAX_SIDE, and a
 * raw file's size against them. Nothing past the header is read. Returns
 * the reader (idx_close frees it), or NULL with one line in err. */
idx_reader *idx_open(const char *path, int expect_ndim, char *err, size_t errlen);

/* The header's sizes: dims[0 .. ndim-1], the others 0. */
void idx_dims(const idx_reader *r, int dims[3]);

/* The header's sizes as text, "10000x28x28". */
const char *idx_shape(const idx_reader *r);

/* The data the header promises, into out: a buffer of exactly that size
 * (a gzip file's grows as the data arrives, so a header that lies costs at
 * most twice the real data). Refuses a file with fewer or more bytes, a
 * damaged gzip stream and anything after the gzip stream's end but another
 * gzip member (gunzip reads concatenated members as one stream). Returns 0,
 * or -1 with one line in err, e.g. "t10k-images-idx3-ubyte: truncated:
 * header says 10000x28x28 = 7840000 bytes, file has 7839000". */
int idx_read_body(idx_reader *r, idx_file *out, char *err, size_t errlen);

/* Closes the file and frees r (which may be NULL). */
void idx_close(idx_reader *r);

/* idx_open, idx_read_body and idx_close in one call: 0, or -1 with err set
 * (out then holds nothing). */
int idx_read(const char *path, int expect_ndim, idx_file *out, char *err, size_t errlen);
void idx_free(idx_file *f);

#endif
