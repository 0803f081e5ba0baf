/* visualize's drawing: a canvas of grey or RGB pixels, a 3x5 bitmap font
 * for titles and numbers, and grids of tiles whose levels all follow one
 * value range, so that one "black LO .. white HI" in the title says what
 * every grey level means. */
#ifndef CNN_VIS_DRAW_H
#define CNN_VIS_DRAW_H

#include <stddef.h>

enum {
    VIS_BACKGROUND = 80, /* separators and margins: dark grey, apart from black and white */
    VIS_INK = 255,       /* text: white */
    VIS_GLYPH = 2,       /* the 3x5 font drawn at 2x: 8 px a character */
    VIS_TITLE_MIN_W = 400, /* a picture is at least this wide where it has a title */
    VIS_MAX_SIDE = 4096,   /* grids shrink their scale until they fit */
};

typedef struct {
    int w, h, channels;  /* channels: 1 grey, 3 red, green, blue (interleaved) */
    unsigned char *px;   /* h x w x channels bytes, malloc'ed */
} canvas;

/* The lowest and highest value drawn: lo black (dark), hi white (full). */
typedef struct {
    float lo, hi;
} value_range;

/* The range of n values (n >= 1). */
value_range range_of(const float *v, long n);

/* Width in pixels of s in the font (every byte a cell; non-ASCII and
 * unknown bytes are drawn as '?'). */
int text_width(const char *s);

/* s in white with its top-left corner at (x, y), clipped to the canvas. */
void draw_text(canvas *cv, int x, int y, const char *s);

/* Whether the font draws c as itself (not '?'). */
int font_has(char c);

/* Tiles of tw x th values laid out row-major in rows x cols, each tile
 * `planes` planes of th x tw (1: grey; 3: red, green, blue), contiguous in
 * the tiles array. Numbers: left_labels puts each row's index at its left;
 * top_labels 1 puts each column's index above the first row, 2 puts each
 * tile's own index above it. */
typedef struct {
    int rows, cols, count, tw, th, planes, scale;
    int left_labels, top_labels;
} grid;

/* The largest scale up to want (at least 1) at which the grid fits
 * VIS_MAX_SIDE. */
void grid_fit(grid *g, int want);

/* The grid under its title (wrapped at spaces to the picture's width),
 * every value v drawn at (v - r.lo) / (r.hi - r.lo) of full brightness (a
 * flat range: black when 0, else mid-grey). 0, or -1 when memory runs out. */
int grid_picture(const grid *g, const float *tiles, value_range r, const char *title,
                 canvas *out);

void canvas_free(canvas *cv);

#endif
