/* Turning a picture of one handwritten digit into what an MNIST-trained net
 * expects: a 28x28 light-on-dark image whose digit fits a 20x20 box and is
 * centred by its centre of mass, as the original MNIST was made. */
#ifndef CNN_DIGIT_PREP_H
#define CNN_DIGIT_PREP_H

#include "png_io.h"
#include "resample.h" /* resample_area, which it uses */

#define DIGIT_SIDE 28
#define DIGIT_BOX 20

typedef struct {
    int inverted;               /* the border was mostly bright: levels were inverted */
    int resized;                /* cropped, scaled and centred (else used as is) */
    int blank;                  /* nothing but background: the result is all black */
    int box_x, box_y, box_w, box_h; /* the digit's bounding box in the input */
    int scaled_w, scaled_h;     /* its size after scaling (the longer side is 20) */
    int off_x, off_y;           /* where the scaled box was pasted in the 28x28 */
} digit_prep_info;

/* Fills out (28x28 bytes). Dark-on-light pictures (more than half of the
 * outermost pixels brighter than mid-grey) are inverted first. A 28x28 picture
 * is then used as is; any other size has its background level (the median of
 * the border) subtracted and its contrast stretched to 0..255, is cropped to
 * the bounding box of the pixels above 15% of the brightest, scaled by area
 * averaging so that the box's longer side is 20 pixels (aspect ratio kept),
 * its contrast stretched again so the brightest pixel is 255, and pasted
 * into a black 28x28 canvas so that its centre of mass lies at (14, 14) in
 * pixel-index coordinates (MNIST's mean), kept whole inside the canvas.
 * info may be NULL. Returns 0, or -1 when memory runs out. */
int digit_to_mnist(const gray_image *in, unsigned char *out, digit_prep_info *info);

#endif
