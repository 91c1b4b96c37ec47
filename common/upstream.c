/*
 * upstream — see upstream.h.
 */
#include "common/upstream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/json.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/metrics.h"

struct call {
    struct fr_upstream *u;
    char endpoint[16];
    int64_t cost;
    fr_up_done_fn done;
    void *arg;
};

void fr_upstream_init(struct fr_upstream *u, struct fr_http *http, struct fr_budget *budget,
                      const struct fr_keepa_config *cfg, const char *source)
{
    memset(u, 0, sizeof(*u));
    u->http = http;
    u->budget = budget;
    u->cfg = cfg;
    u->source = source;
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

static void sync_budget(struct fr_upstream *u, int64_t cost, const struct fr_keepa_envelope *env)
{
    struct fr_error err = {0};

    /* Trust what the upstream charged over our estimate: give back any difference. */
    if (fr_budget_sync(u->budget, cost, env->has_tokens, env->tokens_left, env->refill_in,
                       env->refill_rate, env->timestamp, &err) != 0)
        log_warn("token budget not synchronised: %s", err.msg);
    if (env->has_tokens)
        fr_gauge_set(fr_gauge_get("freshet_upstream_tokens_left",
                                  "Tokens left in the upstream budget, as last reported",
                                  FR_LABELS("source", u->source)), (double)env->tokens_left);
}

void fr_upstream_settle(struct fr_upstream *u, const struct fr_up_result *r,
                        const struct fr_keepa_envelope *env, int ok)
{
    if (env->has_tokens && env->tokens_consumed != r->cost && r->cost > 0)
        log_debug("upstream charged %lld tokens, %lld were reserved",
                  (long long)env->tokens_consumed, (long long)r->cost);
    sync_budget(u, r->cost, env);
    note_breaker(u, ok);
}

/* Parses the envelope of a non-200 body, if it has one (a 429 may come without). */
static void parse_error_body(struct fr_up_result *r)
{
    json_t *root = NULL;

    if (r->body_len == 0 || fr_json_parse(r->body, r->body_len, &root, NULL) != 0)
        return;
    fr_keepa_parse_envelope(root, &r->env, NULL);
    json_decref(root);
}

static void classify(struct fr_upstream *u, const struct fr_http_response *res,
                     struct fr_up_result *r)
{
    if (res->err != 0) {
        r->cls = FR_UP_RETRY;
        snprintf(r->reason, sizeof(r->reason), "%s", res->errmsg);
        return;
    }
    if (res->status == 200) {
        r->cls = FR_UP_OK;
        return;
    }
    parse_error_body(r);
    if (res->status == 429) {
        /* Without refillIn (a bare 429) we do not know how long: pause briefly and ask
         * /token, which is free, rather than sit out a whole refill period. */
        int64_t wait = r->env.refill_in > 0 ? r->env.refill_in + 100 : 1000;
        u->resync_wanted = r->env.refill_in <= 0;
        r->cls = FR_UP_THROTTLED;
        snprintf(r->reason, sizeof(r->reason), "429: out of tokens, refill in %lldms",
                 (long long)wait);
        fr_budget_pause(u->budget, wait, NULL);
        u->paused_until_ms = fr_mono_ms() + wait;
    } else if (res->status == 400 || res->status == 402 || res->status == 401 ||
               res->status == 403) {
        r->cls = FR_UP_FATAL;
        snprintf(r->reason, sizeof(r->reason), "%d from upstream%s%s%s%s: never retried",
                 res->status, r->env.error_type[0] ? " " : "", r->env.error_type,
                 r->env.error_message[0] ? ": " : "", r->env.error_message);
    } else {
        r->cls = FR_UP_RETRY;
        snprintf(r->reason, sizeof(r->reason), "%d from upstream%s%s", res->status,
                 r->env.error_message[0] ? ": " : "", r->env.error_message);
    }
}

static void on_resynced(const struct fr_up_result *r, void *arg)
{
    (void)arg;
    if (r->cls != FR_UP_OK)
        log_debug("token budget resync after a bare 429 failed: %s", r->reason);
}

static void on_done(const struct fr_http_response *res, void *arg)
{
    struct call *c = arg;
    struct fr_upstream *u = c->u;
    struct fr_up_result r;

    memset(&r, 0, sizeof(r));
    r.status = res->status;
    r.body = res->body;
    r.body_len = res->body_len;
    r.cost = c->cost;
    /* The upstream's time: an answer parked while PostgreSQL was behind is not its. */
    count_request(u, c->endpoint, res->status, res->seconds - res->parked_seconds);
    classify(u, res, &r);
    if (r.cls != FR_UP_OK) {
        sync_budget(u, c->cost, &r.env);
        if (r.cls == FR_UP_RETRY)
            note_breaker(u, 0);
        if (r.cls == FR_UP_FATAL && !u->fatal) {
            u->fatal = 1;
            snprintf(u->fatal_reason, sizeof(u->fatal_reason), "%s", r.reason);
            log_error_kv(FR_KV("endpoint", c->endpoint),
                         "upstream refused the request (%s): check KEEPA_API_KEY, "
                         "KEEPA_DOMAIN and the plan; the source is stopped",
                         r.reason);
        }
    }
    c->done(&r, c->arg);
    free(c);
    if (u->resync_wanted && fr_mono_ms() - u->last_sync_ms >= 1000) {
        u->resync_wanted = 0;
        fr_upstream_sync(u, on_resynced, NULL, NULL);
    }
}

int fr_upstream_call(struct fr_upstream *u, const char *endpoint, const char *url,
                     const char *body, int64_t cost, fr_up_done_fn done, void *arg,
                     struct fr_error *err)
{
    char log_url[512];
    struct fr_http_request req = {0};
    struct call *c = fr_xcalloc(1, sizeof(*c));
    int rc;

    fr_keepa_redact(url, log_url, sizeof(log_url));
    c->u = u;
    snprintf(c->endpoint, sizeof(c->endpoint), "%s", endpoint);
    c->cost = cost;
    c->done = done;
    c->arg = arg;
    req.url = url;
    req.log_url = log_url;
    req.body = body;
    req.body_len = body ? strlen(body) : 0;
    req.content_type = body ? "application/json" : NULL;
    req.timeout_ms = u->cfg->timeout_ms;
    req.max_body = (size_t)u->cfg->max_body;
    req.holdable = u->holdable != NULL && strcmp(endpoint, u->holdable) == 0;
    rc = fr_http_start(u->http, &req, on_done, c, err);
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

struct sync_call {
    struct fr_upstream *u;
    fr_up_done_fn done;
    void *arg;
};

static void on_token(const struct fr_up_result *r, void *arg)
{
    struct sync_call *s = arg;

    if (r->cls == FR_UP_OK) {
        struct fr_keepa_envelope env;
        json_t *root = NULL;
        int ok = fr_json_parse(r->body, r->body_len, &root, NULL) == 0 &&
                 fr_keepa_parse_envelope(root, &env, NULL) == 0;
        json_decref(root);
        if (ok)
            fr_upstream_settle(s->u, r, &env, 1);
    }
    s->done(r, s->arg);
    free(s);
}

int fr_upstream_sync(struct fr_upstream *u, fr_up_done_fn done, void *arg, struct fr_error *err)
{
    struct sync_call *s = fr_xcalloc(1, sizeof(*s));
    char *url = fr_keepa_url_token(u->cfg);
    int rc;

    s->u = u;
    s->done = done;
    s->arg = arg;
    u->last_sync_ms = fr_mono_ms();
    rc = fr_upstream_call(u, "token", url, NULL, 0, on_token, s, err);
    if (rc != 0)
        free(s);
    free(url);
    return rc;
}

int fr_upstream_resync_if_long(struct fr_upstream *u, int64_t wait_ms, fr_up_done_fn done,
                               void *arg)
{
    if (wait_ms < 1000 || fr_mono_ms() - u->last_sync_ms < 5000 || u->fatal)
        return 0;
    return fr_upstream_sync(u, done, arg, NULL) == 0;
}
