/* Writing a checkpoint: format 3 (docs/checkpoint-format.md), through
 * file_write.h's temporary, sync and rename. */
#include "checkpoint_bytes.h"
#include "hd/optim.h"

#include <errno.h>
#include <stdio.h>

#include "file_write.h"

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

/* A section of a count and that many floats. */
static void put_values(wbuf *b, uint32_t tag, const float *v, long n, uint32_t *sections)
{
    size_t at = begin_section(b, tag, sections);
    put_u64(b, (uint64_t)n);
    put_floats(b, v, n);
    end_section(b, at);
}

/* The optional sections: each channel's scaling where there are several
 * (one channel's is the network section's), and the class names. */
static void put_input_sections(wbuf *b, const checkpoint_meta *m, uint32_t *sections)
{
    if (m->in_c > 1) {
        size_t at = begin_section(b, SEC_SCALING | CHECKPOINT_SECTION_OPTIONAL, sections);
        put_u32(b, (uint32_t)m->in_c);
        put_floats(b, m->norm.scale, m->in_c);
        put_floats(b, m->norm.shift, m->in_c);
        end_section(b, at);
    }
    if (m->names.count) {
        size_t at = begin_section(b, SEC_NAMES | CHECKPOINT_SECTION_OPTIONAL, sections);
        put_u32(b, (uint32_t)m->names.count);
        for (int i = 0; i < m->names.count; i++) {
            uint32_t len = (uint32_t)strlen(m->names.name[i]);
            put_u32(b, len);
            put(b, m->names.name[i], len);
        }
        end_section(b, at);
    }
}

/* The sections of format 3, in the order docs/checkpoint-format.md lists them. */
static void put_sections(wbuf *b, const checkpoint *ck, uint32_t *sections)
{
    const checkpoint_meta *m = &ck->meta;
    uint32_t spec_len = (uint32_t)strlen(m->spec);
    size_t at = begin_section(b, SEC_NETWORK, sections);
    put_u32(b, spec_len);
    put(b, m->spec, spec_len);
    put_u32(b, (uint32_t)m->in_c);
    put_u32(b, (uint32_t)m->in_h);
    put_u32(b, (uint32_t)m->in_w);
    put_u32(b, (uint32_t)m->classes);
    put_f32(b, m->norm.scale[0]); /* (formats 1 and 2 kept one scaling) */
    put_f32(b, m->norm.shift[0]);
    end_section(b, at);

    at = begin_section(b, SEC_SETTINGS, sections);
    checkpoint_put_settings(b, &m->cfg);
    end_section(b, at);

    at = begin_section(b, SEC_PROGRESS, sections);
    put_u32(b, (uint32_t)m->epochs_done);
    put_u64(b, m->steps_done);
    put_u64(b, m->rng_state);
    end_section(b, at);

    at = begin_section(b, SEC_DATA, sections);
    put_u32(b, (uint32_t)m->train_count);
    put_u32(b, (uint32_t)m->train_limit);
    put_u32(b, m->labels_crc);
    end_section(b, at);

    put_values(b, SEC_PARAMS, ck->params, ck->n, sections);
    put_values(b, SEC_MOMENTUM, ck->momentum, ck->n, sections);
    if (ck->state_count) put_values(b, SEC_STATE, ck->state, ck->state_count, sections);
    if (ck->moment2) put_values(b, SEC_MOMENT2, ck->moment2, ck->n, sections);
    put_input_sections(b, m, sections);
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

/* What would make the file one that no load accepts, into why; -1. */
static int unwritable(const checkpoint *ck, char *why, size_t len)
{
    if (ck->meta.data_unknown) {
        snprintf(why, len, "impossible settings: no training data recorded");
        return -1;
    }
    char problem[512];
    if (checkpoint_settings_problem(ck, problem, sizeof problem)) {
        snprintf(why, len, "impossible settings: %s", problem);
        return -1;
    }
    const char *bad = NULL;
    if (ck->n < 0 || ck->n > NET_MAX_COUNT) bad = "the parameter count";
    else if (strlen(ck->meta.spec) >= NET_SPEC_MAX) bad = "the spec's length";
    else if (cnn_optim_keeps_moment2(ck->meta.cfg.optimizer) != (ck->moment2 != NULL))
        bad = ck->moment2 ? "second moments for an optimizer that keeps none"
                          : "adam's second moments are missing";
    if (bad) snprintf(why, len, "impossible settings: %s", bad);
    return bad ? -1 : 0;
}

static int checkpoint_write(const char *path, int no_replace, const checkpoint *ck, char *err,
                            size_t errlen)
{
    char why[NET_SPEC_MAX + 512];
    if (unwritable(ck, why, sizeof why)) {
        snprintf(err, errlen, "%s: not writing a checkpoint of %s", path, why);
        return -1;
    }
    int problem = checkpoint_nonfinite_problem(ck, why, sizeof why);
    if (problem) {
        snprintf(err, errlen, "%s: not writing a checkpoint of %s: %s", path,
                 problem == 1 ? "values that are not finite" : "impossible values", why);
        return -1;
    }
    wbuf b = {0};
    uint32_t sections = 0;
    put(&b, CHECKPOINT_MAGIC, sizeof CHECKPOINT_MAGIC);
    put_u32(&b, CHECKPOINT_VERSION);
    put_u32(&b, 0); /* the section count and */
    put_u64(&b, 0); /* the file length, known at the end */
    put_sections(&b, ck, &sections);
    put_u32(&b, 0); /* room for the CRC */
    if (b.failed) {
        free(b.p);
        snprintf(err, errlen, "%s: out of memory building the checkpoint", path);
        return -1;
    }
    set_le32_at(b.p + 12, sections);
    set_le64_at(b.p + 16, (uint64_t)b.len);
    set_le32_at(b.p + b.len - 4, checkpoint_crc(b.p, b.len - 4));
    int rc = write_bytes(path, no_replace, b.p, b.len, err, errlen);
    int e = errno;
    free(b.p);
    errno = e;
    return rc;
}

int checkpoint_save(const char *path, const checkpoint *ck, char *err, size_t errlen)
{
    return checkpoint_write(path, 0, ck, err, errlen);
}

int checkpoint_save_new(const char *path, const checkpoint *ck, char *err, size_t errlen)
{
    return checkpoint_write(path, 1, ck, err, errlen);
}
