/* Running the cnn binary from the tests, reading its output, and temporary
 * folders: see run_util.h. */
#include "run_util.h"

#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Whether env ("NAME=VALUE") sets one of the test hooks. */
static int is_hook(const char *env) { return env && !strncmp(env, "CNN_TEST_", 9); }

const char *cnn_bin_for(const char *env)
{
    const char *name = "CNN_BIN", *fallback = "build/cnn";
    if (is_hook(env) || getenv("CNN_TEST_SIGINT_AT_STEP") || getenv("CNN_TEST_FAIL_SAVE_AT_EPOCH")) {
        name = "CNN_HOOKS_BIN";
        fallback = "build/cnn-hooks";
    }
    const char *b = getenv(name);
    return b && *b ? b : fallback;
}

const char *cnn_bin(void) { return cnn_bin_for(NULL); }

void result_free(result *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof *r);
}

static void append(char **buf, size_t *len, size_t *cap, const char *data, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 4096;
        while (c < *len + n + 1) c *= 2;
        char *b = realloc(*buf, c);
        cr_assert_not_null(b, "out of memory");
        *buf = b;
        *cap = c;
    }
    memcpy(*buf + *len, data, n);
    *len += n;
    (*buf)[*len] = 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void cnn_bin_absolute(char *path, size_t len)
{
    path[0] = '\0';
    if (cnn_bin()[0] != '/') {
        cr_assert_not_null(getcwd(path, len / 2), "getcwd: %s", strerror(errno));
        strcat(path, "/");
    }
    strncat(path, cnn_bin(), len - strlen(path) - 1);
    cr_assert_eq(access(path, X_OK), 0, "no cnn binary at %s", path);
}

void run_cnn(const char *const argv[], int timeout_s, result *r)
{
    const char *bin = cnn_bin();
    if (access(bin, X_OK) != 0) {
        int e = errno;
        remove_temp_dir(); /* a skipped test does not run its .fini */
        cr_skip_test("no cnn binary at \"%s\" (%s): build it with make, or set CNN_BIN", bin,
                     strerror(e));
    }
    run_program(bin, argv, timeout_s, r);
}

void run_program(const char *bin, const char *const argv[], int timeout_s, result *r)
{
    run_program_in(bin, argv, timeout_s, NULL, r);
}

/* environ, less the variables ce->env names, plus those it sets. */
static char **child_environ(const child_env *ce)
{
    int n = 0;
    while (environ[n]) n++;
    char **env = calloc((size_t)n + 5, sizeof *env);
    cr_assert_not_null(env);
    int k = 0;
    for (int i = 0; i < n; i++) {
        int named = 0;
        for (int j = 0; j < 4 && ce->env[j]; j++) {
            size_t len = strcspn(ce->env[j], "=");
            named |= !strncmp(environ[i], ce->env[j], len) && environ[i][len] == '=';
        }
        if (!named) env[k++] = environ[i];
    }
    for (int j = 0; j < 4 && ce->env[j]; j++)
        if (strchr(ce->env[j], '=')) env[k++] = (char *)ce->env[j];
    return env;
}

/* The child of run_program_in: its limit, its descriptors, then bin. */
static void exec_child(const char *bin, char **args, char **env, const int po[2],
                       const int pe[2], const child_env *ce)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int defaults[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGXFSZ};
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) signal(defaults[i], SIG_DFL);
    int in = open("/dev/null", O_RDONLY);
    if (in < 0 || dup2(in, 0) < 0 || dup2(po[1], 1) < 0 || dup2(pe[1], 2) < 0) _exit(126);
    /* only 0, 1 and 2, so that a descriptor limit counts cnn's own files */
    for (int fd = 3; fd < 1024; fd++) close(fd);
    for (int fd = 0; fd <= 2; fd++)
        if (ce->closed_fds & (1 << fd)) close(fd);
    if (ce->limit_value > 0) {
        struct rlimit lim = {(rlim_t)ce->limit_value, (rlim_t)ce->limit_value};
        if (setrlimit(ce->limit, &lim) != 0) _exit(125);
    }
    execve(bin, args, env);
    _exit(127);
}

/* Starts bin with stdout and stderr on the pipes' write ends. */
static pid_t start_child(const char *bin, char **args, const int po[2], const int pe[2],
                         const child_env *ce)
{
    pid_t pid;
    if (ce) {
        char **env = child_environ(ce);
        fflush(NULL);
        pid = fork();
        cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
        if (pid == 0) exec_child(bin, args, env, po, pe, ce);
        free(env);
        return pid;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
    posix_spawn_file_actions_addclose(&fa, po[0]);
    posix_spawn_file_actions_addclose(&fa, pe[0]);
    posix_spawn_file_actions_addclose(&fa, po[1]);
    posix_spawn_file_actions_addclose(&fa, pe[1]);
    int rc = posix_spawn(&pid, bin, &fa, NULL, args, environ);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert_eq(rc, 0, "posix_spawn %s: %s", bin, strerror(rc));
    return pid;
}

/* Reads both pipes until they close (killing the child after timeout_s),
 * then reaps it. */
static void collect(pid_t pid, int out_fd, int err_fd, int timeout_s, result *r)
{
    size_t out_cap = 0, err_cap = 0;
    append(&r->out, &r->out_len, &out_cap, "", 0);
    append(&r->err, &r->err_len, &err_cap, "", 0);
    struct pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    int open_fds = 2;
    double started = now_s(), deadline = started + timeout_s;
    while (open_fds > 0) {
        int left_ms = (int)((deadline - now_s()) * 1000);
        if (left_ms <= 0) {
            r->timed_out = 1;
            kill(pid, SIGKILL);
            break;
        }
        int n = poll(fds, 2, left_ms);
        if (n < 0 && errno == EINTR) continue;
        cr_assert_geq(n, 0, "poll: %s", strerror(errno));
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[4096];
            ssize_t got = read(fds[i].fd, buf, sizeof buf);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
                continue;
            }
            if (i == 0) append(&r->out, &r->out_len, &out_cap, buf, (size_t)got);
            else append(&r->err, &r->err_len, &err_cap, buf, (size_t)got);
        }
    }
    for (int i = 0; i < 2; i++)
        if (fds[i].fd >= 0) close(fds[i].fd);
    int st;
    while (waitpid(pid, &st, 0) < 0) cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));
    r->exited = WIFEXITED(st);
    r->status = r->exited ? WEXITSTATUS(st) : -1;
    r->signaled = WIFSIGNALED(st);
    r->sig = r->signaled ? WTERMSIG(st) : 0;
    r->seconds = now_s() - started;
}

void run_program_in(const char *bin, const char *const argv[], int timeout_s,
                    const child_env *ce, result *r)
{
    memset(r, 0, sizeof *r);
    r->timeout_s = timeout_s;
    int argc = 0;
    while (argv[argc]) argc++;
    char **args = calloc((size_t)argc + 1, sizeof *args);
    cr_assert_not_null(args);
    args[0] = (char *)bin;
    for (int i = 1; i < argc; i++) args[i] = (char *)argv[i];
    int po[2], pe[2];
    cr_assert_eq(pipe(po), 0, "pipe: %s", strerror(errno));
    cr_assert_eq(pipe(pe), 0, "pipe: %s", strerror(errno));
    pid_t pid = start_child(bin, args, po, pe, ce);
    free(args);
    close(po[1]);
    close(pe[1]);
    collect(pid, po[0], pe[0], timeout_s, r);
}

void expect_not_crashed(const result *r)
{
    cr_assert_not(r->timed_out, "cnn ran for more than %d s and was killed", r->timeout_s);
    cr_assert_not(r->signaled, "cnn was killed by signal %d (%s); stderr: %s", r->sig,
                  strsignal(r->sig), r->err);
    cr_assert(r->exited, "cnn did not exit normally");
}

void expect_error(const result *r, int status, const char *const *want, const char *what)
{
    const char *w = what ? what : "", *sep = what ? ": " : "";
    expect_not_crashed(r);
    cr_assert_eq(r->status, status, "%s%sexit status %d, want %d; stderr: %s", w, sep, r->status,
                 status, r->err);
    cr_assert_gt(r->err_len, 0, "%s%snothing on stderr", w, sep);
    cr_assert_eq(strlen(r->err), r->err_len, "%s%sstderr holds a NUL byte", w, sep);
    cr_assert_eq(r->err[r->err_len - 1], '\n', "%s%sstderr does not end in a newline: \"%s\"", w,
                 sep, r->err);
    cr_assert_eq(strchr(r->err, '\n'), r->err + r->err_len - 1,
                 "%s%sstderr should be exactly one line, got:\n%s", w, sep, r->err);
    for (const char *const *f = want; *f; f++)
        cr_assert_not_null(strstr(r->err, *f), "%s%sstderr should contain '%s', got: %s", w, sep,
                           *f, r->err);
}

/* The last line of s (without its newline), copied into line. */
static void last_line(const char *s, char *line, size_t len)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '\n') n--;
    size_t start = n;
    while (start > 0 && s[start - 1] != '\n') start--;
    snprintf(line, len, "%.*s", (int)(n - start), s + start);
}

void json_of(const result *r, char *json, size_t len)
{
    last_line(r->out, json, len);
    size_t n = strlen(json);
    cr_assert(n >= 2 && json[0] == '{' && json[n - 1] == '}',
              "the last stdout line is not a JSON object: %s", json);
}

int json_field(const char *json, const char *key, char *value, size_t len)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(json, pat);
    if (!p) return -1;
    p += strlen(pat);
    size_t n = *p == '"' ? strcspn(p + 1, "\"") + 2 : strcspn(p, ",}");
    snprintf(value, len, "%.*s", (int)n, p);
    return 0;
}

/* ---- temporary folders and whole files ---- */

char temp_dir[256];

void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            remove_tree(sub);
        }
        if (d) closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

void make_temp_dir(const char *name, char *dir, size_t len)
{
    const char *t = getenv("TMPDIR");
    snprintf(temp_dir, sizeof temp_dir, "%s/%s_XXXXXX", t && *t ? t : "/tmp", name);
    if (!mkdtemp(temp_dir)) {
        int e = errno;
        char tmpl[sizeof temp_dir];
        snprintf(tmpl, sizeof tmpl, "%s", temp_dir);
        temp_dir[0] = 0; /* nothing for remove_temp_dir to remove */
        cr_assert_fail("mkdtemp %s: %s", tmpl, strerror(e));
    }
    if (dir) snprintf(dir, len, "%s", temp_dir);
}

void remove_temp_dir(void)
{
    if (temp_dir[0]) remove_tree(temp_dir);
    temp_dir[0] = 0;
}

unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    unsigned char *p = malloc(cap);
    cr_assert_not_null(p);
    size_t got;
    while ((got = fread(p + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            p = realloc(p, cap);
            cr_assert_not_null(p);
        }
    }
    cr_assert_not(ferror(f), "reading %s failed", path);
    fclose(f);
    p[n] = 0; /* n < cap: the buffer grows whenever it fills */
    *len = n;
    return p;
}

void expect_same_file(const char *a, const char *b, const char *why)
{
    size_t la, lb;
    unsigned char *pa = read_file(a, &la), *pb = read_file(b, &lb);
    size_t i = 0;
    while (i < la && i < lb && pa[i] == pb[i]) i++;
    free(pa);
    free(pb);
    cr_assert(la == lb && i == la, "%s: %s (%zu bytes) and %s (%zu bytes) differ first at byte %zu",
              why, a, la, b, lb, i);
}

void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot create %s: %s", path, strerror(errno));
    cr_assert_eq(fwrite(data, 1, len, f), len, "writing %s failed", path);
    cr_assert_eq(fclose(f), 0, "closing %s failed", path);
}

const char *tmp_path(const char *name)
{
    static char buf[8][4200];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, sizeof buf[0], "%s/%s", temp_dir, name);
    return p;
}

const char *tmp_folder(const char *rel)
{
    const char *path = tmp_path(rel);
    char buf[4200];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *s = buf + strlen(temp_dir) + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            mkdir(buf, 0755);
            *s = '/';
        }
    mkdir(buf, 0755);
    return path;
}

void run_train(result *r, const char *env, const char *dir, const char *const *args,
               int timeout_s)
{
    const char *argv[64] = {"cnn", "train", "--data", dir, "--device", "cpu", "--log", "",
                            "--quiet"};
    int n = 9;
    for (const char *const *a = args; *a; a++) {
        cr_assert_lt(n, 63);
        argv[n++] = *a;
    }
    argv[n] = NULL;
    char name[256] = "";
    if (env) {
        snprintf(name, sizeof name, "%.*s", (int)strcspn(env, "="), env);
        cr_assert_eq(setenv(name, strchr(env, '=') + 1, 1), 0);
    }
    run_cnn(argv, timeout_s, r);
    if (env) unsetenv(name);
}
