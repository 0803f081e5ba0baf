/* The JSON writer, called directly; tests/json_check.c reads back what it
 * writes. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_check.h"
#include "json_out.h"

/* What the writer wrote: begin, fill, end, into a malloc'ed string. */
#define WRITE_JSON(text, ...)                                  \
    do {                                                       \
        size_t size_;                                          \
        FILE *f_ = open_memstream(&(text), &size_);            \
        cr_assert_not_null(f_);                                \
        json_out j;                                            \
        json_begin(&j, f_);                                    \
        __VA_ARGS__;                                           \
        json_end(&j);                                          \
        fclose(f_);                                            \
    } while (0)

static void expect_valid(const char *text)
{
    size_t where = 0;
    cr_assert_eq(json_check(text, &where), 0, "invalid JSON at offset %zu: %s", where, text);
}

Test(json_out, escapes_quotes_backslashes_and_control_characters)
{
    const char *path = "/tmp/a \"quoted\" \\dir\\\n\r\t\b\f\x01\x1f/\x7f";
    char *text = NULL;
    WRITE_JSON(text, json_string(&j, "path", path));
    cr_assert_str_eq(text, "{\"path\":\"/tmp/a \\\"quoted\\\" \\\\dir\\\\\\n\\r\\t\\b\\f\\u0001"
                           "\\u001f/\x7f\"}\n");
    expect_valid(text);
    char back[256];
    cr_assert_eq(json_string_value(text, "path", back, sizeof back), 0);
    cr_assert_str_eq(back, path, "the decoded string differs from what was written");
    free(text);
}

Test(json_out, non_ascii_passes_through)
{
    char *text = NULL;
    WRITE_JSON(text, json_string(&j, "name", "donn\xc3\xa9" "es \xe2\x82\xac"));
    cr_assert_str_eq(text, "{\"name\":\"donn\xc3\xa9" "es \xe2\x82\xac\"}\n");
    free(text);
}

Test(json_out, keys_are_escaped_too)
{
    char *text = NULL;
    WRITE_JSON(text, json_int(&j, "a\"b", 1));
    cr_assert_str_eq(text, "{\"a\\\"b\":1}\n");
    expect_valid(text);
    free(text);
}

Test(json_out, non_finite_numbers_are_null)
{
    char *text = NULL;
    WRITE_JSON(text, json_decimals(&j, "nan", NAN, 4); json_decimals(&j, "inf", INFINITY, 4);
               json_digits(&j, "ninf", -INFINITY, 6); json_decimals(&j, "x", 0.5, 2));
    cr_assert_str_eq(text, "{\"nan\":null,\"inf\":null,\"ninf\":null,\"x\":0.50}\n");
    expect_valid(text);
    free(text);
}

Test(json_out, numbers_at_their_precision)
{
    char *text = NULL;
    WRITE_JSON(text, json_decimals(&j, "a", 98.91999, 4); json_digits(&j, "b", 1e-7, 6);
               json_int(&j, "c", -3); json_u64(&j, "d", UINT64_MAX));
    cr_assert_str_eq(text, "{\"a\":98.9200,\"b\":1e-07,\"c\":-3,\"d\":18446744073709551615}\n");
    expect_valid(text);
    free(text);
}

Test(json_out, nested_arrays_and_objects_get_their_commas)
{
    char *text = NULL;
    WRITE_JSON(text, json_string(&j, "out", "x"); json_array(&j, "digits");
               for (int i = 0; i < 2; i++) {
                   json_object(&j, NULL);
                   json_int(&j, "digit", i);
                   json_digits(&j, "p", 0.25, 6);
                   json_close(&j);
               } json_close(&j);
               json_array(&j, "empty"); json_close(&j); json_array(&j, "open"));
    /* json_end closes what is still open */
    cr_assert_str_eq(text, "{\"out\":\"x\",\"digits\":[{\"digit\":0,\"p\":0.25},"
                           "{\"digit\":1,\"p\":0.25}],\"empty\":[],\"open\":[]}\n");
    expect_valid(text);
    free(text);
}

/* The checker itself: it must refuse what the old hand-written lines printed. */
Test(json_check, refuses_what_is_not_json)
{
    const char *bad[] = {"{\"a\":nan}", "{\"a\":\"x\"y\"}", "{\"a\":\"x\\q\"}", "{\"a\":\"\n\"}",
                         "{\"a\":1,}", "{\"a\":01}", "{\"a\":1", "{\"a\":1} x", "[1 2]", "-",
                         "{\"a\":inf}", "{\"a\":.5}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_neq(json_check(bad[i], NULL), 0, "accepted: %s", bad[i]);
    cr_assert_eq(json_check(" {\"a\":[1,-2.5e+3,true,null,{}],\"b\":\"\\u00e9\"}\n", NULL), 0);
}
