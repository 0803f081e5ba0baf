/* Private to cnn train (cmd_train.c, train_outputs.c, train_report.c):
 * everything a run holds, freed in one place, and its steps. */
#ifndef CNN_TRAIN_CMD_H
#define CNN_TRAIN_CMD_H

#include <signal.h>
#include <stdio.h>

#include "device_data.h"
#include "flags.h"
#include "model.h"
#include "presets.h"
#include "saver.h"
#include "settings.h"
#include "stop_signals.h"
#include "train.h"

typedef struct {
    run_config c;
    flag_set flags;
    const net_preset *preset;  /* the last --net's, when it names one: the flags' defaults */
    net_spec spec;
    model resumed;             /* --resume's checkpoint */
    input_norm norm;           /* the input normalization */
    int handler_set;
    struct sigaction old_sa[N_STOP_SIGNALS];
    int lock_fd, best_lock_fd;
    FILE *csv;
    const cnn_ops *ops;
    char device[256];
    dataset train, test, train_rest, held;
    int test_is_val;           /* test is held's samples (a one-tree picture folder) */
    int skipped;               /* pictures --skip-bad passed over */
    int data_loaded;           /* train and test were read when the run was shaped (a picture folder) */
    const dataset *train_used; /* what is trained on: train, or train_rest with --val */
    int samples_used;          /* of train_used: --train-limit's, or all of them */
    device_dataset dtrain, dtest, dval;
    net *nt;
    saver sv;
    train_plan plan;
    train_result res;
} train_cmd;

/* train_outputs.c: the files the run writes, checked, locked and opened
 * before training (status 0, or the exit status after one line). */
int train_outputs_open(train_cmd *t);
void train_outputs_close(train_cmd *t, int *status);
/* Whether a stop signal's checkpoint, without --save, can be written here (a note if not). */
void train_note_interrupt_folder(void);

/* train_report.c: the banner before training and the JSON line after it. */
void train_banner(const train_cmd *t);
void train_result_json(const train_cmd *t);

#endif
