/* One owner for a loaded model: a checkpoint read and checked against the
 * network it claims, and, once opened on a device, a net holding its
 * parameters and running statistics. Every command that reads a
 * checkpoint (eval, predict, visualize, summary, train --resume, the
 * --save-best check) goes through it; model_free frees it all. */
#ifndef CNN_MODEL_H
#define CNN_MODEL_H

#include <stddef.h>

#include "checkpoint.h"
#include "net.h"
#include "netspec.h"
#include "settings.h"

typedef struct {
    checkpoint ck;        /* what the file holds */
    net_spec spec;        /* its network (bn's settings from the checkpoint) */
    net *nt;              /* model_open's net on the device (NULL: not opened) */
    const cnn_ops *ops;
    char device[256];     /* the device, in words */
} model;

/* Reads the checkpoint at path and checks its network: the spec parses for
 * the input it was made for (channels, height, width, classes) with the
 * parameter and running-state counts the file holds, and no running variance
 * is negative. Returns 0, or -1
 * with err set to one line naming path (nothing printed; m holds nothing). */
int model_read(const char *path, model *m, char *err, size_t errlen);

/* Puts m's parameters and running statistics into nt, a net of m's spec;
 * with_optimizer: its momentum and second moments too (a resume). */
void model_put(const model *m, net *nt, int with_optimizer);

/* A model read onto the device of c's --device, --gpu and --threads: a net
 * for `batch` samples holding it, in evaluation mode (running statistics,
 * no dropout). batch_flag, when not NULL, is the flag that set batch, which
 * an out-of-memory line names. Prints one line "cnn CMD: ..." and returns
 * -1 on failure. */
int model_to_device(const char *cmd, model *m, const run_config *c, int batch,
                    const char *batch_flag);

/* model_read, printing "cnn CMD: ..." on failure, then model_to_device:
 * what predict and visualize do. -1 on failure (m holds nothing then). */
int model_open(const char *cmd, const char *path, const run_config *c, int batch, model *m);

/* Frees the net and the checkpoint's arrays (m may be all zero). */
void model_free(model *m);

#endif
