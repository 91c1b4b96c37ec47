/*
 * Unit tests: path expressions — every form of the grammar, each refusal with its
 * position and reason, evaluation (single values, [*] matches, records) and id text.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "common/jsonpath.h"

static const char doc_text[] =
    "{\"a\":{\"b\":1,\"c\":{\"d\":\"deep\"}},"
    "\"items\":[{\"id\":1,\"n\":\"x\"},{\"id\":\"2\"},{\"x\":3}],"
    "\"arr\":[10,20],\"x-y\":5,\"0\":\"zero\",\"with space\":\"s\",\"it's\":\"q\","
    "\"\xc3\xbc\":\"u\",\"nul\":null,"
    "\"data\":{\"children\":[{\"data\":{\"name\":\"t3_a\"}},{\"data\":{\"name\":\"t3_b\"}}]}}";

static json_t *doc(void)
{
    json_error_t je;
    json_t *d = json_loads(doc_text, 0, &je);

    cr_assert_not_null(d, "%s", je.text);
    return d;
}

static struct fr_jpath *compile(const char *text)
{
    struct fr_jpath *p = NULL;
    struct fr_error err = {0};

    cr_assert_eq(fr_jpath_compile(text, &p, &err), 0, "'%s': %s", text, err.msg);
    cr_assert_str_eq(fr_jpath_text(p), text);
    return p;
}

/* The value at text in doc, dumped compactly ("absent" when there is none). */
static void expect_get(json_t *d, const char *text, const char *want)
{
    struct fr_jpath *p = compile(text);
    json_t *v = fr_jpath_get(p, d);
    char *got = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS) : NULL;

    cr_expect_str_eq(got ? got : "absent", want, "%s", text);
    free(got);
    fr_jpath_free(p);
}

static void refused(const char *text, const char *want)
{
    struct fr_jpath *p = (void *)1;
    struct fr_error err = {0};

    cr_assert_eq(fr_jpath_compile(text, &p, &err), FR_ERR_USAGE, "'%s' accepted", text);
    cr_assert_null(p);
    cr_expect_str_eq(err.msg, want, "'%s'", text);
}

Test(jsonpath, member_index_and_quoted_forms)
{
    json_t *d = doc();
    struct fr_jpath *root;

    expect_get(d, "$.a.b", "1");
    expect_get(d, "$.a.c.d", "\"deep\"");
    expect_get(d, "$.arr[1]", "20");
    expect_get(d, "$.items[0].n", "\"x\"");
    expect_get(d, "$['x-y']", "5");
    expect_get(d, "$.x-y", "5");
    expect_get(d, "$[\"with space\"]", "\"s\"");
    expect_get(d, "$['it\\'s']", "\"q\"");
    expect_get(d, "$.0", "\"zero\"");
    expect_get(d, "$.\xc3\xbc", "\"u\"");
    expect_get(d, "$.nul", "null");
    root = compile("$");
    cr_expect_eq(fr_jpath_get(root, d), d, "$ is the whole document");
    fr_jpath_free(root);
    json_decref(d);
}

Test(jsonpath, absent_and_mismatched_steps_match_nothing)
{
    json_t *d = doc();
    struct fr_jpath *p;

    expect_get(d, "$.missing", "absent");
    expect_get(d, "$.a.b.c", "absent");     /* a member of a number */
    expect_get(d, "$.arr[2]", "absent");    /* past the end */
    expect_get(d, "$.a[0]", "absent");      /* an index of an object */
    expect_get(d, "$.arr.x", "absent");     /* a member of an array */
    expect_get(d, "$.a[*]", "absent");      /* [*] walks arrays only */
    expect_get(d, "$.nul.x", "absent");
    p = compile("$.a");
    cr_expect_null(fr_jpath_get(p, NULL));
    fr_jpath_free(p);
    json_decref(d);
}

static int collect(json_t *v, void *arg)
{
    json_array_append(arg, v);
    return 0;
}

static char *matches(json_t *d, const char *text, int records)
{
    struct fr_jpath *p = compile(text);
    json_t *all = json_array();
    char *s;

    if (records)
        fr_jpath_records(p, d, collect, all);
    else
        fr_jpath_each(p, d, collect, all);
    s = json_dumps(all, JSON_COMPACT);
    json_decref(all);
    fr_jpath_free(p);
    return s;
}

static void expect_matches(json_t *d, const char *text, int records, const char *want)
{
    char *got = matches(d, text, records);

    cr_expect_str_eq(got, want, "%s (%s)", text, records ? "records" : "each");
    free(got);
}

Test(jsonpath, wildcards_give_every_match_in_order)
{
    struct fr_jpath *p;
    json_t *d = doc(), *top;
    json_error_t je;

    expect_matches(d, "$.items[*].id", 0, "[1,\"2\"]");
    expect_matches(d, "$.arr[*]", 0, "[10,20]");
    expect_matches(d, "$.data.children[*].data.name", 0, "[\"t3_a\",\"t3_b\"]");
    expect_matches(d, "$.missing[*]", 0, "[]");
    expect_matches(d, "$.a.b", 0, "[1]");
    expect_matches(d, "$.missing", 0, "[]");
    p = compile("$.items[*].id");
    cr_expect(fr_jpath_is_multi(p));
    fr_jpath_free(p);
    p = compile("$.items[0].id");
    cr_expect(!fr_jpath_is_multi(p));
    fr_jpath_free(p);
    /* a top-level array and nested wildcards */
    top = json_loads("[[1,2],[3],[]]", 0, &je);
    expect_matches(top, "$[*]", 0, "[[1,2],[3],[]]");
    expect_matches(top, "$[*][*]", 0, "[1,2,3]");
    expect_get(top, "$[*][*]", "1");
    json_decref(top);
    json_decref(d);
}

Test(jsonpath, records_spread_an_array_and_take_an_object_whole)
{
    json_t *d = doc();

    expect_matches(d, "$.items", 1, "[{\"id\":1,\"n\":\"x\"},{\"id\":\"2\"},{\"x\":3}]");
    expect_matches(d, "$.items[*]", 1, "[{\"id\":1,\"n\":\"x\"},{\"id\":\"2\"},{\"x\":3}]");
    expect_matches(d, "$.data.children[*].data", 1, "[{\"name\":\"t3_a\"},{\"name\":\"t3_b\"}]");
    expect_matches(d, "$.a.c", 1, "[{\"d\":\"deep\"}]");
    expect_matches(d, "$.missing", 1, "[]");
    expect_matches(d, "$.nul", 1, "[]");
    expect_matches(d, "$.a.b", 1, "[1]");
    json_decref(d);
}

static int stop_at_second(json_t *v, void *arg)
{
    (void)v;
    return ++*(int *)arg == 2 ? 7 : 0;
}

Test(jsonpath, a_callback_stops_the_walk)
{
    json_t *d = doc();
    struct fr_jpath *each = compile("$.arr[*]"), *records = compile("$.items");
    int n = 0;

    cr_expect_eq(fr_jpath_each(each, d, stop_at_second, &n), 7);
    cr_expect_eq(n, 2);
    n = 0;
    cr_expect_eq(fr_jpath_records(records, d, stop_at_second, &n), 7);
    cr_expect_eq(n, 2);
    fr_jpath_free(each);
    fr_jpath_free(records);
    json_decref(d);
}

Test(jsonpath, value_is_null_when_absent_and_an_array_for_wildcards)
{
    json_t *d = doc();
    struct {
        const char *path, *want;
    } cases[] = {
        {"$.a.b", "1"},          {"$.missing", "null"}, {"$.items[*].id", "[1,\"2\"]"},
        {"$.missing[*]", "[]"}, {"$.a.c", "{\"d\":\"deep\"}"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fr_jpath *p = compile(cases[i].path);
        json_t *v = fr_jpath_value(p, d);
        char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

        cr_expect_str_eq(s, cases[i].want, "%s", cases[i].path);
        free(s);
        json_decref(v);
        fr_jpath_free(p);
    }
    json_decref(d);
}

Test(jsonpath, bad_paths_name_the_position_and_the_reason)
{
    char longer[FR_JPATH_MAX_LEN + 8], many[200] = "$", want[300];

    refused("", "a path must not be empty");
    refused("a.b", "'a.b' at character 1: a path starts with '$'");
    refused("$.", "'$.' at character 3: a name must follow '.'");
    refused("$.a..b", "'$.a..b' at character 5: '..' (recursive descent) is not supported");
    refused("$.*", "'$.*' at character 3: write [*] for every element, not .*");
    refused("$x", "'$x' at character 2: '.' or '[' expected");
    refused("$.a b", "'$.a b' at character 4: spaces are not allowed");
    refused("$[", "'$[' at character 3: '[' must be followed by an index, '*' or a quoted name");
    refused("$[*", "'$[*' at character 4: ']' must follow '[*'");
    refused("$[-1]", "'$[-1]' at character 3: negative indexes are not supported");
    refused("$[01]", "'$[01]' at character 3: an index has no leading zero");
    refused("$[1:2]", "'$[1:2]' at character 4: slices and unions are not supported");
    refused("$[1,2]", "'$[1,2]' at character 4: slices and unions are not supported");
    refused("$[1", "'$[1' at character 4: ']' must follow the index");
    refused("$[1234567890]", "'$[1234567890]' at character 12: index too large");
    refused("$['a]", "'$['a]' at character 6: the quoted name is not closed");
    refused("$['a'", "'$['a'' at character 6: ']' must follow the quoted name");
    refused("$['a\\n']", "'$['a\\n']' at character 6: only \\\\, \\' and \\\" are escapes in a "
                         "quoted name");
    refused("$['a\tb']", "'$['a\tb']' at character 5: a control character in a quoted name");
    memset(longer, 'a', sizeof(longer) - 1);
    longer[0] = '$';
    longer[1] = '.';
    longer[sizeof(longer) - 1] = '\0';
    refused(longer, "a path may have at most 256 characters");
    for (int i = 0; i < FR_JPATH_MAX_SEGMENTS + 1; i++)
        memcpy(many + 1 + 2 * i, ".a", 3);
    /* the 33rd name ends at index 66: the refusal points just after it */
    snprintf(want, sizeof(want), "'%s' at character 68: more than 32 segments", many);
    refused(many, want);
}

Test(jsonpath, the_largest_path_compiles)
{
    char many[200] = "$";

    for (int i = 0; i < FR_JPATH_MAX_SEGMENTS; i++)
        memcpy(many + 1 + 3 * i, "[0]", 4);
    fr_jpath_free(compile(many));
    fr_jpath_free(compile("$[999999999]"));
}

static void id_is(const char *json, const char *want)
{
    json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
    char out[64];
    struct fr_error err = {0};

    cr_assert_not_null(v, "%s", json);
    cr_expect_eq(fr_jpath_id_text(v, out, sizeof(out), &err), 0, "%s: %s", json, err.msg);
    cr_expect_str_eq(out, want, "%s", json);
    json_decref(v);
}

static void id_refused(const char *json, size_t n, int code, const char *want)
{
    json_t *v = json ? json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL) : NULL;
    char out[64];
    struct fr_error err = {0};

    cr_expect_eq(fr_jpath_id_text(v, out, n, &err), code, "%s", json ? json : "NULL");
    cr_expect_str_eq(err.msg, want, "%s", json ? json : "NULL");
    json_decref(v);
}

Test(jsonpath, ids_are_strings_or_the_decimal_text_of_numbers)
{
    id_is("\"B00TEST\"", "B00TEST");
    id_is("\"t3_abc\"", "t3_abc");
    id_is("42", "42");
    id_is("-7", "-7");
    id_is("1296269", "1296269");
    id_is("9007199254740993", "9007199254740993"); /* integers stay exact */
    id_is("1000.0", "1000");
    id_is("1e3", "1000");
    id_refused("1.5", 64, FR_ERR_DATA, "id is a number with a fraction (1.5)");
    id_refused("1e300", 64, FR_ERR_DATA, "id is a number too large to be exact (1e+300)");
    id_refused("true", 64, FR_ERR_DATA, "id must be a string or a number, not a boolean");
    id_refused("null", 64, FR_ERR_DATA, "id must be a string or a number, not null");
    id_refused("{\"a\":1}", 64, FR_ERR_DATA, "id must be a string or a number, not an object");
    id_refused("[1]", 64, FR_ERR_DATA, "id must be a string or a number, not an array");
    id_refused(NULL, 64, FR_ERR_DATA, "id is absent");
    id_refused("\"\"", 64, FR_ERR_DATA, "id is an empty string");
    id_refused("\"a\\nb\"", 64, FR_ERR_DATA, "id holds a control character");
    id_refused("\"a\\u0000b\"", 64, FR_ERR_DATA, "id holds a control character");
    id_refused("\"abcd\"", 4, FR_ERR_LIMIT, "id is longer than 3 bytes");
    id_refused("12345", 4, FR_ERR_LIMIT, "id is longer than 3 bytes");
}
