/* Writing IDX files (the MNIST format) from the tests: big-endian fields
 * and MNIST-shaped synthetic data sets. */
#ifndef CNN_IDX_UTIL_H
#define CNN_IDX_UTIL_H

#include <stdint.h>

/* v as 4 big-endian bytes at p (the byte order of IDX and PNG headers). */
void store_be32(unsigned char *p, unsigned v);

/* Writes <dir>/<prefix>-images-idx3-ubyte, the n 28x28 images in images
 * (n * 784 bytes, one image after the other), and
 * <dir>/<prefix>-labels-idx1-ubyte, their n labels. */
void write_idx_split(const char *dir, const char *prefix, int n, const unsigned char *images,
                     const unsigned char *labels);

/* <dir>/<prefix>-images-idx3-ubyte and -labels-idx1-ubyte: n 28x28 images of
 * ten classes, class k a bright 5x8 block at its own place on a 5x2 grid,
 * over deterministic noise drawn from seed. Learnable in an epoch or two. */
void write_block_digits(const char *dir, const char *prefix, int n, uint64_t seed);

#endif
