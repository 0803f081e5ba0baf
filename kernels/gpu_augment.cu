// The augmented batch gather: one thread per output pixel, each computing
// its sample's draw and the pixel with the functions of hd/augment.h and
// hd/gather.h, the very code the CPU backend runs (the same bits; see
// those headers).
#include "hd/augment.h"
#include "gpu_launch.cuh"

__global__ void gather_aug_kernel(const unsigned char *images, const unsigned char *labels,
                                  const int *index, const int *cursor, int n, int channels,
                                  int h, int w, const float *norm, cnn_augment a,
                                  unsigned long long seed, const unsigned long long *step,
                                  float *x, int *y, long total)
{
    const int *batch = index + *cursor;
    unsigned long long s = *step;
    long plane = (long)h * w;
    GRID_STRIDE(o, total) {
        cnn_batch_at at = cnn_batch_where(o, n, plane);
        int src = batch[at.i];
        cnn_aug_draw dr = cnn_augment_draw(a, seed, s, (unsigned long long)at.i);
        const unsigned char *img = images + cnn_sample_plane(src, channels, at.c, plane);
        x[o] = cnn_augment_input(img, h, w, dr, (int)(at.p / w), (int)(at.p % w), norm, channels,
                                 at.c);
        if (at.c == 0 && at.p == 0) y[at.i] = labels[src];
    }
}

void gpu_gather_aug(const unsigned char *images, const unsigned char *labels, const int *index,
                    const int *cursor, int n, int channels, int h, int w, const float *norm,
                    cnn_augment a, unsigned long long seed, const unsigned long long *step,
                    float *x, int *y)
{
    long total = (long)n * channels * h * w;
    LAUNCH(gather_aug_kernel, total, images, labels, index, cursor, n, channels, h, w, norm, a,
           seed, step, x, y, total);
}
