/* The flag parser called directly: which values each kind takes, and how a
 * boolean reads its next argument. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include <float.h>
#include <stdint.h>
#include <string.h>

#include "cli.h"
#include "settings.h"

/* Parses text as a flag of kind; zero_ok: a number's range starts at a
 * closed 0 (else the kind's own: a whole number from 1, a positive float). */
static int parse(opt_kind kind, int zero_ok, const char *text, void *value)
{
    const char *range = !zero_ok ? NULL : kind == OPT_FLOAT ? "[0, inf)" : "[0, 2147483647]";
    cli_opt opt = {.name = "x", .kind = kind, .value = value, .help = "", .range = range};
    char err[256];
    return cli_parse_value(&opt, text, err, sizeof err);
}

Test(cli_parse, floats_in_range_are_taken)
{
    const char *ok[] = {"0.1", "1e-4", ".5", "5.", "1E3", "3.4028234e38", "1.2e-38", "007"};
    const float want[] = {0.1f, 1e-4f, 0.5f, 5.f, 1e3f, FLT_MAX, 1.2e-38f, 7.f};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        float v = -1;
        cr_assert_eq(parse(OPT_FLOAT, 0, ok[i], &v), 0, "refused %s", ok[i]);
        cr_assert_eq(v, want[i], "%s read as %g", ok[i], v);
    }
    float v = -1;
    cr_assert_eq(parse(OPT_FLOAT, 1, "0", &v), 0);
    cr_assert_eq(v, 0.0f);
}

Test(cli_parse, floats_outside_a_floats_normal_range_are_refused)
{
    const char *bad[] = {"0", "1e-46", "1e-40", "3.5e38", "inf", "nan", " 1", "+1", "-1", "1 ",
                         "0x10", "1e", "e5", "", "."};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        float v = 42;
        cr_assert_neq(parse(OPT_FLOAT, 0, bad[i], &v), 0, "took \"%s\"", bad[i]);
        cr_assert_eq(v, 42, "\"%s\" changed the value", bad[i]);
    }
    float v;
    cr_assert_neq(parse(OPT_FLOAT, 1, "1e-46", &v), 0, "a flag that takes 0 took 1e-46 as 0");
}

Test(cli_parse, whole_numbers_are_plain_digits)
{
    int i = 0;
    uint64_t u = 0;
    cr_assert_eq(parse(OPT_INT, 0, "2147483647", &i), 0);
    cr_assert_eq(i, 2147483647);
    cr_assert_eq(parse(OPT_U64, 1, "18446744073709551615", &u), 0);
    cr_assert_eq(u, UINT64_MAX);
    const char *bad[] = {" 5", "+5", "-5", "5 ", "0x5", "5e0", "", "2147483648"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        cr_assert_neq(parse(OPT_INT, 0, bad[k], &i), 0, "OPT_INT took \"%s\"", bad[k]);
    const char *bad_u[] = {" 1", "-1", " -1", "+1", "18446744073709551616", ""};
    for (size_t k = 0; k < sizeof bad_u / sizeof bad_u[0]; k++)
        cr_assert_neq(parse(OPT_U64, 1, bad_u[k], &u), 0, "OPT_U64 took \"%s\"", bad_u[k]);
}

/* --threads, through its row of the settings table: its range says 0 to 1024. */
Test(cli_parse, threads_are_bounded)
{
    run_config c;
    run_config_defaults(&c);
    cli_opt opt = setting_flag(SETTING(threads), &c);
    char err[256];
    cr_assert_eq(cli_parse_value(&opt, "0", err, sizeof err), 0);
    cr_assert_eq(cli_parse_value(&opt, "1024", err, sizeof err), 0);
    cr_assert_eq(c.threads, 1024);
    cr_assert_neq(cli_parse_value(&opt, "1025", err, sizeof err), 0);
    cr_assert_str_eq(err, "--threads: expected a whole number from 0 to 1024, got \"1025\"");
}

/* A float with a bounded interval: the ends as its row writes them. */
Test(cli_parse, intervals_have_open_and_closed_ends)
{
    float v = -1;
    cli_opt opt = {.name = "beta1", .kind = OPT_FLOAT, .value = &v, .help = "", .range = "[0, 1)"};
    char err[256];
    cr_assert_eq(cli_parse_value(&opt, "0", err, sizeof err), 0);
    cr_assert_eq(cli_parse_value(&opt, "0.99999994", err, sizeof err), 0);
    cr_assert_neq(cli_parse_value(&opt, "1", err, sizeof err), 0, "[0, 1) took 1");
    cr_assert_str_eq(err, "--beta1: expected a number in [0, 1): 0 or a positive number from 1.1754944e-38 to 1 "
                          "(1 excluded), got \"1\"");
    opt.range = "(0, 1]";
    cr_assert_neq(cli_parse_value(&opt, "0", err, sizeof err), 0, "(0, 1] took 0");
    cr_assert_eq(cli_parse_value(&opt, "1", err, sizeof err), 0);
    cr_assert_neq(cli_parse_value(&opt, "1.0000001", err, sizeof err), 0, "(0, 1] took 1+");
}

/* A choice: one of its words, stored as its index; the message lists them. */
Test(cli_parse, choices_take_their_words_only)
{
    static const char *const words[] = {"sgd", "adam"};
    int v = -1;
    cli_opt opt = {.name = "optimizer", .kind = OPT_CHOICE, .value = &v, .help = "",
                   .choices = words, .n_choices = 2};
    char err[256];
    cr_assert_eq(cli_parse_value(&opt, "adam", err, sizeof err), 0);
    cr_assert_eq(v, 1);
    cr_assert_neq(cli_parse_value(&opt, "Adam", err, sizeof err), 0);
    cr_assert_str_eq(err, "--optimizer: expected sgd or adam, got \"Adam\"");
    cr_assert_eq(v, 1, "a refused word changed the value");
}

/* Parses the arguments with two booleans and one string flag. */
static int parse_args(const char *const args[], int n, int *quiet, int *graph, const char **name)
{
    cli_opt opts[] = {
        {.name = "quiet", .kind = OPT_BOOL, .value = quiet, .def = "false", .help = ""},
        {.name = "graph", .kind = OPT_BOOL, .value = graph, .def = "true", .help = ""},
        {.name = "name", .kind = OPT_STR, .value = name, .def = "", .help = ""},
    };
    char *argv[8] = {"cnn", "t"};
    for (int i = 0; i < n; i++) argv[i + 2] = (char *)args[i];
    return cli_parse("t", "", opts, 3, n + 2, argv, 2);
}

/* the arguments as parse_args takes them: the array and its length */
#define ARGS(...)                            \
    (const char *const[]){__VA_ARGS__},      \
        (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *))

/* (the refused ones print their line on stderr: kept out of the test log) */
Test(cli_parse, booleans_take_a_next_true_or_false, .init = cr_redirect_stderr)
{
    int quiet, graph;
    const char *name;
    cr_assert_eq(parse_args(ARGS("--quiet", "false", "--graph", "false"), &quiet, &graph, &name),
                 0);
    cr_assert(!quiet && !graph);
    cr_assert_eq(parse_args(ARGS("--quiet", "--graph", "0"), &quiet, &graph, &name), 0);
    cr_assert(quiet && !graph);
    cr_assert_eq(parse_args(ARGS("--graph=false", "--quiet", "1"), &quiet, &graph, &name), 0);
    cr_assert(quiet && !graph);
    cr_assert_eq(parse_args(ARGS("--quiet", "--name", "true"), &quiet, &graph, &name), 0);
    cr_assert(quiet && graph);
    cr_assert_str_eq(name, "true");
    /* anything else after a boolean is not its value */
    cr_assert_eq(parse_args(ARGS("--quiet", "yes"), &quiet, &graph, &name), -1);
    cr_assert_eq(parse_args(ARGS("--quiet", "TRUE"), &quiet, &graph, &name), -1);
}
