/* What the parts of cnn visualize share: the list of files written (for
 * the "wrote" lines, index.md and the closing JSON line), the samples
 * drawn, and the model's pictures (vis_model.c). */
#ifndef CNN_VIS_H
#define CNN_VIS_H

#include <stddef.h>

#include "class_names.h"
#include "classify.h"
#include "dataset.h"
#include "vis_draw.h"

typedef struct {
    char name[64];
    int w, h;
    char title[512]; /* drawn in the picture */
    char about[1024];
} out_file;

typedef struct {
    const char *dir;
    const char *model;  /* --model: no output may replace it */
    out_file *files;    /* n of them, malloc'ed */
    int n, cap;
} out_list;

/* One sample drawn: the first test image of its class. */
typedef struct {
    int cls, index, pred;
    float prob, prob_label;
} vis_sample;

/* "3 (cat)", or "3" when the class has no name. */
const char *class_label(const class_names *names, int i, char *buf, size_t len);

/* Whether path is --model itself (printed): outputs must not replace it. */
int replaces_model(const char *path, const char *model);

/* Writes cv to DIR/name as a grey or RGB PNG whose description holds the
 * title and about, lists it and prints "wrote PATH (WxH): TITLE". 0, or -1
 * (printed). */
int emit_png(out_list *o, const char *name, const canvas *cv, const char *title,
             const char *about);

/* --out exists, or is made (one level), and can be written in: 0, or -1
 * (printed). */
int prepare_out_dir(const char *dir);

/* DIR/index.md: the model, the samples and every file with its title and
 * what it shows. 0, or -1 (printed). */
int write_index(const classifier *c, const out_list *o, const vis_sample *s, int n_samples,
                int n_convs);

/* The closing JSON line: the folder, the files written and each sample. */
void print_json(const classifier *c, const out_list *o, const vis_sample *s, int n_samples,
                int n_convs);

/* The model's pictures: every convolution's kernels, then each sample's
 * input and every convolution's maps, then index.md and the JSON line. */
int draw_model(classifier *c, const dataset *test, vis_sample *s, int n_samples, out_list *o);

#endif
