// The GPU kernels of the layers beyond convolution and average pooling: max
// and global average pooling, activations, dropout and batch normalization.
// Thin loops around the per-element functions of hd/index.h, hd/act.h,
// hd/dropout.h and hd/bn.h, which the CPU tests check. Per-plane and
// per-channel sums take one block each with a fixed tree (block_sum): no
// atomics, the same bits on every run. Step counts and statistics stay in
// device memory, read and written by the kernels, so a captured step needs
// no host round trip.
#include "hd/act.h"
#include "hd/bn.h"
#include "hd/dropout.h"
#include "gpu_launch.cuh"

__global__ void maxpool_fwd_kernel(const float *x, cnn_window g, float *y, int *arg, long total)
{
    GRID_STRIDE(i, total) y[i] = cnn_maxpool_fwd_at(x, g, (int)i, arg + i);
}

__global__ void maxpool_bwd_kernel(const float *dy, const int *arg, cnn_window g, float *dx,
                                   long total)
{
    GRID_STRIDE(i, total) dx[i] = cnn_maxpool_bwd_at(dy, arg, g, (int)i);
}

// One block per plane.
__global__ void gap_fwd_kernel(const float *x, int size, float *y)
{
    const float *xp = x + (long)blockIdx.x * size;
    float sum = 0.0f;
    BLOCK_STRIDE(j, size) sum += xp[j];
    sum = block_sum(sum);
    if (threadIdx.x == 0) y[blockIdx.x] = sum / (float)size;
}

__global__ void gap_bwd_kernel(const float *dy, int size, float *dx, long n)
{
    GRID_STRIDE(i, n) dx[i] = cnn_gap_bwd_at(dy, size, i);
}

__global__ void act_fwd_kernel(int kind, float slope, const float *x, float *y, long n)
{
    GRID_STRIDE(i, n) y[i] = cnn_act_fwd(kind, slope, x[i]);
}

__global__ void act_bwd_kernel(int kind, float slope, const float *x, const float *y,
                               const float *dy, float *dx, long n)
{
    GRID_STRIDE(i, n) dx[i] = dy[i] * cnn_act_grad(kind, slope, x[i], y[i]);
}

__global__ void dropout_kernel(const float *x, float *y, long n, float p, unsigned long long seed,
                               const unsigned long long *step, int salt)
{
    unsigned long long s = *step;
    GRID_STRIDE(i, n) y[i] = cnn_dropout_at(x[i], seed, s, salt, (unsigned long long)i, p);
}

__global__ void count_step_kernel(unsigned long long *step) { *step += 1; }

// One block per channel: the mean, then the biased variance about it (two
// passes: no cancellation); thread 0 saves them and moves the running ones.
__global__ void bn_stats_kernel(const float *x, int ch, int inner, long m, float eps,
                                float momentum, float *mean, float *invstd, float *run_mean,
                                float *run_var)
{
    int c = blockIdx.x;
    float sum = 0.0f, sq = 0.0f;
    BLOCK_STRIDE(j, m) sum += x[cnn_channel_elem(c, j, ch, inner)];
    float mu = block_sum(sum) / (float)m;
    BLOCK_STRIDE(j, m) {
        float d = x[cnn_channel_elem(c, j, ch, inner)] - mu;
        sq += d * d;
    }
    float var = block_sum(sq) / (float)m;
    if (threadIdx.x == 0)
        cnn_bn_save(c, mu, var, m, eps, momentum, mean, invstd, run_mean, run_var);
}

// y = gamma * (x - mean) * invstd + beta; in evaluation (invstd NULL) the
// invstd comes from the running variance `var`.
__global__ void bn_apply_kernel(const float *x, int ch, int inner, const float *mean,
                                const float *invstd, const float *var, float eps,
                                const float *gamma, const float *beta, float *y, long n)
{
    GRID_STRIDE(i, n) {
        int c = cnn_channel_of(i, ch, inner);
        float is = invstd ? invstd[c] : cnn_bn_invstd(var[c], eps);
        y[i] = cnn_bn_out(x[i], mean[c], is, gamma[c], beta[c]);
    }
}

// One block per channel: dgamma = sum dy * xhat and dbeta = sum dy.
__global__ void bn_bwd_sums_kernel(const float *x, const float *dy, int ch, int inner, long m,
                                   const float *mean, const float *invstd, float *dgamma,
                                   float *dbeta)
{
    int c = blockIdx.x;
    float dg = 0.0f, db = 0.0f;
    BLOCK_STRIDE(j, m) {
        long i = cnn_channel_elem(c, j, ch, inner);
        dg += dy[i] * cnn_bn_norm(x[i], mean[c], invstd[c]);
        db += dy[i];
    }
    dg = block_sum(dg);
    db = block_sum(db);
    if (threadIdx.x == 0) {
        dgamma[c] = dg;
        dbeta[c] = db;
    }
}

__global__ void bn_dx_kernel(const float *x, const float *dy, int ch, int inner, long m,
                             const float *gamma, const float *mean, const float *invstd,
                             const float *dgamma, const float *dbeta, float *dx, long n)
{
    GRID_STRIDE(i, n) {
        int c = cnn_channel_of(i, ch, inner);
        float xhat = cnn_bn_norm(x[i], mean[c], invstd[c]);
        dx[i] = cnn_bn_dx(dy[i], xhat, gamma[c], invstd[c], m, dgamma[c], dbeta[c]);
    }
}

void gpu_maxpool_fwd(const float *x, cnn_window g, float *y, int *arg)
{
    long total = (long)g.c * g.n * g.oh * g.ow;
    LAUNCH(maxpool_fwd_kernel, total, x, g, y, arg, total);
}

void gpu_maxpool_bwd(const float *dy, const int *arg, cnn_window g, float *dx)
{
    long total = (long)g.c * g.n * g.h * g.w;
    LAUNCH(maxpool_bwd_kernel, total, dy, arg, g, dx, total);
}

void gpu_gap_fwd(const float *x, long planes, int size, float *y)
{
    LAUNCH_PER_BLOCK(gap_fwd_kernel, planes, x, size, y);
}

void gpu_gap_bwd(const float *dy, long planes, int size, float *dx)
{
    long n = planes * size;
    LAUNCH(gap_bwd_kernel, n, dy, size, dx, n);
}

void gpu_act_fwd(int kind, float slope, const float *x, float *y, long n)
{
    LAUNCH(act_fwd_kernel, n, kind, slope, x, y, n);
}

void gpu_act_bwd(int kind, float slope, const float *x, const float *y, const float *dy,
                 float *dx, long n)
{
    LAUNCH(act_bwd_kernel, n, kind, slope, x, y, dy, dx, n);
}

void gpu_dropout_fwd(const float *x, float *y, long n, float p, unsigned long long seed,
                     const unsigned long long *step, int salt)
{
    LAUNCH(dropout_kernel, n, x, y, n, p, seed, step, salt);
}

// The same map as forward, dy to dx: the mask is recomputed from the same
// seed, step and salt.
void gpu_dropout_bwd(const float *dy, float *dx, long n, float p, unsigned long long seed,
                     const unsigned long long *step, int salt)
{
    LAUNCH(dropout_kernel, n, dy, dx, n, p, seed, step, salt);
}

void gpu_count_step(unsigned long long *step)
{
    count_step_kernel<<<1, 1, 0, gpu_stream>>>(step);
    LAUNCH_CHECK(count_step_kernel);
}

void gpu_bn_fwd_train(const float *x, int outer, int ch, int inner, const float *gamma,
                      const float *beta, float eps, float momentum, float *mean, float *invstd,
                      float *run_mean, float *run_var, float *y)
{
    long m = (long)outer * inner, n = m * ch;
    if (m <= 0) return;
    LAUNCH_PER_BLOCK(bn_stats_kernel, ch, x, ch, inner, m, eps, momentum, mean, invstd, run_mean,
                     run_var);
    LAUNCH(bn_apply_kernel, n, x, ch, inner, mean, invstd, (const float *)NULL, eps, gamma, beta,
           y, n);
}

void gpu_bn_fwd_eval(const float *x, int outer, int ch, int inner, const float *gamma,
                     const float *beta, float eps, const float *run_mean, const float *run_var,
                     float *y)
{
    long n = (long)outer * ch * inner;
    LAUNCH(bn_apply_kernel, n, x, ch, inner, run_mean, (const float *)NULL, run_var, eps, gamma,
           beta, y, n);
}

void gpu_bn_bwd(const float *x, const float *dy, int outer, int ch, int inner,
                const float *gamma, const float *mean, const float *invstd, float *dgamma,
                float *dbeta, float *dx)
{
    long m = (long)outer * inner, n = m * ch;
    if (m <= 0) return;
    LAUNCH_PER_BLOCK(bn_bwd_sums_kernel, ch, x, dy, ch, inner, m, mean, invstd, dgamma, dbeta);
    if (dx) // none for the net's first layer
        LAUNCH(bn_dx_kernel, n, x, dy, ch, inner, m, gamma, mean, invstd, dgamma, dbeta, dx, n);
}
