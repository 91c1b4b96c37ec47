/*
 * Unit tests: the price analysis over hand-built series, every number computed by hand in
 * the comments. Times are days before a reference instant.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "common/sources/keepa_analysis.h"

#define NOW 1767225600000LL /* 2026-01-01T00:00Z */
#define DAY FR_KEEPA_DAY_MS

/* Amazon price: 2999 since day -200, 2500 from -60, 2000 from -20, 1800 from -10. */
static struct fr_keepa_point amazon_pts[] = {
    {NOW - 200 * DAY, 2999, 0},
    {NOW - 60 * DAY, 2500, 0},
    {NOW - 20 * DAY, 2000, 0},
    {NOW - 10 * DAY, 1800, 0},
};
static const struct fr_keepa_series amazon = {amazon_pts, 4, 1};

Test(keepa_analysis, time_weighted_mean)
{
    /* window [-90, 0]: 2999 x 30 d + 2500 x 40 d + 2000 x 10 d + 1800 x 10 d
     * = 89970 + 100000 + 20000 + 18000 = 227970 over 90 d = 2533 */
    cr_assert_eq(fr_keepa_time_weighted_mean(&amazon, NOW - 90 * DAY, NOW), 2533);
    /* window [-15, 0]: 2000 x 5 + 1800 x 10 = 28000 / 15 = 1866.67 -> 1867 */
    cr_assert_eq(fr_keepa_time_weighted_mean(&amazon, NOW - 15 * DAY, NOW), 1867);
    /* before any point: nothing */
    cr_assert_eq(fr_keepa_time_weighted_mean(&amazon, NOW - 300 * DAY, NOW - 250 * DAY), -1);
}

Test(keepa_analysis, mean_skips_no_offer_periods)
{
    /* 1000 for 10 d, out of stock (-1) 10 d, unknown (-2) 5 d, 2000 for 5 d:
     * (1000 x 10 + 2000 x 5) / 15 = 1333.33 -> 1333 */
    struct fr_keepa_point p[] = {
        {NOW - 30 * DAY, 1000, 0},
        {NOW - 20 * DAY, -1, 0},
        {NOW - 10 * DAY, -2, 0},
        {NOW - 5 * DAY, 2000, 0},
    };
    struct fr_keepa_series s = {p, 4, 1};

    cr_assert_eq(fr_keepa_time_weighted_mean(&s, NOW - 30 * DAY, NOW), 1333);
    /* only out of stock in the window */
    cr_assert_eq(fr_keepa_time_weighted_mean(&s, NOW - 20 * DAY, NOW - 12 * DAY), -1);
}

Test(keepa_analysis, slope)
{
    double sl;

    /* last 30 d sampled at x = 0 (2500 in force), 10 (2000), 20 (1800), 30 (1800 at now):
     * mean x 15, mean y 2025, Sxx 500, Sxy = -15*475 - 5*-25 + 5*-225 + 15*-225 = -11500
     * slope = -23 per day */
    cr_assert_eq(fr_keepa_slope_per_day(&amazon, NOW - 30 * DAY, NOW, &sl), 0);
    cr_assert_float_eq(sl, -23.0, 1e-9);
}

Test(keepa_analysis, slope_needs_two_samples)
{
    struct fr_keepa_point p[] = {{NOW - 10 * DAY, 500, 0}, {NOW - 5 * DAY, -1, 0}};
    struct fr_keepa_series s = {p, 2, 1}, empty = {NULL, 0, 0};
    double sl;

    /* 500 in force at the window start, out of stock since: one sample */
    cr_assert_eq(fr_keepa_slope_per_day(&s, NOW - 8 * DAY, NOW, &sl), -1);
    cr_assert_eq(fr_keepa_slope_per_day(&empty, NOW - 8 * DAY, NOW, &sl), -1);
    /* constant price: two samples at the same value, slope 0 */
    cr_assert_eq(fr_keepa_slope_per_day(&s, NOW - 9 * DAY, NOW - 6 * DAY, &sl), 0);
    cr_assert_float_eq(sl, 0.0, 1e-12);
}

Test(keepa_analysis, window_stats)
{
    double mean, sd;

    /* points in [-90, 0]: 2500, 2000, 1800; mean 2100;
     * variance (400^2 + 100^2 + 300^2) / 3 = 86666.67, sd 294.3920 */
    cr_assert_eq(fr_keepa_window_stats(&amazon, NOW - 90 * DAY, NOW, &mean, &sd), 3);
    cr_assert_float_eq(mean, 2100.0, 1e-9);
    cr_assert_float_eq(sd, sqrt(260000.0 / 3.0), 1e-9);
}

Test(keepa_analysis, drop_pct)
{
    double pct;

    cr_assert_eq(fr_keepa_drop_pct(2400, 1800, &pct), 0);
    cr_assert_float_eq(pct, 25.0, 1e-12);
    /* (3000 - 2001) / 3000 = 33.3 % */
    cr_assert_eq(fr_keepa_drop_pct(3000, 2001, &pct), 0);
    cr_assert_float_eq(pct, 33.3, 1e-12);
    /* above the average: negative, (1999 - 2100) / 1999 = -5.05 -> -5.1 */
    cr_assert_eq(fr_keepa_drop_pct(1999, 2100, &pct), 0);
    cr_assert_float_eq(pct, -5.1, 1e-12);
    cr_assert_eq(fr_keepa_drop_pct(-1, 1800, &pct), -1);
    cr_assert_eq(fr_keepa_drop_pct(0, 1800, &pct), -1);
    cr_assert_eq(fr_keepa_drop_pct(2400, -1, &pct), -1);
}

Test(keepa_analysis, rounding)
{
    cr_assert_float_eq(fr_keepa_round(-1.019049, 2), -1.02, 1e-12);
    cr_assert_float_eq(fr_keepa_round(2.25, 1), 2.3, 1e-12);
    cr_assert_float_eq(fr_keepa_round(-2.25, 1), -2.3, 1e-12);
    cr_assert(!signbit(fr_keepa_round(-0.04, 1)), "no negative zero");
}

Test(keepa_analysis, analyze_with_keepa_avg)
{
    struct fr_keepa_analysis a;

    fr_keepa_analyze(&amazon, 1800, 2400, NOW, &a);
    cr_assert_eq(a.current, 1800);
    cr_assert_eq(a.avg90, 2400);
    cr_assert(a.avg90_from_keepa);
    cr_assert(a.has_drop);
    cr_assert_float_eq(a.drop_pct_90d, 25.0, 1e-12);
    /* -23/day against 0.5 % of 2400 = 12/day: down */
    cr_assert_eq(a.trend, FR_TREND_DOWN);
    cr_assert_float_eq(a.velocity_per_day, -23.0, 1e-12);
    /* (1800 - 2100) / 294.392 = -1.019 -> -1.02, not a spike */
    cr_assert(a.has_zscore);
    cr_assert_float_eq(a.zscore, -1.02, 1e-12);
    cr_assert_not(a.spike);
    cr_assert_eq(a.points_90d, 3);
}

Test(keepa_analysis, analyze_computes_avg_and_flat)
{
    struct fr_keepa_analysis a;

    /* no Keepa average: computed 2533 (see time_weighted_mean);
     * drop (2533 - 1800) / 2533 = 28.94 % -> 28.9 */
    fr_keepa_analyze(&amazon, 1800, -1, NOW, &a);
    cr_assert_eq(a.avg90, 2533);
    cr_assert_not(a.avg90_from_keepa);
    cr_assert_float_eq(a.drop_pct_90d, 28.9, 1e-12);

    /* slope 10/day against 0.5 % of 2400 = 12/day: flat */
    {
        struct fr_keepa_point p[] = {{NOW - 40 * DAY, 2000, 0}, {NOW, 2300, 0}};
        struct fr_keepa_series s = {p, 2, 1};
        fr_keepa_analyze(&s, 2300, 2400, NOW, &a);
        /* samples (0, 2000), (30, 2300): slope 300 / 30 = 10 */
        cr_assert_float_eq(a.velocity_per_day, 10.0, 1e-12);
        cr_assert_eq(a.trend, FR_TREND_FLAT);
        /* 12.5/day would be up: 2000 -> 2375 */
        p[1].value = 2375;
        fr_keepa_analyze(&s, 2375, 2400, NOW, &a);
        cr_assert_float_eq(a.velocity_per_day, 12.5, 1e-12);
        cr_assert_eq(a.trend, FR_TREND_UP);
    }
}

Test(keepa_analysis, spike)
{
    /* 10 points of 1000 and one of 1000 + x in the last 90 days, current = that last one.
     * With 9 x 1000 and 1 x 2000: mean 1100, variance (9 x 100^2 + 900^2) / 10 = 90000,
     * sd 300, z = (2000 - 1100) / 300 = 3.0 -> spike */
    struct fr_keepa_point p[10];
    struct fr_keepa_series s = {p, 10, 1};
    struct fr_keepa_analysis a;

    for (int i = 0; i < 10; i++)
        p[i] = (struct fr_keepa_point){NOW - (80 - 8 * i) * DAY, i == 9 ? 2000 : 1000, 0};
    fr_keepa_analyze(&s, 2000, 1000, NOW, &a);
    cr_assert_eq(a.points_90d, 10);
    cr_assert_float_eq(a.zscore, 3.0, 1e-12);
    cr_assert(a.spike);
    /* drop (1000 - 2000) / 1000 = -100 % */
    cr_assert_float_eq(a.drop_pct_90d, -100.0, 1e-12);
}

Test(keepa_analysis, zscore_needs_three_points_and_spread)
{
    struct fr_keepa_point p[] = {
        {NOW - 30 * DAY, 1000, 0}, {NOW - 20 * DAY, 1000, 0}, {NOW - 10 * DAY, 1000, 0}};
    struct fr_keepa_series s = {p, 2, 1};
    struct fr_keepa_analysis a;

    fr_keepa_analyze(&s, 1000, -1, NOW, &a);
    cr_assert_eq(a.points_90d, 2);
    cr_assert_not(a.has_zscore);
    s.n = 3; /* three equal points: sd 0 */
    fr_keepa_analyze(&s, 1000, -1, NOW, &a);
    cr_assert_eq(a.points_90d, 3);
    cr_assert_not(a.has_zscore);
    cr_assert_not(a.spike);
    cr_assert_eq(a.trend, FR_TREND_FLAT);
}

Test(keepa_analysis, nothing_known)
{
    struct fr_keepa_analysis a;
    json_t *j;

    fr_keepa_analyze(NULL, -1, -2, NOW, &a);
    cr_assert_eq(a.avg90, -1);
    cr_assert_not(a.has_drop);
    cr_assert_eq(a.trend, FR_TREND_NONE);
    cr_assert_not(a.has_velocity);
    cr_assert_not(a.has_zscore);
    j = fr_keepa_analysis_json(&a, NULL);
    cr_assert(json_is_null(json_object_get(j, "avg90")));
    cr_assert(json_is_null(json_object_get(j, "drop_pct_90d")));
    cr_assert(json_is_null(json_object_get(j, "trend")));
    cr_assert(json_is_null(json_object_get(j, "zscore")));
    cr_assert(json_is_false(json_object_get(j, "spike")));
    cr_assert_eq(json_integer_value(json_object_get(j, "points_90d")), 0);
    json_decref(j);
}

Test(keepa_analysis, seed_interval)
{
    /* changes: amazon at -60, -20, -10 (the first point is not a change);
     * new at -50, -15, -5 (a repeat of the same value is not a change).
     * merged gaps 10, 30, 5, 5, 5 d -> median 5 d = 432000 s */
    struct fr_keepa_point np[] = {
        {NOW - 100 * DAY, 2899, 0}, {NOW - 50 * DAY, 2450, 0}, {NOW - 40 * DAY, 2450, 0},
        {NOW - 15 * DAY, -1, 0},    {NOW - 5 * DAY, 1750, 0},
    };
    struct fr_keepa_series nw = {np, 5, 1};

    cr_assert_eq(fr_keepa_seed_interval_s(&amazon, &nw), 432000);
    /* amazon alone: gaps 40, 10 d -> median of two = 25 d */
    cr_assert_eq(fr_keepa_seed_interval_s(&amazon, NULL), 25 * 86400);
    /* one change only */
    nw.n = 2;
    cr_assert_eq(fr_keepa_seed_interval_s(NULL, &nw), 0);
    cr_assert_eq(fr_keepa_seed_interval_s(NULL, NULL), 0);
}

Test(keepa_analysis, point_total)
{
    struct fr_keepa_point a = {0, 1099, 450}, b = {0, -1, 450}, c = {0, 1099, -2};

    cr_assert_eq(fr_keepa_point_total(&a), 1549);
    cr_assert_eq(fr_keepa_point_total(&b), -1);
    cr_assert_eq(fr_keepa_point_total(&c), 1099);
}
