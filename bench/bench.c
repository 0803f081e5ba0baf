/* cnn-bench: what `make bench` measures of this project, on every backend
 * at hand, in one run: the ops a training step issues (a GPU step's
 * launches), per-layer forward and backward times (like `caffe time`),
 * training throughput against batch size, and scaling with batch and
 * width. Markdown tables on stdout; the same rows as CSV under --out. The
 * peers (bench/peers/) and the ratios are run by bench/run.sh. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu_backend.h"
#include "capture_ops.h"
#include "cli.h"
#include "cli/commands.h"
#include "device.h"
#include "file_write.h"
#include "layer.h"
#include "text_out.h"
#include "train.h"

/* The bench times MNIST: 1x28x28 inputs of 10 classes. */
static const shape3 MNIST_SHAPE = {1, 28, 28};
enum { MNIST_CLASSES = 10 };


typedef struct { const cnn_ops *ops; char desc[256]; } backend;

typedef struct {
    dataset train, test;
    input_norm norm;   /* the inputs' scaling (MNIST: one channel) */
    backend be[2];
    int n_be;
    FILE *ops_csv, *tput_csv, *scale_csv, *graph_csv; /* csv[0..3]'s open temporaries */
    struct csv_file { char path[1024]; file_out out; } csv[4];
} bench;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct { net *nt; int layer, n, backward; } layer_call;

static void run_layer(void *ctx)
{
    layer_call *c = ctx;
    if (c->backward) net_backward_layer(c->nt, c->layer, c->n);
    else net_forward_layer(c->nt, c->layer, c->n);
}

/* Median of reps timings after warm-up runs. */
static double median_ms(const cnn_ops *ops, layer_call *c, int reps)
{
    double t[64];
    for (int i = 0; i < 3; i++) ops->time_ms(run_layer, c);
    for (int i = 0; i < reps; i++) t[i] = ops->time_ms(run_layer, c);
    qsort(t, reps, sizeof t[0], cmp_double);
    return t[reps / 2];
}

/* Floating-point operations (products) or bytes moved (the rest) of layer i
 * over n samples, forward or backward; *is_flops says which. */
static double layer_work(const layer_spec *l, int i, int n, int backward, int *is_flops)
{
    double in = (double)n * l->in.c * l->in.h * l->in.w;
    double out = (double)n * l->out_shape.c * l->out_shape.h * l->out_shape.w;
    *is_flops = l->kind == LAYER_CONV || l->kind == LAYER_FC;
    if (*is_flops) {
        double mults = l->kind == LAYER_CONV ? out * l->in.c * l->k * l->k : out * l->in.c * l->in.h * l->in.w;
        /* backward: the weight gradient, and the input's unless it is the data */
        return 2 * mults * (backward ? (i > 0 ? 2 : 1) : 1);
    }
    if (l->kind == LAYER_RELU) return 4 * (backward ? 3 * out : 2 * out);
    if (l->kind == LAYER_AVGPOOL) return 4 * (in + out);
    return 4 * (2 * out); /* losses: read scores, write gradients */
}

/* A preset's spec (the benchmark only names presets that exist). */
static const char *preset_spec(const char *name) { return net_preset_find(name)->spec; }

/* The benchmark's own specs are fixed: a parse error is a bug here. */
static net_spec parse_spec(const char *text)
{
    net_spec spec;
    char err[512];
    if (net_spec_parse(text, MNIST_SHAPE, MNIST_CLASSES, &spec, err, sizeof err)) {
        fprintf(stderr, "cnn-bench: %s\n", err);
        exit(1);
    }
    return spec;
}

static void time_layers(bench *b, const backend *be, const char *name, const char *text,
                        int batch)
{
    net_spec spec = parse_spec(text);
    const cnn_ops *ops = be->ops;
    net *nt = net_create(ops, &spec, batch);
    net_init_params(nt, 1, 0.0f);
    device_dataset d;
    device_dataset_upload(ops, &b->train, batch, &b->norm, &d);
    ops->zero(nt->cursor, sizeof(int));
    ops->gather(d.images, d.labels, d.in_order, nt->cursor, batch, d.channels, d.h * d.w, d.norm_dev,
                nt->act[0], nt->labels);
    net_forward(nt, batch);
    net_backward(nt, batch);
    printf("\n%s, batch %d, %s\n\n", name, batch, be->desc);
    printf("| layer | forward ms | backward ms | forward | backward |\n|---|---:|---:|---:|---:|\n");
    double total_f = 0, total_b = 0;
    int reps = ops == &cpu_ops ? 15 : 51;
    for (int i = 0; i < spec.n_layers; i++) {
        const layer_spec *l = &spec.layer[i];
        layer_call fc = {nt, i, batch, 0}, bc = {nt, i, batch, 1};
        double f = median_ms(ops, &fc, reps);
        double bw = i < spec.n_layers - 1 ? median_ms(ops, &bc, reps) : 0.0;
        int flops;
        double wf = layer_work(l, i, batch, 0, &flops), wb = layer_work(l, i, batch, 1, &flops);
        const char *unit = flops ? "GFLOP/s" : "GB/s";
        char lname[48];
        snprintf(lname, sizeof lname, "%d %s", i + 1, layer_kind_name(l->kind));
        printf("| %s | %.4f | %.4f | %.1f %s | ", lname, f, bw, wf / f / 1e6, unit);
        if (bw > 0) printf("%.1f %s |\n", wb / bw / 1e6, unit);
        else printf("- |\n");
        fprintf(b->ops_csv, "%s,%s,%d,%s,%.6f,%.6f,%.3f,%.3f,%s\n", ops->name, name, batch, lname,
                f, bw, wf / f / 1e6, bw > 0 ? wb / bw / 1e6 : 0.0, unit);
        total_f += f;
        total_b += bw;
    }
    printf("| total | %.4f | %.4f | | |\n", total_f, total_b);
    net_destroy(nt);
    device_dataset_free(&d);
}

/* Trains one epoch (or `limit` samples, scaled to an epoch) and returns the
 * seconds per epoch; *acc gets the test accuracy after it. */
static double epoch_seconds(bench *b, const backend *be, const char *text, int batch, int limit,
                            double *acc)
{
    net_spec spec = parse_spec(text);
    const cnn_ops *ops = be->ops;
    device_dataset train, test;
    device_dataset_upload(ops, &b->train, limit, &b->norm, &train);
    device_dataset_upload(ops, &b->test, 0, &b->norm, &test);
    net *nt = net_create(ops, &spec, batch);
    net_init_params(nt, 1, 0.0f);
    run_config c;
    preset_config(&c, net_preset_find("seed-cnn")); /* every net, as the peers */
    c.epochs = 1;
    c.batch = batch;
    c.seed = 1;
    c.quiet = 1;
    c.graph = 1;
    train_result res;
    FILE *devnull = fopen("/dev/null", "w");
    if (train_run(nt, &c, NULL, &train, &test, devnull, NULL, &res)) {
        fprintf(stderr, "cnn-bench: training %s diverged\n", text);
        exit(1);
    }
    fclose(devnull);
    *acc = res.test_acc;
    double seconds = res.train_seconds * b->train.count / train.count;
    net_destroy(nt);
    device_dataset_free(&train);
    device_dataset_free(&test);
    return seconds;
}

static void throughput(bench *b, int quick)
{
    static const int batches[] = {50, 128, 512, 2048};
    static const char *const nets[] = {"seed-cnn", "mlp1"};
    printf("\n## Training throughput (one epoch of %d images)\n\n", b->train.count);
    printf("| net | batch | backend | s/epoch | images/s | test acc after 1 epoch |%s\n",
           b->n_be > 1 ? " GPU/CPU |" : "");
    printf("|---|---:|---|---:|---:|---:|%s\n", b->n_be > 1 ? "---:|" : "");
    for (int ni = 0; ni < 2; ni++)
        for (int bi = 0; bi < 4; bi++) {
            double cpu_s = 0;
            for (int e = 0; e < b->n_be; e++) {
                int limit = quick && b->be[e].ops == &cpu_ops ? 12000 : 0;
                double acc, s = epoch_seconds(b, &b->be[e], preset_spec(nets[ni]), batches[bi],
                                              limit, &acc);
                if (b->be[e].ops == &cpu_ops) cpu_s = s;
                printf("| %s | %d | %s | %.3f | %.0f | %.2f%% |", nets[ni], batches[bi],
                       b->be[e].ops->name, s, b->train.count / s, acc);
                if (b->n_be > 1) printf(e ? " %.1fx |" : " |", cpu_s / s);
                printf("\n");
                fprintf(b->tput_csv, "%s,%d,%s,%.5f,%.1f,%.2f\n", nets[ni], batches[bi],
                        b->be[e].ops->name, s, b->train.count / s, acc);
                fflush(stdout);
            }
        }
}

static void scaling(bench *b, int quick)
{
    static const int widths[][2] = {{4, 8}, {16, 32}, {32, 64}};
    static const int batches[] = {50, 512};
    printf("\n## Scaling: seed-cnn's shape with wider convolutions (s/epoch)\n\n");
    printf("| channels | batch | backend | s/epoch | images/s |\n|---|---:|---|---:|---:|\n");
    for (int wi = 0; wi < 3; wi++)
        for (int bi = 0; bi < 2; bi++)
            for (int e = 0; e < b->n_be; e++) {
                char spec[128];
                snprintf(spec, sizeof spec,
                         "conv%dk5p2,relu,avgpool2,conv%dk5p2,relu,avgpool2,fc10,softmax",
                         widths[wi][0], widths[wi][1]);
                /* the CPU trains a slice and scales it: wide nets are slow there */
                int limit = b->be[e].ops == &cpu_ops ? (quick ? 2000 : 6000) / (1 + wi) : 0;
                double acc, s = epoch_seconds(b, &b->be[e], spec, batches[bi], limit, &acc);
                printf("| %d/%d | %d | %s | %.3f | %.0f |\n", widths[wi][0], widths[wi][1],
                       batches[bi], b->be[e].ops->name, s, b->train.count / s);
                fprintf(b->scale_csv, "%d/%d,%d,%s,%.5f,%.1f\n", widths[wi][0], widths[wi][1],
                        batches[bi], b->be[e].ops->name, s, b->train.count / s);
                fflush(stdout);
            }
}

/* The ops one training step issues, counted by the capture-checking
 * backend (tests/capture_ops.h), which composes convolutions as the GPU
 * does: two steps of each preset's own recipe and batch, the second one
 * captured. On a GPU each op is a kernel launch (a few take two) or a
 * cuBLAS call, and the captured step is one graph launch. */
static long ops_per_step(const bench *b, const net_preset *p)
{
    net_spec spec = parse_spec(p->spec);
    run_config c;
    preset_config(&c, p);
    c.epochs = 1;
    c.seed = 1;
    c.quiet = 1;
    c.graph = 1;
    device_dataset train;
    device_dataset_upload(&capture_ops, &b->train, 2 * c.batch, &b->norm, &train);
    capture_ops_reset_count();
    net *nt = net_create(&capture_ops, &spec, c.batch);
    net_init_params(nt, 1, c.init_std);
    train_result res;
    FILE *devnull = fopen("/dev/null", "w");
    if (train_run(nt, &c, NULL, &train, &train, devnull, NULL, &res)) {
        fprintf(stderr, "cnn-bench: two steps of %s failed\n", p->name);
        exit(1);
    }
    fclose(devnull);
    net_destroy(nt);
    device_dataset_free(&train);
    if (capture_ops_last_graph_len() <= 0) {
        fprintf(stderr, "cnn-bench: %s: no step was captured\n", p->name);
        exit(1);
    }
    return capture_ops_last_graph_len();
}

/* The ops one evaluation of the test set issues in passes of eval_batch
 * (the capture-checking backend counts them; weights as initialised). */
static long eval_ops(const bench *b, const net_preset *p, int eval_batch)
{
    net_spec spec = parse_spec(p->spec);
    device_dataset test;
    device_dataset_upload(&capture_ops, &b->test, 0, &b->norm, &test);
    run_config c;
    preset_config(&c, p);
    net *nt = net_create(&capture_ops, &spec, eval_batch);
    net_init_params(nt, 1, c.init_std);
    double loss, acc;
    capture_ops_reset_count();
    evaluate(nt, &test, &loss, &acc, NULL);
    long ops = capture_ops_issued();
    net_destroy(nt);
    device_dataset_free(&test);
    return ops;
}

static void step_ops(const bench *b)
{
    static const char *const nets[] = {"seed-cnn", "mlp1", "lenet5", "cnn-bn"};
    printf("\n## Ops per training step (counted on the CPU by the capture-checking backend; "
           "on a GPU each is one or more kernel launches or a cuBLAS call)\n\n");
    printf("| net | batch | ops per step | ops per epoch of %d images | graph launches per "
           "epoch | ops per test-set evaluation, at the batch / at 1000 |\n"
           "|---|---:|---:|---:|---:|---:|\n", b->train.count);
    for (int i = 0; i < 4; i++) {
        const net_preset *p = net_preset_find(nets[i]);
        run_config c;
        preset_config(&c, p);
        long ops = ops_per_step(b, p), steps = (b->train.count + c.batch - 1) / c.batch;
        long eval_small = eval_ops(b, p, c.batch), eval_large = eval_ops(b, p, 1000);
        printf("| %s | %d | %ld | %ld | %ld | %ld / %ld |\n", nets[i], c.batch, ops,
               ops * steps, steps, eval_small, eval_large);
        fprintf(b->graph_csv, "%s,%d,%ld,%ld,%ld,%ld\n", nets[i], c.batch, ops, steps,
                eval_small, eval_large);
    }
    fflush(stdout);
}

/* A CSV file under dir, written through a temporary (file_write.h) that
 * close_csv renames into place once it is whole. */
static FILE *open_csv(struct csv_file *c, const char *dir, const char *name, const char *header)
{
    char err[ERR_LINE_MAX];
    snprintf(c->path, sizeof c->path, "%s/%s", dir, name);
    if (file_out_begin(&c->out, c->path, err, sizeof err)) {
        fprintf(stderr, "cnn-bench: %s\n", err);
        exit(1);
    }
    fprintf(c->out.f, "%s\n", header);
    return c->out.f;
}

static void close_csv(struct csv_file *c)
{
    char err[ERR_LINE_MAX];
    if (file_out_commit(&c->out, 0, err, sizeof err)) {
        fprintf(stderr, "cnn-bench: %s\n", err);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    const char *data, *device, *out;
    int quick;
    cli_opt opts[] = {
        {.name = "data", .kind = OPT_STR, .value = &data, .def = "data/mnist", .help = "folder with the four MNIST IDX files"},
        {.name = "device", .kind = OPT_STR, .value = &device, .def = "all", .help = "cpu, gpu, or all (every backend at hand)"},
        {.name = "out", .kind = OPT_STR, .value = &out, .def = "build/bench", .help = "folder for the CSV files (must exist)"},
        {.name = "quick", .kind = OPT_BOOL, .value = &quick, .def = "false", .help = "train slices on the CPU, scaled to an epoch"},
    };
    int r = cli_parse("bench", "[flags]", opts, sizeof opts / sizeof opts[0], argc, argv, 1);
    if (r) return r < 0 ? 2 : 0;
    bench b = {0};
    run_config c;
    run_config_defaults(&c);
    c.data = data;
    c.format = FORMAT_IDX;
    if (load_data("bench", &c, MNIST_CLASSES, &b.train, &b.test, NULL)) return 1;
    input_normalization(NORMALIZE_STD, &b.train, 1, &b.norm);
    char err[512];
    if (strcmp(device, "gpu")) {
        b.be[b.n_be].ops = device_select("cpu", 0, 0, b.be[b.n_be].desc, sizeof b.be[0].desc,
                                         NULL, 0, err, sizeof err);
        b.n_be++;
    }
    if (strcmp(device, "cpu")) {
        const cnn_ops *g = device_select("gpu", 0, 0, b.be[b.n_be].desc, sizeof b.be[0].desc,
                                         NULL, 0, err, sizeof err);
        if (g) b.be[b.n_be++].ops = g;
        else if (!strcmp(device, "gpu")) {
            fprintf(stderr, "cnn-bench: %s\n", err);
            return 1;
        } else {
            printf("(no GPU: %s)\n", err);
        }
    }
    b.ops_csv = open_csv(&b.csv[0], out, "ops.csv", "backend,net,batch,layer,forward_ms,backward_ms,forward_rate,backward_rate,unit");
    b.tput_csv = open_csv(&b.csv[1], out, "throughput.csv", "net,batch,backend,seconds_per_epoch,images_per_second,test_acc");
    b.scale_csv = open_csv(&b.csv[2], out, "scaling.csv", "channels,batch,backend,seconds_per_epoch,images_per_second");
    b.graph_csv = open_csv(&b.csv[3], out, "step_ops.csv", "net,batch,ops_per_step,steps_per_epoch,eval_ops_at_batch,eval_ops_at_1000");

    step_ops(&b);

    printf("\n## Per-layer time (median of repeated runs after warm-up)\n");
    for (int e = 0; e < b.n_be; e++)
        for (int bi = 0; bi < 2; bi++) {
            time_layers(&b, &b.be[e], "seed-cnn", preset_spec("seed-cnn"), bi ? 512 : 50);
            time_layers(&b, &b.be[e], "mlp1", preset_spec("mlp1"), bi ? 512 : 50);
        }
    throughput(&b, quick);
    scaling(&b, quick);
    for (int i = 0; i < 4; i++) close_csv(&b.csv[i]);
    dataset_free(&b.train);
    dataset_free(&b.test);
    return 0;
}
