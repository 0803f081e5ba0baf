/* visualize --augment: see vis_augment.h. */
#include "vis_augment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "augment_spec.h"
#include "png_io.h"

enum {
    ZOOM = 4,          /* every pixel drawn 4x4 */
    SEP = 4,           /* between tiles */
    MARGIN = 6,        /* around everything */
    BACKGROUND = 80,   /* dark grey: apart from the digits' black and white */
    COLS = 1 + AUGMENT_GRID_DRAWS,
};

/* The channels drawn: colour for 3-channel data, else the first (grey). */
static int drawn_channels(const dataset *d) { return d->channels == 3 ? 3 : 1; }

/* Every tile as bytes: tiles[row][col][channel][pixel], col 0 the image as
 * stored, col s + 1 the batch that step s gathers: each pixel of each
 * channel from the per-element transform the gather_aug op of both backends
 * runs (hd/augment.h; one draw moves all channels alike), for the row's
 * position in the batch, unnormalized (scale 1, shift 0). */
static void draw_tiles(const dataset *d, cnn_augment a, uint64_t seed, unsigned char *tiles)
{
    int h = d->rows, w = d->cols, plane = h * w, nc = drawn_channels(d);
    for (int r = 0; r < AUGMENT_GRID_ROWS; r++) {
        const unsigned char *src = d->images + (size_t)r * dataset_sample_bytes(d);
        memcpy(tiles + (size_t)r * COLS * nc * plane, src, (size_t)nc * plane);
        for (int s = 0; s < AUGMENT_GRID_DRAWS; s++) {
            cnn_aug_draw draw = cnn_augment_draw(a, seed, (unsigned long long)s,
                                                 (unsigned long long)r);
            unsigned char *tile = tiles + ((size_t)r * COLS + s + 1) * nc * plane;
            for (int c = 0; c < nc; c++)
                for (int py = 0; py < h; py++)
                    for (int px = 0; px < w; px++) {
                        float v = cnn_augment_at(src + (size_t)c * plane, h, w, draw, py, px);
                        v += 0.5f;
                        tile[c * plane + py * w + px] = (unsigned char)(v > 255 ? 255 : v);
                    }
        }
    }
}

/* Tile (r, c) into the grid's interleaved pixels px of width W. */
static void place_tile(unsigned char *px, int W, const unsigned char *tile, const dataset *d,
                       int r, int c)
{
    int tw = d->cols * ZOOM, th = d->rows * ZOOM, plane = d->rows * d->cols;
    int nc = drawn_channels(d);
    for (int y = 0; y < th; y++)
        for (int x = 0; x < tw; x++) {
            int Y = MARGIN + r * (th + SEP) + y, X = MARGIN + c * (tw + SEP) + x;
            for (int ch = 0; ch < nc; ch++)
                px[((size_t)Y * W + X) * nc + ch] =
                    tile[ch * plane + (y / ZOOM) * d->cols + x / ZOOM];
        }
}

unsigned char *augment_grid(const dataset *train, cnn_augment a, uint64_t seed, int *w, int *h,
                            int *channels)
{
    if (train->count < AUGMENT_GRID_ROWS) return NULL;
    int nc = drawn_channels(train), plane = train->rows * train->cols;
    int tw = train->cols * ZOOM, th = train->rows * ZOOM;
    *w = 2 * MARGIN + COLS * tw + (COLS - 1) * SEP;
    *h = 2 * MARGIN + AUGMENT_GRID_ROWS * th + (AUGMENT_GRID_ROWS - 1) * SEP;
    *channels = nc;
    unsigned char *px = malloc((size_t)*w * *h * nc);
    unsigned char *tiles = malloc((size_t)AUGMENT_GRID_ROWS * COLS * nc * plane);
    if (!px || !tiles) {
        free(px);
        free(tiles);
        return NULL;
    }
    draw_tiles(train, a, seed, tiles);
    memset(px, BACKGROUND, (size_t)*w * *h * nc);
    for (int r = 0; r < AUGMENT_GRID_ROWS; r++)
        for (int c = 0; c < COLS; c++)
            place_tile(px, *w, tiles + ((size_t)r * COLS + c) * nc * plane, train, r, c);
    free(tiles);
    return px;
}

int augment_grid_png(const dataset *train, cnn_augment a, uint64_t seed, const char *path,
                     int *w, int *h, char *err, size_t errlen)
{
    int nc;
    unsigned char *px = augment_grid(train, a, seed, w, h, &nc);
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
             "net in its place at that position in the batch, every pixel drawn %dx, %s as "
             "stored (before normalization), background 0.",
             spec, (unsigned long long)seed, AUGMENT_GRID_ROWS, AUGMENT_GRID_ROWS,
             AUGMENT_GRID_DRAWS, ZOOM,
             nc == 3 ? "in colour"
                     : train->channels > 1 ? "channel 0 of each image in grey levels"
                                           : "grey levels");
    int rc = nc == 3 ? png_write_rgb(path, px, *w, *h, about, err, errlen)
                     : png_write_gray(path, px, *w, *h, about, err, errlen);
    free(px);
    return rc;
}
