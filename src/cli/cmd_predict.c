/* cnn predict: the digit a checkpoint sees in PNG or PGM pictures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "flags.h"
#include "commands.h"
#include "digit_prep.h"
#include "json_out.h"
#include "png_io.h"
#include "text_out.h"

#define PREDICT_MAX_IMAGES 4096

/* Moves the arguments that are no flags or flag values (the image paths, and
 * everything after "--") from argv[first..] into images; the rest stays in
 * argv, in order, for cli_parse. Returns the new argc. */
static int split_positionals(const cli_opt *opts, int n_opts, int argc, char **argv, int first,
                             const char **images, int *n_images)
{
    /* *n_images counts past PREDICT_MAX_IMAGES; only that many are kept */
#define KEEP(p) (*n_images < PREDICT_MAX_IMAGES ? (void)(images[*n_images] = (p)) : (void)0, \
                 (*n_images)++)
    int out = first;
    *n_images = 0;
    for (int a = first; a < argc; a++) {
        const char *arg = argv[a];
        if (!strcmp(arg, "--")) {
            while (++a < argc) KEEP(argv[a]);
            break;
        }
        if (arg[0] == '-' && arg[1]) {
            argv[out++] = argv[a];
            /* "--name value": the value goes with it (a boolean's only when
             * it is one, as cli_parse reads it) */
            if (!strncmp(arg, "--", 2) && !strchr(arg, '=')) {
                for (int i = 0; i < n_opts; i++)
                    if (!strcmp(opts[i].name, arg + 2) && a + 1 < argc &&
                        (opts[i].kind != OPT_BOOL || cli_bool_word(argv[a + 1]))) {
                        argv[out++] = argv[++a];
                        break;
                    }
            }
            continue;
        }
        KEEP(arg);
    }
    return out;
#undef KEEP
}

#define PREDICT_USAGE                                                                        \
    "--model FILE IMAGE...\n\n"                                                             \
    "Classifies each IMAGE, a PNG or a PGM (P2/P5) picture of one digit.\n"                  \
    "A 28x28 picture is used as it is (inverted if dark on light); any other\n"              \
    "size is prepared like MNIST: inverted if dark on light, cropped to the\n"               \
    "digit, scaled so its longer side is 20 pixels, and centred by its centre\n"             \
    "of mass in 28x28. Prints the digit, the ten probabilities and, last, one\n"             \
    "JSON line per image."

/* The pictures, each read and prepared as MNIST's digits were. */
typedef struct {
    int n;
    const char **paths;
    unsigned char (*digits)[DIGIT_SIDE * DIGIT_SIDE];
    digit_prep_info *info;
    int *sizes;           /* width, height of each */
} pictures;

static void pictures_free(pictures *p)
{
    free(p->digits);
    free(p->info);
    free(p->sizes);
}

/* Every picture read and prepared before anything is printed; -1 (printed). */
static int read_pictures(pictures *p)
{
    p->digits = malloc(sizeof *p->digits * p->n);
    p->info = malloc(sizeof *p->info * p->n);
    p->sizes = malloc(sizeof(int) * 2 * p->n);
    if (!p->digits || !p->info || !p->sizes) {
        print_error("cnn predict: out of memory");
        return -1;
    }
    for (int i = 0; i < p->n; i++) {
        gray_image img;
        char err[600];
        if (image_read_gray(p->paths[i], &img, err, sizeof err)) {
            print_error("cnn predict: %s", err);
            return -1;
        }
        int bad = digit_to_mnist(&img, p->digits[i], &p->info[i]);
        p->sizes[2 * i] = img.w;
        p->sizes[2 * i + 1] = img.h;
        gray_image_free(&img);
        if (bad) {
            print_error("cnn predict: %s: out of memory preparing the image", p->paths[i]);
            return -1;
        }
    }
    return 0;
}

/* How picture i was prepared, its prediction and the ten values. */
static void print_prediction(const classifier *c, const pictures *p, int i, int pred,
                             const float *probs)
{
    const digit_prep_info *d = &p->info[i];
    printf("\n%s: %dx%d", text_shown(p->paths[i]), p->sizes[2 * i], p->sizes[2 * i + 1]);
    if (d->inverted) printf(", inverted (dark on light)");
    if (d->blank)
        printf(", blank: nothing but background");
    else if (d->resized)
        printf(", digit %dx%d at (%d,%d) scaled to %dx%d and centred at (%d,%d) in 28x28",
               d->box_w, d->box_h, d->box_x, d->box_y, d->scaled_w, d->scaled_h, d->off_x,
               d->off_y);
    else
        printf(", used as is");
    printf("\npredicted %d (%s %.4f)\n", pred, c->euclid ? "score" : "probability", probs[pred]);
    if (c->euclid)
        printf("this net has a Euclidean loss: the ten outputs are scores (1 means the "
               "class, 0 not), not probabilities\n");
    for (int k = 0; k < c->m.ck.meta.classes; k++)
        printf("  %d  %8.4f  %s\n", k, probs[k], k == pred ? "<" : "");
}

/* Picture i's JSON line. */
static void print_json_line(const classifier *c, const pictures *p, int i, int pred,
                            const float *probs)
{
    json_out j;
    json_begin(&j, stdout);
    json_string(&j, "image", p->paths[i]);
    json_int(&j, "predicted", pred);
    json_array(&j, c->euclid ? "scores" : "probabilities");
    for (int k = 0; k < c->m.ck.meta.classes; k++) json_digits(&j, NULL, probs[k], 6);
    json_end(&j);
}

/* Classifies every picture, then prints the model, the lines and one JSON
 * line each; nothing when an output is not finite (-1, printed). */
static int classify_all(classifier *c, const char *model, const pictures *p)
{
    float(*probs)[CLASS_MAX] = malloc(sizeof *probs * p->n);
    int *pred = malloc(sizeof(int) * p->n);
    int rc = probs && pred ? 0 : -1;
    if (rc) print_error("cnn predict: out of memory");
    for (int i = 0; i < p->n && rc == 0; i++) {
        float scores[CLASS_MAX];
        if ((pred[i] = classifier_run(c, p->digits[i], scores, probs[i])) < 0) {
            classifier_refuse_nonfinite("predict", model, p->paths[i]);
            rc = -1;
        }
    }
    if (rc == 0) {
        printf("model %s: %s, %d epochs\ndevice %s\n", text_shown(model), c->m.spec.text,
               c->m.ck.meta.epochs_done, c->m.device);
        for (int i = 0; i < p->n; i++) print_prediction(c, p, i, pred[i], probs[i]);
        for (int i = 0; i < p->n; i++) print_json_line(c, p, i, pred[i], probs[i]);
    }
    free(probs);
    free(pred);
    return rc;
}

/* The arguments a run needs: a model and one to PREDICT_MAX_IMAGES pictures. */
static int check_args(const char *model, int n_images)
{
    if (require_model("predict", model)) return 2;
    if (n_images > PREDICT_MAX_IMAGES) {
        print_error("cnn predict: %d images: at most %d per call", n_images,
                    PREDICT_MAX_IMAGES);
        return 2;
    }
    if (n_images == 0) {
        print_error("cnn predict: no image given: cnn predict --model FILE IMAGE.png");
        return 2;
    }
    return 0;
}

int cmd_predict(int argc, char **argv)
{
    const char *model;
    run_config cfg;
    flag_set f = {0};
    run_config_defaults(&cfg);
    flags_add_own(&f, "model", OPT_STR, &model, "",
                  "checkpoint to classify with (from train --save)");
    add_single_image_settings(&f, CMD_PREDICT, &cfg);
    static const char *images[PREDICT_MAX_IMAGES];
    pictures p = {.paths = images};
    argc = split_positionals(f.opt, f.n, argc, argv, 2, images, &p.n);
    int r = flags_parse(&f, "predict", PREDICT_USAGE, argc, argv);
    if (r) return r < 0 ? 2 : 0;
    if ((r = check_args(model, p.n))) return r;
    classifier c = {0};
    int rc = 1;
    if (read_pictures(&p) == 0 && classifier_open("predict", model, &cfg, &c) == 0)
        rc = classify_all(&c, model, &p) ? 1 : 0;
    classifier_close(&c);
    pictures_free(&p);
    return rc;
}
