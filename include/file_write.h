/* One way to write a file, used by every command: a temporary with a unique
 * name is created exclusively in the target's folder (O_EXCL: a link waiting
 * there is never followed), written, flushed, synced and renamed over the
 * target, and the folder is synced. A target that exists and is not a regular
 * file (a folder, a device, a FIFO, a symbolic link) is refused before
 * anything is written. Nothing ever writes in place, whatever the path's
 * length: a failure leaves the previous file as it was and no temporary.
 * A temporary that a killed cnn left (SIGKILL during a save) is removed by
 * the next write of the same target (src/io/file_temp.h says how one is
 * told from a live writer's).
 *
 * The CSV log is the one file appended to (it grows while training runs, for
 * tail -f): file_append_open gives it the same refusals and no link
 * following, and its writes are checked by the caller. */
#ifndef CNN_FILE_WRITE_H
#define CNN_FILE_WRITE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "paths.h"

typedef struct {
    const char *path;  /* the target */
    char tmp[PATH_BUF_MAX];    /* the temporary in its folder */
    FILE *f;           /* open on tmp between begin and commit or abort */
    int lock_fd;       /* tmp's second descriptor: holds its lock until the rename */
} file_out;

/* Creates the temporary for path and opens it as o->f. Returns 0, or -1 with
 * err set (one line naming path). */
int file_out_begin(file_out *o, const char *path, char *err, size_t errlen);

/* Flushes, syncs and closes the temporary, then renames it over the target;
 * with no_replace the target must not exist (EEXIST when it does, and the
 * temporary is removed). Returns 0, or -1 with err set and errno kept; the
 * temporary is gone either way. */
int file_out_commit(file_out *o, int no_replace, char *err, size_t errlen);

/* Closes and removes the temporary (after a failed write). */
void file_out_abort(file_out *o);

/* Fails with a message unless path can be written: the target, if it exists,
 * is a regular file, and a temporary can be created and removed in its
 * folder. For checking outputs before the work, not after it. The message
 * says what errno said: a folder missing, not reachable or not writable. */
int file_check_output(const char *path, char *err, size_t errlen);

/* Opens path for appending (created 0666 & ~umask when missing), refusing
 * what is not a regular file and never following a link. Sets *was_empty. */
FILE *file_append_open(const char *path, int *was_empty, char *err, size_t errlen);

/* Whether path is a regular file with something in it that does not start
 * with the len bytes of mark: what a writer that replaces or appends to its
 * own kind of file (a checkpoint, a CSV log) must not touch. */
int file_holds_other(const char *path, const char *mark, size_t len);

/* Whether two paths name the same file: the same device and inode when both
 * exist, else the same folder (device and inode) and the same last name. */
int file_same(const char *a, const char *b);

/* From a signal handler: removes the temporary being written, if any
 * (async-signal-safe). The run's locks: file_lock.h. */
void file_out_remove_on_signal(void);

#endif
