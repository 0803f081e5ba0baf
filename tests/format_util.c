/* Synthetic data sets in every format: see format_util.h. */
#include "format_util.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "idx_util.h"
#include "picture_util.h"
#include "rng.h"
#include "run_util.h"

const char *const CIFAR10_NAMES[10] = {"airplane", "automobile", "bird", "cat", "deer",
                                       "dog", "frog", "horse", "ship", "truck"};
const char *const OTHER_NAMES[10] = {"zero", "one", "two", "three", "four",
                                     "five", "six", "seven", "eight", "nine"};

void make_folders(const char *path)
{
    char buf[4200];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *s = buf + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            mkdir(buf, 0755);
            *s = '/';
        }
    cr_assert(mkdir(buf, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", buf, strerror(errno));
}

static void write_all(const char *path, const unsigned char *head, size_t head_len,
                      const unsigned char *body, size_t body_len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    cr_assert_eq(fwrite(head, 1, head_len, f), head_len);
    cr_assert_eq(fwrite(body, 1, body_len, f), body_len);
    cr_assert_eq(fclose(f), 0, "%s", path);
}

/* Whether pixel (y, x) of a rows x cols image lies in class k's block: the
 * classes' blocks tile the image on a grid of about sqrt(classes) a side. */
static int in_block(int k, int classes, int rows, int cols, int y, int x)
{
    int gx = 1;
    while (gx * gx < classes) gx++;
    int gy = (classes + gx - 1) / gx, ch = rows / gy, cw = cols / gx;
    return y / ch == k / gx && x / cw == k % gx;
}

void write_idx_blocks(const char *dir, const char *prefix, int n, int rows, int cols,
                      int classes, uint64_t seed)
{
    rng r = {seed};
    size_t plane = (size_t)rows * cols;
    unsigned char *images = malloc(plane * n), *labels = malloc((size_t)n);
    cr_assert(images && labels);
    for (int i = 0; i < n; i++) {
        labels[i] = (unsigned char)(i % classes);
        for (int y = 0; y < rows; y++)
            for (int x = 0; x < cols; x++)
                images[i * plane + y * cols + x] = (unsigned char)(
                    (in_block(labels[i], classes, rows, cols, y, x) ? 190 : 0) +
                    rng_below(&r, 60));
    }
    unsigned char head[16];
    char path[4200];
    store_be32(head, 0x803);
    store_be32(head + 4, (unsigned)n);
    store_be32(head + 8, (unsigned)rows);
    store_be32(head + 12, (unsigned)cols);
    snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte", dir, prefix);
    write_all(path, head, 16, images, plane * n);
    store_be32(head, 0x801);
    snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte", dir, prefix);
    write_all(path, head, 8, labels, (size_t)n);
    free(images);
    free(labels);
}

/* Class k's colour: channel c bright or dark by bit c of k + 1, and the
 * class's block brighter still (so that ten classes differ). */
static unsigned char tinted(int k, int classes, int c, int y, int x, rng *r)
{
    int base = ((k + 1) >> c) & 1 ? 150 : 30;
    if (in_block(k, classes, 32, 32, y, x)) base += 60;
    return (unsigned char)(base + rng_below(r, 40));
}

/* n CIFAR records (label bytes then 3 x 32 x 32) into path: record i is of
 * (fine) class i % fine_classes; CIFAR-100's coarse label (its first byte)
 * is the fine one / 5. */
static void write_cifar_file(const char *path, int n, int label_bytes, int fine_classes,
                             uint64_t seed)
{
    rng r = {seed};
    size_t rec = (size_t)label_bytes + 3072;
    unsigned char *b = malloc(rec * n), *p = b;
    cr_assert_not_null(b);
    for (int i = 0; i < n; i++, p += rec) {
        int k = i % fine_classes;
        p[0] = (unsigned char)(label_bytes == 2 ? k / 5 : k);
        if (label_bytes == 2) p[1] = (unsigned char)k;
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++)
                    p[label_bytes + c * 1024 + y * 32 + x] = tinted(k, fine_classes, c, y, x, &r);
    }
    write_all(path, b, 0, b, rec * n);
    free(b);
}

/* A names file: the count names given, or "<prefix>0" ... when names is NULL. */
static void write_names(const char *path, const char *const *names, const char *prefix, int count)
{
    char text[4096];
    size_t len = 0;
    for (int i = 0; i < count; i++)
        len += (size_t)(names ? snprintf(text + len, sizeof text - len, "%s\n", names[i])
                              : snprintf(text + len, sizeof text - len, "%s%d\n", prefix, i));
    cr_assert_lt(len, sizeof text);
    write_file(path, text, len);
}

void write_cifar10_dir(const char *dir, int n_train, int n_test, const char *const *names)
{
    char path[4200];
    make_folders(dir);
    snprintf(path, sizeof path, "%s/data_batch_1.bin", dir);
    write_cifar_file(path, n_train, 1, 10, 11);
    snprintf(path, sizeof path, "%s/test_batch.bin", dir);
    write_cifar_file(path, n_test, 1, 10, 12);
    if (!names) return;
    snprintf(path, sizeof path, "%s/batches.meta.txt", dir);
    write_names(path, names, NULL, 10);
}

void write_cifar100_dir(const char *dir, int n_train, int n_test, int with_names)
{
    char path[4200];
    make_folders(dir);
    snprintf(path, sizeof path, "%s/train.bin", dir);
    write_cifar_file(path, n_train, 2, 100, 21);
    snprintf(path, sizeof path, "%s/test.bin", dir);
    write_cifar_file(path, n_test, 2, 100, 22);
    if (!with_names) return;
    snprintf(path, sizeof path, "%s/fine_label_names.txt", dir);
    write_names(path, NULL, "fine", 100);
    snprintf(path, sizeof path, "%s/coarse_label_names.txt", dir);
    write_names(path, NULL, "coarse", 20);
}

void write_picture_classes(const char *dir, const char *const *classes, int n_classes,
                           int per_class, int w, int h, int c, unsigned seed)
{
    rng r = {seed};
    unsigned char *px = malloc((size_t)w * h * c);
    cr_assert_not_null(px);
    for (int k = 0; k < n_classes; k++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, classes[k]);
        make_folders(path);
        for (int i = 0; i < per_class; i++) {
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    for (int ch = 0; ch < c; ch++) /* (PNG pixels are interleaved) */
                        px[((size_t)y * w + x) * c + ch] = (unsigned char)(
                            (((k + 1) >> ch) & 1 ? 150 : 30) +
                            (in_block(k, n_classes, h, w, y, x) ? 60 : 0) + rng_below(&r, 40));
            snprintf(path, sizeof path, "%s/%s/%02d.png", dir, classes[k], i);
            write_png(path, w, h, c, 8, px);
        }
    }
    free(px);
}
