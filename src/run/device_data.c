/* A data set in backend memory, and the input normalization its batches
 * are gathered with; see include/device_data.h. */
#include "device_data.h"
#include "oom_hint.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int input_normalization(int mode, const dataset *d, float *scale, float *shift)
{
    if (mode == NORMALIZE_UNIT || mode == NORMALIZE_CENTER) {
        *scale = 1.0f / 255.0f;
        *shift = mode == NORMALIZE_UNIT ? 0.0f : -128.0f / 255.0f;
        return 0;
    }
    if (mode != NORMALIZE_STD) return -1;
    double sum = 0.0, sq = 0.0;
    size_t n = (size_t)d->count * d->rows * d->cols;
    for (size_t i = 0; i < n; i++) {
        sum += d->images[i];
        sq += (double)d->images[i] * d->images[i];
    }
    double mean = n ? sum / n : 0.0, var = n ? sq / n - mean * mean : 0.0;
    double sd = var > 1e-12 ? sqrt(var) : 1.0;
    *scale = (float)(1.0 / sd);
    *shift = (float)(-mean / sd);
    return 0;
}

void device_dataset_upload(const cnn_ops *ops, const dataset *d, int limit, float scale,
                           float shift, device_dataset *out)
{
    out->ops = ops;
    out->scale = scale;
    out->shift = shift;
    out->count = limit > 0 && limit < d->count ? limit : d->count;
    out->h = d->rows;
    out->w = d->cols;
    out->dim = d->rows * d->cols;
    size_t bytes = (size_t)out->count * out->dim;
    out->images = ops->alloc(bytes, "data set images");
    out->labels = ops->alloc(out->count, "data set labels");
    ops->upload(out->images, d->images, bytes);
    ops->upload(out->labels, d->labels, out->count);
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
    memset(d, 0, sizeof *d);
}
