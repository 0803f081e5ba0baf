/* The data a run names; see include/data_source.h. */
#include "data_source.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cifar.h"
#include "image_folder.h"
#include "png_io.h"

const char *data_shape_text(int channels, int rows, int cols, char *buf, size_t len)
{
    snprintf(buf, len, "%dx%dx%d", channels, rows, cols);
    return buf;
}

int data_format(const run_config *c)
{
    struct stat st;
    if (c->format != FORMAT_AUTO) return c->format;
    if (stat(c->data, &st) != 0 || !S_ISDIR(st.st_mode))
        return FORMAT_IDX; /* (the IDX reader says what --data is) */
    int cifar = cifar_detect(c->data);
    if (cifar == CIFAR_10) return FORMAT_CIFAR10;
    if (cifar == CIFAR_100) return FORMAT_CIFAR100;
    if (!dataset_idx_present(c->data) && image_folder_detect(c->data)) return FORMAT_FOLDER;
    return FORMAT_IDX; /* (what is missing, the IDX reader names) */
}

/* --image-size "HxW" or "N" into rows and cols (0 x 0 for ""). */
static int image_size(const run_config *c, int *rows, int *cols, char *err, size_t errlen)
{
    char tail;
    *rows = *cols = 0;
    if (!*c->image_size) return 0;
    int n = sscanf(c->image_size, "%dx%d%c", rows, cols, &tail);
    if (n == 1 && !strchr(c->image_size, 'x')) *cols = *rows;
    else if (n != 2) *rows = 0;
    if (*rows >= 1 && *rows <= IMAGE_MAX_SIDE && *cols >= 1 && *cols <= IMAGE_MAX_SIDE &&
        strspn(c->image_size, "0123456789x") == strlen(c->image_size))
        return 0;
    snprintf(err, errlen, "--image-size %s: expected HxW or N, sides 1 to %d (e.g. 32x32)",
             c->image_size, IMAGE_MAX_SIDE);
    return -1;
}

static int folder_options(const run_config *c, image_folder_options *o, char *err,
                          size_t errlen)
{
    memset(o, 0, sizeof *o);
    if (c->channels == 2) {
        snprintf(err, errlen, "--channels 2: pictures are converted to 1 (grey) or 3 (colour) "
                 "channels");
        return -1;
    }
    o->channels = c->channels;
    o->skip_bad = c->skip_bad;
    o->quiet = c->quiet;
    return image_size(c, &o->rows, &o->cols, err, errlen);
}

static const char *format_in_words(int format)
{
    return format == FORMAT_IDX      ? "is IDX data"
           : format == FORMAT_FOLDER ? "is a picture folder"
           : format == FORMAT_CIFAR10 ? "is CIFAR-10 data"
                                      : "is CIFAR-100 data";
}

/* Only a picture folder reads --image-size, --channels and --skip-bad; only
 * CIFAR-100 has coarse labels (refused before a net is shaped for the data). */
static int refuse_folder_flags(const run_config *c, int format, char *err, size_t errlen)
{
    if (c->labels == LABELS_COARSE && format != FORMAT_CIFAR100) {
        snprintf(err, errlen, "--data %s %s: --labels coarse is for CIFAR-100's binaries",
                 c->data, format_in_words(format));
        return -1;
    }
    if (format == FORMAT_FOLDER || (!*c->image_size && !c->channels && !c->skip_bad)) return 0;
    snprintf(err, errlen, "--data %s %s: --image-size, --channels and --skip-bad are for "
             "picture folders (its samples keep their shape)", c->data, format_in_words(format));
    return -1;
}

/* The classes' names from --class-names, which must name every class. */
static int take_class_names(const run_config *c, dataset *d, char *err, size_t errlen)
{
    class_names names;
    if (class_names_parse(c->class_names, &names, err, errlen)) return -1;
    if (d->classes_at_least ? names.count < d->classes : names.count != d->classes) {
        snprintf(err, errlen, "--class-names %s names %d classes; the data has %d", c->class_names,
                 names.count, d->classes);
        return -1;
    }
    d->names = names;
    d->classes = names.count;
    d->classes_at_least = 0;
    return 0;
}

static int load_format(const run_config *c, int format, int classes, dataset *train,
                       dataset *test, int *skipped, char *err, size_t errlen)
{
    const dataset_want any = {classes, 0, 0};
    image_folder_options o;
    switch (format) {
    case FORMAT_IDX: return dataset_load_dir(c->data, &any, train, test, err, errlen);
    case FORMAT_CIFAR10:
    case FORMAT_CIFAR100:
        return cifar_load(c->data, format == FORMAT_CIFAR10 ? CIFAR_10 : CIFAR_100,
                          c->labels == LABELS_COARSE, train, test, err, errlen);
    default:
        if (folder_options(c, &o, err, errlen)) return -1;
        return image_folder_load(c->data, &o, train, test, skipped, err, errlen);
    }
}

int data_load(const run_config *c, int classes, dataset *train, dataset *test, int *skipped,
              char *err, size_t errlen)
{
    if (skipped) *skipped = 0;
    /* (empty even when refused before a reader runs, as the header says) */
    if (train) memset(train, 0, sizeof *train);
    if (test) memset(test, 0, sizeof *test);
    int format = data_format(c);
    if (refuse_folder_flags(c, format, err, errlen) ||
        load_format(c, format, classes, train, test, skipped, err, errlen))
        return -1;
    if (!*c->class_names) return 0;
    if (take_class_names(c, train ? train : test, err, errlen) == 0) {
        if (train && test) test->names = train->names;
        return 0;
    }
    if (train) dataset_free(train);
    if (test) dataset_free(test);
    return -1;
}

/* An IDX set named by --class-names has their count of classes. */
static int probe_names(const run_config *c, data_shape *out, char *err, size_t errlen)
{
    class_names names;
    if (class_names_parse(c->class_names, &names, err, errlen)) return -1;
    if (names.count < out->classes) {
        snprintf(err, errlen, "--class-names %s names %d classes; the data's labels go up to %d",
                 c->class_names, names.count, out->classes - 1);
        return -1;
    }
    out->classes = names.count;
    return 0;
}

int data_probe(const run_config *c, data_shape *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->format = data_format(c);
    if (refuse_folder_flags(c, out->format, err, errlen)) return -1;
    switch (out->format) {
    case FORMAT_IDX:
        out->channels = 1;
        if (dataset_idx_probe(c->data, &out->rows, &out->cols, &out->classes, err, errlen))
            return -1;
        out->classes_at_least = !*c->class_names;
        return *c->class_names ? probe_names(c, out, err, errlen) : 0;
    case FORMAT_CIFAR10:
    case FORMAT_CIFAR100:
        out->channels = 3;
        out->rows = out->cols = 32;
        out->classes = out->format == FORMAT_CIFAR10 ? 10 : c->labels == LABELS_COARSE ? 20 : 100;
        if (cifar_detect(c->data) == (out->format == FORMAT_CIFAR10 ? CIFAR_10 : CIFAR_100))
            return 0;
        break; /* (a --format the files do not bear out: the reader names what is missing) */
    }
    dataset train; /* a picture folder, or CIFAR files not where they belong: read */
    if (data_load(c, 0, &train, NULL, NULL, err, errlen)) return -1;
    out->channels = train.channels;
    out->rows = train.rows;
    out->cols = train.cols;
    out->classes = train.classes;
    out->classes_at_least = 0;
    dataset_free(&train);
    return 0;
}
