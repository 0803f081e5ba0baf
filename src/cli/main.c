/* cnn: train, evaluate and describe convolutional networks on MNIST-shaped
 * IDX data, on the CPU or a CUDA GPU. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "device.h"
#include "clock.h"
#include "startup.h"
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

static int run_command(int argc, char **argv)
{
    if (startup_problem()) { /* the environment, checked before the libraries read it */
        print_error("cnn: %s", startup_problem());
        return 2;
    }
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

/* Descriptors 0-2 were made valid and the threads' environment checked
 * before any library ran (startup.c). A closed pipe or a file size limit makes a write fail (EPIPE, EFBIG) rather
 * than kill the process: every write is checked, and the failure is said and
 * handled (cnn train writes its checkpoint). Whatever a command printed last
 * is flushed and checked here. */
int main(int argc, char **argv)
{
    process_start_s = monotonic_seconds(); /* first: --target-acc counts from here */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);
    int status = run_command(argc, argv);
    int failed = fflush(stdout) != 0 || ferror(stdout), e = errno;
    if (failed && status == 0) { /* (a failed command has said why already) */
        fprintf(stderr, "cnn: cannot write to stdout: %s\n", e ? strerror(e) : "write error");
        status = e == EPIPE ? 128 + SIGPIPE : 1;
    }
    return status;
}
