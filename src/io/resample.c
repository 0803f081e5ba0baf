/* Area-averaging resampling; see include/resample.h. */
#include "resample.h"

#include <math.h>
#include <stdlib.h>

/* One axis of an area-averaging resample: for output index o, the weights
 * of input indices [first[o], first[o] + count[o]) (summing to 1). */
typedef struct {
    int *first, *count;
    float *weight; /* count[o] entries per output, packed, at offset[o] */
    int *offset;
} axis_weights;

static void axis_free(axis_weights *a)
{
    free(a->first);
    free(a->count);
    free(a->offset);
    free(a->weight);
}

static int axis_make(int in, int out, axis_weights *a)
{
    a->first = malloc(sizeof(int) * out);
    a->count = malloc(sizeof(int) * out);
    a->offset = malloc(sizeof(int) * out);
    /* each output spans in/out inputs, touching at most ceil(in/out) + 1 */
    int per = in / out + 2;
    a->weight = malloc(sizeof(float) * (size_t)out * per);
    if (!a->first || !a->count || !a->offset || !a->weight) {
        axis_free(a);
        return -1;
    }
    double step = (double)in / out;
    for (int o = 0; o < out; o++) {
        double lo = o * step, hi = (o + 1) * step;
        int i0 = (int)floor(lo), i1 = (int)ceil(hi);
        if (i1 > in) i1 = in;
        if (i1 <= i0) i1 = i0 + 1;
        a->first[o] = i0;
        a->count[o] = i1 - i0;
        a->offset[o] = o * per;
        for (int i = i0; i < i1; i++) {
            double cover = fmin(hi, i + 1.0) - fmax(lo, (double)i);
            a->weight[o * per + (i - i0)] = (float)(cover > 0 ? cover / step : 0);
        }
    }
    return 0;
}

int resample_area(const float *src, int sw, int sh, float *dst, int dw, int dh)
{
    axis_weights ax = {0}, ay = {0};
    float *tmp = NULL;
    if (axis_make(sw, dw, &ax) || axis_make(sh, dh, &ay) ||
        !(tmp = calloc((size_t)dw * sh, sizeof(float)))) { /* rows resampled first */
        axis_free(&ax);
        axis_free(&ay);
        return -1;
    }
    for (int y = 0; y < sh; y++)
        for (int o = 0; o < dw; o++) {
            float s = 0;
            for (int j = 0; j < ax.count[o]; j++)
                s += ax.weight[ax.offset[o] + j] * src[(size_t)y * sw + ax.first[o] + j];
            tmp[(size_t)y * dw + o] = s;
        }
    for (int o = 0; o < dh; o++)
        for (int x = 0; x < dw; x++) {
            float s = 0;
            for (int j = 0; j < ay.count[o]; j++)
                s += ay.weight[ay.offset[o] + j] * tmp[(size_t)(ay.first[o] + j) * dw + x];
            dst[(size_t)o * dw + x] = s;
        }
    free(tmp);
    axis_free(&ax);
    axis_free(&ay);
    return 0;
}
