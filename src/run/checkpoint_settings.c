/* Format 3's settings section: every SET_KEPT row of the run as a name,
 * a type and a value (docs/checkpoint-format.md), so that a new setting
 * needs no new section. */
#include "checkpoint_bytes.h"

#include <stdio.h>

/* Most entries a section may hold: more is damage. */
#define MAX_ENTRIES 255
/* Longest text value (a choice's word, an augment spec). */
#define MAX_TEXT 255

static unsigned value_type(setting_type t)
{
    switch (t) {
    case SET_INT:
    case SET_BOOL: return VALUE_INT32;
    case SET_FLOAT: return VALUE_FLOAT32;
    case SET_U64: return VALUE_UINT64;
    default: return VALUE_TEXT; /* text, choices (their word), augment (its spec) */
    }
}

static void put_value(wbuf *b, const setting_def *d, const run_config *cfg)
{
    const void *v = setting_cvalue(d, cfg);
    char text[MAX_TEXT + 1];
    switch (value_type(d->type)) {
    case VALUE_INT32: put_u32(b, (uint32_t)*(const int *)v); break;
    case VALUE_FLOAT32: put_f32(b, *(const float *)v); break;
    case VALUE_UINT64: put_u64(b, *(const uint64_t *)v); break;
    default:
        setting_format(d, cfg, text, sizeof text);
        put_u32(b, (uint32_t)strlen(text));
        put(b, text, strlen(text));
    }
}

void checkpoint_put_settings(wbuf *b, const run_config *cfg)
{
    uint32_t count = 0;
    for (int i = 0; i < run_settings_count; i++) count += (run_settings[i].roles & SET_KEPT) != 0;
    put_u32(b, count);
    for (int i = 0; i < run_settings_count; i++) {
        const setting_def *d = &run_settings[i];
        if (!(d->roles & SET_KEPT)) continue;
        put_u8(b, (unsigned)strlen(d->flag));
        put(b, d->flag, strlen(d->flag));
        put_u8(b, value_type(d->type));
        put_value(b, d, cfg);
    }
}

/* One entry's value into cfg; -1 with why set. A text is parsed as the
 * flag is (a choice must be one of its words). */
static int get_value(rbuf *r, const setting_def *d, run_config *cfg, char *why, size_t len)
{
    void *v = setting_value(d, cfg);
    switch (value_type(d->type)) {
    case VALUE_INT32: *(int *)v = get_int(r); return 0;
    case VALUE_FLOAT32: *(float *)v = get_f32(r); return 0;
    case VALUE_UINT64: *(uint64_t *)v = get_u64(r); return 0;
    }
    uint32_t n = get_u32(r);
    const unsigned char *text = n <= MAX_TEXT ? take(r, n) : NULL;
    char word[MAX_TEXT + 1], err[512];
    if (!text || memchr(text, 0, n)) {
        snprintf(why, len, "is corrupt: its setting --%s has a bad text (length %u)", d->flag, n);
        return -1;
    }
    snprintf(word, sizeof word, "%.*s", (int)n, (const char *)text);
    /* (a text setting keeps a pointer: to a copy that lives as long as the program) */
    const char *value = d->type == SET_TEXT ? setting_text_keep(word) : word;
    if (!value) {
        snprintf(why, len, "cannot be read: out of memory");
        return -1;
    }
    if (setting_parse(d, cfg, value, err, sizeof err) == 0) return 0;
    snprintf(why, len, "holds impossible settings: %s", err);
    return -1;
}

/* The row of an entry this cnn knows: one a checkpoint keeps, named once,
 * with the type its row has; NULL with why set. */
static const setting_def *entry_row(const setting_def *d, unsigned type, int *seen, char *why,
                                    size_t len)
{
    if (!(d->roles & SET_KEPT)) {
        snprintf(why, len, "is corrupt: its setting --%s is not one a checkpoint keeps", d->flag);
        return NULL;
    }
    if (seen[d - run_settings]++) {
        snprintf(why, len, "is corrupt: its setting --%s appears twice", d->flag);
        return NULL;
    }
    if (type != value_type(d->type)) {
        snprintf(why, len, "is corrupt: its setting --%s has value type %u, not %u", d->flag, type,
                 value_type(d->type));
        return NULL;
    }
    return d;
}

/* Steps over the value of an entry a newer cnn wrote, by its type; -1 with
 * why set when the type is none. */
static int skip_value(rbuf *r, unsigned type, const char *name, char *why, size_t len)
{
    uint32_t n = 0;
    switch (type) {
    case VALUE_INT32:
    case VALUE_FLOAT32: take(r, 4); return 0;
    case VALUE_UINT64: take(r, 8); return 0;
    case VALUE_TEXT:
        n = get_u32(r);
        if (n <= MAX_TEXT && take(r, n)) return 0;
        break;
    }
    snprintf(why, len, "is corrupt: its setting \"%s\" has value type %u (length %u)", name, type,
             n);
    return -1;
}

int checkpoint_parse_settings(rbuf *r, run_config *cfg, char *unknown, size_t unknown_len,
                              char *why, size_t len)
{
    int seen[SETTINGS_COUNT] = {0};
    uint32_t count = get_u32(r);
    if (count > MAX_ENTRIES) {
        snprintf(why, len, "is corrupt: its settings section counts %u settings", count);
        return -1;
    }
    for (uint32_t i = 0; i < count && !r->short_read; i++) {
        unsigned name_len = get_u8(r);
        const unsigned char *name = take(r, name_len);
        unsigned type = get_u8(r);
        if (!name) break;
        if (memchr(name, 0, name_len)) {
            snprintf(why, len, "is corrupt: setting %u of its settings section has a bad name",
                     i + 1);
            return -1;
        }
        char flag[256];
        snprintf(flag, sizeof flag, "%.*s", (int)name_len, (const char *)name);
        const setting_def *d = setting_find(flag);
        if (!d) { /* a newer cnn's: kept for the caller to decide (a resume refuses it) */
            if (skip_value(r, type, flag, why, len)) return -1;
            if (!*unknown) snprintf(unknown, unknown_len, "%s", flag);
            continue;
        }
        if (!entry_row(d, type, seen, why, len) || get_value(r, d, cfg, why, len)) return -1;
    }
    if (r->short_read || r->at != r->len) {
        snprintf(why, len, "is corrupt: its settings section is %llu bytes, not what its %u "
                           "settings take", (unsigned long long)r->len, count);
        return -1;
    }
    return 0;
}
