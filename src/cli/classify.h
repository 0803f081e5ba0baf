/* A trained checkpoint opened for classifying single images of its input
 * shape (batch 1), as predict and visualize use it. */
#ifndef CNN_CLASSIFY_H
#define CNN_CLASSIFY_H

#include <stdio.h>

#include "model.h"

typedef struct {
    model m;            /* the checkpoint, on its device, for one sample */
    int euclid;         /* the loss is euclid: scores, not probabilities */
} classifier;

/* Opens the model at path (model_open) on the device of cfg's --device,
 * --gpu and --threads, for one sample. Prints one line "cnn CMD: ..." on
 * stderr and returns -1 on failure. */
int classifier_open(const char *cmd, const char *path, const run_config *cfg, classifier *c);
void classifier_close(classifier *c);

/* Runs the net on one image of the model's C x H x W bytes (channel-first),
 * scaled exactly as in training (the checkpoint's per-channel scaling),
 * through every layer but the loss. Writes the model's K scores (the loss's
 * input; scores and probs hold K <= CLASS_MAX floats) and, for softmax nets,
 * their softmax to probs (euclid nets: probs = scores). Returns the
 * arg-max, -1 when a score is not finite (weights that overflow: no
 * prediction), -2 when memory runs out. The layers' outputs stay in
 * c->m.nt->act[] until the next call. */
int classifier_run(classifier *c, const unsigned char *image, float *scores, float *probs);

/* The one line for classifier_run's -1: "cnn CMD: MODEL: the model's
 * outputs for INPUT are not finite ...". */
void classifier_refuse_nonfinite(const char *cmd, const char *model, const char *input);

/* Layer i's output for the last image, copied to host memory (malloc'ed;
 * *count elements: C x H x W for a spatial layer). NULL when memory runs out. */
float *classifier_layer_output(classifier *c, int layer, long *count);

#endif
