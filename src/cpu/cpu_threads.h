/* The CPU backend's threads and its BLAS library (private to src/cpu/):
 * how many OpenMP threads run (cpu_threads.c), and OpenBLAS set up to run
 * inside them (cpu_blas.c). */
#ifndef CNN_CPU_THREADS_H
#define CNN_CPU_THREADS_H

#include <stddef.h>

/* With the default thread count (--threads 0), looks at the machine's load
 * again when LOAD_CHECK_S has passed; called at the start of a batch. */
void cpu_threads_follow_load(void);

/* OpenBLAS on one thread inside each OpenMP thread (set once, before the
 * first product). */
void cpu_blas_single_threaded(void);

/* Makes OpenBLAS's buffers ready for `threads` threads calling it at once
 * and returns how many may: threads, or fewer where an address-space or
 * data limit leaves no room for all their buffers; 0 with err set when not
 * even one fits. */
int cpu_blas_prepare(int threads, char *err, size_t errlen);

#endif
