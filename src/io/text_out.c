/* Escaped error lines and shell words; see include/text_out.h. */
#include "text_out.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest line print_error formats on the stack; a longer one is formatted
 * again in memory of its size. A line often quotes a whole err buffer after
 * a command's own words ("cnn train: --log ..."). */
#define PRINT_ERROR_MAX 8192
_Static_assert(PRINT_ERROR_MAX > ERR_LINE_MAX + 256, "print_error cuts an ERR_LINE_MAX message");

char *text_escape_controls(const char *s, char *out, size_t len)
{
    size_t n = 0;
    if (!len) return out;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[5] = {(char)*p, 0};
        if (*p == '\n') strcpy(esc, "\\n");
        else if (*p == '\r') strcpy(esc, "\\r");
        else if (*p == '\t') strcpy(esc, "\\t");
        else if (*p < 0x20 || *p == 0x7f) snprintf(esc, sizeof esc, "\\x%02x", *p);
        size_t k = strlen(esc);
        if (n + k >= len) break;
        memcpy(out + n, esc, k);
        n += k;
    }
    out[n] = '\0';
    return out;
}

const char *text_shown(const char *s)
{
    static char shown[4][4 * 4096 + 1]; /* (any path, each byte as \xNN) */
    static int next;
    char *out = shown[next++ % 4];
    return text_escape_controls(s, out, sizeof shown[0]);
}

void print_error(const char *fmt, ...)
{
    char line[PRINT_ERROR_MAX], shown[4 * PRINT_ERROR_MAX];
    char *text = line, *out = shown, *big = NULL, *big_out = NULL;
    size_t out_len = sizeof shown;
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* a longer line (an interrupt's command naming long paths) is kept whole:
     * cut short, that command could not be pasted; cut only without memory */
    if (n >= (int)sizeof line && (big = malloc((size_t)n + 1)) &&
        (big_out = malloc(4 * (size_t)n + 1))) {
        vsnprintf(big, (size_t)n + 1, fmt, again);
        text = big;
        out = big_out;
        out_len = 4 * (size_t)n + 1;
    }
    va_end(again);
    fprintf(stderr, "%s\n", text_escape_controls(text, out, out_len));
    free(big);
    free(big_out);
}

/* Characters no common shell (sh, bash, zsh) gives a meaning in a word
 * ('=' only where it does not start it: zsh reads "=x" as command x's path). */
static int shell_plain(const char *s)
{
    static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789_@%+=:,./-";
    return *s && *s != '=' && strspn(s, plain) == strlen(s);
}

/* Whether s holds a byte an error line would escape (a control character). */
static int has_controls(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return 1;
    return 0;
}

/* One byte of s inside $'...': an escape bash reads back as that byte. */
static void ansi_c_piece(unsigned char c, char piece[5])
{
    if (c == '\n') strcpy(piece, "\\n");
    else if (c == '\t') strcpy(piece, "\\t");
    else if (c == '\r') strcpy(piece, "\\r");
    else if (c == '\\' || c == '\'') snprintf(piece, 5, "\\%c", c);
    else if (c < 0x20 || c == 0x7f) snprintf(piece, 5, "\\x%02x", c);
    else piece[0] = (char)c, piece[1] = '\0';
}

/* s as opening, then each byte as piece() writes it, then closing. */
static int quote_with(const char *s, const char *opening, void (*piece)(unsigned char, char[5]),
                      char *out, size_t len)
{
    size_t n = strlen(opening);
    if (n + 2 > len) goto too_long;
    memcpy(out, opening, n);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char bytes[5];
        piece(*p, bytes);
        size_t k = strlen(bytes);
        if (n + k + 2 > len) goto too_long; /* room for the closing quote and NUL */
        memcpy(out + n, bytes, k);
        n += k;
    }
    out[n++] = '\'';
    out[n] = '\0';
    return 0;
too_long:
    if (len) *out = '\0';
    return -1;
}

/* One byte of s inside '...': itself, and ' as '\''. */
static void single_quote_piece(unsigned char c, char piece[5])
{
    if (c == '\'') strcpy(piece, "'\\''");
    else piece[0] = (char)c, piece[1] = '\0';
}

int shell_quote(const char *s, char *out, size_t len)
{
    if (shell_plain(s)) {
        if (strlen(s) >= len) {
            if (len) *out = '\0';
            return -1;
        }
        strcpy(out, s);
        return 0;
    }
    /* a control character would be escaped by the error line that shows the
     * word, changing it: $'...' carries it as an escape the shell reads */
    if (has_controls(s)) return quote_with(s, "$'", ansi_c_piece, out, len);
    return quote_with(s, "'", single_quote_piece, out, len);
}
