/* Greyscale PNG (libpng) and PGM files; see include/png_io.h. */
#include "png_io.h"
#include "file_write.h"
#include "file_read.h"

#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io_err.h"

/* libpng reports through these: the message is kept and control jumps back
 * to the setjmp of the function that started the read or write. Warnings
 * (e.g. about colour profiles) are dropped: they are no reason to fail and
 * must not add lines to stderr. */
typedef struct {
    char msg[256];
    char warning[256]; /* the last warning: it often says why an error came */
} png_err_ctx;

static void on_png_error(png_structp png, png_const_charp msg)
{
    png_err_ctx *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof c->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
    png_err_ctx *c = png_get_error_ptr(png);
    snprintf(c->warning, sizeof c->warning, "%s", msg);
}

/* ---- writing ---- */

/* An 8-bit PNG of `channels` (1: grey, 3: RGB) interleaved bytes a pixel. */
static int png_write_8bit(const char *path, const unsigned char *px, int w, int h,
                          int channels, const char *comment, char *err, size_t errlen)
{
    if (w <= 0 || h <= 0 || w > IMAGE_MAX_SIDE || h > IMAGE_MAX_SIDE) {
        set_err(err, errlen, "%s: cannot write a %dx%d image (sides must be 1 to %d)", path, w,
                h, IMAGE_MAX_SIDE);
        return -1;
    }
    file_out out;
    if (file_out_begin(&out, path, err, errlen)) return -1;
    FILE *f = out.f;
    png_err_ctx ectx = {{0}, {0}};
    png_structp png =
        png_create_write_struct(PNG_LIBPNG_VER_STRING, &ectx, on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        if (png) png_destroy_write_struct(&png, NULL);
        file_out_abort(&out);
        set_err(err, errlen, "%s: out of memory starting libpng", path);
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        file_out_abort(&out);
        set_err(err, errlen, "%s: cannot write the PNG: %s", path,
                strcmp(ectx.msg, "Write Error") ? ectx.msg : "write error (disk full?)");
        return -1;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8,
                 channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (comment && *comment) {
        png_text t;
        memset(&t, 0, sizeof t);
        t.compression = PNG_TEXT_COMPRESSION_NONE;
        t.key = (png_charp) "Description";
        t.text = (png_charp)comment;
        png_set_text(png, info, &t, 1);
    }
    png_write_info(png, info);
    for (int y = 0; y < h; y++)
        png_write_row(png, (png_const_bytep)(px + (size_t)y * w * channels));
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);

    return file_out_commit(&out, 0, err, errlen);
}

int png_write_gray(const char *path, const unsigned char *px, int w, int h,
                   const char *comment, char *err, size_t errlen)
{
    return png_write_8bit(path, px, w, h, 1, comment, err, errlen);
}

int png_write_rgb(const char *path, const unsigned char *px, int w, int h,
                  const char *comment, char *err, size_t errlen)
{
    return png_write_8bit(path, px, w, h, 3, comment, err, errlen);
}

/* ---- reading PNG ---- */

/* What a PNG read allocates. libpng's errors longjmp back to read_png,
 * which frees these: volatile, since they are set after its setjmp. */
typedef struct {
    unsigned char *volatile buf; /* the rows as converted: 1 or 2 bytes a pixel */
    png_bytep *volatile rows;    /* pointers into buf */
    unsigned char *volatile grey;
} png_pixels;

/* The image's sides and its pixels' layout after the conversion to grey. */
typedef struct {
    png_uint_32 w, h;
    int channels;    /* 1, or 2: grey and alpha */
    size_t rowbytes;
} png_layout;

/* The message for a read that libpng stopped (the longjmp's side). */
static void png_read_failed(const png_err_ctx *e, const char *path, char *err, size_t errlen)
{
    if (!strcmp(e->msg, "Read Error"))
        set_err(err, errlen, "%s: truncated PNG: the file ends before the image does", path);
    else if (strstr(e->msg, "exceeds user limit") || strstr(e->msg, "above the limit") ||
             strstr(e->warning, "exceeds user limit"))
        set_err(err, errlen, "%s: PNG too large: sides above %d pixels are refused", path,
                IMAGE_MAX_SIDE);
    else if (e->warning[0])
        set_err(err, errlen, "%s: not a valid PNG: %s (%s)", path, e->msg, e->warning);
    else
        set_err(err, errlen, "%s: not a valid PNG: %s", path, e->msg);
}

/* Reads the header (past the 8 signature bytes already read) and asks
 * libpng for 8-bit grey, alpha kept to composite by hand, whatever the
 * colour type and depth. May longjmp (png_error). */
static void png_read_header_as_grey(png_structp png, png_infop info, FILE *f, png_layout *l)
{
    /* libpng refuses larger headers itself, before allocating anything */
    png_set_user_limits(png, IMAGE_MAX_SIDE, IMAGE_MAX_SIDE);
    png_init_io(png, f);
    png_set_sig_bytes(png, 8);
    png_read_info(png, info);

    int depth, ctype, interlace;
    png_get_IHDR(png, info, &l->w, &l->h, &depth, &ctype, &interlace, NULL, NULL);
    if (l->w == 0 || l->h == 0 || l->w > IMAGE_MAX_SIDE || l->h > IMAGE_MAX_SIDE)
        png_error(png, "image sides above the limit");
    if (ctype == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (depth == 16) png_set_scale_16(png);
    if (ctype & PNG_COLOR_MASK_COLOR || ctype == PNG_COLOR_TYPE_PALETTE)
        png_set_rgb_to_gray_fixed(png, 1, -1, -1);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    l->channels = png_get_channels(png, info);
    l->rowbytes = png_get_rowbytes(png, info);
    if ((l->channels != 1 && l->channels != 2) || png_get_bit_depth(png, info) != 8 ||
        l->rowbytes != (size_t)l->w * l->channels)
        png_error(png, "unexpected pixel layout after conversion to grey");
}

/* Allocates px's buffers for l and reads the image into them. May longjmp. */
static void png_read_pixels(png_structp png, const png_layout *l, png_pixels *px)
{
    px->buf = malloc(l->rowbytes * l->h);
    px->rows = malloc(sizeof(png_bytep) * l->h);
    px->grey = malloc((size_t)l->w * l->h);
    if (!px->buf || !px->rows || !px->grey) png_error(png, "out of memory for the pixels");
    for (png_uint_32 y = 0; y < l->h; y++) px->rows[y] = px->buf + (size_t)y * l->rowbytes;
    png_read_image(png, px->rows);
    png_read_end(png, NULL);
}

/* n pixels of buf (grey, or grey and alpha) into grey, composited onto white. */
static void png_composite_white(const unsigned char *buf, int channels, size_t n,
                                unsigned char *grey)
{
    for (size_t i = 0; i < n; i++) {
        if (channels == 1) {
            grey[i] = buf[i];
        } else {
            unsigned g = buf[2 * i], a = buf[2 * i + 1];
            grey[i] = (unsigned char)((g * a + 255u * (255u - a) + 127u) / 255u);
        }
    }
}

static int read_png(FILE *f, const char *path, gray_image *out, char *err, size_t errlen)
{
    png_err_ctx ectx = {{0}, {0}};
    png_structp png =
        png_create_read_struct(PNG_LIBPNG_VER_STRING, &ectx, on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        if (png) png_destroy_read_struct(&png, NULL, NULL);
        set_err(err, errlen, "%s: out of memory starting libpng", path);
        return -1;
    }
    png_pixels px = {NULL, NULL, NULL};
    if (setjmp(png_jmpbuf(png))) {
        free(px.buf);
        free(px.rows);
        free(px.grey);
        png_destroy_read_struct(&png, &info, NULL);
        png_read_failed(&ectx, path, err, errlen);
        return -1;
    }
    png_layout l;
    png_read_header_as_grey(png, info, f, &l);
    png_read_pixels(png, &l, &px);
    png_composite_white(px.buf, l.channels, (size_t)l.w * l.h, px.grey);
    out->w = (int)l.w;
    out->h = (int)l.h;
    out->px = px.grey;
    free(px.buf);
    free(px.rows);
    png_destroy_read_struct(&png, &info, NULL);
    return 0;
}

/* ---- reading PGM ---- */

/* Skips whitespace and # comments (to the end of the line). Returns the next
 * character (not consumed) or EOF. */
static int pgm_skip(FILE *f)
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
static int pgm_number(FILE *f, long *v)
{
    int c = pgm_skip(f);
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

/* A PGM header's numbers, and what follows from them. */
typedef struct {
    const char *kind; /* "P5" (binary) or "P2" (ASCII), for messages */
    int binary;
    long w, h, maxval;
    size_t n;         /* pixels */
    int bps;          /* binary: bytes a sample, 1 or 2 */
} pgm_header;

/* The header after the magic: width, height and maxval, each checked, then
 * the one whitespace character that ends it. */
static int pgm_read_header(FILE *f, const char *path, pgm_header *p, char *err, size_t errlen)
{
    int c = getc(f);
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '#') {
        set_err(err, errlen, "%s: not a PGM image: no whitespace after the magic %s", path,
                p->kind);
        return -1;
    }
    ungetc(c, f);
    if (pgm_number(f, &p->w) || pgm_number(f, &p->h) || pgm_number(f, &p->maxval)) {
        set_err(err, errlen, "%s: bad %s PGM header: expected width, height and maxval", path,
                p->kind);
        return -1;
    }
    if (p->w < 1 || p->h < 1 || p->w > IMAGE_MAX_SIDE || p->h > IMAGE_MAX_SIDE) {
        set_err(err, errlen, "%s: PGM header says %ldx%ld: sides must be 1 to %d", path, p->w,
                p->h, IMAGE_MAX_SIDE);
        return -1;
    }
    if (p->maxval < 1 || p->maxval > 65535) {
        set_err(err, errlen, "%s: PGM maxval %ld: must be 1 to 65535", path, p->maxval);
        return -1;
    }
    c = getc(f); /* exactly one whitespace character ends the header */
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        set_err(err, errlen, "%s: bad %s PGM header: no whitespace after the maxval", path,
                p->kind);
        return -1;
    }
    p->n = (size_t)p->w * (size_t)p->h;
    p->bps = p->maxval < 256 ? 1 : 2;
    return 0;
}

/* Refuses a regular file too short for its header, before allocating. */
static int pgm_check_size(FILE *f, const char *path, const pgm_header *p, char *err,
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
                "%s: truncated PGM: header says %ldx%ld at maxval %ld = %zu bytes of "
                "pixels, file has %zu", path, p->w, p->h, p->maxval, need, left);
    else
        set_err(err, errlen,
                "%s: truncated PGM: header says %ldx%ld = %zu values, the file has "
                "only %zu bytes left", path, p->w, p->h, p->n, left);
    return -1;
}

/* Pixel i (0-based) into *v, checked against the maxval. */
static int pgm_pixel(FILE *f, const char *path, const pgm_header *p, size_t i, long *v,
                     char *err, size_t errlen)
{
    if (p->binary) {
        int b0 = getc(f), b1 = p->bps == 2 ? getc(f) : 0;
        if (b0 == EOF || b1 == EOF) {
            set_err(err, errlen, "%s: truncated PGM: %zu of %zu pixels", path, i, p->n);
            return -1;
        }
        *v = p->bps == 2 ? (b0 << 8 | b1) : b0;
    } else if (pgm_number(f, v)) {
        if (pgm_skip(f) == EOF)
            set_err(err, errlen, "%s: truncated PGM: %zu of %zu values", path, i, p->n);
        else
            set_err(err, errlen, "%s: bad P2 PGM: value %zu is not a number", path, i + 1);
        return -1;
    }
    if (*v > p->maxval) {
        set_err(err, errlen, "%s: bad PGM: pixel %zu is %ld, above the maxval %ld", path, i, *v,
                p->maxval);
        return -1;
    }
    return 0;
}

static int read_pgm(FILE *f, const char *path, int binary, gray_image *out, char *err,
                    size_t errlen)
{
    pgm_header p = {.kind = binary ? "P5" : "P2", .binary = binary};
    if (pgm_read_header(f, path, &p, err, errlen) || pgm_check_size(f, path, &p, err, errlen))
        return -1;
    unsigned char *px = malloc(p.n);
    if (!px) {
        set_err(err, errlen, "%s: out of memory for %ldx%ld pixels", path, p.w, p.h);
        return -1;
    }
    for (size_t i = 0; i < p.n; i++) {
        long v;
        if (pgm_pixel(f, path, &p, i, &v, err, errlen)) {
            free(px);
            return -1;
        }
        px[i] = (unsigned char)((v * 255 + p.maxval / 2) / p.maxval);
    }
    out->w = (int)p.w;
    out->h = (int)p.h;
    out->px = px;
    return 0;
}

/* ---- either ---- */

int image_read_gray(const char *path, gray_image *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    int fd = file_open_input(path, "image", err, errlen); /* a FIFO: refused at once */
    if (fd < 0) return -1;
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        set_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    unsigned char sig[8] = {0};
    size_t got = fread(sig, 1, sizeof sig, f);
    int rc = -1;
    if (got == sizeof sig && !png_sig_cmp(sig, 0, sizeof sig)) {
        rc = read_png(f, path, out, err, errlen);
    } else if (got >= 2 && sig[0] == 'P' && (sig[1] == '5' || sig[1] == '2')) {
        if (fseek(f, 2, SEEK_SET) != 0)
            set_err(err, errlen, "%s: cannot seek: %s", path, strerror(errno));
        else
            rc = read_pgm(f, path, sig[1] == '5', out, err, errlen);
    } else if (got >= 2 && sig[0] == 'P' && strchr("1346", sig[1])) {
        set_err(err, errlen, "%s: a %s (P%c) image: only greyscale PGM (P2, P5) and PNG are read",
                path, sig[1] == '3' || sig[1] == '6' ? "colour PPM" : "bitmap PBM", sig[1]);
    } else if (got >= 4 && (sig[0] == 0x89 || !memcmp(sig + 1, "PNG", 3))) {
        set_err(err, errlen, "%s: not a valid PNG: damaged signature", path);
    } else if (got == 0) {
        set_err(err, errlen, "%s: empty file, not an image", path);
    } else {
        set_err(err, errlen, "%s: not a PNG or PGM image (it starts with bytes %02x %02x %02x "
                "%02x)", path, sig[0], sig[1], sig[2], sig[3]);
    }
    fclose(f);
    return rc;
}

void gray_image_free(gray_image *img)
{
    if (!img) return;
    free(img->px);
    img->px = NULL;
    img->w = img->h = 0;
}
