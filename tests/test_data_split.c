/* The validation split (data_split) and what train_run does with a held-out
 * set and a target accuracy, in process on generated data. */
#include <criterion/criterion.h>
#include <string.h>

#include "norm_util.h"
#include "cpu/cpu_backend.h"
#include "best_prior.h"
#include "checkpoint.h"
#include "data_split.h"
#include "run_util.h"
#include "train.h"
#include "testutil.h"

#define DIM 784

/* count samples whose first two pixels hold their index (low, high byte)
 * and whose label is index % 10: a split's pieces say where each came from. */
static dataset numbered_dataset(int count)
{
    dataset d = {.count = count, .channels = 1, .rows = 28, .cols = 28, .images = calloc((size_t)count, DIM),
                 .labels = malloc(count), .classes = 10};
    for (int i = 0; i < count; i++) {
        d.images[(size_t)i * DIM] = (unsigned char)(i & 0xff);
        d.images[(size_t)i * DIM + 1] = (unsigned char)(i >> 8);
        d.labels[i] = (unsigned char)(i % 10);
    }
    return d;
}

static int sample_id(const dataset *d, int j)
{
    return d->images[(size_t)j * DIM] | d->images[(size_t)j * DIM + 1] << 8;
}

static void split_ok(const dataset *d, int limit, int val, uint64_t seed, dataset *rest,
                     dataset *held)
{
    char err[512];
    cr_assert_eq(data_split(d, limit, val, seed, rest, held, err, sizeof err), 0, "%s", err);
}

/* Every sample used lands in exactly one piece, each piece in the original
 * order with its own label; the samples past --train-limit in neither. */
Test(split, disjoint_covers_the_samples_used_in_order)
{
    dataset d = numbered_dataset(700), rest, held;
    split_ok(&d, 500, 120, 9, &rest, &held);
    cr_assert_eq(held.count, 120);
    cr_assert_eq(rest.count, 380);
    int seen[700] = {0};
    const dataset *piece[2] = {&rest, &held};
    for (int p = 0; p < 2; p++)
        for (int j = 0; j < piece[p]->count; j++) {
            int id = sample_id(piece[p], j);
            cr_assert_lt(id, 500, "sample %d lies past --train-limit 500", id);
            cr_assert_eq(seen[id]++, 0, "sample %d is in both pieces (or twice)", id);
            cr_assert_eq(piece[p]->labels[j], id % 10, "sample %d lost its label", id);
            if (j > 0) cr_assert_lt(sample_id(piece[p], j - 1), id, "piece %d out of order", p);
        }
    for (int i = 0; i < 500; i++) cr_assert_eq(seen[i], 1, "sample %d is in neither piece", i);
    cr_assert_eq(held.rows, 28);
    cr_assert_eq(rest.classes, 10);
    dataset_free(&rest);
    dataset_free(&held);
    dataset_free(&d);
}

/* The held-out sample ids of a split, in order. */
static void held_ids(const dataset *d, int limit, int val, uint64_t seed, int *ids)
{
    dataset rest, held;
    split_ok(d, limit, val, seed, &rest, &held);
    for (int j = 0; j < held.count; j++) ids[j] = sample_id(&held, j);
    dataset_free(&rest);
    dataset_free(&held);
}

Test(split, fixed_by_the_seed)
{
    dataset d = numbered_dataset(1000);
    int a[100], b[100], c[100];
    held_ids(&d, 0, 100, 4, a);
    held_ids(&d, 0, 100, 4, b);
    held_ids(&d, 0, 100, 5, c);
    cr_assert_eq(memcmp(a, b, sizeof a), 0, "seed 4 gave two different splits");
    cr_assert_neq(memcmp(a, c, sizeof a), 0, "seeds 4 and 5 gave the same split");
    /* not simply the first or last samples */
    cr_assert(a[0] != 0 || a[99] != 99);
    cr_assert(a[0] != 900 || a[99] != 999);
    dataset_free(&d);
}

Test(split, refuses_as_many_as_the_samples_used)
{
    dataset d = numbered_dataset(300), rest, held;
    char err[512];
    cr_assert_eq(data_split(&d, 200, 200, 1, &rest, &held, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "--val 200"), "%s", err);
    cr_assert_not_null(strstr(err, "200 training samples used"), "%s", err);
    cr_assert_eq(data_split(&d, 0, 301, 1, &rest, &held, err, sizeof err), -1);
    cr_assert_eq(data_split(&d, 0, 0, 1, &rest, &held, err, sizeof err), -1);
    cr_assert_null(rest.images);
    cr_assert_null(held.images);
    /* one fewer than the samples used is the most */
    split_ok(&d, 200, 199, 1, &rest, &held);
    cr_assert_eq(rest.count, 1);
    dataset_free(&rest);
    dataset_free(&held);
    dataset_free(&d);
}

/* ---- train_run with a held-out set and a target ---- */

#define FC_NET "fc16,relu,fc10,softmax"

/* Labelled blocks: class k is a bright square at its own place, over noise. */
static dataset block_dataset(int count, uint64_t seed)
{
    rng r = {seed};
    dataset d = {.count = count, .channels = 1, .rows = 28, .cols = 28, .images = malloc((size_t)count * DIM),
                 .labels = malloc(count), .classes = 10};
    for (int i = 0; i < count; i++) {
        int k = (int)rng_below(&r, 10), y0 = (k / 5) * 12 + 2, x0 = (k % 5) * 5 + 1;
        unsigned char *img = d.images + (size_t)i * DIM;
        for (int p = 0; p < DIM; p++) img[p] = (unsigned char)rng_below(&r, 60);
        for (int y = y0; y < y0 + 8; y++)
            for (int x = x0; x < x0 + 4; x++) img[y * 28 + x] = 250;
        d.labels[i] = (unsigned char)k;
    }
    return d;
}

typedef struct {
    int calls, epochs[8];
} best_log;

static int record_best(void *ctx, int epochs_done, long steps, uint64_t state)
{
    (void)steps;
    (void)state;
    best_log *b = ctx;
    if (b->calls < 8) b->epochs[b->calls] = epochs_done;
    b->calls++;
    return 0;
}

/* The settings these runs train FC_NET with: the defaults, then plain SGD
 * at lr 0.05 in batches of 32 with no momentum, decay or lr steps, seed 3,
 * printing nothing between epochs. */
static run_config fc_config(int epochs)
{
    run_config c;
    run_config_defaults(&c);
    c.epochs = epochs;
    c.batch = 32;
    c.lr = 0.05f;
    c.lr_gamma = 1;
    c.lr_step = 0;
    c.momentum = 0;
    c.weight_decay = 0;
    c.seed = 3;
    c.normalize = NORMALIZE_UNIT;
    c.log_every = 0;
    c.csv_every = 0;
    c.graph = 0;
    return c;
}

typedef struct {
    float *params;
    train_result res;
    best_log best;
} run_out;

/* Trains FC_NET on 300 block samples for `epochs`, with val (may be NULL)
 * and target; the weights after it. */
static run_out run(const dataset *train, const dataset *val, int epochs, float target)
{
    net_spec spec;
    char err[512];
    cr_assert_eq(net_spec_parse(FC_NET, (shape3){1, 28, 28}, 10, &spec, err, sizeof err), 0);
    net *nt = net_create(&cpu_ops, &spec, 32);
    net_init_params(nt, 3, 0.0f);
    device_dataset dtrain, dval = {0};
    device_dataset_upload(&cpu_ops, train, 0, NORM_OF(1.0f / 255, 0), &dtrain);
    run_config c = fc_config(epochs);
    c.quiet = 1;
    c.target_acc = target;
    train_plan plan = {0};
    run_out o = {0};
    if (val) {
        device_dataset_upload(&cpu_ops, val, 0, NORM_OF(1.0f / 255, 0), &dval);
        plan.val = &dval;
        c.val_count = val->count;
        plan.on_best_val = record_best;
        plan.on_epoch_ctx = &o.best;
    }
    FILE *devnull = fopen("/dev/null", "w");
    cr_assert_eq(train_run(nt, &c, &plan, &dtrain, &dtrain, devnull, NULL, &o.res), 0);
    fclose(devnull);
    o.params = malloc(sizeof(float) * nt->n_params);
    memcpy(o.params, nt->params, sizeof(float) * nt->n_params);
    net_destroy(nt);
    device_dataset_free(&dtrain);
    if (val) device_dataset_free(&dval);
    return o;
}

/* Evaluating the held-out set each epoch changes nothing in training: the
 * same weights as without it; the best epoch is reported and called back. */
Test(train_val, held_out_set_leaves_training_unchanged, .timeout = 60)
{
    dataset all = block_dataset(400, 1), rest, held;
    split_ok(&all, 0, 100, 2, &rest, &held);
    run_out with = run(&rest, &held, 3, 0), without = run(&rest, NULL, 3, 0);
    cr_assert_eq(memcmp(with.params, without.params, sizeof(float) * (784 * 16 + 16 + 170)), 0,
                 "the weights differ when a validation set is evaluated");
    cr_assert_gt(with.res.val_acc, 30.0, "val accuracy %g%%", with.res.val_acc);
    cr_assert_geq(with.res.best_val_acc, with.res.val_acc);
    cr_assert(with.res.best_val_epoch >= 1 && with.res.best_val_epoch <= 3);
    /* called back for each new best, the last call being the best epoch */
    cr_assert_geq(with.best.calls, 1);
    cr_assert_eq(with.best.epochs[0], 1, "the first epoch is always the best so far");
    cr_assert_eq(with.best.epochs[with.best.calls - 1], with.res.best_val_epoch);
    cr_assert_eq(without.res.best_val_epoch, 0);
    free(with.params);
    free(without.params);
    dataset_free(&rest);
    dataset_free(&held);
    dataset_free(&all);
}

Test(train_val, target_stops_after_the_epoch_that_reaches_it, .timeout = 60)
{
    dataset d = block_dataset(300, 4), noise = block_dataset(300, 5);
    for (int i = 0; i < noise.count; i++) noise.labels[i] = (unsigned char)(i * 7 % 10);
    run_out hit = run(&d, NULL, 4, 30), miss = run(&noise, NULL, 2, 99);
    cr_assert_eq(hit.res.epochs_done, 1, "a 30%% target ran %d epochs", hit.res.epochs_done);
    cr_assert_eq(hit.res.target_epoch, 1);
    cr_assert_gt(hit.res.time_to_target_s, 0.0);
    cr_assert_geq(hit.res.test_acc, 30.0);
    cr_assert_eq(miss.res.epochs_done, 2, "an unreached target stopped the run");
    cr_assert_eq(miss.res.target_epoch, 0);
    cr_assert_eq(miss.res.time_to_target_s, 0.0);
    free(hit.params);
    free(miss.params);
    dataset_free(&d);
    dataset_free(&noise);
}

/* ---- --save-best across a resume: only the same run's file counts ---- */

/* A --save-best file of FC_NET after epoch 1 of 300 samples (100 held out
 * of 400, batch 32), and what a resumed run after epoch 2 is. */
Test(train_val, best_prior_takes_only_the_same_recipes_file, .timeout = 60,
     .fini = remove_temp_dir)
{
    net_spec spec;
    char err[4400], dir[256], path[512];
    cr_assert_eq(net_spec_parse(FC_NET, (shape3){1, 28, 28}, 10, &spec, err, sizeof err), 0);
    net *nt = net_create(&cpu_ops, &spec, 32);
    net_init_params(nt, 3, 0.0f);
    dataset all = block_dataset(400, 1), rest, held;
    split_ok(&all, 0, 100, 2, &rest, &held);
    device_dataset dval;
    device_dataset_upload(&cpu_ops, &held, 0, NORM_OF(1.0f / 255, 0), &dval);
    run_config c = fc_config(3);
    c.val_count = 100;
    checkpoint_meta saved, run;
    checkpoint_meta_init(&saved, &c, &spec, NORM_OF(1.0f / 255, 0), &(class_names){0});
    checkpoint_set_data(&saved, all.labels, all.count, 0);
    saved.epochs_done = 1;
    saved.steps_done = 10; /* ceil(300 / 32) */
    make_temp_dir("best_prior", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/best.ckpt", dir);
    float *zeros = calloc(nt->n_params, sizeof(float));
    checkpoint ck = {.meta = saved, .n = nt->n_params, .params = nt->params, .momentum = zeros};
    cr_assert_eq(checkpoint_save(path, &ck, err, sizeof err), 0, "%s", err);
    double acc = -1;
    int epoch = -1;
    run = saved;
    run.epochs_done = 2;
    run.steps_done = 20;
    cr_assert_eq(best_prior(nt, path, &run, &dval, &acc, &epoch), 1, "the run's own file");
    cr_assert(epoch == 1 && acc >= 0 && acc <= 100, "epoch %d, acc %g", epoch, acc);
    /* another recipe's file with the same net, seed, data and --val */
    checkpoint_meta other = run;
    other.cfg.lr = 0.1f;
    cr_assert_eq(best_prior(nt, path, &other, &dval, &acc, &epoch), 0, "another lr");
    other = run;
    other.cfg.augment.shift = 1;
    cr_assert_eq(best_prior(nt, path, &other, &dval, &acc, &epoch), 0, "another augmentation");
    other = run;
    other.cfg.optimizer = CNN_OPTIM_ADAM;
    cr_assert_eq(best_prior(nt, path, &other, &dval, &acc, &epoch), 0, "another optimizer");
    free(zeros);
    net_destroy(nt);
    device_dataset_free(&dval);
    dataset_free(&rest);
    dataset_free(&held);
    dataset_free(&all);
}
