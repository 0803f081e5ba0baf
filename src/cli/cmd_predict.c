/* cnn predict: the class a checkpoint sees in each picture (PNG, JPEG, PGM,
 * PPM), each picture on its own: a bad one is reported and the others go on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flags.h"
#include "commands.h"
#include "predict_inputs.h"
#include "predict_prep.h"
#include "predict_print.h"
#include "text_out.h"

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
    "--model FILE IMAGE|FOLDER...\n\n"                                                      \
    "Classifies each IMAGE: a PNG, JPEG, PGM or PPM picture, grey or colour (told by\n"     \
    "its bytes, not its name). A FOLDER stands for its entries in byte order of their\n"    \
    "names (names starting with a dot are skipped; sub-folders are not entered). At\n"      \
    "most 4096 pictures per call, folders expanded.\n\n"                                    \
    "How a picture becomes the model's input:\n"                                           \
    "- a model of MNIST's shape (1x28x28 inputs, any class count) trained on IDX\n"      \
    "  files: the picture is made grey (luma, (299 R + 587 G + 114 B + 500) / 1000)\n"   \
    "  and prepared as MNIST's\n"                                                        \
    "  digits were: inverted if dark on light (more than half of its outermost pixels\n"  \
    "  brighter than mid-grey); a 28x28 picture is then used as it is; any other size\n"  \
    "  has its background level (the border's median) subtracted and its contrast\n"     \
    "  stretched, is cropped to the box of the pixels above 15% of the brightest,\n"      \
    "  scaled by area averaging so that the box's longer side is 20 pixels (aspect\n"     \
    "  ratio kept), stretched again to a brightest 255, and placed in a black 28x28\n"    \
    "  with its centre of mass at (14, 14). A picture with nothing but background is\n"   \
    "  blank: never a confident prediction.\n"                                            \
    "- any other model (C x H x W inputs): channels first (colour to grey: luma as\n"     \
    "  above; grey to colour: the grey level in all three), then the size: a picture\n"  \
    "  of another size is stretched to W x H by area averaging, each pixel the mean of\n" \
    "  the area it covers (the aspect ratio is not kept); one of the model's size and\n" \
    "  channels is used as it is.\n\n"                                                    \
    "Prints each picture's preparation, its predicted class (its name when the model\n"    \
    "has names), a \"not confident\" line when the top probability is below\n"            \
    "--min-confidence (not for Euclidean-loss nets, whose outputs are scores), the K\n"    \
    "probabilities and, last, one JSON line per picture (\"class\", \"predicted\",\n"     \
    "\"confident\", \"probabilities\"; {\"image\", \"error\"} for one that failed). A\n"  \
    "picture that cannot be read or classified is named in one line on stderr and the\n"   \
    "others go on; the exit status is 1 when any failed, 0 when all were classified."

/* The arguments a run needs: a model and one to PREDICT_MAX_IMAGES pictures. */
static int check_count(const char *what, int n)
{
    if (n > PREDICT_MAX_IMAGES) {
        print_error("cnn predict: %d %s: at most %d pictures per call", n, what,
                    PREDICT_MAX_IMAGES);
        return 2;
    }
    if (n == 0) {
        print_error("cnn predict: no image given: cnn predict --model FILE IMAGE.png");
        return 2;
    }
    return 0;
}

/* r's failure: err on stderr and kept for the JSON line; -1. */
static int failed_with(predict_result *r, const char *err)
{
    print_error("cnn predict: %s", err);
    r->error = strdup(err);
    return -1;
}

/* Classifies one picture into r and prints its lines; 0, or -1 with
 * r->error set (printed). */
static int predict_one(classifier *c, const char *model, const predict_input *in,
                       unsigned char *input, float min_confidence, predict_result *r)
{
    char err[ERR_LINE_MAX];
    predict_prep how;
    float scores[CLASS_MAX];
    r->pred = -1;
    if (in->error) return failed_with(r, in->error);
    if (predict_prepare(in->path, &c->m.ck.meta, input, &how, err, sizeof err))
        return failed_with(r, err);
    r->pred = classifier_run(c, input, scores, r->probs);
    if (r->pred == -1) {
        classifier_refuse_nonfinite("predict", model, in->path); /* its own line */
        r->error = strdup("the model's outputs are not finite: no prediction");
        return -1;
    }
    if (r->pred < 0) {
        snprintf(err, sizeof err, "%s: out of memory classifying it", in->path);
        return failed_with(r, err);
    }
    int blank = how.digit && how.d.blank;
    r->confident = blank ? 0 : c->euclid ? -1 : r->probs[r->pred] >= min_confidence;
    predict_print_text(c, in->path, &how, r, min_confidence);
    return 0;
}

/* Every picture in turn, then the JSON lines; 1 when any failed, else 0. */
static int predict_all(classifier *c, const char *model, const predict_inputs *in,
                       float min_confidence)
{
    const checkpoint_meta *m = &c->m.ck.meta;
    predict_result *res = calloc((size_t)in->n, sizeof *res);
    unsigned char *input = malloc((size_t)m->in_c * m->in_h * m->in_w);
    if (!res || !input) {
        print_error("cnn predict: out of memory");
        free(res);
        free(input);
        return 1;
    }
    predict_print_header(c, model);
    int failed = 0;
    for (int i = 0; i < in->n; i++)
        failed += predict_one(c, model, &in->item[i], input, min_confidence, &res[i]) != 0;
    for (int i = 0; i < in->n; i++) {
        predict_print_json(c, in->item[i].path, &res[i]);
        free(res[i].error);
    }
    free(res);
    free(input);
    return failed ? 1 : 0;
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
    static const char *args[PREDICT_MAX_IMAGES];
    int n_args;
    argc = split_positionals(f.opt, f.n, argc, argv, 2, args, &n_args);
    int r = flags_parse(&f, "predict", PREDICT_USAGE, argc, argv);
    if (r) return r < 0 ? 2 : 0;
    if (require_model("predict", model)) return 2;
    if ((r = check_count("images", n_args))) return r;
    predict_inputs in;
    if (predict_inputs_expand(args, n_args, &in)) return 1;
    if ((r = check_count("pictures (folders expanded)", in.n))) {
        predict_inputs_free(&in);
        return r;
    }
    classifier c = {0};
    int rc = 1;
    if (classifier_open("predict", model, &cfg, &c) == 0)
        rc = predict_all(&c, model, &in, cfg.min_confidence);
    classifier_close(&c);
    predict_inputs_free(&in);
    return rc;
}
