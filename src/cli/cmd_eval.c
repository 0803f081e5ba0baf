/* cnn eval: a checkpoint's test loss, accuracy and confusion matrix. */
#include <stdio.h>
#include <stdlib.h>

#include "checkpoint.h"
#include "cli.h"
#include "commands.h"
#include "json_out.h"
#include "clock.h"
#include "train.h"
#include "text_out.h"

int cmd_eval(int argc, char **argv)
{
    const char *model, *data_dir, *device;
    int gpu, batch, threads;
    enum { MODEL, DATA, DEVICE, GPU, BATCH, THREADS };
    cli_opt opts[] = {
        [MODEL] = {"model", OPT_STR, &model, "", "checkpoint to evaluate (from train --save)", 0, 0},
        [DATA] = {"data", OPT_STR, &data_dir, "data/mnist", "folder with the four MNIST IDX files", 0, 0},
        [DEVICE] = {"device", OPT_STR, &device, "auto", "cpu, gpu, or auto (a GPU when present)", 0, 0},
        [GPU] = {"gpu", OPT_INT, &gpu, "0", "which GPU", 1, 0},
        [BATCH] = {"batch", OPT_INT, &batch, "1000", "samples per forward pass (the test set's size if smaller)", 0, 0},
        [THREADS] = {"threads", OPT_THREADS, &threads, "0", "CPU threads (0: the free cores)", 1, 0},
    };
    int r = cli_parse("eval", "--model FILE [flags]", opts, sizeof opts / sizeof opts[0], argc,
                      argv, 2);
    if (r) return r < 0 ? 2 : 0;
    if (!device_name_ok("eval", device)) return 2;
    if (!*model) {
        print_error("cnn eval: --model FILE is required (a checkpoint from train --save)");
        return 2;
    }

    checkpoint_meta meta;
    float *params, *mom;
    long n;
    char err[4400];
    if (checkpoint_load(model, &meta, &params, &mom, &n, err, sizeof err)) {
        print_error("cnn eval: %s", err);
        return 1;
    }
    net_spec spec;
    if (checkpoint_spec(&meta, n, &spec, err, sizeof err)) {
        print_error("cnn eval: %s: %s", model, err);
        free(params);
        free(mom);
        free(meta.state);
        free(meta.moment2);
        return 1;
    }
    if (opts[BATCH].given && net_size_refuse("eval", "--batch", &spec, batch)) {
        free(params);
        free(mom);
        free(meta.state);
        free(meta.moment2);
        return 2;
    }
    char desc[256];
    dataset train, test;
    const cnn_ops *ops = open_device("eval", device, gpu, threads, desc, sizeof desc);
    if (!ops || load_data("eval", data_dir, &train, &test)) {
        free(params);
        free(mom);
        free(meta.state);
        free(meta.moment2);
        return 1;
    }
    device_dataset dtest;
    device_dataset_upload(ops, &test, 0, meta.input_scale, meta.input_shift, &dtest);
    net *nt = net_create(ops, &spec, eval_batch_size(&spec, batch, test.count));
    ops->upload(nt->params, params, sizeof(float) * n);
    net_load_state(nt, &meta);

    long confusion[CNN_CLASSES * CNN_CLASSES] = {0};
    double loss, acc;
    double eval_start = monotonic_seconds();
    evaluate(nt, &dtest, &loss, &acc, confusion);
    ops->sync();
    double eval_s = monotonic_seconds() - eval_start; /* (a confusion matrix reads back
                                                       * each pass: part of it) */
    printf("model %s: %s, %d epochs\ndevice %s\ntest loss %.6f  accuracy %.2f%% (%d images)\n"
           "evaluated in %.3f s, %d images a pass\n\n", model, spec.text, meta.epochs_done, desc,
           loss, acc, test.count, eval_s, nt->eval_batch);
    printf("confusion matrix (rows: label, columns: prediction)\n     ");
    for (int j = 0; j < CNN_CLASSES; j++) printf("%6d", j);
    printf("\n");
    for (int i = 0; i < CNN_CLASSES; i++) {
        printf("%5d", i);
        for (int j = 0; j < CNN_CLASSES; j++) printf("%6ld", confusion[i * CNN_CLASSES + j]);
        printf("\n");
    }
    json_out j;
    json_begin(&j, stdout);
    json_string(&j, "model", model);
    json_string(&j, "spec", spec.text);
    json_string(&j, "device", ops->name);
    json_decimals(&j, "test_loss", loss, 6);
    json_decimals(&j, "test_acc", acc, 4);
    json_int(&j, "eval_batch", nt->eval_batch);
    json_decimals(&j, "eval_seconds", eval_s, 4);
    json_end(&j);
    net_destroy(nt);
    device_dataset_free(&dtest);
    dataset_free(&train);
    dataset_free(&test);
    free(params);
    free(mom);
    free(meta.state);
    free(meta.moment2);
    return 0;
}
