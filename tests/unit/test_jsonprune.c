/*
 * Unit tests: common/jsonprune — which members and elements are cut, that everything else
 * is copied byte for byte, and that malformed text (every prefix of a document, unbalanced
 * brackets, bad tokens, deep nesting, NUL bytes) is refused with FR_ERR_DATA and an offset.
 * Inputs are copied to exact-size heap buffers so the sanitizer build catches any read
 * past the end.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonprune.h"
#include "common/mem.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const ab[] = {"a", "b"};
static const struct fr_jsonprune_rule root_ab[] = {{"", ab, 2, 0, 0}};

static const char *const deal_keys[] = {"asin", "current", "deltaPercent"};
static const struct fr_jsonprune_rule deals[] = {
    {"deals.dr[]", deal_keys, N(deal_keys), 0, 0},
    {"deals.dr[].current", NULL, 0, 2, 0},
    {"deals.dr[].deltaPercent", NULL, 0, 1, 0},
    {"deals.dr[].deltaPercent[]", NULL, 0, 1, 0},
};

/* Prunes in[0..len) from an exact-size copy; *out is the result or NULL. */
static int prune_n(const struct fr_jsonprune_rule *rules, size_t nrules, const char *in, size_t len,
                   char **out, struct fr_error *err)
{
    char *copy = fr_xmalloc(len ? len : 1);
    char *buf = fr_xmalloc(len + 1);
    size_t n = 12345;
    int rc;

    memcpy(copy, in, len);
    rc = fr_jsonprune(rules, nrules, copy, len, buf, len, &n, err);
    free(copy);
    if (rc != 0) {
        cr_assert_eq(n, 0, "no length on failure");
        free(buf);
        *out = NULL;
        return rc;
    }
    cr_assert_leq(n, len, "pruned text is never longer");
    buf[n] = '\0';
    *out = buf;
    return 0;
}

static void assert_pruned(const struct fr_jsonprune_rule *rules, size_t nrules, const char *in,
                          const char *want)
{
    struct fr_error err = {0};
    char *out;

    cr_assert_eq(prune_n(rules, nrules, in, strlen(in), &out, &err), 0, "%s: %s", in, err.msg);
    cr_assert_str_eq(out, want, "input %s\n  got %s", in, out);
    free(out);
}

static void assert_refused(const struct fr_jsonprune_rule *rules, size_t nrules, const char *in,
                           size_t len, const char *why)
{
    struct fr_error err = {0};
    char *out;

    cr_assert_eq(prune_n(rules, nrules, in, len, &out, &err), FR_ERR_DATA, "accepted: %.*s",
                 (int)len, in);
    cr_assert(strstr(err.msg, "at byte ") != NULL, "no offset: %s", err.msg);
    if (why != NULL)
        cr_assert(strstr(err.msg, why) != NULL, "%.*s: %s", (int)len, in, err.msg);
}

Test(jsonprune, keeps_listed_members)
{
    assert_pruned(root_ab, 1, "{\"a\":1,\"x\":2,\"b\":3}", "{\"a\":1,\"b\":3}");
    assert_pruned(root_ab, 1, "{\"x\":1,\"y\":2,\"b\":3}", "{\"b\":3}");
    assert_pruned(root_ab, 1, "{\"a\":1,\"x\":2,\"y\":3}", "{\"a\":1}");
    assert_pruned(root_ab, 1, "{\"x\":1,\"y\":2}", "{}");
    assert_pruned(root_ab, 1, "{\"a\":1,\"b\":2}", "{\"a\":1,\"b\":2}");
    assert_pruned(root_ab, 1, "{}", "{}");
    assert_pruned(root_ab, 1, "{\"ab\":1,\"\":2,\"A\":3}", "{}");
    /* only the root is pruned: deeper objects keep everything */
    assert_pruned(root_ab, 1, "{\"a\":{\"x\":1,\"a\":2},\"z\":0}", "{\"a\":{\"x\":1,\"a\":2}}");
    /* a root of another type is copied as it is */
    assert_pruned(root_ab, 1, " [{\"x\":1}] ", " [{\"x\":1}] ");
    assert_pruned(root_ab, 1, "\"x\"", "\"x\"");
    /* no rules: a validating copy */
    assert_pruned(NULL, 0, "{\"x\":[1,{\"y\":null}]}", "{\"x\":[1,{\"y\":null}]}");
}

Test(jsonprune, whitespace_inside_kept_text_stays)
{
    assert_pruned(root_ab, 1,
                  " {\n \"x\" : [ 1 ] ,\n \"a\" : 1 ,\n \"y\" : 2 ,\n \"b\" : { } \n} \n",
                  " {\"a\" : 1 ,\n \"b\" : { } \n} \n");
    assert_pruned(root_ab, 1, "{ \"a\" : 1 , \"y\" : 2 }", "{\"a\" : 1 }");
}

Test(jsonprune, path_to_array_elements)
{
    assert_pruned(
        deals, N(deals),
        "{\"t\":1,\"deals\":{\"n\":[{\"x\":1}],\"dr\":[{\"asin\":\"B1\",\"avg\":[[1,2],[3]],"
        "\"current\":[5,6,7,8],\"deltaPercent\":[[9,10],[11]]},5,{\"avg\":{}},[{\"x\":1}],"
        "{\"current\":{\"a\":1},\"deltaPercent\":[1,[2,3]]}]},\"x\":{\"dr\":[{\"x\":1}]}}",
        "{\"t\":1,\"deals\":{\"n\":[{\"x\":1}],\"dr\":[{\"asin\":\"B1\",\"current\":[5,6],"
        "\"deltaPercent\":[[9]]},5,{},[{\"x\":1}],{\"current\":{\"a\":1},"
        "\"deltaPercent\":[1]}]},\"x\":{\"dr\":[{\"x\":1}]}}");
    /* the path through values of other types: copied */
    assert_pruned(deals, N(deals), "{\"deals\":[{\"dr\":1}]}", "{\"deals\":[{\"dr\":1}]}");
    assert_pruned(deals, N(deals), "{\"deals\":{\"dr\":{\"x\":1}}}",
                  "{\"deals\":{\"dr\":{\"x\":1}}}");
    assert_pruned(deals, N(deals), "{\"deals\":{\"dr\":[]}}", "{\"deals\":{\"dr\":[]}}");
    /* a repeated path key is followed both times: the parser then refuses the duplicate */
    assert_pruned(deals, N(deals), "{\"deals\":{\"dr\":[{\"x\":1}],\"dr\":[{\"y\":1}]}}",
                  "{\"deals\":{\"dr\":[{}],\"dr\":[{}]}}");
}

Test(jsonprune, arrays_keep_a_prefix)
{
    static const struct fr_jsonprune_rule two[] = {{"a", NULL, 0, 2, 0}};
    static const struct fr_jsonprune_rule rows[] = {{"[]", NULL, 0, 1, 0}, {"", NULL, 0, 2, 0}};

    assert_pruned(two, 1, "{\"a\":[1,[2,3],4,{\"x\":5}]}", "{\"a\":[1,[2,3]]}");
    assert_pruned(two, 1, "{\"a\":[ 1 , 2 , 3 ]}", "{\"a\":[1 , 2 ]}");
    assert_pruned(two, 1, "{\"a\":[1,2]}", "{\"a\":[1,2]}");
    assert_pruned(two, 1, "{\"a\":[]}", "{\"a\":[]}");
    assert_pruned(two, 1, "{\"a\":{\"x\":1,\"y\":2,\"z\":3}}", "{\"a\":{\"x\":1,\"y\":2,\"z\":3}}");
    /* when two rules meet, what either cuts is cut */
    assert_pruned(rows, 2, "[[1,2],[3],[4,5],[6]]", "[[1],[3]]");
}

Test(jsonprune, rules_meeting_on_an_object)
{
    static const char *const a[] = {"a"};
    static const char *const b[] = {"b"};
    static const struct fr_jsonprune_rule both[] = {
        {"", ab, 2, 0, 0}, {"", a, 1, 0, 0}, {"", NULL, 0, 1, 0}};
    static const struct fr_jsonprune_rule none[] = {{"", a, 1, 0, 0}, {"", b, 1, 0, 0}};

    assert_pruned(both, N(both), "{\"a\":1,\"b\":2,\"c\":3}", "{\"a\":1}");
    assert_pruned(none, N(none), "{\"a\":1,\"b\":2}", "{}");
}

Test(jsonprune, dropped_values_of_every_shape)
{
    assert_pruned(root_ab, 1,
                  "{\"x\":[[1,{\"a\":[2,{}]}],[],{}],\"a\":0,\"y\":{\"b\":{\"c\":[[[]]]}},\"z\":"
                  "-0.5e+10,\"w\":1E3,\"v\":true,\"u\":false,\"t\":null,\"b\":\"\"}",
                  "{\"a\":0,\"b\":\"\"}");
}

Test(jsonprune, strings_are_opaque)
{
    /* brackets, quotes, escapes and unicode escapes inside strings, kept and dropped */
    assert_pruned(
        root_ab, 1,
        "{\"x\":\"]}\\\"[{,:\\\\\",\"a\":\"a\\u005d\\\\\\\"}\",\"y\":[\"\\\"]\",\"{\"],"
        "\"b\":\"\\/\\b\\f\\n\\r\\t\\uD83D\\uDE00\xc3\xa9\"}",
        "{\"a\":\"a\\u005d\\\\\\\"}\",\"b\":\"\\/\\b\\f\\n\\r\\t\\uD83D\\uDE00\xc3\xa9\"}");
    /* a key with an escape may decode to a kept name, so it is kept; path steps ignore it */
    assert_pruned(root_ab, 1, "{\"\\u0061\":1,\"\\u0078\":2,\"c\":3}",
                  "{\"\\u0061\":1,\"\\u0078\":2}");
    assert_pruned(deals, N(deals), "{\"d\\u0065als\":{\"dr\":[{\"x\":1}]}}",
                  "{\"d\\u0065als\":{\"dr\":[{\"x\":1}]}}");
}

Test(jsonprune, nul_bytes)
{
    static const char escaped[] = "{\"a\":\"x\\u0000y\",\"\\u0000\":1,\"c\":\"\\u0000\"}";
    static const char raw_str[] = "{\"c\":\"x\0y\",\"a\":1}";
    static const char raw_key[] = "{\"c\0\":1}";
    static const char after[] = "{\"a\":1}\0";
    static const char before[] = "\0{}";
    struct fr_error err = {0};
    char *out;

    assert_pruned(root_ab, 1, escaped, "{\"a\":\"x\\u0000y\",\"\\u0000\":1}");
    assert_refused(root_ab, 1, raw_str, sizeof(raw_str) - 1, "byte 0x00 in json at byte 7");
    assert_refused(root_ab, 1, raw_key, sizeof(raw_key) - 1, "byte 0x00");
    assert_refused(root_ab, 1, after, sizeof(after) - 1, "trailing data after json at byte 7");
    assert_refused(root_ab, 1, before, sizeof(before) - 1, "byte 0x00 in json at byte 0");
    /* length-delimited: text after a NUL past len is never looked at */
    cr_assert_eq(prune_n(root_ab, 1, "{\"a\":1}\0garbage", 7, &out, &err), 0, "%s", err.msg);
    cr_assert_str_eq(out, "{\"a\":1}");
    free(out);
}

Test(jsonprune, malformed_text)
{
    static const char *const bad[] = {
        "",
        " ",
        "{",
        "}",
        "[1,2]]",
        "{\"a\":[1,2}",
        "{\"x\":[1,2}",
        "{\"a\":1,}",
        "{\"x\":1,}",
        "[1,]",
        "{\"x\" 1}",
        "{,}",
        "{\"x\":}",
        "{\"x\":[1 2]}",
        "{\"x\":tru}",
        "{\"x\":nul}",
        "{\"x\":True}",
        "{\"x\":01}",
        "{\"x\":1.}",
        "{\"x\":.5}",
        "{\"x\":-}",
        "{\"x\":1e}",
        "{\"x\":1e+}",
        "{\"x\":+1}",
        "{\"x\":\"\\q\"}",
        "{\"x\":\"\\u12g4\"}",
        "{\"x\":\"\\u12\"}",
        "{\"x\":\"a\tb\"}",
        "{x:1}",
        "{'x':1}",
        "{} {}",
        "{}x",
        "[]]",
        "{\"x\":[}]}",
        "{\"x\":{]}",
        "{\"x\":{\"a\"}}",
        "{\"x\":{\"a\":1,}}",
        "{\"x\":[1,,2]}",
        "\xef\xbb\xbf{}",
        "{\"x\":1}/",
        "{\"x\":Infinity}",
        "{\"x\":NaN}",
    };

    for (size_t i = 0; i < N(bad); i++) {
        assert_refused(root_ab, 1, bad[i], strlen(bad[i]), NULL);
        assert_refused(deals, N(deals), bad[i], strlen(bad[i]), NULL);
    }
    assert_refused(root_ab, 1, "{\"x\":[1,2}", 10, "unexpected '}' in json at byte 9");
    assert_refused(root_ab, 1, "{\"x\":1} x", 9, "trailing data after json at byte 8");
}

/* A document with every kind of token, on and off the path; no proper prefix is JSON. */
static const char whole[] =
    "{\"deals\":{\"dr\":[{\"asin\":\"B0\\\"]}\",\"avg\":[[1,-2],[3.5e-1]],\"current\":[1,2,3],"
    "\"deltaPercent\":[[4,5],[6]],\"z\":{\"k\":[true,false,null]}},{}],\"n\":\"\\u00e9\"},"
    "\"e\" : { \"t\" : \"x\" } , \"r\":-0}";

Test(jsonprune, every_prefix_is_refused)
{
    struct fr_error err = {0};
    char *out;

    cr_assert_eq(prune_n(deals, N(deals), whole, strlen(whole), &out, &err), 0, "%s", err.msg);
    free(out);
    for (size_t len = 0; len < strlen(whole); len++) {
        assert_refused(deals, N(deals), whole, len, NULL);
        assert_refused(root_ab, 1, whole, len, NULL);
        assert_refused(NULL, 0, whole, len, NULL);
    }
}

Test(jsonprune, pruned_text_parses_to_the_pruned_tree)
{
    struct fr_error err = {0};
    char *out;
    json_t *got, *want;
    json_error_t je;

    cr_assert_eq(prune_n(deals, N(deals), whole, strlen(whole), &out, &err), 0, "%s", err.msg);
    got = json_loads(out, JSON_REJECT_DUPLICATES, &je);
    cr_assert_not_null(got, "%s: %s", out, je.text);
    want =
        json_loads("{\"deals\":{\"dr\":[{\"asin\":\"B0\\\"]}\",\"current\":[1,2],"
                   "\"deltaPercent\":[[4]]},{}],\"n\":\"\\u00e9\"},\"e\":{\"t\":\"x\"},\"r\":-0}",
                   0, NULL);
    cr_assert(json_equal(got, want), "got %s", out);
    json_decref(got);
    json_decref(want);
    free(out);
}

/* {"name":[[...0...]]} with n arrays; *len is its length. */
static char *nested(const char *name, size_t n, size_t *len)
{
    size_t k = strlen(name);
    char *s = fr_xmalloc(k + 2 * n + 8), *p = s;

    memcpy(p, "{\"", 2);
    p += 2;
    memcpy(p, name, k);
    p += k;
    memcpy(p, "\":", 2);
    p += 2;
    memset(p, '[', n);
    p += n;
    *p++ = '0';
    memset(p, ']', n);
    p += n;
    *p++ = '}';
    *p = '\0';
    *len = (size_t)(p - s);
    return s;
}

Test(jsonprune, nesting_is_bounded)
{
    static const struct fr_jsonprune_rule into[] = {{"a[][]", NULL, 0, 5, 0}};
    const char *names[] = {"a", "x"};

    for (size_t i = 0; i < N(names); i++) {
        size_t len;
        char *ok = nested(names[i], FR_JSONPRUNE_MAX_DEPTH - 1, &len);
        char *deep = nested(names[i], FR_JSONPRUNE_MAX_DEPTH, &len);
        char *huge = nested(names[i], 100000, &len);
        struct fr_error err = {0};
        char *out;

        cr_assert_eq(prune_n(into, 1, ok, strlen(ok), &out, &err), 0, "%s", err.msg);
        free(out);
        assert_refused(into, 1, deep, strlen(deep), "nested deeper than 64");
        assert_refused(root_ab, 1, deep, strlen(deep), "nested deeper than 64");
        assert_refused(into, 1, huge, len, "nested deeper than 64 at byte");
        free(ok);
        free(deep);
        free(huge);
    }
}

Test(jsonprune, bad_rules)
{
    static const char *const paths[] = {"a..b", ".a",  "a.", "a[",
                                        "a[x]", "[]a", "a]", "a.b.c.d.e.f.g.h.i"};
    struct fr_jsonprune_rule many[FR_JSONPRUNE_MAX_RULES + 1];
    struct fr_error err = {0};
    char out[4];
    size_t n;

    for (size_t i = 0; i < N(paths); i++) {
        struct fr_jsonprune_rule r = {paths[i], NULL, 0, 1, 0};
        fr_error_clear(&err);
        cr_assert_eq(fr_jsonprune(&r, 1, "{}", 2, out, sizeof(out), &n, &err), FR_ERR_USAGE, "%s",
                     paths[i]);
        cr_assert(strstr(err.msg, paths[i]) != NULL, "%s", err.msg);
    }
    for (size_t i = 0; i < N(many); i++)
        many[i] = (struct fr_jsonprune_rule){"", NULL, 0, 1, 0};
    cr_assert_eq(fr_jsonprune(many, N(many), "{}", 2, out, sizeof(out), &n, NULL), FR_ERR_USAGE);
    cr_assert_eq(fr_jsonprune(many, N(many) - 1, "{}", 2, out, sizeof(out), &n, NULL), 0);
    cr_assert_eq(fr_jsonprune(root_ab, 1, "{\"a\":1}", 7, out, sizeof(out), &n, &err),
                 FR_ERR_LIMIT);
}

/* A capture rule: each designated array becomes [] and its text is recorded in order;
 * what is not an array there is copied, other rules still apply around it. */
Test(jsonprune, capture_records_arrays_in_order)
{
    static const char *const keep[] = {"a", "b"};
    static const struct fr_jsonprune_rule rules[] = {{"", keep, 2, 0, 0}, {"a[]", NULL, 0, 0, 1}};
    const char in[] = "{\"a\":[[1, 2] ,3,[ ],{\"x\":[1]},\"[s]\"],\"b\":[[9]],\"c\":[[7]]}";
    const char *want_spans[] = {"[1, 2]", "[ ]"};
    struct fr_jsonprune_captures caps = {0};
    struct fr_error err = {0};
    char out[sizeof(in)];
    size_t n = 0;

    cr_assert_eq(fr_jsonprune_capture(rules, 2, in, strlen(in), out, strlen(in), &n, &caps, &err),
                 0, "%s", err.msg);
    out[n] = '\0';
    cr_assert_str_eq(out, "{\"a\":[[] ,3,[],{\"x\":[1]},\"[s]\"],\"b\":[[9]]}");
    cr_assert_eq(caps.n, 2);
    for (size_t i = 0; i < caps.n; i++)
        cr_assert(caps.v[i].len == strlen(want_spans[i]) &&
                      memcmp(in + caps.v[i].off, want_spans[i], caps.v[i].len) == 0,
                  "span %zu: %.*s", i, (int)caps.v[i].len, in + caps.v[i].off);

    /* a second run starts from empty; a broken captured array is refused */
    cr_assert_eq(fr_jsonprune_capture(rules, 2, "{\"a\":[[1,]]}", 12, out, 12, &n, &caps, &err),
                 FR_ERR_DATA);
    cr_assert_eq(n, 0);
    cr_assert_eq(fr_jsonprune_capture(rules, 2, "{\"a\":5}", 7, out, 7, &n, &caps, NULL), 0);
    cr_assert_eq(caps.n, 0);
    fr_jsonprune_captures_release(&caps);
    cr_assert_null(caps.v);

    /* capturing with nowhere to put it is the caller's mistake */
    memset(&err, 0, sizeof(err));
    cr_assert_eq(fr_jsonprune(rules, 2, "{\"a\":[]}", 8, out, 8, &n, &err), FR_ERR_USAGE);
    cr_assert(strstr(err.msg, "'a[]'") != NULL, "%s", err.msg);
}
