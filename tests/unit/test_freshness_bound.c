/*
 * Unit tests: the freshness model behind tests/bench/freshness_bound (Cho &
 * Garcia-Molina), against its closed forms: F̄ = (1 − e^{−x})/x, uniform and
 * proportional allocations, the optimum's Lagrange condition, its bounds, and
 * the orderings the papers prove (optimal >= uniform > proportional).
 */
#include <criterion/criterion.h>
#include <math.h>

#include "tests/bench/model/freshness_model.h"

#define N_SAMPLE 1000

/* Rates whose mean change intervals are log-uniform in [lo_s, hi_s] (evenly spaced quantiles). */
static void loguniform(double *rates, size_t n, double lo_s, double hi_s)
{
    for (size_t i = 0; i < n; i++) {
        double u = ((double)i + 0.5) / (double)n;
        rates[i] = 1 / (lo_s * exp(u * log(hi_s / lo_s)));
    }
}

static double closed_form(double x)
{
    return (1 - exp(-x)) / x;
}

Test(freshness_model, closed_form_of_even_fetches)
{
    const double xs[] = {1e-3, 0.1, 0.5, 1, 2, 3, 10, 50};

    for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++) {
        /* rate 0.2/s fetched every x / 0.2 s: λI = x */
        double got = fm_freshness(0.2, 0.2 / xs[i]);
        cr_assert_float_eq(got, closed_form(xs[i]), 1e-12, "x=%g: %.15g", xs[i], got);
    }
}

Test(freshness_model, no_change_is_always_fresh)
{
    cr_assert_eq(fm_freshness(0, 1), 1.0);
    cr_assert_eq(fm_freshness(0, 0), 1.0);
    cr_assert_float_eq(fm_freshness(1e-12, 1e-3), 1.0, 1e-8);
    cr_assert_float_eq(fm_freshness(1e-9, 1), 1.0, 1e-9);
    cr_assert_eq(fm_freshness(1, 0), 0.0);
    cr_assert_eq(fm_freshness(1, HUGE_VAL), 1.0);
}

Test(freshness_model, g_and_its_inverse)
{
    cr_assert_eq(fm_g(0), 0.0);
    cr_assert_float_eq(fm_g(1), 1 - 2 * exp(-1), 1e-15);
    /* x²/2 − x³/3 + x⁴/8 where the direct form cancels */
    cr_assert_float_eq(fm_g(1e-5), 0.5e-10 - 1e-15 / 3 + 1e-20 / 8, 1e-25);
    for (double y = 1e-14; y < 1; y = y * 3 + 1e-3 * (y > 0.3)) {
        double x = fm_g_inverse(y);
        cr_assert_float_eq(fm_g(x), y, 1e-12 * (y > 1e-3 ? 1 : y * 1e3), "y=%g x=%g", y, x);
    }
    cr_assert_eq(fm_g_inverse(0), 0.0);
    cr_assert(isinf(fm_g_inverse(1)));
}

Test(freshness_model, uniform_of_equal_rates_is_the_closed_form)
{
    double rates[100], f[100];
    struct fm_plan p;

    for (int i = 0; i < 100; i++)
        rates[i] = 0.1;
    cr_assert_eq(fm_uniform(rates, 100, 5, 0, HUGE_VAL, f, &p), 0);
    /* f = 0.05: λ/f = 2 */
    cr_assert_float_eq(p.freshness, closed_form(2), 1e-12);
    cr_assert_float_eq(p.spent, 5, 1e-9);
    cr_assert_float_eq(f[17], 0.05, 1e-15);
}

Test(freshness_model, optimum_of_equal_rates_is_uniform)
{
    double rates[100], f[100];
    struct fm_plan u, o;

    for (int i = 0; i < 100; i++)
        rates[i] = 0.1;
    fm_uniform(rates, 100, 5, 0, HUGE_VAL, NULL, &u);
    cr_assert_eq(fm_optimal(rates, 100, 5, 0, HUGE_VAL, f, &o), 0);
    cr_assert_float_eq(o.freshness, u.freshness, 1e-9);
    for (int i = 0; i < 100; i++)
        cr_assert_float_eq(f[i], 0.05, 1e-9, "item %d: f %g", i, f[i]);
}

Test(freshness_model, optimum_beats_uniform_beats_proportional)
{
    double rates[N_SAMPLE];
    struct fm_plan u, p, o;

    /* The setting: 10 s .. 50 min, N / B = 50 s. */
    loguniform(rates, N_SAMPLE, 10, 3000);
    fm_uniform(rates, N_SAMPLE, N_SAMPLE / 50.0, 0, HUGE_VAL, NULL, &u);
    fm_proportional(rates, N_SAMPLE, N_SAMPLE / 50.0, 0, HUGE_VAL, NULL, &p);
    fm_optimal(rates, N_SAMPLE, N_SAMPLE / 50.0, 0, HUGE_VAL, NULL, &o);
    cr_assert(o.freshness > u.freshness + 0.01, "optimal %g, uniform %g", o.freshness,
              u.freshness);
    cr_assert(u.freshness > p.freshness + 0.05, "uniform %g, proportional %g", u.freshness,
              p.freshness);
    cr_assert_float_eq(o.spent, N_SAMPLE / 50.0, 1e-6);
    cr_assert_float_eq(p.spent, N_SAMPLE / 50.0, 1e-9);
    /* Proportional gives every item the same λ/f = Σλ / B: F̄ is its closed form. */
    double sum = 0;
    for (int i = 0; i < N_SAMPLE; i++)
        sum += rates[i];
    cr_assert_float_eq(p.freshness, closed_form(sum / (N_SAMPLE / 50.0)), 1e-9);
}

Test(freshness_model, optimum_meets_the_lagrange_condition)
{
    double rates[N_SAMPLE], f[N_SAMPLE];
    struct fm_plan o;

    loguniform(rates, N_SAMPLE, 1, 1000);
    fm_optimal(rates, N_SAMPLE, N_SAMPLE / 100.0, 0, HUGE_VAL, f, &o);
    cr_assert(o.mu > 0 && isfinite(o.mu));
    for (int i = 0; i < N_SAMPLE; i++) {
        if (o.mu * rates[i] >= 1) {
            cr_assert_eq(f[i], 0.0, "item %d (μλ %g) gets refreshes", i, o.mu * rates[i]);
            continue;
        }
        cr_assert_float_eq(fm_g(rates[i] / f[i]) / rates[i], o.mu, 1e-9 * o.mu, "item %d", i);
    }
}

Test(freshness_model, items_too_fast_for_the_budget_get_none)
{
    double rates[100], f[100];
    struct fm_plan o;

    for (int i = 0; i < 99; i++)
        rates[i] = 0.01;
    rates[99] = 100; /* changes 100 times a second */
    fm_optimal(rates, 100, 0.5, 0, HUGE_VAL, f, &o);
    cr_assert_eq(f[99], 0.0, "the fast item got f %g", f[99]);
    cr_assert_eq(o.at_least, 1);
    cr_assert_float_eq(f[0] * 99, 0.5, 1e-9);
}

Test(freshness_model, two_items_match_a_brute_force_search)
{
    double rates[2] = {0.02, 0.3}, f[2], best = 0;
    struct fm_plan o;

    fm_optimal(rates, 2, 0.1, 0, HUGE_VAL, f, &o);
    for (int k = 0; k <= 100000; k++) {
        double f0 = 0.1 * k / 100000;
        double F = (fm_freshness(rates[0], f0) + fm_freshness(rates[1], 0.1 - f0)) / 2;
        best = F > best ? F : best;
    }
    cr_assert_float_eq(o.freshness, best, 1e-9, "optimal %.12g, search %.12g", o.freshness, best);
}

Test(freshness_model, bounds_clamp_every_policy)
{
    double rates[N_SAMPLE], f[N_SAMPLE];
    struct fm_plan o, u;

    loguniform(rates, N_SAMPLE, 1, 1000);
    /* A budget larger than every item at the shortest interval: all at fmax. */
    fm_optimal(rates, N_SAMPLE, 10 * N_SAMPLE, 1 / 3600.0, 1, f, &o);
    cr_assert_eq(o.at_most, N_SAMPLE);
    cr_assert_eq(o.mu, 0.0);
    fm_uniform(rates, N_SAMPLE, 10 * N_SAMPLE, 1 / 3600.0, 1, NULL, &u);
    cr_assert_float_eq(u.spent, N_SAMPLE, 1e-9);
    /* A budget below every item at the longest interval: all at fmin. */
    fm_optimal(rates, N_SAMPLE, 0.01, 1 / 60.0, 1, f, &o);
    cr_assert_eq(o.at_least, N_SAMPLE);
    cr_assert(isinf(o.mu));
    /* In between, every frequency within the bounds and the budget spent. */
    fm_optimal(rates, N_SAMPLE, N_SAMPLE / 20.0, 1 / 600.0, 1 / 5.0, f, &o);
    cr_assert_float_eq(o.spent, N_SAMPLE / 20.0, 1e-6);
    for (int i = 0; i < N_SAMPLE; i++)
        cr_assert(f[i] >= 1 / 600.0 && f[i] <= 1 / 5.0, "item %d: f %g", i, f[i]);
    cr_assert(o.at_least > 0, "the fastest items should sit at the lower bound");
}

Test(freshness_model, bad_arguments_are_refused)
{
    double r = 1;
    struct fm_plan p;

    cr_assert_eq(fm_optimal(&r, 0, 1, 0, 1, NULL, &p), -1);
    cr_assert_eq(fm_optimal(&r, 1, -1, 0, 1, NULL, &p), -1);
    cr_assert_eq(fm_uniform(&r, 1, 1, 2, 1, NULL, &p), -1);
}
