/* Training scenarios for graph replay (graph_scenarios.h). */
#include "graph_scenarios.h"

#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data_split.h"
#include "presets.h"
#include "rng.h"

dataset blobs(int count, uint64_t seed)
{
    rng r = {seed};
    dataset d = {.count = count, .channels = 1, .rows = 28, .cols = 28,
                 .images = malloc((size_t)count * 784), .labels = malloc(count), .classes = 10};
    for (int i = 0; i < count; i++) {
        int c = (int)rng_below(&r, 10), y0 = 3 + (c / 5) * 12, x0 = 1 + (c % 5) * 5;
        d.labels[i] = (unsigned char)c;
        for (int p = 0; p < 784; p++) {
            int y = p / 28, x = p % 28, in = y >= y0 && y < y0 + 8 && x >= x0 && x < x0 + 5;
            d.images[(long)i * 784 + p] = (unsigned char)(rng_below(&r, 90) + (in ? 150 : 0));
        }
    }
    return d;
}

int graph_scenarios_mislabel = 1;

/* Every tenth training blob gets another class's label. Without them the
 * blobs are so easy that by the second epoch the seed net's softmax is
 * exactly 1 in float for every sample, so every gradient is exactly 0: the
 * weights no longer depend on which samples a step reads, and a wrong batch
 * cursor or order in a later epoch (a resume's, say) would go unseen. */
static void mislabel_some(dataset *d)
{
    for (int i = 0; i < d->count; i += 10)
        d->labels[i] = (unsigned char)((d->labels[i] + 1 + i / 10 % 9) % 10);
}

/* The data a scenario trains, tests and validates on, in backend memory. */
typedef struct {
    dataset train_all, train, held, test;
    device_dataset dtrain, dtest, dval;
    int has_val;
} scenario_data;

static void data_make(const cnn_ops *ops, const graph_scenario *s, scenario_data *d)
{
    char err[256];
    memset(d, 0, sizeof *d);
    d->train_all = blobs(s->train_count, 11);
    if (graph_scenarios_mislabel) mislabel_some(&d->train_all);
    d->test = blobs(500, 12);
    d->has_val = s->val_count > 0;
    if (d->has_val)
        cr_assert_eq(data_split(&d->train_all, 0, s->val_count, 4, &d->train, &d->held, err,
                                sizeof err), 0, "%s", err);
    const dataset *train = d->has_val ? &d->train : &d->train_all;
    input_norm norm;
    input_normalization(NORMALIZE_STD, train, 1, &norm);
    device_dataset_upload(ops, train, 0, &norm, &d->dtrain);
    device_dataset_upload(ops, &d->test, 0, &norm, &d->dtest);
    if (d->has_val) device_dataset_upload(ops, &d->held, 0, &norm, &d->dval);
}

static void data_free(scenario_data *d)
{
    device_dataset_free(&d->dtrain);
    device_dataset_free(&d->dtest);
    if (d->has_val) {
        device_dataset_free(&d->dval);
        dataset_free(&d->train);
        dataset_free(&d->held);
    }
    dataset_free(&d->train_all);
    dataset_free(&d->test);
}

static void config_make(const graph_scenario *s, int graph, const scenario_data *d,
                        run_config *c, train_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    preset_config(c, net_preset_find("seed-cnn"));
    c->epochs = s->epochs;
    c->batch = s->batch;
    c->seed = 7;
    c->log_every = 7; /* read-backs between replays, as a user's log lines make */
    c->quiet = 1;
    c->graph = graph;
    if (d->has_val) {
        plan->val = &d->dval;
        c->val_count = s->val_count;
    }
    if (s->tweak) s->tweak(c);
}

static void *download_all(const cnn_ops *ops, const void *src, size_t bytes)
{
    void *host = malloc(bytes ? bytes : 1);
    if (bytes) ops->download(host, src, bytes);
    return host;
}

static void state_take(const net *nt, const train_result *res, run_state *out)
{
    const cnn_ops *ops = nt->ops;
    size_t pbytes = sizeof(float) * nt->n_params;
    out->n_params = nt->n_params;
    out->n_state = nt->spec.n_state;
    out->params = download_all(ops, nt->params, pbytes);
    out->momentum = download_all(ops, nt->momentum, pbytes);
    out->moment2 = download_all(ops, nt->moment2, pbytes);
    out->state = download_all(ops, nt->state, sizeof(float) * out->n_state);
    ops->download(&out->step, nt->step, sizeof out->step);
    out->res = *res;
}

/* Into a new net, what a checkpoint of the stopped one would carry. */
static void state_give(const run_state *st, net *nt)
{
    const cnn_ops *ops = nt->ops;
    size_t pbytes = sizeof(float) * st->n_params;
    ops->upload(nt->params, st->params, pbytes);
    ops->upload(nt->momentum, st->momentum, pbytes);
    ops->upload(nt->moment2, st->moment2, pbytes);
    if (st->n_state) ops->upload(nt->state, st->state, sizeof(float) * st->n_state);
}

static volatile sig_atomic_t stop_flag;
static void on_sigint(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static int train_quietly(net *nt, const run_config *c, const train_plan *plan,
                         const scenario_data *d, train_result *res)
{
    FILE *devnull = fopen("/dev/null", "w");
    int rc = train_run(nt, c, plan, &d->dtrain, &d->dtest, devnull, NULL, res);
    fclose(devnull);
    return rc;
}

/* The first part of a resumed scenario: stopped by SIGINT after
 * s->stop_after_step, as Ctrl-C stops `cnn train`. */
/* plan's on_step: SIGINT after step *ctx, as Ctrl-C there would. */
static void sigint_after(void *ctx, long steps_done)
{
    if (steps_done == *(const long *)ctx) raise(SIGINT);
}

static void run_until_stopped(const run_config *c, const train_plan *plan, net *nt,
                              const graph_scenario *s, const scenario_data *d,
                              run_state *stopped)
{
    train_plan first = *plan;
    long stop_at = s->stop_after_step;
    first.stop = &stop_flag;
    first.on_step = sigint_after;
    first.on_step_ctx = &stop_at;
    stop_flag = 0;
    struct sigaction act = {0}, old;
    act.sa_handler = on_sigint;
    sigaction(SIGINT, &act, &old);
    train_result res;
    int rc = train_quietly(nt, c, &first, d, &res);
    sigaction(SIGINT, &old, NULL);
    cr_assert_eq(rc, 1, "the run was to be interrupted after step %ld", s->stop_after_step);
    cr_assert_eq(res.steps_done, s->stop_after_step);
    state_take(nt, &res, stopped);
}

void scenario_run(const cnn_ops *ops, const graph_scenario *s, int graph, run_state *out)
{
    scenario_data d;
    data_make(ops, s, &d);
    run_config c;
    train_plan plan;
    config_make(s, graph, &d, &c, &plan);
    net_spec spec;
    char err[256];
    cr_assert_eq(net_spec_parse(s->net, (shape3){1, 28, 28}, 10, &spec, err, sizeof err), 0,
                 "%s: %s", s->net, err);
    net *nt = net_create(ops, &spec, c.batch);
    net_init_params(nt, c.seed, c.init_std);
    if (s->stop_after_step > 0) {
        run_state stopped;
        run_until_stopped(&c, &plan, nt, s, &d, &stopped);
        net_destroy(nt);
        nt = net_create(ops, &spec, c.batch);
        state_give(&stopped, nt);
        plan.resume = 1;
        plan.start_epoch = stopped.res.epochs_done;
        plan.start_step = stopped.res.steps_done;
        plan.shuffle_state = stopped.res.shuffle_state;
        plan.prior_best_val_acc = stopped.res.best_val_acc;
        plan.prior_best_val_epoch = stopped.res.best_val_epoch;
        run_state_free(&stopped);
    }
    train_result res;
    cr_assert_eq(train_quietly(nt, &c, &plan, &d, &res), 0, "%s did not train to the end", s->net);
    state_take(nt, &res, out);
    net_destroy(nt);
    data_free(&d);
}

static int same_bits(const char *what, const float *a, const float *b, long n, char *why,
                     size_t len)
{
    for (long i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof(float))) {
            snprintf(why, len, "%s %ld: %.9g vs %.9g", what, i, a[i], b[i]);
            return -1;
        }
    return 0;
}

int run_states_identical(const run_state *a, const run_state *b, char *why, size_t len)
{
    if (a->n_params != b->n_params || a->n_state != b->n_state) {
        snprintf(why, len, "different nets");
        return -1;
    }
    if (a->step != b->step) {
        snprintf(why, len, "step counter %llu vs %llu", a->step, b->step);
        return -1;
    }
    if (same_bits("parameter", a->params, b->params, a->n_params, why, len) ||
        same_bits("momentum", a->momentum, b->momentum, a->n_params, why, len) ||
        same_bits("second moment", a->moment2, b->moment2, a->n_params, why, len) ||
        same_bits("running statistic", a->state, b->state, a->n_state, why, len))
        return -1;
    /* (the training loss is the last epoch's mean over the steps this run
     * did: a resume inside that epoch did fewer) */
    if (memcmp(&a->res.test_loss, &b->res.test_loss, sizeof(double)) ||
        memcmp(&a->res.val_loss, &b->res.val_loss, sizeof(double))) {
        snprintf(why, len, "losses: test %.17g vs %.17g, held-out %.17g vs %.17g",
                 a->res.test_loss, b->res.test_loss, a->res.val_loss, b->res.val_loss);
        return -1;
    }
    return 0;
}

double run_states_max_param_diff(const run_state *a, const run_state *b)
{
    double most = 0;
    for (long i = 0; i < a->n_params; i++) {
        double d = fabs((double)a->params[i] - b->params[i]);
        if (!(d <= most)) most = d; /* NaN wins */
    }
    return most;
}

void run_state_free(run_state *s)
{
    free(s->params);
    free(s->momentum);
    free(s->moment2);
    free(s->state);
    memset(s, 0, sizeof *s);
}

void expect_graph_equals_eager(const cnn_ops *ops, const graph_scenario *s, run_state *eager,
                               run_state *graph)
{
    graph_scenario whole = *s;
    whole.stop_after_step = 0;
    scenario_run(ops, &whole, 0, eager);
    scenario_run(ops, s, 1, graph);
    char why[256];
    cr_assert_eq(run_states_identical(graph, eager, why, sizeof why), 0,
                 "%s (%s): graph replay and eager launches differ: %s", s->name, s->net, why);
    if (!s->stop_after_step)
        cr_assert(!memcmp(&graph->res.train_loss, &eager->res.train_loss, sizeof(double)),
                  "%s: training losses %.17g (graph) and %.17g (eager)", s->name,
                  graph->res.train_loss, eager->res.train_loss);
    cr_assert_lt(eager->res.test_loss, s->max_loss, "%s (%s) did not learn: test loss %g",
                 s->name, s->net, eager->res.test_loss);
    /* the last epoch still had gradients (mislabel_some): which samples its
     * steps read shows in the weights */
    if (graph_scenarios_mislabel)
        cr_assert_gt(eager->res.train_loss, 0.05, "%s (%s): the last epoch's training loss is "
                     "%g, too small for its batches to matter", s->name, s->net,
                     eager->res.train_loss);
}

/* ---- the scenarios ---- */

#define SEED_CNN "conv4k5p2,relu,avgpool2,conv8k5p2,relu,avgpool2,fc10,softmax"

static void halve_each_epoch(run_config *c)
{
    c->lr_step = 1;
    c->lr_gamma = 0.5f;
    c->momentum = 0.9f;
}
static void euclid_recipe(run_config *c) /* mlp2's small initial weights */
{
    halve_each_epoch(c);
    c->init_std = 0.01f;
}
static void adam_cosine(run_config *c)
{
    c->optimizer = CNN_OPTIM_ADAM;
    c->lr = 0.003f;
    c->lr_schedule = CNN_SCHED_COSINE;
    c->warmup = 0.5f;
    c->decay_bias = 0;
}
static void adamw_onecycle(run_config *c)
{
    c->optimizer = CNN_OPTIM_ADAMW;
    c->lr = 0.003f;
    c->weight_decay = 0.01f;
    c->lr_schedule = CNN_SCHED_ONECYCLE;
}
static void nesterov_linear(run_config *c)
{
    c->optimizer = CNN_OPTIM_NESTEROV;
    c->momentum = 0.9f;
    c->lr_schedule = CNN_SCHED_LINEAR;
    c->warmup = 1.0f;
}
static void augmented(run_config *c)
{
    halve_each_epoch(c);
    c->augment = (cnn_augment){2, 10.0f, 0.1f, 0};
}

/* Chance is ln 10 = 2.30; a net that learns ends far below 1.0. 1,030
 * samples at batch 50 are 20 full steps and a last one of 30 an epoch:
 * three epochs are 63 steps. */
#define LEARNED 1.0
#define DROP_BN "conv4k3p1,bn,relu,maxpool2,dropout0.3,fc16,bn,relu,dropout0.2,fc10,softmax"
const graph_scenario graph_scenarios[] = {
    {"lr halved each epoch, momentum 0.9, a partial last batch", SEED_CNN, 1030, 50, 3, 0, 0,
     halve_each_epoch, LEARNED},
    /* the resumed run regenerates epoch 2's order, starts its cursor at the
     * epoch's step 10, runs one step eagerly and replays the rest */
    {"stopped in the middle of epoch 2 and resumed", SEED_CNN, 1030, 50, 3, 0, 31,
     halve_each_epoch, LEARNED},
    {"stopped at epoch 1's last step and resumed", SEED_CNN, 1030, 50, 3, 0, 21,
     halve_each_epoch, LEARNED},
    {"stopped after the first step, before any capture, and resumed", SEED_CNN, 1030, 50, 3, 0,
     1, halve_each_epoch, LEARNED},
    {"the Euclidean loss", "fc64,relu,fc32,relu,fc10,euclid", 1030, 50, 3, 0, 0, euclid_recipe,
     LEARNED},
    /* the mask key and the running averages move every step; bn after an
     * fc normalises the last step's 30 samples too */
    {"dropout and batch normalization", DROP_BN, 1030, 50, 3, 0, 0, halve_each_epoch, LEARNED},
    {"dropout and batch normalization, resumed mid-epoch", DROP_BN, 1030, 50, 3, 0, 45,
     halve_each_epoch, LEARNED},
    /* with the nets above, every op a net can issue; global pooling cannot
     * see where a blob is, so this net need only stay finite */
    {"every activation and pooling",
     "conv4k3p1,lrelu,maxpool2,conv8k3p1,tanh,avgpool2p1,conv8k3p1,sigmoid,gap,fc16,relu,fc10,"
     "softmax", 1030, 50, 3, 0, 0, halve_each_epoch, 2.4},
    /* Adam's bias correction reads the step count; the rate comes from the
     * schedule at every step */
    {"adam, cosine schedule, warmup, no bias decay", SEED_CNN, 1030, 50, 3, 0, 0, adam_cosine,
     LEARNED},
    {"adam, cosine schedule, resumed mid-epoch", SEED_CNN, 1030, 50, 3, 0, 52, adam_cosine,
     LEARNED},
    {"adamw, onecycle schedule", SEED_CNN, 1030, 50, 3, 0, 0, adamw_onecycle, LEARNED},
    {"nesterov, linear schedule, warmup", SEED_CNN, 1030, 50, 3, 0, 0, nesterov_linear, LEARNED},
    {"augmentation (shift and affine)", SEED_CNN, 1030, 50, 3, 0, 0, augmented, LEARNED},
    /* the held-out set is evaluated between epochs, after the capture */
    {"a held-out set evaluated between epochs", SEED_CNN, 1230, 50, 3, 200, 0, halve_each_epoch,
     LEARNED},
    {"a held-out set, resumed mid-epoch", SEED_CNN, 1230, 50, 3, 200, 40, halve_each_epoch,
     LEARNED},
    /* the gemm shapes of large batches: 9 full steps and one of 392; 2 full
     * steps and one of 1,904 */
    {"batch 512", SEED_CNN, 5000, 512, 1, 0, 0, halve_each_epoch, LEARNED},
    {"batch 2048", SEED_CNN, 6000, 2048, 2, 0, 0, halve_each_epoch, 2.0},
    /* every step partial: nothing is captured, the graph run is eager */
    {"a batch larger than the training set", SEED_CNN, 40, 50, 2, 0, 0, halve_each_epoch, 2.5},
};
const int graph_scenario_count = sizeof graph_scenarios / sizeof graph_scenarios[0];
