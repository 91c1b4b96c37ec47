/*
 * Unit tests: backoff with jitter, buffers with caps, PostgreSQL array literals, JSON
 * helpers, log format and secret masking, error context rules.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/backoff.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "common/pgarray.h"

Test(backoff, ceiling_doubles_and_caps)
{
    cr_assert_eq(fr_backoff_ceiling(100, 5000, 0), 100);
    cr_assert_eq(fr_backoff_ceiling(100, 5000, 1), 200);
    cr_assert_eq(fr_backoff_ceiling(100, 5000, 5), 3200);
    cr_assert_eq(fr_backoff_ceiling(100, 5000, 6), 5000);
    cr_assert_eq(fr_backoff_ceiling(100, 5000, 1000), 5000);
}

Test(backoff, full_jitter_stays_in_range_and_spreads)
{
    uint64_t rng = 42;
    int64_t lo = 1 << 30, hi = -1;

    for (int i = 0; i < 10000; i++) {
        int64_t d = fr_backoff_delay(100, 5000, 4, &rng);
        cr_assert(d >= 0 && d <= 1600, "delay %lld out of [0,1600]", (long long)d);
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    cr_assert(lo < 100 && hi > 1500, "jitter does not spread: %lld..%lld", (long long)lo,
              (long long)hi);
}

Test(backoff, seeded_is_repeatable_and_reset_restarts)
{
    struct fr_backoff a, b;

    fr_backoff_init(&a, 10, 1000, 7);
    fr_backoff_init(&b, 10, 1000, 7);
    for (int i = 0; i < 20; i++)
        cr_assert_eq(fr_backoff_next(&a), fr_backoff_next(&b));
    cr_assert_eq(a.attempt, 20);
    fr_backoff_reset(&a);
    cr_assert_eq(a.attempt, 0);
    cr_assert(fr_backoff_next(&a) <= 10);
}

Test(buf, grows_and_refuses_past_max)
{
    struct fr_buf b;

    fr_buf_init(&b, 10);
    cr_assert_eq(fr_buf_puts(&b, "hello"), 0);
    cr_assert_eq(fr_buf_printf(&b, "%d", 12345), 0);
    cr_assert_str_eq(fr_buf_str(&b), "hello12345");
    cr_assert_eq(fr_buf_putc(&b, 'x'), FR_ERR_LIMIT);
    cr_assert_str_eq(fr_buf_str(&b), "hello12345", "content unchanged after refusal");
    fr_buf_release(&b);
    cr_assert_str_eq(fr_buf_str(&b), "");
}

Test(buf, json_string_escaping)
{
    struct fr_buf b;

    fr_buf_init(&b, 0);
    fr_buf_put_json_str(&b, "a\"b\\c\n\x01é");
    cr_assert_str_eq(fr_buf_str(&b), "\"a\\\"b\\\\c\\u000a\\u0001é\"");
    fr_buf_release(&b);
}

Test(pgarray, strings_quoted_and_escaped_exactly)
{
    struct fr_pgarr a;
    char big[5000];

    fr_pgarr_open(&a);
    fr_pgarr_str(&a, "plain");
    fr_pgarr_str(&a, "");
    fr_pgarr_str(&a, NULL);
    fr_pgarr_str(&a, "NULL");
    fr_pgarr_str(&a, "a\"b\\c,{d}");
    fr_pgarr_str(&a, "\"");
    fr_pgarr_str(&a, "\\\\");
    cr_assert_str_eq(fr_pgarr_close(&a),
                     "{\"plain\",\"\",NULL,\"NULL\",\"a\\\"b\\\\c,{d}\",\"\\\"\","
                     "\"\\\\\\\\\"}");
    fr_buf_release(&a.buf);

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    big[2500] = '"';
    fr_pgarr_open(&a);
    fr_pgarr_str(&a, big);
    fr_pgarr_close(&a);
    cr_assert_eq(a.buf.len, sizeof(big) - 1 + 1 + 4); /* one escape, two quotes, braces */
    cr_assert_eq(a.buf.data[2 + 2500], '\\');
    fr_buf_release(&a.buf);
}

Test(pgarray, integers_and_booleans)
{
    struct fr_pgarr a;

    fr_pgarr_open(&a);
    fr_pgarr_int(&a, 0);
    fr_pgarr_int(&a, -1);
    fr_pgarr_int(&a, 1234567890123LL);
    fr_pgarr_int(&a, INT64_MAX);
    fr_pgarr_int(&a, INT64_MIN);
    fr_pgarr_bool(&a, 1);
    fr_pgarr_bool(&a, 0);
    cr_assert_str_eq(fr_pgarr_close(&a), "{0,-1,1234567890123,9223372036854775807,"
                                         "-9223372036854775808,t,f}");
    fr_buf_release(&a.buf);
}

Test(json, typed_getters_name_the_field)
{
    json_t *v;
    const char *s;
    int64_t i;
    json_t *arr;
    struct fr_error err = {0};
    const char *doc = "{\"asin\":\"B000000001\",\"n\":3,\"title\":5,\"csv\":[1,2]}";

    cr_assert_eq(fr_json_parse(doc, strlen(doc), &v, NULL), 0);
    cr_assert_eq(fr_json_get_str(v, "asin", &s, NULL), 0);
    cr_assert_str_eq(s, "B000000001");
    cr_assert_eq(fr_json_get_int(v, "n", &i, NULL), 0);
    cr_assert_eq(i, 3);
    cr_assert_eq(fr_json_get_array(v, "csv", &arr, NULL), 0);
    cr_assert_eq(json_array_size(arr), 2);
    cr_assert_eq(fr_json_get_str(v, "title", &s, &err), FR_ERR_DATA);
    cr_assert_str_eq(err.msg, "field 'title' must be a string");
    fr_error_clear(&err);
    cr_assert_eq(fr_json_get_int(v, "missing", &i, &err), FR_ERR_NOTFOUND);
    cr_assert_str_eq(err.msg, "missing field 'missing'");
    cr_assert_str_eq(fr_json_str_or(v, "title", "dflt"), "dflt");
    cr_assert_eq(fr_json_int_or(v, "asin", -2), -2);
    json_decref(v);
}

Test(json, parse_errors_and_duplicates)
{
    json_t *v = NULL;
    struct fr_error err = {0};

    cr_assert_eq(fr_json_parse("{\"a\":", 5, &v, &err), FR_ERR_DATA);
    cr_assert(strstr(err.msg, "invalid json") != NULL);
    cr_assert_null(v);
    cr_assert_eq(fr_json_parse("{\"a\":1,\"a\":2}", 13, &v, NULL), FR_ERR_DATA);
}

Test(json, canonical_hash_ignores_key_order)
{
    json_t *a, *b, *c;
    char ha[17], hb[17], hc[17];

    fr_json_parse("{\"x\":1,\"y\":[1,2]}", 17, &a, NULL);
    fr_json_parse("{\"y\":[1,2],\"x\":1}", 17, &b, NULL);
    fr_json_parse("{\"y\":[2,1],\"x\":1}", 17, &c, NULL);
    fr_json_hash(a, ha, NULL);
    fr_json_hash(b, hb, NULL);
    fr_json_hash(c, hc, NULL);
    cr_assert_str_eq(ha, hb);
    cr_assert_str_neq(ha, hc);
    cr_assert_eq(strlen(ha), 16);
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

/* fr_json_hash_without must give the bytes of the copy-and-delete it replaces: stored
 * content hashes are compared with new ones across versions. */
Test(json, hash_without_equals_hash_of_copy_less_members)
{
    static const char *const docs[] = {
        ("{\"zeta\":1,\"alpha\":{\"b\":[1,2.5,null],\"a\":\"x\\\"y\"},\"seller\":{\"id\":\"A\"},"
         "\"mid\":true,\"last_update\":\"2026\",\"analysis\":{}}"),
        "{\"seller\":null}",
        "{}",
        "{\"k\\ney\":1,\"last_update\":2,\"\u00e9t\u00e9\":\"\u00fc\"}",
        "[1,2,3]"};
    static const char *const skip[] = {"last_update", "analysis", "seller"};

    for (size_t d = 0; d < sizeof(docs) / sizeof(docs[0]); d++) {
        json_t *v = NULL, *copy;
        char want[17], got[17];

        cr_assert_eq(fr_json_parse(docs[d], strlen(docs[d]), &v, NULL), 0, "%s", docs[d]);
        copy = json_deep_copy(v);
        for (size_t i = 0; json_is_object(copy) && i < 3; i++)
            json_object_del(copy, skip[i]);
        cr_assert_eq(fr_json_hash(copy, want, NULL), 0);
        cr_assert_eq(fr_json_hash_without(v, skip, 3, got, NULL), 0);
        cr_assert_str_eq(got, want, "doc %zu: %s", d, docs[d]);
        json_decref(copy);
        json_decref(v);
    }
}

/* A random JSON value for the writer tests: every kind, nested, strings with what needs
 * escaping, UTF-8 and keys out of order, numbers at their edges. */
static uint64_t rnd_state = 88172645463325252ull;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

static json_t *rnd_string(int key)
{
    static const char *const bits[] = {"a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\x01",
                                       "\x1f", "\x7f", "\xc3\xa9", "\xe2\x82\xac",
                                       "\xf0\x9f\x98\x80", "price_", "\b", "\f", "\r"};
    static char b[8192];
    /* now and then a long one: a record's text runs past any first allocation */
    size_t n = key ? rnd() % 6 + 1 : rnd() % 50 == 0 ? 1000 + rnd() % 500 : rnd() % 6;

    b[0] = '\0';
    for (size_t i = 0; i < n; i++)
        strcat(b, bits[rnd() % (sizeof(bits) / sizeof(bits[0]))]);
    return json_string(b);
}

static json_t *rnd_value(int depth)
{
    static const double reals[] = {0.1,    -0.0,   1.5,     4.3,   123456789.123, 1e21,
                                   1e-7,   5e-324, 1e300,   -2.5e-300, 100.0, 0.30000000000000004,
                                   3.14159265358979, 1e15, 1e16, 1e17};
    switch (rnd() % (depth > 3 ? 6 : 8)) {
    case 0:
        return json_integer((json_int_t)(rnd() % 2000000) - 1000000);
    case 1:
        return json_integer(rnd() % 3 == 0 ? INT64_MIN : rnd() % 2 ? INT64_MAX : 0);
    case 2:
        return json_real(reals[rnd() % (sizeof(reals) / sizeof(reals[0]))] *
                         (rnd() % 2 ? 1 : -1));
    case 3:
        return rnd_string(0);
    case 4:
        return rnd() % 3 == 0 ? json_true() : rnd() % 2 ? json_false() : json_null();
    case 5:
        return json_real((double)(rnd() % 100000) / 7.0);
    case 6: {
        json_t *a = json_array();
        for (size_t i = rnd() % 5; i > 0; i--)
            json_array_append_new(a, rnd_value(depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (size_t i = rnd() % 7; i > 0; i--) {
            json_t *k = rnd_string(1);
            json_object_set_new(o, json_string_value(k), rnd_value(depth + 1));
            json_decref(k);
        }
        return o;
    }
    }
}

/* The writer must give jansson's bytes: payload texts and content hashes are compared
 * with those stored by earlier versions. */
Test(json, writer_writes_what_jansson_writes)
{
    for (int t = 0; t < 3000; t++) {
        json_t *v = rnd_value(0);
        int prec = t % 3 == 0 ? 15 : t % 3 == 1 ? 17 : 0;
        char *mine = fr_json_dump_compact(v, prec);
        char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
                                       JSON_REAL_PRECISION(prec ? prec : 17));
        char *canon = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
        uint64_t h = 0xcbf29ce484222325ull;
        char hex[17], got[17];

        cr_assert_not_null(want);
        cr_assert_str_eq(mine, want, "value %d", t);
        for (const char *c = canon; *c; c++) {
            h ^= (unsigned char)*c;
            h *= 0x100000001b3ull;
        }
        snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)h);
        cr_assert_eq(fr_json_hash(v, got, NULL), 0);
        cr_assert_str_eq(got, hex, "value %d: %s", t, canon);
        free(mine);
        free(want);
        free(canon);
        json_decref(v);
    }
}

Test(err, first_error_wins_and_prefix)
{
    struct fr_error err = {0};

    cr_assert_eq(fr_error_set(&err, FR_ERR_IO, "connect to '%s': refused", "h:1"), FR_ERR_IO);
    fr_error_set(&err, FR_ERR_USAGE, "later");
    cr_assert_eq(err.code, FR_ERR_IO);
    fr_error_prefix(&err, "start-up");
    cr_assert_str_eq(err.msg, "start-up: connect to 'h:1': refused");
    cr_assert_eq(fr_err_exit_status(FR_ERR_USAGE), 2);
    cr_assert_eq(fr_err_exit_status(FR_ERR_IO), 1);
    cr_assert_eq(fr_err_exit_status(0), 0);
    cr_assert_eq(fr_error_set(NULL, FR_ERR_IO, "x"), FR_ERR_IO);
}

static char *capture_log(int format, void (*emit)(void))
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    fr_log_init("freshet-test", FR_LOG_INFO, format);
    fr_log_set_stream(f);
    emit();
    fr_log_set_stream(NULL);
    fclose(f);
    fr_log_reset();
    return text;
}

static void emit_secret(void)
{
    fr_log_add_secret("KEEPA-SECRET-123");
    fr_log_set_global("worker", "w1");
    log_info_kv(FR_KV("url", "https://api/x?key=KEEPA-SECRET-123", "id", "B0"), "got %s",
                "KEEPA-SECRET-123");
    log_debug("hidden debug line");
}

Test(log, json_lines_mask_secrets)
{
    char *out = capture_log(FR_LOG_JSON, emit_secret);
    json_t *v;

    cr_assert(strstr(out, "KEEPA-SECRET-123") == NULL, "secret leaked: %s", out);
    cr_assert(strstr(out, "hidden debug") == NULL, "debug printed at info level");
    cr_assert_eq(fr_json_parse(out, strlen(out), &v, NULL), 0, "not one json object: %s", out);
    cr_assert_str_eq(fr_json_str_or(v, "level", ""), "info");
    cr_assert_str_eq(fr_json_str_or(v, "program", ""), "freshet-test");
    cr_assert_str_eq(fr_json_str_or(v, "worker", ""), "w1");
    cr_assert_str_eq(fr_json_str_or(v, "id", ""), "B0");
    cr_assert_not_null(json_object_get(v, "ts"));
    json_decref(v);
    free(out);
}

static void emit_text(void)
{
    log_warn_kv(FR_KV("addr", "h:1", "why", "two words"), "redis down");
}

Test(log, text_format)
{
    char *out = capture_log(FR_LOG_TEXT, emit_text);

    cr_assert(strstr(out, " warn  freshet-test: redis down addr=h:1 why=\"two words\"\n") !=
                  NULL, "%s", out);
    free(out);
}
