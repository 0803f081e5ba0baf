/* Writes the fuzzers' seed corpus: fuzz/run.sh corpus runs it as
 *   make_corpus fuzz/corpus
 * and fills fuzz/corpus/idx, fuzz/corpus/checkpoint and fuzz/corpus/netspec with
 * small valid and broken inputs (format 3 checkpoints made by checkpoint_save
 * itself, format 2 and 1 ones built here as the old writers built them).
 * Deterministic: running it again gives the same bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "checkpoint.h"
#include "hd/optim.h"
#include "hd/schedule.h"
#include "netspec.h"
#include "presets.h"
#include "settings.h"

static char root[1024];

static void die(const char *what)
{
    fprintf(stderr, "make_corpus: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void path_of(char *out, size_t len, const char *sub, const char *name)
{
    snprintf(out, len, "%s/%s/%s", root, sub, name);
}

static void put_file(const char *sub, const char *name, const void *data, size_t size)
{
    char path[2048];
    path_of(path, sizeof path, sub, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        die(path);
}

static unsigned char *get_file(const char *sub, const char *name, size_t *size)
{
    char path[2048];
    path_of(path, sizeof path, sub, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        die(path);
    unsigned char *buf = malloc(1 << 20);
    *size = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

/* gzip with a zero mtime, so the output is the same every time. */
static size_t gzip_bytes(const unsigned char *in, size_t n, unsigned char *out, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        exit(1);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
        exit(1);
    size_t len = cap - z.avail_out;
    deflateEnd(&z);
    return len;
}

static size_t idx_header(unsigned char *p, int ndim, const uint32_t *dims, int type)
{
    p[0] = 0;
    p[1] = 0;
    p[2] = (unsigned char)type;
    p[3] = (unsigned char)ndim;
    for (int i = 0; i < ndim; i++)
        for (int b = 0; b < 4; b++)
            p[4 + 4 * i + b] = (unsigned char)(dims[i] >> (24 - 8 * b));
    return 4 + 4 * (size_t)ndim;
}

/* An idx file: header, then `fill` bytes of a pattern (values below 10 for labels). */
static size_t idx_make(unsigned char *p, int ndim, const uint32_t *dims, size_t fill, int labels)
{
    size_t h = idx_header(p, ndim, dims, 8);
    for (size_t i = 0; i < fill; i++)
        p[h + i] = labels ? (unsigned char)(i * 7 % 10) : (unsigned char)(i * 37 + 11);
    return h + fill;
}

static void write_idx(void)
{
    static unsigned char a[8192], b[8192], g[8192], pair[16384];
    const char *d = "idx";
    uint32_t l3[1] = {3}, i3[3] = {3, 4, 5}, m1[3] = {1, 28, 28};
    size_t n;

    n = idx_make(a, 1, l3, 3, 1);
    put_file(d, "labels-3.idx1", a, n);
    put_file(d, "labels-3.idx1.gz", g, gzip_bytes(a, n, g, sizeof g));
    size_t ln = n;
    memcpy(b, a, n);

    n = idx_make(a, 3, i3, 60, 0);
    put_file(d, "images-3x4x5.idx3", a, n);
    put_file(d, "images-3x4x5.idx3.gz", g, gzip_bytes(a, n, g, sizeof g));
    /* An image file and its label file, one after the other: the harness splits
     * them at the label magic and calls dataset_load. */
    memcpy(pair, a, n);
    memcpy(pair + n, b, ln);
    put_file(d, "pair-3.idx3+idx1", pair, n + ln);
    pair[n + ln - 1] = 10; /* a label out of range */
    put_file(d, "pair-label-10.idx3+idx1", pair, n + ln);
    uint32_t l2[1] = {2};
    size_t l2n = idx_make(pair + n, 1, l2, 2, 1);
    put_file(d, "pair-count-differs.idx3+idx1", pair, n + l2n);

    n = idx_make(a, 3, m1, 784, 0);
    put_file(d, "image-1x28x28.idx3.gz", g, gzip_bytes(a, n, g, sizeof g));

    /* Broken ones. */
    n = idx_make(a, 3, i3, 60, 0);
    put_file(d, "bad-truncated-header.idx3", a, 10);
    put_file(d, "bad-truncated-data.idx3", a, n - 7);
    a[n] = 1;
    a[n + 1] = 2;
    put_file(d, "bad-trailing-bytes.idx3", a, n + 2);
    a[0] = 1;
    put_file(d, "bad-magic.idx3", a, n);
    a[0] = 0;
    a[2] = 9;
    put_file(d, "bad-type-0x09.idx3", a, n);
    a[2] = 8;
    uint32_t zero[3] = {3, 0, 5}, huge_items[3] = {0x7fffffffu, 1, 1},
             huge_side[3] = {1, 5000, 5000}, big_gz[3] = {1000, 28, 28};
    n = idx_make(a, 3, zero, 0, 0);
    put_file(d, "bad-zero-dim.idx3", a, n);
    n = idx_make(a, 3, huge_items, 16, 0);
    put_file(d, "bad-huge-count.idx3", a, n);
    n = idx_make(a, 3, huge_side, 16, 0);
    put_file(d, "bad-huge-side.idx3", a, n);
    /* A gzip file whose header claims far more than it holds. */
    n = idx_make(a, 3, big_gz, 100, 0);
    put_file(d, "bad-lying-header.idx3.gz", g, gzip_bytes(a, n, g, sizeof g));

    n = idx_make(a, 1, l3, 3, 1);
    size_t gn = gzip_bytes(a, n, g, sizeof g);
    put_file(d, "bad-cut-short.idx1.gz", g, gn - 6);
    g[gn - 6] ^= 0x55; /* the CRC in the gzip trailer */
    put_file(d, "bad-crc.idx1.gz", g, gn);
    g[gn - 6] ^= 0x55;
    put_file(d, "bad-gzipped-twice.idx1.gz", b, gzip_bytes(g, gn, b, sizeof b));
    uint32_t d2[2] = {3, 4};
    n = idx_make(a, 2, d2, 12, 0); /* an idx2 file: neither labels nor images */
    put_file(d, "bad-ndim-2.idx2", a, n);
    put_file(d, "bad-zip.idx1", "PK\003\004\024\000\000\000", 8);
}

/* ---- checkpoints ----
 *
 * Format 3 seeds are written by checkpoint_save itself. Format 2 ones
 * (v2-*) by v2_bytes below, as the writer of commit 63f546c wrote them (the
 * last that wrote format 2), and format 1 ones (v1-*) by v1_bytes: the
 * reader of the old formats stays fuzzed. The broken seeds change a good
 * one at the offsets its sections are found at. */

/* The settings every seed checkpoint holds: 2 of 30 epochs done, 1000
 * steps per epoch (50000 samples, batch 50). */
static checkpoint_meta seed_meta(const char *spec, int c, int h, int w, int classes)
{
    checkpoint_meta m;
    memset(&m, 0, sizeof m);
    run_config_defaults(&m.cfg); /* sgd: no moment2 section */
    snprintf(m.spec, sizeof m.spec, "%s", spec);
    m.in_c = c;
    m.in_h = h;
    m.in_w = w;
    m.classes = classes;
    m.cfg.lr = 0.1f;
    m.cfg.lr_gamma = 0.5f;
    m.cfg.momentum = 0.9f;
    m.cfg.weight_decay = 1e-4f;
    m.cfg.lr_step = 5;
    m.cfg.batch = 50;
    m.cfg.epochs = 30;
    m.epochs_done = 2;
    m.steps_done = 2400;
    m.cfg.seed = 42;
    m.rng_state = 0x9e3779b97f4a7c15ull;
    m.input_scale = 1.0f / 255;
    m.input_shift = 0;
    m.train_count = 50000;
    m.train_limit = 0;
    m.labels_crc = 0x1a2b3c4du;
    return m;
}

static float *seed_values(long n, int momentum)
{
    float *v = malloc(sizeof(float) * (n ? n : 1));
    for (long i = 0; i < n; i++)
        v[i] = momentum ? (float)(i % 5) * -0.0625f : (float)(i % 7) * 0.125f - 0.25f;
    return v;
}

static unsigned char *le32_put(unsigned char *q, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        q[i] = (unsigned char)(v >> (8 * i));
    return q + 4;
}

static unsigned char *le64_put(unsigned char *q, uint64_t v)
{
    return le32_put(le32_put(q, (uint32_t)v), (uint32_t)(v >> 32));
}

static uint32_t le32_get(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64_get(const unsigned char *p)
{
    return (uint64_t)le32_get(p) | (uint64_t)le32_get(p + 4) << 32;
}

static uint32_t f32_bits(float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    return v;
}

static void put_with_crc(const char *name, unsigned char *data, size_t size)
{
    uint32_t crc = (uint32_t)crc32(0L, data, (uInt)(size - 4));
    for (int i = 0; i < 4; i++)
        data[size - 4 + i] = (unsigned char)(crc >> (8 * i));
    put_file("checkpoint", name, data, size);
}

static unsigned char *floats_put(unsigned char *q, const float *v, long n)
{
    for (long i = 0; i < n; i++)
        q = le32_put(q, f32_bits(v[i]));
    return q;
}

/* A format 2 section's head at q; its length is filled in by v2_end. */
static unsigned char *v2_begin(unsigned char *q, uint32_t tag, uint32_t *count)
{
    (*count)++;
    return le64_put(le32_put(q, tag), 0);
}

static unsigned char *v2_end(unsigned char *start, unsigned char *q)
{
    le64_put(start - 8, (uint64_t)(q - start));
    return q;
}

/* ck as format 2 into b (CRC included); returns its size. Sections 1 to 6;
 * 7 with running statistics; 8 when an option differs from its default
 * (sgd, 0.9, 0.999, 1e-8, decay_bias 1, step, no warmup, augmentation or
 * --val); 9 for adam and adamw. */
static size_t v2_bytes(unsigned char *b, const checkpoint *ck)
{
    const checkpoint_meta *m = &ck->meta;
    const run_config *c = &m->cfg;
    uint32_t count = 0, sl = (uint32_t)strlen(m->spec);
    unsigned char *q = b + 24, *s;
    memcpy(b, "CNNCKPT", 8);
    le32_put(b + 8, 2);
    s = q = v2_begin(q, 1, &count);
    q = le32_put(q, sl);
    memcpy(q, m->spec, sl);
    q += sl;
    q = le32_put(le32_put(le32_put(le32_put(q, m->in_c), m->in_h), m->in_w), m->classes);
    q = v2_end(s, le32_put(le32_put(q, f32_bits(m->input_scale)), f32_bits(m->input_shift)));
    s = q = v2_begin(q, 2, &count);
    q = le32_put(le32_put(q, f32_bits(c->lr)), f32_bits(c->lr_gamma));
    q = le32_put(le32_put(q, f32_bits(c->momentum)), f32_bits(c->weight_decay));
    q = v2_end(s, le32_put(le32_put(le32_put(q, c->lr_step), c->batch), c->epochs));
    s = q = v2_begin(q, 3, &count);
    q = le64_put(le64_put(le64_put(le32_put(q, m->epochs_done), m->steps_done), c->seed),
                 m->rng_state);
    q = v2_end(s, q);
    s = q = v2_begin(q, 4, &count);
    q = v2_end(s, le32_put(le32_put(le32_put(q, m->train_count), m->train_limit), m->labels_crc));
    s = q = v2_begin(q, 5, &count);
    q = v2_end(s, floats_put(le64_put(q, (uint64_t)ck->n), ck->params, ck->n));
    s = q = v2_begin(q, 6, &count);
    q = v2_end(s, floats_put(le64_put(q, (uint64_t)ck->n), ck->momentum, ck->n));
    if (ck->state_count) {
        s = q = v2_begin(q, 7, &count);
        q = le32_put(le32_put(q, f32_bits(c->bn_eps)), f32_bits(c->bn_momentum));
        q = v2_end(s, floats_put(le64_put(q, (uint64_t)ck->state_count), ck->state,
                                 ck->state_count));
    }
    if (c->optimizer != 0 || c->beta1 != 0.9f || c->beta2 != 0.999f || c->eps != 1e-8f ||
        c->decay_bias != 1 || c->lr_schedule != 0 || c->warmup != 0 || c->augment.shift ||
        c->augment.rot_deg != 0 || c->augment.scale != 0 || c->val_count) {
        s = q = v2_begin(q, 8, &count);
        q = le32_put(le32_put(q, c->optimizer), f32_bits(c->beta1));
        q = le32_put(le32_put(q, f32_bits(c->beta2)), f32_bits(c->eps));
        q = le32_put(le32_put(le32_put(q, c->decay_bias), c->lr_schedule), f32_bits(c->warmup));
        q = le32_put(le32_put(q, c->augment.shift), f32_bits(c->augment.rot_deg));
        q = v2_end(s, le32_put(le32_put(q, f32_bits(c->augment.scale)), c->val_count));
    }
    if (ck->moment2) {
        s = q = v2_begin(q, 9, &count);
        q = v2_end(s, floats_put(le64_put(q, (uint64_t)ck->n), ck->moment2, ck->n));
    }
    size_t size = (size_t)(q - b) + 4;
    le64_put(le32_put(b + 12, count), size);
    uint32_t crc = (uint32_t)crc32(0L, b, (uInt)(size - 4));
    le32_put(b + size - 4, crc);
    return size;
}

/* ck as format 3 (checkpoint_save) and, under "v2-<name>", as format 2. */
static void save_both(const char *name, const checkpoint *ck)
{
    char path[2048], err[4400], v2name[256];
    path_of(path, sizeof path, "checkpoint", name);
    if (checkpoint_save(path, ck, err, sizeof err) != 0) {
        fprintf(stderr, "make_corpus: %s\n", err);
        exit(1);
    }
    static unsigned char b[1 << 16];
    snprintf(v2name, sizeof v2name, "v2-%s", name);
    put_file("checkpoint", v2name, b, v2_bytes(b, ck));
}

static void save_ckpt(const char *name, const char *spec, int c, int h, int w, int classes,
                      long n, long n_state)
{
    checkpoint ck = {.meta = seed_meta(spec, c, h, w, classes), .n = n};
    ck.params = seed_values(n, 0);
    ck.momentum = seed_values(n, 1);
    ck.state = seed_values(n_state, 1); /* a bn net's running statistics: the state section */
    ck.state_count = n_state;
    ck.meta.cfg.bn_eps = 1e-5f;
    ck.meta.cfg.bn_momentum = 0.1f;
    save_both(name, &ck);
    free(ck.params);
    free(ck.momentum);
    free(ck.state);
}

/* fc2 on 1x2x2 trained by adam with a cosine schedule and warmup: section
 * 9 (second moments); format 2's section 8 (options). */
static void save_adam_ckpt(const char *name)
{
    checkpoint ck = {.meta = seed_meta("fc2,softmax", 1, 2, 2, 2), .n = 10};
    ck.params = seed_values(10, 0);
    ck.momentum = seed_values(10, 1);
    ck.moment2 = seed_values(10, 0);
    for (int i = 0; i < 10; i++)
        ck.moment2[i] = ck.moment2[i] * ck.moment2[i];
    ck.meta.cfg.optimizer = CNN_OPTIM_ADAM;
    ck.meta.cfg.lr_schedule = CNN_SCHED_COSINE;
    ck.meta.cfg.warmup = 1.5f;
    ck.meta.cfg.decay_bias = 0;
    save_both(name, &ck);
    free(ck.params);
    free(ck.momentum);
    free(ck.moment2);
}

/* fc2 on 1x2x2 with every setting a checkpoint keeps away from its default
 * (nesterov, onecycle, augmented, 100 samples held out): the text values
 * and format 2's options as seeds. */
static void save_rich_ckpt(const char *name)
{
    checkpoint ck = {.meta = seed_meta("fc2,softmax", 1, 2, 2, 2), .n = 10};
    run_config *c = &ck.meta.cfg;
    ck.params = seed_values(10, 0);
    ck.momentum = seed_values(10, 1);
    c->optimizer = CNN_OPTIM_NESTEROV;
    c->lr_schedule = CNN_SCHED_ONECYCLE;
    c->warmup = 2.5f;
    c->beta1 = 0.8f;
    c->beta2 = 0.95f;
    c->eps = 1e-7f;
    c->decay_bias = 0;
    c->bn_eps = 1e-3f;
    c->bn_momentum = 0.25f;
    c->augment = (cnn_augment){2, 10.0f, 0.1f};
    c->val_count = 100;
    ck.meta.steps_done = 2 * 998 + 5; /* (49900 samples: 998 steps an epoch) */
    save_both(name, &ck);
    free(ck.params);
    free(ck.momentum);
}

/* A format 1 file (docs/checkpoint-format.md's layout; no CRC yet) into b;
 * returns its size. */
static size_t v1_bytes(unsigned char *b, const char *spec, int c, int h, int w, int classes,
                       long n)
{
    checkpoint_meta m = seed_meta(spec, c, h, w, classes);
    float *p = seed_values(n, 0), *mo = seed_values(n, 1);
    size_t sl = strlen(spec);
    unsigned char *q = b;
    memcpy(q, "CNNCKPT", 8);
    q = le32_put(q + 8, 1);
    q = le32_put(q, (uint32_t)sl);
    memcpy(q, spec, sl);
    q += sl;
    uint32_t ints[] = {c, h, w, classes, f32_bits(m.cfg.lr), f32_bits(m.cfg.lr_gamma),
                       f32_bits(m.cfg.momentum), f32_bits(m.cfg.weight_decay), m.cfg.lr_step,
                       m.cfg.batch, m.cfg.epochs, m.epochs_done};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        q = le32_put(q, ints[i]);
    q = le64_put(le64_put(le64_put(q, m.steps_done), m.cfg.seed), m.rng_state);
    q = le32_put(le32_put(q, f32_bits(m.input_scale)), f32_bits(m.input_shift));
    q = le64_put(q, (uint64_t)n);
    for (long i = 0; i < n; i++)
        q = le32_put(q, f32_bits(p[i]));
    for (long i = 0; i < n; i++)
        q = le32_put(q, f32_bits(mo[i]));
    free(p);
    free(mo);
    return (size_t)(q - b) + 4;
}

/* Format 1 seeds: good ones and the old broken ones. */
static void write_v1_checkpoints(void)
{
    unsigned char b[4096];
    size_t n = v1_bytes(b, "fc2,softmax", 1, 2, 2, 2, 10);
    put_with_crc("v1-fc2-1x2x2.ckpt", b, n);
    put_with_crc("v1-conv-1x4x4.ckpt", b, v1_bytes(b, "conv2k3p1,relu,avgpool2,fc3,softmax", 1, 4, 4, 3, 47));
    n = v1_bytes(b, "fc2,softmax", 1, 2, 2, 2, 10);
    b[12] = 0xff; /* spec length 255: runs into the fields after it */
    put_with_crc("v1-bad-spec-length.ckpt", b, n);
    b[12] = 11;
    b[n - 4 - 80 - 8] = 11; /* parameter count 11 instead of 10 */
    put_with_crc("v1-bad-param-count.ckpt", b, n);
    b[n - 4 - 80 - 8] = 10;
    memcpy(b + n - 4 - 40, "\x00\x00\xc0\x7f", 4); /* momentum value 0: NaN */
    put_with_crc("v1-bad-nan.ckpt", b, n);
}

/* ---- the sections of a format 2 or 3 file ---- */

typedef struct { uint32_t tag; size_t len; const unsigned char *data; } section;

/* c's sections, at most 32. */
static int split(const unsigned char *c, size_t n, section *s)
{
    int k = 0;
    for (size_t at = 24; at + 12 <= n - 4 && k < 32; k++) {
        s[k].tag = le32_get(c + at);
        s[k].len = (size_t)le64_get(c + at + 4);
        s[k].data = c + at + 12;
        at += 12 + s[k].len;
    }
    return k;
}

/* The data offset in c of its section tagged tag (its length 8 bytes
 * before it). */
static size_t section_at(const unsigned char *c, size_t n, uint32_t tag)
{
    for (size_t at = 24; at + 12 <= n - 4; at += 12 + (size_t)le64_get(c + at + 4))
        if (le32_get(c + at) == tag)
            return at + 12;
    fprintf(stderr, "make_corpus: no section %u\n", tag);
    exit(1);
}

/* A file of these k sections under version, header and CRC right, written
 * as name. */
static void put_joined(const char *name, uint32_t version, const section *s, int k)
{
    size_t size = 24 + 4;
    for (int i = 0; i < k; i++)
        size += 12 + s[i].len;
    unsigned char *b = malloc(size), *q = b + 24;
    memcpy(b, "CNNCKPT", 8);
    le64_put(le32_put(le32_put(b + 8, version), (uint32_t)k), size);
    for (int i = 0; i < k; i++) {
        q = le64_put(le32_put(q, s[i].tag), s[i].len);
        memcpy(q, s[i].data, s[i].len);
        q += s[i].len;
    }
    put_with_crc(name, b, size);
    free(b);
}

/* c rebuilt from its sections: `drop` left out, `twice` written twice,
 * `extra_tag` (with 4 bytes) appended when not 0. */
static void put_rebuilt(const char *name, const unsigned char *c, size_t n, uint32_t drop,
                        uint32_t twice, uint32_t extra_tag)
{
    static const unsigned char extra[4] = {0x01, 0xef, 0xcd, 0xab};
    section in[32], out[65];
    int k = split(c, n, in), m = 0;
    for (int i = 0; i < k; i++)
        for (int t = in[i].tag == twice ? 2 : in[i].tag == drop ? 0 : 1; t > 0; t--)
            out[m++] = in[i];
    if (extra_tag)
        out[m++] = (section){extra_tag, sizeof extra, extra};
    put_joined(name, le32_get(c + 8), out, m);
}

/* ---- format 3's settings entries ---- */

/* An entry at q: name, type, value (4 or 8 bytes, or a text); returns its
 * end. */
static unsigned char *entry_put(unsigned char *q, const char *name, unsigned type, uint64_t v,
                                const char *text)
{
    size_t nl = strlen(name);
    *q++ = (unsigned char)nl;
    memcpy(q, name, nl);
    q += nl;
    *q++ = (unsigned char)type;
    if (type == 3)
        return le64_put(q, v);
    if (type != 4)
        return le32_put(q, (uint32_t)v);
    q = le32_put(q, (uint32_t)strlen(text));
    memcpy(q, text, strlen(text));
    return q + strlen(text);
}

/* c (format 3) with its settings section rewritten: the entry called
 * `name` replaced by the entry bytes (NULL: left out; name NULL: none
 * replaced and the entry appended), the count declared plus count_delta;
 * the lengths and CRC right. */
static void put_settings_edit(const char *file, const unsigned char *c, size_t n,
                              const char *name, const unsigned char *entry, size_t entry_len,
                              int count_delta)
{
    size_t at = section_at(c, n, 10), len = (size_t)le64_get(c + at - 8), end = at + len;
    static unsigned char data[1 << 14];
    unsigned char *q = data + 4;
    uint32_t count = le32_get(c + at), kept = 0;
    size_t p = at + 4;
    for (uint32_t i = 0; i < count; i++) {
        size_t start = p, nl = c[p];
        int match = name && nl == strlen(name) && !memcmp(c + p + 1, name, nl);
        p += 1 + nl;
        unsigned type = c[p++];
        p += type == 3 ? 8 : type == 4 ? 4 + le32_get(c + p) : 4;
        if (match) {
            if (entry) {
                memcpy(q, entry, entry_len);
                q += entry_len;
                kept++;
            }
        } else {
            memcpy(q, c + start, p - start);
            q += p - start;
            kept++;
        }
    }
    if (p != end) {
        fprintf(stderr, "make_corpus: the settings section does not walk\n");
        exit(1);
    }
    if (!name && entry) {
        memcpy(q, entry, entry_len);
        q += entry_len;
        kept++;
    }
    le32_put(data, (uint32_t)((int)kept + count_delta));
    section s[32];
    int k = split(c, n, s);
    for (int i = 0; i < k; i++)
        if (s[i].tag == 10)
            s[i] = (section){10, (size_t)(q - data), data};
    put_joined(file, 3, s, k);
}

/* The same with a freshly built entry. */
static void put_setting(const char *file, const unsigned char *c, size_t n, const char *name,
                        const char *entry_name, unsigned type, uint64_t v, const char *text)
{
    unsigned char e[600];
    size_t len = (size_t)(entry_put(e, entry_name, type, v, text) - e);
    put_settings_edit(file, c, n, name, e, len, 0);
}

static void write_checkpoints(void)
{
    const char *d = "checkpoint";
    save_ckpt("fc2-1x2x2.ckpt", "fc2,softmax", 1, 2, 2, 2, 10, 0);
    save_ckpt("conv-1x4x4.ckpt", "conv2k3p1,relu,avgpool2,fc3,softmax", 1, 4, 4, 3, 47, 0);
    save_ckpt("fc10-wrong-count.ckpt", "fc10,euclid", 1, 28, 28, 10, 50, 0); /* fc10 needs 7850 */
    save_ckpt("empty-spec.ckpt", "", 1, 28, 28, 10, 0, 0);
    /* conv2k3p1,bn,maxpool2,fc3 on 1x4x4: 20 + 4 + 15 parameters, 4 running values */
    save_ckpt("bn-1x4x4.ckpt", "conv2k3p1,bn,maxpool2,fc3,softmax", 1, 4, 4, 3, 39, 4);
    save_adam_ckpt("adam-fc2-1x2x2.ckpt");
    save_rich_ckpt("settings-fc2-1x2x2.ckpt");
    write_v1_checkpoints();

    /* format 3, fc2-1x2x2: broken where its sections are */
    size_t n;
    unsigned char *c = get_file(d, "fc2-1x2x2.ckpt", &n);
    size_t network = section_at(c, n, 1), params = section_at(c, n, 5), data = section_at(c, n, 4);
    put_file(d, "bad-empty.ckpt", c, 0);
    put_file(d, "bad-cut-7.ckpt", c, 7);
    put_file(d, "bad-cut-14.ckpt", c, 14);
    put_file(d, "bad-cut-60.ckpt", c, 60);
    put_file(d, "bad-cut-1.ckpt", c, n - 1);
    c[n - 10] ^= 0x40;
    put_file(d, "bad-crc.ckpt", c, n);
    c[n - 10] ^= 0x40;
    c[8] = 4;
    put_file(d, "bad-version-flip-bad-crc.ckpt", c, n); /* the CRC not fixed: corrupt */
    put_with_crc("bad-version-4.ckpt", c, n);           /* the CRC fixed: newer */
    c[8] = 2;
    put_with_crc("bad-as-version-2.ckpt", c, n); /* format 3's sections under version 2 */
    c[8] = 3;
    c[16] += 8; /* the file length 8 bytes more */
    put_with_crc("bad-length.ckpt", c, n);
    c[16] -= 8;
    c[network] = 0xff; /* spec length 255: runs past its section */
    put_with_crc("bad-spec-length.ckpt", c, n);
    c[network] = 11;
    c[params] = 11; /* parameter count 11 instead of 10 */
    put_with_crc("bad-param-count.ckpt", c, n);
    c[params] = 10;
    c[data - 8] = 0xff; /* the data section's length past the end */
    put_with_crc("bad-section-past-end.ckpt", c, n);
    c[data - 8] = 12;
    memcpy(c + params + 8 + 4 * 3, "\x00\x00\xc0\x7f", 4); /* parameter 3: NaN */
    put_with_crc("bad-nan-param.ckpt", c, n);
    free(c);

    c = get_file(d, "fc2-1x2x2.ckpt", &n);
    put_rebuilt("optional-section.ckpt", c, n, 0, 0, CHECKPOINT_SECTION_OPTIONAL | 7u);
    put_rebuilt("bad-required-section.ckpt", c, n, 0, 0, 11u);
    put_rebuilt("bad-duplicated-section.ckpt", c, n, 0, 4, 0);
    put_rebuilt("bad-missing-section.ckpt", c, n, 6, 0, 0);
    put_rebuilt("bad-no-settings.ckpt", c, n, 10, 0, 0);
    put_rebuilt("bad-settings-twice.ckpt", c, n, 0, 10, 0);
    put_rebuilt("bad-schedule-in-3.ckpt", c, n, 0, 0, 2u);
    /* its settings entries */
    put_setting("bad-huge-batch.ckpt", c, n, "batch", "batch", 1, 0x7f0000ffu, NULL);
    put_setting("bad-batch-0.ckpt", c, n, "batch", "batch", 1, 0, NULL);
    put_setting("bad-lr-denormal.ckpt", c, n, "lr", "lr", 2, 1, NULL);
    put_setting("bad-unknown-setting.ckpt", c, n, "lr", "learning-rate", 2, f32_bits(0.1f), NULL);
    put_setting("bad-not-kept-setting.ckpt", c, n, "lr", "threads", 1, 2, NULL);
    put_setting("bad-setting-type.ckpt", c, n, "lr", "lr", 1, 1, NULL);
    put_setting("bad-setting-twice.ckpt", c, n, "lr", "batch", 1, 50, NULL);
    put_setting("bad-optimizer-word.ckpt", c, n, "optimizer", "optimizer", 4, 0, "adamax");
    put_setting("bad-augment-shift-9.ckpt", c, n, "augment", "augment", 4, 0, "shift:9");
    put_setting("bad-decay-bias-2.ckpt", c, n, "decay-bias", "decay-bias", 1, 2, NULL);
    put_setting("bad-seed-type.ckpt", c, n, "seed", "seed", 1, 42, NULL);
    put_setting("augment-affine.ckpt", c, n, "augment", "augment", 4, 0, "affine:12.5,0.25");
    put_settings_edit("settings-without-seed.ckpt", c, n, "seed", NULL, 0, 0); /* the default */
    put_settings_edit("bad-settings-count.ckpt", c, n, NULL, NULL, 0, 1);
    free(c);
    c = get_file(d, "fc2-1x2x2.ckpt", &n);
    c[0] = 'X';
    put_file(d, "bad-magic.ckpt", c, n);
    free(c);

    /* adam: the second moments (section 9) last, the last 40 bytes */
    c = get_file(d, "adam-fc2-1x2x2.ckpt", &n);
    put_rebuilt("bad-adam-no-moment2.ckpt", c, n, 9, 0, 0);
    put_rebuilt("bad-adam-moment2-twice.ckpt", c, n, 0, 9, 0);
    put_setting("bad-sgd-with-moment2.ckpt", c, n, "optimizer", "optimizer", 4, 0, "sgd");
    memcpy(c + n - 4 - 36, "\x00\x00\x80\xbf", 4); /* second moment 1: -1 */
    put_with_crc("bad-adam-negative-moment2.ckpt", c, n);
    free(c);

    /* format 2, v2-fc2-1x2x2: header 24; network at 24 (12 + 4 + 11 + 24
     * bytes), schedule at 75, progress at 115, data at 155, params at 179,
     * momentum at 239 */
    c = get_file(d, "v2-fc2-1x2x2.ckpt", &n);
    put_file(d, "v2-bad-cut-60.ckpt", c, 60);
    put_file(d, "v2-bad-cut-1.ckpt", c, n - 1);
    c[n - 10] ^= 0x40;
    put_file(d, "v2-bad-crc.ckpt", c, n);
    c[n - 10] ^= 0x40;
    c[8] = 3;
    put_file(d, "v2-bad-version-flip-bad-crc.ckpt", c, n); /* the CRC not fixed: corrupt */
    put_with_crc("v2-bad-as-version-3.ckpt", c, n); /* format 2's sections under version 3 */
    c[8] = 2;
    c[16] += 8;
    put_with_crc("v2-bad-length.ckpt", c, n);
    c[16] -= 8;
    c[36] = 0xff; /* spec length 255: runs past its section */
    put_with_crc("v2-bad-spec-length.ckpt", c, n);
    c[36] = 11;
    c[75 + 12 + 20] = 0xff; /* batch 0x7f0000ff: far above the limit */
    c[75 + 12 + 23] = 0x7f;
    put_with_crc("v2-bad-huge-batch.ckpt", c, n);
    c[75 + 12 + 20] = 50;
    c[75 + 12 + 23] = 0;
    c[179 + 12] = 11; /* parameter count 11 instead of 10 */
    put_with_crc("v2-bad-param-count.ckpt", c, n);
    c[179 + 12] = 10;
    c[155 + 4] = 0xff; /* the data section's length past the end */
    put_with_crc("v2-bad-section-past-end.ckpt", c, n);
    c[155 + 4] = 12;
    memcpy(c + 179 + 12 + 8 + 4 * 3, "\x00\x00\xc0\x7f", 4); /* parameter 3: NaN */
    put_with_crc("v2-bad-nan-param.ckpt", c, n);
    free(c);
    c = get_file(d, "v2-fc2-1x2x2.ckpt", &n);
    put_rebuilt("v2-optional-section.ckpt", c, n, 0, 0, CHECKPOINT_SECTION_OPTIONAL | 7u);
    put_rebuilt("v2-bad-required-section.ckpt", c, n, 0, 0, 7u); /* a state of 4 bytes */
    put_rebuilt("v2-bad-unknown-section.ckpt", c, n, 0, 0, 0x47u);
    put_rebuilt("v2-bad-duplicated-section.ckpt", c, n, 0, 4, 0);
    put_rebuilt("v2-bad-missing-section.ckpt", c, n, 6, 0, 0);
    put_rebuilt("v2-bad-no-schedule.ckpt", c, n, 2, 0, 0);
    put_rebuilt("v2-bad-settings-in-2.ckpt", c, n, 0, 0, 10u);
    free(c);
    /* bn: the state section's eps (its first 4 bytes) 0 */
    c = get_file(d, "v2-bn-1x4x4.ckpt", &n);
    memset(c + section_at(c, n, 7), 0, 4);
    put_with_crc("v2-bad-bn-eps-0.ckpt", c, n);
    free(c);
    /* adam: options (8) then moment2 (9) last */
    c = get_file(d, "v2-adam-fc2-1x2x2.ckpt", &n);
    put_rebuilt("v2-bad-adam-no-moment2.ckpt", c, n, 9, 0, 0);
    put_rebuilt("v2-bad-adam-moment2-twice.ckpt", c, n, 0, 9, 0);
    put_rebuilt("v2-bad-sgd-with-moment2.ckpt", c, n, 8, 0, 0); /* no options: sgd */
    size_t options = section_at(c, n, 8);
    c[options] = 7; /* optimizer 7 */
    put_with_crc("v2-bad-optimizer-7.ckpt", c, n);
    c[options] = 2;
    c[options + 28] = 9; /* augment shift 9 */
    put_with_crc("v2-bad-augment-shift-9.ckpt", c, n);
    c[options + 28] = 0;
    memcpy(c + n - 4 - 36, "\x00\x00\x80\xbf", 4); /* second moment 1: -1 */
    put_with_crc("v2-bad-adam-negative-moment2.ckpt", c, n);
    free(c);
}

static void write_netspecs(void)
{
    static const char *specs[][2] = {
        {"preset-seed-cnn", NULL}, {"preset-mlp1", NULL}, {"preset-mlp2", NULL},
        {"preset-lenet5", NULL}, {"preset-cnn-bn", NULL},
        {"maxpool-overlap-pad", "conv4k3p1,lrelu0.2,maxpool3p1s2,gap,fc10,softmax"},
        {"bn-dropout-fc", "fc32,bn,tanh,dropout0.5,fc16,sigmoid,dropout.25,fc10,euclid"},
        {"bad-dropout", "dropout1.5,fc10,softmax"},
        {"bad-slope", "lrelu1e-3,fc10,softmax"},
        {"bad-gap-after-fc", "fc10,gap,fc10,softmax"},
        {"bad-bn-suffix", "bn2,fc10,softmax"},
        {"spaces", " conv4k5p2 , relu ,avgpool2,  fc10 ,softmax "},
        {"stride-pad", "conv6k3p1s2,relu,avgpool2p1s2,conv3k2s1,fc10,euclid"},
        {"fc-only", "fc10,softmax"},
        {"conv1x1", "conv1k1,fc10,softmax"},
        {"pools", "avgpool2,avgpool7,fc10,softmax"},
        {"leading-zeros", "conv004k05p002,relu,fc010,softmax"},
        {"big-numbers", "conv65536k65536p65535,fc10,softmax"},
        {"bad-empty", ""},
        {"bad-comma", "fc10,,softmax"},
        {"bad-trailing-comma", "fc10,softmax,"},
        {"bad-no-kernel", "conv4,relu,fc10,softmax"},
        {"bad-pad", "conv4k5p5,fc10,softmax"},
        {"bad-conv-after-fc", "fc10,conv4k3,softmax"},
        {"bad-after-loss", "fc10,softmax,relu"},
        {"bad-no-loss", "conv4k5,relu"},
        {"bad-classes", "fc9,softmax"},
        {"bad-number", "conv70000k3,fc10,softmax"},
        {"untiled", "avgpool3,maxpool3s2,fc10,softmax"},
        {"bad-window", "conv4k29,fc10,softmax"},
        {"bad-space", "fc10 softmax"},
        {"bad-case", "FC10,softmax"},
        {"bad-order", "conv4k5s1p2,fc10,softmax"},
        {"bad-zero", "conv0k3,fc10,softmax"},
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        const char *text = specs[i][1];
        if (!text)
            text = net_preset_find(specs[i][0] + 7)->spec;
        char name[128];
        snprintf(name, sizeof name, "%s.txt", specs[i][0]);
        put_file("netspec", name, text, strlen(text));
    }
    char many[1024] = "";
    for (int i = 0; i < NET_MAX_LAYERS; i++)
        strcat(many, "relu,");
    strcat(many, "fc10,softmax");
    put_file("netspec", "bad-33-layers.txt", many, strlen(many));
    char longer[700];
    memset(longer, ' ', sizeof longer);
    memcpy(longer + sizeof longer - 12, "fc10,softmax", 12);
    put_file("netspec", "bad-too-long.txt", longer, sizeof longer);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_corpus DIR (e.g. fuzz/corpus)\n");
        return 2;
    }
    snprintf(root, sizeof root, "%s", argv[1]);
    const char *subs[3] = {"idx", "checkpoint", "netspec"};
    mkdir(root, 0777);
    for (int i = 0; i < 3; i++) {
        char p[2048];
        snprintf(p, sizeof p, "%s/%s", root, subs[i]);
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            die(p);
    }
    write_idx();
    write_checkpoints();
    write_netspecs();
    return 0;
}
