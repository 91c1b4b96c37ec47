/*
 * due — re-queues active rows whose next_update_due has passed, hottest priority
 * first. Rows are taken with FOR UPDATE SKIP LOCKED so several refreshers share the
 * work, flipped to pending_processing and enqueued in the same order. How many a pass
 * takes is bounded by the room in the queue (low-water mark) and by the token budget
 * minus a reserve, so refreshing never starves discovery. With the budget policy,
 * tokens that would otherwise go unused refresh the rows due soonest, early.
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

/* How many rows this pass may re-queue, and (*spare) how many of them beyond what is
 * due: tokens above a quarter period's refill would otherwise pile up unspent (the
 * bucket's refill is lost once it is full). */
static int64_t room(struct refr *r, int64_t *spare)
{
    int64_t waiting = 0, tokens = -1, rate = -1, limit = r->cfg->per_pass;

    *spare = 0;
    if (fr_queue_depths(&r->queue, &waiting, NULL, NULL, NULL) != 0)
        return 0;
    if (r->cfg->low_water - waiting < limit)
        limit = r->cfg->low_water - waiting;
    /* With known figures, leave the reserve to discovery. */
    if (fr_budget_peek(&r->budget, &tokens, &rate, NULL, NULL) == 0 && tokens >= 0) {
        if (tokens - r->cfg->reserve < limit)
            limit = tokens - r->cfg->reserve;
        if (r->budget_policy && rate > 0)
            *spare = (int64_t)((double)(tokens - r->cfg->reserve - rate / 4) /
                               REFR_TOKENS_PER_ITEM);
    }
    if (*spare > limit)
        *spare = limit;
    return limit > 0 ? limit : 0;
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
    int64_t spare, n = room(r, &spare), taken = 0;
    int rc;

    if (n <= 0)
        return 0;
    snprintf(lim, sizeof(lim), "%lld", (long long)n);
    if ((rc = requeue(r, due_sql, 2, params, &taken, err)) != 0)
        return rc;
    if (taken > 0)
        log_debug("re-queued %lld due items", (long long)taken);
    spare -= taken;
    if (spare <= 0 || taken >= n)
        return 0;
    snprintf(lim, sizeof(lim), "%lld", (long long)(spare < n - taken ? spare : n - taken));
    snprintf(min, sizeof(min), "%lld milliseconds", (long long)r->cfg->refresh_min_ms);
    n = taken;
    if ((rc = requeue(r, early_sql, 3, params, &taken, err)) != 0)
        return rc;
    if (taken > n)
        log_debug("re-queued %lld items early: tokens would have gone unused",
                  (long long)(taken - n));
    return 0;
}
