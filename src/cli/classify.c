/* Classifying single images with a checkpoint; see include/classify.h. */
#include "classify.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "text_out.h"

int classifier_open(const char *cmd, const char *path, const char *device, int gpu,
                    int threads, classifier *c)
{
    memset(c, 0, sizeof *c);
    float *params, *mom;
    long n;
    char err[4400];
    if (checkpoint_load(path, &c->meta, &params, &mom, &n, err, sizeof err)) {
        print_error("cnn %s: %s", cmd, err);
        return -1;
    }
    free(mom);
    if (checkpoint_spec(&c->meta, n, &c->spec, err, sizeof err)) {
        print_error("cnn %s: %s: %s", cmd, path, err);
        free(params);
        free(c->meta.state);
        free(c->meta.moment2);
        return -1;
    }
    /* one sample at a time: only a net too large for any batch fails */
    if (net_size_refuse(cmd, NULL, &c->spec, 1) ||
        !(c->ops = open_device(cmd, device, gpu, threads, c->desc, sizeof c->desc))) {
        free(params);
        free(c->meta.state);
        free(c->meta.moment2);
        return -1;
    }
    c->euclid = c->spec.layer[c->spec.n_layers - 1].kind == LAYER_EUCLID;
    c->nt = net_create(c->ops, &c->spec, 1);
    net_set_training(c->nt, 0); /* running statistics, no dropout */
    c->ops->upload(c->nt->params, params, sizeof(float) * n);
    net_load_state(c->nt, &c->meta);
    free(params);
    free(c->meta.state); /* uploaded: the meta keeps no pointer */
    free(c->meta.moment2);
    c->meta.state = NULL;
    c->meta.moment2 = NULL;
    return 0;
}

void classifier_close(classifier *c)
{
    if (c->nt) net_destroy(c->nt);
    c->nt = NULL;
}

int classifier_run(classifier *c, const unsigned char *image, float *scores, float *probs)
{
    net *nt = c->nt;
    const int dim = CNN_INPUT_SHAPE.c * CNN_INPUT_SHAPE.h * CNN_INPUT_SHAPE.w;
    float x[28 * 28];
    for (int i = 0; i < dim; i++)
        x[i] = (float)image[i] * c->meta.input_scale + c->meta.input_shift;
    c->ops->upload(nt->act[0], x, sizeof(float) * dim);
    /* every layer but the loss, which would want a label */
    int last = nt->spec.n_layers - 1;
    for (int i = 0; i < last; i++) net_forward_layer(nt, i, 1);
    c->ops->download(scores, nt->act[last], sizeof(float) * CNN_CLASSES);
    c->ops->sync();
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

float *classifier_layer_output(classifier *c, int layer, long *count)
{
    long n = net_out_size(c->nt, layer, 1);
    float *h = malloc(sizeof(float) * (n ? n : 1));
    if (!h) return NULL;
    c->ops->download(h, c->nt->act[layer + 1], sizeof(float) * n);
    c->ops->sync();
    *count = n;
    return h;
}
