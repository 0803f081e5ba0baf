/* A folder of pictures, one sub-folder per class, into data sets: the
 * layout (two trees or one), then each tree's pictures decoded in parallel,
 * each into its own slot, so that the result does not depend on the
 * threads. See include/image_folder.h; the walking is image_folder_tree.c. */
#include "image_folder.h"

#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "image_folder_progress.h"
#include "image_folder_tree.h"
#include "io_err.h"
#include "picture.h"

/* What every sample becomes: from the options, the rest from the first
 * picture read. */
typedef struct {
    int c, h, w;
} input_shape;

/* The trees of a folder: train_root, and test_root (NULL: one tree), with
 * the classes both have. */
typedef struct {
    char *train_root, *test_root;
    class_names names;
} folder_layout;

static void layout_free(folder_layout *l)
{
    free(l->train_root);
    free(l->test_root);
    class_names_free(&l->names);
    memset(l, 0, sizeof *l);
}

/* DIR/train and DIR/test (the latter checked only when wanted, but then
 * with the same class folders), or DIR as one tree. */
static int find_layout(const char *dir, int want_test, folder_layout *l, char *err,
                       size_t errlen)
{
    memset(l, 0, sizeof *l);
    char *train = path_join(dir, "train");
    if (train && !is_folder(train)) { /* one tree */
        free(train);
        train = strdup(dir);
    }
    if (!(l->train_root = train)) {
        set_err(err, errlen, "%s: out of memory", dir);
        return -1;
    }
    if (tree_list_classes(train, &l->names, err, errlen)) return -1;
    if (!want_test || !strcmp(train, dir)) return 0;
    if (!(l->test_root = path_join(dir, "test"))) {
        set_err(err, errlen, "%s: out of memory", dir);
        return -1;
    }
    if (!is_folder(l->test_root)) {
        set_err(err, errlen, "%s: has train/ but no test/ folder beside it (it needs both, "
                "with the same class folders; or the class folders in %s itself)", dir, dir);
        return -1;
    }
    class_names test_names;
    int rc = tree_list_classes(l->test_root, &test_names, err, errlen) ||
             tree_same_classes(l->train_root, &l->names, l->test_root, &test_names, err,
                               errlen);
    class_names_free(&test_names);
    return rc ? -1 : 0;
}

/* The shape's missing parts from the first picture of t that reads (the
 * ones before it are skipped with skip_bad, refused without). */
static int probe_shape(const char *root, const picture_tree *t, int skip_bad, input_shape *s,
                       char *err, size_t errlen)
{
    char first[1024] = "", e[1024];
    for (int i = 0; i < t->count; i++) {
        picture p;
        if (picture_read(t->path[i], &p, e, sizeof e) == 0) {
            if (!s->c) s->c = p.c;
            if (!s->h) s->h = p.h;
            if (!s->w) s->w = p.w;
            picture_free(&p);
            return 0;
        }
        if (!skip_bad) {
            set_err(err, errlen, "%s", e);
            return -1;
        }
        if (!first[0]) memcpy(first, e, sizeof e);
    }
    set_err(err, errlen, "%s: none of its %d pictures could be read; the first: %s", root,
            t->count, first);
    return -1;
}

/* One picture into dst as s says: 0, 1 (it cannot be read: err says why)
 * or 2 (out of memory converting it). */
static int read_one(const char *path, const input_shape *s, unsigned char *dst, char *err,
                    size_t errlen)
{
    picture p;
    if (picture_read(path, &p, err, errlen)) return 1;
    int rc = picture_to_input(&p, s->c, s->h, s->w, dst);
    if (rc) set_err(err, errlen, "%s: out of memory converting it to %dx%dx%d", path, s->c, s->h,
                    s->w);
    picture_free(&p);
    return rc ? 2 : 0;
}

/* A tree's decoding: pictures into images (sample bytes each, in the
 * tree's order), ok[i] set for each that read. */
typedef struct {
    const picture_tree *t;
    input_shape s;
    size_t sample;
    int skip_bad;
    unsigned char *images, *ok;
} decode_job;

/* Decodes every picture of j in parallel. The error reported is that of
 * the first picture in the tree's order that failed (one that cannot be
 * read, unless skip_bad; out of memory always): the same on every run.
 * Pictures after it are not decoded. */
static int decode_all(decode_job *j, load_progress *pg, char *err, size_t errlen)
{
    int n = j->t->count, first_bad = n, done = 0;
    char bad_err[1024] = "";
#pragma omp parallel for schedule(dynamic, 4)
    for (int i = 0; i < n; i++) {
        int stop;
#pragma omp atomic read
        stop = first_bad;
        if (i > stop) continue;
        char e[1024];
        int rc = read_one(j->t->path[i], &j->s, j->images + (size_t)i * j->sample, e, sizeof e);
        j->ok[i] = rc == 0;
        if (rc == 2 || (rc == 1 && !j->skip_bad)) {
#pragma omp critical(image_folder_first_bad)
            if (i < first_bad) {
                memcpy(bad_err, e, sizeof e);
#pragma omp atomic write
                first_bad = i;
            }
        }
#pragma omp atomic update
        done++;
#ifdef _OPENMP
        if (omp_get_thread_num() != 0) continue;
#endif
        int now;
#pragma omp atomic read
        now = done;
        load_progress_tick(pg, now);
    }
    load_progress_end(pg, done);
    if (first_bad == n) return 0;
    set_err(err, errlen, "%s", bad_err);
    return -1;
}

/* Moves the pictures that read to the front, their labels into labels;
 * the count kept, or -1 when a class has none left. */
static int keep_good(decode_job *j, const char *root, const class_names *names,
                     unsigned char *labels, int *skipped, char *err, size_t errlen)
{
    int per_class[CLASS_MAX] = {0}, m = 0;
    for (int i = 0; i < j->t->count; i++) {
        if (!j->ok[i]) {
            (*skipped)++;
            continue;
        }
        if (m != i)
            memmove(j->images + (size_t)m * j->sample, j->images + (size_t)i * j->sample,
                    j->sample);
        labels[m++] = j->t->label[i];
        per_class[j->t->label[i]]++;
    }
    for (int k = 0; k < names->count; k++)
        if (!per_class[k]) {
            set_err(err, errlen, "%s/%s: none of its pictures could be read (all skipped)",
                    root, names->name[k]);
            return -1;
        }
    return m;
}

/* t's pictures into out as s (complete) says. */
static int decode_tree(const char *root, const picture_tree *t, const class_names *names,
                       const image_folder_options *o, const input_shape *s, dataset *out,
                       int *skipped, char *err, size_t errlen)
{
    decode_job j = {.t = t, .s = *s, .sample = (size_t)s->c * s->h * s->w,
                    .skip_bad = o->skip_bad};
    j.images = malloc(j.sample * t->count);
    j.ok = malloc((size_t)t->count);
    unsigned char *labels = malloc((size_t)t->count);
    class_names kept_names = {0};
    int kept = -1;
    if (!j.images || !j.ok || !labels) {
        set_err(err, errlen, "%s: out of memory for %d pictures of %dx%dx%d (%.1f GB)", root,
                t->count, s->c, s->h, s->w, (double)j.sample * t->count / 1e9);
    } else {
        load_progress pg;
        load_progress_begin(&pg, o->quiet ? NULL : stderr, root, t->count);
        if (decode_all(&j, &pg, err, errlen) == 0)
            kept = keep_good(&j, root, names, labels, skipped, err, errlen);
        if (kept >= 0) kept_names = *names;
    }
    if (kept >= 0) {
        *out = (dataset){.count = kept, .channels = s->c, .rows = s->h, .cols = s->w,
                         .images = j.images, .labels = labels, .classes = names->count,
                         .names = kept_names};
        j.images = labels = NULL;
    }
    free(j.images);
    free(j.ok);
    free(labels);
    return kept >= 0 ? 0 : -1;
}

/* The pictures of the tree at root into out, as s says (its zeros filled
 * from the first picture that reads). */
static int load_tree(const char *root, const class_names *names, const image_folder_options *o,
                     input_shape *s, dataset *out, int *skipped, char *err, size_t errlen)
{
    picture_tree t;
    if (tree_list_pictures(root, names, &t, err, errlen)) return -1;
    int rc = -1;
    if ((s->c && s->h && s->w) || !probe_shape(root, &t, o->skip_bad, s, err, errlen))
        rc = decode_tree(root, &t, names, o, s, out, skipped, err, errlen);
    picture_tree_free(&t);
    return rc;
}

/* The options that can be checked before anything is read. */
static int check_options(const char *dir, const image_folder_options *o, char *err,
                         size_t errlen)
{
    if (o->channels != 0 && o->channels != 1 && o->channels != 3) {
        set_err(err, errlen, "%s: pictures can be made 1 or 3 channels, not %d", dir,
                o->channels);
        return -1;
    }
    if (o->rows < 0 || o->cols < 0 || o->rows > IMAGE_MAX_SIDE || o->cols > IMAGE_MAX_SIDE) {
        set_err(err, errlen, "%s: pictures can be made 1x1 to %dx%d, not %dx%d", dir,
                IMAGE_MAX_SIDE, IMAGE_MAX_SIDE, o->rows, o->cols);
        return -1;
    }
    if (!is_folder(dir)) {
        set_err(err, errlen, "%s: not a folder (or it cannot be reached)", dir);
        return -1;
    }
    return 0;
}

int image_folder_load(const char *dir, const image_folder_options *o, dataset *train,
                      dataset *test, int *skipped, char *err, size_t errlen)
{
    if (train) memset(train, 0, sizeof *train);
    if (test) memset(test, 0, sizeof *test);
    int skipped_here = 0;
    folder_layout l;
    if (check_options(dir, o, err, errlen)) return -1;
    if (find_layout(dir, test != NULL, &l, err, errlen)) {
        layout_free(&l);
        return -1;
    }
    input_shape s = {o->channels, o->rows, o->cols};
    int rc = 0;
    if (train)
        rc = load_tree(l.train_root, &l.names, o, &s, train, &skipped_here, err, errlen);
    if (rc == 0 && test && l.test_root)
        rc = load_tree(l.test_root, &l.names, o, &s, test, &skipped_here, err, errlen);
    else if (rc == 0 && test) { /* one tree: no test samples, the same classes */
        *test = (dataset){.channels = s.c, .rows = s.h, .cols = s.w, .classes = l.names.count,
                          .names = l.names};
    }
    layout_free(&l);
    if (rc) {
        dataset_free(train);
        dataset_free(test);
        return -1;
    }
    if (skipped) *skipped = skipped_here;
    return 0;
}
