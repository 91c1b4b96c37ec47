/*
 * freshness — see freshness.h. The multiplier is found by bisection on log μ: the
 * plan's total frequency falls as μ grows, and fifty halvings of a range of 10^24 are
 * far finer than any budget is known.
 */
#include "common/freshness.h"

#include <math.h>

double fr_fresh_average(double rate, double freq)
{
    double x;

    if (rate <= 0)
        return 1.0;
    if (freq <= 0)
        return 0.0;
    x = rate / freq;
    if (x < 1e-9)
        return 1.0 - x / 2;
    return -expm1(-x) / x;
}

static double g(double x)
{
    return -expm1(-x) - x * exp(-x);
}

double fr_fresh_g_inverse(double y)
{
    double lo = 0, hi = 1;

    if (y <= 0)
        return 0;
    if (y >= 1)
        return HUGE_VAL;
    while (g(hi) < y && hi < 1e6)
        hi *= 2;
    for (int i = 0; i < 100 && hi - lo > 1e-12 * hi; i++) {
        double mid = (lo + hi) / 2;
        if (g(mid) < y)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

double fr_fresh_band_width(void)
{
    return (log(FR_FRESH_RATE_MAX) - log(FR_FRESH_RATE_MIN)) / FR_FRESH_BANDS;
}

int fr_fresh_band(double rate)
{
    int b;

    if (!(rate > FR_FRESH_RATE_MIN))
        return 0;
    b = (int)floor((log(rate) - log(FR_FRESH_RATE_MIN)) / fr_fresh_band_width());
    return b < 0 ? 0 : b >= FR_FRESH_BANDS ? FR_FRESH_BANDS - 1 : b;
}

double fr_fresh_band_rate(int band)
{
    return exp(log(FR_FRESH_RATE_MIN) + (band + 0.5) * fr_fresh_band_width());
}

double fr_fresh_estimate(double n, double x, double t)
{
    if (n <= 0 || t <= 0)
        return 0;
    if (x > n)
        x = n;
    if (x < 0)
        x = 0;
    return -log((n - x + 0.5) / (n + 0.5)) / (t / n);
}

double fr_fresh_estimate_uneven(double n, double x, double t, double tc)
{
    if (n <= 0 || t <= 0 || x <= 0)
        return 0;
    if (x > n)
        x = n;
    if (tc <= 0)
        return fr_fresh_estimate(n, x, t);
    if (tc > t)
        tc = t;
    return log1p(tc / (t - tc + 0.5 * t / n)) / (tc / x);
}

/* The frequency a band gets at multiplier mu, within [fmin, fmax]. */
static double band_freq(double rate, double mu, double fmin, double fmax)
{
    double y = mu * rate, f;

    if (y >= 1)
        return fmin;
    f = rate / fr_fresh_g_inverse(y);
    return f < fmin ? fmin : f > fmax ? fmax : f;
}

static double total(const double count[], const double rate[], double mu, double fmin,
                    double fmax)
{
    double s = 0;

    for (int k = 0; k < FR_FRESH_BANDS; k++)
        if (count[k] > 0)
            s += count[k] * band_freq(rate[k], mu, fmin, fmax);
    return s;
}

int fr_fresh_solve(const double count[FR_FRESH_BANDS], const double rate_in[FR_FRESH_BANDS],
                   double budget, double min_s, double max_s, struct fr_fresh_plan *out)
{
    double rate[FR_FRESH_BANDS], fmin, fmax, lo = -60, hi = 60, mu;

    if (!(min_s > 0) || !(max_s >= min_s) || !(budget >= 0))
        return -1;
    fmin = 1 / max_s;
    fmax = 1 / min_s;
    out->items = 0;
    for (int k = 0; k < FR_FRESH_BANDS; k++) {
        rate[k] = rate_in[k] > 0 ? rate_in[k] : fr_fresh_band_rate(k);
        if (count[k] > 0)
            out->items += count[k];
    }
    if (out->items * fmax <= budget) {
        mu = 0; /* everything as often as allowed */
    } else if (out->items * fmin >= budget) {
        mu = HUGE_VAL; /* the bounds alone spend it */
    } else {
        /* total() falls from > budget (log μ = lo) to < budget (hi). */
        for (int i = 0; i < 80; i++) {
            double mid = (lo + hi) / 2;
            if (total(count, rate, exp(mid), fmin, fmax) > budget)
                lo = mid;
            else
                hi = mid;
        }
        mu = exp(hi);
    }
    out->mu = isinf(mu) ? 0 : mu;
    out->expected = out->spent_per_s = 0;
    for (int k = 0; k < FR_FRESH_BANDS; k++) {
        double f = mu == 0 ? fmax : isinf(mu) ? fmin : band_freq(rate[k], mu, fmin, fmax);
        out->interval_s[k] = 1 / f;
        if (count[k] > 0) {
            out->spent_per_s += count[k] * f;
            out->expected += count[k] * fr_fresh_average(rate[k], f);
        }
    }
    if (out->items > 0)
        out->expected /= out->items;
    return 0;
}
