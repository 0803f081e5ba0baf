/* Private to src/io: a data file's bytes, read from a raw file or inflated
 * from a gzip one (told apart by the magic bytes 1f 8b), with the reason a
 * read stopped: the data's end, a gzip stream cut short or damaged, bytes
 * after the gzip stream, a read error. Concatenated gzip members read as
 * one stream, as gunzip reads them. */
#ifndef CNN_DATA_STREAM_H
#define CNN_DATA_STREAM_H

#include <stddef.h>
#include <sys/types.h>
#include <zlib.h>

#define DATA_STREAM_IN (1 << 17) /* compressed bytes read at a time */

typedef enum {
    STREAM_OK,      /* more may follow */
    STREAM_END,     /* the data ended cleanly */
    STREAM_CUT,     /* the gzip stream ended before its trailer */
    STREAM_CORRUPT, /* the gzip stream is damaged (zlib's words in msg) */
    STREAM_JUNK,    /* bytes after the last gzip member that are none */
    STREAM_IO,      /* read(2) failed (errno_at_stop) */
    STREAM_NOMEM,   /* zlib ran out of memory */
} stream_stop;

typedef struct {
    int fd;
    int is_gz;
    off_t file_size;          /* on disk, for the bytes past the stream */
    off_t consumed;           /* bytes of the file read so far */
    stream_stop stop;
    int errno_at_stop;
    off_t junk;               /* STREAM_JUNK: bytes from the stream's end to the file's */
    char msg[80];             /* STREAM_CORRUPT: what zlib said */
    int z_open;
    z_stream z;
    unsigned char in[DATA_STREAM_IN];
} data_stream;

/* Starts reading fd (at offset 0; data_stream_close closes it), a file of
 * file_size bytes. Returns 0, or -1 when zlib cannot start (no memory). */
int data_stream_open(data_stream *s, int fd, off_t file_size);

/* Reads up to n bytes; fewer only when the stream stopped (s->stop says why). */
size_t data_stream_read(data_stream *s, unsigned char *buf, size_t n);

/* 0 while the stream is intact (more to come, or a clean end), else -1 with
 * "<name>: gzip stream cut short" and the like in err. */
int data_stream_check(const data_stream *s, const char *name, char *err, size_t errlen);

void data_stream_close(data_stream *s);

#endif
