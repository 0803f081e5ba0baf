/* A run's settings and a checkpoint's, both ways in one place: a setting
 * that a checkpoint keeps is added here once. */
#ifndef CNN_CKPT_CONFIG_H
#define CNN_CKPT_CONFIG_H

#include "checkpoint.h"
#include "train.h"

/* meta gets the schedule, optimizer, augmentation and validation of c, the
 * spec's text and input shape, and the input normalization; the progress,
 * data, bn and state fields are left zero (the saver fills them). */
void checkpoint_meta_from_config(checkpoint_meta *meta, const train_config *c,
                                 const net_spec *spec, float scale, float shift);

/* The inverse for a resume: c gets meta's settings (not its progress). */
void config_from_checkpoint_meta(train_config *c, const checkpoint_meta *meta);

/* The defaults of the settings section 8 holds, for a new meta or a file
 * without that section. */
void checkpoint_meta_default_options(checkpoint_meta *meta);

#endif
