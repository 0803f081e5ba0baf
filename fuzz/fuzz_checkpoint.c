/* libFuzzer harness for the checkpoint reader (src/checkpoint.c): checkpoint_load,
 * on format 2 (header, tagged sections, CRC) and format 1 files.
 *
 * Each input is loaded up to three times: as it is; with its last four bytes
 * replaced by the CRC-32 of the rest, so that mutations get past the CRC check
 * and reach the parser behind it; and, for anything but format 1, with the
 * header's file length (bytes 16..23) set to the input's size as well, so that
 * mutated section lengths and counts reach the section walker. An accepted
 * checkpoint must be consistent with its bytes, read here independently: for
 * format 1 exactly as long as its header says, for format 2 as long as its
 * length field with its network, params and momentum sections where the walk
 * finds them; every parameter and momentum value as in the file and finite;
 * the settings inside the documented limits. Its spec is then parsed for
 * 1x28x28 inputs of 10 classes, as `cnn eval` and `cnn train --resume` do. A
 * refused one must come with a message and no arrays. */
#include "fuzz_common.h"

#include <math.h>
#include <zlib.h>

#include "checkpoint.h"
#include "netspec.h"

static uint32_t fz_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t fz_le64(const uint8_t *p)
{
    return (uint64_t)fz_le32(p) | (uint64_t)fz_le32(p + 4) << 32;
}

/* Where an accepted file keeps its spec, parameters and momentum values. */
typedef struct {
    size_t spec_at, params_at, momentum_at, state_at; /* state_at 0: no state section */
    size_t moment2_at;                                 /* 0: no moment2 section */
    uint32_t spec_len;
    uint64_t count, state_count;
} fz_layout;

/* Format 1: fixed fields; the size must be exactly what the header implies. */
static const char *fz_layout_v1(const uint8_t *data, size_t size, fz_layout *l)
{
    const size_t head = 16 + 88; /* magic, version, spec length; 88 bytes after the spec */
    l->spec_len = size >= 16 ? fz_le32(data + 12) : 0;
    if (size < head + 4 || l->spec_len >= NET_SPEC_MAX)
        return "accepted a format 1 checkpoint too short for its header";
    l->spec_at = 16;
    l->state_at = 0;
    l->state_count = 0;
    l->moment2_at = 0;
    l->count = fz_le64(data + head + l->spec_len - 8);
    l->params_at = head + l->spec_len;
    if (l->count > (size - l->params_at) / 8 || size != head + l->spec_len + 8 * l->count + 4)
        return "accepted, but the size does not match the parameter count";
    l->momentum_at = l->params_at + 4 * l->count;
    return NULL;
}

/* Format 2: the header's length, then the sections walked (the first of each
 * tag is what a reader that refuses duplicates must have used). */
static const char *fz_layout_v2(const uint8_t *data, size_t size, fz_layout *l)
{
    if (size < 28 || fz_le64(data + 16) != size)
        return "accepted a format 2 checkpoint whose length field is not its size";
    size_t found[10] = {0};
    uint64_t lens[10] = {0};
    for (size_t at = 24; at < size - 4;) {
        if (size - 4 - at < 12)
            return "accepted a format 2 checkpoint with a cut section head";
        uint32_t tag = fz_le32(data + at);
        uint64_t len = fz_le64(data + at + 4);
        if (len > size - 4 - at - 12)
            return "accepted a section that runs past the end";
        if (tag >= 1 && tag <= 9) {
            if (found[tag])
                return "accepted a section twice";
            found[tag] = at + 12;
            lens[tag] = len;
        }
        at += 12 + (size_t)len;
    }
    if (!found[1] || !found[5] || !found[6])
        return "accepted without the network, params or momentum section";
    l->spec_len = fz_le32(data + found[1]);
    l->spec_at = found[1] + 4;
    l->count = fz_le64(data + found[5]);
    l->params_at = found[5] + 8;
    l->momentum_at = found[6] + 8;
    if (lens[5] != 8 + 4 * l->count || lens[6] != lens[5] || fz_le64(data + found[6]) != l->count)
        return "accepted params or momentum sections that do not match their counts";
    l->state_at = found[7] ? found[7] + 16 : 0;
    l->state_count = found[7] ? fz_le64(data + found[7] + 8) : 0;
    if (found[7] && (l->state_count == 0 || lens[7] != 16 + 4 * l->state_count))
        return "accepted a state section that does not match its count";
    l->moment2_at = found[9] ? found[9] + 8 : 0;
    if (found[9] && (lens[9] != lens[5] || fz_le64(data + found[9]) != l->count))
        return "accepted a moment2 section that does not match the params' count";
    return NULL;
}

/* The settings of an accepted checkpoint lie inside checkpoint.h's limits. */
static const char *fz_settings_check(const checkpoint_meta *m, uint32_t version)
{
    if (m->version != (int)version || m->data_unknown != (version == 1))
        return "the version or data_unknown does not match the file";
    if (m->batch < 1 || m->batch > CHECKPOINT_MAX_BATCH || m->epochs < 1 ||
        m->epochs > CHECKPOINT_MAX_EPOCHS || m->epochs_done < 0 || m->epochs_done > m->epochs ||
        m->lr_step < 0 || m->lr_step > CHECKPOINT_MAX_EPOCHS)
        return "accepted a batch or epoch count out of range";
    if (m->in_c < 1 || m->in_c > CHECKPOINT_MAX_CHANNELS || m->in_h < 1 ||
        m->in_h > CHECKPOINT_MAX_SIDE || m->in_w < 1 || m->in_w > CHECKPOINT_MAX_SIDE)
        return "accepted an input shape out of range";
    if (version == 2 && (m->train_count < 1 || m->train_count > CHECKPOINT_MAX_SAMPLES ||
                         m->train_limit < 0))
        return "accepted a training set size out of range";
    return NULL;
}

static const char *fz_checkpoint_check(const uint8_t *data, size_t size)
{
    char path[64];
    if (fz_write_slot(0, data, size, path, sizeof path))
        return NULL; /* no temporary file: nothing to test */
    checkpoint_meta m;
    float *params = (float *)(uintptr_t)1, *mom = (float *)(uintptr_t)1;
    long n = -7;
    char err[4400];
    err[0] = 0;
    int rc = checkpoint_load(path, &m, &params, &mom, &n, err, sizeof err);
    if (rc != 0) {
        if (rc != -1)
            return "checkpoint_load returned neither 0 nor -1";
        if (params || mom)
            return "checkpoint_load failed but did not clear its arrays";
        return fz_check_err(err, sizeof err, 0);
    }

    fz_layout l;
    uint32_t version = size >= 12 ? fz_le32(data + 8) : 0;
    const char *problem = version == 1   ? fz_layout_v1(data, size, &l)
                          : version == 2 ? fz_layout_v2(data, size, &l)
                                         : "accepted a version other than 1 and 2";
    if (!problem && (n < 0 || (uint64_t)n != l.count))
        problem = "accepted, but the parameter count differs from the file's";
    else if (!problem && (!params || !mom))
        problem = "accepted without arrays";
    else if (!problem && !memchr(m.spec, 0, sizeof m.spec))
        problem = "the spec is not terminated";
    else if (!problem && (strlen(m.spec) != l.spec_len ||
                          memcmp(m.spec, data + l.spec_at, l.spec_len) != 0))
        problem = "the spec differs from the file's";
    if (!problem)
        problem = fz_settings_check(&m, version);
    for (long i = 0; !problem && i < n; i++) {
        uint32_t p, q;
        memcpy(&p, &params[i], 4);
        memcpy(&q, &mom[i], 4);
        if (p != fz_le32(data + l.params_at + 4 * (size_t)i) ||
            q != fz_le32(data + l.momentum_at + 4 * (size_t)i))
            problem = "a parameter or momentum value differs from the file's";
        else if (!isfinite(params[i]) || !isfinite(mom[i]))
            problem = "accepted a value that is not finite";
    }
    if (!problem && (m.moment2 != NULL) != (version == 2 && l.moment2_at != 0))
        problem = "accepted, but the second moments are there when the file has none or not";
    for (long i = 0; !problem && m.moment2 && i < n; i++) {
        uint32_t v;
        memcpy(&v, &m.moment2[i], 4);
        if (v != fz_le32(data + l.moment2_at + 4 * (size_t)i))
            problem = "a second moment differs from the file's";
        else if (!(m.moment2[i] >= 0) || !isfinite(m.moment2[i]))
            problem = "accepted a second moment that is negative or not finite";
    }
    if (!problem && ((uint64_t)m.state_count != l.state_count || (m.state_count && !m.state)))
        problem = "accepted, but the running statistics' count differs from the file's";
    for (long i = 0; !problem && i < m.state_count; i++) {
        uint32_t v;
        memcpy(&v, &m.state[i], 4);
        if (v != fz_le32(data + l.state_at + 4 * (size_t)i))
            problem = "a running statistic differs from the file's";
        else if (!isfinite(m.state[i]))
            problem = "accepted a running statistic that is not finite";
    }
    free(params);
    free(mom);
    free(m.state);
    free(m.moment2);
    if (problem)
        return problem;

    net_spec spec;
    char serr[1024];
    serr[0] = 0;
    if (net_spec_parse(m.spec, (shape3){1, 28, 28}, 10, &spec, serr, sizeof serr) != 0)
        return fz_check_err(serr, sizeof serr, 0);
    return NULL;
}

/* data with its CRC recomputed and, when fix_length, its format 2 length
 * field set to its size; checked when that changed a byte. */
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
