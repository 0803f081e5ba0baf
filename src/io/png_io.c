/* PNG files through libpng: writing greyscale ones (include/png_io.h) and
 * decoding any PNG into a picture (picture_decode.h); image_read_gray, the
 * grey view of picture_read, is here too. */
#include "png_io.h"
#include "file_write.h"
#include "picture_decode.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* What a PNG read allocates. libpng's errors longjmp back to png_decode,
 * which frees these: volatile, since they are set after its setjmp. */
typedef struct {
    unsigned char *volatile buf; /* the rows as libpng gives them: c bytes a pixel, alpha after */
    png_bytep *volatile rows;    /* pointers into buf */
    unsigned char *volatile px;  /* the picture: alpha composited away */
} png_pixels;

/* The image's sides and its pixels' layout after libpng's conversions. */
typedef struct {
    png_uint_32 w, h;
    int colour;      /* 3 colour channels, else 1 grey */
    int channels;    /* in buf: colour + 1 with alpha */
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
 * libpng for 8 bits a sample, grey or RGB as the file is (a palette is
 * colour), transparency as an alpha channel to composite by hand. May
 * longjmp (png_error). */
static void png_read_header(png_structp png, png_infop info, FILE *f, png_layout *l)
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
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    l->colour = (ctype & PNG_COLOR_MASK_COLOR) != 0; /* palettes too */
    l->channels = png_get_channels(png, info);
    l->rowbytes = png_get_rowbytes(png, info);
    int want = l->colour ? 3 : 1;
    if ((l->channels != want && l->channels != want + 1) || png_get_bit_depth(png, info) != 8 ||
        l->rowbytes != (size_t)l->w * l->channels)
        png_error(png, "unexpected pixel layout after conversion to 8 bits");
}

/* Allocates px's buffers for l and reads the image into them. May longjmp. */
static void png_read_pixels(png_structp png, const png_layout *l, png_pixels *px)
{
    px->buf = malloc(l->rowbytes * l->h);
    px->rows = malloc(sizeof(png_bytep) * l->h);
    px->px = malloc((size_t)l->w * l->h * (l->colour ? 3 : 1));
    if (!px->buf || !px->rows || !px->px) png_error(png, "out of memory for the pixels");
    for (png_uint_32 y = 0; y < l->h; y++) px->rows[y] = px->buf + (size_t)y * l->rowbytes;
    png_read_image(png, px->rows);
    png_read_end(png, NULL);
}

/* n pixels of buf (c samples, then alpha when channels is c + 1) into out
 * (c samples), composited onto white. */
static void png_composite_white(const unsigned char *buf, int c, int channels, size_t n,
                                unsigned char *out)
{
    if (channels == c) {
        memcpy(out, buf, n * c);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned a = buf[i * channels + c];
        for (int k = 0; k < c; k++) {
            unsigned v = buf[i * channels + k];
            out[i * c + k] = (unsigned char)((v * a + 255u * (255u - a) + 127u) / 255u);
        }
    }
}

int png_decode(FILE *f, const char *path, picture *out, char *err, size_t errlen)
{
    unsigned char sig[8];
    if (fread(sig, 1, sizeof sig, f) != sizeof sig || png_sig_cmp(sig, 0, sizeof sig)) {
        set_err(err, errlen, "%s: not a valid PNG: damaged signature", path);
        return -1;
    }
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
        free(px.px);
        png_destroy_read_struct(&png, &info, NULL);
        png_read_failed(&ectx, path, err, errlen);
        return -1;
    }
    png_layout l;
    png_read_header(png, info, f, &l);
    png_read_pixels(png, &l, &px);
    int c = l.colour ? 3 : 1;
    png_composite_white(px.buf, c, l.channels, (size_t)l.w * l.h, px.px);
    *out = (picture){.w = (int)l.w, .h = (int)l.h, .c = c, .px = px.px};
    free(px.buf);
    free(px.rows);
    png_destroy_read_struct(&png, &info, NULL);
    return 0;
}

/* ---- the grey view of any picture ---- */

int image_read_gray(const char *path, gray_image *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    picture p;
    if (picture_read(path, &p, err, errlen)) return -1;
    unsigned char *grey = p.px;
    if (p.c != 1) {
        grey = malloc((size_t)p.w * p.h);
        if (!grey || picture_to_input(&p, 1, p.h, p.w, grey)) {
            set_err(err, errlen, "%s: out of memory for %dx%d pixels", path, p.w, p.h);
            free(grey);
            picture_free(&p);
            return -1;
        }
        free(p.px);
    }
    out->w = p.w;
    out->h = p.h;
    out->px = grey;
    return 0;
}

void gray_image_free(gray_image *img)
{
    if (!img) return;
    free(img->px);
    img->px = NULL;
    img->w = img->h = 0;
}
