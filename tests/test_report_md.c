/* make report's arithmetic: scripts/report_md.sh on made-up runs whose
 * figures are known (no training, no gnuplot). Two seeds of each net, with
 * test accuracy base + 0.05 per epoch, one dip at the last epoch and seed 2
 * 0.1 higher, so the highest over the run, over the first 30 epochs and
 * after the last epoch all differ; wall time 10 + 2 s an epoch for seed 1,
 * 10 + 4 s for seed 2. Every cell of the side-by-side table is checked, for
 * a run of 40 epochs and one of 20 (time compared with the report's scaled). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "run_util.h"

TestSuite(report_md, .init = NULL, .fini = remove_temp_dir, .timeout = 60);

static const struct {
    const char *net, *spec;
    double base; /* seed 1's accuracy at epoch 0 of the made-up line */
    const char *lr_step, *init_std; /* the banner's, as the presets have them */
} NETS[] = {
    {"seed-cnn", "conv4k5p2,relu,avgpool2,conv8k5p2,relu,avgpool2,fc10,softmax", 97.0, "5", "0"},
    {"mlp1", "fc392,relu,fc10,softmax", 96.3, "0", "0.01"},
    {"mlp2", "fc392,relu,fc196,relu,fc10,euclid", 97.0, "0", "0.01"},
};

static FILE *create(const char *rel)
{
    FILE *f = fopen(tmp_path(rel), "w");
    cr_assert_not_null(f, "cannot write %s", tmp_path(rel));
    return f;
}

/* runs/NET-sSEED/train.csv and train.log of one made-up run; the log's
 * banner is cnn train's: the facts, then one line per setting labelled by
 * its flag (some of them here) */
static void make_run(const char *net, const char *spec, double base, int seed, int epochs,
                     const char *lr_step, const char *init_std)
{
    char rel[128];
    snprintf(rel, sizeof rel, "runs/%s-s%d", net, seed);
    cr_assert_eq(mkdir(tmp_path(rel), 0700), 0);
    snprintf(rel, sizeof rel, "runs/%s-s%d/train.csv", net, seed);
    FILE *f = create(rel);
    fprintf(f, "kind,epoch,step,loss,acc,lr,seconds\n");
    for (int e = 1; e <= epochs; e++) {
        double acc = base + (e < epochs ? 0.05 * e : 1.0) + (seed == 2 ? 0.1 : 0);
        fprintf(f, "train,%d,%d,0.1,90.0,0.1,%.3f\n", e, e * 100, 5.0 + 2.0 * seed * e);
        fprintf(f, "test,%d,%d,0.05,%.4f,0.1,%.3f\n", e, e * 100, acc, 10.0 + 2.0 * seed * e);
    }
    fclose(f);
    snprintf(rel, sizeof rel, "runs/%s-s%d/train.log", net, seed);
    f = create(rel);
    fprintf(f, "cnn train (this build's backends: CPU)\n  net           %s\n  spec          %s\n"
               "  parameters    1001\n  data          data/mnist (60000 train, 10000 test)\n"
               "  device        cpu (made up)\n  input         x * 0.0127279 -0.424074\n"
               "  epochs        %d\n  batch         100\n  eval-batch    1000\n"
               "  lr            0.1\n  lr-step       %s\n  lr-gamma      0.5\n"
               "  momentum      0.0001\n  weight-decay  0.0002\n  normalize     std\n"
               "  init-std      %s\n  optimizer     sgd\n  lr-schedule   step\n"
               "  warmup        0\n  augment       none\n  seed          %d\n"
               "  log           runs/x/train.csv\nepoch   1  train loss 1\n"
               "{\"net\":\"%s\",\"spec\":\"%s\",\"params\":%d,\"epochs\":%d,\"test_acc\":98.0,"
               "\"train_seconds\":%d.5}\n",
            net, spec, epochs, lr_step, init_std, seed, net, spec, 1000 + seed, epochs, 40 + seed);
    fclose(f);
}

static void make_runs(int epochs)
{
    make_temp_dir("test_report_md", NULL, 0);
    cr_assert_eq(mkdir(tmp_path("runs"), 0700), 0);
    cr_assert_eq(mkdir(tmp_path("pictures"), 0700), 0);
    for (size_t i = 0; i < sizeof NETS / sizeof NETS[0]; i++) {
        for (int seed = 1; seed <= 2; seed++)
            make_run(NETS[i].net, NETS[i].spec, NETS[i].base, seed, epochs, NETS[i].lr_step,
                     NETS[i].init_std);
        char rel[64];
        snprintf(rel, sizeof rel, "%s", NETS[i].net);
        cr_assert_eq(mkdir(tmp_path(rel), 0700), 0);
        snprintf(rel, sizeof rel, "%s/eval.txt", NETS[i].net);
        FILE *f = create(rel);
        fprintf(f, "test loss 0.1  accuracy 98.00%% (10000 images)\nconfusion matrix\n    9   1\n");
        fclose(f);
    }
    make_run("seed-cnn4", "conv4k5p2,relu,avgpool2,conv4k5p2,relu,avgpool2,fc10,softmax", 95, 1,
             epochs, "5", "0");
    const char *pics[] = {"pictures/seed-cnn4.log", "pictures/seed-cnn.log"};
    for (int i = 0; i < 2; i++) {
        FILE *f = create(pics[i]);
        fprintf(f, "wrote x\n{\"out\":\"x\",\"samples\":[{\"class\":0,\"test_index\":3,\"predicted\":0,"
                   "\"probability\":0.99},{\"class\":3,\"test_index\":18,\"predicted\":2,"
                   "\"probability\":0.6143}]}\n");
        fclose(f);
    }
}

/* report_md.sh on the made-up runs; the markdown, malloc'ed */
static char *report_md(int epochs)
{
    char cnn[4096], arg[16];
    cnn_bin_absolute(cnn, sizeof cnn);
    setenv("CNN", cnn, 1);
    snprintf(arg, sizeof arg, "%d", epochs);
    result r;
    run_program("/bin/bash",
                (const char *const[]){"bash", "scripts/report_md.sh", temp_dir, arg, "1 2", "0",
                                      "seed-cnn4", NULL},
                30, &r);
    cr_assert(r.exited && r.status == 0, "report_md.sh failed (%d):\n%s", r.status, r.err);
    char *md = strdup(r.out);
    result_free(&r);
    return md;
}

static void expect_line(const char *md, const char *line)
{
    char want[1024];
    snprintf(want, sizeof want, "\n%s\n", line);
    cr_expect_not_null(strstr(md, want), "report.md lacks the line\n%s\nit has:\n%s", line, md);
}

Test(report_md, forty_epochs_every_cell)
{
    make_runs(40);
    char *md = report_md(40);
    /* seed 1 peaks at epoch 39 (base + 1.95), seed 2 0.1 higher; the first
     * 30 epochs peak at 30 (base + 1.5); the last epoch is base + 1.0; the
     * wall time at epoch 30 is 70 s and 130 s */
    expect_line(md, "| seed-cnn | 1001 | 40 | 98.58% | 99.00% (98.95-99.05), epoch 39 (39-39) | "
                    "98.55% (98.50-98.60), epoch 30 (30-30) | 98.05% (98.00-98.10) | "
                    "above, +0.420; within 0.1 below, -0.030 | ≥ 2 h | 100.0 s (70.0-130.0) | "
                    "≥ 72.0x |");
    expect_line(md, "| mlp1 | 1001 | 40 | 98.32% | 98.30% (98.25-98.35), epoch 39 (39-39) | "
                    "97.85% (97.80-97.90), epoch 30 (30-30) | 97.35% (97.30-97.40) | "
                    "within 0.1 below, -0.020; **below**, -0.470 | 2 min | 100.0 s (70.0-130.0) | "
                    "1.2x |");
    expect_line(md, "| mlp2 | 1001 | 40 | 98.75% | 99.00% (98.95-99.05), epoch 39 (39-39) | "
                    "98.55% (98.50-98.60), epoch 30 (30-30) | 98.05% (98.00-98.10) | "
                    "above, +0.250; **below**, -0.200 | 3.5 min | 100.0 s (70.0-130.0) | 2.1x |");
    /* each run: the whole run's wall time is the last test row's */
    expect_line(md, "| mlp2 | 2 | 40 | 99.05% | 39 | 98.60% | 30 | 98.10% | 130.0 | 42.5 | 170.0 |");
    expect_line(md, "| mlp1 | 1 | 40 | 98.25% | 39 | 97.80% | 30 | 97.30% | 70.0 | 41.5 | 90.0 |");
    cr_expect_not_null(strstr(md, "init normal, deviation 0.01; input x * 0.0127279"),
                       "the settings come from the run's own lines");
    /* the whole line of each net: the lr's schedule and the initial weights
     * in words, from the banner's lr-step, lr-gamma and init-std */
    expect_line(md, "- seed-cnn: `conv4k5p2,relu,avgpool2,conv8k5p2,relu,avgpool2,fc10,softmax`; "
                    "epochs 40; batch 100; lr 0.1, x0.5 every 5 epochs; momentum 0.0001; "
                    "weight decay 0.0002; init uniform, +-sqrt(6/fan_in); "
                    "input x * 0.0127279 -0.424074");
    expect_line(md, "- mlp1: `fc392,relu,fc10,softmax`; epochs 40; batch 100; lr 0.1, constant; "
                    "momentum 0.0001; weight decay 0.0002; init normal, deviation 0.01; "
                    "input x * 0.0127279 -0.424074");
    expect_line(md, "| 3 | 18 | 2 (wrong) | 0.6143 |");
    cr_expect_not_null(strstr(md, "| mlp2 | fc3 | 196x10=1960 | 10 | 1960, 10 | 386718 |"));
    free(md);
}

Test(report_md, twenty_epochs_scale_the_reports_time)
{
    make_runs(20);
    char *md = report_md(20);
    /* base + 1.0 at the last epoch (20) is the highest here; wall time at
     * epoch 20: 50 s and 90 s, against the report's time of 20 epochs */
    cr_expect_not_null(strstr(md, "| ours: 20 epoch(s) | speed-up |"), "the time column's title");
    expect_line(md, "| seed-cnn | 1001 | 20 | 98.58% | 98.05% (98.00-98.10), epoch 20 (20-20) | "
                    "98.05% (98.00-98.10), epoch 20 (20-20) | 98.05% (98.00-98.10) | "
                    "**below**, -0.530; **below**, -0.530 | ≥ 2 h | 70.0 s (50.0-90.0) | ≥ 68.6x |");
    expect_line(md, "| mlp1 | 1001 | 20 | 98.32% | 97.35% (97.30-97.40), epoch 20 (20-20) | "
                    "97.35% (97.30-97.40), epoch 20 (20-20) | 97.35% (97.30-97.40) | "
                    "**below**, -0.970; **below**, -0.970 | 2 min | 70.0 s (50.0-90.0) | 1.1x |");
    free(md);
}
