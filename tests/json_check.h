/* A strict JSON reader for the tests: whether a line is one valid JSON
 * value (RFC 8259 grammar), and a top-level string field decoded. */
#ifndef CNN_JSON_CHECK_H
#define CNN_JSON_CHECK_H

#include <stddef.h>

/* 0 when text is exactly one JSON value (whitespace around it allowed), else
 * -1 with the offset of the first error in *where (when where is not NULL). */
int json_check(const char *text, size_t *where);

/* The string value of the field key of the JSON object text, its escapes
 * decoded (\uXXXX only below 0x80, as the tests need), into out; -1 when
 * text is no valid object, has no such field, or it is no string. */
int json_string_value(const char *text, const char *key, char *out, size_t len);

#endif
