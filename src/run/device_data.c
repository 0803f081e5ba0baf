/* A data set in backend memory, and the input normalization its batches
 * are gathered with; see include/device_data.h. */
#include "device_data.h"
#include "oom_hint.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Channel c's scale and shift to mean 0, deviation 1 over d's samples. */
static void standardise(const dataset *d, int c, float *scale, float *shift)
{
    double sum = 0.0, sq = 0.0;
    size_t plane = (size_t)d->rows * d->cols, n = (size_t)d->count * plane;
    for (int s = 0; s < d->count; s++) {
        const unsigned char *px = d->images + ((size_t)s * d->channels + c) * plane;
        for (size_t i = 0; i < plane; i++) {
            sum += px[i];
            sq += (double)px[i] * px[i];
        }
    }
    double mean = n ? sum / n : 0.0, var = n ? sq / n - mean * mean : 0.0;
    double sd = var > 1e-12 ? sqrt(var) : 1.0;
    *scale = (float)(1.0 / sd);
    *shift = (float)(-mean / sd);
}

int input_normalization(int mode, const dataset *d, int channels, input_norm *out)
{
    if (channels < 1 || channels > INPUT_MAX_CHANNELS) return -1;
    if (mode == NORMALIZE_UNIT || mode == NORMALIZE_CENTER) {
        *out = input_norm_uniform(channels, 1.0f / 255.0f,
                                  mode == NORMALIZE_UNIT ? 0.0f : -128.0f / 255.0f);
        return 0;
    }
    if (mode != NORMALIZE_STD || d->channels != channels) return -1;
    *out = input_norm_uniform(channels, 1.0f, 0.0f);
    for (int c = 0; c < channels; c++) standardise(d, c, &out->scale[c], &out->shift[c]);
    return 0;
}

void device_dataset_upload(const cnn_ops *ops, const dataset *d, int limit,
                           const input_norm *norm, device_dataset *out)
{
    out->ops = ops;
    out->norm = *norm;
    out->count = limit > 0 && limit < d->count ? limit : d->count;
    out->channels = d->channels;
    out->h = d->rows;
    out->w = d->cols;
    size_t bytes = (size_t)out->count * dataset_sample_bytes(d);
    out->images = ops->alloc(bytes ? bytes : 1, "data set images");
    out->labels = ops->alloc(out->count ? out->count : 1, "data set labels");
    ops->upload(out->images, d->images, bytes);
    ops->upload(out->labels, d->labels, out->count);
    float scaling[2 * INPUT_MAX_CHANNELS];
    for (int c = 0; c < d->channels; c++) {
        scaling[c] = norm->scale[c];
        scaling[d->channels + c] = norm->shift[c];
    }
    out->norm_dev = ops->alloc(sizeof(float) * 2 * d->channels, "input scaling");
    ops->upload(out->norm_dev, scaling, sizeof(float) * 2 * d->channels);
    int *order = malloc(sizeof(int) * (out->count ? out->count : 1));
    if (!order) oom_fail("the data set's order", sizeof(int) * (double)out->count);
    out->in_order = ops->alloc(sizeof(int) * (out->count ? out->count : 1), "data set order");
    for (int i = 0; i < out->count; i++) order[i] = i;
    ops->upload(out->in_order, order, sizeof(int) * out->count);
    free(order);
}

void device_dataset_free(device_dataset *d)
{
    if (d->images) d->ops->free(d->images);
    if (d->labels) d->ops->free(d->labels);
    if (d->in_order) d->ops->free(d->in_order);
    if (d->norm_dev) d->ops->free(d->norm_dev);
    memset(d, 0, sizeof *d);
}
