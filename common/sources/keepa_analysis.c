/*
 * keepa_analysis — see keepa_analysis.h. Sums run in double: 2^31 cents times a 90-day
 * window in ms stays below 2^53 per term, so the means are exact enough to round.
 */
#include "common/sources/keepa_analysis.h"

#include <math.h>
#include <stdlib.h>

#include "common/mem.h"

void fr_keepa_series_release(struct fr_keepa_series *s)
{
    if (s == NULL)
        return;
    free(s->pts);
    s->pts = NULL;
    s->n = 0;
    s->present = 0;
}

int32_t fr_keepa_point_total(const struct fr_keepa_point *p)
{
    if (p->value < 0 || p->shipping <= 0)
        return p->value;
    if ((int64_t)p->value + p->shipping > INT32_MAX)
        return INT32_MAX;
    return p->value + p->shipping;
}

int32_t fr_keepa_series_last(const struct fr_keepa_series *s)
{
    if (s == NULL || s->n == 0)
        return -2;
    return fr_keepa_point_total(&s->pts[s->n - 1]);
}

int64_t fr_keepa_time_weighted_mean(const struct fr_keepa_series *s, int64_t from_ms, int64_t to_ms)
{
    double num = 0, den = 0;

    for (size_t i = 0; s != NULL && i < s->n; i++) {
        int64_t a = s->pts[i].t_ms, b = i + 1 < s->n ? s->pts[i + 1].t_ms : to_ms;
        int32_t v = fr_keepa_point_total(&s->pts[i]);

        if (a < from_ms)
            a = from_ms;
        if (b > to_ms)
            b = to_ms;
        if (b <= a || v < 0)
            continue;
        num += (double)v * (double)(b - a);
        den += (double)(b - a);
    }
    return den > 0 ? (int64_t)llround(num / den) : -1;
}

/* Index of the last point at or before t, or -1. */
static long last_at_or_before(const struct fr_keepa_series *s, int64_t t)
{
    long k = -1;

    for (size_t i = 0; i < s->n && s->pts[i].t_ms <= t; i++)
        k = (long)i;
    return k;
}

int fr_keepa_slope_per_day(const struct fr_keepa_series *s, int64_t from_ms, int64_t to_ms,
                           double *per_day)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0, n = 0, x, y, den;
    long start, end;

    if (s == NULL || s->n == 0 || to_ms <= from_ms)
        return -1;
    start = last_at_or_before(s, from_ms);
    end = last_at_or_before(s, to_ms);
    for (long i = start < 0 ? 0 : start; i <= end; i++) {
        y = fr_keepa_point_total(&s->pts[i]);
        if (y < 0)
            continue;
        x = (double)((i == start ? from_ms : s->pts[i].t_ms) - from_ms) / FR_KEEPA_DAY_MS;
        sx += x, sy += y, sxx += x * x, sxy += x * y, n++;
    }
    if (end >= 0 && s->pts[end].t_ms < to_ms && fr_keepa_point_total(&s->pts[end]) >= 0) {
        x = (double)(to_ms - from_ms) / FR_KEEPA_DAY_MS;
        y = fr_keepa_point_total(&s->pts[end]);
        sx += x, sy += y, sxx += x * x, sxy += x * y, n++;
    }
    den = n * sxx - sx * sx;
    if (n < 2 || den <= 0)
        return -1;
    *per_day = (n * sxy - sx * sy) / den;
    return 0;
}

size_t fr_keepa_window_stats(const struct fr_keepa_series *s, int64_t from_ms, int64_t to_ms,
                             double *mean, double *stddev)
{
    double sum = 0, sq = 0;
    size_t n = 0;

    for (size_t i = 0; s != NULL && i < s->n; i++) {
        int32_t v = fr_keepa_point_total(&s->pts[i]);
        if (s->pts[i].t_ms >= from_ms && s->pts[i].t_ms <= to_ms && v >= 0)
            sum += v, n++;
    }
    *mean = n ? sum / (double)n : 0;
    for (size_t i = 0; s != NULL && i < s->n; i++) {
        int32_t v = fr_keepa_point_total(&s->pts[i]);
        if (s->pts[i].t_ms >= from_ms && s->pts[i].t_ms <= to_ms && v >= 0)
            sq += (v - *mean) * (v - *mean);
    }
    *stddev = n ? sqrt(sq / (double)n) : 0;
    return n;
}

double fr_keepa_round(double v, int decimals)
{
    double m = 1, r;

    for (int i = 0; i < decimals && i < 6; i++)
        m *= 10;
    r = round(v * m) / m;
    return r == 0 ? 0.0 : r; /* no "-0.0" in payloads */
}

int fr_keepa_drop_pct(int64_t avg, int64_t current, double *pct)
{
    if (avg <= 0 || current < 0)
        return -1;
    *pct = fr_keepa_round((double)(avg - current) * 100.0 / (double)avg, 1);
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

static size_t collect_changes(const struct fr_keepa_series *s, int64_t *out, size_t k)
{
    for (size_t i = 1; s != NULL && i < s->n; i++)
        if (s->pts[i].value != s->pts[i - 1].value)
            out[k++] = s->pts[i].t_ms;
    return k;
}

int64_t fr_keepa_seed_interval_s(const struct fr_keepa_series *a, const struct fr_keepa_series *b)
{
    size_t cap = (a ? a->n : 0) + (b ? b->n : 0), n, u = 0;
    int64_t *t, med = 0;

    if (cap < 2)
        return 0;
    t = fr_xmalloc(cap * sizeof(*t));
    n = collect_changes(b, t, collect_changes(a, t, 0));
    qsort(t, n, sizeof(*t), cmp_i64);
    for (size_t i = 0; i < n; i++) /* unique, then turn into gaps in place */
        if (u == 0 || t[i] != t[u - 1])
            t[u++] = t[i];
    if (u >= 2) {
        for (size_t i = 0; i + 1 < u; i++)
            t[i] = t[i + 1] - t[i];
        u--;
        qsort(t, u, sizeof(*t), cmp_i64);
        med = u % 2 ? t[u / 2] : (t[u / 2 - 1] + t[u / 2]) / 2;
    }
    free(t);
    return med / 1000;
}

void fr_keepa_analyze(const struct fr_keepa_series *s, int64_t current, int64_t keepa_avg90,
                      int64_t now_ms, struct fr_keepa_analysis *out)
{
    int64_t from90 = now_ms - 90 * FR_KEEPA_DAY_MS, from30 = now_ms - 30 * FR_KEEPA_DAY_MS;
    double slope, mean, sd, base;
    size_t n;

    *out = (struct fr_keepa_analysis){.current = current >= 0 ? current : -1, .avg90 = -1};
    if (keepa_avg90 > 0) {
        out->avg90 = keepa_avg90;
        out->avg90_from_keepa = 1;
    } else {
        out->avg90 = fr_keepa_time_weighted_mean(s, from90, now_ms);
    }
    out->has_drop = fr_keepa_drop_pct(out->avg90, out->current, &out->drop_pct_90d) == 0;

    if (fr_keepa_slope_per_day(s, from30, now_ms, &slope) == 0) {
        base = out->avg90 > 0 ? (double)out->avg90
                              : (double)fr_keepa_time_weighted_mean(s, from30, now_ms);
        out->has_velocity = 1;
        out->velocity_per_day = fr_keepa_round(slope, 1);
        if (fabs(slope) < (base > 0 ? base : 0) * FR_KEEPA_FLAT_PCT / 100.0 || slope == 0)
            out->trend = FR_TREND_FLAT;
        else
            out->trend = slope > 0 ? FR_TREND_UP : FR_TREND_DOWN;
    }

    n = fr_keepa_window_stats(s, from90, now_ms, &mean, &sd);
    out->points_90d = (int)n;
    if (n >= 3 && sd > 0 && out->current >= 0) {
        double z = ((double)out->current - mean) / sd;
        out->has_zscore = 1;
        out->zscore = fr_keepa_round(z, 2);
        out->spike = fabs(z) >= FR_KEEPA_SPIKE_Z;
    }
}

static json_t *int_or_null(int64_t v)
{
    return v >= 0 ? json_integer(v) : json_null();
}

json_t *fr_keepa_analysis_json(const struct fr_keepa_analysis *a, const char *price_type)
{
    static const char *const trends[] = {NULL, "up", "down", "flat"};
    json_t *o = json_object();
    const char *src = a->avg90 < 0 ? NULL : a->avg90_from_keepa ? "keepa" : "history";
    const char *trend = a->trend > 0 && a->trend < 4 ? trends[a->trend] : NULL;

    json_object_set_new(o, "price_type", price_type ? json_string(price_type) : json_null());
    json_object_set_new(o, "current", int_or_null(a->current));
    json_object_set_new(o, "avg90", int_or_null(a->avg90));
    json_object_set_new(o, "avg90_source", src ? json_string(src) : json_null());
    json_object_set_new(o, "drop_pct_90d", a->has_drop ? json_real(a->drop_pct_90d) : json_null());
    json_object_set_new(o, "trend", trend ? json_string(trend) : json_null());
    json_object_set_new(o, "velocity_per_day",
                        a->has_velocity ? json_real(a->velocity_per_day) : json_null());
    json_object_set_new(o, "zscore", a->has_zscore ? json_real(a->zscore) : json_null());
    json_object_set_new(o, "spike", json_boolean(a->spike));
    json_object_set_new(o, "points_90d", json_integer(a->points_90d));
    return o;
}
