/* Device detection that says why no GPU is usable: the version logic (a pure
 * function, checked in every build), device_select's note for --device auto,
 * and, in a CUDA build on a machine without a usable GPU, the three places a
 * user meets the reason: the GPU suite under CNN_REQUIRE_GPU=1, train's note
 * under --device auto, and --device gpu's error. */
#include <criterion/criterion.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/cpu_backend.h"
#include "cpu/cpu_kernels.h"
#include "device.h"
#include "idx_util.h"
#include "run_util.h"

#define RUN_TIMEOUT_S 120

/* ---- the version logic ---- */

Test(device, no_driver_names_the_runtime)
{
    char why[256] = "";
    cr_assert_eq(device_driver_reason(0, 13000, why, sizeof why), 1);
    cr_assert_str_eq(why, "no NVIDIA driver is installed (this build's CUDA runtime is 13.0)");
}

Test(device, older_driver_names_both_versions)
{
    char why[256] = "";
    cr_assert_eq(device_driver_reason(12020, 13000, why, sizeof why), 1);
    cr_assert_str_eq(why, "the NVIDIA driver supports CUDA 12.2, older than this build's CUDA "
                          "runtime 13.0: update the driver, or rebuild with CUDA=0 or an older "
                          "toolkit");
    /* an older minor version of the same major counts too */
    cr_assert_eq(device_driver_reason(13000, 13010, why, sizeof why), 1);
    cr_assert_not_null(strstr(why, "supports CUDA 13.0, older than this build's CUDA runtime 13.1"),
                       "%s", why);
}

Test(device, equal_or_newer_driver_leaves_the_cuda_error)
{
    char why[64] = "untouched";
    cr_assert_eq(device_driver_reason(13000, 13000, why, sizeof why), 0);
    cr_assert_eq(device_driver_reason(13020, 13000, why, sizeof why), 0);
    cr_assert_eq(device_driver_reason(14000, 13000, why, sizeof why), 0);
    cr_assert_str_eq(why, "untouched");
}

Test(device, reason_is_cut_not_overrun)
{
    char why[16];
    memset(why, 'x', sizeof why);
    cr_assert_eq(device_driver_reason(12020, 13000, why, 8), 1);
    cr_assert_str_eq(why, "the NVI");
    cr_assert_eq(why[8], 'x', "wrote past the length it was given");
}

/* ---- device_select ---- */

Test(device, cpu_asked_for_has_no_note)
{
    char desc[256], note[256] = "stale", err[256] = "";
    const cnn_ops *ops = device_select("cpu", 0, 0, desc, sizeof desc, note, sizeof note, err,
                                       sizeof err);
    cr_assert_eq(ops, &cpu_ops);
    cr_assert_str_empty(note);
}

/* auto: a GPU and no note, or the CPU with a note naming the reason in a
 * CUDA build, or the CPU without one in a build that has no CUDA. Runs in
 * Criterion's forked child, so CUDA is initialised there only. */
Test(device, auto_notes_why_it_uses_the_cpu)
{
    char desc[256], note[512] = "stale", err[512] = "";
    const cnn_ops *ops = device_select("auto", 0, 0, desc, sizeof desc, note, sizeof note, err,
                                       sizeof err);
    cr_assert_not_null(ops, "%s", err);
#ifdef CNN_HAVE_CUDA
    if (gpu_device_count() > 0) {
        cr_assert_str_empty(note, "a GPU is present, yet: %s", note);
        return;
    }
    const char *why = gpu_unavailable_reason();
    cr_assert_not_null(why, "no GPU and no reason given");
    cr_assert_eq(ops, &cpu_ops);
    cr_assert_not_null(strstr(note, "no usable GPU, so this runs on the CPU: "), "%s", note);
    cr_assert_not_null(strstr(note, why), "the note does not name the reason (%s): %s", why,
                       note);
    cr_assert_not_null(strstr(desc, "no GPU found"), "%s", desc);
#else
    cr_assert_eq(ops, &cpu_ops);
    cr_assert_str_empty(note, "a build without CUDA has nothing to explain: %s", note);
    cr_assert_not_null(strstr(desc, "built without CUDA"), "%s", desc);
#endif
}

/* ---- what a user sees on a CUDA build without a usable GPU ---- */

/* The reason this machine has no usable GPU; skips the test where there is
 * a GPU or the build has no CUDA. */
static const char *reason_or_skip(void)
{
#ifdef CNN_HAVE_CUDA
    if (gpu_device_count() > 0) cr_skip_test("a GPU is present: nothing to explain");
    const char *why = gpu_unavailable_reason();
    cr_assert_not_null(why, "no GPU and no reason given");
    return why;
#else
    cr_skip_test("built without CUDA (CUDA=0): no GPU to look for");
    return NULL;
#endif
}

/* Fails unless err is exactly one line that contains want and the reason. */
static void expect_one_line_with(const char *err, const char *want, const char *why)
{
    const char *nl = strchr(err, '\n');
    cr_assert(nl && nl[1] == '\0', "not exactly one line on stderr:\n%s", err);
    cr_assert_not_null(strstr(err, want), "no \"%s\" on stderr: %s", want, err);
    cr_assert_not_null(strstr(err, why), "stderr does not name the reason (%s): %s", why, err);
}

Test(device, gpu_suite_fails_when_required)
{
    const char *why = reason_or_skip();
    char bin[PATH_MAX];
    snprintf(bin, sizeof bin, "%s", cnn_bin());
    char *slash = strrchr(bin, '/');
    snprintf(slash ? slash + 1 : bin, sizeof bin - (size_t)(slash ? slash + 1 - bin : 0),
             "test-gpu");
    cr_assert_eq(access(bin, X_OK), 0, "a CUDA build without %s: make builds it", bin);
    /* Criterion's sandbox (BoxFort) marks this worker with BXFI_MAP; a second
     * Criterion program that inherits it takes itself for a worker and aborts.
     * This test runs in its own forked process, so the change stays here. */
    unsetenv("BXFI_MAP");
    result r;
    cr_assert_eq(setenv("CNN_REQUIRE_GPU", "1", 1), 0);
    run_program(bin, (const char *const[]){"test-gpu", NULL}, RUN_TIMEOUT_S, &r);
    unsetenv("CNN_REQUIRE_GPU");
    expect_not_crashed(&r);
    cr_assert_neq(r.status, 0, "CNN_REQUIRE_GPU=1 without a GPU passed: %s", r.out);
    cr_assert_not_null(strstr(r.out, why), "the suite does not name the reason (%s): %s", why,
                       r.out);
    cr_assert_not_null(strstr(r.out, "fails"), "%s", r.out);
    result_free(&r);

    run_program(bin, (const char *const[]){"test-gpu", NULL}, RUN_TIMEOUT_S, &r);
    expect_not_crashed(&r);
    cr_assert_eq(r.status, 0, "without CNN_REQUIRE_GPU the suite skips: %s", r.out);
    cr_assert_not_null(strstr(r.out, why), "%s", r.out);
    result_free(&r);
}

Test(device, auto_and_gpu_name_the_reason, .fini = remove_temp_dir)
{
    const char *why = reason_or_skip();
    char dir[256];
    make_temp_dir("test_device", dir, sizeof dir);
    write_block_digits(dir, "train", 100, 31);
    write_block_digits(dir, "t10k", 50, 32);
    const char *model = tmp_path("model.ckpt");
    result r;
    run_cnn(CNN_ARGV("train", "--data", dir, "--device", "auto", "--epochs", "1",
                     "--train-limit", "100", "--net", "fc16,relu,fc10,softmax", "--log", "",
                     "--quiet", "--save", model),
            RUN_TIMEOUT_S, &r);
    expect_not_crashed(&r);
    cr_assert_eq(r.status, 0, "exit %d; stderr: %s", r.status, r.err);
    expect_one_line_with(r.err, "cnn train: note: no usable GPU, so this runs on the CPU: ", why);
    result_free(&r);

    run_cnn(CNN_ARGV("eval", "--data", dir, "--device", "auto", "--model", model), RUN_TIMEOUT_S,
            &r);
    expect_not_crashed(&r);
    cr_assert_eq(r.status, 0, "exit %d; stderr: %s", r.status, r.err);
    expect_one_line_with(r.err, "cnn eval: note: no usable GPU", why);
    result_free(&r);

    run_cnn(CNN_ARGV("eval", "--data", dir, "--device", "cpu", "--model", model), RUN_TIMEOUT_S,
            &r);
    expect_not_crashed(&r);
    cr_assert_eq(r.status, 0, "exit %d; stderr: %s", r.status, r.err);
    cr_assert_eq(r.err_len, 0, "--device cpu printed on stderr: %s", r.err);
    result_free(&r);

    run_cnn(CNN_ARGV("train", "--data", dir, "--device", "gpu", "--epochs", "1", "--log", ""),
            RUN_TIMEOUT_S, &r);
    expect_error(&r, 1, (const char *const[]){"--device gpu: no usable GPU", why, NULL}, NULL);
    result_free(&r);
}
