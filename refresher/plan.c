/*
 * plan — the budget-aware schedule (README "Freshness"). Every REFR_PLAN_MS it reads the
 * histogram of the fetched rows' estimated change rates (a sample of the table when it is
 * large: the plan needs proportions, not every row), measures the refresh budget (the
 * refill rate the source's budget reports, times FRESHET_REFRESH_SHARE, less what the
 * backlog of first fetches needs over the next minute), solves Cho & Garcia-Molina's
 * allocation for it (common/freshness.h) and publishes one interval a band of change
 * rate in refresh_plans, where processors read it when they schedule an item's next
 * refresh. The figures behind it go to metrics and to the row, for freshetctl status.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/freshness.h"
#include "common/log.h"
#include "common/metrics.h"
#include "refresher/refr.h"

#define FR_STR2(x) #x
#define FR_STR(x) FR_STR2(x)

/* Rows the histogram reads at most: above this it samples pages (TABLESAMPLE SYSTEM). */
#define REFR_PLAN_SAMPLE_ROWS 200000.0
/* First fetches waiting are planned to be done within this many seconds. */
#define REFR_FIRST_FETCH_HORIZON_S 60.0
/* Items with at least this many refreshes observed make the catalog's prior. */
#define REFR_PRIOR_MIN_N 4

static const char hist_sql[] =
    "SELECT least(" FR_STR(FR_FRESH_BANDS) " - 1, greatest(0, floor((ln(greatest(change_rate, 1e-300)) - $2::float8)"
    "                          / $3::float8)::int)) AS band, count(*), avg(change_rate),"
    "       count(*) FILTER (WHERE change_n >= " FR_STR(REFR_PRIOR_MIN_N) ")"
    "  FROM items TABLESAMPLE SYSTEM ($4::float4)"
    " WHERE source = $1 AND status <> 'failed' AND change_rate IS NOT NULL GROUP BY 1";

static const char backlog_sql[] =
    "SELECT count(*) FROM items WHERE source = $1 AND status = 'pending_processing'"
    " AND content_hash IS NULL";

static const char save_sql[] =
    "INSERT INTO refresh_plans (source, intervals, budget_per_s, used_per_s,"
    "                           expected_freshness, items, mu, prior_rate, updated_at)"
    " VALUES ($1, $2::float8[], $3, $4, $5, $6, $7, $8, now())"
    " ON CONFLICT (source) DO UPDATE SET intervals = EXCLUDED.intervals,"
    "   budget_per_s = EXCLUDED.budget_per_s, used_per_s = EXCLUDED.used_per_s,"
    "   expected_freshness = EXCLUDED.expected_freshness, items = EXCLUDED.items,"
    "   mu = EXCLUDED.mu, prior_rate = EXCLUDED.prior_rate, updated_at = now()";

static void gauge(const char *name, const char *help, const char *source, double v)
{
    fr_gauge_set(fr_gauge_get(name, help, FR_LABELS("source", source)), v);
}

/* Refresh fetches a second the plan may spend; -1 while the budget is not known. */
static double refresh_budget(struct refr *r, struct fr_error *err)
{
    const char *params[1] = {r->cfg->common.source};
    int64_t rate = -1;
    double per_s, backlog;
    PGresult *res;

    if (fr_budget_peek(&r->budget, NULL, &rate, NULL, err) != 0 || rate <= 0)
        return -1;
    per_s = (double)rate / ((double)r->cfg->token_period_ms / 1000.0) / REFR_TOKENS_PER_ITEM;
    if (fr_db_query(&r->db, backlog_sql, 1, params, &res, err) != 0)
        return -1;
    backlog = strtod(PQgetvalue(res, 0, 0), NULL);
    PQclear(res);
    r->first_fetch_per_s = backlog / REFR_FIRST_FETCH_HORIZON_S;
    per_s = per_s * r->cfg->refresh_share - r->first_fetch_per_s;
    return per_s > 0 ? per_s : 0;
}

/* The catalog's typical change rate, the prior of an item without a history of its
 * own: the median band of the items observed for a while (their mean rate there); 0
 * while there are none. */
static double catalog_prior(const double seen[FR_FRESH_BANDS], const double rate[FR_FRESH_BANDS])
{
    double total = 0, acc = 0;

    for (int k = 0; k < FR_FRESH_BANDS; k++)
        total += seen[k];
    for (int k = 0; k < FR_FRESH_BANDS && total > 0; k++)
        if ((acc += seen[k]) >= total / 2)
            return rate[k] > 0 ? rate[k] : fr_fresh_band_rate(k);
    return 0;
}

int refr_plan(struct refr *r, struct fr_error *err)
{
    const char *src = r->cfg->common.source;
    double count[FR_FRESH_BANDS] = {0}, rate[FR_FRESH_BANDS] = {0}, seen[FR_FRESH_BANDS] = {0};
    double budget, used, scale = 1, prior;
    char lnmin[32], width[32], pct[32], sbudget[32], sused[32], sexp[32], sitems[32], smu[32];
    char sprior[32];
    const char *hp[4] = {src, lnmin, width, pct};
    struct fr_fresh_plan plan;
    struct fr_buf arr = {0};
    int64_t now = fr_mono_ms();
    PGresult *res;
    int rc;

    if ((budget = refresh_budget(r, err)) < 0)
        return err->msg[0] ? -1 : 0; /* no figures yet: the next pass tries again */
    /* Sample when the last count says the table is large. */
    if (r->plan_rows > REFR_PLAN_SAMPLE_ROWS)
        scale = r->plan_rows / REFR_PLAN_SAMPLE_ROWS;
    snprintf(lnmin, sizeof(lnmin), "%.17g", log(FR_FRESH_RATE_MIN));
    snprintf(width, sizeof(width), "%.17g", fr_fresh_band_width());
    snprintf(pct, sizeof(pct), "%g", 100.0 / scale);
    if ((rc = fr_db_query(&r->db, hist_sql, 4, hp, &res, err)) != 0)
        return rc;
    r->plan_rows = 0;
    for (int i = 0; i < PQntuples(res); i++) {
        int b = atoi(PQgetvalue(res, i, 0));
        if (b < 0 || b >= FR_FRESH_BANDS)
            continue;
        count[b] = strtod(PQgetvalue(res, i, 1), NULL) * scale;
        rate[b] = strtod(PQgetvalue(res, i, 2), NULL);
        seen[b] = strtod(PQgetvalue(res, i, 3), NULL);
        r->plan_rows += count[b];
    }
    PQclear(res);
    if (fr_fresh_solve(count, rate, budget, (double)r->cfg->refresh_min_ms / 1000.0,
                       (double)r->cfg->refresh_max_ms / 1000.0, &plan) != 0) {
        fr_error_set(err, FR_ERR_USAGE, "refresh plan: bad bounds");
        return -1;
    }
    /* What refreshing used since the last plan: the rows this refresher re-queued. */
    used = r->plan_at_ms > 0 && now > r->plan_at_ms
               ? (double)(r->stats.requeued - r->plan_requeued) * 1000.0 /
                     (double)(now - r->plan_at_ms)
               : 0;
    r->plan_at_ms = now;
    r->plan_requeued = r->stats.requeued;
    fr_buf_puts(&arr, "{");
    for (int k = 0; k < FR_FRESH_BANDS; k++)
        fr_buf_printf(&arr, "%s%.6g", k ? "," : "", plan.interval_s[k]);
    fr_buf_puts(&arr, "}");
    snprintf(sbudget, sizeof(sbudget), "%.6g", budget);
    snprintf(sused, sizeof(sused), "%.6g", used);
    snprintf(sexp, sizeof(sexp), "%.6g", plan.expected);
    snprintf(sitems, sizeof(sitems), "%.0f", plan.items);
    snprintf(smu, sizeof(smu), "%.6g", plan.mu);
    prior = catalog_prior(seen, rate);
    snprintf(sprior, sizeof(sprior), "%.6g", prior);
    {
        const char *sp[8] = {src, fr_buf_str(&arr), sbudget, sused, sexp, sitems, smu,
                             prior > 0 ? sprior : NULL};
        rc = fr_db_query(&r->db, save_sql, 8, sp, &res, err);
    }
    fr_buf_release(&arr);
    if (rc != 0)
        return rc;
    PQclear(res);
    gauge("freshet_refresh_expected_freshness",
          "Share of the catalog the refresh plan expects to be fresh (Cho & Garcia-Molina)",
          src, plan.expected);
    gauge("freshet_refresh_budget_per_second", "Refresh fetches a second the plan spends", src,
          budget);
    gauge("freshet_refresh_used_per_second", "Refresh fetches a second re-queued lately", src,
          used);
    log_debug("refresh plan: %.0f items, budget %.3g/s, used %.3g/s, expected freshness %.3f",
              plan.items, budget, used, plan.expected);
    return 0;
}
