/*
 * batch — what becomes of a claimed batch: the source's detail request, the sorting of
 * its answer into results (validated, then the source's enrichment step), retries and
 * final failures, then one write, one failure update and one Redis acknowledgement for
 * the whole batch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/backoff.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/metrics.h"
#include "processor/llm.h"
#include "processor/proc.h"

static void count_outcome(struct proc *p, const char *outcome, uint64_t n)
{
    if (n > 0)
        fr_counter_add(fr_counter_get("freshet_items_processed_total",
                                      "Items finished by the processor, by outcome",
                                      FR_LABELS("source", p->cfg->common.source, "outcome",
                                                outcome)), (double)n);
}

static void on_fetched(const struct fr_up_result *r, void *arg)
{
    proc_batch_fetched(arg, r);
}

/* The ids the batch asks the source for: the claimed ones (new array, borrowed ids). */
static const char **claimed_ids(const struct proc_batch *b, size_t *n)
{
    const char **ids = fr_xcalloc(b->n ? b->n : 1, sizeof(*ids));

    *n = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (b->items[i].claim.state == PROC_CLAIMED)
            ids[(*n)++] = b->items[i].id;
    }
    return ids;
}

int proc_batch_fetch(struct proc_batch *b)
{
    struct proc *p = b->p;
    const struct fr_source *src = p->src;
    struct fr_src_request req;
    struct fr_error err = {0};
    size_t n;
    const char **ids = claimed_ids(b, &n);
    int rc;

    rc = src->ops->detail_request(src->state, ids, n, &req, &err);
    if (rc == 0) {
        /* The fence of this batch's writes: the time its fetch started. */
        int64_t now = fr_wall_ms();
        for (size_t i = 0; i < b->n; i++)
            b->items[i].claim.fetched_ms = now;
        req.cost = b->tokens;
        req.holdable = 1; /* answers wait in their sockets while PostgreSQL is behind */
        rc = fr_upstream_send(&p->up, &req, on_fetched, b, &err);
        fr_src_request_release(&req);
    }
    free(ids);
    if (rc != 0) {
        log_warn("cannot start request: %s", err.msg);
        fr_budget_refund(&p->budget, b->tokens, NULL);
        b->tokens = 0;
        /* Nothing was sent: give the claims back and let the ids wait a moment. */
        for (size_t i = 0; i < b->n; i++) {
            if (b->items[i].claim.state == PROC_CLAIMED) {
                b->items[i].outcome = ITEM_RETRY;
                b->items[i].retry_due_ms = fr_wall_ms() + 1000;
            }
        }
        return rc;
    }
    p->stats.requests++;
    return 0;
}

static void free_results(struct proc_batch *b)
{
    for (int k = 0; k < b->nwparams; k++)
        free(b->wparams[k]);
    if (b->nwparams > 0)
        b->p->writing--;
    b->nwparams = 0;
    for (size_t i = 0; i < b->nresults; i++)
        free(b->results[i].payload_text);
    free(b->results);
    b->results = NULL;
    b->nresults = 0;
}

static void free_batch(struct proc_batch *b)
{
    struct proc *p = b->p;

    if (b->answered && --p->answered < PROC_ANSWERED_PER_CONN * p->cfg->db_conns)
        fr_http_hold(p->http, 0);
    free_results(b);
    if (b->retry_ev)
        event_free(b->retry_ev);
    fr_src_items_free(b->recs, b->nrecs);
    free(b->items);
    free(b->ids);
    free(b);
}

/* Items that go back to waiting without an attempt counted: they wait in `delayed`
 * until due_ms. PostgreSQL holds no claim to give back. */
void proc_batch_release(struct proc_batch *b, int64_t due_ms)
{
    for (size_t i = 0; i < b->n; i++) {
        struct proc_item *it = &b->items[i];
        if (it->claim.state != PROC_CLAIMED || it->outcome != ITEM_PENDING)
            continue;
        it->outcome = ITEM_RETRY;
        it->retry_due_ms = due_ms;
    }
}

/* Adds each claimed item still pending, and not among its[0..n), with one reason. */
static size_t add_pending(struct proc_batch *b, const char *reason, struct proc_failure *f,
                          struct proc_item **its, size_t n)
{
    size_t listed = n;

    for (size_t i = 0; i < b->n; i++) {
        struct proc_item *it = &b->items[i];
        int seen = 0;
        if (it->claim.state != PROC_CLAIMED || it->outcome != ITEM_PENDING)
            continue;
        for (size_t j = 0; j < listed && !seen; j++)
            seen = its[j] == it;
        if (seen)
            continue;
        its[n] = it;
        f[n].id = it->id;
        f[n].fetched_ms = it->claim.fetched_ms;
        f[n++].reason = reason;
    }
    return n;
}

/* Counts an attempt for each f[k] (item its[k]) in one statement and settles it: retried
 * with backoff, failed for good (dead-lettered with its reason), kept active as a failed
 * refresh, or dropped when a newer claim owns it. When PostgreSQL cannot record them,
 * their claims are given back instead. */
static void record_failures(struct proc_batch *b, struct proc_failure *f,
                            struct proc_item **its, size_t n)
{
    struct proc *p = b->p;
    struct fr_error err = {0};

    if (n == 0)
        return;
    if (proc_store_fail(&p->db, &p->store, f, n, &err) != 0) {
        log_warn("cannot record failures: %s", err.msg);
        proc_batch_release(b, fr_wall_ms() + 5000);
        return;
    }
    for (size_t k = 0; k < n; k++) {
        struct proc_item *it = its[k];
        if (f[k].outcome == 0) {
            int64_t d = fr_backoff_delay(p->cfg->retry_base_ms, p->cfg->retry_cap_ms,
                                         f[k].attempts - 1, &p->rng);
            it->outcome = ITEM_RETRY;
            it->retry_due_ms = fr_wall_ms() + p->cfg->retry_base_ms / 2 + d;
            p->stats.retried++;
            count_outcome(p, "retry", 1);
            continue;
        }
        it->outcome = ITEM_DONE;
        if (f[k].outcome == 1) {
            fr_queue_dead_letter(&p->queue, it->id, strlen(it->id), f[k].reason, NULL);
            p->stats.failed++;
            p->stats.dead++;
            count_outcome(p, "failed", 1);
        } else if (f[k].outcome == 2) {
            count_outcome(p, "refresh_failed", 1);
        } else {
            p->stats.dropped++; /* fence lost: the newer owner decides */
        }
    }
}

/* Counts an attempt for every claimed item still pending, with one reason. */
static void fail_pending(struct proc_batch *b, const char *reason)
{
    struct proc_failure *f = fr_xcalloc(b->n ? b->n : 1, sizeof(*f));
    struct proc_item **its = fr_xcalloc(b->n ? b->n : 1, sizeof(*its));

    record_failures(b, f, its, add_pending(b, reason, f, its, 0));
    free(f);
    free(its);
}

void proc_batch_finish(struct proc_batch *b)
{
    struct proc *p = b->p;
    const char **done = fr_xcalloc(b->n ? b->n : 1, sizeof(*done));
    const char **retry = fr_xcalloc(b->n ? b->n : 1, sizeof(*retry));
    int64_t *due = fr_xcalloc(b->n ? b->n : 1, sizeof(*due));
    size_t nd = 0, nr = 0;
    struct fr_error err = {0};

    fail_pending(b, "internal: item left unprocessed");
    for (size_t i = 0; i < b->n; i++) {
        if (b->items[i].outcome == ITEM_RETRY) {
            retry[nr] = b->items[i].id;
            due[nr++] = b->items[i].retry_due_ms;
        } else {
            done[nd++] = b->items[i].id;
        }
    }
    if (fr_queue_ack(&p->queue, b->key, done, nd, retry, due, nr, &err) != 0)
        /* The batch stays in Redis: the reaper or our restart requeues it; PostgreSQL
         * already holds the truth, so a repeat costs no fetch. */
        log_warn("acknowledgement failed, batch left for recovery: %s", err.msg);
    fr_hist_observe(fr_hist_get("freshet_stage_duration_seconds", "Time spent in each pipeline stage",
                                fr_hist_default_bounds, fr_hist_default_nbounds,
                                FR_LABELS("source", p->cfg->common.source, "stage", "batch")),
                    (double)(fr_mono_us() - b->started_us) / 1e6);
    free(done);
    free(retry);
    free(due);
    free_batch(b);
    p->in_flight--;
    if (p->quitting && p->in_flight == 0)
        proc_quit_when_idle(p);
    else
        proc_pump_soon(p, 0);
}

/* Looks from *from on (wrapping), where the previous lookup matched: the upstream answers
 * in request order, so a pass over a batch is linear, not quadratic. */
static struct proc_item *find_item(struct proc_batch *b, const char *id, size_t *from)
{
    for (size_t k = 0; k < b->n; k++) {
        size_t i = (*from + k) % b->n;
        if (b->items[i].claim.state == PROC_CLAIMED && strcmp(b->items[i].id, id) == 0) {
            *from = i + 1;
            return &b->items[i];
        }
    }
    return NULL;
}

/* Validates OK payloads against the source's schema, then keeps each as its stored text:
 * a batch that waits (for an enrichment, for PostgreSQL) holds ~1 KB an item, not a JSON
 * tree. */
static void sort_records(struct proc_batch *b)
{
    const struct fr_source *src = b->p->src;
    const struct fr_schema *schema = b->p->schema;

    for (size_t k = 0; k < b->nrecs; k++) {
        struct fr_src_item *it = &b->recs[k];
        struct fr_error err = {0};
        if (it->status == FR_SRC_ITEM_OK && schema &&
            fr_schema_validate(schema, it->payload, &err) != 0) {
            it->status = FR_SRC_ITEM_BAD;
            snprintf(it->reason, sizeof(it->reason), "payload fails schema: %s", err.msg);
        }
        if (it->status == FR_SRC_ITEM_OK)
            it->text = src->ops->payload_text(it->payload);
        json_decref(it->payload);
        it->payload = NULL;
    }
}

static void on_enriched(void *arg)
{
    proc_batch_store(arg);
}

void proc_batch_fetched(struct proc_batch *b, const struct fr_up_result *r)
{
    struct proc *p = b->p;
    const struct fr_source *src = p->src;
    struct fr_src_answer a = fr_upstream_answer(r);
    struct fr_src_budget budget;
    struct fr_error err = {0};
    const char **ids;
    size_t nids;
    int rc;

    b->answered = 1;
    if (++p->answered >= PROC_ANSWERED_PER_CONN * p->cfg->db_conns)
        fr_http_hold(p->http, 1);
    if (!p->stopping)
        proc_pump_soon(p, 0); /* if it was parked, an answer less waits in a socket */

    /* Shutting down (requests cancelled at the end of the grace period) is not the
     * items' fault: hand them back without counting an attempt; nor is a paused source. */
    if (r->cls == FR_UP_THROTTLED || r->cls == FR_UP_FATAL || r->cls == FR_UP_AUTH ||
        (r->cls == FR_UP_RETRY && p->stopping)) {
        proc_batch_release(b, fr_wall_ms() + (r->cls == FR_UP_FATAL ? 60000 : 1000));
        proc_batch_finish(b);
        return;
    }
    if (r->cls == FR_UP_RETRY) {
        log_warn_kv(FR_KV("reason", r->reason), "detail request failed, items will retry");
        fail_pending(b, r->reason);
        proc_batch_finish(b);
        return;
    }
    ids = claimed_ids(b, &nids);
    rc = src->ops->detail_parse(src->state, ids, nids, &a, &b->recs, &b->nrecs, &budget, &err);
    free(ids);
    if (rc != 0) {
        fr_upstream_settle(&p->up, r, &budget, 0);
        log_warn_kv(FR_KV("reason", err.msg), "unusable detail response, items will retry");
        fail_pending(b, err.msg);
        proc_batch_finish(b);
        return;
    }
    fr_upstream_settle(&p->up, r, &budget, 1);
    sort_records(b);
    if (src->ops->enrich != NULL) {
        struct fr_src_env env = {&p->up, &p->budget, &p->redis, &p->queue};
        src->ops->enrich(src->state, &env, b->recs, b->nrecs, on_enriched, b);
    } else {
        proc_batch_store(b);
    }
}

/* The payload text for the write: what was validated (and enriched). */
static size_t collect_results(struct proc_batch *b, struct proc_result *res)
{
    size_t n = 0, from = 0;

    for (size_t k = 0; k < b->nrecs; k++) {
        struct fr_src_item *rec = &b->recs[k];
        struct proc_item *it =
            rec->status == FR_SRC_ITEM_OK ? find_item(b, rec->id, &from) : NULL;
        if (it == NULL || it->outcome != ITEM_PENDING)
            continue;
        res[n].id = it->id;
        res[n].fetched_ms = it->claim.fetched_ms;
        res[n].rec = rec;
        res[n].payload_text = rec->text;
        rec->text = NULL;
        n++;
    }
    return n;
}

static void mark_written(struct proc_batch *b, struct proc_result *res, size_t n)
{
    struct proc *p = b->p;
    uint64_t ok = 0;
    size_t from = 0;

    for (size_t i = 0; i < n; i++) {
        struct proc_item *it = find_item(b, res[i].id, &from);
        if (it == NULL)
            continue;
        it->outcome = ITEM_DONE; /* written, or fenced out by a newer owner */
        ok += res[i].written;
        if (!res[i].written)
            p->stats.dropped++;
    }
    p->stats.active += ok;
    count_outcome(p, "active", ok);
}

/* Items the answer covered with a bad or invalid record (each with its own reason), and
 * the ones it did not cover: one statement for all of them. */
static void fail_rest(struct proc_batch *b)
{
    struct proc_failure *f = fr_xcalloc(b->n ? b->n : 1, sizeof(*f));
    struct proc_item **its = fr_xcalloc(b->n ? b->n : 1, sizeof(*its));
    size_t from = 0, n = 0;

    for (size_t k = 0; k < b->nrecs; k++) {
        struct fr_src_item *rec = &b->recs[k];
        struct proc_item *it = rec->id[0] ? find_item(b, rec->id, &from) : NULL;
        int repeat = 0;
        if (it == NULL || it->outcome != ITEM_PENDING || rec->status == FR_SRC_ITEM_OK)
            continue;
        for (size_t j = 0; j < n && !repeat; j++)
            repeat = its[j] == it; /* the same record twice in one answer counts once */
        if (repeat)
            continue;
        its[n] = it;
        f[n].id = it->id;
        f[n].fetched_ms = it->claim.fetched_ms;
        f[n].reason = rec->reason[0] ? rec->reason : "malformed record";
        f[n++].final = rec->status == FR_SRC_ITEM_GONE;
    }
    n = add_pending(b, b->p->src->ops->omitted, f, its, n);
    record_failures(b, f, its, n);
    free(f);
    free(its);
}

static void on_store_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    proc_batch_store(arg);
}

/* PostgreSQL went away after the fetch: keep the answer and write it again shortly
 * instead of fetching it again (tokens are the scarce resource), while our claims last. */
static int defer_store(struct proc_batch *b, int rc);
static int defer_store(struct proc_batch *b, int rc)
{
    struct proc *p = b->p;
    struct timeval tv = {0, 500000};

    if (rc != FR_ERR_IO || p->stopping || fr_mono_ms() >= b->store_deadline_ms)
        return 0;
    if (b->retry_ev == NULL)
        b->retry_ev = evtimer_new(p->base, on_store_retry, b);
    evtimer_add(b->retry_ev, &tv);
    return 1;
}

static void on_written(PGresult *res, const struct fr_error *err, void *arg)
{
    struct proc_batch *b = arg;
    struct proc *p = b->p;

    if (res == NULL) {
        int deferred = defer_store(b, err->code);
        log_warn("write failed, %s: %s", deferred ? "retrying shortly" : "items will retry",
                 err->msg);
        if (deferred)
            return;
        proc_batch_release(b, fr_wall_ms() + 2000);
    } else {
        int64_t history = proc_store_write_parse(res, b->results, b->nresults);
        mark_written(b, b->results, b->nresults);
        proc_llm_kick(p->llm);
        p->stats.history += (uint64_t)history;
        fr_hist_observe(fr_hist_get("freshet_stage_duration_seconds",
                                    "Time spent in each pipeline stage", fr_hist_default_bounds,
                                    fr_hist_default_nbounds,
                                    FR_LABELS("source", p->cfg->common.source, "stage", "write")),
                        (double)(fr_mono_us() - b->write_started_us) / 1e6);
    }
    free_results(b);
    fail_rest(b);
    proc_batch_finish(b);
}

static void submit_write(struct proc_batch *b)
{
    b->write_started_us = fr_mono_us();
    /* The batch keeps its parameters for a retry anyway: the pool borrows them. */
    fr_dbq_query_ref(b->p->dbq, proc_write_sql, b->nwparams, (const char *const *)b->wparams,
                     on_written, b);
}

/* Builds the write once and keeps its parameters (a retry resubmits them); the texts go
 * at once, so a batch waiting for PostgreSQL holds its payloads once. */
void proc_batch_store(struct proc_batch *b)
{
    struct proc *p = b->p;
    struct proc_params pp;

    if (b->nwparams > 0) { /* a retry: the statement is built */
        submit_write(b);
        return;
    }
    b->store_deadline_ms = fr_mono_ms() + p->cfg->lease_ms / 2;
    free_results(b);
    b->results = fr_xcalloc(b->nrecs ? b->nrecs : 1, sizeof(*b->results));
    b->nresults = collect_results(b, b->results);
    if (b->nresults == 0) {
        free_results(b);
        fail_rest(b);
        proc_batch_finish(b);
        return;
    }
    for (size_t i = 0; p->llm != NULL && i < b->nresults; i++)
        proc_llm_hash(p->llm, b->results[i].payload_text, b->results[i].llm_hash);
    proc_store_write_params(&p->store, b->results, b->nresults, &pp);
    for (int k = 0; k < pp.n; k++)
        b->wparams[k] = pp.v[k] ? fr_xstrdup(pp.v[k]) : NULL;
    b->nwparams = pp.n;
    p->writing++;
    proc_params_release(&pp);
    for (size_t i = 0; i < b->nresults; i++) {
        free(b->results[i].payload_text);
        b->results[i].payload_text = NULL;
    }
    submit_write(b);
}
