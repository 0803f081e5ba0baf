/* Sizes the index math can hold: the kernels index a whole tensor with int,
 * so net_size_check refuses a net whose buffers would reach 2^31 elements at
 * a batch, naming the first such layer and the largest batch that fits, at
 * the exact boundary; net_create refuses before allocating anything, and
 * the commands refuse at once with one line and exit 2. Nothing here
 * allocates a large buffer: every count is arithmetic on the spec. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "cpu/cpu_backend.h"
#include "idx_util.h"
#include "net.h"
#include "run_util.h"

static const shape3 MNIST = {1, 28, 28};

static net_spec parse(const char *text)
{
    net_spec spec;
    char err[1024] = "";
    cr_assert_eq(net_spec_parse(text, MNIST, 10, &spec, err, sizeof err), 0, "%s: %s", text,
                 err);
    return spec;
}

/* Checks spec at batch: refused at layer (from 0) for `what` holding
 * `elements`, with max_batch the largest batch that fits. */
static void expect_refused(const net_spec *spec, int batch, int layer, const char *what,
                           long long elements, int max_batch)
{
    net_size s;
    cr_assert_eq(net_size_check(spec, batch, &s), -1, "%s at batch %d should be refused",
                 spec->text, batch);
    cr_assert_eq(s.layer, layer, "%s at %d: layer %d, want %d", spec->text, batch, s.layer,
                 layer);
    cr_assert_str_eq(s.what, what, "%s at %d", spec->text, batch);
    cr_assert_eq(s.elements, elements, "%s at %d: %lld elements, want %lld", spec->text, batch,
                 s.elements, elements);
    cr_assert_eq(s.max_batch, max_batch, "%s: max batch %d, want %d", spec->text, s.max_batch,
                 max_batch);
}

static void expect_accepted(const net_spec *spec, int batch, int max_batch)
{
    net_size s;
    cr_assert_eq(net_size_check(spec, batch, &s), 0, "%s at batch %d should fit (layer %d, %s)",
                 spec->text, batch, s.layer, s.what);
    cr_assert_eq(s.layer, -1);
    cr_assert_eq(s.max_batch, max_batch, "%s: max batch %d, want %d", spec->text, s.max_batch,
                 max_batch);
}

TestSuite(net_size);

/* The case: a 64-channel first conv on 28x28 holds 64*784 = 50,176
 * values a sample in its output (more than its 25*784 Feature Matrix), so
 * batch 43,000 needs 2,157,568,000 elements; 42,799 * 50,176 =
 * 2,147,482,624 fits and 42,800 * 50,176 = 2,147,532,800 does not. */
Test(net_size, wide_first_conv_names_the_layer_and_the_batch_that_fits)
{
    net_spec spec = parse("conv64k5p2,relu,fc10,softmax");
    expect_refused(&spec, 43000, 0, "output", 2157568000LL, 42799);
    net_size s;
    char line[1024];
    net_size_check(&spec, 43000, &s);
    net_size_message(&spec, 43000, &s, "--batch", line, sizeof line);
    cr_assert_str_eq(line, "--batch 43000: layer 1 (conv64k5p2) would hold 2,157,568,000 "
                           "elements in its output, past what the kernels index (2^31 - 1): "
                           "use --batch 42799 or less");
    net_size_message(&spec, 43000, &s, NULL, line, sizeof line);
    cr_assert_not_null(strstr(line, "batch 43000: layer 1 (conv64k5p2)"), "%s", line);
    cr_assert_not_null(strstr(line, "use a batch of 42799 or less"), "%s", line);
}

Test(net_size, the_boundary_is_exact)
{
    net_spec spec = parse("conv64k5p2,relu,fc10,softmax");
    cr_assert_leq(42799LL * 50176, NET_MAX_TENSOR);
    cr_assert_gt(42800LL * 50176, NET_MAX_TENSOR);
    expect_accepted(&spec, 42799, 42799);
    expect_refused(&spec, 42800, 0, "output", 42800LL * 50176, 42799);
}

/* 2^31 elements exactly is one past what an int indexes: fc65536 at batch
 * 32,768 = 2^15 holds 2^31 values and is refused; 32,767 fits. */
Test(net_size, two_to_the_31_is_refused)
{
    net_spec spec = parse("fc65536,relu,fc10,softmax");
    expect_accepted(&spec, 32767, 32767);
    expect_refused(&spec, 32768, 0, "output", 2147483648LL, 32767);
}

/* seed-cnn's largest buffer is a Feature Matrix of 25 * 784 = 19,600 values
 * a sample (layer 1's, and layer 4's 100 x 196 too): batches up to
 * floor((2^31 - 1) / 19,600) = 109,565. The checkpoint's largest batch,
 * 2^24, is far past it and names layer 1's. */
Test(net_size, seed_cnn_at_50_and_at_the_checkpoint_max_batch)
{
    net_spec spec = parse("conv4k5p2,relu,avgpool2,conv8k5p2,relu,avgpool2,fc10,softmax");
    expect_accepted(&spec, 50, 109565);
    expect_accepted(&spec, 109565, 109565);
    expect_refused(&spec, 109566, 0, "Feature Matrix", 109566LL * 19600, 109565);
    expect_refused(&spec, 16777216, 0, "Feature Matrix", 16777216LL * 19600, 109565);
}

/* An MLP: the widest buffer is the 784-value input itself. */
Test(net_size, fc_net_is_bounded_by_its_input)
{
    net_spec spec = parse("fc392,relu,fc10,softmax");
    int fits = (int)(NET_MAX_TENSOR / 784); /* 2,739,137 */
    cr_assert_eq(fits, 2739137);
    expect_accepted(&spec, fits, fits);
    expect_refused(&spec, fits + 1, 0, "input", (fits + 1LL) * 784, fits);
}

/* The limit is the tightest layer's, wherever it is: conv2k3p1 holds
 * 9*784 = 7,056 values a sample in its Feature Matrix and 2*784 in its
 * output; the conv16k3p1 after it 2*9*784 = 14,112 in its Feature Matrix
 * and 16*784 = 12,544 in its output. Just past the later layer's limit, the
 * later layer (3) is named; far past both, the first (1). */
Test(net_size, the_tightest_layer_sets_the_batch)
{
    net_spec spec = parse("conv2k3p1,relu,conv16k3p1,maxpool2,fc10,softmax");
    int fits = (int)(NET_MAX_TENSOR / 14112);
    expect_accepted(&spec, fits, fits);
    expect_refused(&spec, fits + 1, 2, "Feature Matrix", (fits + 1LL) * 14112, fits);
    expect_refused(&spec, 1000000, 0, "Feature Matrix", 7056LL * 1000000, fits);
}

/* A net whose single sample is already too big: no batch fits. conv65536k1
 * makes 65,536 planes of 28x28; conv1k15p7 over them has a Feature Matrix of
 * 65,536 * 225 rows by 784 columns a sample. */
Test(net_size, no_batch_fits)
{
    net_spec spec = parse("conv65536k1,conv1k15p7,fc10,softmax");
    expect_refused(&spec, 1, 1, "Feature Matrix", 65536LL * 225 * 784, 0);
    net_size s;
    char line[1024];
    net_size_check(&spec, 1, &s);
    net_size_message(&spec, 1, &s, "--batch", line, sizeof line);
    cr_assert_not_null(strstr(line, "layer 2 (conv1k15p7) would hold 11,560,550,400 elements in "
                                    "its Feature Matrix"), "%s", line);
    cr_assert_not_null(strstr(line, "no batch fits: make the layer smaller"), "%s", line);
}

/* net_create itself refuses (exit 2) before its first allocation: an ops
 * table whose alloc fails the test proves nothing was asked for. */
static void *alloc_must_not_run(size_t bytes, const char *what)
{
    cr_assert_fail("net_create allocated %zu bytes for %s before refusing", bytes, what);
    return NULL;
}

Test(net_size, net_create_refuses_before_allocating, .exit_code = 2)
{
    cnn_ops ops = cpu_ops;
    ops.alloc = alloc_must_not_run;
    net_spec spec = parse("conv64k5p2,relu,fc10,softmax");
    net_create(&ops, &spec, 43000);
    cr_assert_fail("net_create returned for a net past the index limit");
}

/* ---- the commands ---- */

TestSuite(net_size_cli, .fini = remove_temp_dir, .timeout = 120);

#define A(...) ((const char *const[]){__VA_ARGS__, NULL})

static void make_data(char *dir, size_t len)
{
    make_temp_dir("test_net_size", dir, len);
    write_block_digits(dir, "train", 200, 7);
    write_block_digits(dir, "t10k", 100, 8);
}

/* Refused before the data are read and before any allocation: at once
 * (the 8.6 GB of activations would take far longer to even touch), and the
 * same refusal comes with a data folder that does not exist. */
Test(net_size_cli, train_refuses_a_batch_past_the_index_limit_at_once)
{
    char dir[256];
    make_data(dir, sizeof dir);
    const char *want[] = {"cnn train: --batch 43000: layer 1 (conv64k5p2) would hold "
                          "2,157,568,000 elements in its output",
                          "(2^31 - 1): use --batch 42799 or less", NULL};
    result r;
    run_train(&r, NULL, dir, A("--net", "conv64k5p2,relu,fc10,softmax", "--batch", "43000"), 60);
    expect_error(&r, 2, want, "train --batch 43000");
    cr_assert_lt(r.seconds, 5.0, "took %.1f s: it should refuse before allocating", r.seconds);
    cr_assert_eq(r.out_len, 0, "printed on stdout: %s", r.out);
    result_free(&r);
    run_train(&r, NULL, tmp_path("missing"),
              A("--net", "conv64k5p2,relu,fc10,softmax", "--batch", "43000"), 60);
    /* without data the net's shape is unknown: the data's line, status 1 */
    expect_error(&r, 1, (const char *const[]){"missing", "cannot open folder", NULL},
                 "train --batch 43000 without data");
    result_free(&r);
}

/* eval's own --batch is checked too, before the data are read: an MLP
 * checkpoint at one sample past 2,739,137. */
Test(net_size_cli, eval_refuses_its_batch_past_the_index_limit)
{
    char dir[256];
    make_data(dir, sizeof dir);
    const char *model = tmp_path("mlp.ckpt");
    result r;
    run_train(&r, NULL, dir, A("--net", "fc16,relu,fc10,softmax", "--epochs", "1", "--save",
                               model), 60);
    cr_assert_eq(r.status, 0, "train: exit %d: %s", r.status, r.err);
    result_free(&r);
    run_cnn(CNN_ARGV("eval", "--model", model, "--data", dir, "--device", "cpu", "--batch",
                     "2739138"), 60, &r);
    expect_error(&r, 2,
                 A("cnn eval: --batch 2739138: layer 1 (fc16) would hold 2,147,484,192 "
                   "elements in its input", "use --batch 2739137 or less"), "eval");
    result_free(&r);
}
