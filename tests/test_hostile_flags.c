/* Hostile flags and network specs, as a table (see hostile_util.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "hostile_util.h"

#define good_data hostile_good_data
#define trained hostile_trained

/* Issue 25's case 1: 27 layers dropout.000000001 and fc10,softmax, 498
 * characters, are 525 written canonically (dropout0.000000001): more than a
 * checkpoint keeps. */
#define DROP1 "dropout.000000001,"
#define DROP3 DROP1 DROP1 DROP1
#define DROP9 DROP3 DROP3 DROP3
#define GROWS_TO_525 DROP9 DROP9 DROP9 "fc10,softmax"
/* A spec of 467 characters whose last token is 407 long: its message quotes
 * both and must still end with what is wrong. */
#define Z10 "zzzzzzzzzz"
#define Z100 Z10 Z10 Z10 Z10 Z10 Z10 Z10 Z10 Z10 Z10
#define FC10x12 "fc10,fc10,fc10,fc10,fc10,fc10,fc10,fc10,fc10,fc10,fc10,fc10,"
#define LONG_BAD_TOKEN FC10x12 "conv4k5" Z100 Z100 Z100 Z100

static void no_checkpoint(const char *d, const result *r)
{
    (void)r;
    char path[512];
    snprintf(path, sizeof path, "%s/t.ckpt", d);
    cr_assert_eq(access(path, F_OK), -1, "%s was written", path);
}

static const hostile CASES[] = {
    {"spec: unknown layer", good_data, {"train", "--data", "@", "--net", "conv4k5,rleu,fc10,softmax"}, 2, {"\"rleu\"", "unknown layer"}, NULL},
    {"spec: missing number", good_data, {"train", "--data", "@", "--net", "conv,fc10,softmax"}, 2, {"\"conv\"", "expected a number"}, NULL},
    {"spec: negative number", good_data, {"train", "--data", "@", "--net", "conv-4k5,fc10,softmax"}, 2, {"\"conv-4k5\"", "expected a number"}, NULL},
    {"spec: zero outputs", good_data, {"train", "--data", "@", "--net", "fc0,fc10,softmax"}, 2, {"\"fc0\"", "at least 1"}, NULL},
    {"spec: a pooling window larger than the map", good_data, {"train", "--data", "@", "--net", "conv4k5p2,avgpool2,maxpool15,fc10,softmax"}, 2, {"\"maxpool15\"", "does not fit"}, NULL},
    {"spec: a map shrunk to nothing", good_data, {"train", "--data", "@", "--net", "conv4k29,fc10,softmax"}, 2, {"\"conv4k29\"", "does not fit"}, NULL},
    {"spec: no loss", good_data, {"train", "--data", "@", "--net", "fc10"}, 2, {"must end with a loss"}, NULL},
    {"spec: outputs not classes", good_data, {"train", "--data", "@", "--net", "fc5,softmax"}, 2, {"5 outputs", "10 classes"}, NULL},
    {"spec: layer after the loss", good_data, {"train", "--data", "@", "--net", "fc10,softmax,relu"}, 2, {"after the loss"}, NULL},
    {"spec: unknown preset", good_data, {"train", "--data", "@", "--net", "mlp3"}, 2, {"unknown network", "mlp3"}, NULL},
    {"--batch 0", good_data, {"train", "--data", "@", "--batch", "0"}, 2, {"--batch", "\"0\""}, NULL},
    {"--batch -5", good_data, {"train", "--data", "@", "--batch", "-5"}, 2, {"--batch", "\"-5\""}, NULL},
    {"--batch abc", good_data, {"train", "--data", "@", "--batch", "abc"}, 2, {"--batch", "\"abc\""}, NULL},
    {"--batch overflowing", good_data, {"train", "--data", "@", "--batch", "99999999999"}, 2, {"--batch", "99999999999"}, NULL},
    {"--epochs 0", good_data, {"train", "--data", "@", "--epochs", "0"}, 2, {"--epochs", "\"0\""}, NULL},
    {"--lr 0", good_data, {"train", "--data", "@", "--lr", "0"}, 2, {"--lr", "positive"}, NULL},
    {"--lr -0.1", good_data, {"train", "--data", "@", "--lr", "-0.1"}, 2, {"--lr", "\"-0.1\""}, NULL},
    {"--lr nan", good_data, {"train", "--data", "@", "--lr", "nan"}, 2, {"--lr", "\"nan\""}, NULL},
    {"--lr 1e99 (overflows a float)", good_data, {"train", "--data", "@", "--lr", "1e99"}, 2, {"--lr", "\"1e99\""}, NULL},
    {"--momentum -1", good_data, {"train", "--data", "@", "--momentum", "-1"}, 2, {"--momentum"}, NULL},
    {"--seed -1", good_data, {"train", "--data", "@", "--seed", "-1"}, 2, {"--seed", "\"-1\""}, NULL},
    {"--threads -2", good_data, {"train", "--data", "@", "--threads", "-2"}, 2, {"--threads"}, NULL},
    {"--gpu -1", good_data, {"train", "--data", "@", "--gpu", "-1"}, 2, {"--gpu"}, NULL},
    {"--normalize foo", good_data, {"train", "--data", "@", "--normalize", "foo"}, 2, {"--normalize", "std, unit or center", "\"foo\""}, NULL},
    {"--device tpu", good_data, {"train", "--data", "@", "--device", "tpu"}, 2, {"--device", "\"tpu\""}, NULL},
    {"unknown flag", good_data, {"train", "--data", "@", "--bogus", "1"}, 2, {"unknown flag --bogus"}, NULL},
    {"flag without its value", good_data, {"train", "--data", "@", "--epochs"}, 2, {"--epochs needs a value"}, NULL},
    {"stray argument", good_data, {"train", "--data", "@", "fast"}, 2, {"unexpected argument", "\"fast\""}, NULL},
    {"unknown command", good_data, {"fly"}, 2, {"unknown command", "\"fly\""}, NULL},
    {"eval without --model", good_data, {"eval", "--data", "@"}, 2, {"--model", "required"}, NULL},
    /* numbers are plain digits, within the flag's range, and the message says the range */
    {"--threads 100000 (the OpenMP runtime overflowed its stack)", good_data, {"train", "--data", "@", "--threads", "100000"}, 2, {"--threads", "from 0 to 1024", "\"100000\""}, NULL},
    {"--threads 1025", good_data, {"train", "--data", "@", "--threads", "1025"}, 2, {"--threads", "from 0 to 1024", "\"1025\""}, NULL},
    {"eval --threads 40000", good_data, {"eval", "--model", "@/m.ckpt", "--data", "@", "--threads", "40000"}, 2, {"--threads", "to 1024", "\"40000\""}, NULL},
    {"predict --threads 99999", good_data, {"predict", "--model", "@/m.ckpt", "--threads", "99999", "@/x.png"}, 2, {"--threads", "to 1024", "\"99999\""}, NULL},
    {"--seed ' -1' (strtoull wraps it)", good_data, {"train", "--data", "@", "--seed", " -1"}, 2, {"--seed", "\" -1\"", "18446744073709551615"}, NULL},
    {"--seed +1", good_data, {"train", "--data", "@", "--seed", "+1"}, 2, {"--seed", "\"+1\""}, NULL},
    {"--seed 2^64", good_data, {"train", "--data", "@", "--seed", "18446744073709551616"}, 2, {"--seed", "to 18446744073709551615", "\"18446744073709551616\""}, NULL},
    {"--batch ' 5'", good_data, {"train", "--data", "@", "--batch", " 5"}, 2, {"--batch", "\" 5\""}, NULL},
    {"--batch '5 '", good_data, {"train", "--data", "@", "--batch", "5 "}, 2, {"--batch", "\"5 \""}, NULL},
    {"--epochs +3", good_data, {"train", "--data", "@", "--epochs", "+3"}, 2, {"--epochs", "from 1 to", "\"+3\""}, NULL},
    {"--save-every -0", good_data, {"train", "--data", "@", "--save-every", "-0"}, 2, {"--save-every", "\"-0\""}, NULL},
    {"--gpu 2^31", good_data, {"train", "--data", "@", "--gpu", "2147483648"}, 2, {"--gpu", "from 0 to 2147483647"}, NULL},
    {"--lr 1e-46 (rounds to 0 as a float)", good_data, {"train", "--data", "@", "--lr", "1e-46"}, 2, {"--lr", "from 1.1754944e-38 to 3.4028235e+38", "\"1e-46\""}, NULL},
    {"--lr 1e-40 (a denormal float)", good_data, {"train", "--data", "@", "--lr", "1e-40"}, 2, {"--lr", "from 1.1754944e-38", "\"1e-40\""}, NULL},
    {"--lr-gamma 1e39 (above a float's range)", good_data, {"train", "--data", "@", "--lr-gamma", "1e39"}, 2, {"--lr-gamma", "to 3.4028235e+38", "\"1e39\""}, NULL},
    {"--momentum 1e-46", good_data, {"train", "--data", "@", "--momentum", "1e-46"}, 2, {"--momentum", "0 or a positive number from 1.1754944e-38", "\"1e-46\""}, NULL},
    {"--lr ' 0.1'", good_data, {"train", "--data", "@", "--lr", " 0.1"}, 2, {"--lr", "\" 0.1\""}, NULL},
    {"--lr +0.1", good_data, {"train", "--data", "@", "--lr", "+0.1"}, 2, {"--lr", "\"+0.1\""}, NULL},
    {"--lr 0x1p-3 (hex)", good_data, {"train", "--data", "@", "--lr", "0x1p-3"}, 2, {"--lr", "\"0x1p-3\""}, NULL},
    {"--init-std -0.01", good_data, {"train", "--data", "@", "--init-std", "-0.01"}, 2, {"--init-std", "\"-0.01\""}, NULL},
    {"--init-std nan", good_data, {"train", "--data", "@", "--init-std", "nan"}, 2, {"--init-std", "\"nan\""}, NULL},
    {"--init-std on a resume", good_data, {"train", "--data", "@", "--resume", "x.ckpt", "--init-std", "0.01"}, 2, {"--init-std", "resumed run"}, NULL},
    {"--bn-momentum above 1", good_data, {"train", "--data", "@", "--bn-momentum", "1.5"}, 2, {"--bn-momentum", "[0, 1]", "1.5"}, NULL},
    {"--bn-eps 0", good_data, {"train", "--data", "@", "--bn-eps", "0"}, 2, {"--bn-eps", "0"}, NULL},
    {"--bn-eps above 1", good_data, {"train", "--data", "@", "--bn-eps", "2"}, 2, {"--bn-eps", "(0, 1]"}, NULL},
    {"--bn-eps on a resume", good_data, {"train", "--data", "@", "--resume", "x.ckpt", "--bn-eps", "0.001"}, 2, {"--bn-eps", "resumed run"}, NULL},
    {"bn over one value: --batch 1", good_data, {"train", "--data", "@", "--net", "fc8,bn,fc10,softmax", "--batch", "1"}, 2, {"layer 2 (bn)", "--batch 1"}, NULL},
    {"bn over one value: a last step of one sample", good_data, {"train", "--data", "@", "--net", "conv2k3,gap,bn,fc10,softmax", "--batch", "7", "--train-limit", "8"}, 2, {"layer 3 (bn)", "last step", "8 samples"}, NULL},
    {"--weight-decay infinity", good_data, {"train", "--data", "@", "--weight-decay", "infinity"}, 2, {"--weight-decay", "\"infinity\""}, NULL},
    /* booleans: a next argument is theirs only when it is true/false/1/0 */
    {"--quiet maybe", good_data, {"train", "--data", "@", "--quiet", "maybe"}, 2, {"unexpected argument", "\"maybe\""}, NULL},
    {"--graph=yes", good_data, {"train", "--data", "@", "--graph=yes"}, 2, {"--graph", "expected true or false", "\"yes\""}, NULL},
    /* a control character in a value is shown escaped, on one line */
    {"newline in a --net spec", good_data, {"train", "--data", "@", "--net", "fc10,\nsoftmax"}, 2, {"--net", "\"fc10,\\nsoftmax\"", "unknown layer"}, NULL},
    {"newline in a --net name", good_data, {"train", "--data", "@", "--net", "mlp\n3"}, 2, {"unknown network", "\"mlp\\n3\""}, NULL},
    {"tab and escape in --device", good_data, {"train", "--data", "@", "--device", "c\tpu\x1b"}, 2, {"--device", "\"c\\tpu\\x1b\""}, NULL},
    {"newline in --normalize", good_data, {"train", "--data", "@", "--normalize", "st\nd"}, 2, {"--normalize", "\"st\\nd\""}, NULL},
    {"carriage return in a number", good_data, {"train", "--data", "@", "--epochs", "3\r"}, 2, {"--epochs", "\"3\\r\""}, NULL},
    {"newline in an unknown flag", good_data, {"train", "--data", "@", "--bo\ngus", "1"}, 2, {"unknown flag --bo\\ngus"}, NULL},
    {"terminal escape in a stray argument", good_data, {"train", "--data", "@", "\x1b[31mred"}, 2, {"unexpected argument", "\"\\x1b[31mred\""}, NULL},
    {"newline in an unknown command", good_data, {"fl\ny"}, 2, {"unknown command", "\"fl\\ny\""}, NULL},
    {"newline in a missing --data folder", good_data, {"train", "--data", "@/no\nsuch", "--log", "", "--device", "cpu"}, 1, {"no\\nsuch", "make data"}, NULL},
    {"newline in --log's missing folder", good_data, {"train", "--data", "@", "--log", "@/mis\nsing/x.csv"}, 1, {"--log", "mis\\nsing", "does not exist"}, NULL},
    {"--log-every +5", good_data, {"train", "--data", "@", "--log-every", "+5"}, 2, {"--log-every", "\"+5\""}, NULL},
    {"--csv-every ' 1'", good_data, {"train", "--data", "@", "--csv-every", " 1"}, 2, {"--csv-every", "\" 1\""}, NULL},
    {"--train-limit 1e3 (an exponent in a whole number)", good_data, {"train", "--data", "@", "--train-limit", "1e3"}, 2, {"--train-limit", "\"1e3\""}, NULL},
    {"--lr-step 0x10", good_data, {"train", "--data", "@", "--lr-step", "0x10"}, 2, {"--lr-step", "\"0x10\""}, NULL},
    {"--seed 1.0", good_data, {"train", "--data", "@", "--seed", "1.0"}, 2, {"--seed", "\"1.0\""}, NULL},
    {"--lr 1e-38 (just below a float's normal range)", good_data, {"train", "--data", "@", "--lr", "1e-38"}, 2, {"--lr", "from 1.1754944e-38", "\"1e-38\""}, NULL},
    {"--weight-decay ' 0'", good_data, {"train", "--data", "@", "--weight-decay", " 0"}, 2, {"--weight-decay", "\" 0\""}, NULL},
    {"--quiet=' true'", good_data, {"train", "--data", "@", "--quiet= true"}, 2, {"--quiet", "expected true or false", "\" true\""}, NULL},
    {"eval --batch ' 500'", good_data, {"eval", "--model", "@/m.ckpt", "--data", "@", "--batch", " 500"}, 2, {"--batch", "\" 500\""}, NULL},
    {"visualize --threads 2000", good_data, {"visualize", "--model", "@/m.ckpt", "--out", "@/o", "--threads", "2000"}, 2, {"--threads", "to 1024", "\"2000\""}, NULL},
    {"summary --net with a control character", good_data, {"summary", "--net", "\x01" "fc10"}, 2, {"unknown network", "\"\\x01fc10\""}, NULL},
    {"visualize --digits with a newline", good_data, {"visualize", "--model", "@/m.ckpt", "--out", "@/o", "--digits", "1\n2"}, 2, {"--digits", "\"1\\n2\""}, NULL},
    {"eval --model with a newline, missing", good_data, {"eval", "--model", "@/no\nsuch.ckpt", "--data", "@", "--device", "cpu"}, 1, {"no\\nsuch.ckpt", "cannot open"}, NULL},
    {"predict: an image path with a newline, missing", hostile_trained, {"predict", "--model", "@/m.ckpt", "@/no\npic.png"}, 1, {"no\\npic.png", "cannot open"}, NULL},
    {"--batch above what a checkpoint holds", good_data, {"train", "--data", "@", "--batch", "16777217"}, 2, {"--batch", "from 1 to 16777216", "\"16777217\""}, NULL},
    {"--epochs above what a checkpoint holds", good_data, {"train", "--data", "@", "--epochs", "2000000000"}, 2, {"--epochs", "from 1 to 16777216", "\"2000000000\""}, NULL},
    {"--lr-step above what a checkpoint holds", good_data, {"train", "--data", "@", "--lr-step", "99999999"}, 2, {"--lr-step", "from 0 to 16777216", "\"99999999\""}, NULL},
    {"--eval-batch 0", good_data, {"train", "--data", "@", "--eval-batch", "0"}, 2, {"--eval-batch", "\"0\""}, NULL},
    {"--eval-batch -1", good_data, {"train", "--data", "@", "--eval-batch", "-1"}, 2, {"--eval-batch", "\"-1\""}, NULL},
    {"--eval-batch abc", good_data, {"train", "--data", "@", "--eval-batch", "abc"}, 2, {"--eval-batch", "\"abc\""}, NULL},
    {"--eval-batch ' 5'", good_data, {"train", "--data", "@", "--eval-batch", " 5"}, 2, {"--eval-batch", "\" 5\""}, NULL},
    {"--eval-batch overflowing", good_data, {"train", "--data", "@", "--eval-batch", "99999999999"}, 2, {"--eval-batch", "99999999999"}, NULL},
    {"--eval-batch past the index limit", good_data, {"train", "--data", "@", "--eval-batch", "2000000000"}, 2, {"--eval-batch 2000000000", "use --eval-batch 109565 or less"}, NULL},
    {"eval --batch 0", trained, {"eval", "--model", "@/m.ckpt", "--data", "@", "--batch", "0"}, 2, {"--batch", "\"0\""}, NULL},
    {"eval --batch -1", trained, {"eval", "--model", "@/m.ckpt", "--data", "@", "--batch", "-1"}, 2, {"--batch", "\"-1\""}, NULL},
    {"eval --batch past the index limit", trained, {"eval", "--model", "@/m.ckpt", "--data", "@", "--batch", "2000000000"}, 2, {"--batch 2000000000", "use --batch 2739137 or less"}, NULL},
    {"spec: 498 characters, 525 in canonical form", good_data, {"train", "--data", "@", "--net", GROWS_TO_525, "--epochs", "1", "--save", "@/t.ckpt", "--log", ""}, 2, {"--net", "network spec is 525 characters long in canonical form", "more than the 511 a checkpoint keeps"}, no_checkpoint},
    {"spec: a long bad token in a long spec", good_data, {"train", "--data", "@", "--net", LONG_BAD_TOKEN}, 2, {"--net", "layer 13", "(the order is k, then p, then s)"}, NULL},
};
#define N_CASES (int)(sizeof CASES / sizeof CASES[0])

const int hostile_flags_cases = N_CASES;

HOSTILE_CASE(hostile_flags, 0) HOSTILE_CASE(hostile_flags, 1) HOSTILE_CASE(hostile_flags, 2) HOSTILE_CASE(hostile_flags, 3)
HOSTILE_CASE(hostile_flags, 4) HOSTILE_CASE(hostile_flags, 5) HOSTILE_CASE(hostile_flags, 6) HOSTILE_CASE(hostile_flags, 7)
HOSTILE_CASE(hostile_flags, 8) HOSTILE_CASE(hostile_flags, 9) HOSTILE_CASE(hostile_flags, 10) HOSTILE_CASE(hostile_flags, 11)
HOSTILE_CASE(hostile_flags, 12) HOSTILE_CASE(hostile_flags, 13) HOSTILE_CASE(hostile_flags, 14) HOSTILE_CASE(hostile_flags, 15)
HOSTILE_CASE(hostile_flags, 16) HOSTILE_CASE(hostile_flags, 17) HOSTILE_CASE(hostile_flags, 18) HOSTILE_CASE(hostile_flags, 19)
HOSTILE_CASE(hostile_flags, 20) HOSTILE_CASE(hostile_flags, 21) HOSTILE_CASE(hostile_flags, 22) HOSTILE_CASE(hostile_flags, 23)
HOSTILE_CASE(hostile_flags, 24) HOSTILE_CASE(hostile_flags, 25) HOSTILE_CASE(hostile_flags, 26) HOSTILE_CASE(hostile_flags, 27)
HOSTILE_CASE(hostile_flags, 28) HOSTILE_CASE(hostile_flags, 29) HOSTILE_CASE(hostile_flags, 30) HOSTILE_CASE(hostile_flags, 31)
HOSTILE_CASE(hostile_flags, 32) HOSTILE_CASE(hostile_flags, 33) HOSTILE_CASE(hostile_flags, 34) HOSTILE_CASE(hostile_flags, 35)
HOSTILE_CASE(hostile_flags, 36) HOSTILE_CASE(hostile_flags, 37) HOSTILE_CASE(hostile_flags, 38) HOSTILE_CASE(hostile_flags, 39)
HOSTILE_CASE(hostile_flags, 40) HOSTILE_CASE(hostile_flags, 41) HOSTILE_CASE(hostile_flags, 42) HOSTILE_CASE(hostile_flags, 43)
HOSTILE_CASE(hostile_flags, 44) HOSTILE_CASE(hostile_flags, 45) HOSTILE_CASE(hostile_flags, 46) HOSTILE_CASE(hostile_flags, 47)
HOSTILE_CASE(hostile_flags, 48) HOSTILE_CASE(hostile_flags, 49) HOSTILE_CASE(hostile_flags, 50) HOSTILE_CASE(hostile_flags, 51)
HOSTILE_CASE(hostile_flags, 52) HOSTILE_CASE(hostile_flags, 53) HOSTILE_CASE(hostile_flags, 54) HOSTILE_CASE(hostile_flags, 55)
HOSTILE_CASE(hostile_flags, 56) HOSTILE_CASE(hostile_flags, 57) HOSTILE_CASE(hostile_flags, 58) HOSTILE_CASE(hostile_flags, 59)
HOSTILE_CASE(hostile_flags, 60) HOSTILE_CASE(hostile_flags, 61) HOSTILE_CASE(hostile_flags, 62) HOSTILE_CASE(hostile_flags, 63)
HOSTILE_CASE(hostile_flags, 64) HOSTILE_CASE(hostile_flags, 65) HOSTILE_CASE(hostile_flags, 66) HOSTILE_CASE(hostile_flags, 67)
HOSTILE_CASE(hostile_flags, 68) HOSTILE_CASE(hostile_flags, 69) HOSTILE_CASE(hostile_flags, 70) HOSTILE_CASE(hostile_flags, 71)
HOSTILE_CASE(hostile_flags, 72) HOSTILE_CASE(hostile_flags, 73) HOSTILE_CASE(hostile_flags, 74) HOSTILE_CASE(hostile_flags, 75)
HOSTILE_CASE(hostile_flags, 76) HOSTILE_CASE(hostile_flags, 77) HOSTILE_CASE(hostile_flags, 78) HOSTILE_CASE(hostile_flags, 79)
HOSTILE_CASE(hostile_flags, 80) HOSTILE_CASE(hostile_flags, 81) HOSTILE_CASE(hostile_flags, 82) HOSTILE_CASE(hostile_flags, 83)
HOSTILE_CASE(hostile_flags, 84) HOSTILE_CASE(hostile_flags, 85) HOSTILE_CASE(hostile_flags, 86) HOSTILE_CASE(hostile_flags, 87)
HOSTILE_CASE(hostile_flags, 88) HOSTILE_CASE(hostile_flags, 89) HOSTILE_CASE(hostile_flags, 90) HOSTILE_CASE(hostile_flags, 91)
HOSTILE_CASE(hostile_flags, 92) HOSTILE_CASE(hostile_flags, 93) HOSTILE_CASE(hostile_flags, 94) HOSTILE_CASE(hostile_flags, 95)
HOSTILE_CASE(hostile_flags, 96) HOSTILE_CASE(hostile_flags, 97) HOSTILE_CASE(hostile_flags, 98) HOSTILE_CASE(hostile_flags, 99)
HOSTILE_CASE(hostile_flags, 100) HOSTILE_CASE(hostile_flags, 101) HOSTILE_CASE(hostile_flags, 102) HOSTILE_CASE(hostile_flags, 103)

Test(hostile_flags, every_case_has_a_test) { cr_assert_leq(N_CASES, 104, "add HOSTILE_CASE() lines"); }

/* Whatever train writes, every command loads: a spec of 485 characters whose
 * canonical form has 511, the most a checkpoint keeps, trains, and eval,
 * summary, predict, visualize and --resume read its checkpoint. */
Test(hostile_flags, longest_canonical_spec_loads_everywhere, .fini = remove_temp_dir)
{
    static const char spec[] = DROP9 DROP9 DROP3 DROP3 DROP1 DROP1 "relu,fc10,softmax";
    char dir[256], d[300], ck[320], pgm_path[320], vis[320], pgm[15 + 784] = "P5\n28 28\n255\n";
    make_temp_dir("hostile_flags_spec", dir, sizeof dir);
    snprintf(d, sizeof d, "%s/case", dir);
    good_data(d);
    snprintf(ck, sizeof ck, "%s/t.ckpt", d);
    snprintf(pgm_path, sizeof pgm_path, "%s/digit.pgm", d);
    snprintf(vis, sizeof vis, "%s/vis", d);
    memset(pgm + 13, 200, 784);
    write_file(pgm_path, pgm, 13 + 784);
    const char *const *runs[] = {
        CNN_ARGV("train", "--device", "cpu", "--data", d, "--net", spec, "--epochs", "1",
                 "--log", "", "--save", ck),
        CNN_ARGV("eval", "--device", "cpu", "--model", ck, "--data", d),
        CNN_ARGV("summary", "--model", ck),
        CNN_ARGV("predict", "--model", ck, pgm_path),
        CNN_ARGV("visualize", "--model", ck, "--data", d, "--out", vis),
        CNN_ARGV("train", "--device", "cpu", "--data", d, "--resume", ck, "--epochs", "2",
                 "--log", "", "--save", ck),
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        result r;
        run_cnn(runs[i], HOSTILE_TIMEOUT_S, &r);
        cr_assert(r.exited && r.status == 0, "cnn %s: status %d: %s", runs[i][1], r.status,
                  r.err);
        if (i == 0) cr_assert_eq(strlen(spec), 485);
        if (i == 2) cr_assert_not_null(strstr(r.out, "dropout0.000000001,relu,fc10,softmax"));
        result_free(&r);
    }
}
