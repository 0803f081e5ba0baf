/* A folder of pictures, one sub-folder per class: DIR/train/<class>/... and
 * DIR/test/<class>/..., or one tree DIR/<class>/... (all of it training
 * data; train --val holds out its test samples). Classes are the
 * sub-folders' names in byte order (their names become the class names);
 * the pictures in each, in byte order of their names, are read by
 * picture.h and made inputs of one size and channel count by
 * picture_to_input, decoded in parallel (each into its own slot: the
 * result is the same whatever the threads), with a progress line on stderr
 * once loading has taken more than a second.
 *
 * What counts: names starting with a dot are skipped everywhere. At the
 * class level only folders (or links to folders) are classes; files there
 * (a README, a names list) are ignored. In a class folder every entry is a
 * picture: a file that is not one is refused like a damaged picture (or
 * skipped with skip_bad), and a folder in it is refused. */
#ifndef CNN_IMAGE_FOLDER_H
#define CNN_IMAGE_FOLDER_H

#include <stddef.h>

#include "dataset.h"

typedef struct {
    int channels;   /* 1 or 3; 0: the first picture's */
    int rows, cols; /* the size (each 1..IMAGE_MAX_SIDE); 0: the first picture's */
    int skip_bad;   /* a picture that cannot be read is skipped and counted,
                       not an error */
    int quiet;      /* no progress line */
} image_folder_options;

/* Whether dir is laid out as an image folder: it has a train/ sub-folder
 * with sub-folders, or sub-folders holding pictures (told by the first
 * bytes of the first few files) and no IDX ("*-ubyte[.gz]") or CIFAR
 * ("*.bin") files. */
int image_folder_detect(const char *dir);

/* Loads dir's pictures into train and test (either NULL: not read). With
 * DIR/train present the layout is two trees: test needs DIR/test beside it
 * with the same class folders (the message names the first one only one of
 * them has). Otherwise dir is one tree: test gets count 0 (images NULL)
 * with the classes, names and shape of train (o's alone when train is
 * NULL). The first picture read (the
 * first class's first; with skip_bad the first that reads) decides what o
 * leaves 0, for test too; each picture is then converted with
 * picture_to_input. *skipped (may be NULL) counts the pictures skip_bad
 * passed over. Refuses, with one line naming it, a picture that cannot be
 * read (unless skip_bad; the first one in order, whichever thread met it),
 * a class folder with no pictures (with skip_bad: none that read), no
 * class folders, more than CLASS_MAX classes, a class name that
 * class_names_set refuses. Returns 0, or -1 (train and test then hold
 * nothing). */
int image_folder_load(const char *dir, const image_folder_options *o, dataset *train,
                      dataset *test, int *skipped, char *err, size_t errlen);

#endif
