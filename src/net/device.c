/* Device choice. The only place host code learns whether CUDA was built in. */
#include "device.h"

#include <stdio.h>
#include <string.h>

/* The CPU backend with `threads` threads, its description ending in note;
 * NULL with err set when it cannot be opened. */
static const cnn_ops *cpu_select(int threads, char *desc, size_t desclen, const char *note,
                                 char *err, size_t errlen)
{
    const cnn_ops *ops = cpu_backend_open(threads, desc, desclen, err, errlen);
    if (!ops) return NULL;
    size_t used = strlen(desc);
    snprintf(desc + used, desclen - used, "%s", note);
    return ops;
}

/* "13.0" from 13000: CUDA's 1000 * major + 10 * minor. */
static void cuda_version_text(int version, char *text, size_t len)
{
    snprintf(text, len, "%d.%d", version / 1000, version % 1000 / 10);
}

int device_driver_reason(int driver, int runtime, char *why, size_t len)
{
    char runtime_text[24], driver_text[24];
    cuda_version_text(runtime, runtime_text, sizeof runtime_text);
    if (driver == 0) {
        snprintf(why, len, "no NVIDIA driver is installed (this build's CUDA runtime is %s)",
                 runtime_text);
        return 1;
    }
    if (driver >= runtime) return 0;
    cuda_version_text(driver, driver_text, sizeof driver_text);
    snprintf(why, len,
             "the NVIDIA driver supports CUDA %s, older than this build's CUDA runtime %s: "
             "update the driver, or rebuild with CUDA=0 or an older toolkit",
             driver_text, runtime_text);
    return 1;
}

const char *device_build_backends(void)
{
#ifdef CNN_HAVE_CUDA
    static char backends[48];
    snprintf(backends, sizeof backends, "CPU and CUDA %s", gpu_toolkit_version());
    return backends;
#else
    return "CPU only (built without CUDA)";
#endif
}

const cnn_ops *device_select(const char *want, int gpu, int threads, char *desc, size_t desclen,
                             char *note, size_t notelen, char *err, size_t errlen)
{
    if (note && notelen) note[0] = '\0';
    if (strcmp(want, "cpu") == 0)
        return cpu_select(threads, desc, desclen, "", err, errlen);
    if (strcmp(want, "gpu") != 0 && strcmp(want, "auto") != 0) {
        snprintf(err, errlen, "--device: unknown device \"%s\": use cpu, gpu or auto", want);
        return NULL;
    }
#ifdef CNN_HAVE_CUDA
    int count = gpu_device_count();
    if (count > 0) {
        if (gpu < 0 || gpu >= count) {
            snprintf(err, errlen, "--gpu %d: no such GPU (this machine has %d: 0..%d)", gpu,
                     count, count - 1);
            return NULL;
        }
        return gpu_backend_open(gpu, desc, desclen, err, errlen);
    }
    const char *why = gpu_unavailable_reason();
    if (!why) why = "no device";
    if (strcmp(want, "gpu") == 0) {
        snprintf(err, errlen, "--device gpu: no usable GPU (use --device cpu): %s", why);
        return NULL;
    }
    /* a CUDA build that trains on the CPU says why, so an old driver is not missed */
    if (note) snprintf(note, notelen, "no usable GPU, so this runs on the CPU: %s", why);
    return cpu_select(threads, desc, desclen, ", no GPU found", err, errlen);
#else
    (void)gpu, (void)note, (void)notelen;
    if (strcmp(want, "gpu") == 0) {
        snprintf(err, errlen, "--device gpu: this build has no CUDA (built with CUDA=0 or "
                              "without nvcc): rebuild with nvcc on the PATH, or use --device cpu");
        return NULL;
    }
    return cpu_select(threads, desc, desclen, ", built without CUDA", err, errlen);
#endif
}
