/* The losses' per-row math, for both backends (see hd/qualifier.h): the
 * CPU loop (src/cpu/cpu_loss.c) and the GPU kernel (kernels/gpu_kernels.cu)
 * call these very functions, so the CPU tests check the arithmetic the GPU
 * runs. The backends differ only in how they walk the rows (in order on the
 * CPU, a thread per row on the GPU) and sum the running totals.
 *
 * A row is k scores s and its label; the batch has n rows. Each row
 * function adds the row's loss to *loss, writes the row's part of the
 * gradient of the MEAN loss over the n rows to grad (k values) where grad
 * is not NULL, and returns the row's arg-max. The loss is summed in double
 * and rounded after every operation (hd/fround.h), so nvcc's fused
 * multiply-adds do not change it. exp and log are each backend's own, so
 * the GPU's softmax matches the CPU's to within their last bits. */
#ifndef CNN_LOSS_H
#define CNN_LOSS_H

#include <math.h>

#include "hd/fround.h"

enum { CNN_LOSS_SOFTMAX_XENT, CNN_LOSS_EUCLID };

/* The index of the first largest score: ties go to the lowest index. */
CNN_HD int cnn_argmax(const float *s, int k)
{
    int best = 0;
    for (int j = 1; j < k; j++)
        if (s[j] > s[best]) best = j;
    return best;
}

/* Softmax cross-entropy: -log softmax(s)[label], the max subtracted before
 * exp and everything in double, so no finite score overflows. The
 * gradient of the mean: (softmax(s)[j] - [j == label]) / n. */
CNN_HD int cnn_softmax_xent_row(const float *s, int k, int label, int n, float *grad,
                                double *loss)
{
    int best = cnn_argmax(s, k);
    double max = s[best], sum = 0.0;
    for (int j = 0; j < k; j++) sum = cnn_dadd(sum, exp(s[j] - max));
    *loss = cnn_dadd(*loss, log(sum) - (s[label] - max));
    if (grad)
        for (int j = 0; j < k; j++)
            grad[j] = (float)((exp(s[j] - max) / sum - (j == label)) / n);
    return best;
}

/* The Euclidean loss: 0.5 * ||s - onehot(label)||^2, added to *loss one
 * element at a time. The gradient of the mean: (s[j] - [j == label]) / n. */
CNN_HD int cnn_euclid_row(const float *s, int k, int label, int n, float *grad, double *loss)
{
    int best = cnn_argmax(s, k); /* before grad is written: it may be s itself */
    for (int j = 0; j < k; j++) {
        float d = cnn_fsub(s[j], j == label ? 1.0f : 0.0f);
        *loss = cnn_dadd(*loss, cnn_dmul(cnn_dmul(0.5, (double)d), (double)d));
        if (grad) grad[j] = d / (float)n;
    }
    return best;
}

/* Row of loss `kind` (CNN_LOSS_*). */
CNN_HD int cnn_loss_row(int kind, const float *s, int k, int label, int n, float *grad,
                        double *loss)
{
    return kind == CNN_LOSS_EUCLID ? cnn_euclid_row(s, k, label, n, grad, loss)
                                   : cnn_softmax_xent_row(s, k, label, n, grad, loss);
}

#endif
