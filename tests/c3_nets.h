/* Nets on a colour input for the checks against the double reference
 * (test_gradcheck.c, test_cpu_vs_ref.c): every layer kind of the table on a
 * 3-channel, non-square, non-28 input (3 x 10 x 12) with 7 classes. Each
 * kind sits once straight on the input, where its forward reads the net's
 * C x N x H x W batch (and fc swaps it to N x CHW rows), and once after a
 * conv that keeps the input's shape, where the backend's backward of the
 * kind is seen through that conv's parameter gradients (a net keeps no
 * input gradient). */
#ifndef CNN_C3_NETS_H
#define CNN_C3_NETS_H

#include "netspec.h"

#define C3_CLASSES 7
extern const shape3 c3_input;

typedef struct {
    const char *text; /* the spec, ending in fc7 and a loss */
    int n;            /* samples in the batch */
} c3_net;

extern const c3_net c3_nets[];
extern const int c3_nets_count;

/* 1 when every layer kind of the table (layer_defs) occurs in some net of
 * c3_nets; else 0, with the first missing kind's word in *missing. */
int c3_nets_cover_every_kind(const char **missing);

#endif
