/* Pictures on disk, in grey or colour: PNG (libpng), JPEG (libjpeg-turbo)
 * and PGM/PPM, told apart by their first bytes, not their names; and the one
 * rule that turns a picture into a net's input of C x H x W bytes. Every
 * failure is one line in err naming the file, never a crash. */
#ifndef CNN_PICTURE_H
#define CNN_PICTURE_H

#include <stddef.h>

#include "png_io.h" /* IMAGE_MAX_SIDE */

/* A decoded picture: h rows of w pixels of c bytes each (c 1: grey, 3: red,
 * green, blue), interleaved as decoded, 0 dark .. 255 bright. */
typedef struct {
    int w, h, c;
    unsigned char *px; /* h x w x c bytes, malloc'ed */
} picture;

/* Reads path (opened with file_open_input: a FIFO or a folder is refused at
 * once): a PNG (any colour type and depth; transparency composited onto
 * white; 16 bits rounded to 8; a palette counts as colour), a JPEG
 * (baseline or progressive, grey, YCbCr or CMYK), or a PGM/PPM (P2, P3, P5,
 * P6; maxval up to 65535, rescaled). Grey files give c = 1, colour ones
 * c = 3. Refuses a file that is none of these (naming GIF, BMP, TIFF, WebP
 * and gzip when it is one), a bad header, one cut short or damaged (a JPEG
 * that libjpeg would decode with a "corrupt data" warning included), sides
 * above IMAGE_MAX_SIDE (checked from the header, before decoding). Safe to
 * call from several threads at once. Returns 0, or -1 with err set (out
 * then holds nothing). */
int picture_read(const char *path, picture *out, char *err, size_t errlen);

/* The one rule that makes a picture a net's input, out (c x h x w bytes,
 * channel-first): channels first (3 -> 1: luma, (299 R + 587 G + 114 B +
 * 500) / 1000; 1 -> 3: the grey level in all three), then the size: a
 * picture of another size is stretched to h x w by area averaging (each
 * output pixel the mean of the input area it covers; the aspect ratio is
 * not kept; enlarging blends neighbours the same way), rounded to the
 * nearest byte. Same size and channels: the bytes as they are, only
 * reordered from interleaved to channel-first. Returns 0, or -1 when memory
 * runs out or c is not 1 or 3 (out then holds nothing useful). */
int picture_to_input(const picture *p, int c, int h, int w, unsigned char *out);

/* Frees p's pixels and zeroes it (p may be NULL). */
void picture_free(picture *p);

#endif
