/*
 * Unit tests: the freshness model (common/freshness.h) against Cho & Garcia-Molina's
 * closed forms, the rate estimator, and the budgeted allocation.
 */
#include <criterion/criterion.h>
#include <math.h>

#include "common/freshness.h"

static int close_to(double a, double b, double rel)
{
    return fabs(a - b) <= rel * fmax(fabs(a), fabs(b)) + 1e-12;
}

Test(freshness, average_matches_the_closed_form)
{
    cr_assert(close_to(fr_fresh_average(0.1, 0.1), 1 - exp(-1), 1e-12));
    cr_assert(close_to(fr_fresh_average(1.0, 0.5), (1 - exp(-2)) / 2, 1e-12));
    cr_assert_eq(fr_fresh_average(0, 1), 1.0);
    cr_assert_eq(fr_fresh_average(1, 0), 0.0);
    cr_assert(fr_fresh_average(1e-12, 1) > 0.999999);
}

Test(freshness, g_inverse_inverts)
{
    for (double x = 0.01; x < 40; x *= 1.7) {
        double y = 1 - (1 + x) * exp(-x);
        cr_assert(close_to(fr_fresh_g_inverse(y), x, 1e-6), "x %g: got %g", x,
                  fr_fresh_g_inverse(y));
    }
    cr_assert_eq(fr_fresh_g_inverse(0), 0);
    cr_assert(isinf(fr_fresh_g_inverse(1)));
}

Test(freshness, bands_cover_the_grid)
{
    cr_assert_eq(fr_fresh_band(0), 0);
    cr_assert_eq(fr_fresh_band(1e-20), 0);
    cr_assert_eq(fr_fresh_band(1e9), FR_FRESH_BANDS - 1);
    for (int b = 0; b < FR_FRESH_BANDS; b++)
        cr_assert_eq(fr_fresh_band(fr_fresh_band_rate(b)), b);
}

Test(freshness, estimator_is_chos)
{
    /* 10 fetches 60 s apart, 4 found a change: −ln(6.5/10.5)/60. */
    cr_assert(close_to(fr_fresh_estimate(10, 4, 600), -log(6.5 / 10.5) / 60, 1e-12));
    cr_assert_eq(fr_fresh_estimate(0, 0, 0), 0);
    cr_assert_eq(fr_fresh_estimate(5, 0, 0), 0);
    /* Every fetch saw a change: finite, and more than one change an interval. */
    cr_assert(fr_fresh_estimate(10, 10, 100) > 1.0 / 10);
    cr_assert(isfinite(fr_fresh_estimate(10, 12, 100)));
}

Test(freshness, uneven_estimator)
{
    /* Even intervals: Cho's estimator; no tc yet (rows from before it was kept): too. */
    cr_assert(close_to(fr_fresh_estimate_uneven(10, 4, 600, 240), fr_fresh_estimate(10, 4, 600),
                       1e-12));
    cr_assert(close_to(fr_fresh_estimate_uneven(10, 4, 600, 0), fr_fresh_estimate(10, 4, 600),
                       1e-12));
    cr_assert(close_to(fr_fresh_estimate_uneven(10, 10, 100, 100), fr_fresh_estimate(10, 10, 100),
                       1e-12));
    cr_assert_eq(fr_fresh_estimate_uneven(10, 0, 100, 0), 0);
    cr_assert_eq(fr_fresh_estimate_uneven(0, 0, 0, 0), 0);
    /* Fetches alternately 1 s and 9 s apart, rate 0.3: the expected counts. Cho's
     * estimator, which takes every interval as the mean, is 40% low; this one within 10%. */
    {
        double l = 0.3, pa = 1 - exp(-l * 1), pb = 1 - exp(-l * 9);
        double x = 500 * (pa + pb), tc = 500 * (1 * pa + 9 * pb);
        double uneven = fr_fresh_estimate_uneven(1000, x, 5000, tc);

        cr_assert(fr_fresh_estimate(1000, x, 5000) < 0.2);
        cr_assert(fabs(uneven - l) < 0.1 * l, "uneven estimate %g", uneven);
    }
}

/* Puts n items of rate r in their band; returns the band. */
static int one_band(double *count, double *rate, double n, double r)
{
    int b = fr_fresh_band(r);

    count[b] = n;
    rate[b] = r;
    return b;
}

/* Equal rates: the optimum is the uniform allocation, F̄ = (1 − e^{−x})/x. */
Test(freshness, equal_rates_get_the_uniform_allocation)
{
    double count[FR_FRESH_BANDS] = {0}, rate[FR_FRESH_BANDS] = {0};
    struct fr_fresh_plan p;
    int b = one_band(count, rate, 1000, 0.02);

    cr_assert_eq(fr_fresh_solve(count, rate, 20.0, 1, 1e6, &p), 0); /* 1000 items, 50 s */
    cr_assert(close_to(p.interval_s[b], 50, 1e-6), "interval %g", p.interval_s[b]);
    cr_assert(close_to(p.expected, (1 - exp(-1)) / 1, 1e-6), "expected %g", p.expected);
    cr_assert(close_to(p.spent_per_s, 20, 1e-6));
}

static double uniform(const double *count, const double *rate, double budget)
{
    double n = 0, s = 0;

    for (int k = 0; k < FR_FRESH_BANDS; k++)
        n += count[k];
    for (int k = 0; k < FR_FRESH_BANDS; k++)
        s += count[k] * fr_fresh_average(rate[k], budget / n);
    return s / n;
}

/* Log-uniform rates from once per 50 min to once per 10 s, budget N/50 s: the optimum
 * beats uniform, which beats refreshing in proportion to the rate (Cho's result). */
Test(freshness, optimum_beats_uniform_beats_proportional)
{
    double count[FR_FRESH_BANDS] = {0}, rate[FR_FRESH_BANDS] = {0}, sum = 0, prop = 0;
    double budget = 2000.0 / 50;
    struct fr_fresh_plan p;

    for (int k = 0; k < FR_FRESH_BANDS; k++) {
        double r = fr_fresh_band_rate(k);
        if (r >= 1.0 / 3000 && r <= 0.1) {
            count[k] = 100;
            rate[k] = r;
            sum += 100 * r;
        }
    }
    cr_assert_eq(fr_fresh_solve(count, rate, budget, 0.001, 1e9, &p), 0);
    for (int k = 0; k < FR_FRESH_BANDS; k++)
        if (count[k] > 0)
            prop += count[k] * fr_fresh_average(rate[k], budget * rate[k] / sum);
    prop /= p.items;
    cr_assert(close_to(p.spent_per_s, budget, 1e-6), "spent %g of %g", p.spent_per_s, budget);
    cr_assert(p.expected > uniform(count, rate, budget) + 0.005, "optimum %g uniform %g",
              p.expected, uniform(count, rate, budget));
    cr_assert(uniform(count, rate, budget) > prop, "uniform %g proportional %g",
              uniform(count, rate, budget), prop);
    /* Slow items wait longer than fast ones within this range. */
    cr_assert(p.interval_s[fr_fresh_band(0.0005)] > p.interval_s[fr_fresh_band(0.01)]);
    /* Items changing every second are too fast for this budget: they get the least. */
    one_band(count, rate, 100, 1.0);
    cr_assert_eq(fr_fresh_solve(count, rate, budget, 0.001, 3600, &p), 0);
    cr_assert(close_to(p.interval_s[fr_fresh_band(1.0)], 3600, 1e-9), "fast interval %g",
              p.interval_s[fr_fresh_band(1.0)]);
}

Test(freshness, bounds_win)
{
    double count[FR_FRESH_BANDS] = {0}, rate[FR_FRESH_BANDS] = {0};
    struct fr_fresh_plan p;
    int b = one_band(count, rate, 10, 0.01);

    /* A budget far above need: everyone at the shortest interval. */
    cr_assert_eq(fr_fresh_solve(count, rate, 1000, 5, 3600, &p), 0);
    cr_assert(close_to(p.interval_s[b], 5, 1e-9));
    /* No budget: everyone at the longest. */
    cr_assert_eq(fr_fresh_solve(count, rate, 0, 5, 3600, &p), 0);
    cr_assert(close_to(p.interval_s[b], 3600, 1e-9));
    cr_assert_eq(fr_fresh_solve(count, rate, 1, 0, 3600, &p), -1);
    cr_assert_eq(fr_fresh_solve(count, rate, 1, 10, 5, &p), -1);
}
