/*
 * Unit tests: Keepa response parsing against the golden files in tests/data/keepa/
 * (envelope, /product normalization, /deal, /seller) and against malformed input.
 * Tests run from the repository root; nothing is written to disk.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/jsonschema.h"
#include "common/mem.h"
#include "common/sources/keepa.h"
#include "common/sources/keepa_analysis.h"

#define DATA "tests/data/keepa/"
#define L 7889760LL /* keepa minute of 2026-01-01T00:00Z, lastUpdate of the golden file */
#define MS(m) (((m) + 21564000LL) * 60000LL)

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct fr_buf b;
    char chunk[4096];
    size_t n;

    cr_assert_not_null(f, "cannot open %s (tests run from the repository root)", path);
    fr_buf_init(&b, 0);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fr_buf_append(&b, chunk, n);
    fclose(f);
    return fr_buf_detach(&b, len);
}

static json_t *load(const char *path)
{
    size_t len;
    char *s = slurp(path, &len);
    json_error_t je;
    json_t *j = json_loadb(s, len, 0, &je);

    cr_assert_not_null(j, "%s: %s", path, je.text);
    free(s);
    return j;
}

static char *canonical(const json_t *v)
{
    struct fr_buf b;

    fr_buf_init(&b, 0);
    cr_assert_eq(fr_json_dump_canonical(v, &b, NULL), 0);
    return fr_buf_detach(&b, NULL);
}

static void assert_valid(const char *schema, const json_t *v)
{
    struct fr_schema *s;
    struct fr_error err = {0};

    cr_assert_eq(fr_schema_load(schema, &s, &err), 0, "%s", err.msg);
    cr_assert_eq(fr_schema_validate(s, v, &err), 0, "%s", err.msg);
    fr_schema_free(s);
}

/* Parses a /product body holding the single entry `entry` (JSON text) into *p. */
static void parse_one(const char *entry, struct fr_keepa_product *p)
{
    char *body = fr_xasprintf("{\"refillRate\":20,\"tokensLeft\":5,\"products\":[%s]}", entry);
    struct fr_keepa_product *all;
    struct fr_error err = {0};
    size_t n;

    cr_assert_eq(fr_keepa_parse_products(body, strlen(body), NULL, &all, &n, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(n, 1);
    *p = all[0];
    free(all); /* p owns the payload now */
    free(body);
}

/* The golden file's first product, edited by the caller, parsed into *p. */
static void parse_edited_normal(void (*edit)(json_t *), struct fr_keepa_product *p)
{
    json_t *root = load(DATA "product_3.json");
    json_t *prod = json_array_get(json_object_get(root, "products"), 0);
    char *text;

    if (edit != NULL)
        edit(prod);
    text = json_dumps(prod, JSON_COMPACT);
    parse_one(text, p);
    free(text);
    json_decref(root);
}

/* ---- envelope ------------------------------------------------------------------- */

Test(keepa_envelope, product_response)
{
    json_t *root = load(DATA "product_3.json");
    struct fr_keepa_envelope env;

    cr_assert_eq(fr_keepa_parse_envelope(root, &env, NULL), 0);
    cr_assert_eq(env.timestamp, 1767225612345LL);
    cr_assert_eq(env.tokens_left, 1187);
    cr_assert_eq(env.refill_in, 41322);
    cr_assert_eq(env.refill_rate, 20);
    cr_assert_eq(env.tokens_consumed, 3);
    cr_assert_eq(env.processing_ms, 87);
    cr_assert(env.has_tokens);
    cr_assert_str_empty(env.error_type);
    json_decref(root);
}

Test(keepa_envelope, error_400_has_no_tokens)
{
    size_t len;
    char *body = slurp(DATA "error_400.json", &len);
    struct fr_keepa_envelope env;
    struct fr_keepa_product *p = (void *)1;
    struct fr_error err = {0};
    size_t n = 9;

    cr_assert_eq(fr_keepa_parse_products(body, len, &env, &p, &n, &err), FR_ERR_DATA);
    cr_assert_null(p);
    cr_assert_eq(n, 0);
    cr_assert_not(env.has_tokens, "all-zero token fields must not count");
    cr_assert_str_eq(env.error_type, "invalidParameter");
    cr_assert(strncmp(env.error_message, "You used an invalid parameter", 29) == 0);
    cr_assert(strstr(err.msg, "invalidParameter") != NULL, "%s", err.msg);
    free(body);
}

Test(keepa_envelope, error_429_keeps_tokens)
{
    json_t *root = load(DATA "error_429.json");
    struct fr_keepa_envelope env;

    cr_assert_eq(fr_keepa_parse_envelope(root, &env, NULL), 0);
    cr_assert(env.has_tokens);
    cr_assert_eq(env.tokens_left, 0);
    cr_assert_eq(env.refill_in, 38205);
    cr_assert_eq(env.refill_rate, 20);
    cr_assert_eq(env.timestamp, 1594177158252LL);
    json_decref(root);
}

Test(keepa_envelope, tolerant_and_typed)
{
    struct fr_keepa_envelope env;
    struct fr_error err = {0};
    json_t *j = json_loads("{\"tokensLeft\":-7,\"refillRate\":5,\"tokenFlowReduction\":0.25,"
                           "\"error\":\"plain text\"}",
                           0, NULL);

    cr_assert_eq(fr_keepa_parse_envelope(j, &env, NULL), 0);
    cr_assert_eq(env.tokens_left, -7);
    cr_assert_float_eq(env.token_flow_reduction, 0.25, 1e-12);
    cr_assert_str_eq(env.error_message, "plain text");
    cr_assert(env.has_tokens);
    json_decref(j);

    j = json_loads("{}", 0, NULL);
    cr_assert_eq(fr_keepa_parse_envelope(j, &env, NULL), 0);
    cr_assert_not(env.has_tokens);
    cr_assert_eq(env.tokens_left, 0);
    json_decref(j);

    j = json_loads("{\"tokensLeft\":\"many\"}", 0, NULL);
    cr_assert_eq(fr_keepa_parse_envelope(j, &env, &err), FR_ERR_DATA);
    cr_assert(strstr(err.msg, "'tokensLeft'") != NULL, "%s", err.msg);
    json_decref(j);

    fr_error_clear(&err);
    j = json_loads("{\"tokenFlowReduction\":\"x\"}", 0, NULL);
    cr_assert_eq(fr_keepa_parse_envelope(j, &env, &err), FR_ERR_DATA);
    cr_assert(strstr(err.msg, "'tokenFlowReduction'") != NULL, "%s", err.msg);
    json_decref(j);

    fr_error_clear(&err);
    j = json_loads("{\"error\":{\"type\":3}}", 0, NULL);
    cr_assert_eq(fr_keepa_parse_envelope(j, &env, &err), FR_ERR_DATA);
    cr_assert(strstr(err.msg, "'error.type'") != NULL, "%s", err.msg);
    json_decref(j);
}

/* ---- /product golden ------------------------------------------------------------ */

Test(keepa_product, golden_three_products)
{
    size_t len, n;
    char *body = slurp(DATA "product_3.json", &len), *got, *want;
    struct fr_keepa_envelope env;
    struct fr_keepa_product *p;
    struct fr_error err = {0};
    json_t *expected = load(DATA "product_normal.expected.json");

    cr_assert_eq(fr_keepa_parse_products(body, len, &env, &p, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 3);
    cr_assert_eq(env.tokens_consumed, 3);

    /* the normal product: payload equals the golden file */
    cr_assert_eq(p[0].status, FR_KEEPA_OK, "%s", p[0].reason);
    cr_assert_str_eq(p[0].asin, "B07XJ8C8F5");
    got = canonical(p[0].payload);
    want = canonical(expected);
    cr_assert_str_eq(got, want);
    free(got);
    free(want);
    assert_valid("keepa_product", p[0].payload);
    cr_assert_eq(p[0].price_amazon, 1800);
    cr_assert_eq(p[0].price_new, 1750);
    cr_assert_eq(p[0].sales_rank, 1234);
    cr_assert_str_eq(p[0].buybox_seller_id, "A1B2C3D4E5F6G7");
    cr_assert_eq(p[0].observed_at_ms, MS(L - 2 * 1440)); /* newest: sales rank at day -2 */
    cr_assert_eq(p[0].seed_interval_s, 5 * 86400);       /* see test_keepa_analysis.c */
    cr_assert_eq(strlen(p[0].content_hash), 16);

    /* productType 4 */
    cr_assert_eq(p[1].status, FR_KEEPA_INVALID);
    cr_assert_str_eq(p[1].asin, "B00INVALID");
    cr_assert_null(p[1].payload);
    cr_assert(strstr(p[1].reason, "productType 4") != NULL, "%s", p[1].reason);

    /* -1 prices, null series, triplets */
    cr_assert_eq(p[2].status, FR_KEEPA_OK, "%s", p[2].reason);
    cr_assert_str_eq(p[2].asin, "0123456789");
    cr_assert_eq(p[2].price_amazon, -1);
    cr_assert_eq(p[2].price_new, -1);
    cr_assert_eq(p[2].sales_rank, -1);
    cr_assert_str_empty(p[2].buybox_seller_id);
    assert_valid("keepa_product", p[2].payload);
    {
        const json_t *pl = p[2].payload, *a = json_object_get(pl, "analysis");
        cr_assert(json_is_null(json_object_get(pl, "price_amazon")));
        cr_assert(json_is_null(json_object_get(pl, "price_new")));
        cr_assert(json_is_null(json_object_get(pl, "sales_rank")));
        cr_assert(json_is_null(json_object_get(pl, "image")));
        cr_assert(json_is_null(json_object_get(pl, "brand")));
        /* csv[18] triplet: newest price 1099 + shipping 450 */
        cr_assert_eq(json_integer_value(json_object_get(pl, "price_buybox")), 1549);
        /* Amazon never had an offer, so the new price is analysed: 1299 held for the
         * first 70 of the last 90 days, then no offer: avg 1299, nothing current */
        cr_assert_str_eq(json_string_value(json_object_get(a, "price_type")), "new");
        cr_assert_eq(json_integer_value(json_object_get(a, "avg90")), 1299);
        cr_assert_str_eq(json_string_value(json_object_get(a, "avg90_source")), "history");
        cr_assert(json_is_null(json_object_get(a, "drop_pct_90d")));
        cr_assert(json_is_null(json_object_get(a, "trend")));
        cr_assert(json_is_null(json_object_get(a, "zscore")));
        cr_assert_eq(json_integer_value(json_object_get(a, "points_90d")), 0);
    }
    cr_assert_eq(p[2].observed_at_ms, MS(L - 20 * 1440));
    cr_assert_eq(p[2].seed_interval_s, 0);

    fr_keepa_products_free(p, n);
    json_decref(expected);
    free(body);
}

Test(keepa_product, payload_is_compact_and_dumps_short_reals)
{
    struct fr_keepa_product p;
    char *text;

    parse_edited_normal(NULL, &p);
    text = fr_keepa_payload_dump(p.payload);
    cr_assert_lt(strlen(text), 1500, "payload is %zu bytes", strlen(text));
    cr_assert(strstr(text, "\"drop_pct_90d\":25.0") != NULL, "%s", text);
    cr_assert(strstr(text, "\"zscore\":-1.02") != NULL, "%s", text);
    cr_assert_null(strstr(text, "csv"));
    free(text);
    json_decref(p.payload);
}

/* ---- content hash and version time ---------------------------------------------- */

static void bump_last_update(json_t *prod)
{
    json_object_set_new(prod, "lastUpdate", json_integer(L + 180));
}

static void change_price(json_t *prod)
{
    json_array_set_new(json_object_get(json_object_get(prod, "stats"), "current"), 0,
                       json_integer(1799));
}

static void change_avg(json_t *prod)
{
    json_array_set_new(json_object_get(json_object_get(prod, "stats"), "avg90"), 0,
                       json_integer(2399));
}

Test(keepa_product, content_hash_ignores_fetch_time)
{
    struct fr_keepa_product a, b, c, d;

    parse_edited_normal(NULL, &a);
    parse_edited_normal(bump_last_update, &b);
    parse_edited_normal(change_price, &c);
    parse_edited_normal(change_avg, &d);
    cr_assert_str_eq(a.content_hash, b.content_hash, "only lastUpdate differs");
    cr_assert_eq(a.observed_at_ms, b.observed_at_ms);
    cr_assert_str_neq(json_string_value(json_object_get(a.payload, "last_update")),
                      json_string_value(json_object_get(b.payload, "last_update")));
    cr_assert_str_neq(a.content_hash, c.content_hash, "a price differs");
    /* the analysis moves with the clock, so it is not part of the hash */
    cr_assert_str_eq(a.content_hash, d.content_hash);
    json_decref(a.payload);
    json_decref(b.payload);
    json_decref(c.payload);
    json_decref(d.payload);
}

Test(keepa_product, content_hash_ignores_seller)
{
    struct fr_keepa_product a;
    char before[17], after[17];

    parse_edited_normal(NULL, &a);
    cr_assert_eq(fr_keepa_content_hash(a.payload, before, NULL), 0);
    cr_assert_str_eq(before, a.content_hash);
    json_object_set_new(a.payload, "seller", json_pack("{s:s}", "id", "A1B2C3D4E5F6G7"));
    cr_assert_eq(fr_keepa_content_hash(a.payload, after, NULL), 0);
    cr_assert_str_eq(before, after);
    json_decref(a.payload);
}

Test(keepa_product, observed_at_fallbacks)
{
    struct fr_keepa_product p;

    parse_one("{\"asin\":\"B000000001\",\"trackingSince\":7000000,\"lastUpdate\":7889760}", &p);
    cr_assert_eq(p.status, FR_KEEPA_OK, "%s", p.reason);
    cr_assert_eq(p.observed_at_ms, MS(7000000));
    cr_assert(json_is_null(json_object_get(p.payload, "last_price_change")));
    assert_valid("keepa_product", p.payload);
    json_decref(p.payload);

    parse_one("{\"asin\":\"B000000001\",\"lastUpdate\":7889760}", &p);
    cr_assert_eq(p.observed_at_ms, MS(7889760));
    json_decref(p.payload);

    parse_one("{\"asin\":\"B000000001\",\"lastPriceChange\":7800000,\"lastUpdate\":7889760,"
              "\"csv\":[[7700000,100]]}",
              &p);
    cr_assert_eq(p.observed_at_ms, MS(7800000));
    cr_assert_str_eq(json_string_value(json_object_get(p.payload, "observed_at")),
                     json_string_value(json_object_get(p.payload, "last_price_change")));
    json_decref(p.payload);
}

/* ---- -1 / -2 and triplets ---------------------------------------------------------- */

Test(keepa_product, minus_one_and_minus_two)
{
    struct fr_keepa_product p;

    /* stats says unknown (-2): fall back to the newest csv point */
    parse_one("{\"asin\":\"B000000001\",\"csv\":[[7000000,999],[7000000,-2]],"
              "\"stats\":{\"current\":[-2,-2]}}",
              &p);
    cr_assert_eq(p.status, FR_KEEPA_OK, "%s", p.reason);
    cr_assert_eq(p.price_amazon, 999);
    cr_assert_eq(p.price_new, -1, "-2 in csv is not a price");
    cr_assert(json_is_null(json_object_get(p.payload, "price_new")));
    json_decref(p.payload);

    /* stats says no offer (-1): that wins over older csv data */
    parse_one("{\"asin\":\"B000000001\",\"csv\":[[7000000,999],[7000000,500,7000100,-1]],"
              "\"stats\":{\"current\":[-1,-1]}}",
              &p);
    cr_assert_eq(p.price_amazon, -1);
    cr_assert_eq(p.price_new, -1);
    cr_assert(json_is_null(json_object_get(p.payload, "price_amazon")));
    /* analysis falls back to the history that had a price: avg of amazon's 999 */
    json_decref(p.payload);

    /* no stats, csv ends with -1 */
    parse_one("{\"asin\":\"B000000001\",\"csv\":[[7000000,999,7000060,-1],null]}", &p);
    cr_assert_eq(p.price_amazon, -1);
    cr_assert_eq(p.seed_interval_s, 0);
    json_decref(p.payload);
}

Test(keepa_product, buybox_sources)
{
    struct fr_keepa_product p;

    /* stats.buyBoxPrice + shipping */
    parse_one("{\"asin\":\"B000000001\",\"stats\":{\"buyBoxPrice\":1000,\"buyBoxShipping\":99,"
              "\"buyBoxSellerId\":\"-2\"}}",
              &p);
    cr_assert_eq(json_integer_value(json_object_get(p.payload, "price_buybox")), 1099);
    cr_assert(json_is_null(json_object_get(p.payload, "buybox_seller_id")), "-2 is unknown");
    json_decref(p.payload);

    /* no stats: csv[18] triplets, seller from the history */
    parse_one("{\"asin\":\"B000000001\",\"buyBoxSellerIdHistory\":[\"7000000\",\"AAA111\"],"
              "\"csv\":[null,null,null,null,null,null,null,null,null,null,null,null,null,null,"
              "null,null,null,null,[7000000,1500,0,7000060,1400,250]]}",
              &p);
    cr_assert_eq(p.status, FR_KEEPA_OK, "%s", p.reason);
    cr_assert_eq(json_integer_value(json_object_get(p.payload, "price_buybox")), 1650);
    cr_assert_str_eq(p.buybox_seller_id, "AAA111");
    json_decref(p.payload);
}

Test(keepa_product, decode_triplets)
{
    json_t *arr = json_loads("[100,1099,450,200,-1,-1,300,1199,-2]", 0, NULL);
    struct fr_keepa_series s;
    struct fr_error err = {0};

    cr_assert(fr_keepa_csv_is_triplet(7));
    cr_assert(fr_keepa_csv_is_triplet(18));
    cr_assert(fr_keepa_csv_is_triplet(29));
    cr_assert(fr_keepa_csv_is_triplet(32));
    cr_assert_not(fr_keepa_csv_is_triplet(0));
    cr_assert_not(fr_keepa_csv_is_triplet(17));
    cr_assert_not(fr_keepa_csv_is_triplet(30));

    cr_assert_eq(fr_keepa_decode_series(arr, 18, &s, &err), 0, "%s", err.msg);
    cr_assert_eq(s.n, 3);
    cr_assert_eq(s.pts[0].t_ms, MS(100));
    cr_assert_eq(s.pts[0].value, 1099);
    cr_assert_eq(s.pts[0].shipping, 450);
    cr_assert_eq(fr_keepa_point_total(&s.pts[0]), 1549);
    cr_assert_eq(s.pts[1].value, -1);
    cr_assert_eq(s.pts[2].shipping, -2);
    cr_assert_eq(fr_keepa_series_last(&s), 1199);
    fr_keepa_series_release(&s);

    /* the same nine numbers as pairs do not fit */
    cr_assert_eq(fr_keepa_decode_series(arr, 1, &s, &err), FR_ERR_DATA);
    cr_assert(strstr(err.msg, "multiple of 2") != NULL, "%s", err.msg);
    json_decref(arr);

    cr_assert_eq(fr_keepa_decode_series(json_null(), 0, &s, NULL), 0);
    cr_assert_not(s.present);
    cr_assert_eq(fr_keepa_decode_series(NULL, 0, &s, NULL), 0);
    cr_assert_eq(s.n, 0);
}

/* Read from its text, a series decodes as the parsed array does: same points, same
 * error; a number too large for any element is an error of that series only. */
Test(keepa_csv, series_from_text_matches_parsed_array)
{
    static const char *const texts[] = {
        "[]", "[ ]", "[100,1099,450,200,-1,-1,300,1199,-2]", " [ 100 ,\n-0 ]\t",
        "[100,1099,450]", "[200,1,100,2]", "[-1,5]", "[2147483648,1]", "[100,2147483648]",
        "[100,-2147483649]", "[100,-2147483648]", "[100,1.5]", "[100,1e3]", "[100,\"x\"]",
        "[100,null]", "[100,[1]]", "[100,{}]", "[true,1]", "[100,1,200]",
        "[123456789012345678,1]", "[1234567890123456789,1]"};

    for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
        for (int type = 0; type < 19; type += 18) {
            struct fr_keepa_series a, b;
            struct fr_error ea = {0}, eb = {0};
            json_t *arr = json_loads(texts[t], 0, NULL);
            int ra, rb;

            cr_assert_not_null(arr, "%s", texts[t]);
            ra = fr_keepa_decode_series(arr, type, &a, &ea);
            rb = fr_keepa_decode_series_text(texts[t], strlen(texts[t]), type, &b, &eb);
            cr_assert_eq(rb, ra, "%s type %d: %s / %s", texts[t], type, ea.msg, eb.msg);
            cr_assert_str_eq(eb.msg, ea.msg, "%s type %d", texts[t], type);
            cr_assert_eq(b.n, a.n, "%s", texts[t]);
            cr_assert_eq(b.present, a.present, "%s", texts[t]);
            for (size_t i = 0; i < a.n; i++)
                cr_assert(a.pts[i].t_ms == b.pts[i].t_ms && a.pts[i].value == b.pts[i].value &&
                              a.pts[i].shipping == b.pts[i].shipping,
                          "%s point %zu", texts[t], i);
            fr_keepa_series_release(&a);
            fr_keepa_series_release(&b);
            json_decref(arr);
        }
    }
    {
        struct fr_keepa_series s;
        struct fr_error err = {0};
        const char big[] = "[99999999999999999999,1]";

        cr_assert_eq(fr_keepa_decode_series_text(big, strlen(big), 0, &s, &err), FR_ERR_DATA);
        cr_assert(strstr(err.msg, "not valid json") != NULL, "%s", err.msg);
        cr_assert_eq(fr_keepa_decode_series_text("[1,2", 4, 0, &s, &err), FR_ERR_DATA);
    }
}

/* ---- text passes through unchanged ------------------------------------------------- */

Test(keepa_product, long_and_odd_titles_pass_through)
{
    const char *unit = "\"Quote\" 'x'; DROP TABLE items;-- \\ é 🚀 ";
    struct fr_buf title;
    struct fr_keepa_product p;
    json_t *e;
    char *text;

    fr_buf_init(&title, 0);
    while (title.len < 2500)
        fr_buf_puts(&title, unit);
    e = json_pack("{s:s, s:s}", "asin", "B000000001", "title", fr_buf_str(&title));
    text = json_dumps(e, JSON_COMPACT);
    parse_one(text, &p);
    cr_assert_eq(p.status, FR_KEEPA_OK, "%s", p.reason);
    cr_assert_str_eq(json_string_value(json_object_get(p.payload, "title")), fr_buf_str(&title));
    assert_valid("keepa_product", p.payload);
    json_decref(p.payload);
    free(text);
    json_decref(e);
    fr_buf_release(&title);
}

Test(keepa_product, five_megabyte_title_is_bad)
{
    size_t big = 5u << 20;
    char *title = fr_xmalloc(big + 1), *body;
    struct fr_keepa_product *p;
    struct fr_error err = {0};
    size_t n;

    memset(title, 'a', big);
    title[big] = '\0';
    body = fr_xasprintf("{\"products\":[{\"asin\":\"B000000001\",\"title\":\"%s\"},"
                        "{\"asin\":\"B000000002\",\"title\":\"ok\"}]}",
                        title);
    cr_assert_eq(fr_keepa_parse_products(body, strlen(body), NULL, &p, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 2);
    cr_assert_eq(p[0].status, FR_KEEPA_BAD);
    cr_assert_str_eq(p[0].asin, "B000000001");
    cr_assert(strstr(p[0].reason, "'title' is longer than") != NULL, "%s", p[0].reason);
    cr_assert_eq(p[1].status, FR_KEEPA_OK, "one bad product does not sink the batch");
    fr_keepa_products_free(p, n);
    free(body);
    free(title);
}

/* ---- malformed records ------------------------------------------------------------- */

struct bad_case {
    const char *entry;
    const char *asin;   /* expected p.asin */
    const char *reason; /* substring of p.reason */
};

Test(keepa_product, malformed_records_are_bad_with_reason)
{
    static const struct bad_case cases[] = {
        {"42", "", "not an object"},
        {"{}", "", "missing 'asin'"},
        {"{\"asin\":1234567890}", "", "'asin' must be a string"},
        {"{\"asin\":\"b000000001\"}", "", "invalid asin"},
        {"{\"asin\":\"B000000001\",\"productType\":\"0\"}", "B000000001",
         "'productType' must be an integer"},
        {"{\"asin\":\"B000000001\",\"domainId\":7}", "B000000001", "'domainId' 7"},
        {"{\"asin\":\"B000000001\",\"title\":5}", "B000000001", "'title' must be a string"},
        {"{\"asin\":\"B000000001\",\"title\":\"a\\u0000b\"}", "B000000001",
         "'title' contains a NUL"},
        {"{\"asin\":\"B000000001\",\"brand\":[]}", "B000000001", "'brand' must be a string"},
        {"{\"asin\":\"B000000001\",\"categories\":\"x\"}", "B000000001",
         "'categories' must be an array"},
        {"{\"asin\":\"B000000001\",\"categories\":[1,\"a\"]}", "B000000001", "'categories[1]'"},
        {"{\"asin\":\"B000000001\",\"rootCategory\":-5}", "B000000001", "'rootCategory' is out"},
        {"{\"asin\":\"B000000001\",\"imagesCSV\":5}", "B000000001", "'imagesCSV' must be a string"},
        {"{\"asin\":\"B000000001\",\"lastUpdate\":\"yesterday\"}", "B000000001",
         "'lastUpdate' must be an integer"},
        {"{\"asin\":\"B000000001\",\"lastPriceChange\":99999999999}", "B000000001",
         "'lastPriceChange' is out of range"},
        {"{\"asin\":\"B000000001\",\"csv\":{}}", "B000000001", "'csv' must be an array"},
        {"{\"asin\":\"B000000001\",\"csv\":[{}]}", "B000000001", "'csv[0]' is not an array"},
        {"{\"asin\":\"B000000001\",\"csv\":[[1,2,3]]}", "B000000001",
         "'csv[0]' has 3 elements, not a multiple of 2"},
        {"{\"asin\":\"B000000001\",\"csv\":[null,null,null,null,null,null,null,[1,2,3,4]]}",
         "B000000001", "'csv[7]' has 4 elements, not a multiple of 3"},
        {"{\"asin\":\"B000000001\",\"csv\":[[100,\"x\"]]}", "B000000001",
         "'csv[0]' element 1 is not a 32-bit integer"},
        {"{\"asin\":\"B000000001\",\"csv\":[[100,1.5]]}", "B000000001", "element 1"},
        {"{\"asin\":\"B000000001\",\"csv\":[[100,3000000000]]}", "B000000001", "element 1"},
        {"{\"asin\":\"B000000001\",\"csv\":[[-5,100]]}", "B000000001",
         "element 0 is not a keepa minute"},
        {"{\"asin\":\"B000000001\",\"csv\":[[200,1,100,2]]}", "B000000001", "time goes backwards"},
        {"{\"asin\":\"B000000001\",\"stats\":[]}", "B000000001", "'stats' must be an object"},
        {"{\"asin\":\"B000000001\",\"stats\":{\"current\":\"x\"}}", "B000000001",
         "'stats.current' must be an array"},
        {"{\"asin\":\"B000000001\",\"stats\":{\"current\":[\"x\"]}}", "B000000001",
         "'stats.current[0]'"},
        {"{\"asin\":\"B000000001\",\"stats\":{\"buyBoxSellerId\":5}}", "B000000001",
         "'stats.buyBoxSellerId' must be a string"},
        {"{\"asin\":\"B000000001\",\"stats\":{\"buyBoxPrice\":\"5\"}}", "B000000001",
         "'buyBoxPrice' must be an integer"},
        {"{\"asin\":\"B000000001\",\"monthlySold\":true}", "B000000001",
         "'monthlySold' must be an integer"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fr_keepa_product p;
        parse_one(cases[i].entry, &p);
        cr_assert_eq(p.status, FR_KEEPA_BAD, "case %zu (%s) not BAD", i, cases[i].entry);
        cr_assert_null(p.payload);
        cr_assert_str_empty(p.content_hash);
        cr_assert_str_eq(p.asin, cases[i].asin, "case %zu", i);
        cr_assert(strstr(p.reason, cases[i].reason) != NULL, "case %zu: reason '%s'", i, p.reason);
    }
}

Test(keepa_product, whole_body_errors)
{
    static const struct {
        const char *body;
        const char *reason;
    } cases[] = {
        {"", "empty"},
        {"<html><body>502 Bad Gateway</body></html>", "not valid json"},
        {"{\"products\":[{\"asin\":\"B000000001\"", "not valid json"},
        {"[]", "not a json object"},
        {"\"products\"", "not valid json"}, /* a bare scalar is not a response */
        {"{}", "no 'products' array"},
        {"{\"products\":null}", "no 'products' array"},
        {"{\"products\":{}}", "'products' is not an array"},
        {"{\"products\":[]}", "empty 'products' array"},
        {"{\"tokensLeft\":1.5,\"products\":[{}]}", "'tokensLeft'"},
        {"{\"products\":[],\"products\":[]}", "not valid json"},
        {"{\"title\":\"\xc3\x28\"}", "not valid json"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fr_keepa_product *p = (void *)1;
        struct fr_error err = {0};
        size_t n = 7;
        int rc = fr_keepa_parse_products(cases[i].body, strlen(cases[i].body), NULL, &p, &n, &err);
        cr_assert_eq(rc, FR_ERR_DATA, "case %zu", i);
        cr_assert_null(p);
        cr_assert_eq(n, 0);
        cr_assert(strstr(err.msg, cases[i].reason) != NULL, "case %zu: '%s'", i, err.msg);
    }
}

Test(keepa_product, truncated_golden_file)
{
    size_t len;
    char *body = slurp(DATA "product_3.json", &len);
    struct fr_keepa_product *p;
    struct fr_error err = {0};
    size_t n;

    for (size_t cut = 1; cut < len - 2; cut += len / 7) {
        fr_error_clear(&err);
        cr_assert_eq(fr_keepa_parse_products(body, cut, NULL, &p, &n, &err), FR_ERR_DATA,
                     "cut at %zu", cut);
        cr_assert(strstr(err.msg, "not valid json") != NULL, "%s", err.msg);
    }
    free(body);
}

/* body with the first from replaced by to; from must occur */
static char *replaced(const char *body, const char *from, const char *to, size_t *len)
{
    const char *at = strstr(body, from);
    struct fr_buf b;

    cr_assert_not_null(at, "'%s' not in the body", from);
    fr_buf_init(&b, 0);
    fr_buf_append(&b, body, (size_t)(at - body));
    fr_buf_puts(&b, to);
    fr_buf_puts(&b, at + strlen(from));
    return fr_buf_detach(&b, len);
}

/* The error a whole-body parse reports, as the parser of what ("deal", "product") words it. */
static char *full_parse_error(const char *what, const char *body, size_t len)
{
    json_error_t je;
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);

    cr_assert_null(j, "the whole body parses");
    return fr_xasprintf("error: %s response is not valid json: line %d column %d: %s", what,
                        je.line, je.column, je.text);
}

struct edit {
    const char *from, *to;
};

/* text() of the file at path, cut short at many places and edited by each of edits, says
 * what a whole-body parse would: pruning must not change a single error message. */
static void check_errors_as_whole(char *(*text)(const char *, size_t), const char *what,
                                  const char *path, const struct edit *edits, size_t nedits)
{
    size_t len;
    char *body = slurp(path, &len);

    for (size_t cut = 0; cut < len; cut += 97) {
        char *got = text(body, cut), *want;

        want = cut == 0 ? fr_xasprintf("error: %s response is empty", what)
                        : full_parse_error(what, body, cut);
        cr_assert_str_eq(got, want, "%s cut at %zu", path, cut);
        free(want);
        free(got);
    }
    for (size_t i = 0; i < nedits; i++) {
        size_t elen;
        char *edited = replaced(body, edits[i].from, edits[i].to, &elen);
        char *got = text(edited, elen), *want = full_parse_error(what, edited, elen);

        cr_assert_str_eq(got, want, "%s edit %zu", path, i);
        free(got);
        free(want);
        free(edited);
    }
    free(body);
}

/* Pruned members never reach jansson: a number out of its range there, which made the
 * whole body invalid before, is now ignored with the member (from -> to in path). */
static void check_cut_member_ignored(char *(*text)(const char *, size_t), const char *path,
                                     const char *from, const char *to)
{
    size_t len, elen;
    char *body = slurp(path, &len);
    char *edited = replaced(body, from, to, &elen);
    char *a = text(body, len), *z = text(edited, elen);

    cr_assert_str_eq(a, z);
    free(a);
    free(z);
    free(edited);
    free(body);
}

/* Every field of env, as text for comparing parses. */
static void put_envelope(struct fr_buf *b, const struct fr_keepa_envelope *env)
{
    fr_buf_printf(b, "env %lld %lld %lld %lld %lld %lld %.17g %d '%s' '%s'",
                  (long long)env->timestamp, (long long)env->tokens_left,
                  (long long)env->refill_in, (long long)env->refill_rate,
                  (long long)env->tokens_consumed, (long long)env->processing_ms,
                  env->token_flow_reduction, env->has_tokens, env->error_type,
                  env->error_message);
}

/* What fr_keepa_parse_products makes of a body, as text: the envelope, then every field
 * of each product with its payload as compact JSON with sorted keys, or the error. */
static char *products_text(const char *body, size_t len)
{
    struct fr_keepa_envelope env;
    struct fr_keepa_product *p;
    struct fr_error err = {0};
    size_t n;
    struct fr_buf b;

    fr_buf_init(&b, 0);
    if (fr_keepa_parse_products(body, len, &env, &p, &n, &err) != 0) {
        fr_buf_printf(&b, "error: %s", err.msg);
        return fr_buf_detach(&b, NULL);
    }
    put_envelope(&b, &env);
    fr_buf_printf(&b, " n=%zu\n", n);
    for (size_t i = 0; i < n; i++) {
        char *j = p[i].payload ? json_dumps(p[i].payload, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
        fr_buf_printf(&b, "'%s' %d '%s' '%s' %lld %d %d %d '%s' %lld %s\n", p[i].asin,
                      (int)p[i].status, p[i].reason, p[i].content_hash,
                      (long long)p[i].observed_at_ms, p[i].price_amazon, p[i].price_new,
                      p[i].sales_rank, p[i].buybox_seller_id, (long long)p[i].seed_interval_s,
                      j ? j : "-");
        free(j);
    }
    fr_keepa_products_free(p, n);
    return fr_buf_detach(&b, NULL);
}

/* body (an object with members) with a member nested deeper than the pruner goes put
 * first: the pruner gives up on it and the whole body is parsed, as before pruning. */
static char *unprunable(const char *body, size_t *len)
{
    struct fr_buf b;

    cr_assert_not_null(strchr(body, '{'));
    fr_buf_init(&b, 0);
    fr_buf_puts(&b, "{\"pad\":");
    for (size_t k = 0; k < 100; k++)
        fr_buf_putc(&b, '[');
    for (size_t k = 0; k < 100; k++)
        fr_buf_putc(&b, ']');
    fr_buf_puts(&b, ",");
    fr_buf_puts(&b, strchr(body, '{') + 1);
    return fr_buf_detach(&b, len);
}

Test(keepa_product, pruned_parse_matches_full_parse)
{
    /* Entries around what the pruner cuts: members, stats members and array elements kept
     * or cut, in the shapes the normalizer accepts and in those it calls BAD. */
    static const char edges[] =
        "{\"refillRate\":20,\"products\":["
        "{\"asin\":\"B000000001\",\"images\":[{\"x\":[1,{}],\"m\":\"b.jpg\",\"l\":\"a.jpg\"},"
        "{\"l\":\"c.jpg\"}],\"description\":\"long\",\"offers\":[{\"a\":[1,2]}],"
        "\"variations\":null,\"fbaFees\":{\"x\":1}},"
        "{\"asin\":\"B000000002\",\"images\":[{\"l\":5,\"m\":\"b.jpg\"}]},"
        "{\"asin\":\"B000000003\",\"images\":{\"l\":\"a.jpg\"}},"
        "{\"asin\":\"B000000004\",\"images\":[5,{\"l\":\"a.jpg\"}]},"
        "{\"asin\":\"B000000005\",\"images\":\"a.jpg\",\"imagesCSV\":null},"
        "{\"asin\":\"B000000006\",\"stats\":{\"current\":[100,200]}},"
        "{\"asin\":\"B000000007\",\"stats\":{\"current\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,"
        "16,45,17,1999,\"x\",[],{}],\"avg90\":[3000,2500,\"x\"],\"avg\":[\"y\"],"
        "\"buyBoxIsFBA\":true,\"buyBoxSellerId\":\"ATVPDKIKX0DER\"}},"
        "{\"asin\":\"B000000008\",\"stats\":{\"current\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,"
        "16,45,17,\"x\"]}},"
        "{\"asin\":\"B000000009\",\"csv\":[[8000000,1000,8000100,900]],"
        "\"stats\":{\"avg90\":[\"x\",1]}},"
        "{\"asin\":\"B00000000A\",\"stats\":{\"avg90\":{\"0\":1},\"current\":[-2,-1]}},"
        "{\"asin\":\"B00000000B\",\"stats\":[]},"
        "{\"asin\":\"B00000000C\",\"stats\":\"x\",\"avg90\":[1]},"
        "{\"asin\":\"B00000000D\",\"stats\":{\"buyBoxPrice\":500,\"buyBoxShipping\":99,"
        "\"buyBoxSellerId\":null},\"buyBoxSellerIdHistory\":[\"8000000\",\"A1B2C3\"]},"
        "{\"asin\":\"B00000000E\",\"rootCategory\":5,\"salesRanks\":{\"5\":[8000000,7,8000100,"
        "9],\"6\":\"x\"},\"categoryTree\":[{\"catId\":5}]},"
        "{\"asin\":\"B00000000F\",\"productType\":4,\"title\":5},"
        "{\"asin\":\"B00000000G\",\"parentAsin\":\"B00000000H\",\"monthlySold\":300,"
        "\"eanList\":[\"1\"],\"brand\":\"\\u00e9\",\"manufacturer\":null},"
        "{\"asin\":\"B00000000H\",\"monthlySold\":\"300\"},"
        "{\"asin\":\"B00000000I\",\"stats\":{\"current\":{\"0\":1},\"avg90\":null}},"
        "{\"asin\":\"B00000000J\",\"csv\":[[8000000,1000],null,null,[8000000,50]],"
        "\"lastUpdate\":8000200,\"lastPriceChange\":8000000,\"trackingSince\":7999000,"
        "\"listedSince\":1,\"domainId\":1,\"categories\":[1,2]},"
        "{\"\\u0061sin\":\"B00000000K\"},"
        /* csv arrays are read from the text (capture): every shape the parsed array had */
        "{\"asin\":5,\"csv\":[[8000000,1],[8000000,2]]},"
        "{\"asin\":\"B00000000M\",\"csv\":[[ 8000000 , 1000 ,\n8000100,-900 ],[8000000,1.5],"
        "[8000000,\"x\"]]},"
        "{\"asin\":\"B00000000N\",\"csv\":[[8000100,1,8000000,2]]},"
        "{\"asin\":\"B00000000O\",\"csv\":[[8000000,1,2]]},"
        "{\"asin\":\"B00000000P\",\"csv\":[[8000000,[1]]]},"
        "{\"asin\":\"B00000000Q\",\"csv\":[[8000000,1e3]]},"
        "{\"asin\":\"B00000000R\",\"csv\":[[-1,5]]},"
        "{\"asin\":\"B00000000S\",\"csv\":[[8000000,2147483648]]},"
        "{\"asin\":\"B00000000T\",\"csv\":{\"0\":[8000000,1]}},"
        "{\"asin\":\"B00000000U\",\"csv\":[[],null,[8000000,7],5]},"
        "{\"asin\":\"B00000000V\",\"csv\":[null,null,null,null,null,null,null,null,null,null,"
        "null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,"
        "null,null,null,null,null,null,null,null,null,[1,2,3],[],{}]},"
        "{\"asin\":\"B00000000W\",\"csv\":[[8000000,1500,8000100,1400],[8000000,1300]],"
        "\"stats\":{\"current\":[-2,-2]}},"
        "{\"asin\":\"B00000000X\",\"csv\":[[8000000,1,8000001,-0,8000002,0]]},"
        "5,[],null,\"B00000000L\"]}";
    const char *files[] = {DATA "product_3.json", DATA "product_fake_sample.json"};
    char *bodies[2 * sizeof(files) / sizeof(files[0]) + 1];
    size_t nb = 0;

    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        size_t len;
        json_t *tree;

        bodies[nb] = slurp(files[i], &len);
        tree = json_loadb(bodies[nb], len, 0, NULL);
        cr_assert_not_null(tree, "%s", files[i]);
        bodies[nb + 1] = json_dumps(tree, JSON_INDENT(1)); /* other spacing */
        json_decref(tree);
        nb += 2;
    }
    bodies[nb++] = fr_xstrdup(edges);
    for (size_t i = 0; i < nb; i++) {
        size_t plen;
        char *padded = unprunable(bodies[i], &plen);
        char *a = products_text(bodies[i], strlen(bodies[i])), *z = products_text(padded, plen);

        cr_assert_str_eq(a, z, "body %zu pruned:\n%s\nwhole:\n%s", i, a, z);
        cr_assert(strncmp(a, "env ", 4) == 0, "%s", a);
        if (i == 2) { /* the fake's 8 products are all usable */
            size_t ok = 0;
            for (const char *q = a; (q = strstr(q, "' 0 '' '")) != NULL; q++)
                ok++;
            cr_assert_eq(ok, 8, "%s", a);
        }
        free(a);
        free(z);
        free(padded);
        free(bodies[i]);
    }
}

Test(keepa_product, errors_read_as_from_the_whole_body)
{
    static const struct edit edits[] = {
        {"\"title\":\"Philips", "\"title\":\"\xc3\x28"},           /* kept member */
        {"\"asin\":\"B0000000CK\",", "\"asin\":\"B0000000CK\",\"asin\":\"x\","},
        {"\"rootCategory\":7141123011", "\"rootCategory\":71x"},  /* the pruner refuses */
        {"\"listedSince\":8186763", "\"listedSince\":[8186763}"}, /* unbalanced, cut */
        {"\"refillRate\":", "\"refillRate\":2e99999,\"x\":"},      /* outside the paths */
        {"\"current\":[", "\"current\":[1e99999,"},                /* a kept element */
    };

    check_errors_as_whole(products_text, "product", DATA "product_3.json", NULL, 0);
    check_errors_as_whole(products_text, "product", DATA "product_fake_sample.json", edits,
                          sizeof(edits) / sizeof(edits[0]));
}

Test(keepa_product, cut_members_are_not_validated)
{
    /* before pruning such a number in one product sank the whole batch of 100 */
    check_cut_member_ignored(products_text, DATA "product_fake_sample.json",
                             "\"listedSince\":8186763", "\"listedSince\":99999999999999999999");
}

/* ---- /deal ---------------------------------------------------------------------- */

Test(keepa_deal, golden_page)
{
    size_t len, n, skipped;
    char *body = slurp(DATA "deal_page.json", &len);
    struct fr_keepa_envelope env;
    struct fr_keepa_deal *d;
    struct fr_error err = {0};
    const json_t *x;

    cr_assert_eq(fr_keepa_parse_deals(body, len, &env, &d, &n, &skipped, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 3);
    cr_assert_eq(skipped, 2, "lower-case and missing asin");
    cr_assert_eq(env.tokens_consumed, 5);
    for (size_t i = 0; i < n; i++)
        assert_valid("keepa_deal", d[i].deal);

    x = d[0].deal;
    cr_assert_str_eq(d[0].asin, "B0DEAL0001");
    cr_assert_str_eq(json_string_value(json_object_get(x, "title")), "Wireless Mouse, 2.4 GHz");
    cr_assert_str_eq(json_string_value(json_object_get(x, "image")),
                     "https://m.media-amazon.com/images/I/61k3Lay7JUL.jpg");
    cr_assert_eq(json_integer_value(json_object_get(x, "root_category")), 172282);
    cr_assert_eq(json_integer_value(json_object_get(x, "current_amazon")), 1999);
    cr_assert_eq(json_integer_value(json_object_get(x, "current_new")), 1899);
    cr_assert_eq(json_integer_value(json_object_get(x, "delta_pct_day")), -10);
    cr_assert_str_eq(json_string_value(json_object_get(x, "last_update")), "2026-01-01T00:00:00Z");
    cr_assert_str_eq(json_string_value(json_object_get(x, "creation_date")),
                     "2025-12-31T00:00:00Z");
    cr_assert_eq(json_integer_value(json_array_get(json_object_get(x, "categories"), 0)), 172282);

    x = d[1].deal; /* root category "?" and a '+' in the image name */
    cr_assert_str_eq(d[1].asin, "B0DEAL0002");
    cr_assert(json_is_null(json_object_get(x, "root_category")));
    cr_assert_str_eq(json_string_value(json_object_get(x, "image")),
                     "https://m.media-amazon.com/images/I/71AbCd+EfG.jpg");
    cr_assert_str_eq(json_string_value(json_object_get(x, "last_update")), "2025-12-31T23:59:00Z");

    x = d[2].deal; /* an image name with a space is not a file name we link to */
    cr_assert(json_is_null(json_object_get(x, "image")));
    fr_keepa_deals_free(d, n);
    free(body);
}

Test(keepa_deal, shapes)
{
    static const struct {
        const char *body;
        int rc;
        size_t n;
    } cases[] = {
        {"{\"deals\":{}}", 0, 0},
        {"{\"deals\":{\"dr\":null}}", 0, 0},
        {"{\"deals\":{\"dr\":[]}}", 0, 0},
        {"{\"deals\":{\"dr\":[{\"asin\":\"B000000001\"},5]}}", 0, 1},
        {"{\"deals\":[]}", FR_ERR_DATA, 0},
        {"{}", FR_ERR_DATA, 0},
        {"{\"deals\":{\"dr\":5}}", FR_ERR_DATA, 0},
        {"not json", FR_ERR_DATA, 0},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fr_keepa_deal *d;
        struct fr_error err = {0};
        size_t n, skipped;
        int rc = fr_keepa_parse_deals(cases[i].body, strlen(cases[i].body), NULL, &d, &n, &skipped,
                                      &err);
        cr_assert_eq(rc, cases[i].rc, "case %zu: %s", i, err.msg);
        cr_assert_eq(n, cases[i].n, "case %zu", i);
        if (rc != 0)
            cr_assert_str_not_empty(err.msg);
        if (n == 1) {
            cr_assert_eq(skipped, 1);
            assert_valid("keepa_deal", d[0].deal); /* every field absent: all null */
        }
        fr_keepa_deals_free(d, n);
    }
}

/* What fr_keepa_parse_deals makes of a body, as text: the envelope, the counts and each
 * deal as compact JSON in its member order, or the error message. */
static char *deals_text(const char *body, size_t len)
{
    struct fr_keepa_envelope env;
    struct fr_keepa_deal *d;
    struct fr_error err = {0};
    size_t n, skipped;
    struct fr_buf b;

    fr_buf_init(&b, 0);
    if (fr_keepa_parse_deals(body, len, &env, &d, &n, &skipped, &err) != 0) {
        fr_buf_printf(&b, "error: %s", err.msg);
        return fr_buf_detach(&b, NULL);
    }
    put_envelope(&b, &env);
    fr_buf_printf(&b, " n=%zu skipped=%zu\n", n, skipped);
    for (size_t i = 0; i < n; i++) {
        char *j = json_dumps(d[i].deal, JSON_COMPACT);
        fr_buf_printf(&b, "%s %s\n", d[i].asin, j);
        free(j);
    }
    fr_keepa_deals_free(d, n);
    return fr_buf_detach(&b, NULL);
}

Test(keepa_deal, golden_page_exact)
{
    /* what the parser returned before deal pages were pruned, byte for byte */
    static const char want[] =
        "env 1767225612345 995 12000 20 5 120 0 1 '' '' n=3 skipped=2\n"
        "B0DEAL0001 {\"asin\":\"B0DEAL0001\",\"title\":\"Wireless Mouse, 2.4 GHz\","
        "\"root_category\":172282,\"categories\":[172282],\"image\":\"https://"
        "m.media-amazon.com/images/I/61k3Lay7JUL.jpg\",\"current_amazon\":1999,"
        "\"current_new\":1899,\"delta_pct_day\":-10,\"last_update\":\"2026-01-01T00:00:00Z\","
        "\"creation_date\":\"2025-12-31T00:00:00Z\"}\n"
        "B0DEAL0002 {\"asin\":\"B0DEAL0002\",\"title\":\"USB-C Cable <b>2 m</b>\","
        "\"root_category\":null,\"categories\":[172283],\"image\":\"https://"
        "m.media-amazon.com/images/I/71AbCd+EfG.jpg\",\"current_amazon\":2999,"
        "\"current_new\":2899,\"delta_pct_day\":-11,\"last_update\":\"2025-12-31T23:59:00Z\","
        "\"creation_date\":\"2025-12-31T00:01:00Z\"}\n"
        "B0DEAL0003 {\"asin\":\"B0DEAL0003\",\"title\":\"Chef's Knife 20 cm\","
        "\"root_category\":1055398,\"categories\":[172284],\"image\":null,"
        "\"current_amazon\":3999,\"current_new\":3899,\"delta_pct_day\":-12,"
        "\"last_update\":\"2025-12-31T23:58:00Z\",\"creation_date\":\"2025-12-31T00:02:00Z\"}\n";
    size_t len;
    char *body = slurp(DATA "deal_page.json", &len);
    char *got = deals_text(body, len);

    cr_assert_str_eq(got, want, "got:\n%s", got);
    free(got);
    free(body);
}

Test(keepa_deal, pruned_parse_matches_full_parse)
{
    size_t len;
    char *pretty = slurp(DATA "deal_page.json", &len);
    json_t *tree = json_loadb(pretty, len, 0, NULL);
    char *compact = json_dumps(tree, JSON_COMPACT);
    const char *bodies[] = {pretty, compact};

    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        size_t plen;
        char *padded = unprunable(bodies[i], &plen);
        char *a = deals_text(bodies[i], strlen(bodies[i])), *z = deals_text(padded, plen);

        cr_assert_str_eq(a, z, "body %zu pruned:\n%s\nwhole:\n%s", i, a, z);
        cr_assert(strncmp(a, "env ", 4) == 0, "%s", a);
        free(a);
        free(z);
        free(padded);
    }
    free(compact);
    json_decref(tree);
    free(pretty);
}

Test(keepa_deal, errors_read_as_from_the_whole_body)
{
    static const struct edit edits[] = {
        {"\"title\": \"Wireless Mouse, 2.4 GHz\"", "\"title\": \"\xc3\x28\""}, /* kept */
        {"\"asin\": \"B0DEAL0001\",", "\"asin\": \"B0DEAL0001\", \"asin\": \"x\","},
        {"\"rootCat\": 172282", "\"rootCat\": 17x"},       /* the pruner refuses it */
        {"\"lightningEnd\": 0", "\"lightningEnd\": [0}"},  /* unbalanced in a cut member */
        {"\"refillRate\": 20", "\"refillRate\": 2e99999"}, /* outside the path */
    };

    check_errors_as_whole(deals_text, "deal", DATA "deal_page.json", edits,
                          sizeof(edits) / sizeof(edits[0]));
}

Test(keepa_deal, cut_members_are_not_validated)
{
    check_cut_member_ignored(deals_text, DATA "deal_page.json", "\"lightningEnd\": 0",
                             "\"lightningEnd\": 99999999999999999999");
}

Test(keepa_deal, image_codes)
{
    json_t *ok = json_loads("[54,49,107,51,76,97,121,55,74,85,76,46,106,112,103]", 0, NULL);
    json_t *bad = json_loads("[47,46,46,47,101]", 0, NULL);
    json_t *junk = json_loads("[54,\"a\"]", 0, NULL);
    char *u = fr_keepa_image_url_from_codes(ok);

    cr_assert_str_eq(u, "https://m.media-amazon.com/images/I/61k3Lay7JUL.jpg");
    free(u);
    cr_assert_null(fr_keepa_image_url_from_codes(bad));
    cr_assert_null(fr_keepa_image_url_from_codes(junk));
    cr_assert_null(fr_keepa_image_url_from_codes(NULL));
    json_decref(ok);
    json_decref(bad);
    json_decref(junk);
}

/* ---- /seller -------------------------------------------------------------------- */

Test(keepa_seller, golden)
{
    size_t len;
    char *body = slurp(DATA "seller.json", &len);
    struct fr_keepa_envelope env;
    struct fr_error err = {0};
    json_t *s, *a, *b;

    cr_assert_eq(fr_keepa_parse_sellers(body, len, &env, &s, &err), 0, "%s", err.msg);
    cr_assert_eq(env.tokens_consumed, 2);
    cr_assert_eq(json_object_size(s), 2, "the seller Keepa did not find is left out");
    a = json_object_get(s, "A1B2C3D4E5F6G7");
    cr_assert_str_eq(json_string_value(json_object_get(a, "id")), "A1B2C3D4E5F6G7");
    cr_assert_str_eq(json_string_value(json_object_get(a, "name")), "Acme Store \"Official\"");
    cr_assert_eq(json_integer_value(json_object_get(a, "rating")), 97);
    cr_assert_eq(json_integer_value(json_object_get(a, "rating_count")), 1320);
    cr_assert(json_is_true(json_object_get(a, "has_fba")));
    b = json_object_get(s, "A3OTHER0SELLER"); /* no current*: from the csv history */
    cr_assert_eq(json_integer_value(json_object_get(b, "rating")), 88);
    cr_assert_eq(json_integer_value(json_object_get(b, "rating_count")), 40);
    cr_assert(json_is_false(json_object_get(b, "has_fba")));
    json_decref(s);
    free(body);
}

Test(keepa_seller, shapes)
{
    struct fr_error err = {0};
    json_t *s;

    const char *b1 = "{\"refillRate\":1}";
    const char *b2 = "{\"sellers\":{\"A1\":{\"sellerName\":7,\"csv\":5}}}";
    const char *b3 = "{\"sellers\":[]}";

    cr_assert_eq(fr_keepa_parse_sellers(b1, strlen(b1), NULL, &s, NULL), 0);
    cr_assert_eq(json_object_size(s), 0);
    json_decref(s);
    cr_assert_eq(fr_keepa_parse_sellers(b2, strlen(b2), NULL, &s, NULL), 0);
    cr_assert(json_is_null(json_object_get(json_object_get(s, "A1"), "name")));
    cr_assert(json_is_null(json_object_get(json_object_get(s, "A1"), "rating")));
    json_decref(s);
    cr_assert_eq(fr_keepa_parse_sellers(b3, strlen(b3), NULL, &s, &err), FR_ERR_DATA);
    cr_assert_null(s);
    cr_assert(strstr(err.msg, "'sellers'") != NULL, "%s", err.msg);
}

/* The scout's lean parse: the same deals, skips and listed prices as the full parse
 * (whose documents carry the prices as current_amazon/current_new), no documents. */
Test(keepa_deal, prices_parse_matches_full_parse)
{
    size_t len;
    char *pretty = slurp(DATA "deal_page.json", &len);
    const char *bodies[] = {
        pretty,
        ("{\"deals\":{\"dr\":[{\"asin\":\"B000000001\",\"current\":[100,-1,5]},5,"
         "{\"asin\":\"B000000002\",\"current\":[2147483648,\"x\"],\"title\":\"t\"},"
         "{\"asin\":\"bad\",\"current\":[1,2]},{\"asin\":\"B000000003\",\"current\":{}},"
         "{\"asin\":\"B000000004\"}]},\"tokensLeft\":5}"),
        "{\"deals\":{}}", "{\"deals\":[]}", "not json"};

    for (size_t b = 0; b < sizeof(bodies) / sizeof(bodies[0]); b++) {
        struct fr_keepa_envelope e1, e2;
        struct fr_keepa_deal *full, *lean;
        struct fr_error err1 = {0}, err2 = {0};
        size_t n1, n2, s1, s2;
        int r1 = fr_keepa_parse_deals(bodies[b], strlen(bodies[b]), &e1, &full, &n1, &s1, &err1);
        int r2 = fr_keepa_parse_deal_prices(bodies[b], strlen(bodies[b]), &e2, &lean, &n2, &s2,
                                            &err2);

        cr_assert_eq(r2, r1, "body %zu: %s / %s", b, err1.msg, err2.msg);
        cr_assert_eq(n2, n1, "body %zu", b);
        cr_assert_eq(s2, s1, "body %zu", b);
        for (size_t i = 0; i < n1; i++) {
            const json_t *a = json_object_get(full[i].deal, "current_amazon");
            const json_t *nw = json_object_get(full[i].deal, "current_new");

            cr_assert_str_eq(lean[i].asin, full[i].asin);
            cr_assert_null(lean[i].deal);
            cr_assert_eq(lean[i].current_amazon, json_is_integer(a) ? json_integer_value(a) : -1,
                         "body %zu deal %zu", b, i);
            cr_assert_eq(lean[i].current_new, json_is_integer(nw) ? json_integer_value(nw) : -1,
                         "body %zu deal %zu", b, i);
            cr_assert_eq(full[i].current_amazon, lean[i].current_amazon);
        }
        fr_keepa_deals_free(full, n1);
        fr_keepa_deals_free(lean, n2);
    }
    free(pretty);
}
