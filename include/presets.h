/* The named networks (--net seed-cnn, lenet5, ...): a layer spec and the
 * settings its training departs from the defaults by, written as sparse
 * overrides of include/settings.h's rows ("lr=0.02 momentum=0.9"). */
#ifndef CNN_PRESETS_H
#define CNN_PRESETS_H

#include <stddef.h>

#include "settings.h"

typedef struct {
    const char *name, *spec, *about;
    const char *settings; /* "name=value ..." over the defaults; "" for none */
} net_preset;

extern const net_preset net_presets[];
extern const int net_presets_count;

/* p's spec for a data set of `classes` classes: the specs are written for
 * MNIST's 10, and the last fc (the classifier, "fc10") takes the data's
 * count. 0, or -1 when buf is too short. */
int preset_spec_for(const net_preset *p, int classes, char *buf, size_t len);

/* The preset called name, or NULL. */
const net_preset *net_preset_find(const char *name);

/* c: the defaults, then p's settings (p may be NULL: the defaults alone). */
void preset_config(run_config *c, const net_preset *p);

#endif
