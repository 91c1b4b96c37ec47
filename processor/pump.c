/*
 * pump — takes work while there is room (transfers in flight below the concurrency, and
 * PostgreSQL keeping up with the claims and writes): checks the breaker and the shared token
 * budget before claiming (so a popped batch can always be paid for), claims a batch
 * from Redis, parses its entries (bad ones, and ids the source cannot answer for, go to
 * the dead list), claims the ids in PostgreSQL and starts the detail request.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/dbasync.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/metrics.h"
#include "processor/proc.h"

void proc_pump_soon(struct proc *p, int64_t ms)
{
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};

    /* An earlier wake-up already armed wins over a later one. */
    if (evtimer_pending(p->pump_ev, NULL) && ms > 0)
        return;
    evtimer_del(p->pump_ev);
    evtimer_add(p->pump_ev, &tv);
}

static void on_sync(const struct fr_up_result *r, void *arg)
{
    struct proc *p = arg;

    p->syncing = 0;
    if (r->cls == FR_UP_OK) {
        p->sync_failures = 0;
        proc_pump_soon(p, 0);
        return;
    }
    log_warn("token budget sync failed (try %d): %s", ++p->sync_failures, r->reason);
    if (p->cfg->once && p->sync_failures >= 6 && p->in_flight == 0) {
        p->exit_code = 1;
        event_base_loopexit(p->base, NULL);
        return;
    }
    proc_pump_soon(p, 250 << (p->sync_failures < 6 ? p->sync_failures : 6));
}

/* --once with nothing to do ends even before the budget is known. */
static int once_and_empty(struct proc *p)
{
    int64_t waiting = 1, delayed = 0;

    if (!p->cfg->once || p->in_flight > 0)
        return 0;
    if (fr_queue_depths(&p->queue, &waiting, &delayed, NULL, NULL) != 0 || waiting > 0)
        return 0;
    proc_quit_when_idle(p);
    return 1;
}

/* What the budget is asked for before a batch is claimed: a full batch's request. */
static int64_t full_cost(const struct proc *p)
{
    return fr_source_detail_cost(p->src, (size_t)p->cfg->batch);
}

/* Returns 1 when tokens for a full batch were taken, 0 when the pump must wait. */
static int reserve_tokens(struct proc *p)
{
    struct fr_error err = {0};
    int64_t wait = 0;
    int v = fr_budget_take(&p->budget, full_cost(p), &wait, &err);

    if (v == FR_BUDGET_GRANTED)
        return 1;
    if (once_and_empty(p))
        return 0;
    if (v == FR_BUDGET_UNKNOWN) {
        if (!p->syncing && fr_upstream_sync(&p->up, on_sync, p, &err) == 0)
            p->syncing = 1;
    } else if (v == FR_BUDGET_WAIT) {
        if (!p->syncing && fr_upstream_resync_if_long(&p->up, wait, on_sync, p))
            p->syncing = 1;
        proc_pump_soon(p, wait < 50 ? 50 : wait > 5000 ? 5000 : wait);
    } else {
        log_warn("token budget unavailable: %s", err.msg);
        proc_pump_soon(p, 1000);
    }
    return 0;
}

/* Parses raw entries into unique valid ids; the rest are dead-lettered. */
static void parse_entries(struct proc_batch *b, const struct fr_queue_batch *qb)
{
    struct proc *p = b->p;
    size_t room = qb->n;
    char *next;

    /* A parsed id is never longer than its raw entry (bare, or inside JSON). */
    for (size_t i = 0; i < qb->n; i++)
        room += qb->lens[i];
    b->items = fr_xcalloc(qb->n ? qb->n : 1, sizeof(*b->items));
    b->ids = next = fr_xmalloc(room ? room : 1);
    for (size_t i = 0; i < qb->n; i++) {
        struct fr_queue_item it;
        struct fr_error err = {0};
        size_t len;
        int dup = 0;

        if (fr_queue_parse_item(qb->raw[i], qb->lens[i], p->src->ops->valid_id, &it, &err) != 0) {
            log_warn_kv(FR_KV("reason", err.msg), "malformed queue item dead-lettered");
            fr_queue_dead_letter(&p->queue, qb->raw[i], qb->lens[i], err.msg, NULL);
            p->stats.dead++;
            fr_counter_add(fr_counter_get("freshet_items_processed_total",
                                          "Items finished by the processor, by outcome",
                                          FR_LABELS("source", p->cfg->common.source, "outcome",
                                                    "malformed")), 1);
            continue;
        }
        for (size_t j = 0; j < b->n && !dup; j++)
            dup = strcmp(b->items[j].id, it.id) == 0;
        if (dup) /* the same id twice in one batch is fetched once */
            continue;
        len = strlen(it.id);
        assert(next + len < b->ids + room);
        memcpy(next, it.id, len + 1);
        b->items[b->n].id = next;
        next += len + 1;
        b->items[b->n].priority = it.priority;
        b->n++;
    }
}

/* Sorts the check's answer onto the items; returns how many this batch fetches. */
static size_t apply_claims(struct proc_batch *b, const struct proc_claim_out *out)
{
    struct proc *p = b->p;
    size_t claimed = 0;

    for (size_t i = 0; i < b->n; i++) {
        struct proc_item *it = &b->items[i];
        it->claim = out[i];
        if (out[i].state == PROC_CLAIMED) {
            claimed++;
        } else if (out[i].state == PROC_BUSY) {
            it->outcome = ITEM_RETRY; /* the check failed: look again later */
            it->retry_due_ms = out[i].busy_until_ms + 100;
            p->stats.deferred++;
        } else {
            it->outcome = ITEM_DONE; /* already fresh or failed: a duplicate, no fetch */
            p->stats.dropped++;
        }
    }
    return claimed;
}

static void on_claimed(PGresult *res, const struct fr_error *err, void *arg)
{
    struct proc_batch *b = arg;
    struct proc *p = b->p;
    struct proc_claim_in *in = fr_xcalloc(b->n ? b->n : 1, sizeof(*in));
    struct proc_claim_out *out = fr_xcalloc(b->n ? b->n : 1, sizeof(*out));
    size_t claimed;
    int late;

    for (size_t i = 0; i < b->n; i++)
        in[i].id = b->items[i].id;
    if (res != NULL) {
        proc_store_check_parse(res, in, b->n, out);
    } else {
        /* PostgreSQL unreachable: hand everything back untouched, try again later. */
        log_warn("check failed, batch handed back: %s", err->msg);
        for (size_t i = 0; i < b->n; i++)
            out[i].state = PROC_BUSY, out[i].busy_until_ms = fr_wall_ms() + 1000;
    }
    claimed = apply_claims(b, out);
    free(in);
    free(out);
    b->tokens = claimed > 0 ? fr_source_detail_cost(p->src, claimed) : 0;
    fr_budget_refund(&p->budget, full_cost(p) - b->tokens, NULL);
    /* A batch whose check took longer than half a lease is not fetched: after a Redis
     * loss the refresher re-queues rows a lease after it noticed, so no fetch may start
     * that late (it could be paid for twice). */
    late = fr_mono_us() - b->started_us > p->cfg->lease_ms * 500;
    if (late)
        log_warn("check took over half a lease, batch handed back unfetched");
    if (p->stopping || late) {
        proc_batch_release(b, fr_wall_ms() + 1000); /* not fetched: nothing spent */
        fr_budget_refund(&p->budget, b->tokens, NULL);
        b->tokens = 0;
    }
    if (claimed == 0 || p->stopping || late || proc_batch_fetch(b) != 0)
        proc_batch_finish(b);
}

/* Checks the ids in PostgreSQL without blocking the loop; on_claimed goes on. */
static void claim_in_db(struct proc_batch *b)
{
    struct proc *p = b->p;
    struct proc_claim_in *in = fr_xcalloc(b->n ? b->n : 1, sizeof(*in));
    struct proc_params pp;

    for (size_t i = 0; i < b->n; i++) {
        in[i].id = b->items[i].id;
        in[i].priority = b->items[i].priority;
    }
    proc_store_check_params(&p->store, in, b->n, &pp);
    fr_dbq_query(p->dbq, proc_check_sql, pp.n, pp.v, on_claimed, b);
    proc_params_release(&pp);
    free(in);
}

/* Claims and starts one batch: 1 started, 0 the queue was empty, -1 Redis failed. */
static int take_batch(struct proc *p)
{
    struct fr_queue_batch qb;
    struct fr_error err = {0};
    struct proc_batch *b;

    if (fr_queue_claim(&p->queue, (size_t)p->cfg->batch, &qb, &err) != 0) {
        log_warn("cannot claim from redis: %s", err.msg);
        fr_budget_refund(&p->budget, full_cost(p), NULL);
        proc_pump_soon(p, 1000);
        return -1;
    }
    if (qb.n == 0) {
        fr_queue_batch_release(&qb);
        fr_budget_refund(&p->budget, full_cost(p), NULL);
        return 0;
    }
    b = fr_xcalloc(1, sizeof(*b));
    b->p = p;
    b->started_us = fr_mono_us();
    memcpy(b->key, qb.key, sizeof(b->key));
    parse_entries(b, &qb);
    fr_queue_batch_release(&qb);
    p->in_flight++;
    p->stats.batches++;
    if (b->n == 0) {
        fr_budget_refund(&p->budget, full_cost(p), NULL);
        proc_batch_finish(b);
    } else {
        claim_in_db(b);
    }
    return 1;
}

/* How long to wait before looking at an empty queue again: PROC_IDLE_FIRST_MS after it
 * last had work, doubling up to FRESHET_IDLE_POLL. A processor that starts before the
 * scout's first page, or catches up with it, is back within a few milliseconds, and one
 * left idle still asks Redis only every idle_ms. */
static int64_t next_idle_wait(struct proc *p)
{
    int64_t wait = p->idle_wait_ms > 0 ? p->idle_wait_ms : PROC_IDLE_FIRST_MS;

    if (wait > p->cfg->idle_ms)
        wait = p->cfg->idle_ms;
    p->idle_wait_ms = 2 * wait;
    return wait;
}

void proc_pump_cb(evutil_socket_t fd, short what, void *arg)
{
    struct proc *p = arg;
    int64_t wait;

    (void)fd;
    (void)what;
    while (!p->stopping && p->in_flight < p->cfg->concurrency) {
        int taken;

        /* PostgreSQL is behind with the writes: fetching more now would only hold more
         * answers in memory waiting for it. The pump resumes as writes complete. */
        if (p->writing >= PROC_ANSWERED_PER_CONN * p->cfg->db_conns)
            return;
        /* Answers already wait in their sockets: the pump resumes as they are taken. */
        if (fr_http_parked(p->http) >= PROC_ANSWERED_PER_CONN * p->cfg->db_conns)
            return;

        if (p->up.fatal && p->cfg->once) {
            p->exit_code = 1;
            if (p->in_flight == 0)
                event_base_loopexit(p->base, NULL);
            return;
        }
        if (!fr_upstream_ready(&p->up, &wait)) {
            proc_pump_soon(p, wait);
            return;
        }
        if (!reserve_tokens(p))
            return;
        if ((taken = take_batch(p)) < 0)
            return;
        if (taken == 0) {
            p->idle = 1;
            if (p->cfg->once && p->in_flight == 0)
                proc_quit_when_idle(p);
            else
                proc_pump_soon(p, next_idle_wait(p));
            return;
        }
        p->idle = 0;
        p->idle_wait_ms = 0;
    }
}
