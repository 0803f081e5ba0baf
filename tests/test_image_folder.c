/* Image folders (include/image_folder.h): the two layouts, classes and
 * their names in byte order, what is skipped and what is refused, bad
 * pictures with and without skip_bad, the conversion to one size and
 * channel count, a parallel load that is the same every time, detection,
 * and the progress line. The trees are made here, with libpng and
 * libjpeg (picture_util.c). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image_folder.h"
#include "io/image_folder_progress.h"
#include "picture.h"
#include "picture_util.h"
#include "run_util.h"

static void setup_tmp(void)
{
    make_temp_dir("test_image_folder", NULL, 0);
}

TestSuite(image_folder, .init = setup_tmp, .fini = remove_temp_dir, .timeout = 60);

/* A w x h x c PNG of deterministic noise at <temp_dir>/<rel>; its pixels
 * (interleaved) into px when not NULL (w * h * c bytes). */
static void put_png(const char *rel, int w, int h, int c, unsigned seed, unsigned char *px)
{
    unsigned char *p = test_pixels(w, h, c, seed);
    write_png(tmp_path(rel), w, h, c, 8, p);
    if (px) memcpy(px, p, (size_t)w * h * c);
    free(p);
}

static image_folder_options quiet_options(void)
{
    return (image_folder_options){.quiet = 1};
}

static void load_ok(const char *dir, const image_folder_options *o, dataset *train,
                    dataset *test, int *skipped)
{
    char err[1000];
    cr_assert_eq(image_folder_load(dir, o, train, test, skipped, err, sizeof err), 0, "%s: %s",
                 dir, err);
}

static void load_fails(const char *dir, const image_folder_options *o, int want_test,
                       const char *const *want)
{
    dataset train, test;
    char err[1000] = "";
    cr_assert_neq(image_folder_load(dir, o, &train, want_test ? &test : NULL, NULL, err,
                                    sizeof err), 0, "%s was loaded", dir);
    cr_assert_null(train.images, "a refused load holds nothing");
    cr_assert_null(strchr(err, '\n'), "one line: %s", err);
    for (; *want; want++)
        cr_assert_not_null(strstr(err, *want), "the message should contain '%s': %s", *want,
                           err);
}

#define WANT(...) ((const char *const[]){__VA_ARGS__, NULL})

/* The sample i of d, channel-first. */
static const unsigned char *sample(const dataset *d, int i)
{
    return d->images + (size_t)i * dataset_sample_bytes(d);
}

/* What picture_to_input makes of the file at path, in d's shape. */
static void expect_sample(const dataset *d, int i, const char *path)
{
    picture p;
    char err[600];
    cr_assert_eq(picture_read(path, &p, err, sizeof err), 0, "%s", err);
    unsigned char *want = malloc(dataset_sample_bytes(d));
    cr_assert_eq(picture_to_input(&p, d->channels, d->rows, d->cols, want), 0);
    cr_assert_arr_eq(sample(d, i), want, dataset_sample_bytes(d), "sample %d is not %s", i,
                     path);
    free(want);
    picture_free(&p);
}

Test(image_folder, two_trees_in_byte_order)
{
    /* classes "Zebra" < "cat" < "dog" in byte order; files "B" < "a" */
    const char *const classes[] = {"Zebra", "cat", "dog"};
    for (int k = 0; k < 3; k++) {
        char rel[200];
        for (int t = 0; t < 2; t++) {
            const char *tree = t ? "test" : "train";
            snprintf(rel, sizeof rel, "two/%s/%s", tree, classes[k]);
            tmp_folder(rel);
            snprintf(rel, sizeof rel, "two/%s/%s/a.png", tree, classes[k]);
            put_png(rel, 6, 4, 3, 100u + 10 * k + t, NULL);
            if (t == 0) {
                snprintf(rel, sizeof rel, "two/train/%s/B.png", classes[k]);
                put_png(rel, 6, 4, 3, 200u + k, NULL);
            }
        }
    }
    write_file(tmp_path("two/train/README"), "not a class", 11); /* ignored */
    write_file(tmp_path("two/train/cat/.DS_Store"), "x", 1);     /* skipped */
    tmp_folder("two/train/.hidden");                                 /* not a class */
    image_folder_options o = quiet_options();
    dataset train, test;
    int skipped = -1;
    load_ok(tmp_path("two"), &o, &train, &test, &skipped);
    cr_assert_eq(skipped, 0);
    cr_assert(train.count == 6 && test.count == 3, "%d and %d", train.count, test.count);
    cr_assert(train.channels == 3 && train.rows == 4 && train.cols == 6, "%dx%dx%d",
              train.channels, train.rows, train.cols);
    cr_assert(test.channels == 3 && test.rows == 4 && test.cols == 6);
    cr_assert(train.classes == 3 && train.names.count == 3 && test.names.count == 3);
    for (int k = 0; k < 3; k++) {
        cr_assert_str_eq(train.names.name[k], classes[k]);
        cr_assert_str_eq(test.names.name[k], classes[k]);
        cr_assert(train.labels[2 * k] == k && train.labels[2 * k + 1] == k);
        cr_assert_eq(test.labels[k], k);
        char path[300];
        snprintf(path, sizeof path, "two/train/%s/B.png", classes[k]);
        expect_sample(&train, 2 * k, tmp_path(path));
        snprintf(path, sizeof path, "two/train/%s/a.png", classes[k]);
        expect_sample(&train, 2 * k + 1, tmp_path(path));
        snprintf(path, sizeof path, "two/test/%s/a.png", classes[k]);
        expect_sample(&test, k, tmp_path(path));
    }
    dataset_free(&train);
    dataset_free(&test);
}

Test(image_folder, one_tree_has_no_test_samples)
{
    tmp_folder("one/a");
    tmp_folder("one/b");
    put_png("one/a/1.png", 3, 2, 1, 1, NULL);
    put_png("one/b/1.png", 3, 2, 1, 2, NULL);
    put_png("one/b/2.png", 3, 2, 1, 3, NULL);
    image_folder_options o = quiet_options();
    dataset train, test;
    load_ok(tmp_path("one"), &o, &train, &test, NULL);
    cr_assert_eq(train.count, 3);
    cr_assert(train.labels[0] == 0 && train.labels[1] == 1 && train.labels[2] == 1);
    cr_assert_eq(test.count, 0);
    cr_assert_null(test.images);
    cr_assert(test.classes == 2 && test.names.count == 2 && !strcmp(test.names.name[1], "b"));
    cr_assert(test.channels == 1 && test.rows == 2 && test.cols == 3);
    dataset_free(&train);
    dataset_free(&test);
}

Test(image_folder, formats_mixed_and_converted)
{
    /* the first picture (class "a", file "1") decides: grey 5x4 */
    tmp_folder("mix/a");
    tmp_folder("mix/b");
    put_png("mix/a/1.png", 5, 4, 1, 7, NULL);
    unsigned char *px = test_pixels(10, 8, 3, 8);
    write_jpeg(tmp_path("mix/a/2.jpg"), 10, 8, 3, px, 95, 0);
    free(px);
    write_file(tmp_path("mix/b/1.ppm"), "P6 2 2 255\n\x10\x20\x30\x40\x50\x60\x70\x80\x90\xa0"
               "\xb0\xc0", 23);
    write_file(tmp_path("mix/b/2.pgm"), "P2 1 1 255\n200\n", 15);
    image_folder_options o = quiet_options();
    dataset d;
    load_ok(tmp_path("mix"), &o, &d, NULL, NULL);
    cr_assert(d.count == 4 && d.channels == 1 && d.rows == 4 && d.cols == 5);
    expect_sample(&d, 1, tmp_path("mix/a/2.jpg"));
    expect_sample(&d, 2, tmp_path("mix/b/1.ppm"));
    for (int i = 0; i < 20; i++) cr_assert_eq(sample(&d, 3)[i], 200);
    dataset_free(&d);

    /* asked for: 3 x 3 x 2, whatever the pictures are */
    o.channels = 3;
    o.rows = 3;
    o.cols = 2;
    load_ok(tmp_path("mix"), &o, &d, NULL, NULL);
    cr_assert(d.count == 4 && d.channels == 3 && d.rows == 3 && d.cols == 2);
    const char *const files[] = {"mix/a/1.png", "mix/a/2.jpg", "mix/b/1.ppm", "mix/b/2.pgm"};
    for (int i = 0; i < 4; i++) expect_sample(&d, i, tmp_path(files[i]));
    dataset_free(&d);
}

Test(image_folder, test_classes_must_match)
{
    tmp_folder("m/train/cat");
    tmp_folder("m/train/dog");
    tmp_folder("m/test/cat");
    put_png("m/train/cat/1.png", 2, 2, 1, 1, NULL);
    put_png("m/train/dog/1.png", 2, 2, 1, 2, NULL);
    put_png("m/test/cat/1.png", 2, 2, 1, 3, NULL);
    image_folder_options o = quiet_options();
    load_fails(tmp_path("m"), &o, 1, WANT("m/test has no class folder 'dog'", "m/train has"));
    tmp_folder("m/test/dog");
    tmp_folder("m/test/emu");
    put_png("m/test/dog/1.png", 2, 2, 1, 4, NULL);
    put_png("m/test/emu/1.png", 2, 2, 1, 5, NULL);
    load_fails(tmp_path("m"), &o, 1, WANT("m/test/emu: a class folder that", "m/train lacks"));
    /* train alone does not look at test/ */
    dataset d;
    load_ok(tmp_path("m"), &o, &d, NULL, NULL);
    cr_assert_eq(d.count, 2);
    dataset_free(&d);
}

Test(image_folder, train_without_test_refused)
{
    tmp_folder("nt/train/cat");
    put_png("nt/train/cat/1.png", 2, 2, 1, 1, NULL);
    image_folder_options o = quiet_options();
    load_fails(tmp_path("nt"), &o, 1, WANT("nt: has train/ but no test/ folder"));
}

Test(image_folder, structure_refused)
{
    image_folder_options o = quiet_options();
    tmp_folder("empty");
    load_fails(tmp_path("empty"), &o, 0, WANT("empty: no class folders"));
    tmp_folder("ec/a");
    tmp_folder("ec/b");
    put_png("ec/a/1.png", 2, 2, 1, 1, NULL);
    write_file(tmp_path("ec/b/.keep"), "", 0);
    load_fails(tmp_path("ec"), &o, 0, WANT("ec/b: a class folder with no pictures"));
    tmp_folder("nest/a/more");
    put_png("nest/a/1.png", 2, 2, 1, 1, NULL);
    load_fails(tmp_path("nest"), &o, 0, WANT("nest/a/more: a folder inside a class folder"));
    write_file(tmp_path("file"), "x", 1);
    load_fails(tmp_path("file"), &o, 0, WANT("file: not a folder"));
    load_fails(tmp_path("missing"), &o, 0, WANT("missing: not a folder"));
    o.channels = 2;
    load_fails(tmp_path("ec"), &o, 0, WANT("1 or 3 channels, not 2"));
}

Test(image_folder, class_names_refused_naming_the_folder)
{
    image_folder_options o = quiet_options();
    char rel[200];
    snprintf(rel, sizeof rel, "long/%070d", 7);
    tmp_folder(rel);
    tmp_folder("long/ok");
    load_fails(tmp_path("long"), &o, 0, WANT("long/0000000", "70 bytes long; at most 63"));
    tmp_folder("ctl/a\tb");
    load_fails(tmp_path("ctl"), &o, 0, WANT("ctl: class folder 0", "control character"));
    tmp_folder("many");
    for (int k = 0; k < 257; k++) {
        snprintf(rel, sizeof rel, "many/c%03d", k);
        tmp_folder(rel);
    }
    load_fails(tmp_path("many"), &o, 0, WANT("many: 257 class folders; a data set has at most 256"));
}

/* a/1.png, a/2.png (truncated), a/3.png, b/1.png, b/2.txt (not a picture) */
static void bad_tree(void)
{
    tmp_folder("bad/a");
    tmp_folder("bad/b");
    put_png("bad/a/1.png", 4, 4, 1, 1, NULL);
    put_png("bad/a/2.png", 4, 4, 1, 2, NULL);
    put_png("bad/a/3.png", 4, 4, 1, 3, NULL);
    put_png("bad/b/1.png", 4, 4, 1, 4, NULL);
    size_t n;
    unsigned char *b = read_file(tmp_path("bad/a/2.png"), &n);
    write_file(tmp_path("bad/a/2.png"), b, n / 2);
    free(b);
    write_file(tmp_path("bad/b/2.txt"), "notes", 5);
}

Test(image_folder, bad_picture_named_or_skipped)
{
    bad_tree();
    image_folder_options o = quiet_options();
    /* the first bad one in order is named, whichever thread met it */
    for (int run = 0; run < 5; run++)
        load_fails(tmp_path("bad"), &o, 0, WANT("bad/a/2.png: truncated PNG"));
    o.skip_bad = 1;
    dataset d;
    int skipped = 0;
    load_ok(tmp_path("bad"), &o, &d, NULL, &skipped);
    cr_assert_eq(skipped, 2);
    cr_assert_eq(d.count, 3);
    cr_assert(d.labels[0] == 0 && d.labels[1] == 0 && d.labels[2] == 1);
    expect_sample(&d, 1, tmp_path("bad/a/3.png"));
    expect_sample(&d, 2, tmp_path("bad/b/1.png"));
    dataset_free(&d);
    /* a class left with nothing is refused even so */
    unlink(tmp_path("bad/b/1.png"));
    load_fails(tmp_path("bad"), &o, 0, WANT("bad/b: none of its pictures could be read"));
}

Test(image_folder, first_picture_bad_with_skip_bad)
{
    tmp_folder("fb/a");
    write_file(tmp_path("fb/a/0.png"), "junk", 4);
    put_png("fb/a/1.png", 3, 5, 3, 9, NULL);
    image_folder_options o = quiet_options();
    load_fails(tmp_path("fb"), &o, 0, WANT("fb/a/0.png: not a PNG, JPEG"));
    o.skip_bad = 1;
    dataset d;
    int skipped = 0;
    load_ok(tmp_path("fb"), &o, &d, NULL, &skipped);
    cr_assert(skipped == 1 && d.count == 1 && d.channels == 3 && d.rows == 5 && d.cols == 3);
    dataset_free(&d);
    unlink(tmp_path("fb/a/1.png"));
    load_fails(tmp_path("fb"), &o, 0, WANT("fb: none of its 1 pictures could be read"));
}

Test(image_folder, parallel_load_is_deterministic)
{
    tmp_folder("many/x");
    tmp_folder("many/y");
    char rel[200];
    for (int i = 0; i < 300; i++) {
        snprintf(rel, sizeof rel, "many/%s/%04d.png", i % 3 ? "x" : "y", i);
        put_png(rel, 9, 7, i % 2 ? 3 : 1, (unsigned)i, NULL);
    }
    image_folder_options o = quiet_options();
    o.channels = 3;
    o.rows = 5;
    o.cols = 5;
    dataset first, again;
    load_ok(tmp_path("many"), &o, &first, NULL, NULL);
    load_ok(tmp_path("many"), &o, &again, NULL, NULL);
    cr_assert_eq(first.count, 300);
    cr_assert_arr_eq(first.images, again.images, 300 * dataset_sample_bytes(&first));
    cr_assert_arr_eq(first.labels, again.labels, 300);
    /* each slot holds its own picture: x's files in name order, then y's */
    int slot = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < 300; i++) {
            if ((pass == 0) != (i % 3 != 0)) continue;
            snprintf(rel, sizeof rel, "many/%s/%04d.png", pass ? "y" : "x", i);
            if (slot % 37 == 0) expect_sample(&first, slot, tmp_path(rel));
            cr_assert_eq(first.labels[slot], pass);
            slot++;
        }
    dataset_free(&first);
    dataset_free(&again);
}

Test(image_folder, detect)
{
    tmp_folder("d2/train/a");
    cr_assert(image_folder_detect(tmp_path("d2")), "a train/ with class folders");
    tmp_folder("d1/cat");
    put_png("d1/cat/x.png", 2, 2, 1, 1, NULL);
    write_file(tmp_path("d1/names.txt"), "cat\n", 4);
    cr_assert(image_folder_detect(tmp_path("d1")), "one tree");
    write_file(tmp_path("d1/train-images-idx3-ubyte"), "x", 1);
    cr_assert_not(image_folder_detect(tmp_path("d1")), "an IDX folder with a sub-folder");
    tmp_folder("cifar/extra");
    put_png("cifar/extra/x.png", 2, 2, 1, 1, NULL);
    write_file(tmp_path("cifar/data_batch_1.bin"), "x", 1);
    cr_assert_not(image_folder_detect(tmp_path("cifar")), "a CIFAR folder");
    tmp_folder("text/notes");
    write_file(tmp_path("text/notes/a.txt"), "hello", 5);
    cr_assert_not(image_folder_detect(tmp_path("text")), "folders of text");
    tmp_folder("none");
    cr_assert_not(image_folder_detect(tmp_path("none")));
    cr_assert_not(image_folder_detect(tmp_path("missing")));
}

/* ---- the progress line ---- */

/* What a load of 50 pictures prints with after_s, ticking 10, 20, ... */
static char *progress_text(double after_s, int ticks)
{
    FILE *f = tmpfile();
    cr_assert_not_null(f);
    load_progress p;
    load_progress_begin(&p, f, "DIR/train", 50);
    p.after_s = after_s;
    p.every_s = 0;
    for (int i = 1; i <= ticks; i++) load_progress_tick(&p, i * 10);
    load_progress_end(&p, 50);
    long n = ftell(f);
    char *text = calloc((size_t)n + 1, 1);
    rewind(f);
    cr_assert_eq(fread(text, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return text;
}

Test(image_folder, progress_line)
{
    char *text = progress_text(0, 2);
    cr_assert_str_eq(text, "loading DIR/train: 10/50 pictures\nloading DIR/train: 20/50 pictures\n"
                           "loading DIR/train: 50/50 pictures in 0.0 s\n");
    free(text);
    text = progress_text(60, 5); /* a quick load prints nothing */
    cr_assert_str_eq(text, "");
    free(text);
    load_progress q; /* quiet */
    load_progress_begin(&q, NULL, "x", 1);
    q.after_s = 0;
    load_progress_tick(&q, 1);
    load_progress_end(&q, 1);
}

/* One tree with a class folder named "train" (pictures in it, no test/
 * beside it) reads as the two-tree layout; the refusal says so, and what to
 * do, rather than only that train/ holds no class folders. */
Test(image_folder, one_tree_class_named_train_told)
{
    tmp_folder("ct/train");
    tmp_folder("ct/dog");
    put_png("ct/train/1.png", 2, 2, 1, 1, NULL);
    put_png("ct/dog/1.png", 2, 2, 1, 2, NULL);
    image_folder_options o = quiet_options();
    for (int want_test = 0; want_test < 2; want_test++)
        load_fails(tmp_path("ct"), &o, want_test,
                   WANT("ct/train holds pictures but no class folders",
                        "a class named \"train\"", "rename"));
}
