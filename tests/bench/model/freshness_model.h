/*
 * freshness_model - the bar a refresh schedule is measured against (Cho &
 * Garcia-Molina, "Synchronizing a database to improve freshness", SIGMOD 2000;
 * TODS 28(4), 2003; ../shared/REFERENCE.md B4).
 *
 * An item whose content changes as a Poisson process of rate λ (changes a
 * second) and is fetched every I = 1/f seconds, evenly spaced, is up to date a
 * share F̄ = (1 − e^{−λI}) / (λI) of the time. With B fetches a second over N
 * items:
 *   - uniform: every item gets f = B / N;
 *   - proportional: f ∝ λ (worse than uniform: every item has the same λ/f);
 *   - optimal: maximise Σ F̄ subject to Σ f = B, f within [fmin, fmax]; the
 *     Lagrange condition is g(λ/f) = μλ with g(x) = 1 − (1 + x)e^{−x}, and an
 *     item with μλ >= 1 gets fmin (none when there is no lower bound).
 *
 * This is the benchmark's own implementation, written apart from the
 * refresher's (common/freshness) on purpose: a bound shared with the code it
 * judges would share its mistakes. Pure functions; rates and frequencies per
 * second; fmin 0 and fmax HUGE_VAL mean "no bound".
 */
#ifndef FRESHNESS_MODEL_H
#define FRESHNESS_MODEL_H

#include <stddef.h>

/* Time-averaged freshness at rate and evenly spaced fetches of freq a second:
 * 1 when rate is 0, 0 when freq is 0 and rate is not. */
double fm_freshness(double rate, double freq);

/* g(x) = 1 − (1 + x)e^{−x}, accurate for small x; 0 at 0, rising to 1. */
double fm_g(double x);

/* The x >= 0 with g(x) = y: 0 for y <= 0, HUGE_VAL for y >= 1. */
double fm_g_inverse(double y);

/* The outcome of one allocation of a budget over n items. */
struct fm_plan {
    double freshness; /* mean F̄ over the items, 0..1 */
    double spent;     /* Σ f, fetches a second */
    double mu;        /* the Lagrange multiplier (optimal only; 0: the budget does not bind) */
    size_t at_least;  /* items given fmin (0 when there is no lower bound: no refreshes) */
    size_t at_most;   /* items given fmax */
};

/*
 * Each allocation fills freq[i] for rates[i] (i < n; freq may be NULL when not
 * wanted) and *plan. Arguments: budget >= 0 fetches a second, 0 <= fmin <=
 * fmax (fmax may be HUGE_VAL). Return 0, or -1 on an argument out of range.
 */

/* Uniform: every item f = budget / n, clamped to [fmin, fmax]. */
int fm_uniform(const double *rates, size_t n, double budget, double fmin, double fmax,
               double *freq, struct fm_plan *plan);

/* Proportional: f = budget λ / Σλ, clamped to [fmin, fmax] (items of rate 0 get fmin). */
int fm_proportional(const double *rates, size_t n, double budget, double fmin, double fmax,
                    double *freq, struct fm_plan *plan);

/*
 * Optimal: μ is solved by bisection so that Σ f = budget. When even fmax for
 * every changing item spends less, they all get fmax (μ = 0); when fmin for
 * every item spends more, they all get fmin (μ = HUGE_VAL).
 */
int fm_optimal(const double *rates, size_t n, double budget, double fmin, double fmax,
               double *freq, struct fm_plan *plan);

#endif
