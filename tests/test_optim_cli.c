/* cnn train with the optimizers and schedules: an adam + cosine + warmup
 * run without bias decay interrupted and resumed equals the uninterrupted
 * run byte for byte; which sections checkpoints hold; the flags'
 * one-line refusals. The binary is $CNN_BIN, or build/cnn when that is
 * unset. */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "hd/optim.h"
#include "hd/schedule.h"
#include "idx_util.h"
#include "run_util.h"

#define TIMEOUT_S 120
#define FC_NET "fc16,relu,fc10,softmax"
/* 600 samples at batch 80: 8 steps an epoch (the last of 40) */
#define ADAM_ARGS "--net", FC_NET, "--epochs", "2", "--batch", "80", "--seed", "4", \
                  "--optimizer", "adam", "--lr", "0.003", "--lr-schedule", "cosine",   \
                  "--warmup", "0.5", "--decay-bias", "false", "--weight-decay", "0.001"
#define W(...) ((const char *const[]){__VA_ARGS__, NULL})

static void data_dir(char *dir, size_t len)
{
    make_temp_dir("test_optim_cli", dir, len);
    write_block_digits(dir, "train", 600, 11);
    write_block_digits(dir, "t10k", 100, 12);
}

/* cnn train on dir's data with args (NULL-terminated) and, when sigint_at is
 * not NULL, CNN_TEST_SIGINT_AT_STEP set to it (run_train). */
static void train(result *r, const char *sigint_at, const char *dir, const char *const *args)
{
    char env[64];
    if (sigint_at) snprintf(env, sizeof env, "CNN_TEST_SIGINT_AT_STEP=%s", sigint_at);
    run_train(r, sigint_at ? env : NULL, dir, args, TIMEOUT_S);
}

static void expect_status(result *r, int status, const char *what)
{
    expect_not_crashed(r);
    cr_assert_eq(r->status, status, "%s: exit %d; stderr:\n%s", what, r->status, r->err);
    result_free(r);
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The section tags of a format 2 or 3 file, in order, as a bit set; their count. */
static unsigned tags_of(const char *path, int *count)
{
    size_t len;
    unsigned char *b = read_file(path, &len);
    unsigned tags = 0;
    *count = (int)le32(b + 12);
    for (size_t at = 24; at + 12 <= len - 4;) {
        uint64_t l = le32(b + at + 4) | (uint64_t)le32(b + at + 8) << 32;
        tags |= 1u << le32(b + at);
        at += 12 + (size_t)l;
    }
    free(b);
    return tags;
}

/* Interrupted at the end of epoch 1 (1 + 1 epochs) and in the middle of
 * epoch 1, then resumed: the uninterrupted run's bytes, the settings and
 * moment2 sections included (the schedule runs over both epochs in every
 * part). */
Test(optim_cli, adam_cosine_warmup_no_bias_decay_resumes_exactly, .fini = remove_temp_dir,
     .timeout = 300)
{
    char dir[256], a[512], b[512], c[512];
    data_dir(dir, sizeof dir);
    snprintf(a, sizeof a, "%s/A.ck", dir);
    snprintf(b, sizeof b, "%s/B.ck", dir);
    snprintf(c, sizeof c, "%s/C.ck", dir);
    result r;
    train(&r, NULL, dir, W(ADAM_ARGS, "--save", a));
    expect_status(&r, 0, "the uninterrupted run");
    static const char *const at[] = {"8", "3"};
    for (int i = 0; i < 2; i++) {
        char what[64];
        snprintf(what, sizeof what, "interrupted after step %s", at[i]);
        remove_tree(b);
        train(&r, at[i], dir, W(ADAM_ARGS, "--save", b));
        expect_status(&r, 130, what);
        train(&r, NULL, dir, W("--resume", b, "--save", c));
        expect_status(&r, 0, what);
        expect_same_file(a, c, what);
    }
    checkpoint ck;
    char err[4400];
    cr_assert_eq(checkpoint_load(a, &ck, err, sizeof err), 0, "%s", err);
    const run_config *m = &ck.meta.cfg;
    cr_assert(m->optimizer == CNN_OPTIM_ADAM && m->lr_schedule == CNN_SCHED_COSINE &&
              m->warmup == 0.5f && m->decay_bias == 0 && m->beta1 == 0.9f &&
              m->beta2 == 0.999f && m->eps == 1e-8f, "the options read back differ");
    cr_assert_not_null(ck.moment2, "no second moments");
    long n = ck.n;
    int nonzero = 0;
    for (long i = 0; i < n; i++) nonzero += ck.moment2[i] > 0;
    cr_assert_gt(nonzero, n / 2, "only %d of %ld second moments above 0", nonzero, n);
    checkpoint_free(&ck);
}

/* Every run writes the same sections, 1, 3, 4, 5, 6 and 10 (network,
 * progress, data, params, momentum, settings: format 3 has no schedule or
 * options section); adam and adamw add section 9 (moment2). The settings
 * section holds every setting a checkpoint keeps, whatever its value: a
 * file's size follows from the spec, the parameter count, the words of its
 * choices and whether it has second moments. */
Test(optim_cli, settings_always_and_moment2_only_for_adam, .fini = remove_temp_dir,
     .timeout = 120)
{
    char dir[256], path[512];
    data_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/m.ck", dir);
    /* sections 1, 3, 4, 5, 6 and 10 */
    const unsigned base = 1u << 1 | 1u << 3 | 1u << 4 | 1u << 5 | 1u << 6 | 1u << 10;
    const long params = 12730; /* fc16,relu,fc10 */
    const size_t moment2 = 12 + 8 + 4 * (size_t)params;
    /* extra: bytes beyond the default file (a choice's word longer than
     * "sgd" or "step", the moment2 section) */
    static const struct { const char *flag, *value; unsigned has; int moment2, words; } runs[] = {
        {"--seed", "1", 0, 0, 0}, /* the default */
        {"--optimizer", "nesterov", 0, 0, 5},
        {"--lr-schedule", "linear", 0, 0, 2},
        {"--decay-bias", "false", 0, 0, 0},
        {"--beta2", "0.99", 0, 0, 0},
        {"--optimizer", "adam", 1u << 9, 1, 1},
        {"--optimizer", "adamw", 1u << 9, 1, 2},
    };
    /* The settings section of a default run: a u32 count, then per setting
     * a u8 name length, the name (the flag), a u8 value type and the value
     * (4 bytes; the seed 8; a text a u32 length and its bytes). */
    static const struct { const char *name; size_t value; } kept[] = {
        {"epochs", 4}, {"batch", 4}, {"lr", 4}, {"lr-step", 4}, {"lr-gamma", 4},
        {"momentum", 4}, {"weight-decay", 4}, {"bn-momentum", 4}, {"bn-eps", 4},
        {"optimizer", 4 + 3}, {"lr-schedule", 4 + 4}, {"warmup", 4}, {"beta1", 4},
        {"beta2", 4}, {"eps", 4}, {"decay-bias", 4}, {"augment", 4 + 4},
        {"data", 4 /* + the folder's name, below */}, {"format", 4 + 3 /* idx: the format found */}, {"labels", 4 + 4},
        {"image-size", 4}, {"channels", 4}, {"skip-bad", 4}, {"seed", 8}, {"val", 4},
    };
    size_t settings = 4 + strlen(dir);
    for (size_t k = 0; k < sizeof kept / sizeof kept[0]; k++)
        settings += 1 + strlen(kept[k].name) + 1 + kept[k].value;
    const size_t spec = strlen(FC_NET);
    const size_t default_len = 24 + (12 + 4 + spec + 24) + (12 + settings) + (12 + 20) +
                               (12 + 12) + 2 * (12 + 8 + 4 * (size_t)params) + 4;
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        result r;
        remove_tree(path);
        train(&r, NULL, dir, W("--net", FC_NET, "--epochs", "1", "--batch", "100",
                               runs[i].flag, runs[i].value, "--save", path));
        expect_status(&r, 0, runs[i].value);
        int count;
        unsigned tags = tags_of(path, &count);
        cr_assert_eq(tags, base | runs[i].has, "%s %s: section tags 0x%x", runs[i].flag,
                     runs[i].value, tags);
        cr_assert_eq(count, __builtin_popcount(tags), "the header's section count");
        size_t len;
        unsigned char *bytes = read_file(path, &len);
        cr_assert_eq(le32(bytes + 8), 3u, "%s %s: format %u written, not 3", runs[i].flag,
                     runs[i].value, le32(bytes + 8));
        free(bytes);
        size_t want = default_len + (size_t)runs[i].words + (runs[i].moment2 ? moment2 : 0);
        cr_assert_eq(len, want, "%s %s: the checkpoint is %zu bytes, not %zu", runs[i].flag,
                     runs[i].value, len, want);
    }
}

/* Each bad value: exit 2 and one line naming the flag. */
Test(optim_cli, bad_flags_are_refused_in_one_line, .fini = remove_temp_dir, .timeout = 120)
{
    char dir[256];
    data_dir(dir, sizeof dir);
    static const struct { const char *const args[6]; const char *want[3]; } bad[] = {
        {{"--optimizer", "rmsprop"}, {"--optimizer", "sgd, nesterov, adam or adamw", "rmsprop"}},
        {{"--lr-schedule", "exp"}, {"--lr-schedule", "step, cosine, linear or onecycle"}},
        {{"--beta1", "1"}, {"--beta1", "[0, 1)"}},
        {{"--beta2", "1.5"}, {"--beta2", "[0, 1)"}},
        {{"--eps", "0"}, {"--eps"}},
        {{"--warmup", "3", "--epochs", "2"}, {"--warmup 3", "2 epochs"}},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *args[8] = {NULL};
        for (int k = 0; k < 6 && bad[i].args[k]; k++) args[k] = bad[i].args[k];
        result r;
        train(&r, NULL, dir, args);
        const char *want[4] = {bad[i].want[0], bad[i].want[1], bad[i].want[2], NULL};
        expect_error(&r, 2, want, bad[i].args[0]);
        result_free(&r);
    }
}

/* The checkpoint keeps the optimizer and schedule: a resume may not change them. */
Test(optim_cli, resume_refuses_optimizer_flags, .fini = remove_temp_dir, .timeout = 120)
{
    char dir[256], path[512];
    data_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/m.ck", dir);
    result r;
    train(&r, NULL, dir, W("--net", FC_NET, "--epochs", "1", "--batch", "100", "--save", path));
    expect_status(&r, 0, "the first run");
    static const char *const flags[][2] = {{"--optimizer", "adam"}, {"--lr-schedule", "cosine"},
                                           {"--warmup", "0.5"}, {"--beta1", "0.8"},
                                           {"--beta2", "0.9"}, {"--eps", "1e-6"},
                                           {"--decay-bias", "false"}};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        train(&r, NULL, dir, W("--resume", path, "--epochs", "2", flags[i][0], flags[i][1]));
        expect_error(&r, 2, W(flags[i][0], "cannot change a resumed run"), flags[i][0]);
        result_free(&r);
    }
}

/* A resume may shorten --epochs, but not below the warmup: the rest of the
 * run would train at lr 0 and its checkpoint could not be written. */
Test(optim_cli, resume_refuses_epochs_below_the_warmup, .fini = remove_temp_dir, .timeout = 120)
{
    char dir[256], path[512];
    data_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/w.ck", dir);
    result r;
    /* 600 samples at batch 100: interrupted at the end of epoch 1 */
    train(&r, "6", dir, W("--net", FC_NET, "--epochs", "4", "--batch", "100", "--warmup", "3",
                          "--lr-schedule", "cosine", "--save", path));
    expect_status(&r, 130, "the interrupted run");
    train(&r, NULL, dir, W("--resume", path, "--epochs", "2"));
    expect_error(&r, 1, W("--epochs 2", "warmup of 3 epochs"), "--epochs below the warmup");
    result_free(&r);
    train(&r, NULL, dir, W("--resume", path, "--epochs", "3"));
    expect_status(&r, 0, "--epochs at the warmup");
}
