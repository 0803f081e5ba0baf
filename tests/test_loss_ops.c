/* The CPU backend's losses against the per-row functions of hd/loss.h,
 * which the GPU kernel runs too: the ops only walk the rows and sum, so
 * they must give those functions' bits, row by row. Then those functions
 * against the double-precision reference (ref.c), within float rounding. */
#include <criterion/criterion.h>
#include <string.h>

#include "cpu/cpu_backend.h"
#include "hd/loss.h"
#include "ref.h"
#include "testutil.h"

typedef struct {
    int n, k;
    float lo, hi; /* the scores' range; lo == hi: every score the same (all ties) */
} loss_case;

static const loss_case CASES[] = {
    {1, 1, -5, 5},   {1, 10, -5, 5},         {50, 10, -5, 5}, {300, 3, -50, 50},
    {64, 17, -2, 2}, {7, 10, -1e30f, 1e30f}, {5, 10, 0, 0},
};

static void loss_op(int kind, const float *s, const int *labels, int n, int k, float *grad,
                    double *stats, int *pred)
{
    (kind == CNN_LOSS_EUCLID ? cpu_ops.euclid : cpu_ops.softmax_xent)(s, labels, n, k, grad, stats,
                                                                     pred);
}

static double ref_loss(int kind, const double *s, const int *labels, int n, int k, double *grad)
{
    return (kind == CNN_LOSS_EUCLID ? ref_euclid : ref_softmax_xent)(s, labels, n, k, grad);
}

/* The op on one case against its rows through cnn_loss_row, bit for bit. */
static void check_op_rows(int kind, loss_case t, const float *s, const int *labels)
{
    long nk = (long)t.n * t.k;
    float *grad = nan_floats(nk), *want = nan_floats(nk);
    int *pred = malloc(sizeof(int) * t.n), *want_pred = malloc(sizeof(int) * t.n);
    double stats[STAT_COUNT] = {0.25, 3}, loss = 0.0; /* the op adds to the sums */
    int correct = 0;
    loss_op(kind, s, labels, t.n, t.k, grad, stats, pred);
    for (int i = 0; i < t.n; i++) {
        want_pred[i] = cnn_loss_row(kind, s + (long)i * t.k, t.k, labels[i], t.n,
                                    want + (long)i * t.k, &loss);
        correct += want_pred[i] == labels[i];
    }
    const char *what = kind == CNN_LOSS_EUCLID ? "euclid" : "softmax_xent";
    cr_assert_eq(memcmp(grad, want, sizeof(float) * nk), 0, "%s n%d k%d: gradient", what, t.n, t.k);
    cr_assert_eq(memcmp(pred, want_pred, sizeof(int) * t.n), 0, "%s n%d k%d: arg-max", what, t.n,
                 t.k);
    cr_assert(stats[STAT_LOSS] == 0.25 + loss, "%s n%d k%d: loss sum %.17g, rows %.17g", what, t.n,
              t.k, stats[STAT_LOSS], 0.25 + loss);
    cr_assert_eq(stats[STAT_CORRECT], 3 + correct, "%s n%d k%d: correct count", what, t.n, t.k);
    double bare[STAT_COUNT] = {0.25, 3}; /* no gradient and no arg-max: the same sums */
    loss_op(kind, s, labels, t.n, t.k, NULL, bare, NULL);
    cr_assert_eq(memcmp(bare, stats, sizeof bare), 0, "%s n%d k%d: sums without grad", what, t.n,
                 t.k);
    free(grad); free(want); free(pred); free(want_pred);
}

/* The rows' mean loss and gradient against the reference in double. */
static void check_rows_against_ref(int kind, loss_case t, const float *s, const int *labels)
{
    long nk = (long)t.n * t.k;
    float *grad = malloc(sizeof(float) * nk);
    double *ds = malloc(sizeof(double) * nk), *dgrad = malloc(sizeof(double) * nk), loss = 0.0;
    for (long i = 0; i < nk; i++) ds[i] = s[i];
    for (int i = 0; i < t.n; i++)
        cnn_loss_row(kind, s + (long)i * t.k, t.k, labels[i], t.n, grad + (long)i * t.k, &loss);
    double want = ref_loss(kind, ds, labels, t.n, t.k, dgrad);
    const char *what = kind == CNN_LOSS_EUCLID ? "euclid" : "softmax_xent";
    cr_assert(close_enough(loss / t.n, want, 1e-12, 1e-6), "%s n%d k%d: mean loss %.9g, ref %.9g",
              what, t.n, t.k, loss / t.n, want);
    for (long i = 0; i < nk; i++)
        cr_assert(close_enough(grad[i], dgrad[i], 1e-12, 1e-6), "%s n%d k%d: grad %ld %.9g, ref %.9g",
                  what, t.n, t.k, i, grad[i], dgrad[i]);
    free(grad); free(ds); free(dgrad);
}

static void check_kind(int kind)
{
    rng r = {71 + kind};
    for (size_t c = 0; c < sizeof CASES / sizeof CASES[0]; c++) {
        loss_case t = CASES[c];
        float *s = rand_floats(&r, (long)t.n * t.k, t.lo, t.hi);
        int *labels = malloc(sizeof(int) * t.n);
        for (int i = 0; i < t.n; i++) labels[i] = (int)rng_below(&r, (unsigned)t.k);
        check_op_rows(kind, t, s, labels);
        check_rows_against_ref(kind, t, s, labels);
        free(s); free(labels);
    }
}

Test(loss_ops, softmax_xent_rows) { check_kind(CNN_LOSS_SOFTMAX_XENT); }
Test(loss_ops, euclid_rows) { check_kind(CNN_LOSS_EUCLID); }

/* Ties go to the first largest score, on both losses. */
Test(loss_ops, argmax_ties_go_first)
{
    const float s[4] = {1, 3, 3, -2};
    cr_assert_eq(cnn_argmax(s, 4), 1);
    cr_assert_eq(cnn_argmax(s, 1), 0);
    double loss = 0.0;
    cr_assert_eq(cnn_softmax_xent_row(s, 4, 2, 1, NULL, &loss), 1);
    cr_assert_eq(cnn_euclid_row(s, 4, 2, 1, NULL, &loss), 1);
}
