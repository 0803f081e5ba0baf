/* IDX files, raw or gzip-compressed; see include/idx.h.
 *
 * Everything a header claims is checked before anything is allocated: raw files against
 * their size on disk, gzip files by growing the buffer only as real data arrives. */
#include "idx.h"
#include "file_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "io_err.h"

#define GZ_FIRST_CHUNK ((size_t)1 << 16) /* first buffer for gzip data, doubled as needed */
#define READ_CHUNK ((size_t)1 << 30)     /* gzread takes an unsigned and returns an int */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads up to n bytes; stops early only at the end of the data or on an error (which the
 * caller finds with gzerror). */
static size_t read_some(gzFile gz, unsigned char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        size_t want = n - got < READ_CHUNK ? n - got : READ_CHUNK;
        int r = gzread(gz, buf + got, (unsigned)want);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

/* Counts what follows the data, to report trailing bytes exactly. Reading to the end also
 * makes zlib check the gzip trailer (CRC and length). */
static size_t count_rest(gzFile gz)
{
    unsigned char scratch[4096];
    size_t n = 0;
    int r;
    while ((r = gzread(gz, scratch, sizeof scratch)) > 0)
        n += (size_t)r;
    return n;
}

/* 0 if the stream is fine so far, else -1 with err set. */
static int gz_check(gzFile gz, const char *name, int is_gz, char *err, size_t errlen)
{
    int code;
    const char *msg = gzerror(gz, &code);
    if (code == Z_OK || code == Z_STREAM_END)
        return 0;
    if (code == Z_BUF_ERROR && is_gz)
        set_err(err, errlen, "%s: gzip stream cut short", name);
    else if (code == Z_DATA_ERROR)
        set_err(err, errlen, "%s: corrupt gzip stream: %s", name, msg);
    else if (code == Z_ERRNO)
        set_err(err, errlen, "%s: read error: %s", name, strerror(errno));
    else if (code == Z_MEM_ERROR)
        set_err(err, errlen, "%s: out of memory while decompressing", name);
    else
        set_err(err, errlen, "%s: read error: %s", name, msg);
    return -1;
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

int idx_read(const char *path, int expect_ndim, idx_file *out, char *err, size_t errlen)
{
    const char *name = base_name(path);
    const size_t head_len = 4 + 4 * (size_t)expect_ndim;
    unsigned char head[16], *data = NULL;
    gzFile gz = NULL;
    struct stat st;

    memset(out, 0, sizeof *out);
    if (expect_ndim != 1 && expect_ndim != 3) {
        set_err(err, errlen, "%s: idx_read: expect_ndim must be 1 or 3, not %d", name,
                expect_ndim);
        return -1;
    }

    int fd = file_open_input(path, "data file", err, errlen); /* a FIFO: refused at once */
    if (fd < 0) return -1;
    if (fstat(fd, &st) != 0) {
        set_err(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (st.st_size == 0) {
        set_err(err, errlen, "%s: empty file", name);
        close(fd);
        return -1;
    }

    /* gzip or raw, told by the magic bytes 1f 8b. */
    unsigned char magic2[2] = {0, 0};
    ssize_t m = read(fd, magic2, 2);
    const int is_gz = m == 2 && magic2[0] == 0x1f && magic2[1] == 0x8b;
    if (lseek(fd, 0, SEEK_SET) != 0 || !(gz = gzdopen(fd, "rb"))) {
        set_err(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    gzbuffer(gz, 1 << 17);

    /* Header: 4 magic bytes, then one big-endian 32-bit size per dimension. */
    size_t got = read_some(gz, head, 4);
    if (got == 4 && head[2] == 0x08 && head[0] == 0 && head[1] == 0 && head[3] == expect_ndim)
        got += read_some(gz, head + 4, head_len - 4);
    if (gz_check(gz, name, is_gz, err, errlen) != 0)
        goto fail;
    if (got == 0) {
        set_err(err, errlen, "%s: empty file (the gzip stream holds no data)", name);
        goto fail;
    }
    if (got >= 4 && (head[0] != 0 || head[1] != 0)) {
        set_err(err, errlen, "%s: not an IDX file: magic 0x%08lx (want 0x%08x)%s", name,
                (unsigned long)be32(head), 0x800u + (unsigned)expect_ndim, format_hint(head));
        goto fail;
    }
    if (got >= 4 && head[2] != 0x08) {
        set_err(err, errlen,
                "%s: unsupported element type 0x%02X, only unsigned bytes (0x08) are read",
                name, head[2]);
        goto fail;
    }
    if (got >= 4 && head[3] != expect_ndim) {
        set_err(err, errlen, "%s: expected an idx%d file (%d dimension%s), header says %d", name,
                expect_ndim, expect_ndim, expect_ndim == 1 ? "" : "s", head[3]);
        goto fail;
    }
    if (got < head_len) {
        set_err(err, errlen, "%s: truncated header: %zu bytes, need %zu", name, got, head_len);
        goto fail;
    }

    uint32_t dims[3] = {1, 1, 1};
    char shape[64] = "";
    for (int i = 0; i < expect_ndim; i++) {
        dims[i] = be32(head + 4 + 4 * i);
        size_t len = strlen(shape);
        snprintf(shape + len, sizeof shape - len, "%s%lu", i ? "x" : "", (unsigned long)dims[i]);
    }
    for (int i = 0; i < expect_ndim; i++) {
        if (dims[i] == 0) {
            set_err(err, errlen, "%s: header says %s: dimension %d is zero", name, shape, i + 1);
            goto fail;
        }
    }
    if (dims[0] > IDX_MAX_ITEMS) {
        set_err(err, errlen, "%s: header says %lu items, more than the %d this reader accepts",
                name, (unsigned long)dims[0], IDX_MAX_ITEMS);
        goto fail;
    }
    if (dims[1] > IDX_MAX_SIDE || dims[2] > IDX_MAX_SIDE) {
        set_err(err, errlen, "%s: header says %s: image sides above %d are refused", name,
                shape, IDX_MAX_SIDE);
        goto fail;
    }
    /* At most 1e8 * 4096 * 4096 < 2^51: no overflow in 64 bits. */
    const size_t want = (size_t)dims[0] * dims[1] * dims[2];

    /* A raw file must hold exactly what the header says: check before allocating. */
    if (!is_gz) {
        size_t have = (size_t)st.st_size - head_len;
        if (have < want) {
            set_err(err, errlen, "%s: truncated: header says %s = %zu bytes, file has %zu", name,
                    shape, want, have);
            goto fail;
        }
        if (have > want) {
            set_err(err, errlen, "%s: file has %zu bytes more than the header says (%s = %zu)",
                    name, have - want, shape, want);
            goto fail;
        }
    }

    /* Raw: one exact buffer. Gzip: start small and double as data arrives, so that a lying
     * header costs at most about twice the real data. */
    size_t cap = is_gz && want > GZ_FIRST_CHUNK ? GZ_FIRST_CHUNK : want, have = 0;
    data = malloc(cap);
    for (;;) {
        if (!data) {
            set_err(err, errlen, "%s: out of memory for %zu bytes", name, cap);
            goto fail;
        }
        have += read_some(gz, data + have, cap - have);
        if (have < cap || cap == want)
            break;
        cap = cap * 2 < want ? cap * 2 : want;
        unsigned char *grown = realloc(data, cap);
        if (!grown)
            free(data);
        data = grown;
    }
    size_t extra = have == want ? count_rest(gz) : 0;
    if (gz_check(gz, name, is_gz, err, errlen) != 0)
        goto fail;
    if (have < want) {
        set_err(err, errlen, "%s: truncated: header says %s = %zu bytes, file has %zu", name,
                shape, want, have);
        goto fail;
    }
    if (extra) {
        set_err(err, errlen, "%s: file has %zu bytes more than the header says (%s = %zu)",
                name, extra, shape, want);
        goto fail;
    }
    gzclose(gz);

    out->ndim = expect_ndim;
    for (int i = 0; i < 3; i++)
        out->dims[i] = i < expect_ndim ? (int)dims[i] : 0;
    out->data = data;
    out->bytes = want;
    return 0;

fail:
    free(data);
    gzclose(gz);
    return -1;
}

void idx_free(idx_file *f)
{
    if (!f)
        return;
    free(f->data);
    memset(f, 0, sizeof *f);
}
