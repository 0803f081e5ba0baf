/* The runner the hostile-input tables share: see hostile_util.h. */
#include "hostile_util.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "idx_util.h"

void hostile_good_data(const char *dir)
{
    enum { N = HOSTILE_N_TRAIN };
    unsigned char images[N * 784], labels[N];
    for (int i = 0; i < N; i++) {
        labels[i] = (unsigned char)(i % 10);
        for (int p = 0; p < 784; p++) images[i * 784 + p] = (unsigned char)((p * 7 + i * 13) % 256);
    }
    mkdir(dir, 0777);
    write_idx_split(dir, "train", N, images, labels);
    write_idx_split(dir, "t10k", HOSTILE_N_TEST, images, labels);
}

void hostile_trained_net(const char *dir, const char *net)
{
    hostile_good_data(dir);
    char model[512];
    snprintf(model, sizeof model, "%s/m.ckpt", dir);
    result r;
    run_cnn(CNN_ARGV("train", "--data", dir, "--device", "cpu", "--net", net, "--epochs", "1",
                     "--batch", "20", "--log", "", "--save", model),
            HOSTILE_TIMEOUT_S, &r);
    cr_assert(r.exited && r.status == 0, "training the case's model (%s) failed: %s", net, r.err);
    result_free(&r);
}

void hostile_trained(const char *dir) { hostile_trained_net(dir, "fc8,relu,fc10,softmax"); }

/* Whether the case runs a command that opens a device and names none: it
 * then runs on the CPU, as if it said --device cpu. Under --device auto a
 * CUDA build without a usable GPU prints a note line before the case's one
 * error line, and these cases are about their input, not the device. */
static int needs_cpu(const hostile *h)
{
    static const char *const opens_device[] = {"train", "eval", "predict", "visualize"};
    int opens = 0;
    for (size_t c = 0; c < sizeof opens_device / sizeof opens_device[0]; c++)
        opens |= h->argv[0] && strcmp(h->argv[0], opens_device[c]) == 0;
    for (int n = 0; opens && n < (int)(sizeof h->argv / sizeof h->argv[0]) && h->argv[n]; n++)
        if (strncmp(h->argv[n], "--device", 8) == 0) return 0;
    return opens;
}

/* Whether this is a build under AddressSanitizer, which maps terabytes of
 * shadow memory and so cannot start under an address-space or data limit. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#define UNDER_ASAN __has_feature(address_sanitizer)
#else
#define UNDER_ASAN 0
#endif

/* Runs the case's cnn: in its surroundings (e->child) when it has any. */
static void run_case(const hostile_env *e, const char *const argv[], result *r)
{
    const child_env *ce = &e->child;
    if (!ce->env[0] && !ce->closed_fds && ce->limit_value <= 0) {
        run_cnn(argv, HOSTILE_TIMEOUT_S, r);
        return;
    }
    if (UNDER_ASAN && ce->limit_value > 0 && (ce->limit == RLIMIT_AS || ce->limit == RLIMIT_DATA)) {
        remove_temp_dir(); /* a skipped test does not run its .fini */
        cr_skip_test("an address-space or data limit: not under AddressSanitizer");
    }
    const char *hook = NULL;
    for (int j = 0; j < 4 && ce->env[j]; j++)
        if (!strncmp(ce->env[j], "CNN_TEST_", 9)) hook = ce->env[j];
    const char *bin = cnn_bin_for(e->release ? NULL : hook);
    if (access(bin, X_OK) != 0) {
        remove_temp_dir();
        cr_skip_test("no cnn binary at \"%s\": build it with make, or set CNN_BIN", bin);
    }
    run_program_in(bin, argv, HOSTILE_TIMEOUT_S, ce, r);
    /* the dynamic loader's own bound (the CUDA libraries are large), not cnn's */
    if (ce->limit_value > 0 && r->exited && r->status == 127 &&
        strstr(r->err, "error while loading shared libraries")) {
        remove_temp_dir();
        cr_skip_test("this build cannot be loaded under the case's limit: %s", r->err);
    }
}

/* The exact status, no crash, and (for 0) nothing on stderr. */
static void expect_status(const result *r, int status, const char *what)
{
    expect_not_crashed(r);
    cr_assert_eq(r->status, status, "%s: exit status %d, want %d; stderr: %s", what, r->status,
                 status, r->err);
    if (status == 0) cr_assert_eq(r->err_len, 0, "%s: stderr should be empty: %s", what, r->err);
}

static void run_in(const hostile_env *e, int i, const char *table)
{
    const hostile *h = &e->c;
    enum { MAX_ARGS = sizeof h->argv / sizeof h->argv[0] };
    char dir[256], arg_store[MAX_ARGS][512];
    const char *argv[MAX_ARGS + 4] = {"cnn"};
    make_temp_dir(table, dir, sizeof dir);
    char folder[300];
    snprintf(folder, sizeof folder, "%s/case", dir);
    h->setup(folder);
    int n = 0, at = 1;
    for (; n < MAX_ARGS && h->argv[n]; n++) {
        const char *a = h->argv[n];
        if (a[0] == '@') snprintf(arg_store[n], sizeof arg_store[n], "%s%s", folder, a + 1);
        else snprintf(arg_store[n], sizeof arg_store[n], "%s", a);
        argv[at++] = arg_store[n];
        /* right after the command, so a stray argument stays the case's last */
        if (n == 0 && needs_cpu(h)) {
            argv[at++] = "--device";
            argv[at++] = "cpu";
        }
    }
    argv[at] = NULL;
    result r;
    run_case(e, argv, &r);
    char what[160];
    snprintf(what, sizeof what, "%s case %d (%s)", table, i + 1, h->name);
    if (h->status == HOSTILE_RUNS_OR_FAILS) {
        static const char *const any[] = {NULL};
        if (r.status == 0) expect_status(&r, 0, what);
        else expect_error(&r, 1, any, what);
    } else if ((h->status == 0 && !h->want[0]) || (e->child.closed_fds & 4)) {
        /* a run that says nothing (or cannot: its stderr is closed) */
        expect_status(&r, h->status, what);
    } else {
        expect_error(&r, h->status, h->want, what);
    }
    if (h->after) h->after(folder, &r);
    result_free(&r);
}

void hostile_run(const hostile *cases, int i, const char *table)
{
    hostile_env e = {.c = cases[i]};
    run_in(&e, i, table);
}

void hostile_env_run(const hostile_env *cases, int i, const char *table) { run_in(&cases[i], i, table); }
