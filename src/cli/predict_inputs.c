/* Expanding cnn predict's folder arguments; see predict_inputs.h. */
#include "predict_inputs.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "text_out.h"

/* Appends path (copied) with error (copied, may be NULL); -1 when memory runs out. */
static int add(predict_inputs *in, const char *path, const char *error)
{
    if (in->n++ >= PREDICT_MAX_IMAGES) return 0; /* counted, not kept */
    predict_input *it = &in->item[in->n - 1];
    it->path = strdup(path);
    it->error = error ? strdup(error) : NULL;
    return it->path && (!error || it->error) ? 0 : -1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* dir's entry names (no dot files), sorted, in *names (malloc'ed, each too);
 * their count, or -1 with errno set. */
static int list_folder(const char *dir, char ***names)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0, cap = 0, saved = 0;
    char **v = NULL;
    for (struct dirent *e; (errno = 0, e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            char **grown = realloc(v, sizeof *v * (size_t)(cap = cap ? 2 * cap : 64));
            if (!grown) break;
            v = grown;
        }
        if (!(v[n] = strdup(e->d_name))) break;
        n++;
    }
    saved = errno;
    closedir(d);
    if (saved) {
        while (n) free(v[--n]);
        free(v);
        errno = saved;
        return -1;
    }
    if (n) qsort(v, (size_t)n, sizeof *v, by_name); /* (an empty folder: v is NULL) */
    *names = v;
    return n;
}

/* The folder's files, in order; a one-line error item when it cannot be
 * listed or holds no file. */
static int add_folder(predict_inputs *in, const char *dir)
{
    char **names = NULL, msg[ERR_LINE_MAX], path[8192];
    int n = list_folder(dir, &names), files = 0, folders = 0, rc = 0;
    if (n < 0) {
        snprintf(msg, sizeof msg, "%s: cannot list the folder: %s", dir, strerror(errno));
        return add(in, dir, msg);
    }
    for (int i = 0; i < n; i++) {
        struct stat st;
        snprintf(path, sizeof path, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
                 names[i]);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            folders++;
        } else if (rc == 0) {
            rc = add(in, path, NULL); /* (a FIFO or a dangling link: refused when read) */
            files++;
        }
        free(names[i]);
    }
    free(names);
    if (folders)
        printf("folder %s: %d file%s; %d sub-folder%s not entered\n", text_shown(dir), files,
               files == 1 ? "" : "s", folders, folders == 1 ? "" : "s");
    if (files == 0 && rc == 0) {
        snprintf(msg, sizeof msg, "%s: the folder holds no file to classify", dir);
        rc = add(in, dir, msg);
    }
    return rc;
}

int predict_inputs_expand(const char *const *args, int n_args, predict_inputs *out)
{
    out->n = 0;
    out->item = calloc(PREDICT_MAX_IMAGES, sizeof *out->item);
    int rc = out->item ? 0 : -1;
    for (int a = 0; a < n_args && rc == 0; a++) {
        struct stat st;
        rc = stat(args[a], &st) == 0 && S_ISDIR(st.st_mode) ? add_folder(out, args[a])
                                                          : add(out, args[a], NULL);
    }
    if (rc) print_error("cnn predict: out of memory listing the pictures");
    return rc;
}

void predict_inputs_free(predict_inputs *in)
{
    int kept = in->n < PREDICT_MAX_IMAGES ? in->n : PREDICT_MAX_IMAGES;
    for (int i = 0; in->item && i < kept; i++) {
        free(in->item[i].path);
        free(in->item[i].error);
    }
    free(in->item);
    in->item = NULL;
    in->n = 0;
}
