/*
 * keepa_analysis — price statistics over decoded Keepa csv series: the "analysis" object
 * of a product payload (90-day average, drop, 30-day trend, z-score) and the seed refresh
 * interval. Pure functions of their arguments (no clock, no I/O): the reference time is
 * passed in, normally the product's lastUpdate, so the same record always analyses the
 * same way.
 *
 * A series is a step function: each point's value holds from its time until the next
 * point (the last one until the reference time). Values below 0 are Keepa's -1 (no offer)
 * and -2 (unknown): they end the previous price but never count as a price.
 */
#ifndef FR_KEEPA_ANALYSIS_H
#define FR_KEEPA_ANALYSIS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define FR_KEEPA_DAY_MS 86400000LL

struct fr_keepa_point {
    int64_t t_ms;     /* unix ms */
    int32_t value;    /* price in cents, rank or count; -1 no offer, -2 unknown */
    int32_t shipping; /* triplet series only (else 0); -1 not shippable, -2 unknown */
};

struct fr_keepa_series {
    struct fr_keepa_point *pts; /* owned, ascending t_ms */
    size_t n;
    int present; /* 0 when the series was absent or null */
};

void fr_keepa_series_release(struct fr_keepa_series *s);

/* Value of a point including shipping when known (price + shipping for triplets). */
int32_t fr_keepa_point_total(const struct fr_keepa_point *p);

/* Value of the last point, or -2 when the series is empty. */
int32_t fr_keepa_series_last(const struct fr_keepa_series *s);

/* Time-weighted mean of the valid (>= 0) values over [from_ms, to_ms], rounded to the
 * nearest integer; the value in force at from_ms counts from there. -1 when no valid
 * value covers any time of the window. */
int64_t fr_keepa_time_weighted_mean(const struct fr_keepa_series *s, int64_t from_ms,
                                    int64_t to_ms);

/* Least-squares slope in units per day of the price path over [from_ms, to_ms], sampled
 * at from_ms (the value then in force), at every valid point inside and at to_ms (the last
 * value, if still valid). 0 and *per_day set; -1 with fewer than two samples or all
 * samples at the same time. */
int fr_keepa_slope_per_day(const struct fr_keepa_series *s, int64_t from_ms, int64_t to_ms,
                           double *per_day);

/* Count, mean and population standard deviation of the valid values of points whose
 * time is in [from_ms, to_ms]. Returns the count. */
size_t fr_keepa_window_stats(const struct fr_keepa_series *s, int64_t from_ms, int64_t to_ms,
                             double *mean, double *stddev);

/* Percent current is below avg (negative when above), rounded to one decimal. -1 when
 * either is unknown (avg <= 0 or current < 0), else 0. */
int fr_keepa_drop_pct(int64_t avg, int64_t current, double *pct);

/* Median gap in seconds between consecutive value changes of a and b (merged; a point
 * is a change when its value differs from the previous point of its series). 0 with
 * fewer than two changes. Either series may be NULL. */
int64_t fr_keepa_seed_interval_s(const struct fr_keepa_series *a, const struct fr_keepa_series *b);

/* Rounds half away from zero to `decimals` places (0..6). */
double fr_keepa_round(double v, int decimals);

enum fr_keepa_trend { FR_TREND_NONE = 0, FR_TREND_UP, FR_TREND_DOWN, FR_TREND_FLAT };

#define FR_KEEPA_SPIKE_Z 2.5  /* |zscore| at or above this is a spike */
#define FR_KEEPA_FLAT_PCT 0.5 /* |slope| below this % of the average per day is flat */

struct fr_keepa_analysis {
    int64_t current;      /* cents, -1 unknown */
    int64_t avg90;        /* cents, -1 unknown */
    int avg90_from_keepa; /* 1: stats.avg90, 0: computed from history */
    int has_drop;
    double drop_pct_90d;
    int trend; /* enum fr_keepa_trend; NONE when the slope is unknown */
    int has_velocity;
    double velocity_per_day;
    int has_zscore;
    double zscore; /* two decimals */
    int spike;
    int points_90d;
};

/*
 * Analyses series s (the chosen price type) as of now_ms. current is the current price
 * (-1/-2 none), keepa_avg90 Keepa's stats.avg90 for that type (used when > 0, else the
 * time-weighted mean of the last 90 days is computed).
 * - drop_pct_90d: fr_keepa_drop_pct(avg90, current)
 * - velocity/trend: slope over the last 30 days; flat when |slope| < 0.5 % of the
 *   average (avg90, else the 30-day time-weighted mean) per day
 * - zscore: (current - mean) / stddev of the last 90 days' points; none with fewer than
 *   3 points, a zero stddev or no current price; spike when |z| >= 2.5
 */
void fr_keepa_analyze(const struct fr_keepa_series *s, int64_t current, int64_t keepa_avg90,
                      int64_t now_ms, struct fr_keepa_analysis *out);

/* The payload's "analysis" object (new reference). price_type is "amazon", "new" or NULL
 * (written as null). */
json_t *fr_keepa_analysis_json(const struct fr_keepa_analysis *a, const char *price_type);

#endif
