/*
 * freshness_bound — how fresh a catalog can stay on a fetch budget, for `make
 * bench-freshness`: the time-averaged freshness of the uniform, proportional
 * and optimal allocations (tests/bench/model/freshness_model.h) for the given
 * change rates and budget.
 *
 *   freshness_bound -b BUDGET [-m MIN_S] [-M MAX_S] [FILE]
 *
 * FILE (default stdin) holds one change rate a line, in changes a second
 * (blank lines and lines starting with '#' are skipped). BUDGET is fetches a
 * second; MIN_S and MAX_S bound every item's refresh interval in seconds (as
 * FRESHET_REFRESH_MIN / MAX do): an item is fetched at most every MIN_S and at
 * least every MAX_S seconds. Prints a table by policy, a table by change-rate
 * decile, and last one line of key=value figures for scripts. Exits 0, 1 when
 * the input cannot be read, 2 on bad usage.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/bench/model/freshness_model.h"

#define DECILES 10
#define RATES_MAX 100000000

struct item {
    double rate;
    double f_uniform, f_optimal;
};

struct opts {
    double budget, min_s, max_s;
    const char *path;
};

static int usage(void)
{
    fprintf(stderr, "usage: freshness_bound -b BUDGET_PER_S [-m MIN_INTERVAL_S] "
                    "[-M MAX_INTERVAL_S] [RATES_FILE]\n");
    return 2;
}

static int parse_number(const char *s, double *out)
{
    char *end;

    errno = 0;
    *out = strtod(s, &end);
    return errno == 0 && end != s && *end == '\0' && isfinite(*out) && *out >= 0 ? 0 : -1;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
    int c, have_budget = 0;

    o->min_s = 0;
    o->max_s = HUGE_VAL;
    o->path = NULL;
    while ((c = getopt(argc, argv, "b:m:M:h")) != -1) {
        double *dst = c == 'b' ? &o->budget : c == 'm' ? &o->min_s : c == 'M' ? &o->max_s : NULL;
        if (dst == NULL || parse_number(optarg, dst) < 0)
            return -1;
        have_budget |= c == 'b';
    }
    if (!have_budget || optind + 1 < argc || (o->max_s < HUGE_VAL && o->max_s < o->min_s) ||
        o->max_s == 0)
        return -1;
    o->path = optind < argc ? argv[optind] : NULL;
    return 0;
}

/* Reads the rates into *items (caller frees); returns the count, or -1. */
static long read_rates(FILE *in, struct item **items)
{
    size_t n = 0, cap = 1024;
    char line[256];
    struct item *v = malloc(cap * sizeof(*v));

    if (v == NULL)
        abort();
    while (fgets(line, sizeof(line), in) != NULL) {
        double r;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#')
            continue;
        if (parse_number(line, &r) < 0 || n >= RATES_MAX) {
            fprintf(stderr, "freshness_bound: bad rate '%.60s' (line %zu)\n", line, n + 1);
            free(v);
            return -1;
        }
        if (n == cap) {
            cap *= 2;
            v = realloc(v, cap * sizeof(*v));
            if (v == NULL)
                abort();
        }
        v[n++] = (struct item){.rate = r};
    }
    *items = v;
    return (long)n;
}

static int by_rate(const void *a, const void *b)
{
    double x = ((const struct item *)a)->rate, y = ((const struct item *)b)->rate;

    return (x > y) - (x < y);
}

/* Prints an interval in seconds, or "never" / "always". */
static void print_interval(double f)
{
    if (f <= 0)
        printf(" %10s", "never");
    else
        printf(" %10.3g", 1 / f);
}

static void print_deciles(const struct item *v, size_t n)
{
    printf("by change-rate decile (d1 slowest): rate range /s, mean change interval s, "
           "refresh interval s uniform / optimal, freshness uniform / optimal\n");
    for (int d = 0; d < DECILES; d++) {
        size_t lo = n * (size_t)d / DECILES, hi = n * (size_t)(d + 1) / DECILES;
        double rate = 0, fu = 0, fo = 0, Fu = 0, Fo = 0, m;
        if (hi == lo)
            continue;
        m = (double)(hi - lo);
        for (size_t i = lo; i < hi; i++) {
            rate += v[i].rate;
            fu += v[i].f_uniform;
            fo += v[i].f_optimal;
            Fu += fm_freshness(v[i].rate, v[i].f_uniform);
            Fo += fm_freshness(v[i].rate, v[i].f_optimal);
        }
        printf("d%-2d %9.3g..%-9.3g", d + 1, v[lo].rate, v[hi - 1].rate);
        print_interval(rate / m);
        print_interval(fu / m);
        print_interval(fo / m);
        printf(" %8.4f %8.4f\n", Fu / m, Fo / m);
    }
}

static void report(const struct opts *o, struct item *v, size_t n, const struct fm_plan *u,
                   const struct fm_plan *p, const struct fm_plan *opt)
{
    printf("items %zu, budget %.4g fetches/s, refresh interval %g s .. %g s\n", n, o->budget,
           o->min_s, o->max_s);
    printf("%-13s %9s %9s %10s\n", "policy", "freshness", "stale", "spent/s");
    printf("%-13s %9.4f %9.4f %10.4g   every item every %.4g s\n", "uniform", u->freshness,
           1 - u->freshness, u->spent, n / (u->spent > 0 ? u->spent : HUGE_VAL));
    printf("%-13s %9.4f %9.4f %10.4g   f proportional to the rate\n", "proportional",
           p->freshness, 1 - p->freshness, p->spent);
    printf("%-13s %9.4f %9.4f %10.4g   mu %.4g; %zu items at the least (%s), %zu at the most\n",
           "optimal", opt->freshness, 1 - opt->freshness, opt->spent, opt->mu, opt->at_least,
           o->max_s < HUGE_VAL ? "every MAX_S" : "never", opt->at_most);
    qsort(v, n, sizeof(*v), by_rate);
    print_deciles(v, n);
    printf("items=%zu budget=%.6g uniform=%.6f proportional=%.6f optimal=%.6f mu=%.6g "
           "at_least=%zu at_most=%zu spent_uniform=%.6g spent_optimal=%.6g\n",
           n, o->budget, u->freshness, p->freshness, opt->freshness, opt->mu, opt->at_least,
           opt->at_most, u->spent, opt->spent);
}

int main(int argc, char **argv)
{
    struct opts o;
    struct item *v = NULL;
    struct fm_plan u, p, opt;
    double *rates, *fu, *fo, fmin, fmax;
    FILE *in;
    long n;

    if (parse_opts(argc, argv, &o) < 0)
        return usage();
    in = o.path ? fopen(o.path, "r") : stdin;
    if (in == NULL) {
        fprintf(stderr, "freshness_bound: open '%s': %s\n", o.path, strerror(errno));
        return 1;
    }
    n = read_rates(in, &v);
    if (in != stdin)
        fclose(in);
    if (n <= 0) {
        fprintf(stderr, "freshness_bound: no rates read\n");
        free(v);
        return 1;
    }
    fmin = o.max_s < HUGE_VAL ? 1 / o.max_s : 0;
    fmax = o.min_s > 0 ? 1 / o.min_s : HUGE_VAL;
    rates = malloc((size_t)n * sizeof(*rates));
    fu = malloc((size_t)n * sizeof(*fu));
    fo = malloc((size_t)n * sizeof(*fo));
    if (rates == NULL || fu == NULL || fo == NULL)
        abort();
    for (long i = 0; i < n; i++)
        rates[i] = v[i].rate;
    fm_uniform(rates, (size_t)n, o.budget, fmin, fmax, fu, &u);
    fm_proportional(rates, (size_t)n, o.budget, fmin, fmax, NULL, &p);
    fm_optimal(rates, (size_t)n, o.budget, fmin, fmax, fo, &opt);
    for (long i = 0; i < n; i++) {
        v[i].f_uniform = fu[i];
        v[i].f_optimal = fo[i];
    }
    report(&o, v, (size_t)n, &u, &p, &opt);
    free(rates);
    free(fu);
    free(fo);
    free(v);
    return 0;
}
