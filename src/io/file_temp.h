/* Private to src/io: the temporaries file_write.c writes a target through,
 * by name, and the removal of the ones a killed cnn left behind.
 *
 * A temporary of target "<folder>/<name>" is "<folder>/.<name>.<pid>.<r>.tmp"
 * (<name> cut to its first 200 bytes, <pid> the writer's process id in
 * decimal, <r> 6 random hex digits), and "<that>.probe" while the output
 * check renames it. Its writer holds an flock on it from its creation until
 * it is renamed or removed, so a leftover is told from a live writer's file
 * by two facts: its lock is free and its pid names no live process. */
#ifndef CNN_FILE_TEMP_H
#define CNN_FILE_TEMP_H

#include <stddef.h>

/* The temporary's name for path, writer pid and random part r (24 bits)
 * into out; -1 when it does not fit in len bytes. */
int temp_name(const char *path, long pid, unsigned long r, char *out, size_t len);

/* Removes every leftover temporary of path's target in its folder: a file
 * of the pattern above whose lock is free and whose pid is not alive (a
 * live writer's, or another user's, is left alone). Best effort, silent. */
void temp_remove_leftovers(const char *path);

#endif
