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

/* Pauses the source for every worker until now + ms (a 429): the tokens are spent. */
int fr_budget_pause(struct fr_budget *b, int64_t ms, struct fr_error *err);
/* The same without touching the tokens (credentials refused: nothing was charged). */
int fr_budget_hold(struct fr_budget *b, int64_t ms, struct fr_error *err);

/* Current figures (after refills up to now); any pointer may be NULL. */
int fr_budget_peek(struct fr_budget *b, int64_t *tokens, int64_t *rate, int64_t *paused_ms,
                   struct fr_error *err);

/* Milliseconds until the next refill (-1 while the budget is not known). */
int fr_budget_refill_in(struct fr_budget *b, int64_t *ms, struct fr_error *err);

#endif
