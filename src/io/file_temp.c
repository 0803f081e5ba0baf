/* The temporaries' names, and their leftovers' removal: see file_temp.h. */
#define _DEFAULT_SOURCE /* flock */
#include "file_temp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io_err.h"
#include "paths.h"

/* How much of the target's name a temporary's name keeps. */
#define TEMP_NAME_KEPT 200

int temp_name(const char *path, long pid, unsigned long r, char *out, size_t len)
{
    char dir[PATH_BUF_MAX];
    path_folder(path, dir, sizeof dir);
    int n = snprintf(out, len, "%s/.%.*s.%ld.%06lx.tmp", dir, TEMP_NAME_KEPT, base_name(path),
                     pid, r & 0xffffff);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* The pid in entry when it is a temporary of the target whose names start
 * with prefix (".<name>."): "<pid>.<6 hex>.tmp", maybe ".probe", follows.
 * 0 when it is not one. */
static long temp_pid(const char *entry, const char *prefix, size_t prefix_len)
{
    if (strncmp(entry, prefix, prefix_len)) return 0;
    const char *p = entry + prefix_len, *digits = p;
    while (*p >= '0' && *p <= '9') p++;
    if (p == digits || p - digits > 10 || *p != '.') return 0;
    long pid = strtol(digits, NULL, 10);
    p++;
    for (int i = 0; i < 6; i++, p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return 0;
    if (strcmp(p, ".tmp") && strcmp(p, ".tmp.probe")) return 0;
    return pid > 0 && pid <= INT_MAX ? pid : 0;
}

/* Whether a process of that pid runs (another user's included). */
static int pid_alive(long pid)
{
    return kill((pid_t)pid, 0) == 0 || errno != ESRCH;
}

/* Removes the file at path when nobody holds its lock and it is still the
 * file that was locked. */
static void remove_if_unlocked(const char *path)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat held, now;
    if (fstat(fd, &held) == 0 && S_ISREG(held.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0 &&
        lstat(path, &now) == 0 && now.st_dev == held.st_dev && now.st_ino == held.st_ino)
        unlink(path);
    close(fd);
}

void temp_remove_leftovers(const char *path)
{
    char dir[PATH_BUF_MAX], prefix[TEMP_NAME_KEPT + 3], file[2 * PATH_BUF_MAX];
    path_folder(path, dir, sizeof dir);
    int prefix_len = snprintf(prefix, sizeof prefix, ".%.*s.", TEMP_NAME_KEPT, base_name(path));
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        long pid = temp_pid(e->d_name, prefix, (size_t)prefix_len);
        if (!pid || pid_alive(pid)) continue;
        if ((size_t)snprintf(file, sizeof file, "%s/%s", dir, e->d_name) < sizeof file)
            remove_if_unlocked(file);
    }
    closedir(d);
}
