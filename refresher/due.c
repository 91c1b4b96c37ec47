/*
 * due — re-queues active rows whose next_update_due has passed, hottest priority
 * first. Rows are marked re-queued (they stay active) so several refreshers share the
 * work, and enqueued in the same order. How many a pass
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

/* Due rows come from item_due (schemas/009_item_due.sql: one row per active item),
 * hottest first. A row stays active while it waits (its payload is still served); the
 * refresher marks item_due.requeued_at, a HOT update of the narrow row, and skips a
 * marked row until the lease ($3) has passed: then Redis lost it, and it is due again.
 * The processor's write clears the mark. The UPDATE re-checks mark and due time on the
 * row it locks: two refreshers never both re-queue a row (Redis's `queued` set would
 * drop the second anyway), and a row written meanwhile (its due time moved) is left
 * for the next pass, not fetched again at once. */
#define REFR_UNMARKED " (d.requeued_at IS NULL OR d.requeued_at <= now() - $3::interval)"

static const char due_sql[] =
    "WITH due AS ("
    "  SELECT d.id, d.due FROM item_due d"
    "  WHERE d.source = $1 AND d.due <= now() AND" REFR_UNMARKED
    "  ORDER BY d.priority, d.due"
    "  LIMIT $2"
    ")"
    "UPDATE item_due d SET requeued_at = now()"
    " FROM due WHERE d.source = $1 AND d.id = due.id AND d.due = due.due AND" REFR_UNMARKED
    " RETURNING d.id, d.priority";

/* Not yet due, soonest first: spare tokens go to the refreshes the plan would make
 * next, never to a row fetched within FRESHET_REFRESH_MIN ($4). */
static const char early_sql[] =
    "WITH due AS ("
    "  SELECT d.id, d.due FROM item_due d JOIN items i ON i.source = d.source AND i.id = d.id"
    "  WHERE d.source = $1 AND d.due > now() AND" REFR_UNMARKED
    "    AND i.last_updated <= now() - $4::interval"
    "  ORDER BY d.due"
    "  LIMIT $2"
    ")"
    "UPDATE item_due d SET requeued_at = now()"
    " FROM due WHERE d.source = $1 AND d.id = due.id AND d.due = due.due AND" REFR_UNMARKED
    " RETURNING d.id, d.priority";

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
    size_t nh = 0, nn = 0, added_hot = 0, added = 0;
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
    /* Committed already: if Redis fails now, the rows are due again after the lease.
     * Only ids Redis did not hold yet count (a row marked again after its lease, still
     * waiting in the queue, is not queued twice and costs nothing more). */
    rc = fr_queue_enqueue(&r->queue, hot, nh, 1, &added_hot, err);
    if (rc == 0)
        rc = fr_queue_enqueue(&r->queue, normal, nn, 0, &added, err);
    *taken += (int64_t)(added_hot + added);
    r->stats.requeued += added_hot + added;
    free(hot);
    free(normal);
    PQclear(res);
    return rc;
}

int refr_due(struct refr *r, struct fr_error *err)
{
    char lim[24], lease[48], min[48];
    const char *params[4] = {r->cfg->common.source, lim, lease, min};
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
    snprintf(lease, sizeof(lease), "%lld milliseconds", (long long)r->cfg->lease_ms);
    if ((rc = requeue(r, due_sql, 3, params, &taken, err)) != 0)
        return rc;
    if (taken > 0)
        log_debug("re-queued %lld due items", (long long)taken);
    if (granted > taken) {
        int64_t due = taken;

        snprintf(lim, sizeof(lim), "%lld", (long long)(granted - taken));
        snprintf(min, sizeof(min), "%lld milliseconds", (long long)r->cfg->refresh_min_ms);
        if ((rc = requeue(r, early_sql, 4, params, &taken, err)) != 0)
            return rc;
        if (taken > due)
            log_debug("re-queued %lld items early: the pace had room", (long long)(taken - due));
        if (granted > taken && (rc = fr_pace_give(&r->pace, granted - taken, err)) != 0)
            return rc;
    }
    return 0;
}
