/* The double-precision reference (see ref.h): direct loops, written for
 * obviousness rather than speed. Every backward pass recomputes the same
 * index arithmetic as its forward pass and scatters into zeroed outputs. */
#include "ref.h"
#include "layer.h"

#include "hd/act.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Convolution output side: rounded down. */
static int out_side(int in, int k, int stride, int pad) { return (in + 2 * pad - k) / stride + 1; }

void ref_conv_fwd(const double *x, int n, int c, int h, int w, const double *wt,
                  const double *b, int oc, int k, int stride, int pad, double *y)
{
    int oh = out_side(h, k, stride, pad), ow = out_side(w, k, stride, pad);
    for (int s = 0; s < n; s++)
        for (int o = 0; o < oc; o++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++) {
                    double acc = b[o];
                    for (int ch = 0; ch < c; ch++)
                        for (int u = 0; u < k; u++)
                            for (int v = 0; v < k; v++) {
                                int yy = i * stride - pad + u, xx = j * stride - pad + v;
                                if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue; /* zero pad */
                                acc += wt[((long)(o * c + ch) * k + u) * k + v] *
                                       x[(((long)s * c + ch) * h + yy) * w + xx];
                            }
                    y[(((long)s * oc + o) * oh + i) * ow + j] = acc;
                }
}

void ref_conv_bwd(const double *x, int n, int c, int h, int w, const double *wt, int oc,
                  int k, int stride, int pad, const double *dy, double *dx, double *dwt,
                  double *db)
{
    int oh = out_side(h, k, stride, pad), ow = out_side(w, k, stride, pad);
    if (dx) memset(dx, 0, sizeof *dx * (size_t)n * c * h * w);
    memset(dwt, 0, sizeof *dwt * (size_t)oc * c * k * k);
    memset(db, 0, sizeof *db * (size_t)oc);
    for (int s = 0; s < n; s++)
        for (int o = 0; o < oc; o++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++) {
                    double g = dy[(((long)s * oc + o) * oh + i) * ow + j];
                    db[o] += g;
                    for (int ch = 0; ch < c; ch++)
                        for (int u = 0; u < k; u++)
                            for (int v = 0; v < k; v++) {
                                int yy = i * stride - pad + u, xx = j * stride - pad + v;
                                if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
                                long wi = ((long)(o * c + ch) * k + u) * k + v;
                                long xi = (((long)s * c + ch) * h + yy) * w + xx;
                                dwt[wi] += g * x[xi];
                                if (dx) dx[xi] += g * wt[wi];
                            }
                }
}

/* Pooling output side, PyTorch's ceil_mode: rounded up so a last partial
 * window is kept, less one when that window would start past the input
 * (Caffe's rule, but applied without padding too); 0 when not even one
 * window fits. */
static int pool_out_side(int in, int k, int stride, int pad)
{
    int span = in + 2 * pad - k;
    if (in <= 0 || span < 0) return 0;
    int out = (span + stride - 1) / stride + 1; /* span >= 0: this is the ceiling */
    if ((out - 1) * stride >= in + pad) out--;
    return out;
}

static int imin(int a, int b) { return a < b ? a : b; }
static int imax(int a, int b) { return a > b ? a : b; }

/* Average pooling. The window of output (i, j) spans rows [ys, ye) and
 * columns [xs, xe) of the padded input, cut at the bottom/right padding's
 * edge; its area is the divisor (Caffe's), taken before cutting it down to
 * the real input, where the sum runs (the padding adds zeros). */
void ref_pool_fwd(const double *x, int n, int c, int h, int w, int k, int stride, int pad,
                  double *y)
{
    int oh = pool_out_side(h, k, stride, pad), ow = pool_out_side(w, k, stride, pad);
    for (long p = 0; p < (long)n * c; p++) /* each (sample, channel) plane */
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++) {
                int ys = i * stride - pad, ye = imin(ys + k, h + pad);
                int xs = j * stride - pad, xe = imin(xs + k, w + pad);
                double div = (double)(ye - ys) * (xe - xs), acc = 0;
                for (int yy = imax(ys, 0); yy < imin(ye, h); yy++)
                    for (int xx = imax(xs, 0); xx < imin(xe, w); xx++)
                        acc += x[(p * h + yy) * w + xx];
                y[(p * oh + i) * ow + j] = acc / div;
            }
}

void ref_pool_bwd(const double *dy, int n, int c, int h, int w, int k, int stride, int pad,
                  double *dx)
{
    int oh = pool_out_side(h, k, stride, pad), ow = pool_out_side(w, k, stride, pad);
    memset(dx, 0, sizeof *dx * (size_t)n * c * h * w);
    for (long p = 0; p < (long)n * c; p++)
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++) {
                int ys = i * stride - pad, ye = imin(ys + k, h + pad);
                int xs = j * stride - pad, xe = imin(xs + k, w + pad);
                double g = dy[(p * oh + i) * ow + j] / ((double)(ye - ys) * (xe - xs));
                for (int yy = imax(ys, 0); yy < imin(ye, h); yy++)
                    for (int xx = imax(xs, 0); xx < imin(xe, w); xx++)
                        dx[(p * h + yy) * w + xx] += g;
            }
}

/* The plane offset (yy * w + xx) of the first largest real input of window
 * (i, j), scanning row by row; -1 when the window holds no real input (only
 * possible when pad >= k). */
static long max_at(const double *plane, int h, int w, int k, int stride, int pad, int i, int j)
{
    long best = -1;
    for (int u = 0; u < k; u++)
        for (int v = 0; v < k; v++) {
            int yy = i * stride - pad + u, xx = j * stride - pad + v;
            if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue; /* padding never wins */
            long at = (long)yy * w + xx;
            if (best < 0 || plane[at] > plane[best]) best = at; /* strictly: ties keep the first */
        }
    return best;
}

void ref_maxpool_fwd(const double *x, int n, int c, int h, int w, int k, int stride, int pad,
                     double *y)
{
    int oh = pool_out_side(h, k, stride, pad), ow = pool_out_side(w, k, stride, pad);
    for (long p = 0; p < (long)n * c; p++) {
        const double *plane = x + p * h * w;
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++) {
                long at = max_at(plane, h, w, k, stride, pad, i, j);
                y[(p * oh + i) * ow + j] = at < 0 ? 0 : plane[at];
            }
    }
}

void ref_maxpool_bwd(const double *x, const double *dy, int n, int c, int h, int w, int k,
                     int stride, int pad, double *dx)
{
    int oh = pool_out_side(h, k, stride, pad), ow = pool_out_side(w, k, stride, pad);
    memset(dx, 0, sizeof *dx * (size_t)n * c * h * w);
    for (long p = 0; p < (long)n * c; p++)
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++) {
                long at = max_at(x + p * h * w, h, w, k, stride, pad, i, j);
                if (at >= 0) dx[p * h * w + at] += dy[(p * oh + i) * ow + j];
            }
}

void ref_gap_fwd(const double *x, int n, int c, int hw, double *y)
{
    for (long p = 0; p < (long)n * c; p++) {
        double acc = 0;
        for (int j = 0; j < hw; j++) acc += x[p * hw + j];
        y[p] = acc / hw;
    }
}

void ref_gap_bwd(const double *dy, int n, int c, int hw, double *dx)
{
    for (long p = 0; p < (long)n * c; p++)
        for (int j = 0; j < hw; j++) dx[p * hw + j] = dy[p] / hw;
}

void ref_act_fwd(int kind, double slope, const double *x, long len, double *y)
{
    for (long i = 0; i < len; i++) switch (kind) {
        case CNN_ACT_TANH: y[i] = tanh(x[i]); break;
        case CNN_ACT_SIGMOID: y[i] = 1 / (1 + exp(-x[i])); break;
        case CNN_ACT_LRELU: y[i] = x[i] > 0 ? x[i] : slope * x[i]; break;
        default: abort(); /* a caller's bug */
        }
}

void ref_act_bwd(int kind, double slope, const double *x, const double *dy, long len,
                 double *dx)
{
    for (long i = 0; i < len; i++) {
        double d;
        switch (kind) {
        case CNN_ACT_TANH: {
            double t = tanh(x[i]);
            d = 1 - t * t;
            break;
        }
        case CNN_ACT_SIGMOID: {
            double s = 1 / (1 + exp(-x[i]));
            d = s * (1 - s);
            break;
        }
        case CNN_ACT_LRELU: d = x[i] > 0 ? 1 : slope; break; /* slope at 0 */
        default: abort();
        }
        dx[i] = dy[i] * d;
    }
}

void ref_dropout_fwd(const double *x, const unsigned char *keep, double p, long len, double *y)
{
    for (long i = 0; i < len; i++) y[i] = keep[i] ? x[i] / (1 - p) : 0;
}

void ref_dropout_bwd(const double *dy, const unsigned char *keep, double p, long len,
                     double *dx)
{
    for (long i = 0; i < len; i++) dx[i] = keep[i] ? dy[i] / (1 - p) : 0;
}

/* Channel ch's batch mean and biased variance over its n*hw values. */
static void bn_stats(const double *x, int n, int c, int hw, int ch, double *mean, double *var)
{
    double m = (double)n * hw, s = 0, ss = 0;
    for (int smp = 0; smp < n; smp++)
        for (int j = 0; j < hw; j++) s += x[((long)smp * c + ch) * hw + j];
    *mean = s / m;
    for (int smp = 0; smp < n; smp++)
        for (int j = 0; j < hw; j++) {
            double d = x[((long)smp * c + ch) * hw + j] - *mean;
            ss += d * d;
        }
    *var = ss / m;
}

void ref_bn_fwd(const double *x, int n, int c, int hw, const double *gamma, const double *beta,
                double eps, double *y)
{
    for (int ch = 0; ch < c; ch++) {
        double mean, var;
        bn_stats(x, n, c, hw, ch, &mean, &var);
        double invstd = 1 / sqrt(var + eps);
        for (int smp = 0; smp < n; smp++)
            for (int j = 0; j < hw; j++) {
                long i = ((long)smp * c + ch) * hw + j;
                y[i] = gamma[ch] * (x[i] - mean) * invstd + beta[ch];
            }
    }
}

void ref_bn_bwd(const double *x, int n, int c, int hw, const double *gamma, double eps,
                const double *dy, double *dx, double *dgamma, double *dbeta)
{
    double m = (double)n * hw;
    for (int ch = 0; ch < c; ch++) {
        double mean, var;
        bn_stats(x, n, c, hw, ch, &mean, &var);
        double invstd = 1 / sqrt(var + eps), db = 0, dg = 0;
        for (int smp = 0; smp < n; smp++)
            for (int j = 0; j < hw; j++) {
                long i = ((long)smp * c + ch) * hw + j;
                db += dy[i];
                dg += dy[i] * (x[i] - mean) * invstd;
            }
        dbeta[ch] = db, dgamma[ch] = dg;
        for (int smp = 0; dx && smp < n; smp++) /* no dx: the net's first layer */
            for (int j = 0; j < hw; j++) {
                long i = ((long)smp * c + ch) * hw + j;
                double xhat = (x[i] - mean) * invstd;
                dx[i] = gamma[ch] * invstd / m * (m * dy[i] - db - xhat * dg);
            }
    }
}

void ref_relu_fwd(const double *x, long len, double *y)
{
    for (long i = 0; i < len; i++) y[i] = x[i] > 0 ? x[i] : 0;
}

void ref_relu_bwd(const double *x, const double *dy, long len, double *dx)
{
    for (long i = 0; i < len; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
}

void ref_fc_fwd(const double *x, int n, int f, const double *wt, const double *b, int o,
                double *y)
{
    for (int s = 0; s < n; s++)
        for (int r = 0; r < o; r++) {
            double acc = b[r];
            for (int i = 0; i < f; i++) acc += x[(long)s * f + i] * wt[(long)r * f + i];
            y[(long)s * o + r] = acc;
        }
}

void ref_fc_bwd(const double *x, int n, int f, const double *wt, int o, const double *dy,
                double *dx, double *dwt, double *db)
{
    if (dx) memset(dx, 0, sizeof *dx * (size_t)n * f);
    memset(dwt, 0, sizeof *dwt * (size_t)o * f);
    memset(db, 0, sizeof *db * (size_t)o);
    for (int s = 0; s < n; s++)
        for (int r = 0; r < o; r++) {
            double g = dy[(long)s * o + r];
            db[r] += g;
            for (int i = 0; i < f; i++) {
                dwt[(long)r * f + i] += g * x[(long)s * f + i];
                if (dx) dx[(long)s * f + i] += g * wt[(long)r * f + i];
            }
        }
}

double ref_softmax_xent(const double *scores, const int *labels, int n, int k, double *grad)
{
    double loss = 0;
    for (int s = 0; s < n; s++) {
        const double *z = scores + (long)s * k;
        double m = z[0], sum = 0;
        for (int j = 1; j < k; j++)
            if (z[j] > m) m = z[j];
        for (int j = 0; j < k; j++) sum += exp(z[j] - m); /* >= 1: log is finite */
        /* Everything relative to m: m + log(sum) would round log(sum) away
         * when |m| is huge (1e30 + log 2 == 1e30). */
        loss += log(sum) - (z[labels[s]] - m);
        if (grad)
            for (int j = 0; j < k; j++)
                grad[(long)s * k + j] = (exp(z[j] - m) / sum - (j == labels[s])) / n;
    }
    return loss / n;
}

double ref_euclid(const double *scores, const int *labels, int n, int k, double *grad)
{
    double loss = 0;
    for (int s = 0; s < n; s++)
        for (int j = 0; j < k; j++) {
            double d = scores[(long)s * k + j] - (j == labels[s]);
            loss += 0.5 * d * d;
            if (grad) grad[(long)s * k + j] = d / n;
        }
    return loss / n;
}

static long shape_len(shape3 s) { return (long)s.c * s.h * s.w; }

static ref_layer layer_at(const net_spec *spec, const ref_mode *mode, const double *params,
                          int i, int n)
{
    ref_layer r = {spec, &spec->layer[i], i, n, params + spec->layer[i].param_offset, mode};
    return r;
}

/* Forward through layers [0, upto), keeping every activation: act[0] is x
 * (borrowed), act[i + 1] the output of layer i (malloc'd). */
static void forward(const net_spec *spec, const ref_mode *mode, const double *params,
                    const double *x, int n, int upto, double **act)
{
    act[0] = (double *)x;
    for (int i = 0; i < upto; i++) {
        ref_layer r = layer_at(spec, mode, params, i, n);
        act[i + 1] = malloc(sizeof(double) * (size_t)n * shape_len(r.l->out_shape));
        layer_def_of(r.l->kind)->ref_forward(&r, act[i], act[i + 1]);
    }
}

static void free_acts(double **act, int count)
{
    for (int i = 1; i <= count; i++) free(act[i]);
}

/* The index of the loss layer (the last one). */
static int loss_layer(const net_spec *spec) { return spec->n_layers - 1; }

/* From g, the gradient of the loss with respect to act[nl], back through
 * every layer: the parameters' gradients into dp, the input's into dx. */
static void backward(const net_spec *spec, const ref_mode *mode, const double *params,
                     double **act, int n, double *g, double *dp, double *dx)
{
    memset(dp, 0, sizeof *dp * (size_t)spec->n_params); /* most layers have none */
    for (int i = loss_layer(spec) - 1; i >= 0; i--) {
        ref_layer r = layer_at(spec, mode, params, i, n);
        /* layer 0 writes straight into dx (may be NULL) */
        double *gin = i == 0 ? dx : malloc(sizeof(double) * (size_t)n * shape_len(r.l->in));
        layer_def_of(r.l->kind)->ref_backward(&r, act[i], act[i + 1], g, gin,
                                              dp + r.l->param_offset);
        free(g);
        g = gin;
    }
}

double ref_net_loss_in(const net_spec *spec, const ref_mode *mode, const double *params,
                       const double *x, const int *labels, int n, double *dparams, double *dx)
{
    int nl = loss_layer(spec);
    double *act[NET_MAX_LAYERS + 1];
    forward(spec, mode, params, x, n, nl, act);
    int k = (int)shape_len(spec->layer[nl].in);
    int want_grad = dparams || dx;
    double *g = want_grad ? malloc(sizeof *g * (size_t)n * k) : NULL;
    double loss = spec->layer[nl].kind == LAYER_EUCLID ? ref_euclid(act[nl], labels, n, k, g)
                                                       : ref_softmax_xent(act[nl], labels, n, k, g);
    if (want_grad) {
        double *scratch = dparams ? NULL : malloc(sizeof(double) * (size_t)spec->n_params);
        backward(spec, mode, params, act, n, g, dparams ? dparams : scratch, dx);
        free(scratch);
    }
    free_acts(act, nl);
    return loss;
}

void ref_net_scores_in(const net_spec *spec, const ref_mode *mode, const double *params,
                       const double *x, int n, double *scores)
{
    /* The scores are the loss layer's input. */
    int last = loss_layer(spec);
    double *act[NET_MAX_LAYERS + 1];
    forward(spec, mode, params, x, n, last, act);
    memcpy(scores, act[last], sizeof *scores * (size_t)n * spec->classes);
    free_acts(act, last);
}

static const ref_mode training = {1, 0, 0, NULL};

double ref_net_loss(const net_spec *spec, const double *params, const double *x,
                    const int *labels, int n, double *dparams, double *dx)
{
    return ref_net_loss_in(spec, &training, params, x, labels, n, dparams, dx);
}

void ref_net_scores(const net_spec *spec, const double *params, const double *x, int n,
                    double *scores)
{
    ref_net_scores_in(spec, &training, params, x, n, scores);
}
