/* cnn summary: a network's layers, output shapes and parameter counts, and
 * with --model the running statistics a checkpoint holds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "augment_spec.h"
#include "model.h"
#include "presets.h"
#include "flags.h"
#include "commands.h"
#include "data_source.h"
#include "layer.h"
#include "paths.h"
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
    printf("net  %s\nspec %s\n\n", text_shown(net_name), spec->text);
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

/* How the preset departs from the defaults, and all the settings a preset
 * may set as train's flags, for scripts (the PyTorch peers read that line). */
static void print_preset(const net_preset *preset)
{
    run_config c;
    preset_config(&c, preset);
    printf("preset settings: %s\n", *preset->settings ? preset->settings : "the defaults");
    printf("preset-flags");
    for (int i = 0; i < run_settings_count; i++) {
        const setting_def *d = &run_settings[i];
        if (!(d->roles & SET_PRESET)) continue;
        char value[256];
        setting_format(d, &c, value, sizeof value);
        printf(" --%s %s", d->flag, value);
    }
    printf("\n");
}

/* Each bn layer's running statistics, as a checkpoint holds them. */
static void print_running_stats(const model *m)
{
    const net_spec *spec = &m->spec;
    printf("\nrunning statistics (bn momentum %g, eps %g): channel: mean, variance\n",
           m->ck.meta.cfg.bn_momentum, m->ck.meta.cfg.bn_eps);
    for (int i = 0; i < spec->n_layers; i++) {
        const layer_spec *l = &spec->layer[i];
        if (!l->state) continue;
        const float *mean = m->ck.state + l->state_offset, *var = mean + l->state / 2;
        printf("layer %d (bn, %ld channels):", i + 1, l->state / 2);
        for (long c = 0; c < l->state / 2; c++)
            printf("%s %ld: %.4g, %.4g", c ? ";" : "", c, mean[c], var[c]);
        printf("\n");
    }
}

/* The input shape: where it comes from (a checkpoint, or --data's probe). */
static void print_input(const net_spec *spec, const char *from)
{
    printf("input: %dx%dx%d (channels x height x width), %s\n", spec->in.c, spec->in.h,
           spec->in.w, from);
}

/* How a checkpoint scales its input bytes: one line, per channel where the
 * channels differ. */
static void print_scaling(const input_norm *n)
{
    if (n->channels < 1) {
        printf("input scaling: none kept\n");
        return;
    }
    int same = input_norm_channels_alike(n);
    printf("input scaling: byte x ->");
    for (int c = 0; c < (same ? 1 : n->channels); c++)
        printf("%s x * %.6g %c %.6g", c ? ";" : "", n->scale[c], n->shift[c] < 0 ? '-' : '+',
               fabsf(n->shift[c]));
    if (!same) printf(" (channels 0 to %d in turn)\n", n->channels - 1);
    else printf("%s\n", n->channels > 1 ? " (every channel)" : "");
}

/* The classes: their count and, where the model knows them, their names. */
static void print_classes(int classes, const class_names *names)
{
    printf("classes: %d", classes);
    for (int i = 0; i < names->count; i++)
        printf("%s%d %s", i ? ", " : " (", i, text_shown(names->name[i]));
    printf("%s\n", names->count ? ")" : "");
}

/* --net without --model: its spec for --data's shape and classes. */
static int resolve_for_data(const run_config *c, net_spec *spec, const net_preset **preset)
{
    data_shape d;
    char err[ERR_LINE_MAX];
    if (data_probe(c, &d, err, sizeof err)) {
        print_error("cnn summary: %s (the net's shape comes from the data)", err);
        return 1;
    }
    shape3 in = {d.channels, d.rows, d.cols};
    return resolve_net("summary", c->net, in, d.classes, spec, preset) ? 2 : 0;
}

int cmd_summary(int argc, char **argv)
{
    run_config c;
    const char *path;
    flag_set f = {0};
    run_config_defaults(&c);
    flags_add_settings(&f, CMD_SUMMARY, &c, NULL);
    flags_add_own(&f, "model", OPT_STR, &path, "",
                  "a checkpoint instead: its network and bn's running statistics");
    int r = flags_parse(&f, "summary", "[--net NAME|SPEC] [--data DIR] [--model FILE]", argc, argv);
    if (r) return r < 0 ? 2 : 0;
    model m = {0};
    const net_preset *preset = NULL;
    char err[ERR_LINE_MAX];
    if (*path && model_read(path, &m, err, sizeof err)) {
        print_error("cnn summary: %s", err);
        return 1;
    }
    if (!*path && (r = resolve_for_data(&c, &m.spec, &preset))) return r;
    print_layers(*path ? path : c.net, &m.spec);
    char from[PATH_BUF_MAX + 32];
    snprintf(from, sizeof from, "%s %s",
             *path ? "from the model, trained on --data" : "from --data",
             text_shown(*path ? m.ck.meta.cfg.data : c.data));
    print_input(&m.spec, from);
    if (*path) print_scaling(&m.ck.meta.norm);
    print_classes(m.spec.classes, &m.ck.meta.names);
    if (m.ck.state_count) print_running_stats(&m);
    if (preset && net_preset_find(c.net)) print_preset(preset);
    model_free(&m);
    return 0;
}
