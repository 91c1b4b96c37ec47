/*
 * product_json.c - renders a Keepa Product object (REFERENCE A4).
 *
 * The fake populates the series a freshness pipeline reads: csv[0] AMAZON,
 * csv[1] NEW, csv[3] SALES (pairs) and csv[18] BUY_BOX_SHIPPING (triplets),
 * stats (current and windowed averages, buy box) and buyBoxSellerIdHistory.
 * Every other csv series is null, as it is for many real products. Unknown
 * and invalid ASINs get the bare productType 4 entry Keepa returns for them.
 */
#include "product.h"

#include "clock.h"
#include "hash.h"
#include "prices.h"
#include "series.h"
#include "text.h"

#include <stdio.h>

#define MINUTES_PER_DAY 1440

static void render_invalid(const struct fk_product_opts *o, const char *asin, size_t len,
                           int64_t now_km, struct fk_buf *out)
{
    fk_jw_open(out, '{');
    fk_jw_key(out, "asin");
    fk_jw_str(out, asin, len);
    fk_jw_kint(out, "domainId", o->domain);
    fk_jw_kint(out, "productType", 4);
    fk_jw_key(out, "title");
    fk_jw_null(out);
    fk_jw_kint(out, "lastUpdate", now_km);
    fk_jw_kint(out, "lastPriceChange", -1);
    fk_jw_key(out, "csv");
    fk_jw_null(out);
    fk_jw_key(out, "stats");
    fk_jw_null(out);
    fk_jw_close(out, '}');
}

static void render_identity(uint64_t seed, uint32_t idx, const struct fk_product_opts *o,
                            const char *asin, struct fk_buf *out, struct fk_buf *scratch)
{
    int64_t cats[3];
    int ncats = fk_text_categories(seed, idx, cats);
    char img[16];

    fk_jw_kstr(out, "asin", asin);
    fk_jw_kint(out, "domainId", o->domain);
    fk_jw_kint(out, "productType", 0);
    scratch->len = 0;
    fk_text_title(seed, idx, scratch);
    fk_jw_key(out, "title");
    fk_jw_str(out, scratch->data, scratch->len);
    fk_jw_kstr(out, "brand", fk_text_brand(seed, idx));
    scratch->len = 0;
    fk_text_manufacturer(seed, idx, scratch);
    fk_jw_key(out, "manufacturer");
    fk_jw_str(out, scratch->data, scratch->len);
    fk_jw_kint(out, "rootCategory", fk_text_root(seed, idx)->id);
    fk_jw_key(out, "categories");
    fk_jw_open(out, '[');
    for (int k = 0; k < ncats; k++)
        fk_jw_int(out, cats[k]);
    fk_jw_close(out, ']');
    scratch->len = 0;
    for (int k = 0; k < fk_text_image_count(seed, idx); k++) {
        fk_text_image(seed, idx, k, img);
        if (k > 0)
            fk_buf_putc(scratch, ',');
        fk_buf_puts(scratch, img);
    }
    fk_jw_key(out, "imagesCSV");
    fk_jw_str(out, scratch->data, scratch->len);
}

/* First point to include when histories are trimmed to the last `days`. */
static int first_point(const struct fk_series *s, const struct fk_product_opts *o)
{
    int first = 0;

    if (o->days <= 0)
        return 0;
    /* Keep the point in force at the window start, as Keepa's trimming does. */
    while (first + 1 < s->n && s->km[first + 1] <= s->now_km - o->days * MINUTES_PER_DAY)
        first++;
    return first;
}

static void render_series(const struct fk_series *s, int first, int type, struct fk_buf *out)
{
    fk_jw_open(out, '[');
    for (int i = first; i < s->n; i++) {
        fk_jw_int(out, s->km[i]);
        switch (type) {
        case FK_CSV_AMAZON:
            fk_jw_int(out, s->amazon[i]);
            break;
        case FK_CSV_NEW:
            fk_jw_int(out, s->newp[i]);
            break;
        case FK_CSV_SALES:
            fk_jw_int(out, s->rank[i]);
            break;
        default: /* BUY_BOX_SHIPPING: price and shipping */
            fk_jw_int(out, s->newp[i]);
            fk_jw_int(out, s->shipping[i]);
            break;
        }
    }
    fk_jw_close(out, ']');
}

static void render_csv(const struct fk_series *s, const struct fk_product_opts *o,
                       struct fk_buf *out)
{
    int first = first_point(s, o);

    fk_jw_key(out, "csv");
    if (!o->history) {
        fk_jw_null(out);
        return;
    }
    fk_jw_open(out, '[');
    for (int t = 0; t < FK_CSV_COUNT; t++) {
        if (fk_series_values(s, t) != NULL)
            render_series(s, first, t, out);
        else
            fk_jw_null(out);
    }
    fk_jw_close(out, ']');
}

static void render_seller_history(const struct fk_server *srv, const struct fk_series *s,
                                  const struct fk_product_opts *o, struct fk_buf *out)
{
    fk_jw_key(out, "buyBoxSellerIdHistory");
    if (!o->history) {
        fk_jw_null(out);
        return;
    }
    fk_jw_open(out, '[');
    for (int i = first_point(s, o); i < s->n; i++) {
        char t[24];
        snprintf(t, sizeof(t), "%lld", (long long)s->km[i]);
        fk_jw_cstr(out, t);
        fk_jw_cstr(out, s->newp[i] < 0 ? "-1" : fk_sellers_id(srv->sellers, s->seller[i]));
    }
    fk_jw_close(out, ']');
}

static int sales_rank_drops(const struct fk_series *s, int64_t days)
{
    int drops = 0;

    for (int i = 1; i < s->n; i++) {
        if (s->km[i] >= s->now_km - days * MINUTES_PER_DAY && s->rank[i] < s->rank[i - 1])
            drops++;
    }
    return drops;
}

static void render_avg(const struct fk_series *s, const char *name, int64_t days,
                       struct fk_buf *out)
{
    int32_t v[FK_CSV_COUNT];

    fk_series_stat(s, days * MINUTES_PER_DAY, v);
    fk_jw_key(out, name);
    fk_jw_int_array(out, v, FK_CSV_COUNT);
}

static void render_stats(const struct fk_server *srv, uint64_t seed, uint32_t idx,
                         const struct fk_series *s, const struct fk_product_opts *o,
                         struct fk_buf *out)
{
    int last = s->n - 1;
    int32_t cur[FK_CSV_COUNT];

    fk_series_stat(s, -1, cur);
    fk_jw_key(out, "stats");
    fk_jw_open(out, '{');
    fk_jw_key(out, "current");
    fk_jw_int_array(out, cur, FK_CSV_COUNT);
    render_avg(s, "avg", o->stats_days, out);
    render_avg(s, "avg30", 30, out);
    render_avg(s, "avg90", 90, out);
    render_avg(s, "avg180", 180, out);
    fk_jw_kint(out, "salesRankDrops30", sales_rank_drops(s, 30));
    fk_jw_kint(out, "salesRankDrops90", sales_rank_drops(s, 90));
    fk_jw_kint(out, "totalOfferCount", fk_offer_count(seed, idx, s->version[last], s->newp[last]));
    fk_jw_kint(out, "buyBoxPrice", s->newp[last]);
    fk_jw_kint(out, "buyBoxShipping", s->shipping[last]);
    fk_jw_kbool(out, "buyBoxIsFBA", s->shipping[last] == 0);
    fk_jw_kbool(out, "buyBoxIsAmazon", 0);
    fk_jw_key(out, "buyBoxSellerId");
    if (s->newp[last] < 0)
        fk_jw_null(out);
    else
        fk_jw_cstr(out, fk_sellers_id(srv->sellers, s->seller[last]));
    fk_jw_close(out, '}');
}

/* offers[]: the product's (up to) three regular sellers' current offers. */
static void render_offers(const struct fk_server *srv, uint64_t seed, uint32_t idx,
                          const struct fk_series *s, struct fk_buf *out)
{
    int last = s->n - 1, n = s->newp[last] < 0 ? 0 : 3;

    fk_jw_key(out, "offers");
    fk_jw_open(out, '[');
    for (int k = 0; k < n; k++) {
        uint32_t seller = (uint32_t)(fk_hashv(seed, idx, FK_SALT_SELLER, -1 - k) % FK_SELLER_POOL);
        int32_t price = s->newp[last] + (seller == s->seller[last] ? 0 : 100 * (k + 1));
        fk_jw_open(out, '{');
        fk_jw_kint(out, "offerId", k);
        fk_jw_kint(out, "lastSeen", s->now_km);
        fk_jw_kstr(out, "sellerId", fk_sellers_id(srv->sellers, seller));
        fk_jw_key(out, "offerCSV");
        fk_jw_open(out, '[');
        fk_jw_int(out, s->km[last]);
        fk_jw_int(out, price);
        fk_jw_int(out, s->shipping[last]);
        fk_jw_close(out, ']');
        fk_jw_kint(out, "condition", 1);
        fk_jw_kbool(out, "isPrime", s->shipping[last] == 0);
        fk_jw_kbool(out, "isFBA", s->shipping[last] == 0);
        fk_jw_kbool(out, "isAmazon", 0);
        fk_jw_kbool(out, "isShippable", 1);
        fk_jw_close(out, '}');
    }
    fk_jw_close(out, ']');
    fk_jw_key(out, "liveOffersOrder");
    fk_jw_open(out, '[');
    for (int k = 0; k < n; k++)
        fk_jw_int(out, k);
    fk_jw_close(out, ']');
}

int64_t fk_product_render(const struct fk_server *srv, const struct fk_product_opts *o,
                          const char *asin, size_t len, int64_t now, struct fk_buf *out)
{
    uint64_t seed = fk_catalog_seed(srv->cat);
    struct fk_series s;
    struct fk_buf scratch;
    int64_t tracked;
    uint32_t idx = 0;
    char canon[FK_ASIN_LEN + 1];
    int known = fk_catalog_lookup(srv->cat, asin, len, &idx) == 0;

    if (!known || fk_catalog_invalid(srv->cat, idx)) {
        render_invalid(o, asin, len, fk_clock_keepa_minute(now), out);
        return known ? (int64_t)idx : -1;
    }
    tracked = fk_clock_keepa_minute(fk_catalog_tracked_at(srv->cat, idx));
    fk_asin_encode(idx, canon);
    fk_series_build(srv->cat, idx, now, &s);
    fk_buf_init(&scratch, 256);
    fk_jw_open(out, '{');
    render_identity(seed, idx, o, canon, out, &scratch);
    fk_jw_kint(out, "trackingSince", s.km[0] < tracked ? s.km[0] : tracked);
    fk_jw_kint(out, "listedSince", tracked - MINUTES_PER_DAY);
    fk_jw_kint(out, "lastUpdate", s.now_km);
    fk_jw_kint(out, "lastPriceChange", s.km[s.n - 1]);
    fk_jw_kint(out, "availabilityAmazon", s.amazon[s.n - 1] >= 0 ? 0 : -1);
    render_csv(&s, o, out);
    render_stats(srv, seed, idx, &s, o, out);
    render_seller_history(srv, &s, o, out);
    if (o->offers > 0) {
        fk_jw_kbool(out, "offersSuccessful", 1);
        render_offers(srv, seed, idx, &s, out);
    }
    fk_jw_close(out, '}');
    fk_buf_release(&scratch);
    return idx;
}
