/* The validation split; see include/data_split.h. */
#include "data_split.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

/* Its own stream: neither the weights' nor the shuffle's draws move it. */
#define SPLIT_STREAM 0x7a11da7e5eedull

int data_used_count(const dataset *d, int limit)
{
    return limit > 0 && limit < d->count ? limit : d->count;
}

static int alloc_like(const dataset *d, int count, dataset *out)
{
    size_t dim = dataset_sample_bytes(d);
    memset(out, 0, sizeof *out);
    out->count = count;
    out->channels = d->channels;
    out->names = d->names;
    out->rows = d->rows;
    out->cols = d->cols;
    out->classes = d->classes;
    out->images = malloc(dim * (count ? count : 1));
    out->labels = malloc(count ? count : 1);
    return out->images && out->labels ? 0 : -1;
}

static void copy_sample(const dataset *from, int i, dataset *to, int j)
{
    size_t dim = dataset_sample_bytes(from);
    memcpy(to->images + dim * j, from->images + dim * i, dim);
    to->labels[j] = from->labels[i];
}

/* held_mark[i] = 1 for the val_count samples of 0..used-1 the seed picks: the
 * first val_count of a seeded permutation (a partial Fisher-Yates). */
static int mark_held(int used, int val_count, uint64_t seed, char *held_mark)
{
    int *perm = malloc(sizeof(int) * used);
    if (!perm) return -1;
    for (int i = 0; i < used; i++) perm[i] = i;
    rng r = {seed ^ SPLIT_STREAM};
    for (int i = 0; i < val_count; i++) {
        int j = i + (int)rng_below(&r, (uint32_t)(used - i));
        int t = perm[i]; perm[i] = perm[j]; perm[j] = t;
    }
    memset(held_mark, 0, used);
    for (int i = 0; i < val_count; i++) held_mark[perm[i]] = 1;
    free(perm);
    return 0;
}

int data_split(const dataset *d, int limit, int val_count, uint64_t seed, dataset *rest,
               dataset *held, char *err, size_t errlen)
{
    int used = data_used_count(d, limit);
    memset(rest, 0, sizeof *rest);
    memset(held, 0, sizeof *held);
    if (val_count < 1 || val_count >= used) {
        snprintf(err, errlen, "--val %d: must be at least 1 and below the %d training samples "
                 "used%s", val_count, used, limit > 0 ? " (after --train-limit)" : "");
        return -1;
    }
    char *held_mark = malloc(used);
    if (!held_mark || mark_held(used, val_count, seed, held_mark) ||
        alloc_like(d, used - val_count, rest) || alloc_like(d, val_count, held)) {
        free(held_mark);
        dataset_free(rest);
        dataset_free(held);
        snprintf(err, errlen, "--val %d: out of memory splitting the training data", val_count);
        return -1;
    }
    for (int i = 0, r = 0, h = 0; i < used; i++) {
        if (held_mark[i]) copy_sample(d, i, held, h++);
        else copy_sample(d, i, rest, r++);
    }
    free(held_mark);
    return 0;
}
