/* The text of an augmentation (train --augment, visualize --augment):
 * "none", or one or more of "shift:N", "affine:ROT,SCALE" and "flip",
 * separated by commas, in any order ("shift:2,affine:10,0.1,flip"). */
#ifndef CNN_AUGMENT_SPEC_H
#define CNN_AUGMENT_SPEC_H

#include <stddef.h>

#include "hd/augment.h"

/* The ranges a spec may ask for. */
#define AUGMENT_MAX_SHIFT 8       /* pixels */
#define AUGMENT_MAX_ROT 180.0f    /* degrees */
#define AUGMENT_MAX_SCALE 0.5f

/* Parses text strictly (no spaces, signs, or repeated parts). Returns 0, or
 * -1 with one line in err saying what is wrong. */
int augment_spec_parse(const char *text, cnn_augment *out, char *err, size_t errlen);

/* The canonical text of a (parses back to the same values): "none",
 * "shift:2", "affine:10,0.1" or "shift:2,affine:10,0.1". */
void augment_spec_format(cnn_augment a, char *buf, size_t len);

/* For people: "none" or "shift 2, rotate +-10 deg, scale +-0.1" (the parts
 * that are not zero). */
void augment_describe(cnn_augment a, char *buf, size_t len);

#endif
