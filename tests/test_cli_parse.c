/* The flag parser called directly: which values each kind takes, and how a
 * boolean reads its next argument. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include <float.h>
#include <stdint.h>
#include <string.h>

#include "cli/cli.h"

static int parse(opt_kind kind, int min_zero, const char *text, void *value)
{
    cli_opt opt = {"x", kind, value, NULL, "", min_zero, 0};
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
    cr_assert_neq(parse(OPT_FLOAT, 1, "1e-46", &v), 0, "a min_zero flag took 1e-46 as 0");
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

Test(cli_parse, threads_are_bounded)
{
    int t = -1;
    cr_assert_eq(parse(OPT_THREADS, 1, "0", &t), 0);
    cr_assert_eq(parse(OPT_THREADS, 1, "1024", &t), 0);
    cr_assert_eq(t, 1024);
    cli_opt opt = {"threads", OPT_THREADS, &t, NULL, "", 1, 0};
    char err[256];
    cr_assert_neq(cli_parse_value(&opt, "1025", err, sizeof err), 0);
    cr_assert_str_eq(err, "--threads: expected a whole number from 0 to 1024, got \"1025\"");
}

/* Parses the arguments with two booleans and one string flag. */
static int parse_args(const char *const args[], int n, int *quiet, int *graph, const char **name)
{
    cli_opt opts[] = {
        {"quiet", OPT_BOOL, quiet, "false", "", 0, 0},
        {"graph", OPT_BOOL, graph, "true", "", 0, 0},
        {"name", OPT_STR, name, "", "", 0, 0},
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
