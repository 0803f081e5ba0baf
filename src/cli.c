/* Flag parsing; see include/cli.h. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_parse_value(const cli_opt *opt, const char *text, char *err, unsigned errlen)
{
    char *end;
    const char *want = opt->min_zero ? "a number >= 0" : "a positive number";
    errno = 0;
    switch (opt->kind) {
    case OPT_STR:
        *(const char **)opt->value = text;
        return 0;
    case OPT_BOOL:
        if (strcmp(text, "1") && strcmp(text, "0") && strcmp(text, "true") && strcmp(text, "false")) {
            snprintf(err, errlen, "--%s: expected true or false, got \"%s\"", opt->name, text);
            return -1;
        }
        *(int *)opt->value = !strcmp(text, "1") || !strcmp(text, "true");
        return 0;
    case OPT_INT: {
        long v = strtol(text, &end, 10);
        if (!*text || *end || errno == ERANGE || v > INT_MAX || v < 0 || (v == 0 && !opt->min_zero)) {
            snprintf(err, errlen, "--%s: expected a whole number from %d to %d, got \"%s\"",
                     opt->name, opt->min_zero ? 0 : 1,
                     INT_MAX, text);
            return -1;
        }
        *(int *)opt->value = (int)v;
        return 0;
    }
    case OPT_U64: {
        if (*text == '-' || !*text) goto bad_u64;
        unsigned long long v = strtoull(text, &end, 10);
        if (*end || errno == ERANGE) goto bad_u64;
        *(uint64_t *)opt->value = v;
        return 0;
    bad_u64:
        snprintf(err, errlen, "--%s: expected a whole number >= 0, got \"%s\"", opt->name, text);
        return -1;
    }
    case OPT_FLOAT: {
        float v = strtof(text, &end);
        if (!*text || *end || errno == ERANGE || !isfinite(v) || v < 0 ||
            (v == 0 && !opt->min_zero)) {
            snprintf(err, errlen, "--%s: expected %s, got \"%s\"", opt->name, want, text);
            return -1;
        }
        *(float *)opt->value = v;
        return 0;
    }
    }
    return -1;
}

static void print_help(const char *cmd, const char *usage, const cli_opt *opts, int n)
{
    printf("usage: cnn %s %s\n\n", cmd, usage);
    for (int i = 0; i < n; i++) {
        char left[64];
        const char *arg = opts[i].kind == OPT_BOOL ? "" : opts[i].kind == OPT_STR ? " S"
                          : opts[i].kind == OPT_FLOAT ? " X" : " N";
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
    char err[256];
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
            fprintf(stderr, "cnn %s: unexpected argument \"%s\" (flags start with --; see "
                            "cnn %s --help)\n", cmd, arg, cmd);
            return -1;
        }
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        cli_opt *opt = NULL;
        for (int i = 0; i < n_opts; i++)
            if (strlen(opts[i].name) == len && !strncmp(opts[i].name, name, len))
                opt = &opts[i];
        if (!opt) {
            fprintf(stderr, "cnn %s: unknown flag --%.*s (see cnn %s --help)\n", cmd, (int)len,
                    name, cmd);
            return -1;
        }
        const char *value = eq ? eq + 1 : NULL;
        if (!value && opt->kind == OPT_BOOL)
            value = "true";
        if (!value) {
            if (a + 1 >= argc) {
                fprintf(stderr, "cnn %s: --%s needs a value\n", cmd, opt->name);
                return -1;
            }
            value = argv[++a];
        }
        if (cli_parse_value(opt, value, err, sizeof err)) {
            fprintf(stderr, "cnn %s: %s\n", cmd, err);
            return -1;
        }
        opt->given = 1;
    }
    return 0;
}
