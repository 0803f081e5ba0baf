/* Checkpoints: a trained model with everything needed to evaluate it or to
 * resume its training exactly. Little-endian throughout.
 *
 * Format 2 (written): a fixed header, tagged sections, a CRC.
 *
 *   header, 24 bytes: magic "CNNCKPT\0" (8), version u32 (= 2),
 *                     section count u32, file length u64 (the whole file,
 *                     CRC included)
 *   sections, each:   tag u32, length u64, data (length bytes)
 *   CRC-32 (zlib) of every byte before it: u32
 *
 * The sections this version writes, in this order (each once; state only
 * for a net that has running statistics):
 *
 *   1 network   spec length u32, spec text (canonical, no terminator),
 *               input c, h, w, classes: u32 each; input scale, shift: f32
 *   2 schedule  lr, lr_gamma, momentum, weight_decay: f32;
 *               lr_step, batch, epochs: u32
 *   3 progress  epochs done u32, steps done u64, seed u64,
 *               shuffle random state u64
 *   4 data      the training set: sample count u32, --train-limit u32 (0:
 *               all), CRC-32 of the labels of the samples used (the first
 *               min(limit, count), or all when the limit is 0) u32
 *   5 params    count u64, f32[count]
 *   6 momentum  count u64 (= the params'), f32[count]
 *   7 state     only for a net with running statistics (bn): bn's epsilon
 *               and momentum f32, count u64, f32[count] (every bn layer's
 *               running means, then its variances, in layer order)
 *   8 options   only when one differs from its default (issue 15):
 *               optimizer u32 (CNN_OPTIM_*), beta1, beta2, eps: f32,
 *               decay_bias u32, lr schedule u32 (CNN_SCHED_*), warmup
 *               epochs f32, augment shift u32, rotation degrees f32, scale
 *               f32, held-out validation samples u32
 *   9 moment2   only for adam and adamw: count u64 (= the params'),
 *               f32[count] (the second moments; section 6 holds the first)
 *
 * Adding state (normalization statistics, optimizer moments) adds a section,
 * not a version. A tag with bit 31 set (CHECKPOINT_SECTION_OPTIONAL) may be
 * skipped by a reader that does not know it; an unknown tag without it is
 * refused (the file needs a newer cnn). The reader takes sections in any
 * order; a known one twice, a missing one, a length past the end or a
 * section count that differs from the sections found is damage.
 *
 * What every version from 2 on keeps: the magic, the version at byte 8, the
 * file length at byte 16, the CRC in the last 4 bytes. So the reader checks,
 * before it reads more than the header: the magic, then the length the
 * header gives against the file's size; then it reads the file and checks
 * the CRC before it interprets any field, the version included (a damaged
 * version byte is reported as damage, not as a newer cnn); then the
 * settings' ranges and that every parameter and momentum value is finite.
 *
 * Format 1 (still read, never written): magic, version u32 (= 1),
 *   spec length u32, spec text, input c, h, w, classes: u32 each,
 *   lr, lr_gamma, momentum, weight_decay: f32; lr_step, batch, epochs: u32,
 *   epochs done u32, steps done u64, seed u64, shuffle random state u64,
 *   input scale, input shift: f32,
 *   parameter count u64, parameters f32[count], momentum buffers f32[count],
 *   CRC-32 (zlib) of every byte before it: u32.
 * Its size follows from the spec length and the parameter count, which the
 * reader checks against the file's size before reading the rest. It records
 * no training data: meta.data_unknown is set, and train --resume says that
 * the data cannot be verified.
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

#define CHECKPOINT_VERSION 2
#define CHECKPOINT_SECTION_OPTIONAL 0x80000000u

/* The settings a checkpoint may hold (written or read): beyond these it is
 * refused, so that no count or product of counts overflows an int. */
#define CHECKPOINT_MAX_BATCH 16777216    /* 2^24 samples per step */
#define CHECKPOINT_MAX_EPOCHS 16777216   /* epochs, and the lr step */
#define CHECKPOINT_MAX_SAMPLES 100000000 /* training samples (idx.h's IDX_MAX_ITEMS) */
#define CHECKPOINT_MAX_SIDE 4096         /* input height and width */
#define CHECKPOINT_MAX_CHANNELS 64       /* input channels */

/* The first 8 bytes of every checkpoint, "CNNCKPT" and a zero byte (for
 * code that must tell a checkpoint from another file without reading it). */
#define CHECKPOINT_MAGIC "CNNCKPT"

typedef struct {
    char spec[NET_SPEC_MAX];
    int in_c, in_h, in_w, classes;
    float lr, lr_gamma, momentum, weight_decay;
    int lr_step, batch, epochs;
    int epochs_done;
    uint64_t steps_done, seed, rng_state;
    float input_scale, input_shift;
    /* The training set it was trained on (see checkpoint_set_data). */
    int train_count;       /* samples in the training set */
    int train_limit;       /* --train-limit (0: all) */
    uint32_t labels_crc;   /* CRC-32 of the labels of the samples used */
    int data_unknown;      /* read from a format 1 file: the three above are 0 */
    int version;           /* set by checkpoint_load: the file's format */
    /* bn's settings and running statistics (the state section; none when
     * state_count is 0). Saving reads state_count values at state;
     * checkpoint_load mallocs state (NULL when none): the caller frees it. */
    float bn_eps, bn_momentum;
    long state_count;
    float *state;
    /* Section 8 (defaults: sgd, 0.9, 0.999, 1e-8, decay_bias 1, step, 0,
     * no augmentation, no validation; a file without it holds these). */
    int optimizer;
    float beta1, beta2, eps;
    int decay_bias;
    int lr_schedule;
    float warmup;
    int aug_shift;
    float aug_rot, aug_scale;
    int val;
    /* Section 9: adam's second moments, params' count of them (NULL: none).
     * Saving reads them from here; checkpoint_load mallocs them (caller
     * frees). */
    float *moment2;
} checkpoint_meta;

/* Writes meta and n parameters and momentum values (host memory) through
 * file_write.h. Refuses settings a load would refuse, and values that are not
 * finite. Returns 0, or -1 with err set and errno kept; on failure any
 * previous file at path is untouched. */
int checkpoint_save(const char *path, const checkpoint_meta *meta, const float *params,
                    const float *momentum, long n, char *err, size_t errlen);

/* checkpoint_save where no file is yet: fails with errno EEXIST otherwise. */
int checkpoint_save_new(const char *path, const checkpoint_meta *meta, const float *params,
                        const float *momentum, long n, char *err, size_t errlen);

/* Reads path. On success *params and *momentum are malloc'ed arrays of *n
 * floats. Refuses, with a one-line message naming path, anything but a
 * regular file (a FIFO without blocking), a file that is not a checkpoint,
 * one cut short or damaged (CRC), one from a newer version, one whose
 * settings are out of range, and one holding a value that is not finite
 * (naming the layer when the spec parses). */
int checkpoint_load(const char *path, checkpoint_meta *meta, float **params, float **momentum,
                    long *n, char *err, size_t errlen);

/* Records the training set in meta: count samples with these labels, of which
 * a run with --train-limit limit uses the first min(limit, count) (all when
 * limit is 0); the CRC covers those. */
void checkpoint_set_data(checkpoint_meta *meta, const unsigned char *labels, int count,
                         int limit);

/* Whether a run on `now` (filled by checkpoint_set_data) trains on the same
 * samples as the checkpoint `saved`: the same number used and the same labels'
 * CRC (the set's full count and the limit may differ when the samples used
 * are the same). Returns 1, or 0 with both described in why, e.g. "the
 * checkpoint was trained on 60000 samples (--train-limit 0, labels CRC
 * 1a2b3c4d); this run has 12000 samples (--train-limit 12000, labels CRC
 * 5e6f7a8b)". A format 1 checkpoint (data_unknown) matches anything. */
int checkpoint_same_data(const checkpoint_meta *saved, const checkpoint_meta *now, char *why,
                         size_t whylen);

#endif
