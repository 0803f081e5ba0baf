/* visualize's drawing (the font, a grid's value range, colour tiles), and
 * `cnn visualize`, `visualize --augment` and `cnn summary` on a colour
 * model: a tiny net trained on a synthetic CIFAR-10 folder with named
 * classes. The binary is $CNN_BIN, or build/cnn. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/vis_draw.h"
#include "run_util.h"
#include "vis_util.h"

static void setup_tmp(void) { make_temp_dir("test_visualize_colour", NULL, 0); }

TestSuite(vis_colour, .init = setup_tmp, .fini = remove_temp_dir, .timeout = 120);

/* ---- drawing ---- */

Test(vis_colour, font_draws_its_glyphs_and_covers_the_titles)
{
    unsigned char px[40 * 14];
    canvas cv = {40, 14, 1, px};
    memset(px, VIS_BACKGROUND, sizeof px);
    draw_text(&cv, 1, 2, "L7");
    /* L: its left column, then its bottom row; 7: its top row, then its right column */
    for (int r = 0; r < 10; r++) {
        cr_assert_eq(px[(2 + r) * 40 + 1], 255, "L's column, row %d", r);
        cr_assert_eq(px[(2 + r) * 40 + 2], 255, "L's column is 2 px wide, row %d", r);
        cr_assert_eq(px[(2 + r) * 40 + 3], r < 8 ? VIS_BACKGROUND : 255, "L, row %d", r);
        cr_assert_eq(px[(2 + r) * 40 + 9 + 4], 255, "7's right column, row %d", r);
        cr_assert_eq(px[(2 + r) * 40 + 9], r < 2 ? 255 : VIS_BACKGROUND, "7, row %d", r);
    }
    for (int x = 0; x < 40; x++) cr_assert_eq(px[x], VIS_BACKGROUND, "row 0 is above the text");
    cr_assert_eq(text_width("L7"), 2 * 8 - 2);
    cr_assert_eq(text_width(""), 0);
    /* every character visualize's titles and common class names use */
    const char *used = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                       " .,:;-+()[]/=_'\"%<>!*#&?";
    for (const char *p = used; *p; p++) cr_assert(font_has(*p), "no glyph for '%c'", *p);
    cr_assert(!font_has('\x01') && !font_has((char)0xc3), "unknown bytes are drawn as '?'");
    /* clipped at the edges, not written past them */
    draw_text(&cv, 36, 10, "WWW");
    draw_text(&cv, -5, -3, "8");
}

Test(vis_colour, grid_levels_follow_one_range_and_planes_are_colours)
{
    /* two 3x1 tiles of 3 planes: plane 0 -1, 0, 1; plane 1 all 1; plane 2 all -1 */
    float t[2 * 3 * 3];
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 3; i++) {
            t[k * 9 + i] = (float)(i - 1);
            t[k * 9 + 3 + i] = 1;
            t[k * 9 + 6 + i] = -1;
        }
    grid g = {1, 2, 2, 3, 1, 3, 1, 0, 0};
    canvas cv;
    value_range r = {-1, 1};
    cr_assert_eq(grid_picture(&g, t, r, NULL, &cv), 0);
    cr_assert(cv.channels == 3 && cv.w == 6 + 3 + 4 + 3 + 6 && cv.h == 6 + 1 + 6, "%dx%dx%d",
              cv.w, cv.h, cv.channels);
    const unsigned char want[3][3] = {{0, 255, 0}, {128, 255, 0}, {255, 255, 0}};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 3; i++)
            cr_assert_arr_eq(cv.px + ((size_t)6 * cv.w + 6 + k * 7 + i) * 3, want[i], 3,
                             "tile %d pixel %d", k, i);
    cr_assert_eq(cv.px[0], VIS_BACKGROUND);
    canvas_free(&cv);
    /* a title widens a narrow grid and stands above it */
    grid one = {1, 1, 1, 3, 1, 1, 1, 0, 0};
    cr_assert_eq(grid_picture(&one, t, r, "a title of a few words that wraps onto lines", &cv),
                 0);
    cr_assert_eq(cv.w, text_width("a title of a few words that wraps onto lines") + 12);
    cr_assert_eq(cv.h, 6 + 14 + 1 + 6);
    cr_assert_eq(cv.px[(6 + 14) * cv.w + 6 + 2], 255, "the grid under the title");
    canvas_free(&cv);
}

/* ---- a colour model ---- */

static const char *const NAMES[10] = {"airplane", "automobile", "bird", "cat", "deer",
                                      "dog", "frog", "horse", "ship", "truck"};

/* Record i of class i % 10: a square of the class's colour, shifted by up
 * to 2 px, on a background of its complement, with faint noise. */
static void synth_record(unsigned char *rec, int i, unsigned *s)
{
    int k = i % 10;
    rec[0] = (unsigned char)k;
    *s = *s * 1103515245u + 12345u;
    int dx = (int)((*s >> 16) % 5) - 2, dy = (int)((*s >> 20) % 5) - 2;
    const int fg[3] = {(k * 73) % 256, (k * 151 + 60) % 256, (k * 29 + 120) % 256};
    for (int c = 0; c < 3; c++)
        for (int p = 0; p < 1024; p++) {
            int y = p / 32 - dy, x = p % 32 - dx, on = y >= 8 && y < 24 && x >= 8 && x < 24;
            *s = *s * 1103515245u + 12345u;
            int v = (on ? fg[c] : 255 - fg[c] / 2) + (int)((*s >> 16) % 21) - 10;
            rec[1 + c * 1024 + p] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
}

static unsigned char test_records[50 * 3073];

/* A CIFAR-10 folder in the test's folder (200 training, 50 test records,
 * named classes) and a net trained on it for one epoch: tmp/c.ckpt. */
static const char *train_colour(void)
{
    unsigned s = 5;
    unsigned char *train = malloc(200 * 3073);
    for (int i = 0; i < 200; i++) synth_record(train + i * 3073, i, &s);
    for (int i = 0; i < 50; i++) synth_record(test_records + i * 3073, i + 3, &s);
    write_file(tmp_path("data_batch_1.bin"), train, 200 * 3073);
    write_file(tmp_path("test_batch.bin"), test_records, sizeof test_records);
    free(train);
    char names[256] = "";
    for (int k = 0; k < 10; k++) snprintf(names + strlen(names), 40, "%s\n", NAMES[k]);
    write_file(tmp_path("batches.meta.txt"), names, strlen(names));
    static char ckpt[4200];
    snprintf(ckpt, sizeof ckpt, "%s", tmp_path("c.ckpt"));
    result r;
    run_cnn(CNN_ARGV("train", "--data", temp_dir, "--net",
                     "conv4k3p1,relu,maxpool2,conv4k3p1,bn,relu,conv3k3p1,fc10,softmax",
                     "--epochs", "1", "--batch", "20", "--device", "cpu", "--threads", "1",
                     "--save", ckpt, "--log", "", "--quiet"),
            90, &r);
    cr_assert_eq(r.status, 0, "training failed (%d): %s\n%s", r.status, r.err, r.out);
    result_free(&r);
    return ckpt;
}

/* Whether an RGB picture has a pixel whose red, green and blue differ. */
static int has_colour(const vis_png *p)
{
    for (long i = 0; i < (long)p->w * p->h; i++)
        if (p->px[3 * i] != p->px[3 * i + 1] || p->px[3 * i + 1] != p->px[3 * i + 2]) return 1;
    return 0;
}

static void expect_colour_input(const char *out, int title_h, const unsigned char *rec)
{
    vis_png p = vis_read_png(out, "class3_input.png");
    for (int c = 0; c < 3; c++)
        for (int q = 0; q < 1024; q += 5) {
            int y = title_h + 6 + (q / 32) * 7 + 3, x = 6 + (q % 32) * 7 + 3;
            cr_assert_eq(p.px[((size_t)y * p.w + x) * 3 + c], rec[1 + c * 1024 + q],
                         "channel %d pixel %d", c, q);
        }
    vis_png_free(&p);
}

/* Every conv's kernels (the first in colour) and maps, with named titles. */
static void expect_colour_pictures(const char *out, const char *stdout_text)
{
    char *t = vis_title_of(stdout_text, out, "conv1_kernels.png");
    cr_assert_not_null(strstr(t, "layer 1 conv4k3p1 kernels in colour"), "%s", t);
    vis_expect_picture(out, "conv1_kernels.png", 3, 6 + 4 * 82 - 4 + 6, 6 + 16 + 78 + 6, t, 1);
    free(t);
    vis_png k = vis_read_png(out, "conv1_kernels.png");
    cr_assert(has_colour(&k), "conv1's kernels are drawn in grey");
    vis_png_free(&k);
    /* conv2's maps after its bn and relu, conv3's as it outputs them */
    const struct {
        const char *name, *words[3];
    } deeper[] = {
        {"conv2_kernels.png", {"layer 4 conv4k3p1 kernels: rows", "input channels 0..3", NULL}},
        {"conv3_kernels.png", {"layer 7 conv3k3p1 kernels", NULL}},
        {"class3_conv1_relu.png", {"layer 1 conv4k3p1 maps after relu: test image 0, class 3 "
                                   "(cat), predicted ", "black 0 .. white ", NULL}},
        {"class3_conv2_relu.png", {"maps after bn and relu", "class 3 (cat)", NULL}},
        {"class3_conv3.png", {"layer 7 conv3k3p1 maps (no activation follows)", "class 3 (cat)",
                              NULL}},
        {"class0_conv3.png", {"test image 7, class 0 (airplane), predicted ", NULL}},
    };
    for (size_t i = 0; i < sizeof deeper / sizeof deeper[0]; i++) {
        t = vis_title_of(stdout_text, out, deeper[i].name);
        vis_png p = vis_read_png(out, deeper[i].name);
        cr_assert_eq(p.c, 1, "%s is not grey", deeper[i].name);
        vis_png_free(&p);
        for (int w = 0; deeper[i].words[w]; w++)
            cr_assert_not_null(strstr(t, deeper[i].words[w]), "%s: no \"%s\" in: %s",
                               deeper[i].name, deeper[i].words[w], t);
        free(t);
    }
    t = vis_title_of(stdout_text, out, "class3_input.png");
    cr_assert_not_null(strstr(t, "input 3x32x32: test image 0, class 3 (cat), predicted "), "%s",
                       t);
    int title_h = vis_expect_picture(out, "class3_input.png", 3, 236, 236, t, 0);
    free(t);
    expect_colour_input(out, title_h, test_records);
}

Test(vis_colour, every_conv_in_colour_and_names_in_titles)
{
    const char *ckpt = train_colour();
    const char *out = tmp_path("vis");
    result r;
    /* no --data: the model's own */
    run_cnn(CNN_ARGV("visualize", "--model", ckpt, "--out", out, "--classes", "cat,0"), 90, &r);
    cr_assert_eq(r.status, 0, "visualize failed (%d): %s", r.status, r.err);
    cr_assert_eq(strlen(r.err), 0, "stderr: %s", r.err);
    cr_assert_not_null(strstr(r.out, "\"conv_layers\":3"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "{\"class\":3,\"test_index\":0,"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "\"class_name\":\"cat\""), "%s", r.out);
    expect_colour_pictures(out, r.out);
    result_free(&r);
    /* a name the model does not have: its names listed */
    run_cnn(CNN_ARGV("visualize", "--model", ckpt, "--out", out, "--classes", "cat,cow"), 90, &r);
    expect_error(&r, 2, (const char *const[]){"--classes: \"cow\" in \"cat,cow\" is not a "
                                              "class of the model (its classes: airplane, "
                                              "automobile, bird", NULL}, NULL);
    result_free(&r);
}

Test(vis_colour, data_of_another_shape_is_refused)
{
    const char *ckpt = train_colour();
    /* an IDX folder of 1x28x28 digits */
    unsigned char hdr[16] = {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28};
    unsigned char img[16 + 784] = {0}, lab[9] = {0, 0, 8, 1, 0, 0, 0, 1, 3};
    memcpy(img, hdr, 16);
    char dir[4200];
    snprintf(dir, sizeof dir, "%s", tmp_path("mnist"));
    cr_assert_eq(mkdir(dir, 0700), 0);
    const char *files[] = {"mnist/train-images-idx3-ubyte", "mnist/t10k-images-idx3-ubyte"};
    for (int i = 0; i < 2; i++) write_file(tmp_path(files[i]), img, sizeof img);
    write_file(tmp_path("mnist/train-labels-idx1-ubyte"), lab, sizeof lab);
    write_file(tmp_path("mnist/t10k-labels-idx1-ubyte"), lab, sizeof lab);
    result r;
    run_cnn(CNN_ARGV("visualize", "--model", ckpt, "--out", tmp_path("v"), "--data", dir), 90,
            &r);
    expect_error(&r, 1, (const char *const[]){"holds 1x28x28 inputs", "the model takes "
                                              "3x32x32 inputs of 10 classes", NULL}, NULL);
    result_free(&r);
}

Test(vis_colour, augment_grid_in_colour)
{
    train_colour();
    const char *out = tmp_path("aug");
    result r;
    run_cnn(CNN_ARGV("visualize", "--augment", "shift:2,flip", "--data", temp_dir, "--out", out,
                     "--seed", "3"),
            60, &r);
    cr_assert_eq(r.status, 0, "%s", r.err);
    result_free(&r);
    vis_png p = vis_read_png(out, "augment.png");
    /* 8 columns and 8 rows of 32x32 images drawn 4x, 4 px apart, a 6 px margin */
    int side = 2 * 6 + 8 * 128 + 7 * 4;
    cr_assert(p.c == 3 && p.w == side && p.h == side, "%dx%dx%d", p.w, p.h, p.c);
    /* the first tile is the first training record as stored, in colour */
    size_t n;
    unsigned char *rec = read_file(tmp_path("data_batch_1.bin"), &n);
    for (int c = 0; c < 3; c++)
        for (int q = 0; q < 1024; q += 3)
            cr_assert_eq(p.px[((size_t)(6 + q / 32 * 4) * side + 6 + q % 32 * 4) * 3 + c],
                         rec[1 + c * 1024 + q], "channel %d pixel %d", c, q);
    free(rec);
    vis_png_free(&p);
}

Test(vis_colour, summary_shows_the_input_and_named_classes)
{
    const char *ckpt = train_colour();
    result r;
    run_cnn(CNN_ARGV("summary", "--model", ckpt), 30, &r);
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *want[] = {"input: 3x32x32 (channels x height x width), from the model",
                          "input scaling: byte x -> x * ", "(channels 0 to 2 in turn)",
                          "classes: 10 (0 airplane, 1 automobile, 2 bird, 3 cat,",
                          "9 truck)\n"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_assert_not_null(strstr(r.out, want[i]), "no \"%s\" in:\n%s", want[i], r.out);
    result_free(&r);
    run_cnn(CNN_ARGV("summary", "--data", temp_dir, "--net", "conv2k3p1,relu,fc10,softmax"), 30,
            &r);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "input: 3x32x32 (channels x height x width), from --data"),
                       "%s", r.out);
    cr_assert_not_null(strstr(r.out, "classes: 10\n"), "%s", r.out);
    result_free(&r);
}
