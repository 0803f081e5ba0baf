/* A data file's bytes, raw or inflated: see data_stream.h.
 *
 * zlib's gzread would do, but it ignores whatever follows a gzip stream that
 * is not another gzip member (junk appended to a file reads as if absent);
 * inflate itself tells where each member ends, so that junk is refused. */
#include "data_stream.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "io_err.h"

#define OUT_CHUNK ((size_t)1 << 30) /* inflate's counts are unsigned ints */

int data_stream_open(data_stream *s, int fd, off_t file_size)
{
    memset(s, 0, sizeof *s);
    s->fd = fd;
    s->file_size = file_size;
    unsigned char magic[2] = {0, 0};
    ssize_t m = pread(fd, magic, 2, 0);
    s->is_gz = m == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    if (!s->is_gz) return 0;
    /* 15 + 16: a gzip stream only (header and trailer checked) */
    if (inflateInit2(&s->z, 15 + 16) != Z_OK) return -1;
    s->z_open = 1;
    return 0;
}

static void stop(data_stream *s, stream_stop why)
{
    s->stop = why;
    s->errno_at_stop = errno;
}

/* Reads more of the file after the unused input, which moves to the front.
 * Returns the bytes read: 0 at the file's end, -1 on an error (stopped). */
static ssize_t fill(data_stream *s)
{
    memmove(s->in, s->z.next_in ? s->z.next_in : s->in, s->z.avail_in);
    s->z.next_in = s->in;
    ssize_t k;
    do k = read(s->fd, s->in + s->z.avail_in, sizeof s->in - s->z.avail_in);
    while (k < 0 && errno == EINTR);
    if (k < 0) {
        stop(s, STREAM_IO);
        return -1;
    }
    s->z.avail_in += (uInt)k;
    s->consumed += k;
    return k;
}

/* A member has ended: the next two bytes must start another (1f 8b), or the
 * file must end there. Returns 1 when another member begins. */
static int next_member(data_stream *s)
{
    while (s->z.avail_in < 2) {
        ssize_t k = fill(s);
        if (k < 0) return 0;
        if (k == 0) break;
    }
    if (s->z.avail_in == 0) {
        s->stop = STREAM_END;
        return 0;
    }
    if (s->z.avail_in >= 2 && s->z.next_in[0] == 0x1f && s->z.next_in[1] == 0x8b) {
        inflateReset(&s->z);
        return 1;
    }
    s->junk = s->file_size - (s->consumed - (off_t)s->z.avail_in);
    if (s->junk < (off_t)s->z.avail_in) s->junk = s->z.avail_in; /* (the file grew) */
    s->stop = STREAM_JUNK;
    return 0;
}

/* What inflate's rc says about the stream; 1 to go on. */
static int inflate_went_on(data_stream *s, int rc)
{
    if (rc == Z_OK || rc == Z_BUF_ERROR) return 1; /* (no progress: more input comes next) */
    if (rc == Z_STREAM_END) return next_member(s);
    if (rc == Z_MEM_ERROR) {
        stop(s, STREAM_NOMEM);
        return 0;
    }
    snprintf(s->msg, sizeof s->msg, "%s",
             rc == Z_NEED_DICT ? "it needs a preset dictionary" : s->z.msg ? s->z.msg : "?");
    stop(s, STREAM_CORRUPT);
    return 0;
}

static size_t gz_read(data_stream *s, unsigned char *buf, size_t n)
{
    size_t got = 0;
    while (got < n && s->stop == STREAM_OK) {
        if (s->z.avail_in == 0) {
            ssize_t k = fill(s);
            if (k < 0) break;
            if (k == 0) {
                s->stop = STREAM_CUT;
                break;
            }
        }
        size_t room = n - got < OUT_CHUNK ? n - got : OUT_CHUNK;
        s->z.next_out = buf + got;
        s->z.avail_out = (uInt)room;
        int rc = inflate(&s->z, Z_NO_FLUSH);
        got += room - s->z.avail_out;
        if (!inflate_went_on(s, rc)) break;
    }
    return got;
}

static size_t raw_read(data_stream *s, unsigned char *buf, size_t n)
{
    size_t got = 0;
    while (got < n && s->stop == STREAM_OK) {
        size_t want = n - got < OUT_CHUNK ? n - got : OUT_CHUNK;
        ssize_t k = read(s->fd, buf + got, want);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) stop(s, STREAM_IO);
        else if (k == 0) s->stop = STREAM_END;
        else got += (size_t)k;
    }
    return got;
}

size_t data_stream_read(data_stream *s, unsigned char *buf, size_t n)
{
    return s->is_gz ? gz_read(s, buf, n) : raw_read(s, buf, n);
}

int data_stream_check(const data_stream *s, const char *name, char *err, size_t errlen)
{
    switch (s->stop) {
    case STREAM_OK:
    case STREAM_END: return 0;
    case STREAM_CUT: set_err(err, errlen, "%s: gzip stream cut short", name); break;
    case STREAM_CORRUPT: set_err(err, errlen, "%s: corrupt gzip stream: %s", name, s->msg); break;
    case STREAM_JUNK:
        set_err(err, errlen, "%s: %lld bytes after the end of the gzip stream, which are no "
                "gzip data (appended to the file?)", name, (long long)s->junk);
        break;
    case STREAM_IO:
        set_err(err, errlen, "%s: read error: %s", name, strerror(s->errno_at_stop));
        break;
    case STREAM_NOMEM:
        set_err(err, errlen, "%s: out of memory while decompressing", name);
        break;
    }
    return -1;
}

void data_stream_close(data_stream *s)
{
    if (s->z_open) inflateEnd(&s->z);
    s->z_open = 0;
    if (s->fd >= 0) close(s->fd);
    s->fd = -1;
}
