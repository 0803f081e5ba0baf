/* Private to the checkpoint files (src/run/checkpoint_*.c): the section
 * tags, little-endian fields, and the bounded buffers they are written to
 * and read from. The format: docs/checkpoint-format.md. */
#ifndef CNN_CHECKPOINT_BYTES_H
#define CNN_CHECKPOINT_BYTES_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"

/* Formats 2 and 3: the fixed header (magic, version, section count, file
 * length) and a section's tag and length. */
#define HEADER_BYTES 24
#define SECTION_HEAD_BYTES 12
/* more sections than any writer makes is damage, not a file to walk */
#define MAX_SECTIONS 64
/* Format 1: the bytes from the spec's end to the parameter count's end */
#define V1_FIELDS_BYTES 88

enum section_tag {
    SEC_NETWORK = 1,
    SEC_SCHEDULE = 2, /* format 2 only */
    SEC_PROGRESS = 3,
    SEC_DATA = 4,
    SEC_PARAMS = 5,
    SEC_MOMENTUM = 6,
    SEC_STATE = 7,    /* only when the net has running statistics */
    SEC_OPTIONS = 8,  /* format 2 only, when a setting differs from its default */
    SEC_MOMENT2 = 9,  /* only for adam and adamw */
    SEC_SETTINGS = 10, /* format 3 */
    /* Format 3, written with CHECKPOINT_SECTION_OPTIONAL set (a cnn that
     * does not know them skips them): */
    SEC_SCALING = 11,  /* per-channel input scaling, when in_c > 1 */
    SEC_NAMES = 12,    /* the class names, when known */
    SEC_KNOWN_COUNT = 12
};

extern const char *const CHECKPOINT_SECTION_NAME[SEC_KNOWN_COUNT + 1];

/* A settings entry's value type (format 3). */
enum { VALUE_INT32 = 1, VALUE_FLOAT32 = 2, VALUE_UINT64 = 3, VALUE_TEXT = 4 };

static inline uint32_t le32_at(const unsigned char *x)
{
    return (uint32_t)x[0] | (uint32_t)x[1] << 8 | (uint32_t)x[2] << 16 | (uint32_t)x[3] << 24;
}

static inline uint64_t le64_at(const unsigned char *x)
{
    return (uint64_t)le32_at(x) | (uint64_t)le32_at(x + 4) << 32;
}

static inline void set_le32_at(unsigned char *x, uint32_t v)
{
    for (int i = 0; i < 4; i++) x[i] = (unsigned char)(v >> (8 * i));
}

static inline void set_le64_at(unsigned char *x, uint64_t v)
{
    set_le32_at(x, (uint32_t)v);
    set_le32_at(x + 4, (uint32_t)(v >> 32));
}

/* zlib's CRC-32 of len bytes (in pieces: crc32 takes an unsigned int). */
uint32_t checkpoint_crc(const unsigned char *p, uint64_t len);

/* A growing byte buffer with little-endian writers; failed is set when
 * memory runs out, and every later write is then dropped. */
typedef struct { unsigned char *p; size_t len, cap; int failed; } wbuf;

static inline void put(wbuf *b, const void *src, size_t n)
{
    if (b->failed) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static inline void put_u8(wbuf *b, unsigned v)
{
    unsigned char x = (unsigned char)v;
    put(b, &x, 1);
}

static inline void put_u32(wbuf *b, uint32_t v)
{
    unsigned char x[4];
    set_le32_at(x, v);
    put(b, x, 4);
}

static inline void put_u64(wbuf *b, uint64_t v)
{
    put_u32(b, (uint32_t)v);
    put_u32(b, (uint32_t)(v >> 32));
}

static inline void put_f32(wbuf *b, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    put_u32(b, v);
}

/* A bounds-checked little-endian reader over one section (or a format 1
 * body): a read past its end returns 0 and sets short_read. */
typedef struct { const unsigned char *p; uint64_t len, at; int short_read; } rbuf;

static inline const unsigned char *take(rbuf *r, uint64_t n)
{
    if (r->short_read || r->len - r->at < n) {
        r->short_read = 1;
        return NULL;
    }
    r->at += n;
    return r->p + r->at - n;
}

static inline unsigned get_u8(rbuf *r)
{
    const unsigned char *x = take(r, 1);
    return x ? *x : 0;
}

static inline uint32_t get_u32(rbuf *r)
{
    const unsigned char *x = take(r, 4);
    return x ? le32_at(x) : 0;
}

static inline uint64_t get_u64(rbuf *r)
{
    const unsigned char *x = take(r, 8);
    return x ? le64_at(x) : 0;
}

static inline float get_f32(rbuf *r)
{
    uint32_t v = get_u32(r);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

/* A u32 setting as an int: values above INT_MAX become -1, which every
 * range check refuses (a cast would be implementation-defined). */
static inline int get_int(rbuf *r)
{
    uint32_t v = get_u32(r);
    return v > INT_MAX ? -1 : (int)v;
}

/* Format 3's settings section: every SET_KEPT row of cfg. */
void checkpoint_put_settings(wbuf *b, const run_config *cfg);
/* Reads it into cfg (which holds the defaults: a row a file lacks keeps
 * its default). An entry this cnn does not know (a newer one's) is stepped
 * over, and the first one's name copied into unknown. Returns 0, or -1 with
 * why set ("is corrupt: ...", "holds impossible settings: ..."). */
int checkpoint_parse_settings(rbuf *r, run_config *cfg, char *unknown, size_t unknown_len,
                              char *why, size_t len);

/* What is impossible in ck's settings and counts (a CRC only proves the
 * file is as written, not that its writer was sane), or 0 with nothing in
 * why; -1 with why set otherwise. */
int checkpoint_settings_problem(const checkpoint *ck, char *why, size_t len);

/* Writes "<what> is NaN" for the first value of ck that is not finite,
 * naming its layer, into out and returns 1; for a negative second moment
 * "<what> is negative (-1)" and 2; 0 when all are good. */
int checkpoint_nonfinite_problem(const checkpoint *ck, char *out, size_t len);

/* The scaling section (scaling set) or the names section into m, whose
 * network section was read before (checkpoint_input.c): 0, or -1 with why
 * saying what does not fit. */
int checkpoint_parse_input(int scaling, rbuf *r, checkpoint_meta *m, char *why, size_t len);

#endif
