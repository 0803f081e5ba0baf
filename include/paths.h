/* Small path helpers the commands and the checkpoint writer share. */
#ifndef CNN_PATHS_H
#define CNN_PATHS_H

#include <stddef.h>

/* Room for a path of PATH_MAX (4096) bytes with a short suffix of ours
 * (".lock", a temporary's ".XXXXXX.tmp", "-1000.ckpt"). */
#define PATH_BUF_MAX 4200

/* The folder part of path into dir: "." for a bare name, "/" for a file at
 * the root. */
void path_folder(const char *path, char *dir, size_t len);

#endif
