/* What the visualize tests share: reading a picture it wrote as stored
 * (grey or colour), its title from the "wrote" line, and the checks that
 * the title is in the picture and in its PNG text. */
#ifndef CNN_TEST_VIS_UTIL_H
#define CNN_TEST_VIS_UTIL_H

typedef struct {
    int w, h, c;       /* c: 1 grey, 3 red, green, blue */
    unsigned char *px; /* h x w x c bytes */
} vis_png;

/* The picture at dir/name, as stored; fails the test when it cannot be read. */
vis_png vis_read_png(const char *dir, const char *name);
void vis_png_free(vis_png *p);

/* The title of dir/name from visualize's stdout ("wrote DIR/NAME (WxH):
 * TITLE"); malloc'ed. Fails the test when there is no such line. */
char *vis_title_of(const char *out, const char *dir, const char *name);

/* Checks dir/name: channels c; the width of a grid grid_w wide, widened to
 * 400 for its title; the grid's height below 1 to 5 title lines of 14 px;
 * white text at the top-left and a blank row under the first line; full
 * contrast (0 and 255) below the title when full_contrast; the title in
 * the PNG's text. Returns the title's height. */
int vis_expect_picture(const char *dir, const char *name, int c, int grid_w, int grid_h,
                       const char *title, int full_contrast);

#endif
