/*
 * pace — a fleet-wide allowance that grows at a steady rate, kept in Redis, so work
 * that could go out in a burst (a whole refill of an upstream's tokens at once) is
 * spread evenly over time by every worker together. The refresher takes its re-queues
 * from it: freshness needs evenly spaced fetches, and a bucket refilled once a minute
 * would otherwise be spent in the first seconds and leave the rest of the minute dry.
 *
 * The allowance accrues `rate` units a second up to `burst` units; a take is granted
 * what is there, up to what was asked (a partial grant, not a refusal); what a worker
 * took and could not use goes back with fr_pace_give. The rate is the caller's on every
 * call (it may change as the budget does). Key: freshet:{<source>}:pace:<name> (hash);
 * times are wall-clock unix ms, shared by hosts. Losing the key loses at most one
 * burst's worth of spreading.
 */
#ifndef FR_PACE_H
#define FR_PACE_H

#include <stdint.h>

#include "common/err.h"
#include "common/redis.h"

struct fr_pace {
    struct fr_redis *redis; /* borrowed */
    char key[160];
};

void fr_pace_init(struct fr_pace *p, struct fr_redis *r, const char *source, const char *name);

/* Accrues rate/s (rate >= 0) up to burst since the last call, then grants up to want:
 * *granted receives 0..want. Returns 0 or an error (then nothing was taken). */
int fr_pace_take(struct fr_pace *p, double rate, double burst, int64_t want, int64_t *granted,
                 struct fr_error *err);

/* Returns n units taken and not used (never above the burst of the last take). */
int fr_pace_give(struct fr_pace *p, int64_t n, struct fr_error *err);

#endif
