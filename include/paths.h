/* Small path helpers the commands and the checkpoint writer share. */
#ifndef CNN_PATHS_H
#define CNN_PATHS_H

#include <stddef.h>

/* The folder part of path into dir: "." for a bare name, "/" for a file at
 * the root. */
void path_folder(const char *path, char *dir, size_t len);

#endif
