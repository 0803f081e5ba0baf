/* Hostile inputs, as a table: each case names its input, the words its one
 * stderr line must hold and the exit status (2: a usage error, 1: anything
 * else), and runs the cnn binary on it. Every case must end cleanly: no
 * crash, no hang, exactly one line on stderr. Data cases put one broken file
 * among three good ones; checkpoint cases break one good checkpoint. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "idx_util.h"
#include "run_util.h"

#define TIMEOUT_S 60
#define N_TRAIN 60
#define N_TEST 20

/* ---- building the inputs ---- */

static void good_data(const char *dir)
{
    unsigned char images[N_TRAIN * 784], labels[N_TRAIN];
    for (int i = 0; i < N_TRAIN; i++) {
        labels[i] = (unsigned char)(i % 10);
        for (int p = 0; p < 784; p++) images[i * 784 + p] = (unsigned char)((p * 7 + i * 13) % 256);
    }
    mkdir(dir, 0777);
    write_idx_split(dir, "train", N_TRAIN, images, labels);
    write_idx_split(dir, "t10k", N_TEST, images, labels);
}

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

typedef struct {
    const char *name;
    void (*setup)(const char *dir);   /* makes the broken input in dir */
    const char *argv[12];             /* after "cnn"; "@" stands for the case's folder */
    int status;
    const char *want[4];              /* fragments of the one stderr line */
} hostile;

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
}
static void count_mismatch(const char *d)
{
    good_data(d);
    unsigned char b[8 + N_TRAIN] = {0};
    unsigned dims[1] = {N_TRAIN - 1};
    put(d, "train-labels-idx1-ubyte", b, header(b, 0x08, 1, dims) + N_TRAIN - 1, 0);
}
static void label_too_big(const char *d)
{
    good_data(d);
    unsigned char b[8 + N_TRAIN] = {0};
    unsigned dims[1] = {N_TRAIN};
    size_t h = header(b, 0x08, 1, dims);
    b[h + 5] = 12;
    put(d, "train-labels-idx1-ubyte", b, h + N_TRAIN, 0);
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
static void small_images(const char *d)
{
    mkdir(d, 0777);
    unsigned char b[16 + 2 * 400];
    memset(b, 0, sizeof b);
    unsigned dims[3] = {2, 20, 20};
    size_t h = header(b, 0x08, 3, dims);
    for (const char *set = "train"; set; set = strcmp(set, "train") ? NULL : "t10k") {
        char name[64];
        snprintf(name, sizeof name, "%s-images-idx3-ubyte", set);
        put(d, name, b, h + 800, 0);
        unsigned char l[10] = {0};
        unsigned ld[1] = {2};
        snprintf(name, sizeof name, "%s-labels-idx1-ubyte", set);
        put(d, name, l, header(l, 0x08, 1, ld) + 2, 0);
    }
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

/* Checkpoints: one good one, made by training, then broken. */
static void trained(const char *d)
{
    good_data(d);
    char model[512];
    snprintf(model, sizeof model, "%s/m.ckpt", d);
    result r;
    run_cnn(CNN_ARGV("train", "--data", d, "--device", "cpu", "--net", "fc8,relu,fc10,softmax",
                     "--epochs", "1", "--batch", "20", "--log", "", "--save", model),
            TIMEOUT_S, &r);
    cr_assert(r.exited && r.status == 0, "training the case's model failed: %s", r.err);
    result_free(&r);
}
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
    /* IDX files */
    {"empty file", empty_images, {"train", "--data", "@"}, 1, {"train-images-idx3-ubyte", "empty file"}},
    {"header cut short", short_header, {"train", "--data", "@"}, 1, {"truncated header", "6 bytes"}},
    {"data cut short", truncated_data, {"train", "--data", "@"}, 1, {"truncated", "header says 60x28x28 = 47040 bytes", "file has 47039"}},
    {"gzip data cut short", truncated_gz, {"train", "--data", "@"}, 1, {"truncated", "47040 bytes"}},
    {"bytes past the data", extra_bytes, {"train", "--data", "@"}, 1, {"3 bytes more than the header says"}},
    {"wrong magic", wrong_magic, {"train", "--data", "@"}, 1, {"not an IDX file", "0x12345678"}},
    {"wrong type byte", wrong_type, {"train", "--data", "@"}, 1, {"element type", "0x0D"}},
    {"idx1 where idx3 belongs", wrong_ndim, {"train", "--data", "@"}, 1, {"expected an idx3 file"}},
    {"zero images", zero_dim, {"train", "--data", "@"}, 1, {"dimension 1 is zero"}},
    {"zero rows", zero_side, {"train", "--data", "@"}, 1, {"dimension 2 is zero"}},
    {"4 billion images", four_billion, {"train", "--data", "@"}, 1, {"4000000000 items"}},
    {"100000-pixel sides", huge_side, {"train", "--data", "@"}, 1, {"image sides above"}},
    {"gzip header claiming 90M images", huge_gz_header, {"train", "--data", "@"}, 1, {"truncated", "file has 0"}},
    {"images and labels differ", count_mismatch, {"train", "--data", "@"}, 1, {"images and labels differ", "59 labels"}},
    {"label above 9", label_too_big, {"train", "--data", "@"}, 1, {"label 12 at index 5", "out of range"}},
    {"corrupt gzip stream", corrupt_gz, {"train", "--data", "@"}, 1, {"gzip"}},
    {"gzip stream cut short", gz_cut_short, {"train", "--data", "@"}, 1, {"gzip stream cut short"}},
    {"20x20 images", small_images, {"train", "--data", "@"}, 1, {"images are 20x20", "28x28"}},
    {"folder without the files", no_files, {"train", "--data", "@"}, 1, {"no train-images-idx3-ubyte", "make data"}},
    {"missing folder", nothing, {"train", "--data", "@"}, 1, {"cannot open folder", "make data"}},
    {"--data names a file", a_file, {"train", "--data", "@"}, 1, {"not a folder"}},
    {"a label file missing", missing_labels, {"train", "--data", "@"}, 1, {"no t10k-labels-idx1-ubyte"}},
    /* checkpoints */
    {"checkpoint: bad magic", ckpt_bad_magic, {"eval", "--data", "@", "--device", "cpu", "--model", "@/m.ckpt"}, 1, {"not a cnn checkpoint"}},
    {"checkpoint: newer version", ckpt_newer, {"eval", "--data", "@", "--device", "cpu", "--model", "@/m.ckpt"}, 1, {"version 2", "newer"}},
    {"checkpoint: CRC mismatch", ckpt_crc, {"eval", "--data", "@", "--device", "cpu", "--model", "@/m.ckpt"}, 1, {"CRC"}},
    {"checkpoint: cut short", ckpt_truncated, {"eval", "--data", "@", "--device", "cpu", "--model", "@/m.ckpt"}, 1, {"cut short"}},
    {"checkpoint: empty", ckpt_empty, {"eval", "--data", "@", "--device", "cpu", "--model", "@/m.ckpt"}, 1, {"not a cnn checkpoint"}},
    {"checkpoint: a folder", ckpt_folder, {"eval", "--data", "@", "--device", "cpu", "--model", "@/m.ckpt"}, 1, {"not a regular file"}},
    {"checkpoint: missing", good_data, {"eval", "--data", "@", "--device", "cpu", "--model", "@/none.ckpt"}, 1, {"cannot open checkpoint"}},
    {"checkpoint: batch 0 under a good CRC", ckpt_batch0, {"train", "--data", "@", "--device", "cpu", "--log", "", "--resume", "@/m.ckpt"}, 1, {"impossible settings", "batch"}},
    {"checkpoint: wrong network", trained, {"train", "--data", "@", "--device", "cpu", "--resume", "@/m.ckpt", "--net", "mlp1", "--epochs", "2"}, 1, {"wrong network"}},
    /* network specs */
    {"spec: unknown layer", good_data, {"train", "--data", "@", "--net", "conv4k5,rleu,fc10,softmax"}, 2, {"\"rleu\"", "unknown layer"}},
    {"spec: missing number", good_data, {"train", "--data", "@", "--net", "conv,fc10,softmax"}, 2, {"\"conv\"", "expected a number"}},
    {"spec: negative number", good_data, {"train", "--data", "@", "--net", "conv-4k5,fc10,softmax"}, 2, {"\"conv-4k5\"", "expected a number"}},
    {"spec: zero outputs", good_data, {"train", "--data", "@", "--net", "fc0,fc10,softmax"}, 2, {"\"fc0\"", "at least 1"}},
    {"spec: pooling that does not divide", good_data, {"train", "--data", "@", "--net", "avgpool3,fc10,softmax"}, 2, {"\"avgpool3\"", "do not tile"}},
    {"spec: a map shrunk to nothing", good_data, {"train", "--data", "@", "--net", "conv4k29,fc10,softmax"}, 2, {"\"conv4k29\"", "does not fit"}},
    {"spec: no loss", good_data, {"train", "--data", "@", "--net", "fc10"}, 2, {"must end with a loss"}},
    {"spec: outputs not classes", good_data, {"train", "--data", "@", "--net", "fc5,softmax"}, 2, {"5 outputs", "10 classes"}},
    {"spec: layer after the loss", good_data, {"train", "--data", "@", "--net", "fc10,softmax,relu"}, 2, {"after the loss"}},
    {"spec: unknown preset", good_data, {"train", "--data", "@", "--net", "mlp3"}, 2, {"unknown network", "mlp3"}},
    /* flags */
    {"--batch 0", good_data, {"train", "--data", "@", "--batch", "0"}, 2, {"--batch", "\"0\""}},
    {"--batch -5", good_data, {"train", "--data", "@", "--batch", "-5"}, 2, {"--batch", "\"-5\""}},
    {"--batch abc", good_data, {"train", "--data", "@", "--batch", "abc"}, 2, {"--batch", "\"abc\""}},
    {"--batch overflowing", good_data, {"train", "--data", "@", "--batch", "99999999999"}, 2, {"--batch", "99999999999"}},
    {"--epochs 0", good_data, {"train", "--data", "@", "--epochs", "0"}, 2, {"--epochs", "\"0\""}},
    {"--lr 0", good_data, {"train", "--data", "@", "--lr", "0"}, 2, {"--lr", "positive"}},
    {"--lr -0.1", good_data, {"train", "--data", "@", "--lr", "-0.1"}, 2, {"--lr", "\"-0.1\""}},
    {"--lr nan", good_data, {"train", "--data", "@", "--lr", "nan"}, 2, {"--lr", "\"nan\""}},
    {"--lr 1e99 (overflows a float)", good_data, {"train", "--data", "@", "--lr", "1e99"}, 2, {"--lr", "\"1e99\""}},
    {"--momentum -1", good_data, {"train", "--data", "@", "--momentum", "-1"}, 2, {"--momentum"}},
    {"--seed -1", good_data, {"train", "--data", "@", "--seed", "-1"}, 2, {"--seed", "\"-1\""}},
    {"--threads -2", good_data, {"train", "--data", "@", "--threads", "-2"}, 2, {"--threads"}},
    {"--gpu -1", good_data, {"train", "--data", "@", "--gpu", "-1"}, 2, {"--gpu"}},
    {"--normalize foo", good_data, {"train", "--data", "@", "--normalize", "foo"}, 2, {"--normalize", "\"foo\""}},
    {"--device tpu", good_data, {"train", "--data", "@", "--device", "tpu"}, 2, {"--device", "\"tpu\""}},
    {"unknown flag", good_data, {"train", "--data", "@", "--bogus", "1"}, 2, {"unknown flag --bogus"}},
    {"flag without its value", good_data, {"train", "--data", "@", "--epochs"}, 2, {"--epochs needs a value"}},
    {"stray argument", good_data, {"train", "--data", "@", "fast"}, 2, {"unexpected argument", "\"fast\""}},
    {"unknown command", good_data, {"fly"}, 2, {"unknown command", "\"fly\""}},
    {"--log in a missing folder", good_data, {"train", "--data", "@", "--log", "@/no/such/log.csv"}, 1, {"--log", "does not exist"}},
    {"--log naming a folder", good_data, {"train", "--data", "@", "--log", "@"}, 1, {"--log", "is a folder"}},
    {"--save in a missing folder", good_data, {"train", "--data", "@", "--log", "", "--save", "@/no/m.ckpt"}, 1, {"--save", "does not exist"}},
    {"--save naming a folder", good_data, {"train", "--data", "@", "--log", "", "--save", "@"}, 1, {"--save", "is a folder"}},
    {"eval without --model", good_data, {"eval", "--data", "@"}, 2, {"--model", "required"}},
    {"predict a missing picture", trained, {"predict", "--model", "@/m.ckpt", "@/none.png"}, 1, {"none.png"}},
    {"predict a text file", trained, {"predict", "--model", "@/m.ckpt", "@/train-labels-idx1-ubyte"}, 1, {"train-labels-idx1-ubyte"}},
};
#define N_CASES (int)(sizeof CASES / sizeof CASES[0])

/* Runs case i in a fresh folder and checks status and message. */
static void run_case(int i)
{
    const hostile *h = &CASES[i];
    char dir[256], arg_store[12][512];
    const char *argv[14] = {"cnn"};
    make_temp_dir("test_hostile", dir, sizeof dir);
    char folder[300];
    snprintf(folder, sizeof folder, "%s/case", dir);
    h->setup(folder);
    int n = 0;
    for (; n < 12 && h->argv[n]; n++) {
        const char *a = h->argv[n];
        if (a[0] == '@') snprintf(arg_store[n], sizeof arg_store[n], "%s%s", folder, a + 1);
        else snprintf(arg_store[n], sizeof arg_store[n], "%s", a);
        argv[n + 1] = arg_store[n];
    }
    argv[n + 1] = NULL;
    result r;
    run_cnn(argv, TIMEOUT_S, &r);
    char what[128];
    snprintf(what, sizeof what, "case %d (%s)", i + 1, h->name);
    expect_error(&r, h->status, h->want, what);
    result_free(&r);
}

Test(hostile, table_has_40_cases) { cr_assert_geq(N_CASES, 40, "%d cases", N_CASES); }

/* One Criterion test per case keeps failures readable. */
#define CASE(i) Test(hostile, case_##i, .fini = remove_temp_dir) { if (i < N_CASES) run_case(i); }
CASE(0) CASE(1) CASE(2) CASE(3) CASE(4) CASE(5) CASE(6) CASE(7) CASE(8) CASE(9)
CASE(10) CASE(11) CASE(12) CASE(13) CASE(14) CASE(15) CASE(16) CASE(17) CASE(18) CASE(19)
CASE(20) CASE(21) CASE(22) CASE(23) CASE(24) CASE(25) CASE(26) CASE(27) CASE(28) CASE(29)
CASE(30) CASE(31) CASE(32) CASE(33) CASE(34) CASE(35) CASE(36) CASE(37) CASE(38) CASE(39)
CASE(40) CASE(41) CASE(42) CASE(43) CASE(44) CASE(45) CASE(46) CASE(47) CASE(48) CASE(49)
CASE(50) CASE(51) CASE(52) CASE(53) CASE(54) CASE(55) CASE(56) CASE(57) CASE(58) CASE(59)
CASE(60) CASE(61) CASE(62) CASE(63) CASE(64) CASE(65) CASE(66) CASE(67) CASE(68) CASE(69)

Test(hostile, every_case_has_a_test) { cr_assert_leq(N_CASES, 70, "add CASE() lines for the new cases"); }
