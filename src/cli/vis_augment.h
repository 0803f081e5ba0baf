/* visualize --augment: a picture of what training with an augmentation
 * sees, drawn with the per-element transform of the gather_aug op training
 * runs (hd/augment.h). */
#ifndef CNN_VIS_AUGMENT_H
#define CNN_VIS_AUGMENT_H

#include <stdint.h>

#include "hd/augment.h"
#include "dataset.h"

/* The grid: AUGMENT_GRID_ROWS rows, one per training image (the first
 * ones); in each, the image as stored, then AUGMENT_GRID_DRAWS draws of it
 * for steps 0, 1, ... of a run with this seed, at the row's position in the
 * batch. */
#define AUGMENT_GRID_ROWS 8
#define AUGMENT_GRID_DRAWS 7

/* The grid as w x h pixels of *channels bytes (malloc'ed): 3 (red, green,
 * blue, interleaved) for 3-channel data, else 1, the first channel's grey
 * levels. NULL when memory runs out or the data set holds fewer than
 * AUGMENT_GRID_ROWS images. */
unsigned char *augment_grid(const dataset *train, cnn_augment a, uint64_t seed, int *w, int *h,
                            int *channels);

/* Writes the grid to path as a PNG whose description says what it shows
 * (spec: the augmentation's text). Returns 0, or -1 with err set. */
int augment_grid_png(const dataset *train, cnn_augment a, uint64_t seed, const char *path,
                     int *w, int *h, char *err, size_t errlen);

#endif
