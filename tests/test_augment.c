/* Data augmentation: the draw (cnn_augment.h), the CPU backend's gather_aug
 * against plain gather and plain loops, the --augment spec parser, and the
 * train and visualize commands with --augment. The binary is $CNN_BIN, or
 * build/cnn. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu_backend.h"
#include "augment_spec.h"
#include "checkpoint.h"
#include "idx_util.h"
#include "ops.h"
#include "png_io.h"
#include "presets.h"
#include "rng.h"
#include "run_util.h"
#include "train.h"

/* count h x w images of random bytes, labels 0..9, and an index that is not
 * the identity. */
typedef struct {
    int count, h, w;
    unsigned char *images, labels[256];
    int index[256];
} batch_src;

static batch_src random_src(int count, int h, int w, uint64_t seed)
{
    rng r = {seed};
    batch_src s = {count, h, w, malloc((size_t)count * h * w), {0}, {0}};
    cr_assert_leq(count, 256);
    for (long i = 0; i < (long)count * h * w; i++) s.images[i] = (unsigned char)rng_below(&r, 256);
    for (int i = 0; i < count; i++) {
        s.labels[i] = (unsigned char)rng_below(&r, 10);
        s.index[i] = (i * 37 + 5) % count;
    }
    return s;
}

static const float SCALE = 0.0127f, SHIFT = -0.42f;
static const float NORM1[2] = {0.0127f, -0.42f}; /* one channel's scale and shift */

/* n samples from position cursor, augmented with a at this step. */
static float *gather_aug(const batch_src *s, int cursor, int n, cnn_augment a, uint64_t seed,
                         unsigned long long step, int *y)
{
    float *x = malloc(sizeof(float) * n * s->h * s->w);
    cpu_ops.gather_aug(s->images, s->labels, s->index, &cursor, n, 1, s->h, s->w, NORM1, a,
                       seed, &step, x, y);
    return x;
}

static void expect_same_floats(const float *a, const float *b, long n, const char *what)
{
    for (long i = 0; i < n; i++)
        cr_assert(memcmp(&a[i], &b[i], sizeof(float)) == 0, "%s: element %ld: %.9g vs %.9g",
                  what, i, a[i], b[i]);
}

/* ---- the op ---- */

Test(augment, zero_ranges_equal_gather_bit_for_bit)
{
    batch_src s = random_src(40, 28, 28, 1);
    int n = 30, dim = 784, y[30], ya[30];
    float *want = malloc(sizeof(float) * n * dim);
    int cursor = 7;
    cpu_ops.gather(s.images, s.labels, s.index, &cursor, n, 1, dim, NORM1, want, y);
    for (unsigned long long step = 0; step < 3; step++) {
        float *got = gather_aug(&s, 7, n, (cnn_augment){0, 0.0f, 0.0f, 0}, 9, step, ya);
        expect_same_floats(got, want, (long)n * dim, "no augmentation");
        cr_assert_eq(memcmp(y, ya, sizeof y), 0, "labels");
        free(got);
    }
    free(want);
    free(s.images);
}

Test(augment, same_keys_same_bits_other_keys_other_draws)
{
    cnn_augment a = {3, 20.0f, 0.2f, 0};
    batch_src s = random_src(20, 28, 28, 2);
    int y[10];
    long n = 10 * 784;
    float *x1 = gather_aug(&s, 0, 10, a, 5, 4, y), *x2 = gather_aug(&s, 0, 10, a, 5, 4, y);
    expect_same_floats(x1, x2, n, "the same seed and step");
    float *x3 = gather_aug(&s, 0, 10, a, 5, 5, y), *x4 = gather_aug(&s, 0, 10, a, 6, 4, y);
    cr_assert_neq(memcmp(x1, x3, sizeof(float) * n), 0, "another step drew the same");
    cr_assert_neq(memcmp(x1, x4, sizeof(float) * n), 0, "another seed drew the same");
    /* every draw differs across positions in a batch and across steps */
    for (unsigned long long i = 0; i < 50; i++) {
        cnn_aug_draw d = cnn_augment_draw(a, 5, 4, i), e = cnn_augment_draw(a, 5, 4, i);
        cnn_aug_draw f = cnn_augment_draw(a, 5, 4, i + 1), g = cnn_augment_draw(a, 5, 5, i);
        cr_assert(d.a == e.a && d.b == e.b && d.dx == e.dx && d.dy == e.dy);
        cr_assert(d.angle_deg != f.angle_deg && d.angle_deg != g.angle_deg);
    }
    free(x1); free(x2); free(x3); free(x4);
    free(s.images);
}

/* Augmentation's draws are not dropout's: the same keys give other bits. */
Test(augment, draws_differ_from_dropout_bits)
{
    int same = 0;
    for (unsigned long long i = 0; i < 1000; i++)
        same += (unsigned)(cnn_augment_bits(1, 0, i, 0) >> 32) == cnn_dropout_bits(1, 0, 0, i);
    cr_assert_lt(same, 3);
}

Test(augment, shift_only_is_an_exact_whole_pixel_move)
{
    cnn_augment a = {2, 0.0f, 0.0f, 0};
    batch_src s = random_src(64, 28, 28, 3);
    int n = 64, h = 28, w = 28, y[64], moved = 0;
    float *x = gather_aug(&s, 0, n, a, 11, 3, y);
    for (int i = 0; i < n; i++) {
        cnn_aug_draw d = cnn_augment_draw(a, 11, 3, (unsigned long long)i);
        moved += d.dx != 0 || d.dy != 0;
        const unsigned char *src = s.images + (long)s.index[i] * h * w;
        for (int py = 0; py < h; py++)
            for (int px = 0; px < w; px++) {
                int sy = py - d.dy, sx = px - d.dx;
                float byte = sy >= 0 && sy < h && sx >= 0 && sx < w ? src[sy * w + sx] : 0;
                float want = byte * SCALE + SHIFT;
                cr_assert(memcmp(&x[((long)i * h + py) * w + px], &want, sizeof want) == 0,
                          "sample %d (shift %d, %d), pixel (%d, %d)", i, d.dx, d.dy, py, px);
            }
    }
    cr_assert_gt(moved, 40, "only %d of 64 samples moved", moved);
    free(x);
    free(s.images);
}

/* A disc of mass centred on an odd-sized image, so that its centre is a
 * pixel: a rotation keeps that pixel exactly and, roughly, the mass. */
Test(augment, rotation_keeps_the_centre_and_the_mass)
{
    enum { SIDE = 29, N = 16, DIM = SIDE * SIDE, C = SIDE / 2 * SIDE + SIDE / 2 };
    cnn_augment a = {0, 45.0f, 0.0f, 0};
    batch_src s = {N, SIDE, SIDE, malloc(N * DIM), {0}, {0}};
    double mass = 0;
    for (int p = 0; p < DIM; p++) {
        double r = hypot(p / SIDE - SIDE / 2, p % SIDE - SIDE / 2);
        s.images[p] = (unsigned char)(r < 9 ? 200 - 10 * (int)r : 0);
        mass += s.images[p];
    }
    for (int i = 0; i < N; i++) {
        s.index[i] = 0;
        s.labels[i] = 0;
    }
    int y[N], rotated = 0;
    float *x = gather_aug(&s, 0, N, a, 3, 8, y);
    float centre = s.images[C] * SCALE + SHIFT;
    for (int i = 0; i < N; i++) {
        cnn_aug_draw d = cnn_augment_draw(a, 3, 8, (unsigned long long)i);
        rotated += fabs(d.angle_deg) > 5;
        cr_assert(memcmp(&x[i * DIM + C], &centre, sizeof centre) == 0,
                  "sample %d (angle %g): centre %.9g, want %.9g", i, d.angle_deg,
                  x[i * DIM + C], centre);
        double got = 0;
        for (int p = 0; p < DIM; p++) got += (x[i * DIM + p] - SHIFT) / SCALE;
        cr_assert(fabs(got - mass) < 0.02 * mass, "sample %d (angle %g): mass %g, was %g", i,
                  d.angle_deg, got, mass);
    }
    cr_assert_gt(rotated, 10, "only %d of %d draws turned more than 5 degrees", rotated, N);
    free(x);
    free(s.images);
}

/* Byte (y, x) of an h x w image, 0 outside it. */
static double byte_at(const unsigned char *img, int h, int w, int y, int x)
{
    return y >= 0 && y < h && x >= 0 && x < w ? img[y * w + x] : 0;
}

/* Output pixel (py, px) in double, straight from the drawn angle, factor
 * and shift: the inverse map, then bilinear interpolation. */
static double reference_pixel(const unsigned char *img, int h, int w, cnn_aug_draw d, int py,
                              int px)
{
    double rad = d.angle_deg * 3.14159265358979323846 / 180, cx = (w - 1) / 2.0,
           cy = (h - 1) / 2.0;
    double u = px - d.dx - cx, v = py - d.dy - cy;
    double sx = (cos(rad) * u + sin(rad) * v) / d.factor + cx;
    double sy = (-sin(rad) * u + cos(rad) * v) / d.factor + cy;
    int x0 = (int)floor(sx), y0 = (int)floor(sy);
    double fx = sx - x0, fy = sy - y0;
    return (1 - fy) * ((1 - fx) * byte_at(img, h, w, y0, x0) + fx * byte_at(img, h, w, y0, x0 + 1)) +
           fy * ((1 - fx) * byte_at(img, h, w, y0 + 1, x0) + fx * byte_at(img, h, w, y0 + 1, x0 + 1));
}

/* Shift, rotation and scaling together against the double reference, on a
 * non-square image. */
Test(augment, transform_matches_a_double_reference)
{
    cnn_augment a = {3, 40.0f, 0.3f, 0};
    batch_src s = random_src(32, 23, 31, 6);
    int y[32], h = 23, w = 31;
    float *x = gather_aug(&s, 0, 32, a, 13, 2, y);
    for (int i = 0; i < 32; i++) {
        cnn_aug_draw d = cnn_augment_draw(a, 13, 2, (unsigned long long)i);
        const unsigned char *src = s.images + (long)s.index[i] * h * w;
        for (int py = 0; py < h; py++)
            for (int px = 0; px < w; px++) {
                double want = reference_pixel(src, h, w, d, py, px);
                double got = (x[((long)i * h + py) * w + px] - SHIFT) / SCALE;
                cr_assert(fabs(got - want) < 0.02, "sample %d (shift %d, %d, angle %g, factor "
                          "%g), pixel (%d, %d): %.6g, want %.6g", i, d.dx, d.dy, d.angle_deg,
                          d.factor, py, px, got, want);
            }
    }
    free(x);
    free(s.images);
}

Test(augment, same_bits_on_one_and_two_threads)
{
    cnn_augment a = {2, 15.0f, 0.1f, 0};
    batch_src s = random_src(128, 28, 28, 4);
    int y[128];
    cpu_ops_set_threads(1);
    float *x1 = gather_aug(&s, 0, 128, a, 21, 100, y);
    cpu_ops_set_threads(2);
    float *x2 = gather_aug(&s, 0, 128, a, 21, 100, y);
    cpu_ops_set_threads(0);
    expect_same_floats(x1, x2, 128L * 784, "1 and 2 threads");
    free(x1);
    free(x2);
    free(s.images);
}

Test(augment, draws_stay_in_their_ranges)
{
    cnn_augment a = {3, 12.5f, 0.25f, 0};
    int seen[7] = {0};
    double lo = 1e9, hi = -1e9, flo = 1e9, fhi = -1e9;
    for (unsigned long long i = 0; i < 20000; i++) {
        cnn_aug_draw d = cnn_augment_draw(a, 77, i / 50, i % 50);
        cr_assert(d.dx >= -3 && d.dx <= 3 && d.dy >= -3 && d.dy <= 3, "shift %d, %d", d.dx, d.dy);
        seen[d.dx + 3]++;
        seen[d.dy + 3]++;
        lo = fmin(lo, d.angle_deg);
        hi = fmax(hi, d.angle_deg);
        flo = fmin(flo, d.factor);
        fhi = fmax(fhi, d.factor);
        /* the matrix is the inverse rotation and scaling the draw says */
        double rad = d.angle_deg * 3.14159265358979323846 / 180;
        cr_assert(fabs(d.a - cos(rad) / d.factor) < 1e-6 && fabs(d.b - sin(rad) / d.factor) < 1e-6);
    }
    for (int k = 0; k < 7; k++)
        cr_assert(seen[k] > 40000 / 7 * 0.9 && seen[k] < 40000 / 7 * 1.1, "shift %d drawn %d "
                  "times of 40000", k - 3, seen[k]);
    cr_assert(lo >= -12.5 && hi <= 12.5 && lo < -12.3 && hi > 12.3, "angles %g..%g", lo, hi);
    cr_assert(flo >= 0.75 && fhi <= 1.25 && flo < 0.76 && fhi > 1.24, "factors %g..%g", flo, fhi);
}

/* ---- flip ---- */

/* About half the samples are mirrored, the same ones for the same (seed,
 * step, i), others for other keys; without flip none is, and flip draws
 * nothing the other moves read (their values do not change). */
Test(augment, flip_draws_half_the_samples_deterministically)
{
    cnn_augment a = {2, 10.0f, 0.1f, 1}, no_flip = {2, 10.0f, 0.1f, 0};
    int flipped = 0, same_as_next_step = 0;
    for (unsigned long long i = 0; i < 4000; i++) {
        cnn_aug_draw d = cnn_augment_draw(a, 9, i / 50, i % 50);
        cnn_aug_draw e = cnn_augment_draw(a, 9, i / 50, i % 50);
        cnn_aug_draw f = cnn_augment_draw(no_flip, 9, i / 50, i % 50);
        cr_assert(d.flip == 0 || d.flip == 1, "flip %d", d.flip);
        cr_assert_eq(d.flip, e.flip, "the same keys drew another flip");
        cr_assert_eq(d.flip, (int)(cnn_augment_bits(9, i / 50, i % 50, 4) & 1u),
                     "flip is not draw k = 4 (hd/augment.h)");
        cr_assert_eq(f.flip, 0, "a draw without flip flipped");
        cr_assert(d.dx == f.dx && d.dy == f.dy && d.angle_deg == f.angle_deg &&
                  d.factor == f.factor, "flip changed the other draws of sample %llu", i);
        flipped += d.flip;
        same_as_next_step += d.flip == cnn_augment_draw(a, 9, i / 50 + 1, i % 50).flip;
    }
    cr_assert(flipped > 1800 && flipped < 2200, "%d of 4000 samples flipped", flipped);
    cr_assert(same_as_next_step > 1800 && same_as_next_step < 2200,
              "%d of 4000 flips the same at the next step", same_as_next_step);
}

/* Flip alone: each sample is its plain gather or that gather mirrored left
 * to right, bit for bit, as its draw says; on a non-square image. */
Test(augment, flip_only_gives_the_plain_or_the_mirrored_sample)
{
    enum { N = 40, H = 9, W = 14 };
    cnn_augment a = {0, 0.0f, 0.0f, 1};
    batch_src s = random_src(N, H, W, 12);
    int y[N], ya[N], cursor = 0, mirrored = 0;
    float *plain = malloc(sizeof(float) * N * H * W);
    cpu_ops.gather(s.images, s.labels, s.index, &cursor, N, 1, H * W, NORM1, plain, y);
    float *x = gather_aug(&s, 0, N, a, 5, 17, ya);
    cr_assert_eq(memcmp(y, ya, sizeof y), 0, "labels");
    for (int i = 0; i < N; i++) {
        int flip = cnn_augment_draw(a, 5, 17, (unsigned long long)i).flip;
        mirrored += flip;
        for (int py = 0; py < H; py++)
            for (int px = 0; px < W; px++) {
                const float *got = &x[(i * H + py) * W + px];
                const float *want = &plain[(i * H + py) * W + (flip ? W - 1 - px : px)];
                cr_assert(memcmp(got, want, sizeof *got) == 0, "sample %d (flip %d), pixel "
                          "(%d, %d): %.9g, want %.9g", i, flip, py, px, *got, *want);
            }
    }
    cr_assert(mirrored > 10 && mirrored < 30, "%d of %d samples mirrored", mirrored, N);
    free(plain);
    free(x);
    free(s.images);
}

/* On C = 3 every channel of a sample moves alike: the batch equals the
 * same draw applied to each channel on its own (with that channel's
 * scaling), bit for bit, for flip with every other move. */
Test(augment, colour_channels_move_alike)
{
    enum { N = 24, C = 3, H = 11, W = 13, PLANE = H * W };
    cnn_augment a = {2, 20.0f, 0.2f, 1};
    const float norm[2 * C] = {0.011f, 0.013f, 0.017f, -0.3f, -0.5f, -0.7f};
    batch_src s = random_src(N * C, H, W, 21); /* N samples of C planes */
    s.count = N;
    for (int i = 0; i < N; i++) s.index[i] = (i * 7 + 3) % N;
    int y[N], yc[N], cursor = 2, n = N - 2;
    unsigned long long step = 6;
    float *x = malloc(sizeof(float) * C * N * PLANE);
    cpu_ops.gather_aug(s.images, s.labels, s.index, &cursor, n, C, H, W, norm, a, 8, &step, x,
                       y);
    unsigned char *planes = malloc((size_t)N * PLANE);
    float *xc = malloc(sizeof(float) * N * PLANE);
    for (int c = 0; c < C; c++) {
        for (int i = 0; i < N; i++)
            memcpy(planes + (size_t)i * PLANE, s.images + ((size_t)i * C + c) * PLANE, PLANE);
        const float norm_c[2] = {norm[c], norm[C + c]};
        cpu_ops.gather_aug(planes, s.labels, s.index, &cursor, n, 1, H, W, norm_c, a, 8, &step,
                           xc, yc);
        cr_assert_eq(memcmp(y, yc, sizeof(int) * n), 0, "labels");
        for (long p = 0; p < (long)n * PLANE; p++)
            cr_assert(memcmp(&x[(long)c * n * PLANE + p], &xc[p], sizeof(float)) == 0,
                      "channel %d, sample %ld, place %ld: %.9g vs %.9g on its own", c,
                      p / PLANE, p % PLANE, x[(long)c * n * PLANE + p], xc[p]);
    }
    free(planes);
    free(xc);
    free(x);
    free(s.images);
}

/* ---- the spec ---- */

static cnn_augment parse_ok(const char *text)
{
    cnn_augment a;
    char err[256];
    cr_assert_eq(augment_spec_parse(text, &a, err, sizeof err), 0, "\"%s\": %s", text, err);
    return a;
}

Test(augment, spec_accepted_forms_and_round_trip)
{
    static const struct { const char *text, *canonical; cnn_augment want; } ok[] = {
        {"none", "none", {0, 0, 0, 0}},
        {"shift:2", "shift:2", {2, 0, 0, 0}},
        {"shift:0", "none", {0, 0, 0, 0}},
        {"shift:8", "shift:8", {8, 0, 0, 0}},
        {"affine:10,0.1", "affine:10,0.1", {0, 10, 0.1f, 0}},
        {"affine:180,0.5", "affine:180,0.5", {0, 180, 0.5f, 0}},
        {"affine:7.5,0", "affine:7.5,0", {0, 7.5f, 0, 0}},
        {"affine:0,.05", "affine:0,0.05", {0, 0, 0.05f, 0}},
        {"shift:2,affine:10,0.1", "shift:2,affine:10,0.1", {2, 10, 0.1f, 0}},
        {"affine:10,0.1,shift:2", "shift:2,affine:10,0.1", {2, 10, 0.1f, 0}},
        {"flip", "flip", {0, 0, 0, 1}},
        {"flip,shift:1", "shift:1,flip", {1, 0, 0, 1}},
        {"affine:5,0.1,flip,shift:2", "shift:2,affine:5,0.1,flip", {2, 5, 0.1f, 1}},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        cnn_augment a = parse_ok(ok[i].text), b;
        cr_assert(a.shift == ok[i].want.shift && a.rot_deg == ok[i].want.rot_deg &&
                  a.scale == ok[i].want.scale && a.flip == ok[i].want.flip,
                  "\"%s\" parsed as %d, %g, %g, flip %d", ok[i].text, a.shift, a.rot_deg,
                  a.scale, a.flip);
        char text[128];
        augment_spec_format(a, text, sizeof text);
        cr_assert_str_eq(text, ok[i].canonical, "\"%s\"", ok[i].text);
        b = parse_ok(text);
        cr_assert(memcmp(&a, &b, sizeof a) == 0, "\"%s\" did not read back the same", text);
    }
    char d[128];
    augment_describe((cnn_augment){2, 10, 0.1f, 0}, d, sizeof d);
    cr_assert_str_eq(d, "shift 2, rotate +-10 deg, scale +-0.1");
    augment_describe((cnn_augment){0, 0, 0.25f, 0}, d, sizeof d);
    cr_assert_str_eq(d, "scale +-0.25");
    augment_describe((cnn_augment){0, 0, 0, 0}, d, sizeof d);
    cr_assert_str_eq(d, "none");
}

Test(augment, spec_refused_forms)
{
    static const struct { const char *text, *says; } bad[] = {
        {"", "expected"}, {"None", "expected"}, {"none,shift:1", "expected"},
        {"shift", "expected"}, {"shift:", "expected"}, {"shift:-1", "expected"},
        {"shift:+1", "expected"}, {"shift:1.5", "expected"}, {"shift:9", "shift 9 is out of range"},
        {"shift:100000000000", "out of range"}, {"shift:2,", "expected"}, {",shift:2", "expected"},
        {"shift:2,shift:3", "expected"}, {"shift: 2", "expected"}, {"affine:10", "expected"},
        {"affine:10,", "expected"}, {"affine:,0.1", "expected"}, {"affine:10,0.1,0.2", "expected"},
        {"affine:181,0.1", "rotation 181 is out of range"}, {"affine:10,0.6", "scale 0.6 is out"},
        {"affine:1e1,0.1", "expected"}, {"affine:nan,0.1", "expected"}, {"affine:inf,0", "expected"},
        {"affine:10,-0.1", "expected"}, {"affine:1..2,0", "expected"}, {"rotate:10", "expected"},
        {"shift:2;affine:1,0", "expected"}, {"affine:10,0.1,affine:1,0", "expected"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cnn_augment a = {5, 5, 0.5f, 0}, was = a;
        char err[256] = "";
        cr_assert_neq(augment_spec_parse(bad[i].text, &a, err, sizeof err), 0, "\"%s\" accepted",
                      bad[i].text);
        cr_assert_not_null(strstr(err, bad[i].says), "\"%s\": %s", bad[i].text, err);
        cr_assert_null(strchr(err, '\n'), "one line: %s", err);
        cr_assert(memcmp(&a, &was, sizeof a) == 0, "\"%s\" changed the result", bad[i].text);
    }
}

/* Random texts over the spec's own characters, and valid specs with one
 * character changed: each is refused with one line, or parses to values in
 * range whose canonical text reads back the same. */
Test(augment, spec_random_texts_refused_or_round_trip)
{
    static const char alphabet[] = "shiftaffinenone:,.0123456789-+e ";
    static const char *valid[] = {"shift:2,affine:10,0.1", "affine:180,0.5,shift:8", "none"};
    rng r = {99};
    int accepted = 0;
    for (int t = 0; t < 40000; t++) {
        char text[40];
        if (t % 2) {
            int len = (int)rng_below(&r, 24);
            for (int i = 0; i < len; i++) text[i] = alphabet[rng_below(&r, sizeof alphabet - 1)];
            text[len] = 0;
        } else {
            snprintf(text, sizeof text, "%s", valid[rng_below(&r, 3)]);
            text[rng_below(&r, (uint32_t)strlen(text))] = alphabet[rng_below(&r, sizeof alphabet - 1)];
        }
        cnn_augment a, b;
        char err[256] = "", canon[128];
        if (augment_spec_parse(text, &a, err, sizeof err)) {
            cr_assert(err[0] && !strchr(err, '\n'), "\"%s\": no one-line message: %s", text, err);
            continue;
        }
        accepted++;
        cr_assert(a.shift >= 0 && a.shift <= 8 && a.rot_deg >= 0 && a.rot_deg <= 180 &&
                  a.scale >= 0 && a.scale <= 0.5f, "\"%s\" gave %d, %g, %g", text, a.shift,
                  a.rot_deg, a.scale);
        augment_spec_format(a, canon, sizeof canon);
        cr_assert_eq(augment_spec_parse(canon, &b, err, sizeof err), 0, "\"%s\" -> \"%s\": %s",
                     text, canon, err);
        cr_assert(memcmp(&a, &b, sizeof a) == 0, "\"%s\" -> \"%s\" reads back otherwise", text,
                  canon);
    }
    cr_assert_gt(accepted, 1000, "only %d texts were accepted", accepted);
}

/* A preset carries an augmentation into the run; every built-in but
 * seed-cnn-99 has none. */
Test(augment, presets_carry_their_augmentation)
{
    net_preset p = *net_preset_find("seed-cnn");
    p.settings = "augment=shift:3,affine:12,0.2";
    run_config c;
    preset_config(&c, &p);
    cr_assert(c.augment.shift == 3 && c.augment.rot_deg == 12.0f && c.augment.scale == 0.2f);
    /* seed-cnn-99 alone trains on shifted digits (one pixel each way),
     * cifar-bn alone on flipped pictures */
    for (int i = 0; i < net_presets_count; i++) {
        preset_config(&c, &net_presets[i]);
        cnn_augment a = c.augment;
        if (!strcmp(net_presets[i].name, "seed-cnn-99"))
            cr_assert(a.shift == 1 && a.rot_deg == 0 && a.scale == 0 && !a.flip);
        else if (!strcmp(net_presets[i].name, "cifar-bn"))
            cr_assert(a.flip && a.shift == 0 && a.rot_deg == 0 && a.scale == 0);
        else
            cr_assert(cnn_augment_none(a), "%s", net_presets[i].name);
    }
}

/* ---- the commands ---- */

TestSuite(augment_cli, .fini = remove_temp_dir, .timeout = 120);

/* A temporary folder with n synthetic training images and 100 test ones. */
static void data_dir(char *dir, size_t len, int n)
{
    make_temp_dir("test_augment", dir, len);
    write_block_digits(dir, "train", n, 7);
    write_block_digits(dir, "t10k", 100, 8);
}

static void train(result *r, const char *dir, const char *const *args)
{
    const char *argv[64] = {"cnn", "train", "--data", dir, "--device", "cpu", "--log", "",
                            "--quiet", "--net", "conv4k5p2,relu,maxpool2,fc10,softmax"};
    int n = 11;
    for (const char *const *a = args; *a; a++) argv[n++] = *a;
    argv[n] = NULL;
    run_cnn(argv, 60, r);
}

#define A(...) ((const char *const[]){__VA_ARGS__, NULL})

Test(augment_cli, train_with_shift_says_so_and_runs)
{
    char dir[256];
    data_dir(dir, sizeof dir, 1000);
    result r;
    train(&r, dir, A("--augment", "shift:2", "--epochs", "1", "--train-limit", "1000"));
    cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    cr_assert_not_null(strstr(r.out, "  augment       shift 2\n"), "banner:\n%s", r.out);
    result_free(&r);
    train(&r, dir, A("--augment", "shift:1,affine:10,0.1", "--epochs", "1"));
    cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    cr_assert_not_null(strstr(r.out, "  augment       shift 1, rotate +-10 deg, scale +-0.1\n"),
                       "banner:\n%s", r.out);
    result_free(&r);
    train(&r, dir, A("--epochs", "1"));
    cr_assert_not_null(strstr(r.out, "  augment       none\n"), "banner:\n%s", r.out);
    result_free(&r);
}

Test(augment_cli, train_refuses_a_bad_spec_and_a_change_on_resume)
{
    char dir[256], ck[512];
    data_dir(dir, sizeof dir, 200);
    snprintf(ck, sizeof ck, "%s/a.ck", dir);
    result r;
    train(&r, dir, A("--augment", "shift:9", "--epochs", "1"));
    expect_error(&r, 2, (const char *const[]){"--augment", "shift 9 is out of range", NULL},
                 NULL);
    result_free(&r);
    train(&r, dir, A("--augment", "rotate:10", "--epochs", "1"));
    expect_error(&r, 2, (const char *const[]){"--augment", "expected none", NULL}, NULL);
    result_free(&r);
    train(&r, dir, A("--epochs", "1", "--save", ck));
    cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    result_free(&r);
    train(&r, dir, A("--resume", ck, "--epochs", "2", "--augment", "shift:1"));
    expect_error(&r, 2, (const char *const[]){"--augment cannot change a resumed run", NULL},
                 NULL);
    result_free(&r);
}

/* The augmentation is part of the run a checkpoint holds: 1 + 1 epochs give
 * the bytes of 2 (which needs checkpoint section 8 to keep it). */
Test(augment_cli, resume_with_augment_is_exact)
{
    char dir[256], a[512], b[512], c[512];
    data_dir(dir, sizeof dir, 600);
    snprintf(a, sizeof a, "%s/A.ck", dir);
    snprintf(b, sizeof b, "%s/B.ck", dir);
    snprintf(c, sizeof c, "%s/C.ck", dir);
    result r;
#define AUG_ARGS "--augment", "shift:2,affine:15,0.1", "--batch", "80", "--seed", "3"
    train(&r, dir, A(AUG_ARGS, "--epochs", "2", "--save", a));
    cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    result_free(&r);
    train(&r, dir, A(AUG_ARGS, "--epochs", "1", "--save", b));
    cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    result_free(&r);
    char why[512];
    checkpoint ck;
    cr_assert_eq(checkpoint_load(b, &ck, why, sizeof why), 0, "%s", why);
    cnn_augment got = ck.meta.cfg.augment;
    cr_assert(got.shift == 2 && got.rot_deg == 15.0f && got.scale == 0.1f,
              "the checkpoint holds augmentation %d, %g, %g", got.shift, got.rot_deg, got.scale);
    checkpoint_free(&ck);
    train(&r, dir, A("--resume", b, "--epochs", "2", "--save", c));
    cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    cr_assert_not_null(strstr(r.out, "shift 2, rotate +-15 deg, scale +-0.1"),
                       "the resumed run's banner:\n%s", r.out);
    result_free(&r);
    expect_same_file(a, c, "2 epochs against 1 + 1 with --augment");
}

Test(augment_cli, visualize_writes_the_grid)
{
    char dir[256], out[512], png[600];
    data_dir(dir, sizeof dir, 20);
    snprintf(out, sizeof out, "%s/vis", dir);
    snprintf(png, sizeof png, "%s/augment.png", out);
    result r;
    run_cnn(CNN_ARGV("visualize", "--augment", "shift:2,affine:10,0.1", "--out", out, "--data",
                     dir, "--seed", "4"), 60, &r);
    cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    result_free(&r);
    gray_image img;
    char err[600];
    cr_assert_eq(image_read_gray(png, &img, err, sizeof err), 0, "%s", err);
    /* 8 columns and 8 rows of 28x28 digits drawn 4x, 4 px apart, a 6 px margin */
    int side = 2 * 6 + 8 * 112 + 7 * 4;
    cr_assert(img.w == side && img.h == side, "%dx%d, want %dx%d", img.w, img.h, side, side);
    /* the first tile is the first training image as stored */
    unsigned char first[784];
    FILE *f = fopen(tmp_path("train-images-idx3-ubyte"), "rb");
    cr_assert_not_null(f);
    cr_assert_eq(fseek(f, 16, SEEK_SET), 0);
    cr_assert_eq(fread(first, 1, 784, f), 784);
    fclose(f);
    for (int p = 0; p < 784; p++)
        cr_assert_eq(img.px[(6 + p / 28 * 4) * side + 6 + p % 28 * 4], first[p], "pixel %d", p);
    free(img.px);
    run_cnn(CNN_ARGV("visualize", "--augment", "shift:2", "--model", "x.ck", "--out", out), 60,
            &r);
    expect_error(&r, 2, (const char *const[]){"--augment", "takes no --model", NULL}, NULL);
    result_free(&r);
    run_cnn(CNN_ARGV("visualize", "--augment", "shift:x", "--out", out), 60, &r);
    expect_error(&r, 2, (const char *const[]){"--augment", "expected", NULL}, NULL);
    result_free(&r);
}
