/* data_source (include/data_source.h): which format a --data folder holds
 * (and --format forcing one), what data_probe says of each without the
 * samples, the picture-folder flags' parsing and their refusal elsewhere,
 * and --class-names from a list or a file against each format's class
 * count. The folders are made by each test (tests/format_util.c). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "data_source.h"
#include "format_util.h"
#include "png_io.h"
#include "run_util.h"

static void setup(void)
{
    make_temp_dir("test_data_source", NULL, 0);
}

TestSuite(data_source, .init = setup, .fini = remove_temp_dir, .timeout = 60);

/* The default settings with --data <temp_dir>/<rel> (rel "" for temp_dir). */
static run_config config_for(const char *rel)
{
    run_config c;
    run_config_defaults(&c);
    c.data = setting_text_keep(*rel ? tmp_path(rel) : temp_dir);
    cr_assert_not_null(c.data);
    c.quiet = 1;
    return c;
}

static const char *const ANIMALS[] = {"cat", "dog", "owl"};

/* <temp_dir>/<rel>/train/<class>/ and test/<class>/: three classes of
 * 12x10 (w x h) colour pictures, 4 and 2 each. */
static void two_trees(const char *rel)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/train", tmp_path(rel));
    write_picture_classes(dir, ANIMALS, 3, 4, 12, 10, 3, 1);
    snprintf(dir, sizeof dir, "%s/test", tmp_path(rel));
    write_picture_classes(dir, ANIMALS, 3, 2, 12, 10, 3, 2);
}

/* An IDX folder of 1 x 20 x 24 images with labels 0..6. */
static void idx_20x24(const char *rel)
{
    const char *dir = tmp_path(rel);
    make_folders(dir);
    write_idx_blocks(dir, "train", 40, 20, 24, 7, 1);
    write_idx_blocks(dir, "t10k", 20, 20, 24, 7, 2);
}

static data_shape probe_ok(const run_config *c)
{
    data_shape s;
    char err[1000] = "";
    cr_assert_eq(data_probe(c, &s, err, sizeof err), 0, "%s: %s", c->data, err);
    return s;
}

static void expect_shape(const data_shape *s, int format, int ch, int rows, int cols,
                         int classes, int at_least)
{
    cr_assert(s->format == format && s->channels == ch && s->rows == rows && s->cols == cols &&
                  s->classes == classes && s->classes_at_least == at_least,
              "format %d, %dx%dx%d, %d classes (at least: %d); want format %d, %dx%dx%d, %d "
              "(%d)", s->format, s->channels, s->rows, s->cols, s->classes, s->classes_at_least,
              format, ch, rows, cols, classes, at_least);
}

/* One line in err holding every one of want (NULL-terminated). */
static void expect_message(const char *err, const char *const *want)
{
    cr_assert(err[0], "no message");
    cr_assert_null(strchr(err, '\n'), "one line: %s", err);
    for (; *want; want++)
        cr_assert_not_null(strstr(err, *want), "the message should contain '%s': %s", *want,
                           err);
}

#define WANT(...) ((const char *const[]){__VA_ARGS__, NULL})

/* data_load (train and test) refuses c with want. */
static void expect_load_refused(const run_config *c, const char *const *want)
{
    dataset train, test;
    char err[1000] = "";
    cr_assert_neq(data_load(c, 0, &train, &test, NULL, err, sizeof err), 0, "%s: loaded",
                  c->data);
    cr_assert(train.images == NULL && test.images == NULL, "a refused load holds nothing");
    expect_message(err, want);
}

/* data_probe and data_load both refuse c with want. */
static void expect_refused(const run_config *c, const char *const *want)
{
    data_shape s;
    char err[1000] = "";
    cr_assert_neq(data_probe(c, &s, err, sizeof err), 0, "%s: probed", c->data);
    expect_message(err, want);
    expect_load_refused(c, want);
}

/* ---- which format ---- */

Test(data_source, format_told_by_the_files)
{
    write_cifar10_dir(tmp_path("c10"), 20, 10, NULL);
    write_cifar100_dir(tmp_path("c100"), 20, 10, 0);
    idx_20x24("idx");
    two_trees("two");
    write_picture_classes(tmp_path("one"), ANIMALS, 3, 2, 6, 5, 1, 3);
    static const struct { const char *rel; int format; } want[] = {
        {"c10", FORMAT_CIFAR10}, {"c100", FORMAT_CIFAR100}, {"idx", FORMAT_IDX},
        {"two", FORMAT_FOLDER}, {"one", FORMAT_FOLDER},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        run_config c = config_for(want[i].rel);
        cr_assert_eq(data_format(&c), want[i].format, "%s: format %d",
                     want[i].rel, data_format(&c));
    }
}

/* --format says it outright: each folder read as another format is
 * refused by that format's reader, naming what it misses (CIFAR's probe
 * reads nothing: its load says it). */
Test(data_source, format_forced)
{
    write_cifar10_dir(tmp_path("c10"), 20, 10, NULL);
    idx_20x24("idx");
    run_config c = config_for("c10");
    for (int f = FORMAT_IDX; f < FORMAT_COUNT; f++) {
        c.format = f;
        cr_assert_eq(data_format(&c), f);
    }
    c.format = FORMAT_IDX;
    expect_refused(&c, WANT("c10", "no train-images-idx3-ubyte"));
    c.format = FORMAT_CIFAR100;
    expect_load_refused(&c, WANT("c10", "no train.bin here"));
    c.format = FORMAT_FOLDER;
    expect_refused(&c, WANT("c10", "no class folders"));
    c = config_for("idx");
    c.format = FORMAT_CIFAR10;
    expect_load_refused(&c, WANT("idx", "no data_batch_1.bin here"));
    c.format = FORMAT_FOLDER;
    expect_refused(&c, WANT("idx", "no class folders"));
}

Test(data_source, empty_folder_says_what_it_looks_for)
{
    make_folders(tmp_path("empty"));
    run_config c = config_for("empty");
    expect_refused(&c, WANT("empty: no train-images-idx3-ubyte", "IDX files, CIFAR binaries or "
                            "class folders of pictures"));
    c = config_for("absent");
    expect_refused(&c, WANT("absent: cannot open folder"));
}

/* ---- what the probe says ---- */

Test(data_source, probe_cifar)
{
    write_cifar10_dir(tmp_path("c10"), 20, 10, CIFAR10_NAMES);
    write_cifar100_dir(tmp_path("c100"), 20, 10, 1);
    run_config c = config_for("c10");
    data_shape s = probe_ok(&c);
    expect_shape(&s, FORMAT_CIFAR10, 3, 32, 32, 10, 0);
    c = config_for("c100");
    s = probe_ok(&c);
    expect_shape(&s, FORMAT_CIFAR100, 3, 32, 32, 100, 0);
    c.labels = LABELS_COARSE;
    s = probe_ok(&c);
    expect_shape(&s, FORMAT_CIFAR100, 3, 32, 32, 20, 0);
}

/* The probe says what the load finds. */
static void expect_load_agrees(const run_config *c, const data_shape *s, int n_train,
                               int n_test)
{
    dataset train, test;
    char err[1000] = "";
    cr_assert_eq(data_load(c, 0, &train, &test, NULL, err, sizeof err), 0, "%s", err);
    cr_assert(train.channels == s->channels && train.rows == s->rows && train.cols == s->cols &&
                  train.classes == s->classes && train.classes_at_least == s->classes_at_least,
              "loaded %dx%dx%d, %d classes", train.channels, train.rows, train.cols,
              train.classes);
    cr_assert(test.channels == s->channels && test.rows == s->rows && test.cols == s->cols);
    cr_assert_eq(train.count, n_train);
    cr_assert_eq(test.count, n_test);
    dataset_free(&train);
    dataset_free(&test);
}

/* An IDX set's classes are only its largest label + 1: at least that many. */
Test(data_source, probe_idx_any_size_classes_at_least)
{
    idx_20x24("idx");
    run_config c = config_for("idx");
    data_shape s = probe_ok(&c);
    expect_shape(&s, FORMAT_IDX, 1, 20, 24, 7, 1);
    expect_load_agrees(&c, &s, 40, 20);
}

Test(data_source, probe_folder_first_picture_or_the_flags)
{
    two_trees("two");
    run_config c = config_for("two");
    data_shape s = probe_ok(&c);
    expect_shape(&s, FORMAT_FOLDER, 3, 10, 12, 3, 0);
    expect_load_agrees(&c, &s, 12, 6);
    c.image_size = "8x6";
    c.channels = 1;
    s = probe_ok(&c);
    expect_shape(&s, FORMAT_FOLDER, 1, 8, 6, 3, 0);
    expect_load_agrees(&c, &s, 12, 6);
    c.image_size = "7";
    c.channels = 3;
    s = probe_ok(&c);
    expect_shape(&s, FORMAT_FOLDER, 3, 7, 7, 3, 0);
}

/* ---- the picture folders' flags ---- */

Test(data_source, image_size_parse_errors)
{
    two_trees("two");
    static const char *const bad[] = {"0x5", "5x0", "5x", "x5", "x", "abc", "5x5x5", "-3x4",
                                      "+3x4", " 8x6", "8x6 ", "8 x6", "8x6x", "16385x2",
                                      "2x16385", "1e2x3", "0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        run_config c = config_for("two");
        c.image_size = bad[i];
        char text[64];
        snprintf(text, sizeof text, "--image-size %s: expected HxW or N", bad[i]);
        expect_refused(&c, WANT(text, "16384"));
    }
    run_config c = config_for("two");
    c.image_size = "16384x1"; /* the largest side allowed */
    data_shape s = probe_ok(&c);
    expect_shape(&s, FORMAT_FOLDER, 3, IMAGE_MAX_SIDE, 1, 3, 0);
}

Test(data_source, channels_2_refused)
{
    two_trees("two");
    run_config c = config_for("two");
    c.channels = 2;
    expect_refused(&c, WANT("--channels 2", "1 (grey) or 3 (colour)"));
}

/* --image-size, --channels and --skip-bad are refused for IDX and CIFAR
 * data, whose samples keep their shape. */
Test(data_source, folder_flags_refused_elsewhere)
{
    idx_20x24("idx");
    write_cifar10_dir(tmp_path("c10"), 20, 10, NULL);
    for (int k = 0; k < 2; k++) {
        const char *rel = k ? "c10" : "idx", *kind = k ? "is CIFAR-10 data" : "is IDX data";
        for (int flag = 0; flag < 3; flag++) {
            run_config c = config_for(rel);
            if (flag == 0) c.image_size = "8x8";
            if (flag == 1) c.channels = 1;
            if (flag == 2) c.skip_bad = 1;
            expect_refused(&c, WANT(kind, "--image-size, --channels and --skip-bad are for "
                                    "picture folders"));
        }
    }
}

/* ---- --class-names ---- */

/* data_load's training set with c, which must load. */
static dataset load_train_ok(const run_config *c, int classes)
{
    dataset train, test;
    char err[1000] = "";
    cr_assert_eq(data_load(c, classes, &train, &test, NULL, err, sizeof err), 0, "%s", err);
    cr_assert(class_names_same(&train.names, &test.names), "the test set has other names");
    cr_assert_eq(test.classes, train.classes);
    dataset_free(&test);
    return train;
}

static void expect_names(const class_names *n, const char *const *want, int count)
{
    cr_assert_eq(n->count, count);
    for (int i = 0; i < count; i++) cr_assert_str_eq(n->name[i], want[i], "name %d", i);
}

/* More names than an IDX set's labels need set its classes; as many as
 * its labels are fine; fewer are refused. */
Test(data_source, class_names_for_idx)
{
    static const char *const letters[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    idx_20x24("idx");
    run_config c = config_for("idx");
    c.class_names = "a,b,c,d,e,f,g";
    data_shape s = probe_ok(&c);
    expect_shape(&s, FORMAT_IDX, 1, 20, 24, 7, 0);
    dataset d = load_train_ok(&c, 0);
    expect_names(&d.names, letters, 7);
    cr_assert(d.classes == 7 && !d.classes_at_least);
    dataset_free(&d);
    write_file(tmp_path("names.txt"), "a\nb\nc\nd\ne\nf\ng\nh\n", 16);
    c.class_names = tmp_path("names.txt");
    s = probe_ok(&c);
    expect_shape(&s, FORMAT_IDX, 1, 20, 24, 8, 0);
    d = load_train_ok(&c, 8); /* (the net's classes, as train passes them) */
    expect_names(&d.names, letters, 8);
    cr_assert_eq(d.classes, 8);
    dataset_free(&d);
    c.class_names = "a,b,c,d,e,f";
    data_shape ignored;
    char err[1000] = "";
    cr_assert_neq(data_probe(&c, &ignored, err, sizeof err), 0);
    expect_message(err, WANT("--class-names a,b,c,d,e,f names 6 classes", "labels go up to 6"));
    dataset train, test;
    cr_assert_neq(data_load(&c, 0, &train, &test, NULL, err, sizeof err), 0);
    expect_message(err, WANT("--class-names a,b,c,d,e,f names 6 classes; the data has 7"));
}

/* A CIFAR set's names must be as many as its classes; they replace its
 * meta file's. */
Test(data_source, class_names_for_cifar_exact)
{
    write_cifar10_dir(tmp_path("c10"), 20, 10, CIFAR10_NAMES);
    run_config c = config_for("c10");
    dataset d = load_train_ok(&c, 0);
    expect_names(&d.names, CIFAR10_NAMES, 10);
    dataset_free(&d);
    c.class_names = "zero,one,two,three,four,five,six,seven,eight,nine";
    d = load_train_ok(&c, 0);
    expect_names(&d.names, OTHER_NAMES, 10);
    dataset_free(&d);
    static const char *const wrong[] = {"a,b,c,d,e,f,g,h,i", "a,b,c,d,e,f,g,h,i,j,k"};
    for (int i = 0; i < 2; i++) {
        c.class_names = wrong[i];
        dataset train, test;
        char err[1000] = "", text[64];
        cr_assert_neq(data_load(&c, 0, &train, &test, NULL, err, sizeof err), 0, "%s", wrong[i]);
        snprintf(text, sizeof text, "names %d classes; the data has 10", 9 + 2 * i);
        expect_message(err, WANT(wrong[i], text));
    }
    c.class_names = tmp_path("absent.txt");
    dataset train;
    char err[1000] = "";
    cr_assert_neq(data_load(&c, 0, &train, NULL, NULL, err, sizeof err), 0);
    expect_message(err, WANT("absent.txt"));
}

/* --labels coarse picks CIFAR-100's coarse labels; on any other data it
 * would be dropped without a word, so it is refused, naming the data. */
Test(data_source, labels_coarse_refused_elsewhere)
{
    idx_20x24("idx");
    two_trees("pics");
    write_cifar10_dir(tmp_path("c10"), 20, 10, NULL);
    static const char *const rels[] = {"idx", "pics", "c10"};
    static const char *const kinds[] = {"is IDX data", "is a picture folder",
                                        "is CIFAR-10 data"};
    for (int k = 0; k < 3; k++) {
        run_config c = config_for(rels[k]);
        c.labels = LABELS_COARSE;
        expect_refused(&c, WANT(kinds[k], "--labels coarse is for CIFAR-100"));
    }
}

/* Two classes of one name would make a prediction ambiguous: a list or a
 * file that repeats a name is refused, naming both classes. */
Test(data_source, class_names_repeated_refused)
{
    idx_20x24("idx");
    run_config c = config_for("idx");
    c.class_names = "a,b,c,b,e,f,g";
    expect_refused(&c, WANT("--class-names", "classes 1 and 3 are both named \"b\""));
    write_file(tmp_path("names.txt"), "a\nb\nc\nd\ne\nf\na\n", 14);
    c.class_names = tmp_path("names.txt");
    expect_refused(&c, WANT("names.txt", "classes 0 and 6 are both named \"a\""));
}
