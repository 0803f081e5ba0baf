/* Checkpoint files; the format is described in include/checkpoint.h. */
#include "checkpoint.h"
#include "file_write.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static const char MAGIC[8] = {'C', 'N', 'N', 'C', 'K', 'P', 'T', 0};

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
    unsigned char x[4] = {v, v >> 8, v >> 16, v >> 24};
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

static int checkpoint_write(const char *path, int no_replace, const checkpoint_meta *m,
                            const float *params, const float *momentum, long n, char *err,
                            size_t errlen)
{
    wbuf b = {0};
    uint32_t spec_len = (uint32_t)strlen(m->spec);
    put(&b, MAGIC, sizeof MAGIC);
    put_u32(&b, CHECKPOINT_VERSION);
    put_u32(&b, spec_len);
    put(&b, m->spec, spec_len);
    put_u32(&b, m->in_c); put_u32(&b, m->in_h); put_u32(&b, m->in_w); put_u32(&b, m->classes);
    put_f32(&b, m->lr); put_f32(&b, m->lr_gamma); put_f32(&b, m->momentum);
    put_f32(&b, m->weight_decay);
    put_u32(&b, m->lr_step); put_u32(&b, m->batch); put_u32(&b, m->epochs);
    put_u32(&b, m->epochs_done);
    put_u64(&b, m->steps_done); put_u64(&b, m->seed); put_u64(&b, m->rng_state);
    put_f32(&b, m->input_scale); put_f32(&b, m->input_shift);
    put_u64(&b, (uint64_t)n);
    for (long i = 0; i < n; i++) put_f32(&b, params[i]);
    for (long i = 0; i < n; i++) put_f32(&b, momentum[i]);
    put_u32(&b, (uint32_t)crc32(0L, b.p, (uInt)b.len));
    if (b.failed) {
        free(b.p);
        snprintf(err, errlen, "%s: out of memory building the checkpoint", path);
        return -1;
    }

    file_out out;
    int rc = file_out_begin(&out, path, err, errlen);
    if (rc == 0 && fwrite(b.p, 1, b.len, out.f) != b.len) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        file_out_abort(&out);
        rc = -1;
    } else if (rc == 0) {
        rc = file_out_commit(&out, no_replace, err, errlen);
    }
    free(b.p);
    if (rc) {
        int e = errno;
        size_t at = strlen(err);
        snprintf(err + at, errlen - at, " (any previous checkpoint there is unchanged)");
        errno = e;
    }
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

/* A bounds-checked little-endian reader. */
typedef struct { const unsigned char *p; size_t len, at; int short_read; } rbuf;

static const unsigned char *take(rbuf *r, size_t n)
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
    return x ? (uint32_t)x[0] | (uint32_t)x[1] << 8 | (uint32_t)x[2] << 16 | (uint32_t)x[3] << 24
             : 0;
}

static uint64_t get_u64(rbuf *r)
{
    uint64_t lo = get_u32(r);
    return lo | (uint64_t)get_u32(r) << 32;
}

static float get_f32(rbuf *r)
{
    uint32_t v = get_u32(r);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

/* What is impossible in a checkpoint's settings (a CRC only proves the file
 * is as written, not that its writer was sane), or NULL. */
static const char *settings_problem(const checkpoint_meta *m)
{
    if (m->in_c < 1 || m->in_h < 1 || m->in_w < 1 || m->classes < 1 || m->classes > 256)
        return "the input shape or the class count";
    if (m->batch < 1) return "a batch below 1";
    if (m->epochs < 1 || m->epochs_done < 0 || m->epochs_done > m->epochs)
        return "the epoch counts";
    if (m->lr_step < 0) return "a negative lr step";
    if (!isfinite(m->lr) || m->lr <= 0 || !isfinite(m->lr_gamma) || m->lr_gamma <= 0 ||
        !isfinite(m->momentum) || m->momentum < 0 || !isfinite(m->weight_decay) ||
        m->weight_decay < 0)
        return "the learning rate, its factor, the momentum or the weight decay";
    if (!isfinite(m->input_scale) || !isfinite(m->input_shift))
        return "the input scaling";
    return NULL;
}

int checkpoint_load(const char *path, checkpoint_meta *m, float **params, float **momentum,
                    long *n, char *err, size_t errlen)
{
    *params = *momentum = NULL;
    struct stat st;
    FILE *f = fopen(path, "rb");
    if (!f || fstat(fileno(f), &st) != 0) {
        snprintf(err, errlen, "%s: cannot open checkpoint: %s", path, strerror(errno));
        if (f) fclose(f);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        fclose(f);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    unsigned char *data = malloc(size ? size : 1);
    if (!data || fread(data, 1, size, f) != size) {
        snprintf(err, errlen, "%s: cannot read checkpoint", path);
        fclose(f);
        free(data);
        return -1;
    }
    fclose(f);

    rbuf r = {data, size, 0, 0};
    const unsigned char *magic = take(&r, sizeof MAGIC);
    if (!magic || memcmp(magic, MAGIC, sizeof MAGIC) != 0) {
        snprintf(err, errlen, "%s: not a cnn checkpoint (bad magic number)", path);
        goto fail;
    }
    uint32_t version = get_u32(&r);
    if (!r.short_read && version != CHECKPOINT_VERSION) {
        snprintf(err, errlen, "%s: checkpoint version %u, this build reads version %d%s", path,
                 version, CHECKPOINT_VERSION, version > CHECKPOINT_VERSION ?
                 " (written by a newer cnn: update this one)" : "");
        goto fail;
    }
    /* 16 bytes at least: magic, version, CRC (and below that the reader's
     * bounds would not hold) */
    if (size < 16 || crc32(0L, data, (uInt)(size - 4)) !=
                        ((uint32_t)data[size - 4] | (uint32_t)data[size - 3] << 8 |
                         (uint32_t)data[size - 2] << 16 | (uint32_t)data[size - 1] << 24)) {
        snprintf(err, errlen, "%s: checkpoint is corrupt or cut short (CRC mismatch)", path);
        goto fail;
    }
    r.len = size - 4; /* the CRC is checked; parse what it covers */
    memset(m, 0, sizeof *m);
    uint32_t spec_len = get_u32(&r);
    const unsigned char *spec = spec_len < NET_SPEC_MAX ? take(&r, spec_len) : NULL;
    if (!spec) {
        snprintf(err, errlen, "%s: checkpoint has a bad network spec length %u", path, spec_len);
        goto fail;
    }
    memcpy(m->spec, spec, spec_len);
    m->in_c = (int)get_u32(&r); m->in_h = (int)get_u32(&r); m->in_w = (int)get_u32(&r);
    m->classes = (int)get_u32(&r);
    m->lr = get_f32(&r); m->lr_gamma = get_f32(&r); m->momentum = get_f32(&r);
    m->weight_decay = get_f32(&r);
    m->lr_step = (int)get_u32(&r); m->batch = (int)get_u32(&r); m->epochs = (int)get_u32(&r);
    m->epochs_done = (int)get_u32(&r);
    m->steps_done = get_u64(&r); m->seed = get_u64(&r); m->rng_state = get_u64(&r);
    m->input_scale = get_f32(&r); m->input_shift = get_f32(&r);
    const char *bad = settings_problem(m);
    if (!r.short_read && bad) {
        snprintf(err, errlen, "%s: checkpoint holds impossible settings: %s", path, bad);
        goto fail;
    }
    uint64_t count = get_u64(&r);
    if (r.short_read || count > (r.len - r.at) / 8 || (r.len - r.at) != count * 8) {
        snprintf(err, errlen, "%s: checkpoint sizes do not add up (%llu parameters)", path,
                 (unsigned long long)count);
        goto fail;
    }
    *params = malloc(sizeof(float) * (count ? count : 1));
    *momentum = malloc(sizeof(float) * (count ? count : 1));
    if (!*params || !*momentum) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto fail;
    }
    for (uint64_t i = 0; i < count; i++) (*params)[i] = get_f32(&r);
    for (uint64_t i = 0; i < count; i++) (*momentum)[i] = get_f32(&r);
    *n = (long)count;
    free(data);
    return 0;
fail:
    free(data);
    free(*params);
    free(*momentum);
    *params = *momentum = NULL;
    return -1;
}
