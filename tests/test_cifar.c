/* CIFAR-10 and CIFAR-100 binaries (src/io/cifar.c): small synthetic folders
 * made by each test in its own temporary folder, read back byte for byte,
 * and every refusal with its one-line message. */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cifar.h"
#include "idx.h"
#include "run_util.h"

#define PIXELS 3072 /* 3 x 32 x 32 */

static char err[512];

static void setup(void)
{
    make_temp_dir("test_cifar", NULL, 0);
    err[0] = 0;
}

TestSuite(cifar, .init = setup, .fini = remove_temp_dir);

/* The synthetic records: file `salt`'s record i has these labels and image bytes. */
static unsigned char label10(int salt, int i) { return (unsigned char)((i * 3 + salt) % 10); }
static unsigned char coarse(int salt, int i) { return (unsigned char)((i + salt) % 20); }
static unsigned char fine(int salt, int i) { return (unsigned char)((i * 7 + salt) % 100); }
static unsigned char pixel(int salt, int i, int j)
{
    return (unsigned char)(salt * 101 + i * 31 + j * 7 + j / 1024);
}

/* Writes name in the temporary folder: n records of CIFAR-10 (label_bytes 1)
 * or CIFAR-100 (2), then `extra` more bytes. */
static void write_cifar(const char *name, int label_bytes, int n, int salt, size_t extra)
{
    size_t rec = (size_t)label_bytes + PIXELS, len = rec * (size_t)n + extra;
    unsigned char *b = calloc(len ? len : 1, 1), *p = b;
    cr_assert_not_null(b);
    for (int i = 0; i < n; i++, p += rec) {
        if (label_bytes == 1) {
            p[0] = label10(salt, i);
        } else {
            p[0] = coarse(salt, i);
            p[1] = fine(salt, i);
        }
        for (int j = 0; j < PIXELS; j++) p[label_bytes + j] = pixel(salt, i, j);
    }
    write_file(tmp_path(name), b, len);
    free(b);
}

/* Sets byte `at` of name to v. */
static void poke(const char *name, long at, unsigned char v)
{
    FILE *f = fopen(tmp_path(name), "r+b");
    cr_assert_not_null(f);
    cr_assert_eq(fseek(f, at, SEEK_SET), 0);
    cr_assert_eq(fputc(v, f), v);
    cr_assert_eq(fclose(f), 0);
}

/* A names file of n names, "<prefix>0" ..., each line ending in "\n", then `tail`. */
static void write_names(const char *name, const char *prefix, int n, const char *tail)
{
    char text[8192] = "";
    size_t len = 0;
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%s%d\n", prefix, i);
    snprintf(text + len, sizeof text - len, "%s", tail);
    write_file(tmp_path(name), text, strlen(text));
}

/* d holds, from sample `first` on, file salt's records 0 .. n-1 with the kept labels. */
static void expect_records(const dataset *d, int first, int n, int salt, int version,
                           int use_coarse)
{
    for (int i = 0; i < n; i++) {
        const unsigned char *img = d->images + (size_t)(first + i) * PIXELS;
        unsigned char want = version == CIFAR_10 ? label10(salt, i)
                             : use_coarse        ? coarse(salt, i)
                                                 : fine(salt, i);
        cr_assert_eq(d->labels[first + i], want, "sample %d's label", first + i);
        for (int j = 0; j < PIXELS; j++)
            cr_assert_eq(img[j], pixel(salt, i, j), "sample %d, byte %d", first + i, j);
    }
}

static void expect_shape(const dataset *d, int count, int classes)
{
    cr_assert_eq(d->count, count);
    cr_assert_eq(d->channels, 3);
    cr_assert_eq(d->rows, 32);
    cr_assert_eq(d->cols, 32);
    cr_assert_eq(d->classes, classes);
}

static void expect_names(const dataset *d, const char *prefix, int n)
{
    char want[64];
    cr_assert_eq(d->names.count, n);
    for (int i = 0; i < n; i++) {
        snprintf(want, sizeof want, "%s%d", prefix, i);
        cr_assert_str_eq(d->names.name[i], want);
    }
}

/* cifar_load of the temporary folder fails with one line holding every one
 * of the NULL-terminated words, and leaves both data sets empty. */
static void expect_refused(int version, int use_coarse, const char *const *words)
{
    dataset train, test;
    memset(&train, 0xff, sizeof train);
    memset(&test, 0xff, sizeof test);
    cr_assert_eq(cifar_load(temp_dir, version, use_coarse, &train, &test, err, sizeof err), -1,
                 "cifar_load should fail");
    cr_assert_null(train.images);
    cr_assert_null(test.labels);
    cr_assert_eq(train.count + test.count + train.names.count + test.names.count, 0);
    cr_assert_null(strchr(err, '\n'), "one line: %s", err);
    for (const char *const *w = words; *w; w++)
        cr_assert_not_null(strstr(err, *w), "message \"%s\" lacks \"%s\"", err, *w);
}
#define REFUSED(version, use_coarse, ...) \
    expect_refused(version, use_coarse, (const char *const[]){__VA_ARGS__, NULL})

/* --- what is read --- */

Test(cifar, detect_tells_the_versions_by_their_first_training_file)
{
    cr_assert_eq(cifar_detect(temp_dir), CIFAR_NONE);
    cr_assert_eq(cifar_detect(tmp_path("no-such-folder")), CIFAR_NONE);
    write_cifar("train.bin", 2, 1, 0, 0);
    cr_assert_eq(cifar_detect(temp_dir), CIFAR_100);
    write_cifar("data_batch_1.bin", 1, 1, 0, 0);
    cr_assert_eq(cifar_detect(temp_dir), CIFAR_10);
    unlink(tmp_path("train.bin"));
    cr_assert_eq(cifar_detect(temp_dir), CIFAR_10);
}

Test(cifar, cifar10_batches_in_order_then_the_test_file_with_names)
{
    write_cifar("data_batch_1.bin", 1, 4, 1, 0);
    write_cifar("data_batch_2.bin", 1, 3, 2, 0);
    write_cifar("data_batch_3.bin", 1, 2, 3, 0);
    write_cifar("test_batch.bin", 1, 5, 9, 0);
    write_names("batches.meta.txt", "n", 10, "\n"); /* as CIFAR-10's: a blank line at the end */
    dataset train, test;
    cr_assert_eq(cifar_load(temp_dir, CIFAR_10, 0, &train, &test, err, sizeof err), 0, "%s", err);
    expect_shape(&train, 9, 10);
    expect_records(&train, 0, 4, 1, CIFAR_10, 0);
    expect_records(&train, 4, 3, 2, CIFAR_10, 0);
    expect_records(&train, 7, 2, 3, CIFAR_10, 0);
    expect_shape(&test, 5, 10);
    expect_records(&test, 0, 5, 9, CIFAR_10, 0);
    expect_names(&train, "n", 10);
    expect_names(&test, "n", 10);
    dataset_free(&train);
    dataset_free(&test);
}

Test(cifar, cifar10_all_five_batches_and_no_names_file)
{
    char name[32];
    for (int b = 1; b <= 5; b++) {
        snprintf(name, sizeof name, "data_batch_%d.bin", b);
        write_cifar(name, 1, b, b, 0);
    }
    write_cifar("test_batch.bin", 1, 1, 7, 0);
    dataset train, test;
    cr_assert_eq(cifar_load(temp_dir, CIFAR_10, 0, &train, &test, err, sizeof err), 0, "%s", err);
    expect_shape(&train, 15, 10);
    for (int b = 1, at = 0; b <= 5; at += b, b++) expect_records(&train, at, b, b, CIFAR_10, 0);
    cr_assert_eq(train.names.count, 0);
    dataset_free(&train);
    dataset_free(&test);
}

Test(cifar, records_past_one_read_chunk)
{
    write_cifar("data_batch_1.bin", 1, 1100, 1, 0); /* the reader takes 512 records at a time */
    write_cifar("test_batch.bin", 1, 1, 9, 0);
    dataset train;
    cr_assert_eq(cifar_load(temp_dir, CIFAR_10, 0, &train, NULL, err, sizeof err), 0, "%s", err);
    expect_shape(&train, 1100, 10);
    expect_records(&train, 0, 1100, 1, CIFAR_10, 0);
    dataset_free(&train);
}

Test(cifar, cifar100_fine_labels_and_names)
{
    write_cifar("train.bin", 2, 6, 4, 0);
    write_cifar("test.bin", 2, 3, 5, 0);
    write_names("fine_label_names.txt", "f", 100, "");
    write_names("coarse_label_names.txt", "c", 20, "");
    dataset train, test;
    cr_assert_eq(cifar_load(temp_dir, CIFAR_100, 0, &train, &test, err, sizeof err), 0, "%s",
                 err);
    expect_shape(&train, 6, 100);
    expect_records(&train, 0, 6, 4, CIFAR_100, 0);
    expect_shape(&test, 3, 100);
    expect_records(&test, 0, 3, 5, CIFAR_100, 0);
    expect_names(&test, "f", 100);
    dataset_free(&train);
    dataset_free(&test);
}

Test(cifar, cifar100_coarse_labels_and_names)
{
    write_cifar("train.bin", 2, 25, 4, 0); /* coarse labels 4..19, 0..8: all 20 seen */
    write_cifar("test.bin", 2, 3, 5, 0);
    write_names("fine_label_names.txt", "f", 100, "");
    write_names("coarse_label_names.txt", "c", 20, "");
    dataset train, test;
    cr_assert_eq(cifar_load(temp_dir, CIFAR_100, 1, &train, &test, err, sizeof err), 0, "%s",
                 err);
    expect_shape(&train, 25, 20);
    expect_records(&train, 0, 25, 4, CIFAR_100, 1);
    expect_records(&test, 0, 3, 5, CIFAR_100, 1);
    expect_names(&train, "c", 20);
    dataset_free(&train);
    dataset_free(&test);
}

Test(cifar, only_the_split_asked_for_is_read)
{
    write_cifar("test_batch.bin", 1, 2, 3, 0); /* no training batch at all */
    write_names("batches.meta.txt", "n", 10, "");
    dataset test;
    cr_assert_eq(cifar_load(temp_dir, CIFAR_10, 0, NULL, &test, err, sizeof err), 0, "%s", err);
    expect_shape(&test, 2, 10);
    expect_records(&test, 0, 2, 3, CIFAR_10, 0);
    expect_names(&test, "n", 10);
    dataset_free(&test);

    write_cifar("train.bin", 2, 2, 1, 0); /* no test.bin */
    dataset train;
    cr_assert_eq(cifar_load(temp_dir, CIFAR_100, 0, &train, NULL, err, sizeof err), 0, "%s",
                 err);
    expect_shape(&train, 2, 100);
    cr_assert_eq(train.names.count, 0);
    dataset_free(&train);
}

/* --- missing files --- */

Test(cifar, missing_test_file)
{
    write_cifar("data_batch_1.bin", 1, 2, 1, 0);
    REFUSED(CIFAR_10, 0, "no test_batch.bin here", temp_dir);
}

Test(cifar, missing_cifar100_files)
{
    write_cifar("test.bin", 2, 1, 1, 0);
    REFUSED(CIFAR_100, 0, "no train.bin here");
    write_cifar("train.bin", 2, 1, 1, 0);
    unlink(tmp_path("test.bin"));
    REFUSED(CIFAR_100, 1, "no test.bin here");
}

Test(cifar, a_batch_after_a_missing_one_is_not_dropped)
{
    write_cifar("data_batch_1.bin", 1, 1, 1, 0);
    write_cifar("data_batch_3.bin", 1, 1, 3, 0);
    write_cifar("test_batch.bin", 1, 1, 9, 0);
    REFUSED(CIFAR_10, 0, "data_batch_3.bin is there but data_batch_2.bin is missing");
}

Test(cifar, compressed_and_python_versions_are_told_apart)
{
    write_file(tmp_path("data_batch_1.bin.gz"), "\x1f\x8b\x08", 3);
    REFUSED(CIFAR_10, 0, "no data_batch_1.bin here", "gunzip it");
    unlink(tmp_path("data_batch_1.bin.gz"));
    write_file(tmp_path("data_batch_1"), "\x80\x02}q", 4); /* a pickle */
    REFUSED(CIFAR_10, 0, "no data_batch_1.bin here", "Python version");
    write_cifar("data_batch_1.bin", 1, 2, 1, 0);
    write_file(tmp_path("test_batch.bin"), "\x1f\x8b\x08\x00", 4);
    REFUSED(CIFAR_10, 0, "test_batch.bin: file looks gzipped");
}

Test(cifar, not_a_folder_and_not_a_file)
{
    write_file(tmp_path("plain"), "x", 1);
    dataset train;
    cr_assert_eq(cifar_load(tmp_path("plain"), CIFAR_10, 0, &train, NULL, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "not a folder"), "%s", err);
    cr_assert_eq(cifar_load(tmp_path("none"), CIFAR_10, 0, &train, NULL, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "cannot open folder"), "%s", err);
    cr_assert_eq(mkfifo(tmp_path("data_batch_1.bin"), 0600), 0);
    REFUSED(CIFAR_10, 0, "data_batch_1.bin: not a regular file (a FIFO)");
}

/* --- damaged files --- */

Test(cifar, empty_and_truncated_files)
{
    write_file(tmp_path("data_batch_1.bin"), "", 0);
    write_cifar("test_batch.bin", 1, 1, 9, 0);
    REFUSED(CIFAR_10, 0, "data_batch_1.bin: empty file");
    write_file(tmp_path("data_batch_1.bin"), "\x01\x02\x03", 3);
    REFUSED(CIFAR_10, 0, "data_batch_1.bin: truncated: 3 bytes, less than one CIFAR-10 record",
            "3073 bytes");
}

Test(cifar, partial_record)
{
    write_cifar("data_batch_1.bin", 1, 2, 1, 0);
    write_cifar("test_batch.bin", 1, 2, 9, 1000);
    REFUSED(CIFAR_10, 0, "test_batch.bin: 7146 bytes is not a whole number of 3073-byte",
            "(2 records and 1000 bytes)");
    write_cifar("train.bin", 1, 2, 1, 0); /* CIFAR-10 records in a CIFAR-100 file */
    REFUSED(CIFAR_100, 0, "train.bin:", "3074-byte CIFAR-100 records");
}

Test(cifar, more_records_than_accepted_is_refused_before_reading)
{
    write_cifar("test_batch.bin", 1, 1, 9, 0);
    int fd = open(tmp_path("data_batch_1.bin"), O_WRONLY | O_CREAT, 0600);
    cr_assert_geq(fd, 0);
    /* sparse: ~307 GB that take no room and, read, would take minutes */
    cr_assert_eq(ftruncate(fd, (off_t)3073 * (IDX_MAX_ITEMS + 1)), 0);
    close(fd);
    REFUSED(CIFAR_10, 0, "data_batch_1.bin: 100000001 records, more than the 100000000");
}

/* --- labels and names --- */

Test(cifar, label_beyond_the_classes_names_file_and_record)
{
    write_cifar("data_batch_1.bin", 1, 3, 1, 0);
    write_cifar("data_batch_2.bin", 1, 3, 2, 0);
    write_cifar("test_batch.bin", 1, 1, 9, 0);
    poke("data_batch_2.bin", 2 * 3073, 10);
    REFUSED(CIFAR_10, 0, "data_batch_2.bin: record 2: label 10 is out of range 0..9");
}

Test(cifar, cifar100_both_labels_checked)
{
    write_cifar("train.bin", 2, 3, 1, 0);
    write_cifar("test.bin", 2, 3, 2, 0);
    poke("train.bin", 1 * 3074, 20); /* a coarse label, though the fine ones are read */
    REFUSED(CIFAR_100, 0, "train.bin: record 1: coarse label 20 is out of range 0..19");
    write_cifar("train.bin", 2, 3, 1, 0);
    poke("test.bin", 2 * 3074 + 1, 100);
    REFUSED(CIFAR_100, 1, "test.bin: record 2: fine label 100 is out of range 0..99");
}

Test(cifar, names_file_of_another_count)
{
    write_cifar("data_batch_1.bin", 1, 1, 1, 0);
    write_cifar("test_batch.bin", 1, 1, 9, 0);
    write_names("batches.meta.txt", "n", 9, "");
    REFUSED(CIFAR_10, 0, "batches.meta.txt: 9 class names for CIFAR-10's 10 classes");
    write_file(tmp_path("batches.meta.txt"), "a\n\nb\n", 5); /* a blank name inside */
    REFUSED(CIFAR_10, 0, "batches.meta.txt", "class 1 has an empty name");
}

Test(cifar, cifar100_names_of_the_labels_kept)
{
    write_cifar("train.bin", 2, 1, 1, 0);
    write_cifar("test.bin", 2, 1, 1, 0);
    write_names("fine_label_names.txt", "f", 100, "");
    write_names("coarse_label_names.txt", "c", 100, ""); /* the fine names, by mistake */
    REFUSED(CIFAR_100, 1, "coarse_label_names.txt: 100 class names for CIFAR-100's 20 classes");
    dataset train;
    cr_assert_eq(cifar_load(temp_dir, CIFAR_100, 0, &train, NULL, err, sizeof err), 0, "%s",
                 err);
    expect_names(&train, "f", 100);
    dataset_free(&train);
}

Test(cifar, coarse_labels_and_unknown_versions_refused)
{
    write_cifar("data_batch_1.bin", 1, 1, 1, 0);
    write_cifar("test_batch.bin", 1, 1, 9, 0);
    REFUSED(CIFAR_10, 1, "coarse labels are CIFAR-100's");
    REFUSED(CIFAR_NONE, 0, "CIFAR version 0");
}
