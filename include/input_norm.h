/* How a sample's bytes become a net's inputs: per channel,
 * x = byte * scale[c] + shift[c] (hd/gather.h computes it). A checkpoint
 * keeps it, so a model sees its inputs scaled as in training. */
#ifndef CNN_INPUT_NORM_H
#define CNN_INPUT_NORM_H

/* Most input channels a net may take (a checkpoint's bound too). */
#define INPUT_MAX_CHANNELS 64

typedef struct {
    int channels;
    float scale[INPUT_MAX_CHANNELS], shift[INPUT_MAX_CHANNELS];
} input_norm;

/* The same scale and shift for every one of channels channels. */
static inline input_norm input_norm_uniform(int channels, float scale, float shift)
{
    input_norm n = {0};
    n.channels = channels;
    for (int c = 0; c < channels && c < INPUT_MAX_CHANNELS; c++) {
        n.scale[c] = scale;
        n.shift[c] = shift;
    }
    return n;
}

/* Whether every channel of n is scaled as channel 0 is. */
static inline int input_norm_channels_alike(const input_norm *n)
{
    for (int c = 1; c < n->channels; c++)
        if (n->scale[c] != n->scale[0] || n->shift[c] != n->shift[0]) return 0;
    return 1;
}

/* Whether a and b scale alike, bit for bit. */
static inline int input_norm_same(const input_norm *a, const input_norm *b)
{
    if (a->channels != b->channels) return 0;
    for (int c = 0; c < a->channels; c++) {
        float s[2] = {a->scale[c], a->shift[c]}, t[2] = {b->scale[c], b->shift[c]};
        const unsigned char *p = (const unsigned char *)s, *q = (const unsigned char *)t;
        for (unsigned k = 0; k < sizeof s; k++)
            if (p[k] != q[k]) return 0;
    }
    return 1;
}

#endif
