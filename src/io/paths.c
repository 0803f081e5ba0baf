/* See include/paths.h. */
#include "paths.h"

#include <stdio.h>
#include <string.h>

void path_folder(const char *path, char *dir, size_t len)
{
    snprintf(dir, len, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash) snprintf(dir, len, ".");
    else if (slash == dir) dir[1] = 0;
    else *slash = 0;
}
