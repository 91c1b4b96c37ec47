/*
 * freshness_model - uniform, proportional and optimal allocations of a fetch
 * budget and their time-averaged freshness, see freshness_model.h.
 *
 * The optimum: for a multiplier μ each item's frequency is the f with
 * g(λ/f) = μλ, clamped to [fmin, fmax]; F̄ is concave in f, so that clamp is
 * the exact solution of the bounded problem at that μ, and Σ f falls as μ
 * grows. μ is found by bisection on log μ until Σ f equals the budget.
 */
#include "tests/bench/model/freshness_model.h"

#include <math.h>

/* Iterations of the bisection on log μ: the bracket spans at most ~700 e-folds. */
#define MU_STEPS 200
#define NEWTON_STEPS 100

double fm_freshness(double rate, double freq)
{
    double x;

    if (!(rate > 0))
        return 1.0;
    if (!(freq > 0))
        return 0.0;
    if (isinf(freq))
        return 1.0;
    x = rate / freq;
    if (x < 1e-8)
        return 1.0 - x / 2; /* (1 − e^{−x})/x = 1 − x/2 + x²/6 − ... */
    return -expm1(-x) / x;
}

double fm_g(double x)
{
    if (!(x > 0))
        return 0.0;
    if (x < 1e-4) /* x²/2 − x³/3 + x⁴/8: the direct form cancels to nothing */
        return x * x * (0.5 - x / 3 + x * x / 8);
    return -expm1(-x) - x * exp(-x);
}

double fm_g_inverse(double y)
{
    double lo = 0, hi = 1, x;

    if (!(y > 0))
        return 0.0;
    if (!(y < 1))
        return HUGE_VAL;
    while (fm_g(hi) < y) {
        lo = hi;
        hi *= 2;
        if (isinf(hi))
            return HUGE_VAL;
    }
    /* Newton (g' = x e^{−x}) kept inside the bracket, bisection when it leaves. */
    x = y < 1e-6 ? sqrt(2 * y) : (lo + hi) / 2;
    if (!(x > lo && x < hi))
        x = (lo + hi) / 2;
    for (int i = 0; i < NEWTON_STEPS; i++) {
        double r = fm_g(x) - y, d = x * exp(-x), next;
        if (r == 0)
            return x;
        if (r > 0)
            hi = x;
        else
            lo = x;
        next = d > 0 ? x - r / d : (lo + hi) / 2;
        if (!(next > lo && next < hi))
            next = (lo + hi) / 2;
        if (fabs(next - x) <= 1e-15 * x)
            return next;
        x = next;
    }
    return x;
}

static double clamp(double f, double fmin, double fmax)
{
    return f < fmin ? fmin : f > fmax ? fmax : f;
}

static int args_ok(size_t n, double budget, double fmin, double fmax)
{
    return n > 0 && budget >= 0 && isfinite(budget) && fmin >= 0 && isfinite(fmin) &&
           fmax >= fmin;
}

/* Adds the outcome of m items at frequencies f to plan (freshness as a sum). */
static void tally(const double *rates, size_t m, const double *f, double fmin, double fmax,
                  struct fm_plan *plan)
{
    for (size_t i = 0; i < m; i++) {
        plan->freshness += fm_freshness(rates[i], f[i]);
        plan->spent += isinf(f[i]) ? 0 : f[i];
        plan->at_least += f[i] <= fmin;
        plan->at_most += f[i] >= fmax;
    }
}

/* A policy: an item's frequency from its rate, before the bounds. */
typedef double (*policy_fn)(double rate, const void *arg);

/* Applies policy to every item (into freq, or a block at a time when freq is NULL). */
static int allocate(const double *rates, size_t n, policy_fn policy, const void *arg,
                    double fmin, double fmax, double mu, double *freq, struct fm_plan *plan)
{
    double scratch[256];
    size_t done = 0;
    struct fm_plan total = {0};

    while (done < n) {
        size_t m = freq != NULL ? n : (n - done < 256 ? n - done : 256);
        double *f = freq != NULL ? freq : scratch;
        for (size_t i = 0; i < m; i++)
            f[i] = clamp(policy(rates[done + i], arg), fmin, fmax);
        tally(rates + done, m, f, fmin, fmax, &total);
        done += m;
    }
    total.freshness /= (double)n;
    total.mu = mu;
    *plan = total;
    return 0;
}

struct fixed {
    double f;
};

static double fixed_freq(double rate, const void *arg)
{
    (void)rate;
    return ((const struct fixed *)arg)->f;
}

int fm_uniform(const double *rates, size_t n, double budget, double fmin, double fmax,
               double *freq, struct fm_plan *plan)
{
    struct fixed a;

    if (!args_ok(n, budget, fmin, fmax))
        return -1;
    a.f = budget / (double)n;
    return allocate(rates, n, fixed_freq, &a, fmin, fmax, 0, freq, plan);
}

struct scaled {
    double per_rate; /* f = per_rate × λ */
};

static double proportional_freq(double rate, const void *arg)
{
    return rate > 0 ? ((const struct scaled *)arg)->per_rate * rate : 0;
}

int fm_proportional(const double *rates, size_t n, double budget, double fmin, double fmax,
                    double *freq, struct fm_plan *plan)
{
    struct scaled a;
    double total = 0;

    if (!args_ok(n, budget, fmin, fmax))
        return -1;
    for (size_t i = 0; i < n; i++)
        total += rates[i] > 0 ? rates[i] : 0;
    a.per_rate = total > 0 ? budget / total : 0;
    return allocate(rates, n, proportional_freq, &a, fmin, fmax, 0, freq, plan);
}

/* The optimal frequency of an item of `rate` at multiplier mu, unclamped. */
static double lagrange_freq(double rate, const void *arg)
{
    double mu = *(const double *)arg, y, x;

    if (!(rate > 0))
        return 0;
    y = mu * rate;
    if (y >= 1)
        return 0; /* no frequency is worth μ: the least allowed */
    x = fm_g_inverse(y);
    return x > 0 ? rate / x : HUGE_VAL;
}

static double spend_at(const double *rates, size_t n, double mu, double fmin, double fmax)
{
    double sum = 0;

    for (size_t i = 0; i < n; i++)
        sum += clamp(lagrange_freq(rates[i], &mu), fmin, fmax);
    return sum;
}

/* Solves Σ f(μ) = budget for μ; 0 when fmax everywhere fits, HUGE_VAL when fmin does not. */
static double solve_mu(const double *rates, size_t n, double budget, double fmin, double fmax)
{
    double fastest = 0, lo, hi;

    for (size_t i = 0; i < n; i++)
        fastest = rates[i] > fastest ? rates[i] : fastest;
    if (fastest <= 0 || spend_at(rates, n, 0, fmin, fmax) <= budget)
        return 0;
    if (fmin * (double)n >= budget)
        return HUGE_VAL;
    /* Bracket: Σ f falls from above the budget (μ → 0) to n × fmin below it (μ >= 1/λ for
     * the slowest changing item). */
    lo = hi = 1 / fastest;
    while (spend_at(rates, n, hi, fmin, fmax) > budget && hi < 1e300)
        hi *= 1e3;
    while (spend_at(rates, n, lo, fmin, fmax) <= budget && lo > 1e-300)
        lo /= 1e3;
    for (int i = 0; i < MU_STEPS && hi / lo > 1 + 1e-15; i++) {
        double mid = sqrt(lo * hi);
        if (spend_at(rates, n, mid, fmin, fmax) > budget)
            lo = mid;
        else
            hi = mid;
    }
    return sqrt(lo * hi);
}

int fm_optimal(const double *rates, size_t n, double budget, double fmin, double fmax,
               double *freq, struct fm_plan *plan)
{
    double mu;

    if (!args_ok(n, budget, fmin, fmax))
        return -1;
    mu = solve_mu(rates, n, budget, fmin, fmax);
    if (isinf(mu)) {
        struct fixed a = {fmin};
        return allocate(rates, n, fixed_freq, &a, fmin, fmax, mu, freq, plan);
    }
    return allocate(rates, n, lagrange_freq, &mu, fmin, fmax, mu, freq, plan);
}
