/* scripts/device-check.sh's checks that come before any build: with PATH a
 * folder that holds only the fakes a test puts there, it must stop at once,
 * with one line on stderr and exit 1, when nvidia-smi is missing or answers
 * without a GPU or not within its time limit (a hung driver: timeout faked
 * to report expiry), and when compute-sanitizer is neither on PATH nor in the
 * toolkit's bin (CUDA_HOME, when set, being the only toolkit looked in: a
 * real /usr/local/cuda/bin/compute-sanitizer cannot satisfy these tests).
 * Where the sanitizer is found, the script goes on to its next check, the
 * MNIST files: run from a copy of the script in a folder without data/, it
 * stops there, which shows the lookup found the fake, still before building.
 * One run goes through the whole script with every program faked, to show
 * how the table marks a failed row. Nothing here builds or trains; each run
 * takes a fraction of a second. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run_util.h"

TestSuite(device_check, .init = NULL, .fini = remove_temp_dir, .timeout = 60);

/* What the real nvidia-smi prints for the script's --query-gpu=name,compute_cap
 * --format=csv,noheader, and a banner otherwise. */
static const char fake_smi[] = "#!/bin/sh\n"
                               "case \"$*\" in\n"
                               "*--query-gpu=*) echo 'NVIDIA H200, 9.0' ;;\n"
                               "*) echo 'NVIDIA-SMI 570.00 (fake)' ;;\n"
                               "esac\n";
/* nvidia-smi on a machine whose driver is not loaded */
static const char smi_without_gpu[] =
    "#!/bin/sh\n"
    "echo \"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\"\n"
    "exit 9\n";
/* never run: the checks stop before the sanitizer is used */
static const char fake_tool[] = "#!/bin/sh\nexit 0\n";

/* A path in the test's temporary folder (tmp_path's buffers are reused,
 * and these tests hold many paths at once). */
typedef struct {
    char s[320];
} path;

static path in_temp(const char *name)
{
    path p;
    snprintf(p.s, sizeof p.s, "%s/%s", temp_dir, name);
    return p;
}

static void make_dir(const char *name)
{
    path p = in_temp(name);
    cr_assert_eq(mkdir(p.s, 0755), 0, "mkdir %s: %s", p.s, strerror(errno));
}

/* Writes an executable file into the temporary folder. */
static void write_program(const char *name, const char *text)
{
    path p = in_temp(name);
    write_file(p.s, text, strlen(text));
    cr_assert_eq(chmod(p.s, 0755), 0, "chmod %s: %s", p.s, strerror(errno));
}

/* Runs script with PATH the temporary folder's bin/ only, OUT_DIR its out/
 * (never made by these runs), and CUDA_HOME and NVCC set to the given
 * temporary folder's paths, or unset when NULL. */
static void run_check(const char *script, const char *cuda_home, const char *nvcc, result *r)
{
    const char *cmd = "unset CUDA_HOME NVCC OUT_DIR; export PATH=\"$1\" OUT_DIR=\"$2\";"
                      " if [ -n \"$3\" ]; then export CUDA_HOME=\"$3\"; fi;"
                      " if [ -n \"$4\" ]; then export NVCC=\"$4\"; fi;"
                      " exec /bin/bash \"$5\"";
    path bin = in_temp("bin"), out = in_temp("out");
    path cuda = in_temp(cuda_home ? cuda_home : ""), compiler = in_temp(nvcc ? nvcc : "");
    const char *argv[] = {"bash", "-c", cmd, "device-check", bin.s, out.s,
                          cuda_home ? cuda.s : "", nvcc ? compiler.s : "", script, NULL};
    run_program("/bin/bash", argv, 30, r);
}

/* Stopped by a check: exit 1, one line on stderr holding want, nothing on
 * stdout, within a few seconds, and OUT_DIR never made (nothing started). */
static void expect_stopped(const result *r, const char *const *want)
{
    expect_error(r, 1, want, "device-check");
    cr_expect_eq(r->out_len, 0, "device-check wrote to stdout before stopping: %s", r->out);
    cr_expect_lt(r->seconds, 5.0, "device-check took %.1f s to stop", r->seconds);
    struct stat st;
    path out = in_temp("out");
    cr_expect_neq(stat(out.s, &st), 0, "device-check made OUT_DIR before stopping");
}

/* timeout -k N LIMIT CMD...: runs CMD (every nvidia-smi call and every
 * step goes through timeout) */
static const char fake_timeout[] = "#!/bin/sh\nshift 3\nexec \"$@\"\n";

/* The temporary folder with bin/ (PATH in run_check), holding the fake
 * timeout, the fake nvidia-smi when smi is not NULL, and an empty cuda/. */
static void setup_dirs(const char *smi)
{
    make_temp_dir("test_device_check", NULL, 0);
    make_dir("bin");
    write_program("bin/timeout", fake_timeout);
    if (smi) write_program("bin/nvidia-smi", smi);
    make_dir("cuda");
}

static const char script[] = "scripts/device-check.sh";

Test(device_check, no_nvidia_smi_stops_at_once)
{
    setup_dirs(NULL);
    result r;
    run_check(script, "cuda", NULL, &r);
    /* the GPU is asked first: the missing sanitizer is not what it says */
    expect_stopped(&r, (const char *const[]){"device-check: no GPU", "nvidia-smi is not on PATH",
                                             NULL});
    result_free(&r);
}

Test(device_check, nvidia_smi_without_a_gpu_stops_at_once)
{
    setup_dirs(smi_without_gpu);
    result r;
    run_check(script, "cuda", NULL, &r);
    expect_stopped(&r, (const char *const[]){"no GPU answers nvidia-smi (exit 9)",
                                             "couldn't communicate with the NVIDIA driver", NULL});
    result_free(&r);
}

/* A hung driver: nvidia-smi would never return, and timeout ends it with
 * 124 (faked here, so the test takes no 20 s). The check stops, naming the
 * limit, instead of hanging or reading 124 as "no GPU". */
Test(device_check, nvidia_smi_past_its_time_limit_stops_at_once)
{
    setup_dirs(fake_smi);
    write_program("bin/timeout", "#!/bin/sh\nexit 124\n");
    result r;
    run_check(script, "cuda", NULL, &r);
    expect_stopped(&r, (const char *const[]){"nvidia-smi did not answer within 20 s",
                                             "hung driver", NULL});
    result_free(&r);
}

Test(device_check, missing_sanitizer_fails_before_the_build)
{
    setup_dirs(fake_smi);
    path cuda_bin = in_temp("cuda/bin");
    result r;
    run_check(script, "cuda", NULL, &r);
    expect_stopped(&r, (const char *const[]){"compute-sanitizer not found", cuda_bin.s,
                                             "does not run without it", NULL});
    cr_expect_null(strstr(r.err, "/usr/local/cuda"),
                   "with CUDA_HOME set, /usr/local/cuda/bin is not looked in: %s", r.err);
    result_free(&r);
}

/* The script copied into repo/ in the temporary folder, which has no data/:
 * a found sanitizer lets it go on to the MNIST check, which stops it. */
static path script_copy(void)
{
    make_dir("repo");
    make_dir("repo/scripts");
    size_t len;
    unsigned char *text = read_file(script, &len);
    path copy = in_temp("repo/scripts/device-check.sh");
    write_file(copy.s, text, len);
    free(text);
    return copy;
}

static const char *const reached_data_check[] = {"no MNIST in data/mnist", NULL};

Test(device_check, sanitizer_in_cuda_home_bin_is_found)
{
    setup_dirs(fake_smi);
    make_dir("cuda/bin");
    write_program("cuda/bin/compute-sanitizer", fake_tool);
    path copy = script_copy();
    result r;
    run_check(copy.s, "cuda", NULL, &r);
    expect_stopped(&r, reached_data_check);
    result_free(&r);
}

Test(device_check, sanitizer_beside_nvcc_is_found)
{
    setup_dirs(fake_smi);
    make_dir("toolkit");
    make_dir("toolkit/bin");
    write_program("toolkit/bin/nvcc", fake_tool);
    write_program("toolkit/bin/compute-sanitizer", fake_tool);
    path copy = script_copy();
    result r;
    run_check(copy.s, NULL, "toolkit/bin/nvcc", &r);
    expect_stopped(&r, reached_data_check);
    result_free(&r);
}

Test(device_check, sanitizer_on_path_is_found)
{
    setup_dirs(fake_smi);
    write_program("bin/compute-sanitizer", fake_tool);
    path copy = script_copy();
    result r;
    run_check(copy.s, "cuda", NULL, &r);
    expect_stopped(&r, reached_data_check);
    result_free(&r);
}

/* Past the early checks, with every program faked: a build that succeeds, a
 * GPU suite that passes, sanitizers that report no errors, and a trainer
 * whose runs reach 50% only. Each training below its accuracy floor must
 * say FAILED in its own row of the table, not only in the count at the end. */
static const char fake_make[] =
    "#!/bin/sh\n"
    "echo '#!/bin/sh' >build/test-gpu\n"
    "echo 'echo \"[====] Synthesis: Tested: 3 | Passing: 3 | Failing: 0 | Crashing: 0\"' "
    ">>build/test-gpu\n"
    "echo '#!/bin/sh' >build/cnn\n"
    "printf '%s\\n' \"echo '{\\\"test_acc\\\":50.0000,\\\"seconds_per_epoch\\\":2.0000}'\" "
    ">>build/cnn\n"
    "/bin/chmod 755 build/test-gpu build/cnn\n";
static const char fake_sanitizer[] = "#!/bin/sh\necho '========= ERROR SUMMARY: 0 errors'\n";

/* Links the real program `name` (from /usr/bin or /bin) into the fakes' bin/. */
static void link_tool(const char *name)
{
    char real[64];
    snprintf(real, sizeof real, "/usr/bin/%s", name);
    if (access(real, X_OK) != 0) snprintf(real, sizeof real, "/bin/%s", name);
    path p = in_temp("bin");
    char link[400];
    snprintf(link, sizeof link, "%s/%s", p.s, name);
    cr_assert_eq(symlink(real, link), 0, "symlink %s: %s", real, strerror(errno));
}

Test(device_check, a_training_below_its_floor_fails_in_its_row)
{
    setup_dirs(fake_smi);
    write_program("bin/compute-sanitizer", fake_sanitizer);
    write_program("bin/make", fake_make);
    write_program("bin/nproc", "#!/bin/sh\necho 2\n");
    const char *tools[] = {"mkdir", "rm", "tee", "head", "sed", "grep", "tail", "awk", "date", "env"};
    for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++) link_tool(tools[i]);
    path copy = script_copy();
    make_dir("repo/build");
    make_dir("repo/data");
    make_dir("repo/data/mnist");
    path verified = in_temp("repo/data/mnist/.verified");
    write_file(verified.s, "", 0);
    result r;
    run_check(copy.s, "cuda", NULL, &r);
    expect_not_crashed(&r);
    cr_assert_eq(r.status, 1, "exit %d; stdout:\n%s\nstderr:\n%s", r.status, r.out, r.err);
    cr_assert_not_null(strstr(r.out, "passed, none skipped"), "the GPU suite's row: %s", r.out);
    cr_assert_not_null(strstr(r.out, "| 0 errors "), "no sanitizer row passed: %s", r.out);
    const char *nets[] = {"| seed-cnn b50 GPU ", "| seed-cnn b512 GPU ", "| lenet5 b50 GPU ",
                          "| cnn-bn b50 GPU ", "| seed-cnn b50 CPU "};
    for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++) {
        const char *row = strstr(r.out, nets[i]);
        cr_assert_not_null(row, "no row for %s: %s", nets[i], r.out);
        const char *end = strchr(row + 1, '\n');
        cr_assert_not_null(end);
        char line[200];
        snprintf(line, sizeof line, "%.*s", (int)(end - row), row);
        cr_expect_not_null(strstr(line, "FAILED"), "50%% is under the floor, yet: %s", line);
    }
    result_free(&r);
}
