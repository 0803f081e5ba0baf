// The GPU backend: device choice, memory, cuBLAS (gemm), graph capture, and
// the ops table that the launchers of gpu_kernels.cu, gpu_layers.cu and
// gpu_augment.cu fill.
#include <stdio.h>
#include <stdlib.h>

#include "device.h"
#include "gpu.h"
#include "oom_hint.h"

cudaStream_t gpu_stream;
static cublasHandle_t blas;
static int device_index = -1;
static int sync_launches; /* CNN_SYNC_LAUNCHES=1: wait after every launch */
static float *scratch;
static size_t scratch_bytes;
static char count_error[320]; /* why cudaGetDeviceCount failed, "" if it did not */

void gpu_fail(const char *what, const char *detail, const char *file, int line)
{
    fprintf(stderr, "cnn: GPU error in %s (%s:%d): %s\n", what, file, line, detail);
    exit(1);
}

static int capturing(void)
{
    cudaStreamCaptureStatus status;
    CUDA_CHECK(cudaStreamIsCapturing(gpu_stream, &status));
    return status != cudaStreamCaptureStatusNone;
}

void gpu_after_launch(const char *kernel, const char *file, int line)
{
    cudaError_t err = cudaGetLastError();
    if (err == cudaSuccess && sync_launches && !capturing()) err = cudaStreamSynchronize(gpu_stream);
    if (err != cudaSuccess) gpu_fail(kernel, cudaGetErrorString(err), file, line);
}

static void *gpu_alloc(size_t bytes, const char *what)
{
    void *p = NULL;
    cudaError_t err = cudaMalloc(&p, bytes ? bytes : 1);
    if (err == cudaErrorMemoryAllocation) {
        size_t free_b = 0, total_b = 0;
        cudaGetLastError(); /* clear it */
        cudaMemGetInfo(&free_b, &total_b);
        /* the hint names the setting that sizes what is allocated (oom_hint.h) */
        const char *hint = oom_hint()[0] ? oom_hint() : "try a smaller --batch (train: or --eval-batch)";
        fprintf(stderr, "cnn: out of GPU memory: %s needs %.1f MiB, %.1f MiB of %.1f MiB are "
                        "free (%s)\n", what, bytes / 1048576.0, free_b / 1048576.0,
                total_b / 1048576.0, hint);
        exit(1);
    }
    CUDA_CHECK(err);
    return p;
}

static void gpu_free(void *p) { CUDA_CHECK(cudaFree(p)); }

/* Captured graphs not yet freed: they may hold the scratch's address. */
static int graphs_alive;

float *gpu_scratch(size_t bytes)
{
    if (bytes <= scratch_bytes) return scratch;
    if (capturing())
        gpu_fail("gpu_scratch", "the reduction scratch must grow during graph capture (run "
                 "one step eagerly first)", __FILE__, __LINE__);
    /* freeing it would leave a live graph reading freed memory on replay */
    if (graphs_alive > 0)
        gpu_fail("gpu_scratch", "the reduction scratch must grow while a captured graph that "
                 "may hold it is alive (free the graph first)", __FILE__, __LINE__);
    if (scratch) gpu_free(scratch);
    scratch = (float *)gpu_alloc(bytes, "reduction scratch");
    scratch_bytes = bytes;
    return scratch;
}

static void gpu_upload(void *dst, const void *src, size_t bytes)
{
    /* waits, so the caller may reuse or free src at once (uploads happen at
     * most once an epoch, never inside a step) */
    CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, gpu_stream));
    CUDA_CHECK(cudaStreamSynchronize(gpu_stream));
}

static void gpu_download(void *dst, const void *src, size_t bytes)
{
    CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, gpu_stream));
    CUDA_CHECK(cudaStreamSynchronize(gpu_stream));
}

static void gpu_zero(void *p, size_t bytes) { CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, gpu_stream)); }

static void gpu_sync(void) { CUDA_CHECK(cudaStreamSynchronize(gpu_stream)); }

// cuBLAS is column-major: the row-major C = op(A) op(B) is the column-major
// C^T = op(B)^T op(A)^T, so the operands swap places and keep their flags.
void gpu_gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, const float *b,
              float beta, float *c)
{
    if (m <= 0 || n <= 0) return;
    int ldb = tb ? k : n, lda = ta ? m : k;
    CUBLAS_CHECK(cublasSgemm(blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
                             n, m, k, &alpha, b, ldb > 1 ? ldb : 1, a, lda > 1 ? lda : 1, &beta,
                             c, n));
}

static double gpu_time_ms(void (*body)(void *ctx), void *ctx)
{
    cudaEvent_t a, b;
    float ms = 0.0f;
    CUDA_CHECK(cudaEventCreate(&a));
    CUDA_CHECK(cudaEventCreate(&b));
    CUDA_CHECK(cudaEventRecord(a, gpu_stream));
    body(ctx);
    CUDA_CHECK(cudaEventRecord(b, gpu_stream));
    CUDA_CHECK(cudaEventSynchronize(b));
    CUDA_CHECK(cudaEventElapsedTime(&ms, a, b));
    CUDA_CHECK(cudaEventDestroy(a));
    CUDA_CHECK(cudaEventDestroy(b));
    return ms;
}

static void gpu_capture_begin(void)
{
    CUDA_CHECK(cudaStreamBeginCapture(gpu_stream, cudaStreamCaptureModeThreadLocal));
}

static void *gpu_capture_end(void)
{
    cudaGraph_t graph;
    cudaGraphExec_t exec;
    CUDA_CHECK(cudaStreamEndCapture(gpu_stream, &graph));
    CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
    CUDA_CHECK(cudaGraphDestroy(graph));
    graphs_alive++;
    return (void *)exec;
}

static void gpu_replay(void *graph)
{
    CUDA_CHECK(cudaGraphLaunch((cudaGraphExec_t)graph, gpu_stream));
}

static void gpu_graph_free(void *graph)
{
    CUDA_CHECK(cudaGraphExecDestroy((cudaGraphExec_t)graph));
    graphs_alive--;
}

// The table: the memory and graph calls by hand, every op of ops.h's rows
// by name (C++17 has no designated initializers, hence assignments).
#define GPU_OP_ENTRY(op, ...) t.op = gpu_##op;
static cnn_ops make_table(void)
{
    cnn_ops t = {};
    t.name = "gpu";
    t.alloc = gpu_alloc;
    t.free = gpu_free;
    t.upload = gpu_upload;
    t.download = gpu_download;
    t.zero = gpu_zero;
    t.sync = gpu_sync;
    CNN_COMPUTE_OPS(GPU_OP_ENTRY)
    t.time_ms = gpu_time_ms;
    t.capture_begin = gpu_capture_begin;
    t.capture_end = gpu_capture_end;
    t.replay = gpu_replay;
    t.graph_free = gpu_graph_free;
    return t;
}

static const cnn_ops gpu_ops = make_table();

/* Why cudaGetDeviceCount failed with count_err, into count_error. A missing
 * driver, or one older than the runtime, reads as "CUDA driver version is
 * insufficient"; the two versions say which, and what to do. */
static void explain_no_device(cudaError_t count_err)
{
    int driver = 0, runtime = 0;
    cudaError_t err = cudaDriverGetVersion(&driver);
    if (err == cudaSuccess) err = cudaRuntimeGetVersion(&runtime);
    if (err != cudaSuccess) {
        cudaGetLastError();
        snprintf(count_error, sizeof count_error, "%s (and the driver's version is unknown: %s)",
                 cudaGetErrorString(count_err), cudaGetErrorString(err));
        return;
    }
    /* Only cudaErrorInsufficientDriver is the driver's age: with another error
     * (no device, say), an older minor version of the same major, which CUDA's
     * minor version compatibility accepts, is not the cause. */
    if ((driver == 0 || count_err == cudaErrorInsufficientDriver) &&
        device_driver_reason(driver, runtime, count_error, sizeof count_error))
        return;
    snprintf(count_error, sizeof count_error, "%s", cudaGetErrorString(count_err));
}

int gpu_device_count(void)
{
    int count = 0;
    cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
        cudaGetLastError(); /* no driver or no device: not an error here, but say why */
        explain_no_device(err);
        return 0;
    }
    return count;
}

const char *gpu_unavailable_reason(void) { return count_error[0] ? count_error : NULL; }

const char *gpu_toolkit_version(void)
{
    static char version[16];
    snprintf(version, sizeof version, "%d.%d", CUDART_VERSION / 1000, CUDART_VERSION % 1000 / 10);
    return version;
}

const cnn_ops *gpu_backend_open(int index, char *desc, size_t desclen, char *err, size_t errlen)
{
    if (device_index >= 0 && device_index != index) {
        snprintf(err, errlen, "--gpu %d: GPU %d is already in use by this process", index,
                 device_index);
        return NULL;
    }
    cudaDeviceProp prop;
    cudaError_t e = cudaSetDevice(index);
    if (e == cudaSuccess) e = cudaGetDeviceProperties(&prop, index);
    if (e != cudaSuccess) {
        snprintf(err, errlen, "--gpu %d: cannot use this GPU: %s", index, cudaGetErrorString(e));
        return NULL;
    }
    snprintf(desc, desclen, "gpu %d: %s (sm_%d%d, %d SMs, %.1f GiB)", index, prop.name,
             prop.major, prop.minor, prop.multiProcessorCount,
             prop.totalGlobalMem / 1073741824.0);
    if (device_index == index) return &gpu_ops;
    CUDA_CHECK(cudaStreamCreateWithFlags(&gpu_stream, cudaStreamNonBlocking));
    CUBLAS_CHECK(cublasCreate(&blas));
    CUBLAS_CHECK(cublasSetStream(blas, gpu_stream));
    // A workspace of our own, so cuBLAS allocates nothing while a step is captured.
    size_t workspace_bytes = 32u << 20;
    CUBLAS_CHECK(cublasSetWorkspace(blas, gpu_alloc(workspace_bytes, "cuBLAS workspace"),
                                    workspace_bytes));
    // Float32 products (cuBLAS's default math uses no TF32 for Sgemm), so the
    // GPU agrees with the CPU.
    CUBLAS_CHECK(cublasSetMathMode(blas, CUBLAS_DEFAULT_MATH));
    const char *sync = getenv("CNN_SYNC_LAUNCHES");
    sync_launches = sync && *sync && *sync != '0';
    device_index = index;
    return &gpu_ops;
}
