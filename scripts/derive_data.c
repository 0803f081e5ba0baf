/* derive-data MNIST_DIR OUT_DIR: the colour data sets derived from MNIST
 * (docs/data.md, "Derived data sets"), the same bytes on every run:
 *
 *   OUT_DIR/colour-mnist/  every MNIST digit tinted with a random foreground
 *       and background colour, padded to 32x32, as CIFAR-10 binary files
 *       (data_batch_1..5.bin of 12,000 training records, test_batch.bin of
 *       the 10,000 test records, batches.meta.txt with the digits' names);
 *   OUT_DIR/digit-folder/{train,test}/<name>/NNNNN.{png,jpg}  MNIST's test
 *       digits 0..1999 and 2000..2499 as pictures, PNG and JPEG in turn,
 *       grey or tinted, 28x28 or stretched to 36x36.
 *
 * The colours come from this file's own PRNG (splitmix64) with fixed seeds,
 * so the files do not change when the trainer's generator does. Each data
 * set is written into "<name>.partial" and renamed when whole; an existing
 * one is refused (make derived-data removes the old ones first). The
 * colour set is read back with the trainer's CIFAR reader as a check. */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jpeglib.h>
#include <png.h>

#include "cifar.h"
#include "dataset.h"

#define SIDE 28               /* MNIST's */
#define PAD 2                 /* colour-mnist: 2 pixels each side, 32x32 */
#define BIG 36                /* digit-folder: the other size */
#define MIN_COLOUR_DISTANCE 150 /* between foreground and background, in RGB (at most 441) */
#define BATCH_RECORDS 12000
#define FOLDER_TRAIN 2000     /* digit-folder: test digits 0..1999 in train/, */
#define FOLDER_TEST 500       /* the next 500 in test/ */
#define JPEG_QUALITY 95

enum { SEED_COLOUR_TRAIN = 2601, SEED_COLOUR_TEST = 2602, SEED_FOLDER = 2603 };

static const char *const DIGIT_NAMES[10] = {"zero", "one", "two", "three", "four",
                                            "five", "six", "seven", "eight", "nine"};

static int fail(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "derive-data: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return -1;
}

/* ---- colours ---- */

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A foreground and a background colour at least MIN_COLOUR_DISTANCE apart,
 * each channel uniform in 0..255 (redrawn until they are). */
static void pick_colours(uint64_t *state, unsigned char fg[3], unsigned char bg[3])
{
    for (;;) {
        uint64_t r = splitmix64(state);
        int d2 = 0;
        for (int c = 0; c < 3; c++) {
            fg[c] = (unsigned char)(r >> (8 * c));
            bg[c] = (unsigned char)(r >> (8 * c + 24));
            d2 += (fg[c] - bg[c]) * (fg[c] - bg[c]);
        }
        if (d2 >= MIN_COLOUR_DISTANCE * MIN_COLOUR_DISTANCE) return;
    }
}

/* Grey level g (0 background .. 255 ink) as a mix of bg and fg, channel c. */
static unsigned char tint(int g, const unsigned char fg[3], const unsigned char bg[3], int c)
{
    return (unsigned char)((bg[c] * (255 - g) + fg[c] * g + 127) / 255);
}

/* ---- colour-mnist: CIFAR-10 binary ---- */

/* One record: the label, then the red, green and blue 32x32 planes. */
static void colour_record(const unsigned char *digit, int label, uint64_t *state,
                          unsigned char *rec)
{
    const int S = SIDE + 2 * PAD;
    unsigned char fg[3], bg[3];
    pick_colours(state, fg, bg);
    rec[0] = (unsigned char)label;
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++) {
                int in = y >= PAD && y < PAD + SIDE && x >= PAD && x < PAD + SIDE;
                int g = in ? digit[(y - PAD) * SIDE + (x - PAD)] : 0;
                rec[1 + (c * S + y) * S + x] = tint(g, fg, bg, c);
            }
}

/* Writes d's samples first .. first+n-1 as dir/name, colours drawn from state. */
static int write_batch(const char *dir, const char *name, const dataset *d, int first, int n,
                       uint64_t *state)
{
    char path[4096];
    unsigned char rec[1 + 3 * 32 * 32];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wxb");
    if (!f) return fail("%s: %s", path, strerror(errno));
    int ok = 1;
    for (int i = first; ok && i < first + n; i++) {
        colour_record(d->images + (size_t)i * SIDE * SIDE, d->labels[i], state, rec);
        ok = fwrite(rec, sizeof rec, 1, f) == 1;
    }
    if (fclose(f) != 0 || !ok) return fail("%s: cannot write: %s", path, strerror(errno));
    return 0;
}

static int write_text(const char *dir, const char *name, const char *const *lines, int n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wx");
    if (!f) return fail("%s: %s", path, strerror(errno));
    for (int i = 0; i < n; i++) fprintf(f, "%s\n", lines[i]);
    if (ferror(f) | (fclose(f) != 0)) return fail("%s: cannot write: %s", path, strerror(errno));
    return 0;
}

/* The colour set as written, read back with the trainer's reader: the
 * counts, the labels and the names must be MNIST's. */
static int check_colour_mnist(const char *dir, const dataset *train, const dataset *test)
{
    dataset back[2];
    char err[512];
    if (cifar_load(dir, CIFAR_10, 0, &back[0], &back[1], err, sizeof err))
        return fail("read back: %s%s", err, "");
    const dataset *orig[2] = {train, test};
    int ok = back[0].names.count == 10 && !strcmp(back[0].names.name[9], "nine");
    for (int s = 0; s < 2; s++)
        ok = ok && back[s].count == orig[s]->count &&
             !memcmp(back[s].labels, orig[s]->labels, (size_t)orig[s]->count);
    dataset_free(&back[0]);
    dataset_free(&back[1]);
    return ok ? 0 : fail("%s: read back, the records differ from MNIST's%s", dir, "");
}

static int write_colour_mnist(const char *dir, const dataset *train, const dataset *test)
{
    uint64_t train_state = SEED_COLOUR_TRAIN, test_state = SEED_COLOUR_TEST;
    char name[32];
    for (int b = 0; b < train->count / BATCH_RECORDS; b++) {
        snprintf(name, sizeof name, "data_batch_%d.bin", b + 1);
        if (write_batch(dir, name, train, b * BATCH_RECORDS, BATCH_RECORDS, &train_state))
            return -1;
    }
    if (write_batch(dir, "test_batch.bin", test, 0, test->count, &test_state) ||
        write_text(dir, "batches.meta.txt", DIGIT_NAMES, 10))
        return -1;
    return check_colour_mnist(dir, train, test);
}

/* ---- digit-folder: PNG and JPEG pictures ---- */

/* A picture: h rows of w pixels of c bytes (1 grey, 3 RGB), interleaved. */
typedef struct {
    int w, h, c;
    unsigned char px[BIG * BIG * 3];
} pic;

static void on_png_error(png_structp png, png_const_charp msg)
{
    fprintf(stderr, "derive-data: libpng: %s\n", msg);
    png_longjmp(png, 1);
}

static int write_png(FILE *f, const pic *p)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, on_png_error, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, info ? &info : NULL);
        return -1;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)p->w, (png_uint_32)p->h, 8,
                 p->c == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < p->h; y++) png_write_row(png, p->px + (size_t)y * p->w * p->c);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return 0;
}

typedef struct {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
} jpeg_fail;

static void on_jpeg_error(j_common_ptr j)
{
    char msg[JMSG_LENGTH_MAX];
    j->err->format_message(j, msg);
    fprintf(stderr, "derive-data: libjpeg: %s\n", msg);
    longjmp(((jpeg_fail *)j->err)->jump, 1);
}

static int write_jpeg(FILE *f, const pic *p)
{
    struct jpeg_compress_struct j;
    jpeg_fail jf;
    j.err = jpeg_std_error(&jf.mgr);
    jf.mgr.error_exit = on_jpeg_error;
    if (setjmp(jf.jump)) {
        jpeg_destroy_compress(&j);
        return -1;
    }
    jpeg_create_compress(&j);
    jpeg_stdio_dest(&j, f);
    j.image_width = (JDIMENSION)p->w;
    j.image_height = (JDIMENSION)p->h;
    j.input_components = p->c;
    j.in_color_space = p->c == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(&j);
    jpeg_set_quality(&j, JPEG_QUALITY, TRUE);
    jpeg_start_compress(&j, TRUE);
    for (int y = 0; y < p->h; y++) {
        JSAMPROW row = (JSAMPROW)(p->px + (size_t)y * p->w * p->c);
        jpeg_write_scanlines(&j, &row, 1);
    }
    jpeg_finish_compress(&j);
    jpeg_destroy_compress(&j);
    return 0;
}

/* The 28x28 digit stretched to BIG x BIG, bilinear in integers (pixel
 * centres aligned; weights in 72ths, 72 = 2 x BIG). */
static void stretch(const unsigned char *digit, unsigned char *out)
{
    int at[BIG], frac[BIG];
    for (int o = 0; o < BIG; o++) {
        int n = (2 * o + 1) * SIDE - BIG; /* the centre, in source pixels x 72, minus 36 */
        if (n < 0) n = 0;
        at[o] = n / 72 < SIDE - 1 ? n / 72 : SIDE - 2;
        frac[o] = n / 72 < SIDE - 1 ? n % 72 : 72; /* past the last centre: the last pixel */
    }
    for (int y = 0; y < BIG; y++)
        for (int x = 0; x < BIG; x++) {
            const unsigned char *s = digit + at[y] * SIDE + at[x];
            int fx = frac[x], fy = frac[y];
            int v = s[0] * (72 - fx) * (72 - fy) + s[1] * fx * (72 - fy) +
                    s[SIDE] * (72 - fx) * fy + s[SIDE + 1] * fx * fy;
            out[y * BIG + x] = (unsigned char)((v + 2592) / 5184);
        }
}

/* Test digit i as its picture: even i PNG, odd JPEG; i / 2 odd tinted;
 * every third i stretched to 36x36. */
static void folder_picture(const unsigned char *digit, int i, uint64_t *state, pic *p)
{
    unsigned char grey[BIG * BIG], fg[3], bg[3];
    p->w = p->h = i % 3 == 0 ? BIG : SIDE;
    p->c = (i / 2) % 2 ? 3 : 1;
    if (p->w == BIG)
        stretch(digit, grey);
    else
        memcpy(grey, digit, SIDE * SIDE);
    if (p->c == 1) {
        memcpy(p->px, grey, (size_t)p->w * p->h);
        return;
    }
    pick_colours(state, fg, bg);
    for (int k = 0; k < p->w * p->h; k++)
        for (int c = 0; c < 3; c++) p->px[3 * k + c] = tint(grey[k], fg, bg, c);
}

static int make_dir(const char *path)
{
    if (mkdir(path, 0777) == 0) return 0;
    return fail("%s: cannot create the folder: %s", path, strerror(errno));
}

/* root/train and root/test, each with a folder per digit name. */
static int make_class_dirs(const char *root)
{
    static const char *const splits[2] = {"train", "test"};
    char path[4096];
    for (int s = 0; s < 2; s++) {
        snprintf(path, sizeof path, "%s/%s", root, splits[s]);
        if (make_dir(path)) return -1;
        for (int k = 0; k < 10; k++) {
            snprintf(path, sizeof path, "%s/%s/%s", root, splits[s], DIGIT_NAMES[k]);
            if (make_dir(path)) return -1;
        }
    }
    return 0;
}

static int write_picture(const char *path, const pic *p, int jpeg)
{
    FILE *f = fopen(path, "wxb");
    if (!f) return fail("%s: %s", path, strerror(errno));
    int rc = jpeg ? write_jpeg(f, p) : write_png(f, p);
    if ((fclose(f) != 0) | (rc != 0)) return fail("%s: cannot write%s", path, "");
    return 0;
}

static int write_digit_folder(const char *root, const dataset *test)
{
    uint64_t state = SEED_FOLDER;
    char path[4096];
    pic p;
    if (make_class_dirs(root)) return -1;
    for (int i = 0; i < FOLDER_TRAIN + FOLDER_TEST; i++) {
        folder_picture(test->images + (size_t)i * SIDE * SIDE, i, &state, &p);
        snprintf(path, sizeof path, "%s/%s/%s/%05d.%s", root, i < FOLDER_TRAIN ? "train" : "test",
                 DIGIT_NAMES[test->labels[i]], i, i % 2 ? "jpg" : "png");
        if (write_picture(path, &p, i % 2)) return -1;
    }
    return 0;
}

/* ---- main ---- */

/* Writes OUT/<name> through OUT/<name>.partial, renamed when whole. */
static int derive(const char *out, const char *name,
                  int (*write)(const char *dir, const dataset *train, const dataset *test),
                  const dataset *train, const dataset *test, char *final, size_t len)
{
    char partial[4096];
    snprintf(final, len, "%s/%s", out, name);
    snprintf(partial, sizeof partial, "%s.partial", final);
    struct stat st;
    if (stat(final, &st) == 0) return fail("%s: already there: remove it first%s", final, "");
    if (make_dir(partial) || write(partial, train, test)) return -1;
    if (rename(partial, final) != 0) return fail("%s: cannot rename: %s", partial, strerror(errno));
    return 0;
}

static int write_folder_of_test(const char *dir, const dataset *train, const dataset *test)
{
    (void)train;
    return write_digit_folder(dir, test);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: derive-data MNIST_DIR OUT_DIR (docs/data.md)\n");
        return 2;
    }
    const char *mnist = argv[1], *out = argv[2];
    dataset train, test;
    dataset_want want = {10, SIDE, SIDE};
    char err[512], where[4096];
    if (dataset_load_dir(mnist, &want, &train, &test, err, sizeof err)) {
        fail("%s%s", err, "");
        return 1;
    }
    int rc = 1;
    if (train.count != 5 * BATCH_RECORDS || test.count != 10000) {
        fail("%s: %s", mnist, "not MNIST: 60000 training and 10000 test images expected");
        goto done;
    }
    mkdir(out, 0777); /* may be there already; derive says when it cannot be written */
    if (derive(out, "colour-mnist", write_colour_mnist, &train, &test, where, sizeof where))
        goto done;
    printf("colour-mnist: %d training records (data_batch_1..5.bin) and %d test records "
           "(test_batch.bin), CIFAR-10 binary, 3x32x32, classes zero..nine: %s\n",
           train.count, test.count, where);
    if (derive(out, "digit-folder", write_folder_of_test, &train, &test, where, sizeof where))
        goto done;
    printf("digit-folder: %d training and %d test pictures of MNIST's test digits (PNG and JPEG, "
           "grey and colour, 28x28 and 36x36): %s\n", FOLDER_TRAIN, FOLDER_TEST, where);
    rc = 0;
done:
    dataset_free(&train);
    dataset_free(&test);
    return rc;
}
