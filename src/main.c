/* cnn: train, evaluate and describe convolutional networks on MNIST-shaped
 * IDX data, on the CPU or a CUDA GPU. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "device.h"
#include "text_out.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: cnn <command> [flags]\n\n"
                 "commands:\n"
                 "  train     train a network on MNIST-shaped IDX data\n"
                 "  eval      test loss, accuracy and confusion matrix of a checkpoint\n"
                 "  summary   a network's layers, shapes and parameter counts\n"
                 "  predict   the digit a checkpoint sees in PNG or PGM pictures\n"
                 "  visualize PNGs of a checkpoint's kernels and feature maps on test digits\n"
                 "\n'cnn <command> --help' lists a command's flags and their defaults;\n"
                 "'cnn --version' says which backends this build has.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("cnn: this build's backends: %s\n", device_build_backends());
        return 0;
    }
    if (!strcmp(argv[1], "train")) return cmd_train(argc, argv);
    if (!strcmp(argv[1], "eval")) return cmd_eval(argc, argv);
    if (!strcmp(argv[1], "summary")) return cmd_summary(argc, argv);
    if (!strcmp(argv[1], "predict")) return cmd_predict(argc, argv);
    if (!strcmp(argv[1], "visualize")) return cmd_visualize(argc, argv);
    print_error("cnn: unknown command \"%s\" (try cnn --help)", argv[1]);
    return 2;
}
