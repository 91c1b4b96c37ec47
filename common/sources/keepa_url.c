/*
 * keepa_url — request URLs and the /deal selection, plus the small checks on ids and
 * times every Keepa caller needs. See keepa.h.
 */
#include "common/sources/keepa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/mem.h"
#include "common/url.h"

/* Starts "<base>/<path>?key=<key>" in b. */
static void start_url(struct fr_buf *b, const struct fr_keepa_config *c, const char *path)
{
    const char *base = c->base_url ? c->base_url : "https://api.keepa.com";
    size_t len = strlen(base);

    while (len > 0 && base[len - 1] == '/')
        len--;
    fr_buf_init(b, 0);
    fr_buf_append(b, base, len);
    fr_buf_printf(b, "/%s?key=", path);
    fr_url_encode(b, c->api_key ? c->api_key : "");
}

static void put_list(struct fr_buf *b, const char *name, const char *const *ids, size_t n)
{
    fr_buf_printf(b, "&%s=", name);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            fr_buf_putc(b, ',');
        fr_url_encode(b, ids[i] ? ids[i] : "");
    }
}

char *fr_keepa_url_product(const struct fr_keepa_config *c, const char *const *asins, size_t n,
                           int stats_days, int history)
{
    struct fr_buf b;

    start_url(&b, c, "product");
    fr_buf_printf(&b, "&domain=%lld", (long long)c->domain);
    put_list(&b, "asin", asins, n);
    if (stats_days > 0)
        fr_buf_printf(&b, "&stats=%d", stats_days);
    fr_buf_printf(&b, "&history=%d", history ? 1 : 0);
    return fr_buf_detach(&b, NULL);
}

char *fr_keepa_url_deal(const struct fr_keepa_config *c)
{
    struct fr_buf b;

    start_url(&b, c, "deal");
    return fr_buf_detach(&b, NULL);
}

char *fr_keepa_deal_body(const struct fr_keepa_config *c, int page)
{
    /* sortType 1 = newest change first; dateRange 1 = the last week; Java's Gson sends the
     * false flags too, so does this. */
    return fr_xasprintf("{\"page\":%d,\"domainId\":%lld,\"priceTypes\":[0],\"dateRange\":1,"
                        "\"sortType\":1,\"isFilterEnabled\":false,\"isRangeEnabled\":false}",
                        page < 0 ? 0 : page, (long long)c->domain);
}

char *fr_keepa_url_deal_get(const struct fr_keepa_config *c, int page)
{
    struct fr_buf b;
    char *sel = fr_keepa_deal_body(c, page);

    start_url(&b, c, "deal");
    fr_buf_printf(&b, "&domain=%lld&selection=", (long long)c->domain);
    fr_url_encode(&b, sel);
    free(sel);
    return fr_buf_detach(&b, NULL);
}

char *fr_keepa_url_seller(const struct fr_keepa_config *c, const char *const *ids, size_t n)
{
    struct fr_buf b;

    start_url(&b, c, "seller");
    fr_buf_printf(&b, "&domain=%lld", (long long)c->domain);
    put_list(&b, "seller", ids, n);
    return fr_buf_detach(&b, NULL);
}

char *fr_keepa_url_token(const struct fr_keepa_config *c)
{
    struct fr_buf b;

    start_url(&b, c, "token");
    return fr_buf_detach(&b, NULL);
}

void fr_keepa_redact(const char *url, char *out, size_t n)
{
    size_t o = 0;
    const char *p = url, *q = strchr(url, '?');

    if (n == 0)
        return;
    while (*p && o + 1 < n) {
        out[o++] = *p;
        /* a "key" parameter starts after '?' or '&' once the query has begun */
        if (q != NULL && p >= q && (*p == '?' || *p == '&') && strncmp(p + 1, "key=", 4) == 0) {
            for (const char *r = "key=***"; *r && o + 1 < n; r++)
                out[o++] = *r;
            p += 5;
            while (*p && *p != '&' && *p != '#')
                p++;
            continue;
        }
        p++;
    }
    out[o] = '\0';
}

int fr_keepa_valid_asin(const char *s)
{
    size_t i;

    if (s == NULL)
        return 0;
    for (i = 0; s[i] != '\0'; i++)
        if (i >= 10 || !((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return 0;
    return i == 10;
}

int fr_keepa_valid_domain(int64_t d)
{
    return d >= 1 && d <= 12 && d != 7;
}

int64_t fr_keepa_minutes_to_ms(int64_t m)
{
    const int64_t hi = INT64_MAX / 60000 - FR_KEEPA_EPOCH_MINUTE;
    const int64_t lo = INT64_MIN / 60000 + FR_KEEPA_EPOCH_MINUTE;

    if (m > hi)
        return INT64_MAX;
    if (m < lo)
        return INT64_MIN;
    return (m + FR_KEEPA_EPOCH_MINUTE) * 60000;
}
