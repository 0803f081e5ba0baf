/* Private to src/io: the progress line of a long load ("loading DIR/train:
 * 12000/50000 pictures"), shown only once the load has run a while, so a
 * quick one prints nothing. */
#ifndef CNN_IMAGE_FOLDER_PROGRESS_H
#define CNN_IMAGE_FOLDER_PROGRESS_H

#include <stdio.h>

typedef struct {
    FILE *to;        /* stderr, or a test's file; NULL: quiet */
    const char *what; /* "DIR/train" */
    int total;
    int tty;         /* to is a terminal: the line is redrawn in place */
    double start_s, last_s;
    double after_s;  /* nothing before the load has run this long */
    double every_s;  /* at most one line (or redraw) this often */
    int shown;       /* a line was printed: the last one must end it */
} load_progress;

/* Starts timing a load of total pictures; to NULL (quiet) prints nothing.
 * On a terminal the line is redrawn at most 4 times a second; elsewhere (a
 * log) one line every 10 s. Both wait 1 s before the first. */
void load_progress_begin(load_progress *p, FILE *to, const char *what, int total);

/* done pictures so far: a line when one is due. One thread calls it. */
void load_progress_tick(load_progress *p, int done);

/* The final line ("loading DIR/train: 50000/50000 pictures in 3.2 s"),
 * only when a progress line was shown. */
void load_progress_end(load_progress *p, int done);

#endif
