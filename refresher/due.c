/*
 * due — re-queues active rows whose next_update_due has passed, hottest priority
 * first. Rows are taken with FOR UPDATE SKIP LOCKED so several refreshers share the
 * work, flipped to pending_processing and enqueued in the same order. How many a pass
 * takes is bounded by the room in the queue (low-water mark) and by the token budget
 * minus a reserve, so refreshing never starves discovery. With the budget policy a
 * fleet-wide pace (common/pace.h) spreads re-queues evenly at the rate the budget
 * refills, and what it allows beyond the rows due refreshes the rows due soonest, early.
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "refresher/refr.h"

static const char due_sql[] =
    "WITH due AS ("
    "  SELECT source, id FROM items"
    "  WHERE source = $1 AND status = 'active' AND next_update_due <= now()"
    "  ORDER BY priority, next_update_due"
    "  LIMIT $2 FOR UPDATE SKIP LOCKED"
    ")"
    "UPDATE items i SET status = 'pending_processing', queued_at = now()"
    " FROM due WHERE i.source = due.source AND i.id = due.id"
    " RETURNING i.id, i.priority";

/* Not yet due, soonest first: spare tokens go to the refreshes the plan would make
 * next, never to a row fetched within FRESHET_REFRESH_MIN. */
static const char early_sql[] =
    "WITH due AS ("
    "  SELECT source, id FROM items"
    "  WHERE source = $1 AND status = 'active' AND next_update_due > now()"
    "    AND last_updated <= now() - $3::interval"
    "  ORDER BY next_update_due"
    "  LIMIT $2 FOR UPDATE SKIP LOCKED"
    ")"
    "UPDATE items i SET status = 'pending_processing', queued_at = now()"
    " FROM due WHERE i.source = due.source AND i.id = due.id"
    " RETURNING i.id, i.priority";

/* The budget's figures a pass works with. */
struct figures {
    int64_t waiting;       /* ids in the queue */
    int64_t tokens, rate;  /* -1: unknown */
    int64_t refill_in_ms;  /* until the next refill; -1: unknown */
};

/* How many rows this pass may re-queue: bounded by the room in the queue (low-water
 * mark) and, with known figures, by the tokens above the reserve, so refreshing never
 * starves discovery. */
static int64_t room(struct refr *r, struct figures *f)
{
    int64_t limit = r->cfg->per_pass;
    struct fr_budget_figures bf;

    f->waiting = 0;
    f->tokens = f->rate = f->refill_in_ms = -1;
    if (fr_queue_depths(&r->queue, &f->waiting, NULL, NULL, NULL) != 0)
        return 0;
    if (r->cfg->low_water - f->waiting < limit)
        limit = r->cfg->low_water - f->waiting;
    if (fr_budget_figures(&r->budget, &bf, NULL) == 0) {
        f->tokens = bf.tokens;
        f->rate = bf.rate;
        f->refill_in_ms = bf.refill_in_ms;
    }
    if (f->tokens >= 0 && f->tokens - r->cfg->reserve < limit)
        limit = f->tokens - r->cfg->reserve;
    return limit > 0 ? limit : 0;
}

/* The budget policy's pace, in re-queues a second: the tokens above the reserve that
 * nothing has claimed yet (the queue will), spread evenly until the next refill, less
 * what first fetches need. So the whole budget is spent, and none of it in a burst: a
 * refill spent at once leaves every item's next refresh to wait for the next one. */
static double pace_rate(struct refr *r, const struct figures *f)
{
    double horizon_s = (double)r->cfg->token_period_ms / 1000.0, pass_s;
    double spendable = (double)(f->tokens - r->cfg->reserve) -
                       (double)f->waiting * REFR_TOKENS_PER_ITEM;
    if (f->refill_in_ms >= 0)
        horizon_s = (double)f->refill_in_ms / 1000.0;
    pass_s = (double)r->cfg->pass_ms / 1000.0;
    if (horizon_s < pass_s)
        horizon_s = pass_s;
    spendable = spendable / horizon_s / REFR_TOKENS_PER_ITEM - r->first_fetch_per_s;
    return spendable > 0 ? spendable : 0;
}

/* Runs a re-queue statement and enqueues what it flipped, hottest first; *taken counts. */
static int requeue(struct refr *r, const char *sql, int n, const char *const *params,
                   int64_t *taken, struct fr_error *err)
{
    const char **hot, **normal;
    size_t nh = 0, nn = 0;
    PGresult *res;
    int rc;

    if ((rc = fr_db_query(&r->db, sql, n, params, &res, err)) != 0)
        return rc;
    hot = fr_xcalloc((size_t)PQntuples(res) + 1, sizeof(*hot));
    normal = fr_xcalloc((size_t)PQntuples(res) + 1, sizeof(*normal));
    for (int i = 0; i < PQntuples(res); i++) {
        if (atoi(PQgetvalue(res, i, 1)) <= 2)
            hot[nh++] = PQgetvalue(res, i, 0);
        else
            normal[nn++] = PQgetvalue(res, i, 0);
    }
    /* Committed already: if Redis fails now, recovery enqueues these pending rows. */
    rc = fr_queue_enqueue(&r->queue, hot, nh, 1, NULL, err);
    if (rc == 0)
        rc = fr_queue_enqueue(&r->queue, normal, nn, 0, NULL, err);
    *taken += (int64_t)(nh + nn);
    r->stats.requeued += nh + nn;
    free(hot);
    free(normal);
    PQclear(res);
    return rc;
}

int refr_due(struct refr *r, struct fr_error *err)
{
    char lim[24], min[48];
    const char *params[3] = {r->cfg->common.source, lim, min};
    struct figures f;
    int64_t n = room(r, &f), granted = -1, taken = 0;
    int rc;

    if (n <= 0)
        return 0;
    /* Budget policy: what this pass may spend comes from the fleet-wide pace; what it
     * finds nothing due for goes to the rows due soonest, early. A --once pass (cron)
     * takes every row due: there is no next pass to spread the rest over. */
    if (r->budget_policy && !r->cfg->once && f.tokens >= 0 && f.rate > 0) {
        double per_s = pace_rate(r, &f);
        double burst = per_s * 2.0 * (double)r->cfg->pass_ms / 1000.0 + 1.0;

        if ((rc = fr_pace_take(&r->pace, per_s, burst, n, &granted, err)) != 0)
            return rc;
        if ((n = granted) <= 0)
            return 0;
    }
    snprintf(lim, sizeof(lim), "%lld", (long long)n);
    if ((rc = requeue(r, due_sql, 2, params, &taken, err)) != 0)
        return rc;
    if (taken > 0)
        log_debug("re-queued %lld due items", (long long)taken);
    if (granted > taken) {
        int64_t due = taken;

        snprintf(lim, sizeof(lim), "%lld", (long long)(granted - taken));
        snprintf(min, sizeof(min), "%lld milliseconds", (long long)r->cfg->refresh_min_ms);
        if ((rc = requeue(r, early_sql, 3, params, &taken, err)) != 0)
            return rc;
        if (taken > due)
            log_debug("re-queued %lld items early: the pace had room", (long long)(taken - due));
        if (granted > taken && (rc = fr_pace_give(&r->pace, granted - taken, err)) != 0)
            return rc;
    }
    return 0;
}
