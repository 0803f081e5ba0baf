/* cnn summary: a network's layers, output shapes and parameter counts. */
#include <stdio.h>

#include "cli.h"
#include "commands.h"

static void layer_name(const layer_spec *l, char *name, size_t len)
{
    if (l->kind == LAYER_CONV)
        snprintf(name, len, "conv %dx%d", l->k, l->k);
    else if (l->kind == LAYER_POOL)
        snprintf(name, len, "avgpool %dx%d", l->k, l->k);
    else
        snprintf(name, len, "%s", layer_kind_name(l->kind));
}

/* The report's breakdown of a layer's parameters (its section 4.2): the
 * weights as a product of their dimensions (conv: out x in x k x k; fc:
 * inputs x outputs) and the bias count; empty for a layer without any. */
static void weight_shape(const layer_spec *l, shape3 in, char *weights, size_t wlen,
                         char *biases, size_t blen)
{
    if (l->kind == LAYER_CONV)
        snprintf(weights, wlen, "%dx%dx%dx%d=%ld", l->out_shape.c, in.c, l->k, l->k, l->weights);
    else if (l->kind == LAYER_FC)
        snprintf(weights, wlen, "%ldx%d=%ld", (long)in.c * in.h * in.w, l->out_shape.c,
                 l->weights);
    else
        return;
    snprintf(biases, blen, "%ld", l->bias);
}

int cmd_summary(int argc, char **argv)
{
    const char *net_name;
    cli_opt opts[] = {
        {"net", OPT_STR, &net_name, "seed-cnn", "preset (seed-cnn, mlp1, mlp2, seed-cnn4) or layer spec", 0, 0},
    };
    int r = cli_parse("summary", "[--net NAME|SPEC]", opts, 1, argc, argv, 2);
    if (r) return r < 0 ? 2 : 0;
    net_spec spec;
    const net_preset *preset;
    if (resolve_net("summary", net_name, &spec, &preset)) return 2;
    printf("net  %s\nspec %s\n\n", net_name, spec.text);
    printf("%-3s %-14s %-14s %-18s %-8s %10s\n", "#", "layer", "output", "weights W",
           "biases b", "params");
    printf("%-3s %-14s %3dx%3dx%d\n", "", "input", spec.in.c, spec.in.h, spec.in.w);
    shape3 in = spec.in;
    for (int i = 0; i < spec.n_layers; i++) {
        const layer_spec *l = &spec.layer[i];
        char name[32], weights[48] = "", biases[24] = "";
        layer_name(l, name, sizeof name);
        weight_shape(l, in, weights, sizeof weights, biases, sizeof biases);
        printf("%-3d %-14s %3dx%3dx%-6d %-18s %-8s %10ld\n", i + 1, name, l->out_shape.c,
               l->out_shape.h, l->out_shape.w, weights, biases, l->weights + l->bias);
        in = l->out_shape;
    }
    printf("\ntotal parameters: %ld\n", spec.n_params);
    if (net_preset_find(net_name)) {
        printf("preset defaults: lr %g", preset->lr);
        if (preset->lr_step > 0)
            printf(" (x%g every %d epochs)", preset->lr_gamma, preset->lr_step);
        else
            printf(" (constant)");
        printf(", momentum %g, weight decay %g, batch %d, %d epochs, inputs %s, init ",
               preset->momentum, preset->weight_decay, preset->batch, preset->epochs,
               preset->normalize);
        if (preset->init_std > 0)
            printf("normal %g\n", preset->init_std);
        else
            printf("He uniform\n");
    }
    return 0;
}
