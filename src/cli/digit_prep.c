/* MNIST-style preprocessing of a digit picture; see digit_prep.h. */
#include "digit_prep.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_uchar(const void *a, const void *b)
{
    return (int)*(const unsigned char *)a - (int)*(const unsigned char *)b;
}

/* The outermost ring of in's pixels into border (its count returned), and
 * whether most of it is brighter than mid-grey: a dark-on-light picture,
 * whose border is then inverted too. */
static size_t take_border(const gray_image *in, unsigned char *border, int *inverted)
{
    int w = in->w, h = in->h;
    size_t nb = 0, bright = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (y == 0 || y == h - 1 || x == 0 || x == w - 1)
                border[nb++] = in->px[(size_t)y * w + x];
    for (size_t i = 0; i < nb; i++) bright += border[i] > 127;
    *inverted = 2 * bright > nb;
    if (*inverted)
        for (size_t i = 0; i < nb; i++) border[i] = (unsigned char)(255 - border[i]);
    return nb;
}

/* Background level: the median of the border (sorted in place), subtracted;
 * then the brightest pixel is made 255. Returns 0 when nothing is left
 * above the background (v then holds the levels less the background). */
static int stretch_levels(float *v, size_t n, unsigned char *border, size_t nb)
{
    qsort(border, nb, 1, cmp_uchar);
    float bg = border[nb / 2], top = 0;
    for (size_t i = 0; i < n; i++) {
        v[i] = v[i] > bg ? v[i] - bg : 0;
        if (v[i] > top) top = v[i];
    }
    if (top <= 0) return 0;
    for (size_t i = 0; i < n; i++) v[i] *= 255.0f / top;
    return 1;
}

/* The bounding box of the clearly-foreground pixels of v (w x h) into info,
 * and that box cropped out of v, malloc'ed (NULL when memory runs out). */
static float *crop_foreground(const float *v, int w, int h, digit_prep_info *info)
{
    const float thresh = 0.15f * 255.0f;
    int x0 = w, y0 = h, x1 = -1, y1 = -1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (v[(size_t)y * w + x] > thresh) {
                if (x < x0) x0 = x;
                if (x > x1) x1 = x;
                if (y < y0) y0 = y;
                if (y > y1) y1 = y;
            }
    int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
    info->box_x = x0;
    info->box_y = y0;
    info->box_w = bw;
    info->box_h = bh;

    float *box = malloc(sizeof(float) * (size_t)bw * bh);
    if (!box) return NULL;
    for (int y = 0; y < bh; y++)
        memcpy(box + (size_t)y * bw, v + (size_t)(y0 + y) * w + x0, sizeof(float) * bw);
    return box;
}

/* The box (info->box_w x box_h) scaled so that the longer side becomes 20
 * and the other keeps the aspect ratio (the size goes to info->scaled_w and
 * scaled_h), then stretched so its brightest pixel is 255: thin strokes
 * fade when shrunk a lot, and MNIST digits always reach 255. Malloc'ed, or
 * NULL when memory runs out. */
static float *scale_box(const float *box, digit_prep_info *info)
{
    int bw = info->box_w, bh = info->box_h;
    int longer = bw > bh ? bw : bh;
    int sw = bw == longer ? DIGIT_BOX : (int)lround((double)bw * DIGIT_BOX / longer);
    int sh = bh == longer ? DIGIT_BOX : (int)lround((double)bh * DIGIT_BOX / longer);
    if (sw < 1) sw = 1;
    if (sh < 1) sh = 1;
    info->scaled_w = sw;
    info->scaled_h = sh;
    float *small = malloc(sizeof(float) * (size_t)sw * sh);
    if (!small || resample_area(box, bw, bh, small, sw, sh)) {
        free(small);
        return NULL;
    }
    float peak = 0;
    for (int i = 0; i < sw * sh; i++)
        if (small[i] > peak) peak = small[i];
    if (peak > 0)
        for (int i = 0; i < sw * sh; i++) small[i] *= 255.0f / peak;
    return small;
}

/* Pastes small (info->scaled_w x scaled_h) into out with its centre of mass
 * at (14, 14), the box kept inside the canvas; the offset goes to info. */
static void paste_centred(const float *small, unsigned char *out, digit_prep_info *info)
{
    int sw = info->scaled_w, sh = info->scaled_h;
    double m = 0, mx = 0, my = 0;
    for (int y = 0; y < sh; y++)
        for (int x = 0; x < sw; x++) {
            double p = small[(size_t)y * sw + x];
            m += p;
            mx += p * x;
            my += p * y;
        }
    double cx = m > 0 ? mx / m : (sw - 1) / 2.0, cy = m > 0 ? my / m : (sh - 1) / 2.0;
    int ox = (int)lround(14.0 - cx), oy = (int)lround(14.0 - cy);
    if (ox < 0) ox = 0;
    if (oy < 0) oy = 0;
    if (ox > DIGIT_SIDE - sw) ox = DIGIT_SIDE - sw;
    if (oy > DIGIT_SIDE - sh) oy = DIGIT_SIDE - sh;
    info->off_x = ox;
    info->off_y = oy;
    for (int y = 0; y < sh; y++)
        for (int x = 0; x < sw; x++) {
            float p = small[(size_t)y * sw + x];
            p = p < 0 ? 0 : p > 255 ? 255 : p;
            out[(oy + y) * DIGIT_SIDE + ox + x] = (unsigned char)lrintf(p);
        }
}

int digit_to_mnist(const gray_image *in, unsigned char *out, digit_prep_info *info)
{
    digit_prep_info dummy;
    if (!info) info = &dummy;
    memset(info, 0, sizeof *info);
    int w = in->w, h = in->h;
    size_t n = (size_t)w * h;
    memset(out, 0, DIGIT_SIDE * DIGIT_SIDE);

    /* the outermost ring of pixels */
    size_t ring = w == 1 || h == 1 ? n : 2 * (size_t)w + 2 * (size_t)h - 4;
    unsigned char *border = malloc(ring);
    float *v = malloc(sizeof(float) * n);
    if (!border || !v) {
        free(border);
        free(v);
        return -1;
    }
    size_t nb = take_border(in, border, &info->inverted);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)(info->inverted ? 255 - in->px[i] : in->px[i]);

    if (w == DIGIT_SIDE && h == DIGIT_SIDE) { /* used as is */
        for (size_t i = 0; i < n; i++) out[i] = (unsigned char)v[i];
        info->box_w = info->scaled_w = w;
        info->box_h = info->scaled_h = h;
        free(border);
        free(v);
        return 0;
    }
    info->resized = 1;
    int visible = stretch_levels(v, n, border, nb);
    free(border);
    if (!visible) {
        info->blank = 1;
        free(v);
        return 0;
    }
    float *box = crop_foreground(v, w, h, info);
    free(v);
    if (!box) return -1;
    float *small = scale_box(box, info);
    free(box);
    if (!small) return -1;
    paste_centred(small, out, info);
    free(small);
    return 0;
}
