/* Classifying single images with a checkpoint; see classify.h. */
#include "classify.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "text_out.h"

int classifier_open(const char *cmd, const char *path, const run_config *cfg, classifier *c)
{
    memset(c, 0, sizeof *c);
    /* one sample at a time: only a net too large for any batch fails */
    if (model_open(cmd, path, cfg, 1, &c->m)) return -1;
    c->euclid = c->m.spec.layer[c->m.spec.n_layers - 1].kind == LAYER_EUCLID;
    return 0;
}

void classifier_close(classifier *c) { model_free(&c->m); }

int classifier_run(classifier *c, const unsigned char *image, float *scores, float *probs)
{
    net *nt = c->m.nt;
    const cnn_ops *ops = c->m.ops;
    const int dim = CNN_INPUT_SHAPE.c * CNN_INPUT_SHAPE.h * CNN_INPUT_SHAPE.w;
    float x[28 * 28];
    for (int i = 0; i < dim; i++)
        x[i] = (float)image[i] * c->m.ck.meta.input_scale + c->m.ck.meta.input_shift;
    ops->upload(nt->act[0], x, sizeof(float) * dim);
    /* every layer but the loss, which would want a label */
    int last = nt->spec.n_layers - 1;
    for (int i = 0; i < last; i++) net_forward_layer(nt, i, 1);
    ops->download(scores, nt->act[last], sizeof(float) * CNN_CLASSES);
    ops->sync();
    for (int k = 0; k < CNN_CLASSES; k++)
        if (!isfinite(scores[k])) return -1; /* (no arg-max of NaN means anything) */
    int best = 0;
    for (int k = 1; k < CNN_CLASSES; k++)
        if (scores[k] > scores[best]) best = k;
    if (c->euclid) {
        memcpy(probs, scores, sizeof(float) * CNN_CLASSES);
    } else {
        double sum = 0, e[CNN_CLASSES];
        for (int k = 0; k < CNN_CLASSES; k++) sum += e[k] = exp((double)scores[k] - scores[best]);
        for (int k = 0; k < CNN_CLASSES; k++) probs[k] = (float)(e[k] / sum);
    }
    return best;
}

void classifier_refuse_nonfinite(const char *cmd, const char *model, const char *input)
{
    print_error("cnn %s: %s: the model's outputs for %s are not finite: its weights overflow "
                "float arithmetic (a run that diverged?): no prediction", cmd, model, input);
}

float *classifier_layer_output(classifier *c, int layer, long *count)
{
    long n = net_out_size(c->m.nt, layer, 1);
    float *h = malloc(sizeof(float) * (n ? n : 1));
    if (!h) return NULL;
    c->m.ops->download(h, c->m.nt->act[layer + 1], sizeof(float) * n);
    c->m.ops->sync();
    *count = n;
    return h;
}
