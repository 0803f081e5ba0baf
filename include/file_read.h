/* Opening files safely: one way to open a file the program reads.
 *
 * file_open_input never blocks and never reads: a FIFO, a terminal, a device
 * or a folder given where a file belongs is refused at once instead of
 * hanging or being read forever. The write side (a safe replace of a file)
 * belongs here too, later. */
#ifndef CNN_FILEIO_H
#define CNN_FILEIO_H

#include <stddef.h>

/* Opens path for reading: open(2) with O_RDONLY|O_NONBLOCK|O_NOCTTY|O_CLOEXEC
 * (so a FIFO without a writer cannot block the open), fstat, refusal unless it
 * is a regular file, then O_NONBLOCK cleared so reads behave normally. what
 * names the file's role in the message ("checkpoint", "image"). Returns the
 * descriptor (the caller closes it; fstat gives the size), or -1 with one
 * line in err: "<path>: cannot open <what>: <reason>" or "<path>: not a
 * regular file (a FIFO)" and the like. */
int file_open_input(const char *path, const char *what, char *err, size_t errlen);

/* Reads exactly len bytes at the descriptor's position, retrying short reads
 * and EINTR. Returns 0, or -1 (errno set; 0 when the file ended early). */
int file_read_exact(int fd, void *buf, size_t len);

#endif
