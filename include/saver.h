/* The checkpoints a training run writes: --save every N epochs, at the end
 * and when stopped; --save-best after each best validation epoch; without
 * --save, an interrupt's checkpoint under a new name here. */
#ifndef CNN_SAVER_H
#define CNN_SAVER_H

#include <stddef.h>
#include <stdint.h>

#include "checkpoint.h"
#include "net.h"

/* where an interrupted run without --save leaves its checkpoint (a new
 * file: -2, -3, ... are added to the name when it exists) */
#define INTERRUPTED_BASE "cnn-interrupted"

/* The checkpoint a run writes: where, how often, and what it last wrote. */
typedef struct {
    net *nt;
    const char *save;       /* --save (NULL: none) */
    const char *save_best;  /* --save-best: the best validation epoch's (NULL: none) */
    int save_every;
    checkpoint_meta meta;   /* the run's network, settings and data */
    /* The global step whose weights last evaluated to finite losses
     * (train_result's verified_step): a save of any other step is refused,
     * so no checkpoint holds weights that blew up unseen. NULL: unchecked. */
    const long *verified_step;
    int saved;              /* this run wrote a checkpoint to save ... */
    int saved_epochs;       /* ... after this many epochs */
    int fail_at_epoch;      /* tests only (build/cnn-hooks): the save after this epoch fails */
} saver;

/* Writes the net to path (with no_replace only where no file is: errno
 * EEXIST otherwise), where steps is the verified step; on failure err holds
 * one line (without "cnn train: ") and any previous file at path is
 * unchanged. */
int saver_save(saver *s, const char *path, int no_replace, int epochs_done, long steps,
               uint64_t state, char *err, size_t errlen);

/* train_plan's on_epoch: the --save-every checkpoint (ctx: a saver). */
int saver_on_epoch(void *ctx, int epochs_done, long steps, uint64_t state);

/* train_plan's on_best_val: the --save-best checkpoint (ctx: a saver). */
int saver_on_best_val(void *ctx, int epochs_done, long steps, uint64_t state);

/* The first of cnn-interrupted.ckpt, cnn-interrupted-2.ckpt, ... -1000 that
 * nothing has taken (a file, a folder, a link), into path; -1 if none. */
int saver_interrupt_name(char *path, size_t len);

/* An interrupt's checkpoint where no --save was given: under the first
 * free name (into path), written only where no file is. */
int saver_save_interrupted(saver *s, int epochs_done, long steps, uint64_t state, char *path,
                           size_t len, char *err, size_t errlen);

#endif
