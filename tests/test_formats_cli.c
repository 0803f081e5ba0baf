/* Issue 26's data paths end to end, through the cnn binary: CIFAR-10 and
 * CIFAR-100 binaries, IDX of another size, picture folders (two trees, one
 * tree with --val, --skip-bad), --class-names, and what a checkpoint keeps
 * of them (eval finds the model's data, summary shows its shape and names,
 * eval refuses another shape and warns of other names), a colour run's exact
 * resume and --augment flip. The data sets are tiny and made here
 * (tests/format_util.c). The binary is $CNN_BIN, or build/cnn. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format_util.h"
#include "run_util.h"

#define RUN_TIMEOUT_S 120

static void setup(void)
{
    make_temp_dir("test_formats_cli", NULL, 0);
}

TestSuite(formats_cli, .init = setup, .fini = remove_temp_dir, .timeout = 240);

#define A(...) ((const char *const[]){__VA_ARGS__, NULL})
#define W(...) ((const char *const[]){__VA_ARGS__, NULL})
#define RUN(r, ...) run_cnn(CNN_ARGV(__VA_ARGS__), RUN_TIMEOUT_S, (r))

/* cnn train on the CPU, one epoch, on <temp_dir>/<rel> with args. */
static void train(result *r, const char *env, const char *rel, const char *const *args)
{
    run_train(r, env, tmp_path(rel), args, RUN_TIMEOUT_S);
}

static void expect_success(const result *r, const char *what)
{
    expect_not_crashed(r);
    cr_assert_eq(r->status, 0, "%s: exit %d; stderr: %s", what, r->status, r->err);
}

/* out holds text (the banner's lines, a summary's). */
static void expect_out(const result *r, const char *text, const char *what)
{
    cr_assert_not_null(strstr(r->out, text), "%s: no \"%s\" in:\n%s", what, text, r->out);
}

/* summary's input line, its spaces dropped, reads "input<shape>". */
static void expect_summary_input(const result *r, const char *shape)
{
    char want[64];
    snprintf(want, sizeof want, "input%s", shape);
    for (const char *line = r->out; *line;) {
        size_t len = strcspn(line, "\n");
        char packed[256];
        size_t n = 0;
        for (size_t i = 0; i < len && n + 1 < sizeof packed; i++)
            if (line[i] != ' ') packed[n++] = line[i];
        packed[n] = 0;
        if (!strncmp(packed, "input", 5)) {
            cr_assert_str_eq(packed, want, "summary's input line: %.*s", (int)len, line);
            return;
        }
        line += len + (line[len] == '\n');
    }
    cr_assert_fail("summary shows no input line:\n%s", r->out);
}

/* The value of the last stdout line's JSON field key. */
static void json_value(const result *r, const char *key, char *value, size_t len)
{
    char json[4096];
    json_of(r, json, sizeof json);
    cr_assert_eq(json_field(json, key, value, len), 0, "no \"%s\" in %s", key, json);
}

/* ---- CIFAR-10: train, then eval and summary from the checkpoint ---- */

/* <temp_dir>/c10 (40 training and 20 test records, named) and a model of
 * it trained one epoch, saved at <temp_dir>/m.ckpt. */
static void cifar10_model(void)
{
    write_cifar10_dir(tmp_path("c10"), 40, 20, CIFAR10_NAMES);
    result r;
    train(&r, NULL, "c10", A("--epochs", "1", "--save", tmp_path("m.ckpt")));
    expect_success(&r, "train on CIFAR-10");
    expect_out(&r, "(40 train, 20 test)", "the banner");
    expect_out(&r, "3x32x32, 10 classes: airplane, automobile, bird, cat, deer, dog, frog, "
               "horse, ship, truck\n", "the banner");
    expect_out(&r, "channel 2:", "the banner's per-channel input scaling");
    result_free(&r);
}

Test(formats_cli, cifar10_model_keeps_its_data_shape_and_names)
{
    cifar10_model();
    result r;
    /* no --data: the model's own folder, not data/mnist */
    RUN(&r, "eval", "--model", tmp_path("m.ckpt"), "--device", "cpu");
    expect_success(&r, "eval without --data");
    expect_out(&r, "(20 images)", "eval");
    expect_out(&r, "classes: 0 airplane, 1 automobile", "eval");
    char acc[64];
    json_value(&r, "test_acc", acc, sizeof acc);
    result_free(&r);
    RUN(&r, "summary", "--model", tmp_path("m.ckpt"));
    expect_success(&r, "summary");
    expect_summary_input(&r, "3x32x32");
    expect_out(&r, "classes: 10 (0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, "
               "6 frog, 7 horse, 8 ship, 9 truck)\n", "summary");
    result_free(&r);
}

Test(formats_cli, eval_refuses_another_shape_naming_both)
{
    cifar10_model();
    make_folders(tmp_path("mnist"));
    write_idx_blocks(tmp_path("mnist"), "train", 20, 28, 28, 10, 3);
    write_idx_blocks(tmp_path("mnist"), "t10k", 20, 28, 28, 10, 4);
    result r;
    RUN(&r, "eval", "--model", tmp_path("m.ckpt"), "--device", "cpu", "--data",
        tmp_path("mnist"));
    expect_error(&r, 1, W("holds 1x28x28 inputs of 10 classes", "the model takes 3x32x32 "
                          "inputs of 10 classes"), "eval on MNIST-shaped data");
    result_free(&r);
}

Test(formats_cli, eval_warns_of_other_names_and_evaluates)
{
    cifar10_model();
    write_cifar10_dir(tmp_path("renamed"), 40, 20, OTHER_NAMES);
    result r;
    RUN(&r, "eval", "--model", tmp_path("m.ckpt"), "--device", "cpu", "--data",
        tmp_path("renamed"));
    expect_error(&r, 0, W("warning: the data's class names differ from the model's",
                          "class 0: \"zero\"", "\"airplane\" in the model"), "other names");
    char acc[64];
    json_value(&r, "test_acc", acc, sizeof acc);
    result_free(&r);
}

/* ---- CIFAR-100's two label sets ---- */

/* Trains on <temp_dir>/c100 with --labels labels and checks the classes
 * the net, the checkpoint and eval take. */
static void cifar100_run(const char *labels, const char *fc, const char *classes_line)
{
    char ck[64];
    snprintf(ck, sizeof ck, "%s.ckpt", labels);
    result r;
    train(&r, NULL, "c100", A("--epochs", "1", "--labels", labels, "--save", tmp_path(ck)));
    expect_success(&r, labels);
    char spec[512];
    json_value(&r, "spec", spec, sizeof spec);
    cr_assert_not_null(strstr(spec, fc), "--labels %s: spec %s", labels, spec);
    result_free(&r);
    RUN(&r, "summary", "--model", tmp_path(ck));
    expect_success(&r, "summary");
    expect_out(&r, classes_line, "summary");
    result_free(&r);
    RUN(&r, "eval", "--model", tmp_path(ck), "--device", "cpu"); /* (its labels kept) */
    expect_success(&r, "eval");
    expect_out(&r, "(100 images)", "eval");
    result_free(&r);
}

Test(formats_cli, cifar100_coarse_and_fine_labels)
{
    write_cifar100_dir(tmp_path("c100"), 200, 100, 1);
    cifar100_run("coarse", ",fc20,softmax", "classes: 20 (0 coarse0, 1 coarse1,");
    cifar100_run("fine", ",fc100,softmax", "classes: 100 (0 fine0, 1 fine1,");
}

/* ---- IDX of another size and class count ---- */

/* <temp_dir>/idx: 40 training and 20 test images of 1 x 20 x 24, labels 0..6. */
static void idx_20x24(void)
{
    make_folders(tmp_path("idx"));
    write_idx_blocks(tmp_path("idx"), "train", 40, 20, 24, 7, 5);
    write_idx_blocks(tmp_path("idx"), "t10k", 20, 20, 24, 7, 6);
}

Test(formats_cli, idx_non_square_seven_classes)
{
    idx_20x24();
    result r;
    train(&r, NULL, "idx", A("--epochs", "1", "--net", "conv4k3p1,relu,maxpool2,fc7,softmax",
                             "--save", tmp_path("o.ckpt")));
    expect_success(&r, "train on 1x20x24");
    expect_out(&r, "1x20x24, 7 classes\n", "the banner");
    result_free(&r);
    RUN(&r, "summary", "--model", tmp_path("o.ckpt"));
    expect_success(&r, "summary");
    expect_summary_input(&r, "1x20x24");
    expect_out(&r, "classes: 7\n", "summary");
    result_free(&r);
    RUN(&r, "eval", "--model", tmp_path("o.ckpt"), "--device", "cpu");
    expect_success(&r, "eval");
    expect_out(&r, "(20 images)", "eval");
    result_free(&r);
    train(&r, NULL, "idx", A("--epochs", "1", "--net", "conv4k3p1,relu,maxpool2,fc5,softmax"));
    expect_error(&r, 2, W("the last fc has 5 outputs", "labels go up to 6"), "fc5 for 7 labels");
    result_free(&r);
}

/* --class-names for an IDX set: more names than labels set the classes;
 * the checkpoint keeps them for summary and eval. */
Test(formats_cli, idx_class_names_kept_by_the_checkpoint)
{
    idx_20x24();
    write_file(tmp_path("names.txt"), "ant\nbee\ncow\ndog\nemu\nfox\ngnu\nhen\n", 32);
    result r;
    train(&r, NULL, "idx", A("--epochs", "1", "--class-names", tmp_path("names.txt"), "--save",
                             tmp_path("n.ckpt")));
    expect_success(&r, "train with a names file");
    expect_out(&r, "1x20x24, 8 classes: ant, bee, cow, dog, emu, fox, gnu, hen\n", "the banner");
    char spec[512];
    json_value(&r, "spec", spec, sizeof spec);
    cr_assert_not_null(strstr(spec, ",fc8,softmax"), "spec %s", spec);
    result_free(&r);
    RUN(&r, "summary", "--model", tmp_path("n.ckpt"));
    expect_success(&r, "summary");
    expect_out(&r, "classes: 8 (0 ant, 1 bee, 2 cow, 3 dog, 4 emu, 5 fox, 6 gnu, 7 hen)\n",
               "summary");
    result_free(&r);
    RUN(&r, "eval", "--model", tmp_path("n.ckpt"), "--device", "cpu");
    expect_success(&r, "eval");
    expect_out(&r, "classes: 0 ant, 1 bee", "eval");
    result_free(&r);
    train(&r, NULL, "idx", A("--epochs", "1", "--class-names", "a,b,c"));
    expect_error(&r, 1, W("--class-names a,b,c names 3 classes", "labels go up to 6"),
                 "too few names");
    result_free(&r);
    /* a resume keeps the checkpoint's names: others are refused, the same ones taken */
    train(&r, NULL, "idx", A("--epochs", "2", "--resume", tmp_path("n.ckpt"), "--class-names",
                             "ant,bee,cow,dog,emu,fox,gnu,yak"));
    expect_error(&r, 2, W("would rename the classes", "the first: ant"), "renamed on resume");
    result_free(&r);
    train(&r, NULL, "idx", A("--epochs", "2", "--resume", tmp_path("n.ckpt"), "--class-names",
                             tmp_path("names.txt")));
    expect_success(&r, "the same names on resume");
    result_free(&r);
}

/* ---- picture folders ---- */

static const char *const ANIMALS[] = {"cat", "dog", "owl"};

/* <temp_dir>/pics/train/<class>/ (4 each) and test/<class>/ (2 each) of
 * 12x10 colour PNGs. */
static void picture_trees(void)
{
    write_picture_classes(tmp_path("pics/train"), ANIMALS, 3, 4, 12, 10, 3, 1);
    write_picture_classes(tmp_path("pics/test"), ANIMALS, 3, 2, 12, 10, 3, 2);
}

Test(formats_cli, picture_folder_two_trees)
{
    picture_trees();
    result r;
    train(&r, NULL, "pics", A("--epochs", "1", "--net", "conv4k3p1,relu,fc3,softmax", "--save",
                              tmp_path("p.ckpt")));
    expect_success(&r, "train on two trees");
    expect_out(&r, "(12 train, 6 test)", "the banner");
    expect_out(&r, "3x10x12, 3 classes: cat, dog, owl\n", "the banner");
    result_free(&r);
    RUN(&r, "eval", "--model", tmp_path("p.ckpt"), "--device", "cpu");
    expect_success(&r, "eval");
    expect_out(&r, "(6 images)", "eval");
    result_free(&r);
    /* the size and channels asked for, kept for eval too */
    train(&r, NULL, "pics", A("--epochs", "1", "--net", "fc3,softmax", "--image-size", "5x7",
                              "--channels", "1", "--save", tmp_path("g.ckpt")));
    expect_success(&r, "train on grey 5x7");
    expect_out(&r, "1x5x7, 3 classes", "the banner");
    result_free(&r);
    RUN(&r, "eval", "--model", tmp_path("g.ckpt"), "--device", "cpu");
    expect_success(&r, "eval of the grey model");
    result_free(&r);
    /* a 1x28x28 model of a picture folder takes pictures as it was trained on
     * them (stretched), not as MNIST's digits (inverted, cropped, centred) */
    train(&r, NULL, "pics", A("--epochs", "1", "--net", "fc3,softmax", "--image-size", "28x28",
                              "--channels", "1", "--save", tmp_path("d.ckpt")));
    expect_success(&r, "train on grey 28x28 pictures");
    result_free(&r);
    RUN(&r, "predict", "--model", tmp_path("d.ckpt"), tmp_path("pics/test/cat"));
    expect_success(&r, "predict with the folder's model");
    expect_out(&r, "stretched to 28x28 by area averaging", "predict's preparation");
    cr_assert_null(strstr(r.out, "digit"), "prepared as a digit: %s", r.out);
    result_free(&r);
}

Test(formats_cli, picture_folder_one_tree_with_val)
{
    write_picture_classes(tmp_path("one"), ANIMALS, 3, 5, 8, 8, 1, 3);
    result r;
    train(&r, NULL, "one", A("--epochs", "1", "--net", "fc3,softmax", "--val", "3"));
    expect_success(&r, "one tree with --val 3");
    expect_out(&r, "(12 train, 3 validation, 3 test)", "the banner");
    expect_out(&r, "1x8x8, 3 classes: cat, dog, owl\n", "the banner");
    char val[64];
    json_value(&r, "val", val, sizeof val);
    cr_assert_str_eq(val, "3");
    result_free(&r);
    train(&r, NULL, "one", A("--epochs", "1", "--net", "fc3,softmax"));
    expect_error(&r, 2, W("has no test/ folder", "--val N"), "one tree without --val");
    result_free(&r);
}

Test(formats_cli, skip_bad_counts_a_broken_picture)
{
    picture_trees();
    write_file(tmp_path("pics/train/dog/01.png"), "\x89PNG\r\n\x1a\nbroken", 14);
    result r;
    train(&r, NULL, "pics", A("--epochs", "1", "--net", "fc3,softmax"));
    expect_error(&r, 1, W("pics/train/dog/01.png"), "a broken picture");
    result_free(&r);
    train(&r, NULL, "pics", A("--epochs", "1", "--net", "fc3,softmax", "--skip-bad"));
    expect_success(&r, "--skip-bad");
    expect_out(&r, "(11 train, 6 test)", "the banner");
    expect_out(&r, "1 unreadable pictures (--skip-bad)", "the banner");
    result_free(&r);
}

/* ---- training for colour ---- */

#define COLOUR_ARGS "--epochs", "2", "--batch", "16", "--seed", "4", "--augment", "flip,shift:1", \
                    "--momentum", "0.9"

/* Interrupted after step 3 of 4 (mid-epoch) and resumed: the checkpoint
 * is the uninterrupted run's, byte for byte (per-channel scaling, names and
 * the flips' draws included). */
Test(formats_cli, colour_run_resumes_exactly)
{
    write_cifar10_dir(tmp_path("c10"), 60, 20, CIFAR10_NAMES);
    result r;
    train(&r, NULL, "c10", A(COLOUR_ARGS, "--save", tmp_path("A.ckpt")));
    expect_success(&r, "the uninterrupted run");
    result_free(&r);
    train(&r, "CNN_TEST_SIGINT_AT_STEP=3", "c10", A(COLOUR_ARGS, "--save", tmp_path("B.ckpt")));
    cr_assert_eq(r.status, 130, "interrupted: exit %d: %s", r.status, r.err);
    result_free(&r);
    train(&r, NULL, "c10", A("--resume", tmp_path("B.ckpt"), "--save", tmp_path("C.ckpt")));
    expect_success(&r, "the resumed run");
    expect_out(&r, "after 3 of its 4 steps", "the resumed banner");
    result_free(&r);
    expect_same_file(tmp_path("A.ckpt"), tmp_path("C.ckpt"), "interrupted at step 3, resumed");
}

/* --augment flip trains, and changes what it trains on. */
Test(formats_cli, augment_flip_trains)
{
    write_cifar10_dir(tmp_path("c10"), 40, 20, NULL);
    result r;
    train(&r, NULL, "c10", A("--epochs", "1", "--augment", "flip"));
    expect_success(&r, "--augment flip");
    expect_out(&r, "  augment       flip left-right\n", "the banner");
    char flipped[64], plain[64];
    json_value(&r, "train_loss", flipped, sizeof flipped);
    result_free(&r);
    train(&r, NULL, "c10", A("--epochs", "1"));
    expect_success(&r, "no augmentation");
    json_value(&r, "train_loss", plain, sizeof plain);
    result_free(&r);
    cr_assert_str_neq(flipped, plain, "flip trained exactly as no augmentation (loss %s)", plain);
}

/* A model whose data is not where its train run found it (moved, or a
 * checkpoint from another machine): eval without --data says the path is
 * the model's own and how to name another, on one line. */
Test(formats_cli, eval_without_data_names_the_models_missing_data)
{
    cifar10_model();
    char moved[4200];
    snprintf(moved, sizeof moved, "%s.moved", tmp_path("c10"));
    cr_assert_eq(rename(tmp_path("c10"), moved), 0);
    result r;
    RUN(&r, "eval", "--model", tmp_path("m.ckpt"), "--device", "cpu");
    expect_error(&r, 1, W("c10", "the model's own --data", "give --data"), "eval, data moved");
    result_free(&r);
}
