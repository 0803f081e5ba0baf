/* Choosing a backend: "cpu", "gpu" or "auto", once, at start. */
#ifndef CNN_DEVICE_H
#define CNN_DEVICE_H

#include <stddef.h>
#include "ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Returns the ops table for `want` ("cpu", "gpu" or "auto": a GPU when one is
 * present, else the CPU) and GPU number gpu, with a one-line description of
 * the device in desc; or NULL with err set (no GPU, a build without CUDA).
 * The CPU backend runs `threads` threads (0: the free cores, following the
 * machine's load). When "auto" falls back to the CPU in a CUDA build, note
 * (unless NULL) says why, for one line on stderr; otherwise note is left
 * empty. */
const cnn_ops *device_select(const char *want, int gpu, int threads, char *desc, size_t desclen,
                             char *note, size_t notelen, char *err, size_t errlen);

/* Why a CUDA build finds no usable GPU, when the versions explain it. driver
 * and runtime are as cudaDriverGetVersion and cudaRuntimeGetVersion give them
 * (1000 * major + 10 * minor; a driver of 0: none is installed). For no driver
 * or one older than the runtime, writes the reason into why and returns 1;
 * otherwise returns 0 and leaves why alone (the CUDA error is the reason).
 * Pure, so the CPU tests check it in every build. */
int device_driver_reason(int driver, int runtime, char *why, size_t len);

/* The backends this build has, for the first line a command prints: "CPU
 * only (built without CUDA)" or "CPU and CUDA 13.0" (the toolkit it was built
 * with). */
const char *device_build_backends(void);

/* The CPU backend (src/cpu/): its table with `threads` threads (0: the free
 * cores, fewer while other processes want them), described in desc; NULL
 * with err set when a memory limit leaves no room for OpenBLAS's buffer. */
const cnn_ops *cpu_backend_open(int threads, char *desc, size_t desclen, char *err,
                                size_t errlen);

#ifdef CNN_HAVE_CUDA
/* The GPU backend (kernels/): the number of usable devices (0 when there is
 * no driver or no device), and opening device `index`. */
int gpu_device_count(void);
/* Why gpu_device_count found none, or NULL: device_driver_reason's words
 * for a missing or too old driver, else the CUDA error. */
const char *gpu_unavailable_reason(void);
/* The CUDA toolkit's version at build time, e.g. "13.0". */
const char *gpu_toolkit_version(void);
const cnn_ops *gpu_backend_open(int index, char *desc, size_t desclen, char *err,
                                size_t errlen);
#endif

#ifdef __cplusplus
}
#endif
#endif
