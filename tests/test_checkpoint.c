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
    m.steps_done = 0x123456789ABCDEF0ull;
    m.seed = UINT64_MAX;
    m.rng_state = 0x8000000000000001ull;
    m.input_scale = 1.0f / 78.6f;
    m.input_shift = -0.424f;
    return m;
}

/* n floats of random bit patterns (NaNs with payloads, infinities, denormals
 * included) after a fixed list of awkward values. */
static float *awkward_floats(long n, uint64_t seed)
{
    static const uint32_t special[] = {
        0x00000000u, 0x80000000u,             /* +0, -0 */
        0x00000001u, 0x80000001u, 0x007FFFFFu, /* smallest and largest denormals */
        0x00400000u, 0x807FFFFFu,
        0x00800000u,                          /* smallest normal */
        0x7F7FFFFFu, 0xFF7FFFFFu,             /* +-FLT_MAX */
        0x7F000000u, 0x7E967699u,             /* huge */
        0x7F800000u, 0xFF800000u,             /* +-inf */
        0x7FC00000u, 0x7FC12345u, 0xFFFFFFFFu, /* quiet NaNs with payloads */
        0x3F800000u, 0xBF800000u, 0x3EAAAAABu,
    };
    float *p = malloc(sizeof(float) * (size_t)(n ? n : 1));
    cr_assert_not_null(p);
    rng r = {seed};
    for (long i = 0; i < n; i++) {
        uint32_t v = (size_t)i < sizeof special / sizeof special[0] ? special[i]
                                                                   : (uint32_t)rng_next(&r);
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

/* Negative and extreme integers, the longest spec the format allows and an
 * empty parameter list survive too. */
Test(checkpoint, round_trip_edge_meta, .fini = remove_temp_dir)
{
    char dir[256], path[512];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    temp_path(path, sizeof path, "ck");
    checkpoint_meta m = sample_meta();
    memset(m.spec, 'x', NET_SPEC_MAX - 1);
    m.spec[NET_SPEC_MAX - 1] = 0;
    m.lr_step = 0;
    m.epochs = 0x7FFFFFFF;
    m.epochs_done = 0x7FFFFFFF;
    m.batch = 1;
    m.steps_done = 0;
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
    size_t want = 8 + 4 + 4 + sl + 16 + 16 + 12 + 4 + 24 + 8 + 8 + 8 * (size_t)n + 4;
    cr_assert_eq(len, want, "the file has %zu bytes, the layout %zu", len, want);
    cr_assert_eq(memcmp(b, "CNNCKPT\0", 8), 0, "magic");
    cr_assert_eq(le32(b + 8), CHECKPOINT_VERSION);
    cr_assert_eq(le32(b + 12), sl);
    cr_assert_eq(memcmp(b + 16, m.spec, sl), 0, "spec text");
    const unsigned char *q = b + 16 + sl;
    cr_assert_eq(le32(q), 1u);
    cr_assert_eq(le32(q + 4), 28u);
    cr_assert_eq(le32(q + 8), 27u);
    cr_assert_eq(le32(q + 12), 10u);
    q += 16;
    cr_assert_eq(le32(q), float_bits(m.lr));
    cr_assert_eq(le32(q + 4), float_bits(m.lr_gamma));
    cr_assert_eq(le32(q + 8), float_bits(m.momentum));
    cr_assert_eq(le32(q + 12), float_bits(m.weight_decay));
    q += 16;
    cr_assert_eq(le32(q), 5u);
    cr_assert_eq(le32(q + 4), 50u);
    cr_assert_eq(le32(q + 8), 30u);
    cr_assert_eq(le32(q + 12), 17u, "epochs done");
    q += 16;
    cr_assert_eq(le64(q), m.steps_done);
    cr_assert_eq(le64(q + 8), m.seed);
    cr_assert_eq(le64(q + 16), m.rng_state);
    q += 24;
    cr_assert_eq(le32(q), float_bits(m.input_scale));
    cr_assert_eq(le32(q + 4), float_bits(m.input_shift));
    q += 8;
    cr_assert_eq(le64(q), (uint64_t)n);
    q += 8;
    for (long i = 0; i < n; i++) {
        cr_assert_eq(le32(q + 4 * i), float_bits(p[i]), "parameter %ld", i);
        cr_assert_eq(le32(q + 4 * (n + i)), float_bits(mo[i]), "momentum %ld", i);
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
    size_t params_at = len - 4 - 2 * 500 * 4;
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
    size_t count_at = len - 4 - 2 * 16 * 4 - 8;
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
        set_le32(b + 12, spec_lens[i]);
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
    size_t sl = le32(b + 12);
    cr_assert_eq(sl, strlen(spec));
    memcpy(b + 16, "fc16,relu,fc11,softmax", sl);
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
