/* The one clock the program times with: CLOCK_MONOTONIC, in seconds. main()
 * records the process's start first thing, so --target-acc's
 * time_to_target_s counts loading and set-up too. */
#ifndef CNN_CLOCK_H
#define CNN_CLOCK_H

/* Seconds on CLOCK_MONOTONIC. */
double monotonic_seconds(void);

/* monotonic_seconds() when main() began; 0 where no main() set it (tests). */
extern double process_start_s;

#endif
