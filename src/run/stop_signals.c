/* The stop signals; see include/stop_signals.h. */
#include "stop_signals.h"

#include <pthread.h>
#include <string.h>

#include "file_lock.h"
#include "file_write.h"

static const int STOP_SIGNALS[N_STOP_SIGNALS] = {SIGINT, SIGTERM, SIGHUP};
volatile sig_atomic_t stop_requests;
static volatile sig_atomic_t first_stop_signal;

static pthread_t main_thread; /* the thread that writes files */

/* A signal may land on any thread, an OpenMP worker too. It is handled on
 * the main thread only: there the handler runs between two of its steps, so
 * a second signal finds a file write either not begun or with its temporary
 * named, and the process ends before the main thread goes on. */
static void on_stop_signal(int sig)
{
    if (!pthread_equal(pthread_self(), main_thread)) {
        pthread_kill(main_thread, sig);
        return;
    }
    if (stop_requests++ == 0) {
        first_stop_signal = sig;
        return;
    }
    file_out_remove_on_signal();
    file_locks_remove_on_signal(); /* every lock the run holds, not just the last */
    signal(sig, SIG_DFL);
    raise(sig); /* delivered when the handler returns: the process ends as killed by it */
}

int stop_signal_received(void)
{
    return first_stop_signal;
}

void catch_stop_signals(struct sigaction old[N_STOP_SIGNALS])
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    stop_requests = first_stop_signal = 0;
    main_thread = pthread_self();
    for (int i = 0; i < N_STOP_SIGNALS; i++) sigaction(STOP_SIGNALS[i], &sa, &old[i]);
}

void restore_stop_signals(const struct sigaction old[N_STOP_SIGNALS])
{
    for (int i = 0; i < N_STOP_SIGNALS; i++) sigaction(STOP_SIGNALS[i], &old[i], NULL);
}

const char *signal_name(int sig)
{
    return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" : "a signal";
}

