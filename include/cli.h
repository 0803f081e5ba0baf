/* A small table-driven flag parser: every flag is listed, with its default,
 * by --help, and every value is checked strictly. */
#ifndef CNN_CLI_H
#define CNN_CLI_H

#include <stddef.h>
#include <stdint.h>

/* What a flag takes. OPT_CHOICE: one of `choices` (the int value is its
 * index); OPT_AUGMENT: an --augment spec (augment_spec.h) into a
 * cnn_augment. */
typedef enum { OPT_STR, OPT_INT, OPT_FLOAT, OPT_U64, OPT_BOOL, OPT_CHOICE, OPT_AUGMENT } opt_kind;

typedef struct {
    const char *name;   /* without the leading "--" */
    opt_kind kind;
    void *value;        /* const char **, int *, float *, uint64_t *, int *, int *, cnn_augment * */
    const char *def;    /* the default as shown by --help (and parsed when set) */
    const char *help;
    /* OPT_INT and OPT_FLOAT: the interval the value must lie in, as
     * "[0, 1024]" or "[0, 1)" (an end in ( or ) is open; inf: none). NULL:
     * a whole number from 1, or a positive float. A float must be a normal
     * float, or 0 where the interval starts at a closed 0. */
    const char *range;
    const char *const *choices; /* OPT_CHOICE: the words, n_choices of them */
    int n_choices;
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

/* v in the fewest significant digits that read back as the same float
 * (without an exponent where up to 9 digits can: 100, not 1e+02). */
void cli_float_text(float v, char *buf, size_t len);

/* Parses a value as opt's kind, strictly: numbers are plain decimal digits
 * (floats with a point and an exponent too), without space or sign, within
 * the kind's range; returns 0 or -1 with err set (naming the range). */
int cli_parse_value(const cli_opt *opt, const char *text, char *err, unsigned errlen);

/* What --help writes after --name: " N", " X", " S", " [true|false]",
 * " SPEC", or a choice's words " sgd|nesterov|adam|adamw". */
void cli_arg_text(const cli_opt *opt, char *buf, size_t len);

#endif
