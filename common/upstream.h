/*
 * upstream — one Keepa request with its bookkeeping: the shared budget (tokens taken
 * before, re-synchronised after from the envelope), the 429 pause for the whole
 * source, the circuit breaker, and the metrics. It sorts every outcome into four
 * classes so callers only decide what to do with their items:
 *
 *   OK         200 with a body: the caller parses it, then calls fr_upstream_settle()
 *   RETRY      5xx, timeout, reset, truncated or oversized body: try again later
 *   THROTTLED  429: the source is paused until the refill; not the items' fault
 *   FATAL      400 / 402 (bad key, bad parameter, no plan): never retried
 */
#ifndef FR_UPSTREAM_H
#define FR_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "common/breaker.h"
#include "common/budget.h"
#include "common/http.h"
#include "common/sources/keepa.h"

enum fr_up_class { FR_UP_OK = 0, FR_UP_RETRY, FR_UP_THROTTLED, FR_UP_FATAL };

struct fr_up_result {
    int cls;
    int status;                   /* HTTP status, 0 when none */
    char reason[256];             /* why, when not OK */
    struct fr_keepa_envelope env; /* parsed for non-200 answers; the caller's parser fills
                                     its own for 200 */
    const char *body;             /* borrowed: valid during the callback only */
    size_t body_len;
    int64_t cost;                 /* tokens reserved for this call */
};

typedef void (*fr_up_done_fn)(const struct fr_up_result *r, void *arg);

struct fr_upstream {
    struct fr_http *http;        /* borrowed */
    struct fr_budget *budget;    /* borrowed */
    const struct fr_keepa_config *cfg;
    const char *source;
    struct fr_breaker breaker;
    int64_t paused_until_ms;     /* monotonic; local view of a 429 pause */
    int fatal;                   /* a 400/402 was seen: the source is stopped */
    int64_t last_sync_ms;        /* monotonic: last /token request */
    int resync_wanted;           /* a bare 429 left the budget unknown */
    char fatal_reason[256];
    const char *holdable;        /* endpoint whose answers may wait while the engine is held
                                    (fr_http_hold), NULL for none */
};

void fr_upstream_init(struct fr_upstream *u, struct fr_http *http, struct fr_budget *budget,
                      const struct fr_keepa_config *cfg, const char *source);

/* Starts a request whose cost the caller already took from the budget. endpoint names it
 * in metrics ("product", "deal", "seller", "token"). body NULL = GET. */
int fr_upstream_call(struct fr_upstream *u, const char *endpoint, const char *url,
                     const char *body, int64_t cost, fr_up_done_fn done, void *arg,
                     struct fr_error *err);

/* After parsing a 200 answer: syncs the budget from env (ok = the body was usable,
 * which also feeds the breaker). */
void fr_upstream_settle(struct fr_upstream *u, const struct fr_up_result *r,
                        const struct fr_keepa_envelope *env, int ok);

/* Whether the breaker and the local pause let a request go now; *wait_ms says how long
 * to wait otherwise. Does not look at the token budget. */
int fr_upstream_ready(struct fr_upstream *u, int64_t *wait_ms);

/* Fetches /token (free) to learn the budget; calls done when finished. */
int fr_upstream_sync(struct fr_upstream *u, fr_up_done_fn done, void *arg, struct fr_error *err);

/* The budget said "wait wait_ms". Failed requests without an envelope (resets,
 * truncated bodies) leave their tokens spent in our estimate though the upstream may
 * not have charged them: before a long wait, re-learn the balance with the free /token
 * call (at most every 5 s). Returns 1 when a sync was started (done is called). */
int fr_upstream_resync_if_long(struct fr_upstream *u, int64_t wait_ms, fr_up_done_fn done,
                               void *arg);

#endif
