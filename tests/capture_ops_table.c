/* The ops of the capture-checking backend (capture_ops.h): each copies its
 * arguments, by value, into a struct, checks that every pointer among them
 * is backend memory, and hands the struct to capture_issue, which runs the
 * CPU op now or records it for replay. One struct, player and wrapper per
 * op of ops.h, in its order. */
#include "cpu/cpu_backend.h"
#include "capture_ops.h"
#include "capture_rec.h"

/* Aborts unless every pointer (NULL allowed) is backend memory. */
#define NEED_MEM(op, ...)                                                                          \
    do {                                                                                           \
        const void *ptrs_[] = {__VA_ARGS__};                                                       \
        for (size_t i_ = 0; i_ < sizeof ptrs_ / sizeof ptrs_[0]; i_++)                             \
            capture_need_mem(op, ptrs_[i_]);                                                       \
    } while (0)

typedef struct {
    int ta; int tb; int m; int n; int k; float alpha; const float *a; const float *b; float beta;
    float *c;
} gemm_args;
static void gemm_play(const void *p)
{
    const gemm_args *r = p;
    cpu_ops.gemm(r->ta, r->tb, r->m, r->n, r->k, r->alpha, r->a, r->b, r->beta, r->c);
}

static void cap_gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a,
                     const float *b, float beta, float *c)
{
    NEED_MEM("gemm", a, b, c);
    gemm_args rec = {ta, tb, m, n, k, alpha, a, b, beta, c};
    capture_issue(gemm_play, &rec, sizeof rec);
}

typedef struct { const float *x; cnn_window g; float *cols; } im2col_args;
static void im2col_play(const void *p)
{
    const im2col_args *r = p;
    cpu_ops.im2col(r->x, r->g, r->cols);
}

static void cap_im2col(const float *x, cnn_window g, float *cols)
{
    NEED_MEM("im2col", x, cols);
    im2col_args rec = {x, g, cols};
    capture_issue(im2col_play, &rec, sizeof rec);
}

typedef struct { const float *cols; cnn_window g; float *x; } col2im_args;
static void col2im_play(const void *p)
{
    const col2im_args *r = p;
    cpu_ops.col2im(r->cols, r->g, r->x);
}

static void cap_col2im(const float *cols, cnn_window g, float *x)
{
    NEED_MEM("col2im", cols, x);
    col2im_args rec = {cols, g, x};
    capture_issue(col2im_play, &rec, sizeof rec);
}

typedef struct { const float *x; cnn_window g; float *y; } pool_fwd_args;
static void pool_fwd_play(const void *p)
{
    const pool_fwd_args *r = p;
    cpu_ops.pool_fwd(r->x, r->g, r->y);
}

static void cap_pool_fwd(const float *x, cnn_window g, float *y)
{
    NEED_MEM("pool_fwd", x, y);
    pool_fwd_args rec = {x, g, y};
    capture_issue(pool_fwd_play, &rec, sizeof rec);
}

typedef struct { const float *dy; cnn_window g; float *dx; } pool_bwd_args;
static void pool_bwd_play(const void *p)
{
    const pool_bwd_args *r = p;
    cpu_ops.pool_bwd(r->dy, r->g, r->dx);
}

static void cap_pool_bwd(const float *dy, cnn_window g, float *dx)
{
    NEED_MEM("pool_bwd", dy, dx);
    pool_bwd_args rec = {dy, g, dx};
    capture_issue(pool_bwd_play, &rec, sizeof rec);
}

typedef struct { const float *x; cnn_window g; float *y; int *arg; } maxpool_fwd_args;
static void maxpool_fwd_play(const void *p)
{
    const maxpool_fwd_args *r = p;
    cpu_ops.maxpool_fwd(r->x, r->g, r->y, r->arg);
}

static void cap_maxpool_fwd(const float *x, cnn_window g, float *y, int *arg)
{
    NEED_MEM("maxpool_fwd", x, y, arg);
    maxpool_fwd_args rec = {x, g, y, arg};
    capture_issue(maxpool_fwd_play, &rec, sizeof rec);
}

typedef struct { const float *dy; const int *arg; cnn_window g; float *dx; } maxpool_bwd_args;
static void maxpool_bwd_play(const void *p)
{
    const maxpool_bwd_args *r = p;
    cpu_ops.maxpool_bwd(r->dy, r->arg, r->g, r->dx);
}

static void cap_maxpool_bwd(const float *dy, const int *arg, cnn_window g, float *dx)
{
    NEED_MEM("maxpool_bwd", dy, arg, dx);
    maxpool_bwd_args rec = {dy, arg, g, dx};
    capture_issue(maxpool_bwd_play, &rec, sizeof rec);
}

typedef struct { const float *x; long planes; int size; float *y; } gap_fwd_args;
static void gap_fwd_play(const void *p)
{
    const gap_fwd_args *r = p;
    cpu_ops.gap_fwd(r->x, r->planes, r->size, r->y);
}

static void cap_gap_fwd(const float *x, long planes, int size, float *y)
{
    NEED_MEM("gap_fwd", x, y);
    gap_fwd_args rec = {x, planes, size, y};
    capture_issue(gap_fwd_play, &rec, sizeof rec);
}

typedef struct { const float *dy; long planes; int size; float *dx; } gap_bwd_args;
static void gap_bwd_play(const void *p)
{
    const gap_bwd_args *r = p;
    cpu_ops.gap_bwd(r->dy, r->planes, r->size, r->dx);
}

static void cap_gap_bwd(const float *dy, long planes, int size, float *dx)
{
    NEED_MEM("gap_bwd", dy, dx);
    gap_bwd_args rec = {dy, planes, size, dx};
    capture_issue(gap_bwd_play, &rec, sizeof rec);
}

typedef struct { int kind; float slope; const float *x; float *y; long n; } act_fwd_args;
static void act_fwd_play(const void *p)
{
    const act_fwd_args *r = p;
    cpu_ops.act_fwd(r->kind, r->slope, r->x, r->y, r->n);
}

static void cap_act_fwd(int kind, float slope, const float *x, float *y, long n)
{
    NEED_MEM("act_fwd", x, y);
    act_fwd_args rec = {kind, slope, x, y, n};
    capture_issue(act_fwd_play, &rec, sizeof rec);
}

typedef struct {
    int kind; float slope; const float *x; const float *y; const float *dy; float *dx; long n;
} act_bwd_args;
static void act_bwd_play(const void *p)
{
    const act_bwd_args *r = p;
    cpu_ops.act_bwd(r->kind, r->slope, r->x, r->y, r->dy, r->dx, r->n);
}

static void cap_act_bwd(int kind, float slope, const float *x, const float *y, const float *dy,
                        float *dx, long n)
{
    NEED_MEM("act_bwd", x, y, dy, dx);
    act_bwd_args rec = {kind, slope, x, y, dy, dx, n};
    capture_issue(act_bwd_play, &rec, sizeof rec);
}

typedef struct {
    const float *x; float *y; long n; float p; unsigned long long seed;
    const unsigned long long *step; int salt;
} dropout_fwd_args;
static void dropout_fwd_play(const void *p)
{
    const dropout_fwd_args *r = p;
    cpu_ops.dropout_fwd(r->x, r->y, r->n, r->p, r->seed, r->step, r->salt);
}

static void cap_dropout_fwd(const float *x, float *y, long n, float p, unsigned long long seed,
                            const unsigned long long *step, int salt)
{
    NEED_MEM("dropout_fwd", x, y, step);
    dropout_fwd_args rec = {x, y, n, p, seed, step, salt};
    capture_issue(dropout_fwd_play, &rec, sizeof rec);
}

typedef struct {
    const float *dy; float *dx; long n; float p; unsigned long long seed;
    const unsigned long long *step; int salt;
} dropout_bwd_args;
static void dropout_bwd_play(const void *p)
{
    const dropout_bwd_args *r = p;
    cpu_ops.dropout_bwd(r->dy, r->dx, r->n, r->p, r->seed, r->step, r->salt);
}

static void cap_dropout_bwd(const float *dy, float *dx, long n, float p, unsigned long long seed,
                            const unsigned long long *step, int salt)
{
    NEED_MEM("dropout_bwd", dy, dx, step);
    dropout_bwd_args rec = {dy, dx, n, p, seed, step, salt};
    capture_issue(dropout_bwd_play, &rec, sizeof rec);
}

typedef struct { unsigned long long *step; } count_step_args;
static void count_step_play(const void *p)
{
    const count_step_args *r = p;
    cpu_ops.count_step(r->step);
}

static void cap_count_step(unsigned long long *step)
{
    NEED_MEM("count_step", step);
    count_step_args rec = {step};
    capture_issue(count_step_play, &rec, sizeof rec);
}

typedef struct {
    const float *x; int outer; int ch; int inner; const float *gamma; const float *beta; float eps;
    float momentum; float *mean; float *invstd; float *run_mean; float *run_var; float *y;
} bn_fwd_train_args;
static void bn_fwd_train_play(const void *p)
{
    const bn_fwd_train_args *r = p;
    cpu_ops.bn_fwd_train(r->x, r->outer, r->ch, r->inner, r->gamma, r->beta, r->eps, r->momentum,
                 r->mean, r->invstd, r->run_mean, r->run_var, r->y);
}

static void cap_bn_fwd_train(const float *x, int outer, int ch, int inner, const float *gamma,
                             const float *beta, float eps, float momentum, float *mean,
                             float *invstd, float *run_mean, float *run_var, float *y)
{
    NEED_MEM("bn_fwd_train", x, gamma, beta, mean, invstd, run_mean, run_var, y);
    bn_fwd_train_args rec = { x, outer, ch, inner, gamma, beta, eps, momentum, mean, invstd,
        run_mean, run_var, y};
    capture_issue(bn_fwd_train_play, &rec, sizeof rec);
}

typedef struct {
    const float *x; int outer; int ch; int inner; const float *gamma; const float *beta; float eps;
    const float *run_mean; const float *run_var; float *y;
} bn_fwd_eval_args;
static void bn_fwd_eval_play(const void *p)
{
    const bn_fwd_eval_args *r = p;
    cpu_ops.bn_fwd_eval(r->x, r->outer, r->ch, r->inner, r->gamma, r->beta, r->eps, r->run_mean,
                 r->run_var, r->y);
}

static void cap_bn_fwd_eval(const float *x, int outer, int ch, int inner, const float *gamma,
                            const float *beta, float eps, const float *run_mean,
                            const float *run_var, float *y)
{
    NEED_MEM("bn_fwd_eval", x, gamma, beta, run_mean, run_var, y);
    bn_fwd_eval_args rec = {x, outer, ch, inner, gamma, beta, eps, run_mean, run_var, y};
    capture_issue(bn_fwd_eval_play, &rec, sizeof rec);
}

typedef struct {
    const float *x; const float *dy; int outer; int ch; int inner; const float *gamma;
    const float *mean; const float *invstd; float *dgamma; float *dbeta; float *dx;
} bn_bwd_args;
static void bn_bwd_play(const void *p)
{
    const bn_bwd_args *r = p;
    cpu_ops.bn_bwd(r->x, r->dy, r->outer, r->ch, r->inner, r->gamma, r->mean, r->invstd, r->dgamma,
                 r->dbeta, r->dx);
}

static void cap_bn_bwd(const float *x, const float *dy, int outer, int ch, int inner,
                       const float *gamma, const float *mean, const float *invstd, float *dgamma,
                       float *dbeta, float *dx)
{
    NEED_MEM("bn_bwd", x, dy, gamma, mean, invstd, dgamma, dbeta, dx);
    bn_bwd_args rec = {x, dy, outer, ch, inner, gamma, mean, invstd, dgamma, dbeta, dx};
    capture_issue(bn_bwd_play, &rec, sizeof rec);
}

typedef struct { const float *x; float *y; long n; } relu_fwd_args;
static void relu_fwd_play(const void *p)
{
    const relu_fwd_args *r = p;
    cpu_ops.relu_fwd(r->x, r->y, r->n);
}

static void cap_relu_fwd(const float *x, float *y, long n)
{
    NEED_MEM("relu_fwd", x, y);
    relu_fwd_args rec = {x, y, n};
    capture_issue(relu_fwd_play, &rec, sizeof rec);
}

typedef struct { const float *y; const float *dy; float *dx; long n; } relu_bwd_args;
static void relu_bwd_play(const void *p)
{
    const relu_bwd_args *r = p;
    cpu_ops.relu_bwd(r->y, r->dy, r->dx, r->n);
}

static void cap_relu_bwd(const float *y, const float *dy, float *dx, long n)
{
    NEED_MEM("relu_bwd", y, dy, dx);
    relu_bwd_args rec = {y, dy, dx, n};
    capture_issue(relu_bwd_play, &rec, sizeof rec);
}

typedef struct { float *y; const float *b; int outer; int ch; int inner; } bias_add_args;
static void bias_add_play(const void *p)
{
    const bias_add_args *r = p;
    cpu_ops.bias_add(r->y, r->b, r->outer, r->ch, r->inner);
}

static void cap_bias_add(float *y, const float *b, int outer, int ch, int inner)
{
    NEED_MEM("bias_add", y, b);
    bias_add_args rec = {y, b, outer, ch, inner};
    capture_issue(bias_add_play, &rec, sizeof rec);
}

typedef struct { const float *dy; float *db; int outer; int ch; int inner; } bias_grad_args;
static void bias_grad_play(const void *p)
{
    const bias_grad_args *r = p;
    cpu_ops.bias_grad(r->dy, r->db, r->outer, r->ch, r->inner);
}

static void cap_bias_grad(const float *dy, float *db, int outer, int ch, int inner)
{
    NEED_MEM("bias_grad", dy, db);
    bias_grad_args rec = {dy, db, outer, ch, inner};
    capture_issue(bias_grad_play, &rec, sizeof rec);
}

typedef struct { const float *x; float *y; int a; int b; int inner; } swap_axes_args;
static void swap_axes_play(const void *p)
{
    const swap_axes_args *r = p;
    cpu_ops.swap_axes(r->x, r->y, r->a, r->b, r->inner);
}

static void cap_swap_axes(const float *x, float *y, int a, int b, int inner)
{
    NEED_MEM("swap_axes", x, y);
    swap_axes_args rec = {x, y, a, b, inner};
    capture_issue(swap_axes_play, &rec, sizeof rec);
}

typedef struct {
    const float *scores; const int *labels; int n; int k; float *grad; double *stats; int *pred;
} softmax_xent_args;
static void softmax_xent_play(const void *p)
{
    const softmax_xent_args *r = p;
    cpu_ops.softmax_xent(r->scores, r->labels, r->n, r->k, r->grad, r->stats, r->pred);
}

static void cap_softmax_xent(const float *scores, const int *labels, int n, int k, float *grad,
                             double *stats, int *pred)
{
    NEED_MEM("softmax_xent", scores, labels, grad, stats, pred);
    softmax_xent_args rec = {scores, labels, n, k, grad, stats, pred};
    capture_issue(softmax_xent_play, &rec, sizeof rec);
}

typedef struct {
    const float *scores; const int *labels; int n; int k; float *grad; double *stats; int *pred;
} euclid_args;
static void euclid_play(const void *p)
{
    const euclid_args *r = p;
    cpu_ops.euclid(r->scores, r->labels, r->n, r->k, r->grad, r->stats, r->pred);
}

static void cap_euclid(const float *scores, const int *labels, int n, int k, float *grad,
                       double *stats, int *pred)
{
    NEED_MEM("euclid", scores, labels, grad, stats, pred);
    euclid_args rec = {scores, labels, n, k, grad, stats, pred};
    capture_issue(euclid_play, &rec, sizeof rec);
}

typedef struct { cnn_schedule s; const unsigned long long *step; float *lr; } set_lr_args;
static void set_lr_play(const void *p)
{
    const set_lr_args *r = p;
    cpu_ops.set_lr(r->s, r->step, r->lr);
}

static void cap_set_lr(cnn_schedule s, const unsigned long long *step, float *lr)
{
    NEED_MEM("set_lr", step, lr);
    set_lr_args rec = {s, step, lr};
    capture_issue(set_lr_play, &rec, sizeof rec);
}

typedef struct {
    cnn_optim o; float *w; const float *g; float *m; float *v; const unsigned char *decay_mask;
    long n; const float *lr; const unsigned long long *step;
} optim_args;
static void optim_play(const void *p)
{
    const optim_args *r = p;
    cpu_ops.optim(r->o, r->w, r->g, r->m, r->v, r->decay_mask, r->n, r->lr, r->step);
}

static void cap_optim(cnn_optim o, float *w, const float *g, float *m, float *v,
                      const unsigned char *decay_mask, long n, const float *lr,
                      const unsigned long long *step)
{
    NEED_MEM("optim", w, g, m, v, decay_mask, lr, step);
    optim_args rec = {o, w, g, m, v, decay_mask, n, lr, step};
    capture_issue(optim_play, &rec, sizeof rec);
}

typedef struct {
    const unsigned char *images; const unsigned char *labels; const int *index; const int *cursor;
    int n; int dim; float scale; float shift; float *x; int *y;
} gather_args;
static void gather_play(const void *p)
{
    const gather_args *r = p;
    cpu_ops.gather(r->images, r->labels, r->index, r->cursor, r->n, r->dim, r->scale, r->shift,
                 r->x, r->y);
}

static void cap_gather(const unsigned char *images, const unsigned char *labels, const int *index,
                       const int *cursor, int n, int dim, float scale, float shift, float *x,
                       int *y)
{
    NEED_MEM("gather", images, labels, index, cursor, x, y);
    gather_args rec = {images, labels, index, cursor, n, dim, scale, shift, x, y};
    capture_issue(gather_play, &rec, sizeof rec);
}

typedef struct { int *cursor; int n; } advance_args;
static void advance_play(const void *p)
{
    const advance_args *r = p;
    cpu_ops.advance(r->cursor, r->n);
}

static void cap_advance(int *cursor, int n)
{
    NEED_MEM("advance", cursor);
    advance_args rec = {cursor, n};
    capture_issue(advance_play, &rec, sizeof rec);
}

typedef struct {
    const unsigned char *images; const unsigned char *labels; const int *index; const int *cursor;
    int n; int h; int w; float scale; float shift; cnn_augment a; unsigned long long seed;
    const unsigned long long *step; float *x; int *y;
} gather_aug_args;
static void gather_aug_play(const void *p)
{
    const gather_aug_args *r = p;
    cpu_ops.gather_aug(r->images, r->labels, r->index, r->cursor, r->n, r->h, r->w, r->scale,
                 r->shift, r->a, r->seed, r->step, r->x, r->y);
}

static void cap_gather_aug(const unsigned char *images, const unsigned char *labels,
                           const int *index, const int *cursor, int n, int h, int w, float scale,
                           float shift, cnn_augment a, unsigned long long seed,
                           const unsigned long long *step, float *x, int *y)
{
    NEED_MEM("gather_aug", images, labels, index, cursor, step, x, y);
    gather_aug_args rec = { images, labels, index, cursor, n, h, w, scale, shift, a, seed, step, x,
        y};
    capture_issue(gather_aug_play, &rec, sizeof rec);
}

const cnn_ops capture_ops = {
    .name = "cpu",
    .alloc = cap_alloc,
    .free = cap_free,
    .upload = cap_upload,
    .download = cap_download,
    .zero = cap_zero,
    .sync = cap_sync,
    .gemm = cap_gemm,
    .im2col = cap_im2col,
    .col2im = cap_col2im,
    .pool_fwd = cap_pool_fwd,
    .pool_bwd = cap_pool_bwd,
    .maxpool_fwd = cap_maxpool_fwd,
    .maxpool_bwd = cap_maxpool_bwd,
    .gap_fwd = cap_gap_fwd,
    .gap_bwd = cap_gap_bwd,
    .act_fwd = cap_act_fwd,
    .act_bwd = cap_act_bwd,
    .dropout_fwd = cap_dropout_fwd,
    .dropout_bwd = cap_dropout_bwd,
    .count_step = cap_count_step,
    .bn_fwd_train = cap_bn_fwd_train,
    .bn_fwd_eval = cap_bn_fwd_eval,
    .bn_bwd = cap_bn_bwd,
    .relu_fwd = cap_relu_fwd,
    .relu_bwd = cap_relu_bwd,
    .bias_add = cap_bias_add,
    .bias_grad = cap_bias_grad,
    .swap_axes = cap_swap_axes,
    .softmax_xent = cap_softmax_xent,
    .euclid = cap_euclid,
    .set_lr = cap_set_lr,
    .optim = cap_optim,
    .gather = cap_gather,
    .advance = cap_advance,
    .gather_aug = cap_gather_aug,
    .time_ms = cap_time_ms,
    /* conv_fwd and conv_bwd stay NULL: nets compose them as on the GPU */
    .capture_begin = cap_capture_begin,
    .capture_end = cap_capture_end,
    .replay = cap_replay,
    .graph_free = cap_graph_free,
};
