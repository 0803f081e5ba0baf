/* Class names; see include/class_names.h. */
#include "class_names.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_read.h"
#include "io_err.h"

/* A names file is at most this long: 256 names of 63 bytes and their line ends. */
#define NAMES_FILE_MAX (CLASS_MAX * (CLASS_NAME_MAX + 1))

int class_names_alloc(class_names *n, int count)
{
    memset(n, 0, sizeof *n);
    if (count < 1 || count > CLASS_MAX) return -1;
    n->count = count;
    return 0;
}

int class_names_set(class_names *n, int i, const char *text, size_t len, const char *where,
                    char *err, size_t errlen)
{
    if (len == 0) {
        set_err(err, errlen, "%s: class %d has an empty name", where, i);
        return -1;
    }
    if (len >= CLASS_NAME_MAX) {
        set_err(err, errlen, "%s: the name of class %d is %zu bytes long; at most %d", where, i,
                len, CLASS_NAME_MAX - 1);
        return -1;
    }
    for (size_t j = 0; j < len; j++) {
        unsigned char ch = (unsigned char)text[j];
        if (ch < 0x20 || ch == 0x7f) {
            set_err(err, errlen, "%s: the name of class %d holds a control character (byte "
                    "0x%02x)", where, i, ch);
            return -1;
        }
    }
    for (int j = 0; j < i; j++) {
        if (strlen(n->name[j]) == len && memcmp(n->name[j], text, len) == 0) {
            set_err(err, errlen, "%s: classes %d and %d are both named \"%s\"", where, j, i,
                    n->name[j]);
            return -1;
        }
    }
    memcpy(n->name[i], text, len);
    n->name[i][len] = '\0';
    return 0;
}

/* Splits text[0 .. len-1] at sep into names; the last piece may be empty
 * (a final separator) when allow_final is set, and blank trailing pieces
 * are then dropped. */
static int split_names(const char *text, size_t len, char sep, int allow_final,
                       const char *where, class_names *out, char *err, size_t errlen)
{
    while (allow_final && len > 0 && (text[len - 1] == sep || text[len - 1] == '\r'))
        len--; /* blank lines at the end */
    int count = 1;
    for (size_t i = 0; i < len; i++) count += text[i] == sep;
    if (len == 0 || count > CLASS_MAX) {
        set_err(err, errlen, "%s: %s names; a data set has 1 to %d classes", where,
                len == 0 ? "no" : "more than 256", CLASS_MAX);
        return -1;
    }
    class_names_alloc(out, count);
    const char *p = text, *end = text + len;
    for (int i = 0; i < count; i++) {
        const char *e = memchr(p, sep, (size_t)(end - p));
        if (!e) e = end;
        size_t n = (size_t)(e - p);
        if (sep == '\n' && n > 0 && p[n - 1] == '\r') n--;
        const char *name = p;
        if (sep == ',') { /* "cat, dog": the spaces around a list's commas are no part of a name */
            while (n > 0 && *name == ' ') name++, n--;
            while (n > 0 && name[n - 1] == ' ') n--;
        }
        if (class_names_set(out, i, name, n, where, err, errlen)) {
            class_names_free(out);
            return -1;
        }
        p = e + 1;
    }
    return 0;
}

int class_names_read_file(const char *path, class_names *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    int fd = file_open_input(path, "class names file", err, errlen);
    if (fd < 0) return -1;
    struct stat st;
    char *text = NULL;
    int rc = -1;
    if (fstat(fd, &st) != 0)
        set_err(err, errlen, "%s: cannot read the class names: %s", path, strerror(errno));
    else if (st.st_size > NAMES_FILE_MAX)
        set_err(err, errlen, "%s: %lld bytes is too long for a class names file (at most %d)",
                path, (long long)st.st_size, NAMES_FILE_MAX);
    else if (!(text = malloc((size_t)st.st_size + 1)))
        set_err(err, errlen, "%s: out of memory", path);
    else if (file_read_exact(fd, text, (size_t)st.st_size))
        set_err(err, errlen, "%s: cannot read the class names", path);
    else
        rc = split_names(text, (size_t)st.st_size, '\n', 1, path, out, err, errlen);
    free(text);
    close(fd);
    return rc;
}

int class_names_parse(const char *text, class_names *out, char *err, size_t errlen)
{
    if (strchr(text, ','))
        return split_names(text, strlen(text), ',', 0, "--class-names", out, err, errlen);
    return class_names_read_file(text, out, err, errlen);
}

int class_names_same(const class_names *a, const class_names *b)
{
    if (a->count != b->count) return 0;
    for (int i = 0; i < a->count; i++)
        if (strcmp(a->name[i], b->name[i]) != 0) return 0;
    return 1;
}

const char *class_name(const class_names *n, int i, char *buf, size_t len)
{
    if (i >= 0 && i < n->count) return n->name[i];
    snprintf(buf, len, "%d", i);
    return buf;
}

void class_names_free(class_names *n) { n->count = 0; }
