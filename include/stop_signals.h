/* The stop signals, SIGINT, SIGTERM and SIGHUP (Ctrl-C, kill, timeout, a
 * scheduler, a closed terminal): the first stops training after its current
 * step (train_run checks the count) so that a checkpoint is written; a
 * second one ends the process at once, removing a half-written temporary
 * and the lock file first. */
#ifndef CNN_STOP_SIGNALS_H
#define CNN_STOP_SIGNALS_H

#include <signal.h>

/* The first stop signal sets this (train_plan's stop); a second one
 * ends the process at once. */
extern volatile sig_atomic_t stop_requests;

/* The first stop signal caught (0: none yet), and a signal's name ("SIGTERM"). */
int stop_signal_received(void);
const char *signal_name(int sig);

#define N_STOP_SIGNALS 3
void catch_stop_signals(struct sigaction old[N_STOP_SIGNALS]);
void restore_stop_signals(const struct sigaction old[N_STOP_SIGNALS]);

#endif
