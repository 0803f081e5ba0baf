/* Checkpoints: a trained model with everything needed to evaluate it or to
 * resume its training exactly. The format (3 written; 1, 2 and 3 read) is
 * written out in docs/checkpoint-format.md, and only there: a fixed header,
 * tagged sections (the network, the progress, the training data, the
 * parameters, the momentum, bn's running statistics, adam's second moments,
 * and the settings as name, type, value entries), a CRC-32.
 *
 * A checkpoint is read without trusting it: anything but a regular file is
 * refused without blocking, the header's size is compared with the file's
 * before the rest is read, the CRC is checked before any field is
 * interpreted, then every setting against its row's range
 * (include/settings.h) and every value for being finite. It is written to a
 * temporary in path's folder and renamed over path, so a crash never leaves
 * half a checkpoint. */
#ifndef CNN_CHECKPOINT_H
#define CNN_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "class_names.h"
#include "input_norm.h"
#include "netspec.h"
#include "settings.h"

#define CHECKPOINT_VERSION 3
#define CHECKPOINT_SECTION_OPTIONAL 0x80000000u

/* The limits a checkpoint keeps every count within, so that no product the
 * trainer forms of them overflows an int (the batch, the epochs and the lr
 * step are the settings rows' ranges, SET_COUNT_RANGE). */
#define CHECKPOINT_MAX_SAMPLES 100000000 /* training samples (IDX_MAX_ITEMS) */
#define CHECKPOINT_MAX_SIDE 4096         /* input height and width */
#define CHECKPOINT_MAX_CHANNELS INPUT_MAX_CHANNELS /* input channels */

/* The first 8 bytes of every checkpoint, "CNNCKPT" and a zero byte (for
 * code that must tell a checkpoint from another file without reading it). */
#define CHECKPOINT_MAGIC "CNNCKPT"

/* What a checkpoint says about its run; the values it holds are beside it,
 * in checkpoint. */
typedef struct {
    /* the network and its inputs: in_c x in_h x in_w bytes scaled by norm
     * (its channels are in_c), classes classes, named where names.count is
     * classes (0: no names known) */
    char spec[NET_SPEC_MAX];
    int in_c, in_h, in_w, classes;
    input_norm norm;
    class_names names;
    /* The settings of the run (every SET_KEPT row; the others hold their
     * defaults). */
    run_config cfg;
    /* Where the run is: the epochs and steps done, and the shuffle
     * generator's state at the start of epoch epochs_done (0-based), which
     * a resume regenerates that epoch's order from. An interrupted run's
     * checkpoint may be in the middle of that epoch: steps_done then
     * exceeds the epoch's first step, and a resume skips the difference. */
    int epochs_done;
    uint64_t steps_done, rng_state;
    /* The training set it was trained on (see checkpoint_set_data). */
    int train_count;       /* samples in the training set */
    int train_limit;       /* --train-limit (0: all) */
    uint32_t labels_crc;   /* CRC-32 of the labels of the samples used */
    int data_unknown;      /* read from a format 1 file: the three above are 0 */
    /* The first setting a newer cnn kept that this one does not know (""
     * when none): evaluating the model ignores it, a resume refuses it. */
    char unknown_setting[256];
    int version;           /* set by checkpoint_load: the file's format */
} checkpoint_meta;

/* A checkpoint in memory: what checkpoint_load returns (it owns the
 * arrays; checkpoint_free frees them) and what checkpoint_save writes. */
typedef struct {
    checkpoint_meta meta;
    long n;                /* parameters */
    float *params, *momentum;
    float *moment2;        /* adam's second moments (NULL unless the optimizer keeps them) */
    long state_count;      /* bn's running statistics: every bn layer's means, then */
    float *state;          /* its variances, in layer order (NULL when none) */
} checkpoint;

/* Writes ck through file_write.h. Refuses settings a load would refuse, and
 * values that are not finite. Returns 0, or -1 with err set and errno kept;
 * on failure any previous file at path is untouched. */
int checkpoint_save(const char *path, const checkpoint *ck, char *err, size_t errlen);

/* checkpoint_save where no file is yet: fails with errno EEXIST otherwise. */
int checkpoint_save_new(const char *path, const checkpoint *ck, char *err, size_t errlen);

/* Reads path into ck (which then owns its arrays). Refuses, with a
 * one-line message naming path, anything but a regular file (a FIFO
 * without blocking), a file that is not a checkpoint, one cut short or
 * damaged (CRC), one from a newer version, one whose settings are out of
 * range, and one holding a value that is not finite (naming the layer when
 * the spec parses). On failure ck holds nothing to free. */
int checkpoint_load(const char *path, checkpoint *ck, char *err, size_t errlen);

/* Frees what checkpoint_load allocated (ck may be all zero). */
void checkpoint_free(checkpoint *ck);

/* Records the training set in meta: count samples with these labels, of which
 * a run with --train-limit limit uses the first min(limit, count) (all when
 * limit is 0); the CRC covers those. */
void checkpoint_set_data(checkpoint_meta *meta, const unsigned char *labels, int count,
                         int limit);

/* A resume's training data into its checkpoint's meta (checkpoint_set_data),
 * so that the run's checkpoints can be written: where a format 1 file
 * recorded none (data_unknown) and its steps done do not fall in epoch
 * "epochs done" of this data (it was trained on another sample count), they
 * become that epoch's first step, and it returns 1; else 0. The data must
 * hold more samples than --val holds out. */
int checkpoint_take_data(checkpoint_meta *meta, const unsigned char *labels, int count,
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

/* meta for a new run of cfg on spec with this input scaling and these class
 * names (names->count 0: none): the network and the settings; progress and
 * data left zero. */
void checkpoint_meta_init(checkpoint_meta *meta, const run_config *cfg, const net_spec *spec,
                          const input_norm *norm, const class_names *names);

#endif
