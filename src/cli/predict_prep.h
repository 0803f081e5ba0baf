/* cnn predict's two rules for making a picture a model's input: MNIST's
 * digit preparation for models of MNIST's shape, picture_to_input for all
 * others. */
#ifndef CNN_PREDICT_PREP_H
#define CNN_PREDICT_PREP_H

#include <stddef.h>

#include "checkpoint.h"
#include "digit_prep.h"

/* How one picture was made the model's input. */
typedef struct {
    int w, h, c;          /* the picture as read (c 1: grey, 3: colour) */
    int digit;            /* the digit rule was used (d says how), else picture_to_input */
    digit_prep_info d;
} predict_prep;

/* Whether a model takes MNIST's digits: 1 x 28 x 28 inputs (any class count) from IDX
 * data (a picture folder's model takes pictures as it was trained on them). */
int predict_digit_rule(const checkpoint_meta *m);

/* Reads path (picture_read) and fills input with the model's in_c x in_h x
 * in_w bytes, channel-first: for a model of MNIST's shape the picture is
 * made grey (luma) and prepared by digit_to_mnist, else converted by
 * picture_to_input. Returns 0, or -1 with err naming path (unreadable, not
 * a picture, damaged, too large, out of memory). */
int predict_prepare(const char *path, const checkpoint_meta *m, unsigned char *input,
                    predict_prep *how, char *err, size_t errlen);

/* One line's words for how: "40x30 colour, made grey (luma) and stretched to
 * 28x28 by area averaging", "28x28 grey, used as is", ... (no newline). */
void predict_prep_describe(const predict_prep *how, const checkpoint_meta *m, char *out,
                           size_t len);

#endif
