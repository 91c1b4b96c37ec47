/*
 * upkeep — slow housekeeping, hourly: history partitions ahead, retention of old
 * history partitions and worker runs; and, every 30 s, the staleness figures of active
 * rows exported as freshet_item_staleness_seconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/metrics.h"
#include "refresher/refr.h"

/* Drops monthly partitions whose whole month lies before the retention cutoff. */
static const char retention_sql[] =
    "DO $$ DECLARE r record; BEGIN"
    " FOR r IN SELECT c.relname FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid"
    "   WHERE h.inhparent = 'item_history'::regclass"
    "     AND c.relname ~ '^item_history_y[0-9]{4}m[0-9]{2}$'"
    "     AND to_date(substr(c.relname, 15, 4) || substr(c.relname, 20, 2), 'YYYYMM')"
    "         + interval '1 month' <= now() - interval '%lld milliseconds'"
    " LOOP EXECUTE format('DROP TABLE %%I', r.relname); END LOOP; END $$";

int refr_upkeep(struct refr *r, struct fr_error *err)
{
    char sql[sizeof(retention_sql) + 32];
    char cutoff[48];
    const char *params[1] = {cutoff};
    int rc;

    if ((rc = fr_db_exec(&r->db, "SELECT freshet_ensure_history_partitions(3)", err)) != 0)
        return rc;
    snprintf(sql, sizeof(sql), retention_sql, (long long)r->cfg->retention_ms);
    if ((rc = fr_db_exec(&r->db, sql, err)) != 0)
        return rc;
    snprintf(cutoff, sizeof(cutoff), "%lld milliseconds", (long long)r->cfg->retention_ms);
    return fr_db_query(&r->db, "DELETE FROM worker_runs WHERE started_at < now() - $1::interval",
                       1, params, NULL, err);
}

int refr_staleness(struct refr *r, struct fr_error *err)
{
    static const double bounds[] = {60, 300, 900, 3600, 10800, 21600, 43200, 86400, 172800,
                                    604800, 1209600};
    const char *params[1] = {r->cfg->common.source};
    struct fr_hist *h;
    PGresult *res;
    int rc;

    /* A block sample of about 10,000 rows: reading the whole table every 30 s would cost
     * in proportion to the catalog (1.4 GB at a million rows). */
    rc = fr_db_query(&r->db,
                     "SELECT extract(epoch FROM now() - last_updated)::float8 FROM items"
                     " TABLESAMPLE SYSTEM ((SELECT least(100, greatest(0.01, 1e6 /"
                     "   greatest(reltuples, 1))) FROM pg_class WHERE oid = 'items'::regclass))"
                     " WHERE source = $1 AND status = 'active' LIMIT 10000",
                     1, params, &res, err);
    if (rc != 0)
        return rc;
    /* Observations accumulate across samples: the histogram shows staleness over time,
     * as Prometheus expects of a histogram; max and percentiles come from freshetctl. */
    h = fr_hist_get("freshet_item_staleness_seconds",
                    "Age of active rows' data (a sample of up to 10,000 rows per refresh)", bounds,
                    sizeof(bounds) / sizeof(bounds[0]), FR_LABELS("source", r->cfg->common.source));
    for (int i = 0; i < PQntuples(res); i++)
        fr_hist_observe(h, strtod(PQgetvalue(res, i, 0), NULL));
    PQclear(res);
    return 0;
}

/* For the "three consecutive failed runs" alert: per program, how many of its latest
 * finished runs failed since its last good one. */
int refr_failed_runs(struct refr *r, struct fr_error *err)
{
    const char *params[1] = {r->cfg->common.source};
    PGresult *res;
    int rc = fr_db_query(&r->db,
                         "SELECT program, count(*) FILTER (WHERE NOT ok AND started_at >"
                         "       coalesce(last_ok, '-infinity'))"
                         " FROM (SELECT program, ok, started_at, max(started_at) FILTER"
                         "       (WHERE ok) OVER (PARTITION BY program) AS last_ok"
                         "       FROM worker_runs WHERE source = $1 AND finished_at IS NOT NULL"
                         "         AND started_at > now() - interval '7 days') s"
                         " GROUP BY program",
                         1, params, &res, err);

    if (rc != 0)
        return rc;
    for (int i = 0; i < PQntuples(res); i++)
        fr_gauge_set(fr_gauge_get("freshet_consecutive_failed_runs",
                                  "Latest runs of a program that failed since its last good one",
                                  FR_LABELS("source", r->cfg->common.source, "program",
                                            PQgetvalue(res, i, 0))),
                     strtod(PQgetvalue(res, i, 1), NULL));
    PQclear(res);
    return 0;
}
