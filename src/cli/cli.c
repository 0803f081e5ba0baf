/* Flag parsing; see include/cli.h. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "augment_spec.h"
#include "text_out.h"

int cli_bool_word(const char *s)
{
    return !strcmp(s, "true") || !strcmp(s, "false") || !strcmp(s, "1") || !strcmp(s, "0");
}

/* Only decimal digits: strtol and strtoull would also take leading space, a
 * sign (strtoull wraps "-1" to 2^64-1) and, for strtof, hex, inf and nan. */
static int all_digits(const char *text)
{
    return *text && strspn(text, "0123456789") == strlen(text);
}

static int parse_bool(const cli_opt *opt, const char *text, char *err, unsigned errlen)
{
    if (!cli_bool_word(text)) {
        snprintf(err, errlen, "--%s: expected true or false, got \"%s\"", opt->name, text);
        return -1;
    }
    *(int *)opt->value = !strcmp(text, "1") || !strcmp(text, "true");
    return 0;
}

/* An interval "[lo, hi]" with ( or ) for an open end and inf for none. */
typedef struct { double lo, hi; int lo_open, hi_open; } interval;

static interval interval_of(const char *range, int whole)
{
    interval r = {whole ? 1.0 : 0.0, whole ? (double)INT_MAX : (double)INFINITY, !whole, !whole};
    char lo[32], hi[32], open, close;
    if (!range || sscanf(range, "%c%31[^,], %31[^])]%c", &open, lo, hi, &close) != 4) return r;
    r.lo = strtod(lo, NULL);
    r.hi = strcmp(hi, "inf") ? strtod(hi, NULL) : INFINITY;
    r.lo_open = open == '(';
    r.hi_open = close == ')';
    return r;
}

static int inside(interval r, double v)
{
    return (r.lo_open ? v > r.lo : v >= r.lo) && (r.hi_open ? v < r.hi : v <= r.hi);
}

static int parse_int(const cli_opt *opt, const char *text, char *err, unsigned errlen)
{
    interval r = interval_of(opt->range, 1);
    long v = -1;
    errno = 0;
    if (all_digits(text)) v = strtol(text, NULL, 10);
    if (errno == ERANGE || !all_digits(text) || !inside(r, (double)v)) {
        snprintf(err, errlen, "--%s: expected a whole number from %.0f to %.0f, got \"%s\"",
                 opt->name, r.lo, r.hi, text);
        return -1;
    }
    *(int *)opt->value = (int)v;
    return 0;
}

static int parse_u64(const cli_opt *opt, const char *text, char *err, unsigned errlen)
{
    unsigned long long v = 0;
    errno = 0;
    if (all_digits(text)) v = strtoull(text, NULL, 10);
    if (!all_digits(text) || errno == ERANGE) {
        snprintf(err, errlen, "--%s: expected a whole number from 0 to %llu, got \"%s\"",
                 opt->name, ULLONG_MAX, text);
        return -1;
    }
    *(uint64_t *)opt->value = v;
    return 0;
}

/* v in %.*g with `digits` digits, where that reads back as v. */
static int reads_back(float v, int digits, char *buf, size_t len)
{
    snprintf(buf, len, "%.*g", digits, (double)v);
    return strtof(buf, NULL) == v;
}

void cli_float_text(float v, char *buf, size_t len)
{
    int digits = 1;
    while (digits < 9 && !reads_back(v, digits, buf, len)) digits++;
    if (!strchr(buf, 'e')) return;
    /* 100 rather than 1e+02, where as many digits as a float has do it */
    char plain[48];
    for (int more = digits + 1; more <= 9; more++)
        if (reads_back(v, more, plain, sizeof plain) && !strchr(plain, 'e')) {
            snprintf(buf, len, "%s", plain);
            return;
        }
}

/* One end of the numbers a float flag takes: "from 1" or "to 1" (with " (1
 * excluded)" for an open end), the bound written so that it reads back as
 * itself. */
static void float_bound(const char *word, float v, int open, char *buf, size_t len)
{
    char text[32];
    cli_float_text(v, text, sizeof text);
    snprintf(buf, len, "%s %s%s%s%s", word, text, open ? " (" : "", open ? text : "",
             open ? " excluded)" : "");
}

/* The floats parse_float takes for interval r (its row's text: range), in
 * words: "a number in [0, 1): 0 or a positive number from 1.1754944e-38 to
 * 1 (1 excluded)" (without the interval where it has no upper end). */
static void float_range_words(interval r, const char *range, char *buf, size_t len)
{
    char lo[96], hi[96], in[64] = "";
    int zero_allowed = r.lo == 0 && !r.lo_open;
    if (r.lo <= FLT_MIN) float_bound("from", FLT_MIN, 0, lo, sizeof lo);
    else float_bound("from", (float)r.lo, r.lo_open, lo, sizeof lo);
    if (r.hi >= FLT_MAX) float_bound("to", FLT_MAX, 0, hi, sizeof hi);
    else float_bound("to", (float)r.hi, r.hi_open, hi, sizeof hi);
    if (range && r.hi < FLT_MAX) snprintf(in, sizeof in, "a number in %s: ", range);
    snprintf(buf, len, "%s%sa positive number %s %s", in, zero_allowed ? "0 or " : "", lo, hi);
}

/* A float from FLT_MIN to FLT_MAX (or 0 where the interval starts at a
 * closed 0), inside the interval: a smaller value would round to 0 or to a
 * denormal, which is not the number asked for and makes the CPU's
 * arithmetic many times slower. The message states exactly what is taken. */
static int parse_float(const cli_opt *opt, const char *text, char *err, unsigned errlen)
{
    interval r = interval_of(opt->range, 0);
    int zero_allowed = r.lo == 0 && !r.lo_open;
    int plain = (isdigit((unsigned char)*text) || *text == '.') &&
                strspn(text, "0123456789.eE+-") == strlen(text);
    char *end = NULL;
    float v = -1;
    errno = 0;
    if (plain) v = strtof(text, &end);
    int normal = v >= FLT_MIN && v <= FLT_MAX;
    int zero_ok = v == 0 && errno != ERANGE && zero_allowed;
    if (!plain || *end || !(normal || zero_ok) || !inside(r, v)) {
        char words[288];
        float_range_words(r, opt->range, words, sizeof words);
        snprintf(err, errlen, "--%s: expected %s, got \"%s\"", opt->name, words, text);
        return -1;
    }
    *(float *)opt->value = v;
    return 0;
}

/* "a, b or c" */
static void choice_list(const cli_opt *opt, char *buf, size_t len)
{
    buf[0] = 0;
    for (int i = 0; i < opt->n_choices; i++) {
        size_t at = strlen(buf);
        snprintf(buf + at, len - at, "%s%s",
                 i == 0 ? "" : i == opt->n_choices - 1 ? " or " : ", ", opt->choices[i]);
    }
}

static int parse_choice(const cli_opt *opt, const char *text, char *err, unsigned errlen)
{
    for (int i = 0; i < opt->n_choices; i++)
        if (!strcmp(text, opt->choices[i])) {
            *(int *)opt->value = i;
            return 0;
        }
    char list[256];
    choice_list(opt, list, sizeof list);
    snprintf(err, errlen, "--%s: expected %s, got \"%s\"", opt->name, list, text);
    return -1;
}

static int parse_augment(const cli_opt *opt, const char *text, char *err, unsigned errlen)
{
    char why[512];
    if (augment_spec_parse(text, (cnn_augment *)opt->value, why, sizeof why) == 0) return 0;
    snprintf(err, errlen, "--%s: %s", opt->name, why);
    return -1;
}

int cli_parse_value(const cli_opt *opt, const char *text, char *err, unsigned errlen)
{
    switch (opt->kind) {
    case OPT_STR:
        *(const char **)opt->value = text;
        return 0;
    case OPT_BOOL: return parse_bool(opt, text, err, errlen);
    case OPT_INT: return parse_int(opt, text, err, errlen);
    case OPT_U64: return parse_u64(opt, text, err, errlen);
    case OPT_FLOAT: return parse_float(opt, text, err, errlen);
    case OPT_CHOICE: return parse_choice(opt, text, err, errlen);
    case OPT_AUGMENT: return parse_augment(opt, text, err, errlen);
    }
    return -1;
}

void cli_arg_text(const cli_opt *opt, char *buf, size_t len)
{
    switch (opt->kind) {
    case OPT_BOOL: snprintf(buf, len, " [true|false]"); return;
    case OPT_STR: snprintf(buf, len, " S"); return;
    case OPT_FLOAT: snprintf(buf, len, " X"); return;
    case OPT_AUGMENT: snprintf(buf, len, " SPEC"); return;
    case OPT_CHOICE:
        buf[0] = 0;
        for (int i = 0; i < opt->n_choices; i++) {
            size_t at = strlen(buf);
            snprintf(buf + at, len - at, "%s%s", i ? "|" : " ", opt->choices[i]);
        }
        return;
    default: snprintf(buf, len, " N"); return;
    }
}

static void print_help(const char *cmd, const char *usage, const cli_opt *opts, int n)
{
    printf("usage: cnn %s %s\n\n", cmd, usage);
    for (int i = 0; i < n; i++) {
        char left[96], arg[64];
        cli_arg_text(&opts[i], arg, sizeof arg);
        snprintf(left, sizeof left, "--%s%s", opts[i].name, arg);
        printf("  %-22s %s", left, opts[i].help);
        if (opts[i].range && opts[i].kind == OPT_FLOAT && strstr(opts[i].range, "inf") == NULL)
            printf(", in %s", opts[i].range);
        if (opts[i].def) printf(" (default: %s)", *opts[i].def ? opts[i].def : "none");
        printf("\n");
    }
    printf("  %-22s %s\n", "--help", "this list");
}

int cli_parse(const char *cmd, const char *usage, cli_opt *opts, int n_opts, int argc,
              char **argv, int first)
{
    char err[1024];
    for (int i = 0; i < n_opts; i++) {
        opts[i].given = 0;
        if (opts[i].def && (*opts[i].def || opts[i].kind == OPT_STR) &&
            cli_parse_value(&opts[i], opts[i].def, err, sizeof err)) {
            fprintf(stderr, "cnn %s: internal error: bad default: %s\n", cmd, err);
            return -1;
        }
    }
    for (int a = first; a < argc; a++) {
        const char *arg = argv[a];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            print_help(cmd, usage, opts, n_opts);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0) {
            print_error("cnn %s: unexpected argument \"%s\" (flags start with --; see "
                        "cnn %s --help)", cmd, arg, cmd);
            return -1;
        }
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        cli_opt *opt = NULL;
        for (int i = 0; i < n_opts; i++)
            if (strlen(opts[i].name) == len && !strncmp(opts[i].name, name, len))
                opt = &opts[i];
        if (!opt) {
            print_error("cnn %s: unknown flag --%.*s (see cnn %s --help)", cmd, (int)len, name,
                        cmd);
            return -1;
        }
        const char *value = eq ? eq + 1 : NULL;
        /* "--quiet" alone is true; "--quiet false" as the README writes it */
        if (!value && opt->kind == OPT_BOOL)
            value = a + 1 < argc && cli_bool_word(argv[a + 1]) ? argv[++a] : "true";
        if (!value) {
            if (a + 1 >= argc) {
                fprintf(stderr, "cnn %s: --%s needs a value\n", cmd, opt->name);
                return -1;
            }
            value = argv[++a];
        }
        if (cli_parse_value(opt, value, err, sizeof err)) {
            print_error("cnn %s: %s", cmd, err);
            return -1;
        }
        opt->given = 1;
    }
    return 0;
}
