/* cnn visualize: pictures of a trained network. The first two convolutions'
 * kernels as grids, and for a few test digits the input, what those
 * convolutions make of it (after their ReLU) and the prediction; every file
 * is listed and explained in DIR/index.md. With --augment instead, a grid of
 * training digits as that augmentation moves them (vis_augment.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "augment_spec.h"
#include "paths.h"
#include "classify.h"
#include "flags.h"
#include "commands.h"
#include "file_write.h"
#include "json_out.h"
#include "layer.h"
#include "png_io.h"
#include "text_out.h"
#include "vis_augment.h"

/* ---- drawing grids of grey tiles ---- */

enum {
    BACKGROUND = 80,  /* separators and margins: dark grey, apart from black and white */
    LABEL_INK = 255,  /* channel numbers, white */
    SEP = 4,          /* between tiles */
    MARGIN = 6,       /* around everything */
    GLYPH = 2,        /* the 3x5 digit font drawn at 2x */
    LABEL_H = 5 * GLYPH + 6, /* the strip above a row of tiles that holds numbers */
    MAX_IMAGE_SIDE = 4096,   /* scale factors shrink until a grid fits */
};

/* 3x5 digits, one row per byte, bit 2 the left column. */
static const unsigned char FONT[10][5] = {
    {7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1},
    {7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1}, {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7},
};

typedef struct {
    int w, h;
    unsigned char *px;
} canvas;

static int number_width(int v)
{
    int digits = 1;
    while (v >= 10) v /= 10, digits++;
    return digits * 4 * GLYPH - GLYPH;
}

static void draw_number(canvas *cv, int x, int y, int v)
{
    char s[16];
    snprintf(s, sizeof s, "%d", v);
    for (const char *p = s; *p; p++, x += 4 * GLYPH)
        for (int r = 0; r < 5; r++)
            for (int col = 0; col < 3; col++) {
                if (!(FONT[*p - '0'][r] >> (2 - col) & 1)) continue;
                for (int dy = 0; dy < GLYPH; dy++)
                    for (int dx = 0; dx < GLYPH; dx++) {
                        int yy = y + r * GLYPH + dy, xx = x + col * GLYPH + dx;
                        if (yy >= 0 && yy < cv->h && xx >= 0 && xx < cv->w)
                            cv->px[(size_t)yy * cv->w + xx] = LABEL_INK;
                    }
            }
}

/* A tw x th map at (x0, y0), every value an s x s block, its grey levels
 * scaled on its own: lowest black, highest white (a constant map: black when
 * 0, else mid-grey). Returns the map's lowest and highest values. */
static void draw_tile(canvas *cv, int x0, int y0, const float *v, int tw, int th, int s,
                      float *lo_out, float *hi_out)
{
    float lo = v[0], hi = v[0];
    for (int i = 1; i < tw * th; i++) {
        if (v[i] < lo) lo = v[i];
        if (v[i] > hi) hi = v[i];
    }
    if (lo_out) *lo_out = lo;
    if (hi_out) *hi_out = hi;
    for (int y = 0; y < th; y++)
        for (int x = 0; x < tw; x++) {
            float g = hi > lo ? (v[y * tw + x] - lo) / (hi - lo) * 255.0f + 0.5f
                              : (hi == 0 ? 0.0f : 128.0f);
            unsigned char b = (unsigned char)(g < 0 ? 0 : g > 255 ? 255 : g);
            for (int dy = 0; dy < s; dy++)
                memset(cv->px + (size_t)(y0 + y * s + dy) * cv->w + x0 + x * s, b, (size_t)s);
        }
}

/* count tiles of tw x th floats, contiguous in `tiles`, laid out row-major
 * in rows x cols. Numbers: left_labels puts each row's index at its left;
 * top_labels 1 puts each column's index above the first row, 2 puts each
 * tile's own index above it. */
typedef struct {
    int rows, cols, count, tw, th, scale;
    int left_labels, top_labels;
} grid;

static void grid_geometry(const grid *g, int *W, int *H, int *x0, int *y0, int *colstep,
                          int *rowstep)
{
    int tws = g->tw * g->scale, ths = g->th * g->scale;
    *x0 = MARGIN + (g->left_labels ? number_width(g->rows - 1) + MARGIN : 0);
    *y0 = MARGIN + (g->top_labels ? LABEL_H : 0);
    *colstep = tws + SEP;
    *rowstep = ths + SEP + (g->top_labels == 2 ? LABEL_H : 0);
    *W = *x0 + g->cols * *colstep - SEP + MARGIN;
    *H = *y0 + g->rows * *rowstep - (*rowstep - ths) + MARGIN;
}

/* The largest scale up to want at which the grid fits MAX_IMAGE_SIDE. */
static void grid_fit(grid *g, int want)
{
    for (g->scale = want; g->scale > 1; g->scale--) {
        int W, H, a, b, c, d;
        grid_geometry(g, &W, &H, &a, &b, &c, &d);
        if (W <= MAX_IMAGE_SIDE && H <= MAX_IMAGE_SIDE) break;
    }
}

/* Renders the grid; lo and hi (count each, may be NULL) get every tile's
 * range. NULL when memory runs out. */
static unsigned char *grid_render(const grid *g, const float *tiles, float *lo, float *hi,
                                  int *W, int *H)
{
    int x0, y0, colstep, rowstep;
    grid_geometry(g, W, H, &x0, &y0, &colstep, &rowstep);
    canvas cv = {*W, *H, malloc((size_t)*W * *H)};
    if (!cv.px) return NULL;
    memset(cv.px, BACKGROUND, (size_t)*W * *H);
    int tws = g->tw * g->scale;
    for (int t = 0; t < g->count; t++) {
        int r = t / g->cols, c = t % g->cols;
        int x = x0 + c * colstep, y = y0 + r * rowstep;
        draw_tile(&cv, x, y, tiles + (size_t)t * g->tw * g->th, g->tw, g->th, g->scale,
                  lo ? &lo[t] : NULL, hi ? &hi[t] : NULL);
        if (g->top_labels == 2)
            draw_number(&cv, x + (tws - number_width(t)) / 2, y - LABEL_H + 3, t);
    }
    if (g->top_labels == 1)
        for (int c = 0; c < g->cols; c++)
            draw_number(&cv, x0 + c * colstep + (tws - number_width(c)) / 2, y0 - LABEL_H + 3,
                        c);
    if (g->left_labels)
        for (int r = 0; r < g->rows; r++)
            draw_number(&cv, x0 - MARGIN - number_width(r),
                        y0 + r * rowstep + (g->th * g->scale - 5 * GLYPH) / 2, r);
    return cv.px;
}

/* ---- the files written, for the summary and index.md ---- */

#define MAX_FILES 64

typedef struct {
    char name[64];
    int w, h;
    char about[1024];
} out_file;

typedef struct {
    const char *dir;
    const char *model;      /* --model: no output may replace it */
    out_file files[MAX_FILES];
    int n;
} out_list;

/* An output that is the model being read is refused (the same file, not
 * just the same name). */
static int replaces_model(const char *path, const char *model)
{
    if (!file_same(path, model)) return 0;
    print_error("cnn visualize: %s is --model %s: choose another --out", path, model);
    return 1;
}

static int emit_png(out_list *o, const char *name, const unsigned char *px, int w, int h,
                    const char *about)
{
    char path[PATH_BUF_MAX], err[ERR_LINE_MAX];
    snprintf(path, sizeof path, "%s/%s", o->dir, name);
    if (replaces_model(path, o->model)) return -1;
    if (png_write_gray(path, px, w, h, about, err, sizeof err)) {
        print_error("cnn visualize: %s", err);
        return -1;
    }
    if (o->n < MAX_FILES) {
        out_file *f = &o->files[o->n++];
        snprintf(f->name, sizeof f->name, "%s", name);
        f->w = w;
        f->h = h;
        snprintf(f->about, sizeof f->about, "%s", about);
    }
    printf("wrote %s (%dx%d)\n", text_shown(path), w, h);
    return 0;
}

/* ---- flags and inputs ---- */

/* "0,3,6,9": distinct digits separated by commas. */
static int parse_digits(const char *text, int *digits, int *n)
{
    *n = 0;
    const char *p = text;
    for (;;) {
        if (*p < '0' || *p > '9' || (p[1] && p[1] != ',')) goto bad;
        int d = *p - '0';
        for (int i = 0; i < *n; i++)
            if (digits[i] == d) {
                print_error("cnn visualize: --digits: %d is given twice in \"%s\"", d,
                            text);
                return -1;
            }
        digits[(*n)++] = d;
        if (!p[1]) return 0;
        p += 2;
    }
bad:
    print_error("cnn visualize: --digits: expected digits 0 to 9 separated by commas, "
                "such as 0,3,6,9; got \"%s\"", text);
    return -1;
}

/* --out exists, or is made (one level), and can be written in. */
/* Why --out dir cannot be made (mkdir's errno e, after stat found no dir:
 * the folders above it can be searched), naming its parent folder. */
static void out_dir_not_made(const char *dir, int e)
{
    char parent[PATH_BUF_MAX];
    path_folder(dir, parent, sizeof parent);
    if (e == ENOENT)
        print_error("cnn visualize: --out %s: cannot create the folder: its parent folder %s "
                    "does not exist", dir, parent);
    else if (e == EACCES || e == EPERM)
        print_error("cnn visualize: --out %s: cannot create the folder: the folder %s is not "
                    "writable: %s", dir, parent, strerror(e));
    else if (e == EROFS)
        print_error("cnn visualize: --out %s: cannot create the folder: the folder %s is not "
                    "writable: it is on a read-only file system", dir, parent);
    else
        print_error("cnn visualize: --out %s: cannot create the folder: %s", dir, strerror(e));
}

static int prepare_out_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        int e = errno;
        if (e != ENOENT) { /* (EACCES: a folder above it cannot be searched) */
            print_error("cnn visualize: --out %s: cannot be reached: %s", dir, strerror(e));
            return -1;
        }
        if (mkdir(dir, 0777) != 0) {
            out_dir_not_made(dir, errno);
            return -1;
        }
    } else if (!S_ISDIR(st.st_mode)) {
        print_error("cnn visualize: --out %s: not a folder", dir);
        return -1;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        print_error("cnn visualize: --out %s: cannot write in it: %s", dir,
                    strerror(errno));
        return -1;
    }
    return 0;
}

/* The text of layer i in the canonical spec ("conv4k5p2"). */
static void layer_text(const net_spec *spec, int i, char *out, size_t len)
{
    const char *p = spec->text;
    for (int k = 0; k < i && p; k++) {
        p = strchr(p, ',');
        if (p) p++;
    }
    if (!p) {
        snprintf(out, len, "%s", layer_kind_name(spec->layer[i].kind));
        return;
    }
    snprintf(out, len, "%.*s", (int)strcspn(p, ","), p);
}

/* One convolution shown: its layer, and the layer whose output is drawn for
 * the digits (the activation that follows it, after a bn between them if
 * there is one; else the conv itself). */
typedef struct {
    int layer, shown;
    const char *act; /* that activation's word, or NULL */
    char text[64];
} conv_view;

static int kernels_png(classifier *c, const conv_view *v, int number, out_list *o)
{
    const layer_spec *l = &c->m.spec.layer[v->layer];
    long nw = l->weights;
    float *w = malloc(sizeof(float) * nw);
    if (!w) {
        print_error("cnn visualize: out of memory");
        return -1;
    }
    c->m.ops->download(w, c->m.nt->params + l->param_offset, sizeof(float) * nw);
    c->m.ops->sync();
    grid g = {l->out, l->in.c, l->out * l->in.c, l->k, l->k, 1, 1, 1};
    int want = 80 / l->k;
    grid_fit(&g, want < 1 ? 1 : want);
    int W, H;
    unsigned char *px = grid_render(&g, w, NULL, NULL, &W, &H);
    free(w);
    if (!px) {
        print_error("cnn visualize: out of memory");
        return -1;
    }
    char name[64], about[1024];
    snprintf(name, sizeof name, "conv%d_kernels.png", number);
    snprintf(about, sizeof about,
             "Kernels of convolution %d (layer %d, %s): %d row%s = output channels 0..%d (top "
             "to bottom), %d column%s = input channels 0..%d (left to right); each %dx%d kernel "
             "drawn %dx (%dx%d px), its grey levels scaled on their own (most negative weight "
             "black, most positive white). Numbers: channel indices.",
             number, v->layer + 1, v->text, l->out, l->out == 1 ? "" : "s", l->out - 1, l->in.c,
             l->in.c == 1 ? "" : "s", l->in.c - 1, l->k, l->k,
             g.scale, l->k * g.scale, l->k * g.scale);
    int rc = emit_png(o, name, px, W, H, about);
    free(px);
    return rc;
}

static int maps_png(classifier *c, const conv_view *v, int number, int digit, out_list *o,
                    char *ranges, size_t rlen)
{
    const layer_spec *l = &c->m.spec.layer[v->shown];
    shape3 s = l->out_shape;
    long n;
    float *maps = classifier_layer_output(c, v->shown, &n);
    if (!maps) {
        print_error("cnn visualize: out of memory");
        return -1;
    }
    /* channels per grid row: a row up to 4, rows of 4 up to 16, else of 8 */
    int cols = s.c <= 4 ? s.c : s.c <= 16 ? 4 : 8;
    grid g = {(s.c + cols - 1) / cols, cols, s.c, s.w, s.h, 1, 0, 2};
    int side = s.h > s.w ? s.h : s.w, want = 224 / side;
    grid_fit(&g, want < 1 ? 1 : want);
    float *lo = malloc(sizeof(float) * s.c), *hi = malloc(sizeof(float) * s.c);
    int W, H;
    unsigned char *px = lo && hi ? grid_render(&g, maps, lo, hi, &W, &H) : NULL;
    free(maps);
    if (!px) {
        free(lo);
        free(hi);
        print_error("cnn visualize: out of memory");
        return -1;
    }
    char name[64], about[1024];
    char after[64] = " (no activation follows it: raw output)";
    if (v->act) snprintf(after, sizeof after, " after the %s that follows it", v->act);
    snprintf(name, sizeof name, "digit%d_conv%d%s%s.png", digit, number, v->act ? "_" : "",
             v->act ? v->act : "");
    snprintf(about, sizeof about,
             "Digit %d through convolution %d (%s)%s: its %d channels of %dx%d, channel 0 to %d "
             "left to right%s, each drawn %dx (%dx%d px) with its number above it, its grey "
             "levels scaled on their own (lowest black, highest white).",
             digit, number, v->text,
             after,
             s.c, s.h, s.w, s.c - 1,
             g.rows == 1 ? "" : cols == 4 ? " in rows of 4" : " in rows of 8", g.scale,
             s.w * g.scale, s.h * g.scale);
    /* each channel's range, since the scaling hides it */
    size_t at = 0;
    ranges[0] = 0;
    for (int ch = 0; ch < s.c && at < rlen; ch++)
        at += (size_t)snprintf(ranges + at, rlen - at, "%s%d: %.3g..%.3g%s", ch ? ", " : "", ch,
                               lo[ch], hi[ch], hi[ch] == lo[ch] ? " (flat)" : "");
    free(lo);
    free(hi);
    int rc = emit_png(o, name, px, W, H, about);
    free(px);
    return rc;
}

/* The input digit, every pixel 8x8. */
static int input_png(const unsigned char *img, int digit, int index, int pred, out_list *o)
{
    enum { S = 8, SIDE = 28 };
    unsigned char *px = malloc(SIDE * S * SIDE * S);
    if (!px) {
        print_error("cnn visualize: out of memory");
        return -1;
    }
    for (int y = 0; y < SIDE * S; y++)
        for (int x = 0; x < SIDE * S; x++) px[y * SIDE * S + x] = img[(y / S) * SIDE + x / S];
    char name[64], about[1024];
    snprintf(name, sizeof name, "digit%d_input.png", digit);
    snprintf(about, sizeof about,
             "Test image %d (label %d, predicted %d) as the net reads it, 28x28 drawn 8x "
             "(224x224 px), grey levels as stored.", index, digit, pred);
    int rc = emit_png(o, name, px, SIDE * S, SIDE * S, about);
    free(px);
    return rc;
}

typedef struct {
    int digit, index, pred;
    float prob, prob_label;
    char ranges[2][2048];
} digit_result;

static int write_index(const char *dir, const char *model, const classifier *c,
                       const conv_view *views, int n_views, const out_list *o,
                       const digit_result *d, int n_digits)
{
    char path[PATH_BUF_MAX], err[ERR_LINE_MAX];
    snprintf(path, sizeof path, "%s/index.md", dir);
    if (replaces_model(path, model)) return -1;
    file_out out;
    if (file_out_begin(&out, path, err, sizeof err)) {
        print_error("cnn visualize: %s", err);
        return -1;
    }
    FILE *f = out.f;
    const char *what = c->euclid ? "score" : "probability";
    fprintf(f, "# Pictures of the network\n\nModel `%s`: `%s`, %d epochs.\n\n", text_shown(model),
            c->m.spec.text, c->m.ck.meta.epochs_done);
    if (n_views == 0)
        fprintf(f, "This network has no convolution layers: there are no kernels or feature "
                   "maps to show, only the inputs and the predictions.\n\n");
    else if (n_views == 1)
        fprintf(f, "This network has one convolution layer: conv1 is `%s` (layer %d).\n\n",
                views[0].text, views[0].layer + 1);
    else
        fprintf(f, "conv1 is `%s` (layer %d), conv2 is `%s` (layer %d).\n\n", views[0].text,
                views[0].layer + 1, views[1].text, views[1].layer + 1);
    fprintf(f, "Every kernel and every feature map has its grey levels scaled on its own: its "
               "lowest value is black and its highest white (a map that is 0 everywhere is "
               "black), so shapes are comparable but brightness across tiles is not. The "
               "numbers drawn in the pictures are channel indices; the dark grey is the "
               "frame.\n\n");
    if (n_digits) {
        fprintf(f, "## Digits\n\n| digit | test image | predicted | %s | %s of the label |\n"
                   "|---|---|---|---|---|\n", what, what);
        for (int i = 0; i < n_digits; i++)
            fprintf(f, "| %d | %d | %d%s | %.4f | %.4f |\n", d[i].digit, d[i].index, d[i].pred,
                    d[i].pred == d[i].digit ? "" : " (wrong)", d[i].prob, d[i].prob_label);
        fprintf(f, "\n(test image: the 0-based position in the t10k files)\n\n");
    }
    fprintf(f, "## Files\n\n");
    for (int i = 0; i < o->n; i++)
        fprintf(f, "- `%s` (%dx%d px): %s\n", o->files[i].name, o->files[i].w, o->files[i].h,
                o->files[i].about);
    if (n_digits && n_views) {
        fprintf(f, "\n## Feature map ranges (value of the black..white ends, per channel)\n\n");
        for (int i = 0; i < n_digits; i++)
            for (int k = 0; k < n_views; k++)
                fprintf(f, "- digit %d, conv%d: %s\n", d[i].digit, k + 1, d[i].ranges[k]);
    }
    if (file_out_commit(&out, 0, err, sizeof err)) {
        print_error("cnn visualize: %s", err);
        return -1;
    }
    printf("wrote %s\n", text_shown(path));
    return 0;
}

/* The closing JSON line: the folder, the files written and each digit. */
static void print_json(const char *out, int n_files, int n_views, const digit_result *d,
                       int n_digits, int euclid)
{
    json_out j;
    json_begin(&j, stdout);
    json_string(&j, "out", out);
    json_int(&j, "files", n_files);
    json_int(&j, "conv_layers", n_views);
    json_array(&j, "digits");
    for (int i = 0; i < n_digits; i++) {
        json_object(&j, NULL);
        json_int(&j, "digit", d[i].digit);
        json_int(&j, "test_index", d[i].index);
        json_int(&j, "predicted", d[i].pred);
        json_digits(&j, euclid ? "score" : "probability", d[i].prob, 6);
        json_close(&j);
    }
    json_end(&j);
}

/* visualize --augment: DIR/augment.png, no model. */
static int visualize_augment(const char *spec_text, uint64_t seed, const char *out,
                             const run_config *cfg)
{
    cnn_augment a;
    char err[ERR_LINE_MAX], path[PATH_BUF_MAX];
    if (augment_spec_parse(spec_text, &a, err, sizeof err)) {
        print_error("cnn visualize: --augment: %s", err);
        return 2;
    }
    dataset train = {0};
    int rc = 1, w, h;
    snprintf(path, sizeof path, "%s/augment.png", out);
    if (prepare_out_dir(out) || load_data("visualize", cfg, 0, &train, NULL, NULL)) goto done;
    if (augment_grid_png(&train, a, seed, path, &w, &h, err, sizeof err)) {
        print_error("cnn visualize: %s", err);
        goto done;
    }
    printf("wrote %s (%dx%d): the first %d training images (left column) and %d draws of "
           "each\n", text_shown(path), w, h, AUGMENT_GRID_ROWS, AUGMENT_GRID_DRAWS);
    json_out j;
    json_begin(&j, stdout);
    json_string(&j, "out", out);
    json_int(&j, "files", 1);
    json_string(&j, "augment", spec_text);
    json_end(&j);
    rc = 0;
done:
    dataset_free(&train);
    return rc;
}

/* The first test image of each asked-for label into res; -1 (printed)
 * when a label has none. */
static int find_digits(const dataset *test, const char *data_dir, const int *digits, int n,
                       digit_result *res)
{
    for (int i = 0; i < n; i++) {
        res[i].digit = digits[i];
        res[i].index = -1;
        for (int j = 0; j < test->count && res[i].index < 0; j++)
            if (test->labels[j] == digits[i]) res[i].index = j;
        if (res[i].index < 0) {
            print_error("cnn visualize: %s: no test image has the label %d (choose others "
                        "with --digits)", data_dir, digits[i]);
            return -1;
        }
    }
    return 0;
}

/* The first two convolutions, and the activation after each; how many. */
static int find_convs(const net_spec *spec, conv_view views[2])
{
    int n_views = 0;
    for (int i = 0; i < spec->n_layers && n_views < 2; i++) {
        if (spec->layer[i].kind != LAYER_CONV) continue;
        conv_view *v = &views[n_views++];
        v->layer = i;
        int next = i + 1 < spec->n_layers && spec->layer[i + 1].kind == LAYER_BN ? i + 2 : i + 1;
        const layer_def *d = next < spec->n_layers ? layer_def_of(spec->layer[next].kind) : NULL;
        v->act = d && (d->flags & LAYER_IS_ACTIVATION) ? d->word : NULL;
        v->shown = v->act ? next : i;
        layer_text(spec, i, v->text, sizeof v->text);
    }
    return n_views;
}

/* Each digit through the net: its input and the maps of every view. */
static int draw_digits(classifier *c, const conv_view *views, int n_views, const dataset *test,
                       digit_result *res, int n_digits, out_list *o)
{
    for (int i = 0; i < n_digits; i++) {
        digit_result *d = &res[i];
        const unsigned char *img = test->images + (size_t)d->index * dataset_sample_bytes(test);
        float scores[CLASS_MAX], probs[CLASS_MAX];
        if ((d->pred = classifier_run(c, img, scores, probs)) < 0) {
            char what[64];
            snprintf(what, sizeof what, "test image %d", d->index);
            classifier_refuse_nonfinite("visualize", o->model, what);
            return -1;
        }
        d->prob = probs[d->pred];
        d->prob_label = probs[d->digit];
        printf("digit %d (test image %d): predicted %d (%s %.4f)\n", d->digit, d->index, d->pred,
               c->euclid ? "score" : "probability", d->prob);
        if (input_png(img, d->digit, d->index, d->pred, o)) return -1;
        for (int k = 0; k < n_views; k++)
            if (maps_png(c, &views[k], k + 1, d->digit, o, d->ranges[k], sizeof d->ranges[k]))
                return -1;
    }
    return 0;
}

/* The model's pictures: kernels, then each digit's maps, then index.md. */
static int draw_model(classifier *c, const char *model, const char *out, const dataset *test,
                      digit_result *res, int n_digits, out_list *o)
{
    conv_view views[2];
    int n_views = find_convs(&c->m.spec, views);
    printf("model %s: %s, %d epochs\ndevice %s\n", text_shown(model), c->m.spec.text,
           c->m.ck.meta.epochs_done, c->m.device);
    if (n_views == 0)
        printf("no conv layers in this network: writing only the inputs and predictions\n");
    for (int k = 0; k < n_views; k++)
        if (kernels_png(c, &views[k], k + 1, o)) return -1;
    if (draw_digits(c, views, n_views, test, res, n_digits, o) ||
        write_index(out, model, c, views, n_views, o, res, n_digits))
        return -1;
    print_json(out, o->n + 1, n_views, res, n_digits, c->euclid);
    return 0;
}

/* visualize --model: the net's pictures for the asked-for digits. */
static int visualize_model(const char *model, const char *out, const char *digits_text,
                           const run_config *cfg)
{
    int digits[CLASS_MAX], n_digits;
    if (parse_digits(digits_text, digits, &n_digits)) return 2;
    classifier c;
    if (classifier_open("visualize", model, cfg, &c)) return 1;
    int rc = 1;
    dataset test = {0};
    digit_result *res = calloc(CLASS_MAX, sizeof *res);
    out_list *o = calloc(1, sizeof *o);
    if (!res || !o) {
        print_error("cnn visualize: out of memory");
    } else {
        o->dir = out;
        o->model = model;
        if (prepare_out_dir(out) == 0 && load_data("visualize", cfg, c.m.ck.meta.classes, NULL, &test, NULL) == 0 &&
            data_fits_model("visualize", &c.m, cfg, &test) == 0 &&
            find_digits(&test, cfg->data, digits, n_digits, res) == 0 &&
            draw_model(&c, model, out, &test, res, n_digits, o) == 0)
            rc = 0;
    }
    classifier_close(&c);
    dataset_free(&test);
    free(res);
    free(o);
    return rc;
}

/* The flags that exclude or need each other; 2 (printed) or 0. */
static int check_args(const char *model, const char *out, const char *augment)
{
    const char *no_out = "cnn visualize: --out DIR is required (a folder for the pictures)";
    if (*augment && *model) {
        print_error("cnn visualize: --augment draws training digits and takes no --model: "
                    "draw the model in another run");
        return 2;
    }
    if (*augment && !*out) {
        print_error("%s", no_out);
        return 2;
    }
    if (!*augment && require_model("visualize", model)) return 2;
    if (!*out) {
        print_error("%s", no_out);
        return 2;
    }
    return 0;
}

int cmd_visualize(int argc, char **argv)
{
    const char *model, *out, *digits_text, *augment;
    run_config c;
    flag_set f = {0};
    run_config_defaults(&c);
    flags_add_own(&f, "model", OPT_STR, &model, "",
                  "checkpoint to draw (from train --save)");
    flags_add_own(&f, "out", OPT_STR, &out, "",
                  "folder for the PNGs and index.md (made if missing)");
    flags_add_own(&f, "digits", OPT_STR, &digits_text, "0,3,6,9",
                  "labels whose first test image is drawn, comma-separated");
    flags_add_own(&f, "augment", OPT_STR, &augment, "",
                  "instead of a model: DIR/augment.png, a grid of training digits as train --augment SPEC moves them (8 rows, one per training image: the image as stored, then its draws for steps 1 to 7 of a run with --seed); takes no --model");
    add_single_image_settings(&f, CMD_VISUALIZE, &c);
    flags_set_help(&f, "seed", "--augment: the run's seed");
    int r = flags_parse(&f, "visualize", "--model FILE --out DIR [flags], or --augment SPEC --out DIR",
                        argc, argv);
    if (r) return r < 0 ? 2 : 0;
    if ((r = check_args(model, out, augment))) return r;
    if (*augment) return visualize_augment(augment, c.seed, out, &c);
    return visualize_model(model, out, digits_text, &c);
}
