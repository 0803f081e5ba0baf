/* Pictures: reading any of the formats picture.h names (the file's first
 * bytes pick the decoder) and the one rule that makes a picture a net's
 * input. See include/picture.h. */
#include "picture.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file_read.h"
#include "io_err.h"
#include "picture_decode.h"
#include "resample.h"

picture_format picture_sniff(const unsigned char *b, size_t n)
{
    if (n >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8)) return PICTURE_PNG;
    if (n >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff) return PICTURE_JPEG;
    if (n >= 2 && b[0] == 'P' && b[1] && strchr("2356", b[1])) return PICTURE_PNM;
    return PICTURE_UNKNOWN;
}

/* Why a file none of the decoders takes is refused, from its first n bytes. */
static void refuse_unknown(const char *path, const unsigned char *b, size_t n, char *err,
                           size_t errlen)
{
    const char *other = n >= 4 && !memcmp(b, "GIF8", 4)                         ? "GIF"
                        : n >= 2 && b[0] == 'B' && b[1] == 'M'                   ? "BMP"
                        : n >= 4 && (!memcmp(b, "II*", 4) || !memcmp(b, "MM\0*", 4)) ? "TIFF"
                        : n >= 12 && !memcmp(b, "RIFF", 4) && !memcmp(b + 8, "WEBP", 4)
                            ? "WebP"
                            : NULL;
    if (n == 0)
        set_err(err, errlen, "%s: empty file, not a picture", path);
    else if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
        set_err(err, errlen, "%s: the file looks gzipped: unpack it first (gunzip)", path);
    else if (n >= 2 && b[0] == 'P' && (b[1] == '1' || b[1] == '4' || b[1] == '7'))
        set_err(err, errlen, "%s: a %s (P%c) file: of Netpbm's formats only PGM (P2, P5) and "
                "PPM (P3, P6) are read", path, b[1] == '7' ? "PAM" : "bitmap PBM", b[1]);
    else if (n >= 4 && (b[0] == 0x89 || !memcmp(b + 1, "PNG", 3)))
        set_err(err, errlen, "%s: not a valid PNG: damaged signature", path);
    else if (other)
        set_err(err, errlen, "%s: a %s picture: only PNG, JPEG, PGM and PPM are read", path,
                other);
    else
        set_err(err, errlen, "%s: not a PNG, JPEG, PGM or PPM picture (it starts with bytes "
                "%02x %02x %02x %02x)", path, b[0], b[1], b[2], b[3]);
}

int picture_read(const char *path, picture *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    int fd = file_open_input(path, "picture", err, errlen); /* a FIFO: refused at once */
    if (fd < 0) return -1;
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        set_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    unsigned char sig[PICTURE_SNIFF_BYTES] = {0};
    size_t got = fread(sig, 1, sizeof sig, f);
    picture_format format = picture_sniff(sig, got);
    int rc = -1;
    if (format != PICTURE_UNKNOWN && fseek(f, 0, SEEK_SET) != 0)
        set_err(err, errlen, "%s: cannot seek: %s", path, strerror(errno));
    else if (format == PICTURE_PNG)
        rc = png_decode(f, path, out, err, errlen);
    else if (format == PICTURE_JPEG)
        rc = jpeg_decode(f, path, out, err, errlen);
    else if (format == PICTURE_PNM)
        rc = pnm_decode(f, path, out, err, errlen);
    else
        refuse_unknown(path, sig, got, err, errlen);
    fclose(f);
    return rc;
}

/* Luma of an RGB pixel, rounded (ITU-R BT.601's weights, as picture.h says). */
static inline unsigned char luma(const unsigned char *rgb)
{
    return (unsigned char)((299u * rgb[0] + 587u * rgb[1] + 114u * rgb[2] + 500u) / 1000u);
}

/* Channel ch of pixel i of p, as a picture of c channels. */
static inline unsigned char level(const picture *p, size_t i, int c, int ch)
{
    const unsigned char *q = p->px + i * p->c;
    if (p->c == c) return q[ch];
    return p->c == 1 ? q[0] : luma(q); /* grey to colour: the level in all three */
}

static inline unsigned char to_byte(float v)
{
    return v <= 0 ? 0 : v >= 255 ? 255 : (unsigned char)(v + 0.5f);
}

/* picture_to_input for a picture of another size: each channel a plane of
 * floats, resampled, rounded. */
static int resize_channels(const picture *p, int c, int h, int w, unsigned char *out)
{
    size_t n = (size_t)p->w * p->h, m = (size_t)w * h;
    float *plane = malloc(n * sizeof *plane), *scaled = malloc(m * sizeof *scaled);
    int rc = plane && scaled ? 0 : -1;
    for (int ch = 0; ch < c && rc == 0; ch++) {
        if (ch > 0 && p->c == 1) { /* grey to colour: the same plane again */
            memcpy(out + ch * m, out, m);
            continue;
        }
        for (size_t i = 0; i < n; i++) plane[i] = level(p, i, c, ch);
        rc = resample_area(plane, p->w, p->h, scaled, w, h);
        for (size_t j = 0; j < m && rc == 0; j++) out[ch * m + j] = to_byte(scaled[j]);
    }
    free(plane);
    free(scaled);
    return rc;
}

int picture_to_input(const picture *p, int c, int h, int w, unsigned char *out)
{
    if ((c != 1 && c != 3) || h < 1 || w < 1 || !p->px || (p->c != 1 && p->c != 3) ||
        p->w < 1 || p->h < 1)
        return -1;
    if (p->w != w || p->h != h) return resize_channels(p, c, h, w, out);
    size_t m = (size_t)w * h;
    for (int ch = 0; ch < c; ch++)
        for (size_t i = 0; i < m; i++) out[ch * m + i] = level(p, i, c, ch);
    return 0;
}

void picture_free(picture *p)
{
    if (!p) return;
    free(p->px);
    memset(p, 0, sizeof *p);
}
