/* A model loaded from a checkpoint: the network it holds, checked against
 * what it claims, and its running statistics put into a net. */
#ifndef CNN_MODEL_H
#define CNN_MODEL_H

#include <stddef.h>

#include "checkpoint.h"
#include "net.h"
#include "netspec.h"

/* The input every net takes today, and its classes: MNIST's. */
#define CNN_CLASSES 10
extern const shape3 CNN_INPUT_SHAPE; /* 1 x 28 x 28 */

/* The network a checkpoint holds, for 28x28 images of CNN_CLASSES: its spec
 * parsed, with the parameter and running-state counts the file holds (n and
 * meta->state_count), running variances that are not negative, and bn's
 * settings taken from it. -1 with the reason in why (nothing printed). */
int checkpoint_spec(const checkpoint_meta *meta, long n, net_spec *spec, char *why,
                    size_t whylen);
/* Puts a checkpoint's running statistics (if any) into nt. */
void net_load_state(net *nt, const checkpoint_meta *meta);

#endif
