/* What the GPU backend's files share: the stream every op runs on, the
 * checks around every CUDA and cuBLAS call and every launch, and the ops'
 * prototypes (from ops.h's rows). */
#ifndef CNN_GPU_H
#define CNN_GPU_H

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "ops.h"

/* All work goes to one stream, so it runs in order and can be captured. */
extern cudaStream_t gpu_stream;

void gpu_fail(const char *what, const char *detail, const char *file, int line);

#define CUDA_CHECK(call)                                                              \
    do {                                                                              \
        cudaError_t err_ = (call);                                                    \
        if (err_ != cudaSuccess) gpu_fail(#call, cudaGetErrorString(err_), __FILE__, __LINE__); \
    } while (0)

#define CUBLAS_CHECK(call)                                                            \
    do {                                                                              \
        cublasStatus_t st_ = (call);                                                  \
        if (st_ != CUBLAS_STATUS_SUCCESS)                                             \
            gpu_fail(#call, cublasGetStatusString(st_), __FILE__, __LINE__);          \
    } while (0)

/* After every launch: a bad configuration shows here, not later. With
 * CNN_SYNC_LAUNCHES=1 in the environment (and --graph false) it also waits
 * for the kernel, so a fault inside one is reported at its own launch. */
void gpu_after_launch(const char *kernel, const char *file, int line);
#define LAUNCH_CHECK(kernel) gpu_after_launch(#kernel, __FILE__, __LINE__)

/* Device scratch of at least `bytes` for the kernels' two-pass reductions;
 * grows only outside graph capture (the first, eager step sizes it). */
float *gpu_scratch(size_t bytes);

/* Blocks for a grid-stride loop over n elements. */
static inline int gpu_blocks(long n, int threads)
{
    long b = (n + threads - 1) / threads;
    return (int)(b < 1 ? 1 : b > 65535 ? 65535 : b);
}

/* The GPU backend's op gpu_<op> for every row of ops.h's CNN_COMPUTE_OPS
 * (same contract), declared from the rows: gemm in gpu_backend.cu (it
 * calls cuBLAS), a kernel launcher each in gpu_kernels.cu, gpu_layers.cu
 * and gpu_augment.cu. The optional conv_fwd and conv_bwd stay NULL: the
 * net composes them from im2col, gemm and bias. */
#define GPU_OP_PROTOTYPE(op, ...) void gpu_##op(CNN_PARAMS(__VA_ARGS__));
CNN_COMPUTE_OPS(GPU_OP_PROTOTYPE)
#undef GPU_OP_PROTOTYPE

#endif
