/* Writing files safely: see include/file_write.h. */
#define _DEFAULT_SOURCE /* flock: a lock that closing another descriptor keeps */
#include "file_write.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "file_lock.h"
#include "file_read.h"
#include "file_temp.h"
#include "paths.h"

/* What a signal handler removes: the temporary being written (set before
 * use, read only by the handler). */
static char active_tmp[PATH_BUF_MAX];
static volatile sig_atomic_t tmp_active;

/* the output probe's renamed temporary (file_check_output) */
static char active_probe[PATH_BUF_MAX + 100]; /* (a temporary's name and ".probe") */
static volatile sig_atomic_t probe_active;

void file_out_remove_on_signal(void)
{
    if (tmp_active) unlink(active_tmp);
    if (probe_active) unlink(active_probe);
}

/* Whether the regular file path starts with len bytes of mark (read the one
 * way inputs are read: a FIFO put there meanwhile is not waited on). */
static int starts_with(const char *path, const char *mark, size_t len)
{
    char head[64], err[16];
    int fd = file_open_input(path, "file", err, sizeof err);
    if (fd < 0) return 0;
    int same = len <= sizeof head && file_read_exact(fd, head, len) == 0 && !memcmp(head, mark, len);
    close(fd);
    return same;
}

int file_holds_other(const char *path, const char *mark, size_t len)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
           !starts_with(path, mark, len);
}

/* In a sticky folder (/tmp) only the owner of a file, or of the folder,
 * may replace it. */
static int sticky_and_not_ours(const char *path, const struct stat *st)
{
    char dir[4096];
    struct stat d;
    path_folder(path, dir, sizeof dir);
    uid_t me = geteuid();
    return me != 0 && stat(dir, &d) == 0 && (d.st_mode & S_ISVTX) && st->st_uid != me &&
           d.st_uid != me;
}

/* target_problem's answer for a folder that can be read but not searched:
 * no name in it can be reached (file_out_begin names the folder). */
static const char UNSEARCHABLE[] = "its folder cannot be searched";

/* NULL when path may be written, else why not; *exists and *st say what is
 * there now. */
static const char *target_problem(const char *path, int *exists, struct stat *st)
{
    *exists = 0;
    if (lstat(path, st) != 0)
        return errno == ENOENT ? NULL : errno == EACCES ? UNSEARCHABLE : strerror(errno);
    *exists = 1;
    if (S_ISLNK(st->st_mode)) return "is a symbolic link (give the file it points to)";
    if (S_ISDIR(st->st_mode)) return "is a folder";
    if (!S_ISREG(st->st_mode)) return "is not a regular file";
    if (access(path, W_OK) != 0) return "is not writable";
    if (sticky_and_not_ours(path, st))
        return "belongs to another user in a sticky folder, so it cannot be replaced";
    if (starts_with(path, FILE_LOCK_MARK, sizeof FILE_LOCK_MARK - 1))
        return "is a cnn run's lock file";
    return NULL;
}

/* Creates a uniquely named temporary for path (file_temp.h), exclusively
 * and without following links, and locks it: the lock says a live writer
 * has it. Returns its descriptor. */
static int create_temporary(const char *path, char *tmp, size_t len)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = (uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 32;
    for (int attempt = 0; attempt < 100; attempt++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        /* (a long name is cut: the pid, the random part and O_EXCL keep it unique) */
        if (temp_name(path, (long)getpid(), (unsigned long)(x >> 40), tmp, len)) {
            errno = ENAMETOOLONG;
            return -1;
        }
        /* named for the signal handler before it exists: a signal between the
         * open and the naming would leave it behind (a name taken already is
         * at worst an earlier run's leftover of this very pattern) */
        memcpy(active_tmp, tmp, len < sizeof active_tmp ? len : sizeof active_tmp);
        atomic_thread_fence(memory_order_seq_cst); /* the name is whole before the flag */
        tmp_active = 1;
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd >= 0) {
            flock(fd, LOCK_EX | LOCK_NB); /* (best effort: the pid in the name guards too) */
            return fd;
        }
        tmp_active = 0;
        if (errno != EEXIST) return -1;
    }
    return -1;
}

/* Why no file can be made in the folder dir, from errno e, into err. */
static void folder_write_problem(const char *path, const char *dir, int e, char *err,
                                 size_t errlen)
{
    if (e == ENOENT)
        snprintf(err, errlen, "%s: the folder %s does not exist", path, dir);
    else if (e == EACCES || e == EPERM)
        snprintf(err, errlen, "%s: the folder %s is not writable: %s", path, dir, strerror(e));
    else if (e == EROFS)
        snprintf(err, errlen, "%s: the folder %s is not writable: it is on a read-only file "
                              "system", path, dir);
    else
        snprintf(err, errlen, "%s: cannot create a file in %s: %s", path, dir, strerror(e));
}

/* Closes the temporary's second descriptor, which kept its lock. */
static void unlock_temporary(file_out *o)
{
    if (o->lock_fd >= 0) close(o->lock_fd);
    o->lock_fd = -1;
}

int file_out_begin(file_out *o, const char *path, char *err, size_t errlen)
{
    int exists;
    struct stat st;
    memset(o, 0, sizeof *o);
    o->path = path;
    o->lock_fd = -1;
    const char *bad = *path ? target_problem(path, &exists, &st) : "an empty path";
    if (bad == UNSEARCHABLE) { /* (a folder above it would fail stat: file_check_output) */
        char dir[PATH_BUF_MAX];
        path_folder(path, dir, sizeof dir);
        snprintf(err, errlen, "%s: the folder %s cannot be searched: %s", path, dir,
                 strerror(EACCES));
        return -1;
    }
    if (bad) {
        snprintf(err, errlen, "%s: %s", path, bad);
        return -1;
    }
    temp_remove_leftovers(path); /* what a killed writer of this target left */
    int fd = create_temporary(path, o->tmp, sizeof o->tmp);
    if (fd < 0) {
        char dir[PATH_BUF_MAX];
        path_folder(path, dir, sizeof dir);
        folder_write_problem(path, dir, errno, err, errlen);
        return -1;
    }
    if (exists) fchmod(fd, st.st_mode & 07777); /* a replaced file keeps its permissions */
    /* a second descriptor holds the lock until the rename, after o->f is closed */
    o->lock_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (!(o->f = fdopen(fd, "wb"))) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        file_out_abort(o);
        return -1;
    }
    return 0;
}

void file_out_abort(file_out *o)
{
    if (o->f) fclose(o->f);
    o->f = NULL;
    if (o->tmp[0]) unlink(o->tmp);
    tmp_active = 0;
    unlock_temporary(o);
}

/* Makes a rename durable (best effort: some file systems refuse). */
static void sync_folder(const char *path)
{
    char dir[PATH_BUF_MAX];
    path_folder(path, dir, sizeof dir);
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* The temporary to the target: rename, or with no_replace a hard link (which
 * fails on an existing target) and then the temporary's removal. */
static int move_into_place(const file_out *o, int no_replace)
{
    if (!no_replace) return rename(o->tmp, o->path);
    if (link(o->tmp, o->path) == 0) return unlink(o->tmp), 0;
    if (errno == EEXIST) return -1;
    struct stat st; /* a file system without hard links: check, then rename */
    if (lstat(o->path, &st) == 0) return errno = EEXIST, -1;
    return rename(o->tmp, o->path);
}

int file_out_commit(file_out *o, int no_replace, char *err, size_t errlen)
{
    int ok = fflush(o->f) == 0 && !ferror(o->f) && fsync(fileno(o->f)) == 0;
    int e = errno;
    if (fclose(o->f) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    o->f = NULL;
    if (ok && move_into_place(o, no_replace) != 0) {
        ok = 0;
        e = errno;
    }
    if (!ok) {
        unlink(o->tmp);
        tmp_active = 0;
        unlock_temporary(o);
        snprintf(err, errlen, "%s: cannot write: %s", o->path,
                 e ? strerror(e) : "write error");
        errno = e;
        return -1;
    }
    tmp_active = 0;
    unlock_temporary(o);
    sync_folder(o->path);
    return 0;
}

/* Whether the folder dir can hold path's file; else why not, from errno. */
static int folder_ok(const char *path, const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        int e = errno;
        if (e == ENOENT)
            snprintf(err, errlen, "%s: the folder %s does not exist", path, dir);
        else if (e == ENOTDIR)
            snprintf(err, errlen, "%s: the folder %s does not exist: %s", path, dir, strerror(e));
        else
            snprintf(err, errlen, "%s: the folder %s cannot be reached: %s", path, dir,
                     strerror(e));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) return 0;
    snprintf(err, errlen, "%s: %s is not a folder", path, dir);
    return -1;
}

int file_check_output(const char *path, char *err, size_t errlen)
{
    char dir[PATH_BUF_MAX], moved[PATH_BUF_MAX + 100];
    path_folder(path, dir, sizeof dir);
    if (folder_ok(path, dir, err, errlen)) return -1;
    file_out o;
    if (file_out_begin(&o, path, err, errlen)) return -1;
    fclose(o.f);
    o.f = NULL;
    /* what a save does: a rename in the folder, and the temporary's removal */
    snprintf(moved, sizeof moved, "%s.probe", o.tmp);
    memcpy(active_probe, moved, sizeof moved);
    atomic_thread_fence(memory_order_seq_cst);
    probe_active = 1; /* (both names are removed by a signal while it renames) */
    if (rename(o.tmp, moved) != 0) {
        snprintf(err, errlen, "%s: cannot rename files in %s: %s", path, dir, strerror(errno));
        probe_active = 0;
        file_out_abort(&o);
        return -1;
    }
    tmp_active = 0;
    int removed = unlink(moved) == 0;
    probe_active = 0;
    unlock_temporary(&o);
    if (!removed) {
        snprintf(err, errlen, "%s: cannot remove files in %s (%s is left there): %s", path, dir,
                 moved, strerror(errno));
        return -1;
    }
    return 0;
}

FILE *file_append_open(const char *path, int *was_empty, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
                  0666);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = errno;
        struct stat lst;
        const char *why = fd >= 0 ? "is not a regular file"
                          : lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)
                              ? "is a symbolic link (give the file it points to)"
                          : e == ENXIO ? "is not a regular file"
                                       : strerror(e);
        snprintf(err, errlen, "%s: %s", path, why);
        if (fd >= 0) close(fd);
        return NULL;
    }
    fcntl(fd, F_SETFL, O_WRONLY | O_APPEND); /* writes wait again, as for any file */
    FILE *f = fdopen(fd, "a");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    *was_empty = st.st_size == 0;
    return f;
}

/* The folder's device and inode, and where path's last name starts. */
static int folder_identity(const char *path, struct stat *st, const char **name)
{
    char dir[4096];
    path_folder(path, dir, sizeof dir);
    const char *slash = strrchr(path, '/');
    *name = slash ? slash + 1 : path;
    return stat(dir, st);
}

int file_same(const char *a, const char *b)
{
    struct stat sa, sb;
    int has_a = stat(a, &sa) == 0, has_b = stat(b, &sb) == 0;
    if (has_a && has_b) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if (has_a || has_b) return 0;
    const char *na, *nb;
    return folder_identity(a, &sa, &na) == 0 && folder_identity(b, &sb, &nb) == 0 &&
           sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino && !strcmp(na, nb);
}
