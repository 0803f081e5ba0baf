/* Private to src/io: the one-line messages the file readers write into a
 * caller's err buffer. */
#ifndef CNN_IO_ERR_H
#define CNN_IO_ERR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* fmt, formatted, into err (cut to errlen; nothing when err is NULL or
 * errlen is 0). */
static inline void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* The last component of path (messages about a file's contents name the
 * file, not the folder it was found in). */
static inline const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

#endif
