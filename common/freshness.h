/*
 * freshness — Cho & Garcia-Molina's model of a catalog kept fresh on a fetch budget
 * (SIGMOD 2000, TODS 2003). An item whose content changes as a Poisson process of rate
 * λ and is fetched at evenly spaced intervals I = 1/f is fresh, averaged over time, a
 * share F̄(λ, f) = (f/λ)(1 − e^{−λ/f}) of the time. Spending a budget of B fetches a
 * second over many items to maximise Σ F̄ gives (Lagrange) each item the f with
 * g(λ/f) = μλ, g(x) = 1 − (1 + x)e^{−x}: items that change too fast for the budget
 * (μλ ≥ 1) get the least refreshes allowed, slow ones few, the middle most.
 *
 * The refresher solves μ over a histogram of the items' estimated rates, in log-spaced
 * bands of rate (FR_FRESH_BANDS from FR_FRESH_RATE_MIN to FR_FRESH_RATE_MAX changes a
 * second), and publishes one interval a band; the processor sets an item's next refresh
 * from its band. Pure functions: no I/O, no allocation.
 */
#ifndef FR_FRESHNESS_H
#define FR_FRESHNESS_H

#define FR_FRESH_BANDS 64
#define FR_FRESH_RATE_MIN 1e-8 /* about once in three years */
#define FR_FRESH_RATE_MAX 10.0 /* ten changes a second */

/* Time-averaged freshness of an item of change rate `rate` fetched `freq` times a second
 * at even intervals (1 for rate 0, 0 for freq 0 and rate > 0). */
double fr_fresh_average(double rate, double freq);

/* The x >= 0 with 1 − (1 + x)e^{−x} = y, for 0 <= y < 1 (y >= 1: HUGE_VAL). */
double fr_fresh_g_inverse(double y);

/* Band of a rate (clamped to the grid), the rate at a band's geometric middle, and the
 * width of a band in ln(rate) (band = floor((ln rate − ln FR_FRESH_RATE_MIN) / width)). */
int fr_fresh_band(double rate);
double fr_fresh_band_width(void);
double fr_fresh_band_rate(int band);

/* Cho's estimator of a change rate from n fetches at a mean interval of t/n seconds, x of
 * which found a change: −ln((n − x + 0.5)/(n + 0.5)) / (t/n). 0 when n or t is 0. */
double fr_fresh_estimate(double n, double x, double t);

/* The same from uneven intervals: n fetches over t seconds, x of which found a change
 * over tc of those seconds. Taking the changed intervals as equal to their mean, the
 * likelihood's maximum is ln(1 + tc / (t − tc + ½ t/n)) / (tc / x) (the ½ keeps it
 * finite when every fetch found a change); with even intervals (tc = x t/n) it is
 * fr_fresh_estimate. Without tc (0 while x > 0: rows observed before it was kept) it is
 * fr_fresh_estimate. 0 when n, t or x is 0. */
double fr_fresh_estimate_uneven(double n, double x, double t, double tc);

struct fr_fresh_plan {
    double interval_s[FR_FRESH_BANDS]; /* the refresh interval of each band */
    double mu;                         /* the multiplier solved for (0 when unconstrained) */
    double expected;                   /* Σ F̄ / items under this plan, 0..1 */
    double spent_per_s;                /* Σ f: what the plan spends (<= budget unless the
                                          bounds alone exceed it) */
    double items;
};

/*
 * Solves the allocation: count[k] items of mean rate rate[k] in band k (rate[k] <= 0: the
 * band's middle), budget fetches a second, each interval within [min_s, max_s]. When the
 * budget covers every item at min_s, all get min_s; when even max_s exceeds it, all get
 * max_s. Returns 0, or -1 when an argument is out of range (min_s <= 0, max_s < min_s,
 * budget < 0).
 */
int fr_fresh_solve(const double count[FR_FRESH_BANDS], const double rate[FR_FRESH_BANDS],
                   double budget, double min_s, double max_s, struct fr_fresh_plan *out);

#endif
