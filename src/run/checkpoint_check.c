/* What a checkpoint may hold, checked the same way on reading and writing:
 * its settings and counts, and values that are finite; and the identity of
 * the training data it was trained on. */
#include "checkpoint_bytes.h"

#include <math.h>
#include <stdio.h>
#include <zlib.h>

const char *const CHECKPOINT_SECTION_NAME[SEC_KNOWN_COUNT + 1] = {
    "", "network", "schedule", "progress", "data", "params", "momentum", "state", "options",
    "moment2", "settings", "scaling", "names"};

uint32_t checkpoint_crc(const unsigned char *p, uint64_t len)
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

/* Every net_spec holds its whole canonical text in NET_SPEC_MAX bytes
 * (net_spec_parse refuses a longer one), so the copy below is never cut. */
_Static_assert(sizeof ((checkpoint_meta *)0)->spec == sizeof ((net_spec *)0)->text,
               "a checkpoint keeps every spec a net_spec holds");

void checkpoint_meta_init(checkpoint_meta *meta, const run_config *cfg, const net_spec *spec,
                          const input_norm *norm, const class_names *names)
{
    memset(meta, 0, sizeof *meta);
    snprintf(meta->spec, sizeof meta->spec, "%s", spec->text);
    meta->in_c = spec->in.c;
    meta->in_h = spec->in.h;
    meta->in_w = spec->in.w;
    meta->classes = spec->classes;
    meta->norm = *norm;
    meta->names = *names;
    meta->cfg = *cfg;
}

/* Samples a run uses: the first limit of count, or all when limit is 0. */
static int samples_used(int count, int limit)
{
    return limit > 0 && limit < count ? limit : count;
}

/* The first kept setting that no flag could give, into why; -1. */
static int setting_problem(const run_config *cfg, char *why, size_t len)
{
    for (int i = 0; i < run_settings_count; i++) {
        const setting_def *d = &run_settings[i];
        if ((d->roles & SET_KEPT) && setting_check(d, cfg, why, len)) return -1;
    }
    return 0;
}

/* The steps of one epoch of m's run on the data it records (whose counts
 * are in range, --val below the samples used). */
static uint64_t steps_per_epoch(const checkpoint_meta *m)
{
    uint64_t used = (uint64_t)samples_used(m->train_count, m->train_limit);
    used -= (uint64_t)m->cfg.val_count; /* (held out of training: --val) */
    return (used + (uint64_t)m->cfg.batch - 1) / (uint64_t)m->cfg.batch;
}

/* The rule of where a run can be, for the data m records: its steps done
 * lie in the epoch "epochs done" (0-based), at its first step or later in
 * it when an interrupt stopped that epoch part way. The reader, the writer
 * and a resume of a format 1 file (checkpoint_take_data) all ask it. */
static int steps_fit(const checkpoint_meta *m)
{
    uint64_t per_epoch = steps_per_epoch(m), first = (uint64_t)m->epochs_done * per_epoch;
    return m->steps_done >= first && m->steps_done - first < per_epoch;
}

/* What is impossible in the counts of the run: the epochs, the warmup, the
 * state, and the steps done against the data; NULL when nothing is. The
 * limits keep every count, and the products the trainer forms of them,
 * inside an int or a long. */
static const char *counts_problem(const checkpoint *ck)
{
    const checkpoint_meta *m = &ck->meta;
    const run_config *c = &m->cfg;
    if (m->epochs_done < 0 || m->epochs_done > c->epochs) return "the epoch counts";
    if (!(c->warmup <= c->epochs)) return "the warmup (not in [0, epochs])";
    if (ck->state_count < 0 || ck->state_count > NET_MAX_COUNT) return "the running statistics";
    if (m->data_unknown) {
        /* no step count per epoch to check against: a bound that keeps the
         * trainer's step counter far from overflowing (a resume checks the
         * steps against its data: checkpoint_take_data) */
        if (m->steps_done > ((uint64_t)m->epochs_done + 1) * CHECKPOINT_MAX_SAMPLES)
            return "the steps done";
        return NULL;
    }
    if (m->train_count < 1 || m->train_count > CHECKPOINT_MAX_SAMPLES || m->train_limit < 0)
        return "the training set's size or --train-limit";
    if ((uint64_t)c->val_count >= (uint64_t)samples_used(m->train_count, m->train_limit))
        return "the validation samples held out (--val: as many as the samples used, or more)";
    if (!steps_fit(m)) return "the steps done (they do not fall in the epochs done)";
    return NULL;
}

int checkpoint_take_data(checkpoint_meta *m, const unsigned char *labels, int count, int limit)
{
    int unknown = m->data_unknown;
    checkpoint_set_data(m, labels, count, limit);
    if (!unknown || steps_fit(m)) return 0;
    m->steps_done = (uint64_t)m->epochs_done * steps_per_epoch(m);
    return 1;
}

int checkpoint_settings_problem(const checkpoint *ck, char *why, size_t len)
{
    const checkpoint_meta *m = &ck->meta;
    if (m->in_c < 1 || m->in_c > CHECKPOINT_MAX_CHANNELS || m->in_h < 1 ||
        m->in_h > CHECKPOINT_MAX_SIDE || m->in_w < 1 || m->in_w > CHECKPOINT_MAX_SIDE ||
        m->classes < 1 || m->classes > 256) {
        snprintf(why, len, "the input shape or the class count");
        return -1;
    }
    if (m->norm.channels != m->in_c) {
        snprintf(why, len, "input scaling for %d channels, inputs of %d", m->norm.channels,
                 m->in_c);
        return -1;
    }
    for (int c = 0; c < m->in_c; c++)
        if (!isfinite(m->norm.scale[c]) || !isfinite(m->norm.shift[c])) {
            snprintf(why, len, "the input scaling");
            return -1;
        }
    if (m->names.count && m->names.count != m->classes) {
        snprintf(why, len, "%d class names for %d classes", m->names.count, m->classes);
        return -1;
    }
    if (setting_problem(&m->cfg, why, len)) return -1; /* (the batch before counts_problem) */
    const char *counts = counts_problem(ck);
    if (counts) snprintf(why, len, "%s", counts);
    return counts ? -1 : 0;
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

int checkpoint_nonfinite_problem(const checkpoint *ck, char *out, size_t len)
{
    long n = ck->n, i = first_nonfinite(ck->params, n);
    const char *whose = "";
    float v;
    if (i >= 0) {
        v = ck->params[i];
    } else if ((i = first_nonfinite(ck->momentum, n)) >= 0) {
        v = ck->momentum[i];
        whose = "the momentum of ";
    } else if (ck->moment2 && (i = first_negative_or_nonfinite(ck->moment2, n)) >= 0) {
        v = ck->moment2[i];
        whose = "the second moment of ";
    } else if ((i = first_nonfinite(ck->state, ck->state_count)) >= 0) {
        snprintf(out, len, "running statistic %ld (bn) is %s", i,
                 isnan(ck->state[i]) ? "NaN" : "infinite");
        return 1;
    } else {
        return 0;
    }
    char where[NET_SPEC_MAX + 128];
    describe_param(&ck->meta, n, i, where, sizeof where);
    if (isfinite(v)) {
        snprintf(out, len, "%s%s is negative (%g)", whose, where, v);
        return 2;
    }
    snprintf(out, len, "%s%s is %s", whose, where, isnan(v) ? "NaN" : v > 0 ? "+inf" : "-inf");
    return 1;
}

void checkpoint_set_data(checkpoint_meta *m, const unsigned char *labels, int count, int limit)
{
    m->train_count = count;
    m->train_limit = limit;
    m->labels_crc = checkpoint_crc(labels, (uint64_t)samples_used(count, limit));
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
