/* A trained checkpoint opened for classifying single 28x28 images (batch 1),
 * as predict and visualize use it. */
#ifndef CNN_CLASSIFY_H
#define CNN_CLASSIFY_H

#include <stdio.h>

#include "checkpoint.h"
#include "net.h"

typedef struct {
    checkpoint_meta meta;
    net_spec spec;
    net *nt;
    const cnn_ops *ops;
    char desc[256];     /* the device, in words */
    int euclid;         /* the loss is euclid: scores, not probabilities */
} classifier;

/* Loads the checkpoint at path, checks it fits 1x28x28 inputs and 10
 * classes, opens the device (cpu, gpu, auto) and creates the net for one
 * sample with the checkpoint's parameters. Prints one line "cnn CMD: ..." on
 * stderr and returns -1 on failure. */
int classifier_open(const char *cmd, const char *path, const char *device, int gpu,
                    int threads, classifier *c);
void classifier_close(classifier *c);

/* Runs the net on one 28x28 image of bytes, normalised exactly like training
 * (x = byte * input_scale + input_shift), through every layer but the loss.
 * Writes the 10 scores (the loss's input) and, for softmax nets, their
 * softmax to probs (euclid nets: probs = scores). Returns the arg-max. The
 * layers' outputs stay in c->nt->act[] until the next call. */
int classifier_run(classifier *c, const unsigned char *image, float *scores, float *probs);

/* Layer i's output for the last image, copied to host memory (malloc'ed;
 * *count elements: C x H x W for a spatial layer). NULL when memory runs out. */
float *classifier_layer_output(classifier *c, int layer, long *count);

#endif
