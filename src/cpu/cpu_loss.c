/* The CPU backend's losses (ops.h's softmax_xent and euclid): the rows in
 * order, each through its function of hd/loss.h, which the GPU kernel
 * calls too; the running sums in the same order on every run. */
#include "hd/loss.h"
#include "cpu_kernels.h"
#include "ops.h"

/* Loss `kind` (CNN_LOSS_*) over the n rows, added to stats. */
static void loss_rows(int kind, const float *scores, const int *labels, int n, int k,
                      float *grad, double *stats, int *pred)
{
    double loss = 0.0;
    int correct = 0;
    for (int i = 0; i < n; i++) {
        int best = cnn_loss_row(kind, scores + (long)i * k, k, labels[i], n,
                                grad ? grad + (long)i * k : NULL, &loss);
        correct += best == labels[i];
        if (pred) pred[i] = best;
    }
    stats[STAT_LOSS] += loss;
    stats[STAT_CORRECT] += correct;
}

void cpu_softmax_xent(const float *scores, const int *labels, int n, int k, float *grad,
                      double *stats, int *pred)
{
    loss_rows(CNN_LOSS_SOFTMAX_XENT, scores, labels, n, k, grad, stats, pred);
}

void cpu_euclid(const float *scores, const int *labels, int n, int k, float *grad,
                double *stats, int *pred)
{
    loss_rows(CNN_LOSS_EUCLID, scores, labels, n, k, grad, stats, pred);
}
