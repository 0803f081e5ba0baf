/* Hostile checkpoints: each case breaks one good checkpoint, as a table (see
 * hostile_util.h). The good ones are a format 3 checkpoint trained by the
 * binary, and a format 2 one of the last release that wrote it
 * (tests/fixtures/ckpt-v2/bn-adam-step15.ckpt), broken at format 2's
 * offsets so that the format 2 reader keeps every case. The bytes are read
 * and patched by tests/ckpt_bytes.c. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckpt_bytes.h"
#include "hostile_util.h"
#include "idx_util.h"
#include "net.h"

#define good_data hostile_good_data
#define trained hostile_trained

static void fix_crc_and_write(const char *path, unsigned char *b, size_t len)
{
    cb_fix_crc(b, len);
    write_file(path, b, len);
    free(b);
}

/* Checkpoints: one good one, made by training, then broken. */
static void patch_model(const char *d, size_t at, unsigned char value, int fix_crc, long cut)
{
    trained(d);
    char path[512];
    snprintf(path, sizeof path, "%s/m.ckpt", d);
    size_t len;
    unsigned char *b = read_file(path, &len);
    if (at < len) b[at] = value;
    if (fix_crc) cb_fix_crc(b, len);
    write_file(path, b, cut >= 0 ? (size_t)cut : len);
    free(b);
}

/* The trained model's bytes, for a setup to change and write back. */
static unsigned char *model_bytes(const char *d, char *path, size_t pathlen, size_t *len)
{
    trained(d);
    snprintf(path, pathlen, "%s/m.ckpt", d);
    return read_file(path, len);
}

/* 4 bytes at offset `at` of section tag set to v, the CRC fixed. */
static void patch_section(const char *d, uint32_t tag, size_t at, uint32_t v)
{
    char path[512];
    size_t len;
    unsigned char *b = model_bytes(d, path, sizeof path, &len);
    cb_set_le32(b + cb_section_at(b, len, tag, NULL) + at, v);
    fix_crc_and_write(path, b, len);
}

/* The settings entry called name replaced by e (a value of another size
 * moves what follows), the section's and the file's lengths and the CRC
 * fixed. */
static void patch_setting(const char *d, const char *name, cb_entry e)
{
    trained(d);
    char path[512];
    snprintf(path, sizeof path, "%s/m.ckpt", d);
    cb_patch_setting(path, name, e);
}

/* A model with bn (fc8,bn,relu,fc10): its state section holds a u64 count
 * (16) and 8 running means then 8 variances; the value at `at` bytes into
 * the section set to v, the CRC fixed. */
static void patch_bn_state(const char *d, size_t at, uint32_t v)
{
    hostile_trained_net(d, "fc8,bn,relu,fc10,softmax");
    char path[512];
    snprintf(path, sizeof path, "%s/m.ckpt", d);
    size_t len;
    unsigned char *b = read_file(path, &len);
    cb_set_le32(b + cb_section_at(b, len, CB_STATE, NULL) + at, v);
    fix_crc_and_write(path, b, len);
}
static void ckpt_bn_negative_variance(const char *d) { patch_bn_state(d, 8 + 4 * 8, 0xBF800000u); }
static void ckpt_bn_nan_mean(const char *d) { patch_bn_state(d, 8 + 4 * 2, 0x7FC00000u); }
/* bn's epsilon is a setting in format 3 */
static void ckpt_bn_eps_zero(const char *d)
{
    hostile_trained_net(d, "fc8,bn,relu,fc10,softmax");
    char path[512];
    snprintf(path, sizeof path, "%s/m.ckpt", d);
    cb_patch_setting(path, "bn-eps", cb_float32("bn-eps", 0));
}

static void ckpt_bad_magic(const char *d) { patch_model(d, 0, 'X', 0, -1); }
static void ckpt_newer(const char *d) { patch_model(d, 8, 4, 1, -1); }
static void ckpt_crc(const char *d) { patch_model(d, 300, 0x77, 0, -1); }
static void ckpt_truncated(const char *d) { patch_model(d, 0, 'C', 0, 100); }
static void ckpt_empty(const char *d) { patch_model(d, 0, 'C', 0, 0); }
/* batch (its settings entry, an int32) set to 0, CRC fixed: a division by
 * zero if trusted */
static void ckpt_batch0(const char *d) { patch_setting(d, "batch", cb_int32("batch", 0)); }
/* 2^31 - 1: (count + batch - 1) overflows an int if trusted */
static void ckpt_huge_batch(const char *d)
{
    patch_setting(d, "batch", cb_int32("batch", 0x7FFFFFFFu));
}
/* fc8,relu,fc10: layer 3's weights start after layer 1's 6272 + 8 values;
 * the values follow the section's u64 count */
static void ckpt_nan_weight(const char *d) { patch_section(d, 5, 8 + 4 * (6280 + 3), 0x7FC00000u); }
static void ckpt_inf_momentum(const char *d) { patch_section(d, 6, 8 + 4 * 6274, 0x7F800000u); }
/* the version byte flipped (3 to 4), the CRC left: damage, not a newer cnn */
static void ckpt_version_flip(const char *d) { patch_model(d, 8, 4, 0, -1); }
/* the data section's length runs 1 MB past the end, CRC fixed */
static void ckpt_section_past_end(const char *d)
{
    char path[512];
    size_t len;
    unsigned char *b = model_bytes(d, path, sizeof path, &len);
    cb_set_le64(b + cb_section_at(b, len, CB_DATA, NULL) - 8, 1u << 20);
    fix_crc_and_write(path, b, len);
}
/* the header's file length 1000 bytes more than the file */
static void ckpt_longer_header(const char *d)
{
    char path[512];
    size_t len;
    unsigned char *b = model_bytes(d, path, sizeof path, &len);
    cb_set_le64(b + 16, (uint64_t)len + 1000);
    fix_crc_and_write(path, b, len);
}

/* The model at path with its sections rearranged: the section tagged `drop`
 * left out (0: none), the one tagged `twice` written twice (0: none), then 5
 * bytes of a section tagged extra_tag appended (0: none). Header count,
 * length and CRC are right. */
static void rearrange(const char *path, uint32_t drop, uint32_t twice, uint32_t extra_tag)
{
    size_t len, out_len;
    unsigned char *b = read_file(path, &len);
    unsigned char *out = cb_rearranged(b, len, drop, twice, extra_tag, "extra", 5, &out_len);
    write_file(path, out, out_len);
    free(out);
    free(b);
}
static void rebuild_model(const char *d, uint32_t drop, uint32_t twice, uint32_t extra_tag)
{
    trained(d);
    char path[512];
    snprintf(path, sizeof path, "%s/m.ckpt", d);
    rearrange(path, drop, twice, extra_tag);
}
static void ckpt_unknown_required(const char *d) { rebuild_model(d, 0, 0, 0x42); }
static void ckpt_duplicated(const char *d) { rebuild_model(d, 0, 4, 0); }
static void ckpt_missing(const char *d) { rebuild_model(d, 6, 0, 0); }
/* format 3 without its settings, or with format 2's schedule or options */
static void ckpt_no_settings(const char *d) { rebuild_model(d, CB_SETTINGS, 0, 0); }
static void ckpt_schedule_in_3(const char *d) { rebuild_model(d, 0, 0, CB_SCHEDULE); }
static void ckpt_options_in_3(const char *d) { rebuild_model(d, 0, 0, CB_OPTIONS); }
/* the settings entries broken: a name no cnn knows, one twice, a wrong type */
static void ckpt_unknown_setting(const char *d)
{
    patch_setting(d, "lr", cb_float32("learning-rate", 0.1f));
}
static void ckpt_setting_twice(const char *d) { patch_setting(d, "lr", cb_int32("batch", 20)); }
static void ckpt_setting_wrong_type(const char *d) { patch_setting(d, "lr", cb_int32("lr", 1)); }

/* A model trained by adam (fc8,relu,fc10, 6370 parameters): its settings
 * section says "adam"; its moment2 section (9) holds a u64 count and the
 * values. */
static unsigned char *adam_bytes(const char *d, char *path, size_t pathlen, size_t *len)
{
    good_data(d);
    snprintf(path, pathlen, "%s/m.ckpt", d);
    result r;
    run_cnn(CNN_ARGV("train", "--data", d, "--device", "cpu", "--net", "fc8,relu,fc10,softmax",
                     "--epochs", "1", "--batch", "20", "--log", "", "--optimizer", "adam",
                     "--save", path),
            HOSTILE_TIMEOUT_S, &r);
    cr_assert(r.exited && r.status == 0, "training the adam model failed: %s", r.err);
    result_free(&r);
    return read_file(path, len);
}

/* 4 bytes at `at` of the adam model's section tag set to v, the CRC fixed. */
static void patch_adam(const char *d, uint32_t tag, size_t at, uint32_t v)
{
    char path[512];
    size_t len;
    unsigned char *b = adam_bytes(d, path, sizeof path, &len);
    cb_set_le32(b + cb_section_at(b, len, tag, NULL) + at, v);
    fix_crc_and_write(path, b, len);
}

/* The adam model's settings entry `name` replaced by e. */
static void patch_adam_setting(const char *d, const char *name, cb_entry e)
{
    char path[512];
    size_t len;
    free(adam_bytes(d, path, sizeof path, &len));
    cb_patch_setting(path, name, e);
}
static void ckpt_adam_sgd_with_moment2(const char *d)
{
    patch_adam_setting(d, "optimizer", cb_text("optimizer", "sgd"));
}
/* format 2's optimizer 7: in format 3, a word no optimizer has */
static void ckpt_adam_optimizer_7(const char *d)
{
    patch_adam_setting(d, "optimizer", cb_text("optimizer", "adamax"));
}
static void ckpt_adam_beta1_1(const char *d) { patch_adam_setting(d, "beta1", cb_float32("beta1", 1)); }
static void ckpt_adam_eps_0(const char *d) { patch_adam_setting(d, "eps", cb_float32("eps", 0)); }
static void ckpt_adam_decay_bias_2(const char *d)
{
    patch_adam_setting(d, "decay-bias", cb_int32("decay-bias", 2));
}
/* format 2's schedule 4 (one past onecycle): an unknown word */
static void ckpt_adam_schedule_4(const char *d)
{
    patch_adam_setting(d, "lr-schedule", cb_text("lr-schedule", "exponential"));
}
static void ckpt_adam_warmup_5(const char *d) { patch_adam_setting(d, "warmup", cb_float32("warmup", 5)); }
/* --augment's limits: shift 9 pixels, scale 0.75 */
static void ckpt_adam_shift_9(const char *d)
{
    patch_adam_setting(d, "augment", cb_text("augment", "shift:9"));
}
static void ckpt_adam_scale_075(const char *d)
{
    patch_adam_setting(d, "augment", cb_text("augment", "affine:0,0.75"));
}
/* second moments of layer 1's weight 5: -1, NaN; the count 5 */
static void ckpt_adam_negative_moment2(const char *d) { patch_adam(d, 9, 8 + 4 * 5, 0xBF800000u); }
static void ckpt_adam_nan_moment2(const char *d) { patch_adam(d, 9, 8 + 4 * 5, 0x7FC00000u); }
static void ckpt_adam_moment2_count(const char *d) { patch_adam(d, 9, 0, 5); }

/* The adam model without its moment2 section (header count, length and CRC
 * right). */
static void ckpt_adam_no_moment2(const char *d)
{
    char path[512];
    size_t len;
    free(adam_bytes(d, path, sizeof path, &len));
    rearrange(path, CB_MOMENT2, 0, 0);
}

/* ---- format 2: tests/fixtures/ckpt-v2/bn-adam-step15.ckpt ----
 *
 * conv2k3,bn,relu,maxpool4,dropout0.2,fc10,softmax on 1x28x28, trained by
 * adam with --val 100 on the data set its README names, stopped at step 15
 * of epoch 2 (of 2). 1014 parameters: conv2k3's 18 weights and 2 biases,
 * bn's 2 scales and 2 shifts, fc10's 980 weights (from 24) and 10 biases.
 * Its sections: network, schedule (lr, lr_gamma, momentum, weight_decay
 * f32; lr_step, batch at 20, epochs u32), progress, data, params, momentum,
 * state (bn's eps and momentum f32, a u64 count 4, the means of channels 0
 * and 1, then their variances), options (optimizer u32 at 0, beta1, beta2,
 * eps f32 at 4, 8, 12, decay_bias u32 at 16, schedule u32 at 20, warmup f32
 * at 24, shift u32 at 28, rotation f32 at 32, scale f32 at 36, --val u32 at
 * 40) and moment2. */

/* The fixture at <d>/m.ckpt, beside the data set it was trained on (so
 * that a resume fails for the case's reason alone); its bytes. */
static unsigned char *v2_bytes(const char *d, char *path, size_t pathlen, size_t *len)
{
    mkdir(d, 0777);
    write_block_digits(d, "train", 600, 101);
    write_block_digits(d, "t10k", 200, 202);
    unsigned char *b = read_file(cb_fixture("bn-adam-step15.ckpt"), len);
    cr_assert_eq(cb_le32(b + 8), 2u, "the fixture is not format 2");
    snprintf(path, pathlen, "%s/m.ckpt", d);
    write_file(path, b, *len);
    return b;
}
static void v2_good(const char *d)
{
    char path[512];
    size_t len;
    free(v2_bytes(d, path, sizeof path, &len));
}

/* byte `at` of the fixture set to value; the CRC fixed or not; cut to `cut`
 * bytes (-1: not cut) */
static void v2_patch_byte(const char *d, size_t at, unsigned char value, int fix_crc, long cut)
{
    char path[512];
    size_t len;
    unsigned char *b = v2_bytes(d, path, sizeof path, &len);
    if (at < len) b[at] = value;
    if (fix_crc) cb_fix_crc(b, len);
    write_file(path, b, cut >= 0 ? (size_t)cut : len);
    free(b);
}
/* 4 bytes at `at` of its section tag set to v, the CRC fixed */
static void v2_patch(const char *d, uint32_t tag, size_t at, uint32_t v)
{
    char path[512];
    size_t len;
    unsigned char *b = v2_bytes(d, path, sizeof path, &len);
    cb_set_le32(b + cb_section_at(b, len, tag, NULL) + at, v);
    fix_crc_and_write(path, b, len);
}
static void v2_rearranged(const char *d, uint32_t drop, uint32_t twice, uint32_t extra_tag)
{
    char path[512];
    size_t len;
    free(v2_bytes(d, path, sizeof path, &len));
    rearrange(path, drop, twice, extra_tag);
}
static void v2_bad_magic(const char *d) { v2_patch_byte(d, 0, 'X', 0, -1); }
static void v2_newer(const char *d) { v2_patch_byte(d, 8, 4, 1, -1); }
/* format 2's sections under version 3, the CRC fixed: read as format 3 */
static void v2_as_version_3(const char *d) { v2_patch_byte(d, 8, 3, 1, -1); }
static void v2_crc(const char *d) { v2_patch_byte(d, 300, 0x77, 0, -1); }
static void v2_truncated(const char *d) { v2_patch_byte(d, 0, 'C', 0, 100); }
static void v2_version_flip(const char *d) { v2_patch_byte(d, 8, 3, 0, -1); }
static void v2_batch0(const char *d) { v2_patch(d, CB_SCHEDULE, 20, 0); }
static void v2_huge_batch(const char *d) { v2_patch(d, CB_SCHEDULE, 20, 0x7FFFFFFFu); }
/* fc10's weight 3 (parameter 27); conv2k3's bias 1 (parameter 19) */
static void v2_nan_weight(const char *d) { v2_patch(d, CB_PARAMS, 8 + 4 * 27, 0x7FC00000u); }
static void v2_inf_momentum(const char *d) { v2_patch(d, CB_MOMENTUM, 8 + 4 * 19, 0x7F800000u); }
static void v2_section_past_end(const char *d)
{
    char path[512];
    size_t len;
    unsigned char *b = v2_bytes(d, path, sizeof path, &len);
    cb_set_le64(b + cb_section_at(b, len, CB_DATA, NULL) - 8, 1u << 20);
    fix_crc_and_write(path, b, len);
}
static void v2_longer_header(const char *d)
{
    char path[512];
    size_t len;
    unsigned char *b = v2_bytes(d, path, sizeof path, &len);
    cb_set_le64(b + 16, (uint64_t)len + 1000);
    fix_crc_and_write(path, b, len);
}
static void v2_unknown_required(const char *d) { v2_rearranged(d, 0, 0, 0x42); }
static void v2_duplicated(const char *d) { v2_rearranged(d, 0, CB_DATA, 0); }
static void v2_missing(const char *d) { v2_rearranged(d, CB_MOMENTUM, 0, 0); }
static void v2_no_schedule(const char *d) { v2_rearranged(d, CB_SCHEDULE, 0, 0); }
static void v2_settings_in_2(const char *d) { v2_rearranged(d, 0, 0, CB_SETTINGS); }
/* the state section: the variance of channel 0 (value 2) -1; the mean of
 * channel 1 (value 1) NaN; bn's epsilon 0 */
static void v2_bn_negative_variance(const char *d) { v2_patch(d, CB_STATE, 16 + 4 * 2, 0xBF800000u); }
static void v2_bn_nan_mean(const char *d) { v2_patch(d, CB_STATE, 16 + 4 * 1, 0x7FC00000u); }
static void v2_bn_eps_zero(const char *d) { v2_patch(d, CB_STATE, 0, 0); }
static void v2_no_moment2(const char *d) { v2_rearranged(d, CB_MOMENT2, 0, 0); }
static void v2_sgd_with_moment2(const char *d) { v2_patch(d, CB_OPTIONS, 0, 0); }
static void v2_optimizer_7(const char *d) { v2_patch(d, CB_OPTIONS, 0, 7); }
static void v2_beta1_1(const char *d) { v2_patch(d, CB_OPTIONS, 4, 0x3F800000u); }
static void v2_eps_0(const char *d) { v2_patch(d, CB_OPTIONS, 12, 0); }
static void v2_decay_bias_2(const char *d) { v2_patch(d, CB_OPTIONS, 16, 2); }
static void v2_schedule_4(const char *d) { v2_patch(d, CB_OPTIONS, 20, 4); }
static void v2_warmup_5(const char *d) { v2_patch(d, CB_OPTIONS, 24, 0x40A00000u); }
static void v2_shift_9(const char *d) { v2_patch(d, CB_OPTIONS, 28, 9); }
static void v2_scale_075(const char *d) { v2_patch(d, CB_OPTIONS, 36, 0x3F400000u); }
/* conv2k3's weight 5: -1, NaN; the count 5 */
static void v2_negative_moment2(const char *d) { v2_patch(d, CB_MOMENT2, 8 + 4 * 5, 0xBF800000u); }
static void v2_nan_moment2(const char *d) { v2_patch(d, CB_MOMENT2, 8 + 4 * 5, 0x7FC00000u); }
static void v2_moment2_count(const char *d) { v2_patch(d, CB_MOMENT2, 0, 5); }
/* the fixture beside another data set: the same count, other labels */
static void v2_other_labels(const char *d)
{
    v2_good(d);
    write_block_digits(d, "train", 600, 999);
}

static void make_fifo(const char *d, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", d, name);
    cr_assert_eq(mkfifo(path, 0600), 0, "mkfifo %s", path);
}
static void ckpt_fifo(const char *d) { good_data(d); make_fifo(d, "m.ckpt"); }

/* 100 MB of nothing (a sparse file) where the checkpoint belongs */
static void ckpt_100mb(const char *d)
{
    good_data(d);
    char path[512];
    snprintf(path, sizeof path, "%s/m.ckpt", d);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(ftruncate(fileno(f), 100L << 20), 0);
    fclose(f);
}

/* The model, and the training labels changed (the same count): another data set. */
static void other_labels(const char *d)
{
    trained(d);
    enum { N = HOSTILE_N_TRAIN };
    unsigned char images[N * 784], labels[N];
    for (int i = 0; i < N; i++) {
        labels[i] = (unsigned char)((i + 3) % 10);
        for (int p = 0; p < 784; p++) images[i * 784 + p] = (unsigned char)((p * 7 + i * 13) % 256);
    }
    write_idx_split(d, "train", N, images, labels);
}

/* The model with a NaN weight, and a 28x28 PGM to predict. */
static void nan_weight_and_image(const char *d)
{
    ckpt_nan_weight(d);
    char path[512], pgm[15 + 784] = "P5\n28 28\n255\n";
    snprintf(path, sizeof path, "%s/digit.pgm", d);
    memset(pgm + 13, 200, 784);
    write_file(path, pgm, 13 + 784);
}

/* after: a refusal that must not blame a newer cnn */
static void not_newer(const char *dir, const result *r)
{
    (void)dir;
    cr_expect_null(strstr(r->err, "newer"), "damage was called a newer version: %s", r->err);
}

/* ---- runs whose checkpoints must be saved, or must not be ---- */

/* after: no file at <dir>/name */
static void expect_absent(const char *dir, const char *name)
{
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    cr_expect_neq(lstat(path, &st), 0, "%s was written", path);
}
static void no_lr_ckpt(const char *dir, const result *r)
{
    (void)r;
    expect_absent(dir, "lr.ckpt");
}

/* <dir>/name loads as a checkpoint of epochs_done epochs and `steps` steps. */
static void expect_loads(const char *dir, const char *name, int epochs_done, long steps)
{
    char path[512], err[4400];
    checkpoint ck;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    cr_assert_eq(checkpoint_load(path, &ck, err, sizeof err), 0, "%s does not load: %s", path,
                 err);
    if (epochs_done >= 0) cr_expect_eq(ck.meta.epochs_done, epochs_done, "%s", path);
    if (steps >= 0) cr_expect_eq((long)ck.meta.steps_done, steps, "%s", path);
    checkpoint_free(&ck);
}

/* The trained model (fc8,relu,fc10: fc8's 6272 weights and 8 biases, then
 * fc10's 80 and 10) with finite values under a good CRC whose outputs
 * overflow: fc8's weights 0 and biases FLT_MAX, fc10's weights FLT_MAX, so
 * that every score is FLT_MAX x FLT_MAX = inf (and softmax's NaN). */
static void overflow_weights(const char *d)
{
    char path[512];
    size_t len, slen;
    unsigned char *b = model_bytes(d, path, sizeof path, &len);
    size_t at = cb_section_at(b, len, CB_PARAMS, &slen);
    cr_assert_eq(slen, 8 + 4 * 6370u, "not fc8,relu,fc10's parameters");
    for (size_t i = 0; i < 6370; i++)
        cb_set_le32(b + at + 8 + 4 * i, (i >= 6272 && i < 6360) ? 0x7F7FFFFFu : 0);
    fix_crc_and_write(path, b, len);
}
static void overflow_and_image(const char *d)
{
    overflow_weights(d);
    char path[512], pgm[15 + 784] = "P5\n28 28\n255\n";
    snprintf(path, sizeof path, "%s/digit.pgm", d);
    memset(pgm + 13, 200, 784);
    write_file(path, pgm, 13 + 784);
}
/* after: nothing that looks like a prediction on stdout */
static void no_prediction(const char *dir, const result *r)
{
    (void)dir;
    cr_expect_null(strstr(r->out, "predicted"), "a prediction was printed:\n%s", r->out);
}

/* after: the checkpoint resumed from, whose own weights overflow, is not
 * called good, and nothing was saved from the run */
static void no_good_checkpoint_claimed(const char *dir, const result *r)
{
    char path[512];
    cr_expect_null(strstr(r->err, "last good checkpoint"), "%s", r->err);
    snprintf(path, sizeof path, "%s/out.ckpt", dir);
    cr_expect_neq(access(path, F_OK), 0, "%s was written", path);
}

/* The trained model (3 steps an epoch of 60 samples at batch 20) as format 1,
 * its steps done 7, as a run on 140 samples would have left them. */
static void v1_other_count(const char *d)
{
    char path[512], err[4400];
    trained(d);
    snprintf(path, sizeof path, "%s/m.ckpt", d);
    checkpoint ck;
    cr_assert_eq(checkpoint_load(path, &ck, err, sizeof err), 0, "%s", err);
    ck.meta.steps_done = 7;
    size_t len;
    unsigned char *b = cb_v1_bytes(&ck, &len);
    write_file(path, b, len);
    free(b);
    checkpoint_free(&ck);
}
/* after: the resumed run's checkpoint, epoch 2 from step 3: 6 steps */
static void v1_saved(const char *dir, const result *r)
{
    (void)r;
    expect_loads(dir, "out.ckpt", 2, 6);
}

/* A file size limit of 64 KiB for this test's process and the cnn it
 * starts (Criterion runs each test in a process of its own), SIGXFSZ
 * ignored: the log, already 100 bytes short of it, cannot grow (EFBIG, as a
 * full disk's ENOSPC), while a checkpoint of fc8,relu,fc10 (51 KB) still
 * fits on the same "disk". */
#define LOG_LIMIT 65536
static void log_near_full(const char *d)
{
    good_data(d);
    char path[512];
    snprintf(path, sizeof path, "%s/log.csv", d);
    static char log[LOG_LIMIT];
    const char *header = "kind,epoch,step,loss,acc,lr,seconds\n";
    size_t n = strlen(header);
    memcpy(log, header, n);
    while (n + 27 < LOG_LIMIT - 100) n += (size_t)sprintf(log + n, "train,1,1,2.302585,10.0,0.1,0\n");
    write_file(path, log, n);
    struct rlimit lim;
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &lim), 0);
    lim.rlim_cur = LOG_LIMIT;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    signal(SIGXFSZ, SIG_IGN);
}
static void log_full_saved(const char *dir, const result *r)
{
    cr_expect_not_null(strstr(r->err, "; continue with: cnn train --resume "), "%s", r->err);
    expect_loads(dir, "k.ckpt", -1, -1);
}

/* The trained model with its batch 2^24 (and its steps done 1, one step an
 * epoch at that batch): fc8's input would hold 784 x 2^24 values, past the
 * 2^31 the kernels index. */
static void ckpt_batch_too_large(const char *d)
{
    char path[512];
    size_t len, out_len;
    unsigned char *b = model_bytes(d, path, sizeof path, &len);
    cb_set_le64(b + cb_section_at(b, len, CB_PROGRESS, NULL) + 4, 1);
    unsigned char *c = cb_with_setting(b, len, "batch", cb_int32("batch", 1u << 24), &out_len);
    write_file(path, c, out_len);
    free(c);
    free(b);
}
/* after: the advice works: the batch it names is the largest the net holds,
 * and a new run (no --resume) with a batch within it trains */
static void batch_advice_works(const char *dir, const result *r)
{
    const char *at = strstr(r->err, "start a new run with --batch ");
    cr_assert_not_null(at, "no advice: %s", r->err);
    int most = atoi(at + strlen("start a new run with --batch "));
    net_spec spec;
    net_size fit;
    char err[512];
    shape3 in = {1, 28, 28};
    cr_assert_eq(net_spec_parse("fc8,relu,fc10,softmax", in, 10, &spec, err, sizeof err), 0);
    cr_expect_eq(net_size_check(&spec, most, &fit), 0, "--batch %d does not fit", most);
    cr_expect_neq(net_size_check(&spec, most + 1, &fit), 0, "--batch %d fits too", most + 1);
    result run;
    run_cnn(CNN_ARGV("train", "--data", dir, "--device", "cpu", "--net", "fc8,relu,fc10,softmax",
                     "--epochs", "1", "--batch", "60", "--log", ""),
            HOSTILE_TIMEOUT_S, &run);
    cr_expect(run.exited && run.status == 0, "the advised new run failed: %s", run.err);
    result_free(&run);
}

static void ckpt_folder(const char *d)
{
    good_data(d);
    char path[512];
    snprintf(path, sizeof path, "%s/m.ckpt", d);
    mkdir(path, 0777);
}

#define EVAL_M "eval", "--data", "@", "--device", "cpu", "--model", "@/m.ckpt"
#define RESUME_M "train", "--data", "@", "--device", "cpu", "--log", "", "--resume", "@/m.ckpt"
/* one step an epoch (60 samples at --batch 60) at a rate that blows the weights up */
#define TRAIN_LR30 "train", "--data", "@", "--batch", "60", "--lr", "1e30", "--log", "", \
    "--save", "@/lr.ckpt"

static const hostile CASES[] = {
    {"checkpoint: bad magic", ckpt_bad_magic, {EVAL_M}, 1, {"not a cnn checkpoint"}, NULL},
    {"checkpoint: newer version", ckpt_newer, {EVAL_M}, 1, {"version 4", "newer"}, NULL},
    {"checkpoint: CRC mismatch", ckpt_crc, {EVAL_M}, 1, {"corrupt", "CRC"}, not_newer},
    {"checkpoint: cut short", ckpt_truncated, {EVAL_M}, 1, {"cut short"}, NULL},
    {"checkpoint: empty", ckpt_empty, {EVAL_M}, 1, {"not a cnn checkpoint"}, NULL},
    {"checkpoint: a folder", ckpt_folder, {EVAL_M}, 1, {"not a regular file"}, NULL},
    {"checkpoint: missing", good_data, {"eval", "--data", "@", "--device", "cpu", "--model", "@/none.ckpt"}, 1, {"cannot open checkpoint"}, NULL},
    {"checkpoint: batch 0 under a good CRC", ckpt_batch0, {RESUME_M}, 1, {"impossible settings", "batch"}, NULL},
    {"checkpoint: wrong network", trained, {"train", "--data", "@", "--device", "cpu", "--resume", "@/m.ckpt", "--net", "mlp1", "--epochs", "2"}, 1, {"wrong network"}, NULL},
    {"checkpoint: a FIFO as --model", ckpt_fifo, {EVAL_M}, 1, {"m.ckpt", "not a regular file", "FIFO"}, NULL},
    {"checkpoint: a FIFO as --resume", ckpt_fifo, {RESUME_M, "--epochs", "2"}, 1, {"--resume", "not a regular file", "FIFO"}, NULL},
    {"checkpoint: a NaN weight under a good CRC", ckpt_nan_weight, {EVAL_M}, 1, {"not finite", "weight 3 of layer 3 (fc10)", "NaN"}, NULL},
    {"checkpoint: a NaN weight, predict", nan_weight_and_image, {"predict", "--device", "cpu", "--model", "@/m.ckpt", "@/digit.pgm"}, 1, {"cnn predict", "not finite", "layer 3 (fc10)"}, NULL},
    {"checkpoint: infinite momentum under a good CRC", ckpt_inf_momentum, {RESUME_M, "--epochs", "2"}, 1, {"not finite", "momentum of bias 2 of layer 1 (fc8)", "+inf"}, NULL},
    {"checkpoint: the version byte flipped, the CRC bad", ckpt_version_flip, {EVAL_M}, 1, {"corrupt", "CRC"}, not_newer},
    {"checkpoint: batch 2^31-1 under a good CRC", ckpt_huge_batch, {RESUME_M, "--epochs", "2"}, 1, {"impossible settings", "batch"}, NULL},
    {"checkpoint: a section length past the end", ckpt_section_past_end, {EVAL_M}, 1, {"corrupt", "section", "past the end"}, NULL},
    {"checkpoint: an unknown required section", ckpt_unknown_required, {EVAL_M}, 1, {"required section", "0x00000042", "newer"}, NULL},
    {"checkpoint: a section twice", ckpt_duplicated, {EVAL_M}, 1, {"corrupt", "data section appears twice"}, NULL},
    {"checkpoint: a section missing", ckpt_missing, {RESUME_M, "--epochs", "2"}, 1, {"corrupt", "no momentum section"}, NULL},
    {"checkpoint: header claims 1000 bytes more", ckpt_longer_header, {EVAL_M}, 1, {"cut short", "header implies"}, NULL},
    {"checkpoint: 100 MB of zeros", ckpt_100mb, {EVAL_M}, 1, {"not a cnn checkpoint"}, NULL},
    {"checkpoint: resume with another --train-limit", trained, {RESUME_M, "--epochs", "2", "--train-limit", "40"}, 1, {"60 samples (--train-limit 0", "40 samples (--train-limit 40"}, NULL},
    {"checkpoint: resume on other labels", other_labels, {RESUME_M, "--epochs", "2"}, 1, {"--resume", "labels CRC", "this run has 60 samples"}, NULL},
    {"checkpoint: a negative running variance under a good CRC", ckpt_bn_negative_variance, {EVAL_M}, 1, {"running variance of layer 2 (bn), channel 0", "negative"}, NULL},
    {"checkpoint: a NaN running mean under a good CRC", ckpt_bn_nan_mean, {"summary", "--model", "@/m.ckpt"}, 1, {"not finite", "running statistic 2 (bn) is NaN"}, NULL},
    {"checkpoint: bn's epsilon 0 under a good CRC", ckpt_bn_eps_zero, {RESUME_M, "--epochs", "2"}, 1, {"impossible settings", "--bn-eps"}, NULL},
    {"checkpoint: adam without its moment2 section", ckpt_adam_no_moment2, {RESUME_M, "--epochs", "2"}, 1, {"corrupt", "needs a moment2 section"}, NULL},
    {"checkpoint: a moment2 section for sgd", ckpt_adam_sgd_with_moment2, {EVAL_M}, 1, {"corrupt", "moment2 section but its optimizer"}, NULL},
    {"checkpoint: an unknown optimizer under a good CRC", ckpt_adam_optimizer_7, {RESUME_M, "--epochs", "2"}, 1, {"impossible settings", "--optimizer", "\"adamax\""}, NULL},
    {"checkpoint: adam's beta1 1 under a good CRC", ckpt_adam_beta1_1, {RESUME_M, "--epochs", "2"}, 1, {"impossible settings", "--beta1"}, NULL},
    {"checkpoint: adam's eps 0 under a good CRC", ckpt_adam_eps_0, {EVAL_M}, 1, {"impossible settings", "eps"}, NULL},
    {"checkpoint: decay_bias 2 under a good CRC", ckpt_adam_decay_bias_2, {EVAL_M}, 1, {"impossible settings", "--decay-bias"}, NULL},
    {"checkpoint: an unknown lr schedule under a good CRC", ckpt_adam_schedule_4, {RESUME_M, "--epochs", "2"}, 1, {"impossible settings", "--lr-schedule", "\"exponential\""}, NULL},
    {"checkpoint: warmup past the epochs under a good CRC", ckpt_adam_warmup_5, {RESUME_M, "--epochs", "2"}, 1, {"impossible settings", "warmup"}, NULL},
    {"checkpoint: a negative second moment under a good CRC", ckpt_adam_negative_moment2, {RESUME_M, "--epochs", "2"}, 1, {"impossible values", "second moment of weight 5 of layer 1 (fc8)", "negative"}, NULL},
    {"checkpoint: a NaN second moment under a good CRC", ckpt_adam_nan_moment2, {EVAL_M}, 1, {"not finite", "second moment of weight 5 of layer 1 (fc8)", "NaN"}, NULL},
    {"checkpoint: a moment2 count that does not fit", ckpt_adam_moment2_count, {EVAL_M}, 1, {"corrupt", "moment2 section's length"}, NULL},
    {"checkpoint: an augmentation shift past --augment's 8", ckpt_adam_shift_9, {RESUME_M, "--epochs", "2"}, 1, {"impossible settings", "--augment"}, NULL},
    {"checkpoint: an augmentation scale past --augment's 0.5", ckpt_adam_scale_075, {RESUME_M, "--epochs", "2"}, 1, {"impossible settings", "--augment"}, NULL},
    {"checkpoint: no settings section", ckpt_no_settings, {EVAL_M}, 1, {"corrupt", "no settings section"}, NULL},
    {"checkpoint: format 2's schedule section in format 3", ckpt_schedule_in_3, {EVAL_M}, 1, {"corrupt", "schedule section does not belong in format 3"}, NULL},
    {"checkpoint: format 2's options section in format 3", ckpt_options_in_3, {RESUME_M, "--epochs", "2"}, 1, {"corrupt", "options section does not belong in format 3"}, NULL},
    {"checkpoint: a setting this cnn does not know, on --resume", ckpt_unknown_setting, {RESUME_M, "--epochs", "2"}, 1, {"setting this cnn does not know", "\"learning-rate\"", "newer", "to resume it"}, NULL},
    {"checkpoint: a setting twice", ckpt_setting_twice, {RESUME_M, "--epochs", "2"}, 1, {"corrupt", "--batch appears twice"}, not_newer},
    {"checkpoint: a setting of the wrong type", ckpt_setting_wrong_type, {EVAL_M}, 1, {"corrupt", "--lr has value type 1"}, not_newer},
    /* format 2 (the fixture), each case as the format 3 one above */
    {"checkpoint (format 2): bad magic", v2_bad_magic, {EVAL_M}, 1, {"not a cnn checkpoint"}, NULL},
    {"checkpoint (format 2): newer version", v2_newer, {EVAL_M}, 1, {"version 4", "newer"}, NULL},
    {"checkpoint (format 2): its sections under version 3", v2_as_version_3, {EVAL_M}, 1, {"corrupt", "schedule section does not belong in format 3"}, not_newer},
    {"checkpoint (format 2): CRC mismatch", v2_crc, {EVAL_M}, 1, {"corrupt", "CRC"}, not_newer},
    {"checkpoint (format 2): cut short", v2_truncated, {EVAL_M}, 1, {"cut short"}, NULL},
    {"checkpoint (format 2): the version byte flipped, the CRC bad", v2_version_flip, {EVAL_M}, 1, {"corrupt", "CRC"}, not_newer},
    {"checkpoint (format 2): batch 0 under a good CRC", v2_batch0, {RESUME_M}, 1, {"impossible settings", "batch"}, NULL},
    {"checkpoint (format 2): batch 2^31-1 under a good CRC", v2_huge_batch, {RESUME_M, "--epochs", "2"}, 1, {"impossible settings", "batch"}, NULL},
    {"checkpoint (format 2): wrong network", v2_good, {"train", "--data", "@", "--device", "cpu", "--resume", "@/m.ckpt", "--net", "mlp1", "--epochs", "2"}, 1, {"wrong network"}, NULL},
    {"checkpoint (format 2): a NaN weight under a good CRC", v2_nan_weight, {EVAL_M}, 1, {"not finite", "weight 3 of layer 6 (fc10)", "NaN"}, NULL},
    {"checkpoint (format 2): infinite momentum under a good CRC", v2_inf_momentum, {RESUME_M, "--epochs", "2"}, 1, {"not finite", "momentum of bias 1 of layer 1 (conv2k3)", "+inf"}, NULL},
    {"checkpoint (format 2): a section length past the end", v2_section_past_end, {EVAL_M}, 1, {"corrupt", "section", "past the end"}, NULL},
    {"checkpoint (format 2): an unknown required section", v2_unknown_required, {EVAL_M}, 1, {"required section", "0x00000042", "newer"}, NULL},
    {"checkpoint (format 2): a section twice", v2_duplicated, {EVAL_M}, 1, {"corrupt", "data section appears twice"}, NULL},
    {"checkpoint (format 2): a section missing", v2_missing, {RESUME_M, "--epochs", "2"}, 1, {"corrupt", "no momentum section"}, NULL},
    {"checkpoint (format 2): no schedule section", v2_no_schedule, {EVAL_M}, 1, {"corrupt", "no schedule section"}, NULL},
    {"checkpoint (format 2): format 3's settings section in format 2", v2_settings_in_2, {EVAL_M}, 1, {"corrupt", "settings section does not belong in format 2"}, NULL},
    {"checkpoint (format 2): header claims 1000 bytes more", v2_longer_header, {EVAL_M}, 1, {"cut short", "header implies"}, NULL},
    {"checkpoint (format 2): resume on other labels", v2_other_labels, {RESUME_M, "--epochs", "2"}, 1, {"--resume", "labels CRC", "this run has 600 samples"}, NULL},
    {"checkpoint (format 2): a negative running variance under a good CRC", v2_bn_negative_variance, {EVAL_M}, 1, {"running variance of layer 2 (bn), channel 0", "negative"}, NULL},
    {"checkpoint (format 2): a NaN running mean under a good CRC", v2_bn_nan_mean, {"summary", "--model", "@/m.ckpt"}, 1, {"not finite", "running statistic 1 (bn) is NaN"}, NULL},
    {"checkpoint (format 2): bn's epsilon 0 under a good CRC", v2_bn_eps_zero, {RESUME_M, "--epochs", "2"}, 1, {"impossible settings", "--bn-eps"}, NULL},
    {"checkpoint (format 2): adam without its moment2 section", v2_no_moment2, {RESUME_M, "--epochs", "2"}, 1, {"corrupt", "needs a moment2 section"}, NULL},
    {"checkpoint (format 2): a moment2 section for sgd", v2_sgd_with_moment2, {EVAL_M}, 1, {"corrupt", "moment2 section but its optimizer"}, NULL},
    {"checkpoint (format 2): optimizer 7 under a good CRC", v2_optimizer_7, {RESUME_M, "--epochs", "2"}, 1, {"impossible settings", "--optimizer"}, NULL},
    {"checkpoint (format 2): adam's beta1 1 under a good CRC", v2_beta1_1, {RESUME_M, "--epochs", "2"}, 1, {"impossible settings", "--beta1"}, NULL},
    {"checkpoint (format 2): adam's eps 0 under a good CRC", v2_eps_0, {EVAL_M}, 1, {"impossible settings", "eps"}, NULL},
    {"checkpoint (format 2): decay_bias 2 under a good CRC", v2_decay_bias_2, {EVAL_M}, 1, {"impossible settings", "--decay-bias"}, NULL},
    {"checkpoint (format 2): lr schedule 4 under a good CRC", v2_schedule_4, {RESUME_M, "--epochs", "2"}, 1, {"impossible settings", "--lr-schedule"}, NULL},
    {"checkpoint (format 2): warmup past the epochs under a good CRC", v2_warmup_5, {RESUME_M, "--epochs", "2"}, 1, {"impossible settings", "warmup"}, NULL},
    {"checkpoint (format 2): a negative second moment under a good CRC", v2_negative_moment2, {RESUME_M, "--epochs", "2"}, 1, {"impossible values", "second moment of weight 5 of layer 1 (conv2k3)", "negative"}, NULL},
    {"checkpoint (format 2): a NaN second moment under a good CRC", v2_nan_moment2, {EVAL_M}, 1, {"not finite", "second moment of weight 5 of layer 1 (conv2k3)", "NaN"}, NULL},
    {"checkpoint (format 2): a moment2 count that does not fit", v2_moment2_count, {EVAL_M}, 1, {"corrupt", "moment2 section's length"}, NULL},
    {"checkpoint (format 2): an augmentation shift past --augment's 8", v2_shift_9, {RESUME_M, "--epochs", "2"}, 1, {"impossible settings", "--augment"}, NULL},
    {"checkpoint (format 2): an augmentation scale past --augment's 0.5", v2_scale_075, {RESUME_M, "--epochs", "2"}, 1, {"impossible settings", "--augment"}, NULL},
    /* runs: what is saved, what is not (issue 25) */
    {"run: an epoch's last update blows the weights up (issue 25 case 3)", good_data, {TRAIN_LR30, "--epochs", "1"}, 1, {"the test loss became", "in the evaluation after step 1 (epoch 1)", "no checkpoint was written (--lr"}, no_lr_ckpt},
    {"run: --save-every 1 after an update that blew up (issue 25 case 3)", good_data, {TRAIN_LR30, "--epochs", "3", "--save-every", "1"}, 1, {"the test loss became", "after step 1 (epoch 1)", "no checkpoint was written"}, no_lr_ckpt},
    {"run: eval of weights whose outputs overflow", overflow_weights, {EVAL_M}, 1, {"cnn eval", "the test loss is", "not finite"}, NULL},
    {"run: predict with weights whose outputs overflow", overflow_and_image, {"predict", "--model", "@/m.ckpt", "@/digit.pgm"}, 1, {"cnn predict", "outputs for", "not finite"}, no_prediction},
    {"run: visualize with weights whose outputs overflow", overflow_weights, {"visualize", "--data", "@", "--model", "@/m.ckpt", "--out", "@/vis"}, 1, {"cnn visualize", "not finite", "no prediction"}, NULL},
    {"run: a format 1 checkpoint resumed on another sample count (issue 25 case 4)", v1_other_count, {RESUME_M, "--epochs", "2", "--save", "@/out.ckpt"}, 0, {"version 1", "another sample count", "(step 3)"}, v1_saved},
    {"run: the log's disk fills, --save's does not (issue 25 case 5)", log_near_full, {"train", "--data", "@", "--net", "fc8,relu,fc10,softmax", "--batch", "20", "--epochs", "3", "--csv-every", "1", "--log", "@/log.csv", "--save", "@/k.ckpt"}, 1, {"--log", "File too large", "checkpoint written to"}, log_full_saved},
    {"run: a resumed batch this network cannot hold", ckpt_batch_too_large, {RESUME_M, "--epochs", "2"}, 2, {"--resume", "a resumed run keeps its batch", "start a new run with --batch 2739137 or less"}, batch_advice_works},
    {"run: a resume of weights whose outputs overflow: not called the last good checkpoint", overflow_weights, {RESUME_M, "--epochs", "2", "--save", "@/out.ckpt"}, 1, {"training loss became NaN", "the one resumed from", "is no good checkpoint either"}, no_good_checkpoint_claimed},
    {"run: --bn-eps's range stated as it is", good_data, {"train", "--data", "@", "--bn-eps", "2"}, 2, {"--bn-eps", "from 1.1754944e-38 to 1, got \"2\""}, NULL},
};
#define N_CASES (int)(sizeof CASES / sizeof CASES[0])

const int hostile_ckpt_cases = N_CASES;

HOSTILE_CASE(hostile_ckpt, 0) HOSTILE_CASE(hostile_ckpt, 1) HOSTILE_CASE(hostile_ckpt, 2) HOSTILE_CASE(hostile_ckpt, 3)
HOSTILE_CASE(hostile_ckpt, 4) HOSTILE_CASE(hostile_ckpt, 5) HOSTILE_CASE(hostile_ckpt, 6) HOSTILE_CASE(hostile_ckpt, 7)
HOSTILE_CASE(hostile_ckpt, 8) HOSTILE_CASE(hostile_ckpt, 9) HOSTILE_CASE(hostile_ckpt, 10) HOSTILE_CASE(hostile_ckpt, 11)
HOSTILE_CASE(hostile_ckpt, 12) HOSTILE_CASE(hostile_ckpt, 13) HOSTILE_CASE(hostile_ckpt, 14) HOSTILE_CASE(hostile_ckpt, 15)
HOSTILE_CASE(hostile_ckpt, 16) HOSTILE_CASE(hostile_ckpt, 17) HOSTILE_CASE(hostile_ckpt, 18) HOSTILE_CASE(hostile_ckpt, 19)
HOSTILE_CASE(hostile_ckpt, 20) HOSTILE_CASE(hostile_ckpt, 21) HOSTILE_CASE(hostile_ckpt, 22) HOSTILE_CASE(hostile_ckpt, 23)
HOSTILE_CASE(hostile_ckpt, 24) HOSTILE_CASE(hostile_ckpt, 25) HOSTILE_CASE(hostile_ckpt, 26) HOSTILE_CASE(hostile_ckpt, 27)
HOSTILE_CASE(hostile_ckpt, 28) HOSTILE_CASE(hostile_ckpt, 29) HOSTILE_CASE(hostile_ckpt, 30) HOSTILE_CASE(hostile_ckpt, 31)
HOSTILE_CASE(hostile_ckpt, 32) HOSTILE_CASE(hostile_ckpt, 33) HOSTILE_CASE(hostile_ckpt, 34) HOSTILE_CASE(hostile_ckpt, 35)
HOSTILE_CASE(hostile_ckpt, 36) HOSTILE_CASE(hostile_ckpt, 37) HOSTILE_CASE(hostile_ckpt, 38) HOSTILE_CASE(hostile_ckpt, 39)
HOSTILE_CASE(hostile_ckpt, 40) HOSTILE_CASE(hostile_ckpt, 41) HOSTILE_CASE(hostile_ckpt, 42) HOSTILE_CASE(hostile_ckpt, 43)
HOSTILE_CASE(hostile_ckpt, 44) HOSTILE_CASE(hostile_ckpt, 45) HOSTILE_CASE(hostile_ckpt, 46) HOSTILE_CASE(hostile_ckpt, 47)
HOSTILE_CASE(hostile_ckpt, 48) HOSTILE_CASE(hostile_ckpt, 49) HOSTILE_CASE(hostile_ckpt, 50) HOSTILE_CASE(hostile_ckpt, 51)
HOSTILE_CASE(hostile_ckpt, 52) HOSTILE_CASE(hostile_ckpt, 53) HOSTILE_CASE(hostile_ckpt, 54) HOSTILE_CASE(hostile_ckpt, 55)
HOSTILE_CASE(hostile_ckpt, 56) HOSTILE_CASE(hostile_ckpt, 57) HOSTILE_CASE(hostile_ckpt, 58) HOSTILE_CASE(hostile_ckpt, 59)
HOSTILE_CASE(hostile_ckpt, 60) HOSTILE_CASE(hostile_ckpt, 61) HOSTILE_CASE(hostile_ckpt, 62) HOSTILE_CASE(hostile_ckpt, 63)
HOSTILE_CASE(hostile_ckpt, 64) HOSTILE_CASE(hostile_ckpt, 65) HOSTILE_CASE(hostile_ckpt, 66) HOSTILE_CASE(hostile_ckpt, 67)
HOSTILE_CASE(hostile_ckpt, 68) HOSTILE_CASE(hostile_ckpt, 69) HOSTILE_CASE(hostile_ckpt, 70) HOSTILE_CASE(hostile_ckpt, 71)
HOSTILE_CASE(hostile_ckpt, 72) HOSTILE_CASE(hostile_ckpt, 73) HOSTILE_CASE(hostile_ckpt, 74) HOSTILE_CASE(hostile_ckpt, 75)
HOSTILE_CASE(hostile_ckpt, 76) HOSTILE_CASE(hostile_ckpt, 77) HOSTILE_CASE(hostile_ckpt, 78) HOSTILE_CASE(hostile_ckpt, 79)
HOSTILE_CASE(hostile_ckpt, 80) HOSTILE_CASE(hostile_ckpt, 81) HOSTILE_CASE(hostile_ckpt, 82) HOSTILE_CASE(hostile_ckpt, 83)
HOSTILE_CASE(hostile_ckpt, 84) HOSTILE_CASE(hostile_ckpt, 85) HOSTILE_CASE(hostile_ckpt, 86) HOSTILE_CASE(hostile_ckpt, 87)
HOSTILE_CASE(hostile_ckpt, 88) HOSTILE_CASE(hostile_ckpt, 89) HOSTILE_CASE(hostile_ckpt, 90) HOSTILE_CASE(hostile_ckpt, 91)
HOSTILE_CASE(hostile_ckpt, 92) HOSTILE_CASE(hostile_ckpt, 93) HOSTILE_CASE(hostile_ckpt, 94) HOSTILE_CASE(hostile_ckpt, 95)

Test(hostile_ckpt, every_case_has_a_test) { cr_assert_leq(N_CASES, 96, "add HOSTILE_CASE() lines"); }
