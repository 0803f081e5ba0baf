/* Text shown to people: error lines that stay one line whatever a flag's
 * value holds, paths on stdout escaped the same way, and paths written as
 * shell words. */
#ifndef CNN_TEXT_OUT_H
#define CNN_TEXT_OUT_H

#include <stddef.h>

/* s with every control character (bytes below 0x20, and 0x7f) written as an
 * escape: \n, \r, \t, else \xNN; other bytes as they are. Writes at most len
 * bytes to out, NUL included (a longer text is cut short); returns out. */
char *text_escape_controls(const char *s, char *out, size_t len);

/* s escaped as text_escape_controls does it, for a path printed on stdout
 * (a banner, a "wrote FILE" line): in one of 4 static buffers used in turn,
 * so that one printf may show a few; a path longer than PATH_MAX is cut. */
const char *text_shown(const char *s);

/* fmt, formatted, as one line on stderr: the control characters that values
 * bring in (a newline in --net) are escaped, and a newline ends it. The
 * line is whole however long it is (cut only when memory runs out). */
void print_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The size of a buffer for one error line that a function writes for its
 * caller (the char *err, size_t errlen pairs): room for a path of PATH_MAX
 * (4096) bytes, what the path buffers here hold, and some 300 bytes of
 * words around it. A line naming two paths ("<path>: the folder <dir> does
 * not exist", "<flag> <path>: its lock file <path>.lock keeps changing")
 * fits while they are of ordinary length; two paths near 4096 bytes each
 * are cut short (snprintf), never overflowed. */
#define ERR_LINE_MAX 4400

/* Room for any path (PATH_MAX, 4096) as a shell word: each byte at most 4
 * ('\'' or \xNN), and $'...' around them. */
#define SHELL_WORD_MAX (4 * 4096 + 4)

/* s as one shell word, for a command line the user may paste: as it is when
 * no shell treats any of its characters specially; in $'...' (bash, zsh,
 * ksh) with \n, \t, \r, \xNN, \\ and \' when it holds a control character
 * (so that the error line showing it leaves it as it is); else in single
 * quotes with each ' written as '\''. Returns 0, or -1 when it does not fit
 * in len bytes (out then holds "" ). */
int shell_quote(const char *s, char *out, size_t len);

#endif
