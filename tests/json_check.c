/* The tests' JSON reader; see json_check.h. */
#include "json_check.h"

#include <ctype.h>
#include <string.h>

typedef struct {
    const char *p;
    char *out;      /* where the string being read is decoded, if anywhere */
    size_t len, n;
} reader;

static const char *value(reader *r, const char *p);

static const char *space(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

static void put(reader *r, char c)
{
    if (r->out && r->n + 1 < r->len) r->out[r->n++] = c;
}

static const char *string(reader *r, const char *p)
{
    if (*p++ != '"') return NULL;
    for (; *p != '"'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20) return NULL; /* a raw control character, the end included */
        if (c != '\\') {
            put(r, (char)c);
            continue;
        }
        static const char names[] = "\"\\/bfnrt", chars[] = "\"\\/\b\f\n\r\t";
        const char *esc = *++p ? strchr(names, *p) : NULL;
        if (esc) {
            put(r, chars[esc - names]);
            continue;
        }
        if (*p != 'u') return NULL;
        unsigned code = 0;
        for (int i = 1; i <= 4; i++) {
            if (!isxdigit((unsigned char)p[i])) return NULL;
            code = code * 16 + (unsigned)(isdigit((unsigned char)p[i]) ? p[i] - '0'
                                                                      : (tolower(p[i]) - 'a' + 10));
        }
        put(r, code < 0x80 ? (char)code : '?');
        p += 4;
    }
    return p + 1;
}

static const char *digits(const char *p)
{
    if (!isdigit((unsigned char)*p)) return NULL;
    while (isdigit((unsigned char)*p)) p++;
    return p;
}

static const char *number(const char *p)
{
    if (*p == '-') p++;
    if (*p == '0') p++;
    else if (!(p = digits(p))) return NULL;
    if (*p == '.' && !(p = digits(p + 1))) return NULL;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (!(p = digits(p))) return NULL;
    }
    return p;
}

/* [v, v, ...] or {"k": v, ...} */
static const char *members(reader *r, const char *p, char close, int keyed)
{
    p = space(p + 1);
    if (*p == close) return p + 1;
    for (;;) {
        if (keyed) {
            if (!(p = string(r, p))) return NULL;
            p = space(p);
            if (*p++ != ':') return NULL;
        }
        if (!(p = value(r, space(p)))) return NULL;
        p = space(p);
        if (*p == close) return p + 1;
        if (*p++ != ',') return NULL;
        p = space(p);
    }
}

static const char *value(reader *r, const char *p)
{
    r->p = p;
    if (*p == '{') return members(r, p, '}', 1);
    if (*p == '[') return members(r, p, ']', 0);
    if (*p == '"') return string(r, p);
    if (!strncmp(p, "true", 4)) return p + 4;
    if (!strncmp(p, "false", 5)) return p + 5;
    if (!strncmp(p, "null", 4)) return p + 4;
    return number(p);
}

int json_check(const char *text, size_t *where)
{
    reader r = {text, NULL, 0, 0};
    const char *end = value(&r, space(text));
    if (end && !*space(end)) return 0;
    if (where) *where = (size_t)((end ? end : r.p) - text);
    return -1;
}

int json_string_value(const char *text, const char *key, char *out, size_t len)
{
    if (json_check(text, NULL) || *(text = space(text)) != '{' || !len) return -1;
    const char *p = space(text + 1);
    char name[256];
    while (*p == '"') {
        reader r = {p, name, sizeof name, 0};
        p = space(string(&r, p)) + 1; /* past the ':' */
        name[r.n] = '\0';
        p = space(p);
        reader v = {p, out, len, 0};
        const char *end = value(&v, p);
        if (!strcmp(name, key)) {
            out[v.n] = '\0';
            return *p == '"' ? 0 : -1;
        }
        p = space(space(end) + 1); /* past the ',' */
    }
    return -1;
}
