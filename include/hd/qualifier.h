/* The qualifier of the per-element functions that both backends run: plain
 * C (static inline) for the host code and the CPU tests, and
 * __host__ __device__ under nvcc, so the GPU kernels call the very code the
 * CPU tests check. */
#ifndef CNN_HD_H
#define CNN_HD_H

#ifdef __CUDACC__
#define CNN_HD static __host__ __device__ __forceinline__
#else
#define CNN_HD static inline
#endif

#endif
