/* make report's structure on a tiny run: scripts/report.sh with 1 epoch on
 * the first 3,000 MNIST training images and seeds 1 and 2 must write a
 * report.md with the side-by-side table (the report's figures beside ours,
 * the mean of the seeds), every run, the per-layer parameter table, the
 * curves at the report's sampling (25 iterations; 50 in the comparison;
 * per epoch) and the section-5 pictures of seed-cnn4, every picture it names
 * being a PNG on disk. Skipped without gnuplot, which make report installs
 * (CI runs make report first, then this test again). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run_util.h"

static char out_dir[300];
static char *report;

static void setup(void)
{
    make_temp_dir("test_report", NULL, 0);
    snprintf(out_dir, sizeof out_dir, "%s/report", temp_dir);
}

static void teardown(void)
{
    free(report);
    report = NULL;
    remove_temp_dir();
}

TestSuite(report, .init = setup, .fini = teardown, .timeout = 600);

static int gnuplot_found(void)
{
    result r;
    run_program("/bin/sh", (const char *const[]){"sh", "-c", "command -v gnuplot", NULL}, 10, &r);
    int found = r.exited && r.status == 0;
    result_free(&r);
    return found;
}

/* Runs the report once for the suite's test; report holds report.md. */
static void run_report(void)
{
    if (!gnuplot_found()) {
        remove_temp_dir();
        cr_skip_test("gnuplot not found: make report installs it (scripts/deps.sh plots)");
    }
    char cnn[4096];
    cnn_bin_absolute(cnn, sizeof cnn);
    setenv("CNN", cnn, 1);
    setenv("DATA", "data/mnist", 1);
    setenv("OUT", out_dir, 1);
    setenv("EPOCHS", "1", 1);
    setenv("SEEDS", "1 2", 1);
    setenv("TRAIN_LIMIT", "3000", 1);
    setenv("DEVICE", "cpu", 1);
    result r;
    run_program("/bin/bash", (const char *const[]){"bash", "scripts/report.sh", NULL}, 500, &r);
    cr_assert(r.exited && r.status == 0, "report.sh failed (status %d, %s):\n%s", r.status,
              r.timed_out ? "timed out" : "not timed out", r.err);
    result_free(&r);
    size_t len;
    report = (char *)read_file(tmp_path("report/report.md"), &len);
}

static void expect_has(const char *what)
{
    cr_expect_not_null(strstr(report, what), "report.md lacks \"%s\"", what);
}

/* The row of the side-by-side table that starts with "| net |". */
static const char *table_row(const char *net)
{
    const char *table = strstr(report, "## The report's table, side by side");
    cr_assert_not_null(table);
    char start[64];
    snprintf(start, sizeof start, "\n| %s |", net);
    const char *row = strstr(table, start);
    cr_assert_not_null(row, "no row for %s in the side-by-side table", net);
    return row + 1;
}

/* The highest accuracy of one run, from the table of each run (net, seed,
 * epochs, highest accuracy, ...). */
static double run_best(const char *net, int seed)
{
    char start[64];
    snprintf(start, sizeof start, "\n| %s | %d | ", net, seed);
    const char *table = strstr(report, "## Each run");
    cr_assert_not_null(table, "report.md has no table of runs");
    const char *row = strstr(table, start);
    cr_assert_not_null(row, "no row for %s seed %d in the table of runs", net, seed);
    int epochs;
    double best;
    cr_assert_eq(sscanf(row + strlen(start), "%d | %lf%%", &epochs, &best), 2, "%.80s", row);
    cr_expect_eq(epochs, 1, "%s seed %d: %d epochs, asked 1", net, seed, epochs);
    return best;
}

static void expect_side_by_side(const char *net, const char *acc, const char *time)
{
    const char *row = table_row(net);
    char theirs[64];
    snprintf(theirs, sizeof theirs, "| %s |", acc);
    const char *end = strchr(row, '\n');
    const char *at = strstr(row, theirs);
    cr_expect(at && at < end, "the %s row lacks the report's accuracy %s", net, acc);
    at = strstr(row, time);
    cr_expect(at && at < end, "the %s row lacks the report's time %s", net, time);
    /* ours: the mean of the two seeds, then their range */
    double mean = (run_best(net, 1) + run_best(net, 2)) / 2;
    char ours[64];
    snprintf(ours, sizeof ours, "| %.2f%% (", mean);
    at = strstr(row, ours);
    cr_expect(at && at < end, "the %s row should give the seeds' mean %s", net, ours);
}

/* Every ![...](path) in report.md is a PNG in the output folder. */
static int expect_pictures_exist(void)
{
    int count = 0;
    for (const char *p = strstr(report, "]("); p; p = strstr(p + 2, "](")) {
        const char *end = strchr(p, ')');
        if (!end || end - p > 200 || strncmp(end - 4, ".png", 4)) continue;
        char rel[256];
        snprintf(rel, sizeof rel, "report/%.*s", (int)(end - p - 2), p + 2);
        size_t len;
        unsigned char *png = read_file(tmp_path(rel), &len);
        cr_expect(len > 8 && !memcmp(png, "\x89PNG", 4), "%s is not a PNG", rel);
        free(png);
        count++;
    }
    return count;
}

/* The train rows' steps of a CSV log: each a multiple of every, or the
 * epoch's last step (last). */
static void expect_sampling(const char *rel, int every, int last)
{
    size_t len;
    char *csv = (char *)read_file(tmp_path(rel), &len);
    int rows = 0;
    for (char *line = strstr(csv, "\ntrain,"); line; line = strstr(line + 1, "\ntrain,")) {
        int epoch;
        long step;
        cr_assert_eq(sscanf(line, "\ntrain,%d,%ld,", &epoch, &step), 2, "%s: bad row", rel);
        cr_expect(step % every == 0 || step == last, "%s: a train row at step %ld", rel, step);
        rows++;
    }
    cr_expect_eq(rows, last / every + (last % every != 0), "%s: %d train rows", rel, rows);
    cr_expect_not_null(strstr(csv, "\ntest,1,"), "%s: no test row after the epoch", rel);
    free(csv);
}

Test(report, tiny_run_has_the_reports_tables_curves_and_pictures)
{
    run_report();
    expect_has("## The report's table, side by side");
    expect_side_by_side("seed-cnn", "98.58%", "≥ 2 h");
    expect_side_by_side("mlp1", "98.32%", "2 min");
    expect_side_by_side("mlp2", "98.75%", "3.5 min");

    /* the settings of each net, read from its run's banner (cnn train's
     * own lines): the presets' schedule and initial weights in words */
    expect_has("- seed-cnn: `conv4k5p2,relu,avgpool2,conv8k5p2,relu,avgpool2,fc10,softmax`; "
               "epochs 1; batch 50; lr 0.1, x0.5 every 5 epochs; momentum 0.0001; "
               "weight decay 0.0002; init uniform, +-sqrt(6/fan_in); input x * ");
    expect_has("- mlp1: `fc392,relu,fc10,softmax`; epochs 1; batch 100; lr 0.1, constant; "
               "momentum 0.0001; weight decay 0.0001; init normal, deviation 0.01; input x * ");
    expect_has("- mlp2: `fc392,relu,fc196,relu,fc10,euclid`; epochs 1; batch 100; lr 0.1, "
               "constant; momentum 0.0001; weight decay 0.0002; init normal, deviation 0.01; "
               "input x * ");

    /* the parameter table, layer by layer, agrees with the report's */
    const char *params[] = {"4x1x5x5=100 | 4 | 100, 4", "8x4x5x5=800 | 8 | 800, 8",
                            "392x10=3920 | 10 | 3920, 10", "784x392=307328 | 392 | 307328, 392",
                            "392x196=76832 | 196 | 76832, 196", "196x10=1960 | 10 | 1960, 10",
                            "| 4842 |", "| 311650 |", "| 386718 |"};
    const char *section = strstr(report, "## Parameters");
    cr_assert_not_null(section, "report.md has no parameter table");
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
        cr_expect_not_null(strstr(section, params[i]), "the parameter table lacks \"%s\"", params[i]);
    cr_expect_null(strstr(report, "differs"), "a layer differs from the report's");

    /* 3,000 images: 60 steps of 50 for seed-cnn, 30 of 100 for the MLPs */
    expect_sampling("report/runs/seed-cnn-s1/train.csv", 25, 60);
    expect_sampling("report/runs/mlp1-s2/train.csv", 25, 30);
    expect_sampling("report/compare/seed-cnn/train.csv", 50, 60);
    expect_sampling("report/compare/mlp2/train.csv", 50, 30);

    /* section 5: seed-cnn4's outputs after ReLU for 0, 3, 6, 9 and kernels */
    expect_has("conv4k5p2,relu,avgpool2,conv4k5p2,relu,avgpool2,fc10,softmax");
    for (int conv = 1; conv <= 2; conv++) {
        char name[96];
        for (int digit = 0; digit <= 9; digit += 3) {
            snprintf(name, sizeof name, "(pictures/seed-cnn4/class%d_conv%d_relu.png)", digit, conv);
            expect_has(name);
        }
        snprintf(name, sizeof name, "(pictures/seed-cnn4/conv%d_kernels.png)", conv);
        expect_has(name);
    }
    const char *charts[] = {"(seed-cnn/loss.png)", "(mlp1/accuracy.png)", "(mlp2/test-accuracy.png)",
                            "(compare/loss.png)", "(compare/test-accuracy.png)"};
    for (size_t i = 0; i < sizeof charts / sizeof charts[0]; i++) expect_has(charts[i]);
    /* 4 charts for each net and 4 compared; 10 pictures each of seed-cnn4 and seed-cnn */
    cr_expect_eq(expect_pictures_exist(), 36, "report.md should name 36 pictures");
}
