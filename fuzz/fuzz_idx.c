/* libFuzzer harness for the IDX reader (src/io/idx.c) and the data set loader
 * (src/io/dataset.c): idx_read and dataset_load.
 *
 * Each input is read five ways:
 *   - as it is, with idx_read expecting 1 and 3 dimensions (a gzip input goes
 *     through the gzip path: corrupt and cut-short streams);
 *   - gzip-compressed here first, the same two ways: the gzip path must accept
 *     exactly what the raw path accepts, with the same bytes (unless the input
 *     itself starts with the gzip magic, when the "raw" read is a gzip read);
 *   - split before the second IDX label magic (00 00 08 01) into an image file
 *     and a label file for dataset_load with 10 classes.
 * An accepted file must hold exactly the bytes after its header; a refused one
 * must come with a one-line message. ASan and LSan check the memory. */
#include "fuzz_common.h"

#include <zlib.h>

#include "dataset.h"
#include "idx.h"

/* gzip of data, malloc'ed, or NULL. */
static unsigned char *fz_gzip(const uint8_t *data, size_t size, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&z, (uLong)size) + 32;
    unsigned char *buf = malloc(cap);
    if (!buf) {
        deflateEnd(&z);
        return NULL;
    }
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)size;
    z.next_out = buf;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    *out_len = cap - z.avail_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* Reads path as an idx file of ndim dimensions and checks the result against the
 * uncompressed content (content, size), or only for consistency when content is
 * NULL (a gzip input, whose content is not known here). *accepted says whether
 * it was read. */
static const char *fz_idx_read_check(const char *path, int ndim, const uint8_t *content,
                                     size_t size, int *accepted)
{
    idx_file f;
    char err[512];
    err[0] = 0;
    memset(&f, 0xa5, sizeof f); /* idx_read must set every field either way */
    int rc = idx_read(path, ndim, &f, err, sizeof err);
    *accepted = rc == 0;
    if (rc != 0) {
        if (rc != -1)
            return "idx_read returned neither 0 nor -1";
        if (f.data != NULL || f.bytes != 0)
            return "idx_read failed but left data in its output";
        return fz_check_err(err, sizeof err, 1);
    }
    const char *problem = NULL;
    size_t head = 4 + 4 * (size_t)ndim, want = 1;
    if (f.ndim != ndim)
        problem = "accepted with the wrong ndim";
    for (int i = 0; i < 3 && !problem; i++) {
        if (i < ndim && (f.dims[i] <= 0 || (i > 0 && f.dims[i] > IDX_MAX_SIDE)))
            problem = "accepted with a dimension out of range";
        else if (i >= ndim && f.dims[i] != 0)
            problem = "an unused dimension is not 0";
        if (i < ndim)
            want *= (size_t)f.dims[i];
    }
    if (!problem && f.dims[0] > IDX_MAX_ITEMS)
        problem = "accepted more items than IDX_MAX_ITEMS";
    if (!problem && (f.bytes != want || !f.data))
        problem = "accepted, but the byte count does not match the header";
    if (!problem && content && head + want != size)
        problem = "accepted, but the file size does not match the header";
    if (!problem && content && memcmp(f.data, content + head, want) != 0)
        problem = "accepted, but the data differ from the file's";
    if (!problem && content && (content[0] || content[1] || content[2] != 8 || content[3] != ndim))
        problem = "accepted a file with the wrong magic";
    if (!problem && !content) { /* let ASan see every byte */
        volatile unsigned char sum = 0;
        for (size_t i = 0; i < want; i++)
            sum ^= f.data[i];
        (void)sum;
    }
    idx_free(&f);
    if (!problem && (f.data || f.bytes))
        problem = "idx_free did not clear the struct";
    return problem;
}

static size_t fz_find_label_magic(const uint8_t *data, size_t size)
{
    for (size_t i = 1; i + 4 <= size; i++)
        if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 8 && data[i + 3] == 1)
            return i;
    return 0;
}

static const char *fz_dataset_check(const uint8_t *data, size_t size)
{
    size_t split = fz_find_label_magic(data, size);
    if (!split)
        return NULL;
    char ipath[64], lpath[64];
    if (fz_write_slot(0, data, split, ipath, sizeof ipath) ||
        fz_write_slot(1, data + split, size - split, lpath, sizeof lpath))
        return NULL; /* no temporary file: nothing to test */
    dataset d;
    char err[512];
    err[0] = 0;
    int rc = dataset_load(ipath, lpath, &(dataset_want){10, 0, 0}, &d, err, sizeof err);
    if (rc != 0) {
        if (rc != -1)
            return "dataset_load returned neither 0 nor -1";
        if (d.images || d.labels)
            return "dataset_load failed but left data in its output";
        return fz_check_err(err, sizeof err, 1);
    }
    const char *problem = NULL;
    if (d.count <= 0 || d.rows <= 0 || d.cols <= 0 || d.classes != 10)
        problem = "dataset_load accepted impossible sizes";
    else if ((size_t)d.count * d.rows * d.cols + 16 != split ||
             (size_t)d.count + 8 != size - split)
        problem = "dataset_load: the sizes do not match the files";
    else if (memcmp(d.images, data + 16, split - 16) != 0 ||
             memcmp(d.labels, data + split + 8, (size_t)d.count) != 0)
        problem = "dataset_load: the data differ from the files'";
    for (int i = 0; !problem && i < d.count; i++)
        if (d.labels[i] >= 10)
            problem = "dataset_load accepted a label out of range";
    dataset_free(&d);
    return problem;
}

static const char *fuzz_idx_one(const uint8_t *data, size_t size)
{
    char path[64];
    const char *problem;
    int raw_ok[2] = {0, 0}, gz_ok[2] = {0, 0};
    static const int ndims[2] = {1, 3};
    const int input_is_gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;

    if (fz_write_slot(2, data, size, path, sizeof path) == 0)
        for (int i = 0; i < 2; i++)
            if ((problem = fz_idx_read_check(path, ndims[i], input_is_gz ? NULL : data, size,
                                             &raw_ok[i])))
                return problem;

    size_t gz_len = 0;
    unsigned char *gz = fz_gzip(data, size, &gz_len);
    if (gz && fz_write_slot(3, gz, gz_len, path, sizeof path) == 0) {
        for (int i = 0; i < 2; i++) {
            if ((problem = fz_idx_read_check(path, ndims[i], data, size, &gz_ok[i]))) {
                free(gz);
                return problem;
            }
            if (!input_is_gz && gz_ok[i] != raw_ok[i]) {
                free(gz);
                return gz_ok[i] ? "the gzipped file is accepted, the raw one is not"
                                : "the raw file is accepted, the gzipped one is not";
            }
        }
    }
    free(gz);
    return fz_dataset_check(data, size);
}

#ifndef FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fz_fail(fuzz_idx_one(data, size));
}
#endif
