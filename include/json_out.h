/* One writer for every JSON line the commands print: strings escaped
 * (quotes, backslashes, control characters; other bytes, UTF-8 included,
 * pass through), numbers at a given precision, non-finite numbers as null.
 * Objects and arrays nest; the writer puts the commas. */
#ifndef CNN_JSON_OUT_H
#define CNN_JSON_OUT_H

#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 8

typedef struct {
    FILE *f;
    int depth;                       /* open objects and arrays, the top one included */
    char closer[JSON_MAX_DEPTH];     /* each one's closing bracket */
    char has_item[JSON_MAX_DEPTH];   /* it holds a value already: a comma comes next */
} json_out;

/* Starts the top-level object on f. */
void json_begin(json_out *j, FILE *f);
/* Closes the top-level object and ends the line. */
void json_end(json_out *j);

/* In an object key names the field; in an array it must be NULL. */
void json_object(json_out *j, const char *key);   /* opens {...} */
void json_array(json_out *j, const char *key);    /* opens [...] */
void json_close(json_out *j);                     /* closes the innermost */

void json_string(json_out *j, const char *key, const char *value);
void json_int(json_out *j, const char *key, long long value);
void json_u64(json_out *j, const char *key, uint64_t value);
/* null: a value that does not exist (a target never reached) */
void json_null(json_out *j, const char *key);
/* true (value non-zero) or false */
void json_bool(json_out *j, const char *key, int value);
/* value with this many digits after the point (%.Nf); null when not finite */
void json_decimals(json_out *j, const char *key, double value, int decimals);
/* value with this many significant digits (%.Ng); null when not finite */
void json_digits(json_out *j, const char *key, double value, int digits);

/* s as a JSON string literal, quotes and escapes included. */
void json_write_string(FILE *f, const char *s);

#endif
