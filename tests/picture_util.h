/* Writing test pictures with the real libraries: PNG through libpng (any
 * channel count, 8 or 16 bits) and JPEG through libjpeg (grey, RGB or
 * CMYK, baseline or progressive). Each fails the running test on error. */
#ifndef CNN_PICTURE_UTIL_H
#define CNN_PICTURE_UTIL_H

/* px: h rows of w pixels of c samples (1 grey, 2 grey+alpha, 3 RGB, 4
 * RGBA), each 1 byte (depth 8) or 2 big-endian bytes (depth 16). */
void write_png(const char *path, int w, int h, int c, int depth, const unsigned char *px);

/* px: h rows of w pixels of c bytes (1 grey, 3 RGB, 4 CMYK as libjpeg
 * stores it, with Adobe's marker: inverted, 255 meaning no ink). */
void write_jpeg(const char *path, int w, int h, int c, const unsigned char *px, int quality,
                int progressive);

/* A picture of w x h x c deterministic bytes from seed (c 1 or 3). */
unsigned char *test_pixels(int w, int h, int c, unsigned seed);

#endif
