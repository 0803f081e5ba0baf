/* A small table-driven flag parser: every flag is listed, with its default,
 * by --help, and every value is checked strictly. */
#ifndef CNN_CLI_H
#define CNN_CLI_H

#include <stdint.h>

/* --threads' bound: far more than any machine's cores, and far below the
 * counts at which the OpenMP runtime fails (thread creation, or a stack
 * overflow that kills the process) */
#define CLI_MAX_THREADS 1024

/* OPT_THREADS: an int from 0 or 1 (min_zero) to CLI_MAX_THREADS */
typedef enum { OPT_STR, OPT_INT, OPT_FLOAT, OPT_U64, OPT_BOOL, OPT_THREADS } opt_kind;

typedef struct {
    const char *name;   /* without the leading "--" */
    opt_kind kind;
    void *value;        /* const char **, int *, float *, uint64_t *, int *, int * */
    const char *def;    /* the default as shown by --help (and parsed when set) */
    const char *help;
    int min_zero;       /* numbers: 0 is allowed (else they must be positive) */
    int given;          /* set by cli_parse when the flag was on the command line */
} cli_opt;

/* Parses argv[first..argc-1] ("--name value" or "--name=value"; a boolean
 * alone means true, and takes a next argument only when it is true, false, 1
 * or 0); a default is applied first to every option whose def is not
 * NULL. Returns 0, 1 when --help was asked (help printed to stdout), or -1
 * after printing one line on stderr. */
int cli_parse(const char *cmd, const char *usage, cli_opt *opts, int n_opts, int argc,
              char **argv, int first);

/* Whether s is a boolean's value: true, false, 1 or 0. */
int cli_bool_word(const char *s);

/* Parses a value as opt's kind, strictly: numbers are plain decimal digits
 * (floats with a point and an exponent too), without space or sign, within
 * the kind's range; returns 0 or -1 with err set (naming the range). */
int cli_parse_value(const cli_opt *opt, const char *text, char *err, unsigned errlen);

#endif
