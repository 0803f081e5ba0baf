/* visualize's drawing; see vis_draw.h. */
#include "vis_draw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    SEP = 4,                         /* between tiles */
    MARGIN = 6,                      /* around everything */
    CELL = 4 * VIS_GLYPH,            /* a character's advance */
    LINE_H = 5 * VIS_GLYPH + 4,      /* a title line */
    LABEL_H = 5 * VIS_GLYPH + 6,     /* the strip above a row of tiles that holds numbers */
};

/* The font: 3 columns x 5 rows a glyph, '#' ink. Lower-case letters are
 * drawn as capitals, except x (as in 3x32x32). */
typedef struct {
    char c;
    const char *row[5];
} glyph;

static const glyph FONT[] = {
    {'0', {"###", "#.#", "#.#", "#.#", "###"}}, {'1', {".#.", "##.", ".#.", ".#.", "###"}},
    {'2', {"###", "..#", "###", "#..", "###"}}, {'3', {"###", "..#", "###", "..#", "###"}},
    {'4', {"#.#", "#.#", "###", "..#", "..#"}}, {'5', {"###", "#..", "###", "..#", "###"}},
    {'6', {"###", "#..", "###", "#.#", "###"}}, {'7', {"###", "..#", "..#", "..#", "..#"}},
    {'8', {"###", "#.#", "###", "#.#", "###"}}, {'9', {"###", "#.#", "###", "..#", "###"}},
    {'A', {".#.", "#.#", "###", "#.#", "#.#"}}, {'B', {"##.", "#.#", "##.", "#.#", "##."}},
    {'C', {".##", "#..", "#..", "#..", ".##"}}, {'D', {"##.", "#.#", "#.#", "#.#", "##."}},
    {'E', {"###", "#..", "##.", "#..", "###"}}, {'F', {"###", "#..", "##.", "#..", "#.."}},
    {'G', {".##", "#..", "#.#", "#.#", ".##"}}, {'H', {"#.#", "#.#", "###", "#.#", "#.#"}},
    {'I', {"###", ".#.", ".#.", ".#.", "###"}}, {'J', {"..#", "..#", "..#", "#.#", ".#."}},
    {'K', {"#.#", "#.#", "##.", "#.#", "#.#"}}, {'L', {"#..", "#..", "#..", "#..", "###"}},
    {'M', {"#.#", "###", "###", "#.#", "#.#"}}, {'N', {"##.", "#.#", "#.#", "#.#", "#.#"}},
    {'O', {".#.", "#.#", "#.#", "#.#", ".#."}}, {'P', {"##.", "#.#", "##.", "#..", "#.."}},
    {'Q', {".#.", "#.#", "#.#", "##.", ".##"}}, {'R', {"##.", "#.#", "##.", "#.#", "#.#"}},
    {'S', {".##", "#..", ".#.", "..#", "##."}}, {'T', {"###", ".#.", ".#.", ".#.", ".#."}},
    {'U', {"#.#", "#.#", "#.#", "#.#", ".##"}}, {'V', {"#.#", "#.#", "#.#", ".#.", ".#."}},
    {'W', {"#.#", "#.#", "###", "###", "#.#"}}, {'X', {"#.#", "#.#", ".#.", "#.#", "#.#"}},
    {'Y', {"#.#", "#.#", ".#.", ".#.", ".#."}}, {'Z', {"###", "..#", ".#.", "#..", "###"}},
    {'x', {"...", "#.#", ".#.", "#.#", "..."}}, {' ', {"...", "...", "...", "...", "..."}},
    {'.', {"...", "...", "...", "...", ".#."}}, {',', {"...", "...", "...", ".#.", "#.."}},
    {':', {"...", ".#.", "...", ".#.", "..."}}, {';', {"...", ".#.", "...", ".#.", "#.."}},
    {'-', {"...", "...", "###", "...", "..."}}, {'+', {"...", ".#.", "###", ".#.", "..."}},
    {'(', {"..#", ".#.", ".#.", ".#.", "..#"}}, {')', {"#..", ".#.", ".#.", ".#.", "#.."}},
    {'[', {"##.", "#..", "#..", "#..", "##."}}, {']', {".##", "..#", "..#", "..#", ".##"}},
    {'/', {"..#", "..#", ".#.", "#..", "#.."}}, {'=', {"...", "###", "...", "###", "..."}},
    {'_', {"...", "...", "...", "...", "###"}}, {'\'', {".#.", ".#.", "...", "...", "..."}},
    {'"', {"#.#", "#.#", "...", "...", "..."}}, {'%', {"#.#", "..#", ".#.", "#..", "#.#"}},
    {'<', {"..#", ".#.", "#..", ".#.", "..#"}}, {'>', {"#..", ".#.", "..#", ".#.", "#.."}},
    {'!', {".#.", ".#.", ".#.", "...", ".#."}}, {'*', {"#.#", ".#.", "#.#", "...", "..."}},
    {'#', {"#.#", "###", "#.#", "###", "#.#"}}, {'&', {".#.", "#.#", ".#.", "#.#", ".##"}},
    {'?', {"##.", "..#", ".#.", "...", ".#."}},
};

static const glyph *glyph_of(char c)
{
    if (c >= 'a' && c <= 'z' && c != 'x') c = (char)(c - 'a' + 'A');
    const glyph *unknown = NULL;
    for (size_t i = 0; i < sizeof FONT / sizeof FONT[0]; i++) {
        if (FONT[i].c == c) return &FONT[i];
        if (FONT[i].c == '?') unknown = &FONT[i];
    }
    return unknown;
}

int font_has(char c) { return c == '?' || glyph_of(c)->c != '?'; }

int text_width(const char *s)
{
    size_t n = strlen(s);
    return n ? (int)n * CELL - VIS_GLYPH : 0;
}

/* One pixel of ink, when it is on the canvas. */
static void ink(canvas *cv, int x, int y)
{
    if (x < 0 || y < 0 || x >= cv->w || y >= cv->h) return;
    memset(cv->px + ((size_t)y * cv->w + x) * cv->channels, VIS_INK, (size_t)cv->channels);
}

void draw_text(canvas *cv, int x, int y, const char *s)
{
    for (; *s; s++, x += CELL) {
        const glyph *g = glyph_of(*s);
        for (int r = 0; r < 5; r++)
            for (int col = 0; col < 3; col++)
                if (g->row[r][col] == '#')
                    for (int d = 0; d < VIS_GLYPH * VIS_GLYPH; d++)
                        ink(cv, x + col * VIS_GLYPH + d % VIS_GLYPH,
                            y + r * VIS_GLYPH + d / VIS_GLYPH);
    }
}

/* Draws title (cv not NULL) wrapped at spaces into lines of at most maxw
 * pixels, from (x, y) down; returns the number of lines. A word wider than
 * a line is cut by the canvas's edge. */
static int title_lines(canvas *cv, const char *title, int maxw, int x, int y)
{
    int lines = 0, per_line = (maxw + VIS_GLYPH) / CELL;
    const char *p = title;
    while (*p) {
        int n = (int)strlen(p);
        if (n > per_line) { /* the last space within the line, if any */
            int cut = per_line;
            while (cut > 0 && p[cut] != ' ') cut--;
            n = cut > 0 ? cut : (int)strcspn(p, " ");
        }
        if (cv) {
            char line[1024];
            snprintf(line, sizeof line, "%.*s", n, p);
            draw_text(cv, x, y + lines * LINE_H, line);
        }
        lines++;
        p += n;
        while (*p == ' ') p++;
    }
    return lines;
}

value_range range_of(const float *v, long n)
{
    value_range r = {v[0], v[0]};
    for (long i = 1; i < n; i++) {
        if (v[i] < r.lo) r.lo = v[i];
        if (v[i] > r.hi) r.hi = v[i];
    }
    return r;
}

static int number_width(int v)
{
    char s[16];
    snprintf(s, sizeof s, "%d", v);
    return text_width(s);
}

static void draw_number(canvas *cv, int x, int y, int v)
{
    char s[16];
    snprintf(s, sizeof s, "%d", v);
    draw_text(cv, x, y, s);
}

/* Where the grid's parts go, below a title of title_h pixels. */
typedef struct {
    int w, h, x0, y0, colstep, rowstep;
} grid_layout;

static grid_layout grid_geometry(const grid *g, int title_h)
{
    grid_layout L;
    int tws = g->tw * g->scale, ths = g->th * g->scale;
    L.x0 = MARGIN + (g->left_labels ? number_width(g->rows - 1) + MARGIN : 0);
    L.y0 = MARGIN + title_h + (g->top_labels ? LABEL_H : 0);
    L.colstep = tws + SEP;
    L.rowstep = ths + SEP + (g->top_labels == 2 ? LABEL_H : 0);
    L.w = L.x0 + g->cols * L.colstep - SEP + MARGIN;
    L.h = L.y0 + g->rows * L.rowstep - (L.rowstep - ths) + MARGIN;
    return L;
}

void grid_fit(grid *g, int want)
{
    for (g->scale = want < 1 ? 1 : want; g->scale > 1; g->scale--) {
        grid_layout L = grid_geometry(g, 0);
        if (L.w <= VIS_MAX_SIDE && L.h <= VIS_MAX_SIDE) break;
    }
}

/* A tile at (x0, y0): its planes' values, every one an s x s block. */
static void draw_tile(canvas *cv, int x0, int y0, const float *v, const grid *g, value_range r)
{
    int s = g->scale, plane = g->tw * g->th;
    for (int p = 0; p < g->planes; p++)
        for (int i = 0; i < plane; i++) {
            float x = v[(size_t)p * plane + i];
            float lv = r.hi > r.lo ? (x - r.lo) / (r.hi - r.lo) * 255.0f + 0.5f
                                   : (r.hi == 0 ? 0.0f : 128.0f);
            unsigned char b = (unsigned char)(lv < 0 ? 0 : lv > 255 ? 255 : lv);
            for (int d = 0; d < s * s; d++) {
                int X = x0 + (i % g->tw) * s + d % s, Y = y0 + (i / g->tw) * s + d / s;
                cv->px[((size_t)Y * cv->w + X) * cv->channels + p] = b;
            }
        }
}

static void draw_labels(canvas *cv, const grid *g, grid_layout L)
{
    int tws = g->tw * g->scale;
    if (g->top_labels == 2)
        for (int t = 0; t < g->count; t++)
            draw_number(cv, L.x0 + (t % g->cols) * L.colstep + (tws - number_width(t)) / 2,
                        L.y0 + (t / g->cols) * L.rowstep - LABEL_H + 3, t);
    if (g->top_labels == 1)
        for (int c = 0; c < g->cols; c++)
            draw_number(cv, L.x0 + c * L.colstep + (tws - number_width(c)) / 2,
                        L.y0 - LABEL_H + 3, c);
    if (g->left_labels)
        for (int r = 0; r < g->rows; r++)
            draw_number(cv, L.x0 - MARGIN - number_width(r),
                        L.y0 + r * L.rowstep + (g->th * g->scale - 5 * VIS_GLYPH) / 2, r);
}

/* The picture's width: the grid's, widened (up to VIS_TITLE_MIN_W) for a
 * long title. */
static int picture_width(const grid *g, const char *title)
{
    int w = grid_geometry(g, 0).w;
    if (title && *title && w < VIS_TITLE_MIN_W) {
        int want = text_width(title) + 2 * MARGIN;
        w = want < w ? w : want > VIS_TITLE_MIN_W ? VIS_TITLE_MIN_W : want;
    }
    return w;
}

int grid_picture(const grid *g, const float *tiles, value_range r, const char *title,
                 canvas *out)
{
    int w = picture_width(g, title);
    int lines = title && *title ? title_lines(NULL, title, w - 2 * MARGIN, 0, 0) : 0;
    grid_layout L = grid_geometry(g, lines * LINE_H);
    canvas cv = {w, L.h, g->planes, malloc((size_t)w * L.h * g->planes)};
    if (!cv.px) return -1;
    memset(cv.px, VIS_BACKGROUND, (size_t)w * L.h * g->planes);
    if (lines) title_lines(&cv, title, w - 2 * MARGIN, MARGIN, MARGIN);
    for (int t = 0; t < g->count; t++)
        draw_tile(&cv, L.x0 + (t % g->cols) * L.colstep, L.y0 + (t / g->cols) * L.rowstep,
                  tiles + (size_t)t * g->planes * g->tw * g->th, g, r);
    draw_labels(&cv, g, L);
    *out = cv;
    return 0;
}

void canvas_free(canvas *cv)
{
    free(cv->px);
    cv->px = NULL;
}
