/* The progress line of a long picture load; see image_folder_progress.h. */
#include "image_folder_progress.h"

#include <unistd.h>

#include "clock.h"

void load_progress_begin(load_progress *p, FILE *to, const char *what, int total)
{
    p->to = to;
    p->what = what;
    p->total = total;
    p->tty = to && isatty(fileno(to));
    p->start_s = p->last_s = monotonic_seconds();
    p->after_s = 1.0;
    p->every_s = p->tty ? 0.25 : 10.0;
    p->shown = 0;
}

void load_progress_tick(load_progress *p, int done)
{
    if (!p->to) return;
    double now = monotonic_seconds();
    if (now - p->start_s < p->after_s || (p->shown && now - p->last_s < p->every_s)) return;
    p->last_s = now;
    p->shown = 1;
    fprintf(p->to, "%sloading %s: %d/%d pictures%s", p->tty ? "\r" : "", p->what, done,
            p->total, p->tty ? "" : "\n");
    fflush(p->to);
}

void load_progress_end(load_progress *p, int done)
{
    if (!p->to || !p->shown) return;
    /* as long as any line before it: it covers the last one on a terminal */
    fprintf(p->to, "%sloading %s: %d/%d pictures in %.1f s\n", p->tty ? "\r" : "", p->what,
            done, p->total, monotonic_seconds() - p->start_s);
    fflush(p->to);
}
