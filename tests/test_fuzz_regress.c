/* Replays the fuzzers' inputs: every file of the seed corpus (fuzz/corpus/NAME/)
 * and every input a fuzzer once crashed on (fuzz/regress/NAME/), through the very
 * checks the harnesses run (fuzz/fuzz_NAME.c, included here without their
 * libFuzzer entry point). Each input must be refused with a message or accepted
 * consistently, never crash. A new file in those folders is picked up at once.
 * The folders are found from the working directory (the repository root, as
 * `make test` runs it) or $CNN_FUZZ_DIR. --verbose names each file as it goes,
 * so a crash can be traced to its input. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FUZZ_NO_ENTRY
#include "../fuzz/fuzz_checkpoint.c"
#include "../fuzz/fuzz_idx.c"
#include "../fuzz/fuzz_netspec.c"
#include "../fuzz/fuzz_picture.c"

typedef const char *(*fuzz_one_fn)(const uint8_t *data, size_t size);

static const char *fuzz_dir(void)
{
    static const char *const candidates[] = {"fuzz", "../fuzz"};
    const char *env = getenv("CNN_FUZZ_DIR");
    if (env && *env)
        return env;
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        char probe[512];
        struct stat st;
        snprintf(probe, sizeof probe, "%s/corpus", candidates[i]);
        if (stat(probe, &st) == 0 && S_ISDIR(st.st_mode))
            return candidates[i];
    }
    return NULL;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Feeds every plain file of dir (sorted by name) to one; returns how many. A
 * missing folder holds no files. */
static int replay_dir(const char *dir, fuzz_one_fn one)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (count == cap) {
            cap = cap ? 2 * cap : 64;
            names = realloc(names, cap * sizeof *names);
            cr_assert_not_null(names);
        }
        names[count] = strdup(e->d_name);
        cr_assert_not_null(names[count]);
        count++;
    }
    closedir(d);
    if (count)
        qsort(names, count, sizeof *names, by_name);

    int replayed = 0;
    for (size_t i = 0; i < count; i++) {
        char path[1024];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        free(names[i]);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        FILE *f = fopen(path, "rb");
        cr_assert_not_null(f, "%s: cannot open", path);
        size_t size = (size_t)st.st_size;
        uint8_t *data = malloc(size ? size : 1);
        cr_assert_not_null(data);
        size_t got = fread(data, 1, size, f);
        fclose(f);
        cr_assert_eq(got, size, "%s: cannot read", path);
        cr_log_info("fuzz_regress: %s", path);
        const char *problem = one(data, size);
        cr_expect_null(problem, "%s: %s", path, problem ? problem : "");
        free(data);
        replayed++;
    }
    free(names);
    return replayed;
}

static void replay(const char *name, fuzz_one_fn one)
{
    const char *root = fuzz_dir();
    cr_assert_not_null(root, "no fuzz/corpus folder here: run from the repository root "
                             "or set CNN_FUZZ_DIR");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/corpus/%s", root, name);
    int seeds = replay_dir(dir, one);
    cr_assert_gt(seeds, 0, "%s: no seed inputs", dir);
    snprintf(dir, sizeof dir, "%s/regress/%s", root, name);
    replay_dir(dir, one);
}

Test(fuzz_regress, idx) { replay("idx", fuzz_idx_one); }

Test(fuzz_regress, checkpoint) { replay("checkpoint", fuzz_checkpoint_one); }

Test(fuzz_regress, netspec) { replay("netspec", fuzz_netspec_one); }

Test(fuzz_regress, picture) { replay("picture", fuzz_picture_one); }
