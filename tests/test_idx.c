/* IDX reading: valid raw and gzip files, every kind of malformed file, and data sets.
 * Each test writes its own small files into a fresh temporary folder. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "dataset.h"
#include "idx.h"
#include "idx_util.h"
#include "run_util.h"

static char err[512];

/* Data sets of 10 (or 40) classes, images of any size. */
static const dataset_want ANY10 = {10, 0, 0}, ANY40 = {40, 0, 0};

static void setup(void)
{
    make_temp_dir("test_idx", NULL, 0);
    err[0] = 0;
}

TestSuite(idx, .init = setup, .fini = remove_temp_dir);

/* An IDX image: the header for ndim dims, then n data bytes (i * 7 + 3). Caller frees. */
static unsigned char *make_idx(int ndim, const unsigned dims[], size_t n, size_t *len)
{
    *len = 4 + 4 * (size_t)ndim + n;
    unsigned char *b = malloc(*len), *p = b + 4 + 4 * (size_t)ndim;
    store_be32(b, 0x0800u | (unsigned)ndim); /* magic: unsigned bytes, ndim dimensions */
    for (int i = 0; i < ndim; i++)
        store_be32(b + 4 + 4 * (size_t)i, dims[i]);
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 7 + 3);
    return b;
}

static void write_gz(const char *path, const void *buf, size_t len)
{
    gzFile g = gzopen(path, "wb");
    cr_assert_not_null(g, "cannot write %s", path);
    if (len)
        cr_assert_eq(gzwrite(g, buf, (unsigned)len), (int)len);
    cr_assert_eq(gzclose(g), Z_OK);
}

/* Writes an IDX file with n data bytes (n may differ from what dims say), raw or gzipped. */
static const char *write_idx(const char *name, int gz, int ndim, const unsigned dims[], size_t n)
{
    size_t len;
    unsigned char *b = make_idx(ndim, dims, n, &len);
    const char *path = tmp_path(name);
    (gz ? write_gz : write_file)(path, b, len);
    free(b);
    return path;
}

/* Asserts idx_read fails and its message holds `words`. */
static void expect_fail(const char *path, int ndim, const char *words)
{
    idx_file f;
    cr_assert_eq(idx_read(path, ndim, &f, err, sizeof err), -1, "read %s should fail", path);
    cr_assert_null(f.data);
    cr_assert_not_null(strstr(err, words), "message \"%s\" lacks \"%s\"", err, words);
    cr_assert_eq(strchr(err, '\n'), NULL, "message must be one line: %s", err);
}

/* Reads path and checks its shape and the make_idx pattern. */
static void expect_ok(const char *path, int ndim, const unsigned dims[])
{
    idx_file f;
    cr_assert_eq(idx_read(path, ndim, &f, err, sizeof err), 0, "%s", err);
    cr_assert_eq(f.ndim, ndim);
    size_t n = 1;
    for (int i = 0; i < ndim; i++) {
        cr_assert_eq(f.dims[i], (int)dims[i]);
        n *= dims[i];
    }
    cr_assert_eq(f.bytes, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(f.data[i], (unsigned char)(i * 7 + 3), "byte %zu", i);
    idx_free(&f);
    cr_assert_null(f.data);
}

/* Caps this test process's address space at what it uses now plus `extra` bytes, so that
 * an allocation the size a lying header claims would fail. Criterion runs each test in its
 * own process. Returns 0 where /proc is not there (the test then checks messages only). */
static int cap_memory(size_t extra)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages;
    if (!f)
        return 0;
    int ok = fscanf(f, "%lu", &pages) == 1;
    fclose(f);
    if (!ok)
        return 0;
    struct rlimit r = {0};
    r.rlim_cur = r.rlim_max = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + extra;
    return setrlimit(RLIMIT_AS, &r) == 0;
}

static const unsigned img_dims[3] = {3, 2, 2};
static const unsigned lab_dims[1] = {5};

/* --- valid files --- */

Test(idx, raw_idx1)
{
    expect_ok(write_idx("labels", 0, 1, lab_dims, 5), 1, lab_dims);
}

Test(idx, raw_idx3)
{
    const unsigned d[3] = {10, 28, 28};
    expect_ok(write_idx("images", 0, 3, d, 10 * 28 * 28), 3, d);
}

Test(idx, gz_idx1)
{
    expect_ok(write_idx("labels.gz", 1, 1, lab_dims, 5), 1, lab_dims);
}

Test(idx, gz_idx3)
{
    /* Large enough that the gzip buffer has to grow several times. */
    const unsigned d[3] = {1000, 28, 28};
    expect_ok(write_idx("images.gz", 1, 3, d, 1000 * 28 * 28), 3, d);
}

Test(idx, gzip_told_by_magic_not_name)
{
    expect_ok(write_idx("images-no-suffix", 1, 3, img_dims, 12), 3, img_dims);
    expect_ok(write_idx("raw-but-named.gz", 0, 3, img_dims, 12), 3, img_dims);
}

/* --- malformed files --- */

Test(idx, empty_file)
{
    write_file(tmp_path("empty"), "", 0);
    expect_fail(tmp_path("empty"), 3, "empty: empty file");
    write_gz(tmp_path("empty.gz"), "", 0);
    expect_fail(tmp_path("empty.gz"), 3, "empty file");
}

Test(idx, truncated_header)
{
    size_t len;
    unsigned char *b = make_idx(3, img_dims, 0, &len);
    write_file(tmp_path("short"), b, 10);
    free(b);
    expect_fail(tmp_path("short"), 3, "short: truncated header: 10 bytes, need 16");
}

Test(idx, wrong_magic)
{
    const unsigned char b[16] = {0x12, 0x34, 0x56, 0x78};
    write_file(tmp_path("junk"), b, sizeof b);
    expect_fail(tmp_path("junk"), 3, "junk: not an IDX file: magic 0x12345678 (want 0x00000803)");
}

Test(idx, wrong_type_byte)
{
    size_t len;
    unsigned char *b = make_idx(3, img_dims, 12, &len);
    b[2] = 0x0D; /* float */
    write_file(tmp_path("floats"), b, len);
    free(b);
    expect_fail(tmp_path("floats"), 3,
                "unsupported element type 0x0D, only unsigned bytes (0x08) are read");
}

Test(idx, wrong_dimension_count)
{
    const char *p = write_idx("labels", 0, 1, lab_dims, 5);
    expect_fail(p, 3, "labels: expected an idx3 file (3 dimensions), header says 1");
    p = write_idx("images", 0, 3, img_dims, 12);
    expect_fail(p, 1, "expected an idx1 file (1 dimension), header says 3");
}

Test(idx, zero_dimension)
{
    const unsigned d[3] = {3, 0, 2};
    expect_fail(write_idx("zero", 0, 3, d, 0), 3, "header says 3x0x2: dimension 2 is zero");
}

Test(idx, absurd_item_count_refused_before_allocating)
{
    const unsigned d[3] = {4000000000u, 28, 28};
    const char *p = write_idx("huge", 0, 3, d, 0);
    cap_memory(64 << 20);
    expect_fail(p, 3, "huge: header says 4000000000 items, more than the 100000000");
    const char *q = write_idx("huge.gz", 1, 3, d, 0);
    expect_fail(q, 3, "header says 4000000000 items");
}

Test(idx, absurd_image_side)
{
    const unsigned d[3] = {1, 5000, 28};
    expect_fail(write_idx("wide", 0, 3, d, 0), 3, "5000x28: image sides above 4096");
}

Test(idx, truncated_data_raw)
{
    expect_fail(write_idx("cut", 0, 3, img_dims, 11), 3,
                "cut: truncated: header says 3x2x2 = 12 bytes, file has 11");
}

Test(idx, truncated_data_gz)
{
    expect_fail(write_idx("cut.gz", 1, 3, img_dims, 11), 3,
                "cut.gz: truncated: header says 3x2x2 = 12 bytes, file has 11");
}

Test(idx, lying_gzip_header_allocates_little)
{
    /* 100,000,000 labels claimed, 5 present: with the address space capped well below
     * 100 MB, a read that trusted the header would run out of memory instead. */
    const unsigned d[1] = {100000000};
    const char *p = write_idx("liar.gz", 1, 1, d, 5);
    cap_memory(32 << 20);
    expect_fail(p, 1, "liar.gz: truncated: header says 100000000 = 100000000 bytes, file has 5");
}

Test(idx, extra_trailing_bytes)
{
    expect_fail(write_idx("long", 0, 3, img_dims, 15), 3,
                "long: file has 3 bytes more than the header says");
    expect_fail(write_idx("long.gz", 1, 3, img_dims, 15), 3,
                "long.gz: file has 3 bytes more than the header says");
}

Test(idx, corrupt_gzip_stream)
{
    const unsigned d[3] = {100, 28, 28};
    const char *p = write_idx("bad.gz", 1, 3, d, 100 * 28 * 28);
    size_t len;
    unsigned char *b = read_file(p, &len);
    cr_assert_gt(len, 200);
    for (size_t i = len / 2; i < len / 2 + 16; i++)
        b[i] ^= 0x5a;
    write_file(p, b, len);
    free(b);
    expect_fail(p, 3, "bad.gz: corrupt gzip stream: ");
}

Test(idx, gzip_cut_short)
{
    const unsigned d[3] = {100, 28, 28};
    const char *p = write_idx("half.gz", 1, 3, d, 100 * 28 * 28);
    size_t len;
    unsigned char *b = read_file(p, &len);
    write_file(p, b, len / 2);
    expect_fail(p, 3, "half.gz: gzip stream cut short");
    write_file(p, b, len - 4); /* all data there, the trailer's length field missing */
    expect_fail(p, 3, "half.gz: gzip stream cut short");
    free(b);
}

/* gzip bytes of len bytes of buf, one member, into a malloc'ed buffer. */
static unsigned char *gzip_bytes(const void *buf, size_t len, size_t *out_len)
{
    z_stream z = {0};
    cr_assert_eq(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, (uLong)len) + 64;
    unsigned char *out = malloc(cap);
    z.next_in = (Bytef *)buf;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    *out_len = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

/* The make_idx file for dims, gzipped, then `tail` (tail_len bytes) appended. */
static const char *write_gz_then(const char *name, int ndim, const unsigned dims[], size_t n,
                                 const void *tail, size_t tail_len)
{
    size_t len, gz_len;
    unsigned char *b = make_idx(ndim, dims, n, &len), *gz = gzip_bytes(b, len, &gz_len);
    unsigned char *all = malloc(gz_len + tail_len + 1);
    memcpy(all, gz, gz_len);
    if (tail_len) memcpy(all + gz_len, tail, tail_len);
    const char *path = tmp_path(name);
    write_file(path, all, gz_len + tail_len);
    free(all);
    free(gz);
    free(b);
    return path;
}

Test(idx, junk_after_the_gzip_stream)
{
    expect_fail(write_gz_then("junk.gz", 3, img_dims, 12, "junk", 4), 3,
                "junk.gz: 4 bytes after the end of the gzip stream");
    const unsigned char zeros[512] = {0}; /* gunzip takes these silently: not here */
    expect_fail(write_gz_then("zeros.gz", 3, img_dims, 12, zeros, sizeof zeros), 3,
                "zeros.gz: 512 bytes after the end of the gzip stream");
    expect_fail(write_gz_then("one.gz", 3, img_dims, 12, "\x1f", 1), 3,
                "one.gz: 1 bytes after the end of the gzip stream");
}

/* Concatenated gzip members are one stream (gunzip's reading): an IDX file
 * split over two members reads whole, and a second member too many is
 * data past the header's size. */
Test(idx, concatenated_gzip_members)
{
    size_t len, g1, g2;
    unsigned char *b = make_idx(3, img_dims, 12, &len);
    unsigned char *first = gzip_bytes(b, 9, &g1), *second = gzip_bytes(b + 9, len - 9, &g2);
    unsigned char *both = malloc(g1 + g2);
    memcpy(both, first, g1);
    memcpy(both + g1, second, g2);
    write_file(tmp_path("two.gz"), both, g1 + g2);
    expect_ok(tmp_path("two.gz"), 3, img_dims);
    const char *p = write_gz_then("three.gz", 3, img_dims, 12, second, g2);
    expect_fail(p, 3, "three.gz: file has 19 bytes more than the header says");
    free(both);
    free(first);
    free(second);
    free(b);
}

/* idx_open reads the header and nothing more: a body that is not even
 * gzip data is not seen until idx_read_body. */
Test(idx, open_reads_only_the_header)
{
    const unsigned d[3] = {200, 4096, 4096};
    size_t len, gz_len;
    unsigned char *b = make_idx(3, d, 1 << 20, &len), *gz = gzip_bytes(b, len, &gz_len);
    for (size_t i = gz_len / 2; i < gz_len / 2 + 64; i++) gz[i] ^= 0x5a;
    write_file(tmp_path("big.gz"), gz, gz_len);
    free(gz);
    free(b);
    idx_reader *r = idx_open(tmp_path("big.gz"), 3, err, sizeof err);
    cr_assert_not_null(r, "%s", err);
    int dims[3];
    idx_dims(r, dims);
    cr_assert(dims[0] == 200 && dims[1] == 4096 && dims[2] == 4096);
    cr_assert_str_eq(idx_shape(r), "200x4096x4096");
    idx_file f;
    cr_assert_eq(idx_read_body(r, &f, err, sizeof err), -1);
    cr_assert_null(f.data);
    cr_assert_not_null(strstr(err, "big.gz: corrupt gzip stream"), "%s", err);
    idx_close(r);
}

Test(idx, missing_file)
{
    const char *p = tmp_path("nothing-here");
    char want[1100];
    snprintf(want, sizeof want, "%s: cannot open data file: No such file or directory", p);
    expect_fail(p, 1, want);
}

/* --- data sets --- */

/* Writes images (n x 2 x 2) and labels (m, values from `labels`) into dir. */
static void write_pair(const char *images, const char *labels, int n, int m,
                       const unsigned char *lab)
{
    const unsigned di[3] = {(unsigned)n, 2, 2}, dl[1] = {(unsigned)m};
    write_idx(images, 1, 3, di, (size_t)n * 4);
    size_t len;
    unsigned char *b = make_idx(1, dl, (size_t)m, &len);
    memcpy(b + 8, lab, (size_t)m);
    write_file(tmp_path(labels), b, len);
    free(b);
}

static const unsigned char labels5[5] = {0, 9, 3, 3, 7};

Test(idx, dataset_loads)
{
    write_pair("im.gz", "lb", 5, 5, labels5);
    dataset d;
    cr_assert_eq(dataset_load(tmp_path("im.gz"), tmp_path("lb"), &ANY10, &d, err, sizeof err), 0,
                 "%s", err);
    cr_assert_eq(d.count, 5);
    cr_assert_eq(d.rows, 2);
    cr_assert_eq(d.cols, 2);
    cr_assert_eq(d.classes, 10);
    cr_assert_arr_eq(d.labels, labels5, 5);
    cr_assert_eq(d.images[19], (unsigned char)(19 * 7 + 3));
    dataset_free(&d);
    cr_assert_null(d.images);
}

Test(idx, dataset_count_mismatch)
{
    write_pair("im", "lb", 5, 4, labels5);
    dataset d;
    cr_assert_eq(dataset_load(tmp_path("im"), tmp_path("lb"), &ANY10, &d, err, sizeof err), -1);
    cr_assert_null(d.images);
    cr_assert_not_null(strstr(err, "images and labels differ: 5 images"), "%s", err);
    cr_assert_not_null(strstr(err, "4 labels"), "%s", err);
}

Test(idx, dataset_label_out_of_range)
{
    const unsigned char bad[5] = {0, 1, 2, 12, 4};
    write_pair("im", "lb", 5, 5, bad);
    dataset d;
    cr_assert_eq(dataset_load(tmp_path("im"), tmp_path("lb"), &ANY10, &d, err, sizeof err), -1);
    cr_assert_null(d.labels);
    cr_assert_str_eq(err, "lb: label 12 at index 3 is out of range 0..9");
}

Test(idx, dataset_passes_idx_errors_on)
{
    write_pair("im", "lb", 5, 5, labels5);
    dataset d;
    cr_assert_eq(dataset_load(tmp_path("lb"), tmp_path("im"), &ANY10, &d, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "lb: expected an idx3 file"), "%s", err);
}

/* The four MNIST names in temp_dir/mnist, two gzipped and two raw; `skip` (if >= 0) is left
 * out. Labels follow the make_idx pattern 3, 10, 17, 24, 31: load them with 40 classes. */
static const char *write_mnist_dir(int skip)
{
    const char *dir = tmp_path("mnist");
    mkdir(dir, 0700);
    const char *names[4] = {"mnist/train-images-idx3-ubyte.gz", "mnist/train-labels-idx1-ubyte",
                            "mnist/t10k-images-idx3-ubyte", "mnist/t10k-labels-idx1-ubyte.gz"};
    const unsigned di[3] = {5, 2, 2};
    for (int i = 0; i < 4; i++)
        if (i != skip)
            write_idx(names[i], i == 0 || i == 3, i % 2 ? 1 : 3, i % 2 ? lab_dims : di,
                      i % 2 ? 5 : 20);
    return dir;
}

Test(idx, dir_loads_gz_and_raw)
{
    const char *dir = write_mnist_dir(-1);
    /* Both names present: the .gz one wins, so a broken raw file must not matter. */
    write_file(tmp_path("mnist/train-images-idx3-ubyte"), "junk", 4);
    dataset tr, te;
    cr_assert_eq(dataset_load_dir(dir, &ANY40, &tr, &te, err, sizeof err), 0, "%s", err);
    cr_assert_eq(tr.count, 5);
    cr_assert_eq(te.count, 5);
    cr_assert_eq(te.rows, 2);
    cr_assert_eq(tr.labels[1], 10);
    dataset_free(&tr);
    dataset_free(&te);
}

Test(idx, dir_missing)
{
    const char *dir = tmp_path("no-such-dir");
    dataset tr, te;
    cr_assert_eq(dataset_load_dir(dir, &ANY10, &tr, &te, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "no-such-dir: cannot open folder"), "%s", err);
    cr_assert_not_null(strstr(err, "make data"), "%s", err);
    cr_assert_not_null(strstr(err, "--data"), "%s", err);
}

Test(idx, dir_missing_one_file)
{
    const char *dir = write_mnist_dir(2);
    dataset tr, te;
    cr_assert_eq(dataset_load_dir(dir, &ANY40, &tr, &te, err, sizeof err), -1);
    cr_assert_null(tr.images, "train must be freed when t10k fails");
    cr_assert_not_null(strstr(err, "mnist: no t10k-images-idx3-ubyte[.gz] here: run `make data`"),
                       "%s", err);
}

/* The images' sides are checked from the header, before any data is
 * inflated: the gzip file (a header of 200 images of 4096x4096, 3.3
 * GB inflated) under an address space capped at 64 MB more than this test
 * uses, and a body that is no gzip data at all. */
Test(idx, dataset_shape_refused_from_the_header)
{
    const unsigned d[3] = {200, 4096, 4096}, dl[1] = {200};
    size_t len, gz_len;
    unsigned char *b = make_idx(3, d, 1 << 20, &len), *gz = gzip_bytes(b, len, &gz_len);
    for (size_t i = gz_len / 2; i < gz_len; i++) gz[i] ^= 0x5a;
    write_file(tmp_path("im.gz"), gz, gz_len);
    write_idx("lb", 0, 1, dl, 200);
    free(gz);
    free(b);
    cap_memory(64 << 20);
    dataset ds;
    const dataset_want mnist = {10, 28, 28};
    cr_assert_eq(dataset_load(tmp_path("im.gz"), tmp_path("lb"), &mnist, &ds, err, sizeof err),
                 -1);
    cr_assert_null(ds.images);
    cr_assert_str_eq(err, "im.gz: images are 4096x4096 (its header says 200x4096x4096), not "
                          "28x28");
}

/* The two headers' counts are compared before either body is read. */
Test(idx, dataset_counts_compared_from_the_headers)
{
    const unsigned d[3] = {5, 2, 2}, dl[1] = {4};
    write_gz_then("im.gz", 3, d, 20, NULL, 0);
    size_t len;
    unsigned char *b = read_file(tmp_path("im.gz"), &len);
    for (size_t i = len / 2; i < len; i++) b[i] ^= 0x5a; /* the body: not read */
    write_file(tmp_path("im.gz"), b, len);
    free(b);
    write_idx("lb", 0, 1, dl, 4);
    dataset ds;
    cr_assert_eq(dataset_load(tmp_path("im.gz"), tmp_path("lb"), &ANY10, &ds, err, sizeof err),
                 -1);
    cr_assert_str_eq(err, "lb: images and labels differ: 5 images (in im.gz), 4 labels");
}

/* A NULL train reads only the t10k files: a folder holding only them loads
 * (eval needs no more), and a broken train file there is not read. */
Test(idx, dir_without_the_train_files)
{
    const char *dir = write_mnist_dir(0);
    remove(tmp_path("mnist/train-labels-idx1-ubyte"));
    dataset te;
    cr_assert_eq(dataset_load_dir(dir, &ANY40, NULL, &te, err, sizeof err), 0, "%s", err);
    cr_assert_eq(te.count, 5);
    dataset_free(&te);
    write_file(tmp_path("mnist/train-images-idx3-ubyte"), "junk", 4);
    cr_assert_eq(dataset_load_dir(dir, &ANY40, NULL, &te, err, sizeof err), 0, "%s", err);
    dataset_free(&te);
    dataset tr;
    cr_assert_eq(dataset_load_dir(dir, &ANY40, &tr, &te, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "no train-labels-idx1-ubyte"), "%s", err);
}
