/*
 * pass — one discovery pass: reads the source's discovery pages ahead concurrently (a
 * window of FRESHET_SCOUT_AHEAD pages) so upstream latency does not serialise discovery,
 * stores each page as it arrives, and advances the persisted cursor over the pages
 * stored without a gap, so a restart resumes where the last run stopped. The listing
 * ends at the first page the source calls the last. New pages wait while the queue is
 * above its high-water mark. A listing that is not indexed (offset, cursor, link: a page
 * needs the answer before it) is read one page at a time, and its cursor also keeps the
 * position of the first page not stored (the records before it, the cursor or link the
 * page before gave), so a pass that stops early (page cap, failure, shutdown) resumes
 * there too. A pass that reaches the end starts the next one over.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/metrics.h"
#include "scout/scout.h"

#define PAGE_TRIES 6

struct page_call {
    struct scout *s;
    int page;
};

void scout_step_soon(struct scout *s, int64_t ms)
{
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};

    if (evtimer_pending(s->step_ev, NULL) && ms > 0)
        return;
    evtimer_del(s->step_ev);
    evtimer_add(s->step_ev, &tv);
}

static struct scout_page *slot(struct scout *s, int page)
{
    return &s->pages[page % SCOUT_MAX_AHEAD];
}

/* Frees what the page slots hold and empties them. */
static void clear_pages(struct scout *s)
{
    for (int i = 0; i < SCOUT_MAX_AHEAD; i++)
        free(s->pages[i].after_next);
    memset(s->pages, 0, sizeof(s->pages));
}

/* Persists where the listing stands: page done_upto, and where it starts. */
static void save_cursor(struct scout *s, int complete)
{
    struct fr_error err = {0};

    s->cursor_saved_ms = fr_mono_ms();
    if (scout_cursor_save(s, complete ? 0 : s->done_upto, complete ? 0 : s->at_offset,
                          complete ? NULL : s->at_next, &err) != 0)
        log_warn("cursor not saved: %s", err.msg);
}

void scout_pass_free(struct scout *s)
{
    clear_pages(s);
    free(s->at_next);
    s->at_next = NULL;
}

static void finish_pass(struct scout *s)
{
    int complete = !s->failed && s->end_page >= 0 && s->done_upto >= s->end_page;

    /* A complete listing starts over next time; otherwise resume where we stopped. */
    save_cursor(s, complete);
    clear_pages(s);
    scout_run_end(s, !s->failed, s->failed ? "a discovery page failed" : NULL);
    log_info("discovery pass %s: %llu records seen, %llu new ids inserted, %llu enqueued, "
             "%llu known ids marked due, cursor at page %d",
             s->failed ? "stopped early" : complete ? "complete" : "paused",
             (unsigned long long)s->seen, (unsigned long long)s->inserted,
             (unsigned long long)s->enqueued, (unsigned long long)s->marked_due,
             complete ? 0 : s->done_upto);
    s->running = 0;
    s->passes++;
    if (s->failed)
        s->exit_code = 1;
    if (s->cfg->once || s->stopping)
        scout_finished(s);
}

/* Advances the cursor over stored pages without gaps. It is persisted at most once a
 * second (and at the end of the pass): a restart re-reads at most a second's pages,
 * whose ids are known by then, instead of a commit for every page. */
static void advance(struct scout *s)
{
    int before = s->done_upto;

    while (s->done_upto < s->next_page && slot(s, s->done_upto)->state == 2) {
        struct scout_page *pg = slot(s, s->done_upto);
        if (!s->src->lim.indexed) { /* the following page starts where this one ends */
            free(s->at_next);
            s->at_next = pg->after_next;
            pg->after_next = NULL;
            s->at_offset += pg->after_n;
        }
        free(pg->after_next);
        memset(pg, 0, sizeof(*pg));
        s->done_upto++;
    }
    if (s->done_upto != before && fr_mono_ms() - s->cursor_saved_ms >= 1000)
        save_cursor(s, 0);
}

/* A page failed after it was requested: retry it later, or give the pass up. */
static void page_failed(struct scout *s, int page, int throttled, const char *why)
{
    struct scout_page *pg = slot(s, page);

    pg->state = 3;
    if (!throttled)
        pg->tries++;
    pg->retry_at_ms = fr_mono_ms() + (throttled ? 1000 : 500 << pg->tries);
    log_warn("discovery page %d failed (try %d): %s", page, pg->tries, why);
    if (pg->tries >= PAGE_TRIES)
        s->failed = 1;
}

void scout_page_stored(struct scout *s, int page, const struct fr_error *err)
{
    s->storing--;
    if (err != NULL) {
        page_failed(s, page, 0, err->msg);
    } else {
        slot(s, page)->state = 2;
        advance(s);
    }
    scout_step_soon(s, 0);
}

static void page_done(struct scout *s, int page, const struct fr_up_result *r)
{
    const struct fr_source *src = s->src;
    struct scout_page *pg = slot(s, page);
    struct fr_src_answer a = fr_upstream_answer(r);
    struct fr_src_budget budget;
    struct fr_src_page got = {0};
    struct fr_error err = {0};

    if (r->cls == FR_UP_OK &&
        src->ops->discover_parse(src->state, &a, &got, &budget, &err) == 0) {
        fr_upstream_settle(&s->up, r, &budget, 1);
        if (got.skipped)
            log_warn("page %d: %zu records without a valid id skipped", page, got.skipped);
        pg->deals = (int)got.n;
        if (!src->lim.indexed) { /* taken up once the page is stored (advance) */
            free(pg->after_next);
            pg->after_next = got.next;
            got.next = NULL;
            pg->after_n = (int64_t)(got.n + got.skipped);
        }
        if (got.last && (s->end_page < 0 || page + 1 < s->end_page))
            s->end_page = page + 1;
        if (got.n > 0) {
            pg->state = 4;
            s->storing++;
            scout_store_page(s, page, got.recs, got.n);
        } else {
            pg->state = 2;
            advance(s);
        }
        fr_src_page_release(&got);
        return;
    }
    fr_src_page_release(&got);
    if (r->cls == FR_UP_OK)
        fr_upstream_settle(&s->up, r, &budget, 0);
    if (r->cls == FR_UP_FATAL) {
        s->failed = 1;
        return;
    }
    page_failed(s, page, r->cls == FR_UP_THROTTLED || r->cls == FR_UP_AUTH,
                err.msg[0] ? err.msg : r->reason);
}

static void on_page(const struct fr_up_result *r, void *arg)
{
    struct page_call *c = arg;
    struct scout *s = c->s;

    s->in_flight--;
    page_done(s, c->page, r);
    free(c);
    scout_step_soon(s, 0);
}

static void on_sync(const struct fr_up_result *r, void *arg)
{
    struct scout *s = arg;

    s->syncing = 0;
    if (r->cls == FR_UP_OK) {
        s->sync_failures = 0;
        scout_step_soon(s, 0);
        return;
    }
    /* An upstream we cannot even ask for the budget fails the pass like a page would. */
    log_warn("token budget sync failed (try %d): %s", ++s->sync_failures, r->reason);
    if (s->sync_failures >= PAGE_TRIES)
        s->failed = 1;
    scout_step_soon(s, 250 << (s->sync_failures < 6 ? s->sync_failures : 6));
}

/* Takes the page's tokens and sends it; 0 when it must wait (the step is re-armed). */
static int send_page(struct scout *s, int page)
{
    const struct fr_source *src = s->src;
    struct fr_src_position at = {.page = page, .offset = s->at_offset, .next = s->at_next};
    struct fr_src_request req;
    struct fr_error err = {0};
    struct page_call *c;
    int64_t wait = 0, cost = src->lim.discover_cost;
    int v;

    if (!fr_upstream_ready(&s->up, &wait)) {
        scout_step_soon(s, wait);
        return 0;
    }
    v = fr_budget_take(&s->budget, cost, &wait, &err);
    if (v == FR_BUDGET_UNKNOWN) {
        if (!s->syncing && fr_upstream_sync(&s->up, on_sync, s, &err) == 0)
            s->syncing = 1;
        return 0; /* on_sync steps again */
    }
    if (v != FR_BUDGET_GRANTED) {
        if (v == FR_BUDGET_WAIT && !s->syncing &&
            fr_upstream_resync_if_long(&s->up, wait, on_sync, s))
            s->syncing = 1;
        scout_step_soon(s, v == FR_BUDGET_WAIT ? (wait > 5000 ? 5000 : wait) : 1000);
        return 0;
    }
    c = fr_xcalloc(1, sizeof(*c));
    c->s = s;
    c->page = page;
    v = src->ops->discover_request(src->state, &at, &req, &err);
    if (v == 0) {
        req.cost = cost;
        v = fr_upstream_send(&s->up, &req, on_page, c, &err);
        fr_src_request_release(&req);
    }
    if (v != 0) {
        fr_budget_refund(&s->budget, cost, NULL);
        free(c);
        scout_step_soon(s, 1000);
        return 0;
    }
    slot(s, page)->page = page;
    slot(s, page)->state = 1;
    s->in_flight++;
    return 1;
}

static int over_high_water(struct scout *s)
{
    int64_t waiting = 0;

    if (fr_queue_depths(&s->queue, &waiting, NULL, NULL, NULL) != 0)
        return 0;
    fr_gauge_set(fr_gauge_get("freshet_queue_depth", "Ids waiting in the queue",
                              FR_LABELS("source", s->cfg->common.source)), (double)waiting);
    if (waiting <= s->cfg->high_water)
        return 0;
    log_debug("queue holds %lld ids, above the high-water mark: discovery waits",
              (long long)waiting);
    return 1;
}

/* Resends pages whose retry time has come; 0 when it had to wait. */
static int retry_due(struct scout *s)
{
    for (int p = s->done_upto; p < s->next_page; p++) {
        struct scout_page *pg = slot(s, p);
        if (pg->state != 3)
            continue;
        if (pg->retry_at_ms > fr_mono_ms()) {
            scout_step_soon(s, pg->retry_at_ms - fr_mono_ms());
            continue;
        }
        if (!send_page(s, p))
            return 0;
    }
    return 1;
}

void scout_step_cb(evutil_socket_t fd, short what, void *arg)
{
    struct scout *s = arg;
    int limit;

    (void)fd;
    (void)what;
    if (!s->running)
        return;
    limit = s->cfg->max_pages > 0 ? (int)s->cfg->max_pages : -1;
    if (s->failed || s->stopping || s->up.fatal) {
        s->failed |= s->up.fatal;
        if (s->in_flight == 0 && s->storing == 0 && !s->syncing)
            finish_pass(s);
        return;
    }
    if (!retry_due(s))
        return;
    while (s->next_page - s->done_upto < (s->src->lim.indexed ? (int)s->cfg->ahead : 1) &&
           (s->end_page < 0 || s->next_page < s->end_page) &&
           (limit < 0 || s->next_page - s->pages_start < limit)) {
        if (over_high_water(s)) {
            scout_step_soon(s, 1000);
            return;
        }
        if (!send_page(s, s->next_page))
            return;
        s->next_page++;
    }
    if (s->in_flight == 0 && s->storing == 0 && s->done_upto >= s->next_page)
        finish_pass(s);
}

void scout_pass_start(struct scout *s)
{
    struct fr_error err = {0};
    int64_t offset = 0;
    char *next = NULL;
    int page = 0;

    if (s->running)
        return;
    if (scout_cursor_load(s, &page, &offset, &next, &err) != 0) {
        log_warn("cannot read the cursor, pass skipped: %s", err.msg);
        if (s->cfg->once) {
            s->exit_code = 1;
            scout_finished(s);
        }
        return;
    }
    clear_pages(s);
    s->running = 1;
    s->failed = 0;
    s->next_page = s->done_upto = s->pages_start = page;
    free(s->at_next);
    s->at_next = next;
    s->at_offset = offset;
    s->end_page = -1;
    s->sync_failures = 0;
    s->seen = s->inserted = s->enqueued = s->marked_due = 0;
    s->pass_started_ms = fr_mono_ms();
    scout_run_begin(s);
    if (page > 0)
        log_info("resuming discovery at page %d", page);
    scout_step_soon(s, 0);
}
