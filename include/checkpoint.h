/* Checkpoints: a trained model with everything needed to evaluate it or to
 * resume its training exactly. The format (little-endian throughout):
 *
 *   magic "CNNCKPT\0" (8 bytes), version u32 (= CHECKPOINT_VERSION),
 *   spec length u32, spec text (canonical, no terminator),
 *   input c, h, w, classes: u32 each,
 *   lr, lr_gamma, momentum, weight_decay: f32; lr_step, batch, epochs: u32,
 *   epochs done u32, steps done u64, seed u64, shuffle random state u64,
 *   input scale, input shift: f32,
 *   parameter count u64, parameters f32[count], momentum buffers f32[count],
 *   CRC-32 (zlib) of every byte before it: u32.
 *
 * The shuffle state is the generator's at the start of epoch "epochs done"
 * (0-based), which a resume regenerates that epoch's order from. An
 * interrupted run's checkpoint may be in the middle of that epoch: steps done
 * then exceeds the epoch's first step (epochs done x steps per epoch), and a
 * resume skips the difference.
 *
 * It is written to a temporary in path's folder and renamed over path, so a
 * crash never leaves half a checkpoint. */
#ifndef CNN_CHECKPOINT_H
#define CNN_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "netspec.h"

#define CHECKPOINT_VERSION 1

typedef struct {
    char spec[NET_SPEC_MAX];
    int in_c, in_h, in_w, classes;
    float lr, lr_gamma, momentum, weight_decay;
    int lr_step, batch, epochs;
    int epochs_done;
    uint64_t steps_done, seed, rng_state;
    float input_scale, input_shift;
} checkpoint_meta;

/* Writes meta and n parameters and momentum values (host memory) through
 * file_write.h. Returns 0, or -1 with err set and errno kept; on failure any
 * previous file at path is untouched. */
int checkpoint_save(const char *path, const checkpoint_meta *meta, const float *params,
                    const float *momentum, long n, char *err, size_t errlen);

/* checkpoint_save where no file is yet: fails with errno EEXIST otherwise. */
int checkpoint_save_new(const char *path, const checkpoint_meta *meta, const float *params,
                        const float *momentum, long n, char *err, size_t errlen);

/* Reads path. On success *params and *momentum are malloc'ed arrays of *n
 * floats. Refuses, with a one-line message, a file that is not a checkpoint,
 * one from a newer version, one cut short, or one whose CRC does not match. */
int checkpoint_load(const char *path, checkpoint_meta *meta, float **params, float **momentum,
                    long *n, char *err, size_t errlen);

#endif
