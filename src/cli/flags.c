/* A command's flags from the settings table; see flags.h. */
#include "flags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cli_opt *next_row(flag_set *f)
{
    if (f->n == FLAGS_MAX) {
        fprintf(stderr, "cnn: internal error: more than %d flags\n", FLAGS_MAX);
        exit(1);
    }
    return &f->opt[f->n++];
}

void flags_add_settings(flag_set *f, int cmd, run_config *c, const char *overrides)
{
    for (int i = 0; i < run_settings_count; i++) {
        const setting_def *d = &run_settings[i];
        if (!(d->commands & cmd)) continue;
        int at = f->n;
        cli_opt *o = next_row(f);
        const char *def = overrides ? settings_override(overrides, d->flag, f->defaults[at],
                                                        sizeof f->defaults[at])
                                    : NULL;
        *o = setting_flag(d, c);
        if (def) o->def = def;
    }
}

void flags_add_own(flag_set *f, const char *name, opt_kind kind, void *value, const char *def,
                   const char *help)
{
    *next_row(f) = (cli_opt){.name = name, .kind = kind, .value = value, .def = def, .help = help};
}

void flags_set_help(flag_set *f, const char *name, const char *help)
{
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->opt[i].name, name)) f->opt[i].help = help;
}

int flags_given(const flag_set *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->opt[i].name, name)) return f->opt[i].given;
    return 0;
}

int flags_parse(flag_set *f, const char *cmd, const char *usage, int argc, char **argv)
{
    return cli_parse(cmd, usage, f->opt, f->n, argc, argv, 2);
}
