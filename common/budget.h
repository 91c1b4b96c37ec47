/*
 * budget — the upstream token budget shared by every worker of a source, kept in
 * Redis and changed only by Lua scripts, so two processes never both spend the last
 * tokens. It models a token bucket: `rate` tokens arrive every `period` (a minute),
 * capacity 60 × rate, and the upstream's own figures (what an answer says, struct
 * fr_src_budget in common/source.h: remaining, time to the refill, rate) replace the
 * estimate after every response. A request is sent only when the bucket can pay its
 * whole cost; tokens reserved by requests still in flight are subtracted from the
 * upstream's remaining figure so they are not counted twice.
 * On a 429 the whole source pauses until the refill, for every worker.
 *
 * An upstream that counts requests in windows (X-RateLimit-Remaining and -Reset) is
 * kept as a window instead: its figures come from the answers (fr_budget_sync_window),
 * its tokens are spent at an even pace (what is left over the time left, never faster
 * than the window's own even pace nor a static per-minute rate), and they stop at 0
 * until the window's end. What the next window holds is not assumed: the first take
 * after the end is one request (a probe, at most one a second) whose answer says it,
 * so a window smaller than the last one, or a static rate above the upstream's, meets
 * no 429. A source with only a static per-minute rate keeps a static window of a
 * minute at that pace.
 *
 * Key: freshet:{<source>}:tokens (hash). Times are wall-clock unix ms (shared by hosts).
 */
#ifndef FR_BUDGET_H
#define FR_BUDGET_H

#include <stdint.h>

#include "common/err.h"
#include "common/redis.h"

struct fr_budget {
    struct fr_redis *redis; /* borrowed */
    char key[160];
    int64_t period_ms;      /* refill period: 60000 for the built-in source */
    int64_t reserve;        /* tokens fr_budget_take_reserved leaves for others */
};

void fr_budget_init(struct fr_budget *b, struct fr_redis *r, const char *source,
                    int64_t period_ms, int64_t reserve);

enum fr_budget_verdict {
    FR_BUDGET_GRANTED = 0,
    FR_BUDGET_WAIT = 1,    /* not enough tokens (or paused): retry after *wait_ms */
    FR_BUDGET_UNKNOWN = 2, /* no figures yet: sync first (fr_upstream_sync, free) */
};

/* Takes cost tokens if the bucket holds them. Returns a verdict (>= 0) or an error. */
int fr_budget_take(struct fr_budget *b, int64_t cost, int64_t *wait_ms, struct fr_error *err);
/* Same, but leaves b->reserve tokens untouched (the refresher, so discovery never starves). */
int fr_budget_take_reserved(struct fr_budget *b, int64_t cost, int64_t *wait_ms,
                            struct fr_error *err);
/* Gives back tokens taken for work that was not sent. */
int fr_budget_refund(struct fr_budget *b, int64_t tokens, struct fr_error *err);

/* After a response: releases `done` reserved tokens and, when has_tokens, replaces the
 * estimate with the upstream's figures — unless a response the upstream answered later
 * (server_ts, its own clock) already did: answers arrive out of order, and an older
 * tokensLeft would hand out tokens that are already spent. */
int fr_budget_sync(struct fr_budget *b, int64_t done, int has_tokens, int64_t tokens_left,
                   int64_t refill_in_ms, int64_t refill_rate, int64_t server_ts,
                   struct fr_error *err);

/* A window's figures from an answer: `left` requests remain until now + reset_in_ms;
 * per_minute is a static limit that also applies (0 none). Releases `done` reserved
 * tokens. An answer of an older window than the one known is ignored, one of the same
 * window ordered by server_ts as fr_budget_sync does. */
int fr_budget_sync_window(struct fr_budget *b, int64_t done, int64_t left, int64_t reset_in_ms,
                          int64_t per_minute, int64_t server_ts, struct fr_error *err);
/* Starts a window budget that knows nothing yet (no-op when it knows something): learn
 * = 1, a window whose first request is a probe; 0, a static minute of per_minute. */
int fr_budget_seed_window(struct fr_budget *b, int64_t per_minute, int learn,
                          struct fr_error *err);

/* Pauses the source for every worker until now + ms (a 429): the tokens are spent. */
int fr_budget_pause(struct fr_budget *b, int64_t ms, struct fr_error *err);
/* The same without touching the tokens (credentials refused: nothing was charged). */
int fr_budget_hold(struct fr_budget *b, int64_t ms, struct fr_error *err);

/* Current figures (after refills up to now); any pointer may be NULL. */
int fr_budget_peek(struct fr_budget *b, int64_t *tokens, int64_t *rate, int64_t *paused_ms,
                   struct fr_error *err);

/* The same figures and the milliseconds until the next refill (-1 while the budget is
 * not known), from the one round trip. */
struct fr_budget_figures {
    int64_t tokens, rate, paused_ms, refill_in_ms;
};
int fr_budget_figures(struct fr_budget *b, struct fr_budget_figures *out, struct fr_error *err);

#endif
