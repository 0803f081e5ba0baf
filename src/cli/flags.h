/* The flags of a command: the rows of the settings it takes
 * (include/settings.h), declared once for every command, and its own. */
#ifndef CNN_FLAGS_H
#define CNN_FLAGS_H

#include "cli.h"
#include "settings.h"

#define FLAGS_MAX 64

typedef struct {
    cli_opt opt[FLAGS_MAX];
    int n;
    char defaults[FLAGS_MAX][128]; /* defaults that overrides gave */
} flag_set;

/* Adds the flag of every setting command `cmd` (CMD_*) takes, its value in
 * c, its default the row's unless `overrides` ("name=value ...": a preset's
 * settings, or the command's own defaults; may be NULL) gives another. */
void flags_add_settings(flag_set *f, int cmd, run_config *c, const char *overrides);

/* Adds a flag of the command's own: --name of kind, its value at value, its
 * default (as text) def. */
void flags_add_own(flag_set *f, const char *name, opt_kind kind, void *value, const char *def,
                   const char *help);

/* A setting's flag with help of the command's own (what it means there). */
void flags_set_help(flag_set *f, const char *name, const char *help);

/* Whether --name was given on the command line (after cli_parse). */
int flags_given(const flag_set *f, const char *name);

/* cli_parse over f's flags: 0, 1 after --help, -1 after one line on stderr. */
int flags_parse(flag_set *f, const char *cmd, const char *usage, int argc, char **argv);

#endif
