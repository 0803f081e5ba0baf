/* cnn eval: a checkpoint's test loss, accuracy and confusion matrix. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "commands.h"
#include "data_source.h"
#include "flags.h"
#include "json_out.h"
#include "text_out.h"
#include "train.h"

/* The matrix, rows the labels and columns the predictions, each class by
 * its number (and, where the model names them, a legend of the names). */
static void print_confusion(const long *confusion, const class_names *names, int k)
{
    printf("confusion matrix (rows: label, columns: prediction)\n     ");
    for (int j = 0; j < k; j++) printf("%6d", j);
    printf("\n");
    for (int i = 0; i < k; i++) {
        printf("%5d", i);
        for (int j = 0; j < k; j++) printf("%6ld", confusion[(long)i * k + j]);
        printf("\n");
    }
    for (int i = 0; i < names->count; i++)
        printf("%s%d %s", i ? ", " : "classes: ", i, text_shown(names->name[i]));
    if (names->count) printf("\n");
}

static void print_result(const char *path, const model *m, const dataset *test, double loss,
                         double acc, double seconds, const long *confusion)
{
    printf("model %s: %s, %d epochs\ndevice %s\ntest loss %.6f  accuracy %.2f%% (%d images)\n"
           "evaluated in %.3f s, %d images a pass\n\n", text_shown(path), m->spec.text,
           m->ck.meta.epochs_done, m->device, loss, acc, test->count, seconds, m->nt->eval_batch);
    print_confusion(confusion, &m->ck.meta.names, m->ck.meta.classes);
    json_out j;
    json_begin(&j, stdout);
    json_string(&j, "model", path);
    json_string(&j, "spec", m->spec.text);
    json_string(&j, "device", m->ops->name);
    json_decimals(&j, "test_loss", loss, 6);
    json_decimals(&j, "test_acc", acc, 4);
    json_int(&j, "eval_batch", m->nt->eval_batch);
    json_decimals(&j, "eval_seconds", seconds, 4);
    json_end(&j);
}

/* The test set on the device, evaluated in passes of the net's batch
 * (net_create's eval_batch); -1 (printed) when its loss is not finite. */
static int evaluate_model(const char *path, model *m, const dataset *test)
{
    device_dataset dtest;
    long k = m->ck.meta.classes, *confusion = calloc((size_t)(k * k), sizeof *confusion);
    double loss, acc;
    if (!confusion) {
        print_error("cnn eval: out of memory for a %ldx%ld confusion matrix", k, k);
        return -1;
    }
    device_dataset_upload(m->ops, test, 0, &m->ck.meta.norm, &dtest);
    double start = monotonic_seconds();
    evaluate(m->nt, &dtest, &loss, &acc, confusion);
    m->ops->sync();
    device_dataset_free(&dtest);
    if (!isfinite(loss)) { /* (its accuracy would count NaN as a class) */
        print_error("cnn eval: %s: the test loss is %s: the model's outputs are not finite (its "
                    "weights overflow float arithmetic: a run that diverged?): no result", path,
                    isnan(loss) ? "NaN" : "infinite");
        free(confusion);
        return -1;
    }
    /* (a confusion matrix reads back each pass: part of it) */
    print_result(path, m, test, loss, acc, monotonic_seconds() - start, confusion);
    free(confusion);
    return 0;
}

/* A one-tree picture folder holds no test set to evaluate. */
static int no_test_set(const run_config *c, const dataset *test)
{
    if (test->count) return 0;
    print_error("cnn eval: --data %s has no test set (a picture folder needs a test/ folder)",
                text_shown(c->data));
    return -1;
}

int cmd_eval(int argc, char **argv)
{
    run_config c;
    const char *path;
    int batch;
    flag_set f = {0};
    run_config_defaults(&c);
    flags_add_own(&f, "model", OPT_STR, &path, "",
                  "checkpoint to evaluate (from train --save)");
    flags_add_own(&f, "batch", OPT_INT, &batch, "1000",
                  "samples per forward pass (the test set's size if smaller; refused before any data is read if the net cannot hold it)");
    flags_add_settings(&f, CMD_EVAL, &c, NULL);
    int r = flags_parse(&f, "eval", "--model FILE [flags]", argc, argv);
    if (r) return r < 0 ? 2 : 0;
    if ((r = require_model("eval", path))) return r;
    model m;
    char err[ERR_LINE_MAX];
    if (model_read(path, &m, err, sizeof err)) {
        print_error("cnn eval: %s", err);
        return 1;
    }
    if (flags_given(&f, "batch") && net_size_refuse("eval", "--batch", &m.spec, batch)) {
        model_free(&m);
        return 2;
    }
    dataset test = {0};
    int rc = 1;
    take_model_data_settings(&f, &m, &c);
    if (load_data("eval", &c, m.ck.meta.classes, NULL, &test, NULL) == 0 && no_test_set(&c, &test) == 0 &&
        data_fits_model("eval", &m, &c, &test) == 0) {
        int pass = eval_batch_size(&m.spec, batch, test.count);
        if (model_to_device("eval", &m, &c, pass, "--batch") == 0)
            rc = evaluate_model(path, &m, &test) ? 1 : 0;
    }
    model_free(&m);
    dataset_free(&test);
    return rc;
}
