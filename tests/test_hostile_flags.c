/* Hostile flags and network specs, as a table (see hostile_util.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "hostile_util.h"

#define good_data hostile_good_data
#define trained hostile_trained


static const hostile CASES[] = {
    {"spec: unknown layer", good_data, {"train", "--data", "@", "--net", "conv4k5,rleu,fc10,softmax"}, 2, {"\"rleu\"", "unknown layer"}, NULL},
    {"spec: missing number", good_data, {"train", "--data", "@", "--net", "conv,fc10,softmax"}, 2, {"\"conv\"", "expected a number"}, NULL},
    {"spec: negative number", good_data, {"train", "--data", "@", "--net", "conv-4k5,fc10,softmax"}, 2, {"\"conv-4k5\"", "expected a number"}, NULL},
    {"spec: zero outputs", good_data, {"train", "--data", "@", "--net", "fc0,fc10,softmax"}, 2, {"\"fc0\"", "at least 1"}, NULL},
    {"spec: pooling that does not divide", good_data, {"train", "--data", "@", "--net", "avgpool3,fc10,softmax"}, 2, {"\"avgpool3\"", "do not tile"}, NULL},
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
    {"--normalize foo", good_data, {"train", "--data", "@", "--normalize", "foo"}, 2, {"--normalize", "\"foo\""}, NULL},
    {"--device tpu", good_data, {"train", "--data", "@", "--device", "tpu"}, 2, {"--device", "\"tpu\""}, NULL},
    {"unknown flag", good_data, {"train", "--data", "@", "--bogus", "1"}, 2, {"unknown flag --bogus"}, NULL},
    {"flag without its value", good_data, {"train", "--data", "@", "--epochs"}, 2, {"--epochs needs a value"}, NULL},
    {"stray argument", good_data, {"train", "--data", "@", "fast"}, 2, {"unexpected argument", "\"fast\""}, NULL},
    {"unknown command", good_data, {"fly"}, 2, {"unknown command", "\"fly\""}, NULL},
    {"eval without --model", good_data, {"eval", "--data", "@"}, 2, {"--model", "required"}, NULL},
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

Test(hostile_flags, every_case_has_a_test) { cr_assert_leq(N_CASES, 32, "add HOSTILE_CASE() lines"); }
