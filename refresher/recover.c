/*
 * recover — nothing is lost: promotes retries whose time has come, requeues the
 * batches of processors whose heartbeat expired, and re-enqueues pending rows that no
 * Redis key holds (Redis flushed or restarted without persistence, or a worker died
 * between its commit and its enqueue). Rows Redis still holds are left alone, and after
 * a loss nothing is re-enqueued until a lease (FRESHET_LEASE) has passed since it was
 * found: a processor starts no fetch later than half a lease after taking its batch and
 * ends it within the lease, so nothing in flight is queued twice.
 */
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/mem.h"
#include "refresher/refr.h"

#define RECOVER_CHUNK 1000

/* Keyset paging on queued_at (ties broken by id) over the items_pending index. */
static const char lost_sql[] =
    "SELECT id, priority, queued_at::text FROM items"
    " WHERE source = $1 AND status = 'pending_processing'"
    "   AND queued_at < now() - $2::interval"
    "   AND (queued_at, id) > ($3::timestamptz, $5::text)"
    " ORDER BY queued_at, id LIMIT $4";

/* Re-enqueues the rows of res that Redis does not hold; returns how many. */
static size_t requeue_unheld(struct refr *r, PGresult *res, struct fr_error *err)
{
    size_t n = (size_t)PQntuples(res), nh = 0, nn = 0;
    const char **ids = fr_xcalloc(n + 1, sizeof(*ids));
    const char **hot = fr_xcalloc(n + 1, sizeof(*hot)), **normal = fr_xcalloc(n + 1, sizeof(*normal));
    int *held = fr_xcalloc(n + 1, sizeof(*held));

    for (size_t i = 0; i < n; i++)
        ids[i] = PQgetvalue(res, (int)i, 0);
    if (n > 0 && fr_queue_held(&r->queue, ids, n, held, err) == 0) {
        for (size_t i = 0; i < n; i++) {
            if (held[i])
                continue;
            if (atoi(PQgetvalue(res, (int)i, 1)) <= 2)
                hot[nh++] = ids[i];
            else
                normal[nn++] = ids[i];
        }
        if (fr_queue_enqueue(&r->queue, hot, nh, 1, NULL, err) != 0 ||
            fr_queue_enqueue(&r->queue, normal, nn, 0, NULL, err) != 0)
            nh = nn = 0;
    }
    free(ids);
    free(hot);
    free(normal);
    free(held);
    return nh + nn;
}

/* Walks pending rows older than `age` in queued_at order, chunk by chunk. */
static int recover_lost(struct refr *r, int64_t age_ms, struct fr_error *err)
{
    char age[48], after[64] = "-infinity", after_id[80] = "", lim[16];
    const char *params[5] = {r->cfg->common.source, age, after, lim, after_id};
    size_t total = 0;

    snprintf(age, sizeof(age), "%lld milliseconds", (long long)age_ms);
    snprintf(lim, sizeof(lim), "%d", RECOVER_CHUNK);
    for (int round = 0; round < 1000 && !r->stopping; round++) {
        PGresult *res;
        int rc = fr_db_query(&r->db, lost_sql, 5, params, &res, err);
        int rows;
        if (rc != 0)
            return rc;
        rows = PQntuples(res);
        total += requeue_unheld(r, res, err);
        if (rows > 0) {
            snprintf(after, sizeof(after), "%s", PQgetvalue(res, rows - 1, 2));
            snprintf(after_id, sizeof(after_id), "%s", PQgetvalue(res, rows - 1, 0));
        }
        PQclear(res);
        if (rows < RECOVER_CHUNK)
            break;
    }
    if (total > 0 && age_ms == 0)
        log_warn_kv(FR_KV("recovered", "flush"),
                    "redis lost its data: re-enqueued %zu pending items it held", total);
    else if (total > 0)
        log_info_kv(FR_KV("recovered", "drift"),
                    "re-enqueued %zu pending items Redis no longer held", total);
    r->stats.recovered += total;
    return 0;
}

int refr_recover(struct refr *r, struct fr_error *err)
{
    size_t moved = 0, workers = 0, items = 0;
    int64_t lost_ms = 0;
    int rc;

    if ((rc = fr_queue_sentinel(&r->queue, &lost_ms, err)) != 0)
        return rc;
    if ((rc = fr_queue_reap(&r->queue, &workers, &items, err)) != 0)
        return rc;
    if (workers > 0)
        log_warn("requeued %zu items held by %zu workers whose heartbeat expired", items,
                 workers);
    r->stats.reaped_workers += workers;
    r->stats.reaped_items += items;
    if ((rc = fr_queue_promote(&r->queue, fr_wall_ms(), 10000, &moved, err)) != 0)
        return rc;
    r->stats.promoted += moved;
    if (lost_ms == 0) /* only rows unheld past the grace (a worker between its commit and
                       * its enqueue) */
        return recover_lost(r, r->cfg->recover_after_ms, err);
    /* After a flush every unheld pending row is lost at once, but batches in flight
     * when it happened are still being fetched: wait for their lease to end. */
    if (fr_wall_ms() < lost_ms + r->cfg->lease_ms) {
        if (!r->flush_noted) /* a new Redis has no sentinel either */
            log_info("no sentinel in redis (new, restarted without persistence, or flushed): "
                     "pending work is re-enqueued once batches in flight are done (%lld ms)",
                     (long long)(lost_ms + r->cfg->lease_ms - fr_wall_ms()));
        r->flush_noted = 1;
        return 0;
    }
    r->flush_noted = 0;
    if ((rc = recover_lost(r, 0, err)) != 0)
        return rc;
    return fr_queue_flush_recovered(&r->queue, err);
}
