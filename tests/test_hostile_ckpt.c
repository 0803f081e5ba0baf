/* Hostile checkpoints: each case breaks one good checkpoint, as a table (see hostile_util.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "hostile_util.h"
#include "idx_util.h"

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void set_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void set_le64(unsigned char *p, uint64_t v)
{
    set_le32(p, (uint32_t)v);
    set_le32(p + 4, (uint32_t)(v >> 32));
}

#define good_data hostile_good_data
#define trained hostile_trained

/* Checkpoints: one good one, made by training, then broken. */
static void patch_model(const char *d, size_t at, unsigned char value, int fix_crc, long cut)
{
    trained(d);
    char path[512];
    snprintf(path, sizeof path, "%s/m.ckpt", d);
    size_t len;
    unsigned char *b = read_file(path, &len);
    if (at < len) b[at] = value;
    if (fix_crc) {
        uLong crc = crc32(0L, b, (uInt)(len - 4));
        for (int i = 0; i < 4; i++) b[len - 4 + i] = (unsigned char)(crc >> (8 * i));
    }
    write_file(path, b, cut >= 0 ? (size_t)cut : len);
    free(b);
}
/* Format 2: the offset of the data of the model's section tagged tag (its
 * length at offset - 8), walking the sections after the 24-byte header. */
static size_t section_at(const unsigned char *b, size_t len, uint32_t tag)
{
    for (size_t at = 24; at + 12 <= len - 4;) {
        uint64_t l = le64(b + at + 4);
        if (le32(b + at) == tag) return at + 12;
        at += 12 + (size_t)l;
    }
    cr_assert_fail("the model has no section %u", tag);
    return 0;
}

/* The trained model's bytes, for a setup to change and write back. */
static unsigned char *model_bytes(const char *d, char *path, size_t pathlen, size_t *len)
{
    trained(d);
    snprintf(path, pathlen, "%s/m.ckpt", d);
    return read_file(path, len);
}

static void fix_crc_and_write(const char *path, unsigned char *b, size_t len)
{
    uLong crc = crc32(0L, b, (uInt)(len - 4));
    for (int i = 0; i < 4; i++) b[len - 4 + i] = (unsigned char)(crc >> (8 * i));
    write_file(path, b, len);
    free(b);
}

/* 4 bytes at offset `at` of section tag set to v, the CRC fixed. */
static void patch_section(const char *d, uint32_t tag, size_t at, uint32_t v)
{
    char path[512];
    size_t len;
    unsigned char *b = model_bytes(d, path, sizeof path, &len);
    set_le32(b + section_at(b, len, tag) + at, v);
    fix_crc_and_write(path, b, len);
}

/* A model with bn (fc8,bn,relu,fc10): its state section holds eps, momentum,
 * a u64 count (16) and 8 running means then 8 variances; the value at
 * `at` bytes into the section set to v, the CRC fixed. */
static void patch_bn_state(const char *d, size_t at, uint32_t v)
{
    hostile_trained_net(d, "fc8,bn,relu,fc10,softmax");
    char path[512];
    snprintf(path, sizeof path, "%s/m.ckpt", d);
    size_t len;
    unsigned char *b = read_file(path, &len);
    set_le32(b + section_at(b, len, 7) + at, v);
    fix_crc_and_write(path, b, len);
}
static void ckpt_bn_negative_variance(const char *d) { patch_bn_state(d, 16 + 4 * 8, 0xBF800000u); }
static void ckpt_bn_nan_mean(const char *d) { patch_bn_state(d, 16 + 4 * 2, 0x7FC00000u); }
static void ckpt_bn_eps_zero(const char *d) { patch_bn_state(d, 0, 0); }

static void ckpt_bad_magic(const char *d) { patch_model(d, 0, 'X', 0, -1); }
static void ckpt_newer(const char *d) { patch_model(d, 8, 3, 1, -1); }
static void ckpt_crc(const char *d) { patch_model(d, 300, 0x77, 0, -1); }
static void ckpt_truncated(const char *d) { patch_model(d, 0, 'C', 0, 100); }
static void ckpt_empty(const char *d) { patch_model(d, 0, 'C', 0, 0); }
/* batch (the schedule section's u32 at 20) set to 0, CRC fixed: a division
 * by zero if trusted */
static void ckpt_batch0(const char *d) { patch_section(d, 2, 20, 0); }
/* 2^31 - 1: (count + batch - 1) overflows an int if trusted */
static void ckpt_huge_batch(const char *d) { patch_section(d, 2, 20, 0x7FFFFFFFu); }
/* fc8,relu,fc10: layer 3's weights start after layer 1's 6272 + 8 values;
 * the values follow the section's u64 count */
static void ckpt_nan_weight(const char *d) { patch_section(d, 5, 8 + 4 * (6280 + 3), 0x7FC00000u); }
static void ckpt_inf_momentum(const char *d) { patch_section(d, 6, 8 + 4 * 6274, 0x7F800000u); }
/* the version byte flipped (2 to 3), the CRC left: damage, not a newer cnn */
static void ckpt_version_flip(const char *d) { patch_model(d, 8, 3, 0, -1); }
/* the data section's length runs 1 MB past the end, CRC fixed */
static void ckpt_section_past_end(const char *d)
{
    char path[512];
    size_t len;
    unsigned char *b = model_bytes(d, path, sizeof path, &len);
    set_le64(b + section_at(b, len, 4) - 8, 1u << 20);
    fix_crc_and_write(path, b, len);
}
/* the header's file length 1000 bytes more than the file */
static void ckpt_longer_header(const char *d)
{
    char path[512];
    size_t len;
    unsigned char *b = model_bytes(d, path, sizeof path, &len);
    set_le64(b + 16, (uint64_t)len + 1000);
    fix_crc_and_write(path, b, len);
}

/* The model with its sections rearranged: the section tagged `drop` left out
 * (0: none), then `extra_len` bytes of a section tagged extra_tag appended
 * (extra_tag 0: none; a known tag copies that section again). Header count,
 * length and CRC are right. */
static void rebuild_model(const char *d, uint32_t drop, uint32_t extra_tag)
{
    char path[512];
    size_t len;
    unsigned char *b = model_bytes(d, path, sizeof path, &len);
    unsigned char *out = malloc(2 * len), *q = out + 24;
    cr_assert_not_null(out);
    uint32_t count = 0;
    for (size_t at = 24; at + 12 <= len - 4;) {
        size_t whole = 12 + (size_t)le64(b + at + 4);
        uint32_t tag = le32(b + at);
        if (tag != drop) {
            memcpy(q, b + at, whole);
            q += whole;
            count++;
        }
        if (tag == extra_tag) {
            memcpy(q, b + at, whole);
            q += whole;
            count++;
        }
        at += whole;
    }
    if (extra_tag > 6) {
        set_le32(q, extra_tag);
        set_le64(q + 4, 5);
        memcpy(q + 12, "extra", 5);
        q += 17;
        count++;
    }
    size_t out_len = (size_t)(q - out) + 4;
    memcpy(out, b, 12);
    set_le32(out + 12, count);
    set_le64(out + 16, out_len);
    free(b);
    fix_crc_and_write(path, out, out_len);
}
static void ckpt_unknown_required(const char *d) { rebuild_model(d, 0, 0x42); }
static void ckpt_duplicated(const char *d) { rebuild_model(d, 0, 4); }
static void ckpt_missing(const char *d) { rebuild_model(d, 6, 0); }

/* A model trained by adam (fc8,relu,fc10, 6370 parameters): its options
 * section (8) holds optimizer u32, beta1, beta2, eps f32, decay_bias u32,
 * schedule u32, warmup f32, then augmentation and validation; its moment2
 * section (9) a u64 count and the values. */
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
    set_le32(b + section_at(b, len, tag) + at, v);
    fix_crc_and_write(path, b, len);
}
static void ckpt_adam_sgd_with_moment2(const char *d) { patch_adam(d, 8, 0, 0); }
static void ckpt_adam_optimizer_7(const char *d) { patch_adam(d, 8, 0, 7); }
static void ckpt_adam_beta1_1(const char *d) { patch_adam(d, 8, 4, 0x3F800000u); }
static void ckpt_adam_eps_0(const char *d) { patch_adam(d, 8, 12, 0); }
static void ckpt_adam_decay_bias_2(const char *d) { patch_adam(d, 8, 16, 2); }
static void ckpt_adam_schedule_4(const char *d) { patch_adam(d, 8, 20, 4); }
static void ckpt_adam_warmup_5(const char *d) { patch_adam(d, 8, 24, 0x40A00000u); }
/* --augment's limits: shift 9 pixels, scale 0.75 */
static void ckpt_adam_shift_9(const char *d) { patch_adam(d, 8, 28, 9); }
static void ckpt_adam_scale_075(const char *d) { patch_adam(d, 8, 36, 0x3F400000u); }
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
    unsigned char *b = adam_bytes(d, path, sizeof path, &len);
    size_t at = section_at(b, len, 9) - 12, whole = 12 + (size_t)le64(b + at + 4);
    memmove(b + at, b + at + whole, len - at - whole);
    len -= whole;
    set_le32(b + 12, le32(b + 12) - 1);
    set_le64(b + 16, len);
    fix_crc_and_write(path, b, len);
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

static void ckpt_folder(const char *d)
{
    good_data(d);
    char path[512];
    snprintf(path, sizeof path, "%s/m.ckpt", d);
    mkdir(path, 0777);
}

#define EVAL_M "eval", "--data", "@", "--device", "cpu", "--model", "@/m.ckpt"
#define RESUME_M "train", "--data", "@", "--device", "cpu", "--log", "", "--resume", "@/m.ckpt"

static const hostile CASES[] = {
    {"checkpoint: bad magic", ckpt_bad_magic, {EVAL_M}, 1, {"not a cnn checkpoint"}, NULL},
    {"checkpoint: newer version", ckpt_newer, {EVAL_M}, 1, {"version 3", "newer"}, NULL},
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
    {"checkpoint: bn's epsilon 0 under a good CRC", ckpt_bn_eps_zero, {RESUME_M, "--epochs", "2"}, 1, {"impossible settings", "bn's epsilon"}, NULL},
    {"checkpoint: adam without its moment2 section", ckpt_adam_no_moment2, {RESUME_M, "--epochs", "2"}, 1, {"corrupt", "needs a moment2 section"}, NULL},
    {"checkpoint: a moment2 section for sgd", ckpt_adam_sgd_with_moment2, {EVAL_M}, 1, {"corrupt", "moment2 section but its optimizer"}, NULL},
    {"checkpoint: optimizer 7 under a good CRC", ckpt_adam_optimizer_7, {RESUME_M, "--epochs", "2"}, 1, {"impossible settings", "the optimizer"}, NULL},
    {"checkpoint: adam's beta1 1 under a good CRC", ckpt_adam_beta1_1, {RESUME_M, "--epochs", "2"}, 1, {"impossible settings", "betas"}, NULL},
    {"checkpoint: adam's eps 0 under a good CRC", ckpt_adam_eps_0, {EVAL_M}, 1, {"impossible settings", "eps"}, NULL},
    {"checkpoint: decay_bias 2 under a good CRC", ckpt_adam_decay_bias_2, {EVAL_M}, 1, {"impossible settings", "biases decay"}, NULL},
    {"checkpoint: lr schedule 4 under a good CRC", ckpt_adam_schedule_4, {RESUME_M, "--epochs", "2"}, 1, {"impossible settings", "lr schedule"}, NULL},
    {"checkpoint: warmup past the epochs under a good CRC", ckpt_adam_warmup_5, {RESUME_M, "--epochs", "2"}, 1, {"impossible settings", "warmup"}, NULL},
    {"checkpoint: a negative second moment under a good CRC", ckpt_adam_negative_moment2, {RESUME_M, "--epochs", "2"}, 1, {"impossible values", "second moment of weight 5 of layer 1 (fc8)", "negative"}, NULL},
    {"checkpoint: a NaN second moment under a good CRC", ckpt_adam_nan_moment2, {EVAL_M}, 1, {"not finite", "second moment of weight 5 of layer 1 (fc8)", "NaN"}, NULL},
    {"checkpoint: a moment2 count that does not fit", ckpt_adam_moment2_count, {EVAL_M}, 1, {"corrupt", "moment2 section's length"}, NULL},
    {"checkpoint: an augmentation shift past --augment's 8", ckpt_adam_shift_9, {RESUME_M, "--epochs", "2"}, 1, {"impossible settings", "augmentation"}, NULL},
    {"checkpoint: an augmentation scale past --augment's 0.5", ckpt_adam_scale_075, {RESUME_M, "--epochs", "2"}, 1, {"impossible settings", "augmentation"}, NULL},
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

Test(hostile_ckpt, every_case_has_a_test) { cr_assert_leq(N_CASES, 40, "add HOSTILE_CASE() lines"); }
