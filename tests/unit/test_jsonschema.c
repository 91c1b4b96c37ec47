/*
 * Unit tests: the JSON Schema subset — loading (unknown keywords refused), each kind of
 * violation with its path, and the embedded keepa schemas.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "common/jsonschema.h"

static struct fr_schema *parse(const char *text)
{
    struct fr_schema *s;
    struct fr_error err = {0};

    cr_assert_eq(fr_schema_parse("test", text, &s, &err), 0, "%s", err.msg);
    return s;
}

/* Validates JSON text v against schema text; returns the message ("" when valid). */
static const char *check(const char *schema, const char *v)
{
    static char msg[FR_ERROR_MSG_MAX];
    struct fr_schema *s = parse(schema);
    struct fr_error err = {0};
    json_error_t je;
    json_t *j = json_loads(v, JSON_DECODE_ANY, &je);
    int rc;

    cr_assert_not_null(j, "%s: %s", v, je.text);
    rc = fr_schema_validate(s, j, &err);
    cr_assert_eq(rc, err.code);
    cr_assert(rc == 0 || rc == FR_ERR_DATA);
    memcpy(msg, err.msg, sizeof(msg));
    json_decref(j);
    fr_schema_free(s);
    return msg;
}

static void load_fails(const char *text, const char *want)
{
    struct fr_schema *s = (void *)1;
    struct fr_error err = {0};

    cr_assert_eq(fr_schema_parse("bad", text, &s, &err), FR_ERR_DATA, "%s accepted", text);
    cr_assert_null(s);
    cr_assert(strstr(err.msg, want) != NULL, "'%s' lacks '%s'", err.msg, want);
}

Test(jsonschema, load_refuses_what_it_cannot_apply)
{
    load_fails("{\"oneOf\":[]}", "/: 'oneOf' is not a supported keyword");
    load_fails("{\"properties\":{\"a\":{\"type\":\"string\",\"minLenght\":1}}}",
               "/properties/a: 'minLenght' is not a supported keyword");
    load_fails("{\"items\":{\"$ref\":\"#\"}}", "/items: '$ref'");
    load_fails("{\"type\":\"float\"}", "unknown type");
    load_fails("{\"type\":[]}", "'type' must be");
    load_fails("{\"pattern\":\"([a-z\"}", "not a valid POSIX extended regex");
    load_fails("{\"additionalProperties\":{}}", "'additionalProperties' must be a boolean");
    load_fails("{\"format\":\"email\"}", "only date-time");
    load_fails("{\"minLength\":-1}", "non-negative integer");
    load_fails("{\"maximum\":\"5\"}", "must be a number");
    load_fails("{\"required\":[1]}", "list of names");
    load_fails("{\"enum\":[]}", "non-empty list");
    load_fails("{\"properties\":{\"a\":5}}", "/properties/a: a schema must be an object");
    load_fails("[]", "a schema must be an object");
    load_fails("{\"type\":", "invalid json");
    load_fails("{\"type\":\"string\",\"type\":\"null\"}", "invalid json");
}

Test(jsonschema, load_embedded)
{
    struct fr_schema *s;
    struct fr_error err = {0};

    cr_assert_eq(fr_schema_load("keepa_product", &s, &err), 0, "%s", err.msg);
    fr_schema_free(s);
    cr_assert_eq(fr_schema_load("keepa_deal", &s, &err), 0, "%s", err.msg);
    fr_schema_free(s);
    cr_assert_eq(fr_schema_load("no_such_schema", &s, &err), FR_ERR_NOTFOUND);
    cr_assert_null(s);
    cr_assert(strstr(err.msg, "'no_such_schema'") != NULL);
}

Test(jsonschema, types)
{
    cr_assert_str_empty(check("{\"type\":\"integer\"}", "3"));
    cr_assert_str_empty(check("{\"type\":\"integer\"}", "3.0"), "no fraction is an integer");
    cr_assert_str_eq(check("{\"type\":\"integer\"}", "3.5"), "/: must be integer");
    cr_assert_str_empty(check("{\"type\":\"number\"}", "3"));
    cr_assert_str_eq(check("{\"type\":\"number\"}", "\"3\""), "/: must be number");
    cr_assert_str_eq(check("{\"type\":[\"integer\",\"null\"]}", "\"x\""),
                     "/: must be integer or null");
    cr_assert_str_empty(check("{\"type\":[\"integer\",\"null\"]}", "null"));
    cr_assert_str_eq(check("{\"type\":\"boolean\"}", "0"), "/: must be boolean");
    cr_assert_str_eq(check("{\"type\":\"object\"}", "[]"), "/: must be object");
    cr_assert_str_eq(check("{\"type\":\"array\"}", "{}"), "/: must be array");
    cr_assert_str_eq(check("{\"type\":\"null\"}", "false"), "/: must be null");
}

Test(jsonschema, objects_and_paths)
{
    const char *sc = "{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"a\"],"
                     "\"properties\":{\"a\":{\"type\":\"object\",\"required\":[\"b\"],"
                     "\"properties\":{\"b\":{\"type\":[\"integer\",\"null\"]}}},"
                     "\"x/y~z\":{\"type\":\"string\"}}}";

    cr_assert_str_empty(check(sc, "{\"a\":{\"b\":1}}"));
    cr_assert_str_eq(check(sc, "{}"), "/a: required property missing");
    cr_assert_str_eq(check(sc, "{\"a\":{}}"), "/a/b: required property missing");
    cr_assert_str_eq(check(sc, "{\"a\":{\"b\":\"1\"}}"), "/a/b: must be integer or null");
    cr_assert_str_eq(check(sc, "{\"a\":{\"b\":1},\"c\":1}"), "/c: property not allowed");
    cr_assert_str_eq(check(sc, "{\"a\":{\"b\":1},\"x/y~z\":1}"), "/x~1y~0z: must be string");
    /* additionalProperties defaults to allowed */
    cr_assert_str_empty(check(sc, "{\"a\":{\"b\":1,\"other\":[]}}"));
}

Test(jsonschema, items)
{
    const char *sc = "{\"type\":\"array\",\"items\":{\"type\":\"integer\",\"minimum\":0}}";

    cr_assert_str_empty(check(sc, "[]"));
    cr_assert_str_empty(check(sc, "[0,1,2]"));
    cr_assert_str_eq(check(sc, "[0,\"1\"]"), "/1: must be integer");
    cr_assert_str_eq(check(sc, "[0,1,-2]"), "/2: must be >= 0");
}

Test(jsonschema, enums)
{
    const char *sc = "{\"enum\":[\"up\",\"down\",null,1]}";

    cr_assert_str_empty(check(sc, "\"up\""));
    cr_assert_str_empty(check(sc, "null"));
    cr_assert_str_empty(check(sc, "1"));
    cr_assert_str_eq(check(sc, "\"sideways\""), "/: must be one of [\"up\",\"down\",null,1]");
}

Test(jsonschema, bounds)
{
    const char *sc = "{\"minimum\":1,\"maximum\":12}";

    cr_assert_str_empty(check(sc, "1"));
    cr_assert_str_empty(check(sc, "12"));
    cr_assert_str_empty(check(sc, "\"not a number: bounds do not apply\""));
    cr_assert_str_eq(check(sc, "0"), "/: must be >= 1");
    cr_assert_str_eq(check(sc, "12.5"), "/: must be <= 12");
    cr_assert_str_eq(check("{\"maximum\":9007199254740992}", "9007199254740993"),
                     "/: must be <= 9007199254740992", "integers compare exactly");
}

Test(jsonschema, lengths_count_code_points)
{
    const char *sc = "{\"minLength\":2,\"maxLength\":3}";

    cr_assert_str_empty(check(sc, "\"ab\""));
    cr_assert_str_empty(check(sc, "\"é🚀x\""), "3 code points, 8 bytes");
    cr_assert_str_eq(check(sc, "\"🚀\""), "/: must be at least 2 characters");
    cr_assert_str_eq(check(sc, "\"éééé\""), "/: must be at most 3 characters");
}

Test(jsonschema, patterns)
{
    const char *asin = "{\"pattern\":\"^[A-Z0-9]{10}$\"}";

    cr_assert_str_empty(check(asin, "\"B000000001\""));
    cr_assert_str_eq(check(asin, "\"b000000001\""), "/: must match pattern '^[A-Z0-9]{10}$'");
    cr_assert_str_eq(check(asin, "\"B0000000011\""), "/: must match pattern '^[A-Z0-9]{10}$'");
    /* unanchored as written, like JSON Schema */
    cr_assert_str_empty(check("{\"pattern\":\"b+\"}", "\"abbc\""));
    cr_assert_str_eq(check("{\"pattern\":\"b+\"}", "\"ac\""), "/: must match pattern 'b+'");
}

Test(jsonschema, date_time)
{
    static const char *good[] = {"\"2026-01-02T03:04:05Z\"", "\"2024-02-29T00:00:00Z\"",
                                 "\"2026-01-02T03:04:05.123Z\"", "\"2016-12-31T23:59:60Z\""};
    static const char *bad[] = {
        "\"2026-01-02 03:04:05Z\"",      "\"2026-01-02T03:04:05\"",
        "\"2026-01-02T03:04:05+01:00\"", "\"2026-02-30T00:00:00Z\"",
        "\"2025-02-29T00:00:00Z\"",      "\"2100-02-29T00:00:00Z\"",
        "\"2026-13-01T00:00:00Z\"",      "\"2026-00-10T00:00:00Z\"",
        "\"2026-01-02T24:00:00Z\"",      "\"2026-01-02T03:60:00Z\"",
        "\"2026-01-02T03:04:05.Z\"",     "\"2026-01-02T03:04:05Zx\"",
        "\"26-01-02T03:04:05Z\"",        "\"\"",
    };
    const char *sc = "{\"format\":\"date-time\"}";

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        cr_assert_str_empty(check(sc, good[i]), "%s", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert(strstr(check(sc, bad[i]), "must be a UTC date-time") != NULL, "%s", bad[i]);
}

Test(jsonschema, keepa_product_paths)
{
    struct fr_schema *s;
    struct fr_error err = {0};
    json_error_t je;
    json_t *p = json_load_file("tests/data/keepa/product_normal.expected.json", 0, &je);

    cr_assert_not_null(p, "%s", je.text);
    cr_assert_eq(fr_schema_load("keepa_product", &s, &err), 0, "%s", err.msg);
    cr_assert_eq(fr_schema_validate(s, p, &err), 0, "%s", err.msg);

    json_object_set_new(json_object_get(p, "analysis"), "avg90", json_string("x"));
    cr_assert_eq(fr_schema_validate(s, p, &err), FR_ERR_DATA);
    cr_assert_str_eq(err.msg, "/analysis/avg90: must be integer or null");

    fr_error_clear(&err);
    json_object_set_new(json_object_get(p, "analysis"), "avg90", json_null());
    json_array_append_new(json_object_get(p, "categories"), json_string("7"));
    cr_assert_eq(fr_schema_validate(s, p, &err), FR_ERR_DATA);
    cr_assert_str_eq(err.msg, "/categories/3: must be integer");

    fr_error_clear(&err);
    json_array_remove(json_object_get(p, "categories"), 3);
    json_object_set_new(p, "last_update", json_string("yesterday"));
    cr_assert_eq(fr_schema_validate(s, p, &err), FR_ERR_DATA);
    cr_assert(strstr(err.msg, "/last_update: must be a UTC date-time") == err.msg, "%s", err.msg);

    fr_error_clear(&err);
    json_object_set_new(p, "last_update", json_null());
    json_object_del(p, "seller");
    cr_assert_eq(fr_schema_validate(s, p, &err), FR_ERR_DATA);
    cr_assert_str_eq(err.msg, "/seller: required property missing");

    json_decref(p);
    fr_schema_free(s);
}

Test(jsonschema, utf8_length)
{
    cr_assert_eq(fr_utf8_length("", 0), 0);
    cr_assert_eq(fr_utf8_length("abc", 3), 3);
    cr_assert_eq(fr_utf8_length("\xe2\x82\xac", 3), 1);      /* € */
    cr_assert_eq(fr_utf8_length("\xf0\x9f\x9a\x80", 4), 1);  /* 🚀 */
    cr_assert_eq(fr_utf8_length("a\0b", 3), 3);              /* NUL is valid UTF-8 */
    cr_assert_eq(fr_utf8_length("\xc0\x80", 2), -1);         /* overlong */
    cr_assert_eq(fr_utf8_length("\xe0\x80\x80", 3), -1);     /* overlong */
    cr_assert_eq(fr_utf8_length("\xed\xa0\x80", 3), -1);     /* surrogate */
    cr_assert_eq(fr_utf8_length("\xf4\x90\x80\x80", 4), -1); /* above U+10FFFF */
    cr_assert_eq(fr_utf8_length("\xe2\x82", 2), -1);         /* truncated */
    cr_assert_eq(fr_utf8_length("\x80", 1), -1);             /* lone continuation */
    cr_assert_eq(fr_utf8_length("\xc3\x28", 2), -1);         /* bad continuation */
}
