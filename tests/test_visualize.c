/* Pictures in and out: the PNG writer and the PNG/PGM reader (round trips,
 * every colour type, malformed files refused), the MNIST-style preparation
 * of a digit picture, and `cnn visualize` and `cnn predict` end to end on a
 * tiny net trained on synthetic data. The binary is $CNN_BIN, or build/cnn. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "cli/digit_prep.h"
#include "idx_util.h"
#include "png_io.h"
#include "run_util.h"
#include "vis_util.h"

/* ---- temporary folder of the running test, removed by .fini ---- */

static void setup_tmp(void)
{
    make_temp_dir("test_visualize", NULL, 0);
}

TestSuite(visualize, .init = setup_tmp, .fini = remove_temp_dir, .timeout = 120);

/* ---- a hand-made PNG encoder, to feed the reader every colour type ---- */

static void chunk(FILE *f, const char *type, const unsigned char *data, unsigned n)
{
    unsigned char len[4], crc[4];
    store_be32(len, n);
    fwrite(len, 1, 4, f);
    fwrite(type, 1, 4, f);
    if (n) fwrite(data, 1, n, f);
    uLong c = crc32(0L, (const Bytef *)type, 4);
    if (n) c = crc32(c, data, n);
    store_be32(crc, (unsigned)c);
    fwrite(crc, 1, 4, f);
}

/* rows: h rows of rowbytes packed sample bytes (no filter byte). plte: n_plte
 * RGB triples or NULL; trns: n_trns bytes or NULL. */
static void write_png_raw(const char *path, int w, int h, int depth, int ctype,
                          const unsigned char *rows, int rowbytes, const unsigned char *plte,
                          int n_plte, const unsigned char *trns, int n_trns)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fwrite("\x89PNG\r\n\x1a\n", 1, 8, f);
    unsigned char ihdr[13];
    store_be32(ihdr, (unsigned)w);
    store_be32(ihdr + 4, (unsigned)h);
    ihdr[8] = (unsigned char)depth;
    ihdr[9] = (unsigned char)ctype;
    ihdr[10] = ihdr[11] = ihdr[12] = 0;
    chunk(f, "IHDR", ihdr, 13);
    if (plte) chunk(f, "PLTE", plte, (unsigned)(3 * n_plte));
    if (trns) chunk(f, "tRNS", trns, (unsigned)n_trns);
    size_t raw_n = (size_t)h * (rowbytes + 1);
    unsigned char *raw = malloc(raw_n);
    for (int y = 0; y < h; y++) {
        raw[(size_t)y * (rowbytes + 1)] = 0;
        memcpy(raw + (size_t)y * (rowbytes + 1) + 1, rows + (size_t)y * rowbytes, rowbytes);
    }
    uLongf zn = compressBound(raw_n);
    unsigned char *z = malloc(zn);
    cr_assert_eq(compress(z, &zn, raw, raw_n), Z_OK);
    chunk(f, "IDAT", z, (unsigned)zn);
    chunk(f, "IEND", NULL, 0);
    cr_assert_eq(fclose(f), 0);
    free(raw);
    free(z);
}

static gray_image read_ok(const char *path)
{
    gray_image img;
    char err[600];
    cr_assert_eq(image_read_gray(path, &img, err, sizeof err), 0, "%s: %s", path, err);
    return img;
}

static void read_fails(const char *path, const char *want)
{
    gray_image img = {0};
    char err[600] = "";
    cr_assert_neq(image_read_gray(path, &img, err, sizeof err), 0, "%s was accepted", path);
    cr_assert_null(img.px);
    cr_assert_not_null(strstr(err, want), "%s: the message should contain '%s': %s", path, want,
                       err);
    cr_assert_null(strchr(err, '\n'), "one line: %s", err);
    cr_assert_not_null(strstr(err, path), "the message names the file: %s", err);
}

/* ---- PNG and PGM files ---- */

Test(visualize, png_round_trip_is_exact)
{
    const int sizes[][2] = {{1, 1}, {37, 13}, {28, 28}, {300, 2}};
    unsigned s = 7;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        int w = sizes[k][0], h = sizes[k][1];
        unsigned char *px = malloc((size_t)w * h);
        for (int i = 0; i < w * h; i++)
            px[i] = (unsigned char)((s = s * 1103515245u + 12345u) >> 16);
        px[0] = 0;
        if (w * h > 1) px[w * h - 1] = 255;
        const char *path = tmp_path("round.png");
        char err[600];
        cr_assert_eq(png_write_gray(path, px, w, h, "a test", err, sizeof err), 0, "%s", err);
        cr_assert_neq(access(tmp_path("round.png.tmp"), F_OK), 0, "the .tmp file was left");
        gray_image img = read_ok(path);
        cr_assert_eq(img.w, w);
        cr_assert_eq(img.h, h);
        cr_assert_arr_eq(img.px, px, (size_t)w * h, "pixels differ at %dx%d", w, h);
        gray_image_free(&img);
        free(px);
    }
}

Test(visualize, png_write_failures_leave_nothing)
{
    unsigned char px[4] = {1, 2, 3, 4};
    char err[600] = "";
    const char *path = tmp_path("no-such-folder/x.png");
    cr_assert_neq(png_write_gray(path, px, 2, 2, NULL, err, sizeof err), 0);
    cr_assert_not_null(strstr(err, "does not exist"), "%s", err);
    cr_assert_neq(png_write_gray(tmp_path("zero.png"), px, 0, 2, NULL, err, sizeof err), 0);
    cr_assert_neq(access(tmp_path("zero.png"), F_OK), 0);
    /* an existing file survives a failed write */
    write_file(tmp_path("keep.png"), "old", 3);
    cr_assert_neq(png_write_gray(tmp_path("keep.png"), px, 20000, 1, NULL, err, sizeof err), 0);
    size_t n;
    unsigned char *b = read_file(tmp_path("keep.png"), &n);
    cr_assert(n == 3 && !memcmp(b, "old", 3));
    free(b);
}

Test(visualize, png_every_colour_type_to_grey)
{
    /* grey 16-bit: high bytes, rounded */
    unsigned char g16[] = {0x00, 0x00, 0xff, 0xff, 0x80, 0x80, 0x12, 0x34};
    write_png_raw(tmp_path("g16.png"), 4, 1, 16, 0, g16, 8, NULL, 0, NULL, 0);
    gray_image img = read_ok(tmp_path("g16.png"));
    cr_assert(img.w == 4 && img.h == 1);
    cr_assert(img.px[0] == 0 && img.px[1] == 255 && img.px[2] == 128, "%d %d %d", img.px[0],
              img.px[1], img.px[2]);
    cr_assert(abs(img.px[3] - 0x12) <= 1, "%d", img.px[3]);
    gray_image_free(&img);

    /* grey 1-bit, 10 wide: 1 0 1 1 0 0 0 1 | 1 1 */
    unsigned char g1[] = {0xb1, 0xc0};
    write_png_raw(tmp_path("g1.png"), 10, 1, 1, 0, g1, 2, NULL, 0, NULL, 0);
    img = read_ok(tmp_path("g1.png"));
    const unsigned char want1[] = {255, 0, 255, 255, 0, 0, 0, 255, 255, 255};
    cr_assert_eq(img.w, 10);
    cr_assert_arr_eq(img.px, want1, 10);
    gray_image_free(&img);

    /* RGB 8-bit: greys stay exact; green weighs more than red, red more than blue */
    unsigned char rgb[] = {0, 0, 0, 255, 255, 255, 77, 77, 77, 200, 0, 0, 0, 200, 0, 0, 0, 200};
    write_png_raw(tmp_path("rgb.png"), 6, 1, 8, 2, rgb, 18, NULL, 0, NULL, 0);
    img = read_ok(tmp_path("rgb.png"));
    cr_assert(img.px[0] == 0 && img.px[1] == 255 && img.px[2] == 77, "%d %d %d", img.px[0],
              img.px[1], img.px[2]);
    cr_assert(img.px[4] > img.px[3] && img.px[3] > img.px[5], "r %d g %d b %d", img.px[3],
              img.px[4], img.px[5]);
    gray_image_free(&img);

    /* palette, 2 bits per index, with a fully transparent entry (onto white) */
    unsigned char plte[] = {10, 10, 10, 100, 100, 100, 250, 250, 250, 0, 0, 0};
    unsigned char trns[] = {255, 255, 255, 0};
    unsigned char pal[] = {0x1b}; /* 0 1 2 3 */
    write_png_raw(tmp_path("pal.png"), 4, 1, 2, 3, pal, 1, plte, 4, trns, 4);
    img = read_ok(tmp_path("pal.png"));
    const unsigned char wantp[] = {10, 100, 250, 255};
    cr_assert_arr_eq(img.px, wantp, 4, "%d %d %d %d", img.px[0], img.px[1], img.px[2],
                     img.px[3]);
    gray_image_free(&img);

    /* grey + alpha: opaque keeps its level, transparent is white, half between */
    unsigned char ga[] = {40, 255, 40, 0, 0, 128};
    write_png_raw(tmp_path("ga.png"), 3, 1, 8, 4, ga, 6, NULL, 0, NULL, 0);
    img = read_ok(tmp_path("ga.png"));
    cr_assert(img.px[0] == 40 && img.px[1] == 255 && abs(img.px[2] - 127) <= 1, "%d %d %d",
              img.px[0], img.px[1], img.px[2]);
    gray_image_free(&img);

    /* RGBA, 2 rows */
    unsigned char rgba[] = {9, 9, 9, 255, 1, 2, 3, 0, 30, 30, 30, 255, 60, 60, 60, 255};
    write_png_raw(tmp_path("rgba.png"), 2, 2, 8, 6, rgba, 8, NULL, 0, NULL, 0);
    img = read_ok(tmp_path("rgba.png"));
    const unsigned char wantr[] = {9, 255, 30, 60};
    cr_assert(img.w == 2 && img.h == 2);
    cr_assert_arr_eq(img.px, wantr, 4);
    gray_image_free(&img);
}

Test(visualize, pgm_p5_and_p2)
{
    /* P5 with a comment, maxval 255 */
    const char p5[] = "P5\n# made by a test\n3 2\n255\n\x00\x10\x20\x80\xfe\xff";
    write_file(tmp_path("a.pgm"), p5, sizeof p5 - 1);
    gray_image img = read_ok(tmp_path("a.pgm"));
    const unsigned char want[] = {0, 0x10, 0x20, 0x80, 0xfe, 0xff};
    cr_assert(img.w == 3 && img.h == 2);
    cr_assert_arr_eq(img.px, want, 6);
    gray_image_free(&img);

    /* P5, 16 bits big-endian, maxval 65535 */
    const char p5w[] = "P5 2 1 65535\n\x00\x00\xff\xff";
    write_file(tmp_path("w.pgm"), p5w, sizeof p5w - 1);
    img = read_ok(tmp_path("w.pgm"));
    cr_assert(img.w == 2 && img.h == 1 && img.px[0] == 0 && img.px[1] == 255);
    gray_image_free(&img);

    /* P5 at maxval 15: rescaled */
    const char p5s[] = "P5 3 1 15\n\x00\x0f\x05";
    write_file(tmp_path("s.pgm"), p5s, sizeof p5s - 1);
    img = read_ok(tmp_path("s.pgm"));
    cr_assert(img.px[0] == 0 && img.px[1] == 255 && img.px[2] == 85, "%d", img.px[2]);
    gray_image_free(&img);

    /* P2, free layout and comments, maxval 100 */
    const char p2[] = "P2\n# ascii\n4 2 # size\n100\n0 100 50\n  25\n\t1 2 3 99\n";
    write_file(tmp_path("b.pgm"), p2, sizeof p2 - 1);
    img = read_ok(tmp_path("b.pgm"));
    cr_assert(img.w == 4 && img.h == 2);
    const unsigned char want2[] = {0, 255, 128, 64, 3, 5, 8, 252};
    cr_assert_arr_eq(img.px, want2, 8, "%d %d %d %d %d %d %d %d", img.px[0], img.px[1],
                     img.px[2], img.px[3], img.px[4], img.px[5], img.px[6], img.px[7]);
    gray_image_free(&img);
}

Test(visualize, malformed_images_refused)
{
    /* PNG: cut short, damaged CRC, damaged signature, absurd size */
    unsigned char px[64 * 64];
    for (int i = 0; i < 64 * 64; i++) px[i] = (unsigned char)(i * 7);
    char err[600];
    cr_assert_eq(png_write_gray(tmp_path("good.png"), px, 64, 64, NULL, err, sizeof err), 0);
    size_t n;
    unsigned char *b = read_file(tmp_path("good.png"), &n);
    write_file(tmp_path("cut.png"), b, n / 2);
    read_fails(tmp_path("cut.png"), "truncated PNG");
    write_file(tmp_path("cut2.png"), b, n - 6);
    read_fails(tmp_path("cut2.png"), "PNG");
    b[29] ^= 0xff; /* inside IHDR's CRC */
    write_file(tmp_path("crc.png"), b, n);
    read_fails(tmp_path("crc.png"), "not a valid PNG");
    b[29] ^= 0xff;
    b[2] = 'X';
    write_file(tmp_path("sig.png"), b, n);
    read_fails(tmp_path("sig.png"), "damaged signature");
    free(b);
    unsigned char one[1] = {0};
    write_png_raw(tmp_path("huge.png"), 20000, 1, 8, 0, one, 1, NULL, 0, NULL, 0);
    read_fails(tmp_path("huge.png"), "too large");

    /* PGM */
    const struct {
        const char *name, *text, *want;
    } bad[] = {
        {"p5cut.pgm", "P5 4 4 255\n0123456789", "truncated PGM"},
        {"p5wide.pgm", "P5 4 4 65535\n0123456789abcdef", "truncated PGM"},
        {"p2cut.pgm", "P2 3 3 255\n1 2 3 4 5 6 7 8", "truncated PGM"},
        {"p2word.pgm", "P2 2 2 255\n1 2 x 4 5 6", "not a number"},
        {"p2big.pgm", "P2 2 1 10\n3 11\n", "above the maxval"},
        {"huge.pgm", "P5 20000 20000 255\n", "sides must be 1 to 16384"},
        {"zero.pgm", "P5 0 5 255\n", "sides must be 1 to 16384"},
        {"maxval.pgm", "P5 1 1 70000\n\x00\x00", "maxval 70000"},
        {"maxval0.pgm", "P2 1 1 0\n0", "maxval 0"},
        {"header.pgm", "P5 4\n", "bad P5 PGM header"},
        {"neg.pgm", "P2 -3 4 255\n", "bad P2 PGM header"},
        {"nows.pgm", "P54 4 255\n", "no whitespace"},
        {"pbm.pbm", "P4 8 1\n\x55", "bitmap PBM"},
        {"text.txt", "hello, world\n", "not a PNG, JPEG, PGM or PPM"},
        {"empty.png", "", "empty file"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(tmp_path(bad[i].name), bad[i].text, strlen(bad[i].text));
        read_fails(tmp_path(bad[i].name), bad[i].want);
    }
    read_fails(tmp_path("missing.png"), "cannot open");
    read_fails(temp_dir, "not a regular file (a folder)");
}

/* ---- MNIST-style preparation ---- */

static void com_and_box(const unsigned char *img, double *cx, double *cy, int *bw, int *bh)
{
    double m = 0, mx = 0, my = 0;
    int x0 = 28, y0 = 28, x1 = -1, y1 = -1;
    for (int y = 0; y < 28; y++)
        for (int x = 0; x < 28; x++) {
            double v = img[y * 28 + x];
            m += v;
            mx += v * x;
            my += v * y;
            if (v > 0) {
                if (x < x0) x0 = x;
                if (x > x1) x1 = x;
                if (y < y0) y0 = y;
                if (y > y1) y1 = y;
            }
        }
    cr_assert_gt(m, 0, "the result is blank");
    *cx = mx / m;
    *cy = my / m;
    *bw = x1 - x0 + 1;
    *bh = y1 - y0 + 1;
}

/* A filled ellipse of half-axes rx, ry around (ex, ey) in a w x h image. */
static gray_image ellipse(int w, int h, double ex, double ey, double rx, double ry,
                          int fg, int bg)
{
    gray_image g = {w, h, malloc((size_t)w * h)};
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double dx = (x - ex) / rx, dy = (y - ey) / ry;
            g.px[y * w + x] = (unsigned char)(dx * dx + dy * dy <= 1 ? fg : bg);
        }
    return g;
}

Test(visualize, prep_centres_and_scales_like_mnist)
{
    /* a centred blob in 56x56 */
    gray_image g = ellipse(56, 56, 27.5, 27.5, 15, 15, 255, 0);
    unsigned char out[28 * 28];
    digit_prep_info info;
    cr_assert_eq(digit_to_mnist(&g, out, &info), 0);
    double cx, cy;
    int bw, bh;
    com_and_box(out, &cx, &cy, &bw, &bh);
    cr_assert(fabs(cx - 14) <= 1 && fabs(cy - 14) <= 1, "centre of mass at %.2f,%.2f", cx, cy);
    cr_assert(abs(bw - 20) <= 1 && abs(bh - 20) <= 1, "box %dx%d", bw, bh);
    cr_assert(info.resized && !info.inverted && !info.blank);
    gray_image_free(&g);

    /* a tall, off-centre blob in a wide picture: the longer side becomes 20,
     * the aspect ratio stays, and the mass is centred */
    g = ellipse(120, 70, 30, 40, 10, 25, 200, 20);
    cr_assert_eq(digit_to_mnist(&g, out, &info), 0);
    com_and_box(out, &cx, &cy, &bw, &bh);
    cr_assert(fabs(cx - 14) <= 1 && fabs(cy - 14) <= 1, "centre of mass at %.2f,%.2f", cx, cy);
    cr_assert(abs(bh - 20) <= 1 && abs(bw - 8) <= 1, "box %dx%d, want 8x20", bw, bh);
    cr_assert_eq(info.box_h, 51, "%d", info.box_h);
    gray_image_free(&g);
}

Test(visualize, prep_inverts_dark_on_light)
{
    gray_image g = ellipse(90, 90, 45, 45, 20, 30, 10, 240);
    unsigned char out[28 * 28];
    digit_prep_info info;
    cr_assert_eq(digit_to_mnist(&g, out, &info), 0);
    cr_assert(info.inverted, "a dark blob on white was not inverted");
    cr_assert_eq(out[0], 0, "the background should be black, got %d", out[0]);
    cr_assert_eq(out[14 * 28 + 14], 255, "the blob should be white, got %d", out[14 * 28 + 14]);
    double cx, cy;
    int bw, bh;
    com_and_box(out, &cx, &cy, &bw, &bh);
    cr_assert(abs(bh - 20) <= 1, "box %dx%d", bw, bh);
    gray_image_free(&g);

    /* 28x28 is used as is (light on dark), a blank picture stays black */
    g = ellipse(28, 28, 5, 5, 3, 3, 255, 0);
    cr_assert_eq(digit_to_mnist(&g, out, &info), 0);
    cr_assert(!info.resized && !info.inverted);
    cr_assert_arr_eq(out, g.px, 28 * 28);
    gray_image_free(&g);
    g = ellipse(40, 40, 5, 5, 1, 1, 0, 0);
    cr_assert_eq(digit_to_mnist(&g, out, &info), 0);
    cr_assert(info.blank);
    for (int i = 0; i < 28 * 28; i++) cr_assert_eq(out[i], 0);
    gray_image_free(&g);
}

Test(visualize, resample_area_keeps_the_mean)
{
    float src[6 * 4], dst[4 * 3];
    double sum = 0;
    for (int i = 0; i < 24; i++) sum += src[i] = (float)(i % 7);
    cr_assert_eq(resample_area(src, 6, 4, dst, 4, 3), 0);
    double dsum = 0;
    for (int i = 0; i < 12; i++) dsum += dst[i];
    cr_assert(fabs(sum / 24 - dsum / 12) < 1e-4, "mean %g -> %g", sum / 24, dsum / 12);
    float flat[9] = {5, 5, 5, 5, 5, 5, 5, 5, 5}, up[7 * 7];
    cr_assert_eq(resample_area(flat, 3, 3, up, 7, 7), 0);
    for (int i = 0; i < 49; i++) cr_assert(fabs(up[i] - 5) < 1e-5);
}

/* ---- the binary ---- */

#define RUN_TIMEOUT_S 90

/* Runs cnn with args (NULL-terminated, args[0] ignored), capturing stdout and
 * stderr; killed after RUN_TIMEOUT_S. */
static result run(const char *const args[])
{
    result r;
    run_cnn(args, RUN_TIMEOUT_S, &r);
    return r;
}

#define RUN(...) run(CNN_ARGV(__VA_ARGS__))

/* Exit status 1 and exactly one stderr line holding want. */
static void expect_runtime_error(result r, const char *want)
{
    expect_error(&r, 1, (const char *const[]){want, NULL}, NULL);
    result_free(&r);
}

/* Synthetic image i of class c (0: a ring, 1: a vertical bar, 2: a
 * horizontal bar, 3: a cross, each in the central 20x20 box, shifted by up
 * to 2 pixels) with faint noise. */
static void synth_image(unsigned char *img, int c, unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    int dx = (int)((*s >> 16) % 5) - 2;
    *s = *s * 1103515245u + 12345u;
    int dy = (int)((*s >> 16) % 5) - 2;
    for (int y = 0; y < 28; y++)
        for (int x = 0; x < 28; x++) {
            int u = x - dx, v = y - dy, on;
            int inbox = u >= 4 && u < 24 && v >= 4 && v < 24;
            if (c == 0) on = inbox && (u < 7 || u >= 21 || v < 7 || v >= 21);
            else if (c == 1) on = inbox && u >= 12 && u < 16;
            else if (c == 2) on = inbox && v >= 12 && v < 16;
            else on = inbox && ((u >= 12 && u < 16) || (v >= 12 && v < 16));
            *s = *s * 1103515245u + 12345u;
            int noise = (int)((*s >> 16) % 30);
            img[y * 28 + x] = (unsigned char)(on ? 225 + noise : noise);
        }
}

/* Writes <temp_dir>/<prefix>-images-idx3-ubyte and -labels-idx1-ubyte: n
 * synth_image pictures of the classes 0, 1, 2 in turn, and 3 too in the
 * training set (so that the models have 4 classes, one the test set lacks);
 * keep_images and keep_labels, when not NULL, get copies. */
static void write_split(const char *prefix, int n, unsigned seed, unsigned char *keep_images,
                        unsigned char *keep_labels)
{
    unsigned s = seed;
    unsigned char *labels = malloc((size_t)n), *images = malloc((size_t)n * 28 * 28);
    cr_assert(labels && images);
    for (int i = 0; i < n; i++) {
        int classes = strcmp(prefix, "train") ? 3 : 4;
        labels[i] = (unsigned char)(i % classes);
        synth_image(images + (size_t)i * 28 * 28, i % classes, &s);
    }
    if (keep_images) memcpy(keep_images, images, (size_t)n * 28 * 28);
    if (keep_labels) memcpy(keep_labels, labels, (size_t)n);
    write_idx_split(temp_dir, prefix, n, images, labels);
    free(images);
    free(labels);
}

#define N_TEST 200
static unsigned char test_images[N_TEST * 784], test_labels[N_TEST];

/* Writes the synthetic data set into the test's folder and trains the small
 * conv net on it; the checkpoint is tmp/m.ckpt. */
static const char *train_tiny(void)
{
    write_split("train", 600, 1, NULL, NULL);
    write_split("t10k", N_TEST, 2, test_images, test_labels);
    static char ckpt[4200]; /* tmp_path's buffers are reused */
    snprintf(ckpt, sizeof ckpt, "%s", tmp_path("m.ckpt"));
    result r = RUN("train", "--net", "conv2k3p1,relu,conv3k3p1,relu,fc4,softmax", "--device",
                       "cpu", "--epochs", "3", "--batch", "20", "--data", temp_dir, "--save", ckpt,
                       "--log", "", "--quiet", "--threads", "1");
    cr_assert_eq(r.status, 0, "training failed (%d): %s\n%s", r.status, r.err, r.out);
    result_free(&r);
    return ckpt;
}

/* The title of DIR/name, checked for the words it must hold. */
static void expect_title(const char *out, const char *dir, const char *name,
                         const char *const *words, char **title)
{
    *title = vis_title_of(out, dir, name);
    for (int i = 0; words[i]; i++)
        cr_assert_not_null(strstr(*title, words[i]), "%s's title lacks \"%s\": %s", name,
                           words[i], *title);
}

/* A picture's title and layout (vis_util.h); its title's height. */
static int expect_titled(const char *out, const char *dir, const char *name, int grid_w,
                         int grid_h, int full_contrast, const char *const *words)
{
    char *title;
    expect_title(out, dir, name, words, &title);
    int h = vis_expect_picture(dir, name, 1, grid_w, grid_h, title, full_contrast);
    free(title);
    return h;
}

#define WORDS(...) ((const char *const[]){__VA_ARGS__, NULL})

Test(visualize, visualize_writes_readable_pngs)
{
    const char *ckpt = train_tiny();
    const char *out = tmp_path("vis"); /* made by visualize, one level */
    result r = RUN("visualize", "--model", ckpt, "--out", out, "--data", temp_dir,
                       "--classes", "0,1,2", "--threads", "1");
    cr_assert_eq(r.status, 0, "visualize failed (%d): %s", r.status, r.err);
    cr_assert_eq(strlen(r.err), 0, "stderr: %s", r.err);
    cr_assert_not_null(strstr(r.out, "\"conv_layers\":2"), "%s", r.out);

    /* kernels: conv1 is 2 out x 1 in of 3x3, conv2 3 out x 2 in, each kernel
     * 26x (78 px) with 4 px between, 6 px margins, a 16 px strip of column
     * numbers above and row numbers (6 px wide) at the left, under the title */
    expect_titled(r.out, out, "conv1_kernels.png", 6 + 6 + 6 + 1 * 82 - 4 + 6,
                  6 + 16 + 2 * 82 - 4 + 6, 1,
                  WORDS("layer 1 conv2k3p1 kernels", "output channels 0..1", "black -",
                        ".. white "));
    expect_titled(r.out, out, "conv2_kernels.png", 6 + 6 + 6 + 2 * 82 - 4 + 6,
                  6 + 16 + 3 * 82 - 4 + 6, 1,
                  WORDS("layer 3 conv3k3p1 kernels", "input channels 0..1"));
    int input_title_h = 0;
    for (int d = 0; d < 3; d++) {
        char name[64], who[128];
        snprintf(who, sizeof who, "test image %d, class %d, predicted %d", d, d, d);
        snprintf(name, sizeof name, "class%d_input.png", d);
        int h = expect_titled(r.out, out, name, 6 + 224 + 6, 6 + 224 + 6, 0,
                              WORDS("input 1x28x28", who, "black 0 .. white 255"));
        if (d == 1) input_title_h = h;
        /* 28x28 maps drawn 8x, one row, a number strip above */
        snprintf(name, sizeof name, "class%d_conv1_relu.png", d);
        expect_titled(r.out, out, name, 6 + 2 * 228 - 4 + 6, 6 + 16 + 224 + 6, 1,
                      WORDS("layer 1 conv2k3p1 maps after relu", who, "black 0 .. white "));
        snprintf(name, sizeof name, "class%d_conv2_relu.png", d);
        expect_titled(r.out, out, name, 6 + 3 * 228 - 4 + 6, 6 + 16 + 224 + 6, 1,
                      WORDS("layer 3 conv3k3p1 maps after relu", who));
    }
    /* the input picture is the first test image of its class, every pixel
     * 8x8, under the title */
    vis_png img = vis_read_png(out, "class1_input.png");
    for (int y = 0; y < 28; y++)
        for (int x = 0; x < 28; x++)
            for (int k = 0; k < 64; k += 7)
                cr_assert_eq(img.px[(input_title_h + 6 + y * 8 + k / 8) * img.w + 6 + x * 8 +
                                    k % 8],
                             test_images[1 * 784 + y * 28 + x]);
    vis_png_free(&img);

    /* index.md lists every file and the predictions */
    char path[4200];
    snprintf(path, sizeof path, "%s/index.md", out);
    size_t n;
    char *md = (char *)read_file(path, &n);
    const char *names[] = {"conv1_kernels.png", "conv2_kernels.png", "class0_input.png",
                           "class2_conv2_relu.png", "output channels", "input channels",
                           "| 1 | 1 | 1 |", "predicted", "inputs 1x28x28", "black 0 .. white"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        cr_assert_not_null(strstr(md, names[i]), "index.md lacks \"%s\":\n%s", names[i], md);
    free(md);
    result_free(&r);

    /* no classes given: the first 4 the test set holds (it has 0, 1, 2);
     * --digits is the old name of --classes */
    r = RUN("visualize", "--model", ckpt, "--out", out, "--data", temp_dir);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "\"samples\":[{\"class\":0,\"test_index\":0,"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "{\"class\":2,\"test_index\":2,"), "%s", r.out);
    cr_assert_null(strstr(r.out, "{\"class\":3"), "%s", r.out);
    result_free(&r);
    r = RUN("visualize", "--model", ckpt, "--out", out, "--data", temp_dir, "--digits", "2");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "\"samples\":[{\"class\":2,"), "%s", r.out);
    result_free(&r);
    /* a class asked for that the test set lacks */
    expect_runtime_error(RUN("visualize", "--model", ckpt, "--out", out, "--data", temp_dir,
                             "--classes", "1,3"),
                         "no test image is of class 3");
    /* --out whose parent is missing */
    expect_runtime_error(RUN("visualize", "--model", ckpt, "--out", tmp_path("a/b"), "--data",
                             temp_dir, "--classes", "0"),
                         "cannot create the folder");
}

Test(visualize, visualize_without_convs)
{
    write_split("train", 60, 1, NULL, NULL);
    write_split("t10k", 30, 2, test_images, test_labels);
    const char *ckpt = tmp_path("fc.ckpt");
    result r = RUN("train", "--net", "fc8,relu,fc4,softmax", "--device", "cpu", "--epochs",
                       "1", "--batch", "10", "--data", temp_dir, "--save", ckpt, "--log", "",
                       "--quiet");
    cr_assert_eq(r.status, 0, "%s", r.err);
    result_free(&r);
    const char *out = tmp_path("vis");
    r = RUN("visualize", "--model", ckpt, "--out", out, "--data", temp_dir, "--classes", "2");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "no conv layers"), "%s", r.out);
    expect_titled(r.out, out, "class2_input.png", 236, 236, 0,
                  WORDS("input 1x28x28: test image 2, class 2, predicted"));
    result_free(&r);
    cr_assert_neq(access(tmp_path("vis/conv1_kernels.png"), F_OK), 0);
    cr_assert_eq(access(tmp_path("vis/index.md"), F_OK), 0);
}

/* The value of "predicted" in a JSON line. */
static int json_predicted(const char *line)
{
    const char *p = strstr(line, "\"predicted\":");
    cr_assert_not_null(p, "no \"predicted\" in %s", line);
    return atoi(p + strlen("\"predicted\":"));
}

Test(visualize, predict_classifies_test_pngs)
{
    const char *ckpt = train_tiny();
    enum { N = 24 };
    const char *args[N + 7] = {"cnn", "predict", "--model", ckpt, "--threads", "1"};
    static char names[N][4200];
    char err[600];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "%s/test%d.png", temp_dir, i);
        cr_assert_eq(png_write_gray(names[i], test_images + i * 784, 28, 28, NULL, err,
                                    sizeof err), 0, "%s", err);
        args[6 + i] = names[i];
    }
    args[6 + N] = NULL;
    result r = run(args);
    cr_assert_eq(r.status, 0, "predict failed (%d): %s", r.status, r.err);
    cr_assert_eq(strlen(r.err), 0, "stderr: %s", r.err);
    /* the last N lines are the JSON lines, in order */
    int right = 0, seen = 0;
    for (char *line = strstr(r.out, "{\"image\":"); line; line = strstr(line + 1, "{\"image\":")) {
        cr_assert_lt(seen, N);
        char want[4300];
        snprintf(want, sizeof want, "{\"image\":\"%.4200s\",", names[seen]);
        cr_assert_eq(strncmp(line, want, strlen(want)), 0, "line %d: %.200s", seen, line);
        cr_assert_not_null(strstr(line, "\"probabilities\":["));
        right += json_predicted(line) == test_labels[seen];
        seen++;
    }
    cr_assert_eq(seen, N, "%d JSON lines, want %d:\n%s", seen, N, r.out);
    cr_assert_geq(right, N - 2, "only %d of %d test pictures classified right:\n%s", right, N,
                  r.out);
    result_free(&r);

    /* one image, as a PGM, and the same digit drawn 3x larger, dark on
     * light, off-centre in a bigger PNG: prepared like MNIST, it is still
     * recognised */
    for (int i = 0; i < 3; i++) {
        const unsigned char *src = test_images + i * 784;
        int W = 130, H = 110;
        unsigned char *big = malloc((size_t)W * H);
        memset(big, 250, (size_t)W * H);
        for (int y = 0; y < 84; y++)
            for (int x = 0; x < 84; x++)
                big[(y + 20) * W + x + 35] = (unsigned char)(255 - src[(y / 3) * 28 + x / 3]);
        cr_assert_eq(png_write_gray(tmp_path("big.png"), big, W, H, NULL, err, sizeof err), 0);
        free(big);
        r = RUN("predict", "--model", ckpt, tmp_path("big.png"));
        cr_assert_eq(r.status, 0, "%s", r.err);
        cr_assert_not_null(strstr(r.out, "inverted"), "%s", r.out);
        char *last = strrchr(r.out, '{');
        cr_assert_eq(json_predicted(last), test_labels[i], "big picture of a %d:\n%s",
                     test_labels[i], r.out);
        result_free(&r);

        char pgm[64 + 784];
        int hl = snprintf(pgm, 64, "P5\n28 28\n255\n");
        memcpy(pgm + hl, src, 784);
        write_file(tmp_path("d.pgm"), pgm, (size_t)hl + 784);
        r = RUN("predict", tmp_path("d.pgm"), "--model", ckpt);
        cr_assert_eq(r.status, 0, "%s", r.err);
        last = strrchr(r.out, '{');
        cr_assert_eq(json_predicted(last), test_labels[i], "%s", r.out);
        result_free(&r);
    }
}

Test(visualize, command_errors)
{
    const char *ckpt = train_tiny();
    char err[600];
    cr_assert_eq(png_write_gray(tmp_path("ok.png"), test_images, 28, 28, NULL, err, sizeof err),
                 0);
    write_file(tmp_path("notes.txt"), "not a picture\n", 14);

    expect_runtime_error(RUN("predict", "--model", tmp_path("nope.ckpt"), tmp_path("ok.png")),
                         "nope.ckpt");
    expect_runtime_error(RUN("predict", "--model", ckpt, tmp_path("missing.png")),
                         "missing.png: cannot open");
    expect_runtime_error(RUN("predict", "--model", ckpt, tmp_path("notes.txt")),
                         "not a PNG, JPEG, PGM or PPM picture");
    /* the second picture is bad: the first is still classified, exit 1 */
    result r = RUN("predict", "--model", ckpt, tmp_path("ok.png"), tmp_path("notes.txt"));
    cr_assert_not_null(strstr(r.out, "\"predicted\":"), "%s", r.out);
    expect_runtime_error(r, "notes.txt");
    /* a file that is no checkpoint */
    expect_runtime_error(RUN("predict", "--model", tmp_path("ok.png"), tmp_path("ok.png")),
                         "ok.png");
    expect_runtime_error(RUN("visualize", "--model", tmp_path("nope.ckpt"), "--out",
                             tmp_path("v"), "--data", temp_dir),
                         "nope.ckpt");
    write_file(tmp_path("file"), "x", 1);
    expect_runtime_error(RUN("visualize", "--model", ckpt, "--out", tmp_path("file"), "--data",
                             temp_dir, "--classes", "0"),
                         "not a folder");

    /* usage errors: exit 2, one line that says what is wrong */
    const struct {
        const char *const *args, *want;
    } usage[] = {
        {(const char *const[]){"cnn", "predict", "--model", ckpt, NULL}, "predict"},
        {(const char *const[]){"cnn", "predict", tmp_path("ok.png"), NULL}, "--model"},
        {(const char *const[]){"cnn", "predict", "--model", ckpt, "--bogus", "1", NULL},
         "--bogus"},
        {(const char *const[]){"cnn", "visualize", "--model", ckpt, NULL}, "--out"},
        {(const char *const[]){"cnn", "visualize", "--out", temp_dir, NULL}, "--model"},
        {(const char *const[]){"cnn", "visualize", "--model", ckpt, "--out", temp_dir,
                               "--digits", "1,x", NULL},
         "--digits: \"x\" in \"1,x\" is no class number, and the model names no classes: "
         "give numbers 0 to 3"},
        {(const char *const[]){"cnn", "visualize", "--model", ckpt, "--out", temp_dir,
                               "--classes", "1,1", NULL},
         "--classes: class 1 is given twice in \"1,1\""},
        {(const char *const[]){"cnn", "visualize", "--model", ckpt, "--out", temp_dir,
                               "--digits", "12", NULL},
         "--digits: class 12 is not one of the model's 4 (0 to 3)"},
        {(const char *const[]){"cnn", "visualize", "--model", ckpt, "--out", temp_dir,
                               "--classes", "1,,2", NULL},
         "--classes: expected class numbers or names separated by commas"},
        {(const char *const[]){"cnn", "visualize", "--model", ckpt, "--out", temp_dir,
                               "--classes", "1,", NULL},
         "got \"1,\""},
        {(const char *const[]){"cnn", "visualize", "--model", ckpt, "--out", temp_dir,
                               "--classes", "1", "--digits", "2", NULL},
         "--classes and --digits are the same flag"},
    };
    for (size_t i = 0; i < sizeof usage / sizeof usage[0]; i++) {
        r = run(usage[i].args);
        cr_assert_eq(r.status, 2, "case %zu: exit %d; stderr: %s", i, r.status, r.err);
        cr_assert(strlen(r.err) > 0 && strchr(r.err, '\n') == r.err + strlen(r.err) - 1,
                  "case %zu: one stderr line: %s", i, r.err);
        cr_assert_not_null(strstr(r.err, usage[i].want), "case %zu: want \"%s\" in: %s", i,
                           usage[i].want, r.err);
        result_free(&r);
    }
    /* --help lists the flags */
    r = RUN("visualize", "--help");
    cr_assert_eq(r.status, 0);
    cr_assert_not_null(strstr(r.out, "--classes"));
    cr_assert_not_null(strstr(r.out, "--digits"));
    cr_assert_not_null(strstr(r.out, "cat,dog"));
    result_free(&r);
    r = RUN("predict", "--help");
    cr_assert_eq(r.status, 0);
    cr_assert_not_null(strstr(r.out, "--model"));
    result_free(&r);
}
