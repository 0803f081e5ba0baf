// What the kernel files share: the block size, the grid-stride loop, the
// checked launch, and the fixed-order block reduction.
#ifndef CNN_GPU_LAUNCH_CUH
#define CNN_GPU_LAUNCH_CUH

#include "gpu.h"

#define THREADS 256

#define GRID_STRIDE(i, n) \
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < (n); i += (long)gridDim.x * blockDim.x)

#define LAUNCH(kernel, n, ...)                                                         \
    do {                                                                               \
        if ((n) > 0) {                                                                 \
            kernel<<<gpu_blocks((n), THREADS), THREADS, 0, gpu_stream>>>(__VA_ARGS__); \
            LAUNCH_CHECK(kernel);                                                      \
        }                                                                              \
    } while (0)

// One block of THREADS threads per channel or plane, each a reduction.
#define LAUNCH_PER_BLOCK(kernel, blocks, ...)                                          \
    do {                                                                               \
        if ((blocks) > 0) {                                                            \
            kernel<<<(unsigned)(blocks), THREADS, 0, gpu_stream>>>(__VA_ARGS__);       \
            LAUNCH_CHECK(kernel);                                                      \
        }                                                                              \
    } while (0)

// A block's threads over [0, n), each from its own index on.
#define BLOCK_STRIDE(j, n) for (long j = threadIdx.x; j < (n); j += blockDim.x)

// The sum of every thread's v, in a fixed tree (the same bits on every run),
// returned to all THREADS threads of the block. The closing barrier lets a
// kernel call it again at once: no thread overwrites the shared array while
// another still reads the total.
__device__ __forceinline__ float block_sum(float v)
{
    __shared__ float part[THREADS];
    part[threadIdx.x] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s /= 2) {
        if (threadIdx.x < s) part[threadIdx.x] += part[threadIdx.x + s];
        __syncthreads();
    }
    float total = part[0];
    __syncthreads();
    return total;
}

#endif
