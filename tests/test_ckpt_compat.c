/* Checkpoints of the last release that wrote format 2 (tests/fixtures/
 * ckpt-v2, written by 63f546c's binary; its README says how): they load
 * with every setting they hold, evaluate to the loss that binary printed,
 * and resume to the very values its own resume wrote, bit for bit.
 *
 * Bit for bit against that binary's own files holds where this machine
 * computes as the fixtures' did: OpenBLAS picks its matrix kernels by CPU
 * (openblas-core.txt names the one they ran on), and the sanitizers' build
 * is compiled otherwise. Elsewhere the resume must still equal, bit for
 * bit, a resume of the same state written as format 3 (so a format 2 file
 * resumes as any other), the old binary's settings and progress exactly,
 * and its values within rounding for SGD; Adam's normalised steps carry a
 * rounding difference up to the size of a step in a few steps (seen: 2% of
 * a weight after 5 steps in the sanitizers' build), so there only the bits
 * against format 3 are compared. The binary is $CNN_BIN, or build/cnn. */
#include <criterion/criterion.h>

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "hd/optim.h"
#include "hd/schedule.h"
#include "idx_util.h"
#include "run_util.h"

#define FIXTURES "tests/fixtures/ckpt-v2"
#define TEMP_NAME "test_ckpt_compat"

/* The data set the fixtures were trained on (their README). */
static void fixture_data(char *dir, size_t len)
{
    make_temp_dir(TEMP_NAME, dir, len);
    write_block_digits(dir, "train", 600, 101);
    write_block_digits(dir, "t10k", 200, 202);
}

/* Whether this test computes as the machine and build the fixtures were
 * written on (see the top). */
static int same_arithmetic(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return 0;
#else
    size_t len;
    char *core = (char *)read_file(FIXTURES "/openblas-core.txt", &len);
    core[strcspn(core, "\n")] = 0;
    int same = !strcmp(core, openblas_get_corename());
    if (!same)
        cr_log_info("OpenBLAS runs its %s kernels here, the fixtures' ran %s: their values are "
                    "compared within rounding", openblas_get_corename(), core);
    free(core);
    return same;
#endif
}

static void load_ok(const char *path, checkpoint *ck)
{
    char err[4400];
    cr_assert_eq(checkpoint_load(path, ck, err, sizeof err), 0, "%s", err);
}

/* The fixture's settings as that binary's flags set them. */
Test(ckpt_compat, format_2_files_load_with_their_settings)
{
    checkpoint ck;
    load_ok(FIXTURES "/bn-adam-step15.ckpt", &ck);
    const run_config *c = &ck.meta.cfg;
    cr_assert_eq(ck.meta.version, 2);
    cr_assert_str_eq(ck.meta.spec, "conv2k3,bn,relu,maxpool4,dropout0.2,fc10,softmax");
    cr_assert(c->optimizer == CNN_OPTIM_ADAM && c->lr == 0.01f &&
              c->lr_schedule == CNN_SCHED_COSINE && c->warmup == 0.5f && c->beta2 == 0.99f &&
              c->beta1 == 0.9f && c->eps == 1e-8f, "the optimizer's settings");
    cr_assert(c->augment.shift == 1 && c->val_count == 100 && c->decay_bias == 0 &&
              c->bn_momentum == 0.2f && c->bn_eps == 1e-4f, "the options and state sections");
    cr_assert(c->seed == 5 && c->batch == 50 && c->epochs == 2 && c->lr_step == 5 &&
              c->lr_gamma == 0.5f && c->momentum == 1e-4f && c->weight_decay == 2e-4f,
              "the schedule and progress sections");
    cr_assert(ck.meta.epochs_done == 1 && ck.meta.steps_done == 15, "stopped at step 15");
    cr_assert(ck.moment2 && ck.state_count > 0, "second moments and running statistics");
    checkpoint_free(&ck);

    load_ok(FIXTURES "/seed-cnn-epoch1.ckpt", &ck);
    c = &ck.meta.cfg;
    cr_assert(c->optimizer == CNN_OPTIM_SGD && c->lr == 0.1f && c->seed == 3 &&
              c->augment.shift == 0 && c->val_count == 0 && c->decay_bias == 1,
              "a file without an options section holds the defaults");
    cr_assert(!ck.moment2 && ck.state_count == 0);
    checkpoint_free(&ck);
}

/* How two checkpoints' values must agree. */
enum { SAME_BITS, WITHIN_ROUNDING, VALUES_NOT_COMPARED };

/* n values of a and b: the same bits, or within rounding. */
static void expect_values(const float *a, const float *b, long n, int how, const char *what)
{
    if (how == VALUES_NOT_COMPARED) return;
    if (how == SAME_BITS) {
        cr_assert_eq(memcmp(a, b, sizeof(float) * n), 0, "%s differ", what);
        return;
    }
    for (long i = 0; i < n; i++)
        cr_assert(fabsf(a[i] - b[i]) <= 1e-4f + 1e-3f * fabsf(b[i]), "%s %ld: %.9g against %.9g",
                  what, i, a[i], b[i]);
}

/* The same settings, network, progress and data; the values as `how` says. */
static void expect_same_checkpoint(const checkpoint *a, const checkpoint *b, int how,
                                   const char *what)
{
    const checkpoint_meta *x = &a->meta, *y = &b->meta;
    /* (the run's --data is the test's folder, and the format found is kept:
     * the old binary kept no data rows) */
    run_config xc = x->cfg;
    xc.data = y->cfg.data;
    xc.format = y->cfg.format;
    const setting_def *d = settings_differ(&xc, &y->cfg, SET_KEPT);
    cr_assert_null(d, "%s: --%s differs", what, d ? d->flag : "");
    cr_assert_str_eq(x->spec, y->spec, "%s", what);
    cr_assert(x->epochs_done == y->epochs_done && x->steps_done == y->steps_done &&
              x->rng_state == y->rng_state, "%s: the progress", what);
    cr_assert(!memcmp(&x->norm.scale[0], &y->norm.scale[0], 4) &&
              !memcmp(&x->norm.shift[0], &y->norm.shift[0], 4), "%s: the input scaling", what);
    cr_assert(x->train_count == y->train_count && x->labels_crc == y->labels_crc, "%s", what);
    cr_assert_eq(a->n, b->n, "%s", what);
    char part[300];
    snprintf(part, sizeof part, "%s: params", what);
    expect_values(a->params, b->params, a->n, how, part);
    snprintf(part, sizeof part, "%s: momentum", what);
    expect_values(a->momentum, b->momentum, a->n, how, part);
    cr_assert_eq(!a->moment2, !b->moment2, "%s", what);
    snprintf(part, sizeof part, "%s: second moments", what);
    if (a->moment2) expect_values(a->moment2, b->moment2, a->n, how, part);
    cr_assert_eq(a->state_count, b->state_count, "%s", what);
    snprintf(part, sizeof part, "%s: running statistics", what);
    if (a->state_count) expect_values(a->state, b->state, a->state_count, how, part);
}

/* The JSON fields the two binaries printed: the same text, or (strings
 * aside) the same numbers within rounding, or the numbers not compared. */
static void expect_same_fields(const char *json, const char *want_json, const char *const *keys,
                               int how, const char *what)
{
    for (const char *const *k = keys; *k; k++) {
        char got[128], want[128];
        cr_assert_eq(json_field(json, *k, got, sizeof got), 0, "%s: no %s in %s", what, *k, json);
        cr_assert_eq(json_field(want_json, *k, want, sizeof want), 0, "%s", *k);
        if (how == SAME_BITS || want[0] == '"')
            cr_assert_str_eq(got, want, "%s: %s", what, *k);
        else if (how == WITHIN_ROUNDING)
            cr_assert(fabs(strtod(got, NULL) - strtod(want, NULL)) <=
                          1e-4 + 1e-3 * fabs(strtod(want, NULL)),
                      "%s: %s %s against %s", what, *k, got, want);
    }
}

static char *fixture_text(const char *name)
{
    char path[256];
    size_t len;
    snprintf(path, sizeof path, FIXTURES "/%s", name);
    char *t = (char *)read_file(path, &len);
    t[strcspn(t, "\n")] = 0;
    return t;
}

/* cnn train --resume from, saving to save; its last line into json. */
static void resume(const char *from, const char *dir, const char *save, char *json, size_t len)
{
    result r;
    run_cnn(CNN_ARGV("train", "--resume", from, "--log", "", "--quiet", "--device", "cpu",
                     "--data", dir, "--save", save), 120, &r);
    cr_assert_eq(r.status, 0, "resuming %s: exit %d: %s", from, r.status, r.err);
    json_of(&r, json, len);
    result_free(&r);
}

/* Resumes fixture `name` (<name>-<stop>.ckpt) with this binary: the
 * checkpoint and the last line equal what the old binary's resume wrote,
 * and what a resume of the same state written as format 3 writes. */
static void expect_resume_as_before(const char *name, const char *stop)
{
    char dir[256], from[256], want_path[256], json[8192], json3[8192], name_json[64], err[4400];
    int adam = !strcmp(name, "bn-adam");
    int how = same_arithmetic() ? SAME_BITS : adam ? VALUES_NOT_COMPARED : WITHIN_ROUNDING;
    fixture_data(dir, sizeof dir);
    snprintf(from, sizeof from, FIXTURES "/%s-%s.ckpt", name, stop);
    snprintf(want_path, sizeof want_path, FIXTURES "/%s-resumed.ckpt", name);
    snprintf(name_json, sizeof name_json, "%s-resumed.json", name);
    resume(from, dir, tmp_path("resumed.ckpt"), json, sizeof json);
    char *want_json = fixture_text(name_json);
    static const char *const keys[] = {"spec", "epochs", "batch", "seed", "train_loss",
                                       "train_acc", "test_loss", "test_acc", NULL};
    expect_same_fields(json, want_json, keys, how, from);
    free(want_json);
    checkpoint got, want, state;
    load_ok(tmp_path("resumed.ckpt"), &got);
    load_ok(want_path, &want);
    cr_assert_eq(got.meta.version, CHECKPOINT_VERSION, "the resumed run writes format 3");
    expect_same_checkpoint(&got, &want, how, from);
    /* the fixture's state as format 3, resumed on this machine: the same bits */
    load_ok(from, &state);
    cr_assert_eq(checkpoint_save(tmp_path("state3.ckpt"), &state, err, sizeof err), 0, "%s", err);
    resume(tmp_path("state3.ckpt"), dir, tmp_path("resumed3.ckpt"), json3, sizeof json3);
    checkpoint got3;
    load_ok(tmp_path("resumed3.ckpt"), &got3);
    expect_same_checkpoint(&got, &got3, SAME_BITS, "a format 2 resume against a format 3 one");
    expect_same_fields(json, json3, keys, SAME_BITS, "a format 2 resume against a format 3 one");
    checkpoint_free(&got);
    checkpoint_free(&want);
    checkpoint_free(&state);
    checkpoint_free(&got3);
}

Test(ckpt_compat, sgd_resumes_as_the_old_binary_did, .fini = remove_temp_dir, .timeout = 120)
{
    expect_resume_as_before("seed-cnn", "epoch1");
}

Test(ckpt_compat, adam_bn_mid_epoch_resumes_as_the_old_binary_did, .fini = remove_temp_dir,
     .timeout = 120)
{
    expect_resume_as_before("bn-adam", "step15");
}

/* eval of each fixture prints the loss and accuracy the old binary did. */
Test(ckpt_compat, format_2_files_evaluate_as_before, .fini = remove_temp_dir, .timeout = 120)
{
    static const char *const names[] = {"seed-cnn-epoch1", "bn-adam-step15"};
    char dir[256], json[8192];
    fixture_data(dir, sizeof dir);
    for (int i = 0; i < 2; i++) {
        char model[256], eval_json[64];
        snprintf(model, sizeof model, FIXTURES "/%s.ckpt", names[i]);
        snprintf(eval_json, sizeof eval_json, "%s.eval.json", names[i]);
        result r;
        run_cnn(CNN_ARGV("eval", "--model", model, "--data", dir, "--device", "cpu"), 60, &r);
        cr_assert_eq(r.status, 0, "eval %s: %s", model, r.err);
        json_of(&r, json, sizeof json);
        char *want = fixture_text(eval_json);
        static const char *const keys[] = {"spec", "test_loss", "test_acc", "eval_batch", NULL};
        expect_same_fields(json, want, keys, same_arithmetic() ? SAME_BITS : WITHIN_ROUNDING,
                           model);
        free(want);
        result_free(&r);
    }
}
