/* The settings table (include/settings.h) and what comes from it: its rows
 * well formed, values that read back as written, the presets as overrides,
 * --help and summary's preset-flags line with each preset's own values, the
 * README's flag table, and a release binary without the test hooks. The
 * binary is $CNN_BIN, or build/cnn. */
#include <criterion/criterion.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hd/optim.h"
#include "hd/schedule.h"
#include "idx_util.h"
#include "presets.h"
#include "run_util.h"
#include "settings.h"

#define TEMP_NAME "test_settings"

/* ---- the rows ---- */

Test(settings, rows_are_well_formed)
{
    char err[512];
    for (int i = 0; i < run_settings_count; i++) {
        const setting_def *d = &run_settings[i];
        for (int j = 0; j < i; j++)
            cr_assert_str_neq(d->flag, run_settings[j].flag, "--%s twice", d->flag);
        cr_assert_not_null(d->help, "--%s has no help", d->flag);
        cr_assert(d->commands != 0, "--%s is no command's flag", d->flag);
        run_config c;
        memset(&c, 0, sizeof c);
        cr_assert_eq(setting_parse(d, &c, d->def, err, sizeof err), 0, "--%s's default: %s",
                     d->flag, err);
        cr_assert_eq(setting_of_offset(d->offset), d, "--%s's member", d->flag);
        cr_assert(!(d->roles & SET_RECIPE) || (d->roles & SET_KEPT),
                  "--%s: compared across a resume, but not kept", d->flag);
        cr_assert(!(d->roles & SET_HINT) || !(d->roles & SET_KEPT),
                  "--%s: the checkpoint keeps it, the hint need not repeat it", d->flag);
        cr_assert(d->type != SET_INT || d->range, "--%s: a whole number without a range", d->flag);
        cr_assert(d->type != SET_CHOICE || d->n_choices > 1, "--%s: a choice of %d", d->flag,
                  d->n_choices);
    }
    cr_assert_eq(setting_find("lr"), SETTING(lr));
    cr_assert_null(setting_find("learning-rate"));
}

/* ---- each range as its refusal states it ---- */

/* Whether d takes text. */
static int takes(const setting_def *d, const char *text)
{
    run_config c;
    char err[512];
    run_config_defaults(&c);
    return setting_parse(d, &c, text, err, sizeof err) == 0;
}

static int takes_float(const setting_def *d, float v)
{
    char text[64];
    snprintf(text, sizeof text, "%.9g", (double)v); /* (9 digits read back as v) */
    return takes(d, text);
}

/* A whole number's refusal says "from LO to HI": LO and HI are taken, the
 * numbers beside them not. */
static void expect_int_range_true(const setting_def *d, const char *err)
{
    long lo, hi;
    const char *at = strstr(err, "from ");
    cr_assert(at && sscanf(at, "from %ld to %ld", &lo, &hi) == 2, "--%s: no range in: %s",
              d->flag, err);
    char text[4][32];
    long v[4] = {lo, lo - 1, hi, hi + 1};
    for (int i = 0; i < 4; i++) snprintf(text[i], sizeof text[i], "%ld", v[i]);
    cr_expect(takes(d, text[0]) && !takes(d, text[1]), "--%s: says from %ld: %s", d->flag, lo, err);
    cr_expect(takes(d, text[2]) && !takes(d, text[3]), "--%s: says to %ld: %s", d->flag, hi, err);
}

/* One end of a float's stated range: the number after `word` (an end
 * followed by " (" is excluded); where it lies is checked against what is
 * taken, `outward` the direction past it. */
static void expect_float_end_true(const setting_def *d, const char *err, const char *word,
                                  float outward)
{
    const char *at = strstr(err, word);
    cr_assert_not_null(at, "--%s: no \"%s\" in: %s", d->flag, word, err);
    char *end;
    float v = strtof(at + strlen(word), &end);
    int excluded = !strncmp(end, " (", 2);
    if (excluded)
        cr_expect(!takes_float(d, v) && takes_float(d, nextafterf(v, -outward)),
                  "--%s: says %s%.9g excluded: %s", d->flag, word, (double)v, err);
    else
        cr_expect(takes_float(d, v) && !takes_float(d, nextafterf(v, outward)),
                  "--%s: says %s%.9g: %s", d->flag, word, (double)v, err);
}

/* Each number flag's refusal states exactly the numbers it takes: its ends
 * are taken (or, stated as excluded, not) and the numbers just past them
 * not, and 0 is taken only where it says so. */
Test(settings, range_messages_state_what_is_taken)
{
    char err[512];
    for (int i = 0; i < run_settings_count; i++) {
        const setting_def *d = &run_settings[i];
        if (!d->range || (d->type != SET_INT && d->type != SET_FLOAT)) continue;
        run_config c;
        run_config_defaults(&c);
        const char *refused = d->type == SET_INT ? "99999999999999999999" : "1e39";
        cr_assert_neq(setting_parse(d, &c, refused, err, sizeof err), 0, "--%s", d->flag);
        if (d->type == SET_INT) {
            expect_int_range_true(d, err);
            continue;
        }
        cr_expect_eq(takes(d, "0"), strstr(err, " 0 or a ") != NULL, "--%s and 0: %s",
                     d->flag, err);
        expect_float_end_true(d, err, "from ", -INFINITY);
        expect_float_end_true(d, err, " to ", INFINITY);
    }
}

/* Every value a run can hold reads back from its text as the same bits. */
static void expect_round_trip(const run_config *c, const char *what)
{
    char text[256], err[512];
    for (int i = 0; i < run_settings_count; i++) {
        const setting_def *d = &run_settings[i];
        run_config back;
        run_config_defaults(&back);
        setting_format(d, c, text, sizeof text);
        cr_assert_eq(setting_parse(d, &back, text, err, sizeof err), 0, "%s: --%s %s: %s", what,
                     d->flag, text, err);
        cr_assert(setting_same(d, c, &back), "%s: --%s %s read back otherwise", what, d->flag,
                  text);
        cr_assert_eq(setting_check(d, c, err, sizeof err), 0, "%s: --%s: %s", what, d->flag, err);
    }
}

Test(settings, values_read_back_as_written)
{
    run_config c;
    run_config_defaults(&c);
    expect_round_trip(&c, "the defaults");
    for (int i = 0; i < net_presets_count; i++) {
        preset_config(&c, &net_presets[i]);
        expect_round_trip(&c, net_presets[i].name);
    }
    run_config_defaults(&c);
    c.lr = FLT_MIN;
    c.momentum = FLT_MAX;
    c.weight_decay = 0.1f;
    c.beta2 = nextafterf(1.0f, 0.0f);
    c.bn_eps = 1.0f;
    c.seed = UINT64_MAX;
    c.optimizer = CNN_OPTIM_ADAMW;
    c.augment = (cnn_augment){8, 180.0f, 0.5f, 0};
    c.decay_bias = 0;
    expect_round_trip(&c, "values at their rows' limits");
}

/* What no flag could give is refused, with the flag's own words. */
Test(settings, check_refuses_what_the_flags_refuse)
{
    char err[512];
    run_config good;
    run_config_defaults(&good);
    run_config c;
#define EXPECT_REFUSED(field, value, fragment)                                                    \
    do {                                                                                         \
        c = good;                                                                                \
        c.field = value;                                                                         \
        cr_assert_neq(setting_check(SETTING(field), &c, err, sizeof err), 0, #field " = " #value \
                      " was taken");                                                             \
        cr_assert_not_null(strstr(err, fragment), #field ": %s", err);                           \
    } while (0)
    EXPECT_REFUSED(batch, 0, "--batch: expected a whole number from 1 to 16777216");
    EXPECT_REFUSED(batch, 16777217, "--batch");
    EXPECT_REFUSED(epochs, -1, "--epochs");
    EXPECT_REFUSED(lr, -0.1f, "--lr");
    EXPECT_REFUSED(lr, NAN, "--lr");
    EXPECT_REFUSED(lr, 1e-40f, "--lr"); /* a denormal */
    EXPECT_REFUSED(momentum, INFINITY, "--momentum");
    EXPECT_REFUSED(bn_eps, 0.0f, "--bn-eps");
    EXPECT_REFUSED(bn_momentum, 1.5f, "[0, 1]");
    EXPECT_REFUSED(beta1, 1.0f, "[0, 1)");
    EXPECT_REFUSED(optimizer, 7, "--optimizer");
    EXPECT_REFUSED(lr_schedule, -1, "--lr-schedule");
    EXPECT_REFUSED(decay_bias, 2, "--decay-bias");
    EXPECT_REFUSED(augment, ((cnn_augment){9, 0, 0, 0}), "--augment");
    EXPECT_REFUSED(augment, ((cnn_augment){0, 0, 0.75f, 0}), "--augment");
    EXPECT_REFUSED(val_count, 100000001, "--val");
#undef EXPECT_REFUSED
}

Test(settings, differ_names_the_first_setting_of_the_roles)
{
    run_config a, b;
    run_config_defaults(&a);
    b = a;
    cr_assert_null(settings_differ(&a, &b, SET_KEPT | SET_FIXED | SET_RECIPE | SET_HINT));
    b.epochs = 99;                      /* kept, but no part of the recipe */
    cr_assert_null(settings_differ(&a, &b, SET_RECIPE));
    cr_assert_eq(settings_differ(&a, &b, SET_KEPT), SETTING(epochs));
    b.augment.rot_deg = 1;
    cr_assert_eq(settings_differ(&a, &b, SET_RECIPE), SETTING(augment));
    b = a;
    b.lr = nextafterf(a.lr, 1.0f);      /* one ulp is another run */
    cr_assert_eq(settings_differ(&a, &b, SET_RECIPE), SETTING(lr));
}

/* ---- presets ---- */

Test(presets, override_only_what_a_preset_may_set)
{
    run_config c;
    char err[512];
    run_config_defaults(&c);
    cr_assert_eq(settings_apply(&c, "lr=0.5  lr-schedule=onecycle augment=shift:2", SET_PRESET,
                                err, sizeof err), 0, "%s", err);
    cr_assert(c.lr == 0.5f && c.lr_schedule == CNN_SCHED_ONECYCLE && c.augment.shift == 2);
    cr_assert_neq(settings_apply(&c, "data=/tmp", SET_PRESET, err, sizeof err), 0,
                  "a preset set --data");
    cr_assert_not_null(strstr(err, "\"data\""), "%s", err);
    cr_assert_neq(settings_apply(&c, "lr=fast", SET_PRESET, err, sizeof err), 0);
    cr_assert_not_null(strstr(err, "\"lr=fast\""), "%s", err);
    cr_assert_neq(settings_apply(&c, "learning-rate=0.1", SET_PRESET, err, sizeof err), 0);
    char buf[64];
    cr_assert_str_eq(settings_override("lr=0.02 momentum=0.9", "momentum", buf, sizeof buf), "0.9");
    cr_assert_null(settings_override("lr=0.02 momentum=0.9", "lr-step", buf, sizeof buf));
}

/* The presets the defaults differ by beyond test_netspec's table: cnn-bn's
 * fifth every 10 epochs, seed-cnn-99's shifts, and nothing else moved. */
Test(presets, depart_from_the_defaults_as_written)
{
    run_config d, c;
    run_config_defaults(&d);
    preset_config(&c, net_preset_find("cnn-bn"));
    cr_assert(c.lr_gamma == 0.2f && c.lr_step == 10 && c.lr == 0.02f);
    preset_config(&c, net_preset_find("seed-cnn"));
    cr_assert_null(settings_differ(&c, &d, ~0), "seed-cnn is the defaults: --%s differs",
                   settings_differ(&c, &d, ~0) ? settings_differ(&c, &d, ~0)->flag : "");
    preset_config(&c, net_preset_find("seed-cnn-99"));
    cr_assert(c.augment.shift == 1 && c.augment.rot_deg == 0 && c.lr_schedule == CNN_SCHED_COSINE);
    for (int i = 0; i < net_presets_count; i++) {
        preset_config(&c, &net_presets[i]);
        for (int k = 0; k < run_settings_count; k++)
            if (!(run_settings[k].roles & SET_PRESET))
                cr_assert(setting_same(&run_settings[k], &c, &d), "%s moved --%s",
                          net_presets[i].name, run_settings[k].flag);
    }
}

/* ---- the binary: --help, summary, the README ---- */

/* The default --help shows for flag, from its line "  --flag ARG  help
 * (default: X)", into value ("" when the line has none). */
static void help_default(const char *help, const char *flag, char *value, size_t len)
{
    char start[80];
    snprintf(start, sizeof start, "\n  --%s ", flag);
    const char *line = strstr(help, start);
    cr_assert_not_null(line, "--help has no line for --%s:\n%s", flag, help);
    const char *end = strchr(line + 1, '\n'), *def = strstr(line, "(default: ");
    value[0] = 0;
    if (def && def < end) snprintf(value, len, "%.*s", (int)(end - def - 11), def + 10);
}

/* cnn train --net P --help shows every setting's default as preset P
 * uses it, and summary --net P's preset-flags line the same values. */
Test(settings_cli, help_and_summary_show_each_presets_values, .timeout = 60)
{
    char value[256], err[512];
    for (int i = 0; i < net_presets_count; i++) {
        const net_preset *p = &net_presets[i];
        run_config want, got;
        preset_config(&want, p);
        result r;
        run_cnn(CNN_ARGV("train", "--net", p->name, "--help"), 20, &r);
        cr_assert_eq(r.status, 0, "train --net %s --help: %s", p->name, r.err);
        run_config_defaults(&got);
        for (int k = 0; k < run_settings_count; k++) {
            const setting_def *d = &run_settings[k];
            if (!(d->commands & CMD_TRAIN) || d->type == SET_TEXT) continue;
            help_default(r.out, d->flag, value, sizeof value);
            cr_assert_eq(setting_parse(d, &got, value, err, sizeof err), 0,
                         "%s: --%s's default \"%s\": %s", p->name, d->flag, value, err);
            cr_assert(setting_same(d, &got, &want), "%s --help: --%s (default: %s), the preset "
                      "uses another", p->name, d->flag, value);
        }
        result_free(&r);
        run_cnn(CNN_ARGV("summary", "--net", p->name), 20, &r);
        cr_assert_eq(r.status, 0, "summary --net %s: %s", p->name, r.err);
        const char *line = strstr(r.out, "\npreset-flags ");
        cr_assert_not_null(line, "summary --net %s prints no preset-flags line", p->name);
        for (int k = 0; k < run_settings_count; k++) {
            const setting_def *d = &run_settings[k];
            char flag[64];
            snprintf(flag, sizeof flag, " --%s ", d->flag);
            const char *at = strstr(line, flag), *eol = strchr(line + 1, '\n');
            cr_assert((d->roles & SET_PRESET) == ((at && at < eol) ? SET_PRESET : 0),
                      "summary --net %s: --%s on preset-flags is not its preset role", p->name,
                      d->flag);
            if (!at || at > eol) continue;
            snprintf(value, sizeof value, "%.*s", (int)strcspn(at + strlen(flag), " \n"),
                     at + strlen(flag));
            run_config_defaults(&got);
            cr_assert_eq(setting_parse(d, &got, value, err, sizeof err), 0, "%s", err);
            cr_assert(setting_same(d, &got, &want), "summary --net %s: --%s %s", p->name,
                      d->flag, value);
        }
        result_free(&r);
    }
}

/* The README's table of cnn train's main flags (under "### cnn train
 * flags"): each row a flag of cnn train, in --help's order, with its
 * argument as --help writes it and its default: "preset" where some preset
 * sets another, else the row's ("none" for an empty text). */
Test(settings_cli, readme_flag_table_is_the_settings_table)
{
    size_t len;
    char *readme = (char *)read_file("README.md", &len);
    char *at = strstr(readme, "\n### cnn train flags\n");
    cr_assert_not_null(at, "README.md has no '### cnn train flags' section");
    char *end = strstr(at + 1, "\n#");
    if (end) *end = 0;
    int k = 0, rows = 0;
    for (char *line = strstr(at, "\n| `--"); line; line = strstr(line + 1, "\n| `--")) {
        /* "| `--flag ARG` | default | meaning |", with "\|" in ARG */
        char cell[128], flag[64], arg[128], want[160], def[128];
        int n = (int)strcspn(line + 4, "`");
        snprintf(cell, sizeof cell, "%.*s", n, line + 4);
        for (char *p = cell, *q = cell; (*q = *p); p++) q += !(p[0] == '\\' && p[1] == '|');
        snprintf(flag, sizeof flag, "%.*s", (int)strcspn(cell + 2, " "), cell + 2);
        while (k < run_settings_count &&
               (!(run_settings[k].commands & CMD_TRAIN) || strcmp(run_settings[k].flag, flag)))
            k++;
        cr_assert_lt(k, run_settings_count, "README lists %s, which cnn train has not after "
                     "the flags before it (the order is --help's)", cell);
        const setting_def *d = &run_settings[k++];
        run_config c;
        run_config_defaults(&c);
        cli_opt o = setting_flag(d, &c);
        cli_arg_text(&o, arg, sizeof arg);
        snprintf(want, sizeof want, "--%s%s", d->flag, arg);
        cr_assert_str_eq(cell, want, "README's row of --%s", d->flag);
        const char *rest = line + 4 + n + 2;
        snprintf(def, sizeof def, "%.*s", (int)strcspn(rest + 2, "|") - 1, rest + 2);
        int by_preset = 0;
        char buf[128];
        for (int i = 0; i < net_presets_count; i++)
            by_preset |= settings_override(net_presets[i].settings, d->flag, buf, sizeof buf) != NULL;
        const char *expected = by_preset ? "preset" : *d->def ? d->def : "none";
        cr_assert_str_eq(def, expected, "README: --%s's default", d->flag);
        rows++;
    }
    cr_assert_geq(rows, 10, "README's table has only %d flags", rows);
    free(readme);
}

/* build/cnn reads none of the tests' hook variables: an interrupt "after
 * step 1" never comes, and the run finishes. */
Test(settings_cli, release_binary_has_no_test_hooks, .fini = remove_temp_dir, .timeout = 60)
{
    char dir[256];
    make_temp_dir(TEMP_NAME, dir, sizeof dir);
    write_block_digits(dir, "train", 200, 1);
    write_block_digits(dir, "t10k", 100, 2);
    const char *release = getenv("CNN_BIN") && *getenv("CNN_BIN") ? getenv("CNN_BIN") : "build/cnn";
    result r;
    setenv("CNN_TEST_SIGINT_AT_STEP", "1", 1);
    setenv("CNN_TEST_FAIL_SAVE_AT_EPOCH", "1", 1);
    run_program(release, CNN_ARGV("train", "--data", dir, "--net", "fc16,relu,fc10,softmax",
                                  "--epochs", "1", "--device", "cpu", "--log", "", "--quiet",
                                  "--save", tmp_path("m.ckpt")), 60, &r);
    unsetenv("CNN_TEST_SIGINT_AT_STEP");
    unsetenv("CNN_TEST_FAIL_SAVE_AT_EPOCH");
    cr_assert_eq(r.status, 0, "the release binary took a test hook: exit %d: %s", r.status, r.err);
    cr_assert_null(strstr(r.err, "interrupted"), "%s", r.err);
    result_free(&r);
}
