/* The JSON writer; see include/json_out.h. */
#include "json_out.h"

#include <math.h>

void json_write_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        case '\b': fputs("\\b", f); break;
        case '\f': fputs("\\f", f); break;
        default:
            if (*p < 0x20) fprintf(f, "\\u%04x", *p);
            else fputc(*p, f);
        }
    }
    fputc('"', f);
}

/* The comma before an item, and its key in an object. */
static void item(json_out *j, const char *key)
{
    if (j->has_item[j->depth - 1]) fputc(',', j->f);
    j->has_item[j->depth - 1] = 1;
    if (key) {
        json_write_string(j->f, key);
        fputc(':', j->f);
    }
}

static void open_nested(json_out *j, const char *key, char opener, char closer)
{
    item(j, key);
    fputc(opener, j->f);
    /* deeper than JSON_MAX_DEPTH would be a caller's bug: stay in bounds */
    if (j->depth < JSON_MAX_DEPTH) {
        j->closer[j->depth] = closer;
        j->has_item[j->depth++] = 0;
    }
}

void json_begin(json_out *j, FILE *f)
{
    j->f = f;
    j->depth = 1;
    j->closer[0] = '}';
    j->has_item[0] = 0;
    fputc('{', f);
}

void json_end(json_out *j)
{
    while (j->depth > 1) json_close(j);
    fputs("}\n", j->f);
    j->depth = 0;
}

void json_object(json_out *j, const char *key) { open_nested(j, key, '{', '}'); }
void json_array(json_out *j, const char *key) { open_nested(j, key, '[', ']'); }

void json_close(json_out *j)
{
    if (j->depth > 1) fputc(j->closer[--j->depth], j->f);
}

void json_string(json_out *j, const char *key, const char *value)
{
    item(j, key);
    json_write_string(j->f, value);
}

void json_int(json_out *j, const char *key, long long value)
{
    item(j, key);
    fprintf(j->f, "%lld", value);
}

void json_u64(json_out *j, const char *key, uint64_t value)
{
    item(j, key);
    fprintf(j->f, "%llu", (unsigned long long)value);
}

void json_null(json_out *j, const char *key)
{
    item(j, key);
    fputs("null", j->f);
}

void json_bool(json_out *j, const char *key, int value)
{
    item(j, key);
    fputs(value ? "true" : "false", j->f);
}

/* JSON has no NaN or infinity: null says the number is missing. */
static void number(json_out *j, const char *key, double value, int precision, int significant)
{
    item(j, key);
    if (isfinite(value)) fprintf(j->f, significant ? "%.*g" : "%.*f", precision, value);
    else fputs("null", j->f);
}

void json_decimals(json_out *j, const char *key, double value, int decimals)
{
    number(j, key, value, decimals, 0);
}

void json_digits(json_out *j, const char *key, double value, int digits)
{
    number(j, key, value, digits, 1);
}
