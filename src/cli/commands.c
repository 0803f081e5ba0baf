/* What the subcommands share: resolving --net, loading --data, opening the
 * device, checking output paths early. */
#include "commands.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int resolve_net(const char *cmd, const char *name, net_spec *spec, const net_preset **preset)
{
    const net_preset *found = net_preset_find(name);
    char err[NET_SPEC_ERR_MAX];
    if (net_spec_parse(found ? found->spec : name, CNN_INPUT_SHAPE, CNN_CLASSES, spec, err,
                       sizeof err)) {
        if (!found && !strchr(name, ',') && !looks_like_layer(name)) {
            char names[512] = "";
            for (int i = 0; i < net_presets_count; i++)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                         net_presets[i].name, i + 1 < net_presets_count ? ", " : "");
            print_error("cnn %s: --net: unknown network \"%s\": use %s or a layer spec such "
                        "as fc392,relu,fc10,softmax", cmd, name, names);
        }
        else
            print_error("cnn %s: --net: %s", cmd, err);
        return -1;
    }
    *preset = found ? found : net_preset_find("seed-cnn");
    return 0;
}

int load_data(const char *cmd, const char *dir, dataset *train, dataset *test)
{
    char err[512];
    const dataset_want want = {CNN_CLASSES, CNN_INPUT_SHAPE.h, CNN_INPUT_SHAPE.w};
    if (dataset_load_dir(dir, &want, train, test, err, sizeof err)) {
        print_error("cnn %s: %s", cmd, err);
        return -1;
    }
    return 0;
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
