/* A folder of pictures, one sub-folder per class: DIR/train/<class>/... and
 * DIR/test/<class>/..., or one tree DIR/<class>/... (all of it training data;
 * train --val holds out its test samples). Classes are the sub-folders'
 * names in byte order (their names become the class names); the pictures
 * in each, in byte order of their names, are read by picture.h and made
 * inputs of one size and channel count by picture_to_input, decoded in
 * parallel, with a progress line on stderr when loading takes more than
 * about a second. */
#ifndef CNN_IMAGE_FOLDER_H
#define CNN_IMAGE_FOLDER_H

#include <stddef.h>

#include "dataset.h"

typedef struct {
    int channels;   /* 1 or 3; 0: the first picture's */
    int rows, cols; /* the size; 0: the first picture's */
    int skip_bad;   /* a picture that cannot be read is skipped and counted,
                       not an error */
    int quiet;      /* no progress line */
} image_folder_options;

/* Whether dir is laid out as an image folder: it has a train/ sub-folder
 * with sub-folders, or sub-folders holding pictures and no IDX or CIFAR
 * files. */
int image_folder_detect(const char *dir);

/* Loads dir's pictures into train and test (either NULL: not read; test's
 * count is 0 for a one-tree folder). The first picture read (the first
 * class's first) decides what o leaves 0; the train and test trees must
 * have the same class names. *skipped (may be NULL) counts the pictures
 * skip_bad passed over. Refuses, with one line naming it, a picture that
 * cannot be read (unless skip_bad), a class folder with no pictures, more
 * than CLASS_MAX classes, a class name that is not a valid name. Returns
 * 0, or -1 (train and test then hold nothing). */
int image_folder_load(const char *dir, const image_folder_options *o, dataset *train,
                      dataset *test, int *skipped, char *err, size_t errlen);

#endif
