/* The process's start on the monotonic clock: main() records it first
 * thing, so --target-acc's time_to_target_s counts loading and set-up too. */
#ifndef CNN_PROC_CLOCK_H
#define CNN_PROC_CLOCK_H

/* Seconds on CLOCK_MONOTONIC (the clock train.c times with). */
double monotonic_seconds(void);

/* monotonic_seconds() when main() began; 0 where no main() set it (tests). */
extern double process_start_s;

#endif
