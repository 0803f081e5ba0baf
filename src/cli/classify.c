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

/* The image's bytes, scaled per channel as in training, into the net's input. */
static int upload_input(classifier *c, const unsigned char *image)
{
    const checkpoint_meta *m = &c->m.ck.meta;
    long plane = (long)m->in_h * m->in_w, dim = m->in_c * plane;
    float *x = malloc(sizeof(float) * dim), norm[2 * INPUT_MAX_CHANNELS];
    if (!x) return -1;
    for (int ch = 0; ch < m->in_c; ch++) {
        norm[ch] = m->norm.scale[ch];
        norm[m->in_c + ch] = m->norm.shift[ch];
    }
    for (long i = 0; i < dim; i++)
        x[i] = cnn_scale_input((float)image[i], norm, m->in_c, (int)(i / plane));
    c->m.ops->upload(c->m.nt->act[0], x, sizeof(float) * dim);
    free(x);
    return 0;
}

/* probs from scores: their softmax, or the scores for a euclid net. */
static void probabilities(const classifier *c, const float *scores, int k, int best,
                          float *probs)
{
    if (c->euclid) {
        memcpy(probs, scores, sizeof(float) * k);
        return;
    }
    double sum = 0;
    for (int j = 0; j < k; j++) sum += exp((double)scores[j] - scores[best]);
    for (int j = 0; j < k; j++) probs[j] = (float)(exp((double)scores[j] - scores[best]) / sum);
}

int classifier_run(classifier *c, const unsigned char *image, float *scores, float *probs)
{
    net *nt = c->m.nt;
    const int k = c->m.ck.meta.classes;
    if (upload_input(c, image)) return -2;
    /* every layer but the loss, which would want a label */
    int last = nt->spec.n_layers - 1;
    for (int i = 0; i < last; i++) net_forward_layer(nt, i, 1);
    c->m.ops->download(scores, nt->act[last], sizeof(float) * k);
    c->m.ops->sync();
    for (int j = 0; j < k; j++)
        if (!isfinite(scores[j])) return -1; /* (no arg-max of NaN means anything) */
    int best = 0;
    for (int j = 1; j < k; j++)
        if (scores[j] > scores[best]) best = j;
    probabilities(c, scores, k, best, probs);
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
