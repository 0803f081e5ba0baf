/* What cnn predict prints: a header, a few lines per picture, and last one
 * JSON line per picture. */
#ifndef CNN_PREDICT_PRINT_H
#define CNN_PREDICT_PRINT_H

#include "classify.h"
#include "predict_prep.h"

/* One picture's outcome. */
typedef struct {
    int pred;               /* the top class; -1: no prediction (error says why) */
    int confident;          /* 1, 0 (below --min-confidence, or a blank digit, whatever
                               the net), -1: the check does not apply (a euclid net's
                               scores, when not blank) */
    float probs[CLASS_MAX]; /* the K probabilities (euclid: scores) */
    char *error;            /* malloc'ed one line naming the file, or NULL */
} predict_result;

/* The model, its device and the rule its pictures are prepared by. */
void predict_print_header(const classifier *c, const char *model);

/* How the picture was prepared, its prediction, the confidence check and
 * the K values, one line each. */
void predict_print_text(const classifier *c, const char *path, const predict_prep *how,
                        const predict_result *r, float min_confidence);

/* Its JSON line: {"image", "class" (its name, or its number when the model
 * has no names), "predicted" (the number), "confident" (null for euclid
 * nets), "probabilities" or "scores"}; {"image", "error"} for a failure. */
void predict_print_json(const classifier *c, const char *path, const predict_result *r);

#endif
