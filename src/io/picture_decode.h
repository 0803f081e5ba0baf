/* Private to src/io: the decoders behind picture_read (picture.c), each
 * reading an open file from its start, and the sniffing of a file's first
 * bytes that picks one (image_folder.c uses it too). */
#ifndef CNN_PICTURE_DECODE_H
#define CNN_PICTURE_DECODE_H

#include <stddef.h>
#include <stdio.h>

#include "picture.h"

/* Bytes picture_format looks at. */
#define PICTURE_SNIFF_BYTES 12

typedef enum { PICTURE_UNKNOWN, PICTURE_PNG, PICTURE_JPEG, PICTURE_PNM } picture_format;

/* What the first n bytes of a file say it is (n may be below
 * PICTURE_SNIFF_BYTES: a short file). PICTURE_PNM: P2, P3, P5 or P6. */
picture_format picture_sniff(const unsigned char *b, size_t n);

/* Each decodes f, positioned at its first byte, into out (c 1 or 3); 0, or
 * -1 with err naming path (out then holds nothing). */
int png_decode(FILE *f, const char *path, picture *out, char *err, size_t errlen);
int jpeg_decode(FILE *f, const char *path, picture *out, char *err, size_t errlen);
int pnm_decode(FILE *f, const char *path, picture *out, char *err, size_t errlen);

#endif
