/* The monotonic clock and the process's start; see include/clock.h. */
#include "clock.h"

#include <time.h>

double process_start_s;

double monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}
