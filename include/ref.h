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

/* Average pooling with zero padding counted in the k*k divisor. */
void ref_pool_fwd(const double *x, int n, int c, int h, int w, int k, int stride, int pad,
                  double *y);
void ref_pool_bwd(const double *dy, int n, int c, int h, int w, int k, int stride, int pad,
                  double *dx);

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

/* The whole net: mean loss of n samples x (n x in.c x in.h x in.w) with
 * labels, and where not NULL the gradient with respect to every parameter
 * (params and dparams laid out as spec->layer[i].param_offset says: weights
 * then bias) and to the input. */
double ref_net_loss(const net_spec *spec, const double *params, const double *x,
                    const int *labels, int n, double *dparams, double *dx);

/* The scores (n x classes) of the last fc for x. */
void ref_net_scores(const net_spec *spec, const double *params, const double *x, int n,
                    double *scores);

#endif
