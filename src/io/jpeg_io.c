/* JPEG files through libjpeg-turbo (jpeglib.h): baseline or progressive,
 * grey, YCbCr/RGB or CMYK/YCCK, decoded to grey or RGB. See
 * picture_decode.h.
 *
 * libjpeg's default error handler calls exit(); ours keeps the message and
 * longjmps back to jpeg_decode. Its warnings are about damaged data (a file
 * cut short is decoded to the end as grey, with a warning only), so all but
 * two harmless ones are errors here: a damaged picture is refused, never
 * half-read. */
#include "picture_decode.h"

#include <jerror.h>
#include <jpeglib.h>
#include <setjmp.h>
#include <stdlib.h>

#include "io_err.h"

/* More scans than a progressive JPEG needs (a normal one has about 10): a
 * crafted file with thousands makes the decoder loop for minutes
 * (libjpeg-turbo's advice is to cap them). */
#define JPEG_MAX_SCANS 500

typedef struct {
    struct jpeg_error_mgr mgr; /* first: libjpeg hands back a pointer to it */
    jmp_buf jump;
    int code;                  /* libjpeg's message code */
    char msg[JMSG_LENGTH_MAX];
} jpeg_err_ctx;

static void on_jpeg_error(j_common_ptr cinfo)
{
    jpeg_err_ctx *e = (jpeg_err_ctx *)cinfo->err;
    e->code = cinfo->err->msg_code;
    (*cinfo->err->format_message)(cinfo, e->msg);
    longjmp(e->jump, 1);
}

/* level -1: a warning (damaged data), an error here unless harmless; level
 * 0 and above: trace messages, dropped. */
static void on_jpeg_message(j_common_ptr cinfo, int level)
{
    int code = cinfo->err->msg_code;
    if (level < 0 && code != JWRN_JFIF_MAJOR && code != JWRN_BOGUS_ICC) on_jpeg_error(cinfo);
}

static void on_jpeg_progress(j_common_ptr cinfo)
{
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    if (d->input_scan_number > JPEG_MAX_SCANS) {
        snprintf(((jpeg_err_ctx *)cinfo->err)->msg, JMSG_LENGTH_MAX,
                 "more than %d progressive scans", JPEG_MAX_SCANS);
        ((jpeg_err_ctx *)cinfo->err)->code = -1;
        longjmp(((jpeg_err_ctx *)cinfo->err)->jump, 1);
    }
}

/* The message for a decode that libjpeg stopped. */
static void jpeg_failed(const jpeg_err_ctx *e, const char *path, char *err, size_t errlen)
{
    if (e->code == JWRN_JPEG_EOF || e->code == JERR_INPUT_EOF)
        set_err(err, errlen, "%s: truncated JPEG: the file ends before the picture does", path);
    else if (e->code == JERR_INPUT_EMPTY)
        set_err(err, errlen, "%s: empty file, not a picture", path);
    else
        set_err(err, errlen, "%s: damaged JPEG: %s", path, e->msg);
}

/* CMYK as libjpeg gives it into RGB. Adobe's files (those with its APP14
 * marker, which is most CMYK JPEGs) store the inks inverted, 255 meaning
 * none, as Pillow and libjpeg-turbo's own tools take them. */
static void cmyk_to_rgb(const unsigned char *cmyk, int w, int adobe, unsigned char *rgb)
{
    unsigned flip = adobe ? 0 : 255; /* v ^ 255 is 255 - v */
    for (int x = 0; x < w; x++) {
        unsigned k = cmyk[4 * x + 3] ^ flip;
        for (int i = 0; i < 3; i++)
            rgb[3 * x + i] = (unsigned char)(((cmyk[4 * x + i] ^ flip) * k + 127) / 255);
    }
}

/* What a decode allocates: freed after a longjmp, hence volatile. */
typedef struct {
    unsigned char *volatile px;
    unsigned char *volatile cmyk_row;
} jpeg_buffers;

/* After jpeg_read_header: the output colour space, the size check, the
 * buffers. Returns the picture's channels, or 0 with err set. May longjmp. */
static int jpeg_prepare(j_decompress_ptr d, const char *path, jpeg_buffers *b, char *err,
                        size_t errlen)
{
    if (d->image_width > IMAGE_MAX_SIDE || d->image_height > IMAGE_MAX_SIDE) {
        set_err(err, errlen, "%s: JPEG too large: %ux%u; sides above %d pixels are refused",
                path, d->image_width, d->image_height, IMAGE_MAX_SIDE);
        return 0;
    }
    int cmyk = d->jpeg_color_space == JCS_CMYK || d->jpeg_color_space == JCS_YCCK;
    d->out_color_space = d->jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE
                         : cmyk                               ? JCS_CMYK
                                                              : JCS_RGB;
    jpeg_start_decompress(d);
    int c = d->out_color_space == JCS_GRAYSCALE ? 1 : 3;
    if (d->output_components != (cmyk ? 4 : c)) {
        set_err(err, errlen, "%s: damaged JPEG: %d colour components", path,
                d->output_components);
        return 0;
    }
    b->px = malloc((size_t)d->output_width * d->output_height * c);
    if (cmyk) b->cmyk_row = malloc((size_t)d->output_width * 4);
    if (!b->px || (cmyk && !b->cmyk_row)) {
        set_err(err, errlen, "%s: out of memory for %ux%u pixels", path, d->output_width,
                d->output_height);
        return 0;
    }
    return c;
}

/* Reads every row into b->px (c bytes a pixel). May longjmp. */
static void jpeg_read_rows(j_decompress_ptr d, int c, jpeg_buffers *b)
{
    size_t stride = (size_t)d->output_width * c;
    while (d->output_scanline < d->output_height) {
        unsigned char *row = b->px + (size_t)d->output_scanline * stride;
        JSAMPROW target = b->cmyk_row ? b->cmyk_row : row;
        if (jpeg_read_scanlines(d, &target, 1) != 1) ERREXIT(d, JERR_INPUT_EOF);
        if (b->cmyk_row) cmyk_to_rgb(b->cmyk_row, (int)d->output_width, d->saw_Adobe_marker, row);
    }
    jpeg_finish_decompress(d);
}

int jpeg_decode(FILE *f, const char *path, picture *out, char *err, size_t errlen)
{
    struct jpeg_decompress_struct d;
    jpeg_err_ctx e;
    struct jpeg_progress_mgr progress = {.progress_monitor = on_jpeg_progress};
    jpeg_buffers b = {NULL, NULL};
    d.err = jpeg_std_error(&e.mgr);
    e.mgr.error_exit = on_jpeg_error;
    e.mgr.emit_message = on_jpeg_message;
    e.code = 0;
    e.msg[0] = '\0';
    if (setjmp(e.jump)) {
        jpeg_destroy_decompress(&d);
        free(b.px);
        free(b.cmyk_row);
        jpeg_failed(&e, path, err, errlen);
        return -1;
    }
    jpeg_create_decompress(&d);
    d.progress = &progress;
    jpeg_stdio_src(&d, f);
    jpeg_read_header(&d, TRUE);
    int c = jpeg_prepare(&d, path, &b, err, errlen);
    if (c) {
        jpeg_read_rows(&d, c, &b);
        *out = (picture){.w = (int)d.output_width, .h = (int)d.output_height, .c = c,
                         .px = b.px};
    } else {
        free(b.px);
    }
    free(b.cmyk_row);
    jpeg_destroy_decompress(&d);
    return c ? 0 : -1;
}
