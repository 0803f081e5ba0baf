/* The subcommands of build/cnn, and what they share. Each returns the exit
 * status: 0, 1 for a runtime error, 2 for a usage error. */
#ifndef CNN_COMMANDS_H
#define CNN_COMMANDS_H

#include "checkpoint.h"
#include "model.h"
#include "dataset.h"
#include "net.h"
#include "netspec.h"
#include "ops.h"
#include "presets.h"
#include "flags.h"
#include "settings.h"

int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_visualize(int argc, char **argv);

/* --net: a preset name or a layer spec, for inputs of shape `in` and
 * `classes` classes (a preset's last fc takes the classes). Fills *preset
 * with the preset (or seed-cnn's hyperparameters for a custom spec).
 * Prints the error. */
int resolve_net(const char *cmd, const char *name, shape3 in, int classes, net_spec *spec,
                const net_preset **preset);

/* Loads c's --data (data_source.h's data_load, classes the net's or 0): the
 * training set into train, the test set into test (either NULL: not read).
 * Prints the error. */
int load_data(const char *cmd, const run_config *c, int classes, dataset *train, dataset *test,
              int *skipped);

/* load_data's test set for a command given f and the model's data rows
 * (take_model_data_settings): a refusal of data f did not name says it is
 * the model's own. */
int load_model_data(const char *cmd, const flag_set *f, const run_config *c, int classes,
                    dataset *test);

/* The data rows (--data, --format, ...) that f was not given, from m's
 * checkpoint: a model's data is found where it was trained (a checkpoint
 * that keeps none: the defaults); another --data is read by the format its
 * files tell, unless --format is given. */
void take_model_data_settings(const flag_set *f, const model *m, run_config *c);

/* Whether d (c's --data) has m's input shape and classes: -1 after the line
 * that names both; else 0 with d's class count made the model's, and a
 * warning line when both name their classes and the names differ. */
int data_fits_model(const char *cmd, const model *m, const run_config *c, dataset *d);

/* --device, --gpu and --threads of c; prints the error, or the one-line
 * note when --device auto falls back to the CPU in a CUDA build. */
const cnn_ops *open_device(const char *cmd, const run_config *c, char *desc, size_t desclen);

/* The samples per evaluation pass (train --eval-batch, eval --batch): want,
 * but no more than largest, the largest set evaluated, needs, and no more
 * than the net's buffers can hold at (a default; a value the user gave was
 * refused by net_size_refuse before); at least 1. */
int eval_batch_size(const net_spec *spec, int want, int largest);

/* Whether --model was given: 0, or 2 after the line that says it is
 * required (eval, predict, visualize). */
int require_model(const char *cmd, const char *path);

/* The settings flags of a command that classifies single images (predict,
 * visualize): on the CPU, with one thread, by default. */
void add_single_image_settings(flag_set *f, int cmd, run_config *c);

/* Fails, with a message, when a file cannot be created at path (its folder
 * missing or read-only); checked before training, not after it. */
int check_writable(const char *cmd, const char *flag, const char *path);

#endif
