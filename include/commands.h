/* The subcommands of build/cnn, and what they share. Each returns the exit
 * status: 0, 1 for a runtime error, 2 for a usage error. */
#ifndef CNN_COMMANDS_H
#define CNN_COMMANDS_H

#include "checkpoint.h"
#include "data.h"
#include "net.h"
#include "netspec.h"
#include "ops.h"

#define CNN_CLASSES 10
extern const shape3 CNN_INPUT_SHAPE; /* 1 x 28 x 28 */

int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_visualize(int argc, char **argv);

/* --net: a preset name or a layer spec. Fills *preset with the preset (or
 * seed-cnn's hyperparameters for a custom spec). Prints the error. */
int resolve_net(const char *cmd, const char *name, net_spec *spec, const net_preset **preset);

/* The network a checkpoint holds, for 28x28 images of CNN_CLASSES: its spec
 * parsed, with the parameter and running-state counts the file holds (n and
 * meta->state_count), running variances that are not negative, and bn's
 * settings taken from it. -1 with the reason in why (nothing printed). */
int checkpoint_spec(const checkpoint_meta *meta, long n, net_spec *spec, char *why,
                    size_t whylen);
/* Puts a checkpoint's running statistics (if any) into nt. */
void net_load_state(net *nt, const checkpoint_meta *meta);

/* Loads --data and checks the images are 28x28. Prints the error. */
int load_data(const char *cmd, const char *dir, dataset *train, dataset *test);

/* Whether --device names a device (cpu, gpu, auto); prints the error. */
int device_name_ok(const char *cmd, const char *device);

/* --device and --gpu; prints the error, or the one-line note when --device auto
 * falls back to the CPU in a CUDA build. */
const cnn_ops *open_device(const char *cmd, const char *device, int gpu, char *desc,
                           size_t desclen);

/* The samples per evaluation pass (train --eval-batch, eval --batch): want,
 * but no more than largest, the largest set evaluated, needs, and no more
 * than the net's buffers can hold at (a default; a value the user gave was
 * refused by net_size_refuse before); at least 1. */
int eval_batch_size(const net_spec *spec, int want, int largest);

/* Fails, with a message, when a file cannot be created at path (its folder
 * missing or read-only); checked before training, not after it. */
int check_writable(const char *cmd, const char *flag, const char *path);

#endif
