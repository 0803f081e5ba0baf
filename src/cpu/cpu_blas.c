/* OpenBLAS, set up for the CPU backend: one thread of its own inside each
 * OpenMP thread, and its buffers mapped before the first product wherever
 * an address-space or data limit could make mapping them fail.
 *
 * Each thread that calls a level-3 routine takes a buffer from OpenBLAS's
 * pool, and maps a new one (128 MiB and a page in Debian's 0.3.21) when all
 * are taken; when that map fails, OpenBLAS tries again for ever
 * (driver/others/memory.c), so under `ulimit -v` training hung in its first
 * product, deaf to SIGTERM. Here, while nothing else runs, the room for each
 * thread's buffer and stack is tried with mmap first; then only the buffers
 * that fit are taken from the pool at once (blas_memory_alloc, which
 * OpenBLAS exports) and given back, so that the pool keeps them mapped, and
 * the thread count is capped to them: no product ever maps one again. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include "cpu_threads.h"

#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>

/* Debian's libopenblas0-pthread 0.3.21: BUFFER_SIZE (128 MiB) and the page
 * it maps with it. A build with a larger buffer is only as safe as this. */
#define BLAS_BUFFER_BYTES ((128UL << 20) + 4096)
/* Threads whose buffers are prepared: OpenBLAS's pool holds 128 without
 * growing (its NUM_THREADS), far beyond what a memory limit leaves room for. */
#define BLAS_PREPARED_MAX 128
/* What else a new thread of the team maps besides its stack: libgomp's
 * records, its TLS (a malloc arena that cannot reserve its 64 MiB heap under
 * the limit falls back to the main one, which is no failure). */
#define THREAD_EXTRA_BYTES (1UL << 20)

/* OpenBLAS's pool (not in cblas.h); weak, so that another BLAS still links. */
extern void *blas_memory_alloc(int procpos) __attribute__((weak));
extern void blas_memory_free(void *buffer) __attribute__((weak));

void cpu_blas_single_threaded(void)
{
    static int done;
    if (!done) {
        openblas_set_num_threads(1);
        done = 1;
    }
}

static int limited(int resource, rlim_t *cur)
{
    struct rlimit lim;
    if (getrlimit(resource, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return 0;
    *cur = lim.rlim_cur;
    return 1;
}

/* A new thread's stack: glibc's default is RLIMIT_STACK's soft limit (8 MiB
 * unless changed); 32 MiB where that is unlimited, to be safe. */
static size_t thread_stack_bytes(void)
{
    rlim_t cur;
    return limited(RLIMIT_STACK, &cur) ? (size_t)cur : 32UL << 20;
}

/* How many threads' blocks can be mapped at once, up to most: the first
 * thread's buffer (it runs on the main thread's stack), then each other's
 * buffer, stack and records; each kept until all are tried, then unmapped. */
static int threads_that_fit(int most)
{
    size_t other = BLAS_BUFFER_BYTES + thread_stack_bytes() + THREAD_EXTRA_BYTES;
    void *maps[2 * BLAS_PREPARED_MAX];
    int n = 0;
    while (n < most) {
        size_t bytes = n ? other : BLAS_BUFFER_BYTES;
        void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) break;
        maps[n++] = p;
    }
    for (int i = 0; i < n; i++) munmap(maps[i], i ? other : BLAS_BUFFER_BYTES);
    return n;
}

/* Every thread of a team of `threads` takes a buffer at the same time (a
 * new mapping each: the others are held), then all give them back. */
static void fill_pool(int threads)
{
#pragma omp parallel num_threads(threads)
    {
        void *buffer = blas_memory_alloc(0);
#pragma omp barrier
        if (buffer) blas_memory_free(buffer);
    }
}

int cpu_blas_prepare(int threads, char *err, size_t errlen)
{
    rlim_t as = 0, data = 0;
    int has_as = limited(RLIMIT_AS, &as), has_data = limited(RLIMIT_DATA, &data);
    if ((!has_as && !has_data) || !blas_memory_alloc || !blas_memory_free) return threads;
    if (threads > BLAS_PREPARED_MAX) threads = BLAS_PREPARED_MAX;
    /* at most half the room beyond the first thread's, the rest for the
     * data and the net: a tight limit trains on fewer threads, not none */
    int fit = threads_that_fit(2 * threads);
    if (fit == 0) {
        const char *which = has_as ? "address-space" : "data", *ulimit_flag = has_as ? "-v" : "-d";
        snprintf(err, errlen, "out of memory: OpenBLAS needs %.0f MiB of address space for its "
                 "buffer, and the %s limit (%.0f MiB) leaves less: raise it (ulimit %s)",
                 BLAS_BUFFER_BYTES / 1048576.0, which, (has_as ? as : data) / 1048576.0,
                 ulimit_flag);
        return 0;
    }
    int room = 1 + (fit - 1) / 2 < threads ? 1 + (fit - 1) / 2 : threads;
    fill_pool(room);
    return room;
}
