/* A data set copied into backend memory once, for the whole run, as bytes,
 * and how its bytes become a net's inputs. */
#ifndef CNN_DEVICE_DATA_H
#define CNN_DEVICE_DATA_H

#include "dataset.h"
#include "ops.h"
#include "settings.h"

/* The input a net sees is x = byte * scale + shift. Mode NORMALIZE_STD standardises:
 * mean 0 and standard deviation 1 over the training images (for MNIST scale
 * = 1/78.6, shift = -0.424), computed from the data so any IDX data set
 * works; NORMALIZE_UNIT maps bytes to [0, 1]; NORMALIZE_CENTER to
 * (byte - 128) / 255, in [-0.502, 0.498], as the report's course framework
 * loads MNIST (settings.h). Returns -1 for another mode. */
int input_normalization(int mode, const dataset *train, float *scale, float *shift);

/* A data set copied into backend memory once, for the whole run, with the
 * normalization its batches are gathered with. */
typedef struct device_dataset {
    const cnn_ops *ops;
    int count, dim;
    int h, w;               /* each image's rows and columns (dim = h * w) */
    unsigned char *images, *labels;
    int *in_order;          /* 0, 1, ..., count-1: evaluation reads in order */
    float scale, shift;
} device_dataset;

/* Copies the first `limit` samples of d (all when 0). */
void device_dataset_upload(const cnn_ops *ops, const dataset *d, int limit, float scale,
                           float shift, device_dataset *out);
void device_dataset_free(device_dataset *d);

#endif
