/* cnn predict against models of other shapes than MNIST's (issue 26): a
 * 3 x 12 x 16 colour model of three named classes trained here on a
 * picture folder, an MNIST-shaped model of block digits; pictures in PNG,
 * JPEG and PGM, converted by the rule --help states; class names, K
 * values, --min-confidence (a blank page is never confident), folder
 * arguments, and bad files that each get their own error line while the
 * others are still classified. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "idx_util.h"
#include "picture_util.h"
#include "run_util.h"

static void setup_tmp(void) { make_temp_dir("test_predict", NULL, 0); }

TestSuite(predict, .init = setup_tmp, .fini = remove_temp_dir, .timeout = 120);

static result run(const char *const args[])
{
    result r;
    run_cnn(args, 90, &r);
    return r;
}

#define RUN(...) run(CNN_ARGV(__VA_ARGS__))

/* The colour data's classes, in the byte order of their folder names. */
static const char *const colour_name[3] = {"blue", "green", "red"};
static const unsigned char colour[3][3] = {{40, 60, 210}, {50, 190, 50}, {210, 50, 40}};

/* w x h pixels (RGB, interleaved) of class k's colour, each sample moved
 * by up to 20 levels of deterministic noise from seed. */
static unsigned char *coloured(int k, int w, int h, unsigned seed)
{
    unsigned char *px = test_pixels(w, h, 3, seed);
    for (int i = 0; i < w * h * 3; i++) px[i] = (unsigned char)(colour[k][i % 3] + px[i] % 41 - 20);
    return px;
}

static void colour_png(const char *rel, int k, int w, int h, unsigned seed)
{
    unsigned char *px = coloured(k, w, h, seed);
    write_png(tmp_path(rel), w, h, 3, 8, px);
    free(px);
}

static void colour_jpeg(const char *rel, int k, int w, int h, unsigned seed)
{
    unsigned char *px = coloured(k, w, h, seed);
    write_jpeg(tmp_path(rel), w, h, 3, px, 95, 0);
    free(px);
}

/* Trains net on a picture folder of 16x12 colour PNGs (train/<class>/ and
 * test/<class>/, classes blue, green, red) at learning rate lr; the
 * checkpoint's path. */
static const char *train_colour(const char *net, const char *lr)
{
    char rel[64];
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 25; i++) {
            snprintf(rel, sizeof rel, "c/%s/%s", i < 20 ? "train" : "test", colour_name[k]);
            tmp_folder(rel);
            snprintf(rel, sizeof rel, "c/%s/%s/%02d.png", i < 20 ? "train" : "test",
                     colour_name[k], i);
            colour_png(rel, k, 16, 12, (unsigned)(100 * k + i));
        }
    static char ckpt[4200];
    snprintf(ckpt, sizeof ckpt, "%s", tmp_path("c.ckpt"));
    result r;
    run_train(&r, NULL, tmp_path("c"),
              (const char *const[]){"--net", net, "--epochs", "3", "--batch", "10", "--lr", lr,
                                    "--save", ckpt, "--threads", "1", NULL},
              90);
    cr_assert_eq(r.status, 0, "training failed (%d): %s\n%s", r.status, r.err, r.out);
    cr_assert_not_null(strstr(r.out, "3x12x16, 3 classes: blue, green, red"), "%s", r.out);
    result_free(&r);
    return ckpt;
}

/* The JSON lines ({"image":...) of r's stdout, in order, into line[0 ..];
 * their count. */
#define LINE_MAX_LEN 2048
static int json_lines(const result *r, char (*line)[LINE_MAX_LEN], int max)
{
    int n = 0;
    for (const char *p = r->out; (p = strstr(p, "{\"image\":")); p++) {
        cr_assert(p == r->out || p[-1] == '\n', "a JSON line not at a line's start");
        cr_assert_lt(n, max, "more than %d JSON lines:\n%s", max, r->out);
        size_t len = strcspn(p, "\n");
        cr_assert_lt(len, LINE_MAX_LEN);
        memcpy(line[n], p, len);
        line[n++][len] = 0;
    }
    return n;
}

/* How many times s holds part. */
static int count_of(const char *s, const char *part)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, part)); p += strlen(part)) n++;
    return n;
}

/* The JSON line's field as raw text (a string keeps its quotes). */
static const char *field(const char *line, const char *key)
{
    static char value[LINE_MAX_LEN];
    cr_assert_eq(json_field(line, key, value, sizeof value), 0, "no \"%s\" in %s", key, line);
    return value;
}

/* The values in the line's "probabilities" (or "scores") array; their count. */
static int values_of(const char *line, const char *key, double *v, int max)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":[", key);
    const char *p = strstr(line, pat);
    cr_assert_not_null(p, "no %s array in %s", key, line);
    p += strlen(pat);
    int n = 0;
    while (*p && *p != ']') {
        cr_assert_lt(n, max);
        char *end;
        v[n++] = strtod(p, &end);
        cr_assert(end != p, "not a number at %.20s", p);
        p = *end == ',' ? end + 1 : end;
    }
    return n;
}

Test(predict, colour_model_converts_pictures_and_names_classes)
{
    const char *ckpt = train_colour("fc8,relu,fc3,softmax", "0.1");
    colour_jpeg("big.jpg", 2, 40, 30, 7);  /* red, another size, as JPEG */
    colour_png("g.png", 1, 16, 12, 8);     /* green, the model's size */
    unsigned char *grey = test_pixels(16, 12, 1, 9);
    write_png(tmp_path("grey.png"), 16, 12, 1, 8, grey);
    free(grey);
    result r = RUN("predict", "--model", ckpt, tmp_path("big.jpg"), tmp_path("g.png"),
                   tmp_path("grey.png"));
    cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    cr_assert_eq(r.err_len, 0, "stderr: %s", r.err);
    const char *want[] = {"input 3x12x16, 3 classes (named)",
                          "pictures are converted to colour 16x12",
                          "big.jpg: 40x30 colour, stretched to 16x12 by area averaging\n"
                          "predicted red (class 2, probability ",
                          "g.png: 16x12 colour, used as is\npredicted green (class 1, ",
                          "grey.png: 16x12 grey, grey copied to 3 channels\n"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_assert_not_null(strstr(r.out, want[i]), "no \"%s\" in:\n%s", want[i], r.out);
    /* the K = 3 lines: number, name, probability */
    cr_assert_eq(count_of(r.out, "  red  "), 3, "%s", r.out);
    cr_assert_eq(count_of(r.out, "  <\n"), 3, "%s", r.out);
    char line[3][LINE_MAX_LEN];
    cr_assert_eq(json_lines(&r, line, 3), 3, "%s", r.out);
    cr_assert_str_eq(field(line[0], "class"), "\"red\"");
    cr_assert_str_eq(field(line[0], "predicted"), "2");
    cr_assert_str_eq(field(line[0], "confident"), "true");
    cr_assert_str_eq(field(line[1], "class"), "\"green\"");
    double p[8];
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(values_of(line[i], "probabilities", p, 8), 3, "%s", line[i]);
        cr_assert_float_eq(p[0] + p[1] + p[2], 1.0, 1e-4, "%s", line[i]);
    }
    result_free(&r);

    /* one picture of each class at the model's size, bytes reordered to
     * channel-first: each confidently right (fed interleaved, they are not) */
    for (int k = 0; k < 3; k++) {
        colour_png("k.png", k, 16, 12, (unsigned)(900 + k));
        r = RUN("predict", "--model", ckpt, tmp_path("k.png"));
        cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
        cr_assert_eq(json_lines(&r, line, 3), 1, "%s", r.out);
        cr_assert_eq(values_of(line[0], "probabilities", p, 8), 3, "%s", line[0]);
        cr_assert_gt(p[k], 0.9, "a %s picture: %s", colour_name[k], line[0]);
        result_free(&r);
    }
}

/* Issue 26's "done" 4: 20 PNG and JPEG pictures in a folder, two broken. */
Test(predict, folder_of_20_with_two_broken)
{
    const char *ckpt = train_colour("fc8,relu,fc3,softmax", "0.1");
    tmp_folder("pics/sub");
    char rel[64];
    for (int i = 0; i < 18; i++) {
        snprintf(rel, sizeof rel, "pics/p%02d.%s", i, i % 2 ? "jpg" : "png");
        (i % 2 ? colour_jpeg : colour_png)(rel, i % 3, 16 + i, 12 + i / 2, (unsigned)(500 + i));
    }
    size_t len;
    unsigned char *png = read_file(tmp_path("pics/p00.png"), &len);
    write_file(tmp_path("pics/p18.png"), png, len / 2); /* cut short */
    free(png);
    write_file(tmp_path("pics/p19.jpg"), "not a picture\n", 14);
    write_file(tmp_path("pics/.notes"), "dot files are skipped\n", 22);
    write_file(tmp_path("pics/sub/x.png"), "not entered\n", 12);

    result r = RUN("predict", "--model", ckpt, tmp_path("pics"));
    cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
    cr_assert_eq(count_of(r.err, "\n"), 2, "two error lines, not:\n%s", r.err);
    char *second = strchr(r.err, '\n') + 1;
    cr_assert(strstr(r.err, "p18.png") && strstr(r.err, "p18.png") < second, "%s", r.err);
    cr_assert_not_null(strstr(second, "p19.jpg"), "%s", r.err);
    cr_assert_eq(count_of(r.out, "\npredicted "), 18, "%s", r.out);
    cr_assert_not_null(strstr(r.out, "folder "), "%s", r.out);
    cr_assert_not_null(strstr(r.out, ": 20 files; 1 sub-folder not entered\n"), "%s", r.out);
    static char line[21][LINE_MAX_LEN];
    cr_assert_eq(json_lines(&r, line, 21), 20, "%s", r.out);
    for (int i = 0; i < 20; i++) {
        snprintf(rel, sizeof rel, "/pics/p%02d.%s\"", i, i % 2 ? "jpg" : "png");
        cr_assert_not_null(strstr(field(line[i], "image"), rel), "line %d: %s", i, line[i]);
        if (i >= 18) {
            cr_assert_null(strstr(line[i], "\"predicted\""), "%s", line[i]);
            cr_assert_not_null(strstr(line[i], "\"error\":"), "%s", line[i]);
            continue;
        }
        char want[16];
        snprintf(want, sizeof want, "\"%s\"", colour_name[i % 3]);
        cr_assert_str_eq(field(line[i], "class"), want, "%s", line[i]);
    }
    result_free(&r);
}

/* An MNIST-shaped model of net on block digits (ten classes, named by
 * names, a --class-names list, or none when NULL) at learning rate lr, in
 * temp_dir's IDX files; the checkpoint's path. */
static const char *train_digits(const char *names, const char *net, const char *lr)
{
    write_block_digits(temp_dir, "train", 600, 1);
    write_block_digits(temp_dir, "t10k", 100, 2);
    static char ckpt[4200];
    snprintf(ckpt, sizeof ckpt, "%s", tmp_path("d.ckpt"));
    result r;
    run_train(&r, NULL, temp_dir,
              (const char *const[]){"--net", net, "--lr", lr, "--epochs", "1", "--batch",
                                    "20", "--save", ckpt, "--threads", "1",
                                    names ? "--class-names" : NULL, names, NULL},
              90);
    cr_assert_eq(r.status, 0, "training failed (%d): %s\n%s", r.status, r.err, r.out);
    result_free(&r);
    return ckpt;
}

/* Test digit i of the block digits as a 28x28 grey picture (i's bytes). */
static void test_digit(int i, unsigned char *px)
{
    size_t len;
    unsigned char *idx = read_file(tmp_path("t10k-images-idx3-ubyte"), &len);
    cr_assert_geq(len, 16 + 784 * (size_t)(i + 1));
    memcpy(px, idx + 16 + 784 * i, 784);
    free(idx);
}

/* The one JSON line of a run on one picture, into line. */
static void only_json(const result *r, char *line)
{
    char lines[2][LINE_MAX_LEN];
    cr_assert_eq(r->status, 0, "exit %d: %s", r->status, r->err);
    cr_assert_eq(json_lines(r, lines, 2), 1, "%s", r->out);
    strcpy(line, lines[0]);
}

Test(predict, digit_model_blank_page_and_min_confidence)
{
    const char *ckpt = train_digits(NULL, "fc16,relu,fc10,softmax", "0.1");
    unsigned char *white = malloc(60 * 40);
    memset(white, 255, 60 * 40);
    write_png(tmp_path("blank.png"), 60, 40, 1, 8, white);
    free(white);
    char line[LINE_MAX_LEN];
    /* even with --min-confidence 0 a blank page is no confident digit */
    result r = RUN("predict", "--model", ckpt, "--min-confidence", "0", tmp_path("blank.png"));
    only_json(&r, line);
    cr_assert_not_null(strstr(r.out, "blank.png: 60x40 grey, inverted (dark on light), blank: "
                                     "nothing but background\n"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "not confident: the picture is blank"), "%s", r.out);
    cr_assert_str_eq(field(line, "confident"), "false");
    cr_assert_not_null(strstr(r.out, "pictures are prepared as MNIST's digits were"));
    result_free(&r);

    unsigned char px[784];
    test_digit(0, px);
    write_png(tmp_path("d.png"), 28, 28, 1, 8, px);
    r = RUN("predict", "--model", ckpt, tmp_path("d.png"));
    only_json(&r, line);
    double p[16];
    cr_assert_eq(values_of(line, "probabilities", p, 16), 10, "%s", line);
    int pred = atoi(field(line, "predicted"));
    cr_assert_eq(atoi(field(line, "class")), pred, "no names: the class is its number");
    cr_assert_lt(p[pred], 1.0, "a top probability of 1 leaves no threshold above it");
    cr_assert_null(strstr(r.out, "not confident"), "%s", r.out);
    result_free(&r);

    /* a threshold just above and just below the top probability */
    char above[32], below[32];
    snprintf(above, sizeof above, "%.6f", p[pred] + (1 - p[pred]) / 2);
    snprintf(below, sizeof below, "%.6f", p[pred] / 2);
    r = RUN("predict", "--model", ckpt, "--min-confidence", above, tmp_path("d.png"));
    only_json(&r, line);
    cr_assert_str_eq(field(line, "confident"), "false");
    char want[128];
    snprintf(want, sizeof want, " < --min-confidence %g\n", atof(above));
    cr_assert_not_null(strstr(r.out, "\nnot confident: top probability 0."), "%s", r.out);
    cr_assert_not_null(strstr(r.out, want), "no \"%s\" in:\n%s", want, r.out);
    result_free(&r);
    r = RUN("predict", "--model", ckpt, "--min-confidence", below, tmp_path("d.png"));
    only_json(&r, line);
    cr_assert_str_eq(field(line, "confident"), "true");
    result_free(&r);

    /* the same digit as a JPEG: read, and classified the same */
    write_jpeg(tmp_path("d.jpg"), 28, 28, 1, px, 100, 0);
    r = RUN("predict", "--model", ckpt, tmp_path("d.jpg"));
    only_json(&r, line);
    cr_assert_eq(atoi(field(line, "predicted")), pred, "%s", r.out);
    cr_assert_not_null(strstr(r.out, "d.jpg: 28x28 grey, used as is\n"), "%s", r.out);
    result_free(&r);
}

/* CIFAR-10's ten names, as batches.meta.txt holds them. */
static const char *const cifar_names[10] = {"airplane", "automobile", "bird", "cat", "deer",
                                            "dog", "frog", "horse", "ship", "truck"};

/* A synthetic CIFAR-10 folder at <temp_dir>/cifar (record i: label i % 10,
 * a channel-first picture whose planes are that class's levels with
 * noise), and a model of conv4k3p1,relu,maxpool2,fc10,softmax trained on
 * it; the checkpoint's path. */
static const char *train_cifar(void)
{
    tmp_folder("cifar");
    const char *files[2] = {"cifar/data_batch_1.bin", "cifar/test_batch.bin"};
    for (int f = 0; f < 2; f++) {
        int n = f ? 20 : 200;
        unsigned char *b = malloc((size_t)n * 3073), *noise = test_pixels(32, 32, 3, 40u + f);
        for (int i = 0; i < n; i++) {
            unsigned char *rec = b + (size_t)i * 3073;
            rec[0] = (unsigned char)(i % 10);
            for (int j = 0; j < 3072; j++)
                rec[1 + j] = (unsigned char)(25 * (i % 10) + (j / 1024) * 10 + noise[j] % 9);
        }
        write_file(tmp_path(files[f]), b, (size_t)n * 3073);
        free(b);
        free(noise);
    }
    char meta[200] = "";
    for (int k = 0; k < 10; k++) strcat(strcat(meta, cifar_names[k]), "\n");
    write_file(tmp_path("cifar/batches.meta.txt"), meta, strlen(meta));
    static char ckpt[4200];
    snprintf(ckpt, sizeof ckpt, "%s", tmp_path("cifar.ckpt"));
    result r;
    run_train(&r, NULL, tmp_path("cifar"),
              (const char *const[]){"--net", "conv4k3p1,relu,maxpool2,fc10,softmax", "--epochs",
                                    "1", "--save", ckpt, "--threads", "1", NULL},
              90);
    cr_assert_eq(r.status, 0, "training failed (%d): %s\n%s", r.status, r.err, r.out);
    result_free(&r);
    return ckpt;
}

/* Ten classes but colour 32x32: not MNIST's shape, so the picture is
 * converted, and the names come from batches.meta.txt through the
 * checkpoint. */
Test(predict, cifar_model_names_its_ten_classes)
{
    const char *ckpt = train_cifar();
    colour_jpeg("x.jpg", 0, 64, 48, 3);
    result r = RUN("predict", "--model", ckpt, tmp_path("x.jpg"));
    char line[LINE_MAX_LEN];
    only_json(&r, line);
    cr_assert_not_null(strstr(r.out, "input 3x32x32, 10 classes (named)"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "x.jpg: 64x48 colour, stretched to 32x32 by area "
                                     "averaging\n"), "%s", r.out);
    int pred = atoi(field(line, "predicted"));
    char want[64];
    snprintf(want, sizeof want, "\"%s\"", cifar_names[pred]);
    cr_assert_str_eq(field(line, "class"), want, "%s", line);
    snprintf(want, sizeof want, "\npredicted %s (class %d, probability ", cifar_names[pred], pred);
    cr_assert_not_null(strstr(r.out, want), "no \"%s\" in:\n%s", want, r.out);
    for (int k = 0; k < 10; k++) {
        snprintf(want, sizeof want, "  %3d  %-10s  ", k, cifar_names[k]);
        cr_assert_not_null(strstr(r.out, want), "no row \"%s\" in:\n%s", want, r.out);
    }
    double p[12];
    cr_assert_eq(values_of(line, "probabilities", p, 12), 10, "%s", line);
    result_free(&r);
}

Test(predict, euclid_net_has_scores_and_no_confidence_check)
{
    const char *ckpt = train_colour("fc8,relu,fc3,euclid", "0.01");
    colour_png("g.png", 1, 16, 12, 8);
    result r = RUN("predict", "--model", ckpt, tmp_path("g.png"));
    char line[LINE_MAX_LEN];
    only_json(&r, line);
    cr_assert_not_null(strstr(r.out, "--min-confidence does not apply"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "predicted green (class 1, score "), "%s", r.out);
    cr_assert_str_eq(field(line, "confident"), "null");
    double v[8];
    cr_assert_eq(values_of(line, "scores", v, 8), 3, "%s", line);
    result_free(&r);
}

Test(predict, bad_arguments_each_reported)
{
    const char *ckpt = train_colour("fc8,relu,fc3,softmax", "0.1");
    colour_png("g.png", 1, 16, 12, 8);
    tmp_folder("empty");
    tmp_folder("pipes");
    cr_assert_eq(mkfifo(tmp_path("pipes/q"), 0600), 0); /* refused at once, not waited on */
    result r = RUN("predict", "--model", ckpt, tmp_path("empty"), tmp_path("g.png"),
                   tmp_path("missing.png"), tmp_path("pipes"));
    cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
    cr_assert_eq(count_of(r.err, "\n"), 3, "%s", r.err);
    cr_assert_not_null(strstr(r.err, "pipes/q: not a regular file"), "%s", r.err);
    cr_assert_not_null(strstr(r.err, "empty: the folder holds no file to classify\n"), "%s",
                       r.err);
    cr_assert_not_null(strstr(r.err, "missing.png: cannot open"), "%s", r.err);
    cr_assert_eq(count_of(r.out, "\npredicted green"), 1, "%s", r.out);
    char line[4][LINE_MAX_LEN];
    cr_assert_eq(json_lines(&r, line, 4), 4, "%s", r.out);
    cr_assert_not_null(strstr(line[0], "\"error\":"), "%s", line[0]);
    cr_assert_not_null(strstr(line[1], "\"class\":\"green\""), "%s", line[1]);
    cr_assert_not_null(strstr(line[2], "\"error\":"), "%s", line[2]);
    result_free(&r);
}

/* PREDICT_MAX_IMAGES holds for pictures in folders too: a usage error
 * before any model is opened. */
Test(predict, at_most_4096_pictures_folders_expanded)
{
    tmp_folder("many");
    char rel[64];
    for (int i = 0; i < 4097; i++) {
        snprintf(rel, sizeof rel, "many/%04d.png", i);
        write_file(tmp_path(rel), "", 0);
    }
    result r = RUN("predict", "--model", tmp_path("none.ckpt"), tmp_path("many"));
    expect_error(&r, 2,
                 (const char *const[]){"4097 pictures (folders expanded)",
                                       "at most 4096 pictures per call", NULL},
                 NULL);
    result_free(&r);
}

Test(predict, help_states_both_rules)
{
    result r = RUN("predict", "--help");
    cr_assert_eq(r.status, 0);
    const char *want[] = {"IMAGE|FOLDER", "PNG, JPEG, PGM or PPM",
                          "a model of MNIST's shape (1x28x28 inputs, any class count)",
                          "centre of mass at (14, 14)", "stretched to W x H by area averaging",
                          "--min-confidence", "0.5", "exit status is 1 when any failed",
                          "At\nmost 4096 pictures per call"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_assert_not_null(strstr(r.out, want[i]), "no \"%s\" in:\n%s", want[i], r.out);
    result_free(&r);
}

/* A Fashion-MNIST-like model: MNIST's shape with names. The digit rule
 * still prepares its pictures (MNIST's shape decides), and the names are
 * printed. */
Test(predict, mnist_shape_with_names)
{
    const char *names = "top,trouser,pullover,dress,coat,sandal,shirt,sneaker,bag,boot";
    const char *ckpt = train_digits(names, "fc16,relu,fc10,softmax", "0.1");
    unsigned char px[784];
    test_digit(3, px);
    write_png(tmp_path("d.png"), 28, 28, 1, 8, px);
    result r = RUN("predict", "--model", ckpt, tmp_path("d.png"));
    char line[LINE_MAX_LEN];
    only_json(&r, line);
    cr_assert_not_null(strstr(r.out, "input 1x28x28, 10 classes (named)"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "pictures are prepared as MNIST's digits were"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "d.png: 28x28 grey, used as is\n"), "%s", r.out);
    int pred = atoi(field(line, "predicted"));
    char name[16], want[64];
    const char *at = names;
    for (int k = 0; k < pred; k++) at = strchr(at, ',') + 1;
    snprintf(name, sizeof name, "%.*s", (int)strcspn(at, ","), at);
    snprintf(want, sizeof want, "\"%s\"", name);
    cr_assert_str_eq(field(line, "class"), want, "%s", line);
    snprintf(want, sizeof want, "\npredicted %s (class %d, ", name, pred);
    cr_assert_not_null(strstr(r.out, want), "no \"%s\" in:\n%s", want, r.out);
    result_free(&r);
}

/* A euclid net's scores have no threshold, but a blank page is still no
 * confident digit. */
Test(predict, euclid_digit_model_blank_page)
{
    const char *ckpt = train_digits(NULL, "fc16,relu,fc10,euclid", "0.01");
    unsigned char black[40 * 30] = {0};
    write_png(tmp_path("blank.png"), 40, 30, 1, 8, black);
    result r = RUN("predict", "--model", ckpt, tmp_path("blank.png"));
    char line[LINE_MAX_LEN];
    only_json(&r, line);
    cr_assert_not_null(strstr(r.out, "--min-confidence does not apply\nnot confident: the "
                                     "picture is blank"), "%s", r.out);
    cr_assert_str_eq(field(line, "confident"), "false");
    result_free(&r);
}
