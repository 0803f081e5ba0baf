/* Device choice. The only place host code learns whether CUDA was built in. */
#include "device.h"
#include "cpu_kernels.h"

#include <stdio.h>
#include <string.h>

static const cnn_ops *cpu_select(char *desc, size_t desclen, const char *note)
{
    int follows_load, threads = cpu_ops_max_threads(&follows_load);
    snprintf(desc, desclen, "cpu (%d threads%s, OpenBLAS)%s", threads,
             follows_load ? ", fewer under load" : "", note);
    return &cpu_ops;
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

const cnn_ops *device_select(const char *want, int gpu, char *desc, size_t desclen, char *err,
                             size_t errlen)
{
    if (strcmp(want, "cpu") == 0)
        return cpu_select(desc, desclen, "");
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
    if (strcmp(want, "gpu") == 0) {
        snprintf(err, errlen, "--device gpu: no CUDA GPU found (%s): use --device cpu",
                 why ? why : "no device");
        return NULL;
    }
    return cpu_select(desc, desclen, ", no GPU found");
#else
    (void)gpu;
    if (strcmp(want, "gpu") == 0) {
        snprintf(err, errlen, "--device gpu: this build has no CUDA (built with CUDA=0 or "
                              "without nvcc): rebuild with nvcc on the PATH, or use --device cpu");
        return NULL;
    }
    return cpu_select(desc, desclen, ", built without CUDA");
#endif
}
