/* cnn summary: a network's layers, output shapes and parameter counts, and
 * with --model the running statistics a checkpoint holds. */
#include <stdio.h>
#include <stdlib.h>

#include "augment_spec.h"
#include "checkpoint.h"
#include "cli.h"
#include "commands.h"
#include "layer.h"
#include "text_out.h"

/* The layer's name: a window's layer with its window, padding and stride
 * written out, any other its canonical token. */
static void layer_name(const layer_spec *l, char *name, size_t len)
{
    const layer_def *d = layer_def_of(l->kind);
    if (!l->k) {
        d->print(l, name, len);
        return;
    }
    int n = snprintf(name, len, "%s %dx%d", d->word, l->k, l->k);
    if (l->pad) n += snprintf(name + n, len - n, " p%d", l->pad);
    if (l->stride != (l->kind == LAYER_CONV ? 1 : l->k))
        snprintf(name + n, len - n, " s%d", l->stride);
}

/* The report's breakdown of a layer's parameters (its section 4.2): the
 * weights as a product of their dimensions (conv: out x in x k x k; fc:
 * inputs x outputs; bn: its scale) and the bias count; empty for a layer
 * without any. */
static void weight_shape(const layer_spec *l, char *weights, size_t wlen, char *biases,
                         size_t blen)
{
    const layer_def *d = layer_def_of(l->kind);
    if (!d->describe) return;
    d->describe(l, weights, wlen);
    snprintf(biases, blen, "%ld", l->bias);
}

static void print_layers(const char *net_name, const net_spec *spec)
{
    printf("net  %s\nspec %s\n\n", net_name, spec->text);
    printf("%-3s %-18s %-14s %-18s %-8s %10s\n", "#", "layer", "output", "weights W",
           "biases b", "params");
    printf("%-3s %-18s %3dx%3dx%d\n", "", "input", spec->in.c, spec->in.h, spec->in.w);
    for (int i = 0; i < spec->n_layers; i++) {
        const layer_spec *l = &spec->layer[i];
        char name[32], weights[48] = "", biases[24] = "";
        layer_name(l, name, sizeof name);
        weight_shape(l, weights, sizeof weights, biases, sizeof biases);
        printf("%-3d %-18s %3dx%3dx%-6d %-18s %-8s %10ld\n", i + 1, name, l->out_shape.c,
               l->out_shape.h, l->out_shape.w, weights, biases, l->weights + l->bias);
        if (l->state)
            printf("%-3s %-18s running mean and variance: %ld values (not trained)\n", "", "",
                   l->state);
    }
    printf("\ntotal parameters: %ld\n", spec->n_params);
    if (spec->n_state)
        printf("running statistics: %ld (bn, kept in checkpoints)\n", spec->n_state);
}

/* v with the fewest digits that read back as the same float. */
static const char *float_text(float v, char buf[32])
{
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(buf, 32, "%.*g", digits, v);
        if (strtof(buf, NULL) == v) break;
    }
    return buf;
}

static void print_preset(const net_preset *preset)
{
    printf("preset defaults: lr %g", preset->lr);
    int step = preset->lr_schedule == CNN_SCHED_STEP; /* another schedule is named below */
    if (step && preset->lr_step > 0)
        printf(" (x%g every %d epochs)", preset->lr_gamma, preset->lr_step);
    else if (step)
        printf(" (constant)");
    printf(", momentum %g, weight decay %g, batch %d, %d epochs, inputs %s, init ",
           preset->momentum, preset->weight_decay, preset->batch, preset->epochs,
           preset->normalize);
    if (preset->init_std > 0)
        printf("normal %g", preset->init_std);
    else
        printf("He uniform");
    static const char *const optimizers[] = CNN_OPTIM_NAMES, *const schedules[] = CNN_SCHED_NAMES;
    if (preset->optimizer != CNN_OPTIM_SGD) printf(", optimizer %s", optimizers[preset->optimizer]);
    if (preset->lr_schedule != CNN_SCHED_STEP)
        printf(", schedule %s", schedules[preset->lr_schedule]);
    if (preset->warmup > 0) printf(", warmup %g epochs", preset->warmup);
    char augment[128];
    augment_spec_format(preset->augment, augment, sizeof augment);
    if (!cnn_augment_none(preset->augment)) printf(", augment %s", augment);
    printf("\n");
    /* the same as train's flags, for scripts (the PyTorch peers read it) */
    char f[6][32];
    printf("preset-flags --lr %s --lr-step %d --lr-gamma %s --momentum %s --weight-decay %s "
           "--batch %d --epochs %d --normalize %s --init-std %s --optimizer %s --lr-schedule %s "
           "--warmup %s --augment %s\n", float_text(preset->lr, f[0]), preset->lr_step,
           float_text(preset->lr_gamma, f[1]), float_text(preset->momentum, f[2]),
           float_text(preset->weight_decay, f[3]), preset->batch, preset->epochs,
           preset->normalize, float_text(preset->init_std, f[4]),
           optimizers[preset->optimizer], schedules[preset->lr_schedule],
           float_text(preset->warmup, f[5]),
           augment);
}

/* Each bn layer's running statistics, as a checkpoint holds them. */
static void print_running_stats(const net_spec *spec, const checkpoint_meta *meta)
{
    printf("\nrunning statistics (bn momentum %g, eps %g): channel: mean, variance\n",
           meta->bn_momentum, meta->bn_eps);
    for (int i = 0; i < spec->n_layers; i++) {
        const layer_spec *l = &spec->layer[i];
        if (!l->state) continue;
        const float *mean = meta->state + l->state_offset, *var = mean + l->state / 2;
        printf("layer %d (bn, %ld channels):", i + 1, l->state / 2);
        for (long c = 0; c < l->state / 2; c++)
            printf("%s %ld: %.4g, %.4g", c ? ";" : "", c, mean[c], var[c]);
        printf("\n");
    }
}

/* The network a checkpoint holds; -1 (printed) when it cannot be read. */
static int load_model(const char *model, net_spec *spec, checkpoint_meta *meta)
{
    float *params, *mom;
    long n;
    char err[4400];
    if (checkpoint_load(model, meta, &params, &mom, &n, err, sizeof err)) {
        print_error("cnn summary: %s", err);
        return -1;
    }
    free(params);
    free(mom);
    if (checkpoint_spec(meta, n, spec, err, sizeof err)) {
        print_error("cnn summary: %s: %s", model, err);
        free(meta->state);
        free(meta->moment2);
        return -1;
    }
    return 0;
}

int cmd_summary(int argc, char **argv)
{
    const char *net_name, *model;
    cli_opt opts[] = {
        {"net", OPT_STR, &net_name, "seed-cnn", "preset (seed-cnn, mlp1, mlp2, seed-cnn4, lenet5, cnn-bn, seed-cnn-99, seed-cnn-fast) or layer spec", 0, 0},
        {"model", OPT_STR, &model, "", "a checkpoint instead: its network and bn's running statistics", 0, 0},
    };
    int r = cli_parse("summary", "[--net NAME|SPEC] [--model FILE]", opts, 2, argc, argv, 2);
    if (r) return r < 0 ? 2 : 0;
    net_spec spec;
    const net_preset *preset = NULL;
    checkpoint_meta meta = {0};
    if (*model) {
        if (load_model(model, &spec, &meta)) return 1;
        net_name = model;
    } else if (resolve_net("summary", net_name, &spec, &preset)) {
        return 2;
    }
    print_layers(net_name, &spec);
    if (meta.state_count) print_running_stats(&spec, &meta);
    free(meta.state);
    free(meta.moment2);
    if (preset && net_preset_find(net_name)) print_preset(preset);
    return 0;
}
