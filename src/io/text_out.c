/* Escaped error lines and shell words; see include/text_out.h. */
#include "text_out.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Longest line print_error keeps; longer ones are cut. A line often quotes
 * a whole err buffer after a command's own words ("cnn train: --log ..."). */
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

void print_error(const char *fmt, ...)
{
    char line[PRINT_ERROR_MAX], shown[4 * PRINT_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", text_escape_controls(line, shown, sizeof shown));
}

/* Characters no common shell (sh, bash, zsh) gives a meaning in a word. */
static int shell_plain(const char *s)
{
    static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789_@%+=:,./-";
    return *s && strspn(s, plain) == strlen(s);
}

int shell_quote(const char *s, char *out, size_t len)
{
    size_t n = 0;
    if (shell_plain(s)) {
        if (strlen(s) >= len) goto too_long;
        strcpy(out, s);
        return 0;
    }
    if (len < 3) goto too_long;
    out[n++] = '\'';
    for (; *s; s++) {
        const char *piece = *s == '\'' ? "'\\''" : NULL;
        size_t k = piece ? 4 : 1;
        if (n + k + 2 > len) goto too_long; /* room for the closing quote and NUL */
        if (piece) memcpy(out + n, piece, k);
        else out[n] = *s;
        n += k;
    }
    out[n++] = '\'';
    out[n] = '\0';
    return 0;
too_long:
    if (len) *out = '\0';
    return -1;
}
