/* A small table-driven flag parser: every flag is listed, with its default,
 * by --help, and every value is checked strictly. */
#ifndef CNN_CLI_H
#define CNN_CLI_H

#include <stdint.h>

typedef enum { OPT_STR, OPT_INT, OPT_FLOAT, OPT_U64, OPT_BOOL } opt_kind;

typedef struct {
    const char *name;   /* without the leading "--" */
    opt_kind kind;
    void *value;        /* const char **, int *, float *, uint64_t *, int * */
    const char *def;    /* the default as shown by --help (and parsed when set) */
    const char *help;
    int min_zero;       /* numbers: 0 is allowed (else they must be positive) */
    int given;          /* set by cli_parse when the flag was on the command line */
} cli_opt;

/* Parses argv[first..argc-1] ("--name value", "--name=value", or "--name" for
 * booleans); a default is applied first to every option whose def is not
 * NULL. Returns 0, 1 when --help was asked (help printed to stdout), or -1
 * after printing one line on stderr. */
int cli_parse(const char *cmd, const char *usage, cli_opt *opts, int n_opts, int argc,
              char **argv, int first);

/* Parses a value as opt's kind, strictly; returns 0 or -1 with err set. */
int cli_parse_value(const cli_opt *opt, const char *text, char *err, unsigned errlen);

#endif
