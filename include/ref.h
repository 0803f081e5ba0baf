/* The double-precision reference: deliberately naive and independent of the
 * fast backends (direct convolution loops, no im2col, no BLAS, tensors laid
 * out N x C x H x W per sample). It is the ground truth the gradient checks
 * and the backend comparisons are measured against. */
#ifndef CNN_REF_H
#define CNN_REF_H

#include "netspec.h"

/* Convolution. x: n x c x h x w; wt: oc x c x k x k; b: oc; y: n x oc x oh x ow. */
void ref_conv_fwd(const double *x, int n, int c, int h, int w, const double *wt,
                  const double *b, int oc, int k, int stride, int pad, double *y);
/* Gradients for dy (n x oc x oh x ow); dx, dwt, db are overwritten; dx may be NULL. */
void ref_conv_bwd(const double *x, int n, int c, int h, int w, const double *wt, int oc,
                  int k, int stride, int pad, const double *dy, double *dx, double *dwt,
                  double *db);

/* Pooling output sides are rounded up as in Caffe and PyTorch's ceil_mode
 * (see cnn_pool_out_side in cnn_index.h; the reference computes them itself).
 * Average pooling: zero padding counts, the divisor is the window's cells
 * inside the padded input (Caffe: k*k unless it hangs past the padding). */
void ref_pool_fwd(const double *x, int n, int c, int h, int w, int k, int stride, int pad,
                  double *y);
void ref_pool_bwd(const double *dy, int n, int c, int h, int w, int k, int stride, int pad,
                  double *dx);

/* Max pooling: padding never wins; the first largest in window order (row
 * by row) takes the gradient. bwd needs the forward's input x. */
void ref_maxpool_fwd(const double *x, int n, int c, int h, int w, int k, int stride, int pad,
                     double *y);
void ref_maxpool_bwd(const double *x, const double *dy, int n, int c, int h, int w, int k,
                     int stride, int pad, double *dx);

/* Global average pooling: x n x c x hw -> y n x c. */
void ref_gap_fwd(const double *x, int n, int c, int hw, double *y);
void ref_gap_bwd(const double *dy, int n, int c, int hw, double *dx);

/* tanh, sigmoid, leaky ReLU (kind CNN_ACT_* of cnn_act.h; slope for lrelu). */
void ref_act_fwd(int kind, double slope, const double *x, long len, double *y);
void ref_act_bwd(int kind, double slope, const double *x, const double *dy, long len,
                 double *dx);

/* Dropout with a given mask: y = keep[i] ? x / (1 - p) : 0; bwd likewise. */
void ref_dropout_fwd(const double *x, const unsigned char *keep, double p, long len, double *y);
void ref_dropout_bwd(const double *dy, const unsigned char *keep, double p, long len,
                     double *dx);

/* Batch normalization in training mode: x n x c x hw (hw = 1 after an fc),
 * statistics per channel over the n*hw values, biased variance;
 * y = gamma * (x - mean) / sqrt(var + eps) + beta. bwd overwrites dx,
 * dgamma and dbeta; dx may be NULL. */
void ref_bn_fwd(const double *x, int n, int c, int hw, const double *gamma, const double *beta,
                double eps, double *y);
void ref_bn_bwd(const double *x, int n, int c, int hw, const double *gamma, double eps,
                const double *dy, double *dx, double *dgamma, double *dbeta);

void ref_relu_fwd(const double *x, long len, double *y);
void ref_relu_bwd(const double *x, const double *dy, long len, double *dx);

/* Fully connected: x n x f, wt o x f, b o, y n x o. */
void ref_fc_fwd(const double *x, int n, int f, const double *wt, const double *b, int o,
                double *y);
void ref_fc_bwd(const double *x, int n, int f, const double *wt, int o, const double *dy,
                double *dx, double *dwt, double *db);

/* Mean loss over n rows of k scores; grad (may be NULL) gets its gradient. */
double ref_softmax_xent(const double *scores, const int *labels, int n, int k, double *grad);
double ref_euclid(const double *scores, const int *labels, int n, int k, double *grad);

/* How the reference net runs: training (batch statistics, dropout masks
 * keyed as the backends key them) or evaluation (running statistics from
 * state, dropout the identity). */
typedef struct ref_mode {
    int training;
    unsigned long long seed, step; /* dropout's keys (cnn_dropout.h) */
    const double *state;           /* evaluation: the spec's n_state running values */
} ref_mode;

/* The whole net: mean loss of n samples x (n x in.c x in.h x in.w) with
 * labels, and where not NULL the gradient with respect to every parameter
 * (params and dparams laid out as spec->layer[i].param_offset says: weights
 * then bias) and to the input. */
double ref_net_loss(const net_spec *spec, const double *params, const double *x,
                    const int *labels, int n, double *dparams, double *dx);

/* The scores (n x classes) of the last fc for x. */
void ref_net_scores(const net_spec *spec, const double *params, const double *x, int n,
                    double *scores);

/* The same in a given mode (the two above train with seed and step 0). */
double ref_net_loss_in(const net_spec *spec, const ref_mode *mode, const double *params,
                       const double *x, const int *labels, int n, double *dparams, double *dx);
void ref_net_scores_in(const net_spec *spec, const ref_mode *mode, const double *params,
                       const double *x, int n, double *scores);

#endif
