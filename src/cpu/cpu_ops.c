/* The CPU backend: the ops table on host memory, OpenBLAS for the matrix
 * products and OpenMP across the cores for the rest. Loops are written
 * row by row so the inner loops run over contiguous memory; the tests check
 * them element by element against the shared index functions of
 * hd/index.h, which the GPU kernels use directly. */
#include "cpu_backend.h"
#include "cpu_kernels.h"
#include "cpu_threads.h"
#include "clock.h"
#include "oom_hint.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *cpu_alloc(size_t bytes, const char *what)
{
    size_t rounded = (bytes + 63) / 64 * 64;
    void *p = aligned_alloc(64, rounded ? rounded : 64);
    if (!p) oom_fail(what, (double)bytes);
    return p;
}

static void cpu_free(void *p) { free(p); }
static void cpu_copy(void *dst, const void *src, size_t bytes) { memcpy(dst, src, bytes); }
static void cpu_zero(void *p, size_t bytes) { memset(p, 0, bytes); }
static void cpu_sync(void) {}

static void sgemm_block(int ta, int tb, int m, int n, int k, float alpha, const float *a,
                        int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/* Products below this many multiply-adds run on one thread; the others are
 * cut into at most GEMM_PIECES pieces of at least GEMM_PIECE_MIN rows or
 * columns of C, or of the inner dimension, by their shape alone. */
#define GEMM_PAR_MIN 2e5
#define GEMM_PIECES 8
#define GEMM_PIECE_MIN 64

static int gemm_pieces(int len)
{
    int pieces = len / GEMM_PIECE_MIN;
    return pieces > GEMM_PIECES ? GEMM_PIECES : pieces;
}

/* C's rows or columns [lo, hi) of the product. */
static void sgemm_band(int by_cols, int lo, int hi, int ta, int tb, int m, int n, int k,
                       float alpha, const float *a, int lda, const float *b, int ldb,
                       float beta, float *c)
{
    if (by_cols)
        sgemm_block(ta, tb, m, hi - lo, k, alpha, a, lda, b + (tb ? (long)lo * k : lo), ldb,
                    beta, c + lo, n);
    else
        sgemm_block(ta, tb, hi - lo, n, k, alpha, a + (ta ? lo : (long)lo * k), lda, b, ldb,
                    beta, c + (long)lo * n, n);
}

/* C small, inner dimension long (a weight gradient): the product over each
 * of `slices` slices of k, the first into C, the others apart and then
 * added in order. The slices depend on k alone, not on the thread count. */
static void sgemm_sliced(int slices, int ta, int tb, int m, int n, int k, float alpha,
                         const float *a, int lda, const float *b, int ldb, float beta, float *c)
{
    size_t mn = (size_t)m * n;
    float *part = malloc(sizeof(float) * mn * (slices - 1));
    if (!part) oom_fail("a product's partial sums", (double)sizeof(float) * mn * (slices - 1));
#pragma omp parallel for schedule(static)
    for (int s = 0; s < slices; s++) {
        int lo = (int)((long)k * s / slices), hi = (int)((long)k * (s + 1) / slices);
        const float *as = a + (ta ? (long)lo * m : lo), *bs = b + (tb ? lo : (long)lo * n);
        if (s == 0)
            sgemm_block(ta, tb, m, n, hi - lo, alpha, as, lda, bs, ldb, beta, c, n);
        else
            sgemm_block(ta, tb, m, n, hi - lo, alpha, as, lda, bs, ldb, 0.0f,
                        part + (size_t)(s - 1) * mn, n);
    }
    for (int s = 1; s < slices; s++)
        for (size_t i = 0; i < mn; i++) c[i] += part[(size_t)(s - 1) * mn + i];
    free(part);
}

/* OpenBLAS runs single-threaded here (its own threads fight OpenMP's for two
 * cores and spend more time spinning than computing); the product is split
 * across the OpenMP threads instead: in bands of C's rows or columns when
 * either is wide, otherwise in slices of the inner dimension summed in
 * order. The pieces depend on the shape alone, never on the thread count
 * (OpenBLAS's sums for an element change with the width of the block it is
 * computed in), so the result has the same bits on any number of threads. */
void cpu_gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, const float *b,
              float beta, float *c)
{
    cpu_blas_single_threaded();
    int lda = ta ? m : k, ldb = tb ? k : n;
    int by_cols = n >= m, bands = gemm_pieces(by_cols ? n : m), slices = gemm_pieces(k);
    if ((double)m * n * k < GEMM_PAR_MIN || (bands < 2 && slices < 2)) {
        sgemm_block(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, n);
        return;
    }
    if (bands < 2) {
        sgemm_sliced(slices, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c);
        return;
    }
    int len = by_cols ? n : m;
#pragma omp parallel for schedule(static)
    for (int p = 0; p < bands; p++)
        sgemm_band(by_cols, (int)((long)len * p / bands), (int)((long)len * (p + 1) / bands), ta,
                   tb, m, n, k, alpha, a, lda, b, ldb, beta, c);
}

/* The output columns ox whose input column ox*stride - pad + kx lies inside
 * [0, w): [lo, hi). */
static void valid_range(int kx, int stride, int pad, int w, int ow, int *lo, int *hi)
{
    int first = pad - kx;                    /* need ox*stride >= pad - kx */
    int a = first <= 0 ? 0 : (first + stride - 1) / stride;
    int last = w - 1 + pad - kx;             /* need ox*stride <= w-1+pad-kx */
    int b = last < 0 ? 0 : last / stride + 1;
    *lo = a < ow ? a : ow;
    *hi = b < ow ? b : ow;
    if (*hi < *lo) *hi = *lo;
}

/* Row r of the Feature Matrix for samples [n0, n0 + count): count*oh*ow
 * entries from dst on. */
static void im2col_row(const float *x, cnn_window g, int r, int n0, int count, float *dst)
{
    int kx = r % g.k, ky = (r / g.k) % g.k, c = r / (g.k * g.k);
    int lo, hi;
    valid_range(kx, g.stride, g.pad, g.w, g.ow, &lo, &hi);
    for (int n = n0; n < n0 + count; n++) {
        const float *plane = x + ((long)c * g.n + n) * g.h * g.w;
        for (int oy = 0; oy < g.oh; oy++, dst += g.ow) {
            int iy = cnn_in_coord(oy, ky, g.stride, g.pad);
            if (iy < 0 || iy >= g.h) {
                memset(dst, 0, sizeof(float) * g.ow);
                continue;
            }
            const float *src = plane + iy * g.w + cnn_in_coord(0, kx, g.stride, g.pad);
            for (int ox = 0; ox < lo; ox++) dst[ox] = 0.0f;
            if (g.stride == 1) /* the common case: a contiguous run */
                memcpy(dst + lo, src + lo, sizeof(float) * (hi - lo));
            else
                for (int ox = lo; ox < hi; ox++) dst[ox] = src[ox * g.stride];
            for (int ox = hi; ox < g.ow; ox++) dst[ox] = 0.0f;
        }
    }
}

void cpu_im2col(const float *x, cnn_window g, float *cols)
{
    int rows = cnn_cols_rows(g);
    long ncols = (long)cnn_cols_cols(g);
#pragma omp parallel for schedule(static) if (rows * ncols > PAR_MIN)
    for (int r = 0; r < rows; r++) im2col_row(x, g, r, 0, g.n, cols + r * ncols);
}

/* Adds channel c's rows of a Feature Matrix for samples [n0, n0 + count)
 * back into those samples' planes of x, which it first clears. */
static void col2im_channel(const float *cols, cnn_window g, int c, int n0, int count, float *x)
{
    long ncols = (long)count * g.oh * g.ow, plane_size = (long)g.h * g.w;
    float *xc = x + ((long)c * g.n + n0) * plane_size;
    memset(xc, 0, sizeof(float) * count * plane_size);
    for (int ky = 0; ky < g.k; ky++)
        for (int kx = 0; kx < g.k; kx++) {
            int lo, hi;
            valid_range(kx, g.stride, g.pad, g.w, g.ow, &lo, &hi);
            const float *src = cols + ((long)(c * g.k + ky) * g.k + kx) * ncols;
            for (int n = 0; n < count; n++)
                for (int oy = 0; oy < g.oh; oy++, src += g.ow) {
                    int iy = cnn_in_coord(oy, ky, g.stride, g.pad);
                    if (iy < 0 || iy >= g.h) continue;
                    float *dst = xc + n * plane_size + iy * g.w +
                                 cnn_in_coord(0, kx, g.stride, g.pad);
                    if (g.stride == 1)
                        for (int ox = lo; ox < hi; ox++) dst[ox] += src[ox];
                    else
                        for (int ox = lo; ox < hi; ox++) dst[ox * g.stride] += src[ox];
                }
        }
}

/* Each channel's rows add into that channel's planes only, so the channels
 * run in parallel without sharing a write: deterministic, as the GPU gather. */
void cpu_col2im(const float *cols, cnn_window g, float *x)
{
#pragma omp parallel for schedule(static) if ((long)g.c * g.k * g.k * cnn_cols_cols(g) > PAR_MIN)
    for (int c = 0; c < g.c; c++) col2im_channel(cols, g, c, 0, g.n, x);
}

/* The whole convolution. Stride 1 goes to the direct kernels of
 * cpu_conv.c (2-3x faster: no Feature Matrix to write and read back);
 * other strides are lowered a few samples at a time: a chunk's Feature
 * Matrix (up to 128 KB, or one sample's) stays in cache between im2col and
 * the gemm that reads it, and the threads work on chunks of their own with
 * one synchronisation per layer instead of one per op. Lowering the whole
 * batch at once (what the GPU does) made a 3.9 MB matrix at batch 50 and a
 * 320 MB one for 32/64 channels at batch 512. Chunks of 32 KB to 256 KB
 * timed alike for seed-cnn (within the noise); 1 MB and 2 MB were 2x and 3x
 * slower in backward. */
static int chunk_samples(cnn_window g)
{
    long bytes = (long)cnn_cols_rows(g) * g.oh * g.ow * sizeof(float);
    long n = (128L << 10) / (bytes ? bytes : 1);
    return n < 1 ? 1 : n > g.n ? g.n : (int)n;
}

static float *scratch_floats(long n)
{
    float *p = malloc(sizeof(float) * (n ? n : 1));
    if (!p) oom_fail("convolution scratch", n * 4.0);
    return p;
}

void cpu_conv_fwd(const float *x, cnn_window g, const float *w, const float *b, int cout,
                  float *y)
{
    if (conv_direct_fits(g)) {
        conv_direct_fwd(x, g, w, b, cout, y);
        return;
    }
    int rows = cnn_cols_rows(g), chunk = chunk_samples(g), ohw = g.oh * g.ow;
    int chunks = (g.n + chunk - 1) / chunk;
    long ldy = (long)g.n * ohw;
    cpu_blas_single_threaded();
#pragma omp parallel if (chunks > 1)
    {
        float *cols = scratch_floats((long)rows * chunk * ohw);
#pragma omp for schedule(static)
        for (int ci = 0; ci < chunks; ci++) {
            int n0 = ci * chunk, count = g.n - n0 < chunk ? g.n - n0 : chunk;
            int width = count * ohw;
            for (int r = 0; r < rows; r++) im2col_row(x, g, r, n0, count, cols + (long)r * width);
            float *yc = y + (long)n0 * ohw;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, cout, width, rows, 1.0f, w,
                        rows, cols, width, 0.0f, yc, (int)ldy);
            for (int co = 0; co < cout; co++)
                for (int j = 0; j < width; j++) yc[co * ldy + j] += b[co];
        }
        free(cols);
    }
}

void cpu_conv_bwd(const float *x, cnn_window g, const float *w, int cout, const float *dy,
                  float *dw, float *db, float *dx)
{
    if (conv_direct_fits(g)) {
        conv_direct_bwd(x, g, w, cout, dy, dw, db, dx);
        return;
    }
    int rows = cnn_cols_rows(g), chunk = chunk_samples(g), ohw = g.oh * g.ow;
    int chunks = (g.n + chunk - 1) / chunk;
    int blocks = chunks < GRAD_BLOCKS ? chunks : GRAD_BLOCKS, used = blocks ? blocks : 1;
    long ldy = (long)g.n * ohw, nw = (long)cout * rows;
    /* the weight and bias gradients of each block of chunks apart, added in
     * block order afterwards (GRAD_BLOCKS) */
    float *parts = scratch_floats((nw + cout) * used);
    cpu_blas_single_threaded();
    memset(parts, 0, sizeof(float) * (nw + cout) * used);
#pragma omp parallel if (chunks > 1)
    {
        float *cols = scratch_floats((long)rows * chunk * ohw);
        float *dcols = dx ? scratch_floats((long)rows * chunk * ohw) : NULL;
#pragma omp for schedule(static)
        for (int blk = 0; blk < blocks; blk++) {
            float *pw = parts + (nw + cout) * blk, *pb = pw + nw;
            int first = (int)((long)chunks * blk / blocks);
            int end = (int)((long)chunks * (blk + 1) / blocks);
            for (int ci = first; ci < end; ci++) {
                int n0 = ci * chunk, count = g.n - n0 < chunk ? g.n - n0 : chunk;
                int width = count * ohw;
                const float *dyc = dy + (long)n0 * ohw;
                for (int r = 0; r < rows; r++)
                    im2col_row(x, g, r, n0, count, cols + (long)r * width);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, cout, rows, width, 1.0f,
                            dyc, (int)ldy, cols, width, 1.0f, pw, rows);
                for (int co = 0; co < cout; co++) {
                    float sum = 0.0f;
                    for (int j = 0; j < width; j++) sum += dyc[co * ldy + j];
                    pb[co] += sum;
                }
                if (dx) {
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, rows, width, cout, 1.0f,
                                w, rows, dyc, (int)ldy, 0.0f, dcols, width);
                    for (int c = 0; c < g.c; c++) col2im_channel(dcols, g, c, n0, count, dx);
                }
            }
        }
        free(cols);
        free(dcols);
    }
    for (long i = 0; i < nw + cout; i++) {
        float sum = 0.0f;
        for (int b = 0; b < used; b++) sum += parts[(nw + cout) * b + i];
        if (i < nw) dw[i] = sum;
        else db[i - nw] = sum;
    }
    free(parts);
}

void cpu_relu_fwd(const float *x, float *y, long n)
{
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
    for (long i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void cpu_relu_bwd(const float *y, const float *dy, float *dx, long n)
{
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
    for (long i = 0; i < n; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

void cpu_bias_add(float *y, const float *b, int outer, int ch, int inner)
{
#pragma omp parallel for collapse(2) schedule(static) if ((long)outer * ch * inner > PAR_MIN)
    for (int o = 0; o < outer; o++)
        for (int c = 0; c < ch; c++) {
            float *row = y + ((long)o * ch + c) * inner;
            float v = b[c];
            for (int i = 0; i < inner; i++) row[i] += v;
        }
}

void cpu_bias_grad(const float *dy, float *db, int outer, int ch, int inner)
{
#pragma omp parallel for schedule(static) if ((long)outer * ch * inner > PAR_MIN)
    for (int c = 0; c < ch; c++) {
        double sum = 0.0;
        for (int o = 0; o < outer; o++) {
            const float *row = dy + ((long)o * ch + c) * inner;
            float part = 0.0f;
            for (int i = 0; i < inner; i++) part += row[i];
            sum += part;
        }
        db[c] = (float)sum;
    }
}

void cpu_swap_axes(const float *x, float *y, int a, int b, int inner)
{
#pragma omp parallel for collapse(2) schedule(static) if ((long)a * b * inner > PAR_MIN)
    for (int bi = 0; bi < b; bi++)
        for (int ai = 0; ai < a; ai++)
            memcpy(y + ((long)bi * a + ai) * inner, x + ((long)ai * b + bi) * inner,
                   sizeof(float) * inner);
}

/* Sample by sample, each writing its own channels' rows of the C x N x
 * plane batch (hd/gather.h). */
void cpu_gather(const unsigned char *images, const unsigned char *labels, const int *index,
                const int *cursor, int n, int channels, int plane, const float *norm, float *x,
                int *y)
{
    cpu_threads_follow_load(); /* once a batch */
    index += *cursor;
#pragma omp parallel for schedule(static) if ((long)n * channels * plane > PAR_MIN)
    for (int i = 0; i < n; i++) {
        for (int c = 0; c < channels; c++) {
            const unsigned char *src = images + cnn_sample_plane(index[i], channels, c, plane);
            float *dst = x + cnn_batch_index(c, i, n, plane, 0);
            for (int p = 0; p < plane; p++) dst[p] = cnn_scale_input(src[p], norm, channels, c);
        }
        y[i] = labels[index[i]];
    }
}

void cpu_advance(int *cursor, int n) { *cursor += n; }

/* One sample per thread: each output pixel is a pure function of the
 * sample's draw, so any thread count gives the same bits. */
void cpu_gather_aug(const unsigned char *images, const unsigned char *labels, const int *index,
                    const int *cursor, int n, int channels, int h, int w, const float *norm,
                    cnn_augment a, unsigned long long seed, const unsigned long long *step,
                    float *x, int *y)
{
    cpu_threads_follow_load(); /* once a batch */
    index += *cursor;
    unsigned long long s = *step;
    long plane = (long)h * w;
#pragma omp parallel for schedule(static) if (n * channels * plane > PAR_MIN / 8)
    for (int i = 0; i < n; i++) {
        cnn_aug_draw d = cnn_augment_draw(a, seed, s, (unsigned long long)i);
        for (int c = 0; c < channels; c++) {
            const unsigned char *src = images + cnn_sample_plane(index[i], channels, c, plane);
            float *dst = x + cnn_batch_index(c, i, n, plane, 0);
            for (int py = 0; py < h; py++)
                for (int px = 0; px < w; px++)
                    dst[py * w + px] = cnn_augment_input(src, h, w, d, py, px, norm, channels, c);
        }
        y[i] = labels[index[i]];
    }
}

static double cpu_time_ms(void (*body)(void *ctx), void *ctx)
{
    double start = monotonic_seconds();
    body(ctx);
    return (monotonic_seconds() - start) * 1e3;
}

/* The table: the memory calls by hand, every op of ops.h's rows by name. */
#define CPU_OP_ENTRY(op, ...) .op = cpu_##op,
const cnn_ops cpu_ops = {
    .name = "cpu",
    .alloc = cpu_alloc,
    .free = cpu_free,
    .upload = cpu_copy,
    .download = cpu_copy,
    .zero = cpu_zero,
    .sync = cpu_sync,
    CNN_COMPUTE_OPS(CPU_OP_ENTRY)
    CNN_OPTIONAL_OPS(CPU_OP_ENTRY)
    .time_ms = cpu_time_ms,
};
