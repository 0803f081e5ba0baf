// The augmented batch gather: one thread per output pixel, each computing
// its sample's draw and the pixel with the functions of hd/augment.h, the
// very code the CPU backend runs (the same bits; see that header).
#include "hd/augment.h"
#include "gpu_launch.cuh"

__global__ void gather_aug_kernel(const unsigned char *images, const unsigned char *labels,
                                  const int *index, const int *cursor, int h, int w,
                                  float scale, float shift, cnn_augment a,
                                  unsigned long long seed, const unsigned long long *step,
                                  float *x, int *y, long total)
{
    const int *batch = index + *cursor;
    unsigned long long s = *step;
    long dim = (long)h * w;
    GRID_STRIDE(i, total) {
        long row = i / dim, d = i % dim;
        int src = batch[row];
        cnn_aug_draw dr = cnn_augment_draw(a, seed, s, (unsigned long long)row);
        x[i] = cnn_augment_input(images + (long)src * dim, h, w, dr, (int)(d / w), (int)(d % w),
                                 scale, shift);
        if (d == 0) y[row] = labels[src];
    }
}

void gpu_gather_aug(const unsigned char *images, const unsigned char *labels, const int *index,
                    const int *cursor, int n, int h, int w, float scale, float shift,
                    cnn_augment a, unsigned long long seed, const unsigned long long *step,
                    float *x, int *y)
{
    long total = (long)n * h * w;
    LAUNCH(gather_aug_kernel, total, images, labels, index, cursor, h, w, scale, shift, a, seed,
           step, x, y, total);
}
