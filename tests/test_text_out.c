/* Escaped error lines and shell words, called directly; sh reads the words. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include <stdio.h>
#include <string.h>

#include "text_out.h"

Test(text_out, control_characters_are_escaped)
{
    char out[64];
    cr_assert_str_eq(text_escape_controls("a\nb\tc\rd\x1b[0m\x7f" "e\\f \xc3\xa9", out, sizeof out),
                     "a\\nb\\tc\\rd\\x1b[0m\\x7f" "e\\f \xc3\xa9");
    /* cut short, never in the middle of an escape */
    cr_assert_str_eq(text_escape_controls("ab\ncd", out, 4), "ab");
    cr_assert_str_eq(text_escape_controls("abcdef", out, 4), "abc");
}

Test(text_out, an_error_is_one_line_whatever_its_values_hold, .init = cr_redirect_stderr)
{
    print_error("cnn x: --net: unknown network \"%s\"", "mlp\n3\r\x1b");
    fflush(stderr);
    cr_assert_stderr_eq_str("cnn x: --net: unknown network \"mlp\\n3\\r\\x1b\"\n");
}

/* A line naming a long path three times (an interrupt's "checkpoint written
 * to P; continue with: cnn train --resume P --save P") is printed whole: cut
 * short, the command it ends with could not be pasted. */
Test(text_out, a_long_error_is_not_cut, .init = cr_redirect_stderr)
{
    static char path[3001], want[6 * 3001 + 64];
    memset(path, 'd', 3000);
    path[1000] = '\n';
    print_error("x %s; --resume %s --save %s", path, path, path);
    fflush(stderr);
    path[1000] = 0;
    snprintf(want, sizeof want, "x %s\\n%s; --resume %s\\n%s --save %s\\n%s\n", path,
             path + 1001, path, path + 1001, path, path + 1001);
    cr_assert_stderr_eq_str(want);
}

/* Paths on stdout are shown as error lines show them; one printf may show
 * four. */
Test(text_out, paths_on_stdout_are_escaped)
{
    const char *a = text_shown("run\n1"), *b = text_shown("x\ty"), *c = text_shown("plain"),
               *d = text_shown("\x1b");
    cr_assert_str_eq(a, "run\\n1");
    cr_assert_str_eq(b, "x\\ty");
    cr_assert_str_eq(c, "plain");
    cr_assert_str_eq(d, "\\x1b");
}

/* ---- shell words ---- */

/* What sh makes of the word: the one argument it passes to printf. */
static void expect_shell_reads(const char *word, const char *want)
{
    char cmd[1024], got[512] = "";
    snprintf(cmd, sizeof cmd, "printf '%%s' %s", word);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(got, 1, sizeof got - 1, p);
    got[n] = '\0';
    cr_assert_eq(pclose(p), 0, "sh failed on: %s", cmd);
    cr_assert_str_eq(got, want, "sh read the word %s as \"%s\"", word, got);
}

Test(shell_quote, plain_words_stay_as_they_are)
{
    char out[64];
    cr_assert_eq(shell_quote("runs/run-1_a.ckpt", out, sizeof out), 0);
    cr_assert_str_eq(out, "runs/run-1_a.ckpt");
    cr_assert_eq(shell_quote("data/mnist", out, sizeof out), 0);
    cr_assert_str_eq(out, "data/mnist");
    cr_assert_eq(shell_quote("a=b", out, sizeof out), 0); /* (= only matters first, in zsh) */
    cr_assert_str_eq(out, "a=b");
}

Test(shell_quote, spaces_quotes_and_specials_are_quoted)
{
    const char *paths[] = {"my run.ckpt", "it's", "a'b'c", "$HOME/x", "*", "a;b", "`x`",
                           "~/r", "a\"b\\c", "", "!x", "\xc3\xa9", "=x.ckpt"};
    /* (zsh expands a word that starts with =: "=x" is the path of command x) */
    const char *want[] = {"'my run.ckpt'", "'it'\\''s'", "'a'\\''b'\\''c'", "'$HOME/x'", "'*'",
                          "'a;b'", "'`x`'", "'~/r'", "'a\"b\\c'", "''", "'!x'", "'\xc3\xa9'",
                          "'=x.ckpt'"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        char out[64];
        cr_assert_eq(shell_quote(paths[i], out, sizeof out), 0);
        cr_assert_str_eq(out, want[i], "%s", paths[i]);
        expect_shell_reads(out, paths[i]);
    }
}

/* What bash makes of the word (sh need not know $'...'): the word goes to
 * bash -c through the environment, untouched by sh. */
static void expect_bash_reads(const char *word, const char *want)
{
    char cmd[1024], got[512] = "";
    snprintf(cmd, sizeof cmd, "printf '%%s' %s", word);
    cr_assert_eq(setenv("CNN_TEST_WORD_CMD", cmd, 1), 0);
    FILE *p = popen("bash -c \"$CNN_TEST_WORD_CMD\"", "r");
    cr_assert_not_null(p);
    size_t n = fread(got, 1, sizeof got - 1, p);
    got[n] = '\0';
    cr_assert_eq(pclose(p), 0, "bash failed on: %s", cmd);
    cr_assert_str_eq(got, want, "bash read the word %s as \"%s\"", word, got);
}

/* A control character would be escaped by the error line that shows the
 * word: $'...' carries it as an escape instead, with \\ and \' for the two
 * characters that are special there. */
Test(shell_quote, control_characters_go_in_dollar_quotes)
{
    const char *paths[] = {"a\tb", "runs/a\nb.ckpt", "it's\n", "back\\slash\r", "\x1b[0m x",
                           "\x7f\xc3\xa9\x01" "9"};
    const char *want[] = {"$'a\\tb'", "$'runs/a\\nb.ckpt'", "$'it\\'s\\n'", "$'back\\\\slash\\r'",
                          "$'\\x1b[0m x'", "$'\\x7f\xc3\xa9\\x019'"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        char out[64];
        cr_assert_eq(shell_quote(paths[i], out, sizeof out), 0);
        cr_assert_str_eq(out, want[i], "%s", paths[i]);
        expect_bash_reads(out, paths[i]);
    }
}

Test(shell_quote, too_small_a_buffer_fails)
{
    char out[8];
    cr_assert_eq(shell_quote("abcdefgh", out, sizeof out), -1);
    cr_assert_str_eq(out, "");
    cr_assert_eq(shell_quote("a b c d", out, sizeof out), -1);
    cr_assert_eq(shell_quote("a b c", out, sizeof out), 0);
    cr_assert_str_eq(out, "'a b c'");
}
