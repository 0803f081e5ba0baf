/* Walking an image folder: class folders and the pictures in them, sorted
 * by byte order (strcmp, whatever the locale). See image_folder_tree.h. */
#include "image_folder_tree.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_read.h"
#include "image_folder.h"
#include "io_err.h"
#include "picture_decode.h"

/* The names in a folder that are not dot files, malloc'ed, sorted. */
typedef struct {
    int count, cap;
    char **name;
} name_list;

static void names_free(name_list *l)
{
    for (int i = 0; i < l->count; i++) free(l->name[i]);
    free(l->name);
    memset(l, 0, sizeof *l);
}

static int names_add(name_list *l, const char *name)
{
    if (l->count == l->cap) {
        int cap = l->cap ? 2 * l->cap : 64;
        char **grown = realloc(l->name, sizeof *grown * (size_t)cap);
        if (!grown) return -1;
        l->name = grown;
        l->cap = cap;
    }
    if (!(l->name[l->count] = strdup(name))) return -1;
    l->count++;
    return 0;
}

static int by_bytes(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_names(const char *dir, name_list *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    DIR *d = opendir(dir);
    if (!d) {
        set_err(err, errlen, "%s: cannot open folder: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (names_add(out, e->d_name)) {
            set_err(err, errlen, "%s: out of memory listing the folder", dir);
            break;
        }
        errno = 0;
    }
    int failed = e != NULL || errno != 0;
    if (!e && errno) set_err(err, errlen, "%s: cannot read folder: %s", dir, strerror(errno));
    closedir(d);
    if (failed) {
        names_free(out);
        return -1;
    }
    if (out->count) qsort(out->name, (size_t)out->count, sizeof *out->name, by_bytes);
    return 0;
}

char *path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *p = malloc(la + lb + 2);
    if (!p) return NULL;
    memcpy(p, a, la);
    p[la] = '/';
    memcpy(p + la + 1, b, lb + 1);
    return p;
}

int is_folder(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Whether name holds a control character (it cannot go in a message). */
static int has_control(const char *name)
{
    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
        if (*c < 0x20 || *c == 0x7f) return 1;
    return 0;
}

/* The class names from the folder names in l (all folders). */
static int names_to_classes(const char *root, const name_list *l, class_names *names,
                            char *err, size_t errlen)
{
    if (l->count == 0) {
        set_err(err, errlen, "%s: no class folders: an image folder holds one folder of "
                "pictures per class (DIR/<class>/*, or DIR/train/<class>/* and "
                "DIR/test/<class>/*)", root);
        return -1;
    }
    if (l->count > CLASS_MAX) {
        set_err(err, errlen, "%s: %d class folders; a data set has at most %d classes", root,
                l->count, CLASS_MAX);
        return -1;
    }
    if (class_names_alloc(names, l->count)) {
        set_err(err, errlen, "%s: out of memory for %d class names", root, l->count);
        return -1;
    }
    for (int i = 0; i < l->count; i++) {
        char where[4200];
        if (has_control(l->name[i]))
            snprintf(where, sizeof where, "%s: class folder %d", root, i);
        else
            snprintf(where, sizeof where, "%s/%s", root, l->name[i]);
        if (class_names_set(names, i, l->name[i], strlen(l->name[i]), where, err, errlen)) {
            class_names_free(names);
            return -1;
        }
    }
    return 0;
}

int tree_list_classes(const char *root, class_names *names, char *err, size_t errlen)
{
    memset(names, 0, sizeof *names);
    name_list all, folders = {0};
    if (list_names(root, &all, err, errlen)) return -1;
    int rc = 0;
    for (int i = 0; i < all.count && rc == 0; i++) {
        char *path = path_join(root, all.name[i]);
        if (!path || (is_folder(path) && names_add(&folders, all.name[i]))) {
            set_err(err, errlen, "%s: out of memory listing the folder", root);
            rc = -1;
        }
        free(path);
    }
    if (rc == 0) rc = names_to_classes(root, &folders, names, err, errlen);
    names_free(&all);
    names_free(&folders);
    return rc;
}

/* The first name of a that b lacks, or NULL. */
static const char *first_missing(const class_names *a, const class_names *b)
{
    for (int i = 0; i < a->count; i++) {
        int found = 0;
        for (int j = 0; j < b->count && !found; j++) found = !strcmp(a->name[i], b->name[j]);
        if (!found) return a->name[i];
    }
    return NULL;
}

int tree_same_classes(const char *a_root, const class_names *a, const char *b_root,
                      const class_names *b, char *err, size_t errlen)
{
    const char *lacks = first_missing(a, b);
    if (lacks) {
        set_err(err, errlen, "%s has no class folder '%s' (%s has): the two need the same "
                "class folders", b_root, lacks, a_root);
        return -1;
    }
    if ((lacks = first_missing(b, a))) {
        set_err(err, errlen, "%s/%s: a class folder that %s lacks: the two need the same "
                "class folders", b_root, lacks, a_root);
        return -1;
    }
    return 0;
}

void picture_tree_free(picture_tree *t)
{
    if (!t) return;
    for (int i = 0; i < t->count; i++) free(t->path[i]);
    free(t->path);
    free(t->label);
    memset(t, 0, sizeof *t);
}

/* Most pictures a tree may hold (a count is an int). */
#define TREE_MAX_PICTURES (1 << 30)

/* Appends path (taken over) as a picture of class label; -1 when memory
 * runs out (path freed) or there are more than TREE_MAX_PICTURES. */
static int tree_add(picture_tree *t, int *cap, char *path, int label)
{
    if (t->count == *cap) {
        int grown = !*cap ? 1024 : *cap < TREE_MAX_PICTURES ? 2 * *cap : 0;
        char **paths = grown ? realloc(t->path, sizeof *paths * (size_t)grown) : NULL;
        if (paths) t->path = paths;
        unsigned char *labels = paths ? realloc(t->label, (size_t)grown) : NULL;
        if (labels) t->label = labels;
        if (!paths || !labels) {
            free(path);
            return -1;
        }
        *cap = grown;
    }
    t->path[t->count] = path;
    t->label[t->count++] = (unsigned char)label;
    return 0;
}

/* The pictures of class folder dir (class label) onto t. */
static int list_class(const char *dir, int label, picture_tree *t, int *cap, char *err,
                      size_t errlen)
{
    name_list l;
    if (list_names(dir, &l, err, errlen)) return -1;
    int rc = 0;
    if (l.count == 0) {
        set_err(err, errlen, "%s: a class folder with no pictures", dir);
        rc = -1;
    }
    for (int i = 0; i < l.count && rc == 0; i++) {
        char *path = path_join(dir, l.name[i]);
        if (path && is_folder(path)) {
            set_err(err, errlen, "%s: a folder inside a class folder: the pictures of a "
                    "class go directly in its folder", path);
            free(path);
            rc = -1;
        } else if (!path || tree_add(t, cap, path, label)) {
            set_err(err, errlen, "%s: out of memory listing %d pictures", dir, t->count);
            rc = -1;
        }
    }
    names_free(&l);
    return rc;
}

int tree_list_pictures(const char *root, const class_names *names, picture_tree *t,
                       char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    int cap = 0;
    for (int k = 0; k < names->count; k++) {
        char *dir = path_join(root, names->name[k]);
        int rc = dir ? list_class(dir, k, t, &cap, err, errlen) : -1;
        if (!dir) set_err(err, errlen, "%s: out of memory", root);
        free(dir);
        if (rc) {
            picture_tree_free(t);
            return -1;
        }
    }
    return 0;
}

/* ---- telling an image folder from the other layouts ---- */

/* Files of the other formats a data folder may hold: IDX (MNIST's
 * "*-ubyte[.gz]") and CIFAR's "*.bin". */
static int other_format_file(const char *name)
{
    size_t n = strlen(name);
    return strstr(name, "-ubyte") || (n > 4 && !strcmp(name + n - 4, ".bin"));
}

/* How many entries of a class folder image_folder_detect looks at. */
#define DETECT_LOOK 16

/* Whether one of the first DETECT_LOOK entries of dir is a picture, by
 * its first bytes. */
static int holds_picture(const char *dir)
{
    name_list l;
    char err[16];
    if (list_names(dir, &l, err, sizeof err)) return 0;
    int found = 0;
    for (int i = 0; i < l.count && i < DETECT_LOOK && !found; i++) {
        char *path = path_join(dir, l.name[i]);
        int fd = path ? file_open_input(path, "picture", err, sizeof err) : -1;
        unsigned char b[PICTURE_SNIFF_BYTES];
        ssize_t got = fd >= 0 ? read(fd, b, sizeof b) : -1;
        found = got > 0 && picture_sniff(b, (size_t)got) != PICTURE_UNKNOWN;
        if (fd >= 0) close(fd);
        free(path);
    }
    names_free(&l);
    return found;
}

/* Whether dir has a sub-folder (not a dot file) that holds a picture, or
 * with any_folder, a sub-folder at all; and no other format's files when
 * strict. */
static int has_class_folder(const char *dir, int any_folder, int strict)
{
    name_list l;
    char err[16];
    if (list_names(dir, &l, err, sizeof err)) return 0;
    int found = 0;
    for (int i = 0; i < l.count; i++) {
        if (strict && other_format_file(l.name[i])) {
            found = 0;
            break;
        }
        char *path = found ? NULL : path_join(dir, l.name[i]);
        if (path && is_folder(path) && (any_folder || holds_picture(path))) found = 1;
        free(path);
    }
    names_free(&l);
    return found;
}

int image_folder_detect(const char *dir)
{
    char *train = path_join(dir, "train");
    int two_trees = train && is_folder(train) && has_class_folder(train, 1, 0);
    free(train);
    return two_trees || has_class_folder(dir, 0, 1);
}
