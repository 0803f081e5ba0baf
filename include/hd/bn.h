/* Batch normalization's per-element pieces, for both backends (see
 * hd/qualifier.h). The per-channel sums around them differ by backend (a fixed
 * sequential order on the CPU, a fixed tree on the GPU); everything done
 * per element or per channel after the sums is here, once.
 *
 * x is laid out outer x ch x inner: a conv output is 1 x C x (N*H*W), an fc
 * output N x F x 1 (cnn_channel_elem and cnn_channel_of in hd/index.h
 * address it). Channel c holds m = outer * inner values. */
#ifndef CNN_BN_H
#define CNN_BN_H

#include <math.h>

#include "hd/index.h"

CNN_HD float cnn_bn_invstd(float var, float eps) { return 1.0f / sqrtf(var + eps); }

/* x normalized: xhat = (x - mean) * invstd. */
CNN_HD float cnn_bn_norm(float x, float mean, float invstd) { return (x - mean) * invstd; }

/* y = gamma * xhat + beta. */
CNN_HD float cnn_bn_out(float x, float mean, float invstd, float gamma, float beta)
{
    return gamma * cnn_bn_norm(x, mean, invstd) + beta;
}

/* A running average after one step (PyTorch's momentum). */
CNN_HD float cnn_bn_run(float run, float batch, float momentum)
{
    return (1.0f - momentum) * run + momentum * batch;
}

/* The unbiased variance from the biased one over m values (as is for m = 1,
 * where there is no spread to correct). */
CNN_HD float cnn_bn_unbiased(float var, long m)
{
    return m > 1 ? var * ((float)m / (float)(m - 1)) : var;
}

/* Updates channel c's saved and running statistics from its batch mean and
 * biased variance. */
CNN_HD void cnn_bn_save(int c, float mean_c, float var_c, long m, float eps, float momentum,
                        float *mean, float *invstd, float *run_mean, float *run_var)
{
    mean[c] = mean_c;
    invstd[c] = cnn_bn_invstd(var_c, eps);
    run_mean[c] = cnn_bn_run(run_mean[c], mean_c, momentum);
    run_var[c] = cnn_bn_run(run_var[c], cnn_bn_unbiased(var_c, m), momentum);
}

/* dx of one element, from its channel's sums dgamma = sum dy * xhat and
 * dbeta = sum dy: gamma * invstd / m * (m * dy - dbeta - xhat * dgamma). */
CNN_HD float cnn_bn_dx(float dy, float xhat, float gamma, float invstd, long m, float dgamma,
                       float dbeta)
{
    float fm = (float)m;
    return gamma * invstd / fm * (fm * dy - dbeta - xhat * dgamma);
}

#endif
