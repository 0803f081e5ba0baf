/* Shared by the fuzz harnesses (fuzz/fuzz_*.c) and by tests/test_fuzz_regress.c,
 * which includes the harnesses with FUZZ_NO_ENTRY defined to replay the seed
 * corpus and the regression inputs through the very same checks.
 *
 * The readers under test take a path, so the input is written to an anonymous
 * file: created with mkstemp in /dev/shm (or $TMPDIR, /tmp), unlinked at once,
 * and opened again through /proc/self/fd/N. Nothing is left on disk even when
 * the fuzzer is killed, and parallel runs never share a file. Plain POSIX: it
 * builds with -std=c11 -D_POSIX_C_SOURCE=200809L. */
#ifndef CNN_FUZZ_COMMON_H
#define CNN_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FZ_SLOTS 4

/* Writes data to anonymous file number slot (0..FZ_SLOTS-1) and puts a path that
 * opens it into path. Returns 0, or -1 when no temporary file can be made. */
__attribute__((unused)) static int fz_write_slot(int slot, const void *data, size_t size, char *path, size_t pathlen)
{
    static int fds[FZ_SLOTS] = {-1, -1, -1, -1};
    if (slot < 0 || slot >= FZ_SLOTS)
        return -1;
    if (fds[slot] < 0) {
        const char *dirs[3] = {"/dev/shm", getenv("TMPDIR"), "/tmp"};
        for (int i = 0; i < 3 && fds[slot] < 0; i++) {
            char tmpl[4096];
            if (!dirs[i] || !*dirs[i] ||
                (size_t)snprintf(tmpl, sizeof tmpl, "%s/cnn-fuzz-XXXXXX", dirs[i]) >= sizeof tmpl)
                continue;
            int fd = mkstemp(tmpl);
            if (fd >= 0) {
                unlink(tmpl);
                fds[slot] = fd;
            }
        }
        if (fds[slot] < 0)
            return -1;
    }
    int fd = fds[slot];
    if (ftruncate(fd, 0) != 0)
        return -1;
    const unsigned char *p = data;
    size_t done = 0;
    while (done < size) {
        ssize_t w = pwrite(fd, p + done, size - done, (off_t)done);
        if (w <= 0)
            return -1;
        done += (size_t)w;
    }
    snprintf(path, pathlen, "/proc/self/fd/%d", fd);
    return 0;
}

/* An error message must be there, end within its buffer, and be one line. */
static const char *fz_check_err(const char *err, size_t errlen, int one_line)
{
    if (!err[0])
        return "refused without a message";
    if (!memchr(err, 0, errlen))
        return "the message is not terminated";
    if (one_line && strchr(err, '\n'))
        return "the message is more than one line";
    return NULL;
}

/* In the fuzzer a broken invariant is a crash (so the input is saved); the test
 * reports the string instead. */
#ifndef FUZZ_NO_ENTRY
static int fz_fail(const char *problem)
{
    if (problem) {
        fprintf(stderr, "fuzz: invariant broken: %s\n", problem);
        abort();
    }
    return 0;
}
#endif

#endif
