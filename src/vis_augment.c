/* visualize --augment: see include/vis_augment.h. */
#include "vis_augment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "augment_spec.h"
#include "ops.h"
#include "png_io.h"

enum {
    ZOOM = 4,          /* every pixel drawn 4x4 */
    SEP = 4,           /* between tiles */
    MARGIN = 6,        /* around everything */
    BACKGROUND = 80,   /* dark grey: apart from the digits' black and white */
    COLS = 1 + AUGMENT_GRID_DRAWS,
};

/* Every tile as bytes: tiles[row][col][pixel], col 0 the image as stored,
 * col s + 1 the batch that step s gathers. */
static int draw_tiles(const dataset *d, cnn_augment a, uint64_t seed, unsigned char *tiles)
{
    int dim = d->rows * d->cols, index[AUGMENT_GRID_ROWS], cursor = 0, labels[AUGMENT_GRID_ROWS];
    float *x = malloc(sizeof(float) * AUGMENT_GRID_ROWS * dim);
    if (!x) return -1;
    for (int r = 0; r < AUGMENT_GRID_ROWS; r++) {
        index[r] = r;
        memcpy(tiles + (size_t)r * COLS * dim, d->images + (size_t)r * dim, (size_t)dim);
    }
    for (int s = 0; s < AUGMENT_GRID_DRAWS; s++) {
        unsigned long long step = (unsigned long long)s;
        /* the batch of the first images, unnormalized (scale 1, shift 0) */
        cpu_ops.gather_aug(d->images, d->labels, index, &cursor, AUGMENT_GRID_ROWS, d->rows,
                           d->cols, 1.0f, 0.0f, a, seed, &step, x, labels);
        for (int r = 0; r < AUGMENT_GRID_ROWS; r++)
            for (int p = 0; p < dim; p++) {
                float v = x[(size_t)r * dim + p] + 0.5f;
                tiles[((size_t)r * COLS + s + 1) * dim + p] = (unsigned char)(v > 255 ? 255 : v);
            }
    }
    free(x);
    return 0;
}

unsigned char *augment_grid(const dataset *train, cnn_augment a, uint64_t seed, int *w, int *h)
{
    if (train->count < AUGMENT_GRID_ROWS) return NULL;
    int tw = train->cols * ZOOM, th = train->rows * ZOOM, dim = train->rows * train->cols;
    *w = 2 * MARGIN + COLS * tw + (COLS - 1) * SEP;
    *h = 2 * MARGIN + AUGMENT_GRID_ROWS * th + (AUGMENT_GRID_ROWS - 1) * SEP;
    unsigned char *px = malloc((size_t)*w * *h);
    unsigned char *tiles = malloc((size_t)AUGMENT_GRID_ROWS * COLS * dim);
    if (!px || !tiles || draw_tiles(train, a, seed, tiles)) {
        free(px);
        free(tiles);
        return NULL;
    }
    memset(px, BACKGROUND, (size_t)*w * *h);
    for (int r = 0; r < AUGMENT_GRID_ROWS; r++)
        for (int c = 0; c < COLS; c++) {
            const unsigned char *tile = tiles + ((size_t)r * COLS + c) * dim;
            for (int y = 0; y < th; y++)
                for (int x = 0; x < tw; x++) {
                    int Y = MARGIN + r * (th + SEP) + y, X = MARGIN + c * (tw + SEP) + x;
                    px[(size_t)Y * *w + X] = tile[(y / ZOOM) * train->cols + x / ZOOM];
                }
        }
    free(tiles);
    return px;
}

int augment_grid_png(const dataset *train, cnn_augment a, uint64_t seed, const char *path,
                     int *w, int *h, char *err, size_t errlen)
{
    unsigned char *px = augment_grid(train, a, seed, w, h);
    if (!px) {
        snprintf(err, errlen, "%s", train->count < AUGMENT_GRID_ROWS
                                        ? "the training set holds fewer than 8 images"
                                        : "out of memory");
        return -1;
    }
    char spec[160], about[1024];
    augment_spec_format(a, spec, sizeof spec);
    snprintf(about, sizeof about,
             "Training with --augment %s, seed %llu: %d rows = the first %d training images; in "
             "each row the image as stored (left), then what training steps 1 to %d feed the "
             "net in its place at that position in the batch, every pixel drawn %dx, grey "
             "levels as stored (before normalization), background 0.",
             spec, (unsigned long long)seed, AUGMENT_GRID_ROWS, AUGMENT_GRID_ROWS,
             AUGMENT_GRID_DRAWS, ZOOM);
    int rc = png_write_gray(path, px, *w, *h, about, err, errlen);
    free(px);
    return rc;
}
