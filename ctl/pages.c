/*
 * pages — `backfill --pages A-B`: reads the source's discovery pages one at a time and
 * feeds their ids to the intake. Each page's cost is taken from the budget the fleet
 * shares before the request is sent, so an operator backfill never makes the daemons
 * overspend (or get a 429). The request goes through the same upstream layer as the
 * scout (budget sync, 429 pause, breaker) on a private event loop that runs only until
 * the page's answer is in: synchronous from the caller's point of view.
 */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "common/budget.h"
#include "common/clock.h"
#include "common/http.h"
#include "common/mem.h"
#include "common/sig.h"
#include "common/source.h"
#include "common/upstream.h"
#include "ctl/ctl.h"

#define PAGE_TRIES 5

struct pager {
    struct event_base *base;
    struct fr_http *http;
    struct fr_budget budget;
    struct fr_source *src;
    struct fr_upstream up;
    const char *prog;
    /* the answer to the last call */
    int done, cls;
    char reason[256];
    struct fr_src_page page; /* the last page's records */
};

static const volatile int *stop_flag(void)
{
    return (const volatile int *)&fr_sig_stop_requested;
}

static void on_page(const struct fr_up_result *r, void *arg)
{
    struct pager *p = arg;
    struct fr_src_answer a = fr_upstream_answer(r);
    struct fr_src_budget budget;
    struct fr_error err = {0};

    p->done = 1;
    p->cls = r->cls;
    fr_strlcpy(p->reason, r->reason, sizeof(p->reason));
    if (r->cls != FR_UP_OK)
        return;
    if (p->src->ops->discover_parse(p->src->state, &a, &p->page, &budget, &err) != 0) {
        fr_upstream_settle(&p->up, r, &budget, 0);
        p->cls = FR_UP_RETRY;
        snprintf(p->reason, sizeof(p->reason), "unusable discovery answer: %s", err.msg);
        return;
    }
    fr_upstream_settle(&p->up, r, &budget, 1);
}

static void on_sync(const struct fr_up_result *r, void *arg)
{
    struct pager *p = arg;

    p->done = 1;
    p->cls = r->cls;
    fr_strlcpy(p->reason, r->reason, sizeof(p->reason));
}

/* Runs the loop until the call in flight has answered. */
static void wait_answer(struct pager *p)
{
    while (!p->done)
        event_base_loop(p->base, EVLOOP_ONCE);
}

/* Sends page and waits for it; the budget already paid for it. */
static int call_page(struct pager *p, int page, struct fr_error *err)
{
    struct fr_src_position at = {.page = page};
    struct fr_src_request req;
    int64_t cost = p->src->lim.discover_cost;
    int rc;

    p->done = 0;
    fr_src_page_release(&p->page);
    memset(&p->page, 0, sizeof(p->page));
    rc = p->src->ops->discover_request(p->src->state, &at, &req, err);
    if (rc == 0) {
        req.cost = cost;
        rc = fr_upstream_send(&p->up, &req, on_page, p, err);
        fr_src_request_release(&req);
    }
    if (rc != 0) {
        fr_budget_refund(&p->budget, cost, NULL);
        return rc;
    }
    wait_answer(p);
    return 0;
}

/* Waits until the budget grants a page: 0 granted, else an error. */
static int pay(struct pager *p, int page, struct fr_error *err)
{
    int64_t wait = 0;
    int v;

    for (int syncs = 0; !fr_sig_stop_requested;) {
        if (!fr_upstream_ready(&p->up, &wait)) {
            if (p->up.fatal)
                return fr_error_set(err, FR_ERR_FATAL, "upstream refused: %s",
                                    p->up.fatal_reason);
        } else if ((v = fr_budget_take(&p->budget, p->src->lim.discover_cost, &wait, err)) < 0) {
            return v;
        } else if (v == FR_BUDGET_GRANTED) {
            return 0;
        } else if (v == FR_BUDGET_UNKNOWN) {
            /* No figures yet: the budget request is free and tells us the balance. */
            if (syncs++ >= PAGE_TRIES)
                return fr_error_set(err, FR_ERR_IO, "cannot learn the token budget: %s",
                                    p->reason);
            p->done = 0;
            if (fr_upstream_sync(&p->up, on_sync, p, err) != 0)
                return err ? err->code : FR_ERR_IO;
            wait_answer(p);
            wait = p->cls == FR_UP_OK ? 0 : 500;
        } else if (wait >= 2000) {
            fprintf(stderr, "%s: page %d: waiting %llds for tokens\n", p->prog, page,
                    (long long)(wait + 999) / 1000);
        }
        fr_sleep_ms(wait > 5000 ? 5000 : wait, stop_flag());
    }
    return fr_error_set(err, FR_ERR_IO, "interrupted");
}

/* Fetches one page with retries; 0 with p->page filled. */
static int fetch_page(struct pager *p, int page, struct fr_error *err)
{
    int rc;

    for (int tries = 1;; tries++) {
        if ((rc = pay(p, page, err)) != 0 || (rc = call_page(p, page, err)) != 0)
            return rc;
        if (p->cls == FR_UP_OK)
            return 0;
        if (p->cls == FR_UP_FATAL)
            return fr_error_set(err, FR_ERR_FATAL, "page %d: %s", page, p->reason);
        if (p->cls == FR_UP_THROTTLED || p->cls == FR_UP_AUTH)
            tries--;
        else if (tries >= PAGE_TRIES)
            return fr_error_set(err, FR_ERR_IO, "page %d failed %d times, last: %s", page,
                                tries, p->reason);
        fprintf(stderr, "%s: page %d: %s (retrying)\n", p->prog, page, p->reason);
        fr_sleep_ms(p->cls == FR_UP_THROTTLED ? 0 : 250 << tries, stop_flag());
    }
}

static int feed_pages(struct pager *p, struct ctl_feed *f, int first, int last,
                      struct fr_error *err)
{
    int rc = 0;

    for (int page = first; page <= last && rc == 0 && !fr_sig_stop_requested; page++) {
        if ((rc = fetch_page(p, page, err)) != 0)
            break;
        for (size_t i = 0; i < p->page.n && rc == 0; i++)
            rc = ctl_feed_add(f, p->page.recs[i].id, "page", (uint64_t)page, err);
        if (rc == 0 && p->page.last && page < last) {
            ctl_progress_end(&f->progress);
            fprintf(stderr, "%s: page %d is the last of the listing (%zu records): stopping\n",
                    p->prog, page, p->page.n + p->page.skipped);
            break;
        }
    }
    return rc;
}

int ctl_pages_check(const char *prog, const char *source, const struct fr_source_settings *set)
{
    struct fr_source *src = NULL;
    struct fr_error err = {0};
    const char *missing;
    int rc = 0;

    if (fr_source_open(source, set, &src, &err) != 0)
        return ctl_usage_error(prog, "--pages: %s", err.msg);
    missing = src->ops->missing_credentials(src->state);
    if (*missing)
        rc = ctl_usage_error(prog, "--pages needs %s", missing);
    fr_source_close(src);
    return rc;
}

int ctl_pages_feed(struct ctl_feed *f, struct fr_redis *r, const struct fr_source_settings *set,
                   int64_t token_period_ms, int first, int last, struct fr_error *err)
{
    struct pager p;
    int rc;

    memset(&p, 0, sizeof(p));
    p.prog = f->prog;
    if ((rc = fr_source_open(f->source, set, &p.src, err)) != 0)
        return rc;
    p.base = event_base_new();
    if (p.base == NULL || (p.http = fr_http_new(p.base, 1, err)) == NULL) {
        rc = fr_error_set(err, FR_ERR_IO, "cannot start the HTTP client");
    } else {
        fr_budget_init(&p.budget, r, f->source, token_period_ms, 0);
        fr_upstream_init(&p.up, p.http, &p.budget, p.src);
        rc = feed_pages(&p, f, first, last, err);
    }
    fr_http_free(p.http);
    if (p.base)
        event_base_free(p.base);
    fr_src_page_release(&p.page);
    fr_source_close(p.src);
    return rc;
}
