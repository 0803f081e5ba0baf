/* cnn visualize's outputs: the folder, the PNG files and their list,
 * index.md and the closing JSON line; see vis.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_write.h"
#include "json_out.h"
#include "paths.h"
#include "png_io.h"
#include "text_out.h"
#include "vis.h"

const char *class_label(const class_names *names, int i, char *buf, size_t len)
{
    if (i >= 0 && i < names->count) snprintf(buf, len, "%d (%s)", i, names->name[i]);
    else snprintf(buf, len, "%d", i);
    return buf;
}

int replaces_model(const char *path, const char *model)
{
    if (!file_same(path, model)) return 0;
    print_error("cnn visualize: %s is --model %s: choose another --out", path, model);
    return 1;
}

/* Room for one more file in the list; -1 when memory runs out. */
static int list_grow(out_list *o)
{
    if (o->n < o->cap) return 0;
    int cap = o->cap ? 2 * o->cap : 32;
    out_file *f = realloc(o->files, sizeof *f * (size_t)cap);
    if (!f) return -1;
    o->files = f;
    o->cap = cap;
    return 0;
}

int emit_png(out_list *o, const char *name, const canvas *cv, const char *title,
             const char *about)
{
    char path[PATH_BUF_MAX], err[ERR_LINE_MAX], text[2048];
    snprintf(path, sizeof path, "%s/%s", o->dir, name);
    if (replaces_model(path, o->model)) return -1;
    snprintf(text, sizeof text, "%s\n%s", title, about);
    int rc = cv->channels == 3 ? png_write_rgb(path, cv->px, cv->w, cv->h, text, err, sizeof err)
                               : png_write_gray(path, cv->px, cv->w, cv->h, text, err, sizeof err);
    if (rc) {
        print_error("cnn visualize: %s", err);
        return -1;
    }
    if (list_grow(o)) {
        print_error("cnn visualize: out of memory");
        return -1;
    }
    out_file *f = &o->files[o->n++];
    snprintf(f->name, sizeof f->name, "%s", name);
    f->w = cv->w;
    f->h = cv->h;
    snprintf(f->title, sizeof f->title, "%s", title);
    snprintf(f->about, sizeof f->about, "%s", about);
    printf("wrote %s (%dx%d): %s\n", text_shown(path), cv->w, cv->h, text_shown(title));
    return 0;
}

/* Why --out dir cannot be made (mkdir's errno e, after stat found no dir:
 * the folders above it can be searched), naming its parent folder. */
static void out_dir_not_made(const char *dir, int e)
{
    char parent[PATH_BUF_MAX];
    path_folder(dir, parent, sizeof parent);
    if (e == ENOENT)
        print_error("cnn visualize: --out %s: cannot create the folder: its parent folder %s "
                    "does not exist", dir, parent);
    else if (e == EACCES || e == EPERM)
        print_error("cnn visualize: --out %s: cannot create the folder: the folder %s is not "
                    "writable: %s", dir, parent, strerror(e));
    else if (e == EROFS)
        print_error("cnn visualize: --out %s: cannot create the folder: the folder %s is not "
                    "writable: it is on a read-only file system", dir, parent);
    else
        print_error("cnn visualize: --out %s: cannot create the folder: %s", dir, strerror(e));
}

int prepare_out_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        int e = errno;
        if (e != ENOENT) { /* (EACCES: a folder above it cannot be searched) */
            print_error("cnn visualize: --out %s: cannot be reached: %s", dir, strerror(e));
            return -1;
        }
        if (mkdir(dir, 0777) != 0) {
            out_dir_not_made(dir, errno);
            return -1;
        }
    } else if (!S_ISDIR(st.st_mode)) {
        print_error("cnn visualize: --out %s: not a folder", dir);
        return -1;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        print_error("cnn visualize: --out %s: cannot write in it: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* index.md's table of the samples. */
static void index_samples(FILE *f, const classifier *c, const vis_sample *s, int n)
{
    const char *what = c->euclid ? "score" : "probability";
    const class_names *names = &c->m.ck.meta.names;
    char a[CLASS_NAME_MAX + 16], b[CLASS_NAME_MAX + 16];
    fprintf(f, "## Samples\n\n| class | test image | predicted | %s | %s of the class |\n"
               "|---|---|---|---|---|\n", what, what);
    for (int i = 0; i < n; i++)
        fprintf(f, "| %s | %d | %s%s | %.4f | %.4f |\n", class_label(names, s[i].cls, a, sizeof a),
                s[i].index, class_label(names, s[i].pred, b, sizeof b),
                s[i].pred == s[i].cls ? "" : " (wrong)", s[i].prob, s[i].prob_label);
    fprintf(f, "\n(test image: the 0-based position in the test set)\n\n");
}

static void index_body(FILE *f, const classifier *c, const out_list *o, const vis_sample *s,
                       int n_samples, int n_convs)
{
    const checkpoint_meta *m = &c->m.ck.meta;
    fprintf(f, "# Pictures of the network\n\nModel `%s`: `%s`, %d epochs; inputs %dx%dx%d "
               "(channels x height x width), %d classes.\n\n", text_shown(o->model),
            c->m.spec.text, m->epochs_done, m->in_c, m->in_h, m->in_w, m->classes);
    if (n_convs == 0)
        fprintf(f, "This network has no convolution layers: there are no kernels or feature "
                   "maps to show, only the inputs and the predictions.\n\n");
    fprintf(f, "Every picture has a title line: what it shows, and the values its black and "
               "white ends stand for. The grey levels of all tiles in one picture follow that "
               "one range, so tiles compare with each other; a picture whose values are all "
               "equal is black when they are 0, else mid-grey. The numbers above or beside "
               "the tiles are channel indices; the dark grey is the frame.\n\n");
    if (n_samples) index_samples(f, c, s, n_samples);
    fprintf(f, "## Files\n\n");
    for (int i = 0; i < o->n; i++)
        fprintf(f, "- `%s` (%dx%d px), \"%s\": %s\n", o->files[i].name, o->files[i].w,
                o->files[i].h, o->files[i].title, o->files[i].about);
}

int write_index(const classifier *c, const out_list *o, const vis_sample *s, int n_samples,
                int n_convs)
{
    char path[PATH_BUF_MAX], err[ERR_LINE_MAX];
    snprintf(path, sizeof path, "%s/index.md", o->dir);
    if (replaces_model(path, o->model)) return -1;
    file_out out;
    if (file_out_begin(&out, path, err, sizeof err)) {
        print_error("cnn visualize: %s", err);
        return -1;
    }
    index_body(out.f, c, o, s, n_samples, n_convs);
    if (file_out_commit(&out, 0, err, sizeof err)) {
        print_error("cnn visualize: %s", err);
        return -1;
    }
    printf("wrote %s\n", text_shown(path));
    return 0;
}

void print_json(const classifier *c, const out_list *o, const vis_sample *s, int n_samples,
                int n_convs)
{
    const class_names *names = &c->m.ck.meta.names;
    json_out j;
    json_begin(&j, stdout);
    json_string(&j, "out", o->dir);
    json_int(&j, "files", o->n + 1);
    json_int(&j, "conv_layers", n_convs);
    json_array(&j, "samples");
    for (int i = 0; i < n_samples; i++) {
        json_object(&j, NULL);
        json_int(&j, "class", s[i].cls);
        json_int(&j, "test_index", s[i].index);
        json_int(&j, "predicted", s[i].pred);
        json_digits(&j, c->euclid ? "score" : "probability", s[i].prob, 6);
        if (names->count) {
            json_string(&j, "class_name", names->name[s[i].cls]);
            json_string(&j, "predicted_name", names->name[s[i].pred]);
        }
        json_close(&j);
    }
    json_end(&j);
}
