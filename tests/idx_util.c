/* Writing IDX files from the tests: see idx_util.h. */
#include "idx_util.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

void store_be32(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void put_be32(FILE *f, unsigned v)
{
    unsigned char b[4];
    store_be32(b, v);
    cr_assert_eq(fwrite(b, 1, 4, f), 4u);
}

void write_idx_split(const char *dir, const char *prefix, int n, const unsigned char *images,
                     const unsigned char *labels)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte", dir, prefix);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    put_be32(f, 0x803);
    put_be32(f, (unsigned)n);
    put_be32(f, 28);
    put_be32(f, 28);
    size_t bytes = (size_t)n * 28 * 28;
    cr_assert_eq(fwrite(images, 1, bytes, f), bytes);
    cr_assert_eq(fclose(f), 0);

    snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte", dir, prefix);
    f = fopen(path, "wb");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    put_be32(f, 0x801);
    put_be32(f, (unsigned)n);
    cr_assert_eq(fwrite(labels, 1, (size_t)n, f), (size_t)n);
    cr_assert_eq(fclose(f), 0);
}

void write_block_digits(const char *dir, const char *prefix, int n, uint64_t seed)
{
    rng r = {seed};
    unsigned char *labels = malloc((size_t)n), *images = malloc((size_t)n * 28 * 28);
    cr_assert(labels && images);
    for (int i = 0; i < n; i++) labels[i] = (unsigned char)rng_below(&r, 10);
    for (int i = 0; i < n; i++) {
        unsigned char *img = images + (size_t)i * 28 * 28;
        int k = labels[i], x0 = (k % 5) * 5 + 1, y0 = (k / 5) * 13 + 3;
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++) {
                int noise = (int)rng_below(&r, 60);
                int on = x >= x0 && x < x0 + 5 && y >= y0 && y < y0 + 8;
                img[y * 28 + x] = (unsigned char)(on ? 195 + noise : noise);
            }
    }
    write_idx_split(dir, prefix, n, images, labels);
    free(images);
    free(labels);
}
