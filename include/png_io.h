/* Greyscale images on disk: writing 8-bit greyscale PNGs (libpng) and reading
 * a PNG of any colour type and bit depth, or a binary or ASCII PGM, into an
 * 8-bit grey buffer. Every failure is one line in err, never a crash. */
#ifndef CNN_PNG_IO_H
#define CNN_PNG_IO_H

#include <stddef.h>

/* Largest side an image read or written may have: headers beyond it are
 * refused before anything is allocated. */
#define IMAGE_MAX_SIDE 16384

typedef struct {
    int w, h;
    unsigned char *px; /* h rows of w bytes, 0 black .. 255 white; malloc'ed */
} gray_image;

/* Writes w x h bytes (row-major) as an 8-bit greyscale PNG with an optional
 * tEXt "Description" (comment may be NULL). The file is written to
 * "<path>.tmp" and renamed, so a failure never leaves a partial file.
 * Returns 0, or -1 with a one-line message in err. */
int png_write_gray(const char *path, const unsigned char *px, int w, int h,
                   const char *comment, char *err, size_t errlen);

/* The same for w x h pixels of 3 bytes (red, green, blue; row-major,
 * interleaved): an 8-bit RGB PNG. */
int png_write_rgb(const char *path, const unsigned char *px, int w, int h,
                  const char *comment, char *err, size_t errlen);

/* Reads path as a PNG (told by its signature; palette, grey, RGB, with or
 * without alpha, 1 to 16 bits; colour is converted to grey, transparency is
 * composited onto white) or a PGM (P5 binary or P2 ASCII, maxval up to
 * 65535; levels are rescaled to 0..255). Returns 0, or -1 with err set: a
 * file that is neither, a bad header, one cut short, sides above
 * IMAGE_MAX_SIDE. */
int image_read_gray(const char *path, gray_image *out, char *err, size_t errlen);
void gray_image_free(gray_image *img);

#endif
