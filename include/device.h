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
 * the device in desc; or NULL with err set (no GPU, a build without CUDA). */
const cnn_ops *device_select(const char *want, int gpu, char *desc, size_t desclen, char *err,
                             size_t errlen);

/* The backends this build has, for the first line a command prints: "CPU
 * only (built without CUDA)" or "CPU and CUDA 13.0" (the toolkit it was built
 * with). */
const char *device_build_backends(void);

#ifdef CNN_HAVE_CUDA
/* The GPU backend (kernels/): the number of usable devices (0 when there is
 * no driver or no device), and opening device `index`. */
int gpu_device_count(void);
/* Why gpu_device_count found none (the CUDA error), or NULL. */
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
