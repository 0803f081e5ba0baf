/* cnn: train, evaluate and describe convolutional networks on MNIST-shaped
 * IDX data, on the CPU or a CUDA GPU. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "data.h"
#include "device.h"
#include "net.h"
#include "train.h"

#define CLASSES 10
static const shape3 MNIST_SHAPE = {1, 28, 28};

/* The flags every network-building command shares. */
typedef struct {
    const char *net, *data, *device, *log;
    int gpu, threads;
    train_config cfg;
} run_flags;

/* Resolves --net (a preset name or a spec) for input shape in; fills the
 * preset's hyperparameters into every flag not given. */
static int resolve_net(const char *cmd, const char *name, shape3 in, net_spec *spec,
                       const net_preset **preset_out)
{
    const net_preset *preset = net_preset_find(name);
    char err[768];
    if (net_spec_parse(preset ? preset->spec : name, in, CLASSES, spec, err, sizeof err)) {
        if (!strpbrk(name, ",0123456789") && !preset) {
            fprintf(stderr, "cnn %s: --net: unknown network \"%s\": use seed-cnn, mlp1, mlp2 "
                            "or a layer spec such as fc392,relu,fc10,softmax\n", cmd, name);
        } else {
            fprintf(stderr, "cnn %s: --net: %s\n", cmd, err);
        }
        return -1;
    }
    *preset_out = preset ? preset : net_preset_find("seed-cnn");
    return 0;
}

static int cmd_summary(int argc, char **argv)
{
    const char *net_name = NULL;
    cli_opt opts[] = {
        {"net", OPT_STR, &net_name, "seed-cnn", "preset (seed-cnn, mlp1, mlp2) or layer spec", 0, 0},
    };
    int r = cli_parse("summary", "[--net NAME|SPEC]", opts, 1, argc, argv, 2);
    if (r) return r < 0 ? 2 : 0;
    net_spec spec;
    const net_preset *preset;
    if (resolve_net("summary", net_name, MNIST_SHAPE, &spec, &preset)) return 2;
    printf("net %s\nspec %s\n\n", net_name, spec.text);
    printf("%-3s %-14s %-14s %10s\n", "#", "layer", "output", "params");
    printf("%-3s %-14s %3dx%3dx%-6d %10s\n", "", "input", spec.in.c, spec.in.h, spec.in.w, "");
    for (int i = 0; i < spec.n_layers; i++) {
        const layer_spec *l = &spec.layer[i];
        char name[32];
        switch (l->kind) {
        case LAYER_CONV: snprintf(name, sizeof name, "conv %dx%d", l->k, l->k); break;
        case LAYER_POOL: snprintf(name, sizeof name, "avgpool %dx%d", l->k, l->k); break;
        default: snprintf(name, sizeof name, "%s", layer_kind_name(l->kind));
        }
        printf("%-3d %-14s %3dx%3dx%-6d %10ld\n", i + 1, name, l->out_shape.c, l->out_shape.h,
               l->out_shape.w, l->weights + l->bias);
    }
    printf("\ntotal parameters: %ld\n", spec.n_params);
    return 0;
}

/* Checks that the log can be written before any training starts. */
static FILE *open_log(const char *path)
{
    struct stat st;
    int fresh = stat(path, &st) != 0 || st.st_size == 0;
    FILE *f = fopen(path, "a");
    if (!f) {
        fprintf(stderr, "cnn train: --log %s: cannot write: %s\n", path, strerror(errno));
        return NULL;
    }
    if (fresh) fprintf(f, "kind,epoch,step,loss,acc,lr,seconds\n");
    fflush(f);
    return f;
}

static int cmd_train(int argc, char **argv)
{
    run_flags f = {0};
    train_config *c = &f.cfg;
    int epochs = 0, batch = 0, lr_step = 0;
    float lr = 0, gamma = 0, momentum = 0, decay = 0;
    cli_opt opts[] = {
        {"net", OPT_STR, &f.net, "seed-cnn", "preset (seed-cnn, mlp1, mlp2) or layer spec", 0, 0},
        {"data", OPT_STR, &f.data, "data/mnist", "folder with the four MNIST IDX files", 0, 0},
        {"device", OPT_STR, &f.device, "auto", "cpu, gpu, or auto (a GPU when present)", 0, 0},
        {"gpu", OPT_INT, &f.gpu, "0", "which GPU", 1, 0},
        {"epochs", OPT_INT, &epochs, NULL, "epochs to train (default: the preset's; seed-cnn 30)", 0, 0},
        {"batch", OPT_INT, &batch, NULL, "samples per step (default: the preset's; seed-cnn 50)", 0, 0},
        {"lr", OPT_FLOAT, &lr, NULL, "learning rate (default: the preset's; 0.1)", 0, 0},
        {"lr-step", OPT_INT, &lr_step, NULL, "multiply the lr by --lr-gamma every N epochs (default: 5)", 0, 0},
        {"lr-gamma", OPT_FLOAT, &gamma, NULL, "the lr's factor every --lr-step epochs (default: 0.5)", 0, 0},
        {"momentum", OPT_FLOAT, &momentum, NULL, "SGD momentum (default: the preset's; 1e-4)", 1, 0},
        {"weight-decay", OPT_FLOAT, &decay, NULL, "L2 weight decay (default: the preset's; seed-cnn 2e-4)", 1, 0},
        {"seed", OPT_U64, &c->seed, "1", "random seed: weights and shuffling", 1, 0},
        {"log", OPT_STR, &f.log, "build/train.csv", "CSV log, appended to (\"\" for none)", 0, 0},
        {"log-every", OPT_INT, &c->log_every, "200", "steps between log lines (0: once an epoch)", 1, 0},
        {"threads", OPT_INT, &f.threads, "0", "CPU threads (0: all cores)", 1, 0},
        {"train-limit", OPT_INT, &c->train_limit, "0", "train on the first N samples only (0: all)", 1, 0},
        {"quiet", OPT_BOOL, &c->quiet, "false", "only the per-epoch lines and the JSON result", 0, 0},
    };
    int n_opts = sizeof opts / sizeof opts[0];
    int r = cli_parse("train", "[flags]", opts, n_opts, argc, argv, 2);
    if (r) return r < 0 ? 2 : 0;

    net_spec spec;
    const net_preset *preset;
    if (resolve_net("train", f.net, MNIST_SHAPE, &spec, &preset)) return 2;
    c->epochs = opts[4].given ? epochs : preset->epochs;
    c->batch = opts[5].given ? batch : preset->batch;
    c->lr = opts[6].given ? lr : preset->lr;
    c->lr_step = opts[7].given ? lr_step : preset->lr_step;
    c->lr_gamma = opts[8].given ? gamma : preset->lr_gamma;
    c->momentum = opts[9].given ? momentum : preset->momentum;
    c->weight_decay = opts[10].given ? decay : preset->weight_decay;
    c->threads = f.threads;

    FILE *csv = NULL;
    if (*f.log && !(csv = open_log(f.log))) return 1;
    cpu_ops_set_threads(f.threads);

    char desc[256], err[512];
    const cnn_ops *ops = device_select(f.device, f.gpu, desc, sizeof desc, err, sizeof err);
    if (!ops) {
        fprintf(stderr, "cnn train: %s\n", err);
        if (csv) fclose(csv);
        return 1;
    }
    dataset train, test;
    if (dataset_load_dir(f.data, CLASSES, &train, &test, err, sizeof err)) {
        fprintf(stderr, "cnn train: %s\n", err);
        if (csv) fclose(csv);
        return 1;
    }
    if (train.rows != MNIST_SHAPE.h || train.cols != MNIST_SHAPE.w ||
        test.rows != train.rows || test.cols != train.cols) {
        fprintf(stderr, "cnn train: %s: images are %dx%d (test %dx%d); the nets take 28x28\n",
                f.data, train.rows, train.cols, test.rows, test.cols);
        dataset_free(&train);
        dataset_free(&test);
        if (csv) fclose(csv);
        return 1;
    }

    printf("cnn train\n");
    printf("  %-14s %s\n  %-14s %s\n", "net", f.net, "spec", spec.text);
    printf("  %-14s %ld\n", "parameters", spec.n_params);
    printf("  %-14s %s (%d train, %d test)\n", "data", f.data,
           c->train_limit && c->train_limit < train.count ? c->train_limit : train.count,
           test.count);
    printf("  %-14s %s\n", "device", desc);
    printf("  %-14s %d\n  %-14s %d\n", "epochs", c->epochs, "batch", c->batch);
    printf("  %-14s %g, x%g every %d epochs\n", "lr", c->lr, c->lr_gamma, c->lr_step);
    printf("  %-14s %g\n  %-14s %g\n", "momentum", c->momentum, "weight decay", c->weight_decay);
    printf("  %-14s %llu\n  %-14s %s\n", "seed", (unsigned long long)c->seed, "log",
           *f.log ? f.log : "(none)");
    fflush(stdout);

    float scale, shift;
    input_normalization(&train, &scale, &shift);
    device_dataset dtrain, dtest;
    device_dataset_upload(ops, &train, c->train_limit, scale, shift, &dtrain);
    device_dataset_upload(ops, &test, 0, scale, shift, &dtest);
    net *nt = net_create(ops, &spec, c->batch);
    net_init_params(nt, c->seed);

    train_result res;
    int status = train_run(nt, c, &dtrain, &dtest, stdout, csv, &res);
    if (status == 0) {
        printf("{\"net\":\"%s\",\"spec\":\"%s\",\"params\":%ld,\"device\":\"%s\",\"epochs\":%d,"
               "\"batch\":%d,\"seed\":%llu,\"train_loss\":%.6f,\"train_acc\":%.4f,"
               "\"test_loss\":%.6f,\"test_acc\":%.4f,\"train_seconds\":%.3f,"
               "\"seconds_per_epoch\":%.4f,\"images_per_second\":%.1f}\n",
               f.net, spec.text, spec.n_params, ops->name, res.epochs_done, c->batch,
               (unsigned long long)c->seed, res.train_loss, res.train_acc, res.test_loss,
               res.test_acc, res.train_seconds, res.train_seconds / res.epochs_done,
               (double)dtrain.count * res.epochs_done / res.train_seconds);
    }
    net_destroy(nt);
    device_dataset_free(&dtrain);
    device_dataset_free(&dtest);
    dataset_free(&train);
    dataset_free(&test);
    if (csv) fclose(csv);
    return status == 0 ? 0 : 1;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: cnn <command> [flags]\n\n"
                 "commands:\n"
                 "  train     train a network on MNIST-shaped IDX data\n"
                 "  summary   print a network's layers, shapes and parameter counts\n"
                 "\n'cnn <command> --help' lists a command's flags and their defaults.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "train")) return cmd_train(argc, argv);
    if (!strcmp(argv[1], "summary")) return cmd_summary(argc, argv);
    fprintf(stderr, "cnn: unknown command \"%s\" (try cnn --help)\n", argv[1]);
    return 2;
}
