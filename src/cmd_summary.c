/* cnn summary: a network's layers, output shapes and parameter counts. */
#include <stdio.h>

#include "cli.h"
#include "commands.h"

int cmd_summary(int argc, char **argv)
{
    const char *net_name;
    cli_opt opts[] = {
        {"net", OPT_STR, &net_name, "seed-cnn", "preset (seed-cnn, mlp1, mlp2) or layer spec", 0, 0},
    };
    int r = cli_parse("summary", "[--net NAME|SPEC]", opts, 1, argc, argv, 2);
    if (r) return r < 0 ? 2 : 0;
    net_spec spec;
    const net_preset *preset;
    if (resolve_net("summary", net_name, &spec, &preset)) return 2;
    printf("net  %s\nspec %s\n\n", net_name, spec.text);
    printf("%-3s %-14s %-14s %10s\n", "#", "layer", "output", "params");
    printf("%-3s %-14s %3dx%3dx%-6d %10s\n", "", "input", spec.in.c, spec.in.h, spec.in.w, "");
    for (int i = 0; i < spec.n_layers; i++) {
        const layer_spec *l = &spec.layer[i];
        char name[32];
        switch (l->kind) {
        case LAYER_CONV:
            snprintf(name, sizeof name, "conv %dx%d", l->k, l->k);
            break;
        case LAYER_POOL:
            snprintf(name, sizeof name, "avgpool %dx%d", l->k, l->k);
            break;
        default:
            snprintf(name, sizeof name, "%s", layer_kind_name(l->kind));
        }
        printf("%-3d %-14s %3dx%3dx%-6d %10ld\n", i + 1, name, l->out_shape.c, l->out_shape.h,
               l->out_shape.w, l->weights + l->bias);
    }
    printf("\ntotal parameters: %ld\n", spec.n_params);
    if (net_preset_find(net_name))
        printf("preset defaults: lr %g (x%g every %d epochs), momentum %g, weight decay %g, "
               "batch %d, %d epochs, inputs %s\n", preset->lr, preset->lr_gamma,
               preset->lr_step, preset->momentum, preset->weight_decay, preset->batch,
               preset->epochs, preset->normalize);
    return 0;
}
