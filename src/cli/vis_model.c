/* cnn visualize --model: every convolution's kernels and, for each sample,
 * its input and what every convolution makes of it; see vis.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer.h"
#include "text_out.h"
#include "vis.h"

/* One convolution drawn: its layer, and the layer whose output is drawn for
 * the samples (the activation that follows it, after a bn between them if
 * there is one; else the conv itself). */
typedef struct {
    int layer, shown, number; /* number: 1 for the first conv, ... */
    const char *act;          /* that activation's word, or NULL */
    int bn;                   /* a bn stands between the conv and act */
    char text[64];            /* the conv's token, "conv4k5p2" */
} conv_view;

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

/* Every convolution of spec into views (malloc'ed, NULL when there is none
 * or memory runs out); how many in *n. */
static conv_view *find_convs(const net_spec *spec, int *n)
{
    conv_view *views = malloc(sizeof *views * (size_t)(spec->n_layers ? spec->n_layers : 1));
    *n = 0;
    for (int i = 0; views && i < spec->n_layers; i++) {
        if (spec->layer[i].kind != LAYER_CONV) continue;
        conv_view *v = &views[(*n)++];
        v->layer = i;
        v->number = *n;
        int next = i + 1 < spec->n_layers && spec->layer[i + 1].kind == LAYER_BN ? i + 2 : i + 1;
        const layer_def *d = next < spec->n_layers ? layer_def_of(spec->layer[next].kind) : NULL;
        v->act = d && (d->flags & LAYER_IS_ACTIVATION) ? d->word : NULL;
        v->shown = v->act ? next : i;
        v->bn = v->act && next == i + 2;
        layer_text(spec, i, v->text, sizeof v->text);
    }
    return views;
}

/* Tiles per grid row for n tiles: a row up to 4, rows of 4 up to 16, else of 8. */
static int tiles_per_row(int n) { return n <= 4 ? n : n <= 16 ? 4 : 8; }

static int out_of_memory(void)
{
    print_error("cnn visualize: out of memory");
    return -1;
}

/* The grid drawn under its title and written; frees nothing it was given. */
static int emit_grid(out_list *o, const char *name, const grid *g, const float *tiles,
                     value_range r, const char *title, const char *about)
{
    canvas cv;
    if (grid_picture(g, tiles, r, title, &cv)) return out_of_memory();
    int rc = emit_png(o, name, &cv, title, about);
    canvas_free(&cv);
    return rc;
}

/* Whether conv v reads the net's 3-channel input: its kernels are drawn in colour. */
static int colour_kernels(const classifier *c, const conv_view *v)
{
    return v->number == 1 && c->m.spec.layer[v->layer].in.c == 3 && c->m.ck.meta.in_c == 3;
}

/* The kernels' grid: one colour tile per output channel, or a grey tile per
 * output (row) and input (column) channel. */
static grid kernel_grid(const layer_spec *l, int colour)
{
    grid g = {l->out, l->in.c, l->out * l->in.c, l->k, l->k, 1, 1, 1, 1};
    if (colour) {
        int cols = tiles_per_row(l->out);
        grid cg = {(l->out + cols - 1) / cols, cols, l->out, l->k, l->k, 3, 1, 0, 2};
        g = cg;
    }
    grid_fit(&g, 80 / l->k);
    return g;
}

static void kernel_text(const conv_view *v, const layer_spec *l, const grid *g, int colour,
                        value_range r, char *title, size_t tlen, char *about, size_t alen)
{
    char lo[32], hi[32];
    snprintf(lo, sizeof lo, "%.3g", r.lo);
    snprintf(hi, sizeof hi, "%.3g", r.hi);
    if (colour)
        snprintf(title, tlen, "layer %d %s kernels in colour (red, green, blue = input channels "
                 "0, 1, 2), output channels 0..%d; each colour dark %s .. full %s",
                 v->layer + 1, v->text, l->out - 1, lo, hi);
    else
        snprintf(title, tlen, "layer %d %s kernels: rows = output channels 0..%d, columns = "
                 "input channels 0..%d; black %s .. white %s", v->layer + 1, v->text,
                 l->out - 1, l->in.c - 1, lo, hi);
    snprintf(about, alen, "Kernels of convolution %d (layer %d, %s): %d output channels of %d "
             "input channels; each %dx%d kernel drawn %dx (%dx%d px), %s. All kernels share "
             "one scale: the most negative weight is %s, the most positive %s. Numbers: "
             "channel indices.", v->number, v->layer + 1, v->text, l->out, l->in.c, l->k, l->k,
             g->scale, l->k * g->scale, l->k * g->scale,
             colour ? "one colour tile per output channel, its red, green and blue from input "
                      "channels 0, 1 and 2"
                    : "one row per output channel, one column per input channel",
             lo, hi);
}

static int kernels_png(classifier *c, const conv_view *v, out_list *o)
{
    const layer_spec *l = &c->m.spec.layer[v->layer];
    float *w = malloc(sizeof(float) * (size_t)l->weights);
    if (!w) return out_of_memory();
    c->m.ops->download(w, c->m.nt->params + l->param_offset, sizeof(float) * l->weights);
    c->m.ops->sync();
    int colour = colour_kernels(c, v);
    grid g = kernel_grid(l, colour);
    value_range r = range_of(w, l->weights);
    char name[64], title[512], about[1024];
    snprintf(name, sizeof name, "conv%d_kernels.png", v->number);
    kernel_text(v, l, &g, colour, r, title, sizeof title, about, sizeof about);
    int rc = emit_grid(o, name, &g, w, r, title, about);
    free(w);
    return rc;
}

/* "test image 12, class 3 (cat), predicted 5 (dog)" */
static void sample_text(const classifier *c, const vis_sample *s, char *out, size_t len)
{
    char a[CLASS_NAME_MAX + 16], b[CLASS_NAME_MAX + 16];
    const class_names *names = &c->m.ck.meta.names;
    snprintf(out, len, "test image %d, class %s, predicted %s", s->index,
             class_label(names, s->cls, a, sizeof a), class_label(names, s->pred, b, sizeof b));
}

static int maps_png(classifier *c, const conv_view *v, const vis_sample *s, out_list *o)
{
    shape3 sh = c->m.spec.layer[v->shown].out_shape;
    long n;
    float *maps = classifier_layer_output(c, v->shown, &n);
    if (!maps) return out_of_memory();
    int cols = tiles_per_row(sh.c), side = sh.h > sh.w ? sh.h : sh.w;
    grid g = {(sh.c + cols - 1) / cols, cols, sh.c, sh.w, sh.h, 1, 1, 0, 2};
    grid_fit(&g, 224 / side);
    value_range r = range_of(maps, n);
    char name[64], title[512], about[1024], who[256], after[64] = "maps (no activation follows)";
    if (v->act) snprintf(after, sizeof after, "maps after %s%s", v->bn ? "bn and " : "", v->act);
    snprintf(name, sizeof name, "class%d_conv%d%s%s.png", s->cls, v->number, v->act ? "_" : "",
             v->act ? v->act : "");
    sample_text(c, s, who, sizeof who);
    snprintf(title, sizeof title, "layer %d %s %s: %s; black %.3g .. white %.3g", v->layer + 1,
             v->text, after, who, r.lo, r.hi);
    snprintf(about, sizeof about,
             "%s through convolution %d (%s)%s%s: its %d channels of %dx%d, channel 0 to %d left "
             "to right%s, each drawn %dx (%dx%d px) with its number above it; all channels "
             "share one scale, %.3g black and %.3g white.", who, v->number, v->text,
             v->act ? (v->bn ? ", after the bn and the " : ", after the ") : " (raw output)",
             v->act ? v->act : "", sh.c, sh.h, sh.w,
             sh.c - 1, g.rows == 1 ? "" : cols == 4 ? " in rows of 4" : " in rows of 8", g.scale,
             sh.w * g.scale, sh.h * g.scale, r.lo, r.hi);
    int rc = emit_grid(o, name, &g, maps, r, title, about);
    free(maps);
    return rc;
}

/* The sample as the net reads it: in colour for 3 channels, else one grey
 * tile per channel; bytes as stored. */
static int input_png(const classifier *c, const unsigned char *img, const vis_sample *s,
                     out_list *o)
{
    const checkpoint_meta *m = &c->m.ck.meta;
    long dim = (long)m->in_c * m->in_h * m->in_w;
    float *v = malloc(sizeof(float) * (size_t)dim);
    if (!v) return out_of_memory();
    for (long i = 0; i < dim; i++) v[i] = img[i];
    int colour = m->in_c == 3, tiles = colour ? 1 : m->in_c, cols = tiles_per_row(tiles);
    int side = m->in_h > m->in_w ? m->in_h : m->in_w;
    grid g = {(tiles + cols - 1) / cols, cols, tiles, m->in_w, m->in_h, colour ? 3 : 1, 1, 0,
              tiles > 1 ? 2 : 0};
    grid_fit(&g, 224 / side);
    value_range bytes = {0, 255};
    char name[64], title[512], about[1024], who[256];
    sample_text(c, s, who, sizeof who);
    snprintf(name, sizeof name, "class%d_input.png", s->cls);
    snprintf(title, sizeof title, "input %dx%dx%d: %s; %s",
             m->in_c, m->in_h, m->in_w, who,
             colour ? "colour as stored, each channel 0 .. 255"
                    : "as stored, black 0 .. white 255");
    snprintf(about, sizeof about, "The input as the net reads it (%s, probability of the "
             "prediction %.4f), %dx%d drawn %dx (%dx%d px)%s, levels as stored (before the "
             "input scaling).", who, s->prob, m->in_w, m->in_h, g.scale, m->in_w * g.scale,
             m->in_h * g.scale, colour ? " in colour" : tiles > 1 ? ", one tile a channel" : "");
    int rc = emit_grid(o, name, &g, v, bytes, title, about);
    free(v);
    return rc;
}

/* Each sample through the net: its input and the maps of every view. */
static int draw_samples(classifier *c, const conv_view *views, int n_views, const dataset *test,
                        vis_sample *res, int n, out_list *o)
{
    const class_names *names = &c->m.ck.meta.names;
    for (int i = 0; i < n; i++) {
        vis_sample *s = &res[i];
        const unsigned char *img = test->images + (size_t)s->index * dataset_sample_bytes(test);
        float scores[CLASS_MAX], probs[CLASS_MAX];
        if ((s->pred = classifier_run(c, img, scores, probs)) < 0) {
            char what[64];
            snprintf(what, sizeof what, "test image %d", s->index);
            if (s->pred == -2) return out_of_memory();
            classifier_refuse_nonfinite("visualize", o->model, what);
            return -1;
        }
        s->prob = probs[s->pred];
        s->prob_label = probs[s->cls];
        char a[CLASS_NAME_MAX + 16], b[CLASS_NAME_MAX + 16];
        printf("class %s, test image %d: predicted %s, %s %.4f\n",
               text_shown(class_label(names, s->cls, a, sizeof a)), s->index,
               text_shown(class_label(names, s->pred, b, sizeof b)),
               c->euclid ? "score" : "probability", s->prob);
        if (input_png(c, img, s, o)) return -1;
        for (int k = 0; k < n_views; k++)
            if (maps_png(c, &views[k], s, o)) return -1;
    }
    return 0;
}

int draw_model(classifier *c, const dataset *test, vis_sample *s, int n_samples, out_list *o)
{
    int n_views;
    conv_view *views = find_convs(&c->m.spec, &n_views);
    if (!views) return out_of_memory();
    printf("model %s: %s, %d epochs\ndevice %s\n", text_shown(o->model), c->m.spec.text,
           c->m.ck.meta.epochs_done, c->m.device);
    if (n_views == 0)
        printf("no conv layers in this network: writing only the inputs and predictions\n");
    int rc = -1;
    for (int k = 0; k < n_views; k++)
        if (kernels_png(c, &views[k], o)) goto done;
    if (draw_samples(c, views, n_views, test, s, n_samples, o) ||
        write_index(c, o, s, n_samples, n_views))
        goto done;
    print_json(c, o, s, n_samples, n_views);
    rc = 0;
done:
    free(views);
    return rc;
}
