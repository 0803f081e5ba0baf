/* IDX files, raw or gzip-compressed; see include/idx.h.
 *
 * Everything a header claims is checked before anything is allocated, and
 * the caller checks the sizes it needs before the data is read: raw files
 * against their size on disk, gzip files by growing the buffer only as real
 * data arrives. The bytes come through data_stream (raw or inflated). */
#include "idx.h"
#include "file_read.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data_stream.h"
#include "io_err.h"

#define GZ_FIRST_CHUNK ((size_t)1 << 16) /* first buffer for gzip data, doubled as needed */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Counts what follows the data, to report trailing bytes exactly. Reading to
 * the end also makes zlib check the gzip trailer (CRC and length) and finds
 * bytes after the gzip stream. */
static size_t count_rest(data_stream *st)
{
    unsigned char scratch[4096];
    size_t n = 0, k;
    while ((k = data_stream_read(st, scratch, sizeof scratch)) > 0)
        n += k;
    return n;
}

/* A hint for files that are compressed some other way than gzip. */
static const char *format_hint(const unsigned char *h)
{
    if (h[0] == 0x1f && h[1] == 0x8b)
        return "; it is gzipped twice: gunzip it once more";
    if (h[0] == 'P' && h[1] == 'K')
        return "; it looks like a zip archive: unzip it first";
    if (h[0] == 'B' && h[1] == 'Z' && h[2] == 'h')
        return "; it looks bzip2-compressed: run bunzip2 on it first";
    if (h[0] == 0xfd && h[1] == '7' && h[2] == 'z' && h[3] == 'X')
        return "; it looks xz-compressed: run unxz on it first";
    return "";
}

/* One file being read: what idx_open learns, step by step. */
struct idx_reader {
    const char *path, *name; /* name: the base name, which most messages give */
    int ndim;                /* 1 or 3, what the caller expects */
    size_t head_len;         /* 4 magic bytes and 4 per dimension */
    off_t file_size;         /* on disk (compressed, for a gzip file) */
    uint32_t dims[3];        /* from the header; 1 past ndim */
    char shape[64];          /* the dims as the header gives them: "10000x28x28" */
    size_t want;             /* bytes of data the header promises */
    data_stream st;          /* the bytes, raw or inflated */
};

static int fail_truncated(const idx_reader *r, size_t have, char *err, size_t errlen)
{
    set_err(err, errlen, "%s: truncated: header says %s = %zu bytes, file has %zu", r->name,
            r->shape, r->want, have);
    return -1;
}

static int fail_extra(const idx_reader *r, size_t extra, char *err, size_t errlen)
{
    set_err(err, errlen, "%s: file has %zu bytes more than the header says (%s = %zu)",
            r->name, extra, r->shape, r->want);
    return -1;
}

/* Opens r->path (a FIFO is refused at once, an empty file too) and starts
 * its stream, gzip or raw by the magic bytes 1f 8b. */
static int open_stream(idx_reader *r, char *err, size_t errlen)
{
    struct stat st;
    int fd = file_open_input(r->path, "data file", err, errlen);
    if (fd < 0) return -1;
    if (fstat(fd, &st) != 0) {
        set_err(err, errlen, "%s: cannot read: %s", r->path, strerror(errno));
        close(fd);
        return -1;
    }
    if (st.st_size == 0) {
        set_err(err, errlen, "%s: empty file", r->name);
        close(fd);
        return -1;
    }
    r->file_size = st.st_size;
    if (data_stream_open(&r->st, fd, st.st_size) != 0) {
        set_err(err, errlen, "%s: out of memory while decompressing", r->name);
        data_stream_close(&r->st);
        return -1;
    }
    return 0;
}

/* The got bytes of the header read so far: the magic's checks, in the order
 * that gives the most useful message first. */
static int check_magic(const idx_reader *r, const unsigned char *head, size_t got, char *err,
                       size_t errlen)
{
    const char *name = r->name;
    const int nd = r->ndim;
    if (got == 0) {
        set_err(err, errlen, "%s: empty file (the gzip stream holds no data)", name);
        return -1;
    }
    if (got >= 4 && (head[0] != 0 || head[1] != 0)) {
        set_err(err, errlen, "%s: not an IDX file: magic 0x%08lx (want 0x%08x)%s", name,
                (unsigned long)be32(head), 0x800u + (unsigned)nd, format_hint(head));
        return -1;
    }
    if (got >= 4 && head[2] != 0x08) {
        set_err(err, errlen,
                "%s: unsupported element type 0x%02X, only unsigned bytes (0x08) are read",
                name, head[2]);
        return -1;
    }
    if (got >= 4 && head[3] != nd) {
        set_err(err, errlen, "%s: expected an idx%d file (%d dimension%s), header says %d", name,
                nd, nd, nd == 1 ? "" : "s", head[3]);
        return -1;
    }
    if (got < r->head_len) {
        set_err(err, errlen, "%s: truncated header: %zu bytes, need %zu", name, got,
                r->head_len);
        return -1;
    }
    return 0;
}

/* The sizes in a whole header into r->dims, r->shape and r->want, refused
 * when one is zero or beyond IDX_MAX_ITEMS or IDX_MAX_SIDE. */
static int parse_dims(idx_reader *r, const unsigned char *head, char *err, size_t errlen)
{
    uint32_t *dims = r->dims;
    for (int i = 0; i < r->ndim; i++) {
        dims[i] = be32(head + 4 + 4 * i);
        size_t len = strlen(r->shape);
        snprintf(r->shape + len, sizeof r->shape - len, "%s%lu", i ? "x" : "",
                 (unsigned long)dims[i]);
    }
    for (int i = 0; i < r->ndim; i++) {
        if (dims[i] == 0) {
            set_err(err, errlen, "%s: header says %s: dimension %d is zero", r->name, r->shape,
                    i + 1);
            return -1;
        }
    }
    if (dims[0] > IDX_MAX_ITEMS) {
        set_err(err, errlen, "%s: header says %lu items, more than the %d this reader accepts",
                r->name, (unsigned long)dims[0], IDX_MAX_ITEMS);
        return -1;
    }
    if (dims[1] > IDX_MAX_SIDE || dims[2] > IDX_MAX_SIDE) {
        set_err(err, errlen, "%s: header says %s: image sides above %d are refused", r->name,
                r->shape, IDX_MAX_SIDE);
        return -1;
    }
    /* At most 1e8 * 4096 * 4096 < 2^51: no overflow in 64 bits. */
    r->want = (size_t)dims[0] * dims[1] * dims[2];
    return 0;
}

/* Header: 4 magic bytes, then one big-endian 32-bit size per dimension (read
 * only when the magic is the expected one). */
static int read_header(idx_reader *r, char *err, size_t errlen)
{
    unsigned char head[16];
    size_t got = data_stream_read(&r->st, head, 4);
    if (got == 4 && head[2] == 0x08 && head[0] == 0 && head[1] == 0 && head[3] == r->ndim)
        got += data_stream_read(&r->st, head + 4, r->head_len - 4);
    if (data_stream_check(&r->st, r->name, err, errlen) != 0 ||
        check_magic(r, head, got, err, errlen) != 0)
        return -1;
    return parse_dims(r, head, err, errlen);
}

/* A raw file must hold exactly what the header says: checked before
 * allocating. (A gzip file's size on disk says nothing; read_body checks
 * its data as it arrives.) */
static int check_raw_size(const idx_reader *r, char *err, size_t errlen)
{
    if (r->st.is_gz)
        return 0;
    size_t have = (size_t)r->file_size - r->head_len;
    if (have < r->want)
        return fail_truncated(r, have, err, errlen);
    if (have > r->want)
        return fail_extra(r, have - r->want, err, errlen);
    return 0;
}

/* The have bytes read were all there was: neither fewer nor more than the
 * header says, and the stream intact. Reading to the end (count_rest) also
 * makes zlib check the gzip trailer. */
static int check_end(idx_reader *r, size_t have, char *err, size_t errlen)
{
    size_t extra = have == r->want ? count_rest(&r->st) : 0;
    if (data_stream_check(&r->st, r->name, err, errlen) != 0)
        return -1;
    if (have < r->want)
        return fail_truncated(r, have, err, errlen);
    if (extra)
        return fail_extra(r, extra, err, errlen);
    return 0;
}

/* The r->want bytes of data, malloc'ed, or NULL with err set. Raw: one exact
 * buffer. Gzip: start small and double as data arrives, so that a lying
 * header costs at most about twice the real data. */
static unsigned char *read_body(idx_reader *r, char *err, size_t errlen)
{
    const size_t want = r->want;
    size_t cap = r->st.is_gz && want > GZ_FIRST_CHUNK ? GZ_FIRST_CHUNK : want, have = 0;
    unsigned char *data = malloc(cap);
    for (;;) {
        if (!data) {
            set_err(err, errlen, "%s: out of memory for %zu bytes", r->name, cap);
            return NULL;
        }
        have += data_stream_read(&r->st, data + have, cap - have);
        if (have < cap || cap == want)
            break;
        cap = cap * 2 < want ? cap * 2 : want;
        unsigned char *grown = realloc(data, cap);
        if (!grown)
            free(data);
        data = grown;
    }
    if (check_end(r, have, err, errlen) != 0) {
        free(data);
        return NULL;
    }
    return data;
}

idx_reader *idx_open(const char *path, int expect_ndim, char *err, size_t errlen)
{
    if (expect_ndim != 1 && expect_ndim != 3) {
        set_err(err, errlen, "%s: idx_open: expect_ndim must be 1 or 3, not %d",
                base_name(path), expect_ndim);
        return NULL;
    }
    idx_reader *r = calloc(1, sizeof *r);
    if (!r) {
        set_err(err, errlen, "%s: out of memory", base_name(path));
        return NULL;
    }
    r->path = path;
    r->name = base_name(path);
    r->ndim = expect_ndim;
    r->head_len = 4 + 4 * (size_t)expect_ndim;
    r->dims[0] = r->dims[1] = r->dims[2] = 1;
    if (open_stream(r, err, errlen) != 0) {
        free(r);
        return NULL;
    }
    if (read_header(r, err, errlen) != 0 || check_raw_size(r, err, errlen) != 0) {
        idx_close(r);
        return NULL;
    }
    return r;
}

void idx_dims(const idx_reader *r, int dims[3])
{
    for (int i = 0; i < 3; i++)
        dims[i] = i < r->ndim ? (int)r->dims[i] : 0;
}

const char *idx_shape(const idx_reader *r) { return r->shape; }

int idx_read_body(idx_reader *r, idx_file *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    unsigned char *data = read_body(r, err, errlen);
    if (!data) return -1;
    out->ndim = r->ndim;
    idx_dims(r, out->dims);
    out->data = data;
    out->bytes = r->want;
    return 0;
}

void idx_close(idx_reader *r)
{
    if (!r) return;
    data_stream_close(&r->st);
    free(r);
}

int idx_read(const char *path, int expect_ndim, idx_file *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    idx_reader *r = idx_open(path, expect_ndim, err, errlen);
    if (!r) return -1;
    int rc = idx_read_body(r, out, err, errlen);
    idx_close(r);
    return rc;
}

void idx_free(idx_file *f)
{
    if (!f)
        return;
    free(f->data);
    memset(f, 0, sizeof *f);
}
