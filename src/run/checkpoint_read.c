/* Reading a checkpoint of format 1, 2 or 3 (docs/checkpoint-format.md):
 * the header and size before the body, the CRC before any field, then the
 * version's sections. */
#include "checkpoint_bytes.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_read.h"
#include "hd/optim.h"

static const char MAGIC[8] = CHECKPOINT_MAGIC; /* with its zero byte */

/* The file being read: its bytes (once the header has been checked), what
 * was parsed from them, and the message of the first problem. */
typedef struct {
    const char *path;
    unsigned char *data;
    uint64_t size;
    checkpoint *ck;
    uint64_t count, momentum_count, moment2_count; /* parameters, momentum values, ... */
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

/* n floats from r into a malloc'ed array (NULL when memory runs out). */
static float *get_floats(rbuf *r, uint64_t n)
{
    float *v = malloc(sizeof(float) * (n ? n : 1));
    if (!v) return NULL;
    for (uint64_t i = 0; i < n; i++) v[i] = get_f32(r);
    return v;
}

/* ---- the header and the bytes ---- */

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
    if (checkpoint_crc(rd->data, rd->size - 4) != le32_at(rd->data + rd->size - 4))
        return fail(rd, "checkpoint is corrupt (CRC mismatch)");
    return 0;
}

/* The header (magic, then the size it implies against the file's size),
 * then the rest; -1 with err set. */
static int read_header_and_rest(reader *rd, int fd)
{
    unsigned char head[16 + NET_SPEC_MAX + V1_FIELDS_BYTES];
    uint64_t have = rd->size < HEADER_BYTES ? rd->size : HEADER_BYTES, implied = 0;
    if (file_read_exact(fd, head, have) != 0)
        return fail(rd, "cannot read checkpoint: %s", read_problem());
    if (have < sizeof MAGIC || memcmp(head, MAGIC, sizeof MAGIC) != 0)
        return fail(rd, "not a cnn checkpoint (bad magic number)");
    if (have < HEADER_BYTES)
        return fail(rd, "checkpoint is cut short (%llu bytes, less than its %d-byte header)",
                    (unsigned long long)rd->size, HEADER_BYTES);
    if (implied_size(rd, fd, head, have, &implied)) return -1;
    if (implied == UINT64_MAX)
        return fail(rd, "checkpoint is corrupt (its header implies an impossible size; the file "
                        "has %llu bytes)", (unsigned long long)rd->size);
    if (implied != rd->size)
        return fail(rd, "checkpoint is corrupt%s (its header implies %llu bytes, the file has "
                        "%llu)", implied > rd->size ? " or cut short" : "",
                    (unsigned long long)implied, (unsigned long long)rd->size);
    return read_rest(rd, fd);
}

/* Opens and reads the file: the header is checked before the rest is
 * read, and the CRC over all of it before anything is interpreted. Sets
 * rd->data and rd->size. */
static int read_checked(reader *rd)
{
    int fd = file_open_input(rd->path, "checkpoint", rd->err, rd->errlen);
    if (fd < 0) return -1;
    struct stat st;
    int rc = fstat(fd, &st) == 0 ? 0 : fail(rd, "cannot read checkpoint: %s", strerror(errno));
    if (rc == 0) {
        rd->size = (uint64_t)st.st_size;
        rc = read_header_and_rest(rd, fd);
    }
    close(fd);
    return rc;
}

/* ---- the sections ---- */

/* The spec and the input it was made for: every format starts with them. */
static int parse_spec_and_input(reader *rd, rbuf *r)
{
    checkpoint_meta *m = &rd->ck->meta;
    uint32_t spec_len = get_u32(r);
    const unsigned char *spec = spec_len < NET_SPEC_MAX ? take(r, spec_len) : NULL;
    if (!spec || memchr(spec, 0, spec_len))
        return fail(rd, "checkpoint has a bad network spec (length %u)", spec_len);
    memcpy(m->spec, spec, spec_len);
    m->in_c = get_int(r);
    m->in_h = get_int(r);
    m->in_w = get_int(r);
    m->classes = get_int(r);
    return 0;
}

/* The network section: the spec, its input, the input's scaling. */
static int parse_network(reader *rd, rbuf *r)
{
    if (parse_spec_and_input(rd, r)) return -1;
    checkpoint_meta *m = &rd->ck->meta;
    float scale = get_f32(r), shift = get_f32(r);
    /* every channel alike, unless a scaling section follows */
    m->norm = input_norm_uniform(m->in_c > 0 && m->in_c <= INPUT_MAX_CHANNELS ? m->in_c : 1,
                                 scale, shift);
    return 0;
}

/* Format 2's schedule section: seven of its settings. */
static void parse_schedule_v2(run_config *c, rbuf *r)
{
    c->lr = get_f32(r);
    c->lr_gamma = get_f32(r);
    c->momentum = get_f32(r);
    c->weight_decay = get_f32(r);
    c->lr_step = get_int(r);
    c->batch = get_int(r);
    c->epochs = get_int(r);
}

/* The progress section; format 1 and 2's also holds the seed. */
static void parse_progress(checkpoint_meta *m, rbuf *r, int version)
{
    m->epochs_done = get_int(r);
    m->steps_done = get_u64(r);
    if (version < 3) m->cfg.seed = get_u64(r);
    m->rng_state = get_u64(r);
}

static void parse_data(checkpoint_meta *m, rbuf *r)
{
    m->train_count = get_int(r);
    m->train_limit = get_int(r);
    m->labels_crc = get_u32(r);
}

/* Format 2's options section (8): the settings that differ from their defaults. */
static void parse_options_v2(run_config *c, rbuf *r)
{
    c->optimizer = get_int(r);
    c->beta1 = get_f32(r);
    c->beta2 = get_f32(r);
    c->eps = get_f32(r);
    c->decay_bias = get_int(r);
    c->lr_schedule = get_int(r);
    c->warmup = get_f32(r);
    c->augment.shift = get_int(r);
    c->augment.rot_deg = get_f32(r);
    c->augment.scale = get_f32(r);
    c->val_count = get_int(r);
}

/* The params, momentum, moment2 or state section: a count, then that many
 * floats (format 2's state: bn's epsilon and momentum first). */
static int parse_values(reader *rd, rbuf *r, uint32_t tag, int version)
{
    checkpoint *ck = rd->ck;
    if (tag == SEC_STATE && version == 2) {
        ck->meta.cfg.bn_eps = get_f32(r);
        ck->meta.cfg.bn_momentum = get_f32(r);
    }
    uint64_t count = get_u64(r), left = r->len - r->at;
    if (r->short_read || count > NET_MAX_COUNT || left % 4 != 0 || left / 4 != count ||
        (tag == SEC_STATE && count == 0))
        return fail(rd, "checkpoint is corrupt: its %s section's length %llu does not fit its "
                        "count %llu", CHECKPOINT_SECTION_NAME[tag], (unsigned long long)r->len,
                    (unsigned long long)count);
    float *values = get_floats(r, count);
    if (!values) return fail(rd, "out of memory reading the checkpoint");
    if (tag == SEC_PARAMS) {
        ck->params = values;
        rd->count = count;
    } else if (tag == SEC_MOMENTUM) {
        ck->momentum = values;
        rd->momentum_count = count;
    } else if (tag == SEC_MOMENT2) {
        ck->moment2 = values;
        rd->moment2_count = count;
    } else {
        ck->state = values;
        ck->state_count = (long)count;
    }
    return 0;
}

/* One known section, which must be exactly as long as its fields. */
static int parse_section(reader *rd, uint32_t tag, rbuf *r, int version)
{
    checkpoint_meta *m = &rd->ck->meta;
    char why[768];
    int rc = 0;
    switch (tag) {
    case SEC_NETWORK: rc = parse_network(rd, r); break;
    case SEC_SCHEDULE: parse_schedule_v2(&m->cfg, r); break;
    case SEC_PROGRESS: parse_progress(m, r, version); break;
    case SEC_DATA: parse_data(m, r); break;
    case SEC_OPTIONS: parse_options_v2(&m->cfg, r); break;
    case SEC_SETTINGS:
        if (checkpoint_parse_settings(r, &m->cfg, m->unknown_setting, sizeof m->unknown_setting,
                                      why, sizeof why))
            return fail(rd, "checkpoint %s", why);
        break;
    case SEC_SCALING:
    case SEC_NAMES:
        if (checkpoint_parse_input(tag == SEC_SCALING, r, m, why, sizeof why))
            return fail(rd, "checkpoint is corrupt: %s", why);
        break;
    default: rc = parse_values(rd, r, tag, version); break;
    }
    if (rc == 0 && (r->short_read || r->at != r->len))
        rc = fail(rd, "checkpoint is corrupt: its %s section is %llu bytes, not what its fields "
                      "take", CHECKPOINT_SECTION_NAME[tag], (unsigned long long)r->len);
    return rc;
}

/* Whether a tag is one of version's sections; every version's file must
 * hold the network, progress, data, params and momentum, and format 2 the
 * schedule, format 3 the settings. */
static int tag_of_version(uint32_t tag, int version)
{
    if (tag == SEC_SCHEDULE || tag == SEC_OPTIONS) return version == 2;
    if (tag == SEC_SETTINGS || tag == SEC_SCALING || tag == SEC_NAMES) return version == 3;
    return tag >= 1 && tag <= SEC_KNOWN_COUNT;
}

static int required_tag(uint32_t tag, int version)
{
    return tag == SEC_NETWORK || tag == SEC_PROGRESS || tag == SEC_DATA || tag == SEC_PARAMS ||
           tag == SEC_MOMENTUM || (tag == SEC_SCHEDULE && version == 2) ||
           (tag == SEC_SETTINGS && version == 3);
}

/* Section 9 is there exactly when the optimizer keeps second moments, with
 * one for every parameter. */
static int check_moment2(reader *rd, int seen)
{
    int optimizer = rd->ck->meta.cfg.optimizer;
    if (optimizer < 0 || optimizer >= CNN_OPTIM_COUNT)
        return 0; /* the settings' check names the optimizer */
    if (cnn_optim_keeps_moment2(optimizer) && !seen)
        return fail(rd, "checkpoint is corrupt: its optimizer (adam or adamw) needs a moment2 "
                        "section and it has none");
    if (!cnn_optim_keeps_moment2(optimizer) && seen) {
        char name[32];
        setting_format(SETTING(optimizer), &rd->ck->meta.cfg, name, sizeof name);
        return fail(rd, "checkpoint is corrupt: it has a moment2 section but its optimizer "
                        "(%s) keeps no second moments", name);
    }
    if (seen && rd->moment2_count != rd->count)
        return fail(rd, "checkpoint is corrupt: %llu parameters but %llu second moments",
                    (unsigned long long)rd->count, (unsigned long long)rd->moment2_count);
    return 0;
}

/* One section of a format 2 or 3 file, from its head on. */
static int walk_section(reader *rd, rbuf *body, uint32_t found, int version, int *seen)
{
    uint32_t tag = get_u32(body);
    uint64_t len = get_u64(body);
    const unsigned char *data = take(body, len);
    if (!data)
        return fail(rd, "checkpoint is corrupt: section %u (tag 0x%08x) runs past the end",
                    found, tag);
    rbuf r = {data, len, 0, 0};
    if (tag == (SEC_SCALING | CHECKPOINT_SECTION_OPTIONAL) ||
        tag == (SEC_NAMES | CHECKPOINT_SECTION_OPTIONAL))
        tag &= ~CHECKPOINT_SECTION_OPTIONAL; /* known, written optional for older readers */
    else if (tag == SEC_SCALING || tag == SEC_NAMES)
        return fail(rd, "checkpoint is corrupt: its %s section is not marked optional",
                    CHECKPOINT_SECTION_NAME[tag]);
    if (tag >= 1 && tag <= SEC_KNOWN_COUNT && !tag_of_version(tag, version))
        return fail(rd, "checkpoint is corrupt: its %s section does not belong in format %d",
                    CHECKPOINT_SECTION_NAME[tag], version);
    if (tag >= 1 && tag <= SEC_KNOWN_COUNT) {
        if (seen[tag]++)
            return fail(rd, "checkpoint is corrupt: its %s section appears twice",
                        CHECKPOINT_SECTION_NAME[tag]);
        return parse_section(rd, tag, &r, version);
    }
    if (!(tag & CHECKPOINT_SECTION_OPTIONAL))
        return fail(rd, "checkpoint has a required section (tag 0x%08x) this cnn does not "
                        "know (written by a newer cnn: update this one)", tag);
    return 0;
}

/* Walks format 2 or 3's sections (the CRC is checked): each known one once,
 * each unknown one skipped when optional and refused when required. */
static int parse_sections(reader *rd, int version)
{
    rbuf body = {rd->data, rd->size - 4, HEADER_BYTES, 0};
    int seen[SEC_KNOWN_COUNT + 1] = {0};
    uint32_t found = 0, declared = le32_at(rd->data + 12);
    while (body.at < body.len) {
        if (++found > MAX_SECTIONS)
            return fail(rd, "checkpoint is corrupt: more than %d sections", MAX_SECTIONS);
        if (walk_section(rd, &body, found, version, seen)) return -1;
    }
    if (found != declared)
        return fail(rd, "checkpoint is corrupt: its header counts %u sections, it holds %u",
                    declared, found);
    for (uint32_t t = 1; t <= SEC_KNOWN_COUNT; t++)
        if (required_tag(t, version) && !seen[t])
            return fail(rd, "checkpoint is corrupt: it has no %s section",
                        CHECKPOINT_SECTION_NAME[t]);
    if (rd->count != rd->momentum_count)
        return fail(rd, "checkpoint is corrupt: %llu parameters but %llu momentum values",
                    (unsigned long long)rd->count, (unsigned long long)rd->momentum_count);
    return check_moment2(rd, seen[SEC_MOMENT2]);
}

/* Format 1: fixed fields in a row (the CRC and the size are checked). */
static int parse_v1(reader *rd)
{
    checkpoint *ck = rd->ck;
    checkpoint_meta *m = &ck->meta;
    rbuf r = {rd->data, rd->size - 4, 12, 0};
    if (parse_spec_and_input(rd, &r)) return -1;
    parse_schedule_v2(&m->cfg, &r); /* (the same seven fields) */
    parse_progress(m, &r, 1);
    float scale = get_f32(&r), shift = get_f32(&r);
    m->norm = input_norm_uniform(m->in_c > 0 && m->in_c <= INPUT_MAX_CHANNELS ? m->in_c : 1,
                                 scale, shift);
    rd->count = get_u64(&r);
    /* the size check made count x 8 the bytes left; checked again here */
    if (r.short_read || rd->count > NET_MAX_COUNT || (r.len - r.at) / 8 != rd->count ||
        (r.len - r.at) % 8 != 0)
        return fail(rd, "checkpoint sizes do not add up (%llu parameters)",
                    (unsigned long long)rd->count);
    if (!(ck->params = get_floats(&r, rd->count)) || !(ck->momentum = get_floats(&r, rd->count)))
        return fail(rd, "out of memory reading the checkpoint");
    rd->momentum_count = rd->count;
    m->data_unknown = 1;
    return 0;
}

/* The version's parser, once the CRC has shown the bytes are as written. */
static int parse_version(reader *rd)
{
    uint32_t version = le32_at(rd->data + 8);
    if (version >= 1 && version <= CHECKPOINT_VERSION) rd->ck->meta.version = (int)version;
    if (version == 1) return parse_v1(rd);
    if (version == 2 || version == 3) return parse_sections(rd, (int)version);
    return fail(rd, "checkpoint version %u, this build reads versions 1 to %d%s", version,
                CHECKPOINT_VERSION, version > CHECKPOINT_VERSION
                                        ? " (written by a newer cnn: update this one)" : "");
}

void checkpoint_free(checkpoint *ck)
{
    free(ck->params);
    free(ck->momentum);
    free(ck->moment2);
    free(ck->state);
    memset(ck, 0, sizeof *ck);
}

/* What the values and settings read hold that no run could have written,
 * into err; -1. */
static int check_contents(reader *rd)
{
    char why[NET_SPEC_MAX + 512];
    rd->ck->n = (long)rd->count;
    if (checkpoint_settings_problem(rd->ck, why, sizeof why))
        return fail(rd, "checkpoint holds impossible settings: %s", why);
    int problem = checkpoint_nonfinite_problem(rd->ck, why, sizeof why);
    if (problem)
        return fail(rd, "checkpoint holds %s: %s",
                    problem == 1 ? "values that are not finite" : "impossible values", why);
    return 0;
}

int checkpoint_load(const char *path, checkpoint *ck, char *err, size_t errlen)
{
    memset(ck, 0, sizeof *ck);
    run_config_defaults(&ck->meta.cfg); /* what a file without a setting holds */
    reader rd = {.path = path, .ck = ck, .err = err, .errlen = errlen};
    int rc = read_checked(&rd);
    if (rc == 0) rc = parse_version(&rd);
    if (rc == 0) rc = check_contents(&rd);
    free(rd.data);
    if (rc != 0) checkpoint_free(ck);
    return rc;
}
