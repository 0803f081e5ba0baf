/* The training loop end to end on generated data: the seed net overfits 100
 * samples, the same seed gives the same weights, the schedule steps. */
#include <criterion/criterion.h>
#include <string.h>

#include "norm_util.h"
#include "cpu/cpu_backend.h"
#include "train.h"
#include "testutil.h"

/* input_normalization for one channel, as a scale and a shift. */
static int norm1(int mode, const dataset *d, float *scale, float *shift)
{
    input_norm n = {0};
    int rc = input_normalization(mode, d, 1, &n);
    *scale = n.scale[0];
    *shift = n.shift[0];
    return rc;
}

#define SEED_CNN "conv4k5p2,relu,avgpool2,conv8k5p2,relu,avgpool2,fc10,softmax"

/* count 28x28 images of random blobs with random labels: nothing to learn
 * but the samples themselves. */
static dataset random_dataset(int count, uint64_t seed)
{
    rng r = {seed};
    dataset d = {.count = count, .channels = 1, .rows = 28, .cols = 28, .images = malloc((size_t)count * 784),
                 .labels = malloc(count), .classes = 10};
    for (long i = 0; i < (long)count * 784; i++) d.images[i] = (unsigned char)rng_below(&r, 256);
    for (int i = 0; i < count; i++) d.labels[i] = (unsigned char)rng_below(&r, 10);
    return d;
}

static net *make_net(const char *text, int batch, uint64_t seed)
{
    net_spec spec;
    char err[512];
    cr_assert_eq(net_spec_parse(text, (shape3){1, 28, 28}, 10, &spec, err, sizeof err), 0, "%s", err);
    net *nt = net_create(&cpu_ops, &spec, batch);
    net_init_params(nt, seed, 0.0f);
    return nt;
}

/* The defaults, then SGD with momentum 0.9 and no decay, the lr halved
 * every 1000 epochs, seed 3, printing nothing between epochs. */
static run_config config(int epochs, int batch, float lr)
{
    run_config c;
    run_config_defaults(&c);
    c.epochs = epochs;
    c.batch = batch;
    c.lr = lr;
    c.lr_gamma = 0.5f;
    c.lr_step = 1000;
    c.momentum = 0.9f;
    c.weight_decay = 0;
    c.seed = 3;
    c.log_every = 0;
    c.csv_every = 0;
    c.graph = 0;
    c.quiet = 1;
    return c;
}

Test(train, seed_net_overfits_100_samples, .timeout = 120)
{
    dataset d = random_dataset(100, 1);
    float scale, shift;
    norm1(NORMALIZE_STD, &d, &scale, &shift);
    device_dataset dd;
    device_dataset_upload(&cpu_ops, &d, 0, NORM_OF(scale, shift), &dd);
    net *nt = make_net(SEED_CNN, 10, 1);
    run_config c = config(60, 10, 0.05f);
    train_result res;
    FILE *devnull = fopen("/dev/null", "w");
    cr_assert_eq(train_run(nt, &c, NULL, &dd, &dd, devnull, NULL, &res), 0);
    fclose(devnull);
    cr_assert_lt(res.test_loss, 0.01, "loss on the 100 samples after training: %g", res.test_loss);
    cr_assert_eq(res.test_acc, 100.0, "accuracy %g%%", res.test_acc);
    net_destroy(nt);
    device_dataset_free(&dd);
    dataset_free(&d);
}

/* The loss must actually fall: a net that learns nothing stays near ln 10. */
Test(train, untrained_loss_is_high)
{
    dataset d = random_dataset(100, 1);
    device_dataset dd;
    device_dataset_upload(&cpu_ops, &d, 0, NORM_OF(1.0f / 255, 0), &dd);
    net *nt = make_net(SEED_CNN, 10, 1);
    double loss, acc;
    evaluate(nt, &dd, &loss, &acc, NULL);
    cr_assert_gt(loss, 1.0, "an untrained net scores %g", loss);
    net_destroy(nt);
    device_dataset_free(&dd);
    dataset_free(&d);
}

static float *train_and_copy(uint64_t seed, int batch)
{
    dataset d = random_dataset(230, 2); /* 230 = not a multiple of the batch */
    device_dataset dd;
    device_dataset_upload(&cpu_ops, &d, 0, NORM_OF(1.0f / 255, 0), &dd);
    net *nt = make_net(SEED_CNN, batch, seed);
    run_config c = config(2, batch, 0.05f);
    c.seed = seed;
    train_result res;
    FILE *devnull = fopen("/dev/null", "w");
    cr_assert_eq(train_run(nt, &c, NULL, &dd, &dd, devnull, NULL, &res), 0);
    fclose(devnull);
    float *w = malloc(sizeof(float) * nt->n_params);
    memcpy(w, nt->params, sizeof(float) * nt->n_params);
    cr_assert_eq(res.epochs_done, 2);
    net_destroy(nt);
    device_dataset_free(&dd);
    dataset_free(&d);
    return w;
}

Test(train, same_seed_same_weights)
{
    float *a = train_and_copy(5, 50), *b = train_and_copy(5, 50), *c = train_and_copy(6, 50);
    cr_assert_eq(memcmp(a, b, sizeof(float) * 4842), 0, "two runs with seed 5 differ");
    cr_assert_neq(memcmp(a, c, sizeof(float) * 4842), 0, "seeds 5 and 6 gave the same weights");
    free(a); free(b); free(c);
}

Test(train, lr_schedule_steps)
{
    run_config c = config(30, 50, 0.1f);
    c.lr_step = 5;
    c.lr_gamma = 0.5f;
    /* 10 steps an epoch: epoch e's steps are 10e .. 10e + 9 */
    cr_assert_float_eq(train_lr_at_step(&c, 10, 0), 0.1f, 1e-9);
    cr_assert_float_eq(train_lr_at_step(&c, 10, 49), 0.1f, 1e-9);
    cr_assert_float_eq(train_lr_at_step(&c, 10, 50), 0.05f, 1e-9);
    cr_assert_float_eq(train_lr_at_step(&c, 10, 299), 0.1f / 32, 1e-9);
    c.lr_step = 0;
    cr_assert_float_eq(train_lr_at_step(&c, 10, 299), 0.1f, 1e-9, "step 0: a constant rate");
}

Test(train, init_is_seeded_and_bounded)
{
    net *a = make_net(SEED_CNN, 4, 7), *b = make_net(SEED_CNN, 4, 7);
    cr_assert_eq(memcmp(a->params, b->params, sizeof(float) * a->n_params), 0);
    for (int i = 0; i < a->spec.n_layers; i++) {
        const layer_spec *l = &a->spec.layer[i];
        if (!l->weights) continue;
        float bound = sqrtf(6.0f / (l->weights / l->out)), max = 0;
        for (long j = 0; j < l->weights; j++) max = fmaxf(max, fabsf(a->params[l->param_offset + j]));
        cr_assert(max <= bound && max > 0.5f * bound, "layer %d: max |w| %g, bound %g", i, max, bound);
        for (long j = 0; j < l->bias; j++) cr_assert_eq(a->params[l->param_offset + l->weights + j], 0);
    }
    net_destroy(a);
    net_destroy(b);
}

/* --init-std: every weight from N(0, std^2) (the report's course framework),
 * biases 0; the sample mean and deviation of mlp2's 386,508 weights. */
Test(train, init_normal_has_the_deviation_asked)
{
    net_spec spec;
    char err[512];
    cr_assert_eq(net_spec_parse("fc392,relu,fc196,relu,fc10,euclid", (shape3){1, 28, 28}, 10, &spec,
                                err, sizeof err), 0, "%s", err);
    net *nt = net_create(&cpu_ops, &spec, 4);
    net_init_params(nt, 5, 0.01f);
    double n = 0, sum = 0, sq = 0;
    for (int i = 0; i < spec.n_layers; i++) {
        const layer_spec *l = &spec.layer[i];
        for (long j = 0; j < l->weights; j++) {
            double w = nt->params[l->param_offset + j];
            n++, sum += w, sq += w * w;
        }
        for (long j = 0; j < l->bias; j++) cr_assert_eq(nt->params[l->param_offset + l->weights + j], 0);
    }
    double mean = sum / n, sd = sqrt(sq / n - mean * mean);
    cr_assert(fabs(mean) < 1e-4, "mean %g", mean);
    cr_assert(fabs(sd - 0.01) < 1e-4, "deviation %g, asked 0.01", sd);
    net_destroy(nt);
}

/* The three input scalings: std above, unit [0, 1], center (x - 128) / 255. */
Test(train, normalization_unit_and_center)
{
    float scale, shift;
    cr_assert_eq(norm1(NORMALIZE_UNIT, NULL, &scale, &shift), 0);
    cr_assert_float_eq(255 * scale + shift, 1.0f, 1e-6);
    cr_assert_float_eq(shift, 0.0f, 1e-9);
    cr_assert_eq(norm1(NORMALIZE_CENTER, NULL, &scale, &shift), 0);
    cr_assert_float_eq(128 * scale + shift, 0.0f, 1e-6);
    cr_assert_float_eq(255 * scale + shift, 127.0f / 255, 1e-6);
    cr_assert_eq(norm1(NORMALIZE_COUNT, NULL, &scale, &shift), -1);
    cr_assert_eq(norm1(-1, NULL, &scale, &shift), -1);
    /* the words: --normalize's parser knows these three, exactly as written */
    run_config c;
    run_config_defaults(&c);
    char err[512];
    static const struct { const char *word; int mode; } words[] = {
        {"std", NORMALIZE_STD}, {"unit", NORMALIZE_UNIT}, {"center", NORMALIZE_CENTER}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        cr_assert_eq(setting_parse(SETTING(normalize), &c, words[i].word, err, sizeof err), 0,
                     "%s: %s", words[i].word, err);
        cr_assert_eq(c.normalize, words[i].mode, "%s", words[i].word);
    }
    cr_assert_eq(setting_parse(SETTING(normalize), &c, "Std", err, sizeof err), -1);
    cr_assert_eq(setting_parse(SETTING(normalize), &c, "other", err, sizeof err), -1);
}

/* --normalize std standardises each channel on its own: channel-first
 * samples of 3 channels with their own levels. */
Test(train, normalization_standardises_each_channel)
{
    enum { COUNT = 20, PLANE = 12, C = 3 };
    dataset d = {.count = COUNT, .channels = C, .rows = 3, .cols = 4, .classes = 2};
    d.images = malloc(COUNT * C * PLANE);
    d.labels = calloc(COUNT, 1);
    for (int i = 0; i < COUNT * C * PLANE; i++) /* channel c around 40 + 80 c */
        d.images[i] = (unsigned char)(40 + 80 * ((i / PLANE) % C) + (i * 37) % 31);
    input_norm n;
    cr_assert_eq(input_normalization(NORMALIZE_STD, &d, C, &n), 0);
    cr_assert_eq(n.channels, C);
    for (int c = 0; c < C; c++) {
        double sum = 0, sq = 0;
        for (int s = 0; s < COUNT; s++)
            for (int p = 0; p < PLANE; p++) {
                double v = d.images[(s * C + c) * PLANE + p] * n.scale[c] + n.shift[c];
                sum += v;
                sq += v * v;
            }
        cr_assert(fabs(sum / (COUNT * PLANE)) < 1e-4, "channel %d: mean %g", c,
                  sum / (COUNT * PLANE));
        cr_assert(fabs(sq / (COUNT * PLANE) - 1) < 1e-3, "channel %d: deviation", c);
    }
    cr_assert(n.shift[0] != n.shift[2], "the channels' levels differ, so do their shifts");
    cr_assert_eq(input_normalization(NORMALIZE_STD, &d, 1, &n), -1, "channel count mismatch");
    dataset_free(&d);
}

Test(train, normalization_standardises)
{
    dataset d = random_dataset(50, 4);
    float scale, shift;
    norm1(NORMALIZE_STD, &d, &scale, &shift);
    double sum = 0, sq = 0;
    for (long i = 0; i < 50L * 784; i++) {
        double v = d.images[i] * scale + shift;
        sum += v;
        sq += v * v;
    }
    cr_assert(fabs(sum / (50 * 784)) < 1e-4);
    cr_assert(fabs(sq / (50 * 784) - 1) < 1e-3);
    dataset_free(&d);
}
