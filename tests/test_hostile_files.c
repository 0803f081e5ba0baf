/* Hostile input and output paths, as a table (see hostile_util.h): outputs
 * that would destroy something (a checkpoint, a data file, a device, a file
 * behind a link), outputs that cannot be written, and inputs that are not
 * regular files (a FIFO must be refused at once, not block). Where a case
 * could destroy a file, its `after` hook checks the file is as it was. */
#define _DEFAULT_SOURCE /* flock */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckpt_bytes.h"
#include "hostile_util.h"

#define good_data hostile_good_data
#define trained hostile_trained

static const char *at(const char *dir, const char *name)
{
    static char path[4][600];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%.300s/%.290s", dir, name);
    return p;
}

static void make_fifo(const char *path) { cr_assert_eq(mkfifo(path, 0600), 0, "mkfifo %s: %s", path, strerror(errno)); }

/* A model, and a copy of it the `after` hooks compare with. */
static void trained_with_copy(const char *d)
{
    trained(d);
    size_t len;
    unsigned char *b = read_file(at(d, "m.ckpt"), &len);
    write_file(at(d, "m.copy"), b, len);
    free(b);
}
static void model_unchanged(const char *d, const result *r)
{
    (void)r;
    expect_same_file(at(d, "m.copy"), at(d, "m.ckpt"), "the checkpoint after the case");
}
static void data_unchanged(const char *d, const result *r)
{
    (void)r;
    char fresh[600];
    snprintf(fresh, sizeof fresh, "%s/fresh", d);
    good_data(fresh);
    expect_same_file(at(fresh, "train-labels-idx1-ubyte"), at(d, "train-labels-idx1-ubyte"),
                     "the data file after the case");
}
static void victim_unchanged(const char *d, const result *r)
{
    (void)r;
    size_t len;
    unsigned char *b = read_file(at(d, "victim"), &len);
    cr_assert(len == 6 && !memcmp(b, "victim", 6), "the file behind the link was changed");
    free(b);
}
static void no_file_left(const char *d, const char *name)
{
    cr_assert_neq(access(at(d, name), F_OK), 0, "%s was created", name);
}
static void no_log_made(const char *d, const result *r) { (void)r; no_file_left(d, "x.csv"); }
static void no_ckpt_made(const char *d, const result *r) { (void)r; no_file_left(d, "m.ckpt"); }
static void still_a_fifo(const char *d, const result *r)
{
    (void)r;
    struct stat st;
    cr_assert(stat(at(d, "fifo"), &st) == 0 && S_ISFIFO(st.st_mode), "the FIFO was replaced");
}

/* "refused within a second" */
static void refused_at_once(const char *d, const result *r)
{
    (void)d;
    cr_assert_lt(r->seconds, 1.0, "a FIFO took %.2f s to be refused", r->seconds);
}

static void linked_to_victim(const char *d)
{
    good_data(d);
    write_file(at(d, "victim"), "victim", 6);
    cr_assert_eq(symlink("victim", at(d, "link")), 0);
}
static void data_with_fifo(const char *d) { good_data(d); make_fifo(at(d, "fifo")); }
static void model_with_fifo(const char *d) { trained(d); make_fifo(at(d, "fifo")); }
static void fifo_images(const char *d)
{
    good_data(d);
    remove(at(d, "train-images-idx3-ubyte"));
    make_fifo(at(d, "train-images-idx3-ubyte"));
}
static void fifo_labels_gz(const char *d)
{
    good_data(d);
    remove(at(d, "t10k-labels-idx1-ubyte"));
    make_fifo(at(d, "t10k-labels-idx1-ubyte.gz"));
}
static void hard_linked_data(const char *d)
{
    good_data(d);
    cr_assert_eq(link(at(d, "train-labels-idx1-ubyte"), at(d, "labels.ckpt")), 0);
}
static void index_md_folder(const char *d)
{
    trained(d);
    mkdir(at(d, "out"), 0777);
    mkdir(at(d, "out/index.md"), 0777);
}

static void model_named_index(const char *d)
{
    trained(d);
    mkdir(at(d, "out"), 0777);
    cr_assert_eq(rename(at(d, "m.ckpt"), at(d, "out/index.md")), 0);
}

static void with_notes(const char *d)
{
    good_data(d);
    write_file(at(d, "notes.txt"), "notes", 5);
    write_file(at(d, "notes.lock"), "notes", 5);
}
static void expect_content(const char *path, const char *want)
{
    size_t len;
    unsigned char *b = read_file(path, &len);
    cr_assert(len == strlen(want) && !memcmp(b, want, len), "%s was changed", path);
    free(b);
}
static void notes_unchanged(const char *d, const result *r) { (void)r; expect_content(at(d, "notes.txt"), "notes"); }
static void lock_notes_unchanged(const char *d, const result *r) { (void)r; expect_content(at(d, "notes.lock"), "notes"); }
#define RUN_LOCK "cnn lock: pid 1\n"
static void with_run_lock(const char *d)
{
    good_data(d);
    write_file(at(d, "m.ckpt.lock"), RUN_LOCK, strlen(RUN_LOCK));
}
static void run_lock_unchanged(const char *d, const result *r) { (void)r; expect_content(at(d, "m.ckpt.lock"), RUN_LOCK); }


/* ---- leftovers and locks (issue 25) ---- */

/* Temporaries of m.ckpt in the pattern cnn writes (".<name>.<pid>.<6 hex>.tmp"):
 * two of killed writers (pids above any pid_max), one of a live process (this
 * test's pid), one locked by a live process (this test holds its flock), and
 * one in the pattern of cnn before issue 25 (no pid: never removed). */
#define DEAD_TMP ".m.ckpt.99999999.abcdef.tmp"
#define DEAD_PROBE ".m.ckpt.99999998.0a1b2c.tmp.probe"
#define LOCKED_TMP ".m.ckpt.99999997.abcdef.tmp"
#define OLD_TMP ".m.ckpt.abcdef.tmp"
static char live_tmp[64];
static int locked_fd = -1;

static void with_leftovers(const char *d)
{
    good_data(d);
    snprintf(live_tmp, sizeof live_tmp, ".m.ckpt.%ld.abcdef.tmp", (long)getpid());
    const char *names[] = {DEAD_TMP, DEAD_PROBE, LOCKED_TMP, OLD_TMP, live_tmp};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) write_file(at(d, names[i]), "half", 4);
    locked_fd = open(at(d, LOCKED_TMP), O_RDONLY);
    cr_assert(locked_fd >= 0 && flock(locked_fd, LOCK_EX) == 0, "locking %s", LOCKED_TMP);
}
static void leftovers_removed(const char *d, const result *r)
{
    (void)r;
    const char *dead[] = {DEAD_TMP, DEAD_PROBE};
    for (size_t i = 0; i < sizeof dead / sizeof dead[0]; i++)
        cr_assert_neq(access(at(d, dead[i]), F_OK), 0, "a killed writer's %s was left", dead[i]);
    const char *kept[] = {LOCKED_TMP, OLD_TMP, live_tmp};
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        cr_assert_eq(access(at(d, kept[i]), F_OK), 0, "%s (a live writer's) was removed", kept[i]);
    close(locked_fd);
}
static void no_lock_left(const char *d, const result *r)
{
    (void)r;
    no_file_left(d, "m.ckpt.lock");
    no_file_left(d, "b.ckpt.lock");
}

/* ---- paths with a newline, shown on stdout (issue 25) ---- */

/* A model and an --out folder in "a<newline>b", where a PNG's name is taken
 * by a folder: visualize writes the files before it, then fails on it. */
static void newline_folder(const char *d)
{
    trained(d);
    mkdir(at(d, "a\nb"), 0777);
    cr_assert_eq(rename(at(d, "m.ckpt"), at(d, "a\nb/m.ckpt")), 0);
    mkdir(at(d, "a\nb/out"), 0777);
    mkdir(at(d, "a\nb/out/class3_input.png"), 0777);
}
static void stdout_escaped(const char *d, const result *r)
{
    (void)d;
    cr_assert_null(strstr(r->out, "a\nb"), "a path's newline was printed as it is:\n%s", r->out);
    cr_assert_not_null(strstr(r->out, "wrote "), "nothing was written:\n%s", r->out);
    cr_assert_not_null(strstr(r->out, "a\\nb/m.ckpt"), "the model's path is not shown escaped:\n%s",
                       r->out);
}

/* after: the banner shows --save's path, of a 240-byte name, whole */
#define NAME_240 "n12345678901234567890123456789012345678901234567890123456789" \
    "012345678901234567890123456789012345678901234567890123456789" \
    "012345678901234567890123456789012345678901234567890123456789" \
    "012345678901234567890123456789012345678901234567890123456789"
static void banner_shows_whole_save(const char *d, const result *r)
{
    char line[600];
    snprintf(line, sizeof line, "  save          %s/" NAME_240 "\n", d);
    cr_assert_not_null(strstr(r->out, line), "the banner's save line is not %s:\n%s", line,
                       r->out);
}

/* ---- folders that cannot be written (issue 25) ---- */

/* Root writes in a folder of mode 0555 and searches one of mode 0000: this
 * case's cnn runs without those overrides (CAP_DAC_OVERRIDE and
 * CAP_DAC_READ_SEARCH dropped from the bounding set of this test's process,
 * which Criterion forks for this test alone), or the case is skipped. */
static void as_plain_user(void)
{
    if (geteuid() != 0) return;
    if (prctl(PR_CAPBSET_DROP, 1 /* CAP_DAC_OVERRIDE */, 0, 0, 0) == 0 &&
        prctl(PR_CAPBSET_DROP, 2 /* CAP_DAC_READ_SEARCH */, 0, 0, 0) == 0)
        return;
    remove_temp_dir(); /* (a skipped test does not run its .fini) */
    cr_skip_test("running as root without CAP_SETPCAP: root writes in a read-only folder, so "
                 "the case cannot make one (%s)", strerror(errno));
}
static void read_only_folder(const char *d)
{
    good_data(d);
    cr_assert_eq(mkdir(at(d, "ro"), 0555), 0);
    chmod(at(d, "ro"), 0555); /* (whatever the umask) */
    as_plain_user();
}
static void unreachable_folder(const char *d)
{
    good_data(d);
    cr_assert_eq(mkdir(at(d, "shut"), 0), 0);
    as_plain_user();
}
/* A model in the case's folder, and data in its folder "shut" that can be
 * read but not searched (mode 0644): the files are there, but no name in it
 * can be reached. The after hook gives the folder its search back, so that
 * it can be removed. */
static void unsearchable_data(const char *d)
{
    trained(d);
    good_data(at(d, "shut"));
    cr_assert_eq(chmod(at(d, "shut"), 0644), 0);
    as_plain_user();
}
static void searchable_again(const char *d, const result *r)
{
    (void)r;
    chmod(at(d, "shut"), 0755);
}
/* A model beside the read-only and the unreachable folder, for visualize. */
static void model_and_read_only_folder(const char *d) { trained(d); read_only_folder(d); }
static void model_and_unreachable_folder(const char *d) { trained(d); unreachable_folder(d); }
/* A folder "shut" that can be read but not searched (0644), holding a
 * file, for outputs in it. */
static void unsearchable_folder(const char *d)
{
    good_data(d);
    cr_assert_eq(mkdir(at(d, "shut"), 0755), 0);
    write_file(at(d, "shut/m.ckpt"), "x", 1);
    cr_assert_eq(chmod(at(d, "shut"), 0644), 0);
    as_plain_user();
}
static void nothing_in_ro(const char *d, const result *r)
{
    (void)r;
    no_file_left(d, "ro/m.ckpt");
    no_file_left(d, "ro/x.csv");
}

/* ---- a checkpoint's stored input (issue 25) ---- */

/* The model, its network section saying it was made for c x h x w inputs of
 * `classes` (the CRC made right again). */
static void trained_for_input(const char *d, uint32_t c, uint32_t h, uint32_t w,
                              uint32_t classes)
{
    trained(d);
    size_t len, slen;
    unsigned char *b = read_file(at(d, "m.ckpt"), &len);
    size_t net = cb_section_at(b, len, CB_NETWORK, &slen);
    unsigned char *in = b + net + 4 + cb_le32(b + net); /* after the spec */
    const uint32_t v[4] = {c, h, w, classes};
    for (int i = 0; i < 4; i++) cb_set_le32(in + 4 * i, v[i]);
    cb_fix_crc(b, len);
    write_file(at(d, "m.ckpt"), b, len);
    free(b);
}
static void made_for_32x32(const char *d) { trained_for_input(d, 1, 32, 32, 10); }
static void made_for_3_channels(const char *d) { trained_for_input(d, 3, 28, 28, 10); }
static void made_for_12_classes(const char *d) { trained_for_input(d, 1, 28, 28, 12); }

#define TRAIN "train", "--data", "@", "--device", "cpu", "--epochs", "1"
#define LONG_NAME "n123456789012345678901234567890123456789012345678901234567890123456789" \
    "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234" \
    "5678901234567890123456789012345678901234567890123456789012345678901234567890123456789" \
    "01234567890123456789"

static const hostile CASES[] = {
    {"--log in a missing folder", good_data, {"train", "--data", "@", "--log", "@/no/such/log.csv"}, 1, {"--log", "does not exist"}, NULL},
    {"--log naming a folder", good_data, {"train", "--data", "@", "--log", "@"}, 1, {"--log", "is a folder"}, NULL},
    {"--save in a missing folder", good_data, {"train", "--data", "@", "--log", "", "--save", "@/no/m.ckpt"}, 1, {"--save", "does not exist"}, NULL},
    {"--save naming a folder", good_data, {"train", "--data", "@", "--log", "", "--save", "@"}, 1, {"--save", "is a folder"}, NULL},
    {"predict a missing picture", trained, {"predict", "--model", "@/m.ckpt", "@/none.png"}, 1, {"none.png"}, NULL},
    {"predict a text file", trained, {"predict", "--model", "@/m.ckpt", "@/train-labels-idx1-ubyte"}, 1, {"train-labels-idx1-ubyte"}, NULL},
    /* two flags naming one file */
    {"--log and --save one file", good_data, {TRAIN, "--log", "@/m.ckpt", "--save", "@/m.ckpt"}, 2, {"--log", "--save", "name the same file"}, no_ckpt_made},
    {"--log and --save one new file, spelt two ways", good_data, {TRAIN, "--log", "@/./m.ckpt", "--save", "@/m.ckpt"}, 2, {"name the same file"}, no_ckpt_made},
    {"--log onto the checkpoint resumed", trained_with_copy, {TRAIN, "--log", "@/m.ckpt", "--resume", "@/m.ckpt", "--epochs", "2"}, 2, {"--log", "--resume", "name the same file"}, model_unchanged},
    {"--save onto a data file", good_data, {TRAIN, "--log", "", "--save", "@/train-labels-idx1-ubyte"}, 2, {"--save", "is the data file"}, data_unchanged},
    {"--log onto a data file", good_data, {TRAIN, "--log", "@/train-labels-idx1-ubyte"}, 2, {"--log", "is the data file"}, data_unchanged},
    {"--save onto a hard link of a data file", hard_linked_data, {TRAIN, "--log", "", "--save", "@/labels.ckpt"}, 2, {"is the data file"}, data_unchanged},
    /* what is not a regular file */
    {"--save through a symbolic link", linked_to_victim, {TRAIN, "--log", "", "--save", "@/link"}, 1, {"--save", "symbolic link"}, victim_unchanged},
    {"--log through a symbolic link", linked_to_victim, {TRAIN, "--log", "@/link"}, 1, {"--log", "symbolic link"}, victim_unchanged},
    {"--save onto a device", good_data, {TRAIN, "--log", "", "--save", "/dev/null"}, 1, {"/dev/null", "not a regular file"}, NULL},
    {"--log onto a full device", good_data, {TRAIN, "--log", "/dev/full"}, 1, {"/dev/full", "not a regular file", "--log \"\""}, NULL},
    {"--save onto a FIFO", data_with_fifo, {TRAIN, "--log", "", "--save", "@/fifo"}, 1, {"--save", "not a regular file"}, still_a_fifo},
    {"--log onto a FIFO nobody reads", data_with_fifo, {TRAIN, "--log", "@/fifo"}, 1, {"--log", "not a regular file"}, still_a_fifo},
    /* outputs that cannot be written fail before training */
    {"--save under /sys", good_data, {TRAIN, "--log", "", "--save", "/sys/m.ckpt"}, 1, {"--save", "the folder /sys is not writable"}, NULL},
    {"--log under /proc", good_data, {TRAIN, "--log", "/proc/x.csv"}, 1, {"--log", "/proc/x.csv"}, NULL},
    {"--save with a name longer than a file system allows", good_data, {TRAIN, "--log", "", "--save", "@/" LONG_NAME}, 1, {"--save", "File name too long"}, NULL},
    {"visualize onto a folder named index.md", index_md_folder, {"visualize", "--model", "@/m.ckpt", "--data", "@", "--device", "cpu", "--out", "@/out"}, 1, {"index.md", "is a folder"}, NULL},
    {"visualize writing over its own --model", model_named_index, {"visualize", "--model", "@/out/index.md", "--data", "@", "--device", "cpu", "--out", "@/out"}, 1, {"index.md", "is --model", "choose another --out"}, NULL},
    /* files that are not the kind the output replaces or appends to */
    {"--save onto a file that is not a checkpoint", with_notes, {TRAIN, "--log", "", "--save", "@/notes.txt"}, 1, {"--save", "is not a cnn checkpoint"}, notes_unchanged},
    {"--log onto a checkpoint", trained_with_copy, {TRAIN, "--log", "@/m.ckpt"}, 1, {"--log", "is not a cnn CSV log"}, model_unchanged},
    {"a stranger's file at --save's lock name", with_notes, {TRAIN, "--log", "", "--save", "@/notes"}, 1, {"notes.lock", "is not a cnn lock file"}, lock_notes_unchanged},
    {"--save onto a run's lock file", with_run_lock, {TRAIN, "--log", "", "--save", "@/m.ckpt.lock"}, 1, {"--save", "is not a cnn checkpoint"}, run_lock_unchanged},
    {"--log onto a run's lock file", with_run_lock, {TRAIN, "--log", "@/m.ckpt.lock"}, 1, {"--log", "is not a cnn CSV log"}, run_lock_unchanged},
    /* inputs that are FIFOs: refused at once */
    {"a FIFO as the training images", fifo_images, {TRAIN, "--log", ""}, 1, {"train-images-idx3-ubyte", "not a regular file"}, refused_at_once},
    {"a FIFO as gzipped test labels", fifo_labels_gz, {TRAIN, "--log", ""}, 1, {"t10k-labels-idx1-ubyte.gz", "not a regular file"}, refused_at_once},
    {"a FIFO as --resume", data_with_fifo, {TRAIN, "--log", "", "--resume", "@/fifo"}, 1, {"--resume", "fifo", "not a regular file"}, refused_at_once},
    {"a FIFO as eval's --model", data_with_fifo, {"eval", "--data", "@", "--device", "cpu", "--model", "@/fifo"}, 1, {"fifo", "not a regular file"}, refused_at_once},
    {"a FIFO as a picture to predict", model_with_fifo, {"predict", "--model", "@/m.ckpt", "--device", "cpu", "@/fifo"}, 1, {"fifo", "not a regular file"}, refused_at_once},
    {"--save onto a FIFO, before the log is made", data_with_fifo, {TRAIN, "--log", "@/x.csv", "--save", "@/fifo"}, 1, {"--save", "not a regular file"}, no_log_made},
    /* issue 25 */
    {"leftover temporaries of a killed save: removed, a live writer's kept", with_leftovers, {TRAIN, "--log", "@/no/such/x.csv", "--save", "@/m.ckpt"}, 1, {"--log", "does not exist"}, leftovers_removed},
    {"--save and --save-best: no lock file left when the run fails", good_data, {TRAIN, "--val", "10", "--log", "@/no/such/x.csv", "--save", "@/m.ckpt", "--save-best", "@/b.ckpt"}, 1, {"--log", "does not exist"}, no_lock_left},
    {"a newline in --model and --out: escaped on stdout", newline_folder, {"visualize", "--model", "@/a\nb/m.ckpt", "--data", "@", "--device", "cpu", "--out", "@/a\nb/out"}, 1, {"a\\nb/out/class3_input.png", "is a folder"}, stdout_escaped},
    {"--save in a read-only folder", read_only_folder, {TRAIN, "--log", "", "--save", "@/ro/m.ckpt"}, 1, {"--save", "/ro is not writable", "Permission denied"}, nothing_in_ro},
    {"--log in a read-only folder", read_only_folder, {TRAIN, "--log", "@/ro/x.csv"}, 1, {"--log", "/ro is not writable", "Permission denied"}, nothing_in_ro},
    {"--save in a folder that cannot be searched", unreachable_folder, {TRAIN, "--log", "", "--save", "@/shut/sub/m.ckpt"}, 1, {"--save", "shut/sub cannot be reached", "Permission denied"}, NULL},
    {"visualize --out in a read-only folder: the folder named", model_and_read_only_folder, {"visualize", "--model", "@/m.ckpt", "--data", "@", "--out", "@/ro/v"}, 1, {"--out", "/ro is not writable", "Permission denied"}, NULL},
    {"visualize --out under a folder that cannot be searched: not said to be uncreatable", model_and_unreachable_folder, {"visualize", "--model", "@/m.ckpt", "--data", "@", "--out", "@/shut/v"}, 1, {"--out", "cannot be reached", "Permission denied"}, NULL},
    {"--data in a folder that cannot be searched: not called empty", unsearchable_data, {"train", "--data", "@/shut", "--epochs", "1", "--log", ""}, 1, {"train-images-idx3-ubyte", "cannot be searched", "Permission denied"}, searchable_again},
    {"eval's --data in a folder that cannot be searched", unsearchable_data, {"eval", "--model", "@/m.ckpt", "--data", "@/shut"}, 1, {"t10k-images-idx3-ubyte", "cannot be searched", "Permission denied"}, searchable_again},
    {"--log in a folder that can be read, not searched: the folder named", unsearchable_folder, {TRAIN, "--log", "@/shut/x.csv"}, 1, {"--log", "the folder", "/shut cannot be searched", "Permission denied"}, searchable_again},
    {"--save in a folder that can be read, not searched: the folder named", unsearchable_folder, {TRAIN, "--log", "", "--save", "@/shut/m.ckpt"}, 1, {"--save", "the folder", "/shut cannot be searched", "Permission denied"}, searchable_again},
    {"a long --save path: whole in the banner", good_data, {"train", "--data", "@", "--batch", "60", "--lr", "1e30", "--epochs", "1", "--log", "", "--save", "@/" NAME_240}, 1, {"the test loss became"}, banner_shows_whole_save},
    {"eval of a checkpoint made for 32x32 inputs", made_for_32x32, {"eval", "--model", "@/m.ckpt", "--data", "@"}, 1, {"m.ckpt", "does not fit its own 1x32x32 inputs of 10 classes", "6370 parameters"}, NULL},
    {"--resume of a checkpoint made for 3 channels", made_for_3_channels, {TRAIN, "--log", "", "--resume", "@/m.ckpt", "--epochs", "2"}, 1, {"--resume", "does not fit its own 3x28x28 inputs", "6370 parameters"}, NULL},
    {"summary of a checkpoint made for 12 classes", made_for_12_classes, {"summary", "--model", "@/m.ckpt"}, 1, {"m.ckpt", "does not fit its own 1x28x28 inputs of 12 classes", "6370 parameters"}, NULL},
};
#define N_CASES (int)(sizeof CASES / sizeof CASES[0])

const int hostile_files_cases = N_CASES;

HOSTILE_CASE(hostile_files, 0) HOSTILE_CASE(hostile_files, 1) HOSTILE_CASE(hostile_files, 2) HOSTILE_CASE(hostile_files, 3)
HOSTILE_CASE(hostile_files, 4) HOSTILE_CASE(hostile_files, 5) HOSTILE_CASE(hostile_files, 6) HOSTILE_CASE(hostile_files, 7)
HOSTILE_CASE(hostile_files, 8) HOSTILE_CASE(hostile_files, 9) HOSTILE_CASE(hostile_files, 10) HOSTILE_CASE(hostile_files, 11)
HOSTILE_CASE(hostile_files, 12) HOSTILE_CASE(hostile_files, 13) HOSTILE_CASE(hostile_files, 14) HOSTILE_CASE(hostile_files, 15)
HOSTILE_CASE(hostile_files, 16) HOSTILE_CASE(hostile_files, 17) HOSTILE_CASE(hostile_files, 18) HOSTILE_CASE(hostile_files, 19)
HOSTILE_CASE(hostile_files, 20) HOSTILE_CASE(hostile_files, 21) HOSTILE_CASE(hostile_files, 22) HOSTILE_CASE(hostile_files, 23)
HOSTILE_CASE(hostile_files, 24) HOSTILE_CASE(hostile_files, 25) HOSTILE_CASE(hostile_files, 26) HOSTILE_CASE(hostile_files, 27)
HOSTILE_CASE(hostile_files, 28) HOSTILE_CASE(hostile_files, 29) HOSTILE_CASE(hostile_files, 30) HOSTILE_CASE(hostile_files, 31)
HOSTILE_CASE(hostile_files, 32) HOSTILE_CASE(hostile_files, 33) HOSTILE_CASE(hostile_files, 34) HOSTILE_CASE(hostile_files, 35)
HOSTILE_CASE(hostile_files, 36) HOSTILE_CASE(hostile_files, 37) HOSTILE_CASE(hostile_files, 38) HOSTILE_CASE(hostile_files, 39)
HOSTILE_CASE(hostile_files, 40) HOSTILE_CASE(hostile_files, 41) HOSTILE_CASE(hostile_files, 42) HOSTILE_CASE(hostile_files, 43)
HOSTILE_CASE(hostile_files, 44) HOSTILE_CASE(hostile_files, 45) HOSTILE_CASE(hostile_files, 46) HOSTILE_CASE(hostile_files, 47)
HOSTILE_CASE(hostile_files, 48) HOSTILE_CASE(hostile_files, 49) HOSTILE_CASE(hostile_files, 50) HOSTILE_CASE(hostile_files, 51)

Test(hostile_files, every_case_has_a_test) { cr_assert_leq(N_CASES, 52, "add HOSTILE_CASE() lines"); }

/* A symbolic link waiting where an old cnn put its temporary ("m.ckpt.tmp")
 * is not followed: the save succeeds and the link's target is untouched. */
Test(hostile_files, link_at_old_temporary_name_is_not_followed, .fini = remove_temp_dir)
{
    char dir[256], d[300];
    make_temp_dir("hostile_files", dir, sizeof dir);
    snprintf(d, sizeof d, "%s/case", dir);
    good_data(d);
    write_file(at(d, "victim"), "victim", 6);
    cr_assert_eq(symlink("victim", at(d, "m.ckpt.tmp")), 0);
    result r;
    run_cnn(CNN_ARGV("train", "--data", d, "--device", "cpu", "--epochs", "1", "--log", "",
                     "--net", "fc8,relu,fc10,softmax", "--save", at(d, "m.ckpt")),
            HOSTILE_TIMEOUT_S, &r);
    cr_assert(r.exited && r.status == 0, "the run failed: %s", r.err);
    result_free(&r);
    victim_unchanged(d, NULL);
}
