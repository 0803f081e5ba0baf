/* Hostile input and output paths, as a table (see hostile_util.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "hostile_util.h"

#define good_data hostile_good_data
#define trained hostile_trained


static const hostile CASES[] = {
    {"--log in a missing folder", good_data, {"train", "--data", "@", "--log", "@/no/such/log.csv"}, 1, {"--log", "does not exist"}, NULL},
    {"--log naming a folder", good_data, {"train", "--data", "@", "--log", "@"}, 1, {"--log", "is a folder"}, NULL},
    {"--save in a missing folder", good_data, {"train", "--data", "@", "--log", "", "--save", "@/no/m.ckpt"}, 1, {"--save", "does not exist"}, NULL},
    {"--save naming a folder", good_data, {"train", "--data", "@", "--log", "", "--save", "@"}, 1, {"--save", "is a folder"}, NULL},
    {"predict a missing picture", trained, {"predict", "--model", "@/m.ckpt", "@/none.png"}, 1, {"none.png"}, NULL},
    {"predict a text file", trained, {"predict", "--model", "@/m.ckpt", "@/train-labels-idx1-ubyte"}, 1, {"train-labels-idx1-ubyte"}, NULL},
};
#define N_CASES (int)(sizeof CASES / sizeof CASES[0])

const int hostile_files_cases = N_CASES;

HOSTILE_CASE(hostile_files, 0) HOSTILE_CASE(hostile_files, 1) HOSTILE_CASE(hostile_files, 2) HOSTILE_CASE(hostile_files, 3)
HOSTILE_CASE(hostile_files, 4) HOSTILE_CASE(hostile_files, 5) HOSTILE_CASE(hostile_files, 6) HOSTILE_CASE(hostile_files, 7)

Test(hostile_files, every_case_has_a_test) { cr_assert_leq(N_CASES, 8, "add HOSTILE_CASE() lines"); }
