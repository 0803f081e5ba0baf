/* How many threads the CPU backend runs, and opening it.
 *
 * With --threads 0 (the default) the thread count follows the machine's
 * load: the CPUs this process may use (OpenMP's own default, or
 * OMP_NUM_THREADS, capped to those CPUs), less the other processes that
 * want them now, at least one. libgomp's threads spin up to about 3 ms at
 * every op waiting for each other, so with more runnable threads than cores
 * a descheduled one stalls the rest: with four busy processes on two cores,
 * two threads trained about 10x slower than one (bench/RESULTS.md, make
 * bench-load), and OMP_NUM_THREADS=1024 on two cores made a 0.45 s run take
 * 3.9 s. Looked at again every LOAD_CHECK_S, at the start of a batch. The
 * results do not depend on the thread count (GRAD_BLOCKS, cpu_gemm). */
#include "cpu_backend.h"
#include "cpu_threads.h"
#include "clock.h"
#include "device.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#define LOAD_CHECK_S 0.25

static int follow_load = 1;  /* until --threads N */
static int thread_ceiling;   /* the default's most, read before the first change */
static int blas_room;        /* the most threads OpenBLAS's buffers allow; 0: no bound */
static double next_load_check;

static int at_most(int threads, int most) { return most > 0 && threads > most ? most : threads; }

/* OpenMP's count (OMP_NUM_THREADS's first level, or the CPUs), no more
 * than the CPUs this process may run on and OMP_THREAD_LIMIT. */
static int default_ceiling(void)
{
    if (!thread_ceiling)
        thread_ceiling = at_most(at_most(omp_get_max_threads(), omp_get_num_procs()),
                                 omp_get_thread_limit());
    return thread_ceiling;
}

/* Tasks runnable on the whole machine now, this thread among them: the
 * fourth field of /proc/loadavg ("R/T"); -1 where it cannot be read. */
static int runnable_tasks(void)
{
    FILE *f = fopen("/proc/loadavg", "r");
    int running = -1;
    if (f) {
        if (fscanf(f, "%*f %*f %*f %d", &running) != 1) running = -1;
        fclose(f);
    }
    return running;
}

void cpu_threads_follow_load(void)
{
    double now = monotonic_seconds();
    if (!follow_load || now < next_load_check) return;
    next_load_check = now + LOAD_CHECK_S;
    int running = runnable_tasks();
    if (running < 0) return;
    /* ours: this thread, and the team's others, which spin between ops */
    int others = running - omp_get_max_threads();
    int threads = default_ceiling() - (others > 0 ? others : 0);
    omp_set_num_threads(at_most(threads > 1 ? threads : 1, blas_room));
}

void cpu_ops_set_threads(int threads)
{
    follow_load = threads <= 0;
    if (threads > 0) omp_set_num_threads(at_most(threads, blas_room));
    else {
        omp_set_num_threads(at_most(default_ceiling(), blas_room));
        next_load_check = 0;
        cpu_threads_follow_load();
    }
}

/* ", OMP_NUM_THREADS=64 capped to the 2 CPUs available" when the
 * environment asked for more threads than there are CPUs; "" otherwise. */
static void env_cap_note(char *note, size_t len)
{
    const char *asked = getenv("OMP_NUM_THREADS");
    note[0] = '\0';
    if (asked && omp_get_max_threads() > omp_get_num_procs())
        snprintf(note, len, ", OMP_NUM_THREADS=%.40s capped to the %d CPUs available", asked,
                 omp_get_num_procs());
}

const cnn_ops *cpu_backend_open(int threads, char *desc, size_t desclen, char *err,
                                size_t errlen)
{
    cpu_blas_single_threaded();
    blas_room = 0;
    int room = cpu_blas_prepare(threads > 0 ? threads : default_ceiling(), err, errlen);
    if (!room) return NULL;
    char note[96] = "";
    if (threads <= 0) env_cap_note(note, sizeof note); /* before the count is set */
    blas_room = room;
    cpu_ops_set_threads(threads);
    int asked = follow_load ? default_ceiling() : threads, most = at_most(asked, blas_room);
    snprintf(desc, desclen, "cpu (%d threads%s%s%s, OpenBLAS)", most,
             follow_load ? ", fewer under load" : "", note,
             most < asked ? ", as many as the memory limit leaves room for" : "");
    return &cpu_ops;
}
