/* libFuzzer harness for the checkpoint reader (src/run/checkpoint_*.c):
 * checkpoint_load, on format 3 (header, tagged sections with the settings as
 * name, type and value entries, CRC), format 2 (the same header, the
 * schedule and options sections) and format 1 files.
 *
 * Each input is loaded up to three times: as it is; with its last four bytes
 * replaced by the CRC-32 of the rest, so that mutations get past the CRC check
 * and reach the parser behind it; and, for anything but format 1, with the
 * header's file length (bytes 16..23) set to the input's size as well, so that
 * mutated section lengths and counts reach the section walker. An accepted
 * checkpoint must be consistent with its bytes, read here independently: for
 * format 1 exactly as long as its header says, for formats 2 and 3 as long as
 * its length field with its network, params and momentum sections where the
 * walk finds them; every parameter, momentum, second moment and running
 * statistic as in the file and finite; the settings as the file holds them
 * (format 2's schedule, progress, state and options fields; format 3's
 * entries, every one known, once, of its row's type, and a setting the file
 * lacks at its default) and inside the documented limits. Its spec is then
 * parsed for 1x28x28 inputs of 10 classes, as `cnn eval` and `cnn train
 * --resume` do. A refused one must come with a message and leave nothing to
 * free. */
#include "fuzz_common.h"

#include <limits.h>
#include <math.h>
#include <zlib.h>

#include "checkpoint.h"
#include "hd/optim.h"
#include "netspec.h"
#include "settings.h"

/* The most a checkpoint's batch, epochs and lr step may be (the rows'
 * SET_COUNT_RANGE in include/settings.h). */
#define FZ_COUNT_LIMIT 16777216

static uint32_t fz_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t fz_le64(const uint8_t *p)
{
    return (uint64_t)fz_le32(p) | (uint64_t)fz_le32(p + 4) << 32;
}

static uint32_t fz_bits(float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    return v;
}

/* Where an accepted file keeps its spec, values and settings. */
typedef struct {
    size_t spec_at, params_at, momentum_at, state_at; /* state_at 0: no state section */
    size_t moment2_at;                                 /* 0: no moment2 section */
    size_t schedule_at, progress_at, options_at;       /* format 2 (options_at 0: none) */
    size_t settings_at, settings_len;                  /* format 3 */
    uint32_t spec_len;
    uint64_t count, state_count;
} fz_layout;

/* Format 1: fixed fields; the size must be exactly what the header implies. */
static const char *fz_layout_v1(const uint8_t *data, size_t size, fz_layout *l)
{
    const size_t head = 16 + 88; /* magic, version, spec length; 88 bytes after the spec */
    memset(l, 0, sizeof *l);
    l->spec_len = size >= 16 ? fz_le32(data + 12) : 0;
    if (size < head + 4 || l->spec_len >= NET_SPEC_MAX)
        return "accepted a format 1 checkpoint too short for its header";
    l->spec_at = 16;
    l->count = fz_le64(data + head + l->spec_len - 8);
    l->params_at = head + l->spec_len;
    if (l->count > (size - l->params_at) / 8 || size != head + l->spec_len + 8 * l->count + 4)
        return "accepted, but the size does not match the parameter count";
    l->momentum_at = l->params_at + 4 * l->count;
    return NULL;
}

/* Formats 2 and 3: the header's length, then the sections walked (the
 * first of each tag is what a reader that refuses duplicates must have
 * used). Format 2's state section starts with bn's two settings. */
static const char *fz_layout_sections(const uint8_t *data, size_t size, uint32_t version,
                                      fz_layout *l)
{
    memset(l, 0, sizeof *l);
    if (size < 28 || fz_le64(data + 16) != size)
        return "accepted a checkpoint whose length field is not its size";
    size_t found[11] = {0};
    uint64_t lens[11] = {0};
    for (size_t at = 24; at < size - 4;) {
        if (size - 4 - at < 12)
            return "accepted a checkpoint with a cut section head";
        uint32_t tag = fz_le32(data + at);
        uint64_t len = fz_le64(data + at + 4);
        if (len > size - 4 - at - 12)
            return "accepted a section that runs past the end";
        if (tag >= 1 && tag <= 10) {
            if (found[tag])
                return "accepted a section twice";
            found[tag] = at + 12;
            lens[tag] = len;
        } else if (!(tag & CHECKPOINT_SECTION_OPTIONAL)) {
            return "accepted an unknown section that is not optional";
        }
        at += 12 + (size_t)len;
    }
    if (!found[1] || !found[3] || !found[4] || !found[5] || !found[6])
        return "accepted without the network, progress, data, params or momentum section";
    if (version == 2 && (!found[2] || found[10]))
        return "accepted a format 2 checkpoint without its schedule or with a settings section";
    if (version == 3 && (!found[10] || found[2] || found[8]))
        return "accepted a format 3 checkpoint without its settings or with format 2's sections";
    l->spec_len = fz_le32(data + found[1]);
    l->spec_at = found[1] + 4;
    l->count = fz_le64(data + found[5]);
    l->params_at = found[5] + 8;
    l->momentum_at = found[6] + 8;
    if (lens[5] != 8 + 4 * l->count || lens[6] != lens[5] || fz_le64(data + found[6]) != l->count)
        return "accepted params or momentum sections that do not match their counts";
    size_t state_head = version == 2 ? 16 : 8;
    l->state_at = found[7] ? found[7] + state_head : 0;
    l->state_count = found[7] ? fz_le64(data + found[7] + state_head - 8) : 0;
    if (found[7] && (l->state_count == 0 || lens[7] != state_head + 4 * l->state_count))
        return "accepted a state section that does not match its count";
    l->moment2_at = found[9] ? found[9] + 8 : 0;
    if (found[9] && (lens[9] != lens[5] || fz_le64(data + found[9]) != l->count))
        return "accepted a moment2 section that does not match the params' count";
    l->progress_at = found[3];
    if (lens[3] != (version == 2 ? 28u : 20u) || lens[4] != 12)
        return "accepted a progress or data section of the wrong length";
    if (version == 2) {
        l->schedule_at = found[2];
        l->options_at = found[8];
        if (lens[2] != 28 || (found[8] && lens[8] != 44))
            return "accepted a schedule or options section of the wrong length";
    } else {
        l->settings_at = found[10];
        l->settings_len = (size_t)lens[10];
    }
    return NULL;
}

/* Whether the 4 bytes at p are the int or float field v (same bits). */
static int fz_same_u32(const uint8_t *p, uint32_t v) { return fz_le32(p) == v; }

/* Format 2's settings are the fields of its schedule, progress, state and
 * options sections (the defaults where it has no options, and bn's where
 * it has no state). */
static const char *fz_settings_v2(const uint8_t *data, const fz_layout *l, const run_config *c)
{
    run_config d;
    run_config_defaults(&d);
    const uint8_t *s = data + l->schedule_at;
    if (!fz_same_u32(s, fz_bits(c->lr)) || !fz_same_u32(s + 4, fz_bits(c->lr_gamma)) ||
        !fz_same_u32(s + 8, fz_bits(c->momentum)) ||
        !fz_same_u32(s + 12, fz_bits(c->weight_decay)) ||
        !fz_same_u32(s + 16, (uint32_t)c->lr_step) || !fz_same_u32(s + 20, (uint32_t)c->batch) ||
        !fz_same_u32(s + 24, (uint32_t)c->epochs))
        return "a format 2 schedule setting differs from the file's";
    if (fz_le64(data + l->progress_at + 12) != c->seed)
        return "a format 2 seed differs from the file's";
    if (l->state_at) {
        const uint8_t *st = data + l->state_at - 16;
        if (!fz_same_u32(st, fz_bits(c->bn_eps)) || !fz_same_u32(st + 4, fz_bits(c->bn_momentum)))
            return "format 2's bn settings differ from the file's";
    } else if (!setting_same(SETTING(bn_eps), c, &d) || !setting_same(SETTING(bn_momentum), c, &d)) {
        return "bn's settings without a format 2 state section are not the defaults";
    }
    if (l->options_at) {
        const uint8_t *o = data + l->options_at;
        if (!fz_same_u32(o, (uint32_t)c->optimizer) || !fz_same_u32(o + 4, fz_bits(c->beta1)) ||
            !fz_same_u32(o + 8, fz_bits(c->beta2)) || !fz_same_u32(o + 12, fz_bits(c->eps)) ||
            !fz_same_u32(o + 16, (uint32_t)c->decay_bias) ||
            !fz_same_u32(o + 20, (uint32_t)c->lr_schedule) ||
            !fz_same_u32(o + 24, fz_bits(c->warmup)) ||
            !fz_same_u32(o + 28, (uint32_t)c->augment.shift) ||
            !fz_same_u32(o + 32, fz_bits(c->augment.rot_deg)) ||
            !fz_same_u32(o + 36, fz_bits(c->augment.scale)) ||
            !fz_same_u32(o + 40, (uint32_t)c->val_count))
            return "a format 2 option differs from the file's";
    } else {
        static const char *const options[] = {"optimizer", "beta1", "beta2", "eps", "decay-bias",
                                              "lr-schedule", "warmup", "augment", "val"};
        for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
            if (!setting_same(setting_find(options[i]), c, &d))
                return "a format 2 option without an options section is not its default";
    }
    return NULL;
}

/* Format 3's settings: the entries walked here, each a known kept setting
 * named once with its row's type and the value loaded, or a newer cnn's
 * stepped over (the first one's name into unknown); the settings the file
 * lacks at their defaults. */
static const char *fz_settings_v3(const uint8_t *data, const fz_layout *l, const run_config *c,
                                  char *unknown)
{
    const uint8_t *p = data + l->settings_at, *end = p + l->settings_len;
    if (l->settings_len < 4)
        return "accepted a settings section without a count";
    uint32_t count = fz_le32(p);
    p += 4;
    char seen[256] = {0};
    if (run_settings_count > 256)
        return NULL; /* (more rows than this check counts) */
    for (uint32_t i = 0; i < count; i++) {
        if (end - p < 2 || end - p - 2 < p[0])
            return "accepted a settings entry that runs past its section";
        char name[256], text[256];
        memcpy(name, p + 1, p[0]);
        name[p[0]] = 0;
        if (memchr(p + 1, 0, p[0]))
            return "accepted a setting's name with a zero byte";
        p += 1 + p[0];
        unsigned type = *p++;
        const setting_def *d = setting_find(name);
        if (!d) { /* a newer cnn's: stepped over by its type, the first one's name kept */
            size_t step = type == 1 || type == 2 ? 4 : type == 3 ? 8 : 0;
            if (type == 4 && end - p >= 4 && fz_le32(p) <= 255) step = 4 + fz_le32(p);
            if (!step || (size_t)(end - p) < step)
                return "accepted a newer cnn's setting whose value does not walk";
            if (!*unknown) snprintf(unknown, 256, "%s", name);
            p += step;
            continue;
        }
        if (!(d->roles & SET_KEPT))
            return "accepted a setting that is not kept";
        if (seen[d - run_settings]++)
            return "accepted a setting twice";
        const void *v = setting_cvalue(d, c);
        size_t need = type == 3 ? 8 : 4;
        if ((size_t)(end - p) < need)
            return "accepted a settings value that runs past its section";
        uint32_t word = fz_le32(p);
        switch (type) {
        case 1: /* int32: ints, bools */
            if ((d->type != SET_INT && d->type != SET_BOOL) || word > INT_MAX ||
                *(const int *)v != (int)word)
                return "an int32 setting differs from the file's";
            break;
        case 2:
            if (d->type != SET_FLOAT || fz_bits(*(const float *)v) != word)
                return "a float32 setting differs from the file's";
            break;
        case 3:
            if (d->type != SET_U64 || *(const uint64_t *)v != fz_le64(p))
                return "a uint64 setting differs from the file's";
            break;
        case 4: {
            run_config scratch = *c;
            char err[512];
            if (d->type != SET_CHOICE && d->type != SET_AUGMENT && d->type != SET_TEXT)
                return "a text setting whose row is not text";
            if (word > 255 || (size_t)(end - p - 4) < word || memchr(p + 4, 0, word))
                return "accepted a text setting that is too long or holds a zero byte";
            memcpy(text, p + 4, word);
            text[word] = 0;
            need = 4 + word;
            if (setting_parse(d, &scratch, text, err, sizeof err) != 0)
                return "accepted a text setting its flag refuses";
            if (!setting_same(d, &scratch, c))
                return "a text setting differs from the file's";
            break;
        }
        default: return "accepted a settings value of an unknown type";
        }
        p += need;
    }
    if (p != end)
        return "accepted a settings section with bytes after its entries";
    run_config defaults;
    run_config_defaults(&defaults);
    for (int i = 0; i < run_settings_count; i++)
        if ((run_settings[i].roles & SET_KEPT) && !seen[i] &&
            !setting_same(&run_settings[i], c, &defaults))
            return "a setting the file lacks is not at its default";
    return NULL;
}

/* The settings of an accepted checkpoint lie inside checkpoint.h's and the
 * rows' limits, and are what its bytes hold. */
static const char *fz_settings_check(const checkpoint_meta *m, uint32_t version,
                                     const uint8_t *data, const fz_layout *l)
{
    const run_config *c = &m->cfg;
    if (m->version != (int)version || m->data_unknown != (version == 1))
        return "the version or data_unknown does not match the file";
    if (c->batch < 1 || c->batch > FZ_COUNT_LIMIT || c->epochs < 1 ||
        c->epochs > FZ_COUNT_LIMIT || m->epochs_done < 0 || m->epochs_done > c->epochs ||
        c->lr_step < 0 || c->lr_step > FZ_COUNT_LIMIT)
        return "accepted a batch or epoch count out of range";
    if (m->in_c < 1 || m->in_c > CHECKPOINT_MAX_CHANNELS || m->in_h < 1 ||
        m->in_h > CHECKPOINT_MAX_SIDE || m->in_w < 1 || m->in_w > CHECKPOINT_MAX_SIDE)
        return "accepted an input shape out of range";
    if (version >= 2 && (m->train_count < 1 || m->train_count > CHECKPOINT_MAX_SAMPLES ||
                         m->train_limit < 0))
        return "accepted a training set size out of range";
    if (!(c->warmup >= 0 && c->warmup <= c->epochs))
        return "accepted a warmup past the epochs";
    for (int i = 0; i < run_settings_count; i++) {
        char err[512];
        if ((run_settings[i].roles & SET_KEPT) && setting_check(&run_settings[i], c, err, sizeof err))
            return "accepted a setting its flag refuses";
    }
    if (version >= 2) {
        const uint8_t *p = data + l->progress_at;
        if (fz_le32(p) != (uint32_t)m->epochs_done || fz_le64(p + 4) != m->steps_done ||
            fz_le64(p + (version == 2 ? 20 : 12)) != m->rng_state)
            return "the progress differs from the file's";
    }
    if (version == 2)
        return fz_settings_v2(data, l, c);
    if (version == 3) {
        char unknown[256] = "";
        const char *bad = fz_settings_v3(data, l, c, unknown);
        if (!bad && strcmp(unknown, m->unknown_setting))
            bad = "the newer cnn's setting named is not the file's first one";
        return bad;
    }
    if (m->unknown_setting[0]) return "a format 1 or 2 file with a newer cnn's setting";
    return NULL;
}

static const char *fz_checkpoint_check(const uint8_t *data, size_t size)
{
    char path[64];
    if (fz_write_slot(0, data, size, path, sizeof path))
        return NULL; /* no temporary file: nothing to test */
    checkpoint ck;
    memset(&ck, 0xAB, sizeof ck);
    char err[4400];
    err[0] = 0;
    int rc = checkpoint_load(path, &ck, err, sizeof err);
    if (rc != 0) {
        if (rc != -1)
            return "checkpoint_load returned neither 0 nor -1";
        if (ck.params || ck.momentum || ck.moment2 || ck.state || ck.n || ck.state_count)
            return "checkpoint_load failed but left arrays or counts behind";
        return fz_check_err(err, sizeof err, 0);
    }

    const checkpoint_meta *m = &ck.meta;
    long n = ck.n;
    fz_layout l;
    uint32_t version = size >= 12 ? fz_le32(data + 8) : 0;
    const char *problem = version == 1                  ? fz_layout_v1(data, size, &l)
                          : version == 2 || version == 3 ? fz_layout_sections(data, size, version, &l)
                                                         : "accepted a version other than 1 to 3";
    if (!problem && (n < 0 || (uint64_t)n != l.count))
        problem = "accepted, but the parameter count differs from the file's";
    else if (!problem && (!ck.params || !ck.momentum))
        problem = "accepted without arrays";
    else if (!problem && !memchr(m->spec, 0, sizeof m->spec))
        problem = "the spec is not terminated";
    else if (!problem && (strlen(m->spec) != l.spec_len ||
                          memcmp(m->spec, data + l.spec_at, l.spec_len) != 0))
        problem = "the spec differs from the file's";
    if (!problem)
        problem = fz_settings_check(m, version, data, &l);
    for (long i = 0; !problem && i < n; i++) {
        uint32_t p, q;
        memcpy(&p, &ck.params[i], 4);
        memcpy(&q, &ck.momentum[i], 4);
        if (p != fz_le32(data + l.params_at + 4 * (size_t)i) ||
            q != fz_le32(data + l.momentum_at + 4 * (size_t)i))
            problem = "a parameter or momentum value differs from the file's";
        else if (!isfinite(ck.params[i]) || !isfinite(ck.momentum[i]))
            problem = "accepted a value that is not finite";
    }
    if (!problem && (ck.moment2 != NULL) != (version >= 2 && l.moment2_at != 0))
        problem = "accepted, but the second moments are there when the file has none or not";
    if (!problem && (ck.moment2 != NULL) != cnn_optim_keeps_moment2(m->cfg.optimizer))
        problem = "accepted second moments for an optimizer that keeps none, or none for adam";
    for (long i = 0; !problem && ck.moment2 && i < n; i++) {
        uint32_t v;
        memcpy(&v, &ck.moment2[i], 4);
        if (v != fz_le32(data + l.moment2_at + 4 * (size_t)i))
            problem = "a second moment differs from the file's";
        else if (!(ck.moment2[i] >= 0) || !isfinite(ck.moment2[i]))
            problem = "accepted a second moment that is negative or not finite";
    }
    if (!problem && ((uint64_t)ck.state_count != l.state_count || (ck.state_count && !ck.state)))
        problem = "accepted, but the running statistics' count differs from the file's";
    for (long i = 0; !problem && i < ck.state_count; i++) {
        uint32_t v;
        memcpy(&v, &ck.state[i], 4);
        if (v != fz_le32(data + l.state_at + 4 * (size_t)i))
            problem = "a running statistic differs from the file's";
        else if (!isfinite(ck.state[i]))
            problem = "accepted a running statistic that is not finite";
    }
    net_spec spec;
    char spec_text[NET_SPEC_MAX];
    memcpy(spec_text, m->spec, sizeof spec_text);
    checkpoint_free(&ck);
    if (!problem && (ck.params || ck.momentum || ck.moment2 || ck.state || ck.n))
        problem = "checkpoint_free left arrays or counts behind";
    if (problem)
        return problem;

    char serr[1024];
    serr[0] = 0;
    if (net_spec_parse(spec_text, (shape3){1, 28, 28}, 10, &spec, serr, sizeof serr) != 0)
        return fz_check_err(serr, sizeof serr, 0);
    return NULL;
}

/* data with its CRC recomputed and, when fix_length, its format 2 or 3
 * length field set to its size; checked when that changed a byte. */
static const char *fz_check_fixed(const uint8_t *data, size_t size, int fix_length)
{
    uint8_t *fixed = malloc(size);
    if (!fixed)
        return NULL;
    memcpy(fixed, data, size);
    if (fix_length)
        for (int i = 0; i < 8; i++)
            fixed[16 + i] = (uint8_t)((uint64_t)size >> (8 * i));
    uint32_t crc = (uint32_t)crc32(0L, fixed, (uInt)(size - 4));
    for (int i = 0; i < 4; i++)
        fixed[size - 4 + i] = (uint8_t)(crc >> (8 * i));
    const char *problem = NULL;
    if (memcmp(fixed, data, size) != 0)
        problem = fz_checkpoint_check(fixed, size);
    free(fixed);
    return problem;
}

static const char *fuzz_checkpoint_one(const uint8_t *data, size_t size)
{
    const char *problem = fz_checkpoint_check(data, size);
    if (problem || size < 4)
        return problem;
    problem = fz_check_fixed(data, size, 0);
    if (problem || size < 28 || fz_le32(data + 8) == 1)
        return problem;
    return fz_check_fixed(data, size, 1);
}

#ifndef FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fz_fail(fuzz_checkpoint_one(data, size));
}
#endif
