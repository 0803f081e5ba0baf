/* The CIFAR-10 and CIFAR-100 binary versions; see include/cifar.h.
 *
 * A split (the training files, or the test file) is read in two steps, as
 * IDX files are: every file of it is opened and its size checked against a
 * whole number of records first, then one buffer for all of them is
 * allocated and the records are read in chunks, their labels split off and
 * range-checked. Both splits and the names file are checked before either
 * split's records are read, so that a missing test file costs nothing.
 * Only the raw .bin files are read: CIFAR ships them so, inside a tar.gz. */
#include "cifar.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_read.h"
#include "idx.h" /* IDX_MAX_ITEMS: the most records a split may have */
#include "io_err.h"

#define CIFAR_SIDE 32
#define CIFAR_PIXELS (3 * CIFAR_SIDE * CIFAR_SIDE) /* one record's image bytes */
#define CIFAR10_BATCHES 5                          /* data_batch_1.bin .. data_batch_5.bin */
#define CHUNK_RECORDS 512                          /* records read at once */

/* What a version's records hold and which of their labels is kept. */
typedef struct {
    const char *title;       /* "CIFAR-10" */
    int label_bytes;         /* before the image: 1, or 2 (coarse, fine) */
    int limit[2];            /* each label byte's classes */
    const char *label_of[2]; /* each label byte, in words */
    int kept;                /* the label byte used */
    const char *names_file;  /* the kept labels' names, when present */
} cifar_layout;

static int record_bytes(const cifar_layout *l) { return l->label_bytes + CIFAR_PIXELS; }

static int layout_for(int version, int coarse, cifar_layout *l, char *err, size_t errlen)
{
    static const cifar_layout c10 = {"CIFAR-10", 1, {10, 0}, {"label", ""}, 0,
                                     "batches.meta.txt"};
    static const cifar_layout c100 = {"CIFAR-100", 2, {20, 100}, {"coarse label", "fine label"},
                                      1, "fine_label_names.txt"};
    if (version == CIFAR_10 && !coarse) {
        *l = c10;
        return 0;
    }
    if (version == CIFAR_100) {
        *l = c100;
        if (coarse) {
            l->kept = 0;
            l->names_file = "coarse_label_names.txt";
        }
        return 0;
    }
    if (version == CIFAR_10)
        set_err(err, errlen, "coarse labels are CIFAR-100's: CIFAR-10 records have one label");
    else
        set_err(err, errlen, "CIFAR version %d: only 10 and 100 are known", version);
    return -1;
}

/* "<dir>/<name>" into path. */
static int join(const char *dir, const char *name, char *path, size_t len, char *err,
                size_t errlen)
{
    if ((size_t)snprintf(path, len, "%s/%s", dir, name) < len) return 0;
    set_err(err, errlen, "%s: path too long", dir);
    return -1;
}

static int exists(const char *dir, const char *name)
{
    char path[4096];
    struct stat st;
    return join(dir, name, path, sizeof path, NULL, 0) == 0 && stat(path, &st) == 0;
}

/* Why name may be missing from dir, when a look around says so: a
 * compressed copy, or the Python version's file of the same stem. */
static const char *missing_hint(const char *dir, const char *name)
{
    char other[512];
    snprintf(other, sizeof other, "%s.gz", name);
    if (exists(dir, other)) return " (there is a .gz of it: gunzip it; the .bin files are read raw)";
    snprintf(other, sizeof other, "%.*s", (int)(strcspn(name, ".")), name);
    if (exists(dir, other))
        return " (that folder holds the Python version; this reads the binary version's .bin files)";
    return "";
}

/* One file of a split, open with its size checked. */
typedef struct {
    char path[4096];
    int fd;
    long long records;
} cifar_part;

/* The files of one split: the training batches, or the test file. */
typedef struct {
    cifar_part part[CIFAR10_BATCHES];
    int parts;
    long long records;
} cifar_split;

static void close_split(cifar_split *s)
{
    for (int i = 0; i < s->parts; i++)
        if (s->part[i].fd >= 0) close(s->part[i].fd);
    s->parts = 0;
}

/* The size of an open file against whole records; a gzipped file (whose
 * first byte, 0x1f, is no label) is told as such. */
static int check_size(cifar_part *p, const cifar_layout *l, char *err, size_t errlen)
{
    const char *name = base_name(p->path);
    struct stat st;
    unsigned char magic[2] = {0, 0};
    if (fstat(p->fd, &st) != 0) {
        set_err(err, errlen, "%s: cannot read: %s", p->path, strerror(errno));
        return -1;
    }
    long long size = (long long)st.st_size, rec = record_bytes(l);
    if (size >= 2 && pread(p->fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
        set_err(err, errlen, "%s: file looks gzipped: gunzip it (%s files are read raw)", name,
                l->title);
        return -1;
    }
    if (size < rec) {
        set_err(err, errlen, "%s: %s: %lld bytes, less than one %s record (%lld bytes)", name,
                size ? "truncated" : "empty file", size, l->title, rec);
        return -1;
    }
    if (size % rec) {
        set_err(err, errlen, "%s: %lld bytes is not a whole number of %lld-byte %s records "
                "(%lld records and %lld bytes): truncated, or not a %s file", name, size, rec,
                l->title, size / rec, size % rec, l->title);
        return -1;
    }
    if (size / rec > IDX_MAX_ITEMS) {
        set_err(err, errlen, "%s: %lld records, more than the %d this reader accepts", name,
                size / rec, IDX_MAX_ITEMS);
        return -1;
    }
    p->records = size / rec;
    return 0;
}

/* Opens dir's files names[0 .. n-1] as split s, each size checked. */
static int open_split(const char *dir, const char *const *names, int n, const cifar_layout *l,
                      cifar_split *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    int ok = 1;
    for (int i = 0; ok && i < n; i++) {
        cifar_part *p = &s->part[s->parts];
        ok = 0;
        if (join(dir, names[i], p->path, sizeof p->path, err, errlen)) break;
        if (!exists(dir, names[i]) && errno == ENOENT) {
            set_err(err, errlen, "%s: no %s here%s", dir, names[i], missing_hint(dir, names[i]));
            break;
        }
        p->fd = file_open_input(p->path, "data file", err, errlen);
        if (p->fd < 0) break;
        s->parts++;
        ok = check_size(p, l, err, errlen) == 0;
        s->records += p->records;
    }
    if (ok && s->records <= IDX_MAX_ITEMS) return 0;
    if (ok)
        set_err(err, errlen, "%s: %lld records in %d files, more than the %d this reader accepts",
                dir, s->records, n, IDX_MAX_ITEMS);
    close_split(s);
    return -1;
}

/* CIFAR-10's training batches: data_batch_1.bin and those after it, with
 * no gap (a batch past a missing one would be dropped without a word). */
static int cifar10_batches(const char *dir, const char *names[CIFAR10_BATCHES], int *n,
                           char *err, size_t errlen)
{
    static const char *const all[CIFAR10_BATCHES] = {
        "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
        "data_batch_5.bin"};
    *n = 0;
    while (*n < CIFAR10_BATCHES && exists(dir, all[*n])) {
        names[*n] = all[*n];
        (*n)++;
    }
    for (int i = *n + 1; i < CIFAR10_BATCHES; i++) {
        if (*n > 0 && exists(dir, all[i])) {
            set_err(err, errlen, "%s: %s is there but %s is missing", dir, all[i], all[*n]);
            return -1;
        }
    }
    if (*n == 0) names[(*n)++] = all[0]; /* open_split says it is missing */
    return 0;
}

/* Record i's labels (at rec), each within its limit, the kept one into *label. */
static int take_label(const unsigned char *rec, const cifar_layout *l, const cifar_part *p,
                      long long i, unsigned char *label, char *err, size_t errlen)
{
    for (int j = 0; j < l->label_bytes; j++) {
        if (rec[j] >= l->limit[j]) {
            set_err(err, errlen, "%s: record %lld: %s %d is out of range 0..%d",
                    base_name(p->path), i, l->label_of[j], rec[j], l->limit[j] - 1);
            return -1;
        }
    }
    *label = rec[l->kept];
    return 0;
}

/* Reads p's records into images and labels (room for p->records), through
 * buf (CHUNK_RECORDS records). */
static int read_part(const cifar_part *p, const cifar_layout *l, unsigned char *buf,
                     unsigned char *images, unsigned char *labels, char *err, size_t errlen)
{
    const size_t rec = (size_t)record_bytes(l);
    for (long long done = 0; done < p->records;) {
        long long n = p->records - done < CHUNK_RECORDS ? p->records - done : CHUNK_RECORDS;
        if (file_read_exact(p->fd, buf, (size_t)n * rec)) {
            if (errno)
                set_err(err, errlen, "%s: cannot read: %s", p->path, strerror(errno));
            else
                set_err(err, errlen, "%s: truncated: it ended within records %lld..%lld of the "
                        "%lld its size promised", base_name(p->path), done, done + n - 1,
                        p->records);
            return -1;
        }
        for (long long i = 0; i < n; i++) {
            const unsigned char *r = buf + (size_t)i * rec;
            if (take_label(r, l, p, done + i, &labels[done + i], err, errlen)) return -1;
            memcpy(images + (size_t)(done + i) * CIFAR_PIXELS, r + l->label_bytes, CIFAR_PIXELS);
        }
        done += n;
    }
    return 0;
}

/* Reads split s (open, sizes checked) into d, closing its files. */
static int read_split(cifar_split *s, const cifar_layout *l, dataset *d, char *err,
                      size_t errlen)
{
    memset(d, 0, sizeof *d);
    unsigned char *buf = malloc((size_t)CHUNK_RECORDS * (size_t)record_bytes(l));
    d->images = malloc((size_t)s->records * CIFAR_PIXELS);
    d->labels = malloc((size_t)s->records);
    int rc = -1;
    if (!buf || !d->images || !d->labels) {
        set_err(err, errlen, "%s: out of memory for %lld %s records", s->part[0].path,
                s->records, l->title);
    } else {
        long long at = 0;
        int i = 0;
        while (i < s->parts &&
               read_part(&s->part[i], l, buf, d->images + (size_t)at * CIFAR_PIXELS,
                         d->labels + at, err, errlen) == 0)
            at += s->part[i++].records;
        rc = i == s->parts ? 0 : -1;
    }
    free(buf);
    close_split(s);
    if (rc) {
        dataset_free(d);
        return -1;
    }
    d->count = (int)s->records;
    d->channels = 3;
    d->rows = d->cols = CIFAR_SIDE;
    d->classes = l->limit[l->kept];
    return 0;
}

/* The kept labels' names from dir's names file, when it is there (none
 * known: out->count 0); a file whose count differs from classes is refused. */
static int read_names(const char *dir, const cifar_layout *l, class_names *out, char *err,
                      size_t errlen)
{
    char path[4096];
    memset(out, 0, sizeof *out);
    if (join(dir, l->names_file, path, sizeof path, err, errlen)) return -1;
    struct stat st;
    if (stat(path, &st) != 0 && errno == ENOENT) return 0;
    if (class_names_read_file(path, out, err, errlen)) return -1;
    int classes = l->limit[l->kept];
    if (out->count == classes) return 0;
    set_err(err, errlen, "%s: %d class names for %s's %d classes", l->names_file, out->count,
            l->title, classes);
    class_names_free(out);
    return -1;
}

static int check_dir(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        set_err(err, errlen, "%s: cannot open folder: %s", dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        set_err(err, errlen, "%s: not a folder", dir);
        return -1;
    }
    return 0;
}

/* Opens the wanted splits: train_s when train, test_s when test. */
static int open_splits(const char *dir, int version, const cifar_layout *l, int train, int test,
                       cifar_split *train_s, cifar_split *test_s, char *err, size_t errlen)
{
    const char *batches[CIFAR10_BATCHES] = {"train.bin"};
    const char *test_name = version == CIFAR_10 ? "test_batch.bin" : "test.bin";
    int n = 1;
    memset(train_s, 0, sizeof *train_s);
    memset(test_s, 0, sizeof *test_s);
    if (train && version == CIFAR_10 && cifar10_batches(dir, batches, &n, err, errlen))
        return -1;
    if (train && open_split(dir, batches, n, l, train_s, err, errlen)) return -1;
    if (test && open_split(dir, &test_name, 1, l, test_s, err, errlen)) {
        close_split(train_s);
        return -1;
    }
    return 0;
}

/* Reads the opened splits into train and test, naming their classes. */
static int read_splits(cifar_split *train_s, cifar_split *test_s, const cifar_layout *l,
                       class_names *names, dataset *train, dataset *test, char *err,
                       size_t errlen)
{
    if (train && read_split(train_s, l, train, err, errlen)) {
        close_split(test_s);
        return -1;
    }
    if (test && read_split(test_s, l, test, err, errlen)) {
        dataset_free(train);
        return -1;
    }
    if (train) train->names = *names;
    if (test) test->names = *names;
    return 0;
}

int cifar_detect(const char *dir)
{
    if (exists(dir, "data_batch_1.bin")) return CIFAR_10;
    if (exists(dir, "train.bin")) return CIFAR_100;
    return CIFAR_NONE;
}

int cifar_load(const char *dir, int version, int coarse, dataset *train, dataset *test,
               char *err, size_t errlen)
{
    if (train) memset(train, 0, sizeof *train);
    if (test) memset(test, 0, sizeof *test);
    cifar_layout l;
    class_names names;
    cifar_split train_s, test_s;
    if (layout_for(version, coarse, &l, err, errlen) || check_dir(dir, err, errlen) ||
        open_splits(dir, version, &l, train != NULL, test != NULL, &train_s, &test_s, err,
                    errlen))
        return -1;
    if (read_names(dir, &l, &names, err, errlen)) {
        close_split(&train_s);
        close_split(&test_s);
        return -1;
    }
    int rc = read_splits(&train_s, &test_s, &l, &names, train, test, err, errlen);
    class_names_free(&names);
    return rc;
}
