/* The process's start, before any library runs. A function in the
 * executable's .preinit_array is called by the dynamic linker before the
 * shared libraries' constructors: libgomp reads OMP_NUM_THREADS in its
 * constructor (and prints two lines of its own about a value it cannot
 * read), and OpenBLAS starts its thread pool in its. So what must hold
 * before them is done here, on the raw argv and envp (libc's environ is not
 * set yet; it will be this very envp array, so edits in place carry over):
 *
 * - descriptors 0, 1 and 2 are open: a closed one is opened on /dev/null.
 *   Otherwise the first file opened (the CSV log, FILE.lock) would get
 *   number 1 or 2 and receive the banner, the epoch lines or the errors;
 * - OMP_NUM_THREADS and OMP_THREAD_LIMIT hold thread counts from 1 to
 *   STARTUP_THREADS_MAX (100000 made libgomp crash, 10000 made a 0.35 s run
 *   take minutes): a value that is not one is removed before libgomp reads
 *   it, and main refuses it (startup_problem); one above the CPUs is capped
 *   by the CPU backend (src/cpu/cpu_threads.c);
 * - OpenBLAS runs on one thread (cnn splits the products across OpenMP's
 *   threads itself: cpu_gemm), so OPENBLAS_NUM_THREADS is 1 for it. Under
 *   an address-space limit that matters: a pool thread of OpenBLAS maps a
 *   128 MiB buffer as it starts and loops for ever when it cannot, so that
 *   even --version never exited. The variable is set in place when present;
 *   when it is not, and an address-space or data limit is set, the program
 *   runs itself again with it (the environment cannot grow in place);
 * - under such a limit, the room the loaded libraries leave is checked:
 *   with less than LIBRARIES_ROOM the CUDA build's libcublasLt crashed in
 *   its own constructor (SIGSEGV at a 710-712 MB address-space limit, or a
 *   187-189 MB data limit), so that case ends here with one line. */
#include "startup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* What the libraries' constructors may still map (libcublasLt's needed 3 to
 * 7 MiB), and what cnn needs before it can say anything itself. */
#define LIBRARIES_ROOM (16L << 20)

static char problem[256];

const char *startup_problem(void) { return problem[0] ? problem : NULL; }

static void open_standard_fds(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF) continue;
        /* the lower ones are open, so open() gives fd itself */
        if (open("/dev/null", O_RDWR) == fd) continue;
        static const char msg[] = "cnn: a standard descriptor is closed and /dev/null cannot "
                                  "be opened in its place\n";
        if (fd != 2 && write(2, msg, sizeof msg - 1)) {} /* nothing more can be done */
        _exit(1);
    }
}

/* Whether text is a whole number from 1 to STARTUP_THREADS_MAX, or with
 * list a comma-separated list of them (OpenMP's counts per nesting level),
 * spaces around each allowed. */
static int thread_counts_ok(const char *text, int list)
{
    const char *p = text;
    for (;;) {
        long n = 0;
        p += strspn(p, " \t");
        if (*p < '0' || *p > '9') return 0;
        for (; *p >= '0' && *p <= '9'; p++)
            if ((n = n * 10 + (*p - '0')) > STARTUP_THREADS_MAX) return 0;
        p += strspn(p, " \t");
        if (n < 1 || (*p && (*p != ',' || !list))) return 0;
        if (!*p++) return 1;
    }
}

/* The value of envp[i] when it is name's entry, else NULL. */
static const char *value_of(char *const *envp, int i, const char *name)
{
    size_t len = strlen(name);
    return !strncmp(envp[i], name, len) && envp[i][len] == '=' ? envp[i] + len + 1 : NULL;
}

static void drop_entry(char **envp, int i)
{
    for (; envp[i]; i++) envp[i] = envp[i + 1];
}

/* Removes a thread variable that holds no thread count, saying why once
 * (a blank one means unset, as it does to libgomp). */
static void check_thread_variable(char **envp, const char *name, int list)
{
    for (int i = 0; envp[i]; i++) {
        const char *v = value_of(envp, i, name);
        if (!v || thread_counts_ok(v, list)) continue;
        if (!problem[0] && v[strspn(v, " \t")])
            snprintf(problem, sizeof problem,
                     "%s=\"%.40s%s\": must be a thread count from 1 to %d%s; change it or "
                     "unset it", name, v, strlen(v) > 40 ? "..." : "", STARTUP_THREADS_MAX,
                     list ? " (or one per nesting level, as in 4,2)" : "");
        drop_entry(envp, i--);
    }
}

/* The soft limit on resource, in bytes; 0 when there is none. */
static long limit_of(int resource)
{
    struct rlimit lim;
    if (getrlimit(resource, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return 0;
    return lim.rlim_cur > (rlim_t)LONG_MAX ? LONG_MAX : (long)lim.rlim_cur;
}

/* The process's size and its data, in bytes (/proc/self/statm); 0 when
 * they cannot be read. */
static void mapped_now(long *size, long *data)
{
    long pages[6] = {0};
    *size = *data = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return;
    if (fscanf(f, "%ld %ld %ld %ld %ld %ld", &pages[0], &pages[1], &pages[2], &pages[3],
               &pages[4], &pages[5]) == 6) {
        *size = pages[0] * sysconf(_SC_PAGESIZE);
        *data = pages[5] * sysconf(_SC_PAGESIZE);
    }
    fclose(f);
}

/* One line and exit 1 when a memory limit leaves the libraries too little
 * room to start. */
static void refuse_without_room(void)
{
    long as = limit_of(RLIMIT_AS), data = limit_of(RLIMIT_DATA), size, data_now;
    if (!as && !data) return;
    mapped_now(&size, &data_now);
    const char *which = "address-space", *ulimit_flag = "-v";
    long limit = as, used = size;
    if (!(as && size && as - size < LIBRARIES_ROOM)) {
        if (!(data && data_now && data - data_now < LIBRARIES_ROOM)) return;
        which = "data";
        ulimit_flag = "-d";
        limit = data;
        used = data_now;
    }
    char line[200];
    int n = snprintf(line, sizeof line, "cnn: out of memory: the %s limit (%ld MiB) leaves "
                     "%ld MiB once the libraries are loaded: raise it (ulimit %s)\n",
                     which, limit >> 20, (limit - used) >> 20, ulimit_flag);
    if (write(2, line, (size_t)n)) {} /* nothing more can be done */
    _exit(1);
}

/* OPENBLAS_NUM_THREADS=1 for OpenBLAS's constructor (it takes precedence
 * over GOTO_NUM_THREADS and OMP_NUM_THREADS there). */
static void blas_on_one_thread(char **argv, char **envp)
{
    static char one[] = "OPENBLAS_NUM_THREADS=1";
    int n = 0;
    for (; envp[n]; n++)
        if (value_of(envp, n, "OPENBLAS_NUM_THREADS")) {
            envp[n] = one;
            return;
        }
    if (!limit_of(RLIMIT_AS) && !limit_of(RLIMIT_DATA)) return; /* its pool is harmless then */
    char **env = malloc(sizeof *env * (size_t)(n + 2));
    if (!env) return;
    memcpy(env, envp, sizeof *env * (size_t)n);
    env[n] = one;
    env[n + 1] = NULL;
    execve("/proc/self/exe", argv, env); /* returns only when it fails: go on as we are */
    free(env);
}

static void at_start(int argc, char **argv, char **envp)
{
    (void)argc;
    open_standard_fds();
    refuse_without_room();
    blas_on_one_thread(argv, envp); /* first: a second run checks the rest itself */
    check_thread_variable(envp, "OMP_NUM_THREADS", 1);
    check_thread_variable(envp, "OMP_THREAD_LIMIT", 0);
}

__attribute__((section(".preinit_array"), used)) static void (*const run_at_start)(int, char **,
                                                                                 char **) =
    at_start;
