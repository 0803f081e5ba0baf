/* libFuzzer harness for the checkpoint reader (src/checkpoint.c): checkpoint_load.
 *
 * Each input is loaded twice: as it is, and with its last four bytes replaced by
 * the CRC-32 of the rest, so that mutations get past the CRC check and reach the
 * parser behind it. An accepted checkpoint must be exactly as long as its header
 * says, with every parameter and momentum value as in the file; its spec is then
 * parsed for 1x28x28 inputs of 10 classes, as `cnn eval` and `cnn train --resume`
 * do. A refused one must come with a message and no arrays. */
#include "fuzz_common.h"

#include <zlib.h>

#include "checkpoint.h"
#include "netspec.h"

static uint32_t fz_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
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

    const char *problem = NULL;
    const size_t head = 16 + 88; /* magic, version, spec length; 88 bytes after the spec */
    uint32_t spec_len = size >= 16 ? fz_le32(data + 12) : 0;
    if (size < head + 4 || spec_len >= NET_SPEC_MAX)
        problem = "accepted a checkpoint too short for its header";
    else if (n < 0 || size != head + spec_len + 8 * (size_t)n + 4)
        problem = "accepted, but the size does not match the parameter count";
    else if (!params || !mom)
        problem = "accepted without arrays";
    else if (!memchr(m.spec, 0, sizeof m.spec))
        problem = "the spec is not terminated";
    else if (memcmp(m.spec, data + 16, spec_len) != 0 || (uint32_t)m.in_c != fz_le32(data + 16 + spec_len))
        problem = "the spec or the input shape differ from the file's";
    for (long i = 0; !problem && i < n; i++) {
        uint32_t p, q;
        memcpy(&p, &params[i], 4);
        memcpy(&q, &mom[i], 4);
        if (p != fz_le32(data + head + spec_len + 4 * (size_t)i) ||
            q != fz_le32(data + head + spec_len + 4 * (size_t)(n + i)))
            problem = "a parameter or momentum value differs from the file's";
    }
    free(params);
    free(mom);
    if (problem)
        return problem;

    net_spec spec;
    char serr[1024];
    serr[0] = 0;
    if (net_spec_parse(m.spec, (shape3){1, 28, 28}, 10, &spec, serr, sizeof serr) != 0)
        return fz_check_err(serr, sizeof serr, 0);
    return NULL;
}

static const char *fuzz_checkpoint_one(const uint8_t *data, size_t size)
{
    const char *problem = fz_checkpoint_check(data, size);
    if (problem || size < 4)
        return problem;
    uint8_t *fixed = malloc(size);
    if (!fixed)
        return NULL;
    memcpy(fixed, data, size);
    uint32_t crc = (uint32_t)crc32(0L, fixed, (uInt)(size - 4));
    for (int i = 0; i < 4; i++)
        fixed[size - 4 + i] = (uint8_t)(crc >> (8 * i));
    if (memcmp(fixed + size - 4, data + size - 4, 4) != 0)
        problem = fz_checkpoint_check(fixed, size);
    free(fixed);
    return problem;
}

#ifndef FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fz_fail(fuzz_checkpoint_one(data, size));
}
#endif
