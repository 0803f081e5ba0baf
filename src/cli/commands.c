/* What the subcommands share: resolving --net, loading --data, opening the
 * device, checking output paths early. */
#include "commands.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data_source.h"
#include "device.h"
#include "layer.h"
#include "file_write.h"
#include "paths.h"
#include "text_out.h"

/* Whether a --net value that is no preset was meant as a spec. */
static int looks_like_layer(const char *name)
{
    return layer_def_for_token(name, name + strlen(name)) != NULL;
}

int resolve_net(const char *cmd, const char *name, shape3 in, int classes, net_spec *spec,
                const net_preset **preset)
{
    const net_preset *found = net_preset_find(name);
    char err[NET_SPEC_ERR_MAX], text[NET_SPEC_MAX + 16];
    /* (a words-only check, classes 0, reads the preset as written) */
    if (found && preset_spec_for(found, classes > 0 ? classes : 10, text, sizeof text)) {
        print_error("cnn %s: --net %s: its spec for %d classes is too long", cmd, name, classes);
        return -1;
    }
    if (net_spec_parse(found ? text : name, in, classes, spec, err, sizeof err)) {
        if (!found && !strchr(name, ',') && !looks_like_layer(name)) {
            char names[512] = "";
            for (int i = 0; i < net_presets_count; i++)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                         net_presets[i].name, i + 1 < net_presets_count ? ", " : "");
            print_error("cnn %s: --net: unknown network \"%s\": use %s or a layer spec such "
                        "as fc392,relu,fc10,softmax", cmd, name, names);
        }
        else
            print_error(in.c ? "cnn %s: --net: %s (the data: %dx%dx%d inputs, %d classes)"
                             : "cnn %s: --net: %s", cmd, err, in.c, in.h, in.w,
                        classes < 0 ? -classes : classes);
        return -1;
    }
    *preset = found ? found : net_preset_find("seed-cnn");
    return 0;
}

int load_data(const char *cmd, const run_config *c, int classes, dataset *train, dataset *test,
              int *skipped)
{
    char err[ERR_LINE_MAX];
    if (data_load(c, classes, train, test, skipped, err, sizeof err)) {
        print_error("cnn %s: %s", cmd, err);
        return -1;
    }
    return 0;
}

int load_model_data(const char *cmd, const flag_set *f, const run_config *c, int classes,
                    dataset *test)
{
    char err[ERR_LINE_MAX];
    if (data_load(c, classes, NULL, test, NULL, err, sizeof err) == 0) return 0;
    /* (a path kept as train was given it: relative to where it ran, or another machine's) */
    print_error("cnn %s: %s%s", cmd, err, flags_given(f, "data") ? "" :
                " (the model's own --data, as its train run named it: give --data to use another)");
    return -1;
}

const cnn_ops *open_device(const char *cmd, const run_config *c, char *desc, size_t desclen)
{
    char err[512], note[512];
    const cnn_ops *ops = device_select(setting_choice(SETTING(device), c), c->gpu, c->threads,
                                       desc, desclen, note, sizeof note, err, sizeof err);
    if (!ops) print_error("cnn %s: %s", cmd, err);
    else if (note[0]) print_error("cnn %s: note: %s", cmd, note);
    return ops;
}

int check_writable(const char *cmd, const char *flag, const char *path)
{
    char err[ERR_LINE_MAX];
    if (file_check_output(path, err, sizeof err) == 0) return 0;
    print_error("cnn %s: %s %s", cmd, flag, err);
    return -1;
}

int eval_batch_size(const net_spec *spec, int want, int largest)
{
    int batch = want < largest ? want : largest;
    net_size fit;
    if (net_size_check(spec, batch, &fit) != 0 && fit.max_batch >= 1) batch = fit.max_batch;
    return batch >= 1 ? batch : 1;
}

int require_model(const char *cmd, const char *path)
{
    if (*path) return 0;
    print_error("cnn %s: --model FILE is required (a checkpoint from train --save)", cmd);
    return 2;
}

void add_single_image_settings(flag_set *f, int cmd, run_config *c)
{
    flags_add_settings(f, cmd, c, "device=cpu threads=1");
    flags_set_help(f, "threads", "CPU threads (0: the free cores); one suits single images");
}

void take_model_data_settings(const flag_set *f, const model *m, run_config *c)
{
    /* other --data: its own format found (the model's picture size and
     * channels, which make pictures its inputs, still taken) */
    int other_data = flags_given(f, "data");
    for (int i = 0; i < run_settings_count; i++) {
        const setting_def *d = &run_settings[i];
        if ((d->roles & DATA_ROLES) == DATA_ROLES && (d->commands & CMD_EVAL) &&
            !flags_given(f, d->flag) && !(other_data && d == SETTING(format)))
            setting_copy(d, c, &m->ck.meta.cfg);
    }
}

int data_fits_model(const char *cmd, const model *m, const run_config *c, dataset *d)
{
    const checkpoint_meta *meta = &m->ck.meta;
    char have[64], want[64];
    /* (an IDX set's classes are its largest label + 1: a model may know more) */
    int classes_fit = d->classes == meta->classes ||
                      (d->classes < meta->classes && !d->names.count);
    if (d->channels != meta->in_c || d->rows != meta->in_h || d->cols != meta->in_w ||
        !classes_fit) {
        print_error("cnn %s: --data %s holds %s inputs of %d classes; the model takes %s inputs "
                    "of %d classes", cmd, text_shown(c->data),
                    data_shape_text(d->channels, d->rows, d->cols, have, sizeof have),
                    d->classes, data_shape_text(meta->in_c, meta->in_h, meta->in_w, want,
                                                sizeof want), meta->classes);
        return -1;
    }
    d->classes = meta->classes;
    if (!d->names.count && meta->names.count && strcmp(c->data, meta->cfg.data) != 0)
        print_error("cnn %s: warning: the model names its classes (\"%s\", ...) and --data %s "
                    "names none, nor is it the model's own data (%s): is it the data the model "
                    "was trained for?", cmd, text_shown(meta->names.name[0]), text_shown(c->data),
                    text_shown(meta->cfg.data));
    if (d->names.count && meta->names.count && !class_names_same(&d->names, &meta->names)) {
        int i = 0;
        while (!strcmp(d->names.name[i], meta->names.name[i])) i++;
        print_error("cnn %s: warning: the data's class names differ from the model's (class %d: "
                    "\"%s\" in --data %s, \"%s\" in the model)", cmd, i,
                    text_shown(d->names.name[i]), text_shown(c->data),
                    text_shown(meta->names.name[i]));
    }
    return 0;
}
