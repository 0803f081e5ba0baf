/* The lock a run holds on each file it owns (--save, --save-best): an
 * exclusive flock on "<path>.lock", a file saying "cnn lock: pid N". Every
 * lock the process takes is on one list: file_unlock removes its file, and
 * whatever is still held is removed at exit (atexit) and by a second stop
 * signal (file_locks_remove_on_signal), so no lock file outlives the run. */
#ifndef CNN_FILE_LOCK_H
#define CNN_FILE_LOCK_H

#include <stddef.h>

/* What a lock file starts with (then the owner's pid and a newline). */
#define FILE_LOCK_MARK "cnn lock: pid "

/* Locks "<path>.lock" for this run (flag names path's role in messages). A
 * file there that is not such a lock is refused, not replaced. Returns the
 * lock's descriptor, or -1 with err naming the process holding it. A lock
 * file is a target file_out_begin refuses. */
int file_lock(const char *path, const char *flag, char *err, size_t errlen);

/* Removes the lock file of fd (if it is still the one this run made) and
 * releases the lock; fd < 0 does nothing. */
void file_unlock(int fd);

/* From a signal handler: removes every lock file still held
 * (async-signal-safe). */
void file_locks_remove_on_signal(void);

#endif
