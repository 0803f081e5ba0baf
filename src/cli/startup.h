/* The process's start, made safe before any library runs (startup.c): the
 * standard descriptors open, the threads' environment checked, OpenBLAS
 * without a thread pool of its own. */
#ifndef CNN_STARTUP_H
#define CNN_STARTUP_H

/* The most threads any source may ask for: --threads' own bound. */
#define STARTUP_THREADS_MAX 1024

/* What was wrong with the environment at start (a thread count that is
 * not one), for main to say as a usage error; NULL when nothing was. */
const char *startup_problem(void);

#endif
