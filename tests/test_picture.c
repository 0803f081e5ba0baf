/* Pictures (include/picture.h): PNG, JPEG, PGM and PPM read in grey and
 * colour, damaged and truncated files of each kind refused with one line
 * naming the file, and the one rule that makes a picture a net's input,
 * checked to the byte on tiny pictures. The test pictures are written with
 * libpng and libjpeg (picture_util.c). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "picture.h"
#include "picture_util.h"
#include "run_util.h"

static void setup_tmp(void)
{
    make_temp_dir("test_picture", NULL, 0);
}

TestSuite(picture, .init = setup_tmp, .fini = remove_temp_dir, .timeout = 60);

static picture read_ok(const char *path)
{
    picture p;
    char err[600];
    cr_assert_eq(picture_read(path, &p, err, sizeof err), 0, "%s: %s", path, err);
    cr_assert_not_null(p.px);
    return p;
}

static void read_fails(const char *path, const char *want)
{
    picture p = {1, 1, 1, NULL};
    char err[600] = "";
    cr_assert_neq(picture_read(path, &p, err, sizeof err), 0, "%s was accepted", path);
    cr_assert_null(p.px, "%s: a refused picture holds nothing", path);
    cr_assert_not_null(strstr(err, want), "%s: the message should contain '%s': %s", path, want,
                       err);
    cr_assert_null(strchr(err, '\n'), "one line: %s", err);
    cr_assert_not_null(strstr(err, path), "the message names the file: %s", err);
}

/* The largest difference between n bytes of a and b. */
static int max_diff(const unsigned char *a, const unsigned char *b, size_t n)
{
    int m = 0;
    for (size_t i = 0; i < n; i++) {
        int d = abs((int)a[i] - (int)b[i]);
        if (d > m) m = d;
    }
    return m;
}

/* w x h x c bytes that change slowly (JPEG keeps them within a level or two). */
static unsigned char *smooth_pixels(int w, int h, int c)
{
    unsigned char *px = malloc((size_t)w * h * c);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int k = 0; k < c; k++)
                px[((size_t)y * w + x) * c + k] = (unsigned char)(40 + 3 * x + 2 * y + 50 * k);
    return px;
}

/* ---- PNG ---- */

Test(picture, png_grey_and_colour_read_exactly)
{
    const int c_of[] = {1, 3};
    for (int k = 0; k < 2; k++) {
        int c = c_of[k], w = 7, h = 5;
        unsigned char *px = test_pixels(w, h, c, 11u + k);
        write_png(tmp_path("a.png"), w, h, c, 8, px);
        picture p = read_ok(tmp_path("a.png"));
        cr_assert(p.w == w && p.h == h && p.c == c, "%dx%dx%d", p.w, p.h, p.c);
        cr_assert_arr_eq(p.px, px, (size_t)w * h * c, "channels %d", c);
        picture_free(&p);
        cr_assert_null(p.px);
        free(px);
    }
}

Test(picture, png_alpha_composited_onto_white)
{
    /* RGBA: opaque kept, transparent white, half-transparent half-way */
    const unsigned char rgba[] = {10, 20, 30, 255, 10, 20, 30, 0, 0, 100, 200, 128};
    write_png(tmp_path("rgba.png"), 3, 1, 4, 8, rgba);
    picture p = read_ok(tmp_path("rgba.png"));
    /* (v a + 255 (255 - a) + 127) / 255 */
    const unsigned char want[] = {10, 20, 30, 255, 255, 255, 127, 177, 227};
    cr_assert_eq(p.c, 3);
    cr_assert_arr_eq(p.px, want, 9, "%d %d %d", p.px[6], p.px[7], p.px[8]);
    picture_free(&p);

    const unsigned char ga[] = {40, 255, 40, 0, 0, 128};
    write_png(tmp_path("ga.png"), 3, 1, 2, 8, ga);
    p = read_ok(tmp_path("ga.png"));
    const unsigned char want_g[] = {40, 255, 127};
    cr_assert_eq(p.c, 1, "grey with alpha stays grey");
    cr_assert_arr_eq(p.px, want_g, 3);
    picture_free(&p);
}

Test(picture, png_16_bits_rounded_to_8)
{
    /* big-endian samples: v * 257 is exactly level v; 0x8000 rounds up */
    const unsigned char rgb16[] = {0x00, 0x00, 0xff, 0xff, 0x80, 0x80,
                                   0x12, 0x12, 0x80, 0x00, 0x7f, 0x7f};
    write_png(tmp_path("w.png"), 2, 1, 3, 16, rgb16);
    picture p = read_ok(tmp_path("w.png"));
    const unsigned char want[] = {0, 255, 128, 0x12, 128, 0x7f};
    cr_assert_eq(p.c, 3);
    cr_assert_arr_eq(p.px, want, 6, "%d %d %d %d %d %d", p.px[0], p.px[1], p.px[2], p.px[3],
                     p.px[4], p.px[5]);
    picture_free(&p);
}

Test(picture, png_damaged_refused)
{
    unsigned char *px = test_pixels(40, 30, 3, 5);
    write_png(tmp_path("good.png"), 40, 30, 3, 8, px);
    free(px);
    size_t n;
    unsigned char *b = read_file(tmp_path("good.png"), &n);
    write_file(tmp_path("cut.png"), b, n / 2);
    read_fails(tmp_path("cut.png"), "truncated PNG");
    write_file(tmp_path("sig.png"), b, 5);
    read_fails(tmp_path("sig.png"), "damaged signature");
    b[n / 2] ^= 0x55; /* inside IDAT: its CRC no longer matches */
    write_file(tmp_path("crc.png"), b, n);
    read_fails(tmp_path("crc.png"), "not a valid PNG");
    free(b);
}

/* ---- JPEG ---- */

Test(picture, jpeg_grey_and_colour)
{
    const int c_of[] = {1, 3};
    for (int k = 0; k < 2; k++) {
        for (int progressive = 0; progressive < 2; progressive++) {
            int c = c_of[k], w = 24, h = 16;
            unsigned char *px = smooth_pixels(w, h, c);
            write_jpeg(tmp_path("a.jpg"), w, h, c, px, 100, progressive);
            picture p = read_ok(tmp_path("a.jpg"));
            cr_assert(p.w == w && p.h == h && p.c == c, "%dx%dx%d", p.w, p.h, p.c);
            int d = max_diff(p.px, px, (size_t)w * h * c);
            cr_assert_leq(d, 3, "channels %d, progressive %d: off by %d", c, progressive, d);
            picture_free(&p);
            free(px);
        }
    }
}

Test(picture, jpeg_cmyk_to_rgb)
{
    /* Adobe's inverted inks: (255, 255, 255, 255) is white, K 0 is black,
     * C 0 is full cyan (no red) */
    unsigned char cmyk[16 * 16 * 4];
    for (int i = 0; i < 16 * 16; i++) {
        unsigned char *q = cmyk + 4 * i;
        int x = i % 16;
        q[0] = x < 8 ? 255 : 0;
        q[1] = q[2] = q[3] = 255;
    }
    write_jpeg(tmp_path("cmyk.jpg"), 16, 16, 4, cmyk, 100, 0);
    picture p = read_ok(tmp_path("cmyk.jpg"));
    cr_assert_eq(p.c, 3);
    const unsigned char *white = p.px + (8 * 16 + 2) * 3, *cyan = p.px + (8 * 16 + 13) * 3;
    cr_assert(white[0] > 245 && white[1] > 245 && white[2] > 245, "%d %d %d", white[0],
              white[1], white[2]);
    cr_assert(cyan[0] < 10 && cyan[1] > 245 && cyan[2] > 245, "%d %d %d", cyan[0], cyan[1],
              cyan[2]);
    picture_free(&p);
}

/* The offset of the first marker 0xff, m in b (n bytes), after the SOI. */
static size_t find_marker(const unsigned char *b, size_t n, unsigned char m)
{
    for (size_t i = 2; i + 1 < n; i++)
        if (b[i] == 0xff && b[i + 1] == m) return i;
    cr_assert_fail("no marker 0xff%02x", m);
    return 0;
}

Test(picture, jpeg_damaged_refused)
{
    unsigned char *px = smooth_pixels(64, 48, 3);
    write_jpeg(tmp_path("good.jpg"), 64, 48, 3, px, 90, 0);
    free(px);
    size_t n;
    unsigned char *b = read_file(tmp_path("good.jpg"), &n);
    size_t sos = find_marker(b, n, 0xda), sof = find_marker(b, n, 0xc0);

    write_file(tmp_path("cut.jpg"), b, sos + (n - sos) / 2); /* cut inside the scan */
    read_fails(tmp_path("cut.jpg"), "truncated JPEG");
    write_file(tmp_path("noeoi.jpg"), b, n - 2); /* all but the end marker */
    read_fails(tmp_path("noeoi.jpg"), "truncated JPEG");
    write_file(tmp_path("head.jpg"), b, sof + 4); /* cut in the frame header */
    read_fails(tmp_path("head.jpg"), "JPEG");

    unsigned char *d = malloc(n);
    memcpy(d, b, n);
    size_t mid = sos + (n - sos) / 2; /* an end marker inside the scan's data */
    d[mid] = 0xff;
    d[mid + 1] = 0xd9;
    write_file(tmp_path("marker.jpg"), d, n);
    read_fails(tmp_path("marker.jpg"), "damaged JPEG");

    memcpy(d, b, n);
    d[sof + 4] = 12; /* precision: 12 bits, which this libjpeg does not take */
    write_file(tmp_path("prec.jpg"), d, n);
    read_fails(tmp_path("prec.jpg"), "damaged JPEG");

    memcpy(d, b, n);
    d[sof + 5] = d[sof + 6] = 0; /* height 0 */
    write_file(tmp_path("zero.jpg"), d, n);
    read_fails(tmp_path("zero.jpg"), "damaged JPEG");

    memcpy(d, b, n);
    d[sof + 7] = 0x4e; /* width 20000: refused from the header */
    d[sof + 8] = 0x20;
    write_file(tmp_path("huge.jpg"), d, n);
    read_fails(tmp_path("huge.jpg"), "JPEG too large: 20000x48");
    free(d);
    free(b);
}

/* A grey 8x8 progressive JPEG of 1 + 63 x 11 valid scans: each AC
 * coefficient on its own, first with its low 10 bits dropped (libjpeg's
 * most), then refined one bit at a time. */
static void write_many_scans(const char *path)
{
    static jpeg_scan_info scans[1 + 63 * 11];
    int n = 0;
    scans[n++] = (jpeg_scan_info){1, {0}, 0, 0, 0, 0};
    for (int k = 1; k <= 63; k++) {
        scans[n++] = (jpeg_scan_info){1, {0}, k, k, 0, 10};
        for (int al = 9; al >= 0; al--) scans[n++] = (jpeg_scan_info){1, {0}, k, k, al + 1, al};
    }
    unsigned char px[64];
    for (int i = 0; i < 64; i++) px[i] = (unsigned char)(i * 4);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    struct jpeg_compress_struct j;
    struct jpeg_error_mgr e;
    j.err = jpeg_std_error(&e);
    jpeg_create_compress(&j);
    jpeg_stdio_dest(&j, f);
    j.image_width = j.image_height = 8;
    j.input_components = 1;
    j.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&j);
    j.scan_info = scans;
    j.num_scans = n;
    jpeg_start_compress(&j, TRUE);
    for (int y = 0; y < 8; y++) {
        JSAMPROW row = px + 8 * y;
        jpeg_write_scanlines(&j, &row, 1);
    }
    jpeg_finish_compress(&j);
    jpeg_destroy_compress(&j);
    cr_assert_eq(fclose(f), 0);
}

/* A crafted progressive JPEG can make the decoder loop for minutes over
 * thousands of scans: more than 500 are refused. */
Test(picture, jpeg_too_many_scans_refused)
{
    write_many_scans(tmp_path("scans.jpg"));
    read_fails(tmp_path("scans.jpg"), "more than 500 progressive scans");
}

/* ---- PGM and PPM ---- */

Test(picture, pnm_grey_and_colour)
{
    const char p6[] = "P6\n# a comment\n2 1\n255\n\x01\x02\x03\xfd\xfe\xff";
    write_file(tmp_path("a.ppm"), p6, sizeof p6 - 1);
    picture p = read_ok(tmp_path("a.ppm"));
    const unsigned char want6[] = {1, 2, 3, 0xfd, 0xfe, 0xff};
    cr_assert(p.w == 2 && p.h == 1 && p.c == 3);
    cr_assert_arr_eq(p.px, want6, 6);
    picture_free(&p);

    const char p3[] = "P3 2 1 100\n0 50 100\n 25 75 1\n";
    write_file(tmp_path("b.ppm"), p3, sizeof p3 - 1);
    p = read_ok(tmp_path("b.ppm"));
    const unsigned char want3[] = {0, 128, 255, 64, 191, 3};
    cr_assert(p.c == 3 && p.w == 2);
    cr_assert_arr_eq(p.px, want3, 6, "%d %d %d %d %d %d", p.px[0], p.px[1], p.px[2], p.px[3],
                     p.px[4], p.px[5]);
    picture_free(&p);

    const char p6w[] = "P6 1 1 65535\n\x00\x00\xff\xff\x80\x80";
    write_file(tmp_path("w.ppm"), p6w, sizeof p6w - 1);
    p = read_ok(tmp_path("w.ppm"));
    cr_assert(p.c == 3 && p.px[0] == 0 && p.px[1] == 255 && p.px[2] == 128);
    picture_free(&p);

    const char p5[] = "P5 3 1 255\n\x00\x80\xff";
    write_file(tmp_path("c.pgm"), p5, sizeof p5 - 1);
    p = read_ok(tmp_path("c.pgm"));
    cr_assert(p.c == 1 && p.w == 3 && p.px[1] == 0x80);
    picture_free(&p);
}

Test(picture, pnm_damaged_refused)
{
    const struct {
        const char *name, *text, *want;
    } bad[] = {
        {"cut.ppm", "P6 2 2 255\n0123456789", "truncated PPM"},
        {"cutw.ppm", "P6 1 1 65535\n0123", "truncated PPM"},
        {"cut3.ppm", "P3 1 1 255\n1 2", "truncated PPM"},
        {"word.ppm", "P3 1 1 255\n1 x 3", "bad P3 PPM: value 2 is not a number"},
        {"big.ppm", "P3 1 1 10\n1 2 11", "above the maxval"},
        {"head.ppm", "P6 4\n", "bad P6 PPM header"},
        {"huge.ppm", "P6 1 20000 255\n", "sides must be 1 to 16384"},
        {"cut.pgm", "P5 4 4 255\n0123", "truncated PGM"},
        {"pbm.pbm", "P4 8 1\n\x55", "bitmap PBM (P4)"},
        {"pam.pam", "P7\nWIDTH 1\n", "PAM (P7)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(tmp_path(bad[i].name), bad[i].text, strlen(bad[i].text));
        read_fails(tmp_path(bad[i].name), bad[i].want);
    }
}

Test(picture, other_files_refused_by_what_they_are)
{
    const struct {
        const char *name, *text;
        size_t len;
        const char *want;
    } bad[] = {
        {"a.gif", "GIF89a\x01\x00\x01\x00", 10, "a GIF picture"},
        {"a.bmp", "BM\x10\x00\x00\x00", 6, "a BMP picture"},
        {"a.tif", "II*\x00\x08\x00\x00\x00", 8, "a TIFF picture"},
        {"a.webp", "RIFF\x10\x00\x00\x00WEBPVP8 ", 16, "a WebP picture"},
        {"a.png.gz", "\x1f\x8b\x08\x00\x00\x00", 6, "looks gzipped"},
        {"a.txt", "hello, world\n", 13, "not a PNG, JPEG, PGM or PPM picture"},
        {"e.png", "", 0, "empty file"},
        {"one.jpg", "\xff", 1, "not a PNG, JPEG"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(tmp_path(bad[i].name), bad[i].text, bad[i].len);
        read_fails(tmp_path(bad[i].name), bad[i].want);
    }
    read_fails(tmp_path("missing.png"), "cannot open");
    read_fails(temp_dir, "not a regular file (a folder)");
}

/* ---- the conversion rule ---- */

/* Converts p and compares the result with want (c x h x w bytes). */
static void converts_to(const picture *p, int c, int h, int w, const unsigned char *want)
{
    unsigned char out[64];
    memset(out, 0xaa, sizeof out);
    cr_assert_eq(picture_to_input(p, c, h, w, out), 0);
    size_t n = (size_t)c * h * w;
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(out[i], want[i], "%dx%dx%d from %dx%dx%d: byte %zu is %d, not %d", c, h, w,
                     p->c, p->h, p->w, i, out[i], want[i]);
    cr_assert_eq(out[n], 0xaa, "wrote past c x h x w bytes");
}

Test(picture, conversion_same_size_is_channel_first)
{
    unsigned char rgb[] = {1, 2, 3, 4, 5, 6}; /* two pixels, interleaved */
    picture p = {2, 1, 3, rgb};
    converts_to(&p, 3, 1, 2, (const unsigned char[]){1, 4, 2, 5, 3, 6});
    unsigned char grey[] = {9, 200};
    picture g = {2, 1, 1, grey};
    converts_to(&g, 1, 1, 2, grey);
    converts_to(&g, 3, 1, 2, (const unsigned char[]){9, 200, 9, 200, 9, 200}); /* replicated */
}

Test(picture, conversion_luma)
{
    /* (299 R + 587 G + 114 B + 500) / 1000; the last two sit on either side
     * of a rounding step, so a weight one off in any channel changes them */
    unsigned char rgb[] = {200, 100, 50, 255, 255, 255, 0, 0, 0,  255, 0, 0,
                           0,   255, 0,  0,   0,   255, 1, 15, 214, 1,   8, 136};
    picture p = {8, 1, 3, rgb};
    converts_to(&p, 1, 1, 8, (const unsigned char[]){124, 255, 0, 76, 150, 29, 34, 20});
}

Test(picture, conversion_area_averaging)
{
    /* 4x2 to 2x1: each output the mean of a 2x2 block */
    unsigned char g[] = {10, 20, 100, 101, 30, 40, 103, 104};
    picture p = {4, 2, 1, g};
    converts_to(&p, 1, 1, 2, (const unsigned char[]){25, 102}); /* 102.0 */
    /* 2x1 to 3x1: the middle output covers half of each input */
    unsigned char two[] = {0, 90};
    picture q = {2, 1, 1, two};
    converts_to(&q, 1, 1, 3, (const unsigned char[]){0, 45, 90});
    /* 3x1 to 2x1: output 0 covers input 0 and half of input 1 */
    unsigned char three[] = {30, 60, 120};
    picture r = {3, 1, 1, three};
    converts_to(&r, 1, 1, 2, (const unsigned char[]){40, 100});
    /* 1x1 to 2x3: the level everywhere, in every channel asked for */
    unsigned char one[] = {77};
    picture s = {1, 1, 1, one};
    converts_to(&s, 3, 3, 2, (const unsigned char[]){77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77,
                                                     77, 77, 77, 77, 77, 77, 77});
    /* the aspect ratio is not kept: 4x1 to 1x2 (columns averaged, rows repeated) */
    unsigned char row[] = {0, 40, 80, 120};
    picture t = {4, 1, 1, row};
    converts_to(&t, 1, 2, 1, (const unsigned char[]){60, 60});
}

Test(picture, conversion_luma_then_size)
{
    /* colour 2x2 to grey 1x1: luma per pixel (124, 255, 0, 76), then the mean */
    unsigned char rgb[] = {200, 100, 50, 255, 255, 255, 0, 0, 0, 255, 0, 0};
    picture p = {2, 2, 3, rgb};
    converts_to(&p, 1, 1, 1, (const unsigned char[]){114}); /* 455 / 4 = 113.75 */
    /* colour 2x1 to colour 1x1: each channel averaged on its own */
    unsigned char two[] = {10, 20, 30, 50, 60, 71};
    picture q = {2, 1, 3, two};
    converts_to(&q, 3, 1, 1, (const unsigned char[]){30, 40, 51}); /* 50.5 rounds up */
}

Test(picture, conversion_refuses_bad_arguments)
{
    unsigned char g[] = {1, 2, 3, 4}, out[16];
    picture p = {2, 2, 1, g};
    cr_assert_neq(picture_to_input(&p, 2, 2, 2, out), 0);
    cr_assert_neq(picture_to_input(&p, 1, 0, 2, out), 0);
    picture none = {2, 2, 1, NULL};
    cr_assert_neq(picture_to_input(&none, 1, 2, 2, out), 0);
}

/* image_read_gray, the grey view, takes the new formats by the same rule. */
Test(picture, image_read_gray_takes_colour_and_jpeg)
{
    unsigned char rgb[] = {200, 100, 50, 0, 0, 255};
    write_png(tmp_path("c.png"), 2, 1, 3, 8, rgb);
    gray_image g;
    char err[600];
    cr_assert_eq(image_read_gray(tmp_path("c.png"), &g, err, sizeof err), 0, "%s", err);
    cr_assert(g.w == 2 && g.h == 1 && g.px[0] == 124 && g.px[1] == 29, "%d %d", g.px[0],
              g.px[1]);
    gray_image_free(&g);
    unsigned char *px = smooth_pixels(16, 8, 3);
    write_jpeg(tmp_path("c.jpg"), 16, 8, 3, px, 100, 0);
    cr_assert_eq(image_read_gray(tmp_path("c.jpg"), &g, err, sizeof err), 0, "%s", err);
    cr_assert(g.w == 16 && g.h == 8);
    const unsigned char *q = px + (3 * 16 + 5) * 3;
    int luma = (299 * q[0] + 587 * q[1] + 114 * q[2] + 500) / 1000;
    cr_assert_leq(abs(g.px[3 * 16 + 5] - luma), 3, "%d, not about %d", g.px[3 * 16 + 5], luma);
    gray_image_free(&g);
    free(px);
}
