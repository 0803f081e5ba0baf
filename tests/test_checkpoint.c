/* Checkpoints: the library (exact round trips, the documented byte layout of
 * format 3, atomic saves, refusals of bad files, format 1 and 2 files still
 * read and refused as before) and the cnn binary (a resumed run equals the
 * uninterrupted one byte for byte, from format 1, 2 or 3, eval agrees with
 * train, and wrong, corrupt or cut-short checkpoints fail with exit 1 and one
 * line). The binary is $CNN_BIN, or build/cnn when that is unset. The bytes
 * are read and built by tests/ckpt_bytes.c, from docs/checkpoint-format.md. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "hd/optim.h"
#include "ckpt_bytes.h"
#include "idx_util.h"
#include "rng.h"
#include "run_util.h"
#include "settings.h"

#define ERRLEN 4400
#define FC_NET "fc16,relu,fc10,softmax"
#define TRAIN_COUNT 600
#define TEST_COUNT 200
#define TEMP_NAME "test_checkpoint"
/* The most a checkpoint's batch, epochs and lr step may be: the rows'
 * SET_COUNT_RANGE in include/settings.h. */
#define COUNT_LIMIT 16777216u

/* ---- temporary files ---- */

/* "<temp_dir>/<name>" */
static void temp_path(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", temp_dir, name);
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static int is_dir(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* No "<dir>/...tmp" file is left anywhere in dir. */
static void expect_no_tmp_in(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "opendir %s: %s", dir, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        cr_assert(n < 4 || strcmp(e->d_name + n - 4, ".tmp") != 0,
                  "a temporary file was left behind: %s/%s", dir, e->d_name);
    }
    closedir(d);
}

/* bytes written to path and freed */
static void write_and_free(const char *path, unsigned char *b, size_t len)
{
    write_file(path, b, len);
    free(b);
}

/* ---- library helpers ---- */

/* 60000 samples, batch 50: 1200 steps per epoch; 345 steps into epoch 18. */
static checkpoint_meta sample_meta(void)
{
    checkpoint_meta m;
    memset(&m, 0, sizeof m);
    run_config_defaults(&m.cfg); /* sgd: no moment2 section */
    snprintf(m.spec, sizeof m.spec, "%s", "conv4k5p2,relu,avgpool2,conv8k5p2,relu,avgpool2,"
                                          "fc10,softmax");
    m.in_c = 1;
    m.in_h = 28;
    m.in_w = 27;
    m.classes = 10;
    m.cfg.lr = 0.1f;
    m.cfg.lr_gamma = 0.5f;
    m.cfg.momentum = 1e-4f;
    m.cfg.weight_decay = 2e-4f;
    m.cfg.lr_step = 5;
    m.cfg.batch = 50;
    m.cfg.epochs = 30;
    m.epochs_done = 17;
    m.steps_done = 17 * 1200 + 345;
    m.cfg.seed = UINT64_MAX;
    m.rng_state = 0x8000000000000001ull;
    m.norm.channels = 1;
    m.norm.scale[0] = 1.0f / 78.6f;
    m.norm.shift[0] = -0.424f;
    m.train_count = 60000;
    m.train_limit = 0;
    m.labels_crc = 0xDEADBEEFu;
    return m;
}

/* sample_meta with every setting a checkpoint keeps away from its default
 * (nesterov: no second moments), --val 600 held out: 59400 samples, 1188
 * steps per epoch. */
static checkpoint_meta rich_meta(void)
{
    checkpoint_meta m = sample_meta();
    run_config *c = &m.cfg;
    c->bn_momentum = 0.25f;
    c->bn_eps = 1e-3f;
    c->optimizer = 1;   /* nesterov */
    c->lr_schedule = 3; /* onecycle */
    c->warmup = 2.5f;
    c->beta1 = 0.8f;
    c->beta2 = 0.95f;
    c->eps = 1e-7f;
    c->decay_bias = 0;
    c->augment = (cnn_augment){2, 10.0f, 0.1f, 0};
    c->val_count = 600;
    m.steps_done = 17 * 1188 + 345;
    return m;
}

/* n finite floats of random bit patterns (denormals included) after a fixed
 * list of awkward values. NaN and infinity are never written (a checkpoint
 * holding them is refused). nonnegative: the sign bit cleared (second
 * moments). */
static float *awkward_floats_signed(long n, uint64_t seed, int nonnegative)
{
    static const uint32_t special[] = {
        0x00000000u, 0x80000000u,             /* +0, -0 */
        0x00000001u, 0x80000001u, 0x007FFFFFu, /* smallest and largest denormals */
        0x00400000u, 0x807FFFFFu,
        0x00800000u,                          /* smallest normal */
        0x7F7FFFFFu, 0xFF7FFFFFu,             /* +-FLT_MAX */
        0x7F000000u, 0x7E967699u,             /* huge */
        0x3F800000u, 0xBF800000u, 0x3EAAAAABu,
    };
    float *p = malloc(sizeof(float) * (size_t)(n ? n : 1));
    cr_assert_not_null(p);
    rng r = {seed};
    for (long i = 0; i < n; i++) {
        uint32_t v = (size_t)i < sizeof special / sizeof special[0] ? special[i]
                                                                   : (uint32_t)rng_next(&r);
        if ((v & 0x7F800000u) == 0x7F800000u) v ^= 0x00800000u; /* NaN or inf: made finite */
        if (nonnegative) v &= 0x7FFFFFFFu;
        p[i] = cb_bits_float(v);
    }
    return p;
}

static float *awkward_floats(long n, uint64_t seed) { return awkward_floats_signed(n, seed, 0); }

/* Every field of two metas, and every setting a checkpoint keeps (SET_KEPT)
 * bit for bit. */
static void expect_meta_equal(const checkpoint_meta *a, const checkpoint_meta *b)
{
    cr_assert_str_eq(a->spec, b->spec);
    cr_assert_eq(a->in_c, b->in_c);
    cr_assert_eq(a->in_h, b->in_h);
    cr_assert_eq(a->in_w, b->in_w);
    cr_assert_eq(a->classes, b->classes);
    cr_assert_eq(cb_float_bits(a->cfg.lr), cb_float_bits(b->cfg.lr), "lr %g vs %g", a->cfg.lr,
                 b->cfg.lr);
    cr_assert_eq(cb_float_bits(a->cfg.lr_gamma), cb_float_bits(b->cfg.lr_gamma));
    cr_assert_eq(cb_float_bits(a->cfg.momentum), cb_float_bits(b->cfg.momentum));
    cr_assert_eq(cb_float_bits(a->cfg.weight_decay), cb_float_bits(b->cfg.weight_decay));
    cr_assert_eq(a->cfg.lr_step, b->cfg.lr_step);
    cr_assert_eq(a->cfg.batch, b->cfg.batch);
    cr_assert_eq(a->cfg.epochs, b->cfg.epochs);
    cr_assert_eq(a->epochs_done, b->epochs_done);
    cr_assert_eq(a->steps_done, b->steps_done, "steps_done %llx vs %llx",
                 (unsigned long long)a->steps_done, (unsigned long long)b->steps_done);
    cr_assert_eq(a->cfg.seed, b->cfg.seed);
    cr_assert_eq(a->rng_state, b->rng_state);
    cr_assert_eq(cb_float_bits(a->norm.scale[0]), cb_float_bits(b->norm.scale[0]));
    cr_assert_eq(cb_float_bits(a->norm.shift[0]), cb_float_bits(b->norm.shift[0]));
    cr_assert_eq(a->train_count, b->train_count);
    cr_assert_eq(a->train_limit, b->train_limit);
    cr_assert_eq(a->labels_crc, b->labels_crc);
    int kept = 0;
    for (int i = 0; i < run_settings_count; i++) {
        const setting_def *d = &run_settings[i];
        if (!(d->roles & SET_KEPT)) continue;
        kept++;
        char x[256], y[256];
        setting_format(d, &a->cfg, x, sizeof x);
        setting_format(d, &b->cfg, y, sizeof y);
        cr_assert(setting_same(d, &a->cfg, &b->cfg), "--%s: %s vs %s", d->flag, x, y);
    }
    cr_assert_eq(kept, 25, "%d settings are kept, the format documents 25", kept);
}

/* The arrays of two checkpoints, bit for bit. */
static void expect_values_equal(const checkpoint *got, const checkpoint *want)
{
    cr_assert_eq(got->n, want->n, "parameter count %ld, saved %ld", got->n, want->n);
    cr_assert_not_null(got->params);
    cr_assert_not_null(got->momentum);
    for (long i = 0; i < want->n; i++) {
        cr_assert_eq(cb_float_bits(got->params[i]), cb_float_bits(want->params[i]),
                     "param %ld: %08x, saved %08x", i, cb_float_bits(got->params[i]),
                     cb_float_bits(want->params[i]));
        cr_assert_eq(cb_float_bits(got->momentum[i]), cb_float_bits(want->momentum[i]),
                     "momentum %ld: %08x, saved %08x", i, cb_float_bits(got->momentum[i]),
                     cb_float_bits(want->momentum[i]));
    }
    cr_assert_eq((got->moment2 != NULL), (want->moment2 != NULL), "second moments");
    for (long i = 0; want->moment2 && i < want->n; i++)
        cr_assert_eq(cb_float_bits(got->moment2[i]), cb_float_bits(want->moment2[i]),
                     "second moment %ld", i);
    cr_assert_eq(got->state_count, want->state_count, "running statistics: %ld, saved %ld",
                 got->state_count, want->state_count);
    cr_assert_eq((got->state != NULL), (want->state_count != 0));
    for (long i = 0; i < want->state_count; i++)
        cr_assert_eq(cb_float_bits(got->state[i]), cb_float_bits(want->state[i]),
                     "running statistic %ld", i);
}

static void save_ok(const char *path, const checkpoint *ck)
{
    char err[ERRLEN] = "";
    cr_assert_eq(checkpoint_save(path, ck, err, sizeof err), 0, "save %s: %s", path, err);
}

/* Loads path into ck (the caller frees it with checkpoint_free). */
static void load_into(const char *path, checkpoint *ck, const char *why)
{
    char err[ERRLEN] = "";
    memset(ck, 0xAB, sizeof *ck);
    cr_assert_eq(checkpoint_load(path, ck, err, sizeof err), 0, "%s: load %s: %s", why, path,
                 err);
}

/* Saves meta and n awkward parameters and momentum values at path. */
static void save_sample(const char *path, const checkpoint_meta *m, long n)
{
    checkpoint ck = {.meta = *m, .n = n};
    ck.params = awkward_floats(n, 11);
    ck.momentum = awkward_floats(n, 12);
    save_ok(path, &ck);
    checkpoint_free(&ck);
}

/* checkpoint_load must refuse path with a one-line message that names the
 * file and contains every NULL-terminated fragment, and leave nothing to
 * free. */
static void expect_refusal(const char *path, const char *const *want, const char *why)
{
    checkpoint ck;
    memset(&ck, 0xAB, sizeof ck);
    char err[ERRLEN];
    memset(err, 0, sizeof err);
    int rc = checkpoint_load(path, &ck, err, sizeof err);
    if (rc == 0) checkpoint_free(&ck);
    cr_assert_neq(rc, 0, "%s: checkpoint_load accepted %s", why, path);
    cr_assert_eq(rc, -1, "%s: checkpoint_load returned %d", why, rc);
    cr_assert(!ck.params && !ck.momentum && !ck.moment2 && !ck.state && !ck.n && !ck.state_count,
              "%s: a refused checkpoint left arrays or counts behind", why);
    cr_assert_gt(strlen(err), 0, "%s: no message", why);
    cr_assert_null(strchr(err, '\n'), "%s: the message is not one line: %s", why, err);
    cr_assert_not_null(strstr(err, path), "%s: the message does not name the file: %s", why, err);
    for (const char *const *w = want; *w; w++)
        cr_assert_not_null(strstr(err, *w), "%s: the message should contain '%s', got: %s", why,
                           *w, err);
}

/* The same for bytes: written to path first. */
static void expect_bytes_refused(const char *path, const unsigned char *b, size_t len,
                                 const char *const *want, const char *why)
{
    write_file(path, b, len);
    expect_refusal(path, want, why);
}

#define W(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---- 1. round trips and the byte layout ---- */

/* A colour model's checkpoint keeps each channel's scaling and the class
 * names (two optional sections), bit for bit; the data rows too. */
Test(checkpoint, round_trip_channels_and_class_names, .fini = remove_temp_dir)
{
    char dir[256], path[512], err[ERRLEN];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    checkpoint ck = {.meta = sample_meta(), .n = 16};
    checkpoint_meta *m = &ck.meta;
    m->in_c = 3;
    m->classes = 3;
    m->norm.channels = 3;
    for (int c = 0; c < 3; c++) {
        m->norm.scale[c] = 0.01f * (c + 1);
        m->norm.shift[c] = -0.5f - c;
    }
    cr_assert_eq(class_names_parse("cat,dog,bird with space", &m->names, err, sizeof err), 0,
                 "%s", err);
    m->cfg.data = "some/folder";
    m->cfg.format = FORMAT_FOLDER;
    m->cfg.image_size = "30x20";
    m->cfg.channels = 3;
    ck.params = awkward_floats(16, 1);
    ck.momentum = awkward_floats(16, 2);
    save_ok(path, &ck);
    checkpoint got;
    load_into(path, &got, "colour round trip");
    cr_assert(input_norm_same(&got.meta.norm, &m->norm), "the per-channel scaling");
    cr_assert(class_names_same(&got.meta.names, &m->names), "the class names");
    cr_assert_str_eq(got.meta.names.name[2], "bird with space");
    cr_assert_str_eq(got.meta.cfg.data, "some/folder");
    cr_assert_str_eq(got.meta.cfg.image_size, "30x20");
    cr_assert_eq(got.meta.cfg.format, FORMAT_FOLDER);
    checkpoint_free(&got);
    /* names that do not fit the classes are refused on writing */
    m->classes = 4;
    cr_assert_neq(checkpoint_save(path, &ck, err, sizeof err), 0, "4 classes, 3 names");
    cr_assert_not_null(strstr(err, "3 class names for 4 classes"), "%s", err);
    free(ck.params);
    free(ck.momentum);
}

Test(checkpoint, round_trip_exact_bits, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    const long n = 4099;
    checkpoint ck = {.meta = sample_meta(), .n = n};
    ck.params = awkward_floats(n, 1);
    ck.momentum = awkward_floats(n, 2);
    /* a negative momentum zero and denormals in the momentum too */
    ck.momentum[0] = cb_bits_float(0x80000000u);
    ck.momentum[1] = cb_bits_float(0x00000003u);
    save_ok(path, &ck);

    checkpoint got;
    load_into(path, &got, "round trip");
    cr_assert_eq(got.n, n, "parameter count %ld, saved %ld", got.n, n);
    expect_meta_equal(&got.meta, &ck.meta);
    cr_assert_eq(got.meta.version, 3, "the file's version %d", got.meta.version);
    cr_assert_eq(got.meta.data_unknown, 0, "a format 3 file records its data");
    expect_values_equal(&got, &ck);
    cr_assert_null(got.moment2, "sgd keeps no second moments");
    cr_assert_null(got.state, "no running statistics were saved");
    cr_assert_eq(memcmp(got.params, ck.params, sizeof(float) * (size_t)n), 0);
    cr_assert_eq(memcmp(got.momentum, ck.momentum, sizeof(float) * (size_t)n), 0);
    checkpoint_free(&got);
    cr_assert(!got.params && !got.momentum && !got.n, "checkpoint_free leaves it zero");
    checkpoint_free(&got); /* twice: nothing left to free */
    checkpoint_free(&ck);
}

/* Every section (bn's running statistics, adam's second moments) and every
 * kept setting away from its default survive too, for each optimizer and
 * schedule. */
Test(checkpoint, round_trip_every_section_and_setting, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    const long n = 301;
    for (int optimizer = 0; optimizer < 4; optimizer++) {
        checkpoint ck = {.meta = rich_meta(), .n = n, .state_count = 37};
        ck.meta.cfg.optimizer = optimizer;
        ck.meta.cfg.lr_schedule = optimizer; /* step, cosine, linear, onecycle */
        ck.params = awkward_floats(n, 31);
        ck.momentum = awkward_floats(n, 32);
        ck.state = awkward_floats(ck.state_count, 33);
        if (cnn_optim_keeps_moment2(optimizer)) ck.moment2 = awkward_floats_signed(n, 34, 1);
        save_ok(path, &ck);
        checkpoint got;
        load_into(path, &got, "every section");
        expect_meta_equal(&got.meta, &ck.meta);
        expect_values_equal(&got, &ck);
        checkpoint_free(&got);
        checkpoint_free(&ck);
    }
}

/* Extreme settings (at the limits a load accepts), the longest spec the
 * format allows and an empty parameter list survive too. */
Test(checkpoint, round_trip_edge_meta, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    checkpoint_meta m = sample_meta();
    memset(m.spec, 'x', NET_SPEC_MAX - 1);
    m.spec[NET_SPEC_MAX - 1] = 0;
    m.cfg.lr_step = 0;
    m.cfg.epochs = (int)COUNT_LIMIT;
    m.epochs_done = (int)COUNT_LIMIT;
    m.cfg.batch = 1;
    m.train_count = CHECKPOINT_MAX_SAMPLES;
    m.train_limit = 0x7FFFFFFF;
    m.labels_crc = UINT32_MAX;
    m.cfg.seed = 0;
    m.rng_state = UINT64_MAX;
    m.norm.shift[0] = cb_bits_float(0x80000000u);
    /* the smallest normal float (a denormal is refused: see
     * refuses_settings_out_of_range) and the largest */
    m.cfg.lr = FLT_MIN;
    m.cfg.lr_gamma = FLT_MAX;
    m.cfg.momentum = 0;
    m.cfg.weight_decay = 0;
    m.cfg.warmup = (float)COUNT_LIMIT; /* all the epochs */
    m.cfg.bn_momentum = 1;
    m.cfg.bn_eps = 1;
    m.cfg.beta1 = cb_bits_float(0x3F7FFFFFu); /* just below 1 */
    m.cfg.beta2 = 0;
    m.cfg.eps = FLT_MAX;
    m.cfg.augment = (cnn_augment){8, 180.0f, 0.5f, 0};
    /* all but one sample held out: one step an epoch */
    m.cfg.val_count = CHECKPOINT_MAX_SAMPLES - 1;
    m.steps_done = (uint64_t)COUNT_LIMIT;
    checkpoint ck = {.meta = m, .n = 0};
    float dummy = 1.0f;
    ck.params = ck.momentum = &dummy;
    save_ok(path, &ck);
    checkpoint got;
    load_into(path, &got, "edge settings");
    cr_assert_eq(got.n, 0);
    expect_meta_equal(&got.meta, &m);
    checkpoint_free(&got);

    /* and the steps of 10^8 samples an epoch, with nothing held out */
    m.cfg.val_count = 0;
    m.steps_done = (uint64_t)COUNT_LIMIT * CHECKPOINT_MAX_SAMPLES;
    ck.meta = m;
    save_ok(path, &ck);
    load_into(path, &got, "edge steps");
    expect_meta_equal(&got.meta, &m);
    checkpoint_free(&got);
}

/* The settings section's entries, in table order, with their value types:
 * every setting a checkpoint keeps (docs/checkpoint-format.md). */
static const struct { const char *name; unsigned type; } KEPT[] = {
    {"epochs", CB_INT32},     {"batch", CB_INT32},       {"lr", CB_FLOAT32},
    {"lr-step", CB_INT32},    {"lr-gamma", CB_FLOAT32},  {"momentum", CB_FLOAT32},
    {"weight-decay", CB_FLOAT32}, {"bn-momentum", CB_FLOAT32}, {"bn-eps", CB_FLOAT32},
    {"optimizer", CB_TEXT},   {"lr-schedule", CB_TEXT},  {"warmup", CB_FLOAT32},
    {"beta1", CB_FLOAT32},    {"beta2", CB_FLOAT32},     {"eps", CB_FLOAT32},
    {"decay-bias", CB_INT32}, {"augment", CB_TEXT},      {"data", CB_TEXT},
    {"format", CB_TEXT},      {"labels", CB_TEXT},       {"image-size", CB_TEXT},
    {"channels", CB_INT32},   {"skip-bad", CB_INT32},    {"seed", CB_UINT64},
    {"val", CB_INT32},
};
#define N_KEPT (int)(sizeof KEPT / sizeof KEPT[0])

/* The value bytes an entry of m's settings must hold: the words of the
 * choices and the augment spec as this test expects them. */
static cb_entry expected_entry(int i, const run_config *c, const char *optimizer,
                               const char *schedule, const char *augment)
{
    const char *name = KEPT[i].name;
    if (!strcmp(name, "epochs")) return cb_int32(name, (uint32_t)c->epochs);
    if (!strcmp(name, "batch")) return cb_int32(name, (uint32_t)c->batch);
    if (!strcmp(name, "lr")) return cb_float32(name, c->lr);
    if (!strcmp(name, "lr-step")) return cb_int32(name, (uint32_t)c->lr_step);
    if (!strcmp(name, "lr-gamma")) return cb_float32(name, c->lr_gamma);
    if (!strcmp(name, "momentum")) return cb_float32(name, c->momentum);
    if (!strcmp(name, "weight-decay")) return cb_float32(name, c->weight_decay);
    if (!strcmp(name, "bn-momentum")) return cb_float32(name, c->bn_momentum);
    if (!strcmp(name, "bn-eps")) return cb_float32(name, c->bn_eps);
    if (!strcmp(name, "optimizer")) return cb_text(name, optimizer);
    if (!strcmp(name, "lr-schedule")) return cb_text(name, schedule);
    if (!strcmp(name, "warmup")) return cb_float32(name, c->warmup);
    if (!strcmp(name, "beta1")) return cb_float32(name, c->beta1);
    if (!strcmp(name, "beta2")) return cb_float32(name, c->beta2);
    if (!strcmp(name, "eps")) return cb_float32(name, c->eps);
    if (!strcmp(name, "decay-bias")) return cb_int32(name, (uint32_t)c->decay_bias);
    if (!strcmp(name, "augment")) return cb_text(name, augment);
    if (!strcmp(name, "data")) return cb_text(name, c->data);
    if (!strcmp(name, "format")) return cb_text(name, setting_choice(SETTING(format), c));
    if (!strcmp(name, "labels")) return cb_text(name, setting_choice(SETTING(labels), c));
    if (!strcmp(name, "image-size")) return cb_text(name, c->image_size);
    if (!strcmp(name, "channels")) return cb_int32(name, (uint32_t)c->channels);
    if (!strcmp(name, "skip-bad")) return cb_int32(name, (uint32_t)c->skip_bad);
    if (!strcmp(name, "seed")) return cb_uint64(name, c->seed);
    return cb_int32(name, (uint32_t)c->val_count);
}

/* The file (b, len) of ck is laid out exactly as docs/checkpoint-format.md
 * says for format 3: the header, then network, settings, progress, data,
 * params, momentum, then state and moment2 when ck has them, then the CRC.
 * The choices and the augment spec are checked against the words given. */
static void expect_format_3_layout(const unsigned char *b, size_t len, const checkpoint *ck,
                                   const char *optimizer, const char *schedule,
                                   const char *augment)
{
    const checkpoint_meta *m = &ck->meta;
    size_t sl = strlen(m->spec), n = (size_t)ck->n;
    /* the settings section: a count, then per entry its name's length and
     * name, its type and value */
    size_t settings = 4;
    cb_entry want[N_KEPT];
    for (int i = 0; i < N_KEPT; i++) {
        want[i] = expected_entry(i, &m->cfg, optimizer, schedule, augment);
        cr_assert_eq(want[i].type, KEPT[i].type);
        settings += 1 + strlen(KEPT[i].name) + 1 + want[i].value_len;
    }
    uint32_t tags[8] = {1, 10, 3, 4, 5, 6};
    size_t sizes[8] = {4 + sl + 24, settings, 20, 12, 8 + 4 * n, 8 + 4 * n};
    int count = 6;
    if (ck->state_count) {
        tags[count] = 7;
        sizes[count++] = 8 + 4 * (size_t)ck->state_count;
    }
    if (ck->moment2) {
        tags[count] = 9;
        sizes[count++] = 8 + 4 * n;
    }
    size_t want_len = 24 + 4;
    for (int i = 0; i < count; i++) want_len += 12 + sizes[i];
    cr_assert_eq(len, want_len, "the file has %zu bytes, the layout %zu", len, want_len);
    cr_assert_eq(memcmp(b, "CNNCKPT\0", 8), 0, "magic");
    cr_assert_eq(cb_le32(b + 8), 3u, "version");
    cr_assert_eq(cb_le32(b + 12), (uint32_t)count, "section count");
    cr_assert_eq(cb_le64(b + 16), (uint64_t)len, "file length");
    size_t at = 24, data[11] = {0};
    for (int i = 0; i < count; i++) {
        cr_assert_eq(cb_le32(b + at), tags[i], "section %d's tag", i + 1);
        cr_assert_eq(cb_le64(b + at + 4), (uint64_t)sizes[i], "section %u's length", tags[i]);
        data[tags[i]] = at + 12;
        at += 12 + sizes[i];
    }
    cr_assert_eq(at, len - 4);

    const unsigned char *q = b + data[1]; /* network */
    cr_assert_eq(cb_le32(q), sl);
    cr_assert_eq(memcmp(q + 4, m->spec, sl), 0, "spec text");
    q += 4 + sl;
    cr_assert_eq(cb_le32(q), (uint32_t)m->in_c);
    cr_assert_eq(cb_le32(q + 4), (uint32_t)m->in_h);
    cr_assert_eq(cb_le32(q + 8), (uint32_t)m->in_w);
    cr_assert_eq(cb_le32(q + 12), (uint32_t)m->classes);
    cr_assert_eq(cb_le32(q + 16), cb_float_bits(m->norm.scale[0]));
    cr_assert_eq(cb_le32(q + 20), cb_float_bits(m->norm.shift[0]));

    q = b + data[10]; /* settings: every entry, byte for byte, in table order */
    cr_assert_eq(cb_le32(q), (uint32_t)N_KEPT, "settings count");
    q += 4;
    for (int i = 0; i < N_KEPT; i++) {
        size_t nl = strlen(KEPT[i].name);
        cr_assert_eq(q[0], nl, "setting %d's name length", i + 1);
        cr_assert_eq(memcmp(q + 1, KEPT[i].name, nl), 0, "setting %d is not %s: %.*s", i + 1,
                     KEPT[i].name, (int)nl, (const char *)q + 1);
        q += 1 + nl;
        cr_assert_eq(q[0], KEPT[i].type, "%s's value type %u", KEPT[i].name, q[0]);
        q++;
        cr_assert_eq(memcmp(q, want[i].value, want[i].value_len), 0,
                     "%s's value: %.*s (as text)", KEPT[i].name, (int)want[i].value_len - 4,
                     (const char *)q + 4);
        q += want[i].value_len;
    }
    cr_assert_eq(q, b + data[10] + settings);

    q = b + data[3]; /* progress */
    cr_assert_eq(cb_le32(q), (uint32_t)m->epochs_done, "epochs done");
    cr_assert_eq(cb_le64(q + 4), m->steps_done);
    cr_assert_eq(cb_le64(q + 12), m->rng_state);
    q = b + data[4]; /* data */
    cr_assert_eq(cb_le32(q), (uint32_t)m->train_count);
    cr_assert_eq(cb_le32(q + 4), (uint32_t)m->train_limit);
    cr_assert_eq(cb_le32(q + 8), m->labels_crc);
    /* params, momentum, state, moment2: a count, then the values */
    cr_assert_eq(cb_le64(b + data[5]), (uint64_t)n);
    cr_assert_eq(cb_le64(b + data[6]), (uint64_t)n);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(cb_le32(b + data[5] + 8 + 4 * i), cb_float_bits(ck->params[i]),
                     "parameter %zu", i);
        cr_assert_eq(cb_le32(b + data[6] + 8 + 4 * i), cb_float_bits(ck->momentum[i]),
                     "momentum %zu", i);
        if (ck->moment2)
            cr_assert_eq(cb_le32(b + data[9] + 8 + 4 * i), cb_float_bits(ck->moment2[i]),
                         "second moment %zu", i);
    }
    if (ck->moment2) cr_assert_eq(cb_le64(b + data[9]), (uint64_t)n);
    if (ck->state_count) {
        cr_assert_eq(cb_le64(b + data[7]), (uint64_t)ck->state_count);
        for (long i = 0; i < ck->state_count; i++)
            cr_assert_eq(cb_le32(b + data[7] + 8 + 4 * (size_t)i), cb_float_bits(ck->state[i]),
                         "running statistic %ld", i);
    }
    cr_assert_eq(cb_le32(b + len - 4), cb_crc32(b, len - 4), "the CRC is not zlib's CRC-32");
}

/* The file is laid out exactly as docs/checkpoint-format.md says: the
 * defaults' words first, then every setting away from its default. */
Test(checkpoint, documented_layout, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    const long n = 37;
    checkpoint ck = {.meta = sample_meta(), .n = n};
    ck.params = awkward_floats(n, 5);
    ck.momentum = awkward_floats(n, 6);
    save_ok(path, &ck);
    size_t len;
    unsigned char *b = read_file(path, &len);
    expect_format_3_layout(b, len, &ck, "sgd", "step", "none");
    free(b);

    ck.meta = rich_meta();
    save_ok(path, &ck);
    b = read_file(path, &len);
    expect_format_3_layout(b, len, &ck, "nesterov", "onecycle", "shift:2,affine:10,0.1");
    free(b);
    checkpoint_free(&ck);
}

/* With bn's running statistics (section 7) and adam's second moments
 * (section 9), after the six. */
Test(checkpoint, documented_layout_state_and_moment2, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    const long n = 29;
    checkpoint ck = {.meta = rich_meta(), .n = n, .state_count = 6};
    ck.meta.cfg.optimizer = 3; /* adamw */
    ck.meta.cfg.lr_schedule = 1;
    ck.meta.cfg.augment = (cnn_augment){0, 12.5f, 0, 0};
    ck.params = awkward_floats(n, 7);
    ck.momentum = awkward_floats(n, 8);
    ck.moment2 = awkward_floats_signed(n, 9, 1);
    ck.state = awkward_floats(ck.state_count, 10);
    save_ok(path, &ck);
    size_t len;
    unsigned char *b = read_file(path, &len);
    expect_format_3_layout(b, len, &ck, "adamw", "cosine", "affine:12.5,0");
    free(b);
    ck.meta.cfg.optimizer = 2;
    ck.meta.cfg.lr_schedule = 2;
    ck.meta.cfg.augment = (cnn_augment){1, 0, 0, 0};
    save_ok(path, &ck);
    b = read_file(path, &len);
    expect_format_3_layout(b, len, &ck, "adam", "linear", "shift:1");
    free(b);
    checkpoint_free(&ck);
}

/* The sections of a format 2 file (b, len), read here from their documented
 * layout, are what checkpoint_load gave (got): the network, the schedule,
 * the progress with its seed, the data, the values, bn's settings in the
 * state section, the options (their defaults when the file has none). */
static void expect_format_2_values(const unsigned char *b, size_t len, const checkpoint *got)
{
    const checkpoint_meta *m = &got->meta;
    const run_config *c = &m->cfg;
    cr_assert_eq(cb_le32(b + 8), 2u);
    cr_assert_eq(m->version, 2);
    cr_assert_eq(m->data_unknown, 0);
    size_t sl, at = cb_section_at(b, len, CB_NETWORK, &sl);
    uint32_t spec_len = cb_le32(b + at);
    cr_assert_eq(strlen(m->spec), spec_len);
    cr_assert_eq(memcmp(m->spec, b + at + 4, spec_len), 0, "spec %s", m->spec);
    const unsigned char *q = b + at + 4 + spec_len;
    cr_assert_eq((uint32_t)m->in_c, cb_le32(q));
    cr_assert_eq((uint32_t)m->in_h, cb_le32(q + 4));
    cr_assert_eq((uint32_t)m->in_w, cb_le32(q + 8));
    cr_assert_eq((uint32_t)m->classes, cb_le32(q + 12));
    cr_assert_eq(cb_float_bits(m->norm.scale[0]), cb_le32(q + 16));
    cr_assert_eq(cb_float_bits(m->norm.shift[0]), cb_le32(q + 20));
    q = b + cb_section_at(b, len, CB_SCHEDULE, &sl);
    cr_assert_eq(sl, 28u);
    cr_assert_eq(cb_float_bits(c->lr), cb_le32(q));
    cr_assert_eq(cb_float_bits(c->lr_gamma), cb_le32(q + 4));
    cr_assert_eq(cb_float_bits(c->momentum), cb_le32(q + 8));
    cr_assert_eq(cb_float_bits(c->weight_decay), cb_le32(q + 12));
    cr_assert_eq((uint32_t)c->lr_step, cb_le32(q + 16));
    cr_assert_eq((uint32_t)c->batch, cb_le32(q + 20));
    cr_assert_eq((uint32_t)c->epochs, cb_le32(q + 24));
    q = b + cb_section_at(b, len, CB_PROGRESS, &sl);
    cr_assert_eq(sl, 28u);
    cr_assert_eq((uint32_t)m->epochs_done, cb_le32(q));
    cr_assert_eq(m->steps_done, cb_le64(q + 4));
    cr_assert_eq(c->seed, cb_le64(q + 12), "the seed: %llu", (unsigned long long)c->seed);
    cr_assert_eq(m->rng_state, cb_le64(q + 20));
    q = b + cb_section_at(b, len, CB_DATA, &sl);
    cr_assert_eq((uint32_t)m->train_count, cb_le32(q));
    cr_assert_eq((uint32_t)m->train_limit, cb_le32(q + 4));
    cr_assert_eq(m->labels_crc, cb_le32(q + 8));
    q = b + cb_section_at(b, len, CB_PARAMS, &sl);
    cr_assert_eq((uint64_t)got->n, cb_le64(q));
    for (long i = 0; i < got->n; i++)
        cr_assert_eq(cb_float_bits(got->params[i]), cb_le32(q + 8 + 4 * i), "param %ld", i);
    q = b + cb_section_at(b, len, CB_MOMENTUM, &sl);
    cr_assert_eq((uint64_t)got->n, cb_le64(q));
    for (long i = 0; i < got->n; i++)
        cr_assert_eq(cb_float_bits(got->momentum[i]), cb_le32(q + 8 + 4 * i), "momentum %ld", i);

    cb_section s[16];
    int ns = cb_sections(b, len, s, 16), has[11] = {0};
    for (int i = 0; i < ns; i++)
        if (s[i].tag <= 10) has[s[i].tag] = 1;
    run_config d;
    run_config_defaults(&d);
    if (has[CB_STATE]) {
        q = b + cb_section_at(b, len, CB_STATE, &sl);
        cr_assert_eq(cb_float_bits(c->bn_eps), cb_le32(q), "bn's eps %g", c->bn_eps);
        cr_assert_eq(cb_float_bits(c->bn_momentum), cb_le32(q + 4));
        cr_assert_eq((uint64_t)got->state_count, cb_le64(q + 8));
        for (long i = 0; i < got->state_count; i++)
            cr_assert_eq(cb_float_bits(got->state[i]), cb_le32(q + 16 + 4 * i),
                         "running statistic %ld", i);
    } else {
        cr_assert_eq(got->state_count, 0);
        cr_assert_null(got->state);
        cr_assert(setting_same(SETTING(bn_eps), c, &d) && setting_same(SETTING(bn_momentum), c, &d),
                  "bn's settings without a state section are not the defaults");
    }
    if (has[CB_OPTIONS]) {
        q = b + cb_section_at(b, len, CB_OPTIONS, &sl);
        cr_assert_eq(sl, 44u);
        cr_assert_eq((uint32_t)c->optimizer, cb_le32(q));
        cr_assert_eq(cb_float_bits(c->beta1), cb_le32(q + 4));
        cr_assert_eq(cb_float_bits(c->beta2), cb_le32(q + 8));
        cr_assert_eq(cb_float_bits(c->eps), cb_le32(q + 12));
        cr_assert_eq((uint32_t)c->decay_bias, cb_le32(q + 16));
        cr_assert_eq((uint32_t)c->lr_schedule, cb_le32(q + 20));
        cr_assert_eq(cb_float_bits(c->warmup), cb_le32(q + 24));
        cr_assert_eq((uint32_t)c->augment.shift, cb_le32(q + 28));
        cr_assert_eq(cb_float_bits(c->augment.rot_deg), cb_le32(q + 32));
        cr_assert_eq(cb_float_bits(c->augment.scale), cb_le32(q + 36));
        cr_assert_eq((uint32_t)c->val_count, cb_le32(q + 40));
    } else {
        static const char *const options[] = {"optimizer", "beta1", "beta2", "eps",
                                              "decay-bias", "lr-schedule", "warmup", "augment",
                                              "val"};
        for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
            cr_assert(setting_same(setting_find(options[i]), c, &d),
                      "--%s without an options section is not its default", options[i]);
    }
    if (has[CB_MOMENT2]) {
        q = b + cb_section_at(b, len, CB_MOMENT2, &sl);
        cr_assert_not_null(got->moment2);
        cr_assert_eq((uint64_t)got->n, cb_le64(q));
        for (long i = 0; i < got->n; i++)
            cr_assert_eq(cb_float_bits(got->moment2[i]), cb_le32(q + 8 + 4 * i),
                         "second moment %ld", i);
    } else {
        cr_assert_null(got->moment2);
    }
}

/* The format 2 files of the last release that wrote it still load, holding
 * the values their sections hold (tests/fixtures/ckpt-v2/README.md says
 * what made them). */
Test(checkpoint, format_2_fixtures_load_as_their_sections_say)
{
    static const char *const names[] = {"seed-cnn-epoch1.ckpt", "seed-cnn-resumed.ckpt",
                                        "bn-adam-step15.ckpt", "bn-adam-resumed.ckpt"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *path = cb_fixture(names[i]);
        size_t len;
        unsigned char *b = read_file(path, &len);
        checkpoint got;
        load_into(path, &got, names[i]);
        expect_format_2_values(b, len, &got);
        checkpoint_free(&got);
        free(b);
    }
    /* what the README says of them, read through the library */
    checkpoint got;
    load_into(cb_fixture("bn-adam-step15.ckpt"), &got, "bn-adam-step15");
    const run_config *c = &got.meta.cfg;
    char aug[64];
    setting_format(SETTING(augment), c, aug, sizeof aug);
    cr_assert_str_eq(setting_choice(SETTING(optimizer), c), "adam");
    cr_assert_str_eq(setting_choice(SETTING(lr_schedule), c), "cosine");
    cr_assert_str_eq(aug, "shift:1");
    cr_assert_eq(c->val_count, 100);
    cr_assert_eq(c->decay_bias, 0);
    cr_assert_eq(c->warmup, 0.5f);
    cr_assert_eq(c->bn_momentum, 0.2f);
    cr_assert_eq(c->bn_eps, 1e-4f);
    cr_assert_eq(c->beta2, 0.99f);
    cr_assert_eq(c->seed, 5u);
    cr_assert_eq(got.meta.steps_done, 15u, "stopped at step 15");
    cr_assert_eq(got.meta.epochs_done, 1);
    cr_assert_eq(got.state_count, 4, "conv2k3,bn: 2 means and 2 variances");
    checkpoint_free(&got);
    load_into(cb_fixture("seed-cnn-epoch1.ckpt"), &got, "seed-cnn-epoch1");
    cr_assert_eq(got.meta.cfg.seed, 3u);
    cr_assert_eq(got.meta.epochs_done, 1);
    cr_assert_str_eq(setting_choice(SETTING(optimizer), &got.meta.cfg), "sgd");
    checkpoint_free(&got);
}

/* A format 2 file built here as 63f546c's writer built it loads as the
 * checkpoint it was made from: with and without state, options and second
 * moments, and with an options section of the defaults. */
Test(checkpoint, format_2_written_by_hand_loads_the_same, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "v2");
    const long n = 77;
    for (int variant = 0; variant < 4; variant++) {
        checkpoint ck = {.meta = variant ? rich_meta() : sample_meta(), .n = n};
        ck.params = awkward_floats(n, 41);
        ck.momentum = awkward_floats(n, 42);
        if (variant >= 2) {
            ck.state_count = 10;
            ck.state = awkward_floats(ck.state_count, 43);
        }
        if (variant == 3) {
            ck.meta.cfg.optimizer = 2; /* adam */
            ck.moment2 = awkward_floats_signed(n, 44, 1);
        }
        size_t len;
        unsigned char *b = cb_v2_bytes(&ck, variant == 1, &len);
        write_file(path, b, len);
        checkpoint got;
        load_into(path, &got, "a format 2 file");
        checkpoint_meta want = ck.meta;
        if (!ck.state_count) { /* format 2 keeps bn's settings in the state section only */
            run_config d;
            run_config_defaults(&d);
            want.cfg.bn_eps = d.bn_eps;
            want.cfg.bn_momentum = d.bn_momentum;
        }
        expect_meta_equal(&got.meta, &want);
        expect_values_equal(&got, &ck);
        expect_format_2_values(b, len, &got);
        checkpoint_free(&got);
        /* a default sgd run's file has exactly the six sections */
        if (variant == 0) cr_assert_eq(cb_le32(b + 12), 6u);
        free(b);
        checkpoint_free(&ck);
    }
}

/* ---- 2. atomic saves ---- */

Test(checkpoint, save_leaves_no_tmp, .fini = remove_temp_dir)
{
    char dir[256], path[512], tmp[520];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "model.ck");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    checkpoint_meta m = sample_meta();
    save_sample(path, &m, 100);
    cr_assert(exists(path), "no checkpoint at %s", path);
    cr_assert_not(exists(tmp), "%s was left behind", tmp);
    m.epochs_done = 18;
    m.steps_done = 18 * 1200;
    save_sample(path, &m, 100); /* over an existing one */
    cr_assert_not(exists(tmp), "%s was left behind by the second save", tmp);
    expect_no_tmp_in(dir);
    checkpoint got;
    load_into(path, &got, "after two saves");
    cr_assert_eq(got.meta.epochs_done, 18, "the second save did not replace the first");
    checkpoint_free(&got);
}

/* checkpoint_save_new: only where no file is. */
Test(checkpoint, save_new_refuses_an_existing_file, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    checkpoint ck = {.meta = sample_meta(), .n = 8};
    ck.params = awkward_floats(8, 1);
    ck.momentum = awkward_floats(8, 2);
    char err[ERRLEN] = "";
    cr_assert_eq(checkpoint_save_new(path, &ck, err, sizeof err), 0, "%s", err);
    size_t len0, len1;
    unsigned char *before = read_file(path, &len0);
    ck.meta.epochs_done = 18;
    ck.meta.steps_done = 18 * 1200;
    errno = 0;
    cr_assert_eq(checkpoint_save_new(path, &ck, err, sizeof err), -1, "saved over a file");
    cr_assert_eq(errno, EEXIST, "errno %d", errno);
    cr_assert_not_null(strstr(err, path), "%s", err);
    unsigned char *after = read_file(path, &len1);
    cr_assert(len0 == len1 && !memcmp(before, after, len0), "the refused save changed the file");
    expect_no_tmp_in(dir);
    free(before);
    free(after);
    checkpoint_free(&ck);
}

static void expect_save_fails(const char *path, const char *why)
{
    checkpoint ck = {.meta = sample_meta(), .n = 64};
    ck.params = ck.momentum = awkward_floats(64, 3);
    char err[ERRLEN];
    memset(err, 0, sizeof err);
    int rc = checkpoint_save(path, &ck, err, sizeof err);
    free(ck.params);
    cr_assert_eq(rc, -1, "%s: checkpoint_save returned %d", why, rc);
    cr_assert_gt(strlen(err), 0, "%s: no message", why);
    cr_assert_null(strchr(err, '\n'), "%s: the message is not one line: %s", why, err);
    cr_assert_not_null(strstr(err, path), "%s: the message does not name %s: %s", why, path, err);
}

Test(checkpoint, save_into_missing_folder_fails, .fini = remove_temp_dir)
{
    char dir[256], sub[512], path[600];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(sub, sizeof sub, "no-such-folder");
    snprintf(path, sizeof path, "%s/ck", sub);
    expect_save_fails(path, "a save into a missing folder");
    cr_assert_not(exists(sub), "the save created %s", sub);
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    struct dirent *e;
    while ((e = readdir(d)))
        cr_assert(!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."),
                  "the failed save left %s/%s", dir, e->d_name);
    closedir(d);
}

Test(checkpoint, save_onto_a_folder_fails, .fini = remove_temp_dir)
{
    char dir[256], path[512], inner[600], tmp[520];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "a-folder");
    cr_assert_eq(mkdir(path, 0777), 0);
    snprintf(inner, sizeof inner, "%s/keep", path);
    write_file(inner, "keep", 4);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    expect_save_fails(path, "a save onto an existing folder");
    cr_assert(is_dir(path), "the folder %s is gone", path);
    cr_assert(exists(inner), "the folder's content %s is gone", inner);
    cr_assert_not(exists(tmp), "the failed save left %s", tmp);
}

Test(checkpoint, failed_save_keeps_old_file, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    checkpoint_meta m = sample_meta();
    save_sample(path, &m, 300);
    size_t len0;
    unsigned char *before = read_file(path, &len0);
    /* a file size limit below the checkpoint's size: the write fails (EFBIG,
     * with SIGXFSZ ignored as cnn ignores it) after part of it is written */
    struct rlimit lim, old;
    signal(SIGXFSZ, SIG_IGN);
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 512;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    expect_save_fails(path, "a save over the file size limit");
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    size_t len1;
    unsigned char *after = read_file(path, &len1);
    cr_assert(len0 == len1 && memcmp(before, after, len0) == 0,
              "a failed save changed the old checkpoint (%zu -> %zu bytes)", len0, len1);
    DIR *folder = opendir(dir);
    cr_assert_not_null(folder);
    for (struct dirent *e; (e = readdir(folder));)
        cr_assert(!strstr(e->d_name, ".tmp"), "a temporary was left behind: %s", e->d_name);
    closedir(folder);
    checkpoint got;
    load_into(path, &got, "the old checkpoint after a failed save");
    cr_assert_eq(got.n, 300);
    checkpoint_free(&got);
    free(before);
    free(after);
}

/* A read-only folder: the old checkpoint is intact, nothing is left. */
Test(checkpoint, save_in_read_only_folder_keeps_old_file, .fini = remove_temp_dir)
{
    if (geteuid() == 0) cr_skip_test("running as root: permissions are not enforced");
    char dir[256], sub[512], path[600];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(sub, sizeof sub, "ro");
    cr_assert_eq(mkdir(sub, 0777), 0);
    snprintf(path, sizeof path, "%s/ck", sub);
    checkpoint_meta m = sample_meta();
    save_sample(path, &m, 50);
    size_t len0, len1;
    unsigned char *before = read_file(path, &len0);
    cr_assert_eq(chmod(sub, 0555), 0);
    expect_save_fails(path, "a save in a read-only folder");
    cr_assert_eq(chmod(sub, 0777), 0);
    unsigned char *after = read_file(path, &len1);
    cr_assert(len0 == len1 && memcmp(before, after, len0) == 0,
              "a failed save changed the old checkpoint");
    expect_no_tmp_in(sub);
    free(before);
    free(after);
}

/* ---- 3. refusals ---- */

/* A valid checkpoint of n parameters at path; its bytes in *len. */
static unsigned char *valid_file(const char *path, long n, size_t *len)
{
    checkpoint_meta m = sample_meta();
    save_sample(path, &m, n);
    return read_file(path, len);
}

/* The same checkpoint as format 2 (built here, as the last release wrote
 * it), with its options section when with_options; not written anywhere. */
static unsigned char *valid_v2(long n, int with_options, size_t *len)
{
    checkpoint ck = {.meta = sample_meta(), .n = n};
    ck.params = awkward_floats(n, 11);
    ck.momentum = awkward_floats(n, 12);
    unsigned char *b = cb_v2_bytes(&ck, with_options, len);
    checkpoint_free(&ck);
    return b;
}

/* Both formats' files of one test: the freshly written format 3 one, and
 * format 2's. */
typedef struct { const char *name; unsigned char *b; size_t len; } format_file;

static void both_formats(const char *path, long n, format_file out[2])
{
    out[0] = (format_file){"format 3", NULL, 0};
    out[0].b = valid_file(path, n, &out[0].len);
    out[1] = (format_file){"format 2", NULL, 0};
    out[1].b = valid_v2(n, 1, &out[1].len);
}

Test(checkpoint, refuses_bad_magic, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    format_file f[2];
    both_formats(path, 20, f);
    for (int k = 0; k < 2; k++) {
        unsigned char *b = f[k].b;
        b[0] = 'X';
        cb_fix_crc(b, f[k].len);
        expect_bytes_refused(path, b, f[k].len, W("not a cnn checkpoint"), f[k].name);
        free(b);
    }
    const char text[] = "kind,epoch,step,loss,acc,lr,seconds\ntrain,1,1,2.3,10,0.1,0.1\n";
    write_file(path, text, sizeof text - 1);
    expect_refusal(path, W("not a cnn checkpoint"), "a CSV file");
}

Test(checkpoint, refuses_newer_version, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    size_t len;
    unsigned char *b = valid_file(path, 20, &len);
    cr_assert_eq(cb_le32(b + 8), CHECKPOINT_VERSION);
    cr_assert_eq(CHECKPOINT_VERSION, 3);
    cb_set_le32(b + 8, CHECKPOINT_VERSION + 1);
    cb_fix_crc(b, len); /* only the version is wrong */
    expect_bytes_refused(path, b, len, W("newer", "update", "version 4",
                                         "this build reads versions 1 to 3"), "version + 1");
    cb_set_le32(b + 8, 0xFFFFFFFFu);
    cb_fix_crc(b, len);
    expect_bytes_refused(path, b, len, W("newer", "4294967295"), "version 2^32-1");
    /* an older (unknown) version: refused too, but not as "newer" */
    cb_set_le32(b + 8, 0);
    cb_fix_crc(b, len);
    expect_bytes_refused(path, b, len, W("version"), "version 0");
    checkpoint ck;
    char err[ERRLEN];
    cr_assert_neq(checkpoint_load(path, &ck, err, sizeof err), 0);
    cr_assert_null(strstr(err, "newer"), "version 0 is not newer: %s", err);
    free(b);
}

/* A format 3 file with format 2's version, or the reverse: each is read by
 * its version's rules and refused for the sections that are not its own. */
Test(checkpoint, refuses_the_other_formats_sections, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    format_file f[2];
    both_formats(path, 20, f);
    cb_set_le32(f[0].b + 8, 2);
    cb_fix_crc(f[0].b, f[0].len);
    expect_bytes_refused(path, f[0].b, f[0].len,
                         W("corrupt", "settings section does not belong in format 2"),
                         "format 3's sections under version 2");
    cb_set_le32(f[1].b + 8, 3);
    cb_fix_crc(f[1].b, f[1].len);
    expect_bytes_refused(path, f[1].b, f[1].len,
                         W("corrupt", "schedule section does not belong in format 3"),
                         "format 2's sections under version 3");
    free(f[0].b);
    free(f[1].b);

    /* format 3 with a schedule or options section beside its settings */
    size_t len, out_len;
    unsigned char *b = valid_file(path, 20, &len), *out;
    static const unsigned char schedule[28], options[44];
    out = cb_rearranged(b, len, 0, 0, CB_SCHEDULE, schedule, sizeof schedule, &out_len);
    expect_bytes_refused(path, out, out_len,
                         W("corrupt", "schedule section does not belong in format 3"),
                         "format 3 with a schedule section");
    free(out);
    out = cb_rearranged(b, len, 0, 0, CB_OPTIONS, options, sizeof options, &out_len);
    expect_bytes_refused(path, out, out_len,
                         W("corrupt", "options section does not belong in format 3"),
                         "format 3 with an options section");
    free(out);
    free(b);
    /* format 2 with a settings section beside its schedule */
    b = valid_v2(20, 0, &len);
    unsigned char settings[4] = {0};
    out = cb_rearranged(b, len, 0, 0, CB_SETTINGS, settings, sizeof settings, &out_len);
    expect_bytes_refused(path, out, out_len,
                         W("corrupt", "settings section does not belong in format 2"),
                         "format 2 with a settings section");
    free(out);
    free(b);
}

Test(checkpoint, refuses_crc_mismatch, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    format_file f[2];
    both_formats(path, 500, f);
    for (int k = 0; k < 2; k++) {
        unsigned char *b = f[k].b;
        size_t len = f[k].len, params_at = cb_section_at(b, len, CB_PARAMS, NULL) + 8;
        char why[128];
        b[params_at + 123 * 4 + 1] ^= 0x01; /* one bit of one parameter */
        snprintf(why, sizeof why, "%s: a flipped bit in a parameter", f[k].name);
        expect_bytes_refused(path, b, len, W("CRC"), why);
        b[params_at + 123 * 4 + 1] ^= 0x01;
        b[len - 1] ^= 0x80; /* the CRC itself */
        snprintf(why, sizeof why, "%s: a flipped bit in the CRC", f[k].name);
        expect_bytes_refused(path, b, len, W("CRC"), why);
        free(b);
    }
}

/* Every single corrupted byte anywhere in the file is caught. */
Test(checkpoint, refuses_every_corrupted_byte, .fini = remove_temp_dir)
{
    char dir[256], path[512], bad[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    temp_path(bad, sizeof bad, "bad");
    format_file f[2];
    both_formats(path, 12, f);
    for (int k = 0; k < 2; k++) {
        unsigned char *b = f[k].b;
        for (size_t i = 0; i < f[k].len; i++) {
            char why[64];
            snprintf(why, sizeof why, "%s: byte %zu of %zu flipped", f[k].name, i, f[k].len);
            b[i] ^= 0x5A;
            expect_bytes_refused(bad, b, f[k].len, W(""), why);
            b[i] ^= 0x5A;
        }
        free(b);
    }
}

Test(checkpoint, refuses_truncation_at_every_length, .fini = remove_temp_dir)
{
    char dir[256], path[512], cut[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    temp_path(cut, sizeof cut, "cut");
    format_file f[2];
    both_formats(path, 64, f);
    for (int k = 0; k < 2; k++) {
        unsigned char *b = f[k].b;
        size_t len = f[k].len;
        /* the named lengths first, with the words their messages need */
        expect_bytes_refused(cut, b, 0, W("not a cnn checkpoint"), "0 bytes");
        expect_bytes_refused(cut, b, 5, W("not a cnn checkpoint"), "5 bytes");
        expect_bytes_refused(cut, b, len / 2, W("cut short"), "half the file");
        expect_bytes_refused(cut, b, len - 1, W("cut short"), "all but one byte");
        for (size_t n = 0; n < len; n++) {
            char why[64];
            snprintf(why, sizeof why, "%s: the first %zu of %zu bytes", f[k].name, n, len);
            expect_bytes_refused(cut, b, n, W(""), why);
        }
        /* and one byte too many */
        unsigned char *longer = malloc(len + 1);
        memcpy(longer, b, len);
        longer[len] = 0;
        expect_bytes_refused(cut, longer, len + 1, W(""), "a byte appended");
        free(longer);
        free(b);
    }
}

/* Fields that pass the CRC but do not make sense are refused, not trusted. */
Test(checkpoint, refuses_inconsistent_sizes, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    format_file f[2];
    both_formats(path, 16, f);
    for (int k = 0; k < 2; k++) {
        unsigned char *orig = f[k].b;
        size_t len = f[k].len;
        unsigned char *b = malloc(len);
        size_t count_at = cb_section_at(orig, len, CB_PARAMS, NULL);
        size_t spec_len_at = cb_section_at(orig, len, CB_NETWORK, NULL);
        cr_assert_eq(cb_le64(orig + count_at), 16u);
        static const uint64_t counts[] = {15, 17, 0, 1ull << 61, 1ull << 62, UINT64_MAX,
                                          (UINT64_MAX / 8) + 3};
        for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
            char why[64];
            snprintf(why, sizeof why, "%s: parameter count %llu", f[k].name,
                     (unsigned long long)counts[i]);
            memcpy(b, orig, len);
            cb_set_le64(b + count_at, counts[i]);
            cb_fix_crc(b, len);
            expect_bytes_refused(path, b, len, W(""), why);
        }
        static const uint32_t spec_lens[] = {NET_SPEC_MAX, 100000, UINT32_MAX, 0xFFFFFFFCu};
        for (size_t i = 0; i < sizeof spec_lens / sizeof spec_lens[0]; i++) {
            char why[64];
            snprintf(why, sizeof why, "%s: spec length %u", f[k].name, spec_lens[i]);
            memcpy(b, orig, len);
            cb_set_le32(b + spec_len_at, spec_lens[i]);
            cb_fix_crc(b, len);
            expect_bytes_refused(path, b, len, W(""), why);
        }
        free(b);
        free(orig);
    }
}

Test(checkpoint, refuses_folder_and_missing_file, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    expect_refusal(dir, W(""), "a folder");
    temp_path(path, sizeof path, "does-not-exist");
    expect_refusal(path, W("No such file"), "a missing file");
}

/* ---- 3b. format 1 files, the sections, values and settings ---- */

/* A format 1 file, byte for byte as docs/checkpoint-format.md documents it
 * (the writer of earlier builds), with a correct CRC. */
static void write_v1(const char *path, const checkpoint *ck)
{
    size_t len;
    unsigned char *bytes = cb_v1_bytes(ck, &len);
    write_and_free(path, bytes, len);
}

Test(checkpoint, version_1_file_loads_without_data, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "v1");
    const long n = 300;
    checkpoint ck = {.meta = sample_meta(), .n = n};
    ck.params = awkward_floats(n, 21);
    ck.momentum = awkward_floats(n, 22);
    write_v1(path, &ck);

    checkpoint got;
    load_into(path, &got, "format 1");
    cr_assert_eq(got.meta.version, 1);
    cr_assert_eq(got.meta.data_unknown, 1, "a format 1 file records no data");
    cr_assert_eq(got.meta.train_count, 0);
    checkpoint_meta m = ck.meta;
    m.train_count = 0;
    m.labels_crc = 0;
    expect_meta_equal(&got.meta, &m);
    expect_values_equal(&got, &ck);
    /* a format 1 file matches any data: it has none to compare */
    checkpoint_meta now = sample_meta();
    char why[512] = "";
    cr_assert_eq(checkpoint_same_data(&got.meta, &now, why, sizeof why), 1, "%s", why);
    checkpoint_free(&got);

    /* and is checked like the other formats: CRC, size, values */
    size_t len;
    unsigned char *b = read_file(path, &len);
    b[len / 2] ^= 0x04;
    expect_bytes_refused(path, b, len, W("corrupt", "CRC"), "format 1, a flipped bit");
    b[len / 2] ^= 0x04;
    expect_bytes_refused(path, b, len - 9, W("cut short"), "format 1 cut short");
    /* the version damaged, the CRC not fixed: damage, not "newer" */
    b[8] = 3;
    expect_bytes_refused(path, b, len, W("corrupt"), "format 1 with version 3 and a bad CRC");
    b[8] = 4;
    expect_bytes_refused(path, b, len, W("corrupt"), "format 1 with version 4 and a bad CRC");
    free(b);
    ck.params[7] = cb_bits_float(0x7FC00000u);
    write_v1(path, &ck);
    expect_refusal(path, W("not finite", "parameter 7", "NaN"), "format 1 with a NaN");
    checkpoint_free(&ck);
}

/* A flipped version byte under a CRC that no longer matches is damage: never
 * "written by a newer cnn". */
Test(checkpoint, damaged_version_is_corrupt_not_newer, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    format_file f[2];
    both_formats(path, 20, f);
    static const uint32_t versions[] = {4, 3, 2, 0, 1, 0x03000003u, 0x02000002u, 0xFFFFFFFFu};
    for (int k = 0; k < 2; k++) {
        unsigned char *b = f[k].b;
        uint32_t own = cb_le32(b + 8);
        for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
            if (versions[i] == own) continue; /* (that is no damage) */
            char why[64], err[ERRLEN];
            snprintf(why, sizeof why, "%s: version %u, CRC not fixed", f[k].name, versions[i]);
            cb_set_le32(b + 8, versions[i]);
            expect_bytes_refused(path, b, f[k].len, W("corrupt"), why);
            checkpoint ck;
            cr_assert_neq(checkpoint_load(path, &ck, err, sizeof err), 0);
            cr_assert_null(strstr(err, "newer"), "%s: called newer: %s", why, err);
        }
        free(b);
    }
}

/* fc8,relu,fc10,softmax on 1x28x28: 6272 + 8 weights and biases in layer 1,
 * 80 + 10 in layer 3. */
#define SMALL_NET "fc8,relu,fc10,softmax"
#define SMALL_NET_PARAMS (784L * 8 + 8 + 80 + 10)

/* The small net, in format 3 at path (v2: in format 2, with adam's second
 * moments and bn-like running statistics in both). */
static void save_small_net(const char *path, int v2)
{
    checkpoint ck = {.meta = sample_meta(), .n = SMALL_NET_PARAMS, .state_count = 4};
    snprintf(ck.meta.spec, sizeof ck.meta.spec, "%s", SMALL_NET);
    ck.meta.in_w = 28;
    ck.meta.cfg.optimizer = 2; /* adam */
    float *p = calloc(SMALL_NET_PARAMS, sizeof(float));
    float st[4] = {0.5f, -0.25f, 1.0f, 2.0f};
    cr_assert_not_null(p);
    for (long i = 0; i < SMALL_NET_PARAMS; i++) p[i] = (float)(i % 13) * 0.01f;
    ck.params = ck.momentum = ck.moment2 = p;
    ck.state = st;
    if (v2) {
        size_t len;
        unsigned char *bytes = cb_v2_bytes(&ck, 0, &len);
        write_and_free(path, bytes, len);
    } else {
        save_ok(path, &ck);
    }
    free(p);
}

/* Sets float i of the params (tag 5), momentum (tag 6), state (7) or
 * moment2 (9) section to bits, fixing the CRC: only the value is wrong. A
 * format 2 state section holds bn's two settings before its count. */
static void set_value(const char *path, uint32_t tag, long i, uint32_t bits)
{
    size_t len;
    unsigned char *b = read_file(path, &len);
    size_t at = cb_section_at(b, len, tag, NULL) + 8;
    if (tag == CB_STATE && cb_le32(b + 8) == 2) at += 8;
    cb_set_le32(b + at + 4 * (size_t)i, bits);
    cb_fix_crc(b, len);
    write_and_free(path, b, len);
}

Test(checkpoint, refuses_values_not_finite_naming_the_layer, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    for (int v2 = 0; v2 < 2; v2++) {
        save_small_net(path, v2);
        set_value(path, 5, 784 * 8 + 8 + 5, 0x7FC00000u); /* layer 3's weight 5 */
        expect_refusal(path, W("not finite", "weight 5 of layer 3 (fc10)", "NaN"),
                       "a NaN weight under a good CRC");
        save_small_net(path, v2);
        set_value(path, 6, 784 * 8 + 2, 0x7F800000u); /* layer 1's bias 2 */
        expect_refusal(path, W("not finite", "the momentum of bias 2 of layer 1 (fc8)", "+inf"),
                       "an infinite momentum value under a good CRC");
        save_small_net(path, v2);
        set_value(path, 5, SMALL_NET_PARAMS - 1, 0xFF800000u); /* the last bias */
        expect_refusal(path, W("bias 9 of layer 3 (fc10)", "-inf"), "-inf in the last bias");
        save_small_net(path, v2);
        set_value(path, 9, 3, 0xBF800000u);
        expect_refusal(path, W("impossible values", "second moment of weight 3 of layer 1 (fc8)",
                               "negative"), "a negative second moment");
        save_small_net(path, v2);
        set_value(path, 9, 4, 0x7FC00000u);
        expect_refusal(path, W("not finite", "second moment of weight 4 of layer 1", "NaN"),
                       "a NaN second moment");
        save_small_net(path, v2);
        set_value(path, 7, 2, 0x7F800000u);
        expect_refusal(path, W("not finite", "running statistic 2 (bn) is infinite"),
                       "an infinite running statistic");
    }

    /* a spec that does not describe the values: named by index */
    checkpoint_meta m = sample_meta();
    save_sample(path, &m, 20);
    set_value(path, 5, 7, 0xFFC00001u);
    expect_refusal(path, W("not finite", "parameter 7 (of 20)", "NaN"), "a NaN, no layers");

    /* and the writer refuses to write them */
    checkpoint ck = {.meta = m, .n = 20};
    ck.params = ck.momentum = awkward_floats(20, 9);
    ck.params[3] = cb_bits_float(0x7F800000u);
    char err[ERRLEN] = "";
    cr_assert_eq(checkpoint_save(path, &ck, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "not finite"), "%s", err);
    free(ck.params);
}

/* A field of a section set to a value of `width` bytes (4 or 8), by the
 * offset of its section's data. */
typedef struct {
    const char *name;
    uint32_t tag;
    size_t at;
    int width;
    uint64_t value;
    const char *word;
} field_case;

/* Each case on a copy of orig (len bytes), the CRC fixed: refused as
 * impossible settings with its word. */
static void expect_fields_refused(const char *path, const unsigned char *orig, size_t len,
                                  const field_case *cases, size_t n, const char *format)
{
    unsigned char *b = malloc(len);
    cr_assert_not_null(b);
    for (size_t i = 0; i < n; i++) {
        memcpy(b, orig, len);
        size_t at = cb_section_at(b, len, cases[i].tag, NULL) + cases[i].at;
        if (cases[i].tag == CB_NETWORK) at += 4 + cb_le32(b + at - cases[i].at); /* past the spec */
        if (cases[i].width == 8) cb_set_le64(b + at, cases[i].value);
        else cb_set_le32(b + at, (uint32_t)cases[i].value);
        cb_fix_crc(b, len);
        char why[160];
        snprintf(why, sizeof why, "%s: %s", format, cases[i].name);
        expect_bytes_refused(path, b, len, W("impossible settings", cases[i].word), why);
    }
    free(b);
}

/* The fields every format 2 and 3 file holds in the same place: progress
 * (format 3's; format 2's seed is fixed by format_2_field_cases), data and
 * the network's input shape (at its offset past the spec). */
static const field_case SHARED_CASES[] = {
    {"steps done 2^63", CB_PROGRESS, 4, 8, 1ull << 63, "steps"},
    {"steps done before the epochs done", CB_PROGRESS, 4, 8, 5, "steps"},
    {"steps done past the epoch", CB_PROGRESS, 4, 8, 18 * 1200, "steps"},
    {"epochs done 2^31", CB_PROGRESS, 0, 4, 0x80000000u, "epoch"},
    {"epochs done past the epochs", CB_PROGRESS, 0, 4, 31, "the epoch counts"},
    {"training set of 0", CB_DATA, 0, 4, 0, "training set"},
    {"training set of 2^31", CB_DATA, 0, 4, 0x80000000u, "training set"},
    {"--train-limit 2^31", CB_DATA, 4, 4, 0x80000000u, "train-limit"},
    {"input 5000 pixels high", CB_NETWORK, 4, 4, 5000, "input shape"},
    {"input height 2^32-1", CB_NETWORK, 4, 4, 0xFFFFFFFFu, "input shape"},
    {"input 65 channels", CB_NETWORK, 0, 4, 65, "input shape"},
    {"257 classes", CB_NETWORK, 12, 4, 257, "class count"},
    {"an input scale of NaN", CB_NETWORK, 16, 4, 0x7FC00000u, "input scaling"},
};

/* A settings entry set to a value: refused as impossible settings naming
 * its flag (the flag's own message). */
typedef struct { const char *name; cb_entry entry; const char *word; } setting_case;

/* Settings under a good CRC that would overflow an int or make no sense:
 * format 3's settings entries, and the other sections' fields. */
Test(checkpoint, refuses_settings_out_of_range, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    size_t len, out_len;
    unsigned char *orig = valid_file(path, 16, &len);
    const setting_case cases[] = {
        {"batch 2^31-1", cb_int32("batch", 0x7FFFFFFFu), "--batch"},
        {"batch 2^31", cb_int32("batch", 0x80000000u), "--batch"},
        {"batch 2^32-1", cb_int32("batch", 0xFFFFFFFFu), "--batch"},
        {"batch one above the limit", cb_int32("batch", COUNT_LIMIT + 1u),
         "--batch: expected a whole number from 1 to 16777216, got \"16777217\""},
        {"batch 0", cb_int32("batch", 0), "--batch: expected a whole number from 1 to 16777216, "
                                          "got \"0\""},
        {"epochs 2^32-1", cb_int32("epochs", 0xFFFFFFFFu), "--epochs"},
        {"epochs above the limit", cb_int32("epochs", COUNT_LIMIT + 1u), "--epochs"},
        {"epochs 0", cb_int32("epochs", 0), "--epochs"},
        {"epochs below the epochs done", cb_int32("epochs", 16), "the epoch counts"},
        {"lr step 2^31", cb_int32("lr-step", 0x80000000u), "--lr-step"},
        {"lr step above the limit", cb_int32("lr-step", COUNT_LIMIT + 1u), "--lr-step"},
        {"lr 0", cb_float32("lr", 0), "--lr"},
        {"lr a denormal", cb_float32("lr", cb_bits_float(1)), "--lr"},
        {"lr NaN", cb_float32("lr", NAN), "--lr"},
        {"lr +inf", cb_float32("lr", INFINITY), "--lr"},
        {"lr -1", cb_float32("lr", -1), "--lr"},
        {"lr gamma 0", cb_float32("lr-gamma", 0), "--lr-gamma"},
        {"momentum -0.5", cb_float32("momentum", -0.5f), "--momentum"},
        {"weight decay NaN", cb_float32("weight-decay", NAN), "--weight-decay"},
        {"bn's momentum 1.5", cb_float32("bn-momentum", 1.5f), "--bn-momentum"},
        {"bn's epsilon 0", cb_float32("bn-eps", 0), "--bn-eps: expected a number in (0, 1]: a positive number from"},
        {"bn's epsilon 2", cb_float32("bn-eps", 2), "--bn-eps"},
        {"an unknown optimizer", cb_text("optimizer", "adamax"),
         "--optimizer: expected sgd, nesterov, adam or adamw, got \"adamax\""},
        {"an optimizer's number", cb_text("optimizer", "2"), "--optimizer"},
        {"an empty optimizer", cb_text("optimizer", ""), "--optimizer"},
        {"an unknown lr schedule", cb_text("lr-schedule", "exponential"), "--lr-schedule"},
        {"warmup past the epochs", cb_float32("warmup", 31), "the warmup (not in [0, epochs])"},
        {"warmup -1", cb_float32("warmup", -1), "--warmup"},
        {"beta1 1", cb_float32("beta1", 1), "--beta1"},
        {"beta2 NaN", cb_float32("beta2", NAN), "--beta2"},
        {"eps 0", cb_float32("eps", 0), "--eps"},
        {"decay-bias 2", cb_int32("decay-bias", 2), "--decay-bias"},
        {"decay-bias 2^32-1", cb_int32("decay-bias", 0xFFFFFFFFu), "--decay-bias"},
        {"a shift past --augment's 8", cb_text("augment", "shift:9"), "--augment"},
        {"a rotation past --augment's 180", cb_text("augment", "affine:181,0"), "--augment"},
        {"a scale past --augment's 0.5", cb_text("augment", "affine:0,0.75"), "--augment"},
        {"an augment spec of no form", cb_text("augment", "rotate"), "--augment"},
        {"every sample held out", cb_int32("val", 60000), "the validation samples held out"},
        {"--val 2^31", cb_int32("val", 0x80000000u), "--val"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char *b = cb_with_setting(orig, len, cases[i].entry.name, cases[i].entry,
                                           &out_len);
        expect_bytes_refused(path, b, out_len, W("checkpoint holds impossible settings",
                                                 cases[i].word), cases[i].name);
        free(b);
    }
    expect_fields_refused(path, orig, len, SHARED_CASES,
                          sizeof SHARED_CASES / sizeof SHARED_CASES[0], "format 3");

    /* the writer refuses what the reader would */
    checkpoint ck = {.meta = sample_meta(), .n = 4};
    ck.meta.cfg.batch = (int)COUNT_LIMIT + 1;
    float v[4] = {0};
    ck.params = ck.momentum = v;
    char err[ERRLEN] = "";
    cr_assert_eq(checkpoint_save(path, &ck, err, sizeof err), -1, "saved batch 2^24+1");
    cr_assert_not_null(strstr(err, "--batch"), "%s", err);
    ck.meta.cfg.batch = 50;
    ck.meta.cfg.lr = cb_bits_float(1);
    cr_assert_eq(checkpoint_save(path, &ck, err, sizeof err), -1, "saved a denormal lr");
    cr_assert_not_null(strstr(err, "--lr"), "%s", err);
    ck.meta.cfg.lr = 0.1f;
    ck.meta.cfg.optimizer = 4;
    cr_assert_eq(checkpoint_save(path, &ck, err, sizeof err), -1, "saved optimizer 4");
    cr_assert_not_null(strstr(err, "--optimizer"), "%s", err);
    free(orig);
}

/* The same in a format 2 file: its schedule, progress (with the seed),
 * state and options sections' fields, at format 2's offsets. */
Test(checkpoint, refuses_settings_out_of_range_format_2, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    checkpoint ck = {.meta = sample_meta(), .n = 16, .state_count = 4};
    ck.params = awkward_floats(16, 11);
    ck.momentum = awkward_floats(16, 12);
    ck.state = awkward_floats(4, 13);
    size_t len;
    unsigned char *orig = cb_v2_bytes(&ck, 1, &len);
    write_file(path, orig, len);
    checkpoint got;
    load_into(path, &got, "the format 2 file before its changes");
    checkpoint_free(&got);
    static const field_case cases[] = {
        {"batch 2^31-1", CB_SCHEDULE, 20, 4, 0x7FFFFFFFu, "--batch"},
        {"batch 2^31", CB_SCHEDULE, 20, 4, 0x80000000u, "--batch"},
        {"batch 2^32-1", CB_SCHEDULE, 20, 4, 0xFFFFFFFFu, "--batch"},
        {"batch one above the limit", CB_SCHEDULE, 20, 4, COUNT_LIMIT + 1u, "--batch"},
        {"batch 0", CB_SCHEDULE, 20, 4, 0, "--batch"},
        {"epochs 2^32-1", CB_SCHEDULE, 24, 4, 0xFFFFFFFFu, "epoch"},
        {"epochs above the limit", CB_SCHEDULE, 24, 4, COUNT_LIMIT + 1u, "epoch"},
        {"lr step 2^31", CB_SCHEDULE, 16, 4, 0x80000000u, "--lr-step"},
        {"lr 0", CB_SCHEDULE, 0, 4, 0, "--lr"},
        {"lr NaN", CB_SCHEDULE, 0, 4, 0x7FC00000u, "--lr"},
        {"lr gamma -inf", CB_SCHEDULE, 4, 4, 0xFF800000u, "--lr-gamma"},
        {"momentum -1", CB_SCHEDULE, 8, 4, 0xBF800000u, "--momentum"},
        {"weight decay NaN", CB_SCHEDULE, 12, 4, 0x7FC00000u, "--weight-decay"},
        {"steps done 2^63", CB_PROGRESS, 4, 8, 1ull << 63, "steps"},
        {"steps done before the epochs done", CB_PROGRESS, 4, 8, 5, "steps"},
        {"steps done past the epoch", CB_PROGRESS, 4, 8, 18 * 1200, "steps"},
        {"epochs done 2^31", CB_PROGRESS, 0, 4, 0x80000000u, "epoch"},
        {"training set of 0", CB_DATA, 0, 4, 0, "training set"},
        {"training set of 2^31", CB_DATA, 0, 4, 0x80000000u, "training set"},
        {"--train-limit 2^31", CB_DATA, 4, 4, 0x80000000u, "train-limit"},
        {"input 5000 pixels high", CB_NETWORK, 4, 4, 5000, "input shape"},
        {"input height 2^32-1", CB_NETWORK, 4, 4, 0xFFFFFFFFu, "input shape"},
        {"bn's epsilon 0", CB_STATE, 0, 4, 0, "--bn-eps"},
        {"bn's epsilon NaN", CB_STATE, 0, 4, 0x7FC00000u, "--bn-eps"},
        {"bn's momentum 2", CB_STATE, 4, 4, 0x40000000u, "--bn-momentum"},
        {"optimizer 7", CB_OPTIONS, 0, 4, 7, "--optimizer"},
        {"optimizer 2^32-1", CB_OPTIONS, 0, 4, 0xFFFFFFFFu, "--optimizer"},
        {"beta1 1", CB_OPTIONS, 4, 4, 0x3F800000u, "--beta1"},
        {"beta2 -0.5", CB_OPTIONS, 8, 4, 0xBF000000u, "--beta2"},
        {"eps 0", CB_OPTIONS, 12, 4, 0, "--eps"},
        {"decay-bias 2", CB_OPTIONS, 16, 4, 2, "--decay-bias"},
        {"lr schedule 4", CB_OPTIONS, 20, 4, 4, "--lr-schedule"},
        {"warmup past the epochs", CB_OPTIONS, 24, 4, 0x42000000u, "warmup"},
        {"a shift past --augment's 8", CB_OPTIONS, 28, 4, 9, "--augment"},
        {"a rotation past --augment's 180", CB_OPTIONS, 32, 4, 0x43350000u, "--augment"},
        {"a NaN rotation", CB_OPTIONS, 32, 4, 0x7FC00000u, "--augment"},
        {"a scale past --augment's 0.5", CB_OPTIONS, 36, 4, 0x3F400000u, "--augment"},
        {"every sample held out", CB_OPTIONS, 40, 4, 60000, "the validation samples held out"},
        {"--val 2^31", CB_OPTIONS, 40, 4, 0x80000000u, "--val"},
    };
    expect_fields_refused(path, orig, len, cases, sizeof cases / sizeof cases[0], "format 2");
    free(orig);
    checkpoint_free(&ck);
}

/* Format 3's settings section: the entries a reader refuses (a name it does
 * not know, one twice, a wrong type, a bad text, a section that does not add
 * up), and those it takes (any order; a setting missing takes its
 * default). */
Test(checkpoint, settings_section_entries, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    checkpoint ck = {.meta = rich_meta(), .n = 16};
    ck.params = awkward_floats(16, 11);
    ck.momentum = awkward_floats(16, 12);
    save_ok(path, &ck);
    size_t len, out_len;
    unsigned char *orig = read_file(path, &len), *b;
    cb_entry e[64], changed[65];
    int n = cb_entries(orig, len, e, 64);
    cr_assert_eq(n, N_KEPT);

    /* any order: the entries reversed load the same */
    for (int i = 0; i < n; i++) changed[i] = e[n - 1 - i];
    b = cb_with_entries(orig, len, changed, n, (uint32_t)n, &out_len);
    write_and_free(path, b, out_len);
    checkpoint got;
    load_into(path, &got, "the settings reversed");
    expect_meta_equal(&got.meta, &ck.meta);
    checkpoint_free(&got);

    /* each one missing: it takes its default, the others keep theirs */
    run_config defaults;
    run_config_defaults(&defaults);
    for (int skip = 0; skip < n; skip++) {
        int m = 0;
        for (int i = 0; i < n; i++)
            if (i != skip) changed[m++] = e[i];
        b = cb_with_entries(orig, len, changed, m, (uint32_t)m, &out_len);
        write_and_free(path, b, out_len);
        char why[300];
        snprintf(why, sizeof why, "without --%.*s", (int)e[skip].name_len, e[skip].name);
        checkpoint_meta want = ck.meta;
        const setting_def *d = setting_find(e[skip].name);
        cr_assert_not_null(d);
        setting_copy(d, &want.cfg, &defaults);
        memset(&got, 0, sizeof got);
        load_into(path, &got, why);
        expect_meta_equal(&got.meta, &want);
        checkpoint_free(&got);
    }
    /* none at all: every default (sample_meta's steps fit them) */
    free(orig);
    ck.meta = sample_meta();
    save_ok(path, &ck);
    orig = read_file(path, &len);
    b = cb_with_entries(orig, len, NULL, 0, 0, &out_len);
    write_and_free(path, b, out_len);
    load_into(path, &got, "no settings");
    const setting_def *differs = settings_differ(&got.meta.cfg, &defaults, SET_KEPT);
    cr_assert_null(differs, "not the defaults: --%s", differs ? differs->flag : "");
    checkpoint_free(&got);
    n = cb_entries(orig, len, e, 64);

    static const struct { const char *name; const char *words[3]; } refused[] = {
        {"a newer cnn's setting of a type that is none", {"corrupt",
                                                          "\"learning-rate\" has value type 7"}},
        {"a setting that is not kept", {"corrupt", "--threads is not one a checkpoint keeps"}},
        {"a setting twice", {"corrupt", "--lr appears twice"}},
        {"an int where a float belongs", {"corrupt", "--lr has value type 1, not 2"}},
        {"a float where a text belongs", {"corrupt", "--optimizer has value type 2"}},
        {"a value type 9", {"corrupt", "--seed has value type 9"}},
        {"a text with a zero byte", {"corrupt", "--augment has a bad text"}},
        {"a text of 300 bytes", {"corrupt", "--augment has a bad text (length 300)"}},
        {"a text of 2^32-1 bytes", {"corrupt", "--augment has a bad text"}},
        {"a name with a zero byte", {"corrupt", "bad name"}},
        {"a count one more than the entries", {"corrupt", "settings section"}},
        {"a count one less than the entries", {"corrupt", "settings section"}},
        {"a count of 256", {"corrupt", "counts 256 settings"}},
        {"a count of 2^32-1", {"corrupt", "settings"}},
        {"a byte after the entries", {"corrupt", "settings section is"}},
        {"an empty section", {"corrupt", "settings section"}},
    };
    for (size_t k = 0; k < sizeof refused / sizeof refused[0]; k++) {
        int m = n;
        uint32_t count = (uint32_t)n;
        memcpy(changed, e, sizeof(cb_entry) * (size_t)n);
        int lr = cb_find_entry(changed, m, "lr"), opt = cb_find_entry(changed, m, "optimizer");
        int aug = cb_find_entry(changed, m, "augment"), seed = cb_find_entry(changed, m, "seed");
        unsigned char data[64 * sizeof(cb_entry)];
        size_t data_len = 0;
        switch (k) {
        case 0:
            changed[m] = cb_float32("learning-rate", 0.1f);
            changed[m++].type = 7;
            count++;
            break;
        case 1: changed[m++] = cb_int32("threads", 2); count++; break;
        case 2: changed[m++] = cb_float32("lr", 0.2f); count++; break;
        case 3: changed[lr] = cb_int32("lr", 1); break;
        case 4: changed[opt] = cb_float32("optimizer", 1); break;
        case 5: changed[seed].type = 9; break;
        case 6: changed[aug] = cb_text("augment", "shift:1"); changed[aug].value[6] = 0; break;
        case 7:
            changed[aug] = cb_text("augment", "");
            cb_set_le32(changed[aug].value, 300);
            memset(changed[aug].value + 4, 'a', 296);
            changed[aug].value_len = 300; /* (the section ends before the 300th byte) */
            break;
        case 8: cb_set_le32(changed[aug].value, 0xFFFFFFFFu); break;
        case 9: changed[lr].name[1] = 0; break;
        case 10: count++; break;
        case 11: count--; break;
        case 12: count = 256; break;
        case 13: count = 0xFFFFFFFFu; break;
        default: break;
        }
        if (k == 14 || k == 15) {
            data_len = k == 14 ? cb_settings_data(changed, m, count, data) : 0;
            data[data_len] = 0;
            b = cb_with_section(orig, len, CB_SETTINGS, data, k == 14 ? data_len + 1 : 0,
                                &out_len);
        } else {
            b = cb_with_entries(orig, len, changed, m, count, &out_len);
        }
        /* (a NULL third word ends the list early) */
        const char *const want[] = {refused[k].words[0], refused[k].words[1],
                                    refused[k].words[2], NULL};
        expect_bytes_refused(path, b, out_len, want, refused[k].name);
        free(b);
    }
    free(orig);
    checkpoint_free(&ck);
}

/* Bytes read by this process so far (/proc/self/io's rchar), or -1. */
static long long bytes_read_so_far(void)
{
    FILE *f = fopen("/proc/self/io", "r");
    if (!f) return -1;
    char line[128];
    long long v = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "rchar: %lld", &v) == 1) break;
    fclose(f);
    return v;
}

/* A 100 MB file that is not a checkpoint (or whose header says another size)
 * is refused from its first bytes, not read whole. */
Test(checkpoint, refuses_large_file_without_reading_it, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "big");
    const off_t big = 100L << 20;
    unsigned char head[24] = "CNNCKPT";
    for (int magic = 0; magic < 4; magic++) {
        FILE *f = fopen(path, "wb");
        cr_assert_not_null(f);
        if (magic) {
            /* format 2's, then 3's, then 4's header, claiming 1000 bytes */
            cb_set_le32(head + 8, (uint32_t)magic + 1);
            cb_set_le32(head + 12, 6);
            cb_set_le64(head + 16, 1000);
            cr_assert_eq(fwrite(head, 1, sizeof head, f), sizeof head);
        }
        cr_assert_eq(ftruncate(fileno(f), big), 0, "ftruncate: %s", strerror(errno));
        fclose(f);
        long long before = bytes_read_so_far();
        if (magic)
            expect_refusal(path, W("corrupt", "1000 bytes", "104857600"), "a 100 MB file, "
                           "its header saying 1000 bytes");
        else
            expect_refusal(path, W("not a cnn checkpoint"), "100 MB of zeros");
        long long after = bytes_read_so_far();
        if (before >= 0 && after >= 0)
            cr_assert_lt(after - before, 1 << 20, "checkpoint_load read %lld bytes of a file "
                         "it should refuse from its header", after - before);
    }
}

static void expect_loads(const char *path, long n, const char *why)
{
    checkpoint got;
    load_into(path, &got, why);
    cr_assert_eq(got.n, n, "%s: %ld parameters", why, got.n);
    checkpoint_free(&got);
}

/* b's sections rewritten (n of them, count_delta added to the header's
 * count) into path, under b's version. */
static void write_sections(const char *path, const unsigned char *b, const cb_section *s, int n,
                           int count_delta)
{
    size_t len;
    unsigned char *bytes = cb_build(cb_le32(b + 8), s, n, count_delta, &len);
    write_and_free(path, bytes, len);
}

/* Sections in any order, an optional unknown one skipped; an unknown
 * required one, a known one twice, one missing, a count that does not
 * match and a length past the end refused: in a format 3 file (whose
 * second section is the settings) and a format 2 one (the schedule). */
Test(checkpoint, sections_unknown_duplicated_missing, .fini = remove_temp_dir)
{
    char dir[256], path[512], bad[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    temp_path(bad, sizeof bad, "bad");
    format_file f[2];
    both_formats(path, 30, f);
    /* format 2 without its options (7 sections with them): the six */
    free(f[1].b);
    f[1].b = valid_v2(30, 0, &f[1].len);
    static const char *const second[2] = {"no settings section", "no schedule section"};
    static const uint32_t second_tag[2] = {CB_SETTINGS, CB_SCHEDULE};
    for (int k = 0; k < 2; k++) {
        const unsigned char *b = f[k].b;
        size_t len = f[k].len;
        cb_section s[10];
        static const unsigned char extra[5] = "extra";
        cr_assert_eq(cb_sections(b, len, s, 8), 6);
        cr_assert_eq(s[1].tag, second_tag[k]);

        write_sections(bad, b, s, 6, 0);
        expect_loads(bad, 30, "the sections rewritten as they were");
        size_t rebuilt_len;
        unsigned char *rebuilt = read_file(bad, &rebuilt_len);
        cr_assert(rebuilt_len == len && memcmp(rebuilt, b, len) == 0,
                  "%s: rebuilding changed the file", f[k].name);
        free(rebuilt);
        cb_section moved[6] = {s[5], s[3], s[0], s[4], s[2], s[1]};
        write_sections(bad, b, moved, 6, 0);
        expect_loads(bad, 30, "the sections in another order");
        s[6] = (cb_section){CHECKPOINT_SECTION_OPTIONAL | 0x42u, sizeof extra, extra};
        write_sections(bad, b, s, 7, 0);
        expect_loads(bad, 30, "an unknown optional section");
        s[6].len = 0;
        write_sections(bad, b, s, 7, 0);
        expect_loads(bad, 30, "an empty unknown optional section");

        s[6] = (cb_section){0x42u, sizeof extra, extra};
        write_sections(bad, b, s, 7, 0);
        expect_refusal(bad, W("required section", "0x00000042", "newer"),
                       "an unknown required section");
        s[6] = (cb_section){13, sizeof extra, extra}; /* the next tag: required, unknown */
        write_sections(bad, b, s, 7, 0);
        expect_refusal(bad, W("required section", "0x0000000d", "newer"), "section 13");
        s[6] = (cb_section){11, sizeof extra, extra}; /* the scaling's tag, written required */
        write_sections(bad, b, s, 7, 0);
        expect_refusal(bad, W("corrupt", "scaling section is not marked optional"), "section 11");
        s[6] = s[3];
        write_sections(bad, b, s, 7, 0);
        expect_refusal(bad, W("corrupt", "data section appears twice"), "the data section twice");
        s[6] = s[1];
        write_sections(bad, b, s, 7, 0);
        expect_refusal(bad, W("corrupt", "appears twice"), "the second section twice");
        write_sections(bad, b, s, 5, 0);
        expect_refusal(bad, W("corrupt", "no momentum section"), "no momentum section");
        cb_section no_data[5] = {s[0], s[1], s[2], s[4], s[5]};
        write_sections(bad, b, no_data, 5, 0);
        expect_refusal(bad, W("corrupt", "no data section"), "no data section");
        cb_section no_second[5] = {s[0], s[2], s[3], s[4], s[5]};
        write_sections(bad, b, no_second, 5, 0);
        expect_refusal(bad, W("corrupt", second[k]), second[k]);
        write_sections(bad, b, s, 6, 1);
        expect_refusal(bad, W("corrupt", "counts 7 sections"), "a section count one too many");
        write_sections(bad, b, s, 6, -1);
        expect_refusal(bad, W("corrupt"), "a section count one too few");
        s[6] = (cb_section){6, s[5].len - 4, s[5].data};
        cb_section short_momentum[6] = {s[0], s[1], s[2], s[3], s[4], s[6]};
        write_sections(bad, b, short_momentum, 6, 0);
        expect_refusal(bad, W("corrupt", "momentum"), "a momentum section one value short");

        /* a section length past the end, under a good CRC */
        unsigned char *c = malloc(len);
        memcpy(c, b, len);
        size_t data_at = cb_section_at(c, len, CB_DATA, NULL);
        cb_set_le64(c + data_at - 8, 1u << 20);
        cb_fix_crc(c, len);
        expect_bytes_refused(bad, c, len, W("corrupt", "runs past the end"),
                             "a section length past the end");
        cb_set_le64(c + data_at - 8, UINT64_MAX);
        cb_fix_crc(c, len);
        expect_bytes_refused(bad, c, len, W("corrupt", "runs past the end"),
                             "a section length of 2^64-1");
        free(c);
        free(f[k].b);
    }
}

/* ---- running the binary ---- */

#define RUN_TIMEOUT_S 120
#define RUN(r, ...) run_cnn(CNN_ARGV(__VA_ARGS__), RUN_TIMEOUT_S, (r))
/* cnn train on the CPU with the synthetic data in dir, no log, quiet. */
#define TRAIN(r, dir, ...)                                                                   \
    RUN(r, "train", "--data", dir, "--device", "cpu", "--log", "", "--quiet", __VA_ARGS__)

static void expect_success(const result *r, const char *what)
{
    expect_not_crashed(r);
    cr_assert_eq(r->status, 0, "%s: exit %d; stderr:\n%s\nstdout:\n%s", what, r->status, r->err,
                 r->out);
    cr_assert_eq(r->err_len, 0, "%s: a successful run wrote to stderr:\n%s", what, r->err);
}

/* ---- synthetic MNIST-shaped data ---- */

/* A temp folder with the data in "<dir>" itself (checkpoints go beside it). */
static void make_data_dir(char *dir, size_t len)
{
    make_temp_dir(TEMP_NAME, dir, len);
    write_block_digits(dir, "train", TRAIN_COUNT, 101);
    write_block_digits(dir, "t10k", TEST_COUNT, 202);
}

static void load_ok(const char *path, checkpoint_meta *m, long *n)
{
    checkpoint ck;
    char err[ERRLEN];
    cr_assert_eq(checkpoint_load(path, &ck, err, sizeof err), 0,
                 "the checkpoint train wrote does not load: %s", err);
    *m = ck.meta;
    *n = ck.n;
    checkpoint_free(&ck);
}

/* ---- 4a. a resumed run equals the uninterrupted one ---- */

/* Trains net for 2 epochs in one run (A) and for 1 + 1 with a resume (B, C):
 * A and C must be the same bytes, and print the same losses. */
static void resume_equals_uninterrupted(const char *net, const char *batch, const char *seed)
{
    char dir[256], a[512], b[512], c[512], json_a[4096], json_c[4096], v1[64], v2[64];
    make_data_dir(dir, sizeof dir);
    temp_path(a, sizeof a, "A.ck");
    temp_path(b, sizeof b, "B.ck");
    temp_path(c, sizeof c, "C.ck");
    result r;
    TRAIN(&r, dir, "--net", net, "--epochs", "2", "--batch", batch, "--seed", seed, "--save", a);
    expect_success(&r, "train --epochs 2 --save A");
    json_of(&r, json_a, sizeof json_a);
    result_free(&r);
    TRAIN(&r, dir, "--net", net, "--epochs", "1", "--batch", batch, "--seed", seed, "--save", b);
    expect_success(&r, "train --epochs 1 --save B");
    result_free(&r);

    checkpoint_meta mb;
    long nb;
    load_ok(b, &mb, &nb);
    cr_assert_eq(mb.epochs_done, 1, "B: epochs_done %d", mb.epochs_done);
    cr_assert_eq(mb.cfg.epochs, 1, "B: epochs %d", mb.cfg.epochs);
    cr_assert_eq(mb.steps_done, (uint64_t)((TRAIN_COUNT + atoi(batch) - 1) / atoi(batch)),
                 "B: steps_done %llu", (unsigned long long)mb.steps_done);
    cr_assert_eq(mb.cfg.batch, atoi(batch));
    cr_assert_eq(mb.version, 3, "B is format %d", mb.version);

    TRAIN(&r, dir, "--resume", b, "--epochs", "2", "--save", c);
    expect_success(&r, "train --resume B --epochs 2 --save C");
    json_of(&r, json_c, sizeof json_c);
    cr_assert_not_null(strstr(r.out, "resumed"), "the banner does not say it resumed:\n%s", r.out);
    result_free(&r);

    expect_same_file(a, c, "2 epochs in one run vs 1 + 1 resumed");
    static const char *const keys[] = {"spec", "params", "epochs", "batch", "seed", "train_loss",
                                       "train_acc", "test_loss", "test_acc"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        cr_assert_eq(json_field(json_a, keys[i], v1, sizeof v1), 0, "no %s in %s", keys[i], json_a);
        cr_assert_eq(json_field(json_c, keys[i], v2, sizeof v2), 0, "no %s in %s", keys[i], json_c);
        cr_assert_str_eq(v1, v2, "%s: %s uninterrupted, %s resumed", keys[i], v1, v2);
    }
    checkpoint_meta ma;
    long na;
    load_ok(a, &ma, &na);
    cr_assert_eq(ma.epochs_done, 2);
    cr_assert_eq(ma.steps_done, 2 * mb.steps_done);
    expect_no_tmp_in(dir);
}

Test(checkpoint, resume_equals_uninterrupted_fc, .fini = remove_temp_dir, .timeout = 300)
{
    resume_equals_uninterrupted(FC_NET, "20", "1");
}

Test(checkpoint, resume_equals_uninterrupted_seed_cnn, .fini = remove_temp_dir, .timeout = 300)
{
    resume_equals_uninterrupted("seed-cnn", "50", "3");
}

/* Dropout (masks keyed by the step) and bn (running statistics in the
 * state section) resume bit for bit too. */
Test(checkpoint, resume_equals_uninterrupted_dropout_bn, .fini = remove_temp_dir, .timeout = 300)
{
    resume_equals_uninterrupted("conv4k3p1,bn,relu,maxpool2,dropout0.5,fc16,bn,dropout0.2,fc10,"
                                "softmax", "50", "2");
}

/* A last batch smaller than the rest (600 = 7 x 80 + 40) and a learning
 * rate that drops after the first epoch (--lr-step 1). */
Test(checkpoint, resume_equals_uninterrupted_partial_batch_lr_drop, .fini = remove_temp_dir,
     .timeout = 300)
{
    char dir[256], a[512], b[512], c[512];
    make_data_dir(dir, sizeof dir);
    temp_path(a, sizeof a, "A.ck");
    temp_path(b, sizeof b, "B.ck");
    temp_path(c, sizeof c, "C.ck");
    result r;
    TRAIN(&r, dir, "--net", FC_NET, "--epochs", "3", "--batch", "80", "--lr-step", "1",
          "--lr-gamma", "0.3", "--momentum", "0.9", "--save", a);
    expect_success(&r, "train --epochs 3");
    result_free(&r);
    TRAIN(&r, dir, "--net", FC_NET, "--epochs", "3", "--batch", "80", "--lr-step", "1",
          "--lr-gamma", "0.3", "--momentum", "0.9", "--train-limit", "0", "--save", b,
          "--save-every", "1");
    expect_success(&r, "train --epochs 3 --save-every 1");
    result_free(&r);
    expect_same_file(a, b, "--save-every 1 changed the run");
    /* now stop after 1 epoch and resume twice: 1 + 1 + 1 */
    TRAIN(&r, dir, "--net", FC_NET, "--epochs", "1", "--batch", "80", "--lr-step", "1",
          "--lr-gamma", "0.3", "--momentum", "0.9", "--save", b);
    expect_success(&r, "train --epochs 1");
    result_free(&r);
    TRAIN(&r, dir, "--resume", b, "--epochs", "2", "--save", b);
    expect_success(&r, "train --resume B --epochs 2 --save B");
    result_free(&r);
    TRAIN(&r, dir, "--resume", b, "--epochs", "3", "--save", c);
    expect_success(&r, "train --resume B --epochs 3 --save C");
    result_free(&r);
    expect_same_file(a, c, "3 epochs in one run vs 1 + 1 + 1 resumed");
}

/* The shuffle generator's state after an epoch can be any 64-bit value,
 * 0 included: the seed here is picked so that it is 0 after epoch 1 (the
 * Fisher-Yates shuffle of 600 samples draws 599 numbers, each adding the
 * splitmix64 increment; the initial state is seed ^ 0x5eedf00d). */
Test(checkpoint, resume_when_shuffle_state_is_zero, .fini = remove_temp_dir, .timeout = 300)
{
    const uint64_t golden = 0x9E3779B97F4A7C15ull;
    uint64_t seed = ((uint64_t)0 - (uint64_t)(TRAIN_COUNT - 1) * golden) ^ 0x5eedf00dull;
    char seed_text[32];
    snprintf(seed_text, sizeof seed_text, "%llu", (unsigned long long)seed);
    char dir[256], a[512], b[512], c[512];
    make_data_dir(dir, sizeof dir);
    temp_path(a, sizeof a, "A.ck");
    temp_path(b, sizeof b, "B.ck");
    temp_path(c, sizeof c, "C.ck");
    result r;
    TRAIN(&r, dir, "--net", FC_NET, "--epochs", "1", "--batch", "20", "--seed", seed_text,
          "--save", b);
    expect_success(&r, "train --epochs 1");
    result_free(&r);
    checkpoint_meta mb;
    long nb;
    load_ok(b, &mb, &nb);
    cr_assert_eq(mb.rng_state, 0u, "the chosen seed should leave the shuffle state at 0, got "
                 "%llx (has the shuffle changed?)", (unsigned long long)mb.rng_state);
    TRAIN(&r, dir, "--net", FC_NET, "--epochs", "2", "--batch", "20", "--seed", seed_text,
          "--save", a);
    expect_success(&r, "train --epochs 2");
    result_free(&r);
    TRAIN(&r, dir, "--resume", b, "--epochs", "2", "--save", c);
    expect_success(&r, "train --resume B --epochs 2");
    result_free(&r);
    expect_same_file(a, c, "resuming where the shuffle state is 0");
}

/* The same network spelled differently is the same network. */
Test(checkpoint, resume_accepts_same_net_other_spelling, .fini = remove_temp_dir, .timeout = 300)
{
    char dir[256], a[512], b[512], c[512];
    make_data_dir(dir, sizeof dir);
    temp_path(a, sizeof a, "A.ck");
    temp_path(b, sizeof b, "B.ck");
    temp_path(c, sizeof c, "C.ck");
    result r;
    TRAIN(&r, dir, "--net", FC_NET, "--epochs", "2", "--batch", "20", "--save", a);
    expect_success(&r, "train --epochs 2");
    result_free(&r);
    TRAIN(&r, dir, "--net", FC_NET, "--epochs", "1", "--batch", "20", "--save", b);
    expect_success(&r, "train --epochs 1");
    result_free(&r);
    TRAIN(&r, dir, "--resume", b, "--net", "fc16 , relu,fc10,softmax", "--epochs", "2", "--save",
          c);
    expect_success(&r, "train --resume B --net 'fc16 , relu,...'");
    result_free(&r);
    expect_same_file(a, c, "resumed with --net spelled differently");
}

/* ---- 4b. eval agrees with train ---- */

static long parse_long(const char **p)
{
    char *end;
    long v = strtol(*p, &end, 10);
    cr_assert_neq(end, *p, "expected a number at: %.40s", *p);
    *p = end;
    return v;
}

Test(checkpoint, eval_matches_train, .fini = remove_temp_dir, .timeout = 300)
{
    char dir[256], a[512], json[4096], ev_json[4096], tl[64], ta[64], v[64];
    make_data_dir(dir, sizeof dir);
    temp_path(a, sizeof a, "A.ck");
    result r;
    TRAIN(&r, dir, "--net", FC_NET, "--epochs", "2", "--batch", "20", "--save", a);
    expect_success(&r, "train --save A");
    json_of(&r, json, sizeof json);
    result_free(&r);
    cr_assert_eq(json_field(json, "test_loss", tl, sizeof tl), 0, "%s", json);
    cr_assert_eq(json_field(json, "test_acc", ta, sizeof ta), 0, "%s", json);

    RUN(&r, "eval", "--model", a, "--device", "cpu", "--data", dir);
    expect_success(&r, "eval --model A");
    /* "test loss X  accuracy Y% (N images)" */
    const char *line = strstr(r.out, "test loss ");
    cr_assert_not_null(line, "eval printed no \"test loss\" line:\n%s", r.out);
    line += strlen("test loss ");
    size_t n = strcspn(line, " \n");
    snprintf(v, sizeof v, "%.*s", (int)n, line);
    cr_assert_str_eq(v, tl, "eval's test loss %s, train's %s", v, tl);
    char images[64];
    snprintf(images, sizeof images, "(%d images)", TEST_COUNT);
    cr_assert_not_null(strstr(r.out, images), "eval does not say %s:\n%s", images, r.out);
    json_of(&r, ev_json, sizeof ev_json);
    cr_assert_eq(json_field(ev_json, "test_loss", v, sizeof v), 0, "%s", ev_json);
    cr_assert_str_eq(v, tl, "eval's JSON test_loss %s, train's %s", v, tl);
    cr_assert_eq(json_field(ev_json, "test_acc", v, sizeof v), 0, "%s", ev_json);
    cr_assert_str_eq(v, ta, "eval's JSON test_acc %s, train's %s", v, ta);

    /* the confusion matrix: a header of 0..9, then rows "label c0 .. c9" */
    const char *p = strstr(r.out, "confusion matrix");
    cr_assert_not_null(p, "no confusion matrix:\n%s", r.out);
    p = strchr(p, '\n');
    cr_assert_not_null(p);
    p++;
    for (long j = 0; j < 10; j++) cr_assert_eq(parse_long(&p), j, "the header's column %ld", j);
    long total = 0, diagonal = 0;
    for (long i = 0; i < 10; i++) {
        cr_assert_eq(parse_long(&p), i, "row %ld's label", i);
        for (long j = 0; j < 10; j++) {
            long c = parse_long(&p);
            cr_assert_geq(c, 0);
            total += c;
            if (i == j) diagonal += c;
        }
        cr_assert(*p == '\n', "row %ld has more than 10 entries: %.40s", i, p);
    }
    cr_assert_eq(total, TEST_COUNT, "the confusion matrix sums to %ld, not %d", total, TEST_COUNT);
    char acc[64];
    snprintf(acc, sizeof acc, "%.4f", 100.0 * diagonal / TEST_COUNT);
    cr_assert_str_eq(acc, ta, "the diagonal gives accuracy %s, train said %s", acc, ta);
    cr_assert_gt(diagonal, TEST_COUNT / 2, "the synthetic classes are easy: %ld of %d right",
                 diagonal, TEST_COUNT);
    result_free(&r);

    /* another eval batch size must not change the numbers */
    RUN(&r, "eval", "--model", a, "--device", "cpu", "--data", dir, "--batch", "7");
    expect_success(&r, "eval --batch 7");
    json_of(&r, ev_json, sizeof ev_json);
    cr_assert_eq(json_field(ev_json, "test_loss", v, sizeof v), 0, "%s", ev_json);
    cr_assert_str_eq(v, tl, "eval --batch 7: test_loss %s, train's %s", v, tl);
    result_free(&r);
}

/* ---- 4c. resuming with the wrong network, or when nothing is left ---- */

Test(checkpoint, resume_wrong_network, .fini = remove_temp_dir, .timeout = 300)
{
    char dir[256], a[512], before[4096];
    make_data_dir(dir, sizeof dir);
    temp_path(a, sizeof a, "A.ck");
    result r;
    TRAIN(&r, dir, "--net", FC_NET, "--epochs", "1", "--batch", "20", "--save", a);
    expect_success(&r, "train --save A");
    result_free(&r);
    size_t len0;
    unsigned char *b0 = read_file(a, &len0);
    snprintf(before, sizeof before, "%s", a);
    TRAIN(&r, dir, "--resume", a, "--net", "mlp1", "--epochs", "3", "--save", a);
    expect_error(&r, 1, W("wrong network"), "train --resume A --net mlp1");
    cr_assert_eq(r.out_len, 0, "it printed before failing:\n%s", r.out);
    result_free(&r);
    TRAIN(&r, dir, "--resume", a, "--net", "fc32,relu,fc10,softmax", "--epochs", "3");
    expect_error(&r, 1, W("wrong network"), "train --resume A --net fc32,...");
    result_free(&r);
    size_t len1;
    unsigned char *b1 = read_file(a, &len1);
    cr_assert(len0 == len1 && !memcmp(b0, b1, len0), "a refused resume changed %s", before);
    free(b0);
    free(b1);
}

Test(checkpoint, resume_when_all_epochs_are_done, .fini = remove_temp_dir, .timeout = 300)
{
    char dir[256], a[512];
    make_data_dir(dir, sizeof dir);
    temp_path(a, sizeof a, "A.ck");
    result r;
    TRAIN(&r, dir, "--net", FC_NET, "--epochs", "1", "--batch", "20", "--save", a);
    expect_success(&r, "train --save A");
    result_free(&r);
    TRAIN(&r, dir, "--resume", a);
    expect_error(&r, 1, W("--epochs"), "train --resume A (1 of 1 epochs done)");
    result_free(&r);
    TRAIN(&r, dir, "--resume", a, "--epochs", "1");
    expect_error(&r, 1, W("--epochs"), "train --resume A --epochs 1");
    result_free(&r);
}

/* ---- 4c'. resuming on other data ---- */

/* The checkpoint records the samples it was trained on: a resume on others
 * (another --train-limit, other labels) would repeat or skip steps. */
Test(checkpoint, resume_refuses_other_data, .fini = remove_temp_dir, .timeout = 300)
{
    char dir[256], other[512], a[512], b[512];
    make_data_dir(dir, sizeof dir);
    temp_path(a, sizeof a, "A.ck");
    temp_path(b, sizeof b, "B.ck");
    result r;
    TRAIN(&r, dir, "--net", FC_NET, "--epochs", "1", "--batch", "20", "--train-limit", "300",
          "--save", a);
    expect_success(&r, "train --train-limit 300");
    result_free(&r);
    checkpoint_meta m;
    long n;
    load_ok(a, &m, &n);
    cr_assert_eq(m.train_count, TRAIN_COUNT);
    cr_assert_eq(m.train_limit, 300);

    TRAIN(&r, dir, "--resume", a, "--epochs", "2", "--train-limit", "200");
    expect_error(&r, 1, W(a, "300 samples (--train-limit 300", "200 samples (--train-limit 200"),
                 "resume with --train-limit 200");
    cr_assert_eq(r.out_len, 0, "it printed before failing:\n%s", r.out);
    result_free(&r);
    TRAIN(&r, dir, "--resume", a, "--epochs", "2");
    expect_error(&r, 1, W("300 samples", "600 samples (--train-limit 0"),
                 "resume without the --train-limit");
    result_free(&r);

    /* the same number of samples, other labels */
    temp_path(other, sizeof other, "other");
    cr_assert_eq(mkdir(other, 0777), 0);
    write_block_digits(other, "train", TRAIN_COUNT, 999);
    write_block_digits(other, "t10k", TEST_COUNT, 202);
    TRAIN(&r, other, "--resume", a, "--epochs", "2", "--train-limit", "300");
    expect_error(&r, 1, W("labels CRC"), "resume on other labels");
    result_free(&r);

    TRAIN(&r, dir, "--resume", a, "--epochs", "2", "--train-limit", "300", "--save", b);
    expect_success(&r, "resume with the same --train-limit");
    result_free(&r);
    /* --train-limit at or above the set's size uses the same samples as none */
    TRAIN(&r, dir, "--net", FC_NET, "--epochs", "1", "--batch", "20", "--save", a);
    expect_success(&r, "train on all 600");
    result_free(&r);
    TRAIN(&r, dir, "--resume", a, "--epochs", "2", "--train-limit", "1000");
    expect_success(&r, "resume all 600 with --train-limit 1000");
    result_free(&r);
}

/* A format 1 checkpoint resumes like the same state in format 3 (the run
 * ends in the same bytes), with one note that its data cannot be verified;
 * a format 2 one (as the last release wrote it) without a note. */
Test(checkpoint, resume_from_version_1_notes_and_continues, .fini = remove_temp_dir,
     .timeout = 300)
{
    char dir[256], b[512], b1[512], b2[512], c[512], c1[512], c2[512];
    make_data_dir(dir, sizeof dir);
    temp_path(b, sizeof b, "B.ck");
    temp_path(b1, sizeof b1, "B1.ck");
    temp_path(b2, sizeof b2, "B2.ck");
    temp_path(c, sizeof c, "C.ck");
    temp_path(c1, sizeof c1, "C1.ck");
    temp_path(c2, sizeof c2, "C2.ck");
    result r;
    TRAIN(&r, dir, "--net", FC_NET, "--epochs", "1", "--batch", "20", "--save", b);
    expect_success(&r, "train --epochs 1");
    result_free(&r);
    checkpoint ck;
    char err[ERRLEN];
    cr_assert_eq(checkpoint_load(b, &ck, err, sizeof err), 0, "%s", err);
    write_v1(b1, &ck);
    size_t len;
    unsigned char *bytes = cb_v2_bytes(&ck, 0, &len);
    write_and_free(b2, bytes, len);
    checkpoint_free(&ck);

    TRAIN(&r, dir, "--resume", b, "--epochs", "2", "--save", c);
    expect_success(&r, "resume the format 3 checkpoint");
    result_free(&r);
    TRAIN(&r, dir, "--resume", b1, "--epochs", "2", "--save", c1);
    expect_not_crashed(&r);
    cr_assert_eq(r.status, 0, "resume a format 1 checkpoint: exit %d: %s", r.status, r.err);
    cr_assert_eq(strchr(r.err, '\n'), r.err + r.err_len - 1, "not one line on stderr:\n%s", r.err);
    cr_assert_not_null(strstr(r.err, "note"), "no note: %s", r.err);
    cr_assert_not_null(strstr(r.err, "version 1"), "the note does not say version 1: %s", r.err);
    cr_assert_not_null(strstr(r.err, b1), "the note does not name the file: %s", r.err);
    result_free(&r);
    expect_same_file(c, c1, "resumed from format 1 vs from format 3");
    TRAIN(&r, dir, "--resume", b2, "--epochs", "2", "--save", c2);
    expect_success(&r, "resume a format 2 checkpoint");
    result_free(&r);
    expect_same_file(c, c2, "resumed from format 2 vs from format 3");

    RUN(&r, "eval", "--model", b1, "--device", "cpu", "--data", dir);
    expect_success(&r, "eval of a format 1 checkpoint");
    result_free(&r);
    RUN(&r, "eval", "--model", b2, "--device", "cpu", "--data", dir);
    expect_success(&r, "eval of a format 2 checkpoint");
    result_free(&r);
}

/* ---- 4d. bad files through the binary ---- */

static void expect_eval_refuses(const char *model, const char *dir, const char *const *want,
                                const char *what)
{
    result r;
    RUN(&r, "eval", "--model", model, "--device", "cpu", "--data", dir);
    expect_error(&r, 1, want, what);
    cr_assert_eq(r.out_len, 0, "%s: eval printed before failing:\n%s", what, r.out);
    result_free(&r);
    RUN(&r, "train", "--resume", model, "--device", "cpu", "--data", dir, "--log", "",
        "--epochs", "5");
    expect_error(&r, 1, want, what);
    cr_assert_eq(r.out_len, 0, "%s: train --resume printed before failing:\n%s", what, r.out);
    result_free(&r);
}

Test(checkpoint, binary_refuses_bad_checkpoints, .fini = remove_temp_dir, .timeout = 300)
{
    char dir[256], a[512], bad[512];
    make_data_dir(dir, sizeof dir);
    temp_path(a, sizeof a, "A.ck");
    temp_path(bad, sizeof bad, "bad.ck");
    result r;
    TRAIN(&r, dir, "--net", FC_NET, "--epochs", "1", "--batch", "20", "--save", a);
    expect_success(&r, "train --save A");
    result_free(&r);
    size_t len;
    unsigned char *b = read_file(a, &len);

    b[len / 2] ^= 0x10;
    write_file(bad, b, len);
    expect_eval_refuses(bad, dir, W(bad, "CRC"), "a corrupted checkpoint");
    b[len / 2] ^= 0x10;

    write_file(bad, b, len - 1);
    expect_eval_refuses(bad, dir, W(bad, "cut short"), "a checkpoint missing its last byte");
    write_file(bad, b, len / 3);
    expect_eval_refuses(bad, dir, W(bad, "cut short"), "a third of a checkpoint");
    write_file(bad, b, 0);
    expect_eval_refuses(bad, dir, W(bad, "not a cnn checkpoint"), "an empty file");

    cb_set_le32(b + 8, CHECKPOINT_VERSION + 1);
    cb_fix_crc(b, len);
    write_file(bad, b, len);
    expect_eval_refuses(bad, dir, W(bad, "newer", "update"), "a checkpoint from a newer version");
    cb_set_le32(b + 8, CHECKPOINT_VERSION);

    /* intact, but for a network these 28x28 inputs do not fit */
    char spec[] = "fc16,relu,fc10,softmax";
    unsigned char *network = b + cb_section_at(b, len, CB_NETWORK, NULL);
    size_t sl = cb_le32(network);
    cr_assert_eq(sl, strlen(spec));
    memcpy(network + 4, "fc16,relu,fc11,softmax", sl);
    cb_fix_crc(b, len);
    write_file(bad, b, len);
    expect_eval_refuses(bad, dir, W(bad), "a checkpoint for 11 classes");

    expect_eval_refuses(dir, dir, W(dir), "a folder as the checkpoint");
    temp_path(bad, sizeof bad, "missing.ck");
    expect_eval_refuses(bad, dir, W(bad), "a missing checkpoint");
    free(b);
}

/* ---- 4e. --save-every ---- */

Test(checkpoint, save_every_leaves_loadable_checkpoint, .fini = remove_temp_dir, .timeout = 300)
{
    char dir[256], a[512], e[512];
    make_data_dir(dir, sizeof dir);
    temp_path(a, sizeof a, "A.ck");
    temp_path(e, sizeof e, "E.ck");
    result r;
    TRAIN(&r, dir, "--net", FC_NET, "--epochs", "2", "--batch", "20", "--save", e,
          "--save-every", "1");
    expect_success(&r, "train --save-every 1 --epochs 2");
    result_free(&r);
    checkpoint_meta m;
    long n;
    load_ok(e, &m, &n);
    cr_assert_eq(m.epochs_done, 2, "epochs_done %d after 2 epochs", m.epochs_done);
    cr_assert_eq(m.cfg.epochs, 2);
    cr_assert_eq(m.steps_done, 2u * (TRAIN_COUNT / 20));
    cr_assert_str_eq(m.spec, FC_NET);
    cr_assert_eq(n, 784L * 16 + 16 + 16 * 10 + 10, "parameter count %ld", n);
    cr_assert_eq(m.in_c, 1);
    cr_assert_eq(m.in_h, 28);
    cr_assert_eq(m.in_w, 28);
    cr_assert_eq(m.classes, 10);
    cr_assert_eq(m.cfg.batch, 20);
    expect_no_tmp_in(dir);

    TRAIN(&r, dir, "--net", FC_NET, "--epochs", "2", "--batch", "20", "--save", a);
    expect_success(&r, "train --epochs 2");
    result_free(&r);
    expect_same_file(a, e, "--save-every 1 vs a save at the end only");
}

/* A save that fails after training (its .tmp cannot be created) is a
 * runtime error with one line, and the old checkpoint stays as it was. */
Test(checkpoint, binary_failed_save_keeps_old_checkpoint, .fini = remove_temp_dir, .timeout = 300)
{
    char dir[256], a[512];
    make_data_dir(dir, sizeof dir);
    temp_path(a, sizeof a, "A.ck");
    result r;
    TRAIN(&r, dir, "--net", FC_NET, "--epochs", "1", "--batch", "20", "--save", a);
    expect_success(&r, "train --save A");
    result_free(&r);
    size_t len0, len1;
    unsigned char *b0 = read_file(a, &len0);
    setenv("CNN_TEST_FAIL_SAVE_AT_EPOCH", "1", 1); /* a 1 KiB file size limit for that save */
    TRAIN(&r, dir, "--net", FC_NET, "--epochs", "1", "--batch", "20", "--seed", "9", "--save", a);
    unsetenv("CNN_TEST_FAIL_SAVE_AT_EPOCH");
    expect_error(&r, 1, W(a, "File too large"), "train --save A over a file size limit");
    cr_assert_null(strstr(r.out, "\"test_loss\""), "a run whose save failed printed its JSON");
    result_free(&r);
    unsigned char *b1 = read_file(a, &len1);
    cr_assert(len0 == len1 && !memcmp(b0, b1, len0), "the failed save changed %s", a);
    free(b0);
    free(b1);
}

/* The writer refuses the values a load would refuse, with one line naming
 * the file and the value, and writes nothing. */
Test(checkpoint, save_refuses_values_no_load_accepts, .fini = remove_temp_dir)
{
    char dir[256], path[512], err[ERRLEN];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "refused.ck");
    const long n = 16;
    checkpoint ck = {.meta = sample_meta(), .n = n};
    ck.params = awkward_floats(n, 41);
    ck.momentum = awkward_floats(n, 42);
    ck.params[3] = NAN;
    cr_assert_neq(checkpoint_save(path, &ck, err, sizeof err), 0, "a NaN weight was written");
    cr_assert_not_null(strstr(err, ": not writing a checkpoint of values that are not finite: "
                                   "parameter 3 (of 16) is NaN"), "%s", err);
    cr_assert_not(exists(path), "a refused save left %s", path);
    ck.params[3] = 0.5f;
    ck.meta.cfg.optimizer = 2; /* adam: its second moments must not be negative */
    ck.moment2 = awkward_floats(n, 43);
    for (long i = 0; i < n; i++) ck.moment2[i] = fabsf(ck.moment2[i]);
    ck.moment2[5] = -1.0f;
    cr_assert_neq(checkpoint_save(path, &ck, err, sizeof err), 0, "a negative moment was written");
    cr_assert_not_null(strstr(err, ": not writing a checkpoint of impossible values: the second "
                                   "moment of parameter 5 (of 16) is negative (-1)"), "%s", err);
    cr_assert_null(strchr(err, '\n'));
    free(ck.moment2);
    ck.moment2 = NULL;
    cr_assert_neq(checkpoint_save(path, &ck, err, sizeof err), 0, "adam without moments");
    cr_assert_not_null(strstr(err, "impossible settings: adam's second moments are missing"),
                       "%s", err);
    checkpoint_free(&ck);
}

/* A setting a newer cnn keeps, which this one does not know: the model
 * loads, the setting stepped over by its type and its name recorded (a
 * resume refuses it: test_hostile_ckpt.c); a second one keeps the first's
 * name. */
Test(checkpoint, a_newer_cnns_setting_is_stepped_over, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "newer.ck");
    checkpoint ck = {.meta = sample_meta(), .n = 8}, got;
    ck.params = awkward_floats(8, 51);
    ck.momentum = awkward_floats(8, 52);
    save_ok(path, &ck);
    size_t len, out_len;
    unsigned char *orig = read_file(path, &len);
    cb_entry e[64];
    int n = cb_entries(orig, len, e, 60);
    e[n++] = cb_text("label-smoothing", "0.1");
    e[n++] = cb_uint64("ema", 7);
    e[n++] = cb_float32("lr-floor", 1e-3f);
    unsigned char *b = cb_with_entries(orig, len, e, n, (uint32_t)n, &out_len);
    write_and_free(path, b, out_len);
    load_into(path, &got, "a newer cnn's settings");
    cr_assert_str_eq(got.meta.unknown_setting, "label-smoothing");
    expect_meta_equal(&got.meta, &ck.meta);
    checkpoint_free(&got);
    free(orig);
    checkpoint_free(&ck);
}

/* A model with a newer cnn's setting: eval reads it; a resume refuses it,
 * naming the setting. */
Test(checkpoint, binary_evaluates_but_does_not_resume_a_newer_cnns_model,
     .fini = remove_temp_dir, .timeout = 120)
{
    char dir[256], a[512];
    make_data_dir(dir, sizeof dir);
    temp_path(a, sizeof a, "A.ck");
    result r;
    TRAIN(&r, dir, "--net", FC_NET, "--epochs", "1", "--batch", "20", "--save", a);
    expect_success(&r, "train --save A");
    result_free(&r);
    size_t len, out_len;
    unsigned char *orig = read_file(a, &len);
    cb_entry e[64];
    int n = cb_entries(orig, len, e, 63);
    e[n++] = cb_float32("label-smoothing", 0.1f);
    unsigned char *b = cb_with_entries(orig, len, e, n, (uint32_t)n, &out_len);
    write_and_free(a, b, out_len);
    free(orig);
    RUN(&r, "eval", "--model", a, "--data", dir, "--device", "cpu");
    expect_success(&r, "eval of a newer cnn's model");
    result_free(&r);
    TRAIN(&r, dir, "--resume", a, "--epochs", "2");
    expect_error(&r, 1, W("--resume", "\"label-smoothing\"", "newer cnn", "update this one"),
                 "a resume of a newer cnn's model");
    result_free(&r);
}
