/*
 * upstream — see upstream.h.
 */
#include "common/upstream.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/metrics.h"

#define AUTH_PAUSE_MS 30000 /* a source refused for its credentials asks again after */

struct call {
    struct fr_upstream *u;
    char endpoint[16];
    int64_t cost;
    fr_up_done_fn done;
    void *arg;
};

struct fr_src_answer fr_upstream_answer(const struct fr_up_result *r)
{
    struct fr_src_answer a = {r->endpoint, r->status, r->body, r->body_len, r->res};

    return a;
}

void fr_upstream_init(struct fr_upstream *u, struct fr_http *http, struct fr_budget *budget,
                      const struct fr_source *src)
{
    memset(u, 0, sizeof(*u));
    u->http = http;
    u->budget = budget;
    u->src = src;
    u->source = src->name;
    fr_breaker_init(&u->breaker, 5, 10000);
}

static void count_request(struct fr_upstream *u, const char *endpoint, int status, double secs)
{
    char code[16];

    snprintf(code, sizeof(code), "%d", status);
    fr_counter_add(fr_counter_get("freshet_upstream_requests_total",
                                  "Upstream requests by endpoint and HTTP status (0 = none)",
                                  FR_LABELS("source", u->source, "endpoint", endpoint, "code",
                                            code)), 1);
    fr_hist_observe(fr_hist_get("freshet_stage_duration_seconds",
                                "Time spent in each pipeline stage", fr_hist_default_bounds,
                                fr_hist_default_nbounds,
                                FR_LABELS("source", u->source, "stage", endpoint)), secs);
}

static void note_breaker(struct fr_upstream *u, int ok)
{
    if (fr_breaker_record(&u->breaker, ok, fr_mono_ms()))
        log_warn_kv(FR_KV("state", fr_breaker_state_name(u->breaker.state)),
                    "circuit breaker for the upstream is now %s",
                    fr_breaker_state_name(u->breaker.state));
    fr_gauge_set(fr_gauge_get("freshet_breaker_state",
                              "Circuit breaker: 0 closed, 1 open, 2 half-open",
                              FR_LABELS("source", u->source)), u->breaker.state);
}

static void sync_budget(struct fr_upstream *u, int64_t cost, const struct fr_src_budget *b)
{
    struct fr_error err = {0};

    int rc;

    /* Trust what the upstream charged over our estimate: give back any difference. */
    if (b->known && b->window)
        rc = fr_budget_sync_window(u->budget, cost, b->remaining, b->reset_in_ms, b->rate,
                                   b->server_ms, &err);
    else
        rc = fr_budget_sync(u->budget, cost, b->known, b->remaining, b->reset_in_ms, b->rate,
                            b->server_ms, &err);
    if (rc != 0)
        log_warn("token budget not synchronised: %s", err.msg);
    if (b->known)
        fr_gauge_set(fr_gauge_get("freshet_upstream_tokens_left",
                                  "Tokens left in the upstream budget, as last reported",
                                  FR_LABELS("source", u->source)), (double)b->remaining);
}

void fr_upstream_settle(struct fr_upstream *u, const struct fr_up_result *r,
                        const struct fr_src_budget *budget, int ok)
{
    if (budget->known && budget->charged != r->cost && r->cost > 0)
        log_debug("upstream charged %lld tokens, %lld were reserved",
                  (long long)budget->charged, (long long)r->cost);
    sync_budget(u, r->cost, budget);
    note_breaker(u, ok);
}

/* Pauses the source for every worker (and here at once) for ms; spent: its tokens are
 * gone until the refill (a 429), else they wait for it (credentials refused). */
static void pause_source(struct fr_upstream *u, int64_t ms, int spent)
{
    if (spent)
        fr_budget_pause(u->budget, ms, NULL);
    else
        fr_budget_hold(u->budget, ms, NULL);
    u->paused_until_ms = fr_mono_ms() + ms;
}

/* Sorts the answer into r->cls; the source judges every status but 200. */
static void classify(struct fr_upstream *u, const struct fr_http_response *res,
                     struct fr_up_result *r, struct fr_src_budget *budget)
{
    struct fr_src_answer a = fr_upstream_answer(r);
    struct fr_src_verdict v;

    memset(budget, 0, sizeof(*budget));
    if (res->err != 0) {
        r->cls = FR_UP_RETRY;
        snprintf(r->reason, sizeof(r->reason), "%s", res->errmsg);
        return;
    }
    if (res->status == 200) {
        r->cls = FR_UP_OK;
        return;
    }
    u->src->ops->classify(u->src->state, &a, &v);
    r->cls = v.cls;
    memcpy(r->reason, v.reason, sizeof(r->reason));
    *budget = v.budget;
    if (v.cls == FR_UP_THROTTLED) {
        u->resync_wanted = v.resync;
        pause_source(u, v.pause_ms > 0 ? v.pause_ms : 1000, 1);
    } else if (v.cls == FR_UP_AUTH) {
        if (u->auth_until_ms <= fr_mono_ms()) /* once a pause, not once a request */
            log_warn("upstream refused the credentials (%s): check %s; the source waits "
                     "and asks again", v.reason, u->src->ops->key_hint);
        pause_source(u, v.pause_ms > 0 ? v.pause_ms : AUTH_PAUSE_MS, 0);
        u->auth_until_ms = u->paused_until_ms;
        snprintf(u->fatal_reason, sizeof(u->fatal_reason), "%s", v.reason);
    }
}

static void on_resynced(const struct fr_up_result *r, void *arg)
{
    (void)arg;
    if (r->cls != FR_UP_OK)
        log_debug("token budget resync after a bare 429 failed: %s", r->reason);
}

static void stop_source(struct fr_upstream *u, const char *endpoint, const char *reason)
{
    if (u->fatal)
        return;
    u->fatal = 1;
    snprintf(u->fatal_reason, sizeof(u->fatal_reason), "%s", reason);
    log_error_kv(FR_KV("endpoint", endpoint),
                 "upstream refused the request (%s): check %s; the source is stopped", reason,
                 u->src->ops->key_hint);
}

static void on_done(const struct fr_http_response *res, void *arg)
{
    struct call *c = arg;
    struct fr_upstream *u = c->u;
    struct fr_src_budget budget;
    struct fr_up_result r;

    memset(&r, 0, sizeof(r));
    r.status = res->status;
    r.body = res->body;
    r.body_len = res->body_len;
    r.res = res;
    r.endpoint = c->endpoint;
    r.cost = c->cost;
    /* The upstream's time: an answer parked while PostgreSQL was behind is not its. */
    count_request(u, c->endpoint, res->status, res->seconds - res->parked_seconds);
    classify(u, res, &r, &budget);
    if (r.cls != FR_UP_OK) {
        sync_budget(u, c->cost, &budget);
        if (r.cls == FR_UP_RETRY)
            note_breaker(u, 0);
        if (r.cls == FR_UP_FATAL)
            stop_source(u, c->endpoint, r.reason);
    }
    c->done(&r, c->arg);
    free(c);
    if (u->resync_wanted && fr_mono_ms() - u->last_sync_ms >= 1000) {
        u->resync_wanted = 0;
        fr_upstream_sync(u, on_resynced, NULL, NULL);
    }
}

int fr_upstream_send(struct fr_upstream *u, const struct fr_src_request *req, fr_up_done_fn done,
                     void *arg, struct fr_error *err)
{
    char log_url[512];
    struct fr_http_request hr = {0};
    struct call *c = fr_xcalloc(1, sizeof(*c));
    int rc;

    u->src->ops->redact(u->src->state, req->url, log_url, sizeof(log_url));
    c->u = u;
    snprintf(c->endpoint, sizeof(c->endpoint), "%s", req->endpoint);
    c->cost = req->cost;
    c->done = done;
    c->arg = arg;
    hr.url = req->url;
    hr.log_url = log_url;
    hr.body = req->body;
    hr.body_len = req->body ? strlen(req->body) : 0;
    hr.content_type = req->body ? (req->content_type ? req->content_type : "application/json")
                                : NULL;
    hr.headers = req->headers;
    hr.timeout_ms = u->src->timeout_ms;
    hr.max_body = (size_t)u->src->max_body;
    hr.holdable = req->holdable;
    rc = fr_http_start(u->http, &hr, on_done, c, err);
    if (rc != 0)
        free(c);
    return rc;
}

int fr_upstream_ready(struct fr_upstream *u, int64_t *wait_ms)
{
    int64_t now = fr_mono_ms();

    *wait_ms = 0;
    if (u->fatal) {
        *wait_ms = 60000;
        return 0;
    }
    if (u->paused_until_ms > now) {
        *wait_ms = u->paused_until_ms - now;
        return 0;
    }
    if (!fr_breaker_allow(&u->breaker, now)) {
        *wait_ms = fr_breaker_wait(&u->breaker, now);
        if (*wait_ms < 100)
            *wait_ms = 100;
        return 0;
    }
    return 1;
}

int fr_upstream_stopped(const struct fr_upstream *u, char *why, size_t n)
{
    if (u->fatal) {
        snprintf(why, n, "source '%s' stopped: %s", u->source, u->fatal_reason);
        return 1;
    }
    if (u->auth_until_ms > fr_mono_ms()) {
        snprintf(why, n, "source '%s' paused for its credentials: %s", u->source,
                 u->fatal_reason);
        return 1;
    }
    return 0;
}

struct sync_call {
    struct fr_upstream *u;
    fr_up_done_fn done;
    void *arg;
};

/* A budget sync starting now. */
static struct sync_call *new_sync(struct fr_upstream *u, fr_up_done_fn done, void *arg)
{
    struct sync_call *s = fr_xcalloc(1, sizeof(*s));

    s->u = u;
    s->done = done;
    s->arg = arg;
    u->last_sync_ms = fr_mono_ms();
    return s;
}

static void on_budget(const struct fr_up_result *r, void *arg)
{
    struct sync_call *s = arg;

    if (r->cls == FR_UP_OK) {
        struct fr_src_answer a = fr_upstream_answer(r);
        struct fr_src_budget budget;
        if (s->u->src->ops->budget_parse(s->u->src->state, &a, &budget, NULL) == 0)
            fr_upstream_settle(s->u, r, &budget, 1);
    }
    s->done(r, s->arg);
    free(s);
}

/* The seeded budget's "answer", from the loop (never inside fr_upstream_sync). */
static void on_seeded(evutil_socket_t fd, short what, void *arg)
{
    struct sync_call *s = arg;
    struct fr_up_result r;

    (void)fd;
    (void)what;
    memset(&r, 0, sizeof(r));
    r.cls = FR_UP_OK;
    r.endpoint = "seed";
    s->done(&r, s->arg);
    free(s);
}

/* A source without a budget request starts from the figures it is configured with. */
static int seed(struct fr_upstream *u, fr_up_done_fn done, void *arg, struct fr_error *err)
{
    const struct fr_source *src = u->src;
    struct fr_src_budget b = {0};
    struct sync_call *s;
    int rc;

    if (src->ops->budget_seed == NULL || src->ops->budget_seed(src->state, &b) != 0)
        return fr_error_set(err, FR_ERR_STATE, "source '%s' says nothing of its budget "
                                               "before its first answer", src->name);
    if (b.window)
        rc = fr_budget_seed_window(u->budget, b.rate, !b.known, err);
    else
        rc = fr_budget_sync(u->budget, 0, 1, b.remaining, b.reset_in_ms, b.rate, 0, err);
    if (rc != 0)
        return rc;
    s = new_sync(u, done, arg);
    if (event_base_once(fr_http_base(u->http), -1, EV_TIMEOUT, on_seeded, s, NULL) != 0) {
        free(s);
        return fr_error_set(err, FR_ERR_IO, "cannot schedule the budget's seed");
    }
    return 0;
}

int fr_upstream_sync(struct fr_upstream *u, fr_up_done_fn done, void *arg, struct fr_error *err)
{
    const struct fr_source *src = u->src;
    struct fr_src_request req;
    struct sync_call *s;
    int rc;

    if (src->ops->budget_request == NULL)
        return seed(u, done, arg, err);
    if ((rc = src->ops->budget_request(src->state, &req, err)) != 0)
        return rc;
    s = new_sync(u, done, arg);
    rc = fr_upstream_send(u, &req, on_budget, s, err);
    if (rc != 0)
        free(s);
    fr_src_request_release(&req);
    return rc;
}

int fr_upstream_resync_if_long(struct fr_upstream *u, int64_t wait_ms, fr_up_done_fn done,
                               void *arg)
{
    if (wait_ms < 1000 || fr_mono_ms() - u->last_sync_ms < 5000 || u->fatal ||
        u->src->ops->budget_request == NULL)
        return 0;
    return fr_upstream_sync(u, done, arg, NULL) == 0;
}
