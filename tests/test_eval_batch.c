/* Evaluation in passes of its own size (train --eval-batch, eval --batch):
 * evaluate() runs passes of nt->eval_batch samples (counted through the ops
 * table's gather), with the same accuracy and the same loss to float rounding
 * at 50 and at 1000; cnn train at --eval-batch 50 and 1000 writes the same
 * checkpoint and the same results; a given value the kernels cannot index
 * is refused at once naming the flag, and a default is lowered to what fits. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "norm_util.h"
#include "cpu/cpu_backend.h"
#include "cli/commands.h"
#include "idx_util.h"
#include "run_util.h"
#include "testutil.h"
#include "train.h"

static net_spec parse(const char *text)
{
    net_spec spec;
    char err[1024] = "";
    cr_assert_eq(net_spec_parse(text, (shape3){1, 28, 28}, 10, &spec, err, sizeof err), 0,
                 "%s: %s", text, err);
    return spec;
}

/* ---- evaluate() itself ---- */

/* The sizes of the passes the last evaluation gathered. */
static int pass_sizes[64], passes;

static void counting_gather(const unsigned char *images, const unsigned char *labels,
                            const int *index, const int *cursor, int n, int channels,
                            int plane, const float *norm, float *x, int *y)
{
    if (passes < 64) pass_sizes[passes] = n;
    passes++;
    cpu_ops.gather(images, labels, index, cursor, n, channels, plane, norm, x, y);
}

/* One evaluation of d at eval batch `per_pass`: loss, accuracy, the
 * confusion matrix, and the passes it took in `passes`. */
static void evaluate_at(net *nt, const device_dataset *d, int per_pass, double *loss,
                        double *acc, long *confusion)
{
    passes = 0;
    nt->eval_batch = per_pass;
    memset(confusion, 0, sizeof(long) * 100);
    evaluate(nt, d, loss, acc, confusion);
}

/* bn and dropout in evaluation mode too: neither may depend on the pass. */
Test(eval_batch, passes_of_its_size_give_the_same_result, .timeout = 60)
{
    cnn_ops ops = cpu_ops;
    ops.gather = counting_gather;
    rng r = {5};
    int count = 1030; /* 1000 + a partial pass of 30; 20 of 50 + 30 */
    dataset data = {.count = count, .channels = 1, .rows = 28, .cols = 28, .images = malloc((size_t)count * 784),
                 .labels = malloc(count), .classes = 10};
    for (long i = 0; i < (long)count * 784; i++) data.images[i] = (unsigned char)rng_below(&r, 256);
    for (int i = 0; i < count; i++) data.labels[i] = (unsigned char)rng_below(&r, 10);
    device_dataset d;
    device_dataset_upload(&ops, &data, 0, NORM_OF(1.0f / 255, -0.5f), &d);
    net_spec spec = parse("conv4k5p2,bn,relu,avgpool2,dropout0.5,fc10,softmax");
    net *nt = net_create(&ops, &spec, 1000);
    net_init_params(nt, 7, 0.0f);

    double loss50, acc50, loss1000, acc1000, loss_out, acc_out;
    long conf50[100], conf1000[100], conf_out[100];
    evaluate_at(nt, &d, 50, &loss50, &acc50, conf50);
    cr_assert_eq(passes, 21, "eval batch 50 over 1030 samples: %d passes", passes);
    cr_assert(pass_sizes[0] == 50 && pass_sizes[19] == 50 && pass_sizes[20] == 30,
              "passes of %d ... %d, %d", pass_sizes[0], pass_sizes[19], pass_sizes[20]);
    evaluate_at(nt, &d, 1000, &loss1000, &acc1000, conf1000);
    cr_assert(passes == 2 && pass_sizes[0] == 1000 && pass_sizes[1] == 30,
              "eval batch 1000: %d passes (%d, %d)", passes, pass_sizes[0], pass_sizes[1]);
    cr_assert_eq(acc50, acc1000, "accuracy %.4f at 50, %.4f at 1000", acc50, acc1000);
    cr_assert_eq(memcmp(conf50, conf1000, sizeof conf50), 0, "confusion matrices differ");
    cr_assert_leq(fabs(loss50 - loss1000), 1e-6 * fabs(loss50), "loss %.9g at 50, %.9g at 1000",
                  loss50, loss1000);
    /* 0 or more than the net holds: the net's batch */
    evaluate_at(nt, &d, 5000, &loss_out, &acc_out, conf_out);
    cr_assert(passes == 2 && pass_sizes[0] == 1000, "eval batch past the net's: %d passes of %d",
              passes, pass_sizes[0]);
    cr_assert_eq(acc_out, acc1000);
    net_destroy(nt);
    device_dataset_free(&d);
    free(data.images);
    free(data.labels);
}

/* The pass size the commands pick: the flag's, at most the set, and a
 * default lowered to what the buffers hold. conv2800k1 holds 2,195,200
 * elements a sample, so 978 samples fit (2^31 - 1 over that, rounded down).
 * Nothing is allocated. */
Test(eval_batch, size_is_capped_by_the_set_and_by_the_index_limit)
{
    net_spec seed = parse("conv4k5p2,relu,avgpool2,conv8k5p2,relu,avgpool2,fc10,softmax");
    cr_assert_eq(eval_batch_size(&seed, 1000, 10000), 1000);
    cr_assert_eq(eval_batch_size(&seed, 1000, 300), 300);
    cr_assert_eq(eval_batch_size(&seed, 50, 300), 50);
    net_spec wide = parse("conv2800k1,relu,fc10,softmax");
    cr_assert_eq(eval_batch_size(&wide, 1000, 10000), 978);
    cr_assert_eq(eval_batch_size(&wide, 1000, 500), 500);
}

/* ---- the commands ---- */

TestSuite(eval_batch_cli, .fini = remove_temp_dir, .timeout = 120);

#define A(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Reads a whole file; fails the test when it cannot. */
static char *slurp(const char *path, long *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    rewind(f);
    char *buf = malloc(*len ? *len : 1);
    cr_assert_eq((long)fread(buf, 1, *len, f), *len, "short read of %s", path);
    fclose(f);
    return buf;
}

static double json_number(const result *r, const char *key)
{
    char json[4096], value[64];
    json_of(r, json, sizeof json);
    cr_assert_eq(json_field(json, key, value, sizeof value), 0, "no %s in %s", key, json);
    return strtod(value, NULL);
}

/* One epoch of seed-cnn with --val, evaluated at --eval-batch `eb`, saved
 * to `save`; the banner must name the pass size `shown`. */
static void train_at(const char *dir, const char *eb, const char *save, int shown, result *r)
{
    run_train(r, NULL, dir, A("--epochs", "1", "--batch", "50", "--val", "40", "--eval-batch", eb,
                              "--save", save), 100);
    cr_assert_eq(r->status, 0, "--eval-batch %s: exit %d: %s", eb, r->status, r->err);
    char line[64];
    snprintf(line, sizeof line, "  eval-batch    %d\n", shown);
    cr_assert_not_null(strstr(r->out, line), "--eval-batch %s: no \"%s\" in:\n%s", eb, line,
                       r->out);
}

/* The net is allocated for 50 or for 1000 samples; the training steps must
 * not notice (the same checkpoint, byte for byte), and the test and val
 * evaluations give the same accuracy and the loss to ~1e-6. 5000 passes
 * are capped at the 1030 test images. */
Test(eval_batch_cli, train_results_and_checkpoint_are_the_same_at_50_and_1000)
{
    char dir[256];
    make_temp_dir("test_eval_batch", dir, sizeof dir);
    write_block_digits(dir, "train", 240, 7);
    write_block_digits(dir, "t10k", 1030, 8);
    char small[300], large[300], capped[300];
    snprintf(small, sizeof small, "%s/50.ckpt", dir);
    snprintf(large, sizeof large, "%s/1000.ckpt", dir);
    snprintf(capped, sizeof capped, "%s/5000.ckpt", dir);
    result r50, r1000, r5000;
    train_at(dir, "50", small, 50, &r50);
    train_at(dir, "1000", large, 1000, &r1000);
    train_at(dir, "5000", capped, 1030, &r5000);
    const char *exact[] = {"test_acc", "val_acc", "train_loss", "train_acc"};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(json_number(&r50, exact[i]), json_number(&r1000, exact[i]), "%s differs",
                     exact[i]);
    const char *losses[] = {"test_loss", "val_loss"};
    for (int i = 0; i < 2; i++) {
        double a = json_number(&r50, losses[i]), b = json_number(&r1000, losses[i]);
        /* printed with 6 decimals: allow one in the last place, or 1e-6 relative */
        cr_assert_leq(fabs(a - b), fmax(1e-6 * fabs(a), 1.5e-6), "%s: %.6f and %.6f", losses[i],
                      a, b);
    }
    long n50, n1000, n5000;
    char *c50 = slurp(small, &n50), *c1000 = slurp(large, &n1000), *c5000 = slurp(capped, &n5000);
    cr_assert(n50 == n1000 && memcmp(c50, c1000, n50) == 0,
              "the checkpoints at --eval-batch 50 and 1000 differ");
    cr_assert(n50 == n5000 && memcmp(c50, c5000, n50) == 0,
              "the checkpoints at --eval-batch 50 and 5000 differ");
    free(c50);
    free(c1000);
    free(c5000);
    result_free(&r50);
    result_free(&r1000);
    result_free(&r5000);
}

/* Like --batch: refused before the data are read or anything allocated,
 * naming the flag and the largest value that fits; the same with a data
 * folder that does not exist. */
Test(eval_batch_cli, a_value_past_the_index_limit_is_refused_at_once)
{
    char dir[256];
    make_temp_dir("test_eval_batch", dir, sizeof dir);
    write_block_digits(dir, "train", 200, 7);
    write_block_digits(dir, "t10k", 100, 8);
    const char *want[] = {"cnn train: --eval-batch 43000: layer 1 (conv64k5p2) would hold "
                          "2,157,568,000 elements in its output",
                          "(2^31 - 1): use --eval-batch 42799 or less", NULL};
    const char *args[] = {"--net", "conv64k5p2,relu,fc10,softmax", "--eval-batch", "43000", NULL};
    result r;
    run_train(&r, NULL, dir, args, 60);
    expect_error(&r, 2, want, "train --eval-batch 43000");
    cr_assert_lt(r.seconds, 5.0, "took %.1f s: it should refuse before allocating", r.seconds);
    cr_assert_eq(r.out_len, 0, "printed on stdout: %s", r.out);
    result_free(&r);
    run_train(&r, NULL, tmp_path("missing"), args, 60);
    /* without data the net's shape is unknown: the data's line, status 1 */
    expect_error(&r, 1, (const char *const[]){"missing", "cannot open folder", NULL},
                 "train --eval-batch 43000 without data");
    result_free(&r);
}

/* A run setting, not part of the run: --resume takes it (and still checks
 * it), where it refuses --batch. */
Test(eval_batch_cli, resume_allows_it)
{
    char dir[256];
    make_temp_dir("test_eval_batch", dir, sizeof dir);
    write_block_digits(dir, "train", 200, 7);
    write_block_digits(dir, "t10k", 100, 8);
    const char *model = tmp_path("m.ckpt");
    result r;
    run_train(&r, NULL, dir, A("--net", "fc16,relu,fc10,softmax", "--epochs", "1", "--save",
                               model), 60);
    cr_assert_eq(r.status, 0, "train: exit %d: %s", r.status, r.err);
    result_free(&r);
    run_train(&r, NULL, dir, A("--resume", model, "--epochs", "2", "--eval-batch", "30"), 60);
    cr_assert_eq(r.status, 0, "resume --eval-batch 30: exit %d: %s", r.status, r.err);
    cr_assert_not_null(strstr(r.out, "  eval-batch    30\n"), "%s", r.out);
    result_free(&r);
    run_train(&r, NULL, dir, A("--resume", model, "--epochs", "3", "--eval-batch", "2739138"), 60);
    expect_error(&r, 2, A("--eval-batch 2739138", "use --eval-batch 2739137 or less"),
                 "resume --eval-batch 2739138");
    result_free(&r);
}
