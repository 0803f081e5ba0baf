/* The run's locks: see include/file_lock.h. */
#define _DEFAULT_SOURCE /* flock: a lock that closing another descriptor keeps */
#include "file_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"

/* One lock taken: its file (by name and inode: a later file at that name
 * is someone else's) and descriptor. `held` is set last, after the rest is
 * whole, and read by the signal handler. */
typedef struct {
    char path[PATH_BUF_MAX];
    struct stat id;
    int fd;
    volatile sig_atomic_t held;
} held_lock;

/* A run takes two (--save, --save-best); room for a few more. */
#define MAX_HELD_LOCKS 8
static held_lock held_locks[MAX_HELD_LOCKS];

/* Removes the lock file only while it is still the one this run made. */
static void remove_lock_file(const held_lock *h)
{
    struct stat now;
    if (lstat(h->path, &now) == 0 && now.st_dev == h->id.st_dev && now.st_ino == h->id.st_ino)
        unlink(h->path);
}

void file_locks_remove_on_signal(void)
{
    for (int i = 0; i < MAX_HELD_LOCKS; i++)
        if (held_locks[i].held) remove_lock_file(&held_locks[i]);
}

static void release(held_lock *h)
{
    remove_lock_file(h);
    h->held = 0;
    close(h->fd);
}

/* At exit, whatever way the process ends through exit(): the locks not
 * released yet. */
static void release_all(void)
{
    for (int i = 0; i < MAX_HELD_LOCKS; i++)
        if (held_locks[i].held) release(&held_locks[i]);
}

/* The pid a lock file names, or 0. */
static long lock_owner(int fd)
{
    char text[64] = {0};
    ssize_t got = pread(fd, text, sizeof text - 1, 0);
    size_t mark = sizeof FILE_LOCK_MARK - 1;
    if (got < (ssize_t)mark || memcmp(text, FILE_LOCK_MARK, mark)) return 0;
    return strtol(text + mark, NULL, 10);
}

/* Refuses with err when another process holds fd's lock; 0 once this one
 * does. */
static int take(int fd, const char *flag, const char *path, char *err, size_t errlen)
{
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) return 0;
    char pid[32] = "";
    long owner = lock_owner(fd);
    if (owner > 0) snprintf(pid, sizeof pid, " (pid %ld)", owner);
    snprintf(err, errlen, "%s %s: another cnn run%s is using it; wait for it to end, or choose "
                          "another path", flag, path, pid);
    return -1;
}

/* Opens and locks the lock file into h; -1 with err set, or -2 when the file
 * was replaced meanwhile (try again). */
static int lock_once(held_lock *h, const char *flag, const char *path, char *err, size_t errlen)
{
    int fd = open(h->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0666);
    struct stat now;
    if (fd < 0 || fstat(fd, &h->id) != 0 || !S_ISREG(h->id.st_mode)) {
        snprintf(err, errlen, "%s %s: cannot make its lock file %s: %s", flag, path, h->path,
                 fd < 0 ? strerror(errno) : "not a regular file");
        if (fd >= 0) close(fd);
        return -1;
    }
    if (take(fd, flag, path, err, errlen)) return close(fd), -1;
    /* the lock file may have been removed by its last owner meanwhile */
    if (stat(h->path, &now) != 0 || now.st_dev != h->id.st_dev || now.st_ino != h->id.st_ino)
        return close(fd), -2;
    /* held now, so what it says is stable: a lock of a run that ended, or
     * something else that must not be taken over */
    if (now.st_size > 0 && !lock_owner(fd)) {
        snprintf(err, errlen, "%s %s: %s exists and is not a cnn lock file (move it away)", flag,
                 path, h->path);
        return close(fd), -1;
    }
    char text[64];
    int len = snprintf(text, sizeof text, "%s%ld\n", FILE_LOCK_MARK, (long)getpid());
    /* written before the cut, so that a reader never sees it empty */
    if (pwrite(fd, text, (size_t)len, 0) != len || ftruncate(fd, len) != 0) {
        snprintf(err, errlen, "%s %s: cannot write its lock file %s: %s", flag, path, h->path,
                 strerror(errno));
        return close(fd), -1;
    }
    return fd;
}

static held_lock *free_slot(void)
{
    static int at_exit_set;
    if (!at_exit_set) at_exit_set = atexit(release_all) == 0;
    for (int i = 0; i < MAX_HELD_LOCKS; i++)
        if (!held_locks[i].held) return &held_locks[i];
    return NULL;
}

int file_lock(const char *path, const char *flag, char *err, size_t errlen)
{
    held_lock *h = free_slot();
    if (!h) {
        snprintf(err, errlen, "%s %s: this run holds too many locks", flag, path);
        return -1;
    }
    if ((size_t)snprintf(h->path, sizeof h->path, "%s.lock", path) >= sizeof h->path) {
        snprintf(err, errlen, "%s %.200s...: path too long", flag, path);
        return -1;
    }
    for (int attempt = 0; attempt < 10; attempt++) {
        int fd = lock_once(h, flag, path, err, errlen);
        if (fd == -1) return -1;
        if (fd >= 0) {
            h->fd = fd;
            atomic_thread_fence(memory_order_seq_cst); /* the slot is whole before the flag */
            h->held = 1;
            return fd;
        }
    }
    snprintf(err, errlen, "%s %s: its lock file %s keeps changing", flag, path, h->path);
    return -1;
}

void file_unlock(int fd)
{
    for (int i = 0; fd >= 0 && i < MAX_HELD_LOCKS; i++)
        if (held_locks[i].held && held_locks[i].fd == fd) {
            release(&held_locks[i]);
            return;
        }
}
