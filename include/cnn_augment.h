/* Augmentation of a training batch where it is gathered, for both backends
 * (see cnn_hd.h): each sample's random shift, rotation and scale are a pure
 * function of (seed, step, position in the batch), so a run is reproducible
 * and an exact resume draws the same ones. */
#ifndef CNN_AUGMENT_H
#define CNN_AUGMENT_H

#include "cnn_hd.h"

/* All zero: no augmentation. Constant over a run. */
typedef struct {
    int shift;        /* translate by up to shift pixels each way (whole pixels) */
    float rot_deg;    /* rotate by up to rot_deg degrees each way */
    float scale;      /* scale by a factor in [1 - scale, 1 + scale] */
} cnn_augment;

#endif
