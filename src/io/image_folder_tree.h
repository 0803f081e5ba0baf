/* Private to src/io: walking an image folder's tree (image_folder.h) -
 * its class folders and the pictures in each, in byte order - without
 * reading any picture. */
#ifndef CNN_IMAGE_FOLDER_TREE_H
#define CNN_IMAGE_FOLDER_TREE_H

#include <stddef.h>

#include "class_names.h"

/* The pictures of one tree (DIR/train, DIR/test or a one-tree DIR). */
typedef struct {
    int count;            /* pictures */
    char **path;          /* "<root>/<class>/<file>": by class, then by name */
    unsigned char *label; /* each one's class */
} picture_tree;

/* The sub-folders of root (symbolic links to folders included; dot files
 * and anything else skipped), sorted by byte order, as class names.
 * Refuses no sub-folder, more than CLASS_MAX, a name class_names_set
 * refuses. 0, or -1 with err set. */
int tree_list_classes(const char *root, class_names *names, char *err, size_t errlen);

/* Whether a (at a_root) and b (at b_root) list the same classes; -1 with
 * err naming the first class one has and the other lacks. */
int tree_same_classes(const char *a_root, const class_names *a, const char *b_root,
                      const class_names *b, char *err, size_t errlen);

/* Every entry of each class folder root/<names[i]> that is not a dot file,
 * as a picture of class i (a file that is not a picture is found out when it
 * is read). Refuses a folder inside a class folder and a class folder with
 * nothing in it. 0, or -1 with err set (t then holds nothing). */
int tree_list_pictures(const char *root, const class_names *names, picture_tree *t,
                       char *err, size_t errlen);

void picture_tree_free(picture_tree *t);

/* "<a>/<b>", malloc'ed; NULL when memory runs out. */
char *path_join(const char *a, const char *b);

/* Whether path is a folder (following a link). */
int is_folder(const char *path);

#endif
