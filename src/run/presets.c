/* The presets; see include/presets.h. The defaults of the settings are the
 * report's CNN's (seed-cnn below sets nothing). */
#include "presets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The report's settings (its sections 3.1 and 4): lr 0.1, momentum 1e-4,
 * the CNN at batch 50 with the lr halved every 5 epochs for 30 epochs, the
 * MLPs at batch 100 for up to 100 epochs. What the report leaves open was
 * tried and kept where it reproduces the report (docs/report.md,
 * bench/RESULTS.md): inputs standardised for all three; for the MLPs a
 * constant lr (halving it loses 0.2 to 1%) and the weights the course
 * framework draws, N(0, 0.01^2) (mlp2's Euclidean loss at lr 0.1 diverges
 * from He's initialisation on any input scaling). */
#define MLP_RECIPE "epochs=100 batch=100 lr-step=0 init-std=0.01"
/* Momentum 0.9 and weight decay 5e-4: lenet5, cnn-bn and the report's net
 * trained past 99% (docs/networks.md). */
#define MODERN_SGD "momentum=0.9 weight-decay=5e-4"

const net_preset net_presets[] = {
    {"seed-cnn", "conv4k5p2,relu,avgpool2,conv8k5p2,relu,avgpool2,fc10,softmax",
     "the report's CNN (LeNet-1 sized)", ""},
    {"mlp1", "fc392,relu,fc10,softmax", "784-392-10 MLP, softmax cross-entropy",
     MLP_RECIPE " weight-decay=1e-4"},
    {"mlp2", "fc392,relu,fc196,relu,fc10,euclid", "784-392-196-10 MLP, Euclidean loss",
     MLP_RECIPE},
    /* The report's section 5 draws its pictures from this variant: both
     * convolutions with 4 output channels, trained as seed-cnn. */
    {"seed-cnn4", "conv4k5p2,relu,avgpool2,conv4k5p2,relu,avgpool2,fc10,softmax",
     "seed-cnn with 4 channels in both convolutions (the report's pictures)", ""},
    /* LeCun et al. 1998's LeNet-5 on 28x28 inputs (its first convolution
     * padded by 2, so C1 is 28x28 as it is on the paper's 32x32), with tanh
     * and average pooling. */
    {"lenet5", "conv6k5p2,tanh,avgpool2,conv16k5,tanh,avgpool2,fc120,tanh,fc84,tanh,fc10,softmax",
     "LeNet-5 (LeCun et al. 1998): tanh, average pooling, 61,706 parameters",
     "lr=0.02 " MODERN_SGD},
    /* A small modern net: 3x3 convolutions (the most accuracy per multiply),
     * each followed by batch normalization, ReLU and max pooling, channels
     * doubling as the maps halve; dropout before the classifier. With two
     * such blocks it stopped at 99.2% (docs/networks.md). */
    {"cnn-bn", "conv16k3p1,bn,relu,maxpool2,conv32k3p1,bn,relu,maxpool2,conv64k3p1,bn,relu,"
               "maxpool2,dropout0.3,fc10,softmax",
     "conv-bn-relu-maxpool three times, dropout, fc: 33,770 parameters",
     "lr=0.02 lr-gamma=0.2 lr-step=10 " MODERN_SGD},
    /* The report's own layers and 4,842 parameters with a modern recipe
     * (bench/RESULTS.md issue 15): momentum 0.9 and a cosine schedule took
     * seed 1 from 98.92% to 99.20%; a random shift of one pixel to 99.27%
     * (two pixels with rotation and scale: 99.12%). */
    {"seed-cnn-99", "conv4k5p2,relu,avgpool2,conv8k5p2,relu,avgpool2,fc10,softmax",
     "the report's CNN, momentum 0.9, cosine schedule, 1-pixel shifts",
     "lr=0.05 lr-step=0 lr-schedule=cosine augment=shift:1 " MODERN_SGD},
    /* The same layers trained to 98.5% as fast as we found (make bench's
     * time to accuracy): the seed-cnn-99 recipe compressed into two epochs
     * (98.71% and 98.61% after them on seeds 1 and 2; one epoch reached
     * 98.2-98.3%). */
    {"seed-cnn-fast", "conv4k5p2,relu,avgpool2,conv8k5p2,relu,avgpool2,fc10,softmax",
     "the report's CNN trained for time to 98.5%: two epochs, momentum 0.9, cosine",
     "epochs=2 lr=0.05 lr-step=0 lr-schedule=cosine " MODERN_SGD},
    /* For 3x32x32 colour pictures (CIFAR-10's shape): cnn-bn's blocks with
     * twice the channels, random left-right flips, cosine schedule after one
     * epoch of warmup (lr 0.05 without warmup stuck at chance on the derived
     * colour set, in PyTorch too; bench/RESULTS.md, issue 26, says what it
     * reaches). */
    {"cifar-bn", "conv32k3p1,bn,relu,maxpool2,conv64k3p1,bn,relu,maxpool2,conv128k3p1,bn,relu,"
                 "maxpool2,dropout0.3,fc10,softmax",
     "cnn-bn with twice the channels, for 3x32x32 colour pictures: flips, warmup, cosine",
     "epochs=20 lr=0.02 lr-step=0 lr-schedule=cosine warmup=1 augment=flip " MODERN_SGD},
};
const int net_presets_count = sizeof net_presets / sizeof net_presets[0];

const net_preset *net_preset_find(const char *name)
{
    for (int i = 0; i < net_presets_count; i++)
        if (strcmp(net_presets[i].name, name) == 0) return &net_presets[i];
    return NULL;
}

int preset_spec_for(const net_preset *p, int classes, char *buf, size_t len)
{
    const char *last = NULL;
    for (const char *at = strstr(p->spec, "fc10,"); at; at = strstr(at + 1, "fc10,"))
        if (at == p->spec || at[-1] == ',') last = at;
    if (!last) return snprintf(buf, len, "%s", p->spec) < (int)len ? 0 : -1;
    int n = snprintf(buf, len, "%.*sfc%d%s", (int)(last - p->spec), p->spec, classes, last + 4);
    return n >= 0 && (size_t)n < len ? 0 : -1;
}

void preset_config(run_config *c, const net_preset *p)
{
    char err[512];
    run_config_defaults(c);
    if (p && settings_apply(c, p->settings, SET_PRESET, err, sizeof err)) {
        fprintf(stderr, "cnn: internal error: preset %s: %s\n", p->name, err);
        exit(1);
    }
}
