/* The names of a data set's classes (label i is called name[i]), where
 * they are known: from a CIFAR meta file, an image folder's sub-folders, a
 * names file or --class-names, kept by the checkpoint. */
#ifndef CNN_CLASS_NAMES_H
#define CNN_CLASS_NAMES_H

#include <stddef.h>

/* Bytes a name may have, with its terminator: 1 to 63 printable bytes
 * (UTF-8 allowed), no control characters. */
#define CLASS_NAME_MAX 64
/* Most classes a data set may have (a label is one byte). */
#define CLASS_MAX 256

/* A plain value (16 KB): copied with =, nothing to free, so the data set,
 * the checkpoint and the model can each hold one without an owner. */
typedef struct {
    int count;                               /* 0: no names known */
    char name[CLASS_MAX][CLASS_NAME_MAX];    /* the first count are set */
} class_names;

/* count empty names to fill in (count 1..CLASS_MAX): 0, or -1 for another
 * count. */
int class_names_alloc(class_names *n, int count);

/* Sets name i to text[0 .. len-1]; -1 with err saying why (empty, too long,
 * a control character, the name of a class before it: names are set in
 * order, 0 first) naming `where` (a file, a flag). */
int class_names_set(class_names *n, int i, const char *text, size_t len, const char *where,
                    char *err, size_t errlen);

/* Names from a file, one per line (a final newline optional, "\r\n" taken
 * as "\n", blank lines at the end ignored; read through file_read.h's
 * bounded reader). 0, or -1 with err naming path and the line at fault. */
int class_names_read_file(const char *path, class_names *out, char *err, size_t errlen);

/* --class-names: a comma-separated list ("cat,dog,bird"; spaces around the
 * commas dropped) when text holds a comma, else a names file
 * (class_names_read_file). */
int class_names_parse(const char *text, class_names *out, char *err, size_t errlen);

/* Whether a and b hold the same names (both none counts as the same). */
int class_names_same(const class_names *a, const class_names *b);


/* The name of class i, or its number as text in buf when none is known. */
const char *class_name(const class_names *n, int i, char *buf, size_t len);

/* Empties n (no names known). */
void class_names_free(class_names *n);

#endif
