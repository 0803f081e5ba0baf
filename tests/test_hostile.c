/* Hostile data files, as a table (see hostile_util.h): each case puts one
 * broken IDX file among three good ones. This file also counts the cases of
 * every hostile table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "idx_util.h"
#include "hostile_util.h"

#define N_TRAIN HOSTILE_N_TRAIN

#define good_data hostile_good_data
#define trained hostile_trained

/* ---- building the inputs ---- */

/* An IDX header: magic (type byte and dimension count) and the dimensions. */
static size_t header(unsigned char *p, int type, int ndim, const unsigned *dims)
{
    p[0] = p[1] = 0;
    p[2] = (unsigned char)type;
    p[3] = (unsigned char)ndim;
    for (int i = 0; i < ndim; i++) store_be32(p + 4 + 4 * i, dims[i]);
    return 4 + 4 * (size_t)ndim;
}

/* Replaces <dir>/<name> with len bytes (gzipped when gz). */
static void put(const char *dir, const char *name, const void *data, size_t len, int gz)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!gz) {
        write_file(path, data, len);
        return;
    }
    gzFile f = gzopen(path, "wb");
    cr_assert_not_null(f);
    if (len) cr_assert_eq(gzwrite(f, data, (unsigned)len), (int)len);
    gzclose(f);
}

/* An images file of n images of rows x cols, with extra bytes added or
 * removed at the end (delta). */
static void images_file(const char *dir, unsigned n, unsigned rows, unsigned cols, long delta,
                        int gz)
{
    unsigned dims[3] = {n, rows, cols};
    size_t body = (size_t)n * rows * cols, len = 16 + body + (delta > 0 ? delta : 0);
    unsigned char *buf = calloc(1, len + 16);
    header(buf, 0x08, 3, dims);
    put(dir, "train-images-idx3-ubyte", buf, (size_t)((long)(16 + body) + delta), gz);
    free(buf);
}

/* IDX files */
static void empty_images(const char *d) { good_data(d); put(d, "train-images-idx3-ubyte", "", 0, 0); }
static void short_header(const char *d) { good_data(d); put(d, "train-images-idx3-ubyte", "\0\0\x08\x03\0\0", 6, 0); }
static void truncated_data(const char *d) { good_data(d); images_file(d, N_TRAIN, 28, 28, -1, 0); }
static void truncated_gz(const char *d) { good_data(d); images_file(d, N_TRAIN, 28, 28, -100, 1); }
static void extra_bytes(const char *d) { good_data(d); images_file(d, N_TRAIN, 28, 28, 3, 0); }
static void wrong_magic(const char *d) { good_data(d); put(d, "train-images-idx3-ubyte", "\x12\x34\x56\x78\0\0\0\0", 8, 0); }
static void wrong_type(const char *d)
{
    good_data(d);
    unsigned char b[64] = {0};
    unsigned dims[3] = {1, 2, 2};
    size_t n = header(b, 0x0D, 3, dims);
    put(d, "train-images-idx3-ubyte", b, n + 16, 0);
}
static void wrong_ndim(const char *d)
{
    good_data(d);
    unsigned char b[64] = {0};
    unsigned dims[1] = {4};
    put(d, "train-images-idx3-ubyte", b, header(b, 0x08, 1, dims) + 4, 0);
}
static void zero_dim(const char *d) { good_data(d); images_file(d, 0, 28, 28, 0, 0); }
static void zero_side(const char *d) { good_data(d); images_file(d, N_TRAIN, 0, 28, 0, 0); }
static void four_billion(const char *d)
{
    good_data(d);
    unsigned char b[16];
    unsigned dims[3] = {4000000000u, 28, 28};
    put(d, "train-images-idx3-ubyte", b, header(b, 0x08, 3, dims), 0);
}
static void huge_side(const char *d)
{
    good_data(d);
    unsigned char b[16];
    unsigned dims[3] = {1, 100000, 100000};
    put(d, "train-images-idx3-ubyte", b, header(b, 0x08, 3, dims), 0);
}
static void huge_gz_header(const char *d)
{
    good_data(d);
    unsigned char b[16];
    unsigned dims[3] = {90000000u, 28, 28};
    put(d, "train-images-idx3-ubyte", b, header(b, 0x08, 3, dims), 1);
    put(d, "train-labels-idx1-ubyte", b, header(b, 0x08, 1, dims), 1); /* the same count */
}
static void count_mismatch(const char *d)
{
    good_data(d);
    unsigned char b[8 + N_TRAIN] = {0};
    unsigned dims[1] = {N_TRAIN - 1};
    put(d, "train-labels-idx1-ubyte", b, header(b, 0x08, 1, dims) + N_TRAIN - 1, 0);
}
/* A test label no training label reaches (the training labels, 0..9, are
 * the classes an IDX set has). */
static void label_too_big(const char *d)
{
    good_data(d);
    unsigned char b[8 + HOSTILE_N_TEST] = {0};
    unsigned dims[1] = {HOSTILE_N_TEST};
    size_t h = header(b, 0x08, 1, dims);
    b[h + 5] = 12;
    put(d, "t10k-labels-idx1-ubyte", b, h + HOSTILE_N_TEST, 0);
}

/* Train images of 20x20, t10k's of 28x28: the two sets must agree. */
static void small_train_images(const char *d)
{
    good_data(d);
    images_file(d, N_TRAIN, 20, 20, 0, 0);
}
static void corrupt_gz(const char *d)
{
    good_data(d);
    char path[512];
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte", d);
    size_t len;
    unsigned char *raw = read_file(path, &len);
    put(d, "train-images-idx3-ubyte", raw, len, 1);
    free(raw);
    unsigned char *gz = read_file(path, &len);
    for (size_t i = len / 3; i < len / 3 + 64 && i < len; i++) gz[i] ^= 0x5a;
    write_file(path, gz, len);
    free(gz);
}
static void gz_cut_short(const char *d)
{
    good_data(d);
    char path[512];
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte", d);
    size_t len;
    unsigned char *raw = read_file(path, &len);
    put(d, "train-images-idx3-ubyte", raw, len, 1);
    free(raw);
    unsigned char *gz = read_file(path, &len);
    write_file(path, gz, len / 2);
    free(gz);
}
static void no_files(const char *d) { mkdir(d, 0777); }
static void nothing(const char *d) { (void)d; }
static void a_file(const char *d) { write_file(d, "x", 1); }
static void missing_labels(const char *d)
{
    good_data(d);
    char path[512];
    snprintf(path, sizeof path, "%s/t10k-labels-idx1-ubyte", d);
    remove(path);
}

/* AddressSanitizer reserves terabytes of shadow memory at start, which
 * RLIMIT_DATA counts: under make test SAN=1, gz_bomb sets no limit (the
 * refusal must still come from the header, which the message shows). */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* The issue's gzip bomb (case 8): a header of 200 images of 4096x4096
 * (3.3 GB), then 1.1 GiB of zeros in 1.1 MB of gzip, under a 1.5 GiB data
 * limit (RLIMIT_DATA, which this test's process passes to cnn): a reader
 * that inflated before checking the sides runs out of memory. The zeros
 * are one compressed MiB repeated: after a full flush, deflate's blocks
 * stand alone. (The stream has no trailer: the reader must never get there.) */
static void gz_bomb(const char *d)
{
    good_data(d);
    enum { MIB = 1 << 20, REPEATS = 1100 };
    unsigned char head[16], *zeros = calloc(1, MIB), *out = malloc(2 * MIB);
    unsigned dims[3] = {200, 4096, 4096};
    z_stream z = {0};
    cr_assert(zeros && out && deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) == Z_OK);
    z.next_out = out;
    z.avail_out = 2 * MIB;
    z.next_in = head;
    z.avail_in = (uInt)header(head, 0x08, 3, dims);
    cr_assert_eq(deflate(&z, Z_FULL_FLUSH), Z_OK);
    size_t head_len = 2 * MIB - z.avail_out;
    z.next_in = zeros;
    z.avail_in = MIB;
    cr_assert_eq(deflate(&z, Z_FULL_FLUSH), Z_OK);
    size_t block = 2 * MIB - z.avail_out - head_len;
    deflateEnd(&z);
    char path[512];
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz", d);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(out, 1, head_len, f), head_len);
    for (int i = 0; i < REPEATS; i++) cr_assert_eq(fwrite(out + head_len, 1, block, f), block);
    cr_assert_eq(fclose(f), 0);
    free(zeros);
    free(out);
    if (!UNDER_ASAN) {
        struct rlimit lim = {(rlim_t)3 << 29, (rlim_t)3 << 29};
        cr_assert_eq(setrlimit(RLIMIT_DATA, &lim), 0);
    }
}
/* Junk after a gzip stream (minor case 3): the good images, gzipped, then "junk". */
static void gz_then_junk(const char *d)
{
    good_data(d);
    char path[512];
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte", d);
    size_t len;
    unsigned char *raw = read_file(path, &len);
    put(d, "train-images-idx3-ubyte", raw, len, 1);
    free(raw);
    FILE *f = fopen(path, "ab");
    cr_assert(f && fwrite("junk", 1, 4, f) == 4 && fclose(f) == 0);
}
/* eval reads only the t10k files (minor case 4): a model, its data's train
 * files removed, and a t10k label out of range, which eval must report. */
static void t10k_only_bad_label(const char *d)
{
    trained(d);
    char path[512];
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", d, i ? "train-labels-idx1-ubyte" : "train-images-idx3-ubyte");
        cr_assert_eq(unlink(path), 0);
    }
    unsigned char b[8 + HOSTILE_N_TEST] = {0};
    unsigned dims[1] = {HOSTILE_N_TEST};
    size_t h = header(b, 0x08, 1, dims);
    b[h + 3] = 12;
    put(d, "t10k-labels-idx1-ubyte", b, h + HOSTILE_N_TEST, 0);
}

static const hostile CASES[] = {
    {"empty file", empty_images, {"train", "--data", "@"}, 1, {"train-images-idx3-ubyte", "empty file"}, NULL},
    {"header cut short", short_header, {"train", "--data", "@"}, 1, {"truncated header", "6 bytes"}, NULL},
    {"data cut short", truncated_data, {"train", "--data", "@"}, 1, {"truncated", "header says 60x28x28 = 47040 bytes", "file has 47039"}, NULL},
    {"gzip data cut short", truncated_gz, {"train", "--data", "@"}, 1, {"truncated", "47040 bytes"}, NULL},
    {"bytes past the data", extra_bytes, {"train", "--data", "@"}, 1, {"3 bytes more than the header says"}, NULL},
    {"wrong magic", wrong_magic, {"train", "--data", "@"}, 1, {"not an IDX file", "0x12345678"}, NULL},
    {"wrong type byte", wrong_type, {"train", "--data", "@"}, 1, {"element type", "0x0D"}, NULL},
    {"idx1 where idx3 belongs", wrong_ndim, {"train", "--data", "@"}, 1, {"expected an idx3 file"}, NULL},
    {"zero images", zero_dim, {"train", "--data", "@"}, 1, {"dimension 1 is zero"}, NULL},
    {"zero rows", zero_side, {"train", "--data", "@"}, 1, {"dimension 2 is zero"}, NULL},
    {"4 billion images", four_billion, {"train", "--data", "@"}, 1, {"4000000000 items"}, NULL},
    {"100000-pixel sides", huge_side, {"train", "--data", "@"}, 1, {"image sides above"}, NULL},
    {"gzip header claiming 90M images", huge_gz_header, {"train", "--data", "@"}, 1, {"truncated", "file has 0"}, NULL},
    {"images and labels differ", count_mismatch, {"train", "--data", "@"}, 1, {"images and labels differ", "59 labels"}, NULL},
    {"test label above the training labels", label_too_big, {"train", "--data", "@"}, 1, {"t10k-labels-idx1-ubyte", "label 12 at index 5", "out of range 0..9"}, NULL},
    {"corrupt gzip stream", corrupt_gz, {"train", "--data", "@"}, 1, {"gzip"}, NULL},
    {"gzip stream cut short", gz_cut_short, {"train", "--data", "@"}, 1, {"gzip stream cut short"}, NULL},
    {"20x20 train images, 28x28 test images", small_train_images, {"train", "--data", "@"}, 1, {"t10k-images-idx3-ubyte", "28x28", "not 20x20"}, NULL},
    {"folder without the files", no_files, {"train", "--data", "@"}, 1, {"no train-images-idx3-ubyte", "make data"}, NULL},
    {"missing folder", nothing, {"train", "--data", "@"}, 1, {"cannot open folder", "make data"}, NULL},
    {"--data names a file", a_file, {"train", "--data", "@"}, 1, {"not a folder"}, NULL},
    {"a label file missing", missing_labels, {"train", "--data", "@"}, 1, {"no t10k-labels-idx1-ubyte"}, NULL},
    {"gzip header of 200 4096x4096 images, 1.1 GiB of zeros, 1.5 GiB of memory", gz_bomb, {"train", "--data", "@"}, 2, {"--batch 50", "layer 1 (conv4k5p2)", "past what the kernels index"}, NULL},
    {"junk after the gzip stream", gz_then_junk, {"train", "--data", "@"}, 1, {"train-images-idx3-ubyte", "4 bytes after the end of the gzip stream"}, NULL},
    {"eval without train files, a bad t10k label", t10k_only_bad_label, {"eval", "--model", "@/m.ckpt", "--data", "@"}, 1, {"cnn eval", "t10k-labels-idx1-ubyte", "label 12 at index 3"}, NULL},
};
#define N_CASES (int)(sizeof CASES / sizeof CASES[0])

const int hostile_idx_cases = N_CASES;

HOSTILE_CASE(hostile, 0) HOSTILE_CASE(hostile, 1) HOSTILE_CASE(hostile, 2) HOSTILE_CASE(hostile, 3)
HOSTILE_CASE(hostile, 4) HOSTILE_CASE(hostile, 5) HOSTILE_CASE(hostile, 6) HOSTILE_CASE(hostile, 7)
HOSTILE_CASE(hostile, 8) HOSTILE_CASE(hostile, 9) HOSTILE_CASE(hostile, 10) HOSTILE_CASE(hostile, 11)
HOSTILE_CASE(hostile, 12) HOSTILE_CASE(hostile, 13) HOSTILE_CASE(hostile, 14) HOSTILE_CASE(hostile, 15)
HOSTILE_CASE(hostile, 16) HOSTILE_CASE(hostile, 17) HOSTILE_CASE(hostile, 18) HOSTILE_CASE(hostile, 19)
HOSTILE_CASE(hostile, 20) HOSTILE_CASE(hostile, 21) HOSTILE_CASE(hostile, 22) HOSTILE_CASE(hostile, 23)
HOSTILE_CASE(hostile, 24) HOSTILE_CASE(hostile, 25) HOSTILE_CASE(hostile, 26) HOSTILE_CASE(hostile, 27)

Test(hostile, every_case_has_a_test) { cr_assert_leq(N_CASES, 28, "add HOSTILE_CASE() lines"); }

/* Issue 25's floor: at least 220 hostile cases over all the tables. */
Test(hostile, at_least_220_cases)
{
    int total = hostile_idx_cases + hostile_files_cases + hostile_flags_cases + hostile_ckpt_cases +
                hostile_env_cases;
    cr_assert_geq(total, 220,
                  "%d hostile cases (idx %d, files %d, flags %d, checkpoints %d, environment %d)",
                  total, hostile_idx_cases, hostile_files_cases, hostile_flags_cases,
                  hostile_ckpt_cases, hostile_env_cases);
}

/* Each command reads only the files it needs (issue 25, minor case 4): eval
 * and visualize --model a folder of the t10k files alone, visualize
 * --augment one of the train files alone. */
Test(hostile, commands_read_only_the_sets_they_use, .fini = remove_temp_dir)
{
    char dir[256], d[300], t10k[320], train[320], from[400], to[400], model[320], out[2][320];
    make_temp_dir("hostile_sets", dir, sizeof dir);
    snprintf(d, sizeof d, "%s/case", dir);
    trained(d);
    snprintf(t10k, sizeof t10k, "%s/t10k", d);
    snprintf(train, sizeof train, "%s/train", d);
    cr_assert(mkdir(t10k, 0777) == 0 && mkdir(train, 0777) == 0);
    static const char *const files[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    for (int i = 0; i < 4; i++) {
        snprintf(from, sizeof from, "%s/%s", d, files[i]);
        snprintf(to, sizeof to, "%s/%s", i < 2 ? train : t10k, files[i]);
        cr_assert_eq(rename(from, to), 0);
    }
    snprintf(model, sizeof model, "%s/m.ckpt", d);
    snprintf(out[0], sizeof out[0], "%s/vis", d);
    snprintf(out[1], sizeof out[1], "%s/aug", d);
    const char *const *runs[3] = {
        CNN_ARGV("eval", "--device", "cpu", "--model", model, "--data", t10k),
        CNN_ARGV("visualize", "--model", model, "--data", t10k, "--out", out[0]),
        CNN_ARGV("visualize", "--augment", "shift:1", "--data", train, "--out", out[1]),
    };
    for (int i = 0; i < 3; i++) {
        result r;
        run_cnn((const char *const *)runs[i], HOSTILE_TIMEOUT_S, &r);
        cr_assert(r.exited && r.status == 0, "cnn %s %s: status %d: %s", runs[i][1], runs[i][2],
                  r.status, r.err);
        result_free(&r);
    }
}
