/* The settings table and what every part reads of it; see include/settings.h. */
#include "settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "augment_spec.h"
#include "hd/optim.h"
#include "hd/schedule.h"

static const char *const NORMALIZE_NAMES[] = {"std", "unit", "center"};
static const char *const OPTIMIZER_NAMES[] = CNN_OPTIM_NAMES;
static const char *const SCHEDULE_NAMES[] = CNN_SCHED_NAMES;
static const char *const DEVICE_NAMES[] = {"cpu", "gpu", "auto"};
static const char *const FORMAT_NAMES[] = {"auto", "idx", "cifar10", "cifar100", "folder"};
static const char *const LABELS_NAMES[] = {"fine", "coarse"};

/* A CHOICE row's word count; 0 for the other types. */
#define CHOICE_COUNT_INT(names) 0
#define CHOICE_COUNT_FLOAT(names) 0
#define CHOICE_COUNT_U64(names) 0
#define CHOICE_COUNT_BOOL(names) 0
#define CHOICE_COUNT_TEXT(names) 0
#define CHOICE_COUNT_AUGMENT(names) 0
#define CHOICE_COUNT_CHOICE(names) (int)(sizeof names / sizeof names[0])

#define SETTING_ROW(field, flag, type, choices, def, range, roles, commands, help)            \
    {flag, SET_##type, offsetof(run_config, field), choices, CHOICE_COUNT_##type(choices), def, \
     range, roles, commands, help},

const setting_def run_settings[] = {RUN_SETTINGS(SETTING_ROW)};
const int run_settings_count = sizeof run_settings / sizeof run_settings[0];

const setting_def *setting_find(const char *flag)
{
    for (int i = 0; i < run_settings_count; i++)
        if (!strcmp(run_settings[i].flag, flag)) return &run_settings[i];
    return NULL;
}

const setting_def *setting_of_offset(size_t offset)
{
    for (int i = 0; i < run_settings_count; i++)
        if (run_settings[i].offset == offset) return &run_settings[i];
    return NULL;
}

void *setting_value(const setting_def *d, run_config *c) { return (char *)c + d->offset; }

const void *setting_cvalue(const setting_def *d, const run_config *c)
{
    return (const char *)c + d->offset;
}

const char *setting_choice(const setting_def *d, const run_config *c)
{
    return d->choices[*(const int *)setting_cvalue(d, c)];
}

cli_opt setting_flag(const setting_def *d, run_config *c)
{
    static const opt_kind KIND[] = {
        [SET_INT] = OPT_INT, [SET_FLOAT] = OPT_FLOAT, [SET_U64] = OPT_U64, [SET_BOOL] = OPT_BOOL,
        [SET_TEXT] = OPT_STR, [SET_CHOICE] = OPT_CHOICE, [SET_AUGMENT] = OPT_AUGMENT};
    cli_opt o = {d->flag, KIND[d->type], setting_value(d, c), d->def, d->help, d->range,
                 d->choices, d->n_choices, 0};
    return o;
}

int setting_parse(const setting_def *d, run_config *c, const char *text, char *err,
                  size_t errlen)
{
    cli_opt o = setting_flag(d, c);
    return cli_parse_value(&o, text, err, (unsigned)errlen);
}

/* The texts setting_text_keep has copied: a list that lives as long as the
 * program (reachable, so no leak checker counts it). */
typedef struct kept_text {
    struct kept_text *next;
    char text[];
} kept_text;
static kept_text *kept_texts;

const char *setting_text_keep(const char *text)
{
    for (kept_text *k = kept_texts; k; k = k->next)
        if (!strcmp(k->text, text)) return k->text;
    kept_text *k = malloc(sizeof *k + strlen(text) + 1);
    if (!k) return NULL;
    strcpy(k->text, text);
    k->next = kept_texts;
    kept_texts = k;
    return k->text;
}

void run_config_defaults(run_config *c)
{
    char err[512];
    memset(c, 0, sizeof *c);
    for (int i = 0; i < run_settings_count; i++)
        if (setting_parse(&run_settings[i], c, run_settings[i].def, err, sizeof err)) {
            fprintf(stderr, "cnn: internal error: the default of --%s: %s\n",
                    run_settings[i].flag, err);
            exit(1);
        }
}

void setting_format(const setting_def *d, const run_config *c, char *buf, size_t len)
{
    const void *v = setting_cvalue(d, c);
    switch (d->type) {
    case SET_INT: snprintf(buf, len, "%d", *(const int *)v); break;
    case SET_FLOAT: cli_float_text(*(const float *)v, buf, len); break;
    case SET_U64: snprintf(buf, len, "%llu", (unsigned long long)*(const uint64_t *)v); break;
    case SET_BOOL: snprintf(buf, len, "%s", *(const int *)v ? "true" : "false"); break;
    case SET_TEXT: snprintf(buf, len, "%s", *(const char *const *)v); break;
    case SET_CHOICE: snprintf(buf, len, "%s", d->choices[*(const int *)v]); break;
    case SET_AUGMENT: augment_spec_format(*(const cnn_augment *)v, buf, len); break;
    }
}

void setting_describe(const setting_def *d, const run_config *c, char *buf, size_t len)
{
    if (d->type == SET_AUGMENT)
        augment_describe(*(const cnn_augment *)setting_cvalue(d, c), buf, len);
    else
        setting_format(d, c, buf, len);
    if (!*buf) snprintf(buf, len, "(none)");
}

int setting_same(const setting_def *d, const run_config *a, const run_config *b)
{
    const void *x = setting_cvalue(d, a), *y = setting_cvalue(d, b);
    switch (d->type) {
    case SET_TEXT: return !strcmp(*(const char *const *)x, *(const char *const *)y);
    case SET_AUGMENT: {
        const cnn_augment *p = x, *q = y;
        return p->shift == q->shift && !memcmp(&p->rot_deg, &q->rot_deg, sizeof(float)) &&
               !memcmp(&p->scale, &q->scale, sizeof(float)) && p->flip == q->flip;
    }
    case SET_U64: return *(const uint64_t *)x == *(const uint64_t *)y;
    case SET_FLOAT: return !memcmp(x, y, sizeof(float)); /* bit for bit */
    default: return *(const int *)x == *(const int *)y;
    }
}

void setting_copy(const setting_def *d, run_config *dst, const run_config *src)
{
    static const size_t SIZE[] = {
        [SET_INT] = sizeof(int), [SET_FLOAT] = sizeof(float), [SET_U64] = sizeof(uint64_t),
        [SET_BOOL] = sizeof(int), [SET_TEXT] = sizeof(const char *), [SET_CHOICE] = sizeof(int),
        [SET_AUGMENT] = sizeof(cnn_augment)};
    memcpy(setting_value(d, dst), setting_cvalue(d, src), SIZE[d->type]);
}

const setting_def *settings_differ(const run_config *a, const run_config *b, int roles)
{
    for (int i = 0; i < run_settings_count; i++)
        if ((run_settings[i].roles & roles) && !setting_same(&run_settings[i], a, b))
            return &run_settings[i];
    return NULL;
}

/* The next "name=value" word of *s: its name and value, copied; 0 at the end. */
static int next_override(const char **s, char *name, size_t nlen, char *value, size_t vlen)
{
    while (**s == ' ') (*s)++;
    if (!**s) return 0;
    size_t word = strcspn(*s, " "), eq = strcspn(*s, "=");
    if (eq >= word) eq = word; /* no "=": the whole word is the name, the value empty */
    snprintf(name, nlen, "%.*s", (int)eq, *s);
    snprintf(value, vlen, "%.*s", eq < word ? (int)(word - eq - 1) : 0, *s + eq + 1);
    *s += word;
    return 1;
}

int settings_apply(run_config *c, const char *overrides, int roles, char *err, size_t errlen)
{
    char name[64], value[128], why[512];
    const char *s = overrides;
    while (next_override(&s, name, sizeof name, value, sizeof value)) {
        const setting_def *d = setting_find(name);
        if (!d || (d->roles & roles) != roles) {
            snprintf(err, errlen, "\"%s\": no setting of that name may be set here", name);
            return -1;
        }
        if (setting_parse(d, c, value, why, sizeof why)) {
            snprintf(err, errlen, "\"%s=%s\": %s", name, value, why);
            return -1;
        }
    }
    return 0;
}

const char *settings_override(const char *overrides, const char *flag, char *buf, size_t len)
{
    char name[64], value[128];
    const char *s = overrides, *found = NULL;
    while (next_override(&s, name, sizeof name, value, sizeof value))
        if (!strcmp(name, flag)) {
            snprintf(buf, len, "%s", value);
            found = buf;
        }
    return found;
}

int setting_check(const setting_def *d, const run_config *c, char *err, size_t errlen)
{
    const int *word = setting_cvalue(d, c);
    if (d->type == SET_CHOICE && (*word < 0 || *word >= d->n_choices)) {
        snprintf(err, errlen, "--%s: choice %d of %d", d->flag, *word, d->n_choices);
        return -1;
    }
    if (d->type == SET_BOOL && *word != 0 && *word != 1) {
        snprintf(err, errlen, "--%s: %d, neither true (1) nor false (0)", d->flag, *word);
        return -1;
    }
    if (d->type == SET_TEXT) return 0;
    char text[256];
    run_config scratch = *c;
    setting_format(d, c, text, sizeof text);
    return setting_parse(d, &scratch, text, err, errlen);
}
