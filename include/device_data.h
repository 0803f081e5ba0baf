/* A data set copied into backend memory once, for the whole run, as bytes,
 * and how its bytes become a net's inputs. */
#ifndef CNN_DEVICE_DATA_H
#define CNN_DEVICE_DATA_H

#include "dataset.h"
#include "input_norm.h"
#include "ops.h"
#include "settings.h"

/* The input a net sees is x = byte * scale[c] + shift[c] for channel c
 * (input_norm.h). Mode NORMALIZE_STD standardises each channel: mean 0 and
 * standard deviation 1 over that channel's bytes in the training images (for
 * MNIST scale = 1/78.6, shift = -0.424), computed from the data so any data
 * set works; NORMALIZE_UNIT maps bytes to [0, 1]; NORMALIZE_CENTER to
 * (byte - 128) / 255, in [-0.502, 0.498], as the report's course framework
 * loads MNIST (settings.h). train is read only for NORMALIZE_STD (it may be
 * NULL otherwise). Returns -1 for another mode or a channel count outside
 * 1..INPUT_MAX_CHANNELS. */
int input_normalization(int mode, const dataset *train, int channels, input_norm *out);

/* A data set copied into backend memory once, for the whole run, with the
 * normalization its batches are gathered with. */
typedef struct device_dataset {
    const cnn_ops *ops;
    int count, channels;
    int h, w;               /* each channel's rows and columns */
    unsigned char *images, *labels;
    int *in_order;          /* 0, 1, ..., count-1: evaluation reads in order */
    input_norm norm;        /* the scaling, and */
    float *norm_dev;        /* its scales then shifts in backend memory (the gather's norm) */
} device_dataset;

/* Copies the first `limit` samples of d (all when 0), to be scaled by norm
 * (whose channels must be d's). */
void device_dataset_upload(const cnn_ops *ops, const dataset *d, int limit,
                           const input_norm *norm, device_dataset *out);
void device_dataset_free(device_dataset *d);

#endif
