/* Writes the fuzzers' seed corpus: fuzz/run.sh corpus runs it as
 *   make_corpus fuzz/corpus
 * and fills fuzz/corpus/idx, fuzz/corpus/checkpoint and fuzz/corpus/netspec with
 * small valid and broken inputs (checkpoints made by checkpoint_save itself).
 * Deterministic: running it again gives the same bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "checkpoint.h"
#include "ckpt_config.h"
#include "hd/optim.h"
#include "hd/schedule.h"
#include "netspec.h"

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

/* The settings every seed checkpoint holds: 2 of 30 epochs done, 1000
 * steps per epoch (50000 samples, batch 50). */
static checkpoint_meta seed_meta(const char *spec, int c, int h, int w, int classes)
{
    checkpoint_meta m;
    memset(&m, 0, sizeof m);
    checkpoint_meta_default_options(&m); /* sgd: no section 8 */
    snprintf(m.spec, sizeof m.spec, "%s", spec);
    m.in_c = c;
    m.in_h = h;
    m.in_w = w;
    m.classes = classes;
    m.lr = 0.1f;
    m.lr_gamma = 0.5f;
    m.momentum = 0.9f;
    m.weight_decay = 1e-4f;
    m.lr_step = 5;
    m.batch = 50;
    m.epochs = 30;
    m.epochs_done = 2;
    m.steps_done = 2400;
    m.seed = 42;
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

static void save_ckpt(const char *name, const char *spec, int c, int h, int w, int classes,
                      long n, long n_state)
{
    checkpoint_meta m = seed_meta(spec, c, h, w, classes);
    float *p = seed_values(n, 0), *q = seed_values(n, 1), *st = seed_values(n_state, 1);
    m.bn_eps = 1e-5f;
    m.bn_momentum = 0.1f;
    m.state_count = n_state;
    m.state = st; /* a bn net's running statistics: the state section */
    char path[2048], err[4400];
    path_of(path, sizeof path, "checkpoint", name);
    if (checkpoint_save(path, &m, p, q, n, err, sizeof err) != 0) {
        fprintf(stderr, "make_corpus: %s\n", err);
        exit(1);
    }
    free(p);
    free(q);
    free(st);
}

/* fc2 on 1x2x2 trained by adam with a cosine schedule and warmup: sections
 * 8 (options) and 9 (second moments). */
static void save_adam_ckpt(const char *name)
{
    checkpoint_meta m = seed_meta("fc2,softmax", 1, 2, 2, 2);
    float *p = seed_values(10, 0), *q = seed_values(10, 1), *v = seed_values(10, 0);
    for (int i = 0; i < 10; i++) v[i] = v[i] * v[i];
    m.optimizer = CNN_OPTIM_ADAM;
    m.lr_schedule = CNN_SCHED_COSINE;
    m.warmup = 1.5f;
    m.decay_bias = 0;
    m.moment2 = v;
    char path[2048], err[4400];
    path_of(path, sizeof path, "checkpoint", name);
    if (checkpoint_save(path, &m, p, q, 10, err, sizeof err) != 0) {
        fprintf(stderr, "make_corpus: %s\n", err);
        exit(1);
    }
    free(p);
    free(q);
    free(v);
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

static uint32_t f32_bits(float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    return v;
}

/* A format 1 file (include/checkpoint.h's layout; no CRC yet) into b;
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
    uint32_t ints[] = {c, h, w, classes, f32_bits(m.lr), f32_bits(m.lr_gamma),
                       f32_bits(m.momentum), f32_bits(m.weight_decay), m.lr_step, m.batch,
                       m.epochs, m.epochs_done};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        q = le32_put(q, ints[i]);
    q = le64_put(le64_put(le64_put(q, m.steps_done), m.seed), m.rng_state);
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

static void put_with_crc(const char *name, unsigned char *data, size_t size)
{
    uint32_t crc = (uint32_t)crc32(0L, data, (uInt)(size - 4));
    for (int i = 0; i < 4; i++)
        data[size - 4 + i] = (unsigned char)(crc >> (8 * i));
    put_file("checkpoint", name, data, size);
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

/* A format 2 file rebuilt from c's sections: `drop` left out, `twice`
 * written twice, `extra_tag` (with 4 bytes) appended when not 0. */
static void put_rebuilt(const char *name, const unsigned char *c, size_t n, uint32_t drop,
                        uint32_t twice, uint32_t extra_tag)
{
    unsigned char *b = malloc(2 * n + 64), *q = b + 24;
    uint32_t count = 0;
    for (size_t at = 24; at + 12 <= n - 4;) {
        uint32_t tag = c[at] | (uint32_t)c[at + 1] << 8 | (uint32_t)c[at + 2] << 16 |
                       (uint32_t)c[at + 3] << 24;
        size_t whole = 12 + (c[at + 4] | (size_t)c[at + 5] << 8 | (size_t)c[at + 6] << 16);
        for (int k = tag == twice ? 2 : tag == drop ? 0 : 1; k > 0; k--, count++) {
            memcpy(q, c + at, whole);
            q += whole;
        }
        at += whole;
    }
    if (extra_tag) {
        q = le64_put(le32_put(q, extra_tag), 4);
        q = le32_put(q, 0xabcdef01u);
        count++;
    }
    size_t size = (size_t)(q - b) + 4;
    memcpy(b, c, 12);
    le64_put(le32_put(b + 12, count), size);
    put_with_crc(name, b, size);
    free(b);
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
    write_v1_checkpoints();

    /* fc2-1x2x2: header 24; network at 24 (12 + 4 + 11 + 24 bytes), schedule
     * at 75, progress at 115, data at 155, params at 179, momentum at 239 */
    size_t n;
    unsigned char *c = get_file(d, "fc2-1x2x2.ckpt", &n);
    put_file(d, "bad-empty.ckpt", c, 0);
    put_file(d, "bad-cut-7.ckpt", c, 7);
    put_file(d, "bad-cut-14.ckpt", c, 14);
    put_file(d, "bad-cut-60.ckpt", c, 60);
    put_file(d, "bad-cut-1.ckpt", c, n - 1);
    c[n - 10] ^= 0x40;
    put_file(d, "bad-crc.ckpt", c, n);
    c[n - 10] ^= 0x40;
    c[8] = 3;
    put_file(d, "bad-version-flip-bad-crc.ckpt", c, n); /* the CRC not fixed: corrupt */
    put_with_crc("bad-version-3.ckpt", c, n);           /* the CRC fixed: newer */
    c[8] = 2;
    c[16] += 8; /* the file length 8 bytes more */
    put_with_crc("bad-length.ckpt", c, n);
    c[16] -= 8;
    c[36] = 0xff; /* spec length 255: runs past its section */
    put_with_crc("bad-spec-length.ckpt", c, n);
    c[36] = 11;
    c[75 + 12 + 20] = 0xff; /* batch 0x7f0000ff: far above the limit */
    c[75 + 12 + 23] = 0x7f;
    put_with_crc("bad-huge-batch.ckpt", c, n);
    c[75 + 12 + 20] = 50;
    c[75 + 12 + 23] = 0;
    c[179 + 12] = 11; /* parameter count 11 instead of 10 */
    put_with_crc("bad-param-count.ckpt", c, n);
    c[179 + 12] = 10;
    c[155 + 4] = 0xff; /* the data section's length past the end */
    put_with_crc("bad-section-past-end.ckpt", c, n);
    c[155 + 4] = 12;
    memcpy(c + 179 + 12 + 8 + 4 * 3, "\x00\x00\xc0\x7f", 4); /* parameter 3: NaN */
    put_with_crc("bad-nan-param.ckpt", c, n);
    free(c);

    c = get_file(d, "fc2-1x2x2.ckpt", &n);
    put_rebuilt("optional-section.ckpt", c, n, 0, 0, CHECKPOINT_SECTION_OPTIONAL | 7u);
    put_rebuilt("bad-required-section.ckpt", c, n, 0, 0, 7u);
    put_rebuilt("bad-duplicated-section.ckpt", c, n, 0, 4, 0);
    put_rebuilt("bad-missing-section.ckpt", c, n, 6, 0, 0);
    c[0] = 'X';
    put_file(d, "bad-magic.ckpt", c, n);
    free(c);

    /* adam: sections 8 and 9 last, the second moments the last 40 bytes */
    save_adam_ckpt("adam-fc2-1x2x2.ckpt");
    c = get_file(d, "adam-fc2-1x2x2.ckpt", &n);
    put_rebuilt("bad-adam-no-moment2.ckpt", c, n, 9, 0, 0);
    put_rebuilt("bad-adam-moment2-twice.ckpt", c, n, 0, 9, 0);
    put_rebuilt("bad-sgd-with-moment2.ckpt", c, n, 8, 0, 0); /* no options: sgd */
    memcpy(c + n - 4 - 36, "\x00\x00\x80\xbf", 4); /* second moment 1: -1 */
    put_with_crc("bad-adam-negative-moment2.ckpt", c, n);
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
