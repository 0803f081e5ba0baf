/* Checkpoint files; the format is described in include/checkpoint.h. */
#include "checkpoint.h"
#include "augment_spec.h"
#include "ckpt_config.h"
#include "file_write.h"
#include "file_read.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static const char MAGIC[8] = CHECKPOINT_MAGIC; /* with its zero byte */

#define STRINGIFY(x) #x
#define STR(x) STRINGIFY(x)

/* Format 2's fixed header: magic, version, section count, file length. */
#define HEADER_BYTES 24
/* a section's tag and length */
#define SECTION_HEAD_BYTES 12
/* more sections than any writer makes is damage, not a file to walk */
#define MAX_SECTIONS 64
/* Format 1: the bytes from the spec's end to the parameter count's end */
#define V1_FIELDS_BYTES 88

enum section_tag {
    SEC_NETWORK = 1,
    SEC_SCHEDULE = 2,
    SEC_PROGRESS = 3,
    SEC_DATA = 4,
    SEC_PARAMS = 5,
    SEC_MOMENTUM = 6,
    SEC_STATE = 7, /* only when the net has running statistics */
    SEC_OPTIONS = 8, /* only when a setting differs from its default */
    SEC_MOMENT2 = 9, /* only for adam and adamw */
    SEC_KNOWN_COUNT = 9
};

static const char *const SECTION_NAME[SEC_KNOWN_COUNT + 1] = {
    "", "network", "schedule", "progress", "data", "params", "momentum", "state", "options",
    "moment2"};

static const char *const OPTIM_NAME[] = CNN_OPTIM_NAMES;

/* Whether the optimizer keeps second moments (section 9). */
static int has_moment2(const checkpoint_meta *m)
{
    return m->optimizer == CNN_OPTIM_ADAM || m->optimizer == CNN_OPTIM_ADAMW;
}

/* Whether a setting of section 8 differs from its default: a run with
 * defaults writes the file it wrote before section 8 existed. */
static int options_differ(const checkpoint_meta *m)
{
    checkpoint_meta d;
    checkpoint_meta_default_options(&d);
    return m->optimizer != d.optimizer || m->beta1 != d.beta1 || m->beta2 != d.beta2 ||
           m->eps != d.eps || m->decay_bias != d.decay_bias || m->lr_schedule != d.lr_schedule ||
           m->warmup != d.warmup || m->aug_shift != d.aug_shift || m->aug_rot != d.aug_rot ||
           m->aug_scale != d.aug_scale || m->val != d.val;
}

/* ---- little-endian fields ---- */

static uint32_t le32_at(const unsigned char *x)
{
    return (uint32_t)x[0] | (uint32_t)x[1] << 8 | (uint32_t)x[2] << 16 | (uint32_t)x[3] << 24;
}

static uint64_t le64_at(const unsigned char *x)
{
    return (uint64_t)le32_at(x) | (uint64_t)le32_at(x + 4) << 32;
}

static void set_le32_at(unsigned char *x, uint32_t v)
{
    for (int i = 0; i < 4; i++) x[i] = (unsigned char)(v >> (8 * i));
}

static void set_le64_at(unsigned char *x, uint64_t v)
{
    set_le32_at(x, (uint32_t)v);
    set_le32_at(x + 4, (uint32_t)(v >> 32));
}

/* zlib's crc32 takes an unsigned int length: longer buffers go in pieces. */
static uint32_t crc_of(const unsigned char *p, uint64_t len)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    while (len > 0) {
        uInt piece = len > (1u << 30) ? (1u << 30) : (uInt)len;
        crc = crc32(crc, p, piece);
        p += piece;
        len -= piece;
    }
    return (uint32_t)crc;
}

/* ---- writing ---- */

/* A growing byte buffer with little-endian writers. */
typedef struct { unsigned char *p; size_t len, cap; int failed; } wbuf;

static void put(wbuf *b, const void *src, size_t n)
{
    if (b->failed) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p) { b->failed = 1; return; }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void put_u32(wbuf *b, uint32_t v)
{
    unsigned char x[4];
    set_le32_at(x, v);
    put(b, x, 4);
}

static void put_u64(wbuf *b, uint64_t v)
{
    put_u32(b, (uint32_t)v);
    put_u32(b, (uint32_t)(v >> 32));
}

static void put_f32(wbuf *b, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    put_u32(b, v);
}

static void put_floats(wbuf *b, const float *v, long n)
{
    for (long i = 0; i < n; i++) put_f32(b, v[i]);
}

/* Starts a section: its tag and a length filled in by end_section. */
static size_t begin_section(wbuf *b, uint32_t tag, uint32_t *sections)
{
    put_u32(b, tag);
    put_u64(b, 0);
    (*sections)++;
    return b->len;
}

static void end_section(wbuf *b, size_t data_start)
{
    if (!b->failed) set_le64_at(b->p + data_start - 8, (uint64_t)(b->len - data_start));
}

/* Sections 8 and 9, each only when it is needed. */
static void put_options(wbuf *b, const checkpoint_meta *m, long n, uint32_t *sections)
{
    if (options_differ(m)) {
        size_t at = begin_section(b, SEC_OPTIONS, sections);
        put_u32(b, (uint32_t)m->optimizer);
        put_f32(b, m->beta1); put_f32(b, m->beta2); put_f32(b, m->eps);
        put_u32(b, (uint32_t)m->decay_bias); put_u32(b, (uint32_t)m->lr_schedule);
        put_f32(b, m->warmup);
        put_u32(b, (uint32_t)m->aug_shift); put_f32(b, m->aug_rot); put_f32(b, m->aug_scale);
        put_u32(b, (uint32_t)m->val);
        end_section(b, at);
    }
    if (!has_moment2(m)) return;
    size_t at = begin_section(b, SEC_MOMENT2, sections);
    put_u64(b, (uint64_t)n);
    put_floats(b, m->moment2, n);
    end_section(b, at);
}

/* The sections of format 2, in the order the header comment lists them. */
static void put_sections(wbuf *b, const checkpoint_meta *m, const float *params,
                         const float *momentum, long n, uint32_t *sections)
{
    uint32_t spec_len = (uint32_t)strlen(m->spec);
    size_t at = begin_section(b, SEC_NETWORK, sections);
    put_u32(b, spec_len);
    put(b, m->spec, spec_len);
    put_u32(b, m->in_c); put_u32(b, m->in_h); put_u32(b, m->in_w); put_u32(b, m->classes);
    put_f32(b, m->input_scale); put_f32(b, m->input_shift);
    end_section(b, at);

    at = begin_section(b, SEC_SCHEDULE, sections);
    put_f32(b, m->lr); put_f32(b, m->lr_gamma); put_f32(b, m->momentum);
    put_f32(b, m->weight_decay);
    put_u32(b, m->lr_step); put_u32(b, m->batch); put_u32(b, m->epochs);
    end_section(b, at);

    at = begin_section(b, SEC_PROGRESS, sections);
    put_u32(b, m->epochs_done);
    put_u64(b, m->steps_done); put_u64(b, m->seed); put_u64(b, m->rng_state);
    end_section(b, at);

    at = begin_section(b, SEC_DATA, sections);
    put_u32(b, m->train_count); put_u32(b, m->train_limit); put_u32(b, m->labels_crc);
    end_section(b, at);

    at = begin_section(b, SEC_PARAMS, sections);
    put_u64(b, (uint64_t)n);
    put_floats(b, params, n);
    end_section(b, at);

    at = begin_section(b, SEC_MOMENTUM, sections);
    put_u64(b, (uint64_t)n);
    put_floats(b, momentum, n);
    end_section(b, at);

    if (m->state_count) { /* a net without bn writes what it always wrote */
        at = begin_section(b, SEC_STATE, sections);
        put_f32(b, m->bn_eps); put_f32(b, m->bn_momentum);
        put_u64(b, (uint64_t)m->state_count);
        put_floats(b, m->state, m->state_count);
        end_section(b, at);
    }
    put_options(b, m, n, sections);
}

/* Puts len bytes at path through file_write.h (no_replace: only where no
 * file is). On failure err holds one line and errno is kept. */
static int write_bytes(const char *path, int no_replace, const unsigned char *bytes, size_t len,
                       char *err, size_t errlen)
{
    file_out out;
    int rc = file_out_begin(&out, path, err, errlen);
    if (rc == 0 && fwrite(bytes, 1, len, out.f) != len) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        file_out_abort(&out);
        rc = -1;
    } else if (rc == 0) {
        rc = file_out_commit(&out, no_replace, err, errlen);
    }
    if (rc) {
        int e = errno;
        size_t at = strlen(err);
        snprintf(err + at, errlen - at, " (any previous checkpoint there is unchanged)");
        errno = e;
    }
    return rc;
}

/* ---- what a checkpoint may hold ---- */

/* Samples a run uses: the first limit of count, or all when limit is 0. */
static int samples_used(int count, int limit)
{
    return limit > 0 && limit < count ? limit : count;
}

/* What is impossible in section 8's settings, or NULL. */
static const char *options_problem(const checkpoint_meta *m)
{
    if (m->optimizer < 0 || m->optimizer >= CNN_OPTIM_COUNT) return "the optimizer";
    if (!(m->beta1 >= 0 && m->beta1 < 1) || !(m->beta2 >= 0 && m->beta2 < 1))
        return "adam's betas (not in [0, 1))";
    if (!(m->eps > 0) || !isfinite(m->eps)) return "adam's eps (not above 0)";
    if (m->decay_bias != 0 && m->decay_bias != 1) return "whether biases decay (not 0 or 1)";
    if (m->lr_schedule < 0 || m->lr_schedule >= CNN_SCHED_COUNT) return "the lr schedule";
    if (!(m->warmup >= 0 && m->warmup <= m->epochs)) return "the warmup (not in [0, epochs])";
    if (m->aug_shift < 0 || m->aug_shift > AUGMENT_MAX_SHIFT || !(m->aug_rot >= 0) ||
        !(m->aug_rot <= AUGMENT_MAX_ROT) ||
        !(m->aug_scale >= 0 && m->aug_scale <= AUGMENT_MAX_SCALE)) /* --augment's limits */
        return "the augmentation (shift, rotation or scale)";
    if (m->val < 0 || m->val > CHECKPOINT_MAX_SAMPLES) return "the held-out validation samples";
    return NULL;
}

/* What is impossible in a checkpoint's settings (a CRC only proves the file
 * is as written, not that its writer was sane), or NULL. The limits keep
 * every count, and the products the trainer forms of them, inside an int or
 * a long. */
static const char *settings_problem(const checkpoint_meta *m)
{
    if (m->in_c < 1 || m->in_c > CHECKPOINT_MAX_CHANNELS || m->in_h < 1 ||
        m->in_h > CHECKPOINT_MAX_SIDE || m->in_w < 1 || m->in_w > CHECKPOINT_MAX_SIDE ||
        m->classes < 1 || m->classes > 256)
        return "the input shape or the class count";
    if (m->batch < 1) return "a batch below 1";
    if (m->batch > CHECKPOINT_MAX_BATCH) return "a batch above " STR(CHECKPOINT_MAX_BATCH);
    if (m->epochs < 1 || m->epochs > CHECKPOINT_MAX_EPOCHS || m->epochs_done < 0 ||
        m->epochs_done > m->epochs)
        return "the epoch counts";
    if (m->lr_step < 0 || m->lr_step > CHECKPOINT_MAX_EPOCHS) return "the lr step";
    if (!isfinite(m->lr) || m->lr <= 0 || !isfinite(m->lr_gamma) || m->lr_gamma <= 0 ||
        !isfinite(m->momentum) || m->momentum < 0 || !isfinite(m->weight_decay) ||
        m->weight_decay < 0)
        return "the learning rate, its factor, the momentum or the weight decay";
    if (!isfinite(m->input_scale) || !isfinite(m->input_shift))
        return "the input scaling";
    if (m->state_count < 0 || m->state_count > NET_MAX_COUNT ||
        (m->state_count && !(m->bn_eps > 0 && m->bn_eps <= 1 && m->bn_momentum >= 0 &&
                             m->bn_momentum <= 1)))
        return "bn's epsilon or momentum";
    const char *options = options_problem(m);
    if (options) return options;
    if (m->data_unknown) {
        /* no step count per epoch to check against: a bound that keeps the
         * trainer's step counter far from overflowing */
        if (m->steps_done > ((uint64_t)m->epochs_done + 1) * CHECKPOINT_MAX_SAMPLES)
            return "the steps done";
        return NULL;
    }
    if (m->train_count < 1 || m->train_count > CHECKPOINT_MAX_SAMPLES || m->train_limit < 0)
        return "the training set's size or --train-limit";
    /* steps done lie in the epoch "epochs done" (0-based): at its first step,
     * or later in it when an interrupt stopped that epoch part way */
    uint64_t used = (uint64_t)samples_used(m->train_count, m->train_limit);
    if (m->val < 0 || (uint64_t)m->val >= used)
        return "the validation samples held out (--val: as many as the samples used, or more)";
    used -= (uint64_t)m->val; /* (held out of training: --val) */
    uint64_t per_epoch = (used + (uint64_t)m->batch - 1) / (uint64_t)m->batch;
    uint64_t first = (uint64_t)m->epochs_done * per_epoch;
    if (m->steps_done < first || m->steps_done - first >= per_epoch)
        return "the steps done (they do not fall in the epochs done)";
    return NULL;
}

/* The i-th (0-based) comma-separated layer of spec text into out. */
static void layer_token(const char *text, int i, char *out, size_t len)
{
    for (; i > 0 && text; i--) {
        text = strchr(text, ',');
        if (text) text++;
    }
    size_t n = text ? strcspn(text, ",") : 0;
    snprintf(out, len, "%.*s", (int)n, text ? text : "");
}

/* Where value i of the parameters lies, in words: "weight 17 of layer 3
 * (fc10)", or "parameter 1234" when the spec does not describe n values. */
static void describe_param(const checkpoint_meta *m, long n, long i, char *out, size_t len)
{
    net_spec spec;
    char err[512];
    shape3 in = {m->in_c, m->in_h, m->in_w};
    if (net_spec_parse(m->spec, in, m->classes, &spec, err, sizeof err) != 0 ||
        spec.n_params != n) {
        snprintf(out, len, "parameter %ld (of %ld)", i, n);
        return;
    }
    for (int k = 0; k < spec.n_layers; k++) {
        const layer_spec *l = &spec.layer[k];
        long at = i - l->param_offset;
        if (at < 0 || at >= l->weights + l->bias) continue;
        char token[NET_SPEC_MAX];
        layer_token(spec.text, k, token, sizeof token);
        if (at < l->weights) snprintf(out, len, "weight %ld of layer %d (%s)", at, k + 1, token);
        else snprintf(out, len, "bias %ld of layer %d (%s)", at - l->weights, k + 1, token);
        return;
    }
    snprintf(out, len, "parameter %ld (of %ld)", i, n);
}

static long first_nonfinite(const float *v, long n)
{
    for (long i = 0; i < n; i++)
        if (!isfinite(v[i])) return i;
    return -1;
}

/* Second moments are squares: below 0 is as impossible as NaN. */
static long first_negative_or_nonfinite(const float *v, long n)
{
    for (long i = 0; i < n; i++)
        if (!(v[i] >= 0) || !isfinite(v[i])) return i;
    return -1;
}

/* Writes "<what> is NaN" for the first value that is not finite, naming its
 * layer, into out and returns 1; for a negative second moment "<what> is
 * negative (-1)" and 2; 0 when all are good. */
static int nonfinite_problem(const checkpoint_meta *m, const float *params,
                             const float *momentum, long n, char *out, size_t len)
{
    long i = first_nonfinite(params, n);
    const char *whose = "";
    float v;
    if (i >= 0) {
        v = params[i];
    } else if ((i = first_nonfinite(momentum, n)) >= 0) {
        v = momentum[i];
        whose = "the momentum of ";
    } else if (has_moment2(m) && (i = first_negative_or_nonfinite(m->moment2, n)) >= 0) {
        v = m->moment2[i];
        whose = "the second moment of ";
    } else if ((i = first_nonfinite(m->state, m->state_count)) >= 0) {
        snprintf(out, len, "running statistic %ld (bn) is %s", i,
                 isnan(m->state[i]) ? "NaN" : "infinite");
        return 1;
    } else {
        return 0;
    }
    char where[NET_SPEC_MAX + 128];
    describe_param(m, n, i, where, sizeof where);
    if (isfinite(v)) {
        snprintf(out, len, "%s%s is negative (%g)", whose, where, v);
        return 2;
    }
    snprintf(out, len, "%s%s is %s", whose, where, isnan(v) ? "NaN" : v > 0 ? "+inf" : "-inf");
    return 1;
}

static int checkpoint_write(const char *path, int no_replace, const checkpoint_meta *m,
                            const float *params, const float *momentum, long n, char *err,
                            size_t errlen)
{
    const char *bad = m->data_unknown ? "no training data recorded" : settings_problem(m);
    char what[NET_SPEC_MAX + 256];
    if (!bad && has_moment2(m) && !m->moment2) bad = "adam's second moments are missing";
    if (bad || n < 0 || n > NET_MAX_COUNT || strlen(m->spec) >= NET_SPEC_MAX) {
        snprintf(err, errlen, "%s: not writing a checkpoint of impossible settings: %s", path,
                 bad ? bad : "the parameter count");
        return -1;
    }
    int problem = nonfinite_problem(m, params, momentum, n, what, sizeof what);
    if (problem) {
        snprintf(err, errlen, "%s: not writing a checkpoint of %s: %s", path,
                 problem == 1 ? "values that are not finite" : "impossible values", what);
        return -1;
    }
    wbuf b = {0};
    uint32_t sections = 0;
    put(&b, MAGIC, sizeof MAGIC);
    put_u32(&b, CHECKPOINT_VERSION);
    put_u32(&b, 0);  /* the section count and */
    put_u64(&b, 0);  /* the file length, known at the end */
    put_sections(&b, m, params, momentum, n, &sections);
    put_u32(&b, 0);  /* room for the CRC */
    if (b.failed) {
        free(b.p);
        snprintf(err, errlen, "%s: out of memory building the checkpoint", path);
        return -1;
    }
    set_le32_at(b.p + 12, sections);
    set_le64_at(b.p + 16, (uint64_t)b.len);
    set_le32_at(b.p + b.len - 4, crc_of(b.p, b.len - 4));
    int rc = write_bytes(path, no_replace, b.p, b.len, err, errlen);
    int e = errno;
    free(b.p);
    errno = e;
    return rc;
}

int checkpoint_save(const char *path, const checkpoint_meta *meta, const float *params,
                    const float *momentum, long n, char *err, size_t errlen)
{
    return checkpoint_write(path, 0, meta, params, momentum, n, err, errlen);
}

int checkpoint_save_new(const char *path, const checkpoint_meta *meta, const float *params,
                        const float *momentum, long n, char *err, size_t errlen)
{
    return checkpoint_write(path, 1, meta, params, momentum, n, err, errlen);
}

/* ---- reading ---- */

/* A bounds-checked little-endian reader over one section (or a format 1
 * body). */
typedef struct { const unsigned char *p; uint64_t len, at; int short_read; } rbuf;

static const unsigned char *take(rbuf *r, uint64_t n)
{
    if (r->short_read || r->len - r->at < n) {
        r->short_read = 1;
        return NULL;
    }
    r->at += n;
    return r->p + r->at - n;
}

static uint32_t get_u32(rbuf *r)
{
    const unsigned char *x = take(r, 4);
    return x ? le32_at(x) : 0;
}

static uint64_t get_u64(rbuf *r)
{
    const unsigned char *x = take(r, 8);
    return x ? le64_at(x) : 0;
}

static float get_f32(rbuf *r)
{
    uint32_t v = get_u32(r);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

/* A u32 setting as an int: values above INT_MAX become -1, which every range
 * check refuses (a cast would be implementation-defined). */
static int get_int(rbuf *r)
{
    uint32_t v = get_u32(r);
    return v > INT_MAX ? -1 : (int)v;
}

/* n floats from r into a malloc'ed array (NULL when memory runs out). */
static float *get_floats(rbuf *r, uint64_t n)
{
    float *v = malloc(sizeof(float) * (n ? n : 1));
    if (!v) return NULL;
    for (uint64_t i = 0; i < n; i++) v[i] = get_f32(r);
    return v;
}

/* The file being read: its bytes (once the header has been checked), what
 * was parsed from them, and the message of the first problem. */
typedef struct {
    const char *path;
    unsigned char *data;
    uint64_t size;
    checkpoint_meta *m;
    uint64_t count, momentum_count, moment2_count; /* parameters, momentum values, ... */
    float *params, *momentum;
    char *err;
    size_t errlen;
} reader;

/* Sets err to "<path>: <message>"; returns -1. */
static int fail(reader *rd, const char *fmt, ...)
{
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(rd->err, rd->errlen, "%s: %s", rd->path, what);
    return -1;
}

/* Why a read stopped: errno's words, or the file ending early. */
static const char *read_problem(void)
{
    return errno ? strerror(errno) : "the file ended early (did it shrink?)";
}

/* The size the header says the file has, for format 1 or any other version
 * (from 2 on, the file length at byte 16). head holds the first `have` bytes
 * (at least HEADER_BYTES); a format 1 header may need more, which are read
 * from fd. Returns 0 and sets *implied, or -1 with err set. */
static int implied_size(reader *rd, int fd, unsigned char *head, uint64_t have,
                        uint64_t *implied)
{
    uint32_t version = le32_at(head + 8);
    if (version != 1) {
        *implied = le64_at(head + 16);
        return 0;
    }
    uint32_t spec_len = le32_at(head + 12);
    uint64_t need = 16 + (uint64_t)spec_len + V1_FIELDS_BYTES;
    if (spec_len >= NET_SPEC_MAX || need > rd->size) {
        /* a spec this long, or a header past the end: the sizes cannot hold */
        *implied = spec_len >= NET_SPEC_MAX ? UINT64_MAX : need + 4;
        return 0;
    }
    if (file_read_exact(fd, head + have, need - have) != 0)
        return fail(rd, "cannot read checkpoint: %s", read_problem());
    uint64_t count = le64_at(head + need - 8);
    *implied = count > NET_MAX_COUNT ? UINT64_MAX : need + 8 * count + 4;
    return 0;
}

/* The rest of read_checked: the whole file into rd->data, and its CRC. */
static int read_rest(reader *rd, int fd)
{
    if (rd->size < HEADER_BYTES + 4 || rd->size > SIZE_MAX)
        return fail(rd, "checkpoint is corrupt (%llu bytes cannot hold a header and a CRC)",
                    (unsigned long long)rd->size);
    rd->data = malloc((size_t)rd->size);
    if (!rd->data) return fail(rd, "out of memory reading the checkpoint");
    if (lseek(fd, 0, SEEK_SET) != 0 || file_read_exact(fd, rd->data, (size_t)rd->size) != 0)
        return fail(rd, "cannot read checkpoint: %s", read_problem());
    if (crc_of(rd->data, rd->size - 4) != le32_at(rd->data + rd->size - 4))
        return fail(rd, "checkpoint is corrupt (CRC mismatch)");
    return 0;
}

/* Opens and reads the file: the header is checked (magic, then the size it
 * implies against the file's size) before the rest is read, and the CRC over
 * all of it before anything is interpreted. Sets rd->data and rd->size. */
static int read_checked(reader *rd)
{
    int fd = file_open_input(rd->path, "checkpoint", rd->err, rd->errlen);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return fail(rd, "cannot read checkpoint: %s", strerror(errno));
    }
    rd->size = (uint64_t)st.st_size;
    unsigned char head[16 + NET_SPEC_MAX + V1_FIELDS_BYTES];
    uint64_t have = rd->size < HEADER_BYTES ? rd->size : HEADER_BYTES;
    int rc = -1;
    uint64_t implied = 0;
    if (file_read_exact(fd, head, have) != 0)
        fail(rd, "cannot read checkpoint: %s", read_problem());
    else if (have < sizeof MAGIC || memcmp(head, MAGIC, sizeof MAGIC) != 0)
        fail(rd, "not a cnn checkpoint (bad magic number)");
    else if (have < HEADER_BYTES)
        fail(rd, "checkpoint is cut short (%llu bytes, less than its %d-byte header)",
             (unsigned long long)rd->size, HEADER_BYTES);
    else if (implied_size(rd, fd, head, have, &implied) == 0)
        rc = 0;
    if (rc == 0 && implied == UINT64_MAX)
        rc = fail(rd, "checkpoint is corrupt (its header implies an impossible size; the file "
                      "has %llu bytes)", (unsigned long long)rd->size);
    else if (rc == 0 && implied != rd->size)
        rc = fail(rd, "checkpoint is corrupt%s (its header implies %llu bytes, the file has %llu)",
                  implied > rd->size ? " or cut short" : "", (unsigned long long)implied,
                  (unsigned long long)rd->size);
    if (rc == 0) rc = read_rest(rd, fd);
    close(fd);
    return rc;
}

/* ---- format 2's sections ---- */

/* The network section: the spec and the input it was made for. */
static int parse_network(reader *rd, rbuf *r)
{
    checkpoint_meta *m = rd->m;
    uint32_t spec_len = get_u32(r);
    const unsigned char *spec = spec_len < NET_SPEC_MAX ? take(r, spec_len) : NULL;
    if (!spec || memchr(spec, 0, spec_len))
        return fail(rd, "checkpoint has a bad network spec (length %u)", spec_len);
    memcpy(m->spec, spec, spec_len);
    m->in_c = get_int(r); m->in_h = get_int(r); m->in_w = get_int(r);
    m->classes = get_int(r);
    m->input_scale = get_f32(r); m->input_shift = get_f32(r);
    return 0;
}

static void parse_schedule(checkpoint_meta *m, rbuf *r)
{
    m->lr = get_f32(r); m->lr_gamma = get_f32(r); m->momentum = get_f32(r);
    m->weight_decay = get_f32(r);
    m->lr_step = get_int(r); m->batch = get_int(r); m->epochs = get_int(r);
}

static void parse_progress(checkpoint_meta *m, rbuf *r)
{
    m->epochs_done = get_int(r);
    m->steps_done = get_u64(r); m->seed = get_u64(r); m->rng_state = get_u64(r);
}

static void parse_data(checkpoint_meta *m, rbuf *r)
{
    m->train_count = get_int(r);
    m->train_limit = get_int(r);
    m->labels_crc = get_u32(r);
}

/* The params, momentum or moment2 section: a count, then that many floats. */
static int parse_values(reader *rd, rbuf *r, uint32_t tag)
{
    uint64_t count = get_u64(r);
    uint64_t left = r->len - r->at;
    if (r->short_read || count > NET_MAX_COUNT || left % 4 != 0 || left / 4 != count)
        return fail(rd, "checkpoint is corrupt: its %s section's length %llu does not fit its "
                        "count %llu", SECTION_NAME[tag], (unsigned long long)r->len,
                    (unsigned long long)count);
    float *values = get_floats(r, count);
    if (!values) return fail(rd, "out of memory reading the checkpoint");
    if (tag == SEC_PARAMS) {
        rd->params = values;
        rd->count = count;
    } else if (tag == SEC_MOMENT2) {
        rd->m->moment2 = values;
        rd->moment2_count = count;
    } else {
        rd->momentum = values;
        rd->momentum_count = count;
    }
    return 0;
}

/* The state section: bn's epsilon and momentum, a count, that many floats. */
static int parse_state(reader *rd, rbuf *r)
{
    checkpoint_meta *m = rd->m;
    m->bn_eps = get_f32(r);
    m->bn_momentum = get_f32(r);
    uint64_t count = get_u64(r), left = r->len - r->at;
    if (r->short_read || count == 0 || count > NET_MAX_COUNT || left % 4 != 0 ||
        left / 4 != count)
        return fail(rd, "checkpoint is corrupt: its state section's length %llu does not fit "
                        "its count %llu", (unsigned long long)r->len, (unsigned long long)count);
    if (!(m->state = get_floats(r, count))) return fail(rd, "out of memory reading the checkpoint");
    m->state_count = (long)count;
    return 0;
}

/* The options section (8): the settings that differ from their defaults. */
static void parse_options(checkpoint_meta *m, rbuf *r)
{
    m->optimizer = get_int(r);
    m->beta1 = get_f32(r); m->beta2 = get_f32(r); m->eps = get_f32(r);
    m->decay_bias = get_int(r); m->lr_schedule = get_int(r);
    m->warmup = get_f32(r);
    m->aug_shift = get_int(r); m->aug_rot = get_f32(r); m->aug_scale = get_f32(r);
    m->val = get_int(r);
}

/* One known section, which must be exactly as long as its fields. */
static int parse_section(reader *rd, uint32_t tag, rbuf *r)
{
    int rc = 0;
    switch (tag) {
    case SEC_NETWORK: rc = parse_network(rd, r); break;
    case SEC_SCHEDULE: parse_schedule(rd->m, r); break;
    case SEC_PROGRESS: parse_progress(rd->m, r); break;
    case SEC_DATA: parse_data(rd->m, r); break;
    case SEC_STATE: rc = parse_state(rd, r); break;
    case SEC_OPTIONS: parse_options(rd->m, r); break;
    default: rc = parse_values(rd, r, tag); break;
    }
    if (rc == 0 && (r->short_read || r->at != r->len))
        rc = fail(rd, "checkpoint is corrupt: its %s section is %llu bytes, not what its fields "
                      "take", SECTION_NAME[tag], (unsigned long long)r->len);
    return rc;
}

/* Section 9 is there exactly when the optimizer keeps second moments, with
 * one for every parameter. */
static int check_moment2(reader *rd, int seen)
{
    if (rd->m->optimizer < 0 || rd->m->optimizer >= CNN_OPTIM_COUNT)
        return 0; /* settings_problem names the optimizer */
    if (has_moment2(rd->m) && !seen)
        return fail(rd, "checkpoint is corrupt: its optimizer (adam or adamw) needs a moment2 "
                        "section and it has none");
    if (!has_moment2(rd->m) && seen)
        return fail(rd, "checkpoint is corrupt: it has a moment2 section but its optimizer "
                        "(%s) keeps no second moments", OPTIM_NAME[rd->m->optimizer]);
    if (seen && rd->moment2_count != rd->count)
        return fail(rd, "checkpoint is corrupt: %llu parameters but %llu second moments",
                    (unsigned long long)rd->count, (unsigned long long)rd->moment2_count);
    return 0;
}

/* Walks format 2's sections (the CRC is checked): each known one once, each
 * unknown one skipped when optional and refused when required. */
static int parse_v2(reader *rd)
{
    rbuf body = {rd->data, rd->size - 4, HEADER_BYTES, 0};
    int seen[SEC_KNOWN_COUNT + 1] = {0};
    uint32_t found = 0, declared = le32_at(rd->data + 12);
    while (body.at < body.len) {
        if (++found > MAX_SECTIONS)
            return fail(rd, "checkpoint is corrupt: more than %d sections", MAX_SECTIONS);
        uint32_t tag = get_u32(&body);
        uint64_t len = get_u64(&body);
        const unsigned char *data = take(&body, len);
        if (!data)
            return fail(rd, "checkpoint is corrupt: section %u (tag 0x%08x) runs past the end",
                        found, tag);
        rbuf r = {data, len, 0, 0};
        if (tag >= 1 && tag <= SEC_KNOWN_COUNT) {
            if (seen[tag]++)
                return fail(rd, "checkpoint is corrupt: its %s section appears twice",
                            SECTION_NAME[tag]);
            if (parse_section(rd, tag, &r)) return -1;
        } else if (!(tag & CHECKPOINT_SECTION_OPTIONAL)) {
            return fail(rd, "checkpoint has a required section (tag 0x%08x) this cnn does not "
                            "know (written by a newer cnn: update this one)", tag);
        }
    }
    if (found != declared)
        return fail(rd, "checkpoint is corrupt: its header counts %u sections, it holds %u",
                    declared, found);
    for (int t = 1; t <= SEC_MOMENTUM; t++) /* the sections every file has */
        if (!seen[t])
            return fail(rd, "checkpoint is corrupt: it has no %s section", SECTION_NAME[t]);
    if (rd->count != rd->momentum_count)
        return fail(rd, "checkpoint is corrupt: %llu parameters but %llu momentum values",
                    (unsigned long long)rd->count, (unsigned long long)rd->momentum_count);
    return check_moment2(rd, seen[SEC_MOMENT2]);
}

/* Format 1: fixed fields in a row (the CRC and the size are checked). */
static int parse_v1(reader *rd)
{
    checkpoint_meta *m = rd->m;
    rbuf r = {rd->data, rd->size - 4, 12, 0};
    uint32_t spec_len = get_u32(&r);
    const unsigned char *spec = spec_len < NET_SPEC_MAX ? take(&r, spec_len) : NULL;
    if (!spec || memchr(spec, 0, spec_len))
        return fail(rd, "checkpoint has a bad network spec (length %u)", spec_len);
    memcpy(m->spec, spec, spec_len);
    m->in_c = get_int(&r); m->in_h = get_int(&r); m->in_w = get_int(&r);
    m->classes = get_int(&r);
    m->lr = get_f32(&r); m->lr_gamma = get_f32(&r); m->momentum = get_f32(&r);
    m->weight_decay = get_f32(&r);
    m->lr_step = get_int(&r); m->batch = get_int(&r); m->epochs = get_int(&r);
    parse_progress(m, &r);
    m->input_scale = get_f32(&r); m->input_shift = get_f32(&r);
    rd->count = get_u64(&r);
    /* the size check made count x 8 the bytes left; checked again here */
    if (r.short_read || rd->count > NET_MAX_COUNT || (r.len - r.at) / 8 != rd->count ||
        (r.len - r.at) % 8 != 0)
        return fail(rd, "checkpoint sizes do not add up (%llu parameters)",
                    (unsigned long long)rd->count);
    if (!(rd->params = get_floats(&r, rd->count)) || !(rd->momentum = get_floats(&r, rd->count)))
        return fail(rd, "out of memory reading the checkpoint");
    rd->momentum_count = rd->count;
    m->data_unknown = 1;
    return 0;
}

/* The version's parser, once the CRC has shown the bytes are as written. */
static int parse_version(reader *rd)
{
    uint32_t version = le32_at(rd->data + 8);
    if (version == 1 || version == 2) rd->m->version = (int)version;
    if (version == 1) return parse_v1(rd);
    if (version == 2) return parse_v2(rd);
    return fail(rd, "checkpoint version %u, this build reads versions 1 and %d%s", version,
                CHECKPOINT_VERSION, version > CHECKPOINT_VERSION
                                        ? " (written by a newer cnn: update this one)" : "");
}

int checkpoint_load(const char *path, checkpoint_meta *m, float **params, float **momentum,
                    long *n, char *err, size_t errlen)
{
    *params = *momentum = NULL;
    memset(m, 0, sizeof *m);
    checkpoint_meta_default_options(m); /* what a file without section 8 holds */
    reader rd = {.path = path, .m = m, .err = err, .errlen = errlen};
    int rc = read_checked(&rd);
    if (rc == 0) rc = parse_version(&rd);
    const char *bad = rc == 0 ? settings_problem(m) : NULL;
    if (bad) rc = fail(&rd, "checkpoint holds impossible settings: %s", bad);
    char what[NET_SPEC_MAX + 128];
    int problem = rc == 0 ? nonfinite_problem(m, rd.params, rd.momentum, (long)rd.count, what,
                                              sizeof what) : 0;
    if (problem)
        rc = fail(&rd, "checkpoint holds %s: %s",
                  problem == 1 ? "values that are not finite" : "impossible values", what);
    free(rd.data);
    if (rc != 0) {
        free(rd.params);
        free(rd.momentum);
        free(m->state);
        m->state = NULL;
        m->state_count = 0;
        free(m->moment2);
        m->moment2 = NULL;
        return -1;
    }
    *params = rd.params;
    *momentum = rd.momentum;
    *n = (long)rd.count;
    return 0;
}

/* ---- the training set's identity ---- */

void checkpoint_set_data(checkpoint_meta *m, const unsigned char *labels, int count, int limit)
{
    m->train_count = count;
    m->train_limit = limit;
    m->labels_crc = crc_of(labels, (uint64_t)samples_used(count, limit));
    m->data_unknown = 0;
}

/* "N samples (--train-limit L, C in the set, labels CRC X)" */
static void describe_data(const checkpoint_meta *m, char *out, size_t len)
{
    snprintf(out, len, "%d samples (--train-limit %d, %d in the set, labels CRC %08x)",
             samples_used(m->train_count, m->train_limit), m->train_limit, m->train_count,
             (unsigned)m->labels_crc);
}

int checkpoint_same_data(const checkpoint_meta *saved, const checkpoint_meta *now, char *why,
                         size_t whylen)
{
    if (saved->data_unknown) return 1;
    if (samples_used(saved->train_count, saved->train_limit) ==
            samples_used(now->train_count, now->train_limit) &&
        saved->labels_crc == now->labels_crc)
        return 1;
    char a[160], b[160];
    describe_data(saved, a, sizeof a);
    describe_data(now, b, sizeof b);
    snprintf(why, whylen, "the checkpoint was trained on %s; this run has %s", a, b);
    return 0;
}
