/* The setting an out-of-memory message names: see include/oom_hint.h. */
#include "oom_hint.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "text_out.h"

static char hint[256];

void oom_hint_set(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(hint, sizeof hint, fmt, ap);
    va_end(ap);
}

void oom_hint_clear(void) { hint[0] = '\0'; }

const char *oom_hint(void) { return hint; }

void oom_fail(const char *what, double bytes)
{
    print_error("cnn: out of memory: %.1f MiB for %s%s%s%s", bytes / 1048576.0, what,
                hint[0] ? " (" : "", hint, hint[0] ? ")" : "");
    exit(1);
}
