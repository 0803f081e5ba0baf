/* Settings between a run and a checkpoint; see include/ckpt_config.h. */
#include "ckpt_config.h"

#include <stdio.h>
#include <string.h>

void checkpoint_meta_default_options(checkpoint_meta *meta)
{
    meta->optimizer = CNN_OPTIM_SGD;
    meta->beta1 = 0.9f;
    meta->beta2 = 0.999f;
    meta->eps = 1e-8f;
    meta->decay_bias = 1;
    meta->lr_schedule = CNN_SCHED_STEP;
    meta->warmup = 0;
    meta->aug_shift = 0;
    meta->aug_rot = 0;
    meta->aug_scale = 0;
    meta->val = 0;
}

void checkpoint_meta_from_config(checkpoint_meta *meta, const train_config *c,
                                 const net_spec *spec, float scale, float shift)
{
    memset(meta, 0, sizeof *meta);
    snprintf(meta->spec, sizeof meta->spec, "%s", spec->text);
    meta->in_c = spec->in.c;
    meta->in_h = spec->in.h;
    meta->in_w = spec->in.w;
    meta->classes = spec->classes;
    meta->lr = c->lr;
    meta->lr_gamma = c->lr_gamma;
    meta->momentum = c->momentum;
    meta->weight_decay = c->weight_decay;
    meta->lr_step = c->lr_step;
    meta->batch = c->batch;
    meta->epochs = c->epochs;
    meta->seed = c->seed;
    meta->input_scale = scale;
    meta->input_shift = shift;
    meta->optimizer = c->optimizer;
    meta->beta1 = c->beta1;
    meta->beta2 = c->beta2;
    meta->eps = c->eps;
    meta->decay_bias = c->decay_bias;
    meta->lr_schedule = c->lr_schedule;
    meta->warmup = c->warmup;
    meta->aug_shift = c->augment.shift;
    meta->aug_rot = c->augment.rot_deg;
    meta->aug_scale = c->augment.scale;
    meta->val = c->val_count;
}

void config_from_checkpoint_meta(train_config *c, const checkpoint_meta *meta)
{
    c->lr = meta->lr;
    c->lr_gamma = meta->lr_gamma;
    c->lr_step = meta->lr_step;
    c->momentum = meta->momentum;
    c->weight_decay = meta->weight_decay;
    c->batch = meta->batch;
    c->seed = meta->seed;
    c->optimizer = meta->optimizer;
    c->beta1 = meta->beta1;
    c->beta2 = meta->beta2;
    c->eps = meta->eps;
    c->decay_bias = meta->decay_bias;
    c->lr_schedule = meta->lr_schedule;
    c->warmup = meta->warmup;
    c->augment.shift = meta->aug_shift;
    c->augment.rot_deg = meta->aug_rot;
    c->augment.scale = meta->aug_scale;
    c->val_count = meta->val;
}
