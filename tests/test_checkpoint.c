/* Checkpoints: the library (exact round trips, the documented byte layout,
 * atomic saves, refusals of bad files) and the cnn binary (a resumed run
 * equals the uninterrupted one byte for byte, eval agrees with train, and
 * wrong, corrupt or cut-short checkpoints fail with exit 1 and one line).
 * The binary is $CNN_BIN, or build/cnn when that is unset. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "ckpt_config.h"
#include "idx_util.h"
#include "rng.h"
#include "run_util.h"

#define ERRLEN 4400
#define FC_NET "fc16,relu,fc10,softmax"
#define TRAIN_COUNT 600
#define TEST_COUNT 200
#define TEMP_NAME "test_checkpoint"

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

/* ---- little-endian fields and CRC-32 (zlib's polynomial, written out here
 * so the test checks the documented format independently) ---- */

static uint32_t crc32_ieee(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

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
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static void set_le64(unsigned char *p, uint64_t v)
{
    set_le32(p, (uint32_t)v);
    set_le32(p + 4, (uint32_t)(v >> 32));
}

/* Recomputes the trailing CRC so that only a deliberate change is wrong. */
static void fix_crc(unsigned char *p, size_t len)
{
    cr_assert_geq(len, 4u);
    set_le32(p + len - 4, crc32_ieee(p, len - 4));
}

static uint32_t float_bits(float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    return v;
}

static float bits_float(uint32_t v)
{
    float f;
    memcpy(&f, &v, 4);
    return f;
}

/* ---- library helpers ---- */

static checkpoint_meta sample_meta(void)
{
    checkpoint_meta m;
    memset(&m, 0, sizeof m);
    checkpoint_meta_default_options(&m); /* sgd, no section 8 */
    snprintf(m.spec, sizeof m.spec, "%s", "conv4k5p2,relu,avgpool2,conv8k5p2,relu,avgpool2,"
                                          "fc10,softmax");
    m.in_c = 1;
    m.in_h = 28;
    m.in_w = 27;
    m.classes = 10;
    m.lr = 0.1f;
    m.lr_gamma = 0.5f;
    m.momentum = 1e-4f;
    m.weight_decay = 2e-4f;
    m.lr_step = 5;
    m.batch = 50;
    m.epochs = 30;
    m.epochs_done = 17;
    /* 1200 steps per epoch (60000 / 50): 345 steps into epoch 18 */
    m.steps_done = 17 * 1200 + 345;
    m.seed = UINT64_MAX;
    m.rng_state = 0x8000000000000001ull;
    m.input_scale = 1.0f / 78.6f;
    m.input_shift = -0.424f;
    m.train_count = 60000;
    m.train_limit = 0;
    m.labels_crc = 0xDEADBEEFu;
    return m;
}

/* n finite floats of random bit patterns (denormals included) after a fixed
 * list of awkward values. NaN and infinity are never written (a checkpoint
 * holding them is refused). */
static float *awkward_floats(long n, uint64_t seed)
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
        p[i] = bits_float(v);
    }
    return p;
}

static void expect_meta_equal(const checkpoint_meta *a, const checkpoint_meta *b)
{
    cr_assert_str_eq(a->spec, b->spec);
    cr_assert_eq(a->in_c, b->in_c);
    cr_assert_eq(a->in_h, b->in_h);
    cr_assert_eq(a->in_w, b->in_w);
    cr_assert_eq(a->classes, b->classes);
    cr_assert_eq(float_bits(a->lr), float_bits(b->lr), "lr %g vs %g", a->lr, b->lr);
    cr_assert_eq(float_bits(a->lr_gamma), float_bits(b->lr_gamma));
    cr_assert_eq(float_bits(a->momentum), float_bits(b->momentum));
    cr_assert_eq(float_bits(a->weight_decay), float_bits(b->weight_decay));
    cr_assert_eq(a->lr_step, b->lr_step);
    cr_assert_eq(a->batch, b->batch);
    cr_assert_eq(a->epochs, b->epochs);
    cr_assert_eq(a->epochs_done, b->epochs_done);
    cr_assert_eq(a->steps_done, b->steps_done, "steps_done %llx vs %llx",
                 (unsigned long long)a->steps_done, (unsigned long long)b->steps_done);
    cr_assert_eq(a->seed, b->seed);
    cr_assert_eq(a->rng_state, b->rng_state);
    cr_assert_eq(float_bits(a->input_scale), float_bits(b->input_scale));
    cr_assert_eq(float_bits(a->input_shift), float_bits(b->input_shift));
    cr_assert_eq(a->train_count, b->train_count);
    cr_assert_eq(a->train_limit, b->train_limit);
    cr_assert_eq(a->labels_crc, b->labels_crc);
}

/* Saves meta and n awkward parameters and momentum values at path. */
static void save_sample(const char *path, const checkpoint_meta *m, long n)
{
    float *p = awkward_floats(n, 11), *mo = awkward_floats(n, 12);
    char err[ERRLEN] = "";
    cr_assert_eq(checkpoint_save(path, m, p, mo, n, err, sizeof err), 0, "save %s: %s", path, err);
    free(p);
    free(mo);
}

/* checkpoint_load must refuse path with a one-line message that names the
 * file and contains every NULL-terminated fragment. */
static void expect_refusal(const char *path, const char *const *want, const char *why)
{
    checkpoint_meta m;
    float *p = (float *)(uintptr_t)1, *mo = (float *)(uintptr_t)1;
    long n = -7;
    char err[ERRLEN];
    memset(err, 0, sizeof err);
    int rc = checkpoint_load(path, &m, &p, &mo, &n, err, sizeof err);
    cr_assert_neq(rc, 0, "%s: checkpoint_load accepted %s", why, path);
    cr_assert_eq(rc, -1, "%s: checkpoint_load returned %d", why, rc);
    cr_assert_gt(strlen(err), 0, "%s: no message", why);
    cr_assert_null(strchr(err, '\n'), "%s: the message is not one line: %s", why, err);
    cr_assert_not_null(strstr(err, path), "%s: the message does not name the file: %s", why, err);
    for (const char *const *w = want; *w; w++)
        cr_assert_not_null(strstr(err, *w), "%s: the message should contain '%s', got: %s", why,
                           *w, err);
}

#define W(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---- 1. round trips and the byte layout ---- */

Test(checkpoint, round_trip_exact_bits, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    const long n = 4099;
    checkpoint_meta m = sample_meta();
    float *p = awkward_floats(n, 1), *mo = awkward_floats(n, 2);
    /* a negative momentum zero and denormals in the momentum too */
    mo[0] = bits_float(0x80000000u);
    mo[1] = bits_float(0x00000003u);
    char err[ERRLEN] = "";
    cr_assert_eq(checkpoint_save(path, &m, p, mo, n, err, sizeof err), 0, "save: %s", err);

    checkpoint_meta got;
    memset(&got, 0xAB, sizeof got);
    float *gp = NULL, *gm = NULL;
    long gn = -1;
    cr_assert_eq(checkpoint_load(path, &got, &gp, &gm, &gn, err, sizeof err), 0, "load: %s", err);
    cr_assert_eq(gn, n, "parameter count %ld, saved %ld", gn, n);
    expect_meta_equal(&got, &m);
    cr_assert_eq(got.version, 2, "the file's version %d", got.version);
    cr_assert_eq(got.data_unknown, 0, "a format 2 file records its data");
    cr_assert_not_null(gp);
    cr_assert_not_null(gm);
    for (long i = 0; i < n; i++) {
        cr_assert_eq(float_bits(gp[i]), float_bits(p[i]), "param %ld: %08x, saved %08x", i,
                     float_bits(gp[i]), float_bits(p[i]));
        cr_assert_eq(float_bits(gm[i]), float_bits(mo[i]), "momentum %ld: %08x, saved %08x", i,
                     float_bits(gm[i]), float_bits(mo[i]));
    }
    cr_assert_eq(memcmp(gp, p, sizeof(float) * (size_t)n), 0);
    cr_assert_eq(memcmp(gm, mo, sizeof(float) * (size_t)n), 0);
    free(p);
    free(mo);
    free(gp);
    free(gm);
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
    m.lr_step = 0;
    m.epochs = CHECKPOINT_MAX_EPOCHS;
    m.epochs_done = CHECKPOINT_MAX_EPOCHS;
    m.batch = 1;
    m.train_count = CHECKPOINT_MAX_SAMPLES;
    m.train_limit = 0x7FFFFFFF;
    m.labels_crc = UINT32_MAX;
    /* every epoch done: 10^8 steps (batch 1) each */
    m.steps_done = (uint64_t)CHECKPOINT_MAX_EPOCHS * CHECKPOINT_MAX_SAMPLES;
    m.seed = 0;
    m.rng_state = UINT64_MAX;
    m.input_shift = bits_float(0x80000000u);
    m.lr = bits_float(0x00000001u);
    char err[ERRLEN] = "";
    float dummy = 1.0f;
    cr_assert_eq(checkpoint_save(path, &m, &dummy, &dummy, 0, err, sizeof err), 0, "save: %s", err);
    checkpoint_meta got;
    float *gp = NULL, *gm = NULL;
    long gn = -1;
    cr_assert_eq(checkpoint_load(path, &got, &gp, &gm, &gn, err, sizeof err), 0, "load: %s", err);
    cr_assert_eq(gn, 0);
    expect_meta_equal(&got, &m);
    free(gp);
    free(gm);
}

/* Format 2: the data of the section tagged tag (the first one), its length in
 * *slen; fails the test when the file has none. */
static const unsigned char *section_of(const unsigned char *b, size_t len, uint32_t tag,
                                       size_t *slen)
{
    size_t at = 24;
    while (at + 12 <= len - 4) {
        uint64_t l = le64(b + at + 4);
        if (le32(b + at) == tag) {
            *slen = (size_t)l;
            return b + at + 12;
        }
        at += 12 + (size_t)l;
    }
    cr_assert_fail("the file has no section %u", tag);
    return NULL;
}

/* The file is laid out exactly as include/checkpoint.h says. */
Test(checkpoint, documented_layout, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    const long n = 37;
    checkpoint_meta m = sample_meta();
    float *p = awkward_floats(n, 5), *mo = awkward_floats(n, 6);
    char err[ERRLEN] = "";
    cr_assert_eq(checkpoint_save(path, &m, p, mo, n, err, sizeof err), 0, "save: %s", err);
    size_t len;
    unsigned char *b = read_file(path, &len);
    size_t sl = strlen(m.spec);
    /* header, then six sections of a 12-byte head each, then the CRC */
    size_t sizes[6] = {4 + sl + 16 + 8, 28, 28, 12, 8 + 4 * (size_t)n, 8 + 4 * (size_t)n};
    size_t want = 24 + 4;
    for (int i = 0; i < 6; i++) want += 12 + sizes[i];
    cr_assert_eq(len, want, "the file has %zu bytes, the layout %zu", len, want);
    cr_assert_eq(memcmp(b, "CNNCKPT\0", 8), 0, "magic");
    cr_assert_eq(le32(b + 8), 2u, "version");
    cr_assert_eq(le32(b + 12), 6u, "section count");
    cr_assert_eq(le64(b + 16), (uint64_t)len, "file length");
    /* the sections in the documented order, tags 1 to 6 */
    size_t at = 24;
    for (uint32_t tag = 1; tag <= 6; tag++) {
        cr_assert_eq(le32(b + at), tag, "section %u's tag", tag);
        cr_assert_eq(le64(b + at + 4), (uint64_t)sizes[tag - 1], "section %u's length", tag);
        at += 12 + sizes[tag - 1];
    }
    cr_assert_eq(at, len - 4);

    const unsigned char *q = b + 24 + 12; /* network */
    cr_assert_eq(le32(q), sl);
    cr_assert_eq(memcmp(q + 4, m.spec, sl), 0, "spec text");
    q += 4 + sl;
    cr_assert_eq(le32(q), 1u);
    cr_assert_eq(le32(q + 4), 28u);
    cr_assert_eq(le32(q + 8), 27u);
    cr_assert_eq(le32(q + 12), 10u);
    cr_assert_eq(le32(q + 16), float_bits(m.input_scale));
    cr_assert_eq(le32(q + 20), float_bits(m.input_shift));
    q += 24 + 12; /* schedule */
    cr_assert_eq(le32(q), float_bits(m.lr));
    cr_assert_eq(le32(q + 4), float_bits(m.lr_gamma));
    cr_assert_eq(le32(q + 8), float_bits(m.momentum));
    cr_assert_eq(le32(q + 12), float_bits(m.weight_decay));
    cr_assert_eq(le32(q + 16), 5u);
    cr_assert_eq(le32(q + 20), 50u);
    cr_assert_eq(le32(q + 24), 30u);
    q += 28 + 12; /* progress */
    cr_assert_eq(le32(q), 17u, "epochs done");
    cr_assert_eq(le64(q + 4), m.steps_done);
    cr_assert_eq(le64(q + 12), m.seed);
    cr_assert_eq(le64(q + 20), m.rng_state);
    q += 28 + 12; /* data */
    cr_assert_eq(le32(q), 60000u);
    cr_assert_eq(le32(q + 4), 0u);
    cr_assert_eq(le32(q + 8), 0xDEADBEEFu);
    q += 12 + 12; /* params, then momentum */
    cr_assert_eq(le64(q), (uint64_t)n);
    cr_assert_eq(le64(q + 8 + 4 * n + 12), (uint64_t)n);
    for (long i = 0; i < n; i++) {
        cr_assert_eq(le32(q + 8 + 4 * i), float_bits(p[i]), "parameter %ld", i);
        cr_assert_eq(le32(q + 8 + 4 * n + 12 + 8 + 4 * i), float_bits(mo[i]), "momentum %ld", i);
    }
    cr_assert_eq(le32(b + len - 4), crc32_ieee(b, len - 4), "the CRC is not zlib's CRC-32");
    free(b);
    free(p);
    free(mo);
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
    checkpoint_meta got;
    float *gp, *gm;
    long gn;
    char err[ERRLEN];
    cr_assert_eq(checkpoint_load(path, &got, &gp, &gm, &gn, err, sizeof err), 0, "%s", err);
    cr_assert_eq(got.epochs_done, 18, "the second save did not replace the first");
    free(gp);
    free(gm);
}

static void expect_save_fails(const char *path, const char *why)
{
    checkpoint_meta m = sample_meta();
    float *p = awkward_floats(64, 3);
    char err[ERRLEN];
    memset(err, 0, sizeof err);
    int rc = checkpoint_save(path, &m, p, p, 64, err, sizeof err);
    free(p);
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
    checkpoint_meta got;
    float *gp, *gm;
    long gn;
    char err[ERRLEN];
    cr_assert_eq(checkpoint_load(path, &got, &gp, &gm, &gn, err, sizeof err), 0,
                 "the old checkpoint no longer loads: %s", err);
    cr_assert_eq(gn, 300);
    free(gp);
    free(gm);
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

Test(checkpoint, refuses_bad_magic, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    size_t len;
    unsigned char *b = valid_file(path, 20, &len);
    b[0] = 'X';
    fix_crc(b, len);
    write_file(path, b, len);
    expect_refusal(path, W("not a cnn checkpoint"), "bad magic");
    const char text[] = "kind,epoch,step,loss,acc,lr,seconds\ntrain,1,1,2.3,10,0.1,0.1\n";
    write_file(path, text, sizeof text - 1);
    expect_refusal(path, W("not a cnn checkpoint"), "a CSV file");
    free(b);
}

Test(checkpoint, refuses_newer_version, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    size_t len;
    unsigned char *b = valid_file(path, 20, &len);
    cr_assert_eq(le32(b + 8), CHECKPOINT_VERSION);
    set_le32(b + 8, CHECKPOINT_VERSION + 1);
    fix_crc(b, len); /* only the version is wrong */
    write_file(path, b, len);
    expect_refusal(path, W("newer", "update"), "version + 1");
    set_le32(b + 8, 0xFFFFFFFFu);
    fix_crc(b, len);
    write_file(path, b, len);
    expect_refusal(path, W("newer", "4294967295"), "version 2^32-1");
    /* an older (unknown) version: refused too, but not as "newer" */
    set_le32(b + 8, 0);
    fix_crc(b, len);
    write_file(path, b, len);
    expect_refusal(path, W("version"), "version 0");
    checkpoint_meta m;
    float *p, *mo;
    long n;
    char err[ERRLEN];
    cr_assert_neq(checkpoint_load(path, &m, &p, &mo, &n, err, sizeof err), 0);
    cr_assert_null(strstr(err, "newer"), "version 0 is not newer: %s", err);
    free(b);
}

Test(checkpoint, refuses_crc_mismatch, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    size_t len;
    unsigned char *b = valid_file(path, 500, &len);
    size_t slen;
    size_t params_at = (size_t)(section_of(b, len, 5, &slen) - b) + 8;
    b[params_at + 123 * 4 + 1] ^= 0x01; /* one bit of one parameter */
    write_file(path, b, len);
    expect_refusal(path, W("CRC"), "a flipped bit in a parameter");
    b[params_at + 123 * 4 + 1] ^= 0x01;
    b[len - 1] ^= 0x80; /* the CRC itself */
    write_file(path, b, len);
    expect_refusal(path, W("CRC"), "a flipped bit in the CRC");
    free(b);
}

/* Every single corrupted byte anywhere in the file is caught. */
Test(checkpoint, refuses_every_corrupted_byte, .fini = remove_temp_dir)
{
    char dir[256], path[512], bad[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    temp_path(bad, sizeof bad, "bad");
    size_t len;
    unsigned char *b = valid_file(path, 12, &len);
    for (size_t i = 0; i < len; i++) {
        char why[64];
        snprintf(why, sizeof why, "byte %zu of %zu flipped", i, len);
        b[i] ^= 0x5A;
        write_file(bad, b, len);
        expect_refusal(bad, W(""), why);
        b[i] ^= 0x5A;
    }
    free(b);
}

Test(checkpoint, refuses_truncation_at_every_length, .fini = remove_temp_dir)
{
    char dir[256], path[512], cut[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    temp_path(cut, sizeof cut, "cut");
    size_t len;
    unsigned char *b = valid_file(path, 64, &len);
    /* the named lengths first, with the words their messages need */
    write_file(cut, b, 0);
    expect_refusal(cut, W("not a cnn checkpoint"), "0 bytes");
    write_file(cut, b, 5);
    expect_refusal(cut, W("not a cnn checkpoint"), "5 bytes");
    write_file(cut, b, len / 2);
    expect_refusal(cut, W("cut short"), "half the file");
    write_file(cut, b, len - 1);
    expect_refusal(cut, W("cut short"), "all but one byte");
    for (size_t n = 0; n < len; n++) {
        char why[64];
        snprintf(why, sizeof why, "the first %zu of %zu bytes", n, len);
        write_file(cut, b, n);
        expect_refusal(cut, W(""), why);
    }
    /* and one byte too many */
    unsigned char *longer = malloc(len + 1);
    memcpy(longer, b, len);
    longer[len] = 0;
    write_file(cut, longer, len + 1);
    expect_refusal(cut, W(""), "a byte appended");
    free(longer);
    free(b);
}

/* Fields that pass the CRC but do not make sense are refused, not trusted. */
Test(checkpoint, refuses_inconsistent_sizes, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    size_t len;
    unsigned char *orig = valid_file(path, 16, &len);
    unsigned char *b = malloc(len);
    size_t slen;
    size_t count_at = (size_t)(section_of(orig, len, 5, &slen) - orig);
    size_t spec_len_at = (size_t)(section_of(orig, len, 1, &slen) - orig);
    cr_assert_eq(le64(orig + count_at), 16u);
    static const uint64_t counts[] = {15, 17, 0, 1ull << 61, 1ull << 62, UINT64_MAX,
                                      (UINT64_MAX / 8) + 3};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        char why[64];
        snprintf(why, sizeof why, "parameter count %llu", (unsigned long long)counts[i]);
        memcpy(b, orig, len);
        set_le64(b + count_at, counts[i]);
        fix_crc(b, len);
        write_file(path, b, len);
        expect_refusal(path, W(""), why);
    }
    static const uint32_t spec_lens[] = {NET_SPEC_MAX, 100000, UINT32_MAX, 0xFFFFFFFCu};
    for (size_t i = 0; i < sizeof spec_lens / sizeof spec_lens[0]; i++) {
        char why[64];
        snprintf(why, sizeof why, "spec length %u", spec_lens[i]);
        memcpy(b, orig, len);
        set_le32(b + spec_len_at, spec_lens[i]);
        fix_crc(b, len);
        write_file(path, b, len);
        expect_refusal(path, W(""), why);
    }
    free(b);
    free(orig);
}

Test(checkpoint, refuses_folder_and_missing_file, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    expect_refusal(dir, W(""), "a folder");
    temp_path(path, sizeof path, "does-not-exist");
    expect_refusal(path, W("No such file"), "a missing file");
}

/* ---- 3b. format 1 files, format 2's sections, values and settings ---- */

static unsigned char *put32(unsigned char *q, uint32_t v)
{
    set_le32(q, v);
    return q + 4;
}

static unsigned char *put64(unsigned char *q, uint64_t v)
{
    set_le64(q, v);
    return q + 8;
}

/* A format 1 file, byte for byte as include/checkpoint.h documents it (the
 * writer of earlier builds), with a correct CRC. */
static void write_v1(const char *path, const checkpoint_meta *m, const float *p,
                     const float *mo, long n)
{
    size_t sl = strlen(m->spec), len = 16 + sl + 88 + 8 * (size_t)n + 4;
    unsigned char *b = calloc(1, len), *q = b;
    cr_assert_not_null(b);
    memcpy(q, "CNNCKPT\0", 8);
    q = put32(q + 8, 1);
    q = put32(q, (uint32_t)sl);
    memcpy(q, m->spec, sl);
    q += sl;
    q = put32(q, (uint32_t)m->in_c); q = put32(q, (uint32_t)m->in_h);
    q = put32(q, (uint32_t)m->in_w); q = put32(q, (uint32_t)m->classes);
    q = put32(q, float_bits(m->lr)); q = put32(q, float_bits(m->lr_gamma));
    q = put32(q, float_bits(m->momentum)); q = put32(q, float_bits(m->weight_decay));
    q = put32(q, (uint32_t)m->lr_step); q = put32(q, (uint32_t)m->batch);
    q = put32(q, (uint32_t)m->epochs); q = put32(q, (uint32_t)m->epochs_done);
    q = put64(q, m->steps_done); q = put64(q, m->seed); q = put64(q, m->rng_state);
    q = put32(q, float_bits(m->input_scale)); q = put32(q, float_bits(m->input_shift));
    q = put64(q, (uint64_t)n);
    for (long i = 0; i < n; i++) q = put32(q, float_bits(p[i]));
    for (long i = 0; i < n; i++) q = put32(q, float_bits(mo[i]));
    cr_assert_eq((size_t)(q - b), len - 4);
    fix_crc(b, len);
    write_file(path, b, len);
    free(b);
}

Test(checkpoint, version_1_file_loads_without_data, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "v1");
    const long n = 300;
    checkpoint_meta m = sample_meta();
    float *p = awkward_floats(n, 21), *mo = awkward_floats(n, 22);
    write_v1(path, &m, p, mo, n);

    checkpoint_meta got;
    float *gp, *gm;
    long gn;
    char err[ERRLEN] = "";
    cr_assert_eq(checkpoint_load(path, &got, &gp, &gm, &gn, err, sizeof err), 0, "load: %s", err);
    cr_assert_eq(got.version, 1);
    cr_assert_eq(got.data_unknown, 1, "a format 1 file records no data");
    cr_assert_eq(got.train_count, 0);
    m.train_count = 0;
    m.labels_crc = 0;
    expect_meta_equal(&got, &m);
    cr_assert_eq(gn, n);
    cr_assert_eq(memcmp(gp, p, sizeof(float) * n), 0, "parameters");
    cr_assert_eq(memcmp(gm, mo, sizeof(float) * n), 0, "momentum");
    /* a format 1 file matches any data: it has none to compare */
    checkpoint_meta now = sample_meta();
    char why[512] = "";
    cr_assert_eq(checkpoint_same_data(&got, &now, why, sizeof why), 1, "%s", why);
    free(gp);
    free(gm);

    /* and is checked like format 2: CRC, size, values */
    size_t len;
    unsigned char *b = read_file(path, &len);
    b[len / 2] ^= 0x04;
    write_file(path, b, len);
    expect_refusal(path, W("corrupt", "CRC"), "format 1, a flipped bit");
    b[len / 2] ^= 0x04;
    write_file(path, b, len - 9);
    expect_refusal(path, W("cut short"), "format 1 cut short");
    b[8] = 3; /* the version damaged, the CRC not fixed: damage, not "newer" */
    write_file(path, b, len);
    expect_refusal(path, W("corrupt"), "format 1 with version 3 and a bad CRC");
    free(b);
    p[7] = bits_float(0x7FC00000u);
    write_v1(path, &m, p, mo, n);
    expect_refusal(path, W("not finite", "parameter 7", "NaN"), "format 1 with a NaN");
    free(p);
    free(mo);
}

/* A flipped version byte under a CRC that no longer matches is damage: never
 * "written by a newer cnn". */
Test(checkpoint, damaged_version_is_corrupt_not_newer, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    size_t len;
    unsigned char *b = valid_file(path, 20, &len);
    static const uint32_t versions[] = {3, 0, 1, 0x02000002u, 0xFFFFFFFFu};
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        char why[64], err[ERRLEN];
        snprintf(why, sizeof why, "version %u, CRC not fixed", versions[i]);
        set_le32(b + 8, versions[i]);
        write_file(path, b, len);
        expect_refusal(path, W("corrupt"), why);
        checkpoint_meta m;
        float *p, *mo;
        long n;
        cr_assert_neq(checkpoint_load(path, &m, &p, &mo, &n, err, sizeof err), 0);
        cr_assert_null(strstr(err, "newer"), "%s: called newer: %s", why, err);
    }
    free(b);
}

/* fc8,relu,fc10,softmax on 1x28x28: 6272 + 8 weights and biases in layer 1,
 * 80 + 10 in layer 3. */
#define SMALL_NET "fc8,relu,fc10,softmax"
#define SMALL_NET_PARAMS (784L * 8 + 8 + 80 + 10)

static void save_small_net(const char *path)
{
    checkpoint_meta m = sample_meta();
    snprintf(m.spec, sizeof m.spec, "%s", SMALL_NET);
    m.in_w = 28;
    float *p = calloc(SMALL_NET_PARAMS, sizeof(float));
    cr_assert_not_null(p);
    for (long i = 0; i < SMALL_NET_PARAMS; i++) p[i] = (float)(i % 13) * 0.01f;
    char err[ERRLEN] = "";
    cr_assert_eq(checkpoint_save(path, &m, p, p, SMALL_NET_PARAMS, err, sizeof err), 0, "%s", err);
    free(p);
}

/* Sets float i of the params (tag 5) or momentum (tag 6) section to bits,
 * fixing the CRC: only the value is wrong. */
static void set_value(const char *path, uint32_t tag, long i, uint32_t bits)
{
    size_t len, slen;
    unsigned char *b = read_file(path, &len);
    unsigned char *values = (unsigned char *)section_of(b, len, tag, &slen) + 8;
    set_le32(values + 4 * i, bits);
    fix_crc(b, len);
    write_file(path, b, len);
    free(b);
}

Test(checkpoint, refuses_values_not_finite_naming_the_layer, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    save_small_net(path);
    set_value(path, 5, 784 * 8 + 8 + 5, 0x7FC00000u); /* layer 3's weight 5 */
    expect_refusal(path, W("not finite", "weight 5 of layer 3 (fc10)", "NaN"),
                   "a NaN weight under a good CRC");
    save_small_net(path);
    set_value(path, 6, 784 * 8 + 2, 0x7F800000u); /* layer 1's bias 2 */
    expect_refusal(path, W("not finite", "the momentum of bias 2 of layer 1 (fc8)", "+inf"),
                   "an infinite momentum value under a good CRC");
    save_small_net(path);
    set_value(path, 5, SMALL_NET_PARAMS - 1, 0xFF800000u); /* the last bias */
    expect_refusal(path, W("bias 9 of layer 3 (fc10)", "-inf"), "-inf in the last bias");

    /* a spec that does not describe the values: named by index */
    checkpoint_meta m = sample_meta();
    save_sample(path, &m, 20);
    set_value(path, 5, 7, 0xFFC00001u);
    expect_refusal(path, W("not finite", "parameter 7 (of 20)", "NaN"), "a NaN, no layers");

    /* and the writer refuses to write them */
    float *p = awkward_floats(20, 9);
    p[3] = bits_float(0x7F800000u);
    char err[ERRLEN] = "";
    cr_assert_eq(checkpoint_save(path, &m, p, p, 20, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "not finite"), "%s", err);
    free(p);
}

/* Settings under a good CRC that would overflow an int or make no sense. */
Test(checkpoint, refuses_settings_out_of_range, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    size_t len, slen;
    unsigned char *orig = valid_file(path, 16, &len);
    unsigned char *b = malloc(len);
    size_t schedule = (size_t)(section_of(orig, len, 2, &slen) - orig);
    size_t progress = (size_t)(section_of(orig, len, 3, &slen) - orig);
    size_t data = (size_t)(section_of(orig, len, 4, &slen) - orig);
    size_t network = (size_t)(section_of(orig, len, 1, &slen) - orig);
    size_t shape = network + 4 + le32(orig + network);
    static const struct { const char *name; int field; uint64_t value; const char *word; } cases[] = {
        {"batch 2^31-1", 0, 0x7FFFFFFFu, "batch"},
        {"batch 2^31", 0, 0x80000000u, "batch"},
        {"batch 2^32-1", 0, 0xFFFFFFFFu, "batch"},
        {"batch one above the limit", 0, CHECKPOINT_MAX_BATCH + 1u, "batch"},
        {"batch 0", 0, 0, "batch"},
        {"epochs 2^32-1", 1, 0xFFFFFFFFu, "epoch"},
        {"epochs above the limit", 1, CHECKPOINT_MAX_EPOCHS + 1u, "epoch"},
        {"lr step 2^31", 2, 0x80000000u, "lr step"},
        {"steps done 2^63", 3, 1ull << 63, "steps"},
        {"steps done before the epochs done", 3, 5, "steps"},
        {"steps done past the epoch", 3, 18 * 1200, "steps"},
        {"epochs done 2^31", 4, 0x80000000u, "epoch"},
        {"training set of 0", 5, 0, "training set"},
        {"training set of 2^31", 5, 0x80000000u, "training set"},
        {"--train-limit 2^31", 6, 0x80000000u, "train-limit"},
        {"input 5000 pixels high", 7, 5000, "input shape"},
        {"input height 2^32-1", 7, 0xFFFFFFFFu, "input shape"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(b, orig, len);
        uint64_t v = cases[i].value;
        switch (cases[i].field) {
        case 0: set_le32(b + schedule + 20, (uint32_t)v); break;
        case 1: set_le32(b + schedule + 24, (uint32_t)v); break;
        case 2: set_le32(b + schedule + 16, (uint32_t)v); break;
        case 3: set_le64(b + progress + 4, v); break;
        case 4: set_le32(b + progress, (uint32_t)v); break;
        case 5: set_le32(b + data, (uint32_t)v); break;
        case 6: set_le32(b + data + 4, (uint32_t)v); break;
        default: set_le32(b + shape + 4, (uint32_t)v); break;
        }
        fix_crc(b, len);
        write_file(path, b, len);
        expect_refusal(path, W("impossible settings", cases[i].word), cases[i].name);
    }
    /* the writer refuses what the reader would */
    checkpoint_meta m = sample_meta();
    m.batch = CHECKPOINT_MAX_BATCH + 1;
    float v[4] = {0};
    char err[ERRLEN] = "";
    cr_assert_eq(checkpoint_save(path, &m, v, v, 4, err, sizeof err), -1, "saved batch 2^24+1");
    cr_assert_not_null(strstr(err, "batch"), "%s", err);
    free(b);
    free(orig);
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
    for (int magic = 0; magic < 2; magic++) {
        FILE *f = fopen(path, "wb");
        cr_assert_not_null(f);
        if (magic) {
            /* format 2's header, claiming 1000 bytes */
            set_le32(head + 8, 2);
            set_le32(head + 12, 6);
            set_le64(head + 16, 1000);
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

/* A valid file's sections (tag, length, data), for rebuilding it. */
typedef struct { uint32_t tag; size_t len; const unsigned char *data; } section;

static int sections_of(const unsigned char *b, size_t len, section *out, int max)
{
    int n = 0;
    for (size_t at = 24; at + 12 <= len - 4 && n < max; n++) {
        out[n].tag = le32(b + at);
        out[n].len = (size_t)le64(b + at + 4);
        out[n].data = b + at + 12;
        at += 12 + out[n].len;
    }
    return n;
}

/* A format 2 file of these sections, its header's count and length and its
 * CRC right (count_delta added to the count). */
static void write_sections(const char *path, const section *s, int n, int count_delta)
{
    size_t len = 24 + 4;
    for (int i = 0; i < n; i++) len += 12 + s[i].len;
    unsigned char *b = malloc(len), *q = b;
    memcpy(q, "CNNCKPT\0", 8);
    q = put32(q + 8, 2);
    q = put32(q, (uint32_t)(n + count_delta));
    q = put64(q, len);
    for (int i = 0; i < n; i++) {
        q = put32(q, s[i].tag);
        q = put64(q, s[i].len);
        memcpy(q, s[i].data, s[i].len);
        q += s[i].len;
    }
    fix_crc(b, len);
    write_file(path, b, len);
    free(b);
}

static void expect_loads(const char *path, long n, const char *why)
{
    checkpoint_meta m;
    float *p, *mo;
    long got;
    char err[ERRLEN] = "";
    cr_assert_eq(checkpoint_load(path, &m, &p, &mo, &got, err, sizeof err), 0, "%s: %s", why, err);
    cr_assert_eq(got, n, "%s: %ld parameters", why, got);
    free(p);
    free(mo);
}

Test(checkpoint, sections_unknown_duplicated_missing, .fini = remove_temp_dir)
{
    char dir[256], path[512], bad[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    temp_path(bad, sizeof bad, "bad");
    size_t len;
    unsigned char *b = valid_file(path, 30, &len);
    section s[10];
    cr_assert_eq(sections_of(b, len, s, 8), 6);
    static const unsigned char extra[5] = "extra";

    write_sections(bad, s, 6, 0);
    expect_loads(bad, 30, "the sections rewritten as they were");
    size_t rebuilt_len;
    unsigned char *rebuilt = read_file(bad, &rebuilt_len);
    cr_assert(rebuilt_len == len && memcmp(rebuilt, b, len) == 0, "rebuilding changed the file");
    free(rebuilt);
    section moved[6] = {s[5], s[3], s[0], s[4], s[2], s[1]};
    write_sections(bad, moved, 6, 0);
    expect_loads(bad, 30, "the sections in another order");
    s[6] = (section){CHECKPOINT_SECTION_OPTIONAL | 0x42u, sizeof extra, extra};
    write_sections(bad, s, 7, 0);
    expect_loads(bad, 30, "an unknown optional section");
    s[6].len = 0;
    write_sections(bad, s, 7, 0);
    expect_loads(bad, 30, "an empty unknown optional section");

    s[6] = (section){0x42u, sizeof extra, extra};
    write_sections(bad, s, 7, 0);
    expect_refusal(bad, W("required section", "0x00000042", "newer"), "an unknown required section");
    s[6] = s[3];
    write_sections(bad, s, 7, 0);
    expect_refusal(bad, W("corrupt", "data section appears twice"), "the data section twice");
    write_sections(bad, s, 5, 0);
    expect_refusal(bad, W("corrupt", "no momentum section"), "no momentum section");
    section no_data[5] = {s[0], s[1], s[2], s[4], s[5]};
    write_sections(bad, no_data, 5, 0);
    expect_refusal(bad, W("corrupt", "no data section"), "no data section");
    write_sections(bad, s, 6, 1);
    expect_refusal(bad, W("corrupt", "counts 7 sections"), "a section count one too many");
    write_sections(bad, s, 6, -1);
    expect_refusal(bad, W("corrupt"), "a section count one too few");
    s[6] = (section){6, s[5].len - 4, s[5].data};
    section short_momentum[6] = {s[0], s[1], s[2], s[3], s[4], s[6]};
    write_sections(bad, short_momentum, 6, 0);
    expect_refusal(bad, W("corrupt", "momentum"), "a momentum section one value short");

    /* a section length past the end, under a good CRC */
    unsigned char *c = malloc(len);
    memcpy(c, b, len);
    size_t slen;
    size_t data_at = (size_t)(section_of(c, len, 4, &slen) - c);
    set_le64(c + data_at - 8, 1u << 20);
    fix_crc(c, len);
    write_file(bad, c, len);
    expect_refusal(bad, W("corrupt", "runs past the end"), "a section length past the end");
    set_le64(c + data_at - 8, UINT64_MAX);
    fix_crc(c, len);
    write_file(bad, c, len);
    expect_refusal(bad, W("corrupt", "runs past the end"), "a section length of 2^64-1");
    free(c);
    free(b);
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
    float *p, *mo;
    char err[ERRLEN];
    cr_assert_eq(checkpoint_load(path, m, &p, &mo, n, err, sizeof err), 0,
                 "the checkpoint train wrote does not load: %s", err);
    free(p);
    free(mo);
    free(m->state);
    m->state = NULL;
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
    cr_assert_eq(mb.epochs, 1, "B: epochs %d", mb.epochs);
    cr_assert_eq(mb.steps_done, (uint64_t)((TRAIN_COUNT + atoi(batch) - 1) / atoi(batch)),
                 "B: steps_done %llu", (unsigned long long)mb.steps_done);
    cr_assert_eq(mb.batch, atoi(batch));

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

/* A format 1 checkpoint resumes like the same state in format 2 (the run
 * ends in the same bytes), with one note that its data cannot be verified. */
Test(checkpoint, resume_from_version_1_notes_and_continues, .fini = remove_temp_dir,
     .timeout = 300)
{
    char dir[256], b[512], b1[512], c[512], c1[512];
    make_data_dir(dir, sizeof dir);
    temp_path(b, sizeof b, "B.ck");
    temp_path(b1, sizeof b1, "B1.ck");
    temp_path(c, sizeof c, "C.ck");
    temp_path(c1, sizeof c1, "C1.ck");
    result r;
    TRAIN(&r, dir, "--net", FC_NET, "--epochs", "1", "--batch", "20", "--save", b);
    expect_success(&r, "train --epochs 1");
    result_free(&r);
    checkpoint_meta m;
    float *p, *mo;
    long n;
    char err[ERRLEN];
    cr_assert_eq(checkpoint_load(b, &m, &p, &mo, &n, err, sizeof err), 0, "%s", err);
    write_v1(b1, &m, p, mo, n);
    free(p);
    free(mo);

    TRAIN(&r, dir, "--resume", b, "--epochs", "2", "--save", c);
    expect_success(&r, "resume the format 2 checkpoint");
    result_free(&r);
    TRAIN(&r, dir, "--resume", b1, "--epochs", "2", "--save", c1);
    expect_not_crashed(&r);
    cr_assert_eq(r.status, 0, "resume a format 1 checkpoint: exit %d: %s", r.status, r.err);
    cr_assert_eq(strchr(r.err, '\n'), r.err + r.err_len - 1, "not one line on stderr:\n%s", r.err);
    cr_assert_not_null(strstr(r.err, "note"), "no note: %s", r.err);
    cr_assert_not_null(strstr(r.err, "version 1"), "the note does not say version 1: %s", r.err);
    cr_assert_not_null(strstr(r.err, b1), "the note does not name the file: %s", r.err);
    result_free(&r);
    expect_same_file(c, c1, "resumed from format 1 vs from format 2");

    RUN(&r, "eval", "--model", b1, "--device", "cpu", "--data", dir);
    expect_success(&r, "eval of a format 1 checkpoint");
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

    set_le32(b + 8, CHECKPOINT_VERSION + 1);
    fix_crc(b, len);
    write_file(bad, b, len);
    expect_eval_refuses(bad, dir, W(bad, "newer", "update"), "a checkpoint from a newer version");
    set_le32(b + 8, CHECKPOINT_VERSION);

    /* intact, but for a network these 28x28 inputs do not fit */
    char spec[] = "fc16,relu,fc10,softmax";
    size_t slen;
    unsigned char *network = (unsigned char *)section_of(b, len, 1, &slen);
    size_t sl = le32(network);
    cr_assert_eq(sl, strlen(spec));
    memcpy(network + 4, "fc16,relu,fc11,softmax", sl);
    fix_crc(b, len);
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
    cr_assert_eq(m.epochs, 2);
    cr_assert_eq(m.steps_done, 2u * (TRAIN_COUNT / 20));
    cr_assert_str_eq(m.spec, FC_NET);
    cr_assert_eq(n, 784L * 16 + 16 + 16 * 10 + 10, "parameter count %ld", n);
    cr_assert_eq(m.in_c, 1);
    cr_assert_eq(m.in_h, 28);
    cr_assert_eq(m.in_w, 28);
    cr_assert_eq(m.classes, 10);
    cr_assert_eq(m.batch, 20);
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
