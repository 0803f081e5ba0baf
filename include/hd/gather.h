/* Where a batch's inputs come from, for both backends (see hd/qualifier.h).
 *
 * A data set keeps each sample as C x H x W bytes, channel-first. A net's
 * input batch is C x N x H x W floats: channel c of every sample, then the
 * next channel (the layout every layer reads, include/ops.h); with one
 * channel that is N x H x W, sample after sample. Each channel has its own
 * scaling, x = byte * scale[c] + shift[c], kept in backend memory as norm:
 * the C scales, then the C shifts. */
#ifndef CNN_HD_GATHER_H
#define CNN_HD_GATHER_H

#include "hd/fround.h"
#include "hd/qualifier.h"

/* Output element o of a batch of n samples of `channels` planes of `plane`
 * values: its channel, its sample in the batch and its place in the plane. */
typedef struct {
    int c, i;
    long p;
} cnn_batch_at;

/* 32-bit divisions (a GPU's 64-bit ones cost several times more): a batch
 * holds fewer than 2^31 values, which net_size checks for every buffer. */
CNN_HD cnn_batch_at cnn_batch_where(long o, int n, long plane)
{
    cnn_batch_at at;
    unsigned u = (unsigned)o, side = (unsigned)plane;
    unsigned cp = u / side; /* c * n + i */
    at.p = (long)(u - cp * side);
    at.c = (int)(cp / (unsigned)n);
    at.i = (int)(cp - (unsigned)at.c * (unsigned)n);
    return at;
}

/* Where channel c, place p of batch sample i goes: the inverse of
 * cnn_batch_where. */
CNN_HD long cnn_batch_index(int c, int i, int n, long plane, long p)
{
    return ((long)c * n + i) * plane + p;
}

/* The first byte of channel c of data-set sample src. */
CNN_HD long cnn_sample_plane(long src, int channels, int c, long plane)
{
    return (src * channels + c) * plane;
}

/* A byte of channel c, scaled: the multiply and the add each rounded. */
CNN_HD float cnn_scale_input(float value, const float *norm, int channels, int c)
{
    return cnn_fadd(cnn_fmul(value, norm[c]), norm[channels + c]);
}

#endif
