/* Hostile checkpoints: each case breaks one good checkpoint, as a table (see hostile_util.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "hostile_util.h"

#define good_data hostile_good_data
#define trained hostile_trained

/* Checkpoints: one good one, made by training, then broken. */
static void patch_model(const char *d, size_t at, unsigned char value, int fix_crc, long cut)
{
    trained(d);
    char path[512];
    snprintf(path, sizeof path, "%s/m.ckpt", d);
    size_t len;
    unsigned char *b = read_file(path, &len);
    if (at < len) b[at] = value;
    if (fix_crc) {
        uLong crc = crc32(0L, b, (uInt)(len - 4));
        for (int i = 0; i < 4; i++) b[len - 4 + i] = (unsigned char)(crc >> (8 * i));
    }
    write_file(path, b, cut >= 0 ? (size_t)cut : len);
    free(b);
}
static void ckpt_bad_magic(const char *d) { patch_model(d, 0, 'X', 0, -1); }
static void ckpt_newer(const char *d) { patch_model(d, 8, 2, 1, -1); }
static void ckpt_crc(const char *d) { patch_model(d, 200, 0x77, 0, -1); }
static void ckpt_truncated(const char *d) { patch_model(d, 0, 'C', 0, 100); }
static void ckpt_empty(const char *d) { patch_model(d, 0, 'C', 0, 0); }
/* batch (at 52 + the spec's 21 bytes) set to 0, CRC fixed: a division by
 * zero if trusted */
static void ckpt_batch0(const char *d) { patch_model(d, 52 + 21, 0, 1, -1); }
static void ckpt_folder(const char *d)
{
    good_data(d);
    char path[512];
    snprintf(path, sizeof path, "%s/m.ckpt", d);
    mkdir(path, 0777);
}


static const hostile CASES[] = {
    {"checkpoint: bad magic", ckpt_bad_magic, {"eval", "--data", "@", "--device", "cpu", "--model", "@/m.ckpt"}, 1, {"not a cnn checkpoint"}, NULL},
    {"checkpoint: newer version", ckpt_newer, {"eval", "--data", "@", "--device", "cpu", "--model", "@/m.ckpt"}, 1, {"version 2", "newer"}, NULL},
    {"checkpoint: CRC mismatch", ckpt_crc, {"eval", "--data", "@", "--device", "cpu", "--model", "@/m.ckpt"}, 1, {"CRC"}, NULL},
    {"checkpoint: cut short", ckpt_truncated, {"eval", "--data", "@", "--device", "cpu", "--model", "@/m.ckpt"}, 1, {"cut short"}, NULL},
    {"checkpoint: empty", ckpt_empty, {"eval", "--data", "@", "--device", "cpu", "--model", "@/m.ckpt"}, 1, {"not a cnn checkpoint"}, NULL},
    {"checkpoint: a folder", ckpt_folder, {"eval", "--data", "@", "--device", "cpu", "--model", "@/m.ckpt"}, 1, {"not a regular file"}, NULL},
    {"checkpoint: missing", good_data, {"eval", "--data", "@", "--device", "cpu", "--model", "@/none.ckpt"}, 1, {"cannot open checkpoint"}, NULL},
    {"checkpoint: batch 0 under a good CRC", ckpt_batch0, {"train", "--data", "@", "--device", "cpu", "--log", "", "--resume", "@/m.ckpt"}, 1, {"impossible settings", "batch"}, NULL},
    {"checkpoint: wrong network", trained, {"train", "--data", "@", "--device", "cpu", "--resume", "@/m.ckpt", "--net", "mlp1", "--epochs", "2"}, 1, {"wrong network"}, NULL},
};
#define N_CASES (int)(sizeof CASES / sizeof CASES[0])

const int hostile_ckpt_cases = N_CASES;

HOSTILE_CASE(hostile_ckpt, 0) HOSTILE_CASE(hostile_ckpt, 1) HOSTILE_CASE(hostile_ckpt, 2) HOSTILE_CASE(hostile_ckpt, 3)
HOSTILE_CASE(hostile_ckpt, 4) HOSTILE_CASE(hostile_ckpt, 5) HOSTILE_CASE(hostile_ckpt, 6) HOSTILE_CASE(hostile_ckpt, 7)
HOSTILE_CASE(hostile_ckpt, 8) HOSTILE_CASE(hostile_ckpt, 9) HOSTILE_CASE(hostile_ckpt, 10) HOSTILE_CASE(hostile_ckpt, 11)

Test(hostile_ckpt, every_case_has_a_test) { cr_assert_leq(N_CASES, 12, "add HOSTILE_CASE() lines"); }
