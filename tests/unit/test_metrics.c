/*
 * Unit tests: the metrics registry and its Prometheus text — a golden file for a known
 * registry (tests/data/metrics/expected.txt; FRESHET_UPDATE_GOLDEN=1 rewrites it),
 * escaping, histogram buckets, counter monotonicity, child identity, programmer errors,
 * rendering speed, and `promtool check metrics` when promtool is installed.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/metrics.h"

#define GOLDEN "tests/data/metrics/expected.txt"

static void cleanup(void)
{
    fr_metrics_reset();
}

TestSuite(metrics, .fini = cleanup);

static char *render(void)
{
    struct fr_buf b;
    struct fr_error err = {0};

    fr_buf_init(&b, 0);
    cr_assert_eq(fr_metrics_render(&b, &err), 0, "%s", err.msg);
    return fr_buf_detach(&b, NULL);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct fr_buf b;
    char tmp[4096];
    size_t n;

    cr_assert_not_null(f, "cannot open '%s' (run the tests from the repository root)", path);
    fr_buf_init(&b, 0);
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        fr_buf_append(&b, tmp, n);
    fclose(f);
    return fr_buf_detach(&b, NULL);
}

/* The DESIGN.md families, registered out of order, with every value form. */
static void known_registry(void)
{
    static const double stale_bounds[] = {60, 900, 3600, 86400};
    struct fr_hist *fetch;

    fr_gauge_set(fr_gauge_get("freshet_upstream_tokens_left", "Keepa tokens left in the bucket.",
                              FR_LABELS("source", "keepa")),
                 1200.5);
    fr_counter_add(fr_counter_get("freshet_items_processed_total", "Items finished, by outcome.",
                                  FR_LABELS("source", "keepa", "outcome", "failed")),
                   1);
    fr_counter_add(fr_counter_get("freshet_items_processed_total", "ignored: first help wins",
                                  FR_LABELS("outcome", "active", "source", "keepa")),
                   3);
    fr_gauge_set(fr_gauge_get("freshet_queue_depth", "Items waiting in the Redis queue.",
                              FR_LABELS("source", "keepa")),
                 42);
    fr_counter_add(
        fr_counter_get("freshet_upstream_requests_total",
                       "Upstream requests, by endpoint and HTTP code.",
                       FR_LABELS("source", "keepa", "endpoint", "/product", "code", "200")),
        7);
    fr_counter_add(
        fr_counter_get("freshet_upstream_requests_total", NULL,
                       FR_LABELS("source", "keepa", "endpoint", "/product", "code", "429")),
        0.25);
    fetch = fr_hist_get("freshet_stage_duration_seconds", "Time spent per pipeline stage.",
                        FR_HIST_DEFAULT, FR_LABELS("stage", "fetch"));
    fr_hist_get("freshet_stage_duration_seconds", NULL, FR_HIST_DEFAULT,
                FR_LABELS("stage", "upsert"));
    fr_hist_observe(fetch, 0.0625);
    fr_hist_observe(fetch, 0.125);
    fr_hist_observe(fetch, 0.25);
    fr_hist_observe(fetch, 2);
    struct fr_hist *st = fr_hist_get("freshet_item_staleness_seconds",
                                     "Age of an item's payload when it is refreshed.\n"
                                     "Backslash \\ kept.",
                                     stale_bounds, 4, FR_LABELS("source", "keepa"));
    fr_hist_observe(st, 30);
    fr_hist_observe(st, 1000);
    fr_hist_observe(st, 100000);
    fr_gauge_set(fr_gauge_get("freshet_build_info", "Build of this binary.",
                              FR_LABELS("version", "1.2.3", "note", "say \"hi\"\\\nbye")),
                 1);
}

Test(metrics, golden_exposition)
{
    char *got, *want;

    known_registry();
    got = render();
    if (getenv("FRESHET_UPDATE_GOLDEN") != NULL) {
        FILE *f = fopen(GOLDEN, "wb");
        cr_assert_not_null(f);
        fputs(got, f);
        fclose(f);
    }
    want = read_file(GOLDEN);
    cr_assert_str_eq(got, want);
    free(got);
    free(want);
}

Test(metrics, label_values_and_help_are_escaped)
{
    char *got;

    fr_counter_inc(fr_counter_get("esc_total", "help with \\ and\nnewline and \"quotes\"",
                                  FR_LABELS("v", "a\\b\"c\nd")));
    got = render();
    cr_assert_str_eq(got, "# HELP esc_total help with \\\\ and\\nnewline and \"quotes\"\n"
                          "# TYPE esc_total counter\n"
                          "esc_total{v=\"a\\\\b\\\"c\\nd\"} 1\n");
    free(got);
}

Test(metrics, no_labels_and_number_forms)
{
    char *got;

    fr_gauge_set(fr_gauge_get("g_a", "a", NULL), 0.1);
    fr_gauge_set(fr_gauge_get("g_b", "b", NULL), -3);
    fr_gauge_set(fr_gauge_get("g_c", "c", NULL), NAN);
    fr_gauge_set(fr_gauge_get("g_d", "d", NULL), -INFINITY);
    fr_gauge_set(fr_gauge_get("g_e", "e", NULL), 1e20);
    fr_gauge_set(fr_gauge_get("g_f", "", NULL), 1.0 / 3);
    got = render();
    cr_assert_str_eq(got, "# HELP g_a a\n# TYPE g_a gauge\ng_a 0.1\n"
                          "# HELP g_b b\n# TYPE g_b gauge\ng_b -3\n"
                          "# HELP g_c c\n# TYPE g_c gauge\ng_c NaN\n"
                          "# HELP g_d d\n# TYPE g_d gauge\ng_d -Inf\n"
                          "# HELP g_e e\n# TYPE g_e gauge\ng_e 1e+20\n"
                          "# HELP g_f \n# TYPE g_f gauge\ng_f 0.3333333333333333\n");
    free(got);
}

/* Reads the value of the sample line that starts with prefix. */
static double sample(const char *text, const char *prefix)
{
    const char *p = strstr(text, prefix);

    cr_assert_not_null(p, "no line '%s' in:\n%s", prefix, text);
    return strtod(p + strlen(prefix), NULL);
}

Test(metrics, histogram_buckets_are_cumulative_with_inf)
{
    static const double bounds[] = {0.5, 1, 2, INFINITY}; /* a trailing +Inf is dropped */
    struct fr_hist *h = fr_hist_get("lat_seconds", "x", bounds, 4, FR_LABELS("op", "get"));
    double prev = 0;
    char *got;

    fr_hist_observe(h, 0.5); /* le is inclusive */
    fr_hist_observe(h, 0.7);
    fr_hist_observe(h, 5);
    fr_hist_observe(h, 5);
    fr_hist_observe(h, NAN); /* ignored */
    fr_hist_observe(h, -1);  /* below every bound: first bucket */
    cr_assert_eq(fr_hist_count(h), 5);
    got = render();
    cr_assert_eq(sample(got, "lat_seconds_bucket{op=\"get\",le=\"0.5\"} "), 2);
    cr_assert_eq(sample(got, "lat_seconds_bucket{op=\"get\",le=\"1\"} "), 3);
    cr_assert_eq(sample(got, "lat_seconds_bucket{op=\"get\",le=\"2\"} "), 3);
    cr_assert_eq(sample(got, "lat_seconds_bucket{op=\"get\",le=\"+Inf\"} "), 5);
    cr_assert_eq(sample(got, "lat_seconds_count{op=\"get\"} "), 5);
    cr_assert_eq(sample(got, "lat_seconds_sum{op=\"get\"} "), 10.2);
    cr_assert_null(strstr(got, "le=\"+Inf\"} 5\nlat_seconds_bucket"), "+Inf must be last");
    for (const char *p = strstr(got, "_bucket"); p != NULL; p = strstr(p + 1, "_bucket")) {
        double v = strtod(strchr(p, '}') + 1, NULL);
        cr_assert_geq(v, prev, "buckets must not decrease:\n%s", got);
        prev = v;
    }
    free(got);
}

Test(metrics, default_bounds_cover_5ms_to_60s)
{
    cr_assert_eq(fr_hist_default_bounds[0], 0.005);
    cr_assert_eq(fr_hist_default_bounds[fr_hist_default_nbounds - 1], 60);
    for (size_t i = 1; i < fr_hist_default_nbounds; i++)
        cr_assert_gt(fr_hist_default_bounds[i], fr_hist_default_bounds[i - 1]);
}

Test(metrics, counters_only_go_up)
{
    struct fr_counter *c = fr_counter_get("up_total", "x", NULL);

    fr_counter_add(c, 2);
    fr_counter_add(c, -5);
    fr_counter_add(c, NAN);
    fr_counter_add(c, 0.5);
    fr_counter_inc(c);
    cr_assert_eq(fr_counter_value(c), 3.5);
}

Test(metrics, gauges_set_and_add)
{
    struct fr_gauge *g = fr_gauge_get("depth", "x", FR_LABELS("q", "a"));

    fr_gauge_set(g, 10);
    fr_gauge_add(g, -4);
    fr_gauge_add(g, 0.5);
    cr_assert_eq(fr_gauge_value(g), 6.5);
}

Test(metrics, same_labels_same_child)
{
    struct fr_counter *a = fr_counter_get("c_total", "x", FR_LABELS("s", "k", "o", "active"));
    struct fr_counter *b = fr_counter_get("c_total", "x", FR_LABELS("s", "k", "o", "active"));
    struct fr_counter *swapped = fr_counter_get("c_total", "x", FR_LABELS("o", "active", "s", "k"));
    struct fr_counter *other = fr_counter_get("c_total", "x", FR_LABELS("s", "k", "o", "failed"));

    cr_assert_eq(a, b);
    cr_assert_eq(a, swapped, "label order must not make another child");
    cr_assert_neq(a, other);
    fr_counter_inc(a);
    fr_counter_inc(b);
    cr_assert_eq(fr_counter_value(swapped), 2);
    cr_assert_eq(fr_counter_value(other), 0);
}

static void hook_set(void *arg)
{
    fr_gauge_set(fr_gauge_get("hooked", "x", NULL), *(double *)arg);
}

static void hook_double(void *arg)
{
    (void)arg;
    fr_gauge_set(fr_gauge_get("hooked", "x", NULL),
                 2 * fr_gauge_value(fr_gauge_get("hooked", "x", NULL)));
}

Test(metrics, scrape_hooks_run_in_order)
{
    double v = 21;
    char *got;

    fr_metrics_on_scrape(hook_set, &v);
    fr_metrics_on_scrape(hook_double, NULL);
    got = render();
    cr_assert_null(strstr(got, "hooked"), "render alone must not run the hooks");
    free(got);
    fr_metrics_run_hooks();
    cr_assert_eq(fr_gauge_value(fr_gauge_get("hooked", "x", NULL)), 42);
}

Test(metrics, render_respects_the_buffer_cap)
{
    struct fr_buf b;
    struct fr_error err = {0};

    for (int i = 0; i < 100; i++) {
        char v[16];
        snprintf(v, sizeof(v), "%d", i);
        fr_counter_inc(fr_counter_get("capped_total", "x", FR_LABELS("i", v)));
    }
    fr_buf_init(&b, 512);
    cr_assert_eq(fr_metrics_render(&b, &err), FR_ERR_LIMIT);
    cr_assert(strstr(err.msg, "capped_total") != NULL, "%s", err.msg);
    fr_buf_release(&b);
}

Test(metrics, type_clash_aborts, .signal = SIGABRT)
{
    fr_counter_get("clash", "x", NULL);
    fr_gauge_get("clash", "x", NULL);
}

Test(metrics, other_label_names_abort, .signal = SIGABRT)
{
    fr_counter_get("lbl_total", "x", FR_LABELS("a", "1"));
    fr_counter_get("lbl_total", "x", FR_LABELS("b", "1"));
}

Test(metrics, invalid_names_abort, .signal = SIGABRT)
{
    fr_counter_get("bad-name", "x", NULL);
}

Test(metrics, le_label_in_histogram_aborts, .signal = SIGABRT)
{
    fr_hist_get("h_seconds", "x", FR_HIST_DEFAULT, FR_LABELS("le", "1"));
}

Test(metrics, render_10000_children_is_fast)
{
    struct fr_buf b;
    struct fr_error err = {0};
    int64_t t0, t1, t2;
    char id[32];

    t0 = fr_mono_us();
    for (int i = 0; i < 10000; i++) {
        snprintf(id, sizeof(id), "B%09d", i);
        fr_counter_add(
            fr_counter_get("many_total", "many children", FR_LABELS("source", "keepa", "id", id)),
            i);
    }
    for (int i = 0; i < 10000; i++) { /* lookups of existing children */
        snprintf(id, sizeof(id), "B%09d", i);
        fr_counter_inc(fr_counter_get("many_total", NULL, FR_LABELS("source", "keepa", "id", id)));
    }
    t1 = fr_mono_us();
    fr_buf_init(&b, 0);
    cr_assert_eq(fr_metrics_render(&b, &err), 0, "%s", err.msg);
    t2 = fr_mono_us();
    fprintf(stderr,
            "metrics: 20000 gets in %.1f ms; rendered 10000 children (%zu bytes) in %.1f ms\n",
            (t1 - t0) / 1000.0, b.len, (t2 - t1) / 1000.0);
    cr_assert(strstr(fr_buf_str(&b), "many_total{id=\"B000009999\",source=\"keepa\"} 10000\n"));
    cr_assert_lt(t2 - t1, 1000000, "rendering took %lld us", (long long)(t2 - t1));
    /* A second render (children already sorted) is what a scrape usually costs. */
    fr_buf_reset(&b);
    t1 = fr_mono_us();
    cr_assert_eq(fr_metrics_render(&b, &err), 0);
    fprintf(stderr, "metrics: second render in %.1f ms\n", (fr_mono_us() - t1) / 1000.0);
    fr_buf_release(&b);
}

static int have_promtool(void)
{
    const char *path = getenv("PATH");
    char dir[4096], file[4200];

    while (path != NULL && *path) {
        size_t n = strcspn(path, ":");
        snprintf(dir, sizeof(dir), "%.*s", (int)n, path);
        snprintf(file, sizeof(file), "%s/promtool", dir[0] ? dir : ".");
        if (access(file, X_OK) == 0)
            return 1;
        path += n + (path[n] == ':');
    }
    return 0;
}

Test(metrics, promtool_accepts_the_output)
{
    FILE *p;
    char *got;
    int status;

    if (!have_promtool())
        cr_skip("promtool not installed (Debian package 'prometheus')");
    known_registry();
    fr_counter_inc(fr_counter_get("freshet_escape_check_total", "x",
                                  FR_LABELS("v", "tab\there \"q\" back\\slash\nnl")));
    got = render();
    p = popen("promtool check metrics", "w");
    cr_assert_not_null(p);
    fputs(got, p);
    status = pclose(p);
    cr_assert_eq(status, 0, "promtool check metrics failed (status %d) on:\n%s", status, got);
    free(got);
}
