/* cnn visualize: pictures of a trained network. Every convolution's
 * kernels (a 3-channel first layer's in colour), and for the first test
 * image of a few classes its input, what every convolution makes of it
 * (after its activation) and the prediction, each picture with a title
 * line that says what it shows (vis_model.c, vis_draw.c); every file is
 * listed and explained in DIR/index.md (vis_out.c). With --augment instead,
 * a grid of training images as that augmentation moves them
 * (vis_augment.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "augment_spec.h"
#include "paths.h"
#include "flags.h"
#include "commands.h"
#include "json_out.h"
#include "text_out.h"
#include "vis.h"
#include "vis_augment.h"

/* Samples drawn by default: the first this many classes in the test set. */
#define DEFAULT_SAMPLES 4

/* "a, b, c" of the model's first names (up to about 200 bytes). */
static void names_list(const class_names *names, char *out, size_t len)
{
    size_t at = 0;
    out[0] = 0;
    for (int i = 0; i < names->count && at < len; i++) {
        if (at > 200) {
            snprintf(out + at, len - at, ", ...");
            return;
        }
        at += (size_t)snprintf(out + at, len - at, "%s%s", i ? ", " : "", names->name[i]);
    }
}

/* Item p[0 .. n-1] of --FLAG TEXT: a class number below the model's class
 * count or one of its names; -1 (printed) when neither. */
static int class_of_item(const char *flag, const char *text, const char *p, size_t n,
                         const checkpoint_meta *m)
{
    char item[CLASS_NAME_MAX + 1], list[320];
    if (n == 0 || n > CLASS_NAME_MAX) {
        print_error("cnn visualize: --%s: expected class numbers or names separated by commas, "
                    "such as 0,3 or cat,dog; got \"%s\"", flag, text_shown(text));
        return -1;
    }
    snprintf(item, sizeof item, "%.*s", (int)n, p);
    if (strspn(item, "0123456789") == n) {
        int v = n > 3 ? CLASS_MAX : atoi(item);
        if (v < m->classes) return v;
        print_error("cnn visualize: --%s: class %s is not one of the model's %d (0 to %d), in "
                    "\"%s\"", flag, item, m->classes, m->classes - 1, text_shown(text));
        return -1;
    }
    for (int i = 0; i < m->names.count; i++)
        if (!strcmp(m->names.name[i], item)) return i;
    names_list(&m->names, list, sizeof list);
    if (m->names.count)
        print_error("cnn visualize: --%s: \"%s\" in \"%s\" is not a class of the model (its "
                    "classes: %s)", flag, text_shown(item), text_shown(text), text_shown(list));
    else
        print_error("cnn visualize: --%s: \"%s\" in \"%s\" is no class number, and the model "
                    "names no classes: give numbers 0 to %d", flag, text_shown(item),
                    text_shown(text), m->classes - 1);
    return -1;
}

/* --FLAG TEXT's form, checked before the model is read: items separated
 * by commas, each 1 to CLASS_NAME_MAX - 1 bytes without control
 * characters (a class number or a name). 0, or -1 (printed). */
static int classes_form(const char *flag, const char *text)
{
    for (const char *p = text;; p++) {
        size_t len = strcspn(p, ","), ok = 1;
        for (size_t i = 0; i < len; i++) ok &= (unsigned char)p[i] >= 32 && p[i] != 127;
        if (!ok || len == 0 || len >= CLASS_NAME_MAX) {
            print_error("cnn visualize: --%s: expected class numbers or names separated by "
                        "commas, such as 0,3 or cat,dog; got \"%s\"", flag, text_shown(text));
            return -1;
        }
        p += len;
        if (!*p) return 0;
    }
}

/* --classes or --digits (flag) TEXT: distinct classes separated by commas,
 * into cls (*n of them). 0, or -1 (printed). */
static int parse_classes(const char *flag, const char *text, const checkpoint_meta *m, int *cls,
                         int *n)
{
    *n = 0;
    for (const char *p = text;; p++) {
        size_t len = strcspn(p, ",");
        int v = class_of_item(flag, text, p, len, m);
        if (v < 0) return -1;
        for (int i = 0; i < *n; i++)
            if (cls[i] == v) {
                print_error("cnn visualize: --%s: class %d is given twice in \"%s\"", flag, v,
                            text_shown(text));
                return -1;
            }
        if (*n == CLASS_MAX) break;
        cls[(*n)++] = v;
        p += len;
        if (!*p) return 0;
    }
    return 0;
}

/* The first test image of class k, or -1. */
static int first_of_class(const dataset *test, int k)
{
    for (int j = 0; j < test->count; j++)
        if (test->labels[j] == k) return j;
    return -1;
}

/* The samples: the first test image of each class asked for (-1, printed,
 * when one has none), or by default of the first DEFAULT_SAMPLES classes
 * the test set holds. Their number, or -1. */
static int pick_samples(const dataset *test, const char *data, const int *cls, int n_cls,
                        int classes, vis_sample *res)
{
    int n = 0;
    if (test->count == 0) {
        print_error("cnn visualize: --data %s has no test set: no sample to draw",
                    text_shown(data));
        return -1;
    }
    for (int i = 0; i < (n_cls ? n_cls : classes) && (n_cls || n < DEFAULT_SAMPLES); i++) {
        int k = n_cls ? cls[i] : i, at = first_of_class(test, k);
        if (at < 0 && n_cls) {
            print_error("cnn visualize: --data %s: no test image is of class %d (choose others "
                        "with --classes)", text_shown(data), k);
            return -1;
        }
        if (at < 0) continue;
        memset(&res[n], 0, sizeof res[n]);
        res[n].cls = k;
        res[n++].index = at;
    }
    return n;
}

/* The classes flag given (--classes or its old name --digits) and its
 * text, or "" when none. 2 (printed) when both are. */
static int classes_flag(const flag_set *f, const char *classes, const char *digits,
                        const char **flag, const char **text)
{
    int c = flags_given(f, "classes"), d = flags_given(f, "digits");
    if (c && d) {
        print_error("cnn visualize: --classes and --digits are the same flag: give one");
        return 2;
    }
    *flag = d ? "digits" : "classes";
    *text = d ? digits : c ? classes : "";
    return 0;
}

/* visualize --augment: DIR/augment.png, no model. */
static int visualize_augment(const char *spec_text, uint64_t seed, const char *out,
                             const run_config *cfg)
{
    cnn_augment a;
    char err[ERR_LINE_MAX], path[PATH_BUF_MAX];
    if (augment_spec_parse(spec_text, &a, err, sizeof err)) {
        print_error("cnn visualize: --augment: %s", err);
        return 2;
    }
    dataset train = {0};
    int rc = 1, w, h;
    snprintf(path, sizeof path, "%s/augment.png", out);
    if (prepare_out_dir(out) || load_data("visualize", cfg, 0, &train, NULL, NULL)) goto done;
    if (augment_grid_png(&train, a, seed, path, &w, &h, err, sizeof err)) {
        print_error("cnn visualize: %s", err);
        goto done;
    }
    printf("wrote %s (%dx%d): the first %d training images (left column) and %d draws of "
           "each\n", text_shown(path), w, h, AUGMENT_GRID_ROWS, AUGMENT_GRID_DRAWS);
    json_out j;
    json_begin(&j, stdout);
    json_string(&j, "out", out);
    json_int(&j, "files", 1);
    json_string(&j, "augment", spec_text);
    json_end(&j);
    rc = 0;
done:
    dataset_free(&train);
    return rc;
}


/* The samples of the model's data (its own --data unless given) and its
 * pictures; 0, 1 or 2 (printed). */
static int draw_for_data(classifier *c, const flag_set *f, run_config *cfg, const char *flag,
                         const char *text, out_list *o)
{
    int cls[CLASS_MAX], n_cls = 0, rc = 1;
    if (*text && parse_classes(flag, text, &c->m.ck.meta, cls, &n_cls)) return 2;
    take_model_data_settings(f, &c->m, cfg);
    dataset test = {0};
    vis_sample *res = calloc(CLASS_MAX, sizeof *res);
    if (!res) {
        print_error("cnn visualize: out of memory");
    } else if (prepare_out_dir(o->dir) == 0 &&
               load_data("visualize", cfg, c->m.ck.meta.classes, NULL, &test, NULL) == 0 &&
               data_fits_model("visualize", &c->m, cfg, &test) == 0) {
        int n = pick_samples(&test, cfg->data, cls, n_cls, c->m.ck.meta.classes, res);
        if (n >= 0 && draw_model(c, &test, res, n, o) == 0) rc = 0;
    }
    dataset_free(&test);
    free(res);
    return rc;
}

/* visualize --model: the net's pictures for the asked-for classes. */
static int visualize_model(const char *model, const char *out, const char *flag,
                           const char *text, const flag_set *f, run_config *cfg)
{
    if (*text && classes_form(flag, text)) return 2;
    classifier c;
    if (classifier_open("visualize", model, cfg, &c)) return 1;
    out_list o = {out, model, NULL, 0, 0};
    int rc = draw_for_data(&c, f, cfg, flag, text, &o);
    classifier_close(&c);
    free(o.files);
    return rc;
}

/* The flags that exclude or need each other; 2 (printed) or 0. */
static int check_args(const char *model, const char *out, const char *augment)
{
    const char *no_out = "cnn visualize: --out DIR is required (a folder for the pictures)";
    if (*augment && *model) {
        print_error("cnn visualize: --augment draws training digits and takes no --model: "
                    "draw the model in another run");
        return 2;
    }
    if (*augment && !*out) {
        print_error("%s", no_out);
        return 2;
    }
    if (!*augment && require_model("visualize", model)) return 2;
    if (!*out) {
        print_error("%s", no_out);
        return 2;
    }
    return 0;
}

int cmd_visualize(int argc, char **argv)
{
    const char *model, *out, *classes, *digits, *augment;
    run_config c;
    flag_set f = {0};
    run_config_defaults(&c);
    flags_add_own(&f, "model", OPT_STR, &model, "",
                  "checkpoint to draw (from train --save)");
    flags_add_own(&f, "out", OPT_STR, &out, "",
                  "folder for the PNGs and index.md (made if missing)");
    flags_add_own(&f, "classes", OPT_STR, &classes, "",
                  "classes whose first test image is drawn, by number or name, comma-separated (0,3 or cat,dog); none given: the first 4 classes the test set holds");
    flags_add_own(&f, "digits", OPT_STR, &digits, "",
                  "the older name of --classes (0,3,6,9), kept for scripts");
    flags_add_own(&f, "augment", OPT_STR, &augment, "",
                  "instead of a model: DIR/augment.png, a grid of training images as train --augment SPEC moves them (8 rows, one per training image: the image as stored, then its draws for steps 1 to 7 of a run with --seed; colour for 3-channel data); takes no --model");
    add_single_image_settings(&f, CMD_VISUALIZE, &c);
    flags_set_help(&f, "seed", "--augment: the run's seed");
    int r = flags_parse(&f, "visualize", "--model FILE --out DIR [flags], or --augment SPEC --out DIR",
                        argc, argv);
    if (r) return r < 0 ? 2 : 0;
    const char *flag, *text;
    if ((r = check_args(model, out, augment)) || (r = classes_flag(&f, classes, digits, &flag,
                                                                   &text)))
        return r;
    if (*augment) return visualize_augment(augment, c.seed, out, &c);
    return visualize_model(model, out, flag, text, &f, &c);
}
