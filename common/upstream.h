/*
 * upstream — one request to a source (common/source.h) with its bookkeeping: the shared
 * budget (tokens taken before, re-synchronised after from what the answer says), the
 * fleet-wide pause of a throttled source, the circuit breaker, and the metrics. The
 * source classifies every answer that is not a 200, so callers only decide what to do
 * with their items:
 *
 *   OK         200 with a body: the caller parses it, then calls fr_upstream_settle()
 *   RETRY      5xx, timeout, reset, truncated or oversized body: try again later
 *   THROTTLED  429: the source is paused until the refill; not the items' fault
 *   FATAL      a request the upstream never accepts (bad key, no plan): never retried,
 *              the source is stopped
 *   AUTH       credentials refused: the source pauses, no item's attempt is spent
 */
#ifndef FR_UPSTREAM_H
#define FR_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "common/breaker.h"
#include "common/budget.h"
#include "common/http.h"
#include "common/source.h"

/* The classes are the source's (enum fr_src_class). */
enum fr_up_class {
    FR_UP_OK = FR_SRC_OK,
    FR_UP_RETRY = FR_SRC_RETRY,
    FR_UP_THROTTLED = FR_SRC_THROTTLED,
    FR_UP_FATAL = FR_SRC_FATAL,
    FR_UP_AUTH = FR_SRC_AUTH,
};

struct fr_up_result {
    int cls;
    int status;                         /* HTTP status, 0 when none */
    char reason[256];                   /* why, when not OK */
    const char *body;                   /* borrowed: valid during the callback only */
    size_t body_len;
    const struct fr_http_response *res; /* borrowed likewise: the answer's headers */
    const char *endpoint;               /* borrowed likewise: the request's */
    int64_t cost;                       /* tokens reserved for this call */
};

/* The answer of r as a source's parser takes it (borrowed likewise). */
struct fr_src_answer fr_upstream_answer(const struct fr_up_result *r);

typedef void (*fr_up_done_fn)(const struct fr_up_result *r, void *arg);

struct fr_upstream {
    struct fr_http *http;          /* borrowed */
    struct fr_budget *budget;      /* borrowed */
    const struct fr_source *src;   /* borrowed */
    const char *source;            /* src->name */
    struct fr_breaker breaker;
    int64_t paused_until_ms;       /* monotonic; local view of a 429 (or 401/403) pause */
    int fatal;                     /* a request was refused for good: the source is stopped */
    int64_t auth_until_ms;         /* monotonic: paused for its credentials until then */
    int64_t last_sync_ms;          /* monotonic: last budget request */
    int resync_wanted;             /* a bare 429 left the budget unknown */
    char fatal_reason[256];        /* also why it waits for credentials */
};

void fr_upstream_init(struct fr_upstream *u, struct fr_http *http, struct fr_budget *budget,
                      const struct fr_source *src);

/* Starts a request whose cost (req->cost) the caller already took from the budget;
 * req->endpoint names it in metrics. req is borrowed for the call. */
int fr_upstream_send(struct fr_upstream *u, const struct fr_src_request *req, fr_up_done_fn done,
                     void *arg, struct fr_error *err);

/* After parsing a 200 answer: syncs the budget from what it said (ok = the body was
 * usable, which also feeds the breaker). */
void fr_upstream_settle(struct fr_upstream *u, const struct fr_up_result *r,
                        const struct fr_src_budget *budget, int ok);

/* Whether the breaker and the pauses let a request go now; *wait_ms says how long to
 * wait otherwise. Does not look at the token budget. */
int fr_upstream_ready(struct fr_upstream *u, int64_t *wait_ms);

/* 1 with the reason in why when the source is stopped or waits for its credentials
 * (/readyz answers 503 then), else 0. */
int fr_upstream_stopped(const struct fr_upstream *u, char *why, size_t n);

/* Sends the source's free budget request to learn the budget; calls done when finished.
 * FR_ERR_STATE when the source has none. */
int fr_upstream_sync(struct fr_upstream *u, fr_up_done_fn done, void *arg, struct fr_error *err);

/* The budget said "wait wait_ms". Failed requests that said nothing of the budget
 * (resets, truncated bodies) leave their tokens spent in our estimate though the upstream
 * may not have charged them: before a long wait, re-learn the balance with the free
 * budget request (at most every 5 s). Returns 1 when a sync was started (done is called). */
int fr_upstream_resync_if_long(struct fr_upstream *u, int64_t wait_ms, fr_up_done_fn done,
                               void *arg);

#endif
