/* The CPU backend's table and its thread count, for the tests and the
 * benchmark, which call CPU ops directly. Host code reaches the CPU backend
 * through device_select (device.h), never through this header. */
#ifndef CNN_CPU_BACKEND_H
#define CNN_CPU_BACKEND_H

#include "ops.h"

/* The CPU backend, always present. */
extern const cnn_ops cpu_ops;

/* Sets the thread count of the CPU backend (OpenMP; OpenBLAS itself runs on one
 * thread inside each of them); 0 keeps the default: the cores the process may
 * use, less those other runnable processes are using (looked at again every
 * 0.25 s), at least one. Results are the same bits on any count. */
void cpu_ops_set_threads(int threads);

#endif
