/* The files cnn train writes: the CSV log, --save and --save-best, refused
 * when they clash with each other or with the data, and locked for the run,
 * before any data is read. */
#include "train_cmd.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "file_lock.h"
#include "file_write.h"
#include "text_out.h"

#define DEFAULT_LOG "build/train.csv"
#define LOG_HEADER "kind,epoch,step,loss,acc,lr,seconds\n"

static FILE *open_log(const char *path)
{
    if (!strcmp(path, DEFAULT_LOG)) mkdir("build", 0777); /* the default's folder */
    char err[ERR_LINE_MAX];
    int fresh;
    FILE *f = NULL;
    if (file_holds_other(path, LOG_HEADER, strlen(LOG_HEADER)))
        snprintf(err, sizeof err, "%s: is not a cnn CSV log (it does not start with its "
                                  "header): refusing to append to it", path);
    else if (file_check_output(path, err, sizeof err) == 0)
        f = file_append_open(path, &fresh, err, sizeof err);
    if (!f) {
        print_error("cnn train: --log %s%s", err,
                    strstr(err, "not a regular file") ? " (--log \"\" for no log)" : "");
        return NULL;
    }
    if (fresh) fprintf(f, "%s", LOG_HEADER);
    if (fflush(f) != 0 || ferror(f)) {
        print_error("cnn train: --log %s: cannot write: %s", path, strerror(errno));
        fclose(f);
        return NULL;
    }
    return f;
}

/* Whether a file the run writes (role `flag`) is one of the data files
 * (each name raw or with .gz, as dataset.c looks for them). */
static int names_data_file(const char *flag, const char *path, const char *data_dir)
{
    for (size_t i = 0; i < sizeof DATASET_FILES / sizeof DATASET_FILES[0]; i++)
        for (int gz = 0; gz < 2; gz++) {
            char data[ERR_LINE_MAX];
            snprintf(data, sizeof data, "%s/%s%s", data_dir, DATASET_FILES[i], gz ? ".gz" : "");
            if (file_same(path, data)) {
                print_error("cnn train: %s %s is the data file %s: choose another path",
                            flag, path, data);
                return 1;
            }
        }
    return 0;
}

/* Two flags naming one file are refused when the run writes either of them.
 * --resume and --save may be one file: the checkpoint is read whole before
 * anything is written, and that is how a run is continued. */
static int paths_clash(const run_config *c)
{
    const char *names[4][2] = {{"--log", c->log}, {"--save", c->save},
                               {"--save-best", c->save_best}, {"--resume", c->resume}};
    for (int i = 0; i < 3; i++) { /* the files written */
        if (!*names[i][1]) continue;
        if (names_data_file(names[i][0], names[i][1], c->data)) return 1;
        for (int j = 0; j < 4; j++)
            if (j != i && *names[j][1] && !(i == 1 && j == 3) &&
                file_same(names[i][1], names[j][1])) {
                print_error("cnn train: %s %s and %s %s name the same file: choose another "
                            "%s", names[i][0], names[i][1], names[j][0], names[j][1],
                            names[i][0]);
                return 1;
            }
    }
    return 0;
}

/* --save (and --save-best, flag) replaces only a checkpoint (or an empty
 * file), and only where it can. */
static int check_save(const char *flag, const char *save)
{
    if (file_holds_other(save, CHECKPOINT_MAGIC, sizeof CHECKPOINT_MAGIC)) {
        print_error("cnn train: %s %s: is not a cnn checkpoint: refusing to replace it "
                    "(move it away, or choose another %s)", flag, save, flag);
        return -1;
    }
    return check_writable("train", flag, save);
}

void train_note_interrupt_folder(void)
{
    char path[64], err[ERR_LINE_MAX];
    int all_taken = saver_interrupt_name(path, sizeof path) != 0;
    if (!all_taken && file_check_output(path, err, sizeof err) == 0) return;
    /* a run that finishes writes nothing here: a note, not a refusal */
    print_error("cnn train: note: without --save an interrupt writes its checkpoint here, and "
                "%s: give --save FILE to keep an interrupted run",
                all_taken ? "every cnn-interrupted name is taken" : err);
}

/* Locks --save (or --save-best, flag) for this run: a second run writing it
 * is refused. */
static int lock_save(const char *flag, const char *save, int *fd)
{
    char err[ERR_LINE_MAX];
    if ((*fd = file_lock(save, flag, err, sizeof err)) >= 0) return 0;
    print_error("cnn train: %s", err);
    return -1;
}

int train_outputs_open(train_cmd *t)
{
    const run_config *c = &t->c;
    if (paths_clash(c)) return 2;
    if (!*c->save) train_note_interrupt_folder();
    else if (check_save("--save", c->save) || lock_save("--save", c->save, &t->lock_fd))
        return 1;
    if (*c->save_best && (check_save("--save-best", c->save_best) ||
                          lock_save("--save-best", c->save_best, &t->best_lock_fd)))
        return 1;
    if (*c->log && !(t->csv = open_log(c->log))) return 1;
    return 0;
}

void train_outputs_close(train_cmd *t, int *status)
{
    file_unlock(t->lock_fd);
    file_unlock(t->best_lock_fd);
    if (t->csv && fclose(t->csv) != 0 && *status == 0) {
        print_error("cnn train: --log %s: cannot write: %s", t->c.log, strerror(errno));
        *status = 1;
    }
    t->csv = NULL;
}
