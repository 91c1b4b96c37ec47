/*
 * due — re-queues active rows whose next_update_due has passed, hottest priority
 * first. Rows are taken with FOR UPDATE SKIP LOCKED so several refreshers share the
 * work, flipped to pending_processing and enqueued in the same order. How many a pass
 * takes is bounded by the room in the queue (low-water mark) and by the token budget
 * minus a reserve, so refreshing never starves discovery.
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

/* How many rows this pass may re-queue. */
static int64_t room(struct refr *r)
{
    int64_t waiting = 0, tokens = -1, limit = r->cfg->per_pass;

    if (fr_queue_depths(&r->queue, &waiting, NULL, NULL, NULL) != 0)
        return 0;
    if (r->cfg->low_water - waiting < limit)
        limit = r->cfg->low_water - waiting;
    /* With known figures, leave the reserve to discovery. */
    if (fr_budget_peek(&r->budget, &tokens, NULL, NULL, NULL) == 0 && tokens >= 0 &&
        tokens - r->cfg->reserve < limit)
        limit = tokens - r->cfg->reserve;
    return limit > 0 ? limit : 0;
}

int refr_due(struct refr *r, struct fr_error *err)
{
    char lim[24];
    const char *params[2] = {r->cfg->common.source, lim};
    const char **hot, **normal;
    size_t nh = 0, nn = 0;
    int64_t n = room(r);
    PGresult *res;
    int rc;

    if (n <= 0)
        return 0;
    snprintf(lim, sizeof(lim), "%lld", (long long)n);
    if ((rc = fr_db_query(&r->db, due_sql, 2, params, &res, err)) != 0)
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
    if (nh + nn > 0)
        log_debug("re-queued %zu due items", nh + nn);
    r->stats.requeued += nh + nn;
    free(hot);
    free(normal);
    PQclear(res);
    return rc;
}
