/* PGM and PPM files (Netpbm): P5 and P2 grey, P6 and P3 colour, binary and
 * ASCII, maxval up to 65535 (levels rescaled to 0..255). See
 * picture_decode.h. */
#include "picture_decode.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io_err.h"

/* Skips whitespace and # comments (to the end of the line). Returns the next
 * character (not consumed) or EOF. */
static int pnm_skip(FILE *f)
{
    int c;
    for (;;) {
        c = getc(f);
        if (c == '#') {
            while ((c = getc(f)) != EOF && c != '\n' && c != '\r') {
            }
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') continue;
        break;
    }
    if (c != EOF) ungetc(c, f);
    return c;
}

/* A decimal number up to 9 digits: 0 and *v, or -1 (none, or too long). */
static int pnm_number(FILE *f, long *v)
{
    int c = pnm_skip(f);
    if (c == EOF || c < '0' || c > '9') return -1;
    long n = 0;
    int digits = 0;
    while ((c = getc(f)) != EOF && c >= '0' && c <= '9') {
        if (++digits > 9) return -1;
        n = n * 10 + (c - '0');
    }
    if (c != EOF) ungetc(c, f);
    *v = n;
    return 0;
}

/* A PGM or PPM header's numbers, and what follows from them. */
typedef struct {
    char kind[3];     /* "P5", "P2", "P6" or "P3", for messages */
    const char *name; /* "PGM" or "PPM" */
    int binary, channels;
    long w, h, maxval;
    size_t n;         /* samples: w x h x channels */
    int bps;          /* binary: bytes a sample, 1 or 2 */
} pnm_header;

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The header after the magic: width, height and maxval, each checked, then
 * the one whitespace character that ends it. */
static int pnm_read_header(FILE *f, const char *path, pnm_header *p, char *err, size_t errlen)
{
    int c = getc(f);
    if (!is_space(c) && c != '#') {
        set_err(err, errlen, "%s: not a %s image: no whitespace after the magic %s", path,
                p->name, p->kind);
        return -1;
    }
    ungetc(c, f);
    if (pnm_number(f, &p->w) || pnm_number(f, &p->h) || pnm_number(f, &p->maxval)) {
        set_err(err, errlen, "%s: bad %s %s header: expected width, height and maxval", path,
                p->kind, p->name);
        return -1;
    }
    if (p->w < 1 || p->h < 1 || p->w > IMAGE_MAX_SIDE || p->h > IMAGE_MAX_SIDE) {
        set_err(err, errlen, "%s: %s header says %ldx%ld: sides must be 1 to %d", path, p->name,
                p->w, p->h, IMAGE_MAX_SIDE);
        return -1;
    }
    if (p->maxval < 1 || p->maxval > 65535) {
        set_err(err, errlen, "%s: %s maxval %ld: must be 1 to 65535", path, p->name, p->maxval);
        return -1;
    }
    if (!is_space(getc(f))) { /* exactly one whitespace character ends the header */
        set_err(err, errlen, "%s: bad %s %s header: no whitespace after the maxval", path,
                p->kind, p->name);
        return -1;
    }
    p->n = (size_t)p->w * (size_t)p->h * (size_t)p->channels;
    p->bps = p->maxval < 256 ? 1 : 2;
    return 0;
}

/* Refuses a regular file too short for its header, before allocating. */
static int pnm_check_size(FILE *f, const char *path, const pnm_header *p, char *err,
                          size_t errlen)
{
    long here = ftell(f);
    struct stat st;
    if (here < 0 || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    size_t left = st.st_size > here ? (size_t)(st.st_size - here) : 0;
    size_t need = p->binary ? p->n * p->bps : 2 * p->n - 1; /* ASCII: a digit and a space each */
    if (left >= need)
        return 0;
    if (p->binary)
        set_err(err, errlen,
                "%s: truncated %s: header says %ldx%ld at maxval %ld = %zu bytes of "
                "pixels, file has %zu", path, p->name, p->w, p->h, p->maxval, need, left);
    else
        set_err(err, errlen,
                "%s: truncated %s: header says %ldx%ld = %zu values, the file has "
                "only %zu bytes left", path, p->name, p->w, p->h, p->n, left);
    return -1;
}

/* Sample i (0-based) into *v, checked against the maxval. */
static int pnm_sample(FILE *f, const char *path, const pnm_header *p, size_t i, long *v,
                      char *err, size_t errlen)
{
    if (p->binary) {
        int b0 = getc(f), b1 = p->bps == 2 ? getc(f) : 0;
        if (b0 == EOF || b1 == EOF) {
            set_err(err, errlen, "%s: truncated %s: %zu of %zu samples", path, p->name, i, p->n);
            return -1;
        }
        *v = p->bps == 2 ? (b0 << 8 | b1) : b0;
    } else if (pnm_number(f, v)) {
        if (pnm_skip(f) == EOF)
            set_err(err, errlen, "%s: truncated %s: %zu of %zu values", path, p->name, i, p->n);
        else
            set_err(err, errlen, "%s: bad %s %s: value %zu is not a number", path, p->kind,
                    p->name, i + 1);
        return -1;
    }
    if (*v > p->maxval) {
        set_err(err, errlen, "%s: bad %s: sample %zu is %ld, above the maxval %ld", path, p->name,
                i, *v, p->maxval);
        return -1;
    }
    return 0;
}

int pnm_decode(FILE *f, const char *path, picture *out, char *err, size_t errlen)
{
    char magic[2] = {0, 0};
    if (fread(magic, 1, 2, f) != 2 || magic[0] != 'P' || !magic[1] ||
        !strchr("2356", magic[1])) {
        set_err(err, errlen, "%s: not a PGM or PPM image", path);
        return -1;
    }
    int m = magic[1];
    pnm_header p = {.kind = {'P', magic[1], '\0'},
                    .name = m == '2' || m == '5' ? "PGM" : "PPM",
                    .binary = m == '5' || m == '6',
                    .channels = m == '3' || m == '6' ? 3 : 1};
    if (pnm_read_header(f, path, &p, err, errlen) || pnm_check_size(f, path, &p, err, errlen))
        return -1;
    unsigned char *px = malloc(p.n);
    if (!px) {
        set_err(err, errlen, "%s: out of memory for %ldx%ld pixels", path, p.w, p.h);
        return -1;
    }
    for (size_t i = 0; i < p.n; i++) {
        long v;
        if (pnm_sample(f, path, &p, i, &v, err, errlen)) {
            free(px);
            return -1;
        }
        px[i] = (unsigned char)((v * 255 + p.maxval / 2) / p.maxval);
    }
    *out = (picture){.w = (int)p.w, .h = (int)p.h, .c = p.channels, .px = px};
    return 0;
}
