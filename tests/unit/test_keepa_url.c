/*
 * Unit tests: Keepa request URLs, the /deal selection, key redaction, ASIN and domain
 * checks, Keepa time.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/sources/keepa.h"

static struct fr_keepa_config cfg(const char *key, const char *base)
{
    struct fr_keepa_config c = {.api_key = key, .base_url = base, .domain = 3};
    return c;
}

Test(keepa_url, product)
{
    struct fr_keepa_config c = cfg("abc123", "https://api.keepa.com");
    const char *asins[] = {"B000000001", "0123456789"};
    char *u = fr_keepa_url_product(&c, asins, 2, 90, 1);

    cr_assert_str_eq(u, "https://api.keepa.com/product?key=abc123&domain=3"
                        "&asin=B000000001,0123456789&stats=90&history=1");
    free(u);
    u = fr_keepa_url_product(&c, asins, 1, 0, 0);
    cr_assert_str_eq(u, "https://api.keepa.com/product?key=abc123&domain=3&asin=B000000001"
                        "&history=0");
    free(u);
}

Test(keepa_url, key_is_encoded_and_base_slash_dropped)
{
    struct fr_keepa_config c = cfg("a b&c=d/é", "http://127.0.0.1:8080//");
    char *u = fr_keepa_url_token(&c);

    cr_assert_str_eq(u, "http://127.0.0.1:8080/token?key=a%20b%26c%3Dd%2F%C3%A9");
    free(u);
}

Test(keepa_url, seller_and_deal)
{
    struct fr_keepa_config c = cfg("k", "https://api.keepa.com/");
    const char *ids[] = {"A1B2C3D4E5F6G7", "ATVPDKIKX0DER"};
    char *u = fr_keepa_url_seller(&c, ids, 2);

    cr_assert_str_eq(u, "https://api.keepa.com/seller?key=k&domain=3"
                        "&seller=A1B2C3D4E5F6G7,ATVPDKIKX0DER");
    free(u);
    u = fr_keepa_url_deal(&c);
    cr_assert_str_eq(u, "https://api.keepa.com/deal?key=k");
    free(u);
}

Test(keepa_url, deal_body_is_json_selection)
{
    struct fr_keepa_config c = cfg("k", "https://api.keepa.com");
    char *b = fr_keepa_deal_body(&c, 4);
    json_error_t je;
    json_t *j = json_loads(b, 0, &je);

    cr_assert_not_null(j, "%s", je.text);
    cr_assert_eq(json_integer_value(json_object_get(j, "page")), 4);
    cr_assert_eq(json_integer_value(json_object_get(j, "domainId")), 3);
    cr_assert_eq(json_array_size(json_object_get(j, "priceTypes")), 1);
    cr_assert_eq(json_integer_value(json_array_get(json_object_get(j, "priceTypes"), 0)), 0);
    cr_assert_eq(json_integer_value(json_object_get(j, "dateRange")), 1);
    cr_assert_eq(json_integer_value(json_object_get(j, "sortType")), 1);
    json_decref(j);
    free(b);
}

Test(keepa_url, deal_get_encodes_selection)
{
    struct fr_keepa_config c = cfg("k", "https://api.keepa.com");
    char *u = fr_keepa_url_deal_get(&c, 0);

    cr_assert(
        strncmp(u, "https://api.keepa.com/deal?key=k&domain=3&selection=%7B%22page%22%3A0",
                strlen("https://api.keepa.com/deal?key=k&domain=3&selection=%7B%22page%22%3A0")) ==
            0,
        "%s", u);
    cr_assert_null(strchr(u, '{'));
    cr_assert_null(strchr(u, '"'));
    free(u);
}

Test(keepa_url, redact)
{
    char out[256];

    fr_keepa_redact("https://api.keepa.com/product?key=SECRET123&domain=1&asin=B000000001", out,
                    sizeof(out));
    cr_assert_str_eq(out, "https://api.keepa.com/product?key=***&domain=1&asin=B000000001");
    fr_keepa_redact("https://api.keepa.com/token?key=SECRET123", out, sizeof(out));
    cr_assert_str_eq(out, "https://api.keepa.com/token?key=***");
    fr_keepa_redact("http://h/x?domain=1&key=S%20X#frag", out, sizeof(out));
    cr_assert_str_eq(out, "http://h/x?domain=1&key=***#frag");
    /* only the parameter named key, not one that ends in "key" */
    fr_keepa_redact("http://h/x?apikey=1&monkey=2", out, sizeof(out));
    cr_assert_str_eq(out, "http://h/x?apikey=1&monkey=2");
    /* a short buffer is still terminated and never shows the key */
    fr_keepa_redact("http://h/x?key=SECRET", out, 16);
    cr_assert_eq(strlen(out), 15);
    cr_assert_null(strstr(out, "SEC"));
}

Test(keepa_url, urls_redact_cleanly)
{
    struct fr_keepa_config c = cfg("top secret", "https://api.keepa.com");
    const char *asins[] = {"B000000001"};
    char *u = fr_keepa_url_product(&c, asins, 1, 90, 1), out[256];

    fr_keepa_redact(u, out, sizeof(out));
    cr_assert_null(strstr(out, "secret"));
    cr_assert_str_eq(out, "https://api.keepa.com/product?key=***&domain=3&asin=B000000001"
                          "&stats=90&history=1");
    free(u);
}

Test(keepa_url, asin_validation)
{
    const char *good[] = {"B000000001", "0123456789", "B07XJ8C8F5", "123456789X"};
    const char *bad[] = {"",           "B00000001",  "B0000000011",  "b000000001",
                         "B00000000!", "B0000 0001", "B000000001\n", NULL};

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        cr_assert(fr_keepa_valid_asin(good[i]), "%s", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_not(fr_keepa_valid_asin(bad[i]), "%s", bad[i] ? bad[i] : "NULL");
}

Test(keepa_url, domain_validation)
{
    for (int64_t d = -1; d <= 14; d++)
        cr_assert_eq(fr_keepa_valid_domain(d), d >= 1 && d <= 12 && d != 7, "%lld", (long long)d);
}

Test(keepa_url, keepa_minutes)
{
    cr_assert_eq(fr_keepa_minutes_to_ms(411180), 1318510800000LL);
    cr_assert_eq(fr_keepa_minutes_to_ms(0), 1293840000000LL);       /* 2011-01-01T00:00Z */
    cr_assert_eq(fr_keepa_minutes_to_ms(7889760), 1767225600000LL); /* 2026-01-01T00:00Z */
    cr_assert_eq(fr_keepa_minutes_to_ms(INT64_MAX), INT64_MAX);
    cr_assert_eq(fr_keepa_minutes_to_ms(INT64_MIN), INT64_MIN);
}
