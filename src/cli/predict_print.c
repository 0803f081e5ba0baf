/* cnn predict's output; see predict_print.h. */
#include "predict_print.h"

#include <stdio.h>
#include <string.h>

#include "json_out.h"
#include "text_out.h"

void predict_print_header(const classifier *c, const char *model)
{
    const checkpoint_meta *m = &c->m.ck.meta;
    printf("model %s: %s, %d epochs; input %dx%dx%d, %d classes%s\ndevice %s\n",
           text_shown(model), c->m.spec.text, m->epochs_done, m->in_c, m->in_h, m->in_w,
           m->classes, m->names.count ? " (named)" : "", c->m.device);
    if (predict_digit_rule(m))
        printf("pictures are prepared as MNIST's digits were (a model of MNIST's shape)\n");
    else
        printf("pictures are converted to %s %dx%d\n", m->in_c == 1 ? "grey" : "colour",
               m->in_w, m->in_h);
}

/* The widest class name, for aligned columns (at most 24). */
static int name_width(const class_names *n, int k)
{
    int w = 1;
    for (int i = 0; i < n->count && i < k; i++) {
        int len = (int)strlen(n->name[i]);
        w = len > w ? len : w;
    }
    return w > 24 ? 24 : w;
}

/* The confidence line, when there is something to say. */
static void print_confidence(const classifier *c, const predict_prep *how,
                             const predict_result *r, float min_confidence)
{
    if (c->euclid)
        printf("this net has a Euclidean loss: the %d outputs are scores (1 means the class, "
               "0 not), not probabilities; --min-confidence does not apply\n",
               c->m.ck.meta.classes);
    if (how->digit && how->d.blank)
        printf("not confident: the picture is blank (nothing but background), whatever the "
               "net says\n");
    else if (!c->euclid && !r->confident)
        printf("not confident: top probability %.4g < --min-confidence %g\n", r->probs[r->pred],
               min_confidence);
}

void predict_print_text(const classifier *c, const char *path, const predict_prep *how,
                        const predict_result *r, float min_confidence)
{
    const checkpoint_meta *m = &c->m.ck.meta;
    char line[512], num[16];
    predict_prep_describe(how, m, line, sizeof line);
    printf("\n%s: %s\n", text_shown(path), line);
    if (m->names.count)
        printf("predicted %s (class %d, ", m->names.name[r->pred], r->pred);
    else
        printf("predicted %d (", r->pred);
    printf("%s %.4f)\n", c->euclid ? "score" : "probability", r->probs[r->pred]);
    print_confidence(c, how, r, min_confidence);
    int w = name_width(&m->names, m->classes);
    for (int k = 0; k < m->classes; k++) {
        if (m->names.count)
            printf("  %3d  %-*s  %8.4f  %s\n", k, w, m->names.name[k], r->probs[k],
                   k == r->pred ? "<" : "");
        else
            printf("  %3s  %8.4f  %s\n", class_name(&m->names, k, num, sizeof num), r->probs[k],
                   k == r->pred ? "<" : "");
    }
}

void predict_print_json(const classifier *c, const char *path, const predict_result *r)
{
    const checkpoint_meta *m = &c->m.ck.meta;
    json_out j;
    json_begin(&j, stdout);
    json_string(&j, "image", path);
    if (r->pred < 0) {
        json_string(&j, "error", r->error ? r->error : "no prediction");
        json_end(&j);
        return;
    }
    if (m->names.count)
        json_string(&j, "class", m->names.name[r->pred]);
    else
        json_int(&j, "class", r->pred);
    json_int(&j, "predicted", r->pred);
    if (r->confident < 0)
        json_null(&j, "confident");
    else
        json_bool(&j, "confident", r->confident);
    json_array(&j, c->euclid ? "scores" : "probabilities");
    for (int k = 0; k < m->classes; k++) json_digits(&j, NULL, r->probs[k], 6);
    json_end(&j);
}
