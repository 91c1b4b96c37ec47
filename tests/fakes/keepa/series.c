/*
 * series.c - a product's time series and its statistics, see series.h.
 *
 * Keepa timestamps are whole minutes, but tests run with change periods of a
 * second, so several versions can fall in the same minute. Real Keepa series
 * never repeat a timestamp, so older points are pushed back one minute at a
 * time until timestamps strictly increase; the newest point stays exact
 * because it is what lastPriceChange reports.
 */
#include "series.h"

#include "clock.h"
#include "prices.h"

#include <stddef.h>

static void fill_point(struct fk_series *s, int i, uint64_t seed, uint32_t idx, int64_t v)
{
    s->version[i] = v;
    s->newp[i] = fk_price_new(seed, idx, v);
    s->amazon[i] = fk_price_amazon(seed, idx, v, s->newp[i]);
    s->rank[i] = fk_sales_rank(seed, idx, v);
    s->shipping[i] = fk_shipping(seed, idx, v, s->newp[i]);
    s->landed[i] = s->newp[i] < 0 ? FK_NO_OFFER : s->newp[i] + s->shipping[i];
    s->seller[i] = fk_buybox_seller(seed, idx, v);
}

/* Fills s from the n points of product idx's history in pts. */
static void build_from(const struct fk_catalog *cat, uint32_t idx, int64_t now,
                       const struct fk_point *pts, int n, struct fk_series *s)
{
    uint64_t seed = fk_catalog_seed(cat);

    s->n = n;
    s->now_km = fk_clock_keepa_minute(now);
    for (int i = 0; i < s->n; i++) {
        fill_point(s, i, seed, idx, pts[i].version);
        s->km[i] = fk_clock_keepa_minute(pts[i].at);
    }
    for (int i = s->n - 2; i >= 0; i--) {
        if (s->km[i] >= s->km[i + 1])
            s->km[i] = s->km[i + 1] - 1;
    }
}

void fk_series_build(const struct fk_catalog *cat, uint32_t idx, int64_t now, struct fk_series *s)
{
    struct fk_point pts[FK_HISTORY_MAX];
    int n = fk_catalog_history(cat, idx, now, pts);

    build_from(cat, idx, now, pts, n, s);
}

void fk_series_build_deal(const struct fk_catalog *cat, uint32_t idx, int64_t now,
                          struct fk_series *s)
{
    struct fk_point pts[FK_HISTORY_MAX];
    int n = fk_catalog_deal_history(cat, idx, now, pts);

    build_from(cat, idx, now, pts, n, s);
}

const int32_t *fk_series_values(const struct fk_series *s, int type)
{
    switch (type) {
    case FK_CSV_AMAZON:
        return s->amazon;
    case FK_CSV_NEW:
        return s->newp;
    case FK_CSV_SALES:
        return s->rank;
    case FK_CSV_BUY_BOX_SHIPPING:
        return s->landed;
    default:
        return NULL;
    }
}

/* Time-weighted mean of the offered values over [now - window, now]. */
static int32_t window_avg(const struct fk_series *s, const int32_t *v, int64_t window)
{
    int64_t from = s->now_km - window;
    double sum = 0, weight = 0;

    for (int i = 0; i < s->n; i++) {
        int64_t start = s->km[i] > from ? s->km[i] : from;
        int64_t end = i + 1 < s->n ? s->km[i + 1] : s->now_km;
        if (v[i] < 0 || end <= start)
            continue;
        sum += (double)v[i] * (double)(end - start);
        weight += (double)(end - start);
    }
    if (weight > 0)
        return (int32_t)(sum / weight + 0.5);
    /* No offer in the window, or all of it younger than a minute. */
    return v[s->n - 1];
}

void fk_series_stat(const struct fk_series *s, int64_t window_min, int32_t out[FK_CSV_COUNT])
{
    for (int t = 0; t < FK_CSV_COUNT; t++) {
        const int32_t *v = fk_series_values(s, t);
        if (v == NULL)
            out[t] = FK_UNKNOWN;
        else if (window_min < 0)
            out[t] = v[s->n - 1];
        else
            out[t] = window_avg(s, v, window_min);
    }
}
