/*
 * freshetctl verify-freshness — a one-line freshness check for cron and alerting: exit 1
 * with the reason when nothing active was updated within --max-age (or nothing is active
 * at all) or when the staleness p99 is over --p99; exit 0 with a summary otherwise.
 * It reads PostgreSQL only: the catalog is what must be fresh, whatever Redis says.
 */
#include <stdlib.h>

#include "common/app.h"
#include "common/log.h"
#include "ctl/ctl.h"

struct verify_config {
    struct fr_common_config common;
    int64_t max_age_ms, p99_ms;
};

#define C(f) offsetof(struct verify_config, f)
static const struct fr_opt opts[] = {
    FR_COMMON_OPTS(struct verify_config),
    {NULL, "max-age", FR_OPT_DURATION, NULL, 1, 3153600000000, C(max_age_ms),
     "required: some active row must have been updated within this"},
    {NULL, "p99", FR_OPT_DURATION, NULL, 1, 3153600000000, C(p99_ms),
     "also fail when the staleness p99 of active rows exceeds this"},
};
#undef C

static const char fresh_sql[] =
    "SELECT count(*), extract(epoch FROM now() - max(last_updated)),"
    "       percentile_cont(0.5) WITHIN GROUP (ORDER BY s),"
    "       percentile_cont(0.99) WITHIN GROUP (ORDER BY s)"
    " FROM (SELECT last_updated, extract(epoch FROM now() - last_updated) AS s FROM items"
    "       WHERE source = $1 AND status = 'active') a";

/* Judges the figures; prints the one line and returns the exit status. */
static int judge(const struct verify_config *cfg, long long n, double newest, double p50,
                 double p99)
{
    char a[32], b[32], c[32], lim[32];
    const char *src = cfg->common.source;

    ctl_fmt_age(newest, a, sizeof(a));
    ctl_fmt_age(p50, b, sizeof(b));
    ctl_fmt_age(p99, c, sizeof(c));
    if (n == 0) {
        printf("STALE %s: no active rows\n", src);
        return 1;
    }
    if (newest * 1000.0 > (double)cfg->max_age_ms) {
        fr_format_duration(cfg->max_age_ms, lim, sizeof(lim));
        printf("STALE %s: no active row updated within %s (newest %s ago, %lld active)\n", src,
               lim, a, n);
        return 1;
    }
    if (cfg->p99_ms > 0 && p99 * 1000.0 > (double)cfg->p99_ms) {
        fr_format_duration(cfg->p99_ms, lim, sizeof(lim));
        printf("STALE %s: staleness p99 %s is over %s (%lld active, p50 %s)\n", src, c, lim, n,
               b);
        return 1;
    }
    printf("FRESH %s: %lld active rows, newest updated %s ago, staleness p50 %s p99 %s\n", src,
           n, a, b, c);
    return 0;
}

int ctl_verify_freshness(int argc, char **argv)
{
    struct verify_config cfg = {0};
    struct fr_app app = {
        .program = "freshetctl verify-freshness",
        .usage = "--max-age D [--p99 D] [OPTIONS]",
        .summary = "Checks that the catalog is fresh: exit 0 with a one-line summary, or 1 with a\n"
                   "one-line reason (for cron jobs and alerting).",
        .opts = opts,
        .nopts = sizeof(opts) / sizeof(opts[0]),
        .cfg = &cfg,
        .common = &cfg.common,
        .one_source = 1,
    };
    struct fr_db db;
    struct fr_error err = {0};
    const char *params[1];
    PGresult *res;
    int rc;

    fr_app_init(&app, argc, argv, NULL);
    if (cfg.max_age_ms <= 0)
        return ctl_usage_error(app.program, "--max-age is required (e.g. --max-age 1h)");
    fr_app_connect(&app, NULL, &db, 1);
    params[0] = cfg.common.source;
    if (fr_db_query(&db, fresh_sql, 1, params, &res, &err) != 0) {
        fprintf(stderr, "%s: %s\n", app.program, err.msg);
        rc = 1;
    } else {
        /* An active row without last_updated counts as infinitely stale. */
        double newest = PQgetisnull(res, 0, 1) ? 1e15 : atof(PQgetvalue(res, 0, 1));
        rc = judge(&cfg, atoll(PQgetvalue(res, 0, 0)), newest,
                   atof(PQgetvalue(res, 0, 2)), atof(PQgetvalue(res, 0, 3)));
        PQclear(res);
    }
    fr_db_release(&db);
    fr_log_reset();
    return rc;
}
