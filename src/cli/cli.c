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

static int parse_int(const cli_opt *opt, const char *text, char *err, unsigned errlen)
{
    long lo = opt->min_zero ? 0 : 1, v = -1;
    long hi = opt->kind == OPT_THREADS ? CLI_MAX_THREADS : INT_MAX;
    errno = 0;
    if (all_digits(text)) v = strtol(text, NULL, 10);
    if (errno == ERANGE || v < lo || v > hi) {
        snprintf(err, errlen, "--%s: expected a whole number from %ld to %ld, got \"%s\"",
                 opt->name, lo, hi, text);
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

/* A float from FLT_MIN to FLT_MAX (or 0 when allowed): a smaller value
 * would round to 0 or to a denormal, which is not the number asked for and
 * makes the CPU's arithmetic many times slower. */
static int parse_float(const cli_opt *opt, const char *text, char *err, unsigned errlen)
{
    int plain = (isdigit((unsigned char)*text) || *text == '.') &&
                strspn(text, "0123456789.eE+-") == strlen(text);
    char *end = NULL;
    float v = -1;
    errno = 0;
    if (plain) v = strtof(text, &end);
    int in_range = v >= FLT_MIN && v <= FLT_MAX;
    int zero_ok = v == 0 && errno != ERANGE && opt->min_zero;
    if (!plain || *end || !(in_range || zero_ok)) {
        snprintf(err, errlen, "--%s: expected %sa positive number from %g to %g, got \"%s\"",
                 opt->name, opt->min_zero ? "0 or " : "", FLT_MIN, FLT_MAX, text);
        return -1;
    }
    *(float *)opt->value = v;
    return 0;
}

int cli_parse_value(const cli_opt *opt, const char *text, char *err, unsigned errlen)
{
    switch (opt->kind) {
    case OPT_STR:
        *(const char **)opt->value = text;
        return 0;
    case OPT_BOOL: return parse_bool(opt, text, err, errlen);
    case OPT_INT:
    case OPT_THREADS: return parse_int(opt, text, err, errlen);
    case OPT_U64: return parse_u64(opt, text, err, errlen);
    case OPT_FLOAT: return parse_float(opt, text, err, errlen);
    }
    return -1;
}

static void print_help(const char *cmd, const char *usage, const cli_opt *opts, int n)
{
    printf("usage: cnn %s %s\n\n", cmd, usage);
    for (int i = 0; i < n; i++) {
        char left[64];
        const char *arg = opts[i].kind == OPT_BOOL    ? " [true|false]"
                          : opts[i].kind == OPT_STR   ? " S"
                          : opts[i].kind == OPT_FLOAT ? " X"
                                                      : " N";
        snprintf(left, sizeof left, "--%s%s", opts[i].name, arg);
        printf("  %-22s %s", left, opts[i].help);
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
