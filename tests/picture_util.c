/* Writing test pictures; see picture_util.h. */
#include "picture_util.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>

#include <jpeglib.h>
#include <png.h>

void write_png(const char *path, int w, int h, int c, int depth, const unsigned char *px)
{
    static const int types[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "%s", path);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    cr_assert(png && info);
    cr_assert_eq(setjmp(png_jmpbuf(png)), 0, "libpng failed writing %s", path);
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, types[c - 1],
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    size_t row = (size_t)w * c * (depth / 8);
    for (int y = 0; y < h; y++) png_write_row(png, (png_const_bytep)(px + (size_t)y * row));
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    cr_assert_eq(fclose(f), 0);
}

void write_jpeg(const char *path, int w, int h, int c, const unsigned char *px, int quality,
                int progressive)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "%s", path);
    struct jpeg_compress_struct j;
    struct jpeg_error_mgr e;
    j.err = jpeg_std_error(&e); /* exits on error: the test fails */
    jpeg_create_compress(&j);
    jpeg_stdio_dest(&j, f);
    j.image_width = (JDIMENSION)w;
    j.image_height = (JDIMENSION)h;
    j.input_components = c;
    j.in_color_space = c == 1 ? JCS_GRAYSCALE : c == 3 ? JCS_RGB : JCS_CMYK;
    jpeg_set_defaults(&j);
    jpeg_set_quality(&j, quality, TRUE);
    if (progressive) jpeg_simple_progression(&j);
    jpeg_start_compress(&j, TRUE);
    while (j.next_scanline < j.image_height) {
        JSAMPROW row = (JSAMPROW)(px + (size_t)j.next_scanline * w * c);
        jpeg_write_scanlines(&j, &row, 1);
    }
    jpeg_finish_compress(&j);
    jpeg_destroy_compress(&j);
    cr_assert_eq(fclose(f), 0);
}

unsigned char *test_pixels(int w, int h, int c, unsigned seed)
{
    size_t n = (size_t)w * h * c;
    unsigned char *px = malloc(n);
    cr_assert_not_null(px);
    for (size_t i = 0; i < n; i++) px[i] = (unsigned char)((seed = seed * 1103515245u + 12345u) >> 16);
    return px;
}
