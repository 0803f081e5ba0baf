/* Augmentation of a training batch where it is gathered, for both backends
 * (see hd/qualifier.h): each sample's random shift, rotation and scale are a pure
 * function of (seed, step, position in the batch), so a run is reproducible
 * and an exact resume draws the same ones.
 *
 * The CPU and the GPU compute the same bits: the random bits are integer
 * arithmetic; the draw and the matrix are double, every multiply and add
 * rounded on its own (nvcc would otherwise fuse them), and the matrix is
 * rounded to float once; the per-pixel arithmetic is float, rounded the same
 * way. Only the double cos and sin come from each side's own library: they
 * may differ in the last bit of a double, which changes the float they are
 * rounded to about once in 2^28 draws. */
#ifndef CNN_AUGMENT_H
#define CNN_AUGMENT_H

#include <math.h>

#include "hd/dropout.h"
#include "hd/fround.h"
#include "hd/gather.h"
#include "hd/qualifier.h"

/* All zero: no augmentation. Constant over a run. */
typedef struct {
    int shift;        /* translate by up to shift pixels each way (whole pixels) */
    float rot_deg;    /* rotate by up to rot_deg degrees each way */
    float scale;      /* scale by a factor in [1 - scale, 1 + scale] */
    int flip;         /* mirror left to right, each sample with probability 1/2 */
} cnn_augment;

CNN_HD int cnn_augment_none(cnn_augment a)
{
    return a.shift == 0 && a.rot_deg == 0 && a.scale == 0 && !a.flip;
}

/* Folded into the seed so that augmentation's draws are not dropout's
 * (hd/dropout.h uses the same hash). */
#define CNN_AUG_DOMAIN 0xA5E9D7C3B1F28460ull

/* 64 random bits: draw k (0: dx, 1: dy, 2: angle, 3: scale, 4: flip) of
 * sample i. */
CNN_HD unsigned long long cnn_augment_bits(unsigned long long seed, unsigned long long step,
                                           unsigned long long i, int k)
{
    unsigned long long z = cnn_mix64((seed ^ CNN_AUG_DOMAIN) + CNN_GOLDEN64);
    z = cnn_mix64(z + (step + 1) * CNN_GOLDEN64);
    z = cnn_mix64(z + (i + 1) * CNN_GOLDEN64);
    return cnn_mix64(z + ((unsigned long long)k + 1) * CNN_GOLDEN64);
}

/* Uniform in [-1, 1) from the top 53 bits: exact in double. */
CNN_HD double cnn_aug_unit(unsigned long long bits)
{
    return (double)(bits >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0;
}

/* One sample's transform: the whole-pixel shift, and the inverse of the
 * rotation and scaling (output offset from the centre -> source offset):
 * src = [a b; -b a] * out. */
typedef struct {
    int dx, dy;
    int flip;                 /* the output is mirrored left to right */
    float a, b;
    double angle_deg, factor; /* what was drawn, for tests and pictures */
} cnn_aug_draw;

CNN_HD cnn_aug_draw cnn_augment_draw(cnn_augment g, unsigned long long seed,
                                     unsigned long long step, unsigned long long i)
{
    cnn_aug_draw d;
    unsigned long long span = 2ull * (unsigned long long)g.shift + 1ull;
    d.dx = (int)(cnn_augment_bits(seed, step, i, 0) % span) - g.shift;
    d.dy = (int)(cnn_augment_bits(seed, step, i, 1) % span) - g.shift;
    d.flip = g.flip ? (int)(cnn_augment_bits(seed, step, i, 4) & 1u) : 0;
    d.angle_deg = cnn_dmul((double)g.rot_deg, cnn_aug_unit(cnn_augment_bits(seed, step, i, 2)));
    d.factor = cnn_dadd(1.0, cnn_dmul((double)g.scale,
                                              cnn_aug_unit(cnn_augment_bits(seed, step, i, 3))));
    double rad = cnn_dmul(d.angle_deg, 3.14159265358979323846 / 180.0);
    d.a = (float)(cos(rad) / d.factor);
    d.b = (float)(sin(rad) / d.factor);
    return d;
}

/* Byte (y, x) of an h x w image, 0 outside it. */
CNN_HD float cnn_aug_pixel(const unsigned char *img, int h, int w, int y, int x)
{
    return y >= 0 && y < h && x >= 0 && x < w ? (float)img[y * w + x] : 0.0f;
}

/* Output pixel (y, x) of the transformed image (one h x w plane), before
 * normalization: mirrored (x -> w-1-x) when the draw flips, then the source
 * point, bilinear between its four neighbours. A whole-pixel source point (no
 * rotation or scaling) gives its byte exactly. */
CNN_HD float cnn_augment_at(const unsigned char *img, int h, int w, cnn_aug_draw d, int y,
                            int x)
{
    if (d.flip) x = w - 1 - x;
    float cx = (float)(w - 1) * 0.5f, cy = (float)(h - 1) * 0.5f;
    float u = cnn_fsub((float)(x - d.dx), cx), v = cnn_fsub((float)(y - d.dy), cy);
    float sx = cnn_fadd(cnn_fadd(cnn_fmul(d.a, u), cnn_fmul(d.b, v)), cx);
    float sy = cnn_fadd(cnn_fsub(cnn_fmul(d.a, v), cnn_fmul(d.b, u)), cy);
    float fx0 = floorf(sx), fy0 = floorf(sy);
    float fx = cnn_fsub(sx, fx0), fy = cnn_fsub(sy, fy0);
    int x0 = (int)fx0, y0 = (int)fy0;
    float p00 = cnn_aug_pixel(img, h, w, y0, x0), p01 = cnn_aug_pixel(img, h, w, y0, x0 + 1);
    float p10 = cnn_aug_pixel(img, h, w, y0 + 1, x0), p11 = cnn_aug_pixel(img, h, w, y0 + 1, x0 + 1);
    float top = cnn_fadd(p00, cnn_fmul(fx, cnn_fsub(p01, p00)));
    float bot = cnn_fadd(p10, cnn_fmul(fx, cnn_fsub(p11, p10)));
    return cnn_fadd(top, cnn_fmul(fy, cnn_fsub(bot, top)));
}

/* The normalized input of channel c (plane: its h x w bytes), as gather
 * computes it (hd/gather.h). */
CNN_HD float cnn_augment_input(const unsigned char *plane, int h, int w, cnn_aug_draw d, int y,
                               int x, const float *norm, int channels, int c)
{
    return cnn_scale_input(cnn_augment_at(plane, h, w, d, y, x), norm, channels, c);
}

#endif
