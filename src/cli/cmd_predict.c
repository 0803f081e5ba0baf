/* cnn predict: the digit a checkpoint sees in PNG or PGM pictures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "cli.h"
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

int cmd_predict(int argc, char **argv)
{
    const char *model, *device;
    int gpu, threads;
    cli_opt opts[] = {
        {"model", OPT_STR, &model, "", "checkpoint to classify with (from train --save)", 0, 0},
        {"device", OPT_STR, &device, "cpu", "cpu, gpu, or auto (a GPU when present)", 0, 0},
        {"gpu", OPT_INT, &gpu, "0", "which GPU", 1, 0},
        {"threads", OPT_THREADS, &threads, "1",
         "CPU threads (0: the free cores); one suits single images", 1, 0},
    };
    const int n_opts = sizeof opts / sizeof opts[0];
    static const char *images[PREDICT_MAX_IMAGES];
    int n_images;
    argc = split_positionals(opts, n_opts, argc, argv, 2, images, &n_images);
    int r = cli_parse("predict",
                      "--model FILE IMAGE...\n\n"
                      "Classifies each IMAGE, a PNG or a PGM (P2/P5) picture of one digit.\n"
                      "A 28x28 picture is used as it is (inverted if dark on light); any other\n"
                      "size is prepared like MNIST: inverted if dark on light, cropped to the\n"
                      "digit, scaled so its longer side is 20 pixels, and centred by its centre\n"
                      "of mass in 28x28. Prints the digit, the ten probabilities and, last, one\n"
                      "JSON line per image.",
                      opts, n_opts, argc, argv, 2);
    if (r) return r < 0 ? 2 : 0;
    if (!device_name_ok("predict", device)) return 2;
    if (!*model) {
        print_error("cnn predict: --model FILE is required (a checkpoint from train --save)");
        return 2;
    }
    if (n_images > PREDICT_MAX_IMAGES) {
        print_error("cnn predict: %d images: at most %d per call", n_images,
                    PREDICT_MAX_IMAGES);
        return 2;
    }
    if (n_images == 0) {
        print_error("cnn predict: no image given: cnn predict --model FILE IMAGE.png");
        return 2;
    }

    /* every picture read and prepared before anything is printed */
    unsigned char(*digits)[DIGIT_SIDE * DIGIT_SIDE] = malloc(sizeof *digits * n_images);
    digit_prep_info *info = malloc(sizeof *info * n_images);
    int *sizes = malloc(sizeof(int) * 2 * n_images);
    if (!digits || !info || !sizes) {
        print_error("cnn predict: out of memory");
        free(digits);
        free(info);
        free(sizes);
        return 1;
    }
    int rc = 1;
    classifier c = {0};
    for (int i = 0; i < n_images; i++) {
        gray_image img;
        char err[600];
        if (image_read_gray(images[i], &img, err, sizeof err)) {
            print_error("cnn predict: %s", err);
            goto done;
        }
        int bad = digit_to_mnist(&img, digits[i], &info[i]);
        sizes[2 * i] = img.w;
        sizes[2 * i + 1] = img.h;
        gray_image_free(&img);
        if (bad) {
            print_error("cnn predict: %s: out of memory preparing the image", images[i]);
            goto done;
        }
    }

    if (classifier_open("predict", model, device, gpu, threads, &c)) goto done;
    printf("model %s: %s, %d epochs\ndevice %s\n", model, c.spec.text, c.meta.epochs_done, c.desc);

    float(*probs)[CNN_CLASSES] = malloc(sizeof *probs * n_images);
    int *pred = malloc(sizeof(int) * n_images);
    if (!probs || !pred) {
        print_error("cnn predict: out of memory");
        free(probs);
        free(pred);
        goto done;
    }
    const char *what = c.euclid ? "score" : "probability";
    for (int i = 0; i < n_images; i++) {
        float scores[CNN_CLASSES];
        pred[i] = classifier_run(&c, digits[i], scores, probs[i]);
        const digit_prep_info *p = &info[i];
        printf("\n%s: %dx%d", images[i], sizes[2 * i], sizes[2 * i + 1]);
        if (p->inverted) printf(", inverted (dark on light)");
        if (p->blank)
            printf(", blank: nothing but background");
        else if (p->resized)
            printf(", digit %dx%d at (%d,%d) scaled to %dx%d and centred at (%d,%d) in 28x28",
                   p->box_w, p->box_h, p->box_x, p->box_y, p->scaled_w, p->scaled_h, p->off_x,
                   p->off_y);
        else
            printf(", used as is");
        printf("\npredicted %d (%s %.4f)\n", pred[i], what, probs[i][pred[i]]);
        if (c.euclid)
            printf("this net has a Euclidean loss: the ten outputs are scores (1 means the "
                   "class, 0 not), not probabilities\n");
        for (int k = 0; k < CNN_CLASSES; k++)
            printf("  %d  %8.4f  %s\n", k, probs[i][k], k == pred[i] ? "<" : "");
    }
    for (int i = 0; i < n_images; i++) {
        json_out j;
        json_begin(&j, stdout);
        json_string(&j, "image", images[i]);
        json_int(&j, "predicted", pred[i]);
        json_array(&j, c.euclid ? "scores" : "probabilities");
        for (int k = 0; k < CNN_CLASSES; k++) json_digits(&j, NULL, probs[i][k], 6);
        json_end(&j);
    }
    free(probs);
    free(pred);
    rc = 0;
done:
    classifier_close(&c);
    free(digits);
    free(info);
    free(sizes);
    return rc;
}
