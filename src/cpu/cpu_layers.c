/* The CPU backend's ops for the layers beyond convolution and average
 * pooling: global average pooling, activations, dropout and batch
 * normalization (max pooling lives with average pooling, in cpu_pool.c).
 * Per element they call the functions of hd/act.h, hd/dropout.h and
 * hd/bn.h, the GPU kernels' bodies. Sums run in double in a fixed order,
 * one channel or plane per thread, so the results are the same bits on any
 * thread count (the count follows the machine's load, see cpu_ops.c). */
#include "hd/act.h"
#include "hd/bn.h"
#include "hd/dropout.h"
#include "cpu_kernels.h"

void cpu_gap_fwd(const float *x, long planes, int size, float *y)
{
#pragma omp parallel for schedule(static) if (planes * size > PAR_MIN)
    for (long p = 0; p < planes; p++) {
        const float *xp = x + p * size;
        double sum = 0.0;
        for (int j = 0; j < size; j++) sum += xp[j];
        y[p] = (float)(sum / size);
    }
}

void cpu_gap_bwd(const float *dy, long planes, int size, float *dx)
{
    long n = planes * size;
#pragma omp parallel for schedule(static) if (n > PAR_MIN)
    for (long i = 0; i < n; i++) dx[i] = cnn_gap_bwd_at(dy, size, i);
}

void cpu_act_fwd(int kind, float slope, const float *x, float *y, long n)
{
#pragma omp parallel for schedule(static) if (n > PAR_MIN)
    for (long i = 0; i < n; i++) y[i] = cnn_act_fwd(kind, slope, x[i]);
}

void cpu_act_bwd(int kind, float slope, const float *x, const float *y, const float *dy,
                 float *dx, long n)
{
#pragma omp parallel for schedule(static) if (n > PAR_MIN)
    for (long i = 0; i < n; i++) dx[i] = dy[i] * cnn_act_grad(kind, slope, x[i], y[i]);
}

void cpu_dropout_fwd(const float *x, float *y, long n, float p, unsigned long long seed,
                     const unsigned long long *step, int salt)
{
    unsigned long long s = *step;
#pragma omp parallel for schedule(static) if (n > PAR_MIN)
    for (long i = 0; i < n; i++)
        y[i] = cnn_dropout_at(x[i], seed, s, salt, (unsigned long long)i, p);
}

/* The same map as forward, dy to dx: it recomputes forward's mask from the
 * same seed, step and salt. */
void cpu_dropout_bwd(const float *dy, float *dx, long n, float p, unsigned long long seed,
                     const unsigned long long *step, int salt)
{
    cpu_dropout_fwd(dy, dx, n, p, seed, step, salt);
}

void cpu_count_step(unsigned long long *step) { *step += 1; }

/* Row o of channel c: its inner contiguous values. */
static const float *channel_row(const float *x, int o, int ch, int c, int inner)
{
    return x + ((long)o * ch + c) * inner;
}

/* Channel c's mean and biased variance, in double: two passes (the variance
 * about the mean, no cancellation), each in the order outer, then inner. */
static void channel_stats(const float *x, int outer, int ch, int inner, int c, double *mean,
                          double *var)
{
    double m = (double)outer * inner, sum = 0.0, sq = 0.0;
    for (int o = 0; o < outer; o++) {
        const float *row = channel_row(x, o, ch, c, inner);
        for (int i = 0; i < inner; i++) sum += row[i];
    }
    *mean = sum / m;
    for (int o = 0; o < outer; o++) {
        const float *row = channel_row(x, o, ch, c, inner);
        for (int i = 0; i < inner; i++) sq += (row[i] - *mean) * (row[i] - *mean);
    }
    *var = sq / m;
}

/* y = gamma * (x - mean) * invstd + beta over channel c. */
static void channel_apply(const float *x, int outer, int ch, int inner, int c, float mean,
                          float invstd, float gamma, float beta, float *y)
{
    for (int o = 0; o < outer; o++) {
        const float *row = channel_row(x, o, ch, c, inner);
        float *out = y + (row - x);
        for (int i = 0; i < inner; i++) out[i] = cnn_bn_out(row[i], mean, invstd, gamma, beta);
    }
}

void cpu_bn_fwd_train(const float *x, int outer, int ch, int inner, const float *gamma,
                      const float *beta, float eps, float momentum, float *mean, float *invstd,
                      float *run_mean, float *run_var, float *y)
{
    long m = (long)outer * inner;
#pragma omp parallel for schedule(static) if (m * ch > PAR_MIN)
    for (int c = 0; c < ch; c++) {
        double mu, var;
        channel_stats(x, outer, ch, inner, c, &mu, &var);
        cnn_bn_save(c, (float)mu, (float)var, m, eps, momentum, mean, invstd, run_mean, run_var);
        channel_apply(x, outer, ch, inner, c, mean[c], invstd[c], gamma[c], beta[c], y);
    }
}

void cpu_bn_fwd_eval(const float *x, int outer, int ch, int inner, const float *gamma,
                     const float *beta, float eps, const float *run_mean, const float *run_var,
                     float *y)
{
#pragma omp parallel for schedule(static) if ((long)outer * inner * ch > PAR_MIN)
    for (int c = 0; c < ch; c++)
        channel_apply(x, outer, ch, inner, c, run_mean[c], cnn_bn_invstd(run_var[c], eps),
                      gamma[c], beta[c], y);
}

/* Channel c's dgamma = sum dy * xhat and dbeta = sum dy (in double, outer
 * then inner), then its dx. */
static void channel_bwd(const float *x, const float *dy, int outer, int ch, int inner, int c,
                        float gamma, float mean, float invstd, float *dgamma, float *dbeta,
                        float *dx)
{
    double dg = 0.0, db = 0.0;
    for (int o = 0; o < outer; o++) {
        const float *row = channel_row(x, o, ch, c, inner), *drow = dy + (row - x);
        for (int i = 0; i < inner; i++) {
            dg += (double)drow[i] * cnn_bn_norm(row[i], mean, invstd);
            db += drow[i];
        }
    }
    dgamma[c] = (float)dg;
    dbeta[c] = (float)db;
    long m = (long)outer * inner;
    for (int o = 0; dx && o < outer; o++) { /* no dx: the net's first layer */
        const float *row = channel_row(x, o, ch, c, inner), *drow = dy + (row - x);
        float *out = dx + (row - x);
        for (int i = 0; i < inner; i++)
            out[i] = cnn_bn_dx(drow[i], cnn_bn_norm(row[i], mean, invstd), gamma, invstd, m,
                               dgamma[c], dbeta[c]);
    }
}

void cpu_bn_bwd(const float *x, const float *dy, int outer, int ch, int inner,
                const float *gamma, const float *mean, const float *invstd, float *dgamma,
                float *dbeta, float *dx)
{
#pragma omp parallel for schedule(static) if ((long)outer * inner * ch > PAR_MIN)
    for (int c = 0; c < ch; c++)
        channel_bwd(x, dy, outer, ch, inner, c, gamma[c], mean[c], invstd[c], dgamma, dbeta, dx);
}
