/* Area-averaging resampling of one plane of floats: what digit_prep uses to
 * scale a digit and picture_to_input to bring a picture to a net's size. */
#ifndef CNN_RESAMPLE_H
#define CNN_RESAMPLE_H

/* Resamples src (sw x sh floats, row-major) to dst (dw x dh) by area
 * averaging: each output pixel is the mean of the input area it covers
 * (fractional pixels weighted by their coverage); enlarging repeats and
 * blends the input pixels the same way. Sides must be at least 1. Returns
 * 0, or -1 when memory runs out. */
int resample_area(const float *src, int sw, int sh, float *dst, int dw, int dh);

#endif
