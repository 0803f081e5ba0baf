/* Checkpoint bytes for the tests: see ckpt_bytes.h. */
#include "ckpt_bytes.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "run_util.h"

/* ---- fields ---- */

uint32_t cb_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t cb_le64(const unsigned char *p)
{
    return (uint64_t)cb_le32(p) | (uint64_t)cb_le32(p + 4) << 32;
}

void cb_set_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

void cb_set_le64(unsigned char *p, uint64_t v)
{
    cb_set_le32(p, (uint32_t)v);
    cb_set_le32(p + 4, (uint32_t)(v >> 32));
}

uint32_t cb_float_bits(float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    return v;
}

float cb_bits_float(uint32_t v)
{
    float f;
    memcpy(&f, &v, 4);
    return f;
}

uint32_t cb_crc32(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

void cb_fix_crc(unsigned char *b, size_t len)
{
    cr_assert_geq(len, 4u);
    cb_set_le32(b + len - 4, cb_crc32(b, len - 4));
}

/* ---- sections ---- */

int cb_sections(const unsigned char *b, size_t len, cb_section *out, int max)
{
    int n = 0;
    for (size_t at = 24; at + 12 <= len - 4 && n < max; n++) {
        out[n].tag = cb_le32(b + at);
        out[n].len = (size_t)cb_le64(b + at + 4);
        cr_assert_leq(out[n].len, len - 4 - at - 12, "section %d runs past the end", n + 1);
        out[n].data = b + at + 12;
        at += 12 + out[n].len;
    }
    return n;
}

size_t cb_section_at(const unsigned char *b, size_t len, uint32_t tag, size_t *slen)
{
    for (size_t at = 24; at + 12 <= len - 4;) {
        uint64_t l = cb_le64(b + at + 4);
        if (cb_le32(b + at) == tag) {
            if (slen) *slen = (size_t)l;
            return at + 12;
        }
        at += 12 + (size_t)l;
    }
    cr_assert_fail("the file has no section %u", tag);
    return 0;
}

unsigned char *cb_build(uint32_t version, const cb_section *s, int n, int count_delta,
                        size_t *len)
{
    size_t total = 24 + 4;
    for (int i = 0; i < n; i++) total += 12 + s[i].len;
    unsigned char *b = malloc(total), *q = b + 24;
    cr_assert_not_null(b);
    memcpy(b, "CNNCKPT\0", 8);
    cb_set_le32(b + 8, version);
    cb_set_le32(b + 12, (uint32_t)(n + count_delta));
    cb_set_le64(b + 16, total);
    for (int i = 0; i < n; i++) {
        cb_set_le32(q, s[i].tag);
        cb_set_le64(q + 4, s[i].len);
        if (s[i].len) memcpy(q + 12, s[i].data, s[i].len);
        q += 12 + s[i].len;
    }
    cb_fix_crc(b, total);
    *len = total;
    return b;
}

#define MAX_SECTIONS 32

unsigned char *cb_rearranged(const unsigned char *b, size_t len, uint32_t drop, uint32_t twice,
                             uint32_t extra_tag, const void *extra, size_t extra_len,
                             size_t *out_len)
{
    cb_section in[MAX_SECTIONS], out[2 * MAX_SECTIONS + 1];
    int n = cb_sections(b, len, in, MAX_SECTIONS), m = 0;
    for (int i = 0; i < n; i++) {
        if (in[i].tag != drop) out[m++] = in[i];
        if (in[i].tag == twice) out[m++] = in[i];
    }
    if (extra_tag) out[m++] = (cb_section){extra_tag, extra_len, extra};
    return cb_build(cb_le32(b + 8), out, m, 0, out_len);
}

unsigned char *cb_with_section(const unsigned char *b, size_t len, uint32_t tag,
                               const void *data, size_t data_len, size_t *out_len)
{
    cb_section s[MAX_SECTIONS];
    int n = cb_sections(b, len, s, MAX_SECTIONS), found = 0;
    for (int i = 0; i < n; i++)
        if (s[i].tag == tag && !found++) s[i] = (cb_section){tag, data_len, data};
    cr_assert(found, "the file has no section %u", tag);
    return cb_build(cb_le32(b + 8), s, n, 0, out_len);
}

/* ---- settings entries ---- */

static cb_entry entry(const char *name, unsigned type)
{
    cb_entry e;
    memset(&e, 0, sizeof e);
    e.name_len = (unsigned)strlen(name);
    cr_assert_lt(e.name_len, sizeof e.name);
    memcpy(e.name, name, e.name_len);
    e.type = type;
    return e;
}

cb_entry cb_int32(const char *name, uint32_t v)
{
    cb_entry e = entry(name, CB_INT32);
    cb_set_le32(e.value, v);
    e.value_len = 4;
    return e;
}

cb_entry cb_float32(const char *name, float v)
{
    cb_entry e = entry(name, CB_FLOAT32);
    cb_set_le32(e.value, cb_float_bits(v));
    e.value_len = 4;
    return e;
}

cb_entry cb_uint64(const char *name, uint64_t v)
{
    cb_entry e = entry(name, CB_UINT64);
    cb_set_le64(e.value, v);
    e.value_len = 8;
    return e;
}

cb_entry cb_text(const char *name, const char *text)
{
    cb_entry e = entry(name, CB_TEXT);
    size_t n = strlen(text);
    cr_assert_leq(n + 4, sizeof e.value);
    cb_set_le32(e.value, (uint32_t)n);
    memcpy(e.value + 4, text, n);
    e.value_len = 4 + n;
    return e;
}

int cb_entries(const unsigned char *b, size_t len, cb_entry *out, int max)
{
    size_t slen, at = cb_section_at(b, len, CB_SETTINGS, &slen), end = at + slen;
    cr_assert_geq(slen, 4u, "the settings section holds no count");
    uint32_t count = cb_le32(b + at);
    at += 4;
    cr_assert_leq(count, (uint32_t)max, "%u settings", count);
    for (uint32_t i = 0; i < count; i++) {
        cb_entry *e = &out[i];
        memset(e, 0, sizeof *e);
        cr_assert_lt(at, end, "setting %u: past the section's end", i + 1);
        e->name_len = b[at++];
        cr_assert_leq(at + e->name_len + 1, end, "setting %u: its name runs past the end", i + 1);
        memcpy(e->name, b + at, e->name_len);
        at += e->name_len;
        e->type = b[at++];
        switch (e->type) {
        case CB_INT32:
        case CB_FLOAT32: e->value_len = 4; break;
        case CB_UINT64: e->value_len = 8; break;
        case CB_TEXT:
            cr_assert_leq(at + 4, end, "setting %s: its text's length runs past the end", e->name);
            e->value_len = 4 + cb_le32(b + at);
            break;
        default: cr_assert_fail("setting %s: value type %u", e->name, e->type);
        }
        cr_assert_leq(e->value_len, sizeof e->value, "setting %s: a text too long", e->name);
        cr_assert_leq(at + e->value_len, end, "setting %s: its value runs past the end", e->name);
        memcpy(e->value, b + at, e->value_len);
        at += e->value_len;
    }
    cr_assert_eq(at, end, "the settings section holds %zu bytes after its %u settings",
                 end - at, count);
    return (int)count;
}

int cb_find_entry(const cb_entry *e, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (e[i].name_len == strlen(name) && !memcmp(e[i].name, name, e[i].name_len)) return i;
    return -1;
}

size_t cb_settings_data(const cb_entry *e, int n, uint32_t count, unsigned char *out)
{
    unsigned char *q = out;
    cb_set_le32(q, count);
    q += 4;
    for (int i = 0; i < n; i++) {
        *q++ = (unsigned char)e[i].name_len;
        memcpy(q, e[i].name, e[i].name_len);
        q += e[i].name_len;
        *q++ = (unsigned char)e[i].type;
        memcpy(q, e[i].value, e[i].value_len);
        q += e[i].value_len;
    }
    return (size_t)(q - out);
}

unsigned char *cb_with_entries(const unsigned char *b, size_t len, const cb_entry *e, int n,
                               uint32_t count, size_t *out_len)
{
    unsigned char *data = malloc(4 + (size_t)(n ? n : 1) * sizeof(cb_entry));
    cr_assert_not_null(data);
    size_t data_len = cb_settings_data(e, n, count, data);
    unsigned char *out = cb_with_section(b, len, CB_SETTINGS, data, data_len, out_len);
    free(data);
    return out;
}

#define MAX_ENTRIES 64

unsigned char *cb_with_setting(const unsigned char *b, size_t len, const char *name,
                               cb_entry e, size_t *out_len)
{
    static cb_entry all[MAX_ENTRIES];
    int n = cb_entries(b, len, all, MAX_ENTRIES), i = cb_find_entry(all, n, name);
    cr_assert_geq(i, 0, "the file has no setting %s", name);
    all[i] = e;
    return cb_with_entries(b, len, all, n, (uint32_t)n, out_len);
}

void cb_patch_setting(const char *path, const char *name, cb_entry e)
{
    size_t len, out_len;
    unsigned char *b = read_file(path, &len);
    unsigned char *out = cb_with_setting(b, len, name, e, &out_len);
    write_file(path, out, out_len);
    free(out);
    free(b);
}

/* ---- the earlier formats ---- */

/* A growing buffer of little-endian fields. */
typedef struct { unsigned char *p; size_t len, cap; } buf;

static void put(buf *b, const void *src, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = 2 * (b->len + n) + 256;
        b->p = realloc(b->p, b->cap);
        cr_assert_not_null(b->p);
    }
    if (n) memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void put32(buf *b, uint32_t v)
{
    unsigned char x[4];
    cb_set_le32(x, v);
    put(b, x, 4);
}

static void put64(buf *b, uint64_t v)
{
    unsigned char x[8];
    cb_set_le64(x, v);
    put(b, x, 8);
}

static void putf(buf *b, float f) { put32(b, cb_float_bits(f)); }

static void put_floats(buf *b, const float *v, long n)
{
    for (long i = 0; i < n; i++) putf(b, v[i]);
}

unsigned char *cb_v1_bytes(const checkpoint *ck, size_t *len)
{
    const checkpoint_meta *m = &ck->meta;
    const run_config *c = &m->cfg;
    buf b = {0};
    put(&b, "CNNCKPT\0", 8);
    put32(&b, 1);
    put32(&b, (uint32_t)strlen(m->spec));
    put(&b, m->spec, strlen(m->spec));
    put32(&b, (uint32_t)m->in_c); put32(&b, (uint32_t)m->in_h);
    put32(&b, (uint32_t)m->in_w); put32(&b, (uint32_t)m->classes);
    putf(&b, c->lr); putf(&b, c->lr_gamma); putf(&b, c->momentum); putf(&b, c->weight_decay);
    put32(&b, (uint32_t)c->lr_step); put32(&b, (uint32_t)c->batch); put32(&b, (uint32_t)c->epochs);
    put32(&b, (uint32_t)m->epochs_done);
    put64(&b, m->steps_done); put64(&b, c->seed); put64(&b, m->rng_state);
    putf(&b, m->norm.scale[0]); putf(&b, m->norm.shift[0]);
    put64(&b, (uint64_t)ck->n);
    put_floats(&b, ck->params, ck->n);
    put_floats(&b, ck->momentum, ck->n);
    put32(&b, 0);
    cr_assert_eq(b.len, 16 + strlen(m->spec) + 88 + 8 * (size_t)ck->n + 4);
    cb_fix_crc(b.p, b.len);
    *len = b.len;
    return b.p;
}

/* Starts a format 2 section; end_section fills in its length. */
static size_t begin_section(buf *b, uint32_t tag, uint32_t *count)
{
    put32(b, tag);
    put64(b, 0);
    (*count)++;
    return b->len;
}

static void end_section(buf *b, size_t start)
{
    cb_set_le64(b->p + start - 8, (uint64_t)(b->len - start));
}

/* Whether a setting of format 2's options section differs from the default
 * its table gives (docs: sgd, 0.9, 0.999, 1e-8, 1, step, 0, no
 * augmentation, no validation). */
static int options_differ(const run_config *c)
{
    return c->optimizer != 0 || c->beta1 != 0.9f || c->beta2 != 0.999f || c->eps != 1e-8f ||
           c->decay_bias != 1 || c->lr_schedule != 0 || c->warmup != 0 || c->augment.shift != 0 ||
           c->augment.rot_deg != 0 || c->augment.scale != 0 || c->val_count != 0;
}

unsigned char *cb_v2_bytes(const checkpoint *ck, int force_options, size_t *len)
{
    const checkpoint_meta *m = &ck->meta;
    const run_config *c = &m->cfg;
    buf b = {0};
    uint32_t count = 0;
    put(&b, "CNNCKPT\0", 8);
    put32(&b, 2);
    put32(&b, 0);
    put64(&b, 0);

    size_t at = begin_section(&b, CB_NETWORK, &count);
    put32(&b, (uint32_t)strlen(m->spec));
    put(&b, m->spec, strlen(m->spec));
    put32(&b, (uint32_t)m->in_c); put32(&b, (uint32_t)m->in_h);
    put32(&b, (uint32_t)m->in_w); put32(&b, (uint32_t)m->classes);
    putf(&b, m->norm.scale[0]); putf(&b, m->norm.shift[0]);
    end_section(&b, at);

    at = begin_section(&b, CB_SCHEDULE, &count);
    putf(&b, c->lr); putf(&b, c->lr_gamma); putf(&b, c->momentum); putf(&b, c->weight_decay);
    put32(&b, (uint32_t)c->lr_step); put32(&b, (uint32_t)c->batch); put32(&b, (uint32_t)c->epochs);
    end_section(&b, at);

    at = begin_section(&b, CB_PROGRESS, &count);
    put32(&b, (uint32_t)m->epochs_done);
    put64(&b, m->steps_done); put64(&b, c->seed); put64(&b, m->rng_state);
    end_section(&b, at);

    at = begin_section(&b, CB_DATA, &count);
    put32(&b, (uint32_t)m->train_count); put32(&b, (uint32_t)m->train_limit);
    put32(&b, m->labels_crc);
    end_section(&b, at);

    at = begin_section(&b, CB_PARAMS, &count);
    put64(&b, (uint64_t)ck->n);
    put_floats(&b, ck->params, ck->n);
    end_section(&b, at);

    at = begin_section(&b, CB_MOMENTUM, &count);
    put64(&b, (uint64_t)ck->n);
    put_floats(&b, ck->momentum, ck->n);
    end_section(&b, at);

    if (ck->state_count) {
        at = begin_section(&b, CB_STATE, &count);
        putf(&b, c->bn_eps); putf(&b, c->bn_momentum);
        put64(&b, (uint64_t)ck->state_count);
        put_floats(&b, ck->state, ck->state_count);
        end_section(&b, at);
    }
    if (force_options || options_differ(c)) {
        at = begin_section(&b, CB_OPTIONS, &count);
        put32(&b, (uint32_t)c->optimizer);
        putf(&b, c->beta1); putf(&b, c->beta2); putf(&b, c->eps);
        put32(&b, (uint32_t)c->decay_bias); put32(&b, (uint32_t)c->lr_schedule);
        putf(&b, c->warmup);
        put32(&b, (uint32_t)c->augment.shift); putf(&b, c->augment.rot_deg);
        putf(&b, c->augment.scale);
        put32(&b, (uint32_t)c->val_count);
        end_section(&b, at);
    }
    if (ck->moment2) {
        at = begin_section(&b, CB_MOMENT2, &count);
        put64(&b, (uint64_t)ck->n);
        put_floats(&b, ck->moment2, ck->n);
        end_section(&b, at);
    }
    put32(&b, 0);
    cb_set_le32(b.p + 12, count);
    cb_set_le64(b.p + 16, b.len);
    cb_fix_crc(b.p, b.len);
    *len = b.len;
    return b.p;
}

const char *cb_fixture(const char *name)
{
    static char path[8][1024];
    static int next;
    char *out = path[next++ % 8];
    const char *env = getenv("CNN_FIXTURES_DIR");
    const char *roots[] = {env && *env ? env : NULL, "tests/fixtures", "../tests/fixtures"};
    struct stat st;
    for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
        if (!roots[i]) continue;
        snprintf(out, sizeof path[0], "%s/ckpt-v2/%s", roots[i], name);
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) return out;
    }
    cr_assert_fail("no fixture tests/fixtures/ckpt-v2/%s: run from the repository root or set "
                   "CNN_FIXTURES_DIR", name);
    return NULL;
}
